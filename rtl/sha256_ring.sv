// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_ring: rounds FIRST..LAST of one SHA-256 block on a loop of STAGES
// registered round stages that data circles PASSES times (PASSES = 1: a plain
// pipeline, which takes a slot on every clock). A slot enters stage 0 when in_take
// is high (only when in_free) and leaves, STAGES * PASSES clocks later, in
// out_state the clock after out_slot rises.
`resetall
`default_nettype none

module sha256_ring #(
    // Registered round stages in the loop (1..64)
    parameter STAGES = 64,
    // Trips around the loop per block (1..64); STAGES * PASSES >= LAST - FIRST + 1
    parameter PASSES = 1,
    // Index of the first round computed (0..63)
    parameter FIRST = 0,
    // Index of the round whose result leaves the ring (FIRST..63)
    parameter LAST = 63,
    // 1: h + W + K of fixed rounds on one ECP5 carry chain (sha256_add_hkw), and in a
    // pipeline Ch and Maj inside the carry cells of T1 and T2 (sha256_add_chmaj); 0: portable
    parameter ECP5_CARRY = 0,
    // Block RAMs the message schedule's delays may take (0..; pipelines, PASSES = 1, only)
    parameter SCHEDULE_BRAMS = 0,
    // in_window words W[FIRST + CONST_FIRST .. FIRST + CONST_LAST] (1..16) are tied
    // to constants by the caller: a pipeline reads them with no delay lines.
    // CONST_LAST < CONST_FIRST: none.
    parameter CONST_FIRST = 1,
    parameter CONST_LAST = 0,
    // 1: the caller reads only e of out_state, so a pipeline's last three rounds,
    // whose a cannot reach it, skip T2 (out_state's a..c are then don't-care)
    parameter OUT_E_ONLY = 0
) (
    input  wire         clk,
    input  wire         rst,

    // Slot in: the slot reaching stage 0 is finished, so stage 0 may take a new one
    output wire         in_free,
    input  wire         in_take,
    input  wire         in_valid,
    input  wire [223:0] in_state,    // {a..g} before round FIRST
    input  wire [31:0]  in_hkw,      // h + K[FIRST] + W[FIRST]
    input  wire [511:0] in_window,   // W[FIRST+1] (top) .. W[FIRST+16]

    // Slot out: registered; out_slot marks the clock a slot has left the ring
    output wire         out_slot,
    output wire         out_valid,
    output wire [255:0] out_state    // {a..h} after round LAST
);

localparam PASS_W = PASSES > 1 ? $clog2(PASSES) : 1;
localparam [PASS_W-1:0] PASS_LAST = PASS_W'(PASSES - 1);

if (STAGES < 1 || STAGES > 64 || PASSES < 1 || PASSES > 64) begin : g_check_geometry
    $error("sha256_ring: STAGES and PASSES must be 1..64");
end
if (STAGES * PASSES < LAST - FIRST + 1) begin : g_check_cover
    $error("sha256_ring: STAGES * PASSES must cover FIRST..LAST");
end
if (OUT_E_ONLY > 1) begin : g_check_flags
    $error("sha256_ring: OUT_E_ONLY must be 0 or 1");
end

// Stage registers hold a slot before its round: control bits are reset, data is not.
reg               valid_reg [0:STAGES-1];
reg  [PASS_W-1:0] pass_reg [0:STAGES-1];
reg  [223:0]      state_reg [0:STAGES-1];
/* verilator lint_off UNUSEDSIGNAL */ // h is read only by stages that can bypass
reg  [31:0]       h_reg [0:STAGES-1];
/* verilator lint_on UNUSEDSIGNAL */
reg  [31:0]       hkw_reg [0:STAGES-1];

// Stage outputs: the slot after its round
wire [255:0] next_state [0:STAGES-1];
wire [31:0]  next_hkw [0:STAGES-1];
// Schedule words stage i reads (round t): W[t+1], W[t+2], W[t+10], W[t+15];
// and the word it produces, W[t+17]
// use_w[u * STAGES + i] for u = 0..3 (roles 15, 10, 2, 1)
wire [31:0]  use_w [0:4*STAGES-1];

// Role u of a word W[j] is read by the stage of round t = j - role_offset(u).
function automatic integer role_offset(input integer u);
    case (u)
        0: role_offset = 15;
        1: role_offset = 10;
        2: role_offset = 2;
        default: role_offset = 1;
    endcase
endfunction
wire [31:0]  w_new [0:STAGES-1];

