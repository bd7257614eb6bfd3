//! The interface a device driver takes work from, whether a pool or the benchmark,
//! and the share log every share outcome is written to.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Share, WorkItem};

/// Where work comes from: a pool manager or the benchmark. The driver calls
/// [`WorkSource::next_event`] regularly (work changes are announced there),
/// [`WorkSource::next_work`] to fill boards, and [`WorkSource::submit`] with every
/// share that passed [`WorkItem::check`].
///
/// A driver loop, with the benchmark standing in for a pool and a software sweep
/// standing in for a board:
///
/// ```
/// use std::time::Duration;
/// use amber::hash::Nonce;
/// use amber::work::{Benchmark, ShareLog, SourceEvent, WorkSource};
///
/// let mut source = Benchmark::new(ShareLog::default());
/// while let Some(event) = source.next_event(Duration::ZERO) {
///     if let SourceEvent::NewWork { clean: true, .. } = event { /* flush boards */ }
/// }
/// let item = source.next_work(16).expect("benchmark work");
/// for n in item.nonce_start..=item.nonce_end {
///     // A board reports nonces whose hash's top word is <= item.threshold ...
///     if item.midstate.hash_with(&item.tail, Nonce(n)).leading_word() <= item.threshold {
///         // ... and the host re-checks each one from the full header before submitting.
///         let check = item.check(Nonce(n));
///         assert!(check.passes_threshold, "otherwise: a hardware error, never submitted");
///         if check.meets_target {
///             source.submit(check.share);
///         }
///     }
/// }
/// assert_eq!(source.counts().accepted, 1);
/// ```
pub trait WorkSource: Send {
    /// A short name for status lines ("benchmark", "pool.example:3333").
    fn name(&self) -> String;

    /// Waits up to `timeout` for the next event; `None` on timeout.
    fn next_event(&mut self, timeout: Duration) -> Option<SourceEvent>;

    /// The next work item of up to `nonces` nonces, distinct from every item handed out
    /// before; `None` while no job is known (or the job's space is used up).
    fn next_work(&mut self, nonces: u32) -> Option<WorkItem>;

    /// Submits a share that met its item's share target. Its outcome arrives later as
    /// [`SourceEvent::Share`] and in the share log; it is never dropped silently.
    fn submit(&mut self, share: Share);

    /// Share outcomes so far.
    fn counts(&self) -> ShareCounts;

    /// Stops: waits up to `wait` for outstanding submissions to be answered, then
    /// records whatever is still unanswered as lost.
    fn shutdown(&mut self, wait: Duration);
}

/// Something the driver should know about.
#[derive(Debug)]
pub enum SourceEvent {
    /// New work is available. `clean`: work handed out before is void; flush boards.
    NewWork {
        /// Flush boards.
        clean: bool,
        /// Name of the pool (or "benchmark") the work comes from.
        pool: String,
        /// The job id (for display).
        job_id: String,
        /// Share difficulty of the new work.
        difficulty: f64,
    },
    /// A pool session is up (subscribed; `resumed`: the previous session was resumed).
    Connected {
        /// Pool name.
        pool: String,
        /// The pool resumed the previous session (same extranonce1).
        resumed: bool,
    },
    /// A pool connection ended; the client reconnects with backoff.
    Disconnected {
        /// Pool name.
        pool: String,
        /// Why.
        error: Box<dyn std::error::Error + Send + Sync>,
        /// When the next attempt is made.
        retry_in: Option<Duration>,
    },
    /// The pool sent a line that is not a usable Stratum message (counted and
    /// survived; after the first few, only every thousandth is reported).
    Malformed {
        /// Pool name.
        pool: String,
        /// What was wrong, with the start of the line.
        error: Box<dyn std::error::Error + Send + Sync>,
        /// Malformed lines from this pool so far.
        count: u64,
    },
    /// The final outcome of a share (also written to the share log).
    Share(ShareRecord),
}

/// Why a share was not submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Its job was voided by a `clean_jobs` notify.
    JobCleaned,
    /// The pool never sent (or has forgotten) its job.
    UnknownJob,
    /// The pool changed extranonce1 (`mining.set_extranonce`) since the work was cut.
    ExtranonceChanged,
    /// The pool changed the version bits the miner may roll since the work was cut.
    VersionMaskChanged,
    /// After a reconnect the pool started a new session (new extranonce1).
    SessionNotResumed,
    /// The pool would rebuild another header from the share than the one hashed
    /// (the job id now names other work).
    HeaderMismatch,
    /// The program stopped while the share was queued or unanswered.
    Shutdown,
    /// The share names a pool index the source does not have.
    UnknownPool,
}

