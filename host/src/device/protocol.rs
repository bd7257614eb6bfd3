//! The wire protocol, versions 1 and 2 (`docs/protocol.md`): frame types,
//! typed messages, the encoder and a streaming decoder. Version 2 adds a flags
//! byte to WORK (bit 0: count the nonce in header-byte order); the host speaks
//! the version a board's IDENTITY reports.
//!
//! A frame is `SYNC TYPE LEN PAYLOAD CRC_HI CRC_LO`; the CRC is
//! CRC-16/CCITT-FALSE over `TYPE`, `LEN` and the payload. Encoding is
//! [`HostFrame::encode`] / [`BoardFrame::encode`]; decoding is a
//! [`FrameDecoder`] fed with whatever bytes arrived. Malformed input is
//! returned as [`FrameError`] values (and counted), never raised or panicked
//! on: the decoder resynchronizes by rescanning from the byte after the `SYNC`
//! of the refused frame.

use std::collections::VecDeque;
use std::marker::PhantomData;

use thiserror::Error;

use crate::hash::{HeaderTail, Midstate, Nonce};

/// The first byte of every frame.
pub const SYNC: u8 = 0xA5;
/// The newest protocol version this codec speaks (IDENTITY `protocol_version`).
pub const PROTOCOL_VERSION: u8 = 2;
/// The oldest protocol version this codec speaks.
pub const MIN_PROTOCOL_VERSION: u8 = 1;
/// WORK flags bit 0 (version 2): count the nonce in header-byte order.
pub const WORK_FLAG_HEADER_ORDER: u8 = 0x01;
/// Bytes in a frame besides the payload: SYNC, TYPE, LEN and the two CRC bytes.
pub const FRAME_OVERHEAD: usize = 5;
/// IDENTITY flag bit 0: nonce ranges are end-inclusive.
pub const FLAG_END_INCLUSIVE: u8 = 0x01;
/// STATUS state bit 0: the board is hashing.
pub const STATE_HASHING: u8 = 0x01;

/// Every frame type; host → board types have the top bit clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// Host asks for IDENTITY.
    Identify = 0x01,
    /// Host sends a work item.
    Work = 0x02,
    /// Host abandons running and queued work.
    Flush = 0x03,
    /// Host asks for STATUS.
    StatusRequest = 0x04,
    /// Board describes itself.
    Identity = 0x81,
    /// Board found a nonce.
    Result = 0x82,
    /// Board finished a work item.
    Done = 0x83,
    /// Board status counters.
    Status = 0x84,
    /// Board refused a frame.
    Nak = 0x8F,
}

impl FrameType {
    /// Every type, host → board first.
    pub const ALL: [FrameType; 9] = [
        FrameType::Identify,
        FrameType::Work,
        FrameType::Flush,
        FrameType::StatusRequest,
        FrameType::Identity,
        FrameType::Result,
        FrameType::Done,
        FrameType::Status,
        FrameType::Nak,
    ];

    /// The type with this wire code, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *t as u8 == code)
    }

    /// The fixed payload length of this type in a protocol version (WORK has a
    /// flags byte from version 2 on).
    pub fn payload_len(self, version: u8) -> usize {
        match self {
            FrameType::Identify | FrameType::Flush | FrameType::StatusRequest => 0,
            FrameType::Work if version >= 2 => 58,
            FrameType::Work => 57,
            FrameType::Identity => 13,
            FrameType::Result => 5,
            FrameType::Done => 1,
            FrameType::Status => 19,
            FrameType::Nak => 2,
        }
    }

    /// True for board → host types.
    pub fn from_board(self) -> bool {
        self as u8 & 0x80 != 0
    }
}

/// Why a board refused a frame (NAK `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NakReason {
    /// Checksum mismatch.
    BadCrc = 0x01,
    /// No such host → board type.
    UnknownType = 0x02,
    /// `LEN` differs from the type's length.
    BadLength = 0x03,
    /// Frame truncated: the line went idle inside a frame.
    Timeout = 0x04,
    /// WORK refused: the queue is full.
    QueueFull = 0x05,
    /// WORK refused: `nonce_end < nonce_start`.
    BadRange = 0x06,
}

impl NakReason {
    /// The reason with this wire code, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        [
            NakReason::BadCrc,
            NakReason::UnknownType,
            NakReason::BadLength,
            NakReason::Timeout,
            NakReason::QueueFull,
            NakReason::BadRange,
        ]
        .into_iter()
        .find(|r| *r as u8 == code)
    }
}

