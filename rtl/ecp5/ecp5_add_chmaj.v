// SPDX-License-Identifier: MIT OR Apache-2.0
// ECP5 sum = x + F(p, q, r) (F = SHA-256 Ch or Maj) on 16 CCU2C, no other LUT.
// Each bit's LUT4 (A = x, B = p, C = q, D = r) gives the propagate x ^ F; the
// generate is the LUT at C = D = 0 (INIT[3:0]), which is x because F(p, 0, 0) = 0
// for both functions, and x is the right generate whenever the propagate is 0.
`default_nettype none

module ecp5_add_chmaj #(
    // 0: F = Ch, 1: F = Maj (as in sha256_add_chmaj)
    parameter MAJORITY = 0
) (
    input  wire [31:0] x,
    input  wire [31:0] p,
    input  wire [31:0] q,
    input  wire [31:0] r,
    output wire [31:0] sum
);

// LUT4 truth tables, index {D, C, B, A}: A ^ (B ? C : D) and A ^ maj(B, C, D)
localparam [15:0] INIT = MAJORITY != 0 ? 16'h566A : 16'h596A;

wire [16:0] carry;
assign carry[0] = 1'b0;

genvar i;
for (i = 0; i < 16; i = i + 1) begin : g_cell
    CCU2C #(
        .INIT0(INIT),
        .INIT1(INIT),
        .INJECT1_0("NO"),
        .INJECT1_1("NO")
    ) cell_inst (
        .CIN(carry[i]),
        .A0(x[2*i]), .B0(p[2*i]), .C0(q[2*i]), .D0(r[2*i]),
        .A1(x[2*i+1]), .B1(p[2*i+1]), .C1(q[2*i+1]), .D1(r[2*i+1]),
        .S0(sum[2*i]),
        .S1(sum[2*i+1]),
        .COUT(carry[i+1])
    );
end

endmodule
