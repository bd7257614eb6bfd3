//! The emulated chip's model of time: a clock that advances by what each
//! transfer, each clock cycle and each host wait would take on real USB, so
//! the flash's busy times and the iCE40's setup time pass as they would on a
//! board, and a benchmark can read an estimate of real time off it.
//!
//! The coefficients are the ones `docs/programming-speed.md` states and
//! explains how to calibrate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The model clock. Clones share one time; it starts at zero and only moves
/// forward. A model that was never given the emulator's clock keeps its own,
/// on which time stands still.
#[derive(Debug, Clone, Default)]
pub struct Clock(Arc<AtomicU64>);

/// The clock counts picoseconds, so that one period of a 30 MHz clock (33 333 ps)
/// added millions of times stays within a millionth of the true sum.
const PS_PER_NS: u64 = 1000;

impl Clock {
    /// Model time since the emulator was made.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed) / PS_PER_NS)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ps = u64::try_from(by.as_nanos())
            .unwrap_or(u64::MAX / PS_PER_NS)
            .saturating_mul(PS_PER_NS);
        self.0.fetch_add(ps, Ordering::Relaxed);
    }

    /// Moves the clock forward by `count` periods of a `hz` clock.
    pub fn advance_cycles(&self, count: u64, hz: f64) {
        if hz > 0.0 {
            let ps = (count as f64 * 1e12 / hz).round() as u64;
            self.0.fetch_add(ps, Ordering::Relaxed);
        }
    }
}

/// What one USB speed costs, as the model charges it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsbTiming {
    /// Bulk bytes the bus carries per second, both directions together
    /// (IN bytes counted with their modem-status bytes).
    pub bulk_bytes_per_s: f64,
    /// A round trip: from the host's last bulk OUT to the first bulk IN data
    /// it waits for (scheduling of the two transfers on the bus).
    pub round_trip: Duration,
    /// One control transfer (setup, optional data, status).
    pub control: Duration,
}

/// Full speed (12 Mbit/s, 1 ms frames): FT231X, FT232R, FT2232D.
pub const FULL_SPEED: UsbTiming = UsbTiming {
    bulk_bytes_per_s: 1_000_000.0,
    round_trip: Duration::from_millis(1),
    control: Duration::from_millis(1),
};

/// High speed (480 Mbit/s, 125 us microframes): FT2232H, FT4232H, FT232H.
pub const HIGH_SPEED: UsbTiming = UsbTiming {
    bulk_bytes_per_s: 30_000_000.0,
    round_trip: Duration::from_micros(250),
    control: Duration::from_micros(250),
};

impl UsbTiming {
    /// Time the bus takes to carry `bytes` bulk bytes.
    pub fn bulk(&self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.bulk_bytes_per_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_advances_and_clones_share_it() {
        let clock = Clock::default();
        let other = clock.clone();
        clock.advance(Duration::from_micros(5));
        other.advance_cycles(6_000_000, 6e6);
        assert_eq!(clock.now(), Duration::from_micros(1_000_005));
        assert_eq!(FULL_SPEED.bulk(500_000), Duration::from_millis(500));
    }
}
