// SPDX-License-Identifier: MIT OR Apache-2.0
// The iCE40 PLLs of the netlist models: the testbench clocks the oscillator pin
// at the core clock, so the PLL passes its input through; LOCK rises after
// pll_lock_delay's clocks, as after configuration on a board. (Yosys's models
// of these cells are empty.)
`default_nettype none

module SB_PLL40_PAD #(
    parameter FEEDBACK_PATH = "SIMPLE",
    parameter DELAY_ADJUSTMENT_MODE_FEEDBACK = "FIXED",
    parameter DELAY_ADJUSTMENT_MODE_RELATIVE = "FIXED",
    parameter PLLOUT_SELECT = "GENCLK",
    parameter [1:0] SHIFTREG_DIV_MODE = 2'b00,
    parameter [3:0] FDA_FEEDBACK = 4'b0000,
    parameter [3:0] FDA_RELATIVE = 4'b0000,
    parameter [3:0] DIVR = 4'b0000,
    parameter [6:0] DIVF = 7'b0000000,
    parameter [2:0] DIVQ = 3'b000,
    parameter [2:0] FILTER_RANGE = 3'b000,
    parameter [0:0] ENABLE_ICEGATE = 1'b0,
    parameter [0:0] TEST_MODE = 1'b0,
    parameter EXTERNAL_DIVIDE_FACTOR = 1
) (
    input  wire       PACKAGEPIN,
    output wire       PLLOUTCORE,
    output wire       PLLOUTGLOBAL,
    input  wire       EXTFEEDBACK,
    input  wire [7:0] DYNAMICDELAY,
    output wire       LOCK,
    input  wire       BYPASS,
    input  wire       RESETB,
    input  wire       LATCHINPUTVALUE,
    output wire       SDO,
    input  wire       SDI,
    input  wire       SCLK
);
assign PLLOUTCORE = PACKAGEPIN;
assign PLLOUTGLOBAL = PACKAGEPIN;
pll_lock_delay lock_delay (.clk(PACKAGEPIN), .lock(LOCK));
assign SDO = 1'b0;
endmodule

module SB_PLL40_CORE #(
    parameter FEEDBACK_PATH = "SIMPLE",
    parameter DELAY_ADJUSTMENT_MODE_FEEDBACK = "FIXED",
    parameter DELAY_ADJUSTMENT_MODE_RELATIVE = "FIXED",
    parameter PLLOUT_SELECT = "GENCLK",
    parameter [1:0] SHIFTREG_DIV_MODE = 2'b00,
    parameter [3:0] FDA_FEEDBACK = 4'b0000,
    parameter [3:0] FDA_RELATIVE = 4'b0000,
    parameter [3:0] DIVR = 4'b0000,
    parameter [6:0] DIVF = 7'b0000000,
    parameter [2:0] DIVQ = 3'b000,
    parameter [2:0] FILTER_RANGE = 3'b000,
    parameter [0:0] ENABLE_ICEGATE = 1'b0,
    parameter [0:0] TEST_MODE = 1'b0,
    parameter EXTERNAL_DIVIDE_FACTOR = 1
) (
    input  wire       REFERENCECLK,
    output wire       PLLOUTCORE,
    output wire       PLLOUTGLOBAL,
    input  wire       EXTFEEDBACK,
    input  wire [7:0] DYNAMICDELAY,
    output wire       LOCK,
    input  wire       BYPASS,
    input  wire       RESETB,
    input  wire       LATCHINPUTVALUE,
    output wire       SDO,
    input  wire       SDI,
    input  wire       SCLK
);
assign PLLOUTCORE = REFERENCECLK;
assign PLLOUTGLOBAL = REFERENCECLK;
pll_lock_delay lock_delay (.clk(REFERENCECLK), .lock(LOCK));
assign SDO = 1'b0;
endmodule

`default_nettype wire
