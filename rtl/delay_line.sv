// SPDX-License-Identifier: MIT OR Apache-2.0
//
// delay_line: out_data is in_data from DELAY clocks earlier.
// BLOCK = 1 builds it in block RAM, which takes no logic cells; otherwise delays
// of at least RAM_MIN_DELAY use a RAM circular buffer (distributed or block, as
// synthesis chooses) and shorter ones a register chain. Memory reads pass a
// register outside the RAM: a block RAM's own output is too slow (ECP5 -6: 5.8 ns).
// IN_REGS registers in front of a memory let it sit far from in_data's source,
// OUT_REGS behind it far from out_data's reader: block RAMs are few and fixed
// in place, and a long pipeline's words come from and go to all over the chip.
`resetall
`default_nettype none

module delay_line #(
    // Bits delayed (1..)
    parameter WIDTH = 32,
    // Delay in clocks (1..; 3.. with BLOCK = 1)
    parameter DELAY = 2,
    // Shortest delay built as a RAM circular buffer (3..)
    parameter RAM_MIN_DELAY = 7,
    // 1: block RAM; 0: as above
    parameter BLOCK = 0,
    // Registers in front of a memory (block or RAM form), part of DELAY
    parameter IN_REGS = 0,
    // Registers behind a memory (block or RAM form), part of DELAY
    parameter OUT_REGS = 0
) (
    input  wire             clk,
    input  wire [WIDTH-1:0] in_data,
    output wire [WIDTH-1:0] out_data
);

// A memory form delays MEM_DELAY clocks between the IN_REGS and OUT_REGS registers.
localparam MEMORY = BLOCK != 0 || DELAY >= RAM_MIN_DELAY;
localparam MEM_DELAY = MEMORY ? DELAY - IN_REGS - OUT_REGS : DELAY;

if (DELAY < 1 || RAM_MIN_DELAY < 3 || IN_REGS < 0 || OUT_REGS < 0
    || (MEMORY && MEM_DELAY < 3)) begin : g_check_delay
    $error("delay_line: DELAY must be at least 1, and at least IN_REGS + OUT_REGS + 3 for a memory; RAM_MIN_DELAY at least 3");
end

// Register chain: the whole delay in the register form, the IN_REGS in front of a memory.
localparam CHAIN = MEMORY ? IN_REGS : DELAY;
wire [WIDTH-1:0] chained;
if (CHAIN > 0) begin : g_chain
    reg [WIDTH-1:0] chain_reg [0:CHAIN-1];
    integer i;
    always @(posedge clk) begin
        chain_reg[0] <= in_data;
        for (i = 1; i < CHAIN; i = i + 1) begin
            chain_reg[i] <= chain_reg[i-1];
        end
    end
    assign chained = chain_reg[CHAIN-1];
end else begin : g_no_chain
    assign chained = in_data;
end

// What the memory form gives, before the OUT_REGS registers
wire [WIDTH-1:0] stored;

// Memories are sliced into 32-bit memories, each with its own pointers: a wide
// line takes several block RAMs, placed wherever the chip has one free, and one
// pointer register would drive all their addresses (keep on the pointers' block:
// Yosys would merge the copies).
localparam SLICES = (WIDTH + 31) / 32;
genvar s;

if (BLOCK != 0) begin : g_block
    // The entry written at clock T is read at T + MEM_DELAY - 2 into the RAM's read
    // register, then into out_reg: the pointers stay MEM_DELAY - 2 apart, so they never meet.
    localparam PTR_W = MEM_DELAY > 3 ? $clog2(MEM_DELAY - 1) : 1;
    localparam [PTR_W-1:0] LEAD = PTR_W'(MEM_DELAY - 2);

    for (s = 0; s < SLICES; s = s + 1) begin : g_slice
        localparam SLICE_W = s == SLICES - 1 ? WIDTH - 32 * s : 32;
        (* ram_style = "block", no_rw_check *) reg [SLICE_W-1:0] mem [0:(1 << PTR_W) - 1];
        reg [SLICE_W-1:0] read_reg;
        reg [SLICE_W-1:0] out_reg;
        reg [PTR_W-1:0] wr_ptr_reg = LEAD;
        reg [PTR_W-1:0] rd_ptr_reg = {PTR_W{1'b0}};

        always @(posedge clk) begin
            mem[wr_ptr_reg] <= chained[32*s +: SLICE_W];
            read_reg <= mem[rd_ptr_reg];
            out_reg <= read_reg;
        end

        // Both pointers step every clock, so they keep their distance without a
        // reset: a reset net reaching every line would pin the pointers' placement.
        (* keep *)
        always @(posedge clk) begin
            wr_ptr_reg <= wr_ptr_reg + 1'b1;
            rd_ptr_reg <= rd_ptr_reg + 1'b1;
        end

        assign stored[32*s +: SLICE_W] = out_reg;
    end
end else if (!MEMORY) begin : g_regs
    assign stored = chained;
end else begin : g_ram
    // MEM_DELAY - 2 entries, the read register and out_reg
    localparam DEPTH = MEM_DELAY - 2;
    localparam PTR_W = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam [PTR_W-1:0] PTR_LAST = PTR_W'(DEPTH - 1);

    for (s = 0; s < SLICES; s = s + 1) begin : g_slice
        localparam SLICE_W = s == SLICES - 1 ? WIDTH - 32 * s : 32;
        reg [SLICE_W-1:0] mem [0:DEPTH-1];
        reg [SLICE_W-1:0] read_reg;
        reg [SLICE_W-1:0] out_reg;
        reg [PTR_W-1:0] ptr_reg = {PTR_W{1'b0}};

        // Read before write: the entry read is the one written DEPTH clocks ago.
        always @(posedge clk) begin
            read_reg <= mem[ptr_reg];
            out_reg <= read_reg;
            mem[ptr_reg] <= chained[32*s +: SLICE_W];
        end

        // Any start in 0 .. PTR_LAST gives the same delay: no reset needed.
        (* keep *)
        always @(posedge clk) begin
            ptr_reg <= ptr_reg == PTR_LAST ? {PTR_W{1'b0}} : ptr_reg + 1'b1;
        end
        assign stored[32*s +: SLICE_W] = out_reg;
    end
end

if (MEMORY && OUT_REGS > 0) begin : g_out_chain
    reg [WIDTH-1:0] out_chain_reg [0:OUT_REGS-1];
    integer j;
    always @(posedge clk) begin
        out_chain_reg[0] <= stored;
        for (j = 1; j < OUT_REGS; j = j + 1) begin
            out_chain_reg[j] <= out_chain_reg[j-1];
        end
    end
    assign out_data = out_chain_reg[OUT_REGS-1];
end else begin : g_no_out_chain
    assign out_data = stored;
end

endmodule

`resetall
