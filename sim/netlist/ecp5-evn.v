// SPDX-License-Identifier: MIT OR Apache-2.0
// The ECP5 Evaluation Board's netlist on miner_top's pins
// (sim/shim/miner_top.cpp): the core clock drives the 12 MHz clock pin (the PLL
// model passes it through), rst holds the button down, LEDs 0..2 (active low)
// are alive/hashing/found.
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

wire led0_n;
wire led1_n;
wire led2_n;

top_ecp5_evn board (
    .clk_12mhz(clk),
    .btn_n(!rst),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led0_n(led0_n),
    .led1_n(led1_n),
    .led2_n(led2_n),
    .led7_n()
);

assign led_alive = !led0_n;
assign led_hashing = !led1_n;
assign led_found = !led2_n;

endmodule

`default_nettype wire
