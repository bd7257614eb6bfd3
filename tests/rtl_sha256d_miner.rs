//! sha256d_miner in every built configuration against the reference hasher.

use std::collections::BTreeSet;

use amber::hash::{BlockHash, Header, HeaderTail, Midstate, Nonce};
use amber_sim::{MinerEvent, MinerOutputs, ModelInfo, Sha256dMiner, Work};

use crate::util::{block_headers, Rng};

/// Clocks after which a run is declared hung.
const MAX_CYCLES: u64 = 4_000_000;

fn models() -> &'static [ModelInfo] {
    let models = Sha256dMiner::models();
    assert!(
        !models.is_empty(),
        "amber-sim was built without its test models"
    );
    models
}

fn new_miner(info: &ModelInfo) -> Sha256dMiner {
    let mut miner = Sha256dMiner::new(info.name).expect("every listed model can be created");
    miner.reset();
    miner
}

fn reference(work: &Work, nonce: u32) -> BlockHash {
    Midstate::from_words(work.midstate).hash_with(&HeaderTail::from_bytes(work.tail), Nonce(nonce))
}

/// The nonce counter `c` of `work` hashes.
fn nonce_at(work: &Work, counter: u32) -> u32 {
    if work.header_order {
        counter.swap_bytes()
    } else {
        counter
    }
}

fn qualifying(work: &Work) -> Vec<u32> {
    (work.nonce_start..=work.nonce_end)
        .map(|c| nonce_at(work, c))
        .filter(|&n| reference(work, n).leading_word() <= work.threshold)
        .collect()
}

/// What a run saw, clock by clock.
#[derive(Default)]
struct Trace {
    /// Events taken, with the clock they were taken on.
    events: Vec<(u64, MinerEvent)>,
    /// Clocks on which found_dropped was high.
    dropped: u64,
    /// nonces_hashed sampled at every clock.
    hashed: Vec<u64>,
    /// Tag the miner reported as current when each event was taken.
    current_tag_at_event: Vec<u8>,
}

/// How the test bench drives the miner.
struct Testbench {
    miner: Sha256dMiner,
    trace: Trace,
    /// Back-pressure: event_ready low on clocks where this returns false.
    ready: Box<dyn FnMut(u64) -> bool>,
}

impl Testbench {
    fn new(info: &ModelInfo) -> Self {
        Self {
            miner: new_miner(info),
            trace: Trace::default(),
            ready: Box::new(|_| true),
        }
    }

    fn with_backpressure(mut self) -> Self {
        self.ready = Box::new(|cycle| cycle % 4 != 3);
        self
    }

    fn clock(&mut self) -> MinerOutputs {
        let cycle = self.miner.cycles();
        let ready = (self.ready)(cycle);
        self.miner.set_event_ready(ready);
        let out = self.miner.clock();
        assert!(
            cycle < MAX_CYCLES,
            "{}: no progress after {MAX_CYCLES} clocks",
            self.miner.info().name
        );
        if ready {
            if let Some(event) = out.event {
                self.trace.events.push((cycle, event));
                self.trace.current_tag_at_event.push(out.current_tag);
            }
        }
        self.trace.dropped += u64::from(out.found_dropped);
        self.trace.hashed.push(out.nonces_hashed);
        out
    }

    /// Offers `work` until the miner takes it.
    fn submit(&mut self, work: &Work) {
        self.miner.set_work(Some(work));
        while !self.clock().work_ready {}
        self.miner.set_work(None);
    }

    fn done_count(&self) -> usize {
        self.trace
            .events
            .iter()
            .filter(|(_, e)| matches!(e, MinerEvent::Done { .. }))
            .count()
    }

