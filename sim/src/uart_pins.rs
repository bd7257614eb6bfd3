//! A bit-level UART on a model's pins: drives its `uart_rx` with start, data
//! and stop bits at the configured clocks per bit, and samples its `uart_tx`
//! into bytes, so the real UART and frame RTL is always what runs.
//!
//! Timing is exact for any clock/baud ratio: bit `k` of a transmission starts
//! at clock `k * clk_hz / baud` (integer division) after the first start bit,
//! and received bits are sampled at the middle of each bit time after the
//! start edge.

use std::collections::VecDeque;

/// A model with a UART on its pins, clocked one cycle at a time.
pub trait UartTarget {
    /// Drives the model's receive pin (idle high).
    fn set_uart_rx(&mut self, level: bool);
    /// The model's transmit pin (idle high).
    fn uart_tx(&self) -> bool;
    /// Advances the model one clock.
    fn clock(&mut self);
}

/// Receiver state on the model's `uart_tx`.
#[derive(Clone, Copy, Debug)]
enum RxState {
    /// Line idle, waiting for a start edge.
    Idle,
    /// Inside a character: clocks since the start edge, bits assembled.
    Char { clocks: u64, shift: u16 },
}

/// The host side of an 8N1 line to a model.
#[derive(Debug)]
pub struct UartPins {
    clk_hz: u64,
    baud: u64,
    /// Rate at which this end drives (`baud` unless skewed on purpose).
    send_baud: u64,
    /// Line levels still to drive, one per bit time.
    line: VecDeque<bool>,
    /// Clocks since the first queued bit began.
    tx_clocks: u64,
    /// Bit times already driven since `tx_clocks` began.
    tx_bits: u64,
    rx: RxState,
    received: VecDeque<u8>,
    framing_errors: u64,
    cycles: u64,
}

impl UartPins {
    /// A line at `baud` to a model clocked at `clk_hz`.
    ///
    /// # Panics
    /// When `baud` is 0 or faster than a quarter of the clock (a test setup
    /// error, never external input).
    pub fn new(clk_hz: u64, baud: u64) -> Self {
        assert!(
            baud > 0 && clk_hz >= 4 * baud,
            "UART needs >= 4 clocks per bit"
        );
        UartPins {
            clk_hz,
            baud,
            send_baud: baud,
            line: VecDeque::new(),
            tx_clocks: 0,
            tx_bits: 0,
            rx: RxState::Idle,
            received: VecDeque::new(),
            framing_errors: 0,
            cycles: 0,
        }
    }

    /// Drives the line at `baud` instead of the nominal rate (a sender whose
    /// clock is off), while still sampling the model at the nominal rate.
    pub fn set_send_baud(&mut self, baud: u64) {
        self.send_baud = baud.max(1);
    }

    /// Clocks in one bit time (rounded down).
    pub fn clocks_per_bit(&self) -> u64 {
        self.clk_hz / self.baud
    }

    /// Clocks in `bits` bit times (rounded up).
    pub fn clocks_for_bits(&self, bits: u64) -> u64 {
        (bits * self.clk_hz).div_ceil(self.baud)
    }

