//! The host driven end to end against the simulated board (the Verilator
//! model of `miner_top`, spoken to on its UART pins): the device driver, the
//! mining loop, the pool client and the local Stratum test server, with faults
//! injected between the driver and the simulated board, and in the pool.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amber::device::protocol::{BoardFrame, FrameDecoder, NonceOrder};
use amber::device::{DeviceEvent, Driver, DriverConfig, DriverError, WorkUnit};
use amber::emulator::stratum::{ServerConfig, StratumServer};
use amber::hash::{BlockHash, Header, Nonce, GENESIS_HEADER_HEX as GENESIS};
use amber::link::sim::SimLink;
use amber::link::{Link, LinkError};
use amber::mining::{Miner, MinerConfig, MinerEvent};
use amber::pool::{ClientOptions, PoolConfig, PoolSource};
use amber::work::{JobRoller, JobSpec, ShareLog, ShareResult, StratumJob, WorkSource};
use serde_json::{json, Value};

/// Share difficulty for mining on the simulated board: one share per
/// 2^32 × 2^-20 = 4096 hashes on average, a few per second of simulation.
const EASY: f64 = 1.0 / 1_048_576.0;

/// Nonces per work unit in these tests: a few hundred milliseconds of simulation.
const UNIT: u32 = 16_384;

/// Wall-time bound of each run (never asserted as a figure: only a cap).
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn stratum_vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/stratum.json");
    let text = std::fs::read_to_string(path).expect("tests/vectors/stratum.json is shipped");
    serde_json::from_str(&text).expect("stratum.json parses")
}

fn genesis_vector() -> Value {
    stratum_vectors()["vectors"][0].clone()
}

/// The genesis job's notify params under a new job id, time and clean flag.
fn notify(job_id: &str, ntime: u32, clean: bool) -> Value {
    let mut p = genesis_vector()["notify_params"].clone();
    p[0] = json!(job_id);
    p[7] = json!(format!("{ntime:08x}"));
    p[8] = json!(clean);
    p
}

fn sim_link() -> SimLink {
    SimLink::new().expect("the simulated board model was built")
}

fn driver_config() -> DriverConfig {
    DriverConfig {
        status_interval: Duration::from_millis(200),
        answer_deadline: Duration::from_secs(5),
        identify_tries: 3,
        ..DriverConfig::default()
    }
}

fn sim_driver(link: Box<dyn Link>) -> Driver {
    Driver::new(link, driver_config()).expect("the simulated board identifies")
}

fn pool_options() -> ClientOptions {
    ClientOptions {
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        ..ClientOptions::default()
    }
}

fn pool_source(server: &StratumServer, log: ShareLog) -> PoolSource {
    let config = PoolConfig {
        url: server.url().parse().expect("the test server's URL parses"),
        user: "worker".to_string(),
        pass: "x".to_string(),
        ca: None,
    };
    PoolSource::start(vec![config], pool_options(), log).expect("pool client starts")
}

fn easy_server() -> StratumServer {
    StratumServer::start(ServerConfig {
        difficulty: EASY,
        ..ServerConfig::default()
    })
}

fn miner(source: Box<dyn WorkSource>, links: Vec<Box<dyn Link>>) -> Miner {
    let drivers = links.into_iter().map(sim_driver).collect();
    Miner::new(
        source,
        drivers,
        MinerConfig {
            unit_nonces: Some(UNIT),
            ..MinerConfig::default()
        },
    )
}

/// Steps the miner until `done` holds for the events so far (or the cap passes).
fn run_until(
    miner: &mut Miner,
    events: &mut Vec<MinerEvent>,
    mut done: impl FnMut(&[MinerEvent]) -> bool,
) -> bool {
    let until = Instant::now() + RUN_LIMIT;
    while Instant::now() < until {
        events.extend(miner.step());
        if done(events) {
            return true;
        }
    }
    false
}

fn accepted(events: &[MinerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, MinerEvent::Share(r) if r.result == ShareResult::Accepted))
        .count()
}

/// Accepted shares reported after the first disconnection event.
fn accepted_after_disconnect(events: &[MinerEvent]) -> usize {
    events
        .iter()
        .position(|e| matches!(e, MinerEvent::Disconnected { .. }))
        .map_or(0, |i| accepted(&events[i + 1..]))
}

