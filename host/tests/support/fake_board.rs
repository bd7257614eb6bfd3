//! A board in software at the link level: it decodes the host's frames with the
//! project's own codec, sweeps WORK ranges with the reference hasher and answers
//! with RESULT, DONE, STATUS and NAK frames, so the real driver and mining loop
//! run against it. Faults on demand: a queue shorter than its IDENTITY says, an
//! absurd IDENTITY, a STATUS counter that jumps, results dropped on the board.
//!
//! Self-contained (std and amber only) so that any test crate can include it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use amber::device::protocol::{
    BoardFrame, FrameDecoder, HostFrame, Identity, NakReason, Status, Work,
};
use amber::hash::Nonce;
use amber::link::{Link, LinkError};

/// WORK frame type byte, as a NAK names it.
const TYPE_WORK: u8 = 0x02;

/// What the fake board is and how it misbehaves.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// What IDENTIFY is answered with.
    pub identity: Identity,
    /// Work items the board really queues beyond the running one (may be fewer
    /// than IDENTITY claims: the excess is refused with NAK QUEUE_FULL).
    pub real_queue: usize,
    /// Nonces hashed per `read` call.
    pub nonces_per_read: u32,
    /// Drop every n-th result (counted in STATUS `dropped_results`), as a result
    /// FIFO that overflows would.
    pub drop_every: Option<u32>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            identity: Identity {
                protocol_version: 1,
                build_id: 0x4641_4b45,
                cores: 1,
                rounds_per_clk: 64,
                core_clock_hz: 1_000_000,
                flags: 1,
                queue_depth: 2,
            },
            real_queue: 2,
            nonces_per_read: 512,
            drop_every: None,
        }
    }
}

struct Running {
    work: Work,
    next: u64,
}

/// Frame counts and faults the test can read and set while the board runs.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// WORK frames received.
    pub work: u64,
    /// FLUSH frames received.
    pub flush: u64,
    /// STATUS_REQUEST frames received.
    pub status_requests: u64,
    /// WORK frames refused with QUEUE_FULL.
    pub queue_full: u64,
    /// Results sent.
    pub results: u64,
    /// Results dropped (as `dropped_results` counts them).
    pub dropped: u32,
}

struct Board {
    cfg: FakeConfig,
    decoder: FrameDecoder<HostFrame>,
    out: VecDeque<u8>,
    running: Option<Running>,
    queue: VecDeque<Work>,
    last_tag: u8,
    hashed: u64,
    /// When set, STATUS reports this instead of the real counter.
    counter: Option<u64>,
    results_seen: u32,
    counts: Counts,
}

impl Board {
    fn send(&mut self, frame: BoardFrame) {
        self.out.extend(frame.encode());
    }

    fn status(&self) -> Status {
        Status {
            tag: self.running.as_ref().map_or(self.last_tag, |r| r.work.tag),
            state: u8::from(self.running.is_some()),
            queued: self.queue.len() as u8,
            nonces_hashed: self.counter.unwrap_or(self.hashed),
            bad_frames: 0,
            dropped_results: self.counts.dropped,
        }
    }

    fn host_frame(&mut self, frame: HostFrame) {
        match frame {
            HostFrame::Identify => self.send(BoardFrame::Identity(self.cfg.identity)),
            HostFrame::Work(work) => {
                self.counts.work += 1;
                if work.nonce_end.0 < work.nonce_start.0 {
                    self.send(BoardFrame::Nak {
                        reason: NakReason::BadRange,
                        refused_type: TYPE_WORK,
                    });
                } else if self.running.is_none() {
                    self.start(work);
                } else if self.queue.len() < self.cfg.real_queue {
                    self.queue.push_back(work);
                } else {
                    self.counts.queue_full += 1;
                    self.send(BoardFrame::Nak {
                        reason: NakReason::QueueFull,
                        refused_type: TYPE_WORK,
                    });
                }
            }
            HostFrame::Flush => {
                self.counts.flush += 1;
                if let Some(r) = self.running.take() {
                    self.last_tag = r.work.tag;
                }
                self.queue.clear();
                let status = self.status();
                self.send(BoardFrame::Status(status));
            }
            HostFrame::StatusRequest => {
                self.counts.status_requests += 1;
                let status = self.status();
                self.send(BoardFrame::Status(status));
            }
        }
    }

