// SPDX-License-Identifier: MIT OR Apache-2.0
//
// Yosys techmap for routed iCE40 netlists: an SB_IO of the pin types the board
// tops use (a plain input; a plain output) becomes the wires it is, so that
// Verilator, which cannot simulate the cell's bidirectional pin, sees none.
// Any other pin type is left an SB_IO, which stops the model's build.
module SB_IO (
    inout  PACKAGE_PIN,
    input  LATCH_INPUT_VALUE,
    input  CLOCK_ENABLE,
    input  INPUT_CLK,
    input  OUTPUT_CLK,
    input  OUTPUT_ENABLE,
    input  D_OUT_0,
    input  D_OUT_1,
    output D_IN_0,
    output D_IN_1
);
parameter [5:0] PIN_TYPE = 6'b000000;
parameter [0:0] PULLUP = 1'b0;
parameter [0:0] NEG_TRIGGER = 1'b0;
parameter IO_STANDARD = "SB_LVCMOS";

localparam PLAIN_INPUT = PIN_TYPE[1:0] == 2'b01;
localparam NO_OUTPUT = PIN_TYPE[5:2] == 4'b0000;
localparam PLAIN_OUTPUT = PIN_TYPE[5:2] == 4'b0110;
wire _TECHMAP_FAIL_ = !PLAIN_INPUT || !(NO_OUTPUT || PLAIN_OUTPUT);

assign D_IN_0 = PACKAGE_PIN;
assign D_IN_1 = 1'b0;
if (PLAIN_OUTPUT) begin : g_output
    assign PACKAGE_PIN = D_OUT_0;
end
endmodule
