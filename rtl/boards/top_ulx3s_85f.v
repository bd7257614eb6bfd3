// SPDX-License-Identifier: MIT OR Apache-2.0
// ULX3S 85F (LFE5U-85F-6BG381C) board top: pins, PLL and reset around miner_top.
// Clock plan: 25 MHz oscillator (G2) -> EHXPLLL -> 80 MHz core clock.
// UART on the FT231X (which also bit-bangs JTAG when programming); LEDs
// D0/D1/D2 = alive/hashing/found, D7 = PLL locked; FIRE1 resets the miner.
`default_nettype none

module top_ulx3s_85f #(
    parameter CLK_HZ = 80_000_000,          // must equal PLL_HZ below
    parameter BAUD = 115_200,
    parameter ROUNDS_PER_CLK = 32,
    parameter CORES = 1,
    parameter BUILD_ID = 32'h0,
    parameter SCHEDULE_BRAMS = 0
) (
    input  wire clk_25mhz,
    input  wire btn_fire1,
    input  wire uart_rx,
    output wire uart_tx,
    output wire led0,
    output wire led1,
    output wire led2,
    output wire led7,
    output wire wifi_gpio0
);

// ecppll -i 25 -o 80: CLKI_DIV 5, CLKFB_DIV 16, CLKOP_DIV 7, CLKOP_CPHASE 3
// -> VCO 560 MHz, CLKOP 80.000 MHz. A new core clock needs new settings here
// and in boards.toml.
localparam PLL_HZ = 80_000_000;

wire clk;
wire pll_locked;

ecp5_pll #(
    .CLKI_DIV(5),
    .CLKFB_DIV(16),
    .CLKOP_DIV(7),
    .CLKOP_CPHASE(3)
) pll (
    .clk_in(clk_25mhz),
    .clk_out(clk),
    .locked(pll_locked)
);

board_miner #(
    .PLL_HZ(PLL_HZ),
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .ROUNDS_PER_CLK(ROUNDS_PER_CLK),
    .CORES(CORES),
    .BUILD_ID(BUILD_ID),
    .ECP5_CARRY(1),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS)
) miner (
    .clk(clk),
    .clk_ok(pll_locked && !btn_fire1),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led_alive(led0),
    .led_hashing(led1),
    .led_found(led2)
);

assign led7 = pll_locked;
// High keeps the ESP32 out of its boot loader, so it leaves the board alone.
assign wifi_gpio0 = 1'b1;

endmodule

`default_nettype wire
