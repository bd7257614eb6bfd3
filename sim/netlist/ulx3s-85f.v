// SPDX-License-Identifier: MIT OR Apache-2.0
// The ULX3S 85F's netlist on miner_top's pins (sim/shim/miner_top.cpp): the
// core clock drives the oscillator pin (the PLL model passes it through), rst
// presses FIRE1, LEDs D0..D2 are alive/hashing/found.
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

top_ulx3s_85f board (
    .clk_25mhz(clk),
    .btn_fire1(rst),
    .uart_rx(uart_rx),
    .uart_tx(uart_tx),
    .led0(led_alive),
    .led1(led_hashing),
    .led2(led_found),
    .led7(),
    .wifi_gpio0()
);

endmodule

`default_nettype wire