fn hardware_errors(events: &[MinerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, MinerEvent::HardwareError { .. }))
        .count()
}

fn assert_every_submission_accepted(server: &StratumServer) {
    for s in server.submissions() {
        assert!(s.accepted, "pool rejected {:?}: {:?}", s.params, s.reason);
    }
}

/// As above, except that a share the pool had accepted may come again: its answer
/// was lost with the connection, so the client submitted it once more.
fn assert_every_submission_accepted_or_resent(server: &StratumServer) {
    let submissions = server.submissions();
    for (i, s) in submissions.iter().enumerate() {
        let resent = submissions[..i]
            .iter()
            .any(|earlier| earlier.accepted && earlier.params == s.params);
        assert!(
            s.accepted || resent,
            "pool rejected {:?}: {:?}",
            s.params,
            s.reason
        );
    }
}

/// Sweeps one unit on a fresh simulated board; returns every verified nonce.
fn sweep(link: Box<dyn Link>, unit: WorkUnit) -> (Vec<(Nonce, BlockHash)>, Driver) {
    let mut driver = sim_driver(link);
    driver.push(unit).expect("work is sent");
    let mut found = Vec::new();
    let until = Instant::now() + RUN_LIMIT;
    loop {
        assert!(Instant::now() < until, "the board never reported DONE");
        for event in driver
            .poll(Duration::from_millis(20))
            .expect("board answers")
        {
            match event {
                DeviceEvent::Found { nonce, hash, .. } => found.push((nonce, hash)),
                DeviceEvent::Done { .. } => return (found, driver),
                _ => {}
            }
        }
    }
}

#[test]
fn genesis_vector_reproduces_through_the_real_pipeline() {
    let v = genesis_vector();
    let p = &v["notify_params"];
    let s = |i: usize| p[i].as_str().expect("string param");
    let branch: Vec<&str> = Vec::new();
    let job =
        StratumJob::from_notify(s(0), s(1), s(2), s(3), &branch, s(5), s(6), s(7), true).unwrap();
    let difficulty = 1.0;
    let spec = JobSpec {
        job,
        extranonce1: hex::decode(v["extranonce1"].as_str().unwrap()).unwrap(),
        extranonce2_size: 4,
        difficulty,
        share_target: amber::hash::Target::from_difficulty(difficulty).unwrap(),
        version_mask: 0,
        pool: 0,
        session: 1,
    };
    let extranonce2 = u32::from_str_radix(v["extranonce2"].as_str().unwrap(), 16).unwrap();
    let mut work = JobRoller::new(spec, 1, u64::from(extranonce2));
    let mut item = work.next_item(u32::MAX).expect("the job yields work");
    // The pipeline built the header; sweep only around the real nonce (the
    // whole range is 2^32 nonces: hours of simulation).
    item.nonce_start = 0x7c2b_a000;
    item.nonce_end = 0x7c2b_afff;
    let header = Header::from_hex(v["header80"].as_str().unwrap()).unwrap();
    assert_eq!(item.midstate, header.midstate());
    assert_eq!(
        item.midstate.to_hex(),
        v["midstate_be_words"].as_str().unwrap()
    );
    let unit = WorkUnit {
        id: 0,
        midstate: item.midstate,
        tail: item.tail,
        nonce_start: item.nonce_start,
        nonce_end: item.nonce_end,
        threshold: item.threshold,
        order: NonceOrder::Number,
    };
    let (found, driver) = sweep(Box::new(sim_link()), unit);
    // Every nonce of the range the reference hasher says meets the threshold,
    // and nothing else.
    let expected: Vec<u32> = (item.nonce_start..=item.nonce_end)
        .filter(|&n| item.midstate.hash_with(&item.tail, Nonce(n)).leading_word() <= item.threshold)
        .collect();
    let got: Vec<u32> = found.iter().map(|(n, _)| n.0).collect();
    assert_eq!(got, expected);
    assert_eq!(driver.stats().hardware_errors, 0);
    let (nonce, _) = found
        .iter()
        .find(|(n, _)| n.0 == 0x7c2b_ac1d)
        .expect("the genesis nonce is found");
    let check = item.check(*nonce);
    assert!(check.meets_target);
    assert_eq!(check.hash.display_hex(), v["block_hash"].as_str().unwrap());
    let share = check.share;
    let submit = [
        "worker".to_string(),
        share.job_id.clone(),
        hex::encode(&share.extranonce2),
        format!("{:08x}", share.ntime),
        share.nonce.submit_hex(),
    ];
    let expected_submit: Vec<String> = v["submit_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(submit.to_vec(), expected_submit);
}

#[test]
fn mines_on_the_simulated_board_and_the_pool_accepts_its_shares() {
    let server = easy_server();
    let log = ShareLog::default();
    let source = pool_source(&server, log.clone());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("j1", 0x495f_ab29, true));
    let mut miner = miner(Box::new(source), vec![Box::new(sim_link())]);
    let mut events = Vec::new();
    assert!(
        run_until(&mut miner, &mut events, |e| accepted(e) >= 3),
        "no 3 accepted shares; events: {events:?}"
    );
    assert_eq!(hardware_errors(&events), 0);
    assert_every_submission_accepted(&server);
    assert!(server.submissions().len() >= 3);
    let snap = miner.snapshot();
    assert!(snap.boards[0].nonces_hashed > 0);
    assert_eq!(snap.shares.lost, 0);
}

