// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256d_serial: double SHA-256 of an 80-byte header, one round per clock on
// ONE round unit shared by both hashes (the smallest core, for small FPGAs).
// A nonce is taken when in_valid and in_ready, with the slot of the work memory
// that holds its item's midstate and tail; the core reads that slot through
// work_addr / work_data (registered read, one clock late) while it runs. Per
// nonce: load, rounds 0..63 of the header's second block, the feed-forward,
// rounds 0..60 of the second hash, the check: out_* 128 clocks after the nonce
// is taken, and the next nonce may be taken on the clock its result is decided.
`resetall
`default_nettype none

module sha256d_serial #(
    // Bits of a work memory slot index (1..)
    parameter SLOT_W = 2,
    // Width of in_meta / out_meta, bits carried with each nonce (1..)
    parameter META_W = 1
) (
    input  wire              clk,
    input  wire              rst,

    // Work memory read port: work_data is the slot work_addr named a clock earlier
    output wire [SLOT_W-1:0] work_addr,
    input  wire [351:0]      work_data,   // {H0..H7, header bytes 64..75}

    // Nonce in: taken on a clock with in_valid and in_ready
    output wire              in_ready,
    input  wire              in_valid,
    input  wire [SLOT_W-1:0] in_slot,
    input  wire [31:0]       in_nonce,
    input  wire [31:0]       in_threshold,
    input  wire [META_W-1:0] in_meta,

    // Result out: registered, one clock per finished nonce
    output wire              out_valid,
    output wire              out_hit,
    output wire [31:0]       out_nonce,
    output wire [META_W-1:0] out_meta
);

// FIPS 180-4 §5.3.3: initial hash value
localparam [255:0] IV = {32'h6a09e667, 32'hbb67ae85, 32'h3c6ef372, 32'ha54ff53a,
                         32'h510e527f, 32'h9b05688c, 32'h1f83d9ab, 32'h5be0cd19};
localparam [31:0] K0 = 32'h428a2f98;
localparam [31:0] PAD = 32'h80000000;

// Steps of a nonce
localparam [2:0] IDLE = 3'd0;
localparam [2:0] LOAD = 3'd1;     // the slot's midstate and tail arrive
localparam [2:0] ROUNDS = 3'd2;   // one round per clock, round_reg
localparam [2:0] FEED = 3'd3;     // first hash's feed-forward, second hash loaded
localparam [2:0] CHECK = 3'd4;    // top word compared with the threshold

reg [2:0]        step_reg = IDLE;
reg              second_reg;       // rounds of the second hash
reg [5:0]        round_reg;        // round computed this clock
reg [223:0]      state_reg;        // {a..g} before the round; h folded into hkw_reg
reg [31:0]       hkw_reg;          // h + K[t] + W[t]; after round 63, h alone
reg [31:0]       k_reg;            // K[t+1], looked up a clock ahead
reg [511:0]      window_reg;       // W[t] (top) .. W[t+15]
reg [SLOT_W-1:0] slot_reg;
reg [31:0]       nonce_reg;
reg [31:0]       threshold_reg;
reg [META_W-1:0] meta_reg;

reg              out_valid_reg = 1'b0;
reg              out_hit_reg;
reg [31:0]       out_nonce_reg;
reg [META_W-1:0] out_meta_reg;

wire take = in_valid && in_ready;
assign work_addr = take ? in_slot : slot_reg;

wire [255:0] midstate = work_data[351:96];
wire [31:0]  w0 = work_data[95:64];
wire [31:0]  w1 = work_data[63:32];
wire [31:0]  w2 = work_data[31:0];
// Header bytes 76..79 hold the nonce little-endian; W3 reads them big-endian.
wire [31:0]  w3 = {nonce_reg[7:0], nonce_reg[15:8], nonce_reg[23:16], nonce_reg[31:24]};

