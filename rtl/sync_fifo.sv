// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sync_fifo: first-in first-out buffer of DEPTH entries, valid/ready on both sides.
// in_ready is low when full; out_data shows the oldest entry while out_valid.
// A pushed entry is visible on out_* the clock after it is written.
// The entries behind the head live in a memory with a registered read, so
// synthesis can use block RAM; a push into an empty FIFO bypasses it.
`resetall
`default_nettype none

module sync_fifo #(
    // Bits per entry (1..)
    parameter WIDTH = 8,
    // Entries (2..; a power of two)
    parameter DEPTH = 16
) (
    input  wire             clk,
    input  wire             rst,

    // Write side
    input  wire             in_valid,
    output wire             in_ready,
    input  wire [WIDTH-1:0] in_data,

    // Read side
    output wire             out_valid,
    input  wire             out_ready,
    output wire [WIDTH-1:0] out_data
);

localparam PTR_W = $clog2(DEPTH);

if (DEPTH < 2 || (1 << PTR_W) != DEPTH) begin : g_check_depth
    $error("sync_fifo: DEPTH must be a power of two, at least 2");
end

// The head is held outside the memory, which holds up to DEPTH - 1 entries.
// no_rw_check: the entry read is never the one written on the same clock (below).
(* no_rw_check *) reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [PTR_W-1:0] wr_ptr_reg = {PTR_W{1'b0}};
reg [PTR_W-1:0] rd_ptr_reg = {PTR_W{1'b0}};
reg [PTR_W-1:0] stored_reg = {PTR_W{1'b0}};   // entries in the memory
reg             head_valid_reg = 1'b0;
reg             head_bypass_reg = 1'b0;   // head is in bypass_reg, not read_reg
reg [WIDTH-1:0] read_reg;
reg [WIDTH-1:0] bypass_reg;

wire mem_empty = stored_reg == {PTR_W{1'b0}};
wire full = stored_reg == PTR_W'(DEPTH - 1);

// The head is replaced when it leaves or is empty: by the oldest stored entry,
// or when none is stored, by the entry pushed now.
wire head_free = !head_valid_reg || out_ready;
wire from_mem = head_free && !mem_empty;
wire bypass = head_free && mem_empty && in_valid;
// Every entry taken is written, the bypassed one too, which the read pointer
// then skips: the write enable (wide, on the memory) waits for no head logic.
wire write = in_valid && !full;

assign in_ready = !full;
assign out_valid = head_valid_reg;
assign out_data = head_bypass_reg ? bypass_reg : read_reg;

// The entry read was written at least one clock earlier: never the one written now.
always @(posedge clk) begin
    if (write) begin
        mem[wr_ptr_reg] <= in_data;
    end
    if (from_mem) begin
        read_reg <= mem[rd_ptr_reg];
    end
end

always @(posedge clk) begin
    if (bypass) begin
        bypass_reg <= in_data;
    end
    if (head_free) begin
        head_valid_reg <= from_mem || bypass;
        head_bypass_reg <= bypass;
    end
    if (write) begin
        wr_ptr_reg <= wr_ptr_reg + 1'b1;
    end
    if (from_mem || bypass) begin
        rd_ptr_reg <= rd_ptr_reg + 1'b1;
    end
    stored_reg <= stored_reg + PTR_W'(write) - PTR_W'(from_mem || bypass);

    if (rst) begin
        wr_ptr_reg <= {PTR_W{1'b0}};
        rd_ptr_reg <= {PTR_W{1'b0}};
        stored_reg <= {PTR_W{1'b0}};
        head_valid_reg <= 1'b0;
        head_bypass_reg <= 1'b0;
    end
end

endmodule

`resetall
