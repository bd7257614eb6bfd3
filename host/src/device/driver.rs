//! The per-board driver: identify the board, keep its work queue full, flush
//! on request, map result tags to work, re-check every nonce with the
//! reference hasher and turn STATUS counters into a hashrate.
//!
//! The driver is single-threaded and polled: [`Driver::poll`] reads the link
//! for up to a timeout and returns what happened as [`DeviceEvent`]s. Work is
//! identified by the caller's opaque [`WorkUnit::id`]; the driver never sees
//! pools or jobs.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::events::{Anomaly, BoardStats, DeviceEvent, WorkUnit};
use super::meter::HashrateMeter;
use super::protocol::{
    BoardFrame, FrameDecoder, FrameError, HostFrame, Identity, NakReason, Status, Work,
    PROTOCOL_VERSION,
};
use crate::hash::Nonce;
use crate::link::{Link, LinkError};

/// WORK frame type byte, as NAK names it.
const TYPE_WORK: u8 = 0x02;
/// FLUSH frame type byte.
const TYPE_FLUSH: u8 = 0x03;
/// STATUS_REQUEST frame type byte.
const TYPE_STATUS_REQUEST: u8 = 0x04;

/// Rate assumed when judging STATUS counters of a board whose IDENTITY gives none.
const MIN_PLAUSIBLE_RATE: f64 = 1e9;
/// How many times its nominal rate a board may seem to hash between two STATUS
/// readings (clock tolerance, readings bunched by the link) before the reading is
/// refused as implausible.
const RATE_TOLERANCE: f64 = 4.0;

/// Timing and retry policy of one driver.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// How often to ask for STATUS (hashrate and liveness).
    pub status_interval: Duration,
    /// How long a STATUS (or IDENTITY) may take before the link counts as silent.
    pub answer_deadline: Duration,
    /// How many times to re-identify a silent board before giving up.
    pub identify_tries: u32,
    /// Window of the short hashrate average.
    pub short_window: Duration,
    /// Window of the long hashrate average.
    pub long_window: Duration,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            status_interval: Duration::from_millis(500),
            answer_deadline: Duration::from_secs(3),
            identify_tries: 3,
            short_window: Duration::from_secs(10),
            long_window: Duration::from_secs(120),
        }
    }
}

/// A driver that can no longer drive its board.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The link failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The board did not answer IDENTIFY; check power, bitstream and baud rate.
    #[error("board on {link} did not answer IDENTIFY after {tries} tries")]
    NoIdentity {
        /// The link's name.
        link: String,
        /// Attempts made.
        tries: u32,
    },
    /// The board speaks another protocol version; rebuild the bitstream.
    #[error("board on {link} speaks protocol version {version}, this host speaks 1")]
    Version {
        /// The link's name.
        link: String,
        /// The version it reported.
        version: u8,
    },
    /// The board stopped answering and did not come back.
    #[error("board on {link} went silent and did not answer {tries} re-identify attempts")]
    Silent {
        /// The link's name.
        link: String,
        /// Re-identify attempts made.
        tries: u32,
    },
}

#[derive(Debug)]
struct Slot {
    unit: WorkUnit,
    /// Sequence number of the WORK frame that carried it.
    seq: u64,
    started: bool,
    found: HashSet<u32>,
}

#[derive(Debug, Clone, Copy)]
enum StatusCause {
    Request { seq: u64, at: Instant },
    Flush { at: Instant },
}

impl StatusCause {
    fn at(&self) -> Instant {
        match self {
            StatusCause::Request { at, .. } | StatusCause::Flush { at } => *at,
        }
    }
}