    /// Submits every item as soon as the queue has room, then clocks until
    /// `dones` done events arrived and the miner is idle.
    fn run(&mut self, items: &[Work], dones: usize) {
        for work in items {
            self.submit(work);
        }
        loop {
            let out = self.clock();
            if self.done_count() >= dones && !out.busy && out.event.is_none() && !out.queued {
                break;
            }
        }
        // Nothing extra arrives afterwards.
        for _ in 0..200 {
            let out = self.clock();
            assert_eq!(
                out.event,
                None,
                "{}: event after the end",
                self.miner.info().name
            );
        }
    }

    fn events(&self) -> Vec<MinerEvent> {
        self.trace.events.iter().map(|(_, e)| *e).collect()
    }
}

/// Checks the event stream of `items` (distinct tags): per item, exactly the
/// `expected` founds (any order) and then one done; items in submission order.
fn check_stream(
    name: &str,
    items: &[Work],
    expected: &[Vec<u32>],
    events: &[MinerEvent],
    context: &str,
) {
    let mut at = 0;
    for (work, want) in items.iter().zip(expected) {
        let mut got = Vec::new();
        loop {
            match events.get(at) {
                Some(MinerEvent::Found { tag, nonce }) if *tag == work.tag => got.push(*nonce),
                Some(MinerEvent::Done { tag }) if *tag == work.tag => break,
                other => panic!(
                    "{name}: {context}: item {} expected found/done, got {other:?} at {at}",
                    work.tag
                ),
            }
            at += 1;
        }
        at += 1;
        got.sort_unstable();
        let mut want = want.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{name}: {context}: founds of item {}", work.tag);
    }
    assert_eq!(
        at,
        events.len(),
        "{name}: {context}: events after the last done"
    );
}

/// Runs `items` on a fresh model and checks the event stream against `expected`.
fn run_checked(
    info: &ModelInfo,
    items: &[Work],
    expected: &[Vec<u32>],
    context: &str,
) -> Testbench {
    let mut bench = Testbench::new(info);
    bench.run(items, items.len());
    check_stream(info.name, items, expected, &bench.events(), context);
    bench
}

fn random_work(rng: &mut Rng, tag: u8, len: u32, threshold: u32) -> Work {
    let mut midstate = [0u32; 8];
    midstate.iter_mut().for_each(|w| *w = rng.next_u32());
    let mut tail = [0u8; 12];
    tail.iter_mut().for_each(|b| *b = rng.next_u32() as u8);
    let nonce_start = rng.next_u32().min(u32::MAX - (len - 1));
    Work {
        tag,
        midstate,
        tail,
        nonce_start,
        nonce_end: nonce_start + (len - 1),
        threshold,
        header_order: false,
    }
}

#[test]
fn block_headers_report_their_real_nonce() {
    let headers: Vec<Header> = block_headers();
    assert!(
        headers.len() >= 3,
        "tests/vectors/blocks.txt has the real headers"
    );
    let items: Vec<Work> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let nonce = h.nonce().0;
            let start = nonce.saturating_sub(3000);
            Work {
                tag: 0x40 + i as u8,
                midstate: h.midstate().words(),
                tail: *h.tail().bytes(),
                nonce_start: start,
                nonce_end: start + 3100,
                threshold: h
                    .target()
                    .expect("real headers have valid nBits")
                    .leading_word(),
                header_order: false,
            }
        })
        .collect();
    let expected: Vec<Vec<u32>> = headers.iter().map(|h| vec![h.nonce().0]).collect();
    for info in models() {
        run_checked(info, &items, &expected, "block headers");
    }
}