#[test]
fn pool_drop_mid_run_reconnects_and_nothing_is_lost() {
    let server = easy_server();
    let log = ShareLog::default();
    let source = pool_source(&server, log.clone());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("j1", 0x495f_ab29, true));
    let mut miner = miner(Box::new(source), vec![Box::new(sim_link())]);
    let mut events = Vec::new();
    assert!(run_until(&mut miner, &mut events, |e| accepted(e) >= 1));
    server.drop_connections();
    // Answers already on their way when the pool dropped still count as accepted,
    // so only shares accepted after the miner saw the drop prove the reconnection.
    assert!(
        run_until(&mut miner, &mut events, |e| accepted_after_disconnect(e)
            >= 3),
        "mining did not go on after the drop; events: {events:?}"
    );
    assert!(server.connections() >= 2, "the client reconnected");
    let lost = events
        .iter()
        .filter(
            |e| matches!(e, MinerEvent::Share(r) if matches!(r.result, ShareResult::Lost { .. })),
        )
        .count();
    assert_eq!(lost, 0, "no share lost: {events:?}");
    assert_every_submission_accepted_or_resent(&server);
}

#[test]
fn malformed_json_and_unknown_methods_do_not_stop_mining() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("j1", 0x495f_ab29, true));
    let mut miner = miner(Box::new(source), vec![Box::new(sim_link())]);
    let mut events = Vec::new();
    assert!(run_until(&mut miner, &mut events, |e| accepted(e) >= 1));
    server.send_raw("{\"id\": 7, \"method\": ");
    server.send_raw("this is not json");
    server.send_raw(r#"{"id": null, "method": "client.show_message", "params": ["hello"]}"#);
    server.send_raw(r#"{"id": null, "method": "mining.nonsense", "params": []}"#);
    let before = accepted(&events);
    assert!(
        run_until(&mut miner, &mut events, |e| accepted(e) >= before + 2),
        "mining stopped after malformed lines; events: {events:?}"
    );
    assert_every_submission_accepted(&server);
}

#[test]
fn clean_jobs_mid_range_flushes_old_work_and_submits_nothing_stale() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("old", 0x495f_ab29, true));
    let mut miner = miner(Box::new(source), vec![Box::new(sim_link())]);
    let mut events = Vec::new();
    // Mid-range: the board has the old job's work and has found in it.
    assert!(run_until(&mut miner, &mut events, |e| {
        e.iter().any(|e| matches!(e, MinerEvent::Found { .. }))
    }));
    server.notify(notify("new", 0x495f_ab2a, true));
    let cut = events.len();
    assert!(
        run_until(&mut miner, &mut events, |e| {
            e[cut..].iter().any(|e| {
                matches!(e, MinerEvent::Share(r)
                if r.result == ShareResult::Accepted && r.share.job_id == "new")
            })
        }),
        "no accepted share of the new job; events: {events:?}"
    );
    assert!(events[cut..]
        .iter()
        .any(|e| matches!(e, MinerEvent::NewWork { clean: true, .. })));
    // Every later found nonce belongs to the new job, except those the board
    // had found before the flush reached it (reported stale, never submitted).
    let cleaned_at = events[cut..]
        .iter()
        .position(|e| matches!(e, MinerEvent::NewWork { clean: true, .. }))
        .map(|i| i + cut)
        .unwrap();
    for e in &events[cleaned_at..] {
        if let MinerEvent::Found { job_id, .. } = e {
            assert_eq!(job_id, "new", "old work was not flushed: {events:?}");
        }
    }
    // The pool never saw an old-job share after the clean.
    assert_every_submission_accepted(&server);
}

