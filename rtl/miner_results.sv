// SPDX-License-Identifier: MIT OR Apache-2.0
//
// miner_results: the cores' results in, one stream of events out: each item's found
// nonces, then its "range done", in item order (valid/ready). Found results wait in
// a FIFO per core and done events in one queue; a found result that meets a full
// FIFO is dropped and counted. Also counts the nonces hashed.
`resetall
`default_nettype none

module miner_results #(
    // Cores (1..16)
    parameter CORES = 1,
    // Bits of an item's sequence number (2..), as in core_meta
    parameter SEQ_W = 6,
    // Found results buffered per core (power of two, 2..)
    parameter RESULT_FIFO_DEPTH = 16,
    // Done events buffered (power of two, 2..); the issuer holds back the item
    // that would be one more
    parameter DONE_DEPTH = 8,
    // Registers the results pass before the FIFOs (1..)
    parameter RESULT_REGS = 1
) (
    input  wire                              clk,
    input  wire                              rst,

    // Results of each core's slot: core j in bit j, [32*j +: 32], [META_W*j +: META_W];
    // meta {last nonce of its item, item sequence number, tag}
    input  wire [CORES-1:0]                  core_valid,
    input  wire [CORES-1:0]                  core_hit,
    input  wire [32*CORES-1:0]               core_nonce,
    input  wire [(1+SEQ_W+8)*CORES-1:0]      core_meta,

    // Events, in order: found nonces of an item, then its "range done"
    output wire                              event_valid,
    input  wire                              event_ready,
    output wire                              event_done,
    output wire [7:0]                        event_tag,
    output wire [31:0]                       event_nonce,

    // Pulses for the issuer's counts: a slot's results reached the FIFOs; a done
    // event left its queue
    output wire                              slot_out,
    output wire                              done_out,

    // Counts
    output wire                              found_dropped,   // high one clock per found result lost
    output wire [63:0]                       nonces_hashed
);

localparam META_W = 1 + SEQ_W + 8;   // {last, seq, tag}
localparam FOUND_W = SEQ_W + 8 + 32; // {seq, tag, nonce}
localparam DONE_W = SEQ_W + 8;       // {seq, tag}
localparam IDX_W = CORES > 1 ? $clog2(CORES) : 1;
localparam COUNT_W = $clog2(CORES + 1);
genvar j;

if (CORES < 1 || CORES > 16 || RESULT_REGS < 1) begin : g_check
    $error("miner_results: CORES must be 1..16 and RESULT_REGS at least 1");
end

// Results pass RESULT_REGS registers on their way to the FIFOs, plain copies: a
// full pipeline's last stage may sit far from the FIFOs, whose write enables fan
// out over their memories.
wire [CORES-1:0]        res_valid;
wire [CORES-1:0]        res_hit;
wire [32*CORES-1:0]     res_nonce;
wire [META_W*CORES-1:0] res_meta;

pulse_delay #(
    .WIDTH(CORES),
    .DELAY(RESULT_REGS)
) valid_delay_inst (
    .clk(clk),
    .rst(rst),
    .in(core_valid),
    .out(res_valid)
);

delay_line #(
    .WIDTH(CORES + 32 * CORES + META_W * CORES),
    .DELAY(RESULT_REGS)
) result_delay_inst (
    .clk(clk),
    .in_data({core_hit, core_nonce, core_meta}),
    .out_data({res_hit, res_nonce, res_meta})
);

wire [CORES-1:0] res_found = res_valid & res_hit;

// A found FIFO per core and one queue of done events
wire [CORES-1:0]   found_valid;
wire [CORES-1:0]   found_push_ready;
wire [CORES-1:0]   found_pop;
wire [FOUND_W-1:0] found_head [0:CORES-1];

for (j = 0; j < CORES; j = j + 1) begin : g_found
    sync_fifo #(
        .WIDTH(FOUND_W),
        .DEPTH(RESULT_FIFO_DEPTH)
    ) found_fifo_inst (
        .clk(clk),
        .rst(rst),
        .in_valid(res_found[j]),
        .in_ready(found_push_ready[j]),
        .in_data({res_meta[META_W*j +: SEQ_W+8], res_nonce[32*j +: 32]}),
        .out_valid(found_valid[j]),
        .out_ready(found_pop[j]),
        .out_data(found_head[j])
    );
end

wire              done_valid;
wire              done_pop;
wire [DONE_W-1:0] done_head;
wire              done_push = res_valid[0] && res_meta[META_W-1];

sync_fifo #(
    .WIDTH(DONE_W),
    .DEPTH(DONE_DEPTH)
) done_fifo_inst (
    .clk(clk),
    .rst(rst),
    .in_valid(done_push),
    /* verilator lint_off PINCONNECTEMPTY */ // never full: the issuer holds back
    .in_ready(),
    /* verilator lint_on PINCONNECTEMPTY */
    .in_data(res_meta[DONE_W-1:0]),
    .out_valid(done_valid),
    .out_ready(done_pop),
    .out_data(done_head)
);

