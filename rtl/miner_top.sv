// SPDX-License-Identifier: MIT OR Apache-2.0
//
// miner_top: a whole portable board behind one UART: uart -> frame_rx -> sha256d_miner
// -> frame_tx -> uart, speaking wire protocol v2 (docs/protocol.md). Answers IDENTIFY,
// STATUS_REQUEST, FLUSH (STATUS once work is abandoned), refuses frames with NAK and
// turns miner events into RESULT/DONE. Responses share the line round-robin.
`resetall
`default_nettype none

module miner_top #(
    // Core clock, Hz (>= 16 * BAUD).
    parameter CLK_HZ = 24_000_000,
    // UART baud rate, bits per second.
    parameter BAUD = 115_200,
    // SHA-256 rounds per clock per core: 1..64, a power of two.
    parameter ROUNDS_PER_CLK = 1,
    // Parallel cores: 1..16.
    parameter CORES = 1,
    // 32-bit value reported in IDENTITY.
    parameter BUILD_ID = 32'h0,
    // 1: h + W + K of fixed rounds on one ECP5 carry chain (sha256_add_hkw); 0: portable
    parameter ECP5_CARRY = 0,
    // Block RAMs per core for the message schedules (see sha256d_miner)
    parameter SCHEDULE_BRAMS = 0,
    // 1: adders of the one-round-per-clock pipeline on iCE40 UP DSP blocks
    parameter ICE40_DSP = 0
) (
    input  wire clk,
    input  wire rst,

    // UART: 8N1, idle high
    input  wire uart_rx,
    output wire uart_tx,

    // LEDs, active high: ~1 Hz blink, hashing, a nonce was found (stretched)
    output wire led_alive,
    output wire led_hashing,
    output wire led_found
);

localparam [7:0] T_IDENTIFY = 8'h01;
localparam [7:0] T_WORK     = 8'h02;
localparam [7:0] T_FLUSH    = 8'h03;
localparam [7:0] T_STATUS   = 8'h04;
localparam [7:0] T_IDENTITY = 8'h81;
localparam [7:0] T_RESULT   = 8'h82;
localparam [7:0] T_DONE     = 8'h83;
localparam [7:0] T_STATUS_R = 8'h84;
localparam [7:0] T_NAK      = 8'h8F;

localparam [7:0] R_QUEUE_FULL = 8'h05;
localparam [7:0] R_BAD_RANGE  = 8'h06;

localparam [7:0] PROTOCOL_VERSION = 8'd2;
localparam [7:0] FLAGS = 8'h01;            // bit 0: ranges are end-inclusive
localparam [7:0] QUEUE_DEPTH = 8'd1;       // the miner's double buffer: one waits
localparam RESULT_FIFO_DEPTH = 16;

// Frame timeout, counted from the middle of the last stop bit: 41 bit times, so a
// gap of up to 40 bit times (4 byte times) between bytes is still one frame.
localparam TIMEOUT_CLKS = (CLK_HZ / BAUD) * 41 + ((CLK_HZ % BAUD) * 41) / BAUD;
// LED timing counts 100 ms ticks, so the found LED's timer is two bits wide
// rather than a long counter whose zero test and decrement chain run in series.
localparam TICK_CLKS = CLK_HZ / 10;
localparam TW = $clog2(TICK_CLKS + 1);
localparam BLINK_TICKS = 5;                // alive LED toggles every half second
localparam FOUND_TICKS = 2;                // found LED stays on 100..200 ms

localparam [31:0] BUILD_ID_W = BUILD_ID;
localparam [31:0] CLK_HZ_W = CLK_HZ;
localparam [31:0] CORES_W = CORES;
localparam [31:0] ROUNDS_W = ROUNDS_PER_CLK;

if (CLK_HZ < 16 * BAUD) begin : g_check_baud
    $error("miner_top: CLK_HZ must be at least 16 * BAUD");
end

// UART
wire       tick;
wire       rx_valid;
wire [7:0] rx_data;
wire       rx_active;
/* verilator lint_off UNUSED */
wire       rx_framing_error;   // the frame's CRC or timeout catches a lost byte
/* verilator lint_on UNUSED */
wire       tx_valid;
wire       tx_ready;
wire [7:0] tx_data;