/// Sits between the driver and the simulated board and corrupts the nonce
/// of every `every`-th RESULT frame in flight, with a valid CRC: only the
/// reference re-hash can tell.
struct CorruptingLink {
    inner: SimLink,
    decoder: FrameDecoder,
    every: u32,
    seen: u32,
    corrupted: Arc<AtomicU32>,
}

impl Link for CorruptingLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.inner.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let mut raw = vec![0u8; buf.len()];
        let n = self.inner.read(&mut raw, timeout)?;
        let mut out = Vec::new();
        for frame in self.decoder.push(&raw[..n]).collect::<Vec<_>>() {
            let frame = frame.expect("the simulated board sends valid frames");
            let frame = match frame {
                BoardFrame::Result { tag, nonce } => {
                    self.seen += 1;
                    if self.seen % self.every == 0 {
                        self.corrupted.fetch_add(1, Ordering::SeqCst);
                        BoardFrame::Result {
                            tag,
                            nonce: Nonce(nonce.0 ^ 0x0001_0000),
                        }
                    } else {
                        frame
                    }
                }
                other => other,
            };
            out.extend(frame.encode());
        }
        // Whole frames only reach the driver; a partial one waits in the decoder.
        assert!(
            out.len() <= buf.len() * 2,
            "read buffer too small for re-encoded frames"
        );
        let take = out.len().min(buf.len());
        buf[..take].copy_from_slice(&out[..take]);
        assert_eq!(take, out.len(), "frames larger than the read buffer");
        Ok(take)
    }

    fn name(&self) -> String {
        "sim (corrupting)".to_string()
    }
}

#[test]
fn corrupted_nonce_is_a_hardware_error_and_never_submitted() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("j1", 0x495f_ab29, true));
    let corrupted = Arc::new(AtomicU32::new(0));
    let link = CorruptingLink {
        inner: sim_link(),
        decoder: FrameDecoder::new(),
        every: 2,
        seen: 0,
        corrupted: corrupted.clone(),
    };
    let mut miner = miner(Box::new(source), vec![Box::new(link)]);
    let mut events = Vec::new();
    assert!(
        run_until(&mut miner, &mut events, |e| hardware_errors(e) >= 2
            && accepted(e) >= 2),
        "events: {events:?}"
    );
    let snap = miner.snapshot();
    assert_eq!(
        snap.boards[0].hardware_errors,
        u64::from(corrupted.load(Ordering::SeqCst)),
        "every corrupted nonce, and only those, is a hardware error"
    );
    // No corrupted nonce reached the pool.
    assert_every_submission_accepted(&server);
    let found = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                MinerEvent::Found {
                    submitted: true,
                    ..
                }
            )
        })
        .count();
    server.wait_until(Duration::from_secs(10), |s| s.submissions().len() >= found);
    assert_eq!(server.submissions().len(), found);
}

/// Passes bytes until told to go silent; then swallows writes and answers
/// nothing, like an unplugged cable that the OS has not noticed.
struct SilenceableLink {
    inner: SimLink,
    silent: Arc<AtomicBool>,
}

impl Link for SilenceableLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        if self.silent.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.inner.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.silent.load(Ordering::SeqCst) {
            std::thread::sleep(timeout.min(Duration::from_millis(20)));
            return Ok(0);
        }
        self.inner.read(buf, timeout)
    }

    fn name(&self) -> String {
        "sim (silenceable)".to_string()
    }
}

