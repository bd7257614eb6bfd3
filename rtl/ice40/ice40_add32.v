// SPDX-License-Identifier: MIT OR Apache-2.0
// iCE40 UP sum = x + y on one SB_MAC16 (its two 16-bit adders, the upper one
// taking the lower one's carry), in place of 32 logic cells: combinational, or
// into the DSP's own output register, which holds while hold is high.
`default_nettype none

module ice40_add32 #(
    // 1: sum is the DSP's output register; 0: combinational (clk and hold unused)
    parameter REGISTERED = 1
) (
    input  wire        clk,
    input  wire        hold,
    input  wire [31:0] x,
    input  wire [31:0] y,
    output wire [31:0] sum
);

// Upper adder: A + C + the lower adder's carry; lower adder: B + D. The carry
// and sign outputs are left unconnected.
SB_MAC16 #(
    .NEG_TRIGGER(1'b0),
    .C_REG(1'b0),
    .A_REG(1'b0),
    .B_REG(1'b0),
    .D_REG(1'b0),
    .TOP_8x8_MULT_REG(1'b0),
    .BOT_8x8_MULT_REG(1'b0),
    .PIPELINE_16x16_MULT_REG1(1'b0),
    .PIPELINE_16x16_MULT_REG2(1'b0),
    .TOPOUTPUT_SELECT(REGISTERED != 0 ? 2'd1 : 2'd0),
    .TOPADDSUB_LOWERINPUT(2'd0),
    .TOPADDSUB_UPPERINPUT(1'b1),
    .TOPADDSUB_CARRYSELECT(2'd2),
    .BOTOUTPUT_SELECT(REGISTERED != 0 ? 2'd1 : 2'd0),
    .BOTADDSUB_LOWERINPUT(2'd0),
    .BOTADDSUB_UPPERINPUT(1'b1),
    .BOTADDSUB_CARRYSELECT(2'd0),
    .MODE_8x8(1'b0),
    .A_SIGNED(1'b0),
    .B_SIGNED(1'b0)
) mac_inst (
    .CLK(clk),
    .CE(1'b1),
    .C(y[31:16]),
    .A(x[31:16]),
    .B(x[15:0]),
    .D(y[15:0]),
    .AHOLD(1'b0),
    .BHOLD(1'b0),
    .CHOLD(1'b0),
    .DHOLD(1'b0),
    .IRSTTOP(1'b0),
    .IRSTBOT(1'b0),
    .ORSTTOP(1'b0),
    .ORSTBOT(1'b0),
    .OLOADTOP(1'b0),
    .OLOADBOT(1'b0),
    .ADDSUBTOP(1'b0),
    .ADDSUBBOT(1'b0),
    .OHOLDTOP(hold),
    .OHOLDBOT(hold),
    .CI(1'b0),
    .ACCUMCI(1'b0),
    .SIGNEXTIN(1'b0),
    .O(sum)
);

endmodule

`default_nettype wire