uart_baud #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .OVERSAMPLE(16)
) baud_inst (
    .clk(clk),
    .rst(rst),
    .tick(tick)
);

uart_rx rx_inst (
    .clk(clk),
    .rst(rst),
    .tick(tick),
    .rxd(uart_rx),
    .data_valid(rx_valid),
    .data(rx_data),
    .framing_error(rx_framing_error),
    .active(rx_active)
);

uart_tx tx_inst (
    .clk(clk),
    .rst(rst),
    .tick(tick),
    .data_valid(tx_valid),
    .data_ready(tx_ready),
    .data(tx_data),
    .txd(uart_tx)
);

// Frames in
wire         byte_valid;
wire [5:0]   byte_index;
wire [7:0]   byte_data;
wire         cmd_valid;
wire [7:0]   cmd_type;
wire         rx_nak_valid;
wire [7:0]   rx_nak_reason;
wire [7:0]   rx_nak_type;

frame_rx #(
    .TIMEOUT_CLKS(TIMEOUT_CLKS)
) frame_rx_inst (
    .clk(clk),
    .rst(rst),
    .rx_valid(rx_valid),
    .rx_data(rx_data),
    .line_active(rx_active),
    .byte_valid(byte_valid),
    .byte_index(byte_index),
    .byte_data(byte_data),
    .cmd_valid(cmd_valid),
    .cmd_type(cmd_type),
    .nak_valid(rx_nak_valid),
    .nak_reason(rx_nak_reason),
    .nak_type(rx_nak_type)
);

// WORK payload: tag, midstate, tail, nonce_start, nonce_end, threshold, flags
// (bit 0: count in header-byte order; bits 7..1 reserved, ignored). Only WORK
// frames have a payload. The one-round-per-clock core takes its bytes one at a
// time as they come (sha256d_miner WORK_BYTES), which keeps a payload register
// out of the small FPGAs it is built for; the others take the item whole from
// one, shifted in byte by byte. Either way the miner takes the item only on
// work_valid, after the frame's CRC has checked, so the bytes of a refused
// frame change nothing.
localparam WORK_BYTES = ROUNDS_PER_CLK == 1 ? 1 : 0;
wire [463:0] payload;
if (WORK_BYTES != 0) begin : g_byte_port
    assign payload = 464'd0;
end else begin : g_payload_reg
    reg [463:0] payload_reg;
    always @(posedge clk) begin
        if (byte_valid) begin
            payload_reg <= {payload_reg[455:0], byte_data};
        end
    end
    assign payload = payload_reg;
end
wire [7:0]   work_tag          = payload[463:456];
wire [255:0] work_midstate     = payload[455:200];
wire [95:0]  work_tail         = payload[199:104];
wire [31:0]  work_nonce_start  = payload[103:72];
wire [31:0]  work_nonce_end    = payload[71:40];
wire [31:0]  work_threshold    = payload[39:8];
wire         work_header_order = payload[0];
/* verilator lint_off UNUSEDSIGNAL */
wire [6:0]   work_flags_reserved = payload[7:1];
/* verilator lint_on UNUSEDSIGNAL */
wire         work_bytes_lost;   // WORK_BYTES: the frame came while the queue was full
wire         work_bad_range;