#[test]
fn silent_link_is_noticed_reported_and_given_up_clearly() {
    let silent = Arc::new(AtomicBool::new(false));
    let link = SilenceableLink {
        inner: sim_link(),
        silent: silent.clone(),
    };
    let config = DriverConfig {
        status_interval: Duration::from_millis(100),
        answer_deadline: Duration::from_secs(1),
        identify_tries: 2,
        ..DriverConfig::default()
    };
    let driver = Driver::new(Box::new(link), config).expect("identifies before the fault");
    let source = amber::work::Benchmark::new(ShareLog::default());
    let mut miner = Miner::new(
        Box::new(source),
        vec![driver],
        MinerConfig {
            unit_nonces: Some(UNIT),
            ..MinerConfig::default()
        },
    );
    let mut events = Vec::new();
    assert!(run_until(&mut miner, &mut events, |e| {
        e.iter().any(|e| matches!(e, MinerEvent::Found { .. }))
    }));
    silent.store(true, Ordering::SeqCst);
    let cut = events.len();
    assert!(
        run_until(&mut miner, &mut events, |e| {
            e.iter()
                .any(|e| matches!(e, MinerEvent::BoardFailed { .. }))
        }),
        "the silent board was never given up; events: {events:?}"
    );
    let after = &events[cut..];
    let attempts: Vec<u32> = after
        .iter()
        .filter_map(|e| match e {
            MinerEvent::BoardSilent { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2], "each re-identify attempt is reported");
    let failed = after.iter().find_map(|e| match e {
        MinerEvent::BoardFailed { error, .. } => Some(error),
        _ => None,
    });
    assert!(
        matches!(failed, Some(DriverError::Silent { tries: 2, .. })),
        "{failed:?}"
    );
    assert!(!miner.any_alive());
}

#[test]
fn silent_link_that_comes_back_gets_its_work_again() {
    let silent = Arc::new(AtomicBool::new(false));
    let link = SilenceableLink {
        inner: sim_link(),
        silent: silent.clone(),
    };
    let config = DriverConfig {
        status_interval: Duration::from_millis(100),
        answer_deadline: Duration::from_secs(1),
        identify_tries: 1000,
        ..DriverConfig::default()
    };
    let mut driver = Driver::new(Box::new(link), config).expect("identifies");
    let header = Header::from_hex(GENESIS).unwrap();
    driver
        .push(WorkUnit {
            id: 1,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: 0x7c2b_a000,
            nonce_end: 0x7c2b_afff,
            threshold: 0,
            order: NonceOrder::Number,
        })
        .unwrap();
    silent.store(true, Ordering::SeqCst);
    let mut events = Vec::new();
    let until = Instant::now() + RUN_LIMIT;
    while !events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Silent { attempt: 2 }))
    {
        assert!(Instant::now() < until);
        events.extend(driver.poll(Duration::from_millis(10)).unwrap());
    }
    silent.store(false, Ordering::SeqCst);
    let mut found = false;
    while !events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Done { id: 1 }))
    {
        assert!(Instant::now() < until, "no DONE after recovery: {events:?}");
        for e in driver.poll(Duration::from_millis(10)).unwrap() {
            found |= matches!(
                e,
                DeviceEvent::Found {
                    nonce: Nonce(0x7c2b_ac1d),
                    ..
                }
            );
            events.push(e);
        }
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Recovered(_))));
    assert!(found, "the re-sent work found the genesis nonce");
}

/// Passes everything through and publishes the simulated board's clock.
struct ClockedLink {
    inner: SimLink,
    nanos: Arc<AtomicU64>,
}

impl ClockedLink {
    fn publish(&self) {
        let nanos = u64::try_from(self.inner.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(nanos, Ordering::SeqCst);
    }
}

impl Link for ClockedLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let r = self.inner.write_all(bytes);
        self.publish();
        r
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let r = self.inner.read(buf, timeout);
        self.publish();
        r
    }

    fn name(&self) -> String {
        self.inner.name()
    }
}