// The round and the next schedule word W[t+16]
wire [255:0] rounded;
sha256_round round_inst (
    .rx_state(state_reg),
    .rx_hkw(hkw_reg),
    .tx_state(rounded)
);

wire [31:0] w_new;
sha256_schedule schedule_inst (
    .rx_w1(window_reg[511:480]),
    .rx_w2(window_reg[479:448]),
    .rx_w10(window_reg[223:192]),
    .rx_w15(window_reg[63:32]),
    .tx_word(w_new)
);

// The round constant is looked up a clock early, off the round's adder path.
localparam [31:0] K1 = 32'h71374491;
wire [31:0] k_after;
sha256_k k_inst (.rx_t(round_reg + 6'd2), .tx_k(k_after));

// The first hash keeps h after round 63 bare for the feed-forward.
wire        first_done = !second_reg && round_reg == 6'd63;
wire        second_done = second_reg && round_reg == 6'd60;
wire [31:0] kw_next = first_done ? 32'd0 : k_reg + window_reg[479:448];

// FIPS 180-4 §6.2.2 step 4: H = H(prev) + state
wire [255:0] digest;
wire [255:0] last_state = {state_reg, hkw_reg};
genvar i;
for (i = 0; i < 8; i = i + 1) begin : g_digest
    assign digest[32*i +: 32] = midstate[32*i +: 32] + last_state[32*i +: 32];
end

// H7 = IV7 + h after round 63 = IV7 + e after round 60; top word = H7 byte-swapped.
wire [31:0] h7 = IV[31:0] + state_reg[95:64];
wire [31:0] top_word = {h7[7:0], h7[15:8], h7[23:16], h7[31:24]};

always @(posedge clk) begin
    out_valid_reg <= 1'b0;
    case (step_reg)
        LOAD: begin
            // First hash, second block: W3 the nonce, W4..W15 padding and length
            state_reg <= midstate[255:32];
            hkw_reg <= midstate[31:0] + K0 + w0;
            window_reg <= {w0, w1, w2, w3, PAD, {10{32'd0}}, 32'd640};
            round_reg <= 6'd0;
            k_reg <= K1;
            second_reg <= 1'b0;
            step_reg <= ROUNDS;
        end
        ROUNDS: begin
            state_reg <= rounded[255:32];
            hkw_reg <= rounded[31:0] + kw_next;
            window_reg <= {window_reg[479:0], w_new};
            round_reg <= round_reg + 6'd1;
            k_reg <= k_after;
            if (first_done) begin
                step_reg <= FEED;
            end
            if (second_done) begin
                step_reg <= CHECK;
            end
        end
        FEED: begin
            // Second hash: one block of the 32-byte digest, W8..W15 padding and length
            state_reg <= IV[255:32];
            hkw_reg <= IV[31:0] + K0 + digest[255:224];
            window_reg <= {digest, PAD, {6{32'd0}}, 32'd256};
            round_reg <= 6'd0;
            k_reg <= K1;
            second_reg <= 1'b1;
            step_reg <= ROUNDS;
        end
        CHECK: begin
            out_valid_reg <= 1'b1;
            out_hit_reg <= top_word <= threshold_reg;
            out_nonce_reg <= nonce_reg;
            out_meta_reg <= meta_reg;
            step_reg <= IDLE;
        end
        default: begin
        end
    endcase
    if (take) begin
        slot_reg <= in_slot;
        nonce_reg <= in_nonce;
        threshold_reg <= in_threshold;
        meta_reg <= in_meta;
        step_reg <= LOAD;
    end

    if (rst) begin
        step_reg <= IDLE;
        out_valid_reg <= 1'b0;
    end
end

assign in_ready = step_reg == IDLE || step_reg == CHECK;
assign out_valid = out_valid_reg;
assign out_hit = out_hit_reg;
assign out_nonce = out_nonce_reg;
assign out_meta = out_meta_reg;

endmodule

`resetall
