//! Why the board table, a board's files or a board name were rejected.

use std::path::PathBuf;

use super::{Family, Interface, InterfaceRole, ProgramMethod, UsbId};

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
    /// The device is not in the family's table of FPGA devices ([`Family::devices`]).
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
    /// one round per clock ([`LOCKSTEP_WINDOW_BRAMS`](crate::board::LOCKSTEP_WINDOW_BRAMS)) have them. Set it to 0.
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
