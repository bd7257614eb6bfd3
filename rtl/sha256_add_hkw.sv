// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_add_hkw: sum = x + y + K for a constant K (h + W + K[t] of a round whose
// index is fixed). Combinational. With ECP5_CARRY set the three operands take a
// single carry chain (rtl/ecp5/ecp5_add_const3.v) instead of two.
`resetall
`default_nettype none

module sha256_add_hkw #(
    // The constant operand
    parameter [31:0] K = 32'h0,
    // 0: left to synthesis; 1: ECP5 carry cells (for Yosys synth_ecp5 only)
    parameter ECP5_CARRY = 0
) (
    input  wire [31:0] x,
    input  wire [31:0] y,
    output wire [31:0] sum
);

if (ECP5_CARRY > 1) begin : g_check_flags
    $error("sha256_add_hkw: ECP5_CARRY must be 0 or 1");
end

if (ECP5_CARRY != 0) begin : g_ecp5
    ecp5_add_const3 #(
        .K(K)
    ) add_inst (
        .x(x),
        .y(y),
        .sum(sum)
    );
end else begin : g_generic
    assign sum = x + y + K;
end

endmodule

`resetall
