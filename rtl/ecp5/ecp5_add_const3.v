// SPDX-License-Identifier: MIT OR Apache-2.0
// ECP5 sum = x + y + K (K constant) on 16 CCU2C, no other LUT. Carry-save first:
// x + y + K = s + (m << 1), s = x ^ y ^ K, m = maj(x, y, K). Bit i's LUT4 (A = x[i],
// B = y[i], C = x[i-1], D = y[i-1]) gives the propagate s[i] ^ m[i-1]; m[i-1] is 0
// at C = D = 0, so the generate (the LUT at C = D = 0, INIT[3:0]) is s[i], as needed.
`default_nettype none

module ecp5_add_const3 #(
    // The constant operand
    parameter [31:0] K = 32'h0
) (
    input  wire [31:0] x,
    input  wire [31:0] y,
    output wire [31:0] sum
);

// Truth table, index {D, C, B, A}, of s[i] ^ m[i-1] for constant bits k = K[i],
// k_low = K[i-1] (m[i-1] = k_low ? C | D : C & D); bit 0 has no m[-1].
function automatic [15:0] lut_init(input k, input k_low, input first);
    integer n;
    reg a, b, c, d;
    begin
        for (n = 0; n < 16; n = n + 1) begin
            a = n[0];
            b = n[1];
            c = n[2];
            d = n[3];
            lut_init[n] = a ^ b ^ k ^ (first ? 1'b0 : (k_low ? c | d : c & d));
        end
    end
endfunction

wire [31:0] x_low = {x[30:0], 1'b0};   // x[i-1] at index i
wire [31:0] y_low = {y[30:0], 1'b0};
wire [16:0] carry;
assign carry[0] = 1'b0;

genvar i;
for (i = 0; i < 16; i = i + 1) begin : g_cell
    localparam integer B0 = 2 * i;
    localparam integer B1 = 2 * i + 1;
    CCU2C #(
        .INIT0(lut_init(K[B0], B0 == 0 ? 1'b0 : K[B0 == 0 ? 0 : B0 - 1], B0 == 0)),
        .INIT1(lut_init(K[B1], K[B0], 1'b0)),
        .INJECT1_0("NO"),
        .INJECT1_1("NO")
    ) cell_inst (
        .CIN(carry[i]),
        .A0(x[B0]), .B0(y[B0]), .C0(x_low[B0]), .D0(y_low[B0]),
        .A1(x[B1]), .B1(y[B1]), .C1(x_low[B1]), .D1(y_low[B1]),
        .S0(sum[B0]),
        .S1(sum[B1]),
        .COUT(carry[i+1])
    );
end

endmodule
