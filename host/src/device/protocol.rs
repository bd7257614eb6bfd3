//! Wire protocol v1 frame codec (docs/protocol.md): host → board frames,
//! board → host frames and a byte-stream decoder that survives garbage.

use thiserror::Error;

use crate::hash::{HeaderTail, Midstate};

/// Every frame starts with this byte.
pub const SYNC: u8 = 0xA5;

/// CRC-16/CCITT-FALSE over `bytes` (poly 0x1021, init 0xFFFF).
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(SYNC);
    out.push(kind);
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
    let crc = crc16(&out[1..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// One WORK frame's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    /// Host-chosen tag the board echoes in RESULT, DONE and STATUS.
    pub tag: u8,
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: Midstate,
    /// Header bytes 64..75.
    pub tail: HeaderTail,
    /// First nonce swept.
    pub nonce_start: u32,
    /// Last nonce swept (inclusive).
    pub nonce_end: u32,
    /// Report nonces whose hash's leading 32-bit word is at most this.
    pub threshold: u32,
}

/// Frames the host sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostFrame {
    /// Ask for IDENTITY.
    Identify,
    /// Queue a work item.
    Work(Work),
    /// Abandon current and queued work; answered with STATUS.
    Flush,
    /// Ask for STATUS.
    StatusRequest,
}

impl HostFrame {
    /// The frame's bytes on the wire, CRC included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            HostFrame::Identify => frame(0x01, &[]),
            HostFrame::Work(w) => {
                let mut p = Vec::with_capacity(57);
                p.push(w.tag);
                p.extend_from_slice(w.midstate.be_bytes());
                p.extend_from_slice(w.tail.bytes());
                p.extend_from_slice(&w.nonce_start.to_be_bytes());
                p.extend_from_slice(&w.nonce_end.to_be_bytes());
                p.extend_from_slice(&w.threshold.to_be_bytes());
                frame(0x02, &p)
            }
            HostFrame::Flush => frame(0x03, &[]),
            HostFrame::StatusRequest => frame(0x04, &[]),
        }
    }
}

/// IDENTITY payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Protocol version (1).
    pub protocol_version: u8,
    /// Build id fixed at synthesis.
    pub build_id: u32,
    /// Parallel cores.
    pub cores: u8,
    /// SHA-256 rounds per clock per core.
    pub rounds_per_clk: u8,
    /// Core clock, Hz.
    pub core_clock_hz: u32,
    /// Flags; bit 0 = end-inclusive ranges.
    pub flags: u8,
    /// Work items the board queues beyond the running one.
    pub queue_depth: u8,
}

/// STATUS payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Running (or last run) work item's tag.
    pub tag: u8,
    /// Bit 0 = hashing.
    pub state: u8,
    /// Work items waiting.
    pub queued: u8,
    /// Nonces hashed since reset, all cores, wrapping.
    pub nonces_hashed: u64,
    /// Frames dropped by the board.
    pub bad_frames: u32,
    /// Results lost to FIFO overflow.
    pub dropped_results: u32,
}

/// NAK reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NakReason {
    /// Checksum mismatch.
    BadCrc,
    /// No such type.
    UnknownType,
    /// LEN differs from the type's length.
    BadLength,
    /// Truncated frame.
    Timeout,
    /// WORK refused: queue full.
    QueueFull,
    /// WORK refused: end before start.
    BadRange,
    /// A reason this host does not know.
    Other(u8),
}

impl NakReason {
    fn from_byte(b: u8) -> Self {
        match b {
            1 => NakReason::BadCrc,
            2 => NakReason::UnknownType,
            3 => NakReason::BadLength,
            4 => NakReason::Timeout,
            5 => NakReason::QueueFull,
            6 => NakReason::BadRange,
            other => NakReason::Other(other),
        }
    }

    fn byte(self) -> u8 {
        match self {
            NakReason::BadCrc => 1,
            NakReason::UnknownType => 2,
            NakReason::BadLength => 3,
            NakReason::Timeout => 4,
            NakReason::QueueFull => 5,
            NakReason::BadRange => 6,
            NakReason::Other(b) => b,
        }
    }
}

/// Frames the board sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoardFrame {
    /// Answer to IDENTIFY.
    Identity(Identity),
    /// A nonce whose hash met the threshold.
    Result {
        /// Work item tag.
        tag: u8,
        /// The nonce (number).
        nonce: u32,
    },
    /// Every nonce of the tagged item has been hashed.
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
        refused: u8,
    },
}

