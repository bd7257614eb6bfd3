// SPDX-License-Identifier: MIT OR Apache-2.0
//
// uart_baud: one-cycle enable at OVERSAMPLE x BAUD from the core clock.
// A phase accumulator adds OVERSAMPLE*BAUD each clock and wraps at CLK_HZ, so the
// long-run rate is exact and each tick is off by at most one clock.
`resetall
`default_nettype none

module uart_baud #(
    // Core clock, Hz (>= OVERSAMPLE * BAUD).
    parameter CLK_HZ = 24_000_000,
    // Line rate, bits per second.
    parameter BAUD = 115_200,
    // Ticks per bit: 16 for the receiver's oversampling.
    parameter OVERSAMPLE = 16
) (
    input  wire clk,
    input  wire rst,

    // One clock high, OVERSAMPLE times per bit time
    output wire tick
);

localparam [31:0] STEP = OVERSAMPLE * BAUD;
localparam [31:0] WRAP = CLK_HZ;

if (CLK_HZ < OVERSAMPLE * BAUD) begin : g_check_rate
    $error("uart_baud: CLK_HZ must be at least OVERSAMPLE * BAUD");
end

reg [31:0] acc_reg = 32'd0;
reg        tick_reg = 1'b0;

wire [32:0] sum = {1'b0, acc_reg} + {1'b0, STEP};

assign tick = tick_reg;

always @(posedge clk) begin
    if (sum >= {1'b0, WRAP}) begin
        acc_reg  <= sum[31:0] - WRAP;
        tick_reg <= 1'b1;
    end else begin
        acc_reg  <= sum[31:0];
        tick_reg <= 1'b0;
    end
    if (rst) begin
        acc_reg  <= 32'd0;
        tick_reg <= 1'b0;
    end
end

endmodule

`resetall
