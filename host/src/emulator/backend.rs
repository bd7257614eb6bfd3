//! The emulated chip's side of the [`UsbBackend`] seam: FTDI vendor
//! requests, bulk OUT data to the channel's mode (MPSSE engine, bit-bang
//! pins or UART peer), and bulk IN packets that each start with two
//! modem-status bytes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::engine::{pin_levels, run_mpsse, Engine};
use super::{BitbangWiring, Board, Chip, Event};
use crate::usb::{BaudDivisor, Interface, UsbBackend, UsbError};

/// Modem status bytes at the head of each bulk IN packet: CTS and DSR set
/// (with the reserved low nibble 0001), transmitter empty (THRE, TEMT).
const MODEM_STATUS: [u8; 2] = [0x31, 0x60];

/// One claimed channel of the emulated chip.
pub(super) struct EmulatorBackend {
    pub(super) shared: Arc<Mutex<Chip>>,
    pub(super) interface: Interface,
}

impl EmulatorBackend {
    fn lock(&self) -> MutexGuard<'_, Chip> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for EmulatorBackend {
    fn drop(&mut self) {
        let mut chip = self.lock();
        if let Some(ch) = chip.channels.get_mut(usize::from(self.interface.number())) {
            ch.claimed = false;
            ch.kernel_driver = true;
        }
    }
}

fn gone(op: &'static str) -> UsbError {
    UsbError::Gone { op }
}

fn stall(op: &'static str) -> UsbError {
    UsbError::Transfer {
        op,
        source: "endpoint stalled (request not supported)".into(),
    }
}

impl UsbBackend for EmulatorBackend {
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        _data: &[u8],
        _timeout: Duration,
    ) -> Result<(), UsbError> {
        let interface = self.interface;
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("control out"));
        }
        chip.log.push(Event::Control {
            interface,
            request,
            value,
        });
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            ..
        } = chip;
        let ch = &mut channels[usize::from(interface.number())];
        if request != 0x03 && index & 0xFF != interface.request_index() {
            return Err(stall("control out"));
        }
        match request {
            0x00 => match value {
                0 => {
                    ch.engine.pending.clear();
                }
                1 | 2 => ch.to_host.clear(),
                _ => return Err(stall("control out")),
            },
            0x09 => ch.latency_ms = (value & 0xFF) as u8,
            0x0B => {
                let mode = (value >> 8) as u8;
                if mode == 0x02 && interface.number() >= kind.info().mpsse_interfaces {
                    return Err(stall("set bitmode"));
                }
                if mode == 0x02 {
                    ch.engine = Engine::default();
                    board.set_pins(0xFF, log);
                }
                ch.bitmode = mode;
            }
            0x03 => {
                let baud = BaudDivisor::decode(kind, value, index);
                if let Some(peer) = ch.uart.as_mut() {
                    peer.configure(baud);
                }
            }
            0x02 | 0x04 | 0x01 => {}
            _ => return Err(stall("control out")),
        }
        Ok(())
    }

    fn control_in(
        &mut self,
        request: u8,
        _value: u16,
        _index: u16,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        let chip = self.lock();
        if !chip.plugged {
            return Err(gone("control in"));
        }
        let ch = &chip.channels[usize::from(interface.number())];
        let answer: Vec<u8> = match request {
            0x0C => vec![pin_levels(&ch.engine, &chip.board)],
            0x05 => MODEM_STATUS.to_vec(),
            _ => return Err(stall("control in")),
        };
        let n = answer.len().min(buf.len());
        buf[..n].copy_from_slice(&answer[..n]);
        Ok(n)
    }

    fn bulk_out(
        &mut self,
        endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        if endpoint != interface.endpoint_out() {
            return Err(stall("bulk out"));
        }
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("bulk out"));
        }
        let mut data = data;
        let mut unplug_now = false;
        if let Some(left) = chip.unplug_after {
            if data.len() >= left {
                data = &data[..left];
                unplug_now = true;
            } else {
                chip.unplug_after = Some(left - data.len());
            }
        }
        let short = chip.short_reads;
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            wiring,
            pins,
            ..
        } = chip;
        let ch = &mut channels[usize::from(interface.number())];
        if matches!(ch.bitmode, 0x01 | 0x04) {
            let sync = ch.bitmode == 0x04;
            for &byte in data {
                let read = bitbang(byte, pins, wiring.as_ref(), board, log);
                if sync {
                    ch.to_host.push_back(read);
                }
            }
        } else if ch.bitmode == 0x02 {
            ch.engine.pending.extend(data);
            let answer = run_mpsse(&mut ch.engine, board, log);
            for mut reply in answer {
                if short {
                    reply.pop();
                }
                ch.to_host.extend(reply);
            }
            // A real engine stops at a full read FIFO and the host's write
            // stalls until it times out.
            if ch.to_host.len() > kind.info().rx_buffer {
                return Err(UsbError::Timeout {
                    op: "bulk out",
                    actual: 0,
                    expected: data.len(),
                });
            }
        } else if let Some(peer) = ch.uart.as_mut() {
            peer.receive(data);
        }
        if unplug_now {
            chip.plugged = false;
            chip.unplug_after = None;
            return Err(gone("bulk out"));
        }
        Ok(data.len())
    }

    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        if endpoint != interface.endpoint_in() {
            return Err(stall("bulk in"));
        }
        let latency;
        {
            let mut guard = self.lock();
            let chip = &mut *guard;
            if !chip.plugged {
                return Err(gone("bulk in"));
            }
            let packet = chip.chip.max_packet();
            let ch = &mut chip.channels[usize::from(interface.number())];
            if let Some(peer) = ch.uart.as_mut() {
                if ch.bitmode != 0x02 {
                    let room = buf.len() / packet * (packet - 2);
                    ch.to_host
                        .extend(peer.transmit(room.saturating_sub(ch.to_host.len())));
                }
            }
            latency = ch.latency_ms;
            if !ch.to_host.is_empty() {
                let mut n = 0;
                while n + packet <= buf.len() && !ch.to_host.is_empty() {
                    let take = ch.to_host.len().min(packet - 2);
                    buf[n..n + 2].copy_from_slice(&MODEM_STATUS);
                    for (slot, byte) in buf[n + 2..n + 2 + take]
                        .iter_mut()
                        .zip(ch.to_host.drain(..take))
                    {
                        *slot = byte;
                    }
                    n += 2 + take;
                    if take < packet - 2 {
                        break;
                    }
                }
                return Ok(n);
            }
        }
        // Nothing to send: like the chip, answer with bare status bytes once
        // the latency timer runs out.
        std::thread::sleep(Duration::from_millis(u64::from(latency.max(1))));
        let n = buf.len().min(2);
        buf[..n].copy_from_slice(&MODEM_STATUS[..n]);
        Ok(n)
    }
}

