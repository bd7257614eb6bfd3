//! The driver and the mining loop against a board in software that misbehaves
//! at the link level: results dropped on the board, a queue shorter than its
//! IDENTITY says, absurd IDENTITY figures, STATUS counters that jump, an IDENTITY
//! nobody asked for, and a flood of clean jobs. Each is reported and survived.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amber::device::protocol::{BoardFrame, Identity};
use amber::device::{Anomaly, Driver, DriverConfig, DriverError};
use amber::hash::Header;
use amber::mining::{Miner, MinerConfig, MinerEvent};
use amber::work::{
    Benchmark, HeaderBase, Share, ShareCounts, ShareLog, SourceEvent, WorkItem, WorkSource,
};

use crate::support::fake_board::{FakeBoard, FakeConfig};

/// Bound of each run (a cap, never a figure).
const LIMIT: Duration = Duration::from_secs(30);

fn driver_config() -> DriverConfig {
    DriverConfig {
        status_interval: Duration::from_millis(50),
        ..DriverConfig::default()
    }
}

fn miner_on(source: Box<dyn WorkSource>, cfg: FakeConfig) -> (Miner, FakeBoard) {
    let (board, link) = FakeBoard::new(cfg, "fake");
    let driver = Driver::new(Box::new(link), driver_config()).unwrap();
    let miner = Miner::new(
        source,
        vec![driver],
        MinerConfig {
            unit_nonces: Some(2048),
            poll: Duration::from_millis(1),
        },
    );
    (miner, board)
}

fn run_until(
    miner: &mut Miner,
    events: &mut Vec<MinerEvent>,
    what: &str,
    mut done: impl FnMut(&[MinerEvent], &Miner) -> bool,
) {
    let until = Instant::now() + LIMIT;
    while !done(events, miner) {
        assert!(Instant::now() < until, "no {what}; events: {events:?}");
        events.extend(miner.step());
    }
}

