//! The mining loop: work from a [`WorkSource`] (a pool or the benchmark) to
//! every board's [`Driver`], nonces back, checked twice with the reference
//! hasher (the driver against the midstate, then the full header rebuilt from
//! the job) and submitted when they meet the share target.
//!
//! This is the one place where work sources and devices meet; neither knows
//! the other.

mod event;
mod snapshot;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

pub use event::MinerEvent;
pub use snapshot::{BoardSnapshot, Latencies, PoolSnapshot, SharedSnapshot, Snapshot};

use crate::device::protocol::NonceOrder;
use crate::device::{DeviceEvent, Driver, DriverError, WorkUnit};
use crate::text::error_chain;
use crate::work::{Share, ShareTally, SourceEvent, WorkItem, WorkSource};

/// What tells two shares apart: (session, job, extranonce2, ntime, version, nonce).
type ShareKey = (u64, String, Vec<u8>, u32, u32, u32);

fn share_key(share: &Share) -> ShareKey {
    (
        share.session,
        share.job_id.clone(),
        share.extranonce2.clone(),
        share.ntime,
        share.version,
        share.nonce.0,
    )
}

/// Window of the API's five-second hashrate (cgminer's `MHS 5s`).
pub const RATE_5S: Duration = Duration::from_secs(5);

/// Seconds of hashing per work unit when the size is left to the miner.
pub const UNIT_SECONDS: f64 = 2.0;

/// Smallest automatic work unit.
pub const MIN_UNIT: u32 = 4096;

/// Automatic work unit size before the board's rate is measured.
pub const FIRST_UNIT: u32 = 65_536;

/// Shortest time between two flushes of the boards: clean jobs that come faster
/// are coalesced, and only the newest reaches the boards.
pub const MIN_FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// Most source events taken in one [`Miner::step`], so that a flood of events
/// cannot hold the loop (the rest wait for the next step).
const MAX_EVENTS_PER_STEP: usize = 10_000;

/// How the miner cuts work.
#[derive(Clone, Debug)]
pub struct MinerConfig {
    /// Nonces per work unit sent to a board (at least 1); `None`: about
    /// [`UNIT_SECONDS`] of the board's measured rate ([`FIRST_UNIT`] until it
    /// has been measured: a simulated board runs far below its nominal rate).
    pub unit_nonces: Option<u32>,
    /// How long one [`Miner::step`] reads each board.
    pub poll: Duration,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            unit_nonces: None,
            poll: Duration::from_millis(5),
        }
    }
}

struct Board {
    driver: Driver,
    alive: bool,
    /// Dropped results already reported.
    dropped_reported: u64,
    /// Announcement time of work not yet seen hashing, with the WORK write time.
    pending_latency: Option<(Instant, Option<Instant>, u64)>,
    /// The outcomes of the shares its nonces became.
    shares: ShareTally,
    /// Nonces whose hash met the network target.
    blocks: u64,
    /// Nonces that passed the driver's midstate check but not the full header's:
    /// hardware errors the driver cannot see.
    header_errors: u64,
}

/// Boards fed from one work source.
pub struct Miner {
    source: Box<dyn WorkSource>,
    boards: Vec<Board>,
    items: HashMap<u64, (usize, WorkItem)>,
    next_id: u64,
    config: MinerConfig,
    started: Instant,
    pool: String,
    difficulty: f64,
    /// Announcement time of the newest work, until it is handed to boards.
    announced: Option<Instant>,
    /// A clean job is waiting for the flush interval: boards get no new work meanwhile.
    flush_pending: bool,
    last_flush: Option<Instant>,
    stopping: bool,
    latencies: Latencies,
    /// Shares submitted, so work a board is given twice (after a refusal or a
    /// silence) never submits twice.
    submitted: HashSet<ShareKey>,
    /// The board each submitted share came from, until its outcome arrives.
    origin: HashMap<ShareKey, usize>,
}

impl std::fmt::Debug for Miner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Miner")
            .field("source", &self.source.name())
            .field("boards", &self.boards.len())
            .finish()
    }
}

