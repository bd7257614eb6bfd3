//! Cross-component tests: one test binary, one module per RTL unit.

mod rtl_sha256d_miner;
