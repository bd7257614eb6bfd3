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
//!
//! The typed messages are in `message`, the streaming decoder in `decoder`;
//! this module holds the frame format both share.

use thiserror::Error;

mod decoder;
mod message;

pub use decoder::{FrameDecoder, Message};
pub use message::{
    BoardFrame, HostFrame, Identity, NakReason, NonceOrder, Status, Work, MAX_ROUNDS_PER_CLK,
};

/// The first byte of every frame.
pub const SYNC: u8 = 0xA5;
/// The newest protocol version this codec speaks (IDENTITY `protocol_version`).
pub const PROTOCOL_VERSION: u8 = 2;
/// The oldest protocol version this codec speaks.
pub const MIN_PROTOCOL_VERSION: u8 = 1;
/// The first protocol version whose WORK carries a flags byte, and so the
/// first that counts the nonce in header-byte order.
pub const WORK_FLAGS_VERSION: u8 = 2;
/// WORK flags bit 0 (from [`WORK_FLAGS_VERSION`] on): count the nonce in header-byte order.
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
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The fixed payload length of this type in a protocol version (WORK has a
    /// flags byte from version 2 on).
    pub fn payload_len(self, version: u8) -> usize {
        match self {
            FrameType::Identify | FrameType::Flush | FrameType::StatusRequest => 0,
            FrameType::Work if version >= WORK_FLAGS_VERSION => 58,
            FrameType::Work => 57,
            FrameType::Identity => 13,
            FrameType::Result => 5,
            FrameType::Done => 1,
            FrameType::Status => 19,
            FrameType::Nak => 2,
        }
    }

    /// The type's wire code (the `TYPE` byte, and what a NAK names as refused).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// True for board → host types.
    pub fn from_board(self) -> bool {
        self.code() & 0x80 != 0
    }
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
    out.push(ty.code());
    // Payload lengths are the fixed per-type lengths, all < 256.
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
    let crc = crc16(&out[1..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../../../docs/protocol.md");

    /// The `frames` block of docs/protocol.md: (name, bytes).
    pub(super) fn examples() -> Vec<(String, Vec<u8>)> {
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
    pub(super) fn decode_one<M: Message + std::fmt::Debug>(bytes: &[u8]) -> Result<M, String> {
        let mut dec = FrameDecoder::<M>::new();
        let got: Vec<_> = dec.push(bytes).collect();
        match &got[..] {
            [Ok(_)] if !dec.in_frame() && dec.skipped_bytes() == 0 => {
                got.into_iter().next().unwrap().map_err(|e| e.to_string())
            }
            _ => Err(format!("not exactly one frame: {got:?}")),
        }
    }

    pub(super) fn example(name: &str) -> Vec<u8> {
        examples().into_iter().find(|(n, _)| n == name).unwrap().1
    }

    pub(super) fn board(bytes: &[u8]) -> Vec<Result<BoardFrame, FrameError>> {
        FrameDecoder::<BoardFrame>::new().push(bytes).collect()
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
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
}
