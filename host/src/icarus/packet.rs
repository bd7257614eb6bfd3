//! The Icarus serial format, as bfgminer's `icarus` driver speaks it.
//!
//! Work is 64 bytes: the midstate words H7, H6, …, H0 (each big-endian), 20
//! zero bytes, then header bytes 64..75
//! as three 4-byte groups in reverse order (bytes 72..75, 68..71, 64..67), each
//! group as it stands in the header. The device counts the header's nonce
//! bytes 76..79, read big-endian, upward from 0, and answers each nonce whose
//! hash has 32 leading zero bits with those four bytes as they stand. A new
//! work packet aborts the current one.

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::hash::{HeaderTail, Midstate, Nonce};

/// Bytes in a work packet.
pub const PACKET_LEN: usize = 64;
/// Bytes in an answer.
pub const ANSWER_LEN: usize = 4;
/// Where the zero bytes between the midstate and the tail lie.
const PADDING: std::ops::Range<usize> = 32..52;

/// The golden work bfgminer probes a device with (block 171874's header), hex.
pub const GOLDEN_WORK: &str = "4679ba4ec99876bf4bfe086082b400254df6c356451471139a3afa71e48f544a\
                               00000000000000000000000000000000\
                               0000000087320b1a1426674f2fa722ce";
/// The golden work's answer: its nonce's header bytes (about 100 k hashes in).
pub const GOLDEN_NONCE: [u8; ANSWER_LEN] = [0x00, 0x01, 0x87, 0xa2];

/// [`GOLDEN_WORK`] as the packet bfgminer writes.
pub fn golden_packet() -> [u8; PACKET_LEN] {
    let mut packet = [0u8; PACKET_LEN];
    for (i, byte) in packet.iter_mut().enumerate() {
        let digits = GOLDEN_WORK.get(2 * i..2 * i + 2).unwrap_or("00");
        *byte = u8::from_str_radix(digits, 16).unwrap_or(0);
    }
    packet
}

/// One Icarus work packet, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcarusWork {
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: Midstate,
    /// Header bytes 64..75.
    pub tail: HeaderTail,
}

/// A packet that is not Icarus work.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PacketError {
    /// Bytes 32..51 must be zero; other values are not work an Icarus takes.
    #[error("Icarus packet with non-zero bytes {first:#04x}.. where 20 zero bytes belong (at {at}); ignored")]
    Padding {
        /// Offset of the first non-zero byte.
        at: usize,
        /// Its value.
        first: u8,
    },
    /// The line went idle with a packet half received.
    #[error("Icarus packet cut short: {received} of 64 bytes, then silence; dropped")]
    Truncated {
        /// Bytes received.
        received: usize,
    },
}

impl IcarusWork {
    /// Decodes a packet.
    pub fn parse(packet: &[u8; PACKET_LEN]) -> Result<IcarusWork, PacketError> {
        if let Some(at) = PADDING.clone().find(|&i| packet[i] != 0) {
            return Err(PacketError::Padding {
                at,
                first: packet[at],
            });
        }
        let mut mid = [0u8; 32];
        for (word, chunk) in packet[..32].chunks_exact(4).enumerate() {
            let at = 28 - 4 * word;
            mid[at..at + 4].copy_from_slice(chunk);
        }
        let mut tail = [0u8; 12];
        for (group, chunk) in packet[52..].chunks_exact(4).enumerate() {
            let at = 8 - 4 * group;
            tail[at..at + 4].copy_from_slice(chunk);
        }
        Ok(IcarusWork {
            midstate: Midstate::from_be_bytes(mid),
            tail: HeaderTail::from_bytes(tail),
        })
    }

    /// The packet bfgminer would send for this work.
    pub fn encode(&self) -> [u8; PACKET_LEN] {
        let mut packet = [0u8; PACKET_LEN];
        let mid = self.midstate.be_bytes();
        for word in 0..8 {
            let at = 28 - 4 * word;
            packet[4 * word..4 * word + 4].copy_from_slice(&mid[at..at + 4]);
        }
        let tail = self.tail.bytes();
        for group in 0..3 {
            let at = 8 - 4 * group;
            packet[52 + 4 * group..56 + 4 * group].copy_from_slice(&tail[at..at + 4]);
        }
        packet
    }
}

/// The answer for a nonce found: its header bytes.
pub fn answer(nonce: Nonce) -> [u8; ANSWER_LEN] {
    nonce.header_bytes()
}

