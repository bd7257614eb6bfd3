// SPDX-License-Identifier: MIT OR Apache-2.0
// Lattice ECP5 Evaluation Board (LFE5UM5G-85F-8BG381) board top: pins, PLL and
// reset around miner_top.
// Clock plan: 12 MHz from the FT2232H (A10) -> EHXPLLL -> 100 MHz core clock.
// UART on the FT2232H's interface B (P2/P3, needs R34/R35 fitted); LEDs
// D5/D6/D7 = alive/hashing/found, D12 = PLL locked; SW4 resets the miner.
`default_nettype none

module top_ecp5_evn #(
    parameter CLK_HZ = 100_000_000,          // must equal PLL_HZ below
    parameter BAUD = 115_200,
    parameter ROUNDS_PER_CLK = 32,
    parameter CORES = 1,
    parameter BUILD_ID = 32'h0,
    parameter SCHEDULE_BRAMS = 0
) (
    input  wire clk_12mhz,
    input  wire btn_n,
    input  wire uart_rx,
    output wire uart_tx,
    output wire led0_n,
    output wire led1_n,
    output wire led2_n,
    output wire led7_n
);

// ecppll -i 12 -o 100: CLKI_DIV 3, CLKFB_DIV 25, CLKOP_DIV 6, CLKOP_CPHASE 2
// -> VCO 600 MHz, CLKOP 100.000 MHz. A new core clock needs new settings here
// and in boards.toml.
localparam PLL_HZ = 100_000_000;

wire clk;
wire pll_locked;

ecp5_pll #(
    .CLKI_DIV(3),
    .CLKFB_DIV(25),
    .CLKOP_DIV(6),
    .CLKOP_CPHASE(2)
) pll (
    .clk_in(clk_12mhz),
    .clk_out(clk),
    .locked(pll_locked)
);

wire led_alive;
wire led_hashing;
wire led_found;

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
    .clk_ok(pll_locked && btn_n),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led_alive(led_alive),
    .led_hashing(led_hashing),
    .led_found(led_found)
);

assign led0_n = !led_alive;
assign led1_n = !led_hashing;
assign led2_n = !led_found;
assign led7_n = !pll_locked;

endmodule

`default_nettype wire