/// The per-item header-byte order flag: items counting in header-byte order
/// and in number order, back to back, each match the reference, and a real
/// header's nonce is found at its header-byte counter.
#[test]
fn header_byte_order_items_match_the_reference() {
    let seed = crate::util::seed();
    let header = block_headers()[0];
    let counter = header.nonce().0.swap_bytes();
    for info in models() {
        let mut rng = Rng::new(seed);
        let mut items: Vec<Work> = (0..8)
            .map(|i| Work {
                header_order: i % 2 == 0,
                ..random_work(&mut rng, i as u8, 384, 0x0800_0000)
            })
            .collect();
        items.push(Work {
            tag: 0x77,
            midstate: header.midstate().words(),
            tail: *header.tail().bytes(),
            nonce_start: counter - 200,
            nonce_end: counter + 100,
            threshold: header.target().expect("real nBits").leading_word(),
            header_order: true,
        });
        let expected: Vec<Vec<u32>> = items.iter().map(qualifying).collect();
        assert_eq!(expected[8], vec![header.nonce().0]);
        assert!(
            expected.iter().step_by(2).map(Vec::len).sum::<usize>() > 20,
            "results in header-byte order"
        );
        let context = format!("header-byte order, seed {seed} (set AMBER_TEST_SEED to repeat)");
        run_checked(info, &items, &expected, &context);
    }
}

#[test]
fn random_work_matches_reference() {
    let seed = crate::util::seed();
    for info in models() {
        let mut rng = Rng::new(seed);
        // 20 items x 512 nonces = 10,240 (midstate, tail, nonce) cases per model.
        let items: Vec<Work> = (0..20)
            .map(|i| random_work(&mut rng, i as u8, 512, 0x0800_0000))
            .collect();
        let expected: Vec<Vec<u32>> = items.iter().map(qualifying).collect();
        assert!(
            expected.iter().map(Vec::len).sum::<usize>() > 100,
            "the threshold lets results through"
        );
        let mut bench = Testbench::new(info).with_backpressure();
        bench.run(&items, items.len());
        let context = format!("seed {seed} (set AMBER_TEST_SEED to repeat)");
        check_stream(info.name, &items, &expected, &bench.events(), &context);
        assert_eq!(
            bench.trace.dropped, 0,
            "{}: {context}: results dropped",
            info.name
        );
        let hashed = *bench.trace.hashed.last().expect("clocked");
        assert_eq!(hashed, 20 * 512, "{}: {context}: nonces_hashed", info.name);
    }
}

#[test]
fn ranges_of_one_nonce() {
    let mut rng = Rng::new(crate::util::seed());
    let items: Vec<Work> = (0..6)
        .map(|i| {
            let mut w = random_work(&mut rng, 0x10 + i, 1, u32::MAX);
            if i == 5 {
                w.nonce_start = u32::MAX;
                w.nonce_end = u32::MAX;
            }
            w
        })
        .collect();
    let expected: Vec<Vec<u32>> = items.iter().map(|w| vec![w.nonce_start]).collect();
    for info in models() {
        let bench = run_checked(info, &items, &expected, "one-nonce ranges");
        assert_eq!(
            *bench.trace.hashed.last().expect("clocked"),
            6,
            "{}: nonces_hashed",
            info.name
        );
    }
}

#[test]
fn range_ending_at_the_last_nonce() {
    let mut rng = Rng::new(crate::util::seed());
    let mut work = random_work(&mut rng, 0x77, 1, 0x2000_0000);
    work.nonce_start = 0xFFFF_FF00 - 1; // 257 nonces: a partial group at the end for 2+ cores
    work.nonce_end = u32::MAX;
    let expected = vec![qualifying(&work)];
    for info in models() {
        let bench = run_checked(info, &[work], &expected, "range to 0xFFFFFFFF");
        // The sweep stops at the end instead of wrapping to 0.
        assert_eq!(
            *bench.trace.hashed.last().expect("clocked"),
            257,
            "{}: nonces_hashed",
            info.name
        );
    }
}

/// Clocks between the first and the last nonce leaving the pipeline on which none left.
fn idle_clocks(hashed: &[u64]) -> usize {
    let steps: Vec<bool> = hashed.windows(2).map(|w| w[1] > w[0]).collect();
    let first = steps
        .iter()
        .position(|&s| s)
        .expect("some nonce was hashed");
    let last = steps
        .iter()
        .rposition(|&s| s)
        .expect("some nonce was hashed");
    steps[first..=last].iter().filter(|&&s| !s).count()
}

