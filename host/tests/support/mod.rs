//! Shared test support: the local Stratum pool.
pub mod stratum_server;
