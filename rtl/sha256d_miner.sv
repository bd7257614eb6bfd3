// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256d_miner: CORES sha256d_core pipelines (the pipelines of one
// sha256d_lockstep at one round per clock) sweeping double-buffered work items.
// Work in and events out are valid/ready. The cores take nonces in lockstep
// (core j hashes start + j, start + j + CORES, ...; in header-byte order, those
// counters byte-swapped); a queued item starts on the slot after the running one's
// last nonce. Events: found nonces, then "done" per item, ordered by
// miner_results; one round per clock reads the items' words from work_slots.
`resetall
`default_nettype none

module sha256d_miner #(
    // Rounds per clock per SHA-256 (1..64, power of two)
    parameter ROUNDS_PER_CLK = 1,
    // Parallel cores splitting each range (1..16)
    parameter CORES = 1,
    // Found results buffered per core before further ones are dropped (power of two, 2..)
    parameter RESULT_FIFO_DEPTH = 16,
    // 1: h + W + K of fixed rounds on one ECP5 carry chain (sha256_add_hkw); 0: portable
    parameter ECP5_CARRY = 0,
    // Block RAMs per core for its message schedules' delays: 0.. at ROUNDS_PER_CLK = 64;
    // 0 or 4 at ROUNDS_PER_CLK = 1 (4: the first hash's window, sha256d_lockstep
    // BLOCK_WINDOW); 0 elsewhere
    parameter SCHEDULE_BRAMS = 0,
    // 0: an item comes whole on work_tag .. work_header_order;
    // 1: it comes before work_valid, a byte at a time, on the work_byte port
    parameter WORK_BYTES = 0,
    // 1: at one round per clock, adders of the pipeline on iCE40 UP DSP blocks
    // (sha256d_lockstep ICE40_DSP)
    parameter ICE40_DSP = 0
) (
    input  wire         clk,
    input  wire         rst,

    // Work in: one item runs, one waits
    input  wire         work_valid,
    output wire         work_ready,
    input  wire [7:0]   work_tag,
    input  wire [255:0] work_midstate,    // {H0, H1, ..., H7}
    input  wire [95:0]  work_tail,        // header bytes 64..75; byte 64 in [95:88]
    // WORK_BYTES: byte work_byte_index (0 first) of the next item offered, laid out
    // {tag, midstate, tail, nonce_start, nonce_end, threshold, flags (bit 0: header
    // order)} (the WORK payload, docs/protocol.md); the bytes of an item come in
    // order, from its tag (0) to its flags (57). work_bytes_lost: a byte of the
    // bytes since the last tag came while an item was queued, and was not kept;
    // work_bad_range: the bytes' range ends before it starts.
    input  wire         work_byte_valid,
    input  wire [5:0]   work_byte_index,
    input  wire [7:0]   work_byte_data,
    output wire         work_bytes_lost,
    output wire         work_bad_range,
    input  wire [31:0]  work_nonce_start,
    input  wire [31:0]  work_nonce_end,   // inclusive, >= start
    input  wire [31:0]  work_threshold,   // report when the hash's top word is <= it
    input  wire         work_header_order, // hash counter c as nonce bswap(c) (Icarus order)
    input  wire         flush,            // abandon running and queued work

    // Events, in order: found nonces of an item, then its "range done"
    output wire         event_valid,
    input  wire         event_ready,
    output wire         event_done,       // 1 = range done, 0 = found nonce
    output wire [7:0]   event_tag,
    output wire [31:0]  event_nonce,
    output wire         found_dropped,    // high one clock per found result lost

    // Status
    output wire         busy,             // a work item is running or its nonces in flight
    output wire         queued,           // a work item waits
    output wire [7:0]   current_tag,      // running item's tag (last one run when idle)
    output wire [63:0]  nonces_hashed     // nonces hashed since reset, all cores
);

if (CORES < 1 || CORES > 16) begin : g_check_cores
    $error("sha256d_miner: CORES must be 1..16");
