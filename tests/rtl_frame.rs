//! frame_rx / frame_tx through miner_top's pins: the docs' example frames,
//! and every kind of malformed input followed by a valid frame that is answered.

use amber::device::protocol::{BoardFrame, FrameType, HostFrame, NakReason, SYNC};
use amber::hash::Nonce;

use crate::testbench::{example, random_bytes, seeded, work, Testbench};
use crate::util::block_headers;

fn nak(reason: NakReason, ty: u8) -> BoardFrame {
    BoardFrame::Nak {
        reason,
        refused_type: ty,
    }
}

/// A valid frame is answered: STATUS_REQUEST → STATUS with this many bad frames.
fn answered_with_bad_frames(bench: &mut Testbench, bad_frames: u32) {
    let (status, before) = bench.status();
    assert!(before.is_empty(), "unexpected frames {before:?}");
    assert_eq!(status.bad_frames, bad_frames);
}

#[test]
fn example_frames_are_answered_byte_exact() {
    let mut b = Testbench::new();
    // IDENTIFY and STATUS_REQUEST examples.
    b.send_raw(&example("identify"));
    let limit = b.bytes_time(100);
    assert!(matches!(b.recv(1, limit)[..], [BoardFrame::Identity(_)]));
    b.send_raw(&example("status_request"));
    assert!(matches!(b.recv(1, limit)[..], [BoardFrame::Status(_)]));

    // The WORK example (genesis, tag 7) yields the RESULT example, then DONE;
    // so does the same header counted in header-byte order (version 2's flag).
    for work in ["work", "work_header_order"] {
        b.send_raw(&example(work));
        let mut raw = Vec::new();
        let range = 0x1_0000 + b.bytes_time(100);
        let mut run = 0;
        while raw.len() < example("result").len() + example("done").len() && run < range {
            b.pins.clock(&mut b.top);
            raw.extend(b.pins.take());
            run += 1;
        }
        let mut want = example("result");
        want.extend(example("done"));
        assert_eq!(raw, want, "{work}");
    }

    // FLUSH example → STATUS, idle.
    b.send_raw(&example("flush"));
    match b.recv(1, limit)[..] {
        [BoardFrame::Status(s)] => assert!(!s.hashing() && s.queued == 0, "{s:?}"),
        ref other => panic!("expected STATUS, got {other:?}"),
    }
    b.assert_quiet(b.bytes_time(50));
}

#[test]
fn corrupted_work_is_nakked_with_the_example_nak() {
    let mut b = Testbench::new();
    let mut bad = example("work");
    bad[10] ^= 0x40;
    b.send_raw(&bad);
    let mut raw = Vec::new();
    let limit = b.bytes_time(40);
    let mut run = 0;
    while raw.len() < example("nak").len() && run < limit {
        b.pins.clock(&mut b.top);
        raw.extend(b.pins.take());
        run += 1;
    }
    assert_eq!(raw, example("nak"));
    answered_with_bad_frames(&mut b, 1);
}

#[test]
fn unknown_type_is_refused_at_once() {
    let mut b = Testbench::new();
    b.send_raw(&[SYNC, 0x7e]);
    // No LEN, payload or CRC follows: the NAK must come anyway, within a frame time.
    let limit = b.bytes_time(12);
    assert_eq!(b.recv(1, limit), [nak(NakReason::UnknownType, 0x7e)]);
    // A board → host type sent to the board is unknown too.
    b.send_raw(&example("result"));
    let limit = b.bytes_time(20);
    assert_eq!(b.recv(1, limit), [nak(NakReason::UnknownType, 0x82)]);
    answered_with_bad_frames(&mut b, 2);
}

#[test]
fn oversize_length_is_refused_without_waiting_for_a_payload() {
    let mut b = Testbench::new();
    b.send_raw(&[SYNC, FrameType::Work as u8, 0xff]);
    let limit = b.bytes_time(12);
    assert_eq!(b.recv(1, limit), [nak(NakReason::BadLength, 0x02)]);
    // A zero-length frame type with a length is refused too, and the next
    // frame right behind it (no gap) is answered.
    let mut bytes = vec![SYNC, FrameType::StatusRequest as u8, 0x05];
    bytes.extend(HostFrame::Identify.encode());
    b.send_raw(&bytes);
    let limit = b.bytes_time(60);
    let got = b.recv(2, limit);
    assert_eq!(got[0], nak(NakReason::BadLength, 0x04));
    assert!(matches!(got[1], BoardFrame::Identity(_)), "{got:?}");
    answered_with_bad_frames(&mut b, 2);
}

/// A version 2 board refuses version 1's shorter WORK at its LEN byte, skips
/// the rest as noise, and answers the next frame.
#[test]
fn version_1_work_is_refused_with_bad_length() {
    let mut b = Testbench::new();
    b.send_raw(&example("work_v1"));
    let limit = b.bytes_time(80);
    assert_eq!(b.recv(1, limit), [nak(NakReason::BadLength, 0x02)]);
    answered_with_bad_frames(&mut b, 1);
}

