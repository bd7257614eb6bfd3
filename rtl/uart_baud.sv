// SPDX-License-Identifier: MIT OR Apache-2.0
//
// uart_baud: one-cycle enable at OVERSAMPLE x BAUD from the core clock.
// A phase accumulator adds OVERSAMPLE*BAUD each clock and wraps at CLK_HZ (both
// divided by their gcd), so the long-run rate is exact and each tick is off by at
// most one clock.
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

// The accumulator runs on both rates divided by their greatest common divisor,
// which keeps it narrow (24 MHz / 16 x 115200 baud: 625 and 48, 10 bits).
function automatic integer gcd(input integer a, input integer b);
    integer x, y, t;
    begin
        x = a;
        y = b;
        while (y != 0) begin
            t = x % y;
            x = y;
            y = t;
        end
        gcd = x;
    end
endfunction

localparam DIV = gcd(CLK_HZ, OVERSAMPLE * BAUD);
localparam STEP_I = OVERSAMPLE * BAUD / DIV;
localparam WRAP_I = CLK_HZ / DIV;
localparam W = $clog2(WRAP_I + STEP_I + 1);
localparam [W-1:0] STEP = STEP_I[W-1:0];
localparam [W-1:0] WRAP = WRAP_I[W-1:0];

if (CLK_HZ < OVERSAMPLE * BAUD) begin : g_check_rate
    $error("uart_baud: CLK_HZ must be at least OVERSAMPLE * BAUD");
end

reg [W-1:0] acc_reg = {W{1'b0}};
reg         tick_reg = 1'b0;

// acc + STEP < WRAP + STEP fits in W bits
wire [W-1:0] sum = acc_reg + STEP;

assign tick = tick_reg;

always @(posedge clk) begin
    if (sum >= WRAP) begin
        acc_reg  <= sum - WRAP;
        tick_reg <= 1'b1;
    end else begin
        acc_reg  <= sum;
        tick_reg <= 1'b0;
    end
    if (rst) begin
        acc_reg  <= {W{1'b0}};
        tick_reg <= 1'b0;
    end
end

endmodule

`resetall