/// The order a board counts through a WORK range.
///
/// ```
/// use amber::device::protocol::NonceOrder;
/// use amber::hash::Nonce;
/// // Counter 0x000187a2 hashes the header whose nonce bytes read 00 01 87 a2.
/// let nonce = NonceOrder::HeaderBytes.nonce(0x0001_87a2);
/// assert_eq!(nonce.header_bytes(), [0x00, 0x01, 0x87, 0xa2]);
/// assert_eq!(NonceOrder::HeaderBytes.counter(nonce), 0x0001_87a2);
/// assert_eq!(NonceOrder::Number.nonce(5), Nonce(5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NonceOrder {
    /// The nonce as a number (the header stores it little-endian): counter
    /// `c` hashes nonce `c`. Version 1's only order.
    #[default]
    Number,
    /// The nonce's four header bytes read big-endian, as an Icarus device
    /// counts: counter `c` hashes nonce `c.swap_bytes()`. Version 2.
    HeaderBytes,
}

impl NonceOrder {
    /// The nonce counter `c` of a range hashes.
    pub fn nonce(self, counter: u32) -> Nonce {
        match self {
            NonceOrder::Number => Nonce(counter),
            NonceOrder::HeaderBytes => Nonce(counter.swap_bytes()),
        }
    }

    /// The counter a nonce stands at (what WORK ranges are in).
    pub fn counter(self, nonce: Nonce) -> u32 {
        match self {
            NonceOrder::Number => nonce.0,
            NonceOrder::HeaderBytes => nonce.0.swap_bytes(),
        }
    }
}

/// A work item as it travels in a WORK frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    /// Host-chosen tag, echoed in RESULT and DONE.
    pub tag: u8,
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: Midstate,
    /// Header bytes 64..76.
    pub tail: HeaderTail,
    /// First counter of the range ([`NonceOrder`]).
    pub nonce_start: Nonce,
    /// Last counter of the range (inclusive).
    pub nonce_end: Nonce,
    /// Report a nonce when the hash's leading word is `<=` this.
    pub threshold: u32,
    /// How the board counts (version 2; version 1 boards count [`NonceOrder::Number`]).
    pub order: NonceOrder,
}

/// A frame the host sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostFrame {
    /// Ask for IDENTITY.
    Identify,
    /// A work item.
    Work(Work),
    /// Abandon running and queued work; the board answers STATUS.
    Flush,
    /// Ask for STATUS.
    StatusRequest,
}

/// IDENTITY payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Protocol version the board speaks (1 or 2).
    pub protocol_version: u8,
    /// Build identifier fixed at synthesis.
    pub build_id: u32,
    /// Parallel cores.
    pub cores: u8,
    /// SHA-256 rounds per clock per core (1..64).
    pub rounds_per_clk: u8,
    /// Core clock, Hz.
    pub core_clock_hz: u32,
    /// Flags; bit 0 = end-inclusive ranges.
    pub flags: u8,
    /// Work items the board queues beyond the running one.
    pub queue_depth: u8,
}

/// Most SHA-256 rounds per clock a core computes (a fully unrolled round).
pub const MAX_ROUNDS_PER_CLK: u8 = 64;

impl Identity {
    /// Nonces per second the board hashes at full duty (cores × rounds/64 × clock);
    /// 0 when the IDENTITY's figures are not those of a board ([`Identity::problems`]).
    pub fn nominal_hashrate(&self) -> f64 {
        if self.cores == 0 || !(1..=MAX_ROUNDS_PER_CLK).contains(&self.rounds_per_clk) {
            return 0.0;
        }
        crate::board::hashes_per_clock(u32::from(self.rounds_per_clk), u32::from(self.cores))
            * f64::from(self.core_clock_hz)
    }

    /// Fields whose values no version-1 board reports, as (field, value): no cores,
    /// rounds per clock outside 1..=64, a clock of 0 Hz, no work queue, ranges not
    /// end-inclusive. The host survives them (a queue of 0 still takes one running
    /// unit; the rate is then unknown) and reports them.
    pub fn problems(&self) -> Vec<(&'static str, u32)> {
        let mut out = Vec::new();
        if self.cores == 0 {
            out.push(("cores", 0));
        }
        if !(1..=MAX_ROUNDS_PER_CLK).contains(&self.rounds_per_clk) {
            out.push(("rounds_per_clk", u32::from(self.rounds_per_clk)));
        }
        if self.core_clock_hz == 0 {
            out.push(("core_clock_hz", 0));
        }
        if self.queue_depth == 0 {
            out.push(("queue_depth", 0));
        }
        if self.flags & FLAG_END_INCLUSIVE == 0 {
            out.push(("flags", u32::from(self.flags)));
        }
        out
    }
}

/// STATUS payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Running work item's tag (the last one run if idle).
    pub tag: u8,
    /// State bits; bit 0 = hashing ([`Status::hashing`]).
    pub state: u8,
    /// Work items waiting.
    pub queued: u8,
    /// Nonces hashed since reset, all cores, wrapping at 2^64.
    pub nonces_hashed: u64,
    /// Frames dropped for any reason (saturating).
    pub bad_frames: u32,
    /// Results lost to FIFO overflow (saturating).
    pub dropped_results: u32,
}

