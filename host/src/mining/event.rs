//! What the mining loop reports: [`MinerEvent`].

use std::time::Duration;

use crate::device::{Anomaly, DriverError};
use crate::hash::{BlockHash, Nonce};
use crate::work::ShareRecord;

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
