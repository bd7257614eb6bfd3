//! Why a driver gave up on its board.

use thiserror::Error;

use crate::device::protocol::{MIN_PROTOCOL_VERSION, PROTOCOL_VERSION};
use crate::link::LinkError;

/// A driver that can no longer drive its board.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The link failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The board did not answer IDENTIFY; check power, bitstream and baud rate.
    #[error("board on {link} did not answer IDENTIFY after {tries} tries")]
    NoIdentity {
        /// The link's name.
        link: String,
        /// Attempts made.
        tries: u32,
    },
    /// The board speaks another protocol version; rebuild the bitstream.
    #[error(
        "board on {link} speaks protocol version {version}, this host speaks {} and {}",
        MIN_PROTOCOL_VERSION,
        PROTOCOL_VERSION
    )]
    Version {
        /// The link's name.
        link: String,
        /// The version it reported.
        version: u8,
    },
    /// Work asks for what the board's protocol version cannot carry (header-byte
    /// order needs
    /// [`WORK_FLAGS_VERSION`](crate::device::protocol::WORK_FLAGS_VERSION)): rebuild the board's bitstream.
    #[error("board on {link} speaks protocol version {version}; {what} needs version {needs}: rebuild its bitstream")]
    Unsupported {
        /// The link's name.
        link: String,
        /// The version it speaks.
        version: u8,
        /// What was asked.
        what: &'static str,
        /// The version that has it.
        needs: u8,
    },
    /// The board stopped answering and did not come back.
    #[error("board on {link} went silent and did not answer {tries} re-identify attempts")]
    Silent {
        /// The link's name.
        link: String,
        /// Re-identify attempts made.
        tries: u32,
    },
}
