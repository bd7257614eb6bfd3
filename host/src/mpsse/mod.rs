//! MPSSE (FTDI AN_108), one job per file: [`commands`] holds the opcodes and
//! the pure command builder, [`jtag`] the TAP state machine and JTAG shifts
//! built from those commands, and [`port`] runs batches on an [`crate::usb::Ftdi`]
//! channel.
//!
//! Pin use on the low byte (ADBUS), as on iCEBreaker/iCEstick (SPI) and
//! ULX3S-style FT2232 JTAG: bit 0 SCK/TCK, bit 1 MOSI/TDI, bit 2 MISO/TDO,
//! bit 3 TMS; the remaining pins are board GPIOs.

pub mod commands;
pub mod jtag;
pub mod port;

pub use commands::{Commands, Opcode, BAD_COMMAND};
pub use jtag::{decode_tdo, jtag_shift, ShiftLayout, TapState};
pub use port::{clock_divisor, clock_range, CommandRunner, MpssePort};
