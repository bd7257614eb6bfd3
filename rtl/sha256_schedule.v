// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_schedule: next message-schedule word, combinational.
// From the four window words it depends on, returns W[t+17] (names relative to t).
`resetall
`default_nettype none

module sha256_schedule #(
    // 1: the four-term sum left to synthesis as one expression: on iCE40, Yosys
    // then builds one carry chain behind a carry-save stage, about a quarter
    // fewer LUT4 than three chains; 0: three two-operand chains (smaller on ECP5)
    parameter SUM_TREE = 0
) (
    // Window words W[t+1], W[t+2], W[t+10], W[t+15]
    input  wire [31:0] rx_w1,
    input  wire [31:0] rx_w2,
    input  wire [31:0] rx_w10,
    input  wire [31:0] rx_w15,
    // W[t+17]
    output wire [31:0] tx_word
);

// FIPS 180-4 §4.1.2 (4.6), (4.7)
wire [31:0] sigma0 = {rx_w2[6:0], rx_w2[31:7]} ^ {rx_w2[17:0], rx_w2[31:18]} ^ {3'b000, rx_w2[31:3]};
wire [31:0] sigma1 = {rx_w15[16:0], rx_w15[31:17]} ^ {rx_w15[18:0], rx_w15[31:19]}
                   ^ {10'b0, rx_w15[31:10]};

// FIPS 180-4 §6.2.2 step 1: W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]
if (SUM_TREE > 1) begin : g_check_sum_tree
    $error("sha256_schedule: SUM_TREE must be 0 or 1");
end
if (SUM_TREE != 0) begin : g_tree
    assign tx_word = sigma1 + rx_w10 + sigma0 + rx_w1;
end else begin : g_chains
    // keep: three two-operand carry chains are smaller on ECP5 than a carry-save tree.
    (* keep *) wire [31:0] sum_hi = sigma1 + rx_w10;
    (* keep *) wire [31:0] sum_lo = sigma0 + rx_w1;
    assign tx_word = sum_hi + sum_lo;
end

endmodule

`resetall
