//! The emulated chip's side of the [`UsbBackend`] seam: FTDI vendor
//! requests, bulk OUT data to the channel's mode (MPSSE engine, bit-bang
//! pins or UART peer), and bulk IN packets that each start with two
//! modem-status bytes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::engine::{pin_levels, run_mpsse, Engine};
use super::{BitbangWiring, Board, Chip, Event};
use crate::usb::{BaudDivisor, Interface, UsbBackend, UsbError, BITBANG_BYTES_PER_BAUD};

/// `SIO_SET_BITMODE` modes the emulated chip runs (AN232B / AN_108).
const ASYNC_BITBANG: u8 = 0x01;
const MPSSE: u8 = 0x02;
const SYNC_BITBANG: u8 = 0x04;

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
        chip.stats.control_transfers += 1;
        chip.host += chip.timing.control;
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            clock,
            stats,
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
                if mode == MPSSE && interface.number() >= kind.info().mpsse_interfaces {
                    return Err(stall("set bitmode"));
                }
                if mode == MPSSE {
                    ch.engine = Engine::new(kind, clock.clone());
                    board.set_pins(0xFF, log);
                }
                ch.bitmode = mode;
            }
            0x03 => {
                let baud = BaudDivisor::decode(kind, value, index);
                ch.baud = baud;
                stats.bitbang_rate = (f64::from(baud) * BITBANG_BYTES_PER_BAUD) as u32;
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
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("control in"));
        }
        chip.stats.control_transfers += 1;
        chip.host += chip.timing.control;
        let ch = &chip.channels[usize::from(interface.number())];
        let answer: Vec<u8> = match request {
            0x0C if matches!(ch.bitmode, ASYNC_BITBANG | SYNC_BITBANG) => {
                vec![bitbang_levels(chip.pins, chip.wiring.as_ref(), &chip.board)]
            }
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
        chip.stats.bulk_writes += 1;
        chip.stats.bytes_out += data.len() as u64;
        // The chip works on these bytes once they arrive and it is free.
        let host = chip.host;
        chip.catch_up(host);
        let started = chip.clock.now();
        let short = chip.short_reads;
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            wiring,
            pins,
            clock,
            stats,
            timing,
            ..
        } = chip;
        let ch = &mut channels[usize::from(interface.number())];
        ch.awaiting_answer = true;
        if matches!(ch.bitmode, ASYNC_BITBANG | SYNC_BITBANG) {
            let sync = ch.bitmode == SYNC_BITBANG;
            let rate = f64::from(ch.baud) * BITBANG_BYTES_PER_BAUD;
            for &byte in data {
                clock.advance_cycles(1, rate);
                let (read, rising) = bitbang(byte, pins, wiring.as_ref(), board, log);
                stats.cycles += u64::from(rising);
                if sync {
                    ch.to_host.push_back(read);
                }
            }
        } else if ch.bitmode == MPSSE {
            ch.engine.pending.extend(data);
            ch.engine.flushed = false;
            let cycles = ch.engine.cycles;
            let answer = run_mpsse(&mut ch.engine, board, log);
            stats.cycles += ch.engine.cycles - cycles;
            stats.clock_hz = ch.engine.hz();
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
        // The transfer ends when the bus has carried it and the chip has
        // taken it in: all but the last FIFO-full of it must have run.
        let work = clock.now().saturating_sub(started);
        let fifo = kind.info().rx_buffer;
        let ahead = if data.len() > fifo {
            work.mul_f64(fifo as f64 / data.len() as f64)
        } else {
            work
        };
        chip.host = (host + timing.bulk(data.len())).max(started + work - ahead);
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
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("bulk in"));
        }
        let packet = chip.chip.max_packet();
        let ch = &mut chip.channels[usize::from(interface.number())];
        if let Some(peer) = ch.uart.as_mut() {
            if ch.bitmode != MPSSE {
                let room = buf.len() / packet * (packet - 2);
                ch.to_host
                    .extend(peer.transmit(room.saturating_sub(ch.to_host.len())));
            }
        }
        chip.stats.bulk_reads += 1;
        let latency = Duration::from_millis(u64::from(ch.latency_ms.max(1)));
        if ch.to_host.is_empty() {
            // Nothing to send: like the chip, answer with bare status bytes
            // once the latency timer runs out.
            drop(guard);
            std::thread::sleep(latency);
            let mut guard = self.lock();
            let chip = &mut *guard;
            chip.stats.latency_waits += 1;
            chip.stats.bytes_in += 2;
            chip.host += latency;
            let n = buf.len().min(2);
            buf[..n].copy_from_slice(&MODEM_STATUS[..n]);
            return Ok(n);
        }
        // The data flows once the round trip since the host's last write is
        // over and the chip has produced it.
        let mut start = chip.host;
        if std::mem::take(&mut ch.awaiting_answer) {
            chip.stats.round_trips += 1;
            start += chip.timing.round_trip;
        }
        let start = start.max(chip.clock.now());
        // Whole packets, each led by the status bytes, until the host's
        // buffer is full or a short packet ends the transfer. The chip sends
        // a short packet when its latency timer runs out, or at once after a
        // Send Immediate.
        let mut n = 0;
        let mut short = false;
        while n + packet <= buf.len() {
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
                short = true;
                break;
            }
        }
        chip.stats.bytes_in += n as u64;
        let mut done = start + chip.timing.bulk(n);
        if short && !(ch.bitmode == MPSSE && ch.engine.flushed) {
            chip.stats.latency_waits += 1;
            done += latency;
        }
        chip.host = done;
        chip.catch_up(done);
        Ok(n)
    }

    fn wait(&mut self, duration: Duration) {
        let mut chip = self.lock();
        chip.stats.host_waits += duration;
        chip.host += duration;
    }

    fn now(&self) -> Duration {
        self.lock().host
    }
}

