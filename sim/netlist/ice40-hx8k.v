// SPDX-License-Identifier: MIT OR Apache-2.0
// The iCE40-HX8K Breakout Board's netlist on miner_top's pins
// (sim/shim/miner_top.cpp): the core clock drives the oscillator pin (the PLL
// model passes it through); the board has no reset button, so rst is unused
// and reset comes from the PLL locking; LEDs 0..2 are alive/hashing/found.
`default_nettype none

module netlist_top (
    input  wire clk,
    input  wire rst,
    input  wire uart_rx,
    output wire uart_tx,
    output wire led_alive,
    output wire led_hashing,
    output wire led_found
);

wire unused_rst = rst;

top_ice40_hx8k board (
    .clk_12mhz(clk),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led0(led_alive),
    .led1(led_hashing),
    .led2(led_found),
    .led7()
);

endmodule

`default_nettype wire
