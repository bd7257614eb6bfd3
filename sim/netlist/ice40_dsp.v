// SPDX-License-Identifier: MIT OR Apache-2.0
//
// ICESTORM_DSP, the packed iCE40 UP DSP block of nextpnr's routed netlist, for
// post-route netlist models: its bit-per-port pins on Yosys's SB_MAC16 model,
// with SB_MAC16's parameters.
`default_nettype none

module ICESTORM_DSP (
    input  wire CLK,
    input  wire CE,
    input  wire AHOLD,
    input  wire BHOLD,
    input  wire CHOLD,
    input  wire DHOLD,
    input  wire IRSTTOP,
    input  wire IRSTBOT,
    input  wire ORSTTOP,
    input  wire ORSTBOT,
    input  wire OLOADTOP,
    input  wire OLOADBOT,
    input  wire ADDSUBTOP,
    input  wire ADDSUBBOT,
    input  wire OHOLDTOP,
    input  wire OHOLDBOT,
    input  wire CI,
    input  wire ACCUMCI,
    input  wire SIGNEXTIN,
    input  wire C_15, C_14, C_13, C_12, C_11, C_10, C_9, C_8, C_7, C_6, C_5, C_4, C_3, C_2, C_1, C_0,
    input  wire A_15, A_14, A_13, A_12, A_11, A_10, A_9, A_8, A_7, A_6, A_5, A_4, A_3, A_2, A_1, A_0,
    input  wire B_15, B_14, B_13, B_12, B_11, B_10, B_9, B_8, B_7, B_6, B_5, B_4, B_3, B_2, B_1, B_0,
    input  wire D_15, D_14, D_13, D_12, D_11, D_10, D_9, D_8, D_7, D_6, D_5, D_4, D_3, D_2, D_1, D_0,
    output wire O_31, O_30, O_29, O_28, O_27, O_26, O_25, O_24, O_23, O_22, O_21, O_20, O_19, O_18, O_17, O_16, O_15, O_14, O_13, O_12, O_11, O_10, O_9, O_8, O_7, O_6, O_5, O_4, O_3, O_2, O_1, O_0,
    output wire CO,
    output wire ACCUMCO,
    output wire SIGNEXTOUT
);

parameter [0:0] NEG_TRIGGER = 1'b0;
parameter [0:0] C_REG = 1'b0;
parameter [0:0] A_REG = 1'b0;
parameter [0:0] B_REG = 1'b0;
parameter [0:0] D_REG = 1'b0;
parameter [0:0] TOP_8x8_MULT_REG = 1'b0;
parameter [0:0] BOT_8x8_MULT_REG = 1'b0;
parameter [0:0] PIPELINE_16x16_MULT_REG1 = 1'b0;
parameter [0:0] PIPELINE_16x16_MULT_REG2 = 1'b0;
parameter [1:0] TOPOUTPUT_SELECT = 2'b00;
parameter [1:0] TOPADDSUB_LOWERINPUT = 2'b00;
parameter [0:0] TOPADDSUB_UPPERINPUT = 1'b0;
parameter [1:0] TOPADDSUB_CARRYSELECT = 2'b00;
parameter [1:0] BOTOUTPUT_SELECT = 2'b00;
parameter [1:0] BOTADDSUB_LOWERINPUT = 2'b00;
parameter [0:0] BOTADDSUB_UPPERINPUT = 1'b0;
parameter [1:0] BOTADDSUB_CARRYSELECT = 2'b00;
parameter [0:0] MODE_8x8 = 1'b0;
parameter [0:0] A_SIGNED = 1'b0;
parameter [0:0] B_SIGNED = 1'b0;

SB_MAC16 #(
    .NEG_TRIGGER(NEG_TRIGGER),
    .C_REG(C_REG),
    .A_REG(A_REG),
    .B_REG(B_REG),
    .D_REG(D_REG),
    .TOP_8x8_MULT_REG(TOP_8x8_MULT_REG),
    .BOT_8x8_MULT_REG(BOT_8x8_MULT_REG),
    .PIPELINE_16x16_MULT_REG1(PIPELINE_16x16_MULT_REG1),
    .PIPELINE_16x16_MULT_REG2(PIPELINE_16x16_MULT_REG2),
    .TOPOUTPUT_SELECT(TOPOUTPUT_SELECT),
    .TOPADDSUB_LOWERINPUT(TOPADDSUB_LOWERINPUT),
    .TOPADDSUB_UPPERINPUT(TOPADDSUB_UPPERINPUT),
    .TOPADDSUB_CARRYSELECT(TOPADDSUB_CARRYSELECT),
    .BOTOUTPUT_SELECT(BOTOUTPUT_SELECT),
    .BOTADDSUB_LOWERINPUT(BOTADDSUB_LOWERINPUT),
    .BOTADDSUB_UPPERINPUT(BOTADDSUB_UPPERINPUT),
    .BOTADDSUB_CARRYSELECT(BOTADDSUB_CARRYSELECT),
    .MODE_8x8(MODE_8x8),
    .A_SIGNED(A_SIGNED),
    .B_SIGNED(B_SIGNED)
) mac (
    .CLK(CLK),
    .CE(CE),
    .AHOLD(AHOLD),
    .BHOLD(BHOLD),
    .CHOLD(CHOLD),
    .DHOLD(DHOLD),
    .IRSTTOP(IRSTTOP),
    .IRSTBOT(IRSTBOT),
    .ORSTTOP(ORSTTOP),
    .ORSTBOT(ORSTBOT),
    .OLOADTOP(OLOADTOP),
    .OLOADBOT(OLOADBOT),
    .ADDSUBTOP(ADDSUBTOP),
    .ADDSUBBOT(ADDSUBBOT),
    .OHOLDTOP(OHOLDTOP),
    .OHOLDBOT(OHOLDBOT),
    .CI(CI),
    .ACCUMCI(ACCUMCI),
    .SIGNEXTIN(SIGNEXTIN),
    .C({C_15, C_14, C_13, C_12, C_11, C_10, C_9, C_8, C_7, C_6, C_5, C_4, C_3, C_2, C_1, C_0}),
    .A({A_15, A_14, A_13, A_12, A_11, A_10, A_9, A_8, A_7, A_6, A_5, A_4, A_3, A_2, A_1, A_0}),
    .B({B_15, B_14, B_13, B_12, B_11, B_10, B_9, B_8, B_7, B_6, B_5, B_4, B_3, B_2, B_1, B_0}),
    .D({D_15, D_14, D_13, D_12, D_11, D_10, D_9, D_8, D_7, D_6, D_5, D_4, D_3, D_2, D_1, D_0}),
    .O({O_31, O_30, O_29, O_28, O_27, O_26, O_25, O_24, O_23, O_22, O_21, O_20, O_19, O_18, O_17, O_16, O_15, O_14, O_13, O_12, O_11, O_10, O_9, O_8, O_7, O_6, O_5, O_4, O_3, O_2, O_1, O_0}),
    .CO(CO),
    .ACCUMCO(ACCUMCO),
    .SIGNEXTOUT(SIGNEXTOUT)
);

endmodule

`default_nettype wire
