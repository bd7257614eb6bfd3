//! What an emulated UART channel talks to: the FPGA's `uart_rx`/`uart_tx`
//! as a byte-level peer, a loopback, or any [`Link`] (the simulated board).

use std::collections::VecDeque;
use std::time::Duration;

use crate::link::{Link, LinkError};

/// The other end of an emulated UART channel: the FPGA's `uart_rx`/`uart_tx`.
/// A byte-level loopback is [`Loopback`]; a Verilator model of the board can
/// implement this to sit behind the real FTDI code.
pub trait UartPeer: Send {
    /// The host set the line: `baud` as the programmed divisor really gives.
    fn configure(&mut self, baud: u32) {
        let _ = baud;
    }
    /// Bytes the host transmitted (FTDI TXD, the FPGA's `uart_rx`).
    fn receive(&mut self, bytes: &[u8]);
    /// Up to `max` bytes the peer sends back (the FPGA's `uart_tx`, FTDI RXD).
    /// Called whenever the host polls; a simulation may advance here.
    fn transmit(&mut self, max: usize) -> Vec<u8>;
}

/// A UART peer that sends back every byte it receives.
#[derive(Debug, Default)]
pub struct Loopback {
    queue: VecDeque<u8>,
    /// The baud rate the host configured, once it has.
    pub baud: Option<u32>,
}

impl UartPeer for Loopback {
    fn configure(&mut self, baud: u32) {
        self.baud = Some(baud);
    }
    fn receive(&mut self, bytes: &[u8]) {
        self.queue.extend(bytes);
    }
    fn transmit(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.queue.len());
        self.queue.drain(..n).collect()
    }
}

/// A UART peer that forwards to any [`Link`]: the hook that
/// puts a simulated board (the Verilator model's `SimLink`) behind the
/// emulated FTDI, so the real FTDI UART code, the emulated chip and the
/// simulated FPGA are tested together.
///
/// If the host programs a baud rate more than 3 % away from the board's,
/// the peer drops what the host sends, as a real UART would garble it.
pub struct LinkPeer<L> {
    link: L,
    board_baud: u32,
    garbled: bool,
    poll: Duration,
    /// The first error the link returned, if any (the peer then goes quiet).
    pub error: Option<LinkError>,
}

impl<L: Link> LinkPeer<L> {
    /// Wraps `link`, a board whose UART runs at `board_baud`.
    pub fn new(link: L, board_baud: u32) -> Self {
        LinkPeer {
            link,
            board_baud,
            garbled: false,
            poll: Duration::from_millis(1),
            error: None,
        }
    }
}

impl<L: Link> UartPeer for LinkPeer<L> {
    fn configure(&mut self, baud: u32) {
        self.garbled =
            u64::from(baud.abs_diff(self.board_baud)) * 100 > u64::from(self.board_baud) * 3;
    }
    fn receive(&mut self, bytes: &[u8]) {
        if self.garbled || self.error.is_some() {
            return;
        }
        if let Err(err) = self.link.write_all(bytes) {
            self.error = Some(err);
        }
    }
    fn transmit(&mut self, max: usize) -> Vec<u8> {
        if self.error.is_some() || max == 0 {
            return Vec::new();
        }
        let mut buf = vec![0u8; max];
        match self.link.read(&mut buf, self.poll) {
            Ok(n) => buf.truncate(n),
            Err(err) => {
                self.error = Some(err);
                buf.clear();
            }
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{Board, Emulator};
    use crate::usb::{ChipType, Interface};

    /// A byte-level board: answers every byte with its bitwise complement.
    struct Complement(VecDeque<u8>);

    impl Link for Complement {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
            self.0.extend(bytes.iter().map(|b| !b));
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, LinkError> {
            let n = buf.len().min(self.0.len());
            for (slot, b) in buf.iter_mut().zip(self.0.drain(..n)) {
                *slot = b;
            }
            Ok(n)
        }
        fn name(&self) -> String {
            "complement".into()
        }
    }

    #[test]
    fn a_link_can_stand_behind_the_uart() {
        let emu = Emulator::new(ChipType::Ft2232H, Board::None);
        emu.attach_uart(
            Interface::B,
            Box::new(LinkPeer::new(Complement(VecDeque::new()), 115_200)),
        );
        let mut ftdi = emu.open(Interface::B).unwrap();
        ftdi.set_baud(115_200).unwrap();
        ftdi.write_all(&[0x00, 0x0F, 0xAA]).unwrap();
        let mut back = [0u8; 3];
        ftdi.read_exact(&mut back, Duration::from_secs(1)).unwrap();
        assert_eq!(back, [0xFF, 0xF0, 0x55]);
        // At the wrong baud rate the board hears garbage and stays silent.
        ftdi.set_baud(9600).unwrap();
        ftdi.write_all(&[0x01]).unwrap();
        assert_eq!(ftdi.read(&mut back, Duration::from_millis(20)).unwrap(), 0);
    }
}
