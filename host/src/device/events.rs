//! What the driver hands its caller: work units, the events a poll observed,
//! the anomalies a board showed, and each board's counters.

use std::time::Instant;

use super::protocol::{Identity, NakReason, Status};
use crate::hash::{BlockHash, HeaderTail, Midstate, Nonce};

/// One range of nonces over one header, as the board sweeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkUnit {
    /// The caller's name for this unit; events carry it back.
    pub id: u64,
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: Midstate,
    /// Header bytes 64..75.
    pub tail: HeaderTail,
    /// First nonce.
    pub nonce_start: u32,
    /// Last nonce (inclusive).
    pub nonce_end: u32,
    /// Board threshold: report hashes whose leading 32-bit word is at most this.
    pub threshold: u32,
}

/// What a poll of the driver observed.
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceEvent {
    /// A nonce that the reference hasher confirms meets the unit's threshold.
    Found {
        /// The unit.
        id: u64,
        /// The nonce.
        nonce: Nonce,
        /// Its block hash (reference hasher).
        hash: BlockHash,
    },
    /// The board claimed a nonce that does not hash below the threshold (or
    /// lies outside the unit's range): never submitted.
    HardwareError {
        /// The unit.
        id: u64,
        /// The claimed nonce.
        nonce: Nonce,
    },
    /// The unit's WORK frame was written to the link.
    Sent {
        /// The unit.
        id: u64,
        /// When it was written.
        at: Instant,
    },
    /// The board reported the unit's first STATUS while hashing it.
    Started {
        /// The unit.
        id: u64,
    },
    /// Every nonce of the unit has been hashed.
    Done {
        /// The unit.
        id: u64,
    },
    /// A flush finished: the board abandoned the listed units.
    Flushed {
        /// Units abandoned before they were done.
        ids: Vec<u64>,
    },
    /// A STATUS arrived.
    Status(Status),
    /// The board refused a frame.
    Nak {
        /// Why.
        reason: NakReason,
        /// The refused frame type.
        refused: u8,
    },
    /// No answer within the deadline; the driver is re-identifying.
    Silent {
        /// Re-identify attempt number (1-based).
        attempt: u32,
    },
    /// The board answered IDENTIFY again after silence; work was re-sent.
    Recovered(Identity),
    /// The board said something a board should not; the driver survived it.
    Anomaly(Anomaly),
}

/// Something a board reported that cannot be right, and what the driver did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// An IDENTITY field holds a value no board has ([`Identity::problems`]); the
    /// driver keeps going (the nominal rate is then unknown).
    Identity {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// The board refused WORK with QUEUE_FULL although its IDENTITY promised room:
    /// the driver now keeps only as many units queued as the board took.
    QueueShorter {
        /// The queue depth IDENTITY claims.
        claimed: u8,
        /// The depth the driver now believes.
        believed: u8,
    },
    /// A STATUS `nonces_hashed` the board cannot have reached (further than its
    /// rate allows, or backwards past a reset): not counted.
    CounterJump {
        /// The previous reading.
        from: u64,
        /// The refused reading.
        to: u64,
    },
    /// The board sent IDENTITY on its own with other figures (it was reset or
    /// reprogrammed): its work was sent again.
    Reidentified(Identity),
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Anomaly::Identity { field, value } => {
                write!(f, "IDENTITY reports {field} = {value}, which no board has")
            }
            Anomaly::QueueShorter { claimed, believed } => write!(
                f,
                "the board refuses work beyond a queue of {believed} (its IDENTITY claims {claimed}); keeping {believed} queued"
            ),
            Anomaly::CounterJump { from, to } => write!(
                f,
                "STATUS nonces_hashed went from {from} to {to}, which the board cannot have hashed; reading ignored"
            ),
            Anomaly::Reidentified(id) => write!(
                f,
                "the board identified itself again ({} cores, {} rounds/clk, {} Hz, queue {}); work sent again",
                id.cores, id.rounds_per_clk, id.core_clock_hz, id.queue_depth
            ),
        }
    }
}

/// Counters of one board.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardStats {
    /// Verified nonces reported.
    pub found: u64,
    /// Nonces that failed the reference check.
    pub hardware_errors: u64,
    /// Nonces reported twice for the same unit (dropped).
    pub duplicates: u64,
    /// Results and DONEs for flushed units (discarded).
    pub flushed_results: u64,
    /// Results and DONEs with a tag the driver never had on the board.
    pub unknown_tags: u64,
    /// Units completed.
    pub units_done: u64,
    /// Frames from the board the decoder dropped (CRC, length, type).
    pub bad_frames: u64,
    /// NAKs received.
    pub naks: u64,
    /// Units re-sent after a refusal, a lost frame or a silence.
    pub resent: u64,
    /// Times the board went silent.
    pub silences: u64,
    /// The board's own bad-frame counter (last STATUS).
    pub board_bad_frames: u32,
    /// The board's lost-result counter (last STATUS).
    pub board_dropped_results: u32,
    /// Results the board found but dropped (its result FIFO overflowed), summed
    /// over its STATUS counter (a counter that restarts is taken as a board reset).
    pub dropped_results: u64,
    /// STATUS counter readings refused as implausible.
    pub counter_jumps: u64,
}