/// One bit-bang pin byte: returns the pins as they were before it (what
/// synchronous bit-bang mode reads back), then drives it, clocking the board
/// on a rising TCK.
fn bitbang(
    byte: u8,
    pins: &mut u8,
    wiring: Option<&BitbangWiring>,
    board: &mut Board,
    log: &mut Vec<Event>,
) -> u8 {
    let Some(w) = wiring else {
        *pins = byte;
        return byte;
    };
    let tdo = board.inputs() & 0x04 != 0;
    let before = (*pins & !w.tdo) | if tdo { w.tdo } else { 0 };
    let rising = *pins & w.tck == 0 && byte & w.tck != 0;
    *pins = byte;
    // The board's pins in MPSSE order: TCK bit 0, TDI bit 1, TMS bit 3.
    let mapped = u8::from(byte & w.tck != 0)
        | u8::from(byte & w.tdi != 0) << 1
        | u8::from(byte & w.tms != 0) << 3;
    if rising {
        board.clock(mapped, log);
    }
    before
}

#[cfg(test)]
mod tests {
    use super::super::{Board, Emulator, Loopback};
    use crate::usb::{BaudDivisor, ChipType, Interface};
    use std::time::Duration;

    #[test]
    fn decoded_baud_matches_encoder() {
        for chip in [ChipType::Ft232R, ChipType::Ft2232H, ChipType::Ft232H] {
            for baud in [9600, 115_200, 1_000_000, 3_000_000] {
                let d = BaudDivisor::for_chip(chip, Interface::A, baud).unwrap();
                assert_eq!(
                    BaudDivisor::decode(chip, d.value, d.index),
                    d.actual,
                    "{chip} {baud}"
                );
            }
        }
    }

    #[test]
    fn every_bulk_packet_has_its_status_bytes_stripped() {
        // A full-speed chip: 64-byte packets, 62 data bytes each.
        let emu = Emulator::new(ChipType::Ft232R, Board::None);
        emu.attach_uart(Interface::A, Box::<Loopback>::default());
        let mut ftdi = emu.open(Interface::A).unwrap();
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        ftdi.write_all(&data).unwrap();
        let mut back = vec![0u8; 300];
        ftdi.read_exact(&mut back, Duration::from_secs(1)).unwrap();
        assert_eq!(back, data);
    }
}
