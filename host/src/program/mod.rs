//! Loading bitstreams: format checks, then the per-family programmers over
//! MPSSE (iCE40 SPI SRAM/flash, ECP5 JTAG SRAM/flash).
//!
//! Every file is checked before any hardware is touched; a wrong-device file
//! is refused with both devices named. Programmers use [`crate::mpsse`] and
//! [`crate::usb`], nothing above them.

use thiserror::Error;

use crate::usb::UsbError;

pub mod bitbang;
pub mod bitstream;
pub mod ecp5;
pub mod flash;
pub mod ice40;
pub mod parts;
pub mod progress;

pub use bitbang::{BitbangPins, ULX3S_FT231X};
pub use bitstream::{detect_family, Ecp5Bitstream, Ice40Image};
pub use ecp5::{BseError, Ecp5Instruction, Ecp5Jtag, Ecp5Status};
pub use flash::{FlashCmd, JedecId};
pub use ice40::Ice40Spi;
pub use parts::{
    largest_bitstream_file, Ecp5Part, Family, Ice40Part, Idcode, ECP5_PARTS, ICE40_PARTS,
};
pub use progress::{NoProgress, Phase, Progress};

/// The MPSSE clock (JTAG TCK, SPI SCK) when neither `--freq` nor the board
/// table sets one: 6 MHz, which every FTDI MPSSE chip reaches.
pub const DEFAULT_CLOCK_HZ: u32 = 6_000_000;

/// What `probe` finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeReport {
    /// The FPGA's JTAG IDCODE (ECP5; iCE40 UP5K/HX parts have none).
    pub idcode: Option<Idcode>,
    /// The configuration flash's JEDEC ID, where the programmer reads it.
    pub flash: Option<JedecId>,
}

/// One FPGA family's way of loading bitstreams.
pub trait Programmer {
    /// Reads what identifies the target: IDCODE and/or flash JEDEC ID.
    fn probe(&mut self) -> Result<ProbeReport, ProgramError>;
    /// Checks `bitstream`, loads it into configuration SRAM and confirms the
    /// FPGA accepted it; reports the [`Phase::Configure`] phase.
    fn load_sram(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError>;
    /// Checks `bitstream`, writes it to the configuration flash, verifies
    /// every byte and restarts the FPGA from flash; reports the
    /// [`Phase::Erase`], [`Phase::Write`] and [`Phase::Verify`] phases.
    fn write_flash(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError>;
}

/// Why a bitstream was not loaded.
#[derive(Debug, Error)]
pub enum ProgramError {
    /// The file is not a bitstream of a known family. Check the file name.
    #[error("not a bitstream: {reason}")]
    NotABitstream {
        /// What is wrong.
        reason: &'static str,
    },
    /// An iCE40 image whose size is no known device's.
    #[error("{found}-byte file is not the size of any known iCE40 image")]
    WrongSize {
        /// The file's size.
        found: usize,
    },
    /// The iCE40 image was built for another device than the board's.
    #[error("bitstream is for {file} but the board has {board}")]
    DeviceMismatch {
        /// The device the file fits.
        file: String,
        /// The board's device.
        board: String,
    },
    /// The ECP5 bitstream was built for another chip (VERIFY_ID vs JTAG IDCODE).
    #[error("bitstream is for {expected} but the chip is {found}")]
    IdcodeMismatch {
        /// The IDCODE in the bitstream.
        expected: Idcode,
        /// The chip's (or board's) IDCODE.
        found: Idcode,
    },
    /// An IDCODE no known part has (0xffffffff / 0: no chip on the JTAG chain).
    #[error("unknown IDCODE {idcode}: is the FPGA powered and the JTAG channel right?")]
    UnknownIdcode {
        /// What was read.
        idcode: Idcode,
    },
    /// A device name the part tables do not know.
    #[error("unknown FPGA device {name:?}")]
    UnknownDevice {
        /// The name given.
        name: String,
    },
    /// The bitstream is larger than the device's configuration memory.
    #[error("{size}-byte bitstream is larger than {device} takes ({max} bytes)")]
    TooLarge {
        /// The device.
        device: &'static str,
        /// The bitstream's size from its preamble on.
        size: usize,
        /// The largest the device takes.
        max: usize,
    },
    /// The iCE40 did not raise CDONE after its image.
    #[error("CDONE stayed low {waited_ms} ms after configuration: the FPGA rejected the image")]
    CdoneLow {
        /// How long it was polled.
        waited_ms: u64,
    },
    /// The ECP5 did not reach DONE.
    #[error("ECP5 configuration failed: status {status}")]
    ConfigFailed {
        /// The decoded status register.
        status: Ecp5Status,
    },
    /// No flash answered its JEDEC ID.
    #[error("no SPI flash answers (JEDEC ID {:02x} {:02x} {:02x})", jedec[0], jedec[1], jedec[2])]
    NoFlash {
        /// What was read.
        jedec: [u8; 3],
    },
    /// The flash did not set its write-enable latch.
    #[error("flash refused write enable (status 0x{status:02x}): is it write-protected?")]
    WriteEnable {
        /// Status register 1 after WRITE ENABLE.
        status: u8,
    },
    /// The flash stayed busy.
    #[error("flash still busy after {waited_ms} ms of {op}")]
    FlashBusy {
        /// The operation.
        op: &'static str,
        /// How long it was polled.
        waited_ms: u64,
    },
    /// The image does not fit the flash.
    #[error("image needs {needed} bytes of flash, the flash has {capacity}")]
    FlashTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Flash size.
        capacity: usize,
    },
    /// Read-back differs from what was written.
    #[error("flash verify failed at 0x{address:06x}: wrote {expected:02x}, read {found:02x}")]
    VerifyMismatch {
        /// First differing address.
        address: u32,
        /// Byte written.
        expected: u8,
        /// Byte read back.
        found: u8,
    },
    /// The USB layer failed.
    #[error(transparent)]
    Usb(#[from] UsbError),
}

impl ProgramError {
    /// True for errors caused by the input file or names given (nothing on
    /// the board was changed): the CLI exits with code 1 for these.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ProgramError::NotABitstream { .. }
                | ProgramError::WrongSize { .. }
                | ProgramError::DeviceMismatch { .. }
                | ProgramError::IdcodeMismatch { .. }
                | ProgramError::UnknownDevice { .. }
                | ProgramError::TooLarge { .. }
                | ProgramError::FlashTooSmall { .. }
                | ProgramError::Usb(UsbError::MpsseClock { .. })
        )
    }
}
