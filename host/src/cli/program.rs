//! `amber program`: load a bitstream into the FPGA's configuration SRAM.

use std::path::PathBuf;

use clap::Args;

use super::programmer::{load_file, ProgrammerArgs};

/// Load a bitstream (.bin for iCE40, .bit for ECP5) into the FPGA's SRAM.
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
            "loading",
            "configured",
            |p, data, progress| p.load_sram(data, progress),
        )
    }
}
