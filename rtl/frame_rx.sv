// SPDX-License-Identifier: MIT OR Apache-2.0
//
// frame_rx: wire protocol v2 decoder (docs/protocol.md) for host -> board frames.
// Bytes in from uart_rx; payload bytes out one at a time as they arrive (byte_valid,
// with their index in the payload), so the reader stores each field where it
// belongs; per frame exactly one one-clock pulse out: cmd_valid (good frame: its
// CRC checked) or nak_valid (refused frame: bad CRC, unknown type, wrong LEN at
// once, or TIMEOUT_CLKS idle inside a frame). The bytes of a refused frame come out
// too: the reader keeps what it stores of a frame uncommitted until cmd_valid.
`resetall
`default_nettype none

module frame_rx #(
    // Idle clocks inside a frame before it is dropped (4 byte times), >= 1.
    parameter TIMEOUT_CLKS = 1000
) (
    input  wire         clk,
    input  wire         rst,

    // Bytes from the UART; line_active is high while a byte is on the line
    input  wire         rx_valid,
    input  wire [7:0]   rx_data,
    input  wire         line_active,

    // Payload byte byte_index (0 = first) of the frame being received, one clock
    output wire         byte_valid,
    output wire [5:0]   byte_index,
    output wire [7:0]   byte_data,

    // Good frame: its type; its payload bytes came out before
    output wire         cmd_valid,
    output wire [7:0]   cmd_type,

    // Refused frame: NAK reason and the refused type (0 when not yet received)
    output wire         nak_valid,
    output wire [7:0]   nak_reason,
    output wire [7:0]   nak_type
);

localparam [7:0] SYNC = 8'hA5;

localparam [7:0] T_IDENTIFY = 8'h01;
localparam [7:0] T_WORK     = 8'h02;
localparam [7:0] T_FLUSH    = 8'h03;
localparam [7:0] T_STATUS   = 8'h04;

localparam [7:0] R_BAD_CRC      = 8'h01;
localparam [7:0] R_UNKNOWN_TYPE = 8'h02;
localparam [7:0] R_BAD_LENGTH   = 8'h03;
localparam [7:0] R_TIMEOUT      = 8'h04;

localparam [2:0] ST_HUNT    = 3'd0;
localparam [2:0] ST_TYPE    = 3'd1;
localparam [2:0] ST_LEN     = 3'd2;
localparam [2:0] ST_PAYLOAD = 3'd3;
localparam [2:0] ST_CRC_HI  = 3'd4;
localparam [2:0] ST_CRC_LO  = 3'd5;

localparam TW = $clog2(TIMEOUT_CLKS + 1);
localparam [TW-1:0] TIMEOUT = TIMEOUT_CLKS[TW-1:0];

if (TIMEOUT_CLKS < 1) begin : g_check_timeout
    $error("frame_rx: TIMEOUT_CLKS must be at least 1");
end

