// SPDX-License-Identifier: MIT OR Apache-2.0
// Both forms of sha256_add_hkw (with every round's K) side by side, for
// `make lint-ecp5-carry`: the ECP5 carry-cell sum must equal the portable one
// for every input.
`default_nettype none

module ecp5_carry_equiv (
    input  wire [31:0] x,
    input  wire [31:0] y,
    output wire        hkw_equal
);

wire [63:0] round_equal;
for (genvar t = 0; t < 64; t = t + 1) begin : g_round
    localparam [31:0] K = sha256_pkg::round_k(6'(t));
    wire [31:0] hkw_generic;
    wire [31:0] hkw_ecp5;
    sha256_add_hkw #(.K(K), .ECP5_CARRY(0)) generic_inst (.x(x), .y(y), .sum(hkw_generic));
    sha256_add_hkw #(.K(K), .ECP5_CARRY(1)) ecp5_inst (.x(x), .y(y), .sum(hkw_ecp5));
    assign round_equal[t] = hkw_generic == hkw_ecp5;
end
assign hkw_equal = &round_equal;

endmodule
