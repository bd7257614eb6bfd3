// SPDX-License-Identifier: MIT OR Apache-2.0
//
// report_core_top: sha256d_miner alone with its I/O kept, for `make report-core`.
// All work inputs come from one shift register fed by din, and all outputs are
// registered and folded into dout, so synthesis keeps every port's logic while the
// design needs only five pins. Adds about 490 flip-flops and a few LUTs.
`resetall
`default_nettype none

module report_core_top #(
    // As sha256d_miner
    parameter ROUNDS_PER_CLK = 1,
    // As sha256d_miner
    parameter CORES = 1,
    // As sha256d_miner
    parameter ECP5_CARRY = 0,
    // As sha256d_miner
    parameter SCHEDULE_BRAMS = 0,
    // As sha256d_miner
    parameter ICE40_DSP = 0
) (
    input  wire clk,
    input  wire rst,
    input  wire din,
    input  wire load,
    output wire dout
);

localparam IN_W = 8 + 256 + 96 + 32 * 3 + 2;

reg [IN_W-1:0] in_reg;
always @(posedge clk) begin
    in_reg <= {in_reg[IN_W-2:0], din};
end

// load passes two registers, as on a board, where it comes from control logic:
// straight from a pin it would pull the work queue's flip-flops to the chip's edge.
reg [1:0] load_reg = 2'b00;
always @(posedge clk) begin
    load_reg <= {load_reg[0], load};
end

// event_ready goes to the events at the pipeline's output end, the shift
// register's taps to its input end: it comes from din through three registers
// of its own, so that it does not pull one end of the shift register across.
reg [2:0] ready_reg;
always @(posedge clk) begin
    ready_reg <= {ready_reg[1:0], din};
end

wire         work_ready;
wire         event_valid;
wire         event_done;
wire [7:0]   event_tag;
wire [31:0]  event_nonce;
wire         found_dropped;
wire         busy;
wire         queued;
wire [7:0]   current_tag;
wire [63:0]  nonces_hashed;

sha256d_miner #(
    .ROUNDS_PER_CLK(ROUNDS_PER_CLK),
    .CORES(CORES),
    .ECP5_CARRY(ECP5_CARRY),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS),
    .ICE40_DSP(ICE40_DSP)
) miner_inst (
    .clk(clk),
    .rst(rst),
    .work_valid(load_reg[1]),
    .work_ready(work_ready),
    .work_tag(in_reg[IN_W-1 -: 8]),
    .work_midstate(in_reg[IN_W-9 -: 256]),
    .work_tail(in_reg[IN_W-265 -: 96]),
    .work_nonce_start(in_reg[IN_W-361 -: 32]),
    .work_nonce_end(in_reg[IN_W-393 -: 32]),
    .work_threshold(in_reg[IN_W-425 -: 32]),
    .work_header_order(in_reg[0]),
    .flush(in_reg[1]),
    .event_valid(event_valid),
    .event_ready(ready_reg[2]),
    .event_done(event_done),
    .event_tag(event_tag),
    .event_nonce(event_nonce),
    .found_dropped(found_dropped),
    .busy(busy),
    .queued(queued),
    .current_tag(current_tag),
    .nonces_hashed(nonces_hashed)
);

// The outputs of the work side and of the event side are folded apart, each
// beside its logic, and joined through registers: one XOR over both would pull
// the two ends of a chip-wide pipeline together.
// busy comes from both ends (the running item and the slots in flight), so it
// passes two registers of its own before joining the work side's fold.
reg [1:0] busy_reg;
reg [1:0] work_fold_reg;
reg [1:0] event_fold_reg;
reg dout_reg;
always @(posedge clk) begin
    busy_reg <= {busy_reg[0], busy};
    work_fold_reg <= {work_fold_reg[0], ^{work_ready, busy_reg[1], queued, current_tag}};
    event_fold_reg <= {event_fold_reg[0],
                       ^{event_valid, event_done, event_tag, event_nonce, found_dropped,
                         nonces_hashed}};
    dout_reg <= work_fold_reg[1] ^ event_fold_reg[1];
end
assign dout = dout_reg;

endmodule

`resetall