reg [2:0]   state_reg = ST_HUNT;
reg [7:0]   type_reg = 8'h00;
reg [5:0]   len_reg = 6'd0;      // payload bytes expected
reg [5:0]   count_reg = 6'd0;    // payload bytes received
reg [15:0]  crc_reg = 16'hffff;
reg [7:0]   crc_hi_reg = 8'h00;
reg [TW-1:0] idle_reg = {TW{1'b0}};

reg         cmd_valid_reg = 1'b0;
reg         nak_valid_reg = 1'b0;
reg [7:0]   nak_reason_reg = 8'h00;
reg [7:0]   nak_type_reg = 8'h00;

wire [15:0] crc_next;

crc16_ccitt crc_inst (
    .crc_in(crc_reg),
    .data(rx_data),
    .crc_out(crc_next)
);

// Fixed payload length per host -> board type; known = the type exists.
reg       type_known;
reg [5:0] type_len;
always @* begin
    type_known = 1'b1;
    type_len   = 6'd0;
    case (rx_data)
        T_IDENTIFY, T_FLUSH, T_STATUS: type_len = 6'd0;
        T_WORK:                        type_len = 6'd58;
        default:                       type_known = 1'b0;
    endcase
end

assign cmd_valid   = cmd_valid_reg;
assign cmd_type    = type_reg;
// idle_reg == TIMEOUT drops the frame instead (see below)
assign byte_valid  = rx_valid && state_reg == ST_PAYLOAD && idle_reg != TIMEOUT;
assign byte_index  = count_reg;
assign byte_data   = rx_data;
assign nak_valid   = nak_valid_reg;
assign nak_reason  = nak_reason_reg;
assign nak_type    = nak_type_reg;

always @(posedge clk) begin
    cmd_valid_reg <= 1'b0;
    nak_valid_reg <= 1'b0;

    // Idle timer: runs inside a frame while no byte is on the line.
    if (state_reg == ST_HUNT || line_active || rx_valid) begin
        idle_reg <= {TW{1'b0}};
    end else if (idle_reg != TIMEOUT) begin
        idle_reg <= idle_reg + 1'b1;
    end

    if (state_reg != ST_HUNT && idle_reg == TIMEOUT) begin
        // truncated: drop the partial frame and hunt again
        state_reg      <= ST_HUNT;
        nak_valid_reg  <= 1'b1;
        nak_reason_reg <= R_TIMEOUT;
        nak_type_reg   <= state_reg == ST_TYPE ? 8'h00 : type_reg;
    end else if (rx_valid) begin
        case (state_reg)
            ST_HUNT: begin
                // hunt: skip everything but SYNC, silently
                if (rx_data == SYNC) begin
                    state_reg <= ST_TYPE;
                    crc_reg   <= 16'hffff;
                end
            end
            ST_TYPE: begin
                type_reg <= rx_data;
                crc_reg  <= crc_next;
                len_reg  <= type_len;
                if (type_known) begin
                    state_reg <= ST_LEN;
                end else begin
                    // refused at once; a SYNC here may start the real frame
                    nak_valid_reg  <= 1'b1;
                    nak_reason_reg <= R_UNKNOWN_TYPE;
                    nak_type_reg   <= rx_data;
                    state_reg      <= rx_data == SYNC ? ST_TYPE : ST_HUNT;
                    crc_reg        <= 16'hffff;
                end
            end
            ST_LEN: begin
                crc_reg   <= crc_next;
                count_reg <= 6'd0;
                if (rx_data != {2'b00, len_reg}) begin
                    // LEN must equal the type's length: refuse without waiting for a payload
                    nak_valid_reg  <= 1'b1;
                    nak_reason_reg <= R_BAD_LENGTH;
                    nak_type_reg   <= type_reg;
                    state_reg      <= rx_data == SYNC ? ST_TYPE : ST_HUNT;
                    crc_reg        <= 16'hffff;
                end else begin
                    state_reg <= len_reg == 6'd0 ? ST_CRC_HI : ST_PAYLOAD;
                end
            end
            ST_PAYLOAD: begin
                crc_reg     <= crc_next;
                count_reg   <= count_reg + 6'd1;
                if (count_reg == len_reg - 6'd1) begin
                    state_reg <= ST_CRC_HI;
                end
            end
            ST_CRC_HI: begin
                crc_hi_reg <= rx_data;
                state_reg  <= ST_CRC_LO;
            end
            ST_CRC_LO: begin
                state_reg <= ST_HUNT;
                if ({crc_hi_reg, rx_data} == crc_reg) begin
                    cmd_valid_reg <= 1'b1;
                end else begin
                    nak_valid_reg  <= 1'b1;
                    nak_reason_reg <= R_BAD_CRC;
                    nak_type_reg   <= type_reg;
                end
            end
            default: state_reg <= ST_HUNT;
        endcase
    end

    if (rst) begin
        state_reg     <= ST_HUNT;
        idle_reg      <= {TW{1'b0}};
        cmd_valid_reg <= 1'b0;
        nak_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
