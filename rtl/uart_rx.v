// SPDX-License-Identifier: MIT OR Apache-2.0
//
// uart_rx: 8N1 receiver, 16x oversampled on tick (from uart_baud).
// A start bit must still be low at its middle (else it was a glitch); the stop bit
// must be high (else framing_error pulses and the byte is dropped). data_valid pulses
// one clock per byte. active is high from a start edge to the end of the stop bit.
`resetall
`default_nettype none

module uart_rx (
    input  wire       clk,
    input  wire       rst,

    // 16x oversampling enable
    input  wire       tick,

    // Line in, idle high (asynchronous: synchronized here)
    input  wire       rxd,

    // Byte out: one-clock pulse, no back-pressure
    output wire       data_valid,
    output wire [7:0] data,
    output wire       framing_error,
    output wire       active
);

localparam [1:0] ST_IDLE  = 2'd0;
localparam [1:0] ST_START = 2'd1;
localparam [1:0] ST_DATA  = 2'd2;
localparam [1:0] ST_STOP  = 2'd3;

// Two-flop synchronizer; starts idle (high).
reg [1:0] sync_reg = 2'b11;
wire      line = sync_reg[1];

reg [1:0] state_reg = ST_IDLE;
reg [3:0] os_reg = 4'd0;        // oversample count within a bit
reg [2:0] bit_reg = 3'd0;       // data bit index
reg [7:0] shift_reg;
reg       valid_reg = 1'b0;
reg       error_reg = 1'b0;
reg       wait_high_reg = 1'b0; // after a framing error, wait for the line to idle

assign data_valid    = valid_reg;
assign data          = shift_reg;
assign framing_error = error_reg;
assign active        = state_reg != ST_IDLE;

always @(posedge clk) begin
    sync_reg  <= {sync_reg[0], rxd};
    valid_reg <= 1'b0;
    error_reg <= 1'b0;
    if (tick) begin
        case (state_reg)
            ST_IDLE: begin
                // idle: wait for a falling edge (a low line after idle high)
                os_reg <= 4'd0;
                if (line) begin
                    wait_high_reg <= 1'b0;
                end else if (!wait_high_reg) begin
                    state_reg <= ST_START;
                end
            end
            ST_START: begin
                // the start bit must still be low at its middle
                os_reg <= os_reg + 4'd1;
                if (os_reg == 4'd6) begin
                    os_reg  <= 4'd0;
                    bit_reg <= 3'd0;
                    state_reg <= line ? ST_IDLE : ST_DATA;
                end
            end
            ST_DATA: begin
                // sample each data bit at its middle, LSB first
                os_reg <= os_reg + 4'd1;
                if (os_reg == 4'd15) begin
                    shift_reg <= {line, shift_reg[7:1]};
                    bit_reg   <= bit_reg + 3'd1;
                    if (bit_reg == 3'd7) begin
                        state_reg <= ST_STOP;
                    end
                end
            end
            ST_STOP: begin
                // stop bit sampled at its middle; go idle there so a following start
                // edge is caught even when the sender's clock runs a little fast
                os_reg <= os_reg + 4'd1;
                if (os_reg == 4'd15) begin
                    state_reg <= ST_IDLE;
                    if (line) begin
                        valid_reg <= 1'b1;
                    end else begin
                        error_reg     <= 1'b1;
                        wait_high_reg <= 1'b1;
                    end
                end
            end
            default: state_reg <= ST_IDLE;
        endcase
    end
    if (rst) begin
        sync_reg      <= 2'b11;
        state_reg     <= ST_IDLE;
        os_reg        <= 4'd0;
        valid_reg     <= 1'b0;
        error_reg     <= 1'b0;
        wait_high_reg <= 1'b0;
    end
end

endmodule

`resetall