impl Status {
    /// True when the board is hashing.
    pub fn hashing(&self) -> bool {
        self.state & STATE_HASHING != 0
    }
}

/// A frame the board sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardFrame {
    /// Answer to IDENTIFY.
    Identity(Identity),
    /// A nonce whose hash's leading word is at or below the threshold.
    Result {
        /// Work item tag.
        tag: u8,
        /// The nonce (a number; the header stores it little-endian).
        nonce: Nonce,
    },
    /// Every nonce of the work item has been hashed and its results sent.
    Done {
        /// Work item tag.
        tag: u8,
    },
    /// Answer to STATUS_REQUEST and FLUSH.
    Status(Status),
    /// A refused frame.
    Nak {
        /// Why.
        reason: NakReason,
        /// The refused frame's type (0 when unknown).
        refused_type: u8,
    },
}

/// A frame the decoder could not accept. Each is one counted bad frame; the
/// decoder has already resynchronized when it hands one out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The checksum did not match: corrupted on the line.
    #[error("frame type {ty:#04x}: CRC {found:#06x}, computed {computed:#06x}")]
    BadCrc {
        /// Frame type byte.
        ty: u8,
        /// CRC in the frame.
        found: u16,
        /// CRC of the bytes received.
        computed: u16,
    },
    /// The type byte names no frame of this direction.
    #[error("unknown frame type {ty:#04x}")]
    UnknownType {
        /// Frame type byte.
        ty: u8,
    },
    /// `LEN` differs from the type's fixed length.
    #[error("frame type {ty:#04x}: length {len}, expected {expected}")]
    BadLength {
        /// Frame type byte.
        ty: u8,
        /// `LEN` received.
        len: u8,
        /// The type's length.
        expected: u8,
    },
    /// A partial frame was dropped because the line went idle
    /// ([`FrameDecoder::idle`]).
    #[error("truncated frame: {received} bytes received")]
    Truncated {
        /// Bytes of the partial frame, SYNC included.
        received: usize,
    },
    /// A NAK carried a reason code this version does not define.
    #[error("NAK with unknown reason {reason:#04x}")]
    UnknownNakReason {
        /// Reason byte.
        reason: u8,
    },
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF_u16, |crc, &b| {
        (0..8).fold(crc ^ (u16::from(b) << 8), |c, _| {
            if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            }
        })
    })
}

/// Builds a frame: SYNC, type, length, payload, CRC.
fn frame(ty: FrameType, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + FRAME_OVERHEAD);
    out.push(SYNC);
    out.push(ty as u8);
    // Payload lengths are the fixed per-type lengths, all < 256.
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
    let crc = crc16(&out[1..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// Big-endian field reader over a payload whose length was already checked.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }
}

impl HostFrame {
    /// This frame's type.
    pub fn frame_type(&self) -> FrameType {
        match self {
            HostFrame::Identify => FrameType::Identify,
            HostFrame::Work(_) => FrameType::Work,
            HostFrame::Flush => FrameType::Flush,
            HostFrame::StatusRequest => FrameType::StatusRequest,
        }
    }

    /// The frame's bytes on the wire in the newest version.
    pub fn encode(&self) -> Vec<u8> {
        self.bytes(PROTOCOL_VERSION)
    }

    /// The frame's bytes in protocol `version`; `None` when that version cannot
    /// carry it (header-byte order before version 2).
    pub fn encode_for(&self, version: u8) -> Option<Vec<u8>> {
        match self {
            HostFrame::Work(w) if version < 2 && w.order != NonceOrder::Number => None,
            _ => Some(self.bytes(version)),
        }
    }

    fn bytes(&self, version: u8) -> Vec<u8> {
        let mut p = Vec::new();
        if let HostFrame::Work(w) = self {
            p.push(w.tag);
            p.extend_from_slice(w.midstate.be_bytes());
            p.extend_from_slice(w.tail.bytes());
            p.extend_from_slice(&w.nonce_start.0.to_be_bytes());
            p.extend_from_slice(&w.nonce_end.0.to_be_bytes());
            p.extend_from_slice(&w.threshold.to_be_bytes());
            if version >= 2 {
                let flags = match w.order {
                    NonceOrder::Number => 0,
                    NonceOrder::HeaderBytes => WORK_FLAG_HEADER_ORDER,
                };
                p.push(flags);
            }
        }
        frame(self.frame_type(), &p)
    }
}

impl BoardFrame {
    /// This frame's type.
    pub fn frame_type(&self) -> FrameType {
        match self {
            BoardFrame::Identity(_) => FrameType::Identity,
            BoardFrame::Result { .. } => FrameType::Result,
            BoardFrame::Done { .. } => FrameType::Done,
            BoardFrame::Status(_) => FrameType::Status,
            BoardFrame::Nak { .. } => FrameType::Nak,
        }
    }

    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::new();
        match self {
            BoardFrame::Identity(i) => {
                p.push(i.protocol_version);
                p.extend_from_slice(&i.build_id.to_be_bytes());
                p.extend_from_slice(&[i.cores, i.rounds_per_clk]);
                p.extend_from_slice(&i.core_clock_hz.to_be_bytes());
                p.extend_from_slice(&[i.flags, i.queue_depth]);
            }
            BoardFrame::Result { tag, nonce } => {
                p.push(*tag);
                p.extend_from_slice(&nonce.0.to_be_bytes());
            }
            BoardFrame::Done { tag } => p.push(*tag),
            BoardFrame::Status(s) => {
                p.extend_from_slice(&[s.tag, s.state, s.queued]);
                p.extend_from_slice(&s.nonces_hashed.to_be_bytes());
                p.extend_from_slice(&s.bad_frames.to_be_bytes());
                p.extend_from_slice(&s.dropped_results.to_be_bytes());
            }
            BoardFrame::Nak {
                reason,
                refused_type,
            } => p.extend_from_slice(&[*reason as u8, *refused_type]),
        }
        frame(self.frame_type(), &p)
    }
}