genvar i;
for (i = 0; i < STAGES; i = i + 1) begin : g_stage
    wire [255:0] rounded;

    // The a of round LAST - 2 or later becomes d only after LAST, so never e.
    // Ch and Maj in the carry cells only in a pipeline: in a loop's rounds they made
    // nextpnr-ecp5 route a 32-rounds-per-clock board for hours without finishing.
    sha256_round #(
        .WITH_A(OUT_E_ONLY != 0 && PASSES == 1 && FIRST + i > LAST - 3 ? 0 : 1),
        .ECP5_CARRY(PASSES == 1 ? ECP5_CARRY : 0)
    ) round_inst (
        .rx_state(state_reg[i]),
        .rx_hkw(hkw_reg[i]),
        .tx_state(rounded)
    );

    // A pipeline builds only the schedule words its rounds read (W[LAST] at most):
    // the keep on the schedule's sums would hold on to unread ones. A loop's
    // stages serve every pass, so all make one.
    if (PASSES > 1 || FIRST + i + 17 <= LAST) begin : g_schedule
        sha256_schedule schedule_inst (
            .rx_w1(use_w[3 * STAGES + i]),
            .rx_w2(use_w[2 * STAGES + i]),
            .rx_w10(use_w[STAGES + i]),
            .rx_w15(use_w[i]),
            .tx_word(w_new[i])
        );
    end else begin : g_no_schedule
        assign w_new[i] = 32'h0;
        wire unused_uses = &{1'b0, use_w[2 * STAGES + i], use_w[STAGES + i], use_w[i]};
    end

    // Rounds past LAST (last pass only, when STAGES * PASSES overshoots) pass the state on.
    if (FIRST + (PASSES - 1) * STAGES + i > LAST) begin : g_bypass
        assign next_state[i] = pass_reg[i] == PASS_LAST ? {state_reg[i], h_reg[i]} : rounded;
    end else begin : g_round
        assign next_state[i] = rounded;
    end

    // h + K + W of the next round, added a stage ahead: its h is this round's g
    if (PASSES == 1) begin : g_fixed_k
        // The next round is always FIRST + i + 1, so its K is a constant
        sha256_add_hkw #(
            .K(sha256_pkg::round_k(6'(FIRST + i + 1))),
            .ECP5_CARRY(ECP5_CARRY)
        ) hkw_inst (
            .x(rounded[31:0]),
            .y(use_w[3 * STAGES + i]),
            .sum(next_hkw[i])
        );
    end else begin : g_looked_up_k
        // Round done by this stage on pass p is FIRST + p * STAGES + i; K of the next
        wire [5:0] round_next = 6'(FIRST + i + 1) + 6'(pass_reg[i] * STAGES);
        wire [31:0] k_next;
        sha256_k k_inst (.rx_t(round_next), .tx_k(k_next));
        (* keep *) wire [31:0] kw_next = k_next + use_w[3 * STAGES + i];
        assign next_hkw[i] = rounded[31:0] + kw_next;
    end
end

// Pipeline schedule: gap (in stages) between where word W[j] is made or last
// read and its use u (0..3, roles 15, 10, 2, 1); 0 when that use is not built.
function automatic integer gap(input integer j, input integer u);
    integer m, from, at;
    begin
        from = j <= FIRST + 16 ? -1 : j - 17 - FIRST;
        gap = 0;
        for (m = 0; m < 4; m = m + 1) begin
            at = j - role_offset(m) - FIRST;
            if (at >= 0 && at < STAGES) begin
                if (m == u) begin
                    gap = at - from;
                end
                from = at;
            end
        end
    end
endfunction

// Which gaps of word W[j] are block RAMs (bit u: the gap ending at use u).
// Of the words a round reads (r = j - FIRST = 1 .. LAST - FIRST), gap() gives
// r = 4..7 a gap of 3..6 stages before use 2 and r >= 12 one before use 1
// (register chains otherwise), and r >= 8 one of 7 or 8 stages before use 2
// (distributed RAM otherwise); constant words have none. The short gaps take
// block RAMs first, then the long ones, each in word order. Closed form: a
// search over gap() per word takes Yosys minutes to evaluate.
localparam WORDS_READ = LAST - FIRST;

// How many of r = lo..hi are words with delay lines (read by a round, not constant)
function automatic integer lined(input integer lo, input integer hi);
    integer top, cut_lo, cut_hi;
    begin
        top = hi < WORDS_READ ? hi : WORDS_READ;
        lined = top >= lo ? top - lo + 1 : 0;
        cut_lo = CONST_FIRST > lo ? CONST_FIRST : lo;
        cut_hi = CONST_LAST < top ? CONST_LAST : top;
        if (cut_hi >= cut_lo) begin
            lined = lined - (cut_hi - cut_lo + 1);
        end
    end
endfunction

localparam SHORT_GAPS = lined(4, 7) + lined(12, WORDS_READ);

function automatic [3:0] block_uses(input integer j);
    integer r;
    begin
        r = j - FIRST;
        block_uses = 4'b0000;
        if (lined(r, r) == 1) begin
            if (r >= 4 && r <= 7 && lined(4, r - 1) < SCHEDULE_BRAMS) begin
                block_uses[2] = 1'b1;
            end
            if (r >= 12 && lined(4, 7) + lined(12, r - 1) < SCHEDULE_BRAMS) begin
                block_uses[1] = 1'b1;
            end
            if (r >= 8 && SHORT_GAPS + lined(8, r - 1) < SCHEDULE_BRAMS) begin
                block_uses[2] = 1'b1;
            end
        end
    end
endfunction

genvar j, u;
if (PASSES == 1) begin : g_taps
    // A pipeline: each word W[j] has its own delay lines from where it is made
    // (stage j-17, or the input) to the four stages that read it.
    for (j = FIRST + 1; j <= FIRST + STAGES + 14; j = j + 1) begin : g_word
        localparam INJECTED = j <= FIRST + 16;
        localparam CONSTANT = j - FIRST >= CONST_FIRST && j - FIRST <= CONST_LAST;
        localparam [3:0] BLOCK_USES = block_uses(j);
        wire [31:0] src;
        /* verilator lint_off UNUSEDSIGNAL */ // words near the ends have fewer readers
        wire [127:0] at;
        /* verilator lint_on UNUSEDSIGNAL */
        if (INJECTED) begin : g_in
            assign src = in_window[511 - 32 * (j - FIRST - 1) -: 32];
        end else begin : g_made
            assign src = w_new[j - 17 - FIRST];
        end
        if (CONSTANT) begin : g_constant
            assign at = {4{src}};
        end else begin : g_lines
            sha256_word_taps #(
                .PRODUCED(INJECTED ? -1 : j - 17 - FIRST),
                .USE15(j - role_offset(0) - FIRST),
                .USE10(j - role_offset(1) - FIRST),
                .USE2(j - role_offset(2) - FIRST),
                .USE1(j - role_offset(3) - FIRST),
                .LAST_STAGE(STAGES - 1),
                .BLOCK_USES(BLOCK_USES)
            ) taps_inst (
                .clk(clk),
                .in_word(src),
                .out_uses(at)
            );
        end
        for (u = 0; u < 4; u = u + 1) begin : g_use
            localparam STAGE = j - role_offset(u) - FIRST;
            if (BLOCK_USES[u] && gap(j, u) < 3) begin : g_check_block
                $error("sha256_ring: block_uses() marks a gap shorter than 3 stages");
            end
            if (STAGE >= 0 && STAGE < STAGES) begin : g_reader
                assign use_w[u * STAGES + STAGE] = at[127 - 32 * u -: 32];
            end
        end
    end
end else begin : g_window
    // A loop: each slot carries its window W[t+1] .. W[t+16] round with it.
    reg [511:0] window_reg [0:STAGES-1];
    for (j = 0; j < STAGES; j = j + 1) begin : g_use
        assign use_w[j] = window_reg[j][63:32];
        assign use_w[STAGES + j] = window_reg[j][223:192];
        assign use_w[2 * STAGES + j] = window_reg[j][479:448];
        assign use_w[3 * STAGES + j] = window_reg[j][511:480];
    end
    integer k;
    always @(posedge clk) begin
        window_reg[0] <= in_take ? in_window : {window_reg[STAGES-1][479:0], w_new[STAGES-1]};
        for (k = 1; k < STAGES; k = k + 1) begin
            window_reg[k] <= {window_reg[k-1][479:0], w_new[k-1]};
        end
    end
end

// The slot coming round from the last stage is finished on the last pass. A
// pipeline's slots all are, so it takes a slot on every clock without a mux
// in front of stage 0 (in_take is then always high anyway).
wire ret_done = PASSES == 1 || pass_reg[STAGES-1] == PASS_LAST;
wire take = PASSES == 1 || in_take;
assign in_free = ret_done;
wire unused_in_take = in_take;   // a pipeline does not need it

integer s;
always @(posedge clk) begin
    if (take) begin
        valid_reg[0] <= in_valid;
        pass_reg[0] <= {PASS_W{1'b0}};
        state_reg[0] <= in_state;
        hkw_reg[0] <= in_hkw;
    end else begin
        valid_reg[0] <= valid_reg[STAGES-1];
        pass_reg[0] <= ret_done ? {PASS_W{1'b0}} : pass_reg[STAGES-1] + 1'b1;
        state_reg[0] <= next_state[STAGES-1][255:32];
        h_reg[0] <= next_state[STAGES-1][31:0];
        hkw_reg[0] <= next_hkw[STAGES-1];
    end
    for (s = 1; s < STAGES; s = s + 1) begin
        valid_reg[s] <= valid_reg[s-1];
        pass_reg[s] <= pass_reg[s-1];
        state_reg[s] <= next_state[s-1][255:32];
        h_reg[s] <= next_state[s-1][31:0];
        hkw_reg[s] <= next_hkw[s-1];
    end

    if (rst) begin
        for (s = 0; s < STAGES; s = s + 1) begin
            valid_reg[s] <= 1'b0;
            pass_reg[s] <= PASS_LAST;
        end
    end
end

reg         out_slot_reg = 1'b0;
reg         out_valid_reg = 1'b0;
reg [255:0] out_state_reg;

always @(posedge clk) begin
    out_slot_reg <= ret_done;
    out_valid_reg <= ret_done && valid_reg[STAGES-1];
    out_state_reg <= next_state[STAGES-1];

    if (rst) begin
        out_slot_reg <= 1'b0;
        out_valid_reg <= 1'b0;
    end
end

assign out_slot = out_slot_reg;
assign out_valid = out_valid_reg;
assign out_state = out_state_reg;

endmodule

`resetall
