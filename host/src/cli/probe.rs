//! `amber probe`: read the FPGA's IDCODE or the flash's JEDEC ID.

use anyhow::Context;
use clap::Args;

use super::programmer::ProgrammerArgs;

/// Read the FPGA's JTAG IDCODE (ECP5) or the configuration flash's JEDEC ID (iCE40).
#[derive(Debug, Args)]
pub struct Cmd {
    #[command(flatten)]
    programmer: ProgrammerArgs,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let mut opened = self.programmer.open(None)?;
        let report = opened
            .programmer
            .probe()
            .with_context(|| format!("probing over {}", opened.what))?;
        println!("device   {}", opened.what);
        if let Some(idcode) = report.idcode {
            println!("idcode   {idcode}");
        }
        if let Some(jedec) = report.flash {
            let size = jedec
                .capacity()
                .map_or_else(|| "?".to_owned(), |b| format!("{} KiB", b / 1024));
            println!("flash    {jedec} ({size})");
        }
        Ok(())
    }
}