// Miner
reg          work_valid_reg = 1'b0;
reg          flush_reg = 1'b0;
wire         work_ready;
wire         event_valid;
wire         event_ready;
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
    .RESULT_FIFO_DEPTH(RESULT_FIFO_DEPTH),
    .ECP5_CARRY(ECP5_CARRY),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS),
    .WORK_BYTES(WORK_BYTES),
    .ICE40_DSP(ICE40_DSP)
) miner_inst (
    .clk(clk),
    .rst(rst),
    .work_valid(work_valid_reg),
    .work_ready(work_ready),
    .work_tag(work_tag),
    .work_midstate(work_midstate),
    .work_tail(work_tail),
    .work_nonce_start(work_nonce_start),
    .work_nonce_end(work_nonce_end),
    .work_threshold(work_threshold),
    .work_header_order(work_header_order),
    .work_byte_valid(byte_valid),
    .work_byte_index(byte_index),
    .work_byte_data(byte_data),
    .work_bytes_lost(work_bytes_lost),
    .work_bad_range(work_bad_range),
    .flush(flush_reg),
    .event_valid(event_valid),
    .event_ready(event_ready),
    .event_done(event_done),
    .event_tag(event_tag),
    .event_nonce(event_nonce),
    .found_dropped(found_dropped),
    .busy(busy),
    .queued(queued),
    .current_tag(current_tag),
    .nonces_hashed(nonces_hashed)
);

// Pending responses and counters
reg        nak_pending_reg = 1'b0;
reg [7:0]  nak_reason_reg = 8'h00;
reg [7:0]  nak_type_reg = 8'h00;
reg        ident_pending_reg = 1'b0;
reg        status_pending_reg = 1'b0;
reg        flush_wait_reg = 1'b0;
reg [31:0] bad_frames_reg = 32'd0;
reg [31:0] dropped_reg = 32'd0;

wire is_work   = cmd_valid && cmd_type == T_WORK;
// A frame whose bytes came while the queue was full is refused as full.
wire bad_range = work_bad_range && !work_bytes_lost;
wire work_full = !work_ready || work_valid_reg || work_bytes_lost;
wire work_nak  = is_work && (bad_range || work_full);
wire new_nak   = rx_nak_valid || work_nak;
wire [7:0] new_nak_reason = rx_nak_valid ? rx_nak_reason :
                            bad_range ? R_BAD_RANGE : R_QUEUE_FULL;
wire [7:0] new_nak_type = rx_nak_valid ? rx_nak_type : T_WORK;

// Round-robin arbiter over the four response sources, so that none starves:
// 0 NAK, 1 IDENTITY, 2 STATUS, 3 miner event (RESULT or DONE).
wire [3:0] req = {event_valid, status_pending_reg, ident_pending_reg, nak_pending_reg};
reg  [1:0] rr_reg = 2'd0;      // the source with the highest priority this time
reg  [1:0] grant;
reg        grant_any;
reg  [1:0] idx;
integer    k;

always @* begin
    grant     = 2'd0;
    grant_any = 1'b0;
    idx       = 2'd0;
    // scan from the farthest to the nearest, so the nearest requester wins
    for (k = 3; k >= 0; k = k - 1) begin
        idx = rr_reg + k[1:0];
        if (req[idx]) begin
            grant     = idx;
            grant_any = 1'b1;
        end
    end
end

wire         frame_ready;
wire         frame_accept = grant_any && frame_ready;
reg  [7:0]   frame_type;
reg  [4:0]   frame_len;
reg  [151:0] frame_payload;