/// The bit-bang pins as `SIO_READ_PINS` reads them: the outputs as last
/// written, the board's TDO on its input.
fn bitbang_levels(pins: u8, wiring: Option<&BitbangWiring>, board: &Board) -> u8 {
    match wiring {
        Some(w) => (pins & !w.tdo) | if board.inputs() & 0x04 != 0 { w.tdo } else { 0 },
        None => pins,
    }
}

/// One bit-bang pin byte: returns the pins as they were before it (what
/// synchronous bit-bang mode reads back) and whether it raised TCK, then
/// drives it, clocking the board on a rising TCK.
fn bitbang(
    byte: u8,
    pins: &mut u8,
    wiring: Option<&BitbangWiring>,
    board: &mut Board,
    log: &mut Vec<Event>,
) -> (u8, bool) {
    let before = bitbang_levels(*pins, wiring, board);
    let Some(w) = wiring else {
        *pins = byte;
        return (before, false);
    };
    let rising = *pins & w.tck == 0 && byte & w.tck != 0;
    *pins = byte;
    // The board's pins in MPSSE order: TCK bit 0, TDI bit 1, TMS bit 3.
    let mapped = u8::from(byte & w.tck != 0)
        | u8::from(byte & w.tdi != 0) << 1
        | u8::from(byte & w.tms != 0) << 3;
    if rising {
        board.clock(mapped, log);
    }
    (before, rising)
}

#[cfg(test)]
mod tests {
    use super::super::timing::{FULL_SPEED, HIGH_SPEED};
    use super::super::{Board, Emulator, Loopback};
    use crate::usb::{BaudDivisor, BitMode, ChipType, Interface, BITBANG_BYTES_PER_BAUD};
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

    #[test]
    fn synchronous_bit_bang_is_counted_and_timed_by_the_model() {
        let emu = Emulator::new(ChipType::Ft231X, Board::None);
        let mut ftdi = emu.open(Interface::A).unwrap();
        ftdi.set_baud(3_000_000).unwrap();
        ftdi.set_bitmode(0xF0, BitMode::SyncBitbang).unwrap();
        emu.reset_stats();
        // 124 pin bytes: two full packets of 62, no latency-timer wait.
        ftdi.write_all(&[0x55; 124]).unwrap();
        let mut back = [0u8; 124];
        ftdi.read_exact(&mut back, Duration::from_secs(1)).unwrap();
        let stats = emu.stats();
        assert_eq!(stats.bytes_out, 124);
        assert_eq!(stats.bytes_in, 128, "two packets with their status bytes");
        assert_eq!((stats.round_trips, stats.latency_waits), (1, 0));
        assert_eq!(stats.bitbang_rate, 750_000);
        // The pins (165 us) finish within the round trip that follows the write.
        let pins = Duration::from_secs_f64(124.0 / (3e6 * BITBANG_BYTES_PER_BAUD));
        assert!(pins < FULL_SPEED.round_trip);
        let expected = FULL_SPEED.bulk(124) + FULL_SPEED.round_trip + FULL_SPEED.bulk(128);
        let error = stats.elapsed.abs_diff(expected);
        assert!(error < Duration::from_micros(1), "{:?}", stats.elapsed);
        // 100 bytes end in a short packet, which waits for the latency timer.
        emu.reset_stats();
        ftdi.write_all(&[0x55; 100]).unwrap();
        ftdi.read_exact(&mut back[..100], Duration::from_secs(1))
            .unwrap();
        assert_eq!(emu.stats().latency_waits, 1);
    }

    #[test]
    fn send_immediate_spares_the_latency_timer_and_controls_are_counted() {
        let emu = Emulator::new(ChipType::Ft2232H, Board::None);
        let mut ftdi = emu.open(Interface::A).unwrap();
        ftdi.set_bitmode(0, BitMode::Mpsse).unwrap();
        emu.reset_stats();
        ftdi.set_latency_timer(16).unwrap();
        // Read the low pins, flushed with Send Immediate: one round trip.
        ftdi.write_all(&[0x81, 0x87]).unwrap();
        let mut pins = [0u8; 1];
        ftdi.read_exact(&mut pins, Duration::from_secs(1)).unwrap();
        let stats = emu.stats();
        assert_eq!((stats.control_transfers, stats.round_trips), (1, 1));
        assert_eq!(stats.latency_waits, 0);
        let expected =
            HIGH_SPEED.control + HIGH_SPEED.bulk(2) + HIGH_SPEED.round_trip + HIGH_SPEED.bulk(3);
        assert!(stats.elapsed.abs_diff(expected) < Duration::from_micros(1));
        // Without it the one byte waits 16 ms for the latency timer.
        emu.reset_stats();
        ftdi.write_all(&[0x81]).unwrap();
        ftdi.read_exact(&mut pins, Duration::from_secs(1)).unwrap();
        assert_eq!(emu.stats().latency_waits, 1);
        assert!(emu.stats().elapsed >= Duration::from_millis(16));
    }
}
