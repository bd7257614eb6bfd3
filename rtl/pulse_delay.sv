// SPDX-License-Identifier: MIT OR Apache-2.0
//
// pulse_delay: out is in from DELAY clocks earlier (DELAY = 0: in itself), through
// a register chain that rst clears. For control bits (valids, pulses) sent across
// the chip; data that travels beside them needs no reset (delay_line).
`resetall
`default_nettype none

module pulse_delay #(
    // Bits (1..)
    parameter WIDTH = 1,
    // Delay in clocks (0..)
    parameter DELAY = 1
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] in,
    output wire [WIDTH-1:0] out
);

if (WIDTH < 1 || DELAY < 0) begin : g_check
    $error("pulse_delay: WIDTH must be at least 1 and DELAY at least 0");
end

if (DELAY > 0) begin : g_chain
    localparam CHAIN_W = WIDTH * DELAY;
    // stage i in [WIDTH*i +: WIDTH]; the last stage is out
    reg [CHAIN_W-1:0] chain_reg = {CHAIN_W{1'b0}};
    always @(posedge clk) begin
        chain_reg <= CHAIN_W'({chain_reg, in});
        if (rst) begin
            chain_reg <= {CHAIN_W{1'b0}};
        end
    end
    assign out = chain_reg[CHAIN_W-1 -: WIDTH];
end else begin : g_wire
    assign out = in;
    wire [1:0] unused_clock_reset = {clk, rst};
end

endmodule

`resetall