impl BoardFrame {
    /// The frame's bytes on the wire, CRC included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            BoardFrame::Identity(i) => {
                let mut p = vec![i.protocol_version];
                p.extend_from_slice(&i.build_id.to_be_bytes());
                p.extend_from_slice(&[i.cores, i.rounds_per_clk]);
                p.extend_from_slice(&i.core_clock_hz.to_be_bytes());
                p.extend_from_slice(&[i.flags, i.queue_depth]);
                frame(0x81, &p)
            }
            BoardFrame::Result { tag, nonce } => {
                let mut p = vec![*tag];
                p.extend_from_slice(&nonce.to_be_bytes());
                frame(0x82, &p)
            }
            BoardFrame::Done { tag } => frame(0x83, &[*tag]),
            BoardFrame::Status(s) => {
                let mut p = vec![s.tag, s.state, s.queued];
                p.extend_from_slice(&s.nonces_hashed.to_be_bytes());
                p.extend_from_slice(&s.bad_frames.to_be_bytes());
                p.extend_from_slice(&s.dropped_results.to_be_bytes());
                frame(0x84, &p)
            }
            BoardFrame::Nak { reason, refused } => frame(0x8F, &[reason.byte(), *refused]),
        }
    }

    fn parse(kind: u8, p: &[u8]) -> Option<Self> {
        let u32_at = |i: usize| -> Option<u32> {
            Some(u32::from_be_bytes(p.get(i..i + 4)?.try_into().ok()?))
        };
        Some(match kind {
            0x81 => BoardFrame::Identity(Identity {
                protocol_version: *p.first()?,
                build_id: u32_at(1)?,
                cores: *p.get(5)?,
                rounds_per_clk: *p.get(6)?,
                core_clock_hz: u32_at(7)?,
                flags: *p.get(11)?,
                queue_depth: *p.get(12)?,
            }),
            0x82 => BoardFrame::Result {
                tag: *p.first()?,
                nonce: u32_at(1)?,
            },
            0x83 => BoardFrame::Done { tag: *p.first()? },
            0x84 => BoardFrame::Status(Status {
                tag: *p.first()?,
                state: *p.get(1)?,
                queued: *p.get(2)?,
                nonces_hashed: u64::from_be_bytes(p.get(3..11)?.try_into().ok()?),
                bad_frames: u32_at(11)?,
                dropped_results: u32_at(15)?,
            }),
            0x8F => BoardFrame::Nak {
                reason: NakReason::from_byte(*p.first()?),
                refused: *p.get(1)?,
            },
            _ => return None,
        })
    }
}

fn board_len(kind: u8) -> Option<usize> {
    match kind {
        0x81 => Some(13),
        0x82 => Some(5),
        0x83 => Some(1),
        0x84 => Some(19),
        0x8F => Some(2),
        _ => None,
    }
}

/// Why the decoder dropped bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    /// A frame type no board sends.
    #[error("unknown frame type {kind:#04x}")]
    UnknownType {
        /// The type byte.
        kind: u8,
    },
    /// LEN does not match the type.
    #[error("frame type {kind:#04x} with length {len}")]
    BadLength {
        /// The type byte.
        kind: u8,
        /// The LEN byte.
        len: u8,
    },
    /// Checksum mismatch.
    #[error("frame type {kind:#04x}: CRC {found:#06x}, expected {expected:#06x}")]
    BadCrc {
        /// The type byte.
        kind: u8,
        /// CRC received.
        found: u16,
        /// CRC computed.
        expected: u16,
    },
}

/// Turns a byte stream from a board into frames; bad frames come out as
/// errors and the decoder hunts for the next SYNC.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame or error, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<BoardFrame, FrameError>> {
        loop {
            let start = self.buf.iter().position(|&b| b == SYNC);
            match start {
                None => {
                    self.buf.clear();
                    return None;
                }
                Some(s) => {
                    self.buf.drain(..s);
                }
            }
            let kind = *self.buf.get(1)?;
            let Some(want) = board_len(kind) else {
                self.buf.drain(..1);
                return Some(Err(FrameError::UnknownType { kind }));
            };
            let len = *self.buf.get(2)?;
            if usize::from(len) != want {
                self.buf.drain(..1);
                return Some(Err(FrameError::BadLength { kind, len }));
            }
            let total = want + 5;
            if self.buf.len() < total {
                return None;
            }
            let expected = crc16(&self.buf[1..3 + want]);
            let found = u16::from_be_bytes([self.buf[3 + want], self.buf[4 + want]]);
            if expected != found {
                self.buf.drain(..1);
                return Some(Err(FrameError::BadCrc {
                    kind,
                    found,
                    expected,
                }));
            }
            let parsed = BoardFrame::parse(kind, &self.buf[3..3 + want]);
            self.buf.drain(..total);
            if let Some(frame) = parsed {
                return Some(Ok(frame));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Vec<u8> {
        let doc = include_str!("../../../docs/protocol.md");
        let block = doc.split("```frames").nth(1).unwrap();
        let line = block
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap();
        line.split_whitespace()
            .skip(1)
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect()
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn host_frames_match_examples() {
        assert_eq!(HostFrame::Identify.encode(), example("identify"));
        assert_eq!(HostFrame::Flush.encode(), example("flush"));
        assert_eq!(HostFrame::StatusRequest.encode(), example("status_request"));
        let genesis = crate::hash::Header::from_hex("0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c").unwrap();
        let work = HostFrame::Work(Work {
            tag: 7,
            midstate: genesis.midstate(),
            tail: genesis.tail(),
            nonce_start: 0x7c2b_0000,
            nonce_end: 0x7c2b_ffff,
            threshold: 0,
        });
        assert_eq!(work.encode(), example("work"));
    }

    #[test]
    fn board_frames_decode_and_reencode() {
        for name in ["identity", "result", "done", "status", "nak"] {
            let bytes = example(name);
            let mut d = FrameDecoder::new();
            d.push(&[0x00, 0x13]);
            d.push(&bytes);
            let frame = d.next_frame().unwrap().unwrap();
            assert_eq!(frame.encode(), bytes, "{name}");
            assert!(d.next_frame().is_none());
        }
    }

    #[test]
    fn corrupted_frame_is_reported_then_next_frame_decodes() {
        let mut bad = example("result");
        bad[4] ^= 1;
        let mut d = FrameDecoder::new();
        d.push(&bad);
        d.push(&example("done"));
        assert!(matches!(
            d.next_frame(),
            Some(Err(FrameError::BadCrc { .. }))
        ));
        let mut got = None;
        while let Some(f) = d.next_frame() {
            if let Ok(f) = f {
                got = Some(f);
            }
        }
        assert_eq!(got, Some(BoardFrame::Done { tag: 7 }));
    }
}
