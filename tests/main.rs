//! Cross-component tests: one test binary, one module per RTL unit.

mod cli;
mod host_on_sim;
mod rtl_boards;
mod rtl_frame;
mod rtl_miner_top;
mod rtl_sha256d_miner;
mod rtl_uart;
mod testbench;
mod util;
