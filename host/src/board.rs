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

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

/// Rounds per SHA-256 pass in `rtl/sha256d_core.v`: the first hash skips rounds
/// 0..2 (precomputed per work item), the second stops after round 60.
pub const CORE_ROUNDS: u32 = 61;

/// Clocks per nonce of one pipeline of `rtl/sha256d_lockstep.v`, the core used at
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

/// An FPGA family: selects the flow rules (`synth_ice40`/`synth_ecp5`) and the programmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (Yosys `synth_ice40`, nextpnr-ice40, icepack).
    Ice40,
    /// Lattice ECP5 (Yosys `synth_ecp5`, nextpnr-ecp5, ecppack).
    Ecp5,
}

impl Family {
    /// The name used in `boards.toml` and in the Makefile (`ice40`, `ecp5`).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }

    /// The nextpnr device names Amber's flow accepts for this family.
    pub fn devices(self) -> &'static [&'static str] {
        match self {
            Family::Ice40 => &["lp1k", "lp8k", "hx1k", "hx4k", "hx8k", "up5k", "u4k"],
            Family::Ecp5 => &[
                "12k", "25k", "45k", "85k", "um-25k", "um-45k", "um-85k", "um5g-25k", "um5g-45k",
                "um5g-85k",
            ],
        }
    }

    /// Extension of the constraints file (`pcf` for iCE40, `lpf` for ECP5).
    pub fn constraints_extension(self) -> &'static str {
        match self {
            Family::Ice40 => "pcf",
            Family::Ecp5 => "lpf",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

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
    /// parameter `SCHEDULE_BRAMS`); only an ECP5 core at 64 rounds per clock
    /// uses them, so any other board has 0.
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

    /// Checks one entry on its own (everything but uniqueness and USB clashes).
    fn validate(&self) -> Result<(), BoardTableError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(BoardTableError::BadName(self.name.clone()));
        }
        if !self.family.devices().contains(&self.device.as_str()) {
            return Err(BoardTableError::UnknownDevice {
                board: self.name.clone(),
                family: self.family,
                device: self.device.clone(),
            });
        }
        let ext_ok = self.constraints.extension().and_then(|e| e.to_str())
            == Some(self.family.constraints_extension());
        if !ext_ok {
            return Err(BoardTableError::ConstraintsExtension {
                board: self.name.clone(),
                family: self.family,
                file: self.constraints.clone(),
            });
        }
        if self.program.method.family() != self.family {
            return Err(BoardTableError::MethodFamily {
                board: self.name.clone(),
                family: self.family,
                method: self.program.method,
            });
        }
        let rounds_ok = self.rounds_per_clk.is_power_of_two() && self.rounds_per_clk <= 64;
        if !rounds_ok || !(1..=16).contains(&self.cores) {
            return Err(BoardTableError::BadCore {
                board: self.name.clone(),
                rounds_per_clk: self.rounds_per_clk,
                cores: self.cores,
            });
        }
        let brams_used = match self.rounds_per_clk {
            64 => self.family == Family::Ecp5,
            1 => self.schedule_brams == LOCKSTEP_WINDOW_BRAMS,
            _ => false,
        };
        if self.schedule_brams > 0 && !brams_used {
            return Err(BoardTableError::UnusedScheduleBrams {
                board: self.name.clone(),
                schedule_brams: self.schedule_brams,
            });
        }
        // The UART receiver oversamples 16x; below that it cannot find bit centres.
        if self.clock_hz == 0 || self.baud == 0 || self.core_hz / 16 < self.baud {
            return Err(BoardTableError::BadClock {
                board: self.name.clone(),
                clock_hz: self.clock_hz,
                core_hz: self.core_hz,
                baud: self.baud,
            });
        }
        if let Some(freq_hz) = self.program.freq_hz {
            let fastest = crate::usb::CHIPS
                .iter()
                .map(|c| c.mpsse_base_hz / 2)
                .max()
                .unwrap_or(0);
            if freq_hz == 0 || freq_hz > fastest || self.program.method.shares_interface() {
                return Err(BoardTableError::BadProgramFreq {
                    board: self.name.clone(),
                    freq_hz,
                    fastest,
                    method: self.program.method,
                });
            }
        }
        if self.program.interface == self.stream.interface
            && !self.program.method.shares_interface()
        {
            return Err(BoardTableError::SharedInterface {
                board: self.name.clone(),
                interface: self.stream.interface,
            });
        }
        Ok(())
    }
}

