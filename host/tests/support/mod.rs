//! Shared test support: a board in software, the `amber` binary as a child
//! process, and a TLS front for the local Stratum pool (`amber::emulator::stratum`).
pub mod fake_board;
pub mod miner_process;
pub mod tls_front;
