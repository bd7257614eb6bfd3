//! USB transfers to FTDI chips: the [`UsbBackend`] seam and the FTDI device
//! layer on top of it.
//!
//! The backend moves control and bulk transfers and nothing else; three
//! implementations exist: [`rusb`] (libusb, the default), `d2xx` (FTDI's
//! D2XX driver, cargo feature `d2xx`) and the emulated FTDI chip of the test
//! double `amber::emulator` (cargo feature `emulator`, never in a release
//! build). [`Ftdi`] speaks FTDI's vendor requests (AN232B application
//! notes, FT2232H/FT232H/FT231X/FT232R datasheets) over any of them, so the
//! same code runs against hardware and the emulator.
//!
//! This layer knows transfers, chips and interfaces; it knows nothing of UART
//! framing, MPSSE programs or mining.

use std::error::Error as StdError;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use thiserror::Error;

mod chip;
#[cfg(feature = "d2xx")]
pub mod d2xx;
mod ftdi;
pub mod rusb;
mod selector;

pub use chip::{ChipInfo, ChipType, CHIPS, FTDI_PIDS, FTDI_VID};
pub use ftdi::{BaudDivisor, BitMode, Ftdi, BITBANG_BYTES_PER_BAUD};
pub use selector::{DeviceSelector, SelectorError};

/// One channel of a multi-channel FTDI chip (A is the only one on single-channel chips).
/// `boards.toml` names it by letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub enum Interface {
    /// Channel A (USB interface 0, endpoints 0x02 / 0x81).
    A,
    /// Channel B (USB interface 1, endpoints 0x04 / 0x83).
    B,
    /// Channel C (FT4232H only).
    C,
    /// Channel D (FT4232H only).
    D,
}

impl Interface {
    /// Zero-based position: A = 0.
    pub fn number(self) -> u8 {
        match self {
            Interface::A => 0,
            Interface::B => 1,
            Interface::C => 2,
            Interface::D => 3,
        }
    }

    /// The `wIndex` FTDI vendor requests use to address this channel (A = 1).
    pub fn request_index(self) -> u16 {
        u16::from(self.number()) + 1
    }

    /// Bulk OUT endpoint address (host to chip).
    pub fn endpoint_out(self) -> u8 {
        0x02 + 2 * self.number()
    }

    /// Bulk IN endpoint address (chip to host).
    pub fn endpoint_in(self) -> u8 {
        0x81 + 2 * self.number()
    }

    /// Parses `A`..`D` (any case), as the board table writes it.
    pub fn from_letter(letter: &str) -> Option<Interface> {
        match letter.to_ascii_uppercase().as_str() {
            "A" => Some(Interface::A),
            "B" => Some(Interface::B),
            "C" => Some(Interface::C),
            "D" => Some(Interface::D),
            _ => None,
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self {
            Interface::A => "A",
            Interface::B => "B",
            Interface::C => "C",
            Interface::D => "D",
        };
        f.write_str(letter)
    }
}

/// What enumeration learns about one FTDI device without claiming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// USB vendor ID.
    pub vid: u16,
    /// USB product ID.
    pub pid: u16,
    /// The chip, from the descriptor's `bcdDevice`; `None` for an unknown release.
    pub chip: Option<ChipType>,
    /// The serial number string, when the device has one and it could be read.
    pub serial: Option<String>,
    /// The product string, when readable.
    pub product: Option<String>,
    /// Linux-style bus path: `BUS-PORT[.PORT...]` (`1-4.2`).
    pub bus_path: String,
}

