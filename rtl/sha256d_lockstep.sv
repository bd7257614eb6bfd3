// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256d_lockstep: CORES double-SHA-256 pipelines at one round per clock, for
// small FPGAs. A pipeline has two round units, one per hash: the first hashes
// the header's second block of one nonce while the second hashes the digest of
// the nonce before it. Both step through the same round index on the same
// clock, so the round constant, the work item and the control are shared by
// every unit; each pipeline finishes a nonce every PERIOD clocks.
//
// A period, by the counter cnt (0 .. PERIOD - 1):
//   cnt 0       load: the first unit takes its nonce's midstate, the second
//               starts its block from the initial hash value
//   cnt 1..64   round cnt - 1 in both units
// Each unit keeps its message schedule as a 16-word window that shifts on every
// clock; W[j] enters on cnt j - 15 (mod PERIOD), so once a unit's rounds no
// longer need new schedule words, the next nonce's message words stream in.
// The second block's W0..W7 are the first hash's feed-forward (FIPS 180-4
// §6.2.2 step 4: H = H(prev) + state after round 63): two adders, one on the
// first unit's a and one on its e, add a midstate word to each of a's and e's
// last four values as the rounds produce them (cnt 62..64, 0) and put the sums
// straight into the second unit's window, at the position from which the
// shifts carry them to theirs.
// The second hash is only checked as far as it needs: H7 = IV7 + e after round
// 60, compared with the threshold two clocks later.
//
// Nonces are taken for all pipelines at once, on the clock in_ready is high
// (once per period), with the slot of the work memory that holds their item's
// midstate and tail; the memory is read through work_addr / work_data
// (registered read, one clock late) at fixed points of the period. A nonce's
// result leaves on out_* about two periods after it is taken.
`resetall
`default_nettype none

module sha256d_lockstep #(
    // Parallel pipelines (1..)
    parameter CORES = 1,
    // Bits of a work memory slot index (1..)
    parameter SLOT_W = 2,
    // Width of in_meta / out_meta, bits carried with each group of nonces (1..)
    parameter META_W = 1,
    // 1: the middle of each first-hash window (W[r+3] .. W[r+13]) in block RAM,
    // four per pipeline; 0: flip-flops
    parameter BLOCK_WINDOW = 0,
    // 1: seven of each pipeline's 32-bit adders on iCE40 UP DSP blocks (add32)
    parameter ICE40_DSP = 0
) (
    input  wire                  clk,
    input  wire                  rst,

    // Work memory read port: work_data is the slot work_addr named a clock earlier
    output wire [SLOT_W-1:0]     work_addr,
    input  wire [351:0]          work_data,   // {H0..H7, header bytes 64..75}

    // Nonces in: one per pipeline, taken on the clock in_ready is high
    output wire                  in_ready,
    input  wire [CORES-1:0]      in_valid,    // per pipeline; low: its slot stays empty
    input  wire [SLOT_W-1:0]     in_slot,
    input  wire [32*CORES-1:0]   in_nonce,    // pipeline j's nonce in [32*j +: 32]
    input  wire [31:0]           in_threshold,
    input  wire [META_W-1:0]     in_meta,

    // Results: registered, out_valid high one clock per finished nonce
    output wire [CORES-1:0]      out_valid,
    output wire [CORES-1:0]      out_hit,
    output wire [32*CORES-1:0]   out_nonce,
    output wire [META_W-1:0]     out_meta     // shared by the group
);

if (CORES < 1 || BLOCK_WINDOW > 1 || ICE40_DSP > 1) begin : g_check_params
    $error("sha256d_lockstep: CORES must be at least 1, BLOCK_WINDOW and ICE40_DSP 0 or 1");
end
if (ICE40_DSP != 0 && CORES > 1) begin : g_check_dsp
    $error("sha256d_lockstep: ICE40_DSP takes seven of the UP5K's eight DSPs: one pipeline");
end

// FIPS 180-4 §5.3.3: initial hash value
localparam [255:0] IV = {32'h6a09e667, 32'hbb67ae85, 32'h3c6ef372, 32'ha54ff53a,
                         32'h510e527f, 32'h9b05688c, 32'h1f83d9ab, 32'h5be0cd19};
localparam [31:0] K0 = 32'h428a2f98;
localparam [31:0] PAD = 32'h80000000;
// Message lengths in bits: the header's 80 bytes, the digest's 32
localparam [31:0] LEN1 = 32'd640;
localparam [31:0] LEN2 = 32'd256;

