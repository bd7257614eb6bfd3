//! JTAG on the bit-bang pins of an FTDI chip without MPSSE (the FT231X on
//! the ULX3S). A small software engine runs the same MPSSE JTAG commands the
//! ECP5 programmer builds: each TCK cycle is two pin bytes (TCK low with
//! TDI/TMS set, then TCK high).
//!
//! Three ways to put the pin bytes on the wire, chosen per batch by what it
//! reads (FT231X datasheet and AN_232R-01, bit-bang modes):
//! - nothing: asynchronous bit-bang, large writes with no read-back, the
//!   chip clocking them out at its bit-bang rate;
//! - one or two TDO bits (a flash's busy poll): asynchronous too, with one
//!   `SIO_READ_PINS` per bit once the bytes before it have left the chip;
//! - more: synchronous bit-bang, where the chip answers every byte with the
//!   pins as they were just before it, so the answer to a TCK-high byte is TDO
//!   at the rising edge; in exchanges of whole full-speed packets that fit the
//!   chip's read FIFO, so that no answer waits for the latency timer.

use std::time::Duration;

use crate::mpsse::{CommandRunner, Commands, Opcode, BAD_COMMAND};
use crate::usb::{BitMode, Ftdi, UsbError, BITBANG_BYTES_PER_BAUD};

/// Which bit-bang pin carries each JTAG signal (bit masks of the pin byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitbangPins {
    /// Test clock (output).
    pub tck: u8,
    /// Test mode select (output).
    pub tms: u8,
    /// Test data in (output).
    pub tdi: u8,
    /// Test data out (input).
    pub tdo: u8,
}

/// ULX3S wiring of its FT231X: TCK on DSR (bit 5), TMS on DCD (bit 6), TDI on
/// RI (bit 7), TDO on CTS (bit 3).
pub const ULX3S_FT231X: BitbangPins = BitbangPins {
    tck: 0x20,
    tms: 0x40,
    tdi: 0x80,
    tdo: 0x08,
};

/// The bit-bang rate is set as the fastest UART rate the chip has (divisor
/// 0, 3 MBd).
const BITBANG_BAUD: u32 = 3_000_000;
/// Pin bytes per second at [`BITBANG_BAUD`].
const PIN_BYTES_PER_S: f64 = BITBANG_BAUD as f64 * BITBANG_BYTES_PER_BAUD;
/// Batches that sample at most this many TDO bits read each with
/// `SIO_READ_PINS` instead of switching to synchronous mode (which costs a
/// mode change and a purge, three control transfers).
const PIN_READS: usize = 2;
/// How often a pin read may find the pins not yet at the last byte written.
const PIN_READ_TRIES: usize = 4;
const READ_TIMEOUT: Duration = Duration::from_millis(2000);

/// The mode the pins are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Async,
    Sync,
}

/// A JTAG port on bit-bang pins.
#[derive(Debug)]
pub struct BitbangJtag {
    ftdi: Ftdi,
    pins: BitbangPins,
    tms: bool,
    tdi: bool,
    mode: Mode,
    /// The last pin byte written.
    last: u8,
    /// Bytes written in asynchronous mode that may still wait in the chip.
    unclocked: usize,
}

/// One pin byte to write and, if `sample`, whether its answer's TDO bit is kept.
struct Step {
    byte: u8,
    sample: bool,
}

impl BitbangJtag {
    /// Sets the bit-bang rate and puts the channel in asynchronous bit-bang
    /// mode with TCK, TMS, TDI as outputs.
    pub fn open(mut ftdi: Ftdi, pins: BitbangPins) -> Result<Self, UsbError> {
        ftdi.reset()?;
        ftdi.set_latency_timer(1)?;
        ftdi.set_baud(BITBANG_BAUD)?;
        ftdi.set_bitmode(pins.tck | pins.tms | pins.tdi, BitMode::AsyncBitbang)?;
        ftdi.purge()?;
        Ok(BitbangJtag {
            ftdi,
            pins,
            tms: true,
            tdi: false,
            mode: Mode::Async,
            last: 0,
            unclocked: 0,
        })
    }

