//! JTAG on the synchronous bit-bang pins of an FTDI chip without MPSSE
//! (the FT231X on the ULX3S). A small software engine runs the same MPSSE
//! JTAG commands the ECP5 programmer builds: each TCK cycle is two pin bytes
//! (TCK low with TDI/TMS set, then TCK high); in synchronous bit-bang mode
//! the chip answers every written byte with the pins as they were just
//! before it, so the answer to the TCK-high byte is TDO at the rising edge.

use std::time::Duration;

use crate::mpsse::{CommandRunner, Commands, Opcode, BAD_COMMAND};
use crate::usb::{BitMode, Ftdi, UsbError};

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

/// Bit-bang clock (the chip updates its pins at 16x the baud rate).
const BITBANG_BAUD: u32 = 1_000_000;
/// Pin bytes per USB round trip: at most the chip's read FIFO.
const CHUNK: usize = 256;
const READ_TIMEOUT: Duration = Duration::from_millis(2000);

/// A JTAG port on bit-bang pins.
#[derive(Debug)]
pub struct BitbangJtag {
    ftdi: Ftdi,
    pins: BitbangPins,
    tms: bool,
    tdi: bool,
}

/// One pin byte to write and, if `sample`, where its answer's TDO bit goes.
struct Step {
    byte: u8,
    sample: bool,
}

impl BitbangJtag {
    /// Puts the channel in synchronous bit-bang mode with TCK, TMS, TDI as outputs.
    pub fn open(mut ftdi: Ftdi, pins: BitbangPins) -> Result<Self, UsbError> {
        ftdi.reset()?;
        ftdi.set_latency_timer(1)?;
        ftdi.set_baud(BITBANG_BAUD)?;
        ftdi.set_bitmode(pins.tck | pins.tms | pins.tdi, BitMode::SyncBitbang)?;
        ftdi.purge()?;
        Ok(BitbangJtag {
            ftdi,
            pins,
            tms: true,
            tdi: false,
        })
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

    /// Writes the pin bytes and returns the TDO bits of the sampled ones.
    fn exchange(&mut self, steps: &[Step]) -> Result<Vec<bool>, UsbError> {
        let mut tdo = Vec::new();
        for chunk in steps.chunks(CHUNK) {
            let bytes: Vec<u8> = chunk.iter().map(|s| s.byte).collect();
            self.ftdi.write_all(&bytes)?;
            let mut back = vec![0u8; bytes.len()];
            self.ftdi.read_exact(&mut back, READ_TIMEOUT)?;
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
}

impl CommandRunner for BitbangJtag {
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError> {
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
        let tdo = self.exchange(&steps)?;
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

    fn max_read(&self) -> usize {
        // Reads are split into FIFO-sized exchanges already.
        usize::MAX
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
