// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_word_taps: one message-schedule word W[j] of a pipelined SHA-256, held
// only until its last use. The word is produced at stage PRODUCED (-1 = injected
// before stage 0) and read at stages USE15 < USE10 < USE2 < USE1 (its roles
// W[t-15], W[t-10], W[t-2], W[t-1] of later rounds); each out_* is valid in its stage.
// Uses outside 0..LAST_STAGE are not built. Long gaps become delay_line memories.
`resetall
`default_nettype none

module sha256_word_taps #(
    // Stage whose logic produces the word (-1: the ring's input)
    parameter PRODUCED = -1,
    // Stages reading the word as W[t+15], W[t+10], W[t+2], W[t+1] (increasing)
    parameter USE15 = 0,
    parameter USE10 = 5,
    parameter USE2 = 13,
    parameter USE1 = 14,
    // Index of the ring's last stage
    parameter LAST_STAGE = 60
) (
    /* verilator lint_off UNUSEDSIGNAL */ // unused when no use is built
    input  wire        clk,
    input  wire        rst,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0] in_word,     // combinational, in stage PRODUCED
    output wire [31:0] out_use15,
    output wire [31:0] out_use10,
    output wire [31:0] out_use2,
    output wire [31:0] out_use1
);

// Each use is fed from the nearest earlier use that is built, else from the input.
localparam V15 = USE15 >= 0 && USE15 <= LAST_STAGE;
localparam V10 = USE10 >= 0 && USE10 <= LAST_STAGE;
localparam V2 = USE2 >= 0 && USE2 <= LAST_STAGE;
localparam V1 = USE1 >= 0 && USE1 <= LAST_STAGE;
localparam FROM10 = V15 ? USE15 : PRODUCED;
localparam FROM2 = V10 ? USE10 : FROM10;
localparam FROM1 = V2 ? USE2 : FROM2;

/* verilator lint_off UNUSEDSIGNAL */ // a source is unused when its use is not built
wire [31:0] src10 = V15 ? out_use15 : in_word;
wire [31:0] src2 = V10 ? out_use10 : src10;
wire [31:0] src1 = V2 ? out_use2 : src2;
/* verilator lint_on UNUSEDSIGNAL */

if (V15) begin : g_use15
    delay_line #(.WIDTH(32), .DELAY(USE15 - PRODUCED)) line_inst (
        .clk(clk), .rst(rst), .in_data(in_word), .out_data(out_use15));
end else begin : g_no15
    assign out_use15 = 32'd0;
end

if (V10) begin : g_use10
    delay_line #(.WIDTH(32), .DELAY(USE10 - FROM10)) line_inst (
        .clk(clk), .rst(rst), .in_data(src10), .out_data(out_use10));
end else begin : g_no10
    assign out_use10 = 32'd0;
end

if (V2) begin : g_use2
    delay_line #(.WIDTH(32), .DELAY(USE2 - FROM2)) line_inst (
        .clk(clk), .rst(rst), .in_data(src2), .out_data(out_use2));
end else begin : g_no2
    assign out_use2 = 32'd0;
end

if (V1) begin : g_use1
    delay_line #(.WIDTH(32), .DELAY(USE1 - FROM1)) line_inst (
        .clk(clk), .rst(rst), .in_data(src1), .out_data(out_use1));
end else begin : g_no1
    assign out_use1 = 32'd0;
end

endmodule

`resetall
