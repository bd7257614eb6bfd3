//! The mining stream over an FTDI UART channel: 8N1 at the board's baud
//! rate, latency timer 1 ms, both FIFOs purged on open, modem-status bytes
//! stripped, and a [`LinkError::Closed`] when the device disappears.

use std::time::Duration;

use super::{Link, LinkError};
use crate::usb::{BitMode, Ftdi, UsbError};

/// Latency timer for the stream: short packets are sent after 1 ms.
const LATENCY_MS: u8 = 1;

/// A [`Link`] over one FTDI channel in UART mode.
#[derive(Debug)]
pub struct FtdiUart {
    ftdi: Ftdi,
    name: String,
    baud: u32,
}

impl FtdiUart {
    /// Configures the channel for `baud` 8N1 and empties its FIFOs.
    pub fn open(mut ftdi: Ftdi, baud: u32) -> Result<Self, UsbError> {
        ftdi.reset()?;
        ftdi.set_bitmode(0, BitMode::Reset)?;
        let actual = ftdi.set_baud(baud)?;
        ftdi.set_line_8n1()?;
        ftdi.set_flow_none()?;
        ftdi.set_latency_timer(LATENCY_MS)?;
        ftdi.purge()?;
        let name = ftdi.name();
        Ok(FtdiUart {
            ftdi,
            name,
            baud: actual,
        })
    }

    /// The baud rate the chip really runs at (within 3 % of the one asked for).
    pub fn baud(&self) -> u32 {
        self.baud
    }

    fn lost(&self, err: UsbError) -> LinkError {
        match err {
            UsbError::Gone { .. } | UsbError::NoDevice { .. } => LinkError::Closed {
                link: self.name.clone(),
            },
            other => LinkError::Usb {
                link: self.name.clone(),
                source: other,
            },
        }
    }
}

impl Link for FtdiUart {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.ftdi.write_all(bytes).map_err(|e| self.lost(e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.ftdi.read(buf, timeout).map_err(|e| self.lost(e))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{Board, Emulator, Event, Fault, Loopback};
    use crate::usb::{ChipType, Interface};

    fn loopback(chip: ChipType, interface: Interface) -> (Emulator, FtdiUart) {
        let emu = Emulator::new(chip, Board::None);
        emu.attach_uart(interface, Box::<Loopback>::default());
        let uart = FtdiUart::open(emu.open(interface).unwrap(), 115_200).unwrap();
        (emu, uart)
    }

    #[test]
    fn bytes_round_trip_through_the_emulated_uart() {
        for chip in [ChipType::Ft2232H, ChipType::Ft232R] {
            let (_emu, mut link) = loopback(chip, Interface::A);
            let sent: Vec<u8> = (0..2000u32).map(|i| (i * 7) as u8).collect();
            link.write_all(&sent).unwrap();
            let mut got: Vec<u8> = Vec::new();
            let mut buf = [0u8; 700];
            while got.len() < sent.len() {
                let n = link.read(&mut buf, Duration::from_millis(200)).unwrap();
                assert!(n > 0, "timed out after {} bytes", got.len());
                got.extend(&buf[..n]);
            }
            assert_eq!(got, sent, "{chip}");
            assert_eq!(link.read(&mut buf, Duration::from_millis(5)).unwrap(), 0);
        }
    }

    #[test]
    fn open_configures_the_line() {
        let (emu, link) = loopback(ChipType::Ft2232H, Interface::B);
        assert_eq!(link.baud(), 115_246);
        assert_eq!(link.name(), "ftdi 0-1 B");
        let controls: Vec<(u8, u16)> = emu
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Control {
                    interface: Interface::B,
                    request,
                    value,
                } => Some((request, value)),
                _ => None,
            })
            .collect();
        // Reset, bit mode reset, baud, 8N1, no flow control, latency 1 ms, purge both FIFOs.
        assert_eq!(
            controls,
            vec![
                (0x00, 0),
                (0x0B, 0x0000),
                (0x03, 0xC068),
                (0x04, 8),
                (0x02, 0),
                (0x09, 1),
                (0x00, 1),
                (0x00, 2)
            ]
        );
        assert!(
            emu.kernel_driver_attached(Interface::A),
            "channel A untouched"
        );
    }

    #[test]
    fn unplug_is_a_clear_closed_error_and_releases() {
        let (emu, mut link) = loopback(ChipType::Ft2232H, Interface::B);
        emu.inject(Fault::UnplugAfter(10));
        let err = link.write_all(&[0u8; 64]).unwrap_err();
        assert_eq!(err.to_string(), "link ftdi 0-1 B closed: the board is gone");
        let mut buf = [0u8; 8];
        assert!(matches!(
            link.read(&mut buf, Duration::from_millis(5)),
            Err(LinkError::Closed { .. })
        ));
        drop(link);
        assert!(!emu.claimed(Interface::B));
        assert!(emu.kernel_driver_attached(Interface::B));
    }
}