always @* begin
    case (grant)
        2'd0: begin
            frame_type    = T_NAK;
            frame_len     = 5'd2;
            frame_payload = {nak_reason_reg, nak_type_reg, 136'd0};
        end
        2'd1: begin
            frame_type    = T_IDENTITY;
            frame_len     = 5'd13;
            frame_payload = {PROTOCOL_VERSION, BUILD_ID_W, CORES_W[7:0], ROUNDS_W[7:0], CLK_HZ_W,
                             FLAGS, QUEUE_DEPTH, 48'd0};
        end
        2'd2: begin
            frame_type    = T_STATUS_R;
            frame_len     = 5'd19;
            frame_payload = {current_tag, 7'd0, busy, 7'd0, queued, nonces_hashed,
                             bad_frames_reg, dropped_reg};
        end
        default: begin
            frame_type    = event_done ? T_DONE : T_RESULT;
            frame_len     = event_done ? 5'd1 : 5'd5;
            frame_payload = {event_tag, event_nonce, 112'd0};
        end
    endcase
end

assign event_ready = frame_accept && grant == 2'd3;

frame_tx frame_tx_inst (
    .clk(clk),
    .rst(rst),
    .frame_valid(grant_any),
    .frame_ready(frame_ready),
    .frame_type(frame_type),
    .frame_len(frame_len),
    .frame_payload(frame_payload),
    .tx_valid(tx_valid),
    .tx_ready(tx_ready),
    .tx_data(tx_data)
);

always @(posedge clk) begin
    flush_reg <= 1'b0;

    if (work_valid_reg && work_ready) begin
        work_valid_reg <= 1'b0;
    end

    // commands
    if (cmd_valid) begin
        case (cmd_type)
            T_IDENTIFY: ident_pending_reg <= 1'b1;
            T_STATUS:   status_pending_reg <= 1'b1;
            T_FLUSH: begin
                flush_reg      <= 1'b1;
                flush_wait_reg <= 1'b1;
            end
            default: begin
                // WORK: the queue slot was free when checked, so it is taken next clock
                if (!work_nak) begin
                    work_valid_reg <= 1'b1;
                end
            end
        endcase
    end

    // FLUSH is answered once the miner has dropped running and queued work
    if (flush_wait_reg && !flush_reg && !busy && !queued) begin
        flush_wait_reg     <= 1'b0;
        status_pending_reg <= 1'b1;
    end

    // one NAK waits at a time; later ones are only counted
    if (new_nak && !nak_pending_reg) begin
        nak_pending_reg <= 1'b1;
        nak_reason_reg  <= new_nak_reason;
        nak_type_reg    <= new_nak_type;
    end
    if (new_nak && bad_frames_reg != 32'hffff_ffff) begin
        bad_frames_reg <= bad_frames_reg + 32'd1;
    end
    if (found_dropped && dropped_reg != 32'hffff_ffff) begin
        dropped_reg <= dropped_reg + 32'd1;
    end

    // a response was taken by frame_tx
    if (frame_accept) begin
        rr_reg <= grant + 2'd1;
        case (grant)
            2'd0: nak_pending_reg <= 1'b0;
            2'd1: ident_pending_reg <= 1'b0;
            2'd2: status_pending_reg <= 1'b0;
            default: ;
        endcase
    end

    if (rst) begin
        work_valid_reg     <= 1'b0;
        flush_reg          <= 1'b0;
        nak_pending_reg    <= 1'b0;
        ident_pending_reg  <= 1'b0;
        status_pending_reg <= 1'b0;
        flush_wait_reg     <= 1'b0;
        bad_frames_reg     <= 32'd0;
        dropped_reg        <= 32'd0;
        rr_reg             <= 2'd0;
    end
end

// LEDs
// The count starts at 1 so that, with tick_reg's clock of delay, a tick (and the
// alive LED's first toggle) lands on exactly every TICK_CLKS-th clock after reset.
reg [TW-1:0] tick_count_reg = TW'(1);
reg          tick_reg = 1'b0;
reg [2:0]    blink_reg = 3'd0;
reg          alive_reg = 1'b0;
reg [1:0]    found_reg = 2'd0;

assign led_alive   = alive_reg;
assign led_hashing = busy;
assign led_found   = found_reg != 2'd0;

always @(posedge clk) begin
    tick_reg <= tick_count_reg == TW'(TICK_CLKS - 1);
    tick_count_reg <= tick_count_reg == TW'(TICK_CLKS - 1) ? {TW{1'b0}} : tick_count_reg + 1'b1;
    if (tick_reg) begin
        blink_reg <= blink_reg == 3'(BLINK_TICKS - 1) ? 3'd0 : blink_reg + 1'b1;
        alive_reg <= blink_reg == 3'(BLINK_TICKS - 1) ? !alive_reg : alive_reg;
    end
    if (event_ready && !event_done) begin
        found_reg <= 2'(FOUND_TICKS);
    end else if (tick_reg && found_reg != 2'd0) begin
        found_reg <= found_reg - 1'b1;
    end
    if (rst) begin
        tick_count_reg <= TW'(1);
        tick_reg <= 1'b0;
        blink_reg <= 3'd0;
        alive_reg <= 1'b0;
        found_reg <= 2'd0;
    end
end

endmodule

`resetall