// A found result goes out before the oldest pending done unless it belongs to a
// newer item (sequence numbers compared modulo 2^SEQ_W).
function automatic newer(input [SEQ_W-1:0] seq, input [SEQ_W-1:0] than);
    reg [SEQ_W-1:0] diff;
    begin
        diff = seq - than;
        newer = diff != {SEQ_W{1'b0}} && !diff[SEQ_W-1];
    end
endfunction

reg             ev_found;
reg [IDX_W-1:0] ev_core;
integer c;
always @* begin
    ev_found = 1'b0;
    ev_core = 0;
    for (c = CORES - 1; c >= 0; c = c - 1) begin
        if (found_valid[c] && (!done_valid || !newer(found_head[c][FOUND_W-1:40],
                                                     done_head[DONE_W-1:8]))) begin
            ev_found = 1'b1;
            ev_core = c[IDX_W-1:0];
        end
    end
end

// The choice is registered, so that the compare above and the pops below are
// not one path. It is a clock old when used, which is safe: a head changes only
// when popped (and after a pop the event register is full for a clock, so no
// choice made before the pop is used), or by appearing in an empty queue, and
// a found result never appears after the done event of its own item.
reg             choice_valid_reg = 1'b0;
reg             choice_found_reg = 1'b0;
reg [IDX_W-1:0] choice_core_reg = {IDX_W{1'b0}};
always @(posedge clk) begin
    choice_valid_reg <= ev_found || done_valid;
    choice_found_reg <= ev_found;
    choice_core_reg <= ev_core;
    if (rst) begin
        choice_valid_reg <= 1'b0;
    end
end

wire [FOUND_W-1:0] ev_head = found_head[choice_core_reg];
wire [7:0]  ev_tag = ev_head[39:32];
wire [31:0] ev_nonce = ev_head[31:0];
/* verilator lint_off UNUSEDSIGNAL */ // the sequence number stays inside
wire [SEQ_W-1:0] ev_seq = ev_head[FOUND_W-1:40];
/* verilator lint_on UNUSEDSIGNAL */

// The chosen event waits in a register, taken from the queues only while it is
// empty: event_ready then never reaches the FIFOs' pointers (a long path through
// the consumer's arbitration), at the price of one event per two clocks at most.
reg        event_valid_reg = 1'b0;
reg        event_done_reg;
reg [7:0]  event_tag_reg;
reg [31:0] event_nonce_reg;

wire event_take = !event_valid_reg && choice_valid_reg;

always @(posedge clk) begin
    if (event_take) begin
        event_valid_reg <= 1'b1;
        event_done_reg <= !choice_found_reg;
        event_tag_reg <= choice_found_reg ? ev_tag : done_head[7:0];
        event_nonce_reg <= choice_found_reg ? ev_nonce : 32'd0;
    end else if (event_ready) begin
        event_valid_reg <= 1'b0;
    end

    if (rst) begin
        event_valid_reg <= 1'b0;
    end
end

assign event_valid = event_valid_reg;
assign event_done = event_done_reg;
assign event_tag = event_tag_reg;
assign event_nonce = event_nonce_reg;

for (j = 0; j < CORES; j = j + 1) begin : g_pop
    assign found_pop[j] = event_take && choice_found_reg && choice_core_reg == IDX_W'(j);
end
assign done_pop = event_take && !choice_found_reg;

assign slot_out = res_valid[0];
assign done_out = done_pop;

// Counts
function automatic [COUNT_W-1:0] popcount(input [CORES-1:0] bits);
    integer b;
    begin
        popcount = 0;
        for (b = 0; b < CORES; b = b + 1) begin
            popcount = popcount + {{(COUNT_W-1){1'b0}}, bits[b]};
        end
    end
endfunction

// Counted a clock late: the cores' outputs may sit far from these counters.
reg [COUNT_W-1:0] dropped_now_reg = 0;
reg [COUNT_W-1:0] hashed_now_reg = 0;
reg [15:0]        dropped_pending_reg = 16'd0;
reg [63:0]        hashed_reg = 64'd0;
always @(posedge clk) begin
    dropped_now_reg <= popcount(res_found & ~found_push_ready);
    hashed_now_reg <= popcount(res_valid);
    hashed_reg <= hashed_reg + 64'(hashed_now_reg);
    if (dropped_pending_reg != 16'd0 || dropped_now_reg != 0) begin
        if (dropped_pending_reg + 16'(dropped_now_reg) <= 16'hfffe) begin
            dropped_pending_reg <= dropped_pending_reg + 16'(dropped_now_reg)
                - 16'(dropped_pending_reg != 16'd0);
        end
    end
    if (rst) begin
        dropped_now_reg <= 0;
        hashed_now_reg <= 0;
        hashed_reg <= 64'd0;
        dropped_pending_reg <= 16'd0;
    end
end

assign found_dropped = dropped_pending_reg != 16'd0;
assign nonces_hashed = hashed_reg;

endmodule

`resetall
