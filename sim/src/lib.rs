//! Verilator models of Amber's RTL, driven from Rust.
//!
//! `build.rs` verilates the RTL into C++ models from one table of
//! (name, top module, parameters); each top has a safe wrapper here named after
//! it. The `test-models` feature builds the configurations only tests need.
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[allow(unsafe_code)]
mod ffi;
pub mod miner_top;
mod sha256d_miner;
pub mod uart_pins;

pub use sha256d_miner::{MinerEvent, MinerOutputs, Sha256dMiner, Work};

/// A model built into this crate: its name, top module and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// Model name (as in sim/build.rs).
    pub name: &'static str,
    /// Verilog top module.
    pub top: &'static str,
    /// Verilog parameters the model was built with.
    pub params: &'static [(&'static str, u32)],
    index: usize,
}

impl ModelInfo {
    /// Value of a parameter, if the model sets it.
    pub fn param(&self, key: &str) -> Option<u32> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

include!(concat!(env!("OUT_DIR"), "/models.rs"));

/// Errors creating a model.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The model is not one of this top's built models (see `*_MODELS`); build
    /// with the `test-models` feature for the test-only ones.
    #[error("no simulation model named {name} was built")]
    UnknownModel {
        /// Name asked for.
        name: String,
    },
    /// The C++ model could not be allocated.
    #[error("could not allocate simulation model {name}")]
    Alloc {
        /// Model name.
        name: String,
    },
    /// A netlist model's shared library could not be loaded.
    #[error("cannot load the netlist model {path}: {reason}")]
    Load {
        /// The library's path.
        path: String,
        /// What the dynamic loader said.
        reason: String,
    },
}
