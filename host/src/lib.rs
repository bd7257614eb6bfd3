//! Amber: open FPGA SHA-256d mining. The host library behind the `amber` CLI.
//!
//! Layers, lowest first: [`hash`] (the reference hasher, the one truth for byte
//! orders and targets), [`work`] (pool jobs to headers) and [`link`] (byte
//! streams to boards).
//! [`pool`] (Stratum v1 client) sits on [`work`] and never touches devices or links.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod board;
pub mod device;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod hash;
pub mod icarus;
pub mod link;
pub mod metrics;
pub mod mining;
pub mod mpsse;
pub mod pool;
pub mod program;
pub mod serve;
pub mod text;
pub mod usb;
pub mod work;