fn anomalies(events: &[MinerEvent]) -> Vec<Anomaly> {
    events
        .iter()
        .filter_map(|e| match e {
            MinerEvent::BoardAnomaly { anomaly, .. } => Some(anomaly.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn results_the_board_dropped_are_reported() {
    let cfg = FakeConfig {
        drop_every: Some(2),
        ..FakeConfig::default()
    };
    let (mut miner, board) = miner_on(Box::new(Benchmark::new(ShareLog::default())), cfg);
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "dropped results", |_, m| {
        m.snapshot().dropped_results() >= 3
    });
    let reported: u64 = events
        .iter()
        .map(|e| match e {
            MinerEvent::ResultsDropped { new, .. } => *new,
            _ => 0,
        })
        .sum();
    let snap = miner.snapshot();
    assert_eq!(reported, snap.dropped_results());
    assert_eq!(snap.boards[0].dropped_results, snap.dropped_results());
    assert!(u64::from(board.counts().dropped) >= snap.dropped_results());
}

/// A benchmark that also announces a burst of clean jobs on demand.
struct Flood {
    inner: Benchmark,
    burst: VecDeque<SourceEvent>,
}

impl WorkSource for Flood {
    fn name(&self) -> String {
        "flood".into()
    }
    fn next_event(&mut self, timeout: Duration) -> Option<SourceEvent> {
        self.burst
            .pop_front()
            .or_else(|| self.inner.next_event(timeout))
    }
    fn next_work(&mut self, nonces: u32) -> Option<WorkItem> {
        self.inner.next_work(nonces)
    }
    fn submit(&mut self, share: Share) {
        self.inner.submit(share)
    }
    fn counts(&self) -> ShareCounts {
        self.inner.counts()
    }
    fn shutdown(&mut self, wait: Duration) {
        self.inner.shutdown(wait)
    }
}

/// Benchmark work whose header, rebuilt for the full check, differs from the one
/// its midstate was cut from: every nonce the board finds passes the driver's
/// midstate check and fails the full header's, as a fault between the two would.
struct Misbuilt(Benchmark);

impl WorkSource for Misbuilt {
    fn name(&self) -> String {
        "misbuilt".into()
    }
    fn next_event(&mut self, timeout: Duration) -> Option<SourceEvent> {
        self.0.next_event(timeout)
    }
    fn next_work(&mut self, nonces: u32) -> Option<WorkItem> {
        let mut item = self.0.next_work(nonces)?;
        if let HeaderBase::Fixed(header) = item.base.as_ref() {
            let mut bytes = *header.bytes();
            bytes[36] ^= 1; // a merkle-root bit
            item.base = Arc::new(HeaderBase::Fixed(Header::from_bytes(bytes)));
        }
        Some(item)
    }
    fn submit(&mut self, share: Share) {
        self.0.submit(share)
    }
    fn counts(&self) -> ShareCounts {
        self.0.counts()
    }
    fn shutdown(&mut self, wait: Duration) {
        self.0.shutdown(wait)
    }
}

#[test]
fn nonces_that_fail_the_full_header_check_are_hardware_errors() {
    let source = Box::new(Misbuilt(Benchmark::new(ShareLog::default())));
    let (mut miner, _board) = miner_on(source, FakeConfig::default());
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "hardware errors", |e, _| {
        e.iter()
            .filter(|e| matches!(e, MinerEvent::HardwareError { .. }))
            .count()
            >= 2
    });
    let reported = events
        .iter()
        .filter(|e| matches!(e, MinerEvent::HardwareError { .. }))
        .count() as u64;
    assert!(!events.iter().any(|e| matches!(e, MinerEvent::Found { .. })));
    assert_eq!(miner.snapshot().boards[0].hardware_errors, reported);
}

fn clean_jobs(n: usize) -> VecDeque<SourceEvent> {
    (0..n)
        .map(|i| SourceEvent::NewWork {
            clean: true,
            pool: "flood".into(),
            job_id: format!("j{i}"),
            difficulty: 1.0,
        })
        .collect()
}

#[test]
fn a_flood_of_clean_jobs_reaches_the_boards_as_one_flush() {
    let mut flood = Flood {
        inner: Benchmark::new(ShareLog::default()),
        burst: clean_jobs(1000),
    };
    // The benchmark's own first announcement, out of the way.
    flood.inner.next_event(Duration::ZERO);
    let (mut miner, board) = miner_on(Box::new(flood), FakeConfig::default());
    let before = board.counts().flush;
    let step = miner.step();
    assert_eq!(
        board.counts().flush - before,
        1,
        "one FLUSH for 1000 clean jobs"
    );
    let announced: Vec<_> = step
        .iter()
        .filter_map(|e| match e {
            MinerEvent::NewWork {
                job_id, superseded, ..
            } => Some((job_id.clone(), *superseded)),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        [("j999".to_string(), 999)],
        "only the newest is announced"
    );
}

#[test]
fn a_queue_shorter_than_identity_says_is_believed_and_reported() {
    let mut identity = FakeConfig::default().identity;
    identity.queue_depth = 8;
    let cfg = FakeConfig {
        identity,
        real_queue: 1,
        nonces_per_read: 256,
        ..FakeConfig::default()
    };
    let (mut miner, board) = miner_on(Box::new(Benchmark::new(ShareLog::default())), cfg);
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "60 units sent", |_, _| {
        board.counts().work >= 60
    });
    let c = board.counts();
    assert!(c.flush <= 4, "no FLUSH livelock: {c:?}");
    assert!(c.queue_full <= 10, "the driver believed the NAKs: {c:?}");
    assert!(
        anomalies(&events).contains(&Anomaly::QueueShorter {
            claimed: 8,
            believed: 1
        }),
        "{events:?}"
    );
}

#[test]
fn absurd_identity_figures_are_reported_and_survived() {
    let mut identity = FakeConfig::default().identity;
    identity.cores = 0;
    identity.rounds_per_clk = 200;
    identity.core_clock_hz = 0;
    identity.queue_depth = 0;
    let cfg = FakeConfig {
        identity,
        real_queue: 0,
        ..FakeConfig::default()
    };
    let (mut miner, board) = miner_on(Box::new(Benchmark::new(ShareLog::default())), cfg);
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "mining", |e, _| {
        e.iter().any(|e| matches!(e, MinerEvent::Found { .. }))
    });
    let fields: Vec<&str> = anomalies(&events)
        .iter()
        .filter_map(|a| match a {
            Anomaly::Identity { field, .. } => Some(*field),
            _ => None,
        })
        .collect();
    assert_eq!(
        fields,
        ["cores", "rounds_per_clk", "core_clock_hz", "queue_depth"]
    );
    assert_eq!(miner.snapshot().boards[0].nominal_rate, 0.0);
    assert_eq!(board.counts().queue_full, 0, "one unit at a time");
}

#[test]
fn a_status_counter_that_jumps_is_not_a_hashrate() {
    let (mut miner, board) = miner_on(
        Box::new(Benchmark::new(ShareLog::default())),
        FakeConfig::default(),
    );
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "a hashrate", |_, m| {
        m.snapshot().boards[0].nonces_hashed > 0
    });
    board.set_counter(Some(u64::MAX));
    let cut = events.len();
    run_until(&mut miner, &mut events, "a refused reading", |e, _| {
        anomalies(&e[cut..])
            .iter()
            .any(|a| matches!(a, Anomaly::CounterJump { to: u64::MAX, .. }))
    });
    let snap = miner.snapshot();
    // The board hashes at most a few million nonces a second in software.
    assert!(
        snap.boards[0].short_rate < 1e9,
        "{}",
        snap.boards[0].short_rate
    );
    assert!(snap.boards[0].nonces_hashed < 1 << 40);
    board.set_counter(None);
    let hashed = snap.boards[0].nonces_hashed;
    run_until(&mut miner, &mut events, "counting again", |_, m| {
        m.snapshot().boards[0].nonces_hashed > hashed
    });
}

#[test]
fn an_identity_nobody_asked_for_is_checked() {
    let (mut miner, board) = miner_on(
        Box::new(Benchmark::new(ShareLog::default())),
        FakeConfig::default(),
    );
    let mut events = Vec::new();
    run_until(&mut miner, &mut events, "work on the board", |_, _| {
        board.counts().work >= 3
    });
    // Same protocol, other figures: a reset; the work goes out again.
    let mut other: Identity = FakeConfig::default().identity;
    other.build_id ^= 1;
    board.set_identity(other);
    board.inject(BoardFrame::Identity(other));
    let sent = board.counts().work;
    run_until(&mut miner, &mut events, "re-identification", |e, _| {
        anomalies(e)
            .iter()
            .any(|a| matches!(a, Anomaly::Reidentified(_)))
    });
    run_until(&mut miner, &mut events, "work sent again", |_, _| {
        board.counts().work > sent
    });
    // Another protocol version: the board is given up with a clear error.
    other.protocol_version = 3;
    board.inject(BoardFrame::Identity(other));
    run_until(&mut miner, &mut events, "the board given up", |e, _| {
        e.iter()
            .any(|e| matches!(e, MinerEvent::BoardFailed { .. }))
    });
    let failed = events.iter().find_map(|e| match e {
        MinerEvent::BoardFailed { error, .. } => Some(error),
        _ => None,
    });
    assert!(
        matches!(failed, Some(DriverError::Version { version: 3, .. })),
        "{failed:?}"
    );
}
