//! The board table: a typed view of `boards.toml`, the one list of supported
//! boards, shared with the Makefile flow (`amber boards --make NAME`).
//!
//! Each [`BoardSpec`] names the FPGA (family, device, package), the clocks,
//! the `miner_top` configuration and the board's FTDI bridge: which USB
//! VID:PID, which interface programs the FPGA and which carries the UART.
//!
//! ```
//! let board = amber::board::find("icebreaker").unwrap();
//! assert_eq!(board.family, amber::board::Family::Ice40);
//! assert_eq!(board.stream.interface, amber::board::Interface::B);
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

/// Rounds per SHA-256 pass in `rtl/sha256d_core.sv`: the first hash skips rounds
/// 0..2 (precomputed per work item), the second stops after round 60.
pub const CORE_ROUNDS: u32 = 61;

/// Clocks per nonce of one pipeline of `rtl/sha256d_lockstep.sv`, the core used at
/// one round per clock: a round unit per hash, the two on consecutive nonces,
/// each taking a load clock and 64 rounds per nonce.
pub const LOCKSTEP_CLOCKS_PER_NONCE: u32 = 65;

/// `schedule_brams` of a board at one round per clock whose first-hash message
/// windows sit in block RAM (the count per pipeline); 0 keeps them in flip-flops.
pub const LOCKSTEP_WINDOW_BRAMS: u32 = 4;

/// Double-SHA-256 hashes per clock of `cores` cores built with `rounds_per_clk`
/// (see [`BoardSpec::hashes_per_clock`]); the host's one rule for a board's
/// nominal rate.
pub fn hashes_per_clock(rounds_per_clk: u32, cores: u32) -> f64 {
    if rounds_per_clk <= 1 {
        return f64::from(cores) / f64::from(LOCKSTEP_CLOCKS_PER_NONCE);
    }
    let stages = rounds_per_clk.min(CORE_ROUNDS);
    let passes = CORE_ROUNDS.div_ceil(stages);
    f64::from(cores) / f64::from(passes)
}

/// The board table, embedded at compile time.
pub const BOARDS_TOML: &str = include_str!("../../boards.toml");

mod error;
mod files;
mod render;
mod validate;

pub use error::BoardTableError;
pub use files::check_files;
pub use render::{make_fragment, markdown_table};
pub use validate::{parse_table, InterfaceRole};

/// The FPGA family a board names, from the one table of FPGA devices.
pub use crate::program::Family;

/// The FTDI channel type the table names (`"A"`..`"D"`), shared with the USB layer.
pub use crate::usb::Interface;

/// How the FPGA is programmed through its FTDI interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgramMethod {
    /// iCE40 SPI: MPSSE SPI to the configuration SRAM or to the SPI flash (CRESET, CDONE on GPIO).
    Ice40Spi,
    /// ECP5 JTAG through the MPSSE engine (FT2232H/FT232H).
    Ecp5Jtag,
    /// ECP5 JTAG bit-banged on the modem pins of a UART-only chip (FT231X); the
    /// same interface then carries the UART, one use at a time.
    Ecp5JtagBitbang,
}

impl ProgramMethod {
    /// The name used in `boards.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramMethod::Ice40Spi => "ice40-spi",
            ProgramMethod::Ecp5Jtag => "ecp5-jtag",
            ProgramMethod::Ecp5JtagBitbang => "ecp5-jtag-bitbang",
        }
    }

    /// The family this method configures.
    pub fn family(self) -> Family {
        match self {
            ProgramMethod::Ice40Spi => Family::Ice40,
            ProgramMethod::Ecp5Jtag | ProgramMethod::Ecp5JtagBitbang => Family::Ecp5,
        }
    }

    /// True when programming and the UART can share one interface (bit-bang
    /// programming switches the interface's mode and back).
    pub fn shares_interface(self) -> bool {
        matches!(self, ProgramMethod::Ecp5JtagBitbang)
    }
}

impl fmt::Display for ProgramMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// USB identity of a board's FTDI bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbId {
    /// Vendor id (0x0403 for FTDI).
    pub vid: u16,
    /// Product id (0x6010 FT2232H, 0x6011 FT4232H, 0x6014 FT232H, 0x6015 FT231X).
    pub pid: u16,
}

impl fmt::Display for UsbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)
    }
}

