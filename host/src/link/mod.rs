//! Byte streams to boards. A link moves bytes and knows nothing of mining.

use std::time::Duration;

use thiserror::Error;

pub mod ftdi;
#[cfg(feature = "sim")]
pub mod sim;

/// A bidirectional byte stream to one board (UART over FTDI, serial port, or
/// the Verilator model).
pub trait Link: Send {
    /// Writes every byte, in order.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError>;

    /// Reads what is available into `buf`, waiting up to `timeout` for the
    /// first byte. Returns the count; `Ok(0)` means the timeout passed.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError>;

    /// A short name for logs and errors (`sim`, `/dev/ttyUSB1`, `ftdi 1-4 B`).
    fn name(&self) -> String;

    /// Whether the board is a model that simulates slower than its clock by
    /// orders of magnitude (a netlist model), so that an answer can take
    /// minutes of wall time.
    fn is_slow_model(&self) -> bool {
        false
    }
}

/// A link that can no longer carry bytes.
#[derive(Debug, Error)]
pub enum LinkError {
    /// The other end went away (device unplugged, model stopped, port closed).
    #[error("link {link} closed: the board is gone")]
    Closed {
        /// The link's name.
        link: String,
    },
    /// The operating system refused a read or write.
    #[error("link {link}: I/O error")]
    Io {
        /// The link's name.
        link: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The USB layer under an FTDI link failed (other than the device going away).
    #[error("link {link}: USB error")]
    Usb {
        /// The link's name.
        link: String,
        /// The USB error.
        #[source]
        source: crate::usb::UsbError,
    },
}
pub mod serial;