/// A message one end decodes: [`BoardFrame`] on the host, [`HostFrame`] in
/// tests that play the board.
pub trait Message: Sized {
    /// True for the frame types this direction carries.
    fn accepts(ty: FrameType) -> bool;
    /// Builds the message from a payload of exactly `ty.payload_len()` bytes.
    fn from_payload(ty: FrameType, payload: &[u8]) -> Result<Self, FrameError>;
}

impl Message for HostFrame {
    fn accepts(ty: FrameType) -> bool {
        !ty.from_board()
    }

    fn from_payload(ty: FrameType, payload: &[u8]) -> Result<Self, FrameError> {
        let mut f = Fields(payload);
        Ok(match ty {
            FrameType::Work => HostFrame::Work(Work {
                tag: f.u8(),
                midstate: Midstate::from_be_bytes(f.take()),
                tail: HeaderTail::from_bytes(f.take()),
                nonce_start: Nonce(f.u32()),
                nonce_end: Nonce(f.u32()),
                threshold: f.u32(),
                // Version 2's flags byte (absent in version 1: reads as 0);
                // the other bits are reserved and ignored, as the RTL does.
                order: if f.u8() & WORK_FLAG_HEADER_ORDER != 0 {
                    NonceOrder::HeaderBytes
                } else {
                    NonceOrder::Number
                },
            }),
            FrameType::Flush => HostFrame::Flush,
            FrameType::StatusRequest => HostFrame::StatusRequest,
            _ => HostFrame::Identify,
        })
    }
}

impl Message for BoardFrame {
    fn accepts(ty: FrameType) -> bool {
        ty.from_board()
    }

    fn from_payload(ty: FrameType, payload: &[u8]) -> Result<Self, FrameError> {
        let mut f = Fields(payload);
        Ok(match ty {
            FrameType::Identity => BoardFrame::Identity(Identity {
                protocol_version: f.u8(),
                build_id: f.u32(),
                cores: f.u8(),
                rounds_per_clk: f.u8(),
                core_clock_hz: f.u32(),
                flags: f.u8(),
                queue_depth: f.u8(),
            }),
            FrameType::Result => BoardFrame::Result {
                tag: f.u8(),
                nonce: Nonce(f.u32()),
            },
            FrameType::Status => BoardFrame::Status(Status {
                tag: f.u8(),
                state: f.u8(),
                queued: f.u8(),
                nonces_hashed: f.u64(),
                bad_frames: f.u32(),
                dropped_results: f.u32(),
            }),
            FrameType::Nak => {
                let reason = f.u8();
                BoardFrame::Nak {
                    reason: NakReason::from_code(reason)
                        .ok_or(FrameError::UnknownNakReason { reason })?,
                    refused_type: f.u8(),
                }
            }
            _ => BoardFrame::Done { tag: f.u8() },
        })
    }
}

