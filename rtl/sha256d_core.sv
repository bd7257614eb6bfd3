// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256d_core: double SHA-256 of an 80-byte header per nonce slot.
// A slot is taken on every clock with in_ready high (invalid slots too); its result
// leaves LATENCY clocks later on out_*: out_hit when the hash's top word
// (byte-swapped H7 of the second hash) is <= in_threshold. in_meta rides along.
`resetall
`default_nettype none

module sha256d_core #(
    // Rounds computed per clock per SHA-256 (1..64, a power of two)
    parameter ROUNDS_PER_CLK = 64,
    // Width of in_meta / out_meta, bits carried with each nonce (1..)
    parameter META_W = 1,
    // 1: h + W + K of fixed rounds on one ECP5 carry chain (sha256_add_hkw); 0: portable
    parameter ECP5_CARRY = 0,
    // Block RAMs the message schedules' delays may take, both hashes (0..; ROUNDS_PER_CLK = 64)
    parameter SCHEDULE_BRAMS = 0
) (
    input  wire              clk,
    input  wire              rst,

    // Constants of a work item (from sha256d_precompute). ROUNDS_PER_CLK = 64:
    // the core keeps them, taken on the clock after work_load, which comes on the
    // clock before the item's first nonce; they hold through that clock. Fewer
    // rounds per clock: they are read with every slot and hold while the item's
    // nonces are offered (work_load unused).
    input  wire              work_load,
    input  wire [255:0]      work_midstate,
    input  wire [223:0]      work_state,
    input  wire [31:0]       work_hk3,
    input  wire [31:0]       work_w16,
    input  wire [31:0]       work_w17,
    input  wire [31:0]       work_c18,
    input  wire [31:0]       work_c19,

    // Nonce slot in: taken on each clock with in_ready high
    output wire              in_ready,
    input  wire              in_valid,
    input  wire [31:0]       in_nonce,
    input  wire [31:0]       in_threshold,
    input  wire [META_W-1:0] in_meta,

    // Result out: registered, one clock per finished valid slot
    output wire              out_valid,
    output wire              out_hit,
    output wire [31:0]       out_nonce,
    output wire [META_W-1:0] out_meta
);

if (ROUNDS_PER_CLK != 1 && ROUNDS_PER_CLK != 2 && ROUNDS_PER_CLK != 4 && ROUNDS_PER_CLK != 8
        && ROUNDS_PER_CLK != 16 && ROUNDS_PER_CLK != 32 && ROUNDS_PER_CLK != 64) begin : g_check_rounds
    $error("sha256d_core: ROUNDS_PER_CLK must be a power of two from 1 to 64");
end

// Both hashes run 61 rounds: the first skips rounds 0..2 (precomputed per work
// item), the second stops at round 60, whose e is the final h that H7 needs.
localparam ROUNDS = 61;
localparam STAGES = ROUNDS_PER_CLK >= ROUNDS ? ROUNDS : ROUNDS_PER_CLK;
localparam PASSES = (ROUNDS + STAGES - 1) / STAGES;
localparam RING_LATENCY = STAGES * PASSES;
// A pipeline spans the chip, and the midstate and the nonce enter it at one end
// but leave their delay memories at the other: two registers in front of each
// memory let the placer spread that distance.
localparam DELAY_IN_REGS = PASSES == 1 ? 2 : 0;
// Their reads pass a register too: the memory can sit far from the adder or
// compare that reads it (block RAMs are few and fixed in place).
localparam DELAY_OUT_REGS = PASSES == 1 ? 1 : 0;
// A pipeline's delays are long enough for block RAM; asked for as such, each
// memory is read and written at two addresses that never meet, so synthesis
// adds no logic for a read and a write of one address on one clock.
localparam DELAY_BLOCK = PASSES == 1 ? 1 : 0;

// A pipeline spans the chip. Its inputs pass a register here, beside the stages
// that read them; the work item's words are kept in these registers too, so the
// miner holds no copy whose load enable would have to reach them in one clock.
localparam INPUT_REGS = PASSES == 1;

