//! A link to the simulated board: the Verilator model of `miner_top`, driven
//! on its UART pins by a bit-level UART ([`amber_sim::uart_pins::UartPins`]),
//! so the host speaks to the real UART and frame RTL.
//!
//! Simulated time passes only inside this link's calls:
//! - [`Link::write_all`] queues the bytes and runs the model until the last
//!   stop bit has been driven (a real UART write also takes the line time);
//!   bytes the board sends meanwhile are kept for the next read.
//! - [`Link::read`] runs the model until at least one byte has arrived, or
//!   until `timeout` worth of simulated time at the model's clock has passed,
//!   but never more than [`MAX_READ_SIMULATED`] of simulated time in one
//!   call (a netlist model: 64 character times of its UART). After the first
//!   byte it runs on while a character is on the line (up to one more frame
//!   time), so a read tends to return whole frames.

use std::time::Duration;

use std::path::Path;

use amber_sim::miner_top::MinerTop;
pub use amber_sim::miner_top::TopParams;
use amber_sim::uart_pins::UartPins;
use amber_sim::SimError;

use super::{Link, LinkError};

/// Longest simulated time one [`Link::read`] runs the model, however long the
/// timeout. The model runs far slower than the hardware, so an idle read of a
/// full second of simulated time would keep the caller for many seconds; 50 ms
/// of simulated time is still far longer than any answer takes (an IDENTITY
/// arrives within a few milliseconds). A caller that waits longer (a DONE for a
/// long range) calls `read` again.
pub const MAX_READ_SIMULATED: Duration = Duration::from_millis(50);

/// Longest simulated time one [`Link::read`] runs a netlist model, in
/// character times of its UART. A netlist model runs thousands of times slower
/// than the RTL model, so [`MAX_READ_SIMULATED`] of an idle line would keep
/// the caller for minutes; this is still longer than any answer to a request
/// takes to start (a DONE for a long range comes through later reads).
const NETLIST_MAX_READ_CHARS: u64 = 64;

/// Clocks a netlist model runs before the host talks to it: more than its PLL
/// model takes to lock and its reset synchronizer to let go.
const NETLIST_POWER_UP_CLOCKS: u64 = 1_000;

/// Characters a read keeps collecting after its first byte while the board
/// keeps sending (the longest frame, STATUS, is 24 bytes).
const READ_TAIL_CHARS: u64 = 24;

/// The simulated board behind a [`Link`].
pub struct SimLink {
    top: MinerTop,
    pins: UartPins,
    name: String,
    /// A netlist model, which simulates far slower than the RTL model.
    netlist: bool,
}

impl std::fmt::Debug for SimLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimLink")
            .field("model", &self.top.name())
            .field("cycles", &self.pins.cycles())
            .finish()
    }
}

impl SimLink {
    /// A freshly reset simulated board (the `miner_top_sim` model).
    pub fn new() -> Result<Self, SimError> {
        Ok(Self::on(MinerTop::sim()?, "sim".to_string(), false))
    }

    /// A board's netlist model (`make netlist-sim BOARD=<board>`), loaded from
    /// the shared library at `path` and built with `params`.
    pub fn netlist(board: &str, path: &Path, params: TopParams) -> Result<Self, SimError> {
        let mut top = MinerTop::load(path, params)?;
        // A board has been running since it was configured before the host
        // talks to it: its PLL has locked and its reset has ended.
        top.step(NETLIST_POWER_UP_CLOCKS);
        Ok(Self::on(top, format!("netlist:{board}"), true))
    }

    fn on(top: MinerTop, name: String, netlist: bool) -> Self {
        let pins = UartPins::new(top.clk_hz(), top.baud());
        SimLink {
            top,
            pins,
            name,
            netlist,
        }
    }

    /// The model's clock, Hz (what IDENTITY reports as `core_clock_hz`).
    pub fn clk_hz(&self) -> u64 {
        self.top.clk_hz()
    }

    /// The model's UART rate, bits per second.
    pub fn baud(&self) -> u64 {
        self.top.baud()
    }

    /// Clocks simulated so far through this link.
    pub fn cycles(&self) -> u64 {
        self.pins.cycles()
    }

    /// Simulated time so far.
    pub fn elapsed(&self) -> Duration {
        cycles_to_duration(self.pins.cycles(), self.clk_hz())
    }

    fn cycles_for(&self, d: Duration) -> u64 {
        let hz = u128::from(self.clk_hz());
        u64::try_from(d.as_nanos().saturating_mul(hz) / 1_000_000_000).unwrap_or(u64::MAX)
    }
}

fn cycles_to_duration(cycles: u64, hz: u64) -> Duration {
    let nanos = u128::from(cycles) * 1_000_000_000 / u128::from(hz.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl Link for SimLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.pins.send(bytes);
        while self.pins.sending() {
            self.pins.clock(&mut self.top);
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut budget = self.cycles_for(timeout.min(MAX_READ_SIMULATED));
        if self.netlist {
            budget = budget.min(self.pins.clocks_for_bits(10 * NETLIST_MAX_READ_CHARS));
        }
        let mut run = 0;
        while self.pins.received() == 0 && run < budget {
            self.pins.clock(&mut self.top);
            run += 1;
        }
        if self.pins.received() > 0 {
            // Keep collecting while the board is still sending, so frames come whole.
            let tail = self.pins.clocks_for_bits(10 * READ_TAIL_CHARS);
            let char_gap = self.pins.clocks_for_bits(12);
            let (mut quiet, mut extra) = (0, 0);
            while quiet < char_gap && extra < tail && self.pins.received() < buf.len() {
                self.pins.clock(&mut self.top);
                extra += 1;
                quiet = if self.pins.receiving() { 0 } else { quiet + 1 };
            }
        }
        Ok(self.pins.take_into(buf))
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn is_slow_model(&self) -> bool {
        self.netlist
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocol::{BoardFrame, FrameDecoder, HostFrame, FLAG_END_INCLUSIVE};

    #[test]
    fn identify_over_the_simulated_pins() {
        let mut link = SimLink::new().unwrap();
        link.write_all(&HostFrame::Identify.encode()).unwrap();
        let mut buf = [0u8; 64];
        let mut dec = FrameDecoder::<BoardFrame>::new();
        let mut frames = Vec::new();
        while frames.is_empty() {
            let n = link.read(&mut buf, Duration::from_millis(50)).unwrap();
            assert!(n > 0, "no answer within 50 ms simulated");
            frames.extend(dec.push(&buf[..n]));
        }
        let Ok(BoardFrame::Identity(id)) = frames[0] else {
            panic!("expected IDENTITY, got {frames:?}");
        };
        assert_eq!(u64::from(id.core_clock_hz), link.clk_hz());
        assert_eq!(id.flags, FLAG_END_INCLUSIVE);
        assert_eq!(link.name(), "sim");
    }

    #[test]
    fn read_times_out_in_simulated_time() {
        let mut link = SimLink::new().unwrap();
        let mut buf = [0u8; 8];
        let n = link.read(&mut buf, Duration::from_millis(2)).unwrap();
        assert_eq!(n, 0);
        let ms = link.elapsed().as_secs_f64() * 1e3;
        assert!((1.99..2.01).contains(&ms), "{ms} ms simulated");
    }

    #[test]
    fn a_long_timeout_is_capped() {
        let mut link = SimLink::new().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(link.read(&mut buf, Duration::from_secs(3600)).unwrap(), 0);
        let simulated = link.elapsed();
        assert!(simulated >= MAX_READ_SIMULATED, "{simulated:?}");
        assert!(simulated < MAX_READ_SIMULATED + Duration::from_millis(1));
    }
}