/// Drives one board over one link.
pub struct Driver {
    link: Box<dyn Link>,
    name: String,
    config: DriverConfig,
    decoder: FrameDecoder,
    identity: Identity,
    next_tag: u8,
    seq: u64,
    active: BTreeMap<u8, Slot>,
    flushed: BTreeMap<u8, u64>,
    backlog: VecDeque<WorkUnit>,
    expected: VecDeque<StatusCause>,
    last_request: Instant,
    stats: BoardStats,
    meter: HashrateMeter,
    last_status: Option<Status>,
    silent_attempts: u32,
    idle_strikes: u32,
    sent: Vec<DeviceEvent>,
    /// The queue depth the board's NAKs allow (at most its IDENTITY's).
    depth_limit: u8,
    /// QUEUE_FULL NAKs for WORK sent since the last confirmed flush.
    queue_full_naks: usize,
    /// A refused WORK must go out again once the frames in hand are handled.
    resend_due: bool,
    /// The last STATUS counter reading was refused.
    jumping: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("link", &self.name)
            .field("identity", &self.identity)
            .field("active", &self.active.len())
            .finish()
    }
}

impl Driver {
    /// Opens a board: identifies it (retrying up to `config.identify_tries`).
    pub fn new(link: Box<dyn Link>, config: DriverConfig) -> Result<Self, DriverError> {
        let name = link.name();
        let mut driver = Driver {
            link,
            name,
            meter: HashrateMeter::new(config.short_window, config.long_window),
            config,
            decoder: FrameDecoder::new(),
            identity: Identity {
                protocol_version: 0,
                build_id: 0,
                cores: 0,
                rounds_per_clk: 0,
                core_clock_hz: 0,
                flags: 0,
                queue_depth: 0,
            },
            next_tag: 0,
            seq: 0,
            active: BTreeMap::new(),
            flushed: BTreeMap::new(),
            backlog: VecDeque::new(),
            expected: VecDeque::new(),
            last_request: Instant::now(),
            stats: BoardStats::default(),
            last_status: None,
            silent_attempts: 0,
            idle_strikes: 0,
            sent: Vec::new(),
            depth_limit: u8::MAX,
            queue_full_naks: 0,
            resend_due: false,
            jumping: false,
        };
        let tries = driver.config.identify_tries.max(1);
        for _ in 0..tries {
            if let Some(identity) = driver.identify_once()? {
                driver.adopt(identity);
                return Ok(driver);
            }
        }
        Err(DriverError::NoIdentity {
            link: driver.name,
            tries,
        })
    }

    /// The link's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the board said about itself.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Hashes per second the board should reach by its IDENTITY:
    /// cores × rounds_per_clk / 64 × clock.
    pub fn expected_hashrate(&self) -> f64 {
        self.identity.nominal_hashrate()
    }

    /// Counters so far.
    pub fn stats(&self) -> &BoardStats {
        &self.stats
    }

    /// The hashrate meter fed by STATUS.
    pub fn meter(&self) -> &HashrateMeter {
        &self.meter
    }

    /// The last STATUS the board sent.
    pub fn last_status(&self) -> Option<&Status> {
        self.last_status.as_ref()
    }

    /// Work units on the board (running or queued) plus those waiting to be sent.
    pub fn outstanding(&self) -> usize {
        self.active.len() + self.backlog.len()
    }

    /// How many more units the driver wants to keep the board's queue full.
    pub fn wants(&self) -> usize {
        self.slots().saturating_sub(self.outstanding())
    }

    fn slots(&self) -> usize {
        usize::from(self.queue_depth()) + 1
    }

    /// The queue depth the driver uses: the IDENTITY's, or less when the board
    /// refused work below it.
    pub fn queue_depth(&self) -> u8 {
        self.identity.queue_depth.min(self.depth_limit)
    }

    /// Takes a board's IDENTITY; reports the fields no board has.
    fn adopt(&mut self, identity: Identity) {
        self.identity = identity;
        for (field, value) in identity.problems() {
            self.sent
                .push(DeviceEvent::Anomaly(Anomaly::Identity { field, value }));
        }
    }

    /// Rate beyond which a STATUS counter cannot be right.
    fn max_rate(&self) -> f64 {
        self.identity.nominal_hashrate().max(MIN_PLAUSIBLE_RATE) * RATE_TOLERANCE
    }

    /// Hands a unit to the board; it is sent as soon as the board has room.
    pub fn push(&mut self, unit: WorkUnit) -> Result<(), DriverError> {
        self.backlog.push_back(unit);
        self.pump()
    }

