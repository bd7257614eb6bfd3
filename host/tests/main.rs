//! The host crate's integration tests, one test binary (as `tests/`): one
//! module per subject, the shared test doubles in `support`.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod api;
mod board_faults;
mod cli;
mod cli_program;
mod hostile_pool;
mod icarus;
mod interop;
mod metrics;
mod pool;
mod program_emulated;
mod support;
mod tls;
mod vectors;