/// What an FTDI interface is used for on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InterfaceRole {
    /// Programs the FPGA.
    Program,
    /// Carries the UART stream.
    Stream,
    /// Both, one use at a time (bit-bang programming on a UART chip).
    ProgramAndStream,
}

/// Why the board table (or a board name) was rejected.
#[derive(Debug, thiserror::Error)]
pub enum BoardTableError {
    /// The table is not valid TOML, or a field is missing or has the wrong type.
    /// Fix the entry at `line` (1-based, when known).
    #[error("boards.toml line {}: {source}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Toml {
        /// Line of the error, when the parser reports one.
        line: Option<usize>,
        /// The parser's error.
        #[source]
        source: toml::de::Error,
    },
    /// An entry has a field the schema does not know (a typo?). Remove or rename it.
    #[error("boards.toml line {line}: unknown field `{field}`")]
    UnknownField {
        /// The unknown key.
        field: String,
        /// Line of the key (1-based).
        line: usize,
    },
    /// Two entries have the same name. Names select boards and must be unique.
    #[error("board `{0}` appears more than once in boards.toml")]
    DuplicateName(String),
    /// A board name uses characters other than lowercase letters, digits and `-`.
    #[error("board name `{0}` must be lowercase letters, digits and `-`")]
    BadName(String),
    /// The device is not one the family's nextpnr accepts.
    #[error("board `{board}`: `{device}` is not a {family} device ({})", family.devices().join(", "))]
    UnknownDevice {
        /// The board.
        board: String,
        /// Its family.
        family: Family,
        /// The rejected device name.
        device: String,
    },
    /// The constraints file has the other family's extension (`.pcf` iCE40, `.lpf` ECP5).
    #[error("board `{board}`: {family} constraints must be a .{} file, not {}", family.constraints_extension(), file.display())]
    ConstraintsExtension {
        /// The board.
        board: String,
        /// Its family.
        family: Family,
        /// The constraints path from the table.
        file: PathBuf,
    },
    /// The programming method configures another family.
    #[error("board `{board}`: method {method} does not program {family} FPGAs")]
    MethodFamily {
        /// The board.
        board: String,
        /// Its family.
        family: Family,
        /// The rejected method.
        method: ProgramMethod,
    },
    /// `rounds_per_clk` must be a power of two in 1..=64 and `cores` in 1..=16.
    #[error("board `{board}`: rounds_per_clk {rounds_per_clk} (power of two, 1..=64) or cores {cores} (1..=16) out of range")]
    BadCore {
        /// The board.
        board: String,
        /// The table's `rounds_per_clk`.
        rounds_per_clk: u32,
        /// The table's `cores`.
        cores: u32,
    },
    /// `schedule_brams` is set on a board whose core has no such block-RAM schedule
    /// delays: only an ECP5 core at 64 rounds per clock (any count) and a core at
    /// one round per clock ([`LOCKSTEP_WINDOW_BRAMS`]) have them. Set it to 0.
    #[error("board `{board}`: schedule_brams {schedule_brams} needs an ECP5 board at rounds_per_clk 64, or is 4 at rounds_per_clk 1; set it to 0")]
    UnusedScheduleBrams {
        /// The board.
        board: String,
        /// The table's `schedule_brams`.
        schedule_brams: u32,
    },
    /// Clocks must be non-zero and the core clock at least 16 times the baud rate.
    #[error("board `{board}`: clock_hz {clock_hz}, core_hz {core_hz} and baud {baud} do not fit (core_hz >= 16 * baud)")]
    BadClock {
        /// The board.
        board: String,
        /// Oscillator, Hz.
        clock_hz: u32,
        /// Core clock, Hz.
        core_hz: u32,
        /// Baud rate.
        baud: u32,
    },
    /// `program.freq_hz` is 0, faster than any MPSSE chip clocks, or set for a
    /// bit-bang method, whose rate is fixed. Fix the value or remove it.
    #[error("board `{board}`: program.freq_hz {freq_hz} must be 1..={fastest} Hz, for an MPSSE method (this is {method})")]
    BadProgramFreq {
        /// The board.
        board: String,
        /// The table's `program.freq_hz`.
        freq_hz: u32,
        /// The fastest MPSSE clock of any FTDI chip, Hz.
        fastest: u32,
        /// The board's programming method.
        method: ProgramMethod,
    },
    /// Program and stream use one interface, but the method cannot share it.
    #[error("board `{board}`: interface {interface} cannot both program and stream")]
    SharedInterface {
        /// The board.
        board: String,
        /// The interface named twice.
        interface: Interface,
    },
    /// Two boards with the same VID:PID use one interface for different things,
    /// so the host could not tell which interface to open.
    #[error("{usb} interface {interface}: `{first}` uses it as {first_role:?}, `{second}` as {second_role:?}")]
    UsbClash {
        /// The shared VID:PID.
        usb: UsbId,
        /// The interface.
        interface: Interface,
        /// The first board.
        first: String,
        /// Its role for the interface.
        first_role: InterfaceRole,
        /// The second board.
        second: String,
        /// Its role for the interface.
        second_role: InterfaceRole,
    },
    /// A file the board needs (constraints, top level) does not exist.
    #[error("missing file {}", .0.display())]
    MissingFile(PathBuf),
    /// A file the board needs could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The constraints file does not declare the oscillator
    /// (`set_frequency` in PCF, `FREQUENCY PORT` in LPF).
    #[error("{} declares no oscillator frequency", .0.display())]
    NoClockDeclared(PathBuf),
    /// The constraints file declares another oscillator frequency than `clock_hz`.
    #[error("board `{board}`: clock_hz is {table_hz} but {} declares {file_hz} Hz", file.display())]
    ClockMismatch {
        /// The board.
        board: String,
        /// `clock_hz` from the table.
        table_hz: u32,
        /// The frequency in the constraints file, Hz.
        file_hz: u64,
        /// The constraints file.
        file: PathBuf,
    },
    /// No board has this name.
    #[error("unknown board `{name}` (known: {})", known.join(", "))]
    UnknownBoard {
        /// The name asked for.
        name: String,
        /// The names in the table.
        known: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    board: Vec<BoardSpec>,
}

