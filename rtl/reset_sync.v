// SPDX-License-Identifier: MIT OR Apache-2.0
// Board reset: holds `rst` high from configuration until the clock is good
// (`clk_ok`, e.g. PLL lock) and the reset button is released, then for
// 2**STRETCH_LOG2 more clocks. board_miner.sv uses it for every board. `rst` comes
// straight from a flop: it fans out across the whole chip, and a LUT in front of
// that net was the ECP5 Evaluation Board's critical path.
`default_nettype none

module reset_sync #(
    parameter STRETCH_LOG2 = 4      // clocks of reset after clk_ok rises, log2
) (
    input  wire clk,
    input  wire clk_ok,             // asynchronous: PLL locked and button not pressed
    output wire rst                 // synchronous to clk, active high
);

// Two flops bring the asynchronous clk_ok into the clock domain; the flops
// start at 0 after configuration (rst_reg at 1), so rst is high until the
// count finishes.
reg ok_meta_reg = 1'b0;
reg ok_sync_reg = 1'b0;
reg [STRETCH_LOG2:0] count_reg = {(STRETCH_LOG2 + 1){1'b0}};
reg rst_reg = 1'b1;

assign rst = rst_reg;

always @(posedge clk) begin
    rst_reg <= !count_reg[STRETCH_LOG2];
    ok_meta_reg <= clk_ok;
    ok_sync_reg <= ok_meta_reg;
    if (!count_reg[STRETCH_LOG2]) begin
        count_reg <= count_reg + 1'b1;
    end
    if (!ok_sync_reg) begin
        count_reg <= {(STRETCH_LOG2 + 1){1'b0}};
    end
end

endmodule

`default_nettype wire