/// Gathers packets from the byte stream. A packet's bytes come together; a
/// partial packet followed by `gap` of silence is dropped, so a stray byte
/// never shifts every later packet.
#[derive(Debug)]
pub struct Assembler {
    buf: Vec<u8>,
    last: Option<Instant>,
    gap: Duration,
}

impl Assembler {
    /// An empty assembler that drops partial packets after `gap` of silence.
    pub fn new(gap: Duration) -> Self {
        Assembler {
            buf: Vec::with_capacity(PACKET_LEN),
            last: None,
            gap,
        }
    }

    /// Takes bytes that arrived at `now`; returns the packets they complete.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<Result<IcarusWork, PacketError>> {
        let mut out = Vec::new();
        if let Some(cut) = self.idle(now) {
            out.push(Err(cut));
        }
        if !bytes.is_empty() {
            self.last = Some(now);
        }
        for &b in bytes {
            self.buf.push(b);
            if self.buf.len() == PACKET_LEN {
                let mut packet = [0u8; PACKET_LEN];
                packet.copy_from_slice(&self.buf);
                self.buf.clear();
                out.push(IcarusWork::parse(&packet));
            }
        }
        out
    }

    /// The line has been quiet until `now`: a partial packet older than the gap is dropped.
    pub fn idle(&mut self, now: Instant) -> Option<PacketError> {
        let stale = self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) > self.gap);
        if stale && !self.buf.is_empty() {
            let received = self.buf.len();
            self.buf.clear();
            return Some(PacketError::Truncated { received });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocol::NonceOrder;
    use proptest::prelude::*;

    fn golden() -> [u8; PACKET_LEN] {
        assert_eq!(GOLDEN_WORK.len(), 2 * PACKET_LEN);
        let p = golden_packet();
        assert_eq!(hex::encode(p), GOLDEN_WORK);
        p
    }

    /// The golden work decodes to a header whose nonce with header bytes
    /// 00 01 87 a2 hashes to difficulty ≥ 1: the layout is bfgminer's.
    #[test]
    fn the_golden_work_hashes_to_a_share_at_the_golden_nonce() {
        let work = IcarusWork::parse(&golden()).unwrap();
        let nonce = Nonce(u32::from_le_bytes(GOLDEN_NONCE));
        assert_eq!(answer(nonce), GOLDEN_NONCE);
        let hash = work.midstate.hash_with(&work.tail, nonce);
        assert_eq!(
            hash.display_hex(),
            "00000000000004b64108a8e4168cfaa890d62b8c061c6b74305b7f6cb2cf9fda"
        );
        // About 100 k counts in.
        assert_eq!(NonceOrder::HeaderBytes.counter(nonce), 100_258);
        // ntime and nbits of block 171874 stand in the tail as in the header.
        assert_eq!(
            &work.tail.bytes()[4..],
            &[0x14, 0x26, 0x67, 0x4f, 0x87, 0x32, 0x0b, 0x1a]
        );
        assert_eq!(work.encode(), golden());
    }

    #[test]
    fn padding_must_be_zero() {
        let mut p = golden();
        p[40] = 0x55;
        assert_eq!(
            IcarusWork::parse(&p),
            Err(PacketError::Padding {
                at: 40,
                first: 0x55
            })
        );
    }

    #[test]
    fn packets_assemble_and_partial_ones_are_dropped_after_silence() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut a = Assembler::new(Duration::from_millis(100));
        let g = golden();
        assert!(a.push(&g[..10], ms(0)).is_empty());
        let got = a.push(&g[10..], ms(5));
        assert!(matches!(got[..], [Ok(_)]));
        // A stray byte, silence, then a whole packet: the stray byte is dropped.
        assert!(a.push(&[0x42], ms(10)).is_empty());
        assert_eq!(a.idle(ms(50)), None);
        let got = a.push(&g, ms(500));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Err(PacketError::Truncated { received: 1 }));
        assert!(got[1].is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes, however cut and timed: packets or named errors, never a panic,
        /// never more than a packet held.
        #[test]
        fn any_bytes_assemble_or_are_refused(
            chunks in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..100), 0u64..300), 0..20)
        ) {
            let t = Instant::now();
            let mut a = Assembler::new(Duration::from_millis(100));
            let mut at = 0;
            for (bytes, gap) in chunks {
                at += gap;
                let _ = a.push(&bytes, t + Duration::from_millis(at));
                prop_assert!(a.buf.len() < PACKET_LEN);
            }
        }
    }
}