    /// Queues bytes, back to back (no idle between stop and next start bit).
    pub fn send(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.send_byte_bits(b, true);
        }
    }

    /// Queues bytes with `gap_bits` idle bit times after each byte.
    pub fn send_with_gaps(&mut self, bytes: &[u8], gap_bits: u32) {
        for &b in bytes {
            self.send_byte_bits(b, true);
            self.idle(gap_bits);
        }
    }

    /// Queues one byte whose stop bit is low (a framing error on purpose).
    pub fn send_bad_stop(&mut self, byte: u8) {
        self.send_byte_bits(byte, false);
    }

    /// Queues `bits` bit times of idle (high) line.
    pub fn idle(&mut self, bits: u32) {
        self.level(true, bits);
    }

    /// Queues `bits` bit times of the line held at `level` (low = break).
    pub fn level(&mut self, level: bool, bits: u32) {
        self.line.extend(std::iter::repeat_n(level, bits as usize));
    }

    fn send_byte_bits(&mut self, byte: u8, stop: bool) {
        self.line.push_back(false);
        self.line.extend((0..8).map(|i| byte >> i & 1 == 1));
        self.line.push_back(stop);
    }

    /// True while queued line levels remain to be driven.
    pub fn sending(&self) -> bool {
        !self.line.is_empty()
    }

    /// True while a character from the model is being received.
    pub fn receiving(&self) -> bool {
        matches!(self.rx, RxState::Char { .. })
    }

    /// Bytes received from the model and not yet taken.
    pub fn received(&self) -> usize {
        self.received.len()
    }

    /// Takes every byte received so far.
    pub fn take(&mut self) -> Vec<u8> {
        self.received.drain(..).collect()
    }

    /// Takes up to `buf.len()` received bytes; returns the count.
    pub fn take_into(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.received.len());
        for (slot, b) in buf.iter_mut().zip(self.received.drain(..n)) {
            *slot = b;
        }
        n
    }

    /// Characters from the model whose stop bit was low.
    pub fn framing_errors(&self) -> u64 {
        self.framing_errors
    }

    /// Clocks run through this line so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// One clock: drive the line, clock the model, sample its output.
    pub fn clock<T: UartTarget + ?Sized>(&mut self, target: &mut T) {
        target.set_uart_rx(self.line.front().copied().unwrap_or(true));
        target.clock();
        self.cycles += 1;
        self.advance_tx();
        self.sample_rx(target.uart_tx());
    }

    /// Runs `cycles` clocks.
    pub fn run<T: UartTarget + ?Sized>(&mut self, target: &mut T, cycles: u64) {
        for _ in 0..cycles {
            self.clock(target);
        }
    }

    /// Runs until everything queued has been driven, at most `max_cycles`;
    /// returns whether the queue drained.
    pub fn flush<T: UartTarget + ?Sized>(&mut self, target: &mut T, max_cycles: u64) -> bool {
        let mut n = 0;
        while self.sending() && n < max_cycles {
            self.clock(target);
            n += 1;
        }
        !self.sending()
    }

    /// Runs until at least `count` bytes wait in the receive buffer and the
    /// line is quiet, at most `max_cycles`; returns whether they arrived.
    pub fn run_until_received<T: UartTarget + ?Sized>(
        &mut self,
        target: &mut T,
        count: usize,
        max_cycles: u64,
    ) -> bool {
        let mut n = 0;
        while self.received.len() < count && n < max_cycles {
            self.clock(target);
            n += 1;
        }
        self.received.len() >= count
    }

    fn advance_tx(&mut self) {
        if self.line.is_empty() {
            self.tx_clocks = 0;
            self.tx_bits = 0;
            return;
        }
        self.tx_clocks += 1;
        // Bit k ends at clock (k + 1) * clk_hz / baud.
        while !self.line.is_empty()
            && self.tx_clocks >= (self.tx_bits + 1) * self.clk_hz / self.send_baud
        {
            self.line.pop_front();
            self.tx_bits += 1;
        }
    }

    fn sample_rx(&mut self, level: bool) {
        match self.rx {
            RxState::Idle => {
                if !level {
                    self.rx = RxState::Char {
                        clocks: 0,
                        shift: 0,
                    };
                }
            }
            RxState::Char { clocks, shift } => {
                let clocks = clocks + 1;
                let mut shift = shift;
                // Bit i's middle, counted from the start edge.
                let bit_mid = |i: u64| (2 * i + 1) * self.clk_hz / (2 * self.baud);
                for i in 0..10 {
                    if clocks == bit_mid(i) {
                        shift |= u16::from(level) << i;
                    }
                }
                if shift & 1 != 0 {
                    // start bit high at its middle: a glitch, not a character
                    self.rx = RxState::Idle;
                } else if clocks >= bit_mid(9) {
                    if shift & 0x200 == 0 {
                        self.framing_errors += 1;
                    } else {
                        self.received.push_back((shift >> 1) as u8);
                    }
                    self.rx = RxState::Idle;
                } else {
                    self.rx = RxState::Char { clocks, shift };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wire: what the line drives into the model comes straight back out,
    /// one clock later (a loopback to test the model on itself).
    struct Loopback {
        rx: bool,
        tx: bool,
    }

    impl UartTarget for Loopback {
        fn set_uart_rx(&mut self, level: bool) {
            self.rx = level;
        }
        fn uart_tx(&self) -> bool {
            self.tx
        }
        fn clock(&mut self) {
            self.tx = self.rx;
        }
    }

    fn loop_bytes(clk_hz: u64, baud: u64, bytes: &[u8], gap: u32) -> (Vec<u8>, u64) {
        let mut pins = UartPins::new(clk_hz, baud);
        let mut wire = Loopback { rx: true, tx: true };
        pins.send_with_gaps(bytes, gap);
        assert!(pins.flush(&mut wire, 1_000_000));
        pins.run(&mut wire, 4 * pins.clocks_per_bit());
        (pins.take(), pins.framing_errors())
    }

    #[test]
    fn loopback_integer_and_fractional_ratios() {
        let bytes: Vec<u8> = (0..=255).collect();
        for (clk, baud) in [
            (2_000_000, 125_000),
            (2_000_000, 115_200),
            (24_000_000, 115_200),
        ] {
            for gap in [0, 3] {
                assert_eq!(loop_bytes(clk, baud, &bytes, gap), (bytes.clone(), 0));
            }
        }
    }

    #[test]
    fn bad_stop_bit_is_a_framing_error() {
        let mut pins = UartPins::new(1_600_000, 100_000);
        let mut wire = Loopback { rx: true, tx: true };
        pins.send_bad_stop(0x55);
        pins.idle(2);
        pins.send(&[0x42]);
        assert!(pins.flush(&mut wire, 10_000));
        pins.run(&mut wire, 64);
        assert_eq!(pins.take(), [0x42]);
        assert_eq!(pins.framing_errors(), 1);
    }

    #[test]
    fn bit_timing_matches_the_ratio() {
        let mut pins = UartPins::new(2_000_000, 115_200);
        let mut wire = Loopback { rx: true, tx: true };
        pins.send(&[0; 100]);
        let mut n = 0;
        while pins.sending() {
            pins.clock(&mut wire);
            n += 1;
        }
        // 1000 bit times at 17.36 clocks per bit.
        assert_eq!(n, 1000 * 2_000_000 / 115_200);
        assert_eq!(pins.clocks_for_bits(1000), n + 1);
    }
}
