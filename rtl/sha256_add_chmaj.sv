// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_add_chmaj: sum = x + F(p, q, r), F being SHA-256's Ch or Maj bitwise.
// Combinational. With ECP5_CARRY set the function shares the LUTs of the carry
// chain (rtl/ecp5/ecp5_add_chmaj.v), which saves the 32 LUT4 a separate F takes.
`resetall
`default_nettype none

module sha256_add_chmaj #(
    // 0: F = Ch, p ? q : r (FIPS 180-4 (4.2)); 1: F = Maj, majority of p, q, r (4.3)
    parameter MAJORITY = 0,
    // 0: left to synthesis; 1: ECP5 carry cells (for Yosys synth_ecp5 only)
    parameter ECP5_CARRY = 0
) (
    input  wire [31:0] x,
    input  wire [31:0] p,
    input  wire [31:0] q,
    input  wire [31:0] r,
    output wire [31:0] sum
);

if (MAJORITY > 1 || ECP5_CARRY > 1) begin : g_check_flags
    $error("sha256_add_chmaj: MAJORITY and ECP5_CARRY must be 0 or 1");
end

if (ECP5_CARRY != 0) begin : g_ecp5
    ecp5_add_chmaj #(
        .MAJORITY(MAJORITY)
    ) add_inst (
        .x(x),
        .p(p),
        .q(q),
        .r(r),
        .sum(sum)
    );
end else begin : g_generic
    wire [31:0] f = MAJORITY != 0 ? (p & q) | (p & r) | (q & r) : (p & q) | (~p & r);
    // keep: a two-operand chain, not merged into the sum that reads it (see sha256_round)
    (* keep *) wire [31:0] kept_sum = x + f;
    assign sum = kept_sum;
end

endmodule

`resetall