/// Control and bulk transfers to one opened FTDI device with one claimed
/// interface. Implementations release the interface (and give the kernel
/// driver back) when dropped.
pub trait UsbBackend: Send {
    /// A vendor control transfer from host to device.
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), UsbError>;

    /// A vendor control transfer from device to host; returns the byte count.
    fn control_in(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// A bulk OUT transfer; returns how many bytes the device took.
    fn bulk_out(&mut self, endpoint: u8, data: &[u8], timeout: Duration)
        -> Result<usize, UsbError>;

    /// A bulk IN transfer of whole packets (each starting with the FTDI's two
    /// modem-status bytes); returns the raw byte count.
    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// Lets `duration` pass before the next transfer: a wait the device's
    /// timing needs (a reset pulse, the pause between busy polls). Hardware
    /// backends sleep; the emulator advances its model clock instead.
    fn wait(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    /// The device's time since a fixed point: the clock [`UsbBackend::wait`]
    /// advances, which the host's deadlines for the device are measured on.
    fn now(&self) -> Duration {
        monotonic()
    }
}

/// Real time since the first call: the device timeline of hardware backends.
pub fn monotonic() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// A USB-level failure. Every variant names what the user can act on.
#[derive(Debug, Error)]
pub enum UsbError {
    /// No attached device matches the selector. Is the board plugged in, on
    /// another port, or does it use another VID:PID?
    #[error("no FTDI device matches {selector}")]
    NoDevice {
        /// The selector as the user wrote it (or the IDs searched for).
        selector: String,
    },
    /// Several devices match; the user must name one by serial or bus path.
    #[error("{count} FTDI devices match {selector}; choose one by serial or bus path")]
    Ambiguous {
        /// The selector used.
        selector: String,
        /// How many matched.
        count: usize,
    },
    /// The operating system refused access to the device node (missing udev rule).
    #[error("permission denied opening the FTDI device at {bus_path}")]
    PermissionDenied {
        /// Where the device is.
        bus_path: String,
    },
    /// Another program holds the interface.
    #[error(
        "FTDI device at {bus_path} interface {interface} is busy (claimed by another program)"
    )]
    Busy {
        /// Where the device is.
        bus_path: String,
        /// The interface that could not be claimed.
        interface: Interface,
    },
    /// The device disappeared (unplugged or reset) during `op`.
    #[error("the FTDI device went away during {op}")]
    Gone {
        /// The operation that found it gone.
        op: &'static str,
    },
    /// A transfer did not complete in time.
    #[error("timeout during {op}: got {actual} of {expected} bytes")]
    Timeout {
        /// The operation.
        op: &'static str,
        /// Bytes that did arrive.
        actual: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The chip has no such interface.
    #[error("{chip} has no interface {interface}")]
    NoInterface {
        /// The chip.
        chip: ChipType,
        /// The interface asked for.
        interface: Interface,
    },
    /// The chip (or this interface of it) has no MPSSE engine.
    #[error("{chip} interface {interface} has no MPSSE engine")]
    NoMpsse {
        /// The chip.
        chip: ChipType,
        /// The interface asked for.
        interface: Interface,
    },
    /// The chip type could not be told from the descriptor.
    #[error("unknown FTDI chip release 0x{bcd_device:04x}")]
    UnknownChip {
        /// The descriptor's `bcdDevice`.
        bcd_device: u16,
    },
    /// No divisor reaches the baud rate within 3 %.
    #[error("{chip} cannot run at {requested} baud (nearest {nearest})")]
    BaudRate {
        /// The chip.
        chip: ChipType,
        /// Baud asked for.
        requested: u32,
        /// Closest reachable baud.
        nearest: u32,
    },
    /// The MPSSE clock asked for is outside what the chip divides to. Choose
    /// a frequency in the range (`--freq`, or the board table's `freq_hz`).
    #[error("{chip} cannot clock MPSSE at {requested} Hz: it runs from {min} Hz to {max} Hz")]
    MpsseClock {
        /// The chip.
        chip: ChipType,
        /// The clock asked for, Hz.
        requested: u32,
        /// The slowest clock the chip divides to, Hz.
        min: u32,
        /// The fastest, Hz.
        max: u32,
    },
    /// The MPSSE engine answered out of step (lost sync with the command stream).
    #[error("MPSSE out of sync: expected {expected:02x?}, read {found:02x?}")]
    MpsseSync {
        /// What the synchronisation probe should return.
        expected: Vec<u8>,
        /// What came back.
        found: Vec<u8>,
    },
    /// Any other failure of the USB stack during `op`.
    #[error("USB {op} failed")]
    Transfer {
        /// The operation.
        op: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_endpoints_and_index() {
        assert_eq!(Interface::A.endpoint_out(), 0x02);
        assert_eq!(Interface::A.endpoint_in(), 0x81);
        assert_eq!(Interface::B.endpoint_out(), 0x04);
        assert_eq!(Interface::B.endpoint_in(), 0x83);
        assert_eq!(Interface::A.request_index(), 1);
        assert_eq!(Interface::B.request_index(), 2);
        assert_eq!(Interface::from_letter("b"), Some(Interface::B));
        assert_eq!(Interface::from_letter("E"), None);
    }

    #[test]
    fn error_text_names_the_facts() {
        let err = UsbError::Timeout {
            op: "bulk in",
            actual: 3,
            expected: 5,
        };
        assert_eq!(err.to_string(), "timeout during bulk in: got 3 of 5 bytes");
        let err = UsbError::PermissionDenied {
            bus_path: "1-4".into(),
        };
        assert_eq!(
            err.to_string(),
            "permission denied opening the FTDI device at 1-4"
        );
    }
}