end
if (ROUNDS_PER_CLK == 1 && SCHEDULE_BRAMS != 0 && SCHEDULE_BRAMS != 4) begin : g_check_brams
    $error("sha256d_miner: SCHEDULE_BRAMS must be 0 or 4 at one round per clock");
end

// Items whose last nonce has been issued but whose done event is not yet out
localparam DONE_DEPTH = 8;
localparam OUT_W = $clog2(DONE_DEPTH + 1);
// Item sequence numbers order found results against done events; twice the
// span of items that can be buffered at once, so the "newer" test never wraps.
localparam SEQ_W = $clog2(RESULT_FIFO_DEPTH + DONE_DEPTH + 2) + 1;
localparam META_W = 1 + SEQ_W + 8;   // {last, seq, tag}: miner_results core_meta
localparam [31:0] CORES_W32 = 32'(CORES);
// A full pipeline spans the chip: the control at its input end (queue, precompute,
// issue, credit count) and at its output end (result FIFOs, events, counts) are
// kept apart, and the two pulses from the output end back to the input end pass
// this many registers: the longer the chain, the less the placer pulls the two
// ends' logic together, and the more clocks it has to cross.
localparam CROSS_REGS = ROUNDS_PER_CLK == 64 ? 4 : 0;
// WORK_BYTES: the item's bytes: tag, midstate and tail, range and threshold, flags
localparam [5:0] B_WORDS = 6'd1;
localparam WORK_WORD_BYTES = (256 + 96) / 8;
localparam [5:0] B_RANGE = 6'd45;
localparam [5:0] B_FLAGS = 6'd57;

// Queued item (its midstate and tail are kept by the work path below)
wire        queued_valid;
reg [7:0]   queued_tag_reg;
reg [31:0]  queued_start_nonce_reg;
reg [31:0]  queued_remaining_reg;   // nonces of the range after its first
reg [31:0]  queued_end_nonce_reg;   // WORK_BYTES: the range's end, in place of queued_remaining_reg
wire        queued_fields_held;   // see below
reg         bytes_lost_reg = 1'b0;
wire [31:0] queued_remaining = WORK_BYTES != 0 ? queued_end_nonce_reg - queued_start_nonce_reg : queued_remaining_reg;
reg [31:0]  queued_threshold_reg;
reg         queued_order_reg;
wire        queued_ready;   // the queued item can start

// Running item
reg             running_active_reg = 1'b0;
reg [7:0]       running_tag_reg = 8'd0;
reg [SEQ_W-1:0] running_seq_reg;
reg [31:0]      running_next_reg;
reg [31:0]      running_remaining_reg;   // nonces of the range after running_next_reg
// running_remaining_reg < CORES, kept as a flag: a 32-bit compare in front of the
// issue logic is the longest path of the one-round-per-clock designs.
reg             running_last_reg;
reg             running_penult_reg;   // running_remaining_reg < 2 * CORES, running_last_reg's next flag
reg [31:0]      running_threshold_reg;
reg             running_order_reg;       // header-byte order

