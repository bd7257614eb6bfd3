//! The streaming frame decoder: finds frames in whatever bytes arrived,
//! refuses malformed ones and resynchronizes.

use std::collections::VecDeque;
use std::marker::PhantomData;

use super::{crc16, BoardFrame, FrameError, FrameType, FRAME_OVERHEAD, PROTOCOL_VERSION, SYNC};

/// A message one end decodes: [`BoardFrame`] on the host, [`HostFrame`](super::HostFrame) in
/// tests that play the board.
pub trait Message: Sized {
    /// True for the frame types this direction carries.
    fn accepts(ty: FrameType) -> bool;
    /// Builds the message from a payload of exactly `ty.payload_len()` bytes.
    fn from_payload(ty: FrameType, payload: &[u8]) -> Result<Self, FrameError>;
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
    use crate::device::protocol::tests::{board, example};
    use crate::device::protocol::HostFrame;

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

    mod properties {
        use crate::device::protocol::*;
        use crate::hash::Nonce;
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