// Clocks per nonce and pipeline: a load and 64 rounds
localparam PERIOD = 65;
localparam [6:0] LAST = 7'(PERIOD - 1);
// The counter values of the period's events (see the header)
localparam [6:0] ISSUE = 7'd48;       // nonces taken
localparam [6:0] MSG1_FIRST = 7'd50;  // W0 of the next first-hash block enters
localparam [6:0] NONCE_AT = 7'd53;    // W3, the nonce, enters
localparam [6:0] MSG2_FIRST = 7'd58;  // W8 of the next second-hash block enters
localparam [6:0] SUM_H7 = 7'd62;      // e after round 60 is in the second unit
localparam [6:0] COMPARE = 7'd63;
localparam [6:0] FF_FIRST = 7'd62;    // a after round 60 is in the first unit
// The memory presents the feed-forward's item on cnt FF_FIRST - 1 .. LAST,
// the first unit's item on the other clocks.
localparam [6:0] FF_READ = FF_FIRST - 7'd2;

// ---------------------------------------------------------------------------
// Shared control: the counter and flags decoded a clock ahead, the round
// constant, and the message words common to every pipeline.
reg  [6:0] cnt_reg = 7'd0;
wire [6:0] cnt_next = cnt_reg == LAST ? 7'd0 : cnt_reg + 7'd1;

reg        ready_reg = 1'b0;
reg        load_reg = 1'b0;        // cnt 0
reg        sched1_reg = 1'b0;      // cnt 1..49: the first unit's window takes schedule words
reg        nonce1_reg = 1'b0;      // cnt NONCE_AT
reg        sched2_reg = 1'b0;      // cnt 1..57: the second unit's window takes schedule words
reg        sum_h7_reg = 1'b0;
reg        compare_reg = 1'b0;
reg        ff_read_reg = 1'b0;     // cnt FF_READ .. LAST - 1: address the feed-forward's item
reg [31:0] ffa_reg;                // midstate word added to a: H3, H2, H1, H0 on cnt 62..64, 0
reg [31:0] ffe_reg;                // midstate word added to e: H7, H6, H5, H4
// Second unit's window positions that take a's (inj_a) or e's (inj_e) sum this
// clock instead of shifting: a word put at position k + n, n shifts before cnt 1,
// is at position k in round 0.
reg [15:0] inj_a_reg = 16'd0;
reg [15:0] inj_e_reg = 16'd0;
reg [31:0] k_reg;                  // K[r + 2] in the clock of round r; K0 at cnt 64, K1 at 0
// The index of the K that k_reg takes next: a counter rather than a decode of
// cnt_next, so the K table is a function of six register bits.
reg [5:0]  k_index_reg = 6'd2;
reg [31:0] msg1_reg;               // the first block's word entering now (not the nonce)
reg [31:0] msg2_reg;               // the second block's constant word entering now


// Header bytes 64..75 (W0..W2) of the item the memory presents
wire [31:0] tail0 = work_data[95:64];
wire [31:0] tail1 = work_data[63:32];
wire [31:0] tail2 = work_data[31:0];