reg [SEQ_W-1:0] seq_reg = {SEQ_W{1'b0}};
reg [OUT_W-1:0] outstanding_reg = {OUT_W{1'b0}};
reg [7:0]       inflight_reg = 8'd0;

wire [CORES-1:0] core_ready;
wire [CORES-1:0] core_out_valid;
wire [CORES-1:0] core_out_hit;
wire [31:0]      core_out_nonce [0:CORES-1];
wire [META_W-1:0] core_out_meta [0:CORES-1];

// Issue: one nonce per core on each free slot of the (lockstep) cores. Ranges and
// the issue counter stay in counter space; in header-byte order the nonce a core
// hashes (and reports) is the counter with its bytes swapped.
function automatic [31:0] issued(input [31:0] counter, input order);
    issued = order ? {counter[7:0], counter[15:8], counter[23:16], counter[31:24]} : counter;
endfunction
wire        last_group = running_last_reg;
// full_reg is outstanding_reg == DONE_DEPTH, kept as a register: the compare
// sits far away, by the done queue, and stall gates load's wide enable.
reg         full_reg = 1'b0;
wire        stall = last_group && full_reg;
wire        issue = running_active_reg && core_ready[0] && !stall;
wire        finish = issue && last_group;
wire        load;
wire        fields_load;  // load, for the running item's fields
wire        words_load;   // load, for the item's word copies

wire accept = work_valid && work_ready;
// A work item offered with flush is kept: it comes after the flush.
wire queued_valid_next = !rst && (accept || (queued_valid && !load && !flush));
wire [CORES-1:0] core_valid;
genvar j;

// Next values of load's inputs (as the registers below take them)
wire queued_ready_next;
wire running_active_next = !rst && !flush && (load || (running_active_reg && !finish));
wire queued_last;     // queued_remaining_reg < CORES
wire queued_penult;   // queued_remaining_reg < 2 * CORES
// load's decision reads flags only: the compares that set them are a clock ahead.
wire running_last_next = load ? queued_last
                 : issue && !last_group ? running_penult_reg
                 : running_last_reg;
wire running_penult_next = load ? queued_penult
                   : issue && !last_group ? running_remaining_reg < 3 * CORES_W32
                   : running_penult_reg;
wire full_next;

if (CROSS_REGS > 0) begin : g_load_reg
    // load enables the running item's registers, the queue's and the core's
    // copies, which a full pipeline spreads apart: it comes from a register,
    // decided a clock ahead from its inputs' next values, so no path carries
    // the decision's logic and that spread in one clock. A full pipeline takes
    // a slot on every clock (core_ready is always high), which makes that possible.
    // The running item's fields (nonce, count, threshold, tag), by the core's
    // input, and the queue's and the core's word copies read copies of their own
    // (kept_reg: Yosys would merge them), which the placer can put between
    // them and the decision.
    wire load_next = queued_ready_next && (!running_active_next || (running_last_next && !full_next));
    kept_reg load_copy_inst (.clk(clk), .rst(1'b0), .in(load_next), .out(load));
    kept_reg fields_load_copy_inst (.clk(clk), .rst(1'b0), .in(load_next), .out(fields_load));
    kept_reg words_load_copy_inst (.clk(clk), .rst(1'b0), .in(load_next), .out(words_load));
    wire unused_queued_ready = queued_ready;

    // The queued range's flags, registered: the queue holds from the clock
    // after accept, and load comes at least two clocks after accept.
    reg queued_last_reg;
    reg queued_penult_reg;
    always @(posedge clk) begin
        queued_last_reg <= queued_remaining < CORES_W32;
        queued_penult_reg <= queued_remaining < 2 * CORES_W32;
    end
    assign queued_last = queued_last_reg;
    assign queued_penult = queued_penult_reg;
end else begin : g_load_now
    assign load = queued_ready && (!running_active_reg || finish);
    assign fields_load = load;
    assign words_load = load;
    wire unused_queued_ready_next = queued_ready_next;
    if (WORK_BYTES != 0) begin : g_flags_reg
        // The queued range's flags, registered, off the path from the range's
        // subtraction into load: the fields' last byte comes bytes before accept.
        reg queued_last_reg;
        reg queued_penult_reg;
        always @(posedge clk) begin
            queued_last_reg <= queued_remaining < CORES_W32;
            queued_penult_reg <= queued_remaining < 2 * CORES_W32;
        end
        assign queued_last = queued_last_reg;
        assign queued_penult = queued_penult_reg;
    end else begin : g_flags_now
        assign queued_last = queued_remaining < CORES_W32;
        assign queued_penult = queued_remaining < 2 * CORES_W32;
    end
end

if (ROUNDS_PER_CLK == 1) begin : g_lockstep
    // One round per clock: the cores are the pipelines of one sha256d_lockstep
    // (two round units each, one per hash), which read their nonces' midstate and
    // tail from a memory of work slots (block RAM), so neither the queued nor the
    // running item holds them in registers. Item n goes to slot n mod 4: when it
    // is written, item n - 1 is running and the cores finish at most item n - 2,
    // so slot n - 4 is free.
    localparam SLOT_W = 2;
    wire [SLOT_W-1:0] read_addr;
    wire [351:0]      read_data;
    wire [SLOT_W-1:0] running_slot;

    // WORK_BYTES: the next item's bytes are written into its slot as they come,
    // before it is offered; that slot is free whether or not the queue is.
    work_slots #(
        .SLOT_W(SLOT_W),
        .WORK_BYTES(WORK_BYTES),
        .FIRST_BYTE(B_WORDS)
    ) slots_inst (
        .clk(clk),
        .rst(rst),
        .accept(accept),
        .words({work_midstate, work_tail}),
        .byte_valid(work_byte_valid),
        .byte_index(work_byte_index),
        .byte_data(work_byte_data),
        .load(load),
        .running_slot(running_slot),
        .read_addr(read_addr),
        .read_data(read_data)
    );

    assign queued_ready = queued_valid;
    assign queued_ready_next = queued_valid_next;
    // The slots' memory holds the words: nothing to copy.
    wire unused_words_load = words_load;

    wire               group_ready;
    wire [32*CORES-1:0] group_nonce;
    wire [32*CORES-1:0] group_out_nonce;
    wire [META_W-1:0]   group_out_meta;
    for (j = 0; j < CORES; j = j + 1) begin : g_core
        assign core_ready[j] = group_ready;
        assign group_nonce[32*j +: 32] = issued(running_next_reg + 32'(j), running_order_reg);
        assign core_out_nonce[j] = group_out_nonce[32*j +: 32];
        assign core_out_meta[j] = group_out_meta;
    end

    sha256d_lockstep #(
        .CORES(CORES),
        .SLOT_W(SLOT_W),
        .META_W(META_W),
        .BLOCK_WINDOW(SCHEDULE_BRAMS != 0 ? 1 : 0),
        .ICE40_DSP(ICE40_DSP)
    ) lockstep_inst (
        .clk(clk),
        .rst(rst),
        .work_addr(read_addr),
        .work_data(read_data),
        .in_ready(group_ready),
        .in_valid(core_valid),
        .in_slot(running_slot),
        .in_nonce(group_nonce),
        .in_threshold(running_threshold_reg),
        .in_meta({last_group, running_seq_reg, running_tag_reg}),
        .out_valid(core_out_valid),
        .out_hit(core_out_hit),
        .out_nonce(group_out_nonce),
        .out_meta(group_out_meta)
    );
end else begin : g_rings
    // Several rounds per clock: rings of round stages take a nonce on every free
    // slot; rounds 0..2 and the nonce-free schedule words are computed once per item.
    // sha256d_precompute's outputs are valid this many clocks after its start
    localparam PRECOMPUTE_LATENCY = 5;
    reg         queued_start_reg = 1'b0;
    reg [2:0]   pre_wait_reg = 3'd0;   // clocks until the precompute's outputs are valid
    reg         pre_done_reg = 1'b0;
    wire [255:0] queued_midstate;
    wire [95:0]  queued_tail;
    wire [255:0] item_midstate;
    wire [223:0] item_state;
    wire [31:0]  item_hk3, item_w16, item_w17, item_c18, item_c19;

    wire [223:0] pre_state;
    wire [31:0]  pre_hk3, pre_w16, pre_w17, pre_c18, pre_c19;

    sha256d_precompute precompute_inst (
        .clk(clk),
        .rst(rst),
        .start(queued_start_reg),
        .midstate(queued_midstate),
        .tail(queued_tail),
        .out_state(pre_state),
        .out_hk3(pre_hk3),
        .out_w16(pre_w16),
        .out_w17(pre_w17),
        .out_c18(pre_c18),
        .out_c19(pre_c19)
    );

    // The precompute is timed here, beside the load decision, not asked: it
    // may sit across the chip. A newer item restarts both.
    wire [2:0] pre_wait_next = accept ? 3'(PRECOMPUTE_LATENCY)
                             : pre_wait_reg - 3'(pre_wait_reg != 3'd0);
    always @(posedge clk) begin
        queued_start_reg <= accept;
        pre_wait_reg <= pre_wait_next;
        pre_done_reg <= pre_wait_next == 3'd0;
        if (rst) begin
            queued_start_reg <= 1'b0;
            pre_wait_reg <= 3'd0;
            pre_done_reg <= 1'b0;
        end
    end

    assign queued_ready = queued_valid && pre_done_reg;
    assign queued_ready_next = queued_valid_next && !rst && pre_wait_next == 3'd0;

    // The queue's words follow the input while it is empty and hold once an
    // item is accepted. They sit by the precompute, so each word's enable is its
    // own copy of queued_valid, computed from itself as queued_valid is, so
    // that no logic is shared with the load decision far away (kept_reg: Yosys would
    // merge the copies).
    localparam Q_WORDS = (256 + 96) / 32;
    wire [351:0] queued_offered;
    if (WORK_BYTES != 0) begin : g_work_bytes
        // the bytes are put together here, as the queue may hold an item
        reg [351:0] offered_reg;
        integer b;
        always @(posedge clk) begin
            for (b = 0; b < WORK_WORD_BYTES; b = b + 1) begin
                if (work_byte_valid && work_byte_index == B_WORDS + 6'(b)) begin
                    offered_reg[351 - 8 * b -: 8] <= work_byte_data;
                end
            end
        end
        assign queued_offered = offered_reg;
        /* verilator lint_off UNUSEDSIGNAL */
        wire [351:0] unused_words = {work_midstate, work_tail};
        /* verilator lint_on UNUSEDSIGNAL */
    end else begin : g_work_words
        assign queued_offered = {work_midstate, work_tail};
        /* verilator lint_off UNUSEDSIGNAL */
        wire [14:0] unused_byte = {work_byte_valid, work_byte_index, work_byte_data};
        /* verilator lint_on UNUSEDSIGNAL */
    end
    wire [351:0] queued_words;
    genvar k;
    for (k = 0; k < Q_WORDS; k = k + 1) begin : g_q_word
        wire       held;
        reg [31:0] word_reg;
        kept_reg held_copy_inst (
            .clk(clk),
            .rst(1'b0),
            .in(!rst && (work_valid || held) && !(held && (words_load || flush))),
            .out(held)
        );
        always @(posedge clk) begin
            if (!held) begin
                word_reg <= queued_offered[32*k +: 32];
            end
        end
        assign queued_words[32*k +: 32] = word_reg;
    end
    assign {queued_midstate, queued_tail} = queued_words;

    // The item's words as the core reads them: {midstate, a..g, h + K3, W16, W17, C18, C19}
    wire [639:0] pre_item = {queued_midstate, pre_state, pre_hk3, pre_w16, pre_w17, pre_c18, pre_c19};
    wire [639:0] item;
    if (ROUNDS_PER_CLK == 64) begin : g_core_keeps_item
        // A full pipeline keeps the item's words itself, beside the stages that
        // read them: they come straight from the queue and the precompute, which
        // hold them through the clock after load (the next item is accepted then
        // at the earliest and starts its precompute one clock later).
        assign item = pre_item;
    end else begin : g_item_regs
        // The rings read the item's words with every slot: the running item's are held here.
        reg [639:0] running_item_reg;
        always @(posedge clk) begin
            if (load) begin
                running_item_reg <= pre_item;
            end
        end
        assign item = running_item_reg;
    end
    assign {item_midstate, item_state, item_hk3, item_w16, item_w17, item_c18, item_c19} = item;

    for (j = 0; j < CORES; j = j + 1) begin : g_core
        sha256d_core #(
            .ROUNDS_PER_CLK(ROUNDS_PER_CLK),
            .META_W(META_W),
            .ECP5_CARRY(ECP5_CARRY),
            .SCHEDULE_BRAMS(SCHEDULE_BRAMS)
        ) core_inst (
            .clk(clk),
            .rst(rst),
            .work_load(words_load),
            .work_midstate(item_midstate),
            .work_state(item_state),
            .work_hk3(item_hk3),
            .work_w16(item_w16),
            .work_w17(item_w17),
            .work_c18(item_c18),
            .work_c19(item_c19),
            .in_ready(core_ready[j]),
            .in_valid(core_valid[j]),
            .in_nonce(issued(running_next_reg + 32'(j), running_order_reg)),
            .in_threshold(running_threshold_reg),
            .in_meta({last_group, running_seq_reg, running_tag_reg}),
            .out_valid(core_out_valid[j]),
            .out_hit(core_out_hit[j]),
            .out_nonce(core_out_nonce[j]),
            .out_meta(core_out_meta[j])
        );
    end
end

// Core 0 always has a nonce in an issued group; the others only up to the end.
for (j = 0; j < CORES; j = j + 1) begin : g_valid
    if (j == 0) begin : g_first
        assign core_valid[j] = issue;
    end else begin : g_rest
        assign core_valid[j] = issue && 32'(j) <= running_remaining_reg;
    end
end

always @(posedge clk) begin
    if (issue && !last_group) begin
        running_next_reg <= running_next_reg + CORES_W32;
        running_remaining_reg <= running_remaining_reg - CORES_W32;
    end
    running_active_reg <= running_active_next;
    running_last_reg <= running_last_next;
    running_penult_reg <= running_penult_next;
    if (fields_load) begin
        running_tag_reg <= queued_tag_reg;
        running_seq_reg <= seq_reg;
        seq_reg <= seq_reg + 1'b1;
        running_next_reg <= queued_start_nonce_reg;
        running_remaining_reg <= queued_remaining;
        running_threshold_reg <= queued_threshold_reg;
        running_order_reg <= queued_order_reg;
    end
    if (WORK_BYTES != 0) begin
        // the fields take their bytes while no item is queued
        if (work_byte_valid && !queued_fields_held) begin
            if (work_byte_index == 6'd0) begin
                queued_tag_reg <= work_byte_data;
            end
            if (work_byte_index >= B_RANGE && work_byte_index < B_FLAGS) begin
                {queued_start_nonce_reg, queued_end_nonce_reg, queued_threshold_reg} <=
                    {queued_start_nonce_reg[23:0], queued_end_nonce_reg, queued_threshold_reg, work_byte_data};
            end
            if (work_byte_index == B_FLAGS) begin
                queued_order_reg <= work_byte_data[0];
            end
        end
        if (work_byte_valid) begin
            bytes_lost_reg <= queued_fields_held || (bytes_lost_reg && work_byte_index != 6'd0);
        end
    end else if (!queued_fields_held) begin
        queued_tag_reg <= work_tag;
        queued_start_nonce_reg <= work_nonce_start;
        queued_remaining_reg <= work_nonce_end - work_nonce_start;
        queued_threshold_reg <= work_threshold;
        queued_order_reg <= work_header_order;
    end

    if (rst) begin
        running_tag_reg <= 8'd0;
        seq_reg <= {SEQ_W{1'b0}};
        bytes_lost_reg <= 1'b0;
    end
end

assign work_ready = !queued_valid;
assign work_bytes_lost = bytes_lost_reg;
assign work_bad_range = WORK_BYTES != 0 ? queued_end_nonce_reg < queued_start_nonce_reg
                                        : work_nonce_end < work_nonce_start;

// The queued range's fields follow the input while the queue is empty and
// hold once an item is accepted, enabled by a copy of queued_valid of their
// own, computed from itself as queued_valid is: they sit by the input, the
// load decision that queued_valid feeds may not (kept_reg: Yosys would merge them).
kept_reg fields_held_copy_inst (
    .clk(clk),
    .rst(1'b0),
    .in(!rst && (work_valid || queued_fields_held) && !(queued_fields_held && (load || flush))),
    .out(queued_fields_held)
);

// Kept: Yosys would otherwise merge it with the queue words' copies of it, which
// sit by the words, far from the load decision that reads it.
kept_reg valid_copy_inst (.clk(clk), .rst(1'b0), .in(queued_valid_next), .out(queued_valid));

// Results and events
wire done_pop;
wire slot_out;
wire [32*CORES-1:0]     core_out_nonce_flat;
wire [META_W*CORES-1:0] core_out_meta_flat;
for (j = 0; j < CORES; j = j + 1) begin : g_flat
    assign core_out_nonce_flat[32*j +: 32] = core_out_nonce[j];
    assign core_out_meta_flat[META_W*j +: META_W] = core_out_meta[j];
end

miner_results #(
    .CORES(CORES),
    .SEQ_W(SEQ_W),
    .RESULT_FIFO_DEPTH(RESULT_FIFO_DEPTH),
    .DONE_DEPTH(DONE_DEPTH),
    // a full pipeline's last stage may sit far from the result FIFOs
    .RESULT_REGS(CROSS_REGS > 0 ? 2 : 1)
) results_inst (
    .clk(clk),
    .rst(rst),
    .core_valid(core_out_valid),
    .core_hit(core_out_hit),
    .core_nonce(core_out_nonce_flat),
    .core_meta(core_out_meta_flat),
    .event_valid(event_valid),
    .event_ready(event_ready),
    .event_done(event_done),
    .event_tag(event_tag),
    .event_nonce(event_nonce),
    .slot_out(slot_out),
    .done_out(done_pop),
    .found_dropped(found_dropped),
    .nonces_hashed(nonces_hashed)
);

// A done event's pop frees its credit, and a finished slot leaves the in-flight
// count, CROSS_REGS clocks late: counted late, both only err high, so a late
// credit never lets the done queue overflow.
wire done_pop_back;
wire out_valid_back;
pulse_delay #(
    .WIDTH(2),
    .DELAY(CROSS_REGS)
) cross_delay_inst (
    .clk(clk),
    .rst(rst),
    .in({done_pop, slot_out}),
    .out({done_pop_back, out_valid_back})
);

// An issued group enters the in-flight count through a register: the count is
// pulled towards the output end by its late decrement, and would pull the
// issue logic with it.
// Kept: Yosys would merge it with the core's input valid, far from the count.
wire issue_counted;
kept_reg issued_copy_inst (.clk(clk), .rst(rst), .in(issue), .out(issue_counted));

wire [7:0] inflight_next = inflight_reg + 8'(issue_counted) - 8'(out_valid_back);

wire [OUT_W-1:0] outstanding_next = outstanding_reg + OUT_W'(finish) - OUT_W'(done_pop_back);
assign full_next = !rst && outstanding_next == OUT_W'(DONE_DEPTH);

always @(posedge clk) begin
    outstanding_reg <= outstanding_next;
    full_reg <= full_next;
    inflight_reg <= inflight_next;

    if (rst) begin
        outstanding_reg <= {OUT_W{1'b0}};
        full_reg <= 1'b0;
        inflight_reg <= 8'd0;
    end
end

// Lockstep: every core frees its slot on the same clock as core 0.
wire unused_core_ready = ^core_ready;

// busy as a register, the value the three terms take on the next clock.
reg busy_reg = 1'b0;
always @(posedge clk) begin
    busy_reg <= running_active_next || (!rst && (issue || inflight_next != 8'd0));
end
assign busy = busy_reg;
assign queued = queued_valid;
assign current_tag = running_tag_reg;

endmodule

`resetall
