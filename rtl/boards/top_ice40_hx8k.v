// SPDX-License-Identifier: MIT OR Apache-2.0
// iCE40-HX8K Breakout Board (iCE40HX8K-CT256) board top: pins, PLL and reset
// around miner_top.
// Clock plan: 12 MHz oscillator (J3) -> SB_PLL40_CORE -> 69 MHz core clock.
// UART on the FT2232H's interface B (B10/B12); LEDs D2/D3/D4 = alive/hashing/found,
// D9 = PLL locked. The board has no user button: reset follows PLL lock.
`default_nettype none

module top_ice40_hx8k #(
    parameter CLK_HZ = 69_000_000,          // must equal PLL_HZ below
    parameter BAUD = 115_200,
    parameter ROUNDS_PER_CLK = 1,
    parameter CORES = 1,
    parameter BUILD_ID = 32'h0,
    parameter SCHEDULE_BRAMS = 0
) (
    input  wire clk_12mhz,
    input  wire uart_rx,
    output wire uart_tx,
    output wire led0,
    output wire led1,
    output wire led2,
    output wire led7
);

// icepll -i 12 -o 69: DIVR 0, DIVF 45, DIVQ 3, FILTER_RANGE 1 -> 69.000 MHz
// (VCO 552 MHz). A new core clock needs new settings here and in boards.toml.
localparam PLL_HZ = 69_000_000;

wire clk;
wire pll_locked;

SB_PLL40_CORE #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR(4'd0),
    .DIVF(7'd45),
    .DIVQ(3'd3),
    .FILTER_RANGE(3'd1)
) pll (
    .REFERENCECLK(clk_12mhz),
    .PLLOUTCORE(),
    .PLLOUTGLOBAL(clk),
    .EXTFEEDBACK(1'b0),
    .DYNAMICDELAY(8'd0),
    .LOCK(pll_locked),
    .BYPASS(1'b0),
    .RESETB(1'b1),
    .LATCHINPUTVALUE(1'b0),
    .SDO(),
    .SDI(1'b0),
    .SCLK(1'b0)
);

board_miner #(
    .PLL_HZ(PLL_HZ),
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .ROUNDS_PER_CLK(ROUNDS_PER_CLK),
    .CORES(CORES),
    .BUILD_ID(BUILD_ID),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS)
) miner (
    .clk(clk),
    .clk_ok(pll_locked),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led_alive(led0),
    .led_hashing(led1),
    .led_found(led2)
);

assign led7 = pll_locked;

endmodule

`default_nettype wire