always @(posedge clk) begin
    cnt_reg <= cnt_next;
    ready_reg <= cnt_next == ISSUE;
    load_reg <= cnt_next == 7'd0;
    sched1_reg <= cnt_next >= 7'd1 && cnt_next < MSG1_FIRST;
    nonce1_reg <= cnt_next == NONCE_AT;
    sched2_reg <= cnt_next >= 7'd1 && cnt_next < MSG2_FIRST;
    sum_h7_reg <= cnt_next == SUM_H7;
    compare_reg <= cnt_next == COMPARE;
    ff_read_reg <= cnt_next >= FF_READ && cnt_next < LAST;
    // On cnt 62 + n (n = 0..3, cnt 0 for n = 3) a holds a after round 60 + n,
    // whose sum is W[3 - n]; e likewise gives W[7 - n]. Each goes to position
    // W's index + (3 - n), the shifts left until cnt 1.
    inj_a_reg <= 16'd0;
    inj_e_reg <= 16'd0;
    case (cnt_next)
        FF_FIRST: begin
            inj_a_reg[6] <= 1'b1;
            inj_e_reg[10] <= 1'b1;
        end
        FF_FIRST + 1: begin
            inj_a_reg[4] <= 1'b1;
            inj_e_reg[8] <= 1'b1;
        end
        FF_FIRST + 2: begin
            inj_a_reg[2] <= 1'b1;
            inj_e_reg[6] <= 1'b1;
        end
        7'd0: begin
            inj_a_reg[0] <= 1'b1;
            inj_e_reg[4] <= 1'b1;
        end
        default: begin
        end
    endcase
    // The midstate words of the clock after next, from the memory's present word
    case (cnt_next)
        FF_FIRST: begin
            ffa_reg <= work_data[255:224];   // H3
            ffe_reg <= work_data[127:96];    // H7
        end
        FF_FIRST + 1: begin
            ffa_reg <= work_data[287:256];   // H2
            ffe_reg <= work_data[159:128];   // H6
        end
        FF_FIRST + 2: begin
            ffa_reg <= work_data[319:288];   // H1
            ffe_reg <= work_data[191:160];   // H5
        end
        default: begin
            ffa_reg <= work_data[351:320];   // H0
            ffe_reg <= work_data[223:192];   // H4
        end
    endcase
    // k_reg on counter value c holds K[t], t = c + 1 (the load, c = 0, comes
    // before round 0; the value on cnt 63 is never used, and 0 on cnt 64).
    // k_index_reg is a clock ahead of it: it counts up with cnt and holds on
    // cnt 62, so that the period of 65 clocks fits the 64 indices.
    k_reg <= sha256_pkg::round_k(k_index_reg);
    if (!sum_h7_reg) begin
        k_index_reg <= k_index_reg + 6'd1;
    end
    // W[j] enters on cnt j - 15 (mod PERIOD): W0..W14 on cnt 50..64, W15 on cnt 0
    case (cnt_next)
        MSG1_FIRST:      msg1_reg <= tail0;
        MSG1_FIRST + 1:  msg1_reg <= tail1;
        MSG1_FIRST + 2:  msg1_reg <= tail2;
        MSG1_FIRST + 4:  msg1_reg <= PAD;
        7'd0:            msg1_reg <= LEN1;
        default:         msg1_reg <= 32'd0;
    endcase
    case (cnt_next)
        MSG2_FIRST:      msg2_reg <= PAD;
        7'd0:            msg2_reg <= LEN2;
        default:         msg2_reg <= 32'd0;
    endcase
    if (rst) begin
        cnt_reg <= 7'd0;
        ready_reg <= 1'b0;
        k_index_reg <= 6'd2;
        sum_h7_reg <= 1'b0;
    end
end

