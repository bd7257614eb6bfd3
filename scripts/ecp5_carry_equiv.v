// SPDX-License-Identifier: MIT OR Apache-2.0
// Both forms of sha256_add_chmaj and of sha256_add_hkw (with every round's K)
// side by side, for `make lint-ecp5-carry`: the ECP5 carry-cell sums must equal
// the portable ones for every input.
`default_nettype none

module ecp5_carry_equiv (
    input  wire [31:0] x,
    input  wire [31:0] p,
    input  wire [31:0] q,
    input  wire [31:0] r,
    output wire        ch_equal,
    output wire        maj_equal,
    output wire        hkw_equal
);

wire [31:0] ch_generic;
wire [31:0] ch_ecp5;
wire [31:0] maj_generic;
wire [31:0] maj_ecp5;

sha256_add_chmaj #(.MAJORITY(0), .ECP5_CARRY(0)) ch_generic_inst (
    .x(x), .p(p), .q(q), .r(r), .sum(ch_generic)
);
sha256_add_chmaj #(.MAJORITY(0), .ECP5_CARRY(1)) ch_ecp5_inst (
    .x(x), .p(p), .q(q), .r(r), .sum(ch_ecp5)
);
sha256_add_chmaj #(.MAJORITY(1), .ECP5_CARRY(0)) maj_generic_inst (
    .x(x), .p(p), .q(q), .r(r), .sum(maj_generic)
);
sha256_add_chmaj #(.MAJORITY(1), .ECP5_CARRY(1)) maj_ecp5_inst (
    .x(x), .p(p), .q(q), .r(r), .sum(maj_ecp5)
);

assign ch_equal = ch_generic == ch_ecp5;
assign maj_equal = maj_generic == maj_ecp5;

wire [63:0] round_equal;
for (genvar t = 0; t < 64; t = t + 1) begin : g_round
    localparam [31:0] K = sha256_pkg::round_k(6'(t));
    wire [31:0] hkw_generic;
    wire [31:0] hkw_ecp5;
    sha256_add_hkw #(.K(K), .ECP5_CARRY(0)) generic_inst (.x(x), .y(p), .sum(hkw_generic));
    sha256_add_hkw #(.K(K), .ECP5_CARRY(1)) ecp5_inst (.x(x), .y(p), .sum(hkw_ecp5));
    assign round_equal[t] = hkw_generic == hkw_ecp5;
end
assign hkw_equal = &round_equal;

endmodule
