// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_word_taps: one message-schedule word W[j] of a pipelined SHA-256, held
// only until its last use. The word is produced at stage PRODUCED (-1 = injected
// before stage 0) and read at stages USE15 < USE10 < USE2 < USE1 (its roles
// W[t-15], W[t-10], W[t-2], W[t-1] of later rounds). Uses outside 0..LAST_STAGE
// are not built (their out_uses word is don't-care). Long gaps become delay_line
// memories; the gaps BLOCK_USES marks, block RAMs, with a register on the read
// side from a gap of 4 stages: the nearest free block RAM may still be far
// from the word's readers.
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
    parameter LAST_STAGE = 60,
    // Bit k set: the gap that ends at use k (USE15, USE10, USE2, USE1) is a block RAM
    parameter [3:0] BLOCK_USES = 4'b0000
) (
    /* verilator lint_off UNUSEDSIGNAL */ // unused when no use is built
    input  wire         clk,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0]  in_word,     // combinational, in stage PRODUCED
    output wire [127:0] out_uses     // the word in stages {USE15, USE10, USE2, USE1}
);

function automatic integer use_at(input integer k);
    case (k)
        0: use_at = USE15;
        1: use_at = USE10;
        2: use_at = USE2;
        default: use_at = USE1;
    endcase
endfunction

function automatic integer built(input integer k);
    built = use_at(k) >= 0 && use_at(k) <= LAST_STAGE ? 1 : 0;
endfunction

// Stage of the nearest built use before use k (else PRODUCED): where use k is fed from.
function automatic integer fed_from(input integer k);
    integer m;
    begin
        fed_from = PRODUCED;
        for (m = 0; m < k; m = m + 1) begin
            if (built(m) != 0) begin
                fed_from = use_at(m);
            end
        end
    end
endfunction

// Registers behind a block RAM, out of the memory's gap, which keeps at least
// 3 clocks. A block RAM's output is slow (ECP5 -6: 5.8 ns), so the register it
// feeds has to sit beside it, and one more register lets the word travel on to
// a reader placed far away. The write side gets none: the word reaches the
// memory from its line's register, which is enough for timing; more there
// would cost a flip-flop per bit of every line, and more to route.
function automatic integer block_out_regs(input integer gap);
    block_out_regs = gap >= 4 ? 1 : 0;
endfunction

// tap[k] is the word where use k is fed from; tap[k+1] after use k.
wire [31:0] tap [0:4] /* verilator split_var */;
assign tap[0] = in_word;

genvar k;
for (k = 0; k < 4; k = k + 1) begin : g_use
    if (built(k) != 0) begin : g_line
        localparam GAP = use_at(k) - fed_from(k);
        delay_line #(
            .WIDTH(32),
            .DELAY(GAP),
            .BLOCK(BLOCK_USES[k] ? 1 : 0),
            .OUT_REGS(BLOCK_USES[k] ? block_out_regs(GAP) : 0)
        ) line_inst (
            .clk(clk),
            .in_data(tap[k]),
            .out_data(tap[k+1])
        );
    end else begin : g_pass
        assign tap[k+1] = tap[k];
    end
    assign out_uses[127 - 32 * k -: 32] = tap[k+1];
end

endmodule

`resetall