    fn outputs(&self) -> u8 {
        self.pins.tck | self.pins.tms | self.pins.tdi
    }

    fn level(&self, tck: bool) -> u8 {
        let mut b = 0;
        if tck {
            b |= self.pins.tck;
        }
        if self.tms {
            b |= self.pins.tms;
        }
        if self.tdi {
            b |= self.pins.tdi;
        }
        b
    }

    /// One TCK cycle with the current TMS/TDI; `sample` keeps TDO.
    fn cycle(&self, steps: &mut Vec<Step>, sample: bool) {
        steps.push(Step {
            byte: self.level(false),
            sample: false,
        });
        steps.push(Step {
            byte: self.level(true),
            sample,
        });
    }

    fn set_mode(&mut self, mode: Mode) -> Result<(), UsbError> {
        if self.mode == mode {
            return Ok(());
        }
        let outputs = self.outputs();
        match mode {
            Mode::Async => self.ftdi.set_bitmode(outputs, BitMode::AsyncBitbang)?,
            Mode::Sync => {
                // Let the asynchronous bytes reach the pins, then empty both
                // FIFOs: nothing read back may predate the synchronous bytes.
                self.drain();
                self.ftdi.set_bitmode(outputs, BitMode::SyncBitbang)?;
                self.ftdi.purge()?;
            }
        }
        self.mode = mode;
        Ok(())
    }

    /// Writes pin bytes in asynchronous mode, without read-back.
    fn stream(&mut self, bytes: &[u8]) -> Result<(), UsbError> {
        let Some(&last) = bytes.last() else {
            return Ok(());
        };
        self.set_mode(Mode::Async)?;
        self.ftdi.write_all(bytes)?;
        self.last = last;
        self.unclocked += bytes.len();
        Ok(())
    }

    /// Waits until the bytes written asynchronously have left the chip: at
    /// most its FIFO's worth (the FT231X's is 512 bytes each way) at the
    /// bit-bang rate.
    fn drain(&mut self) {
        let waiting = self.unclocked.min(self.ftdi.chip().info().rx_buffer);
        if waiting > 0 {
            self.ftdi
                .wait(Duration::from_secs_f64(waiting as f64 / PIN_BYTES_PER_S));
        }
        self.unclocked = 0;
    }

    /// TDO now, read with `SIO_READ_PINS` once the pins show the last byte
    /// written (a read that comes before it waits one more drain).
    fn read_tdo(&mut self) -> Result<bool, UsbError> {
        for _ in 0..PIN_READ_TRIES {
            self.drain();
            let pins = self.ftdi.read_pins()?;
            if pins & self.outputs() == self.last & self.outputs() {
                return Ok(pins & self.pins.tdo != 0);
            }
            self.unclocked = self.ftdi.chip().info().rx_buffer;
        }
        Err(UsbError::Timeout {
            op: "bit-bang pins",
            actual: 0,
            expected: 1,
        })
    }

    /// Writes the steps asynchronously and samples TDO with a pin read
    /// before each sampled step (its TCK-high byte).
    fn pin_reads(&mut self, steps: &[Step]) -> Result<Vec<bool>, UsbError> {
        let bytes: Vec<u8> = steps.iter().map(|s| s.byte).collect();
        let mut tdo = Vec::new();
        let mut from = 0;
        for (i, _) in steps.iter().enumerate().filter(|(_, s)| s.sample) {
            self.stream(&bytes[from..i])?;
            tdo.push(self.read_tdo()?);
            from = i;
        }
        self.stream(&bytes[from..])?;
        self.drain();
        Ok(tdo)
    }

