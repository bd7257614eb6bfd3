//! `amber flash`: write a bitstream to the board's configuration flash.

use std::path::PathBuf;

use clap::Args;

use super::ftdi::{load_file, Target};

/// Write a bitstream to the configuration flash, verify every byte, restart the FPGA from it.
#[derive(Debug, Args)]
pub struct Cmd {
    #[command(flatten)]
    target: Target,
    /// The bitstream file.
    file: PathBuf,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        load_file(
            &self.target,
            &self.file,
            "flashing",
            "flashed and verified",
            |p, data, progress| p.write_flash(data, progress),
        )
    }
}