    fn start(&mut self, work: Work) {
        self.last_tag = work.tag;
        self.running = Some(Running {
            next: u64::from(work.nonce_start.0),
            work,
        });
    }

    /// Hashes up to `n` nonces of the running work (and the queued work after it).
    fn hash(&mut self, mut n: u32) {
        while n > 0 {
            let Some(r) = self.running.as_mut() else {
                return;
            };
            let end = u64::from(r.work.nonce_end.0);
            let nonce = r.work.order.nonce(r.next as u32).0;
            let hash = r.work.midstate.hash_with(&r.work.tail, Nonce(nonce));
            let threshold = r.work.threshold;
            let tag = r.work.tag;
            r.next += 1;
            let finished = r.next > end;
            self.hashed = self.hashed.wrapping_add(1);
            n -= 1;
            if hash.leading_word() <= threshold {
                self.results_seen += 1;
                let drop = self
                    .cfg
                    .drop_every
                    .is_some_and(|k| self.results_seen % k == 0);
                if drop {
                    self.counts.dropped = self.counts.dropped.saturating_add(1);
                } else {
                    self.counts.results += 1;
                    self.send(BoardFrame::Result {
                        tag,
                        nonce: Nonce(nonce),
                    });
                }
            }
            if finished {
                self.send(BoardFrame::Done { tag });
                self.running = None;
                if let Some(next) = self.queue.pop_front() {
                    self.start(next);
                }
            }
        }
    }
}

/// The test's handle on a fake board.
#[derive(Clone)]
pub struct FakeBoard(Arc<Mutex<Board>>);

/// The driver's side of a fake board.
pub struct FakeLink {
    board: FakeBoard,
    name: String,
}

impl FakeBoard {
    /// A board with `cfg`, and the link to give the driver.
    pub fn new(cfg: FakeConfig, name: &str) -> (FakeBoard, FakeLink) {
        let board = FakeBoard(Arc::new(Mutex::new(Board {
            decoder: FrameDecoder::for_version(cfg.identity.protocol_version),
            cfg,
            out: VecDeque::new(),
            running: None,
            queue: VecDeque::new(),
            last_tag: 0,
            hashed: 0,
            counter: None,
            results_seen: 0,
            counts: Counts::default(),
        })));
        let link = FakeLink {
            board: board.clone(),
            name: name.to_string(),
        };
        (board, link)
    }

    fn lock(&self) -> MutexGuard<'_, Board> {
        self.0.lock().unwrap()
    }

    /// Frame counts so far.
    pub fn counts(&self) -> Counts {
        self.lock().counts.clone()
    }

    /// STATUS reports `value` as nonces hashed from now on (`None`: the real count).
    pub fn set_counter(&self, value: Option<u64>) {
        self.lock().counter = value;
    }

    /// Sends an unsolicited frame (an IDENTITY after a reset, say).
    pub fn inject(&self, frame: BoardFrame) {
        self.lock().send(frame);
    }

    /// Changes what IDENTIFY is answered with (and the version it decodes).
    pub fn set_identity(&self, identity: Identity) {
        let mut b = self.lock();
        b.cfg.identity = identity;
        b.decoder = FrameDecoder::for_version(identity.protocol_version);
    }
}

impl Link for FakeLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let mut b = self.board.lock();
        let frames: Vec<_> = b.decoder.push(bytes).collect();
        for frame in frames.into_iter().flatten() {
            b.host_frame(frame);
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let mut b = self.board.lock();
        let n = b.cfg.nonces_per_read;
        b.hash(n);
        if b.out.is_empty() {
            drop(b);
            std::thread::sleep(timeout.min(Duration::from_millis(1)));
            return Ok(0);
        }
        let n = buf.len().min(b.out.len());
        for slot in buf.iter_mut().take(n) {
            *slot = b.out.pop_front().unwrap();
        }
        Ok(n)
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}
