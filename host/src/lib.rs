//! Amber: open FPGA SHA-256d mining. The host library behind the `amber` CLI.
//!
//! Modules, lowest layer first (outside its tests, a module uses only modules
//! listed before it):
//!
//! - [`hash`]: the reference hasher, the one truth for byte orders, midstates and targets.
//! - [`text`]: text for people: one-line error chains, escaped strings from outside.
//! - [`work`]: from a pool job to headers and work items for boards.
//! - [`pool`]: the Stratum v1 client and pool failover; never touches devices or links.
//! - [`usb`]: USB transfers to FTDI chips behind the `UsbBackend` seam.
//! - [`mpsse`]: FTDI MPSSE opcodes, the command builder, JTAG and the port that runs them.
//! - [`program`]: the table of FPGA devices, bitstream checks and the programmers.
//! - [`board`]: the board table, a typed view of `boards.toml`.
//! - [`link`]: byte streams to boards (serial port, FTDI UART, simulated board).
//! - [`device`]: the wire protocol and the per-board driver.
//! - [`mining`]: the mining loop from a work source to every board's driver and back.
//! - [`icarus`]: an Icarus-compatible port, so bfgminer can drive a board.
//! - [`serve`]: the small TCP server the read-outs share.
//! - [`api`]: the cgminer-compatible API.
//! - [`metrics`]: Prometheus metrics.
//! - `emulator` (cargo feature `emulator`): test doubles, the emulated FTDI chip
//!   with its boards and a local Stratum pool.
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
