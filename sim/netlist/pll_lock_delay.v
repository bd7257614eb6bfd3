// SPDX-License-Identifier: MIT OR Apache-2.0
// LOCK of the netlist models' PLLs: low for the first 16 clocks, then high.
`default_nettype none

module pll_lock_delay (
    input  wire clk,
    output wire lock
);

reg [4:0] count = 5'd0;

always @(posedge clk) begin
    if (!count[4]) count <= count + 5'd1;
end

assign lock = count[4];

endmodule

`default_nettype wire
