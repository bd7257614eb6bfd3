// SPDX-License-Identifier: MIT OR Apache-2.0
//
// frame_tx: wire protocol v1 encoder: SYNC, TYPE, LEN, payload, CRC-16 (big-endian).
// Frame in: valid/ready, taken whole (payload latched) on valid && ready; frame_ready
// is high while idle. Bytes out to uart_tx (valid/ready), back to back.
`resetall
`default_nettype none

module frame_tx (
    input  wire         clk,
    input  wire         rst,

    // Frame in: payload first byte in [151:144], LEN bytes used (0..19)
    input  wire         frame_valid,
    output wire         frame_ready,
    input  wire [7:0]   frame_type,
    input  wire [4:0]   frame_len,
    input  wire [151:0] frame_payload,

    // Bytes out (valid/ready)
    output wire         tx_valid,
    input  wire         tx_ready,
    output wire [7:0]   tx_data
);

localparam [7:0] SYNC = 8'hA5;

localparam [2:0] ST_IDLE    = 3'd0;
localparam [2:0] ST_SYNC    = 3'd1;
localparam [2:0] ST_TYPE    = 3'd2;
localparam [2:0] ST_LEN     = 3'd3;
localparam [2:0] ST_PAYLOAD = 3'd4;
localparam [2:0] ST_CRC_HI  = 3'd5;
localparam [2:0] ST_CRC_LO  = 3'd6;

reg [2:0]   state_reg = ST_IDLE;
reg [7:0]   type_reg;
reg [4:0]   len_reg;
reg [4:0]   left_reg;            // payload bytes still to send
reg [151:0] payload_reg;
reg [15:0]  crc_reg = 16'hffff;

reg [7:0] byte_out;
always @* begin
    case (state_reg)
        ST_SYNC:    byte_out = SYNC;
        ST_TYPE:    byte_out = type_reg;
        ST_LEN:     byte_out = {3'b000, len_reg};
        ST_PAYLOAD: byte_out = payload_reg[151:144];
        ST_CRC_HI:  byte_out = crc_reg[15:8];
        ST_CRC_LO:  byte_out = crc_reg[7:0];
        default:    byte_out = 8'h00;
    endcase
end

wire [15:0] crc_next;

crc16_ccitt crc_inst (
    .crc_in(crc_reg),
    .data(byte_out),
    .crc_out(crc_next)
);

assign frame_ready = state_reg == ST_IDLE;
assign tx_valid    = state_reg != ST_IDLE;
assign tx_data     = byte_out;

always @(posedge clk) begin
    if (state_reg == ST_IDLE) begin
        if (frame_valid) begin
            type_reg    <= frame_type;
            len_reg     <= frame_len;
            left_reg    <= frame_len;
            payload_reg <= frame_payload;
            crc_reg     <= 16'hffff;
            state_reg   <= ST_SYNC;
        end
    end else if (tx_ready) begin
        // one byte taken: the CRC covers TYPE, LEN and the payload
        case (state_reg)
            ST_SYNC: state_reg <= ST_TYPE;
            ST_TYPE: begin
                crc_reg   <= crc_next;
                state_reg <= ST_LEN;
            end
            ST_LEN: begin
                crc_reg   <= crc_next;
                state_reg <= len_reg == 5'd0 ? ST_CRC_HI : ST_PAYLOAD;
            end
            ST_PAYLOAD: begin
                crc_reg     <= crc_next;
                payload_reg <= {payload_reg[143:0], 8'h00};
                left_reg    <= left_reg - 5'd1;
                if (left_reg == 5'd1) begin
                    state_reg <= ST_CRC_HI;
                end
            end
            ST_CRC_HI: state_reg <= ST_CRC_LO;
            default:   state_reg <= ST_IDLE;
        endcase
    end
    if (rst) begin
        state_reg <= ST_IDLE;
    end
end

endmodule

`resetall