/// Streaming decoder: push bytes as they arrive, take frames and errors out.
///
/// `FrameDecoder::<BoardFrame>::new()` (the default) decodes what a board
/// sends. Bytes outside a frame that are not `SYNC` are skipped and counted in
/// [`FrameDecoder::skipped_bytes`]; every refused frame is one
/// [`FrameError`] and one [`FrameDecoder::bad_frames`]. When the line goes
/// quiet with a frame half received, [`FrameDecoder::idle`] drops it.
///
/// ```
/// use amber::device::protocol::{BoardFrame, FrameDecoder, FrameError};
///
/// let mut dec = FrameDecoder::<BoardFrame>::new();
/// // Noise, a DONE for tag 7, and a RESULT with a corrupted CRC.
/// let bytes = [
///     0x00, 0xa5, 0x83, 0x01, 0x07, 0xed, 0x40, //
///     0xa5, 0x82, 0x05, 0x07, 0x7c, 0x2b, 0xac, 0x1d, 0xfe, 0xff,
/// ];
/// let got: Vec<_> = dec.push(&bytes).collect();
/// assert_eq!(got[0], Ok(BoardFrame::Done { tag: 7 }));
/// assert!(matches!(got[1], Err(FrameError::BadCrc { ty: 0x82, .. })));
/// assert_eq!(dec.bad_frames(), 1);
/// ```
#[derive(Debug)]
pub struct FrameDecoder<M = BoardFrame> {
    version: u8,
    buf: Vec<u8>,
    out: VecDeque<Result<M, FrameError>>,
    skipped: u64,
    bad: u64,
    _m: PhantomData<M>,
}

impl<M: Message> Default for FrameDecoder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Message> FrameDecoder<M> {
    /// An empty decoder hunting for `SYNC`, for the newest protocol version.
    pub fn new() -> Self {
        Self::for_version(PROTOCOL_VERSION)
    }

    /// An empty decoder for protocol `version` (it decides WORK's length).
    pub fn for_version(version: u8) -> Self {
        FrameDecoder {
            version,
            buf: Vec::new(),
            out: VecDeque::new(),
            skipped: 0,
            bad: 0,
            _m: PhantomData,
        }
    }

