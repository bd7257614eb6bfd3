//! `amber flash`: write a bitstream to the board's configuration flash.

use std::path::PathBuf;

use clap::Args;

use super::programmer::{load_file, ProgrammerArgs};

/// Write a bitstream to the configuration flash, verify every byte, restart the FPGA from it.
#[derive(Debug, Args)]
pub struct Cmd {
    #[command(flatten)]
    programmer: ProgrammerArgs,
    /// The bitstream file.
    file: PathBuf,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        load_file(
            &self.programmer,
            &self.file,
            "flashing",
            "flashed and verified",
            |p, data, progress| p.write_flash(data, progress),
        )
    }
}
