//! The emulated MPSSE engine (FTDI AN_108): executes the opcodes the host
//! sends, bit by bit, against the board on the channel's low pins, and
//! answers every command that reads.

use super::timing::Clock;
use super::{Board, Event};
use crate::usb::ChipType;

/// MPSSE engine state of one channel.
#[derive(Debug)]
pub(super) struct Engine {
    pub(super) pending: Vec<u8>,
    low_value: u8,
    low_direction: u8,
    loopback: bool,
    /// Master clock with divide-by-5 off (AN_108 §3.8).
    base_hz: u32,
    /// Divide-by-5 on: the H series starts so, for FT2232D compatibility.
    div5: bool,
    divisor: u16,
    /// A Send Immediate arrived since the host last read.
    pub(super) flushed: bool,
    /// Clock cycles run, each advancing the model clock by one period.
    pub(super) cycles: u64,
    clock: Clock,
}

impl Engine {
    /// The engine of one channel of `chip`, as after entering MPSSE mode.
    pub(super) fn new(chip: ChipType, clock: Clock) -> Self {
        let info = chip.info();
        Engine {
            pending: Vec::new(),
            low_value: 0,
            low_direction: 0,
            loopback: false,
            base_hz: info.mpsse_base_hz,
            div5: info.high_speed,
            divisor: 0,
            flushed: false,
            cycles: 0,
            clock,
        }
    }

    /// The clock TCK/SCK runs at now: `base / ((1 + divisor) * 2)`.
    pub(super) fn hz(&self) -> u32 {
        let base = if self.div5 {
            self.base_hz / 5
        } else {
            self.base_hz
        };
        base / ((1 + u32::from(self.divisor)) * 2)
    }
}

pub(super) fn pin_levels(engine: &Engine, board: &Board) -> u8 {
    (engine.low_value & engine.low_direction) | (board.inputs() & !engine.low_direction)
}

/// Operand bytes that follow each opcode (before any data payload), or
/// `None` for an opcode the engine does not know.
fn operand_len(op: u8) -> Option<usize> {
    Some(match op {
        0x80 | 0x82 | 0x86 | 0x8F => 2,
        0x81 | 0x83 | 0x84 | 0x85 | 0x87 | 0x8A | 0x8B | 0x8C | 0x8D | 0x97 => 0,
        0x8E => 1,
        0x11 | 0x19 | 0x31 | 0x39 | 0x20 | 0x28 => 2,
        0x13 | 0x1B | 0x33 | 0x3B | 0x4B | 0x6B => 2,
        0x22 | 0x2A => 1,
        _ => return None,
    })
}

/// Executes every complete command in the engine's buffer; returns one
/// answer per command that reads.
pub(super) fn run_mpsse(
    engine: &mut Engine,
    board: &mut Board,
    log: &mut Vec<Event>,
) -> Vec<Vec<u8>> {
    let mut answers = Vec::new();
    let buf = std::mem::take(&mut engine.pending);
    let mut i = 0;
    while i < buf.len() {
        let op = buf[i];
        let Some(operands) = operand_len(op) else {
            answers.push(vec![0xFA, op]);
            i += 1;
            continue;
        };
        if i + 1 + operands > buf.len() {
            break;
        }
        let args = &buf[i + 1..i + 1 + operands];
        let len16 = || usize::from(args[0]) | usize::from(args[1]) << 8;
        let payload = match op {
            0x11 | 0x19 | 0x31 | 0x39 => len16() + 1,
            _ => 0,
        };
        if i + 1 + operands + payload > buf.len() {
            break;
        }
        let data = &buf[i + 1 + operands..i + 1 + operands + payload];
        i += 1 + operands + payload;
        let lsb = op & 0x08 != 0;
        let reads = op & 0x20 != 0;
        match op {
            0x80 => {
                engine.low_value = args[0];
                engine.low_direction = args[1];
                // Inputs float high.
                board.set_pins(args[0] & args[1] | !args[1], log);
            }
            0x84 | 0x85 => engine.loopback = op == 0x84,
            0x86 => engine.divisor = len16() as u16,
            0x87 => engine.flushed = true,
            0x8A | 0x8B => engine.div5 = op == 0x8B,
            0x82 | 0x8C | 0x8D | 0x97 => {}
            0x81 => answers.push(vec![pin_levels(engine, board)]),
            0x83 => answers.push(vec![0]),
            0x8E => clock_idle(engine, board, log, usize::from(args[0]) + 1),
            0x8F => clock_idle(engine, board, log, (len16() + 1) * 8),
            0x11 | 0x19 | 0x31 | 0x39 => {
                let mut out = Vec::new();
                for &byte in data {
                    out.push(shift(engine, board, log, byte, 8, lsb));
                }
                if reads {
                    answers.push(out);
                }
            }
            0x20 | 0x28 => {
                let out = (0..len16() + 1)
                    .map(|_| shift(engine, board, log, 0, 8, lsb))
                    .collect();
                answers.push(out);
            }
            0x13 | 0x1B | 0x33 | 0x3B => {
                let value = shift(
                    engine,
                    board,
                    log,
                    args[1],
                    usize::from(args[0] & 7) + 1,
                    lsb,
                );
                if reads {
                    answers.push(vec![value]);
                }
            }
            0x22 | 0x2A => {
                answers.push(vec![shift(
                    engine,
                    board,
                    log,
                    0,
                    usize::from(args[0] & 7) + 1,
                    lsb,
                )]);
            }
            0x4B | 0x6B => {
                let bits = usize::from(args[0] & 7) + 1;
                let tdi = args[1] & 0x80 != 0;
                let mut read = 0u8;
                for k in 0..bits {
                    let tms = args[1] >> k & 1 == 1;
                    set_bit(engine, 1, tdi);
                    set_bit(engine, 3, tms);
                    let tdo = tick(engine, board, log);
                    read = (read >> 1) | (u8::from(tdo) << 7);
                }
                if op == 0x6B {
                    answers.push(vec![read]);
                }
            }
            _ => {}
        }
    }
    engine.pending = buf[i..].to_vec();
    answers
}

