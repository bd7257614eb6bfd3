//! STATUS `nonces_hashed` readings turned into a hashrate, with readings a board
//! cannot have reached refused.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Nonces a reading may exceed the rate bound by: one whole range.
const COUNTER_SLACK: f64 = 4_294_967_296.0;

/// Nonces-hashed samples turned into short and long averages.
#[derive(Clone, Debug)]
pub struct HashrateMeter {
    samples: VecDeque<(Instant, u64)>,
    total: u64,
    last_raw: Option<u64>,
    short: Duration,
    long: Duration,
}

impl HashrateMeter {
    /// A meter with the given averaging windows.
    pub fn new(short: Duration, long: Duration) -> Self {
        HashrateMeter {
            samples: VecDeque::new(),
            total: 0,
            last_raw: None,
            short,
            long,
        }
    }

    /// Records a board counter reading. A counter that went backwards means
    /// the board restarted: counting continues from its new value. A reading
    /// further on than `max_rate` hashes per second since the last one allows
    /// (plus one whole range) is refused: `false`, and the next reading is
    /// compared with the last good one.
    pub fn record(&mut self, at: Instant, nonces_hashed: u64, max_rate: f64) -> bool {
        let since = self
            .samples
            .back()
            .map_or(Duration::ZERO, |&(t, _)| at.saturating_duration_since(t));
        let delta = match self.last_raw {
            Some(last) if nonces_hashed >= last => nonces_hashed - last,
            Some(_) => nonces_hashed,
            None => 0,
        };
        // u64 → f64 rounds; the bound is far from where rounding matters.
        let plausible = (delta as f64) <= max_rate * since.as_secs_f64() + COUNTER_SLACK;
        if !plausible {
            return false;
        }
        self.last_raw = Some(nonces_hashed);
        self.total = self.total.saturating_add(delta);
        self.samples.push_back((at, self.total));
        while let Some(&(t, _)) = self.samples.front() {
            if at.saturating_duration_since(t) > self.long && self.samples.len() > 2 {
                self.samples.pop_front();
            } else {
                break;
            }
        }
        true
    }

    /// Nonces hashed since the first reading.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn rate_over(&self, window: Duration) -> f64 {
        let Some(&(now, last)) = self.samples.back() else {
            return 0.0;
        };
        let first = self
            .samples
            .iter()
            .find(|(t, _)| now.duration_since(*t) <= window)
            .copied();
        match first {
            Some((t, n)) if now.duration_since(t) > Duration::ZERO => {
                last.saturating_sub(n) as f64 / now.duration_since(t).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Hashes per second over the short window.
    pub fn short_rate(&self) -> f64 {
        self.rate_over(self.short)
    }

    /// Hashes per second over the long window.
    pub fn long_rate(&self) -> f64 {
        self.rate_over(self.long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_survives_a_board_reset() {
        let mut m = HashrateMeter::new(Duration::from_secs(5), Duration::from_secs(60));
        let t = Instant::now();
        assert!(m.record(t, 100, 1e6));
        assert!(m.record(t + Duration::from_secs(1), 1100, 1e6));
        assert!(m.record(t + Duration::from_secs(2), 500, 1e6));
        assert_eq!(m.total(), 1500);
        assert_eq!(m.short_rate(), 750.0);
        // A counter at 2^64 - 1 one second later is not a hashrate.
        assert!(!m.record(t + Duration::from_secs(3), u64::MAX, 1e6));
        assert!(!m.record(t + Duration::from_secs(4), u64::MAX, 1e6));
        assert_eq!(m.total(), 1500);
        // Back to sense: counted from the last good reading.
        assert!(m.record(t + Duration::from_secs(5), 1500, 1e6));
        assert_eq!(m.total(), 2500);
        assert!(m.short_rate() < 1e6);
    }
}