    /// Abandons all work on the board and waiting in the driver. Results of
    /// the abandoned units that still arrive are discarded; a
    /// [`DeviceEvent::Flushed`] follows when the board confirms.
    pub fn flush(&mut self) -> Result<(), DriverError> {
        self.backlog.clear();
        self.abandon_active()?;
        Ok(())
    }

    /// Moves every active unit to the flushed set and sends FLUSH; returns
    /// the abandoned units in the order they were sent.
    fn abandon_active(&mut self) -> Result<Vec<WorkUnit>, DriverError> {
        let mut slots: Vec<(u8, Slot)> = std::mem::take(&mut self.active).into_iter().collect();
        slots.sort_by_key(|(_, s)| s.seq);
        let mut units = Vec::with_capacity(slots.len());
        for (tag, slot) in slots {
            self.flushed.insert(tag, slot.unit.id);
            units.push(slot.unit);
        }
        self.send(&HostFrame::Flush)?;
        self.expected
            .push_back(StatusCause::Flush { at: Instant::now() });
        Ok(units)
    }

    /// Flushes and re-sends every unit the board had: used when a WORK frame
    /// may have been lost.
    fn resend_active(&mut self) -> Result<(), DriverError> {
        let units = self.abandon_active()?;
        self.stats.resent += units.len() as u64;
        for unit in units.into_iter().rev() {
            self.backlog.push_front(unit);
        }
        self.pump()
    }

    fn send(&mut self, frame: &HostFrame) -> Result<u64, DriverError> {
        self.link.write_all(&frame.encode())?;
        self.seq += 1;
        Ok(self.seq)
    }

    fn alloc_tag(&mut self) -> Option<u8> {
        for _ in 0..=u8::MAX {
            let tag = self.next_tag;
            self.next_tag = self.next_tag.wrapping_add(1);
            if !self.active.contains_key(&tag) && !self.flushed.contains_key(&tag) {
                return Some(tag);
            }
        }
        None
    }

    /// Sends waiting units while the board has room.
    fn pump(&mut self) -> Result<(), DriverError> {
        while self.active.len() < self.slots() {
            let Some(tag) = self.alloc_tag() else { break };
            let Some(unit) = self.backlog.pop_front() else {
                break;
            };
            let seq = self.send(&HostFrame::Work(Work {
                tag,
                midstate: unit.midstate,
                tail: unit.tail,
                nonce_start: Nonce(unit.nonce_start),
                nonce_end: Nonce(unit.nonce_end),
                threshold: unit.threshold,
            }))?;
            self.sent.push(DeviceEvent::Sent {
                id: unit.id,
                at: Instant::now(),
            });
            self.active.insert(
                tag,
                Slot {
                    unit,
                    seq,
                    started: false,
                    found: HashSet::new(),
                },
            );
        }
        Ok(())
    }

    /// One IDENTIFY exchange: `Ok(None)` when no IDENTITY came within the deadline.
    fn identify_once(&mut self) -> Result<Option<Identity>, DriverError> {
        self.send(&HostFrame::Identify)?;
        let deadline = Instant::now() + self.config.answer_deadline;
        let mut buf = [0u8; 256];
        while Instant::now() < deadline {
            let wait = deadline.saturating_duration_since(Instant::now());
            let n = self.link.read(&mut buf, wait)?;
            for frame in self.receive(&buf[..n]) {
                match frame {
                    Ok(BoardFrame::Identity(identity)) => {
                        if identity.protocol_version != PROTOCOL_VERSION {
                            return Err(DriverError::Version {
                                link: self.name.clone(),
                                version: identity.protocol_version,
                            });
                        }
                        return Ok(Some(identity));
                    }
                    Ok(_) => {}
                    Err(_) => self.stats.bad_frames += 1,
                }
            }
        }
        Ok(None)
    }

