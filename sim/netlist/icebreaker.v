// SPDX-License-Identifier: MIT OR Apache-2.0
// The iCEBreaker's netlist on miner_top's pins (sim/shim/miner_top.cpp): the
// core clock drives the oscillator pin (the PLL model passes it through), rst
// holds the user button down, the PMOD LEDs are the three LEDs.
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

top_icebreaker board (
    .clk_12mhz(clk),
    .btn_n(!rst),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .ledg_n(),
    .ledr_n(),
    .led1(led_alive),
    .led2(led_hashing),
    .led3(led_found)
);

endmodule

`default_nettype wire
