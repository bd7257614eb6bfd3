//! The mining loop: work from a [`WorkSource`] (a pool or the benchmark) to
//! every board's [`Driver`], nonces back, checked twice with the reference
//! hasher (the driver against the midstate, then the full header rebuilt from
//! the job) and submitted when they meet the share target.
//!
//! This is the one place where work sources and devices meet; neither knows
//! the other.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::device::{Anomaly, DeviceEvent, Driver, DriverError, WorkUnit};
use crate::hash::{BlockHash, Nonce};
use crate::text::error_chain;
use crate::work::{ShareCounts, ShareRecord, SourceEvent, WorkItem, WorkSource};

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

/// Something worth showing or logging.
#[derive(Debug)]
pub enum MinerEvent {
    /// The source has new work (`clean`: boards are flushed).
    NewWork {
        /// Boards are flushed.
        clean: bool,
        /// Jobs announced since the last step that this one replaced before they
        /// reached the boards.
        superseded: usize,
        /// Pool name.
        pool: String,
        /// Job id.
        job_id: String,
        /// Share difficulty.
        difficulty: f64,
    },
    /// A board found a nonce the reference hasher confirms.
    Found {
        /// Board index.
        board: usize,
        /// Job id of the work.
        job_id: String,
        /// The nonce.
        nonce: Nonce,
        /// Hash of the rebuilt header.
        hash: BlockHash,
        /// It meets the share target and was submitted.
        submitted: bool,
    },
    /// A board returned a nonce that does not hash as claimed: not submitted.
    HardwareError {
        /// Board index.
        board: usize,
        /// Job id of the work.
        job_id: String,
        /// The claimed nonce.
        nonce: Nonce,
    },
    /// A share's final outcome.
    Share(ShareRecord),
    /// A pool session came up.
    Connected {
        /// Pool name.
        pool: String,
        /// The session was resumed.
        resumed: bool,
    },
    /// A pool connection ended (the source reconnects).
    Disconnected {
        /// Pool name.
        pool: String,
        /// Why, as text, with its causes.
        error: String,
        /// When the next attempt is made.
        retry_in: Option<Duration>,
    },
    /// A pool sent a line that is not a usable message (counted and survived).
    PoolMalformed {
        /// Pool name.
        pool: String,
        /// What was wrong, with the start of the line.
        error: String,
        /// Malformed lines from this pool so far.
        count: u64,
    },
    /// A board's STATUS says it dropped results (its result FIFO overflowed):
    /// nonces it found that never reached the host.
    ResultsDropped {
        /// Board index.
        board: usize,
        /// Newly dropped since the last report.
        new: u64,
        /// Dropped so far.
        total: u64,
    },
    /// A board stopped answering; the driver is re-identifying it.
    BoardSilent {
        /// Board index.
        board: usize,
        /// Attempt number.
        attempt: u32,
    },
    /// A silent board answered again.
    BoardRecovered {
        /// Board index.
        board: usize,
    },
    /// A board said something a board should not; it is still driven.
    BoardAnomaly {
        /// Board index.
        board: usize,
        /// What, and what the driver did.
        anomaly: Anomaly,
    },
    /// A board is given up; the others go on.
    BoardFailed {
        /// Board index.
        board: usize,
        /// Why.
        error: DriverError,
    },
    /// New work reached a board: the latency from the work announcement to
    /// the WORK frame being written and to the board's first STATUS showing it.
    Latency {
        /// Board index.
        board: usize,
        /// Announcement → WORK written.
        to_sent: Duration,
        /// Announcement → first STATUS hashing the new work.
        to_hashing: Duration,
    },
}

/// One board's figures.
#[derive(Clone, Debug)]
pub struct BoardSnapshot {
    /// Link name.
    pub name: String,
    /// Hashrate, short average (H/s).
    pub short_rate: f64,
    /// Hashrate, long average (H/s).
    pub long_rate: f64,
    /// Hashrate its IDENTITY promises (H/s).
    pub nominal_rate: f64,
    /// Nonces hashed (as STATUS counts them).
    pub nonces_hashed: u64,
    /// Verified nonces.
    pub found: u64,
    /// Hardware errors.
    pub hardware_errors: u64,
    /// Results the board found but dropped (its STATUS counter).
    pub dropped_results: u64,
    /// Still driven (false once given up).
    pub alive: bool,
}

/// The whole miner's figures.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Per board.
    pub boards: Vec<BoardSnapshot>,
    /// Share outcomes.
    pub shares: ShareCounts,
    /// Current pool name.
    pub pool: String,
    /// Current share difficulty.
    pub difficulty: f64,
    /// Time since start.
    pub uptime: Duration,
    /// Latencies measured so far (announcement → first STATUS hashing it).
    pub latencies: Vec<Duration>,
}

impl Snapshot {
    /// Sum of the boards' short averages.
    pub fn total_short_rate(&self) -> f64 {
        self.boards.iter().map(|b| b.short_rate).sum()
    }

    /// Sum of the boards' long averages.
    pub fn total_long_rate(&self) -> f64 {
        self.boards.iter().map(|b| b.long_rate).sum()
    }

    /// Hardware errors over all boards.
    pub fn hardware_errors(&self) -> u64 {
        self.boards.iter().map(|b| b.hardware_errors).sum()
    }

    /// Results dropped on the boards, over all boards.
    pub fn dropped_results(&self) -> u64 {
        self.boards.iter().map(|b| b.dropped_results).sum()
    }
}

struct Board {
    driver: Driver,
    alive: bool,
    /// Dropped results already reported.
    dropped_reported: u64,
    /// Announcement time of work not yet seen hashing, with the WORK write time.
    pending_latency: Option<(Instant, Option<Instant>, u64)>,
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
    latencies: Vec<Duration>,
    /// Shares submitted: (session, job, extranonce2, ntime, version, nonce), so
    /// work a board is given twice (after a refusal or a silence) never submits twice.
    submitted: HashSet<(u64, String, Vec<u8>, u32, u32, u32)>,
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
            latencies: Vec::new(),
            submitted: HashSet::new(),
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
            SourceEvent::Share(record) => out.push(MinerEvent::Share(record)),
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
                    out.push(MinerEvent::HardwareError {
                        board: index,
                        job_id: item.job_id.clone(),
                        nonce,
                    });
                    return;
                }
                let job_id = item.job_id.clone();
                let share = &check.share;
                let key = (
                    share.session,
                    share.job_id.clone(),
                    share.extranonce2.clone(),
                    share.ntime,
                    share.version,
                    share.nonce.0,
                );
                if !self.submitted.insert(key) {
                    return;
                }
                if check.meets_target {
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
                        self.latencies.push(to_hashing);
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

    /// Current figures.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            boards: self
                .boards
                .iter()
                .map(|b| {
                    let stats = b.driver.stats();
                    BoardSnapshot {
                        name: b.driver.name().to_string(),
                        short_rate: b.driver.meter().short_rate(),
                        long_rate: b.driver.meter().long_rate(),
                        nominal_rate: b.driver.expected_hashrate(),
                        nonces_hashed: b.driver.meter().total(),
                        found: stats.found,
                        hardware_errors: stats.hardware_errors,
                        dropped_results: stats.dropped_results,
                        alive: b.alive,
                    }
                })
                .collect(),
            shares: self.source.counts(),
            pool: self.pool.clone(),
            difficulty: self.difficulty,
            uptime: self.started.elapsed(),
            latencies: self.latencies.clone(),
        }
    }
}