/// Parses and checks a board table: every entry on its own, unique names, and
/// no two boards with one VID:PID that use an interface differently.
pub fn parse_table(text: &str) -> Result<Vec<BoardSpec>, BoardTableError> {
    let table: Table = toml::from_str(text).map_err(|source| toml_error(text, source))?;
    let mut names = HashSet::new();
    for board in &table.board {
        board.validate()?;
        if !names.insert(board.name.as_str()) {
            return Err(BoardTableError::DuplicateName(board.name.clone()));
        }
    }
    check_usb_roles(&table.board)?;
    Ok(table.board)
}

/// Turns serde's "unknown field" into [`BoardTableError::UnknownField`]; any
/// other parse error keeps the parser's error and its line.
fn toml_error(text: &str, source: toml::de::Error) -> BoardTableError {
    let line = source
        .span()
        .map(|span| line_number_after(&text.as_bytes()[..span.start.min(text.len())]));
    let field = source
        .message()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match (field, line) {
        (Some(field), Some(line)) => BoardTableError::UnknownField {
            field: field.to_string(),
            line,
        },
        _ => BoardTableError::Toml { line, source },
    }
}

/// 1-based number of the line that follows `before`.
fn line_number_after(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

fn check_usb_roles(boards: &[BoardSpec]) -> Result<(), BoardTableError> {
    let mut seen: BTreeMap<(u16, u16, Interface), (&str, InterfaceRole)> = BTreeMap::new();
    for board in boards {
        let mut roles = vec![(board.program.interface, InterfaceRole::Program)];
        if board.stream.interface == board.program.interface {
            roles[0].1 = InterfaceRole::ProgramAndStream;
        } else {
            roles.push((board.stream.interface, InterfaceRole::Stream));
        }
        for (interface, role) in roles {
            let key = (board.usb.vid, board.usb.pid, interface);
            match seen.get(&key) {
                Some(&(first, first_role)) if first_role != role => {
                    return Err(BoardTableError::UsbClash {
                        usb: board.usb,
                        interface,
                        first: first.to_string(),
                        first_role,
                        second: board.name.clone(),
                        second_role: role,
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (board.name.as_str(), role));
                }
            }
        }
    }
    Ok(())
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

/// Checks the files a board needs in a source tree at `root`: its constraints
/// file and its top level exist, and the constraints file declares the
/// oscillator at `clock_hz`.
pub fn check_files(board: &BoardSpec, root: &Path) -> Result<(), BoardTableError> {
    let top = root.join(board.top_file());
    if !top.is_file() {
        return Err(BoardTableError::MissingFile(top));
    }
    let path = root.join(&board.constraints);
    if !path.is_file() {
        return Err(BoardTableError::MissingFile(path));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| BoardTableError::Read {
        path: path.clone(),
        source,
    })?;
    let file_hz = match board.family {
        Family::Ice40 => pcf_frequency(&text),
        Family::Ecp5 => lpf_frequency(&text),
    }
    .ok_or_else(|| BoardTableError::NoClockDeclared(path.clone()))?;
    if file_hz != u64::from(board.clock_hz) {
        return Err(BoardTableError::ClockMismatch {
            board: board.name.clone(),
            table_hz: board.clock_hz,
            file_hz,
            file: path,
        });
    }
    Ok(())
}

/// Converts "12", "12.0", "25.000000" MHz to Hz, exactly (at most six decimals).
fn mhz_to_hz(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 6 || int.is_empty() {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let frac_hz: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().ok()?
    };
    int.checked_mul(1_000_000)?.checked_add(frac_hz)
}

/// The first `set_frequency NET MHZ` of a PCF file, in Hz.
fn pcf_frequency(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        if words.next()? != "set_frequency" {
            return None;
        }
        let _net = words.next()?;
        mhz_to_hz(words.next()?)
    })
}

/// The first `FREQUENCY PORT "NET" F MHZ;` of an LPF file, in Hz.
fn lpf_frequency(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let line = line.trim().trim_end_matches(';');
        let mut words = line.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("FREQUENCY")
            || !words.next()?.eq_ignore_ascii_case("PORT")
        {
            return None;
        }
        let _net = words.next()?;
        let value = mhz_to_hz(words.next()?)?;
        let unit = words.next()?;
        match unit.to_ascii_uppercase().as_str() {
            "MHZ" => Some(value),
            "KHZ" => Some(value / 1000),
            _ => None,
        }
    })
}

