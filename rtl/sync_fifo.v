// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sync_fifo: first-in first-out buffer, valid/ready on both sides.
// in_ready is low when full; out_data shows the oldest entry while out_valid.
// A pushed entry is visible on out_* the clock after it is written.
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

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [PTR_W:0]   wr_ptr_reg = {PTR_W+1{1'b0}};
reg [PTR_W:0]   rd_ptr_reg = {PTR_W+1{1'b0}};

wire empty = wr_ptr_reg == rd_ptr_reg;
wire full = wr_ptr_reg == {~rd_ptr_reg[PTR_W], rd_ptr_reg[PTR_W-1:0]};

assign in_ready = !full;
assign out_valid = !empty;
assign out_data = mem[rd_ptr_reg[PTR_W-1:0]];

always @(posedge clk) begin
    if (in_valid && !full) begin
        mem[wr_ptr_reg[PTR_W-1:0]] <= in_data;
    end
end

always @(posedge clk) begin
    if (in_valid && !full) begin
        wr_ptr_reg <= wr_ptr_reg + 1'b1;
    end
    if (out_ready && !empty) begin
        rd_ptr_reg <= rd_ptr_reg + 1'b1;
    end

    if (rst) begin
        wr_ptr_reg <= {PTR_W+1{1'b0}};
        rd_ptr_reg <= {PTR_W+1{1'b0}};
    end
end

endmodule

`resetall
