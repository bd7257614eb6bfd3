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

use super::events::{Anomaly, BoardStats, DeviceEvent, WorkUnit};
use super::meter::HashrateMeter;
use super::protocol::{
    BoardFrame, FrameDecoder, FrameError, HostFrame, Identity, Status, MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
};
use crate::link::Link;

mod error;
mod queue;
mod replies;

pub use error::DriverError;

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

/// How long a slow model's answer may take (see [`Link::is_slow_model`]).
const SLOW_MODEL_ANSWER_DEADLINE: Duration = Duration::from_secs(600);

/// How often to ask a slow model for STATUS. The interval is wall-clock time,
/// and a slow model's board sees only a few thousand clocks of it: asked as often
/// as hardware is, it would answer twice while its last results and DONE still
/// wait for the UART, which reads as lost work and gets the work sent again.
const SLOW_MODEL_STATUS_INTERVAL: Duration = Duration::from_secs(60);

impl DriverConfig {
    /// The default policy, with room for a slow model's answers on such a link.
    pub fn for_link(link: &dyn Link) -> Self {
        let mut config = DriverConfig::default();
        if link.is_slow_model() {
            config.answer_deadline = SLOW_MODEL_ANSWER_DEADLINE;
            config.status_interval = SLOW_MODEL_STATUS_INTERVAL;
        }
        config
    }
}

/// A work unit the board holds, running or queued, under its tag.
#[derive(Debug)]
struct UnitOnBoard {
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

/// True for the protocol versions this host speaks.
fn spoken(version: u8) -> bool {
    (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&version)
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
    active: BTreeMap<u8, UnitOnBoard>,
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

    /// The protocol version spoken with the board (its IDENTITY's).
    pub fn protocol_version(&self) -> u8 {
        self.identity.protocol_version
    }

    /// Hashes per second the board should reach by its IDENTITY
    /// ([`Identity::nominal_hashrate`]).
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
                        if !spoken(identity.protocol_version) {
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
}

#[cfg(test)]
mod tests {
    //! The driver against a scripted board, for what the simulated board
    //! cannot do: corrupted nonces, refusals, silence.
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::device::protocol::{FrameType, NakReason, NonceOrder, STATE_HASHING};
    use crate::hash::{Header, Nonce};
    use crate::link::LinkError;

    use crate::hash::GENESIS_HEADER_HEX as GENESIS;
    const GENESIS_NONCE: u32 = 0x7c2b_ac1d;

    /// A scripted board: decodes host frames by their type byte and lets the
    /// test decide what comes back.
    #[derive(Default)]
    struct Board {
        sent: Vec<Vec<u8>>,
        replies: VecDeque<u8>,
        silent: bool,
        identity_replies: bool,
        /// The IDENTITY's protocol version (`None`: 1).
        version: Option<u8>,
    }

    #[derive(Clone)]
    struct FakeLink(Arc<Mutex<Board>>);

    impl Link for FakeLink {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
            let mut b = self.0.lock().unwrap();
            b.sent.push(bytes.to_vec());
            if bytes[1] == 0x01 && b.identity_replies && !b.silent {
                let mut id = identity();
                id.protocol_version = b.version.unwrap_or(1);
                let id = BoardFrame::Identity(id).encode();
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

    #[test]
    fn a_slow_model_gets_minutes_to_answer_and_fewer_status_requests() {
        struct SlowModel;
        impl Link for SlowModel {
            fn write_all(&mut self, _: &[u8]) -> Result<(), LinkError> {
                Ok(())
            }
            fn read(&mut self, _: &mut [u8], _: Duration) -> Result<usize, LinkError> {
                Ok(0)
            }
            fn name(&self) -> String {
                "slow".into()
            }
            fn is_slow_model(&self) -> bool {
                true
            }
        }
        let board = FakeLink(Arc::default());
        let default = DriverConfig::default();
        let fast = DriverConfig::for_link(&board);
        let slow = DriverConfig::for_link(&SlowModel);
        assert_eq!(fast.answer_deadline, default.answer_deadline);
        assert_eq!(fast.status_interval, default.status_interval);
        assert!(slow.answer_deadline >= 60 * default.answer_deadline);
        assert!(slow.status_interval >= 60 * default.status_interval);
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
        setup_version(1)
    }

    fn setup_version(version: u8) -> (Arc<Mutex<Board>>, Driver) {
        let board = Arc::new(Mutex::new(Board {
            identity_replies: true,
            version: Some(version),
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
            order: NonceOrder::Number,
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

    /// Header-byte order: refused for a version 1 board, sent with its flag to a
    /// version 2 board, and results checked against the range as counters.
    #[test]
    fn header_byte_order_needs_version_2_and_ranges_are_counters() {
        let header_order = |id, start, end| WorkUnit {
            nonce_start: start,
            nonce_end: end,
            order: NonceOrder::HeaderBytes,
            ..unit(id)
        };
        let (_, mut v1) = setup();
        let err = v1
            .push(header_order(1, 0x1dac_0000, 0x1dac_ffff))
            .unwrap_err();
        assert!(
            matches!(
                err,
                DriverError::Unsupported {
                    version: 1,
                    needs: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("rebuild its bitstream"), "{err}");
        let (board, mut v2) = setup_version(2);
        assert_eq!(v2.protocol_version(), 2);
        v2.push(header_order(1, 0x1dac_0000, 0x1dac_ffff)).unwrap();
        // The genesis nonce's counter is outside this one: a hardware error.
        v2.push(header_order(2, 0x7c2b_0000, 0x7c2b_ffff)).unwrap();
        let works: Vec<Vec<u8>> = board
            .lock()
            .unwrap()
            .sent
            .iter()
            .filter(|f| f[1] == 0x02)
            .cloned()
            .collect();
        assert_eq!(works.len(), 2);
        assert_eq!(
            (works[0][2], works[0][60]),
            (58, 0x01),
            "LEN 58, flags bit 0"
        );
        for work in &works {
            reply(
                &board,
                BoardFrame::Result {
                    tag: work[3],
                    nonce: Nonce(GENESIS_NONCE),
                },
            );
        }
        let events = poll_all(&mut v2);
        assert!(events.iter().any(
            |e| matches!(e, DeviceEvent::Found { id: 1, nonce, .. } if nonce.0 == GENESIS_NONCE)
        ));
        assert!(events
            .iter()
            .any(|e| matches!(e, DeviceEvent::HardwareError { id: 2, .. })));
        // Number order to a version 2 board: LEN 58, flags 0.
        v2.push(unit(3)).unwrap();
        let last = board.lock().unwrap().sent.last().cloned().unwrap();
        assert_eq!((last[1], last[2], last[60]), (0x02, 58, 0x00));
    }

    #[test]
    fn identify_gives_expected_hashrate() {
        let (_, driver) = setup();
        assert_eq!(driver.identity().queue_depth, 2);
        // 2 cores at 4 rounds per clock and 48 MHz (`board::hashes_per_clock`).
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
            state: STATE_HASHING,
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
                refused_type: FrameType::Work.code(),
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