// Nonces in: taken on ISSUE, held through the next load, then passed on
// with their hash: issue -> first unit (load) -> second unit (next load).
reg [SLOT_W-1:0] slot_reg;
reg [SLOT_W-1:0] slot_1_reg;   // the first unit's item
reg [CORES-1:0]  valid_in_reg = {CORES{1'b0}};
reg [CORES-1:0]  valid_1_reg = {CORES{1'b0}};
reg [CORES-1:0]  valid_2_reg = {CORES{1'b0}};
reg [31:0]       thr_in_reg, thr_1_reg, thr_2_reg;
reg [META_W-1:0] meta_in_reg, meta_1_reg, meta_2_reg;

assign in_ready = ready_reg;
assign work_addr = ready_reg ? in_slot : ff_read_reg ? slot_1_reg : slot_reg;

always @(posedge clk) begin
    if (ready_reg) begin
        slot_reg <= in_slot;
        valid_in_reg <= in_valid;
        thr_in_reg <= in_threshold;
        meta_in_reg <= in_meta;
    end
    if (load_reg) begin
        slot_1_reg <= slot_reg;
        valid_1_reg <= valid_in_reg;
        valid_2_reg <= valid_1_reg;
        thr_1_reg <= thr_in_reg;
        thr_2_reg <= thr_1_reg;
        meta_1_reg <= meta_in_reg;
        meta_2_reg <= meta_1_reg;
    end
    if (rst) begin
        valid_in_reg <= {CORES{1'b0}};
        valid_1_reg <= {CORES{1'b0}};
        valid_2_reg <= {CORES{1'b0}};
    end
end

// The first unit loads a..g of its midstate; h arrives through hkw.
wire [223:0] mid1_state = work_data[351:128];
wire [31:0]  mid1_h = work_data[127:96];

// A group's meta and nonces hold from the load to the next load, past out_valid.
assign out_meta = meta_2_reg;

// ---------------------------------------------------------------------------
// The pipelines
genvar j;
genvar p;
for (j = 0; j < CORES; j = j + 1) begin : g_pipe
    // Each pipeline has its own copy of the load flag: it steers about a
    // thousand flip-flops (keep: Yosys would merge the copies).
    reg load_copy_reg = 1'b0;
    (* keep *)
    always @(posedge clk) begin
        load_copy_reg <= cnt_next == 7'd0;
    end

    reg [31:0] nonce_in_reg, nonce_1_reg, nonce_2_reg;
    always @(posedge clk) begin
        if (ready_reg) begin
            nonce_in_reg <= in_nonce[32*j +: 32];
        end
        if (load_copy_reg) begin
            nonce_1_reg <= nonce_in_reg;
            nonce_2_reg <= nonce_1_reg;
        end
    end
    // Header bytes 76..79 hold the nonce little-endian; W3 reads them big-endian.
    wire [31:0] w3 = {nonce_in_reg[7:0], nonce_in_reg[15:8], nonce_in_reg[23:16],
                      nonce_in_reg[31:24]};

    // ---- First hash: the header's second block
    reg [223:0] s1_reg;       // {a..g} before the round; h folded into hkw1
    wire [31:0] hkw1;         // h + K[r] + W[r], registered
    wire [31:0] kw1;          // K[r+1] + W[r+1], registered
    // W[r] .. W[r+15] in round r: positions 0, 1, 2, 9, 14 are read, 15 written
    wire [31:0] win1 [0:15];

    wire [255:0] rounded1;
    sha256_round round1_inst (
        .rx_state(s1_reg),
        .rx_hkw(hkw1),
        .tx_state(rounded1)
    );
    wire unused_h1 = &{1'b0, rounded1[31:0]};

    wire [31:0] sched1;
    sha256_schedule #(
        .SUM_TREE(1)
    ) schedule1_inst (
        .rx_w1(win1[0]),
        .rx_w2(win1[1]),
        .rx_w10(win1[9]),
        .rx_w15(win1[14]),
        .tx_word(sched1)
    );
    wire [31:0] in1 = sched1_reg ? sched1 : nonce1_reg ? w3 : msg1_reg;

    if (BLOCK_WINDOW != 0) begin : g_window1_block
        // Positions 10..13 and 3..8 are delays, read only at their ends
        // (positions 9 and 2), which each delay_line ends in a register.
        reg [31:0] pos_reg [0:3];   // positions 0, 1, 14, 15
        always @(posedge clk) begin
            pos_reg[3] <= in1;
            pos_reg[2] <= pos_reg[3];
            pos_reg[1] <= win1[2];
            pos_reg[0] <= pos_reg[1];
        end
        delay_line #(
            .WIDTH(32),
            .DELAY(5),
            .BLOCK(1)
        ) upper_inst (
            .clk(clk),
            .in_data(pos_reg[2]),
            .out_data(win1[9])
        );
        delay_line #(
            .WIDTH(32),
            .DELAY(7),
            .BLOCK(1)
        ) lower_inst (
            .clk(clk),
            .in_data(win1[9]),
            .out_data(win1[2])
        );
        assign win1[0] = pos_reg[0];
        assign win1[1] = pos_reg[1];
        assign win1[14] = pos_reg[2];
        assign win1[15] = pos_reg[3];
        for (p = 3; p < 14; p = p + 1) begin : g_hidden
            if (p != 9) begin : g_unread
                assign win1[p] = 32'd0;
            end
        end
    end else begin : g_window1_regs
        reg [31:0] win1_reg [0:15];
        integer i;
        always @(posedge clk) begin
            for (i = 0; i < 15; i = i + 1) begin
                win1_reg[i] <= win1_reg[i+1];
            end
            win1_reg[15] <= in1;
        end
        for (p = 0; p < 16; p = p + 1) begin : g_pos
            assign win1[p] = win1_reg[p];
        end
    end
    wire unused_win1 = &{1'b0, win1[3], win1[4], win1[5], win1[6], win1[7], win1[8],
                         win1[10], win1[11], win1[12], win1[13], win1[15]};

    integer i;
    always @(posedge clk) begin
        if (load_copy_reg) begin
            s1_reg <= mid1_state;
        end else begin
            s1_reg <= rounded1[255:32];
        end
    end
    add32 #(
        .ICE40_DSP(ICE40_DSP)
    ) kw1_inst (
        .clk(clk),
        .hold(1'b0),
        .x(k_reg),
        .y(win1[2]),
        .sum(kw1)
    );
    add32 #(
        .ICE40_DSP(ICE40_DSP)
    ) hkw1_inst (
        .clk(clk),
        .hold(1'b0),
        .x(load_copy_reg ? mid1_h : s1_reg[31:0]),
        .y(kw1),
        .sum(hkw1)
    );

    // ---- Second hash: one block of the 32-byte digest
    // The feed-forward's two adders (a and e of the first unit)
    wire [31:0] ff_a;
    wire [31:0] ff_e;
    add32 #(
        .REGISTERED(0),
        .ICE40_DSP(ICE40_DSP)
    ) ff_a_inst (
        .clk(clk),
        .hold(1'b0),
        .x(ffa_reg),
        .y(s1_reg[223:192]),
        .sum(ff_a)
    );
    add32 #(
        .REGISTERED(0),
        .ICE40_DSP(ICE40_DSP)
    ) ff_e_inst (
        .clk(clk),
        .hold(1'b0),
        .x(ffe_reg),
        .y(s1_reg[95:64]),
        .sum(ff_e)
    );

    reg [223:0] s2_reg;
    wire [31:0] hkw2;         // registered, as hkw1
    wire [31:0] kw2;
    reg [31:0]  win2_reg [0:15];

    wire [255:0] rounded2;
    sha256_round round2_inst (
        .rx_state(s2_reg),
        .rx_hkw(hkw2),
        .tx_state(rounded2)
    );
    wire unused_h2 = &{1'b0, rounded2[31:0]};

    wire [31:0] sched2;
    sha256_schedule #(
        .SUM_TREE(1)
    ) schedule2_inst (
        .rx_w1(win2_reg[0]),
        .rx_w2(win2_reg[1]),
        .rx_w10(win2_reg[9]),
        .rx_w15(win2_reg[14]),
        .tx_word(sched2)
    );
    wire [31:0] in2 = sched2_reg ? sched2 : msg2_reg;

    always @(posedge clk) begin
        for (i = 0; i < 15; i = i + 1) begin
            if (inj_a_reg[i]) begin
                win2_reg[i] <= ff_a;
            end else if (inj_e_reg[i]) begin
                win2_reg[i] <= ff_e;
            end else begin
                win2_reg[i] <= win2_reg[i+1];
            end
        end
        win2_reg[15] <= in2;
        if (load_copy_reg) begin
            s2_reg <= IV[255:32];
        end else begin
            s2_reg <= rounded2[255:32];
        end
    end
    // W1 is in position 2 on the load like any W[r+1] in round r - 1.
    add32 #(
        .ICE40_DSP(ICE40_DSP)
    ) kw2_inst (
        .clk(clk),
        .hold(1'b0),
        .x(k_reg),
        .y(win2_reg[2]),
        .sum(kw2)
    );
    // On the load: IV's h + K0 + W0, W0 being a's feed-forward sum
    add32 #(
        .ICE40_DSP(ICE40_DSP)
    ) hkw2_inst (
        .clk(clk),
        .hold(1'b0),
        .x(load_copy_reg ? ff_a : s2_reg[31:0]),
        .y(load_copy_reg ? IV[31:0] + K0 : kw2),
        .sum(hkw2)
    );

    // ---- The check: H7 = IV7 + e after round 60; the top word is H7 byte-swapped.
    wire [31:0] h7;
    reg        out_valid_reg = 1'b0;
    reg        out_hit_reg;
    wire [31:0] top_word = {h7[7:0], h7[15:8], h7[23:16], h7[31:24]};
    add32 #(
        .ICE40_DSP(ICE40_DSP)
    ) h7_inst (
        .clk(clk),
        .hold(!sum_h7_reg),
        .x(IV[31:0]),
        .y(s2_reg[95:64]),
        .sum(h7)
    );
    always @(posedge clk) begin
        out_valid_reg <= compare_reg && valid_2_reg[j];
        if (compare_reg) begin
            out_hit_reg <= top_word <= thr_2_reg;
        end
        if (rst) begin
            out_valid_reg <= 1'b0;
        end
    end
    assign out_valid[j] = out_valid_reg;
    assign out_hit[j] = out_hit_reg;
    assign out_nonce[32*j +: 32] = nonce_2_reg;
end

endmodule

`resetall
