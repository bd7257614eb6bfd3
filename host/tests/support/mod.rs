//! Shared test support: the local Stratum pool and a board in software.
pub mod fake_board;
pub mod miner_process;
pub mod stratum_server;
pub mod tls_front;