wire [255:0]      item_midstate;
wire [223:0]      item_state;
wire [31:0]       item_hk3, item_w16, item_w17, item_c18, item_c19;
wire              slot_valid;
wire [31:0]       slot_nonce;
wire [31:0]       slot_threshold;
wire [META_W-1:0] slot_meta;

localparam WORK_W = 640;
localparam SLOT_W = 64 + META_W;
wire [WORK_W-1:0] work = {work_midstate, work_state, work_hk3, work_w16, work_w17,
                          work_c18, work_c19};
wire [WORK_W-1:0] item;
wire [SLOT_W-1:0] offered = {in_nonce, in_threshold, in_meta};
wire [SLOT_W-1:0] taken;

if (INPUT_REGS) begin : g_input_regs
    delay_line #(
        .WIDTH(SLOT_W),
        .DELAY(1)
    ) input_inst (
        .clk(clk),
        .in_data(offered),
        .out_data(taken)
    );

    // valid is reset: a slot offered before a reset must not enter the ring after it.
    // keep: Yosys would merge it with the miner's copy, which feeds its count.
    reg valid_reg = 1'b0;
    (* keep *)
    always @(posedge clk) begin
        valid_reg <= in_valid;
        if (rst) begin
            valid_reg <= 1'b0;
        end
    end
    assign slot_valid = valid_reg;

    // The item's words are taken one clock after work_load, as its first nonce
    // passes its input register. work_load is copied per word: one register's
    // enable net spread over 640 flip-flops would be too slow. keep on the
    // block, not on the register: Yosys would merge the copies otherwise.
    localparam WORDS = WORK_W / 32;
    genvar w;
    for (w = 0; w < WORDS; w = w + 1) begin : g_word
        reg load_reg = 1'b0;
        reg [31:0] word_reg;
        (* keep *)
        always @(posedge clk) begin
            load_reg <= work_load;
        end
        always @(posedge clk) begin
            if (load_reg) begin
                word_reg <= work[32*w +: 32];
            end
        end
        assign item[32*w +: 32] = word_reg;
    end
end else begin : g_inputs
    assign taken = offered;
    assign slot_valid = in_valid;
    assign item = work;

    // The miner holds the words: nothing to load.
    wire unused_work_load = work_load;
end

assign {item_midstate, item_state, item_hk3, item_w16, item_w17, item_c18, item_c19} = item;
assign {slot_nonce, slot_threshold, slot_meta} = taken;

// FIPS 180-4 §5.3.3: initial hash value
localparam [255:0] IV = {32'h6a09e667, 32'hbb67ae85, 32'h3c6ef372, 32'ha54ff53a,
                         32'h510e527f, 32'h9b05688c, 32'h1f83d9ab, 32'h5be0cd19};
localparam [31:0] K0 = 32'h428a2f98;
localparam [31:0] PAD = 32'h80000000;

// Header bytes 76..79 hold the nonce little-endian; W3 reads them big-endian.
wire [31:0] w3 = {slot_nonce[7:0], slot_nonce[15:8], slot_nonce[23:16], slot_nonce[31:24]};

// First hash, second block: W4..W15 are padding and length, W16/W17 per item.
wire [31:0] w18;
sha256_schedule w18_inst (.rx_w1(item_c18), .rx_w2(w3), .rx_w10(32'd0), .rx_w15(32'd0),
                          .tx_word(w18));
wire [31:0] w19 = item_c19 + w3;

wire         ring1_free;
wire         ring1_slot;
wire         ring1_valid;
wire [255:0] ring1_state;