/// Latency from a clean pool job to the board hashing it, in wall time (what
/// the simulation costs) and in the board's simulated time (what a board at
/// the model's clock and baud rate would see). Printed, never asserted.
#[test]
fn latency_from_a_new_job_to_the_board_hashing_it() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    let nanos = Arc::new(AtomicU64::new(0));
    let link = ClockedLink {
        inner: sim_link(),
        nanos: nanos.clone(),
    };
    let mut miner = miner(Box::new(source), vec![Box::new(link)]);
    let mut events = Vec::new();
    let mut board_times = Vec::new();
    for (i, job) in ["j1", "j2", "j3", "j4", "j5"].iter().enumerate() {
        server.notify(notify(job, 0x495f_ab29 + i as u32, true));
        let cut = events.len();
        let mut announced = None;
        let until = Instant::now() + RUN_LIMIT;
        loop {
            assert!(Instant::now() < until, "no latency event: {events:?}");
            let before = nanos.load(Ordering::SeqCst);
            let step = miner.step();
            let new_work = step
                .iter()
                .any(|e| matches!(e, MinerEvent::NewWork { clean: true, .. }));
            if new_work {
                // Simulated time does not pass outside link calls: the board's
                // clock at the announcement is its clock before this step.
                announced = Some(before);
            }
            let done = step.iter().any(|e| matches!(e, MinerEvent::Latency { .. }));
            events.extend(step);
            if done {
                if let Some(t0) = announced {
                    board_times.push(Duration::from_nanos(nanos.load(Ordering::SeqCst) - t0));
                }
                break;
            }
        }
        assert!(events[cut..]
            .iter()
            .any(|e| matches!(e, MinerEvent::NewWork { .. })));
    }
    let samples: Vec<(Duration, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            MinerEvent::Latency {
                to_sent,
                to_hashing,
                ..
            } => Some((*to_sent, *to_hashing)),
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), 5);
    for ((to_sent, to_hashing), board) in samples.iter().zip(&board_times) {
        assert!(to_sent <= to_hashing);
        println!(
            "latency: new job -> WORK written {:.1} ms, -> board hashing it {:.1} ms wall; {:.2} ms of board time",
            to_sent.as_secs_f64() * 1e3,
            to_hashing.as_secs_f64() * 1e3,
            board.as_secs_f64() * 1e3
        );
    }
}

/// The FTDI UART path end to end: the real FTDI code (`FtdiUart` over `Ftdi`)
/// on the emulated FT2232H, whose channel B is wired to the Verilator model
/// of `miner_top`. Every real header's nonce comes back through USB packets
/// with their status bytes, as it would from an iCEBreaker.
#[test]
fn real_headers_mined_through_the_ftdi_uart_on_the_simulated_board() {
    use amber::emulator::{Board, Emulator, LinkPeer};
    use amber::link::ftdi::FtdiUart;
    use amber::usb::ChipType;

    let board = amber::board::find("icebreaker").expect("the iCEBreaker is in the board table");
    let link = sim_link();
    assert_eq!(
        u64::from(board.baud),
        link.baud(),
        "the simulated board runs the iCEBreaker's baud rate"
    );
    let emulator = Emulator::new(ChipType::Ft2232H, Board::None);
    emulator.attach_uart(
        board.stream.interface,
        Box::new(LinkPeer::new(link, board.baud)),
    );
    let ftdi = emulator
        .open(board.stream.interface)
        .expect("the emulated FT2232H opens");
    let uart = FtdiUart::open(ftdi, board.baud).expect("the UART channel is set up");
    let mut driver = sim_driver(Box::new(uart));

    for (i, header) in crate::util::block_headers().iter().enumerate() {
        let real = header.nonce().0;
        let target = header.target().unwrap();
        let unit = WorkUnit {
            id: i as u64,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: real.saturating_sub(1500),
            nonce_end: real.saturating_add(500),
            threshold: target.leading_word(),
            order: NonceOrder::Number,
        };
        driver.push(unit).expect("work is sent");
        let until = Instant::now() + RUN_LIMIT;
        let mut found = Vec::new();
        'sweep: loop {
            assert!(Instant::now() < until, "the board never reported DONE");
            for event in driver
                .poll(Duration::from_millis(20))
                .expect("board answers")
            {
                match event {
                    DeviceEvent::Found { nonce, hash, .. } => found.push((nonce, hash)),
                    DeviceEvent::Done { .. } => break 'sweep,
                    _ => {}
                }
            }
        }
        let winners: Vec<_> = found
            .iter()
            .filter(|(_, hash)| hash.meets(&target))
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "block {i}: exactly the real nonce meets the target"
        );
        assert_eq!(winners[0].0, header.nonce());
        assert_eq!(winners[0].1, header.hash());
    }
    assert_eq!(driver.stats().hardware_errors, 0);
    assert!(
        emulator.claimed(board.stream.interface),
        "the stream channel stays claimed while in use"
    );
}