#[test]
fn back_to_back_items_leave_no_idle_clocks() {
    let mut rng = Rng::new(crate::util::seed());
    let a = random_work(&mut rng, 1, 400, 0);
    let b = random_work(&mut rng, 2, 400, 0);
    let mut joined = a;
    joined.nonce_end = a.nonce_start + 799;
    for info in models() {
        let mut two = Testbench::new(info);
        two.run(&[a, b], 2);
        let mut one = Testbench::new(info);
        one.run(&[joined], 1);
        let (idle_two, idle_one) = (
            idle_clocks(&two.trace.hashed),
            idle_clocks(&one.trace.hashed),
        );
        // Idle clocks of the pipeline's own rhythm (rounds per clock < 64) appear in
        // both runs; the switch between items adds none.
        assert_eq!(
            idle_two, idle_one,
            "{}: idle clocks between items",
            info.name
        );
        if info.param("ROUNDS_PER_CLK") == Some(64) {
            assert_eq!(
                idle_two, 0,
                "{}: fully unrolled hashes every clock",
                info.name
            );
        }
        assert_eq!(
            *two.trace.hashed.last().expect("clocked"),
            800,
            "{}",
            info.name
        );
    }
}

#[test]
fn flush_abandons_running_and_queued_work() {
    let mut rng = Rng::new(crate::util::seed());
    let long = random_work(&mut rng, 0xA1, 1 << 20, 0x0100_0000);
    let queued = random_work(&mut rng, 0xA2, 1000, u32::MAX);
    let after = random_work(&mut rng, 0xA3, 300, 0x1000_0000);
    for info in models() {
        let mut bench = Testbench::new(info);
        bench.submit(&long);
        bench.submit(&queued);
        for _ in 0..3000 {
            bench.clock();
        }
        bench.miner.set_flush(true);
        let out = bench.clock();
        bench.miner.set_flush(false);
        assert!(
            out.busy,
            "{}: the long item was still running at the flush",
            info.name
        );
        // Drain what was in flight; the miner goes idle with no done events.
        while bench.clock().busy {}
        for _ in 0..50 {
            bench.clock();
        }
        let hashed_after_flush = *bench.trace.hashed.last().expect("clocked");
        assert!(
            hashed_after_flush < 1 << 20,
            "{}: flush stopped the sweep",
            info.name
        );
        assert_eq!(
            bench.done_count(),
            0,
            "{}: no done for abandoned items",
            info.name
        );
        for (_, event) in &bench.trace.events {
            match *event {
                MinerEvent::Found { tag, nonce } => {
                    assert_eq!(tag, long.tag, "{}: only the running item hashed", info.name);
                    assert!(
                        reference(&long, nonce).leading_word() <= long.threshold,
                        "{}",
                        info.name
                    );
                }
                MinerEvent::Done { tag } => panic!("{}: done for abandoned item {tag}", info.name),
            }
        }
        let before = bench.trace.events.len();
        bench.run(&[after], 1);
        let tail: Vec<MinerEvent> = bench.events().split_off(before);
        check_stream(
            info.name,
            &[after],
            &[qualifying(&after)],
            &tail,
            "work after a flush",
        );
        assert_eq!(
            *bench.trace.hashed.last().expect("clocked"),
            hashed_after_flush + 300,
            "{}: nonces_hashed after the flush",
            info.name
        );
    }
}

#[test]
fn old_results_keep_their_tag_after_the_next_item_starts() {
    let mut rng = Rng::new(crate::util::seed());
    let first = random_work(&mut rng, 5, 64, 0x4000_0000);
    let second = random_work(&mut rng, 6, 64, 0x4000_0000);
    let expected = vec![qualifying(&first), qualifying(&second)];
    for info in models() {
        let bench = run_checked(info, &[first, second], &expected, "two items");
        let late = bench
            .trace
            .events
            .iter()
            .zip(&bench.trace.current_tag_at_event)
            .filter(|((_, e), current)| {
                matches!(e, MinerEvent::Found { tag, .. } | MinerEvent::Done { tag } if *tag == first.tag)
                    && **current == second.tag
            })
            .count();
        assert!(
            late > 0,
            "{}: some results of item 5 arrived after item 6 started",
            info.name
        );
    }
}

