//! `amber boards`: the board table, as text, as the README's Markdown, or as
//! the Makefile fragment of one board.

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
    /// Build id written into the bitstream's IDENTITY reply (with --make), e.g. 0x1a2b3c4d.
    #[arg(long, value_name = "HEX", default_value = "0", value_parser = parse_build_id, requires = "make")]
    build_id: u32,
}

fn parse_build_id(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    u32::from_str_radix(digits, 16).map_err(|e| format!("not a 32-bit hex number: {e}"))
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(name) = &self.make {
            let spec = board::find(name).context("choosing the board for the Makefile")?;
            print!("{}", board::make_fragment(spec, self.build_id));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_id_parses_hex() {
        assert_eq!(parse_build_id("0x1a2b3c4d"), Ok(0x1a2b_3c4d));
        assert_eq!(parse_build_id("ff"), Ok(0xff));
        assert!(parse_build_id("0x1_0000_0000").is_err());
        assert!(parse_build_id("zz").is_err());
    }
}