sha256_ring #(
    .STAGES(STAGES),
    .PASSES(PASSES),
    .FIRST(3),
    .LAST(63),
    .ECP5_CARRY(ECP5_CARRY),
    .SCHEDULE_BRAMS((SCHEDULE_BRAMS + 1) / 2),
    .CONST_FIRST(1),   // W4..W15: padding and length
    .CONST_LAST(12)
) ring1_inst (
    .clk(clk),
    .rst(rst),
    .in_free(ring1_free),
    .in_take(ring1_free),
    .in_valid(slot_valid),
    .in_state(item_state),
    .in_hkw(item_hk3 + w3),
    .in_window({PAD, {10{32'd0}}, 32'd640, item_w16, item_w17, w18, w19}),
    .out_slot(ring1_slot),
    .out_valid(ring1_valid),
    .out_state(ring1_state)
);

assign in_ready = ring1_free;

// The midstate meets its slot again at the feed-forward addition.
wire [255:0] midstate_late;
delay_line #(
    .WIDTH(256),
    .DELAY(RING_LATENCY + 1),
    .BLOCK(DELAY_BLOCK),
    .IN_REGS(DELAY_IN_REGS),
    .OUT_REGS(DELAY_OUT_REGS)
) midstate_delay_inst (
    .clk(clk),
    .in_data(item_midstate),
    .out_data(midstate_late)
);

// FIPS 180-4 §6.2.2 step 4: H = H(prev) + state
wire [255:0] digest;
genvar i;
for (i = 0; i < 8; i = i + 1) begin : g_digest
    assign digest[32*i +: 32] = midstate_late[32*i +: 32] + ring1_state[32*i +: 32];
end

// Second hash: one block of the 32-byte digest; W8..W15 padding and length.
wire [31:0] d0 = digest[255:224];
wire [31:0] w16_2;
sha256_schedule w16_2_inst (.rx_w1(d0), .rx_w2(digest[223:192]), .rx_w10(32'd0), .rx_w15(32'd0),
                            .tx_word(w16_2));

wire         ring2_slot;
wire         ring2_valid;
/* verilator lint_off UNUSEDSIGNAL */ // only e after round 60 decides the result
wire [255:0] ring2_state;
/* verilator lint_on UNUSEDSIGNAL */

sha256_ring #(
    .STAGES(STAGES),
    .PASSES(PASSES),
    .FIRST(0),
    .LAST(60),
    .ECP5_CARRY(ECP5_CARRY),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS / 2),
    .CONST_FIRST(8),   // W8..W15: padding and length
    .CONST_LAST(15),
    .OUT_E_ONLY(1)
) ring2_inst (
    .clk(clk),
    .rst(rst),
    /* verilator lint_off PINCONNECTEMPTY */ // ring 2 takes exactly the slots ring 1 frees
    .in_free(),
    /* verilator lint_on PINCONNECTEMPTY */
    .in_take(ring1_slot),
    .in_valid(ring1_valid),
    .in_state(IV[255:32]),
    .in_hkw(IV[31:0] + K0 + d0),
    .in_window({digest[223:0], PAD, {6{32'd0}}, 32'd256, w16_2}),
    .out_slot(ring2_slot),
    .out_valid(ring2_valid),
    .out_state(ring2_state)
);

// Nonce, threshold and meta wait for the slot's second hash.
wire [31:0]       nonce_late;
wire [31:0]       threshold_late;
wire [META_W-1:0] meta_late;
delay_line #(
    .WIDTH(64 + META_W),
    .DELAY(2 * RING_LATENCY + 2),
    .BLOCK(DELAY_BLOCK),
    .IN_REGS(DELAY_IN_REGS),
    .OUT_REGS(DELAY_OUT_REGS)
) meta_delay_inst (
    .clk(clk),
    .in_data({slot_nonce, slot_threshold, slot_meta}),
    .out_data({nonce_late, threshold_late, meta_late})
);

// H7 = IV7 + h after round 63 = IV7 + e after round 60; top word = H7 byte-swapped.
wire [31:0] h7 = IV[31:0] + ring2_state[127:96];
wire [31:0] top_word = {h7[7:0], h7[15:8], h7[23:16], h7[31:24]};

reg              out_valid_reg = 1'b0;
reg              out_hit_reg;
reg [31:0]       out_nonce_reg;
reg [META_W-1:0] out_meta_reg;

always @(posedge clk) begin
    out_valid_reg <= ring2_valid;
    out_hit_reg <= top_word <= threshold_late;
    out_nonce_reg <= nonce_late;
    out_meta_reg <= meta_late;

    if (rst) begin
        out_valid_reg <= 1'b0;
    end
end

// ring2_slot only marks invalid slots too; out_valid already implies it.
wire unused_ring2_slot = ring2_slot;

assign out_valid = out_valid_reg;
assign out_hit = out_hit_reg;
assign out_nonce = out_nonce_reg;
assign out_meta = out_meta_reg;

endmodule

`resetall