/// Which FTDI interface programs the FPGA, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// The interface wired to the FPGA's configuration port.
    pub interface: Interface,
    /// The programming method on that interface.
    pub method: ProgramMethod,
    /// The MPSSE clock (TCK or SCK) to program at, Hz, unless `--freq` says
    /// otherwise; absent: [`crate::program::DEFAULT_CLOCK_HZ`]. MPSSE methods
    /// only: bit-bang runs at its own fixed rate.
    #[serde(default)]
    pub freq_hz: Option<u32>,
}

/// Which FTDI interface carries the UART between host and `miner_top`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSpec {
    /// The interface wired to the FPGA's `uart_rx`/`uart_tx` pins.
    pub interface: Interface,
}

/// One board of `boards.toml` (field names as in the table).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSpec {
    /// Short name: `make bitstream BOARD=<name>`, `amber --board <name>`; lowercase, digits, `-`.
    pub name: String,
    /// The board's name as its vendor sells it ("iCEBreaker").
    pub title: String,
    /// FPGA family.
    pub family: Family,
    /// nextpnr device name (`up5k`, `hx8k`, `85k`, `um5g-85k`).
    pub device: String,
    /// nextpnr package name (`sg48`, `ct256`, `CABGA381`).
    pub package: String,
    /// Speed grade (ECP5: 6, 7 or 8; iCE40: 0, the family has one grade).
    pub speed: u8,
    /// Ordering part number of the FPGA ("LFE5U-85F-6BG381C"), for people.
    pub part: String,
    /// Constraints file, relative to the repository root.
    pub constraints: PathBuf,
    /// Board oscillator frequency, Hz (also declared in the constraints file).
    pub clock_hz: u32,
    /// `miner_top` clock after the board top's PLL, Hz.
    pub core_hz: u32,
    /// SHA-256 rounds per clock per pass (`miner_top` parameter `ROUNDS_PER_CLK`).
    pub rounds_per_clk: u32,
    /// Parallel sha256d cores (`miner_top` parameter `CORES`).
    pub cores: u32,
    /// Block RAMs per core that hold message-schedule delays (`miner_top`
    /// parameter `SCHEDULE_BRAMS`): any count on an ECP5 core at 64 rounds per
    /// clock, [`LOCKSTEP_WINDOW_BRAMS`] or 0 at one round per clock, 0 elsewhere.
    pub schedule_brams: u32,
    /// UART baud rate between host and board.
    pub baud: u32,
    /// USB identity of the FTDI bridge.
    pub usb: UsbId,
    /// The interface and method that program the FPGA.
    pub program: ProgramSpec,
    /// The interface that carries the UART stream.
    pub stream: StreamSpec,
}

impl BoardSpec {
    /// Name of the board's top-level module (`top_` + name with `-` as `_`).
    pub fn top_module(&self) -> String {
        format!("top_{}", self.name.replace('-', "_"))
    }

    /// Path of the board's top-level Verilog file, relative to the repository root.
    pub fn top_file(&self) -> PathBuf {
        Path::new("rtl/boards").join(format!("{}.v", self.top_module()))
    }

    /// Double-SHA-256 hashes per clock, all cores. Each SHA-256 pass of the core
    /// computes [`CORE_ROUNDS`] rounds on a ring of `min(rounds_per_clk, 61)` round
    /// stages that a nonce circles `ceil(61 / stages)` times, so a core takes a
    /// new nonce every that many clocks (one per clock when fully unrolled). At
    /// one round per clock each core is a pipeline with a round unit per pass:
    /// a nonce every [`LOCKSTEP_CLOCKS_PER_NONCE`] clocks.
    pub fn hashes_per_clock(&self) -> f64 {
        hashes_per_clock(self.rounds_per_clk, self.cores)
    }

    /// Expected hash rate at `core_hz`, in MH/s.
    pub fn expected_mhs(&self) -> f64 {
        self.hashes_per_clock() * f64::from(self.core_hz) / 1e6
    }