impl DropReason {
    /// A stable snake_case name (used in the share log).
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::JobCleaned => "job_cleaned",
            DropReason::UnknownJob => "unknown_job",
            DropReason::ExtranonceChanged => "extranonce_changed",
            DropReason::VersionMaskChanged => "version_mask_changed",
            DropReason::SessionNotResumed => "session_not_resumed",
            DropReason::HeaderMismatch => "header_mismatch",
            DropReason::Shutdown => "shutdown",
            DropReason::UnknownPool => "unknown_pool",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one share.
#[derive(Clone, Debug, PartialEq)]
pub enum ShareResult {
    /// The pool (or the benchmark's own check) accepted it.
    Accepted,
    /// The pool rejected it.
    Rejected {
        /// The pool's error code, when it gave one.
        code: Option<i64>,
        /// The pool's message.
        message: String,
    },
    /// Not submitted: its job no longer stood while the pool was connected.
    Stale {
        /// Why.
        reason: DropReason,
    },
    /// Not submitted: the pool connection was away and the share could not be
    /// carried over.
    Lost {
        /// Why.
        reason: DropReason,
    },
}

/// One line of the share log.
#[derive(Clone, Debug, PartialEq)]
pub struct ShareRecord {
    /// Seconds since the Unix epoch when the outcome was known.
    pub time: f64,
    /// Pool name ("benchmark" for benchmark work).
    pub pool: String,
    /// The share.
    pub share: Share,
    /// What became of it.
    pub result: ShareResult,
}

impl ShareRecord {
    /// A record stamped with the current time.
    pub fn now(pool: String, share: Share, result: ShareResult) -> Self {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        ShareRecord {
            time,
            pool,
            share,
            result,
        }
    }

    /// The JSON-lines form: time, pool, job, nonce, extranonce2, ntime, version,
    /// difficulty, result and, unless accepted, reason (and code when rejected).
    pub fn to_json(&self) -> serde_json::Value {
        let s = &self.share;
        let mut v = serde_json::json!({
            "time": self.time,
            "pool": self.pool,
            "job": s.job_id,
            "nonce": s.nonce.submit_hex(),
            "extranonce1": hex::encode(&s.extranonce1),
            "extranonce2": hex::encode(&s.extranonce2),
            "ntime": format!("{:08x}", s.ntime),
            "version": format!("{:08x}", s.version),
            "difficulty": s.difficulty,
        });
        let (result, reason, code) = match &self.result {
            ShareResult::Accepted => ("accepted", None, None),
            ShareResult::Rejected { code, message } => ("rejected", Some(message.clone()), *code),
            ShareResult::Stale { reason } => ("stale", Some(reason.to_string()), None),
            ShareResult::Lost { reason } => ("lost", Some(reason.to_string()), None),
        };
        if let Some(obj) = v.as_object_mut() {
            obj.insert("result".into(), result.into());
            if let Some(reason) = reason {
                obj.insert("reason".into(), reason.into());
            }
            if let Some(code) = code {
                obj.insert("code".into(), code.into());
            }
        }
        v
    }
}

/// Share outcomes counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShareCounts {
    /// Accepted.
    pub accepted: u64,
    /// Rejected by the pool.
    pub rejected: u64,
    /// Not submitted, job void.
    pub stale: u64,
    /// Not submitted, connection away.
    pub lost: u64,
    /// Outcomes that could not be written to the share log's file.
    pub log_errors: u64,
}

/// How many recent records the log keeps in memory.
const RECENT: usize = 1024;

struct LogInner {
    sink: Option<Box<dyn Write + Send>>,
    counts: ShareCounts,
    recent: VecDeque<ShareRecord>,
    last_write_error: Option<String>,
}

/// The share log: every share outcome as a JSON line (to an optional writer),
/// counted, with the most recent records kept in memory. Cheap to clone; clones
/// share one log.
#[derive(Clone)]
pub struct ShareLog(Arc<Mutex<LogInner>>);

impl fmt::Debug for ShareLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareLog({:?})", self.counts())
    }
}

impl Default for ShareLog {
    fn default() -> Self {
        ShareLog::new(None)
    }
}

impl ShareLog {
    /// A log writing JSON lines to `sink` (none: count and keep in memory only).
    pub fn new(sink: Option<Box<dyn Write + Send>>) -> Self {
        ShareLog(Arc::new(Mutex::new(LogInner {
            sink,
            counts: ShareCounts::default(),
            recent: VecDeque::new(),
            last_write_error: None,
        })))
    }