    /// Writes the steps in synchronous mode and returns the TDO bits of the
    /// sampled ones. Each exchange is whole full-speed packets that fit the
    /// chip's read FIFO (8 x 62 = 496 bytes on the FT231X); the last is
    /// padded with copies of the final byte (no clock edge) to whole packets.
    fn exchange(&mut self, steps: &[Step]) -> Result<Vec<bool>, UsbError> {
        self.set_mode(Mode::Sync)?;
        let info = self.ftdi.chip().info();
        let payload = self.ftdi.chip().max_packet() - 2;
        let size = (info.rx_buffer / payload).max(1) * payload;
        let mut tdo = Vec::new();
        for chunk in steps.chunks(size) {
            let mut bytes: Vec<u8> = chunk.iter().map(|s| s.byte).collect();
            let last = bytes.last().copied().unwrap_or(self.last);
            bytes.resize(bytes.len().div_ceil(payload) * payload, last);
            self.ftdi.write_all(&bytes)?;
            let mut back = vec![0u8; bytes.len()];
            self.ftdi.read_exact(&mut back, READ_TIMEOUT)?;
            self.last = last;
            tdo.extend(
                chunk
                    .iter()
                    .zip(&back)
                    .filter(|(s, _)| s.sample)
                    .map(|(_, b)| b & self.pins.tdo != 0),
            );
        }
        Ok(tdo)
    }

    /// Turns a batch of MPSSE JTAG commands into pin bytes and the recipe of
    /// its read-back.
    fn translate(&mut self, cmds: &Commands) -> Result<(Vec<Step>, Vec<Answer>), UsbError> {
        // Each answer byte is built from `bits` TDO samples, LSB-first
        // shifting into bit 7 as the MPSSE engine does (AN_108).
        let mut steps = Vec::new();
        let mut answers: Vec<Answer> = Vec::new();
        let b = cmds.bytes();
        let mut i = 0;
        let bad = |op: u8| UsbError::MpsseSync {
            expected: vec![],
            found: vec![BAD_COMMAND, op],
        };
        while i < b.len() {
            let op = b[i];
            let arg = |k: usize| b.get(i + k).copied().ok_or_else(|| bad(op));
            match op {
                x if x == Opcode::BytesOutNegLsb as u8 || x == Opcode::BytesInOutLsb as u8 => {
                    let len = usize::from(arg(1)?) | usize::from(arg(2)?) << 8;
                    let data = b.get(i + 3..i + 4 + len).ok_or_else(|| bad(op))?;
                    let read = x == Opcode::BytesInOutLsb as u8;
                    for &byte in data {
                        for k in 0..8 {
                            self.tdi = byte >> k & 1 == 1;
                            self.cycle(&mut steps, read);
                        }
                        if read {
                            answers.push(Answer::Bits(8));
                        }
                    }
                    i += 4 + len;
                }
                x if x == Opcode::BitsOutNegLsb as u8 || x == Opcode::BitsInOutLsb as u8 => {
                    let n = usize::from(arg(1)? & 7) + 1;
                    let value = arg(2)?;
                    let read = x == Opcode::BitsInOutLsb as u8;
                    for k in 0..n {
                        self.tdi = value >> k & 1 == 1;
                        self.cycle(&mut steps, read);
                    }
                    if read {
                        answers.push(Answer::Bits(n));
                    }
                    i += 3;
                }
                x if x == Opcode::TmsOut as u8 || x == Opcode::TmsInOut as u8 => {
                    let n = usize::from(arg(1)? & 7) + 1;
                    let value = arg(2)?;
                    let read = x == Opcode::TmsInOut as u8;
                    self.tdi = value & 0x80 != 0;
                    for k in 0..n {
                        self.tms = value >> k & 1 == 1;
                        self.cycle(&mut steps, read);
                    }
                    if read {
                        answers.push(Answer::Bits(n));
                    }
                    i += 3;
                }
                x if x == Opcode::ClockBits as u8 => {
                    for _ in 0..=arg(1)? & 7 {
                        self.cycle(&mut steps, false);
                    }
                    i += 2;
                }
                x if x == Opcode::ClockBytes as u8 => {
                    let len = usize::from(arg(1)?) | usize::from(arg(2)?) << 8;
                    for _ in 0..(len + 1) * 8 {
                        self.cycle(&mut steps, false);
                    }
                    i += 3;
                }
                x if x == Opcode::SetLow as u8 => {
                    // Only TMS and TDI (MPSSE bits 3 and 1) mean anything here.
                    let value = arg(1)?;
                    self.tms = value & 0x08 != 0;
                    self.tdi = value & 0x02 != 0;
                    steps.push(Step {
                        byte: self.level(false),
                        sample: false,
                    });
                    i += 3;
                }
                x if x == Opcode::ReadLow as u8 => {
                    steps.push(Step {
                        byte: self.level(false),
                        sample: true,
                    });
                    answers.push(Answer::Pins);
                    i += 1;
                }
                x if x == Opcode::BadCommandProbe as u8 => {
                    answers.push(Answer::Fixed([BAD_COMMAND, x]));
                    i += 1;
                }
                x if x == Opcode::SetClockDivisor as u8 => i += 3,
                x if [
                    Opcode::SendImmediate as u8,
                    Opcode::DisableDiv5 as u8,
                    Opcode::EnableDiv5 as u8,
                    Opcode::Disable3Phase as u8,
                    Opcode::DisableAdaptive as u8,
                    Opcode::LoopbackOff as u8,
                ]
                .contains(&x) =>
                {
                    i += 1
                }
                other => return Err(bad(other)),
            }
        }
        Ok((steps, answers))
    }
}

