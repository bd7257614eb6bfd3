//! Shared test support: the local Stratum pool and a board in software.
pub mod fake_board;
pub mod stratum_server;