impl Miner {
    /// A miner over identified boards.
    pub fn new(source: Box<dyn WorkSource>, drivers: Vec<Driver>, config: MinerConfig) -> Self {
        let pool = source.name();
        Miner {
            source,
            boards: drivers
                .into_iter()
                .map(|driver| Board {
                    driver,
                    alive: true,
                    dropped_reported: 0,
                    pending_latency: None,
                    shares: ShareTally::default(),
                    blocks: 0,
                    header_errors: 0,
                })
                .collect(),
            items: HashMap::new(),
            next_id: 0,
            config,
            started: Instant::now(),
            pool,
            difficulty: 0.0,
            announced: None,
            flush_pending: false,
            last_flush: None,
            stopping: false,
            latencies: Latencies::default(),
            submitted: HashSet::new(),
            origin: HashMap::new(),
        }
    }

    /// True while at least one board is driven.
    pub fn any_alive(&self) -> bool {
        self.boards.iter().any(|b| b.alive)
    }

    /// One round: source events, every board polled, work topped up.
    pub fn step(&mut self) -> Vec<MinerEvent> {
        let mut out = Vec::new();
        let mut events = Vec::new();
        while events.len() < MAX_EVENTS_PER_STEP {
            match self.source.next_event(Duration::ZERO) {
                Some(event) => events.push(event),
                None => break,
            }
        }
        self.take_source_events(events, &mut out);
        if self.flush_pending
            && self
                .last_flush
                .is_none_or(|t| t.elapsed() >= MIN_FLUSH_INTERVAL)
        {
            self.flush_boards(&mut out);
        }
        for index in 0..self.boards.len() {
            if !self.boards[index].alive {
                continue;
            }
            if let Err(error) = self.drive(index, &mut out) {
                self.fail(index, error, &mut out);
            }
        }
        if self.boards.iter().all(|b| !b.alive) {
            // Nothing to poll: do not spin.
            std::thread::sleep(self.config.poll);
        }
        out
    }

    fn fail(&mut self, index: usize, error: DriverError, out: &mut Vec<MinerEvent>) {
        self.boards[index].alive = false;
        self.items.retain(|_, (b, _)| *b != index);
        out.push(MinerEvent::BoardFailed {
            board: index,
            error,
        });
    }

    /// Handles a batch of source events in order, except that only the newest
    /// announcement of work counts (clean if any of them was).
    fn take_source_events(&mut self, events: Vec<SourceEvent>, out: &mut Vec<MinerEvent>) {
        let announcements = events
            .iter()
            .filter(|e| matches!(e, SourceEvent::NewWork { .. }))
            .count();
        let any_clean = events
            .iter()
            .any(|e| matches!(e, SourceEvent::NewWork { clean: true, .. }));
        let mut seen = 0;
        for event in events {
            if let SourceEvent::NewWork {
                pool,
                job_id,
                difficulty,
                ..
            } = event
            {
                seen += 1;
                if seen == announcements {
                    self.on_new_work(any_clean, announcements - 1, pool, job_id, difficulty, out);
                }
            } else {
                self.on_source(event, out);
            }
        }
    }

    fn on_new_work(
        &mut self,
        clean: bool,
        superseded: usize,
        pool: String,
        job_id: String,
        difficulty: f64,
        out: &mut Vec<MinerEvent>,
    ) {
        let now = Instant::now();
        self.announced = Some(now);
        if clean {
            self.submitted.clear();
            self.flush_pending = true;
        }
        for board in &mut self.boards {
            board.pending_latency = Some((now, None, self.next_id));
        }
        self.pool = pool.clone();
        self.difficulty = difficulty;
        out.push(MinerEvent::NewWork {
            clean,
            superseded,
            pool,
            job_id,
            difficulty,
        });
    }

    /// Abandons every board's work (after a clean job).
    fn flush_boards(&mut self, out: &mut Vec<MinerEvent>) {
        self.flush_pending = false;
        self.last_flush = Some(Instant::now());
        for index in 0..self.boards.len() {
            if !self.boards[index].alive {
                continue;
            }
            self.items.retain(|_, (b, _)| *b != index);
            if let Err(error) = self.boards[index].driver.flush() {
                self.fail(index, error, out);
            }
        }
    }