impl CommandRunner for BitbangJtag {
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError> {
        let (steps, answers) = self.translate(cmds)?;
        let samples = steps.iter().filter(|s| s.sample).count();
        let tdo = if samples > PIN_READS {
            self.exchange(&steps)?
        } else {
            self.pin_reads(&steps)?
        };
        let mut bits = tdo.into_iter();
        let mut out = Vec::new();
        for answer in answers {
            match answer {
                Answer::Bits(n) => {
                    let mut byte = 0u8;
                    for _ in 0..n {
                        byte = (byte >> 1) | (u8::from(bits.next().unwrap_or(false)) << 7);
                    }
                    out.push(byte);
                }
                Answer::Pins => out.push(if bits.next().unwrap_or(false) {
                    0x04
                } else {
                    0
                }),
                Answer::Fixed(two) => out.extend(two),
            }
        }
        Ok(out)
    }

    fn send(&mut self, cmds: &Commands) -> Result<(), UsbError> {
        if cmds.reads() > 0 {
            return self.run(cmds).map(drop);
        }
        let (steps, _) = self.translate(cmds)?;
        let bytes: Vec<u8> = steps.iter().map(|s| s.byte).collect();
        self.stream(&bytes)
    }

    fn max_read(&self) -> usize {
        // Reads are split into FIFO-sized exchanges already.
        usize::MAX
    }

    fn clock_hz(&self) -> u32 {
        // Two pin bytes per TCK.
        (PIN_BYTES_PER_S / 2.0) as u32
    }

    fn wait(&mut self, duration: Duration) {
        self.ftdi.wait(duration);
    }

    fn now(&self) -> Duration {
        self.ftdi.now()
    }

    fn close(self: Box<Self>) {
        let mut this = *self;
        let _ = this.ftdi.set_bitmode(0, BitMode::Reset);
        this.ftdi.close();
    }
}

/// How one read-back byte of the batch is made.
enum Answer {
    /// `n` TDO samples, shifted in LSB first from bit 7.
    Bits(usize),
    /// A GPIO read: TDO at the MPSSE TDO position (bit 2).
    Pins,
    /// The bad-command answer.
    Fixed([u8; 2]),
}
