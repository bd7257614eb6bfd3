//! The miner's figures at one moment: [`Snapshot`], what the status line, the
//! summary, the API and the metrics read. [`SharedSnapshot`] hands the newest
//! one to other threads without their ever touching the miner.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::work::{PoolStatus, ShareCounts, ShareTally};

/// One board's figures.
#[derive(Clone, Debug, Default)]
pub struct BoardSnapshot {
    /// Link name.
    pub name: String,
    /// Build id from its IDENTITY.
    pub build_id: u32,
    /// Hashrate, short average (H/s).
    pub short_rate: f64,
    /// Hashrate over the last five seconds (H/s).
    pub rate_5s: f64,
    /// Hashrate, long average (H/s).
    pub long_rate: f64,
    /// Hashrate its IDENTITY promises (H/s).
    pub nominal_rate: f64,
    /// Nonces hashed (as STATUS counts them).
    pub nonces_hashed: u64,
    /// Verified nonces.
    pub found: u64,
    /// Verified nonces whose hash meets the network target.
    pub found_blocks: u64,
    /// Hardware errors.
    pub hardware_errors: u64,
    /// Frames from the board the host refused (CRC, length, truncation, …).
    pub bad_frames: u64,
    /// Frames the board says it refused (its STATUS counter; restarts with the board).
    pub board_bad_frames: u32,
    /// Results the board found but dropped (its STATUS counter).
    pub dropped_results: u64,
    /// The shares its nonces became.
    pub shares: ShareTally,
    /// Still driven (false once given up).
    pub alive: bool,
}

/// One pool with its shares.
pub type PoolSnapshot = PoolStatus;

/// The whole miner's figures.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Per board.
    pub boards: Vec<BoardSnapshot>,
    /// Per pool, in the order given (benchmark work: one "benchmark" pool).
    pub pools: Vec<PoolSnapshot>,
    /// Share outcomes.
    pub shares: ShareCounts,
    /// Every share tallied: difficulty sums and the best share of all pools.
    pub total: ShareTally,
    /// Verified nonces whose hash meets the network target, all boards.
    pub found_blocks: u64,
    /// Current pool name.
    pub pool: String,
    /// Current share difficulty.
    pub difficulty: f64,
    /// Time since start.
    pub uptime: Duration,
    /// When the snapshot was taken (seconds since the Unix epoch).
    pub taken_at: u64,
    /// Latencies measured so far (announcement → first STATUS hashing it).
    pub latencies: Latencies,
}

/// How many of the newest latency samples the median is taken over.
const RECENT_LATENCIES: usize = 1024;

/// Latencies from new work to a board hashing it, in bounded memory however
/// long the run: how many there were, the least and the most, and the newest
/// [`RECENT_LATENCIES`] for the median.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Latencies {
    count: u64,
    least: Option<Duration>,
    most: Option<Duration>,
    recent: VecDeque<Duration>,
}

impl Latencies {
    /// Adds one sample.
    pub fn record(&mut self, sample: Duration) {
        self.count += 1;
        self.least = Some(self.least.map_or(sample, |d| d.min(sample)));
        self.most = Some(self.most.map_or(sample, |d| d.max(sample)));
        if self.recent.len() == RECENT_LATENCIES {
            self.recent.pop_front();
        }
        self.recent.push_back(sample);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// (least, median of the newest samples, most), or None before the first.
    pub fn summary(&self) -> Option<(Duration, Duration, Duration)> {
        let mut recent: Vec<Duration> = self.recent.iter().copied().collect();
        recent.sort();
        Some((self.least?, *recent.get(recent.len() / 2)?, self.most?))
    }
}

impl Snapshot {
    /// Sum of the boards' short averages.
    pub fn total_short_rate(&self) -> f64 {
        self.boards.iter().map(|b| b.short_rate).sum()
    }

    /// Sum of the boards' five-second rates.
    pub fn total_rate_5s(&self) -> f64 {
        self.boards.iter().map(|b| b.rate_5s).sum()
    }

    /// Sum of the boards' long averages.
    pub fn total_long_rate(&self) -> f64 {
        self.boards.iter().map(|b| b.long_rate).sum()
    }

    /// Nonces hashed over all boards.
    pub fn nonces_hashed(&self) -> u64 {
        self.boards.iter().map(|b| b.nonces_hashed).sum()
    }

    /// Hardware errors over all boards.
    pub fn hardware_errors(&self) -> u64 {
        self.boards.iter().map(|b| b.hardware_errors).sum()
    }

    /// Results dropped on the boards, over all boards.
    pub fn dropped_results(&self) -> u64 {
        self.boards.iter().map(|b| b.dropped_results).sum()
    }

    /// The pool work comes from now, if any.
    pub fn active_pool(&self) -> Option<&PoolSnapshot> {
        self.pools.iter().find(|p| p.active)
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The newest [`Snapshot`], shared: the mining loop publishes, servers on other
/// threads read. A reader holds the lock only to clone an `Arc`, so no reader
/// can slow the miner down. Cheap to clone; clones share one cell.
#[derive(Clone, Debug, Default)]
pub struct SharedSnapshot(Arc<Mutex<Arc<Snapshot>>>);

impl SharedSnapshot {
    /// Replaces the snapshot readers see.
    pub fn publish(&self, snapshot: Snapshot) {
        let fresh = Arc::new(snapshot);
        // A panic elsewhere while holding the lock leaves a whole Arc behind: keep using it.
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Arc<Snapshot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn latencies_stay_bounded_and_keep_the_extremes() {
        let mut l = super::Latencies::default();
        assert_eq!(l.summary(), None);
        let ms = std::time::Duration::from_millis;
        l.record(ms(1));
        for _ in 0..10 * super::RECENT_LATENCIES {
            l.record(ms(50));
        }
        l.record(ms(900));
        assert_eq!(l.count(), 10 * super::RECENT_LATENCIES as u64 + 2);
        assert_eq!(l.recent.len(), super::RECENT_LATENCIES);
        assert_eq!(l.summary(), Some((ms(1), ms(50), ms(900))));
    }

    use super::*;

    #[test]
    fn readers_see_what_was_published_last() {
        let shared = SharedSnapshot::default();
        assert!(shared.latest().boards.is_empty());
        let reader = shared.clone();
        shared.publish(Snapshot {
            pool: "p:1".into(),
            ..Snapshot::default()
        });
        assert_eq!(reader.latest().pool, "p:1");
    }
}