    fn on_source(&mut self, event: SourceEvent, out: &mut Vec<MinerEvent>) {
        match event {
            SourceEvent::NewWork {
                clean,
                pool,
                job_id,
                difficulty,
            } => self.on_new_work(clean, 0, pool, job_id, difficulty, out),
            SourceEvent::Connected { pool, resumed } => {
                out.push(MinerEvent::Connected { pool, resumed })
            }
            SourceEvent::Disconnected {
                pool,
                error,
                retry_in,
            } => out.push(MinerEvent::Disconnected {
                pool,
                error: error_chain(error.as_ref()),
                retry_in,
            }),
            SourceEvent::Malformed { pool, error, count } => out.push(MinerEvent::PoolMalformed {
                pool,
                error: error_chain(error.as_ref()),
                count,
            }),
            SourceEvent::Share(record) => {
                if let Some(board) = self.origin.remove(&share_key(&record.share)) {
                    if let Some(b) = self.boards.get_mut(board) {
                        b.shares.add(&record);
                    }
                }
                out.push(MinerEvent::Share(record))
            }
        }
    }

    fn drive(&mut self, index: usize, out: &mut Vec<MinerEvent>) -> Result<(), DriverError> {
        if !self.stopping && !self.flush_pending {
            let mut pushed_new = false;
            while self.boards[index].driver.wants() > 0 {
                let nonces = self.unit_nonces(index);
                let Some(item) = self.source.next_work(nonces) else {
                    break;
                };
                let id = self.next_id;
                self.next_id += 1;
                let unit = WorkUnit {
                    id,
                    midstate: item.midstate,
                    tail: item.tail,
                    nonce_start: item.nonce_start,
                    nonce_end: item.nonce_end,
                    threshold: item.threshold,
                    order: NonceOrder::Number,
                };
                self.items.insert(id, (index, item));
                self.boards[index].driver.push(unit)?;
                pushed_new = true;
            }
            // Ask at once whether fresh work after an announcement is hashing.
            if pushed_new && self.boards[index].pending_latency.is_some() {
                self.boards[index].driver.request_status()?;
            }
        }
        let events = self.boards[index].driver.poll(self.config.poll)?;
        for event in events {
            self.on_device(index, event, out);
        }
        let board = &mut self.boards[index];
        let dropped = board.driver.stats().dropped_results;
        if dropped > board.dropped_reported {
            out.push(MinerEvent::ResultsDropped {
                board: index,
                new: dropped - board.dropped_reported,
                total: dropped,
            });
            board.dropped_reported = dropped;
        }
        Ok(())
    }

    fn unit_nonces(&self, index: usize) -> u32 {
        if let Some(n) = self.config.unit_nonces {
            return n.max(1);
        }
        let driver = &self.boards[index].driver;
        let measured = driver.meter().long_rate();
        if measured <= 0.0 {
            return FIRST_UNIT;
        }
        (measured * UNIT_SECONDS).clamp(f64::from(MIN_UNIT), f64::from(u32::MAX)) as u32
    }

