// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256d_precompute: the per-work-item part of the header's second block.
// Rounds 0..2 and the schedule words that do not depend on the nonce (W3),
// computed once per work item. start is a 1-clock pulse; the inputs hold from
// the clock after it until the outputs are valid, LATENCY = 5 clocks after start.
// The outputs hold until the clock after the next start. start passes a register
// first: it comes from control logic that may sit across the chip.
`resetall
`default_nettype none

module sha256d_precompute (
    input  wire         clk,
    input  wire         rst,

    // Work item: held stable from the clock after start until the outputs are valid
    input  wire         start,
    input  wire [255:0] midstate,       // {H0..H7} after the header's first block
    input  wire [95:0]  tail,           // header bytes 64..75 = W0, W1, W2

    // Constants for the nonce pipeline
    output wire [223:0] out_state,      // {a..g} after round 2
    output wire [31:0]  out_hk3,        // h + K[3] after round 2 (W3 = nonce added later)
    output wire [31:0]  out_w16,        // W16
    output wire [31:0]  out_w17,        // W17
    output wire [31:0]  out_c18,        // W18 less sigma0(W3)
    output wire [31:0]  out_c19         // W19 less W3
);

localparam [31:0] W4 = 32'h80000000;   // padding bit after the 80-byte header
localparam [31:0] W15 = 32'd640;       // message length in bits

wire [31:0] w0 = tail[95:64];
wire [31:0] w1 = tail[63:32];
wire [31:0] w2 = tail[31:0];

// The outputs as 12 words, least significant first:
// a..g after round 2 (0..6), h + K[3] (7), W16 (8), W17 (9), C18 (10), C19 (11)
localparam WORDS = 12;
wire [32*WORDS-1:0] words;
wire [223:0] state;
wire [31:0]  hkw, w16, w17, c18, c19;
assign {c19, c18, w17, w16, hkw, state} = words;

reg  [1:0]   step_reg = 2'd0;
reg          start_reg = 1'b0;
reg          busy_reg = 1'b0;

wire [255:0] rounded;
wire [31:0]  w16_next, w17_next, c18_next, c19_next;

sha256_round round_inst (
    .rx_state(state),
    .rx_hkw(hkw),
    .tx_state(rounded)
);

// FIPS 180-4 §6.2.2 step 1 with the constant words of the second block folded in
sha256_schedule w16_inst (.rx_w1(w0), .rx_w2(w1), .rx_w10(32'd0), .rx_w15(32'd0), .tx_word(w16_next));
sha256_schedule w17_inst (.rx_w1(w1), .rx_w2(w2), .rx_w10(32'd0), .rx_w15(W15), .tx_word(w17_next));
sha256_schedule c18_inst (.rx_w1(w2), .rx_w2(32'd0), .rx_w10(32'd0), .rx_w15(w16),
                          .tx_word(c18_next));
sha256_schedule c19_inst (.rx_w1(32'd0), .rx_w2(W4), .rx_w10(32'd0), .rx_w15(w17),
                          .tx_word(c19_next));

// K[t+1] + W[t+1] for the round after step t; W3 is the nonce, added per nonce.
reg [31:0] kw_next;
always @* begin
    case (step_reg)
        2'd0: kw_next = 32'h71374491 + w1;
        2'd1: kw_next = 32'hb5c0fbcf + w2;
        default: kw_next = 32'he9b5dba5;
    endcase
end

wire busy_next = !rst && (start_reg || (busy_reg && step_reg != 2'd2));
always @(posedge clk) begin
    start_reg <= start && !rst;
    busy_reg <= busy_next;
    step_reg <= start_reg || rst ? 2'd0 : step_reg + 2'(busy_reg);
end

// Each word's value on start and on each step (a word that keeps its value then
// reads itself).
wire [32*WORDS-1:0] on_start = {c19, c18, w17_next, w16_next,
                                midstate[31:0] + 32'h428a2f98 + w0, midstate[255:32]};
wire [32*WORDS-1:0] on_step = {c19_next, c18_next, w17, w16,
                               rounded[31:0] + kw_next, rounded[255:32]};

// start and busy steer all 384 flip-flops, which sit by the core's input
// registers that read them, spread across the chip: each word has its own copy
// of both (keep on the block: Yosys would merge the copies).
genvar k;
for (k = 0; k < WORDS; k = k + 1) begin : g_word
    reg        start_copy_reg = 1'b0;
    reg        busy_copy_reg = 1'b0;
    reg [31:0] word_reg;
    (* keep *)
    always @(posedge clk) begin
        start_copy_reg <= start && !rst;
        busy_copy_reg <= busy_next;
    end
    always @(posedge clk) begin
        if (start_copy_reg) begin
            word_reg <= on_start[32*k +: 32];
        end else if (busy_copy_reg) begin
            word_reg <= on_step[32*k +: 32];
        end
    end
    assign words[32*k +: 32] = word_reg;
end

assign {out_c19, out_c18, out_w17, out_w16, out_hk3, out_state} = words;

endmodule

`resetall