    /// Feeds received bytes; returns every frame or error they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> impl Iterator<Item = Result<M, FrameError>> + '_ {
        self.buf.extend_from_slice(bytes);
        self.scan();
        self.out.drain(..)
    }

    /// The line went idle: a partial frame can no longer complete (the board
    /// never pauses inside a frame), so it is dropped and returned as
    /// [`FrameError::Truncated`]. `None` when no frame was in progress.
    pub fn idle(&mut self) -> Option<FrameError> {
        if self.buf.is_empty() {
            return None;
        }
        let err = FrameError::Truncated {
            received: self.buf.len(),
        };
        self.buf.clear();
        self.bad += 1;
        Some(err)
    }

    /// True while a frame has started but not completed.
    pub fn in_frame(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Bytes skipped while hunting for `SYNC`.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Frames refused so far (every [`FrameError`] handed out).
    pub fn bad_frames(&self) -> u64 {
        self.bad
    }

    fn refuse(&mut self, err: FrameError) {
        self.bad += 1;
        self.out.push_back(Err(err));
        // Rescan from the byte after the refused frame's SYNC.
        self.buf.drain(..1);
    }

    fn scan(&mut self) {
        loop {
            let start = self.buf.iter().position(|&b| b == SYNC);
            let skip = start.unwrap_or(self.buf.len());
            self.skipped += skip as u64;
            self.buf.drain(..skip);
            let (Some(&code), Some(&len)) = (self.buf.get(1), self.buf.get(2)) else {
                if let Some(&code) = self.buf.get(1) {
                    // Refuse an unknown type at once, before LEN arrives.
                    if !FrameType::from_code(code).is_some_and(M::accepts) {
                        self.refuse(FrameError::UnknownType { ty: code });
                        continue;
                    }
                }
                return;
            };
            let Some(ty) = FrameType::from_code(code).filter(|t| M::accepts(*t)) else {
                self.refuse(FrameError::UnknownType { ty: code });
                continue;
            };
            let expected = ty.payload_len(self.version);
            if usize::from(len) != expected {
                self.refuse(FrameError::BadLength {
                    ty: code,
                    len,
                    expected: expected as u8,
                });
                continue;
            }
            let total = expected + FRAME_OVERHEAD;
            if self.buf.len() < total {
                return;
            }
            let computed = crc16(&self.buf[1..total - 2]);
            let found = u16::from_be_bytes([self.buf[total - 2], self.buf[total - 1]]);
            if computed != found {
                self.refuse(FrameError::BadCrc {
                    ty: code,
                    found,
                    computed,
                });
                continue;
            }
            let msg = M::from_payload(ty, &self.buf[3..total - 2]);
            if msg.is_err() {
                self.bad += 1;
            }
            self.out.push_back(msg);
            self.buf.drain(..total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../../docs/protocol.md");

    /// The `frames` block of docs/protocol.md: (name, bytes).
    fn examples() -> Vec<(String, Vec<u8>)> {
        let block = DOC
            .split("```frames")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        block
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut words = l.split_whitespace();
                let name = words.next().unwrap().to_string();
                let bytes = words.map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
                (name, bytes)
            })
            .collect()
    }

    /// Decodes exactly one complete frame: no bytes before, after or missing.
    fn decode_one<M: Message + std::fmt::Debug>(bytes: &[u8]) -> Result<M, String> {
        let mut dec = FrameDecoder::<M>::new();
        let got: Vec<_> = dec.push(bytes).collect();
        match &got[..] {
            [Ok(_)] if !dec.in_frame() && dec.skipped_bytes() == 0 => {
                got.into_iter().next().unwrap().map_err(|e| e.to_string())
            }
            _ => Err(format!("not exactly one frame: {got:?}")),
        }
    }

    fn example(name: &str) -> Vec<u8> {
        examples().into_iter().find(|(n, _)| n == name).unwrap().1
    }

    fn board(bytes: &[u8]) -> Vec<Result<BoardFrame, FrameError>> {
        FrameDecoder::<BoardFrame>::new().push(bytes).collect()
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn every_example_round_trips() {
        let ex = examples();
        assert_eq!(ex.len(), 11);
        for (name, bytes) in ex {
            let ty = FrameType::from_code(bytes[1]).unwrap();
            let version = if name.ends_with("_v1") {
                1
            } else {
                PROTOCOL_VERSION
            };
            let encoded = if ty.from_board() {
                decode_one::<BoardFrame>(&bytes).unwrap().encode()
            } else {
                let mut dec = FrameDecoder::<HostFrame>::for_version(version);
                let got: Vec<_> = dec.push(&bytes).collect();
                let [Ok(frame)] = got.as_slice() else {
                    panic!("{name}: {got:?}")
                };
                frame.encode_for(version).unwrap()
            };
            assert_eq!(encoded, bytes, "{name}");
        }
    }

    /// Version 2's flags byte: header-byte order is carried only from version 2
    /// on, a version 1 decoder refuses the longer WORK, a version 2 one the shorter.
    #[test]
    fn work_flags_and_versions() {
        let genesis = crate::hash::Header::from_hex(
            "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
        )
        .unwrap();
        let counter = NonceOrder::HeaderBytes.counter(genesis.nonce());
        assert_eq!(counter, 0x1dac_2b7c);
        let work = HostFrame::Work(Work {
            tag: 7,
            midstate: genesis.midstate(),
            tail: genesis.tail(),
            nonce_start: Nonce(counter & 0xffff_0000),
            nonce_end: Nonce(counter | 0xffff),
            threshold: 0,
            order: NonceOrder::HeaderBytes,
        });
        assert_eq!(work.encode(), example("work_header_order"));
        assert_eq!(work.encode_for(1), None, "version 1 has no flags byte");
        let mut v2 = FrameDecoder::<HostFrame>::for_version(2);
        assert_eq!(
            v2.push(&example("work_header_order")).collect::<Vec<_>>(),
            [Ok(work)]
        );
        assert_eq!(
            v2.push(&example("work_v1")).collect::<Vec<_>>(),
            [Err(FrameError::BadLength {
                ty: 2,
                len: 57,
                expected: 58
            })]
        );
        let mut v1 = FrameDecoder::<HostFrame>::for_version(1);
        assert_eq!(
            v1.push(&example("work")).collect::<Vec<_>>(),
            [Err(FrameError::BadLength {
                ty: 2,
                len: 58,
                expected: 57
            })]
        );
        // Reserved flag bits are ignored.
        let mut odd = example("work");
        odd[60] = 0xfe;
        let crc = crc16(&odd[1..61]);
        odd[61..].copy_from_slice(&crc.to_be_bytes());
        let got: Vec<_> = FrameDecoder::<HostFrame>::new().push(&odd).collect();
        assert!(matches!(
            got[..],
            [Ok(HostFrame::Work(Work {
                order: NonceOrder::Number,
                ..
            }))]
        ));
    }

    #[test]
    fn examples_decode_to_documented_values() {
        let genesis = crate::hash::Header::from_hex(
            "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
        )
        .unwrap();
        let work = HostFrame::Work(Work {
            tag: 7,
            midstate: genesis.midstate(),
            tail: genesis.tail(),
            nonce_start: Nonce(0x7c2b_0000),
            nonce_end: Nonce(0x7c2b_ffff),
            threshold: 0,
            order: NonceOrder::Number,
        });
        assert_eq!(work.encode(), example("work"));
        assert_eq!(work.encode_for(1).unwrap(), example("work_v1"));
        assert_eq!(HostFrame::Identify.encode(), example("identify"));
        assert_eq!(HostFrame::Flush.encode(), example("flush"));
        assert_eq!(HostFrame::StatusRequest.encode(), example("status_request"));
        let id = Identity {
            protocol_version: 2,
            build_id: 0x414d_4231,
            cores: 1,
            rounds_per_clk: 1,
            core_clock_hz: 24_000_000,
            flags: FLAG_END_INCLUSIVE,
            queue_depth: 2,
        };
        assert_eq!(board(&example("identity")), [Ok(BoardFrame::Identity(id))]);
        // One core at one round per clock, 24 MHz: a nonce every 65 clocks.
        assert!((id.nominal_hashrate() - 24e6 / 65.0).abs() < 1e-6);
        assert_eq!(
            board(&example("result")),
            [Ok(BoardFrame::Result {
                tag: 7,
                nonce: genesis.nonce()
            })]
        );
        assert_eq!(board(&example("done")), [Ok(BoardFrame::Done { tag: 7 })]);
        let status = Status {
            tag: 7,
            state: STATE_HASHING,
            queued: 1,
            nonces_hashed: 0x12345,
            bad_frames: 3,
            dropped_results: 0,
        };
        assert!(status.hashing());
        assert_eq!(board(&example("status")), [Ok(BoardFrame::Status(status))]);
        assert_eq!(
            board(&example("nak")),
            [Ok(BoardFrame::Nak {
                reason: NakReason::BadCrc,
                refused_type: FrameType::Work as u8
            })]
        );
    }

    #[test]
    fn byte_at_a_time_and_back_to_back() {
        let mut stream = Vec::new();
        for n in ["identity", "result", "done", "status", "nak"] {
            stream.extend(example(n));
        }
        let mut dec = FrameDecoder::<BoardFrame>::new();
        let mut got = Vec::new();
        for b in &stream {
            got.extend(dec.push(std::slice::from_ref(b)));
        }
        assert_eq!(got.len(), 5);
        assert!(got.iter().all(Result::is_ok));
        assert_eq!(dec.bad_frames(), 0);
        assert!(!dec.in_frame());
    }

    #[test]
    fn garbage_outside_frames_is_skipped() {
        let mut bytes = vec![0x00, 0x11, 0xff];
        bytes.extend(example("done"));
        bytes.extend([0x42, 0x43]);
        let mut dec = FrameDecoder::<BoardFrame>::new();
        let got: Vec<_> = dec.push(&bytes).collect();
        assert_eq!(got, [Ok(BoardFrame::Done { tag: 7 })]);
        assert_eq!(dec.skipped_bytes(), 5);
        assert_eq!(dec.bad_frames(), 0);
    }

    #[test]
    fn bad_crc_resyncs_on_the_next_frame() {
        let mut bad = example("result");
        bad[4] ^= 0x01;
        let mut bytes = bad.clone();
        bytes.extend(example("done"));
        let got = board(&bytes);
        assert_eq!(
            got[0],
            Err(FrameError::BadCrc {
                ty: 0x82,
                found: 0xfefe,
                computed: crc16(&bad[1..8])
            })
        );
        assert_eq!(got[1..], [Ok(BoardFrame::Done { tag: 7 })]);
    }

    #[test]
    fn sync_inside_a_corrupted_frame_is_rescanned() {
        // A frame whose payload holds a SYNC: the decoder rescans from the
        // byte after the bad frame's SYNC, so a real frame starting inside the
        // corrupted one's bytes is found.
        let done = example("done");
        let mut bytes = vec![SYNC, 0x82, 0x05];
        bytes.extend(&done);
        bytes.extend(example("status"));
        let got = board(&bytes);
        assert!(got.contains(&Ok(BoardFrame::Done { tag: 7 })));
        assert!(matches!(got.last(), Some(Ok(BoardFrame::Status(_)))));
    }

    #[test]
    fn unknown_type_and_wrong_direction_are_refused_at_once() {
        assert_eq!(
            board(&[SYNC, 0x85]),
            [Err(FrameError::UnknownType { ty: 0x85 })]
        );
        assert_eq!(
            board(&example("identify")),
            [Err(FrameError::UnknownType { ty: 0x01 })]
        );
        let host: Vec<_> = FrameDecoder::<HostFrame>::new()
            .push(&example("identity"))
            .collect();
        assert_eq!(host, [Err(FrameError::UnknownType { ty: 0x81 })]);
    }

    #[test]
    fn oversize_length_is_refused_without_waiting_for_payload() {
        let got = board(&[SYNC, 0x83, 0xff]);
        assert_eq!(
            got,
            [Err(FrameError::BadLength {
                ty: 0x83,
                len: 0xff,
                expected: 1
            })]
        );
        let mut bytes = vec![SYNC, 0x82, 0x00];
        bytes.extend(example("done"));
        let got = board(&bytes);
        assert!(matches!(got[0], Err(FrameError::BadLength { .. })));
        assert_eq!(got[1..], [Ok(BoardFrame::Done { tag: 7 })]);
    }

    #[test]
    fn truncated_frame_is_dropped_on_idle() {
        let result = example("result");
        let mut dec = FrameDecoder::<BoardFrame>::new();
        assert_eq!(dec.push(&result[..4]).count(), 0);
        assert!(dec.in_frame());
        assert_eq!(dec.idle(), Some(FrameError::Truncated { received: 4 }));
        assert_eq!(dec.idle(), None);
        let got: Vec<_> = dec.push(&example("done")).collect();
        assert_eq!(got, [Ok(BoardFrame::Done { tag: 7 })]);
        assert_eq!(dec.bad_frames(), 1);
    }

    #[test]
    fn unknown_nak_reason_is_an_error_value() {
        let nak = frame(FrameType::Nak, &[0x09, 0x02]);
        assert_eq!(
            board(&nak),
            [Err(FrameError::UnknownNakReason { reason: 0x09 })]
        );
    }

    #[test]
    fn decode_one_rejects_extra_or_missing_bytes() {
        let done = example("done");
        assert!(decode_one::<BoardFrame>(&done[..5]).is_err());
        let mut long = done.clone();
        long.push(0);
        assert!(decode_one::<BoardFrame>(&long).is_err());
        assert_eq!(
            decode_one::<BoardFrame>(&done),
            Ok(BoardFrame::Done { tag: 7 })
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut dec = FrameDecoder::<BoardFrame>::new();
        for _ in 0..2000 {
            let mut chunk = [0u8; 37];
            for b in &mut chunk {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = if x % 5 == 0 { SYNC } else { x as u8 };
            }
            let _ = dec.push(&chunk).count();
        }
        let _ = dec.idle();
        let got: Vec<_> = dec.push(&example("status")).collect();
        assert!(matches!(got.last(), Some(Ok(BoardFrame::Status(_)))));
    }

    #[test]
    fn error_text() {
        assert_eq!(
            FrameError::BadLength {
                ty: 0x82,
                len: 9,
                expected: 5
            }
            .to_string(),
            "frame type 0x82: length 9, expected 5"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn any_board_frame() -> impl Strategy<Value = BoardFrame> {
            prop_oneof![
                (any::<u8>(), any::<u32>()).prop_map(|(tag, n)| BoardFrame::Result {
                    tag,
                    nonce: Nonce(n)
                }),
                any::<u8>().prop_map(|tag| BoardFrame::Done { tag }),
                (any::<[u8; 3]>(), any::<u64>(), any::<u32>(), any::<u32>()).prop_map(
                    |(b, n, bad, dropped)| BoardFrame::Status(Status {
                        tag: b[0],
                        state: b[1],
                        queued: b[2],
                        nonces_hashed: n,
                        bad_frames: bad,
                        dropped_results: dropped,
                    })
                ),
                (any::<[u8; 6]>(), any::<u32>(), any::<u32>()).prop_map(|(b, id, hz)| {
                    BoardFrame::Identity(Identity {
                        protocol_version: b[0],
                        build_id: id,
                        cores: b[1],
                        rounds_per_clk: b[2],
                        core_clock_hz: hz,
                        flags: b[3],
                        queue_depth: b[4],
                    })
                }),
                (1u8..=6, any::<u8>()).prop_map(|(r, t)| BoardFrame::Nak {
                    reason: NakReason::from_code(r).unwrap_or(NakReason::BadCrc),
                    refused_type: t,
                }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any bytes, cut anywhere: the decoder never panics, and how the
            /// bytes were cut changes nothing it returns.
            #[test]
            fn any_bytes_decode_the_same_however_cut(
                bytes in proptest::collection::vec(
                    prop_oneof![Just(SYNC), any::<u8>()], 0..400),
                cut in 1usize..40,
            ) {
                let mut whole = FrameDecoder::<BoardFrame>::new();
                let a: Vec<_> = whole.push(&bytes).collect();
                let mut pieces = FrameDecoder::<BoardFrame>::new();
                let mut b = Vec::new();
                for chunk in bytes.chunks(cut) {
                    b.extend(pieces.push(chunk));
                }
                prop_assert_eq!(a, b);
                let _ = pieces.idle();
                let mut host = FrameDecoder::<HostFrame>::new();
                let _ = host.push(&bytes).count();
            }

            /// Valid frames among garbage all come out, in order.
            #[test]
            fn frames_survive_garbage(
                items in proptest::collection::vec(
                    (any_board_frame(), proptest::collection::vec(any::<u8>(), 0..12)), 1..12),
            ) {
                let mut bytes = Vec::new();
                for (frame, garbage) in &items {
                    bytes.extend(garbage);
                    bytes.extend(frame.encode());
                }
                let mut dec = FrameDecoder::<BoardFrame>::new();
                let got: Vec<BoardFrame> = dec.push(&bytes).filter_map(Result::ok).collect();
                let mut rest = got.iter();
                for (frame, _) in &items {
                    prop_assert!(rest.any(|g| g == frame), "{:?} lost among {:?}", frame, got);
                }
            }
        }
    }
}
