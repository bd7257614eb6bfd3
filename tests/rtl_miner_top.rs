//! miner_top end to end on its pins: identify, work → results on real block
//! headers (checked with the reference hasher), flush, status counters,
//! refusals, result FIFO overflow, fair response order and back-to-back work.

use amber::device::protocol::{
    BoardFrame, HostFrame, NakReason, FLAG_END_INCLUSIVE, PROTOCOL_VERSION,
};
use amber::hash::Nonce;

use crate::testbench::{expected_results, random_bytes, seeded, work, Testbench};
use crate::util::block_headers;

/// Clocks to hash `n` nonces, with slack for the pipeline and the line.
fn hash_time(b: &Testbench, n: u64) -> u64 {
    let per_clock = (b.top.cores() * b.top.rounds_per_clk()).max(1);
    n * 64 / per_clock + 2_000 + b.bytes_time(100)
}

fn results_of(frames: &[BoardFrame], want_tag: u8) -> Vec<Nonce> {
    frames
        .iter()
        .filter_map(|f| match f {
            BoardFrame::Result { tag, nonce } if *tag == want_tag => Some(*nonce),
            _ => None,
        })
        .collect()
}

#[test]
fn identify_reports_the_build() {
    let mut b = Testbench::new();
    let id = b.identify();
    assert_eq!(id.protocol_version, PROTOCOL_VERSION);
    assert_eq!(u64::from(id.build_id), b.top.build_id());
    assert_eq!(u64::from(id.cores), b.top.cores());
    assert_eq!(u64::from(id.rounds_per_clk), b.top.rounds_per_clk());
    assert_eq!(u64::from(id.core_clock_hz), b.top.clk_hz());
    assert_eq!(id.flags, FLAG_END_INCLUSIVE);
    assert_eq!(id.queue_depth, 1);
    b.assert_quiet(b.bytes_time(20));
}

#[test]
fn every_block_header_is_found() {
    let mut b = Testbench::new();
    for (i, header) in block_headers().into_iter().enumerate() {
        let nonce = header.nonce().0;
        let (start, end) = (nonce.saturating_sub(300), nonce.saturating_add(200));
        // The threshold of the block's own target: the real nonce qualifies.
        let threshold = header.target().unwrap().leading_word();
        let tag = 0x10 + i as u8;
        b.send(&work(tag, &header, start, end, threshold));
        let limit = hash_time(&b, u64::from(end - start) + 1);
        let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag });
        let want = expected_results(&header, start, end, threshold);
        assert!(want.contains(&header.nonce()));
        assert_eq!(results_of(&got, tag), want, "block {i}");
        for n in results_of(&got, tag) {
            let hash = header.with_nonce(n).hash();
            assert!(hash.leading_word() <= threshold);
        }
    }
    b.assert_quiet(b.bytes_time(20));
}

#[test]
fn random_work_matches_the_reference() {
    // Random headers, a loose threshold so several nonces qualify.
    let (mut rng, seed) = seeded();
    let mut b = Testbench::new();
    b.note = format!("seed {seed}");
    for round in 0..3u8 {
        let bytes: [u8; 80] = random_bytes(&mut rng, 80).try_into().unwrap();
        let header = amber::hash::Header::from_bytes(bytes);
        let start = rng.next_u64() as u32;
        let end = start.saturating_add(400);
        let threshold = 0x0400_0000;
        let want = expected_results(&header, start, end, threshold);
        b.send(&work(round, &header, start, end, threshold));
        let limit =
            hash_time(&b, u64::from(end - start) + 1) + b.bytes_time(10 * want.len() as u64);
        let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag: round });
        assert_eq!(results_of(&got, round), want, "seed {seed} round {round}");
    }
}

#[test]
fn range_ending_at_the_last_nonce() {
    let header = block_headers().remove(1);
    let mut b = Testbench::new();
    let threshold = 0x0800_0000;
    b.send(&work(9, &header, 0xffff_ff00, 0xffff_ffff, threshold));
    let limit = hash_time(&b, 256);
    let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag: 9 });
    assert_eq!(
        results_of(&got, 9),
        expected_results(&header, 0xffff_ff00, 0xffff_ffff, threshold)
    );
    // A one-nonce range.
    let n = header.nonce().0;
    b.send(&work(10, &header, n, n, 0xffff_ffff));
    let limit = hash_time(&b, 1);
    let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag: 10 });
    assert_eq!(results_of(&got, 10), [Nonce(n)]);
}

