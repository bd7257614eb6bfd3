// SPDX-License-Identifier: MIT OR Apache-2.0
//
// add32: sum = x + y, 32 bits, combinational or registered (the register
// holds while hold is high). ICE40_DSP puts it on one iCE40 UP SB_MAC16
// (rtl/ice40/ice40_add32.v) instead of 32 logic cells.
`resetall
`default_nettype none

module add32 #(
    // 1: sum registered on clk; 0: combinational (clk and hold unused)
    parameter REGISTERED = 1,
    // 0: left to synthesis; 1: an iCE40 UP DSP block (for Yosys synth_ice40 only)
    parameter ICE40_DSP = 0
) (
    input  wire        clk,
    input  wire        hold,
    input  wire [31:0] x,
    input  wire [31:0] y,
    output wire [31:0] sum
);

if (REGISTERED > 1 || ICE40_DSP > 1) begin : g_check_flags
    $error("add32: REGISTERED and ICE40_DSP must be 0 or 1");
end

if (ICE40_DSP != 0) begin : g_ice40
    ice40_add32 #(
        .REGISTERED(REGISTERED)
    ) add_inst (
        .clk(clk),
        .hold(hold),
        .x(x),
        .y(y),
        .sum(sum)
    );
end else if (REGISTERED != 0) begin : g_registered
    reg [31:0] sum_reg;
    always @(posedge clk) begin
        if (!hold) begin
            sum_reg <= x + y;
        end
    end
    assign sum = sum_reg;
end else begin : g_combinational
    assign sum = x + y;
    wire unused_clk = &{1'b0, clk, hold};
end

endmodule

`resetall
