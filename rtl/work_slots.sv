// SPDX-License-Identifier: MIT OR Apache-2.0
//
// work_slots: the midstate and tail of the last 2^SLOT_W work items, in block RAM,
// read by slot. Item n is written to slot n mod 2^SLOT_W; the reader never reads
// a slot on the clock it is written. read_data is the slot at read_addr a clock
// earlier; running_slot is the slot of the item that load started.
`resetall
`default_nettype none

module work_slots #(
    // Slots: 2^SLOT_W (1..)
    parameter SLOT_W = 2,
    // 0: an item's words are written whole on accept;
    // 1: as their bytes come, before the item is offered (sha256d_miner WORK_BYTES)
    parameter WORK_BYTES = 0,
    // WORK_BYTES: the byte index of the words' first byte (0..)
    parameter [5:0] FIRST_BYTE = 6'd1
) (
    input  wire              clk,
    input  wire              rst,

    // Items in: accept ends an item; its words are {midstate, tail}
    input  wire              accept,
    input  wire [351:0]      words,
    input  wire              byte_valid,
    input  wire [5:0]        byte_index,
    input  wire [7:0]        byte_data,

    // The queued (last accepted) item starts
    input  wire              load,
    output wire [SLOT_W-1:0] running_slot,

    // Read port
    input  wire [SLOT_W-1:0] read_addr,
    output wire [351:0]      read_data
);

localparam WORD_BYTES = 352 / 8;

// no_rw_check: a slot is never read on the clock it is written (see the top).
(* ram_style = "block", no_rw_check *) reg [351:0] mem [0:(1 << SLOT_W) - 1];
reg [SLOT_W-1:0] wr_slot_reg = {SLOT_W{1'b0}};
reg [SLOT_W-1:0] running_slot_reg;
reg [351:0]      read_reg;

// WORK_BYTES: the next item's bytes go into its slot as they come; that slot is
// free whether or not an item is queued.
integer b;
always @(posedge clk) begin
    if (WORK_BYTES != 0) begin
        for (b = 0; b < WORD_BYTES; b = b + 1) begin
            if (byte_valid && byte_index == FIRST_BYTE + 6'(b)) begin
                mem[wr_slot_reg][351 - 8 * b -: 8] <= byte_data;
            end
        end
    end else if (accept) begin
        mem[wr_slot_reg] <= words;
    end
    read_reg <= mem[read_addr];
end

always @(posedge clk) begin
    if (accept) begin
        wr_slot_reg <= wr_slot_reg + 1'b1;
    end
    if (load) begin
        running_slot_reg <= wr_slot_reg - 1'b1;
    end
    if (rst) begin
        wr_slot_reg <= {SLOT_W{1'b0}};
    end
end

assign running_slot = running_slot_reg;
assign read_data = read_reg;

endmodule

`resetall