#[test]
fn status_counters_grow() {
    let header = block_headers().remove(0);
    let mut b = Testbench::new();
    let (s0, _) = b.status();
    assert_eq!(
        (s0.nonces_hashed, s0.bad_frames, s0.dropped_results),
        (0, 0, 0)
    );
    assert!(!s0.hashing());
    // A long range: the board is hashing while we ask.
    b.send(&work(5, &header, 0, 0xffff_ffff, 0));
    let (s1, _) = b.status();
    assert!(s1.hashing() && s1.tag == 5, "{s1:?}");
    assert!(b.top.led_hashing());
    let before = b.pins.cycles();
    b.run(5_000);
    let (s2, _) = b.status();
    // At least the nominal rate over the clocks run (the STATUS exchange adds more).
    let nominal =
        (b.pins.cycles() - before - b.bytes_time(30)) * b.top.cores() * b.top.rounds_per_clk() / 64;
    assert!(
        s2.nonces_hashed >= s1.nonces_hashed + nominal,
        "{s1:?} {s2:?} {nominal}"
    );
    // Two bad frames are counted.
    b.send_raw(&[0xa5, 0x02, 0x01]);
    b.send_raw(&[0xa5, 0x66]);
    let (s3, naks) = b.status();
    assert_eq!(s3.bad_frames, 2, "{naks:?}");
    assert_eq!(naks.len(), 2);
    b.send(&HostFrame::Flush);
}

#[test]
fn flush_abandons_running_and_queued_work() {
    let header = block_headers().remove(0);
    let mut b = Testbench::new();
    b.send(&work(1, &header, 0, 0xffff_ffff, 0));
    b.send(&work(2, &header, 0, 0xffff_ffff, 0));
    let (s, _) = b.status();
    assert!(s.hashing() && s.queued == 1 && s.tag == 1, "{s:?}");
    b.send(&HostFrame::Flush);
    let limit = b.bytes_time(200);
    let got = b.recv_until(limit, |f| matches!(f, BoardFrame::Status(_)));
    let Some(BoardFrame::Status(after)) = got.last() else {
        unreachable!()
    };
    assert!(!after.hashing() && after.queued == 0, "{after:?}");
    assert!(!b.top.led_hashing());
    // Nothing hashes any more.
    b.run(2_000);
    let (s2, _) = b.status();
    assert_eq!(s2.nonces_hashed, after.nonces_hashed);
    // New work after a flush runs normally.
    let n = header.nonce().0;
    b.send(&work(3, &header, n - 10, n + 10, 0));
    let limit = hash_time(&b, 21);
    let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag: 3 });
    assert_eq!(results_of(&got, 3), [Nonce(n)]);
}

#[test]
fn refused_work_is_nakked_and_counted() {
    let header = block_headers().remove(0);
    let mut b = Testbench::new();
    b.send(&work(1, &header, 10, 9, 0));
    let limit = b.bytes_time(20);
    assert_eq!(
        b.recv(1, limit),
        [BoardFrame::Nak {
            reason: NakReason::BadRange,
            refused_type: 0x02
        }]
    );
    // One running, one queued: the third is refused.
    b.send(&work(2, &header, 0, 0xffff_ffff, 0));
    b.send(&work(3, &header, 0, 0xffff_ffff, 0));
    b.send(&work(4, &header, 0, 0xffff_ffff, 0));
    assert_eq!(
        b.recv(1, limit),
        [BoardFrame::Nak {
            reason: NakReason::QueueFull,
            refused_type: 0x02
        }]
    );
    let (s, _) = b.status();
    assert_eq!((s.bad_frames, s.tag, s.queued), (2, 2, 1), "{s:?}");
}

#[test]
fn result_fifo_overflow_is_counted() {
    // Every nonce qualifies: results come far faster than the line carries them.
    let header = block_headers().remove(0);
    let mut b = Testbench::new();
    let n = 300u32;
    b.send(&work(4, &header, 1000, 1000 + n - 1, 0xffff_ffff));
    let limit = hash_time(&b, u64::from(n)) + b.bytes_time(10 * 40);
    let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag: 4 });
    let results = results_of(&got, 4);
    let (s, _) = b.status();
    // Nothing is lost uncounted: results sent + dropped = nonces.
    assert_eq!(
        results.len() as u64 + u64::from(s.dropped_results),
        u64::from(n)
    );
    assert!(s.dropped_results > 0, "{s:?}");
    // The results that did arrive are real, distinct and in order.
    assert!(results.windows(2).all(|w| w[0] < w[1]));
    assert!(results.iter().all(|r| (1000..1000 + n).contains(&r.0)));
}

