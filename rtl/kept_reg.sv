// SPDX-License-Identifier: MIT OR Apache-2.0
//
// kept_reg: a register that synthesis keeps as written. Registers that take the
// same value would otherwise be merged into one; kept, each copy can sit by its
// own readers, far from the others. out is in a clock later; rst sets it to INIT.
`resetall
`default_nettype none

module kept_reg #(
    // Bits (1..)
    parameter WIDTH = 1,
    // Power-up and reset value
    parameter [WIDTH-1:0] INIT = {WIDTH{1'b0}}
) (
    input  wire             clk,
    input  wire             rst,   // tie low where the value needs no reset
    input  wire [WIDTH-1:0] in,
    output wire [WIDTH-1:0] out
);

reg [WIDTH-1:0] out_reg = INIT;

(* keep *)
always @(posedge clk) begin
    out_reg <= in;
    if (rst) begin
        out_reg <= INIT;
    end
end

assign out = out_reg;

endmodule

`resetall