    /// Reads the link for up to `timeout`, sends STATUS_REQUEST when due,
    /// keeps the queue full, and returns what happened. An error means the
    /// board is gone.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<DeviceEvent>, DriverError> {
        self.pump()?;
        let mut events = std::mem::take(&mut self.sent);
        let now = Instant::now();
        if self.expected.is_empty()
            && now.duration_since(self.last_request) >= self.config.status_interval
        {
            self.request_status()?;
        }
        let overdue = self
            .expected
            .front()
            .is_some_and(|cause| now.duration_since(cause.at()) > self.config.answer_deadline);
        if overdue || self.silent_attempts > 0 {
            self.recover(&mut events)?;
            return Ok(events);
        }
        let mut buf = [0u8; 512];
        let n = self.link.read(&mut buf, timeout)?;
        for frame in self.receive(&buf[..n]) {
            match frame {
                Ok(frame) => self.handle(frame, &mut events)?,
                Err(_) => self.stats.bad_frames += 1,
            }
        }
        if std::mem::take(&mut self.resend_due) {
            self.resend_active()?;
        }
        self.pump()?;
        events.append(&mut self.sent);
        Ok(events)
    }

    /// Decodes received bytes; an empty read (the line went idle) ends any
    /// partial frame, since a board never pauses inside one.
    fn receive(&mut self, bytes: &[u8]) -> Vec<Result<BoardFrame, FrameError>> {
        if bytes.is_empty() {
            return self.decoder.idle().map(Err).into_iter().collect();
        }
        self.decoder.push(bytes).collect()
    }

    /// Asks the board for STATUS now (also done periodically by [`poll`](Self::poll)).
    pub fn request_status(&mut self) -> Result<(), DriverError> {
        let seq = self.send(&HostFrame::StatusRequest)?;
        let at = Instant::now();
        self.last_request = at;
        self.expected.push_back(StatusCause::Request { seq, at });
        Ok(())
    }

    /// Silence: one re-identify attempt per poll, up to the configured
    /// tries, then give up.
    fn recover(&mut self, events: &mut Vec<DeviceEvent>) -> Result<(), DriverError> {
        if self.silent_attempts == 0 {
            self.stats.silences += 1;
        }
        self.expected.clear();
        let tries = self.config.identify_tries.max(1);
        if self.silent_attempts >= tries {
            return Err(DriverError::Silent {
                link: self.name.clone(),
                tries,
            });
        }
        self.silent_attempts += 1;
        events.push(DeviceEvent::Silent {
            attempt: self.silent_attempts,
        });
        if let Some(identity) = self.identify_once()? {
            self.silent_attempts = 0;
            if identity != self.identity {
                self.adopt(identity);
            }
            events.push(DeviceEvent::Recovered(identity));
            self.last_request = Instant::now();
            // The board may have reset: abandon what it had and send it again.
            self.resend_active()?;
        }
        Ok(())
    }

    fn handle(
        &mut self,
        frame: BoardFrame,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        match frame {
            BoardFrame::Result { tag, nonce } => self.on_result(tag, nonce.0, events),
            BoardFrame::Done { tag } => {
                if let Some(slot) = self.active.remove(&tag) {
                    self.stats.units_done += 1;
                    events.push(DeviceEvent::Done { id: slot.unit.id });
                } else if self.flushed.contains_key(&tag) {
                    self.stats.flushed_results += 1;
                } else {
                    self.stats.unknown_tags += 1;
                }
            }
            BoardFrame::Status(status) => self.on_status(status, events)?,
            BoardFrame::Nak {
                reason,
                refused_type: refused,
            } => {
                self.stats.naks += 1;
                events.push(DeviceEvent::Nak { reason, refused });
                match refused {
                    TYPE_WORK if reason == NakReason::QueueFull => self.on_queue_full(events),
                    TYPE_WORK if reason != NakReason::BadRange => self.resend_due = true,
                    TYPE_FLUSH => {
                        self.send(&HostFrame::Flush)?;
                    }
                    TYPE_STATUS_REQUEST => {
                        if let Some(i) = self
                            .expected
                            .iter()
                            .position(|c| matches!(c, StatusCause::Request { .. }))
                        {
                            self.expected.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            BoardFrame::Identity(identity) => self.on_identity(identity, events)?,
        }
        Ok(())
    }

    /// An IDENTITY nobody asked for: a late answer changes nothing; other figures
    /// mean a reset or a new bitstream.
    fn on_identity(
        &mut self,
        identity: Identity,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        if identity.protocol_version != PROTOCOL_VERSION {
            return Err(DriverError::Version {
                link: self.name.clone(),
                version: identity.protocol_version,
            });
        }
        if identity == self.identity {
            return Ok(());
        }
        self.adopt(identity);
        self.depth_limit = u8::MAX;
        events.append(&mut self.sent);
        events.push(DeviceEvent::Anomaly(Anomaly::Reidentified(identity)));
        self.resend_due = true;
        Ok(())
    }

    /// A WORK refused for a full queue. NAKs that arrive while a flush is
    /// outstanding answer WORK sent before it and are already dealt with; the others
    /// say how many units the board really holds, and the driver believes that over
    /// the IDENTITY (it never raises the limit again until the board re-identifies).
    fn on_queue_full(&mut self, events: &mut Vec<DeviceEvent>) {
        let flushing = self
            .expected
            .iter()
            .any(|c| matches!(c, StatusCause::Flush { .. }));
        if flushing {
            return;
        }
        self.queue_full_naks += 1;
        let holds = self.active.len().saturating_sub(self.queue_full_naks);
        let believed = u8::try_from(holds.saturating_sub(1)).unwrap_or(u8::MAX);
        if believed < self.queue_depth() {
            self.depth_limit = believed;
            events.push(DeviceEvent::Anomaly(Anomaly::QueueShorter {
                claimed: self.identity.queue_depth,
                believed,
            }));
        }
        self.resend_due = true;
    }

    fn on_result(&mut self, tag: u8, nonce: u32, events: &mut Vec<DeviceEvent>) {
        let Some(slot) = self.active.get_mut(&tag) else {
            if self.flushed.contains_key(&tag) {
                self.stats.flushed_results += 1;
            } else {
                self.stats.unknown_tags += 1;
            }
            return;
        };
        let unit = &slot.unit;
        let hash = unit.midstate.hash_with(&unit.tail, Nonce(nonce));
        let in_range = (unit.nonce_start..=unit.nonce_end).contains(&nonce);
        if !in_range || hash.leading_word() > unit.threshold {
            self.stats.hardware_errors += 1;
            events.push(DeviceEvent::HardwareError {
                id: unit.id,
                nonce: Nonce(nonce),
            });
            return;
        }
        if !slot.found.insert(nonce) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.found += 1;
        events.push(DeviceEvent::Found {
            id: unit.id,
            nonce: Nonce(nonce),
            hash,
        });
    }

    fn on_status(
        &mut self,
        status: Status,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        let previous = self.last_status.map(|s| s.nonces_hashed);
        let counted = self
            .meter
            .record(Instant::now(), status.nonces_hashed, self.max_rate());
        if !counted {
            self.stats.counter_jumps += 1;
            // One report per run of refused readings.
            if self.stats.counter_jumps == 1 || !self.jumping {
                events.push(DeviceEvent::Anomaly(Anomaly::CounterJump {
                    from: previous.unwrap_or(0),
                    to: status.nonces_hashed,
                }));
            }
        }
        self.jumping = !counted;
        self.stats.board_bad_frames = status.bad_frames;
        let dropped = match self.last_status {
            Some(last) if status.dropped_results >= last.dropped_results => {
                status.dropped_results - last.dropped_results
            }
            // The first reading, or a counter that restarted with the board.
            _ => status.dropped_results,
        };
        self.stats.dropped_results = self
            .stats
            .dropped_results
            .saturating_add(u64::from(dropped));
        self.stats.board_dropped_results = status.dropped_results;
        self.last_status = Some(status);
        match self.expected.pop_front() {
            Some(StatusCause::Flush { .. }) => {
                let ids = std::mem::take(&mut self.flushed).into_values().collect();
                self.queue_full_naks = 0;
                events.push(DeviceEvent::Flushed { ids });
            }
            Some(StatusCause::Request { seq, .. }) => {
                let hashing = status.state & 1 != 0;
                if hashing {
                    if let Some(slot) = self.active.get_mut(&status.tag) {
                        if !slot.started {
                            slot.started = true;
                            events.push(DeviceEvent::Started { id: slot.unit.id });
                        }
                    }
                }
                // An idle board with nothing queued, asked after every unit we
                // think it has was sent: those WORK frames were lost.
                let lost = !hashing
                    && status.queued == 0
                    && self.flushed.is_empty()
                    && !self.active.is_empty()
                    && self.active.values().all(|s| s.seq < seq);
                // Two such answers in a row, so that a DONE the board sends
                // after its STATUS is not mistaken for lost work.
                self.idle_strikes = if lost { self.idle_strikes + 1 } else { 0 };
                if self.idle_strikes >= 2 {
                    self.idle_strikes = 0;
                    self.resend_active()?;
                }
            }
            None => {}
        }
        events.push(DeviceEvent::Status(status));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The driver against a scripted board, for what the simulated board
    //! cannot do: corrupted nonces, refusals, silence.
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::hash::Header;

    const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";
    const GENESIS_NONCE: u32 = 0x7c2b_ac1d;

    /// A scripted board: decodes host frames by their type byte and lets the
    /// test decide what comes back.
    #[derive(Default)]
    struct Board {
        sent: Vec<Vec<u8>>,
        replies: VecDeque<u8>,
        silent: bool,
        identity_replies: bool,
    }

    #[derive(Clone)]
    struct FakeLink(Arc<Mutex<Board>>);

    impl Link for FakeLink {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
            let mut b = self.0.lock().unwrap();
            b.sent.push(bytes.to_vec());
            if bytes[1] == 0x01 && b.identity_replies && !b.silent {
                let id = BoardFrame::Identity(identity()).encode();
                b.replies.extend(id);
            }
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
            let mut b = self.0.lock().unwrap();
            if b.replies.is_empty() {
                drop(b);
                std::thread::sleep(timeout.min(Duration::from_millis(2)));
                return Ok(0);
            }
            let n = buf.len().min(b.replies.len());
            for slot in buf.iter_mut().take(n) {
                *slot = b.replies.pop_front().unwrap();
            }
            Ok(n)
        }
        fn name(&self) -> String {
            "fake".into()
        }
    }

    fn identity() -> Identity {
        Identity {
            protocol_version: 1,
            build_id: 0x414d_4231,
            cores: 2,
            rounds_per_clk: 4,
            core_clock_hz: 48_000_000,
            flags: 1,
            queue_depth: 2,
        }
    }

    fn setup() -> (Arc<Mutex<Board>>, Driver) {
        let board = Arc::new(Mutex::new(Board {
            identity_replies: true,
            ..Board::default()
        }));
        let config = DriverConfig {
            status_interval: Duration::from_secs(3600),
            answer_deadline: Duration::from_millis(50),
            identify_tries: 2,
            ..DriverConfig::default()
        };
        let driver = Driver::new(Box::new(FakeLink(board.clone())), config).unwrap();
        (board, driver)
    }

    fn unit(id: u64) -> WorkUnit {
        let h = Header::from_hex(GENESIS).unwrap();
        WorkUnit {
            id,
            midstate: h.midstate(),
            tail: h.tail(),
            nonce_start: 0x7c2b_0000,
            nonce_end: 0x7c2b_ffff,
            threshold: 0,
        }
    }

    fn reply(board: &Arc<Mutex<Board>>, frame: BoardFrame) {
        board.lock().unwrap().replies.extend(frame.encode());
    }

    /// Tags of WORK frames the host sent, in order.
    fn work_tags(board: &Arc<Mutex<Board>>) -> Vec<u8> {
        board
            .lock()
            .unwrap()
            .sent
            .iter()
            .filter(|f| f[1] == 0x02)
            .map(|f| f[3])
            .collect()
    }

    fn poll_all(driver: &mut Driver) -> Vec<DeviceEvent> {
        let mut all = Vec::new();
        for _ in 0..4 {
            all.extend(driver.poll(Duration::from_millis(1)).unwrap());
        }
        all
    }

    #[test]
    fn identify_gives_expected_hashrate() {
        let (_, driver) = setup();
        assert_eq!(driver.identity().queue_depth, 2);
        // 2 cores × 4/64 nonces per clock × 48 MHz
        assert_eq!(driver.expected_hashrate(), 6_000_000.0);
    }

    #[test]
    fn no_identity_is_a_clear_error() {
        let board = Arc::new(Mutex::new(Board::default()));
        let config = DriverConfig {
            answer_deadline: Duration::from_millis(20),
            identify_tries: 2,
            ..DriverConfig::default()
        };
        let err = Driver::new(Box::new(FakeLink(board)), config).unwrap_err();
        assert!(
            matches!(err, DriverError::NoIdentity { tries: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn keeps_queue_full_and_sends_next_after_done() {
        let (board, mut driver) = setup();
        for id in 0..5 {
            driver.push(unit(id)).unwrap();
        }
        // one running + queue depth 2
        assert_eq!(work_tags(&board).len(), 3);
        assert_eq!(driver.wants(), 0);
        let first = work_tags(&board)[0];
        reply(&board, BoardFrame::Done { tag: first });
        let events = poll_all(&mut driver);
        assert!(events.contains(&DeviceEvent::Done { id: 0 }));
        assert_eq!(work_tags(&board).len(), 4);
    }

    #[test]
    fn genuine_nonce_is_found_once_and_duplicate_dropped() {
        let (board, mut driver) = setup();
        driver.push(unit(9)).unwrap();
        let tag = work_tags(&board)[0];
        reply(
            &board,
            BoardFrame::Result {
                tag,
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        reply(
            &board,
            BoardFrame::Result {
                tag,
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        let events = poll_all(&mut driver);
        let found: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, DeviceEvent::Found { .. }))
            .collect();
        assert_eq!(found.len(), 1);
        let DeviceEvent::Found { id, nonce, hash } = found[0] else {
            unreachable!()
        };
        assert_eq!((*id, *nonce), (9, Nonce(GENESIS_NONCE)));
        let header = Header::from_hex(GENESIS).unwrap();
        assert_eq!(*hash, header.hash());
        assert_eq!(driver.stats().duplicates, 1);
    }

    #[test]
    fn corrupted_nonce_is_a_hardware_error() {
        let (board, mut driver) = setup();
        driver.push(unit(3)).unwrap();
        let tag = work_tags(&board)[0];
        reply(
            &board,
            BoardFrame::Result {
                tag,
                nonce: Nonce(GENESIS_NONCE ^ 0x100),
            },
        );
        let events = poll_all(&mut driver);
        assert!(events.contains(&DeviceEvent::HardwareError {
            id: 3,
            nonce: Nonce(GENESIS_NONCE ^ 0x100)
        }));
        assert!(!events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Found { .. })));
        assert_eq!(driver.stats().hardware_errors, 1);
    }

    #[test]
    fn nonce_outside_the_range_is_a_hardware_error() {
        let (board, mut driver) = setup();
        let mut u = unit(4);
        u.nonce_end = 0x7c2b_0fff;
        driver.push(u).unwrap();
        let tag = work_tags(&board)[0];
        reply(
            &board,
            BoardFrame::Result {
                tag,
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        poll_all(&mut driver);
        assert_eq!(driver.stats().hardware_errors, 1);
        assert_eq!(driver.stats().found, 0);
    }

    #[test]
    fn flush_discards_old_results_and_new_tags_differ() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        driver.push(unit(2)).unwrap();
        let old = work_tags(&board);
        driver.flush().unwrap();
        driver.push(unit(3)).unwrap();
        let new_tag = *work_tags(&board).last().unwrap();
        assert!(!old.contains(&new_tag));
        // a result of the flushed unit arrives before the flush STATUS
        reply(
            &board,
            BoardFrame::Result {
                tag: old[0],
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        reply(&board, BoardFrame::Status(status(old[0], 0)));
        let events = poll_all(&mut driver);
        assert!(!events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Found { .. })));
        assert!(events.contains(&DeviceEvent::Flushed { ids: vec![1, 2] }));
        assert_eq!(driver.stats().flushed_results, 1);
        // the new unit's results count
        reply(
            &board,
            BoardFrame::Result {
                tag: new_tag,
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        let events = poll_all(&mut driver);
        assert!(events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Found { id: 3, .. })));
    }

    fn status(tag: u8, hashed: u64) -> Status {
        Status {
            tag,
            state: 1,
            queued: 0,
            nonces_hashed: hashed,
            bad_frames: 0,
            dropped_results: 0,
        }
    }

    #[test]
    fn queue_full_nak_resends_the_work() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        reply(
            &board,
            BoardFrame::Nak {
                reason: NakReason::QueueFull,
                refused_type: TYPE_WORK,
            },
        );
        poll_all(&mut driver);
        let tags = work_tags(&board);
        assert_eq!(tags.len(), 2, "the unit went out again");
        assert_ne!(tags[0], tags[1], "under a fresh tag");
        assert_eq!(driver.stats().resent, 1);
    }

    #[test]
    fn status_feeds_hashrate_and_marks_started() {
        let (board, mut driver) = setup();
        driver.push(unit(5)).unwrap();
        let tag = work_tags(&board)[0];
        driver.request_status().unwrap();
        reply(&board, BoardFrame::Status(status(tag, 1000)));
        let events = poll_all(&mut driver);
        assert!(events.contains(&DeviceEvent::Started { id: 5 }));
        std::thread::sleep(Duration::from_millis(20));
        driver.request_status().unwrap();
        reply(&board, BoardFrame::Status(status(tag, 3000)));
        poll_all(&mut driver);
        assert_eq!(driver.meter().total(), 2000);
        assert!(driver.meter().short_rate() > 0.0);
        assert!(driver.meter().long_rate() > 0.0);
    }

    #[test]
    fn silent_board_is_reported_then_given_up() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        board.lock().unwrap().silent = true;
        driver.request_status().unwrap();
        let mut events = Vec::new();
        let err = loop {
            match driver.poll(Duration::from_millis(5)) {
                Ok(e) => events.extend(e),
                Err(err) => break err,
            }
        };
        assert!(matches!(err, DriverError::Silent { tries: 2, .. }), "{err}");
        assert!(events.contains(&DeviceEvent::Silent { attempt: 1 }));
        assert!(events.contains(&DeviceEvent::Silent { attempt: 2 }));
    }

    #[test]
    fn silent_board_that_comes_back_gets_its_work_again() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        driver.request_status().unwrap();
        let mut events = Vec::new();
        for _ in 0..40 {
            events.extend(driver.poll(Duration::from_millis(5)).unwrap());
            if events
                .iter()
                .any(|e| matches!(e, DeviceEvent::Recovered(_)))
            {
                break;
            }
        }
        assert!(events.contains(&DeviceEvent::Silent { attempt: 1 }));
        assert!(events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Recovered(_))));
        assert_eq!(work_tags(&board).len(), 2, "work re-sent after recovery");
    }

    #[test]
    fn idle_status_after_work_means_lost_work_and_it_is_resent() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        driver.request_status().unwrap();
        let mut idle = status(0, 0);
        idle.state = 0;
        reply(&board, BoardFrame::Status(idle));
        poll_all(&mut driver);
        assert_eq!(work_tags(&board).len(), 1, "one idle answer is not enough");
        driver.request_status().unwrap();
        reply(&board, BoardFrame::Status(idle));
        poll_all(&mut driver);
        assert_eq!(work_tags(&board).len(), 2);
    }

    #[test]
    fn garbage_from_the_board_is_counted_not_fatal() {
        let (board, mut driver) = setup();
        driver.push(unit(1)).unwrap();
        let tag = work_tags(&board)[0];
        let mut bad = BoardFrame::Done { tag }.encode();
        bad[3] ^= 0xff;
        board.lock().unwrap().replies.extend(bad);
        board.lock().unwrap().replies.extend([0x00, 0x13, 0x37]);
        reply(
            &board,
            BoardFrame::Result {
                tag,
                nonce: Nonce(GENESIS_NONCE),
            },
        );
        let events = poll_all(&mut driver);
        assert!(driver.stats().bad_frames >= 1);
        assert!(events
            .iter()
            .any(|e| matches!(e, DeviceEvent::Found { .. })));
    }
}
