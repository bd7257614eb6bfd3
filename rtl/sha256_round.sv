// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_round: one SHA-256 compression round, combinational.
// The caller pre-adds h + K[t] + W[t] (rx_hkw) a stage ahead, so the round
// itself adds only Sigma1 + Ch to it; h is not needed here.
`resetall
`default_nettype none

module sha256_round #(
    // 0: a is not needed after this round: no T2, and tx_state's a is don't-care
    parameter WITH_A = 1,
    // 1: Ch and Maj inside the LUTs of ECP5 carry cells (sha256_add_chmaj); 0: portable
    parameter ECP5_CARRY = 0
) (
    // State before the round: {a, b, c, d, e, f, g}; h arrives folded into rx_hkw
    input  wire [223:0] rx_state,
    input  wire [31:0]  rx_hkw,
    // State after the round: {a, b, c, d, e, f, g, h}
    output wire [255:0] tx_state
);

wire [31:0] a = rx_state[223:192];
wire [31:0] b = rx_state[191:160];
wire [31:0] c = rx_state[159:128];
wire [31:0] d = rx_state[127:96];
wire [31:0] e = rx_state[95:64];
wire [31:0] f = rx_state[63:32];
wire [31:0] g = rx_state[31:0];

// FIPS 180-4 §4.1.2 (4.4), (4.5); Ch (4.2) and Maj (4.3) are taken inside sha256_add_chmaj
wire [31:0] big_sigma0 = {a[1:0], a[31:2]} ^ {a[12:0], a[31:13]} ^ {a[21:0], a[31:22]};
wire [31:0] big_sigma1 = {e[5:0], e[31:6]} ^ {e[10:0], e[31:11]} ^ {e[24:0], e[31:25]};

// FIPS 180-4 §6.2.2 step 3: T1 = h + Sigma1(e) + Ch(e,f,g) + K[t] + W[t].
// keep: every sum stays a two-operand carry chain. Left to itself, synthesis
// turns a three-operand sum into a carry-save tree, which on ECP5 costs about
// 80 more LUT4 per round than one more chain. On ECP5 Ch and Maj sit inside
// the LUTs of the chains they feed: the state registers feed T1's first chain
// directly, one routed hop fewer on the round's longest path (e -> T1 -> a,
// three hops), and 64 LUT4 fewer per round.
wire [31:0] t1_ch;
sha256_add_chmaj #(
    .MAJORITY(0),
    .ECP5_CARRY(ECP5_CARRY)
) t1_ch_inst (
    .x(rx_hkw),
    .p(e),
    .q(f),
    .r(g),
    .sum(t1_ch)
);
(* keep *) wire [31:0] t1 = t1_ch + big_sigma1;
if (WITH_A > 1) begin : g_check_flags
    $error("sha256_round: WITH_A must be 0 or 1");
end
if (WITH_A != 0) begin : g_with_a
    wire [31:0] t2;
    sha256_add_chmaj #(
        .MAJORITY(1),
        .ECP5_CARRY(ECP5_CARRY)
    ) t2_inst (
        .x(big_sigma0),
        .p(a),
        .q(b),
        .r(c),
        .sum(t2)
    );
    assign tx_state = {t1 + t2, a, b, c, d + t1, e, f, g};
end else begin : g_without_a
    wire unused_t2 = &{1'b0, big_sigma0, b, c};
    assign tx_state = {32'h0, a, b, c, d + t1, e, f, g};
end

endmodule

`resetall
