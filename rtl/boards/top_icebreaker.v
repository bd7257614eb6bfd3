// SPDX-License-Identifier: MIT OR Apache-2.0
// iCEBreaker (iCE40UP5K-SG48) board top: pins, PLL and reset around miner_top.
// Clock plan: 12 MHz oscillator (pin 35) -> SB_PLL40_PAD -> 27 MHz core clock.
// UART on the FT2232H's interface B; LEDs: green = alive, red = found, and on
// the snap-off PMOD LED1/LED2/LED3 = alive/hashing/found. The user button
// resets the miner.
`default_nettype none

module top_icebreaker #(
    parameter CLK_HZ = 27_000_000,          // must equal PLL_HZ below
    parameter BAUD = 115_200,
    parameter ROUNDS_PER_CLK = 1,
    parameter CORES = 1,
    parameter BUILD_ID = 32'h0,
    parameter SCHEDULE_BRAMS = 0
) (
    input  wire clk_12mhz,
    input  wire btn_n,
    input  wire uart_rx,
    output wire uart_tx,
    output wire ledg_n,
    output wire ledr_n,
    output wire led1,
    output wire led2,
    output wire led3
);

// icepll -i 12 -o 27: DIVR 0, DIVF 71, DIVQ 5, FILTER_RANGE 1 -> 27.000 MHz
// (VCO 864 MHz). A new core clock needs new settings here and in boards.toml.
localparam PLL_HZ = 27_000_000;

wire clk;
wire pll_locked;

SB_PLL40_PAD #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR(4'd0),
    .DIVF(7'd71),
    .DIVQ(3'd5),
    .FILTER_RANGE(3'd1)
) pll (
    .PACKAGEPIN(clk_12mhz),
    .PLLOUTCORE(clk),
    .PLLOUTGLOBAL(),
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
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS),
    // the UP5K's DSP blocks as adders: seven per pipeline, so for one pipeline
    .ICE40_DSP(CORES == 1 ? 1 : 0)
) miner (
    .clk(clk),
    .clk_ok(pll_locked && btn_n),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led_alive(led_alive),
    .led_hashing(led_hashing),
    .led_found(led_found)
);

assign ledg_n = !led_alive;
assign ledr_n = !led_found;
assign led1 = led_alive;
assign led2 = led_hashing;
assign led3 = led_found;

endmodule

`default_nettype wire