    /// A log appending to the file at `path`.
    pub fn append_to(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(ShareLog::new(Some(Box::new(file))))
    }

    fn lock(&self) -> MutexGuard<'_, LogInner> {
        // A panic while holding the lock leaves plain counters behind; keep using them.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one outcome: counts it, writes its line, keeps it in memory.
    pub fn record(&self, record: &ShareRecord) {
        let mut inner = self.lock();
        let c = &mut inner.counts;
        match record.result {
            ShareResult::Accepted => c.accepted += 1,
            ShareResult::Rejected { .. } => c.rejected += 1,
            ShareResult::Stale { .. } => c.stale += 1,
            ShareResult::Lost { .. } => c.lost += 1,
        }
        if let Some(sink) = inner.sink.as_mut() {
            let line = record.to_json().to_string();
            let written = writeln!(sink, "{line}").and_then(|()| sink.flush());
            if let Err(e) = written {
                inner.counts.log_errors += 1;
                inner.last_write_error = Some(e.to_string());
            }
        }
        if inner.recent.len() == RECENT {
            inner.recent.pop_front();
        }
        inner.recent.push_back(record.clone());
    }

    /// Outcomes so far.
    pub fn counts(&self) -> ShareCounts {
        self.lock().counts
    }

    /// The most recent records, oldest first.
    pub fn recent(&self) -> Vec<ShareRecord> {
        self.lock().recent.iter().cloned().collect()
    }

    /// Lines that could not be written to the sink.
    pub fn write_errors(&self) -> u64 {
        self.lock().counts.log_errors
    }

    /// Why the last line could not be written.
    pub fn last_write_error(&self) -> Option<String> {
        self.lock().last_write_error.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Nonce;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn share() -> Share {
        Share {
            job_id: "j".into(),
            session: 1,
            extranonce1: vec![0xf0, 0, 0, 1],
            extranonce2: vec![1, 4, 0x45, 0x54],
            ntime: 0x495fab29,
            nonce: Nonce(0x7c2bac1d),
            version: 1,
            version_mask: 0,
            pool: 0,
            difficulty: 0.5,
            hash: crate::hash::BlockHash::from_bytes([0; 32]),
        }
    }

    #[test]
    fn log_writes_one_json_line_per_share_and_counts() {
        let buf = Buf::default();
        let log = ShareLog::new(Some(Box::new(buf.clone())));
        log.record(&ShareRecord::now(
            "p".into(),
            share(),
            ShareResult::Accepted,
        ));
        log.record(&ShareRecord::now(
            "p".into(),
            share(),
            ShareResult::Rejected {
                code: Some(23),
                message: "low difficulty".into(),
            },
        ));
        log.record(&ShareRecord::now(
            "p".into(),
            share(),
            ShareResult::Stale {
                reason: DropReason::JobCleaned,
            },
        ));
        log.record(&ShareRecord::now(
            "p".into(),
            share(),
            ShareResult::Lost {
                reason: DropReason::SessionNotResumed,
            },
        ));
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["result"], "accepted");
        assert_eq!(lines[0]["nonce"], "7c2bac1d");
        assert_eq!(lines[0]["extranonce2"], "01044554");
        assert_eq!(lines[0]["ntime"], "495fab29");
        assert_eq!(lines[0]["version"], "00000001");
        assert_eq!(lines[0]["difficulty"], 0.5);
        assert!(lines[0].get("reason").is_none());
        assert_eq!(lines[1]["result"], "rejected");
        assert_eq!(lines[1]["code"], 23);
        assert_eq!(lines[1]["reason"], "low difficulty");
        assert_eq!(lines[2]["reason"], "job_cleaned");
        assert_eq!(lines[3]["result"], "lost");
        assert_eq!(lines[3]["reason"], "session_not_resumed");
        assert_eq!(
            log.counts(),
            ShareCounts {
                accepted: 1,
                rejected: 1,
                stale: 1,
                lost: 1,
                log_errors: 0,
            }
        );
        assert_eq!(log.recent().len(), 4);
    }

    #[test]
    fn a_failing_sink_is_counted_not_fatal() {
        let log = ShareLog::new(Some(Box::new(Broken)));
        log.record(&ShareRecord::now(
            "p".into(),
            share(),
            ShareResult::Accepted,
        ));
        assert_eq!(log.write_errors(), 1);
        assert_eq!(log.counts().log_errors, 1);
        assert_eq!(log.last_write_error().as_deref(), Some("disk full"));
        assert_eq!(log.counts().accepted, 1);
    }
}