#[test]
fn bad_crc_then_valid_frame() {
    let mut b = Testbench::new();
    let mut bad = HostFrame::Identify.encode();
    bad[4] ^= 0x01;
    b.send_raw(&bad);
    b.send(&HostFrame::Identify);
    let limit = b.bytes_time(80);
    let got = b.recv(2, limit);
    assert_eq!(got[0], nak(NakReason::BadCrc, 0x01));
    assert!(matches!(got[1], BoardFrame::Identity(_)), "{got:?}");
    answered_with_bad_frames(&mut b, 1);
}

#[test]
fn truncated_frame_times_out_after_an_idle_gap() {
    let mut b = Testbench::new();
    let w = example("work");
    b.send_raw(&w[..20]);
    // More than 4 byte times of idle line inside the frame.
    b.pins.idle(60);
    b.drive();
    let limit = b.bytes_time(20);
    assert_eq!(b.recv(1, limit), [nak(NakReason::Timeout, 0x02)]);
    // Truncated right after SYNC: the type is not known yet.
    b.send_raw(&[SYNC]);
    b.pins.idle(60);
    b.drive();
    assert_eq!(b.recv(1, limit), [nak(NakReason::Timeout, 0x00)]);
    answered_with_bad_frames(&mut b, 2);
}

#[test]
fn gaps_inside_a_frame_up_to_four_byte_times_are_accepted() {
    let mut b = Testbench::new();
    // Exactly 4 byte times (40 bit times) of idle line between bytes.
    b.pins.send_with_gaps(&HostFrame::Identify.encode(), 40);
    b.drive();
    let limit = b.bytes_time(60);
    assert!(matches!(b.recv(1, limit)[..], [BoardFrame::Identity(_)]));
    // A 42-bit gap after SYNC and TYPE is more than 4 byte times: truncated.
    b.pins.send(&HostFrame::Identify.encode()[..2]);
    b.pins.idle(42);
    b.drive();
    assert_eq!(b.recv(1, limit), [nak(NakReason::Timeout, 0x01)]);
    answered_with_bad_frames(&mut b, 1);
}

#[test]
fn seeded_garbage_then_valid_frames_are_answered() {
    let (mut rng, seed) = seeded();
    let mut b = Testbench::new();
    b.note = format!("seed {seed}");
    for round in 0..4 {
        // Random bytes, with SYNC and valid type bytes sprinkled in so that
        // every decoder state is reached.
        let mut junk = random_bytes(&mut rng, 150);
        for byte in junk.iter_mut() {
            match rng.next_u64() % 8 {
                0 => *byte = SYNC,
                1 => *byte = (rng.next_u64() % 5) as u8,
                _ => {}
            }
        }
        b.send_raw(&junk);
        // Let a frame the garbage left open time out.
        b.pins.idle(60);
        b.drive();
        let (status_before, naks) = b.status();
        assert!(
            naks.iter().all(|f| matches!(f, BoardFrame::Nak { .. })),
            "seed {seed} round {round}: {naks:?}"
        );
        assert!(
            status_before.bad_frames as usize >= naks.len(),
            "seed {seed} round {round}: {} bad frames, {} NAKs",
            status_before.bad_frames,
            naks.len()
        );
        b.send(&HostFrame::Identify);
        let limit = b.bytes_time(200);
        let got = b.recv_until(limit, |f| matches!(f, BoardFrame::Identity(_)));
        assert!(
            got.iter()
                .all(|f| matches!(f, BoardFrame::Nak { .. } | BoardFrame::Identity(_))),
            "seed {seed} round {round}: {got:?}"
        );
        let (status, other) = b.status();
        assert!(other.is_empty(), "seed {seed} round {round}: {other:?}");
        assert_eq!(
            status.bad_frames, status_before.bad_frames,
            "seed {seed} round {round}: valid frames counted as bad"
        );
        assert_eq!(b.pins.framing_errors(), 0, "seed {seed}");
    }
}

#[test]
fn a_result_survives_garbage_on_the_line() {
    // The genesis nonce is found while garbage streams in.
    let header = block_headers().remove(0);
    let nonce = header.nonce().0;
    let mut b = Testbench::new();
    b.send(&work(3, &header, nonce - 64, nonce + 64, 0));
    let (mut rng, seed) = seeded();
    b.note = format!("seed {seed}");
    b.send_raw(&random_bytes(&mut rng, 60));
    b.pins.idle(60);
    b.drive();
    let limit = b.bytes_time(200);
    let got = b.recv_until(limit, |f| matches!(f, BoardFrame::Done { tag: 3 }));
    let results: Vec<_> = got
        .iter()
        .filter_map(|f| match f {
            BoardFrame::Result { tag, nonce } => Some((*tag, *nonce)),
            _ => None,
        })
        .collect();
    assert_eq!(results, [(3, Nonce(nonce))], "seed {seed}: {got:?}");
    assert_eq!(header.hash().leading_word(), 0);
}
