// SPDX-License-Identifier: MIT OR Apache-2.0
//
// sha256_k: the SHA-256 round constant K[t], combinational.
`resetall
`default_nettype none

module sha256_k (
    input  wire [5:0]  rx_t,
    output wire [31:0] tx_k
);

assign tx_k = sha256_pkg::round_k(rx_t);

endmodule

`resetall