    fn on_device(&mut self, index: usize, event: DeviceEvent, out: &mut Vec<MinerEvent>) {
        match event {
            DeviceEvent::Found { id, nonce, .. } => {
                let Some((_, item)) = self.items.get(&id) else {
                    return;
                };
                // The driver checked the midstate; now the full header from the job.
                let check = item.check(nonce);
                if !check.passes_threshold {
                    self.boards[index].header_errors += 1;
                    out.push(MinerEvent::HardwareError {
                        board: index,
                        job_id: item.job_id.clone(),
                        nonce,
                    });
                    return;
                }
                let job_id = item.job_id.clone();
                let key = share_key(&check.share);
                if !self.submitted.insert(key.clone()) {
                    return;
                }
                if check.block {
                    self.boards[index].blocks += 1;
                }
                if check.meets_target {
                    self.origin.insert(key, index);
                    self.source.submit(check.share);
                }
                out.push(MinerEvent::Found {
                    board: index,
                    job_id,
                    nonce,
                    hash: check.hash,
                    submitted: check.meets_target,
                });
            }
            DeviceEvent::HardwareError { id, nonce } => {
                let job_id = self
                    .items
                    .get(&id)
                    .map(|(_, item)| item.job_id.clone())
                    .unwrap_or_default();
                out.push(MinerEvent::HardwareError {
                    board: index,
                    job_id,
                    nonce,
                });
            }
            DeviceEvent::Done { id } => {
                self.items.remove(&id);
            }
            DeviceEvent::Flushed { ids } => {
                for id in ids {
                    self.items.remove(&id);
                }
            }
            DeviceEvent::Sent { id, at } => {
                if let Some((_, sent @ None, first)) = &mut self.boards[index].pending_latency {
                    if id >= *first {
                        *sent = Some(at);
                    }
                }
            }
            DeviceEvent::Started { id } => {
                if let Some((announced, Some(sent), first)) = self.boards[index].pending_latency {
                    if id >= first {
                        let now = Instant::now();
                        self.boards[index].pending_latency = None;
                        let to_hashing = now.duration_since(announced);
                        self.latencies.record(to_hashing);
                        out.push(MinerEvent::Latency {
                            board: index,
                            to_sent: sent.duration_since(announced),
                            to_hashing,
                        });
                    }
                }
            }
            DeviceEvent::Silent { attempt } => out.push(MinerEvent::BoardSilent {
                board: index,
                attempt,
            }),
            DeviceEvent::Recovered(_) => out.push(MinerEvent::BoardRecovered { board: index }),
            DeviceEvent::Anomaly(anomaly) => out.push(MinerEvent::BoardAnomaly {
                board: index,
                anomaly,
            }),
            DeviceEvent::Status(_) | DeviceEvent::Nak { .. } => {}
        }
    }

    /// Stops taking work, lets the boards report what they have for up to
    /// `drain` (every nonce they report is still checked and submitted), then
    /// has the source submit what is in flight, waiting up to `wait` for
    /// answers, and leaves the boards idle. Returns the last events.
    pub fn shutdown(&mut self, drain: Duration, wait: Duration) -> Vec<MinerEvent> {
        self.stopping = true;
        let mut out = Vec::new();
        for index in 0..self.boards.len() {
            // A last STATUS, so the summary counts the final nonces hashed.
            if self.boards[index].alive {
                if let Err(error) = self.boards[index].driver.request_status() {
                    self.fail(index, error, &mut out);
                }
            }
        }
        let until = Instant::now() + drain;
        while Instant::now() < until && self.any_alive() {
            out.extend(self.step());
        }
        for board in self.boards.iter_mut().filter(|b| b.alive) {
            // Best effort: the board is left idle; failure here changes nothing.
            let _ = board.driver.flush();
        }
        self.source.shutdown(wait);
        while let Some(event) = self.source.next_event(Duration::ZERO) {
            self.on_source(event, &mut out);
        }
        out
    }

    /// Makes pool `index` the preferred one (the API's `switchpool`); false when
    /// the source has no such pool.
    pub fn prefer_pool(&mut self, index: usize) -> bool {
        self.source.prefer(index)
    }

    /// Current figures.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            boards: self
                .boards
                .iter()
                .map(|b| {
                    let stats = b.driver.stats();
                    let meter = b.driver.meter();
                    BoardSnapshot {
                        name: b.driver.name().to_string(),
                        build_id: b.driver.identity().build_id,
                        short_rate: meter.short_rate(),
                        rate_5s: meter.rate_over(RATE_5S),
                        long_rate: meter.long_rate(),
                        nominal_rate: b.driver.expected_hashrate(),
                        nonces_hashed: meter.total(),
                        found: stats.found,
                        found_blocks: b.blocks,
                        hardware_errors: stats.hardware_errors + b.header_errors,
                        bad_frames: stats.bad_frames,
                        board_bad_frames: stats.board_bad_frames,
                        dropped_results: stats.dropped_results,
                        shares: b.shares.clone(),
                        alive: b.alive,
                    }
                })
                .collect(),
            pools: self.source.pools(),
            shares: self.source.counts(),
            total: self.source.tally(),
            found_blocks: self.boards.iter().map(|b| b.blocks).sum(),
            pool: self.pool.clone(),
            difficulty: self.difficulty,
            uptime: self.started.elapsed(),
            taken_at: snapshot::unix_now(),
            latencies: self.latencies.clone(),
        }
    }
}