/// The README's board table, generated from the board table (`amber boards --markdown`).
pub fn markdown_table(boards: &[BoardSpec]) -> String {
    let mut out = String::from(
        "| board | `BOARD=` | FPGA | rounds/clock | cores | core clock | expected MH/s | USB | program | UART |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for b in boards {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} MHz | {:.3} | {} | {}: {} | {} |\n",
            b.title,
            b.name,
            b.part,
            b.rounds_per_clk,
            b.cores,
            b.core_mhz_text(),
            b.expected_mhs(),
            b.usb,
            b.program.interface,
            b.program.method,
            b.stream.interface,
        ));
    }
    out
}

/// The Makefile fragment for one board (`build/<board>/board.mk`): the flow's
/// variables and the Yosys `chparam` settings of the board top. The Makefile adds
/// `BUILD_ID`, a digest of the files this fragment names, so it is not written here.
pub fn make_fragment(board: &BoardSpec) -> String {
    format!(
        "# Generated by `amber boards --make {name}` from boards.toml; do not edit.\n\
         BOARD_NAME := {name}\n\
         FAMILY := {family}\n\
         DEVICE := {device}\n\
         PACKAGE := {package}\n\
         SPEED := {speed}\n\
         CONSTRAINTS := {constraints}\n\
         TOP := {top}\n\
         TOP_FILE := {top_file}\n\
         CLOCK_HZ := {clock_hz}\n\
         CORE_HZ := {core_hz}\n\
         CORE_MHZ := {core_mhz}\n\
         ROUNDS_PER_CLK := {rounds}\n\
         CORES := {cores}\n\
         HASHES_PER_CLOCK := {hashes_per_clock}\n\
         PARAMS := -set CLK_HZ {core_hz} -set BAUD {baud} -set ROUNDS_PER_CLK {rounds} -set CORES {cores} \
         -set SCHEDULE_BRAMS {schedule_brams}\n",
        name = board.name,
        family = board.family,
        device = board.device,
        package = board.package,
        speed = board.speed,
        constraints = board.constraints.display(),
        top = board.top_module(),
        top_file = board.top_file().display(),
        clock_hz = board.clock_hz,
        core_hz = board.core_hz,
        core_mhz = f64::from(board.core_hz) / 1e6,
        rounds = board.rounds_per_clk,
        cores = board.cores,
        schedule_brams = board.schedule_brams,
        hashes_per_clock = board.hashes_per_clock(),
        baud = board.baud,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn one_board(extra: &str) -> String {
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
    fn every_board_has_its_files_and_clock() {
        for board in boards() {
            check_files(board, &repo_root()).unwrap();
        }
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

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let text = one_board("colour = \"red\"\n");
        let err = parse_table(&text).unwrap_err();
        let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
        match err {
            BoardTableError::UnknownField { field, line: l } => {
                assert_eq!(field, "colour");
                assert_eq!(l, line);
            }
            other => panic!("{other:?}"),
        }
        let nested =
            one_board("").replace("{ interface = \"B\" }", "{ interface = \"B\", baud = 1 }");
        assert!(
            matches!(parse_table(&nested), Err(BoardTableError::UnknownField { field, .. }) if field == "baud")
        );
    }

    #[test]
    fn missing_field_and_bad_values_are_toml_errors() {
        let missing = one_board("").replace("cores          = 1\n", "");
        assert!(matches!(
            parse_table(&missing),
            Err(BoardTableError::Toml { line: Some(_), .. })
        ));
        let bad_family = one_board("").replace("\"ice40\"", "\"gowin\"");
        assert!(matches!(
            parse_table(&bad_family),
            Err(BoardTableError::Toml { .. })
        ));
        let bad_interface = one_board("").replace("interface = \"B\"", "interface = \"E\"");
        assert!(matches!(
            parse_table(&bad_interface),
            Err(BoardTableError::Toml { .. })
        ));
        let big_pid = one_board("").replace("pid = 0x6010", "pid = 0x16010");
        assert!(matches!(
            parse_table(&big_pid),
            Err(BoardTableError::Toml { .. })
        ));
        assert!(matches!(
            parse_table("[[board]\n"),
            Err(BoardTableError::Toml { .. })
        ));
    }

    #[test]
    fn duplicate_name() {
        let text = format!("{}{}", one_board(""), one_board(""));
        let err = parse_table(&text).unwrap_err();
        assert!(matches!(&err, BoardTableError::DuplicateName(n) if n == "test-board"));
        assert_eq!(
            err.to_string(),
            "board `test-board` appears more than once in boards.toml"
        );
    }

    #[test]
    fn entry_checks() {
        type IsExpected = fn(&BoardTableError) -> bool;
        let cases: [(&str, &str, IsExpected); 9] = [
            ("\"test-board\"", "\"Test_Board\"", |e| {
                matches!(e, BoardTableError::BadName(_))
            }),
            ("\"up5k\"", "\"85k\"", |e| {
                matches!(e, BoardTableError::UnknownDevice { .. })
            }),
            ("icebreaker.pcf", "icebreaker.lpf", |e| {
                matches!(e, BoardTableError::ConstraintsExtension { .. })
            }),
            ("\"ice40-spi\"", "\"ecp5-jtag\"", |e| {
                matches!(e, BoardTableError::MethodFamily { .. })
            }),
            ("rounds_per_clk = 1", "rounds_per_clk = 3", |e| {
                matches!(
                    e,
                    BoardTableError::BadCore {
                        rounds_per_clk: 3,
                        ..
                    }
                )
            }),
            ("cores          = 1", "cores          = 17", |e| {
                matches!(e, BoardTableError::BadCore { cores: 17, .. })
            }),
            ("schedule_brams = 0", "schedule_brams = 196", |e| {
                matches!(
                    e,
                    BoardTableError::UnusedScheduleBrams {
                        schedule_brams: 196,
                        ..
                    }
                )
            }),
            (
                "baud           = 115_200",
                "baud           = 2_000_000",
                |e| matches!(e, BoardTableError::BadClock { .. }),
            ),
            ("{ interface = \"B\" }", "{ interface = \"A\" }", |e| {
                matches!(
                    e,
                    BoardTableError::SharedInterface {
                        interface: Interface::A,
                        ..
                    }
                )
            }),
        ];
        for (from, to, check) in cases {
            let text = one_board("").replacen(from, to, 1);
            let err = parse_table(&text).unwrap_err();
            assert!(check(&err), "{from} -> {to}: {err:?}");
        }
    }

    #[test]
    fn program_clock_is_optional_mpsse_only_and_in_range() {
        let with = |method: &str, freq: &str| {
            one_board("").replace(
                "{ interface = \"A\", method = \"ice40-spi\" }",
                &format!("{{ interface = \"A\", method = \"{method}\"{freq} }}"),
            )
        };
        let board = parse_table(&one_board("")).unwrap().remove(0);
        assert_eq!(board.program.freq_hz, None);
        let board = parse_table(&with("ice40-spi", ", freq_hz = 15_000_000"))
            .unwrap()
            .remove(0);
        assert_eq!(board.program.freq_hz, Some(15_000_000));
        for freq in [", freq_hz = 0", ", freq_hz = 30_000_001"] {
            let err = parse_table(&with("ice40-spi", freq)).unwrap_err();
            assert!(
                matches!(
                    err,
                    BoardTableError::BadProgramFreq {
                        fastest: 30_000_000,
                        ..
                    }
                ),
                "{freq}: {err:?}"
            );
        }
        let bitbang = with("ecp5-jtag-bitbang", ", freq_hz = 1_000_000")
            .replace("\"ice40\"", "\"ecp5\"")
            .replace("\"up5k\"", "\"85k\"")
            .replace("icebreaker.pcf", "ulx3s-85f.lpf")
            .replace("{ interface = \"B\" }", "{ interface = \"A\" }");
        assert_eq!(
            parse_table(&bitbang).unwrap_err().to_string(),
            "board `test-board`: program.freq_hz 1000000 must be 1..=30000000 Hz, \
             for an MPSSE method (this is ecp5-jtag-bitbang)"
        );
    }

    #[test]
    fn schedule_brams_only_where_the_core_has_block_ram_delays() {
        let ecp5 = |rounds: &str, brams: &str| {
            one_board("")
                .replace("\"ice40\"", "\"ecp5\"")
                .replace("\"up5k\"", "\"85k\"")
                .replace("icebreaker.pcf", "ulx3s-85f.lpf")
                .replace("\"ice40-spi\"", "\"ecp5-jtag\"")
                .replace("rounds_per_clk = 1", rounds)
                .replace("schedule_brams = 0", brams)
        };
        let board = parse_table(&ecp5("rounds_per_clk = 64", "schedule_brams = 196"))
            .unwrap()
            .remove(0);
        assert_eq!(board.schedule_brams, 196);
        assert!(make_fragment(&board).contains("-set SCHEDULE_BRAMS 196\n"));
        let err = parse_table(&ecp5("rounds_per_clk = 32", "schedule_brams = 1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "board `test-board`: schedule_brams 1 needs an ECP5 board at rounds_per_clk 64, \
             or is 4 at rounds_per_clk 1; set it to 0"
        );
        assert!(parse_table(&ecp5("rounds_per_clk = 32", "schedule_brams = 0")).is_ok());
        // One round per clock: the first-hash windows in block RAM, or none
        let ice40 = |brams: &str| parse_table(&one_board("").replace("schedule_brams = 0", brams));
        let board = ice40("schedule_brams = 4").unwrap().remove(0);
        assert!(make_fragment(&board).contains("-set SCHEDULE_BRAMS 4\n"));
        assert!(ice40("schedule_brams = 2").is_err());
        assert!(ice40("schedule_brams = 0").is_ok());
    }

    #[test]
    fn usb_roles_must_agree() {
        let second = one_board("")
            .replace("test-board", "other-board")
            .replace("\"A\", method", "\"B\", method")
            .replace("{ interface = \"B\" }", "{ interface = \"A\" }");
        let text = format!("{}{}", one_board(""), second);
        match parse_table(&text).unwrap_err() {
            BoardTableError::UsbClash {
                usb,
                interface,
                first,
                first_role,
                second,
                second_role,
            } => {
                assert_eq!(usb.to_string(), "0403:6010");
                assert_eq!(interface, Interface::B);
                assert_eq!(
                    (first.as_str(), first_role),
                    ("test-board", InterfaceRole::Stream)
                );
                assert_eq!(
                    (second.as_str(), second_role),
                    ("other-board", InterfaceRole::Program)
                );
            }
            other => panic!("{other:?}"),
        }
        // Another PID may use the interfaces its own way.
        let text = format!("{}{}", one_board(""), second.replace("0x6010", "0x6011"));
        assert_eq!(parse_table(&text).unwrap().len(), 2);
    }

    #[test]
    fn missing_files_and_clock_mismatch() {
        let dir = std::env::temp_dir().join(format!("amber-board-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("rtl/boards")).unwrap();
        std::fs::create_dir_all(dir.join("constraints")).unwrap();
        let board = parse_table(&one_board("")).unwrap().remove(0);

        let err = check_files(&board, &dir).unwrap_err();
        assert!(
            matches!(&err, BoardTableError::MissingFile(p) if p.ends_with("rtl/boards/top_test_board.v"))
        );

        std::fs::write(dir.join("rtl/boards/top_test_board.v"), "").unwrap();
        let err = check_files(&board, &dir).unwrap_err();
        assert!(
            matches!(&err, BoardTableError::MissingFile(p) if p.ends_with("constraints/icebreaker.pcf"))
        );

        let pcf = dir.join("constraints/icebreaker.pcf");
        std::fs::write(&pcf, "set_io clk_12mhz 35\n# set_frequency clk_12mhz 12\n").unwrap();
        assert!(matches!(
            check_files(&board, &dir),
            Err(BoardTableError::NoClockDeclared(_))
        ));

        std::fs::write(&pcf, "set_io clk_12mhz 35\nset_frequency clk_12mhz 12.5\n").unwrap();
        match check_files(&board, &dir).unwrap_err() {
            BoardTableError::ClockMismatch {
                table_hz, file_hz, ..
            } => {
                assert_eq!((table_hz, file_hz), (12_000_000, 12_500_000));
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&pcf, "set_frequency clk_12mhz 12\n").unwrap();
        check_files(&board, &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn constraint_frequencies() {
        assert_eq!(pcf_frequency("set_frequency clk 12\n"), Some(12_000_000));
        assert_eq!(pcf_frequency("set_frequency clk"), None);
        assert_eq!(pcf_frequency("set_frequency clk twelve"), None);
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk_25mhz\" 25.000000 MHz ;"),
            Some(25_000_000)
        );
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk\" 12 MHZ;"),
            Some(12_000_000)
        );
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk\" 12000 kHz;"),
            Some(12_000_000)
        );
        assert_eq!(lpf_frequency("FREQUENCY NET \"clk\" 12 MHZ;"), None);
        assert_eq!(lpf_frequency("FREQUENCY PORT \"clk\" 12 GHz;"), None);
        assert_eq!(mhz_to_hz("12.0000001"), None);
        assert_eq!(mhz_to_hz(".5"), None);
    }

    #[test]
    fn make_fragment_names_everything_the_flow_needs() {
        let b = find("icebreaker").unwrap();
        let mk = make_fragment(b);
        for line in [
            "FAMILY := ice40\n",
            "DEVICE := up5k\n",
            "PACKAGE := sg48\n",
            "CONSTRAINTS := constraints/icebreaker.pcf\n",
            "TOP := top_icebreaker\n",
            "CLOCK_HZ := 12000000\n",
            &format!("CORE_HZ := {}\n", b.core_hz),
            &format!(
                "PARAMS := -set CLK_HZ {} -set BAUD {} -set ROUNDS_PER_CLK {} -set CORES {} \
                 -set SCHEDULE_BRAMS {}\n",
                b.core_hz, b.baud, b.rounds_per_clk, b.cores, b.schedule_brams
            ),
        ] {
            assert!(mk.contains(line), "{line}");
        }
    }

    #[test]
    fn readme_board_table_is_generated() {
        let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
        let table = markdown_table(boards());
        assert!(
            readme.contains(&table),
            "README.md's board table differs from `amber boards --markdown`:\n{table}"
        );
    }
}