fn set_bit(engine: &mut Engine, bit: u8, level: bool) {
    if level {
        engine.low_value |= 1 << bit;
    } else {
        engine.low_value &= !(1 << bit);
    }
}

/// One clock pulse with the current pins; returns the sampled input (pin 2).
fn tick(engine: &mut Engine, board: &mut Board, log: &mut Vec<Event>) -> bool {
    let pins = engine.low_value & engine.low_direction | !engine.low_direction;
    engine.cycles += 1;
    engine.clock.advance_cycles(1, f64::from(engine.hz()));
    let level = board.clock(pins, log);
    if engine.loopback {
        engine.low_value & 0x02 != 0
    } else {
        level
    }
}

fn clock_idle(engine: &mut Engine, board: &mut Board, log: &mut Vec<Event>, cycles: usize) {
    for _ in 0..cycles {
        tick(engine, board, log);
    }
}

/// Shifts `bits` bits of `value` out on pin 1 and in from pin 2.
fn shift(
    engine: &mut Engine,
    board: &mut Board,
    log: &mut Vec<Event>,
    value: u8,
    bits: usize,
    lsb: bool,
) -> u8 {
    let mut read = 0u8;
    for k in 0..bits {
        let out = if lsb {
            value >> k & 1
        } else {
            value >> (7 - k) & 1
        };
        set_bit(engine, 1, out == 1);
        let input = tick(engine, board, log);
        read = if lsb {
            (read >> 1) | (u8::from(input) << 7)
        } else {
            (read << 1) | u8::from(input)
        };
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_opcode_is_answered_with_bad_command() {
        let mut engine = Engine::new(ChipType::Ft2232H, Clock::default());
        let mut board = Board::None;
        let mut log = Vec::new();
        engine.pending = vec![0xAA, 0x81];
        let answers = run_mpsse(&mut engine, &mut board, &mut log);
        assert_eq!(answers, vec![vec![0xFA, 0xAA], vec![0x00]]);
    }

    #[test]
    fn clock_cycles_advance_the_model_clock_at_the_divided_rate() {
        let clock = Clock::default();
        let mut engine = Engine::new(ChipType::Ft2232H, clock.clone());
        let mut board = Board::None;
        let mut log = Vec::new();
        // Divide-by-5 is on at start: 12 MHz / ((1 + 0) * 2) = 6 MHz.
        assert_eq!(engine.hz(), 6_000_000);
        // Divide-by-5 off, divisor 1: 60 MHz / 4 = 15 MHz; then 15,000 idle clocks.
        engine.pending = vec![0x8A, 0x86, 0x01, 0x00, 0x8F, 0x52, 0x07];
        run_mpsse(&mut engine, &mut board, &mut log);
        assert_eq!(engine.hz(), 15_000_000);
        assert_eq!(engine.cycles, 15_000);
        // One period is a whole number of picoseconds: within 10 ppm of 1 ms.
        let ns = clock.now().as_nanos();
        assert!((999_990..=1_000_010).contains(&ns), "{ns} ns");
    }
}
