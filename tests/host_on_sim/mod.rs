//! The host driven end to end against the simulated board (the Verilator
//! model of `miner_top`, spoken to on its UART pins): the device driver, the
//! mining loop, the pool client and the local Stratum test server, with faults
//! injected between the driver and the simulated board, and in the pool.
//! This module holds what the tests share; the tests are in its children.

mod headers;
mod link_faults;
mod pool;

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

/// The board has reported a nonce (the miner is mid-range).
fn found_any(events: &[MinerEvent]) -> bool {
    events.iter().any(|e| matches!(e, MinerEvent::Found { .. }))
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
    let found = sweep_on(&mut driver, unit);
    (found, driver)
}

/// Sweeps one unit on `driver`'s board until DONE; returns every verified nonce.
fn sweep_on(driver: &mut Driver, unit: WorkUnit) -> Vec<(Nonce, BlockHash)> {
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
                DeviceEvent::Done { .. } => return found,
                _ => {}
            }
        }
    }
}