    /// The core clock in MHz for people: at most three decimals, no trailing zeros
    /// ("27", "83.333").
    pub fn core_mhz_text(&self) -> String {
        let text = format!("{:.3}", f64::from(self.core_hz) / 1e6);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Every board of the embedded `boards.toml`, in table order.
pub fn boards() -> &'static [BoardSpec] {
    static BOARDS: OnceLock<Vec<BoardSpec>> = OnceLock::new();
    BOARDS.get_or_init(|| {
        // The table is compiled in and `board::tests::embedded_table_parses` parses it,
        // so a failure here means the binary was built from a table its tests reject.
        parse_table(BOARDS_TOML).expect("embedded boards.toml is checked by the unit tests")
    })
}

/// The board called `name`.
pub fn find(name: &str) -> Result<&'static BoardSpec, BoardTableError> {
    boards()
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| BoardTableError::UnknownBoard {
            name: name.to_string(),
            known: boards().iter().map(|b| b.name.clone()).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }
    pub(super) fn one_board(extra: &str) -> String {
        format!(
            r#"
[[board]]
name           = "test-board"
title          = "Test"
family         = "ice40"
device         = "up5k"
package        = "sg48"
speed          = 0
part           = "iCE40UP5K-SG48"
constraints    = "constraints/icebreaker.pcf"
clock_hz       = 12_000_000
core_hz        = 24_000_000
rounds_per_clk = 1
cores          = 1
schedule_brams = 0
baud           = 115_200
usb            = {{ vid = 0x0403, pid = 0x6010 }}
program        = {{ interface = "A", method = "ice40-spi" }}
stream         = {{ interface = "B" }}
{extra}"#
        )
    }
    #[test]
    fn embedded_table_parses() {
        let table = parse_table(BOARDS_TOML).unwrap();
        let names: Vec<&str> = table.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["icebreaker", "ice40-hx8k", "ulx3s-85f", "ecp5-evn"]);
        assert_eq!(boards(), table.as_slice());
    }
    #[test]
    fn every_top_runs_its_pll_at_core_hz() {
        // Each top states its PLL output as `localparam PLL_HZ = ...;` and refuses
        // to elaborate when CLK_HZ differs; here the table is held to the same number.
        for board in boards() {
            let text = std::fs::read_to_string(repo_root().join(board.top_file())).unwrap();
            let pll_hz: u64 = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("localparam PLL_HZ = "))
                .and_then(|rest| rest.split(';').next())
                .map(|v| v.replace('_', "").trim().parse().unwrap())
                .unwrap_or_else(|| panic!("{} has no PLL_HZ", board.name));
            assert_eq!(pll_hz, u64::from(board.core_hz), "{}", board.name);
        }
    }
    #[test]
    fn every_board_names_a_device_the_programmer_knows() {
        for board in boards() {
            let known = match board.family {
                Family::Ice40 => crate::program::parts::ice40_part(&board.device).is_some(),
                Family::Ecp5 => crate::program::parts::ecp5_part(&board.device).is_some(),
            };
            assert!(known, "{}: {}", board.name, board.device);
        }
    }

    #[test]
    fn find_by_name() {
        let b = find("ulx3s-85f").unwrap();
        assert_eq!(b.family, Family::Ecp5);
        assert_eq!(
            b.usb,
            UsbId {
                vid: 0x0403,
                pid: 0x6015
            }
        );
        assert_eq!(b.program.method, ProgramMethod::Ecp5JtagBitbang);
        assert_eq!(b.top_module(), "top_ulx3s_85f");
        let err = find("nope").unwrap_err();
        assert!(
            matches!(&err, BoardTableError::UnknownBoard { name, known } if name == "nope" && known.len() == boards().len())
        );
        assert!(err
            .to_string()
            .starts_with("unknown board `nope` (known: icebreaker,"));
    }
    #[test]
    fn hash_rate_figures() {
        let b = parse_table(&one_board("")).unwrap().remove(0);
        assert_eq!(b.hashes_per_clock(), 1.0 / 65.0);
        assert!((b.expected_mhs() - 24.0 / 65.0).abs() < 1e-12);
        let per_clock = |rounds_per_clk, cores| {
            BoardSpec {
                rounds_per_clk,
                cores,
                ..b.clone()
            }
            .hashes_per_clock()
        };
        assert_eq!(per_clock(1, 3), 3.0 / 65.0);
        assert_eq!(per_clock(2, 1), 1.0 / 31.0);
        assert_eq!(per_clock(8, 3), 3.0 / 8.0);
        assert_eq!(per_clock(32, 1), 0.5);
        assert_eq!(per_clock(64, 2), 2.0);
    }
    #[test]
    fn core_clock_text_for_people() {
        let b = parse_table(&one_board("")).unwrap().remove(0);
        let at = |core_hz| {
            BoardSpec {
                core_hz,
                ..b.clone()
            }
            .core_mhz_text()
        };
        assert_eq!(at(24_000_000), "24");
        assert_eq!(at(83_333_333), "83.333");
        assert_eq!(at(12_500_000), "12.5");
        assert_eq!(at(100_000_000), "100");
        assert_eq!(at(999_999), "1");
    }
}
