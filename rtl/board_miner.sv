// SPDX-License-Identifier: MIT OR Apache-2.0
// What every board top wraps around its PLL: the check that the PLL runs at the
// clock boards.toml promises, the reset synchronizer, and miner_top.
`default_nettype none

module board_miner #(
    parameter PLL_HZ = 24_000_000,          // what the top's PLL settings produce
    parameter CLK_HZ = 24_000_000,          // boards.toml core_hz, through the top
    parameter BAUD = 115_200,
    parameter ROUNDS_PER_CLK = 1,
    parameter CORES = 1,
    parameter BUILD_ID = 32'h0,
    parameter ECP5_CARRY = 0,               // 1: ECP5 tops (see sha256_add_hkw)
    parameter SCHEDULE_BRAMS = 0,           // boards.toml schedule_brams, through the top
    parameter ICE40_DSP = 0                 // 1: iCE40 UP tops (see add32)
) (
    input  wire clk,
    input  wire clk_ok,                     // asynchronous: PLL locked, reset button released
    input  wire uart_rx,
    output wire uart_tx,
    output wire led_alive,
    output wire led_hashing,
    output wire led_found
);

if (CLK_HZ != PLL_HZ) begin : g_check_clk_hz
    $error("board_miner: CLK_HZ (boards.toml core_hz) differs from the PLL output PLL_HZ");
end

wire rst;

reset_sync reset (
    .clk(clk),
    .clk_ok(clk_ok),
    .rst(rst)
);

miner_top #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .ROUNDS_PER_CLK(ROUNDS_PER_CLK),
    .CORES(CORES),
    .BUILD_ID(BUILD_ID),
    .ECP5_CARRY(ECP5_CARRY),
    .SCHEDULE_BRAMS(SCHEDULE_BRAMS),
    .ICE40_DSP(ICE40_DSP)
) miner (
    .clk(clk),
    .rst(rst),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led_alive(led_alive),
    .led_hashing(led_hashing),
    .led_found(led_found)
);

endmodule

`default_nettype wire
