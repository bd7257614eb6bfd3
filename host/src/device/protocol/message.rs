//! The typed messages of each direction: what each frame carries, how it is
//! written to the wire and read back from a checked payload.

use super::decoder::Message;
use super::{
    frame, FrameError, FrameType, FLAG_END_INCLUSIVE, PROTOCOL_VERSION, STATE_HASHING,
    WORK_FLAGS_VERSION, WORK_FLAG_HEADER_ORDER,
};
use crate::hash::{HeaderTail, Midstate, Nonce};

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
    /// Nonces per second the board hashes at full duty: its cores and rounds per
    /// clock through [`crate::board::hashes_per_clock`], times its clock;
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
            HostFrame::Work(w) if version < WORK_FLAGS_VERSION && w.order != NonceOrder::Number => {
                None
            }
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
            if version >= WORK_FLAGS_VERSION {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocol::tests::{board, decode_one, example, examples};
    use crate::device::protocol::{crc16, FrameDecoder};

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
        let genesis = crate::hash::Header::from_hex(crate::hash::GENESIS_HEADER_HEX).unwrap();
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
        let genesis = crate::hash::Header::from_hex(crate::hash::GENESIS_HEADER_HEX).unwrap();
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
                refused_type: FrameType::Work.code()
            })]
        );
    }

    #[test]
    fn unknown_nak_reason_is_an_error_value() {
        let nak = frame(FrameType::Nak, &[0x09, 0x02]);
        assert_eq!(
            board(&nak),
            [Err(FrameError::UnknownNakReason { reason: 0x09 })]
        );
    }
}