#[test]
fn status_is_not_starved_by_a_burst_of_results() {
    let header = block_headers().remove(0);
    let mut b = Testbench::new();
    b.send(&work(6, &header, 0, 5_000, 0xffff_ffff));
    b.run(b.bytes_time(20));
    b.send(&HostFrame::StatusRequest);
    // Once the request is in, at most the RESULT already on the line goes
    // before the STATUS, though thousands of results wait.
    let before = b.take_pending();
    assert!(!before.is_empty());
    let limit = b.bytes_time(80);
    let got = b.recv_until(limit, |f| matches!(f, BoardFrame::Status(_)));
    assert!(got.len() <= 2, "{got:?}");
    // And results keep flowing while STATUS requests keep coming.
    for _ in 0..5 {
        b.send(&HostFrame::StatusRequest);
    }
    let limit = b.bytes_time(200);
    let got = b.recv(6, limit);
    assert!(
        got.iter().any(|f| matches!(f, BoardFrame::Result { .. })),
        "{got:?}"
    );
}

#[test]
fn two_work_items_back_to_back_without_idle_clocks() {
    let header = block_headers().remove(0);
    let nonce = header.nonce().0;
    let mut b = Testbench::new();
    // A runs longer than B's frame takes on the line.
    let (a_start, a_end) = (nonce - 20_000, nonce - 1);
    let (b_start, b_end) = (nonce, nonce + 1_000);
    // Both frames in one burst: B arrives while A runs and waits in the queue.
    let mut bytes = work(1, &header, a_start, a_end, 0).encode();
    bytes.extend(work(2, &header, b_start, b_end, 0).encode());
    b.pins.send(&bytes);
    // Watch the hashing LED: once on, it must stay on until B is done.
    let (mut on, mut off_after_on, mut busy_clocks) = (false, false, 0u64);
    let limit = hash_time(&b, 21_001) + b.bytes_time(150);
    let mut run = 0;
    let mut frames = Vec::new();
    let wall = std::time::Instant::now();
    while !frames.contains(&BoardFrame::Done { tag: 2 }) {
        assert!(run < limit, "no DONE for B; got {frames:?}");
        b.run(1);
        run += 1;
        let h = b.top.led_hashing();
        if h {
            assert!(!off_after_on, "the core idled between A and B");
            on = true;
            busy_clocks += 1;
        } else if on && !frames.contains(&BoardFrame::Done { tag: 1 }) {
            off_after_on = true;
        }
        frames.extend(b.take_pending());
    }
    let done_a = frames
        .iter()
        .position(|f| *f == BoardFrame::Done { tag: 1 });
    let done_b = frames
        .iter()
        .position(|f| *f == BoardFrame::Done { tag: 2 });
    assert!(done_a < done_b, "{frames:?}");
    assert_eq!(results_of(&frames, 1), []);
    assert_eq!(results_of(&frames, 2), [Nonce(nonce)]);
    let nonces = u64::from(a_end - a_start) + u64::from(b_end - b_start) + 2;
    let per_clock = b.top.cores() * b.top.rounds_per_clk();
    let ideal = nonces * 64 / per_clock;
    assert!(busy_clocks >= ideal, "{busy_clocks} < {ideal}");
    println!(
        "back-to-back: {nonces} nonces, {busy_clocks} busy clocks (ideal {ideal}); \
         {:.0} clocks/s on the pins",
        run as f64 / wall.elapsed().as_secs_f64()
    );
    let (s, _) = b.status();
    assert_eq!(s.nonces_hashed, nonces);
}

#[test]
fn found_led_lights_after_a_result() {
    let header = block_headers().remove(0);
    let n = header.nonce().0;
    let mut b = Testbench::new();
    assert!(!b.top.led_found());
    b.send(&work(8, &header, n - 5, n + 5, 0));
    let limit = hash_time(&b, 11);
    let got = b.recv_until(limit, |f| matches!(f, BoardFrame::Result { .. }));
    assert!(!got.is_empty());
    assert!(b.top.led_found());
}

#[test]
fn alive_led_toggles_every_half_second_of_clock() {
    let mut b = Testbench::new();
    let half = b.top.clk_hz() / 2;
    let start = std::time::Instant::now();
    assert!(!b.top.leds().alive);
    b.top.step(half - 1);
    assert!(!b.top.leds().alive);
    b.top.step(1);
    assert!(b.top.leds().alive);
    b.top.step(half);
    assert!(!b.top.leds().alive);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "miner_top_sim idle: {:.0} cycles/s (bulk step)",
        (2 * half) as f64 / secs
    );
}
