// SPDX-License-Identifier: MIT OR Apache-2.0
// The ECP5 carry-cell forms beside the portable ones, for `make lint-ecp5-carry`:
// sha256_add_hkw with every round's K, and sha256_add_chmaj with Ch and Maj; each
// ECP5 sum must equal the portable one for every input.
`default_nettype none

module ecp5_carry_equiv (
    input  wire [31:0] x,
    input  wire [31:0] y,
    input  wire [31:0] p,
    input  wire [31:0] q,
    input  wire [31:0] r,
    output wire        hkw_equal,
    output wire        ch_equal,
    output wire        maj_equal
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

// MAJORITY 0: x + Ch(p, q, r); 1: x + Maj(p, q, r)
wire [1:0] chmaj_equal;
for (genvar m = 0; m < 2; m = m + 1) begin : g_chmaj
    wire [31:0] sum_generic;
    wire [31:0] sum_ecp5;
    sha256_add_chmaj #(.MAJORITY(m), .ECP5_CARRY(0)) generic_inst (
        .x(x), .p(p), .q(q), .r(r), .sum(sum_generic)
    );
    sha256_add_chmaj #(.MAJORITY(m), .ECP5_CARRY(1)) ecp5_inst (
        .x(x), .p(p), .q(q), .r(r), .sum(sum_ecp5)
    );
    assign chmaj_equal[m] = sum_generic == sum_ecp5;
end
assign ch_equal = chmaj_equal[0];
assign maj_equal = chmaj_equal[1];

endmodule