#[test]
fn full_result_fifo_drops_and_counts() {
    let mut rng = Rng::new(crate::util::seed());
    let work = random_work(&mut rng, 9, 100, u32::MAX);
    for info in models() {
        let cores = info.param("CORES").expect("miner models set CORES") as usize;
        let mut bench = Testbench::new(info);
        bench.ready = Box::new(|_| false);
        bench.submit(&work);
        while bench.clock().nonces_hashed < 100 {}
        for _ in 0..10 {
            bench.clock();
        }
        bench.ready = Box::new(|_| true);
        bench.run(&[], 1);
        let founds: BTreeSet<u32> = bench
            .events()
            .iter()
            .filter_map(|e| match e {
                MinerEvent::Found { tag: 9, nonce } => Some(*nonce),
                _ => None,
            })
            .collect();
        // Each core's FIFO holds 16, and the miner's event register one more.
        let kept = 16 * cores + 1;
        assert_eq!(
            founds.len(),
            kept.min(100),
            "{}: results kept by the FIFOs",
            info.name
        );
        assert_eq!(
            bench.trace.dropped as usize,
            100 - founds.len(),
            "{}: found_dropped pulses",
            info.name
        );
        assert_eq!(
            bench.events().last(),
            Some(&MinerEvent::Done { tag: 9 }),
            "{}: done never lost",
            info.name
        );
        assert!(
            founds
                .iter()
                .all(|n| (work.nonce_start..=work.nonce_end).contains(n)),
            "{}",
            info.name
        );
    }
}

#[test]
fn full_done_queue_holds_the_next_item_back() {
    let mut rng = Rng::new(crate::util::seed());
    // More one-nonce items than the done queue holds (8) plus the work queue (1).
    let items: Vec<Work> = (0..12)
        .map(|i| random_work(&mut rng, 0x60 + i, 1, u32::MAX))
        .collect();
    let expected: Vec<Vec<u32>> = items.iter().map(|w| vec![w.nonce_start]).collect();
    const BLOCKED: u64 = 3000;
    for info in models() {
        let mut bench = Testbench::new(info);
        bench.ready = Box::new(|cycle| cycle >= BLOCKED);
        bench.run(&items, items.len());
        // While no event is taken, the items whose done events fill the queue
        // are all that run: the next one waits for room, with its nonce.
        let hashed_blocked = bench.trace.hashed[BLOCKED as usize - 1];
        assert_eq!(
            hashed_blocked, 8,
            "{}: nonces hashed while the done queue was full",
            info.name
        );
        check_stream(
            info.name,
            &items,
            &expected,
            &bench.events(),
            "done queue full",
        );
        assert_eq!(bench.trace.dropped, 0, "{}: results dropped", info.name);
    }
}

#[test]
fn busy_is_one_unbroken_run_per_item() {
    let mut rng = Rng::new(crate::util::seed());
    for len in [1, 2, 5] {
        let work = random_work(&mut rng, 0x30, len, 0);
        for info in models() {
            let mut bench = Testbench::new(info);
            bench.miner.set_work(Some(&work));
            let mut busy = Vec::new();
            for _ in 0..2000 {
                let out = bench.clock();
                bench.miner.set_work(None);
                busy.push(out.busy);
            }
            let rises = busy.windows(2).filter(|w| !w[0] && w[1]).count();
            let falls = busy.windows(2).filter(|w| w[0] && !w[1]).count();
            assert_eq!(
                (rises, falls),
                (1, 1),
                "{}: {len}-nonce item: busy must rise once and fall once",
                info.name
            );
            assert_eq!(
                *bench.trace.hashed.last().expect("clocked"),
                u64::from(len),
                "{}: nonces_hashed",
                info.name
            );
        }
    }
}
