// SPDX-License-Identifier: MIT OR Apache-2.0
//
// uart_tx: 8N1 transmitter; 16 ticks (from uart_baud) per bit.
// Byte in: valid/ready; data_ready is high while idle and the byte is taken on the
// clock valid && ready. The line output comes straight from a flop.
`resetall
`default_nettype none

module uart_tx (
    input  wire       clk,
    input  wire       rst,

    // 16x oversampling enable
    input  wire       tick,

    // Byte in (valid/ready)
    input  wire       data_valid,
    output wire       data_ready,
    input  wire [7:0] data,

    // Line out, idle high
    output wire       txd
);

reg        busy_reg = 1'b0;
reg [8:0]  shift_reg = 9'h1ff;   // {stop, data[7:0]} still to send after the current bit
reg [3:0]  bit_reg = 4'd0;       // bits left after the current one
reg [3:0]  os_reg = 4'd0;
reg        txd_reg = 1'b1;

assign data_ready = !busy_reg;
assign txd        = txd_reg;

always @(posedge clk) begin
    if (!busy_reg) begin
        if (data_valid) begin
            // start bit now; data LSB first, then the stop bit
            busy_reg  <= 1'b1;
            txd_reg   <= 1'b0;
            shift_reg <= {1'b1, data};
            bit_reg   <= 4'd9;
            os_reg    <= 4'd0;
        end
    end else if (tick) begin
        os_reg <= os_reg + 4'd1;
        if (os_reg == 4'd15) begin
            if (bit_reg == 4'd0) begin
                busy_reg <= 1'b0;
            end else begin
                txd_reg   <= shift_reg[0];
                shift_reg <= {1'b1, shift_reg[8:1]};
                bit_reg   <= bit_reg - 4'd1;
            end
        end
    end
    if (rst) begin
        busy_reg <= 1'b0;
        txd_reg  <= 1'b1;
        bit_reg  <= 4'd0;
        os_reg   <= 4'd0;
    end
end

endmodule

`resetall
