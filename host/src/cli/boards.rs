//! `amber boards`: the board table, as text, as the README's Markdown, or as
//! the Makefile fragment of one board (with another core, to try one in the flow).

use anyhow::Context;
use clap::Args;

use amber::board::{self, BoardSpec};

/// List the supported boards (from boards.toml).
#[derive(Debug, Args)]
pub struct Cmd {
    /// Print the README's Markdown table instead of text.
    #[arg(long, conflicts_with = "make")]
    markdown: bool,
    /// Print only the board names, one a line (for the Makefile's loops).
    #[arg(long, conflicts_with_all = ["markdown", "make"])]
    names: bool,
    /// Print the Makefile fragment (build/NAME/board.mk) of board NAME.
    #[arg(long, value_name = "NAME")]
    make: Option<String>,
    /// With --make: this many rounds per clock instead of the board's.
    #[arg(long, value_name = "N", requires = "make")]
    rounds_per_clk: Option<u32>,
    /// With --make: this many cores instead of the board's.
    #[arg(long, value_name = "N", requires = "make")]
    cores: Option<u32>,
    /// With --make: this many schedule block RAMs per core instead of the board's.
    #[arg(long, value_name = "N", requires = "make")]
    schedule_brams: Option<u32>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(name) = &self.make {
            let spec = board::find(name)
                .and_then(|b| b.with_core(self.rounds_per_clk, self.cores, self.schedule_brams))
                .context("choosing the board for the Makefile")?;
            print!("{}", board::make_fragment(&spec));
        } else if self.names {
            for b in board::boards() {
                println!("{}", b.name);
            }
        } else if self.markdown {
            print!("{}", board::markdown_table(board::boards()));
        } else {
            print_text(board::boards());
        }
        Ok(())
    }
}

fn print_text(boards: &[BoardSpec]) {
    println!(
        "{:<12} {:<6} {:<20} {:>6} {:>5} {:>9} {:>8}  {:<9} {:<22} {:<6}",
        "BOARD",
        "FAMILY",
        "FPGA",
        "ROUNDS",
        "CORES",
        "CORE MHZ",
        "MH/S",
        "USB",
        "PROGRAM",
        "STREAM"
    );
    for b in boards {
        println!(
            "{:<12} {:<6} {:<20} {:>6} {:>5} {:>9.3} {:>8.3}  {:<9} {:<22} {:<6}",
            b.name,
            b.family,
            b.part,
            b.rounds_per_clk,
            b.cores,
            f64::from(b.core_hz) / 1e6,
            b.expected_mhs(),
            b.usb,
            format!("{} {}", b.program.interface, b.program.method),
            b.stream.interface,
        );
    }
}
