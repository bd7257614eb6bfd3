//! The mining loop (the real driver on a board in software, the real pool client)
//! against the hostile local pool: every scenario of a session that changes under
//! the boards' work. The pool judges every submission with the reference hasher;
//! a run fails on any invalid share and on any share found without an outcome.

use std::time::{Duration, Instant};

use amber::device::{Driver, DriverConfig};
use amber::emulator::stratum::{ServerConfig, StratumServer, Verdict};
use amber::hash::Nonce;
use amber::mining::{Miner, MinerConfig, MinerEvent};
use amber::pool::{ClientOptions, PoolConfig, PoolSource};
use amber::work::{ShareLog, ShareResult, WorkItem, WorkSource};
use serde_json::{json, Value};

use crate::support::fake_board::{FakeBoard, FakeConfig};

/// One share per 1024 nonces on average.
const DIFFICULTY: f64 = 1.0 / 4_194_304.0;
/// Bound of each wait (a cap, never a figure).
const LIMIT: Duration = Duration::from_secs(30);

fn job(id: &str, clean: bool) -> Value {
    json!([
        id,
        "11".repeat(32),
        "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104",
        "ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000",
        ["aa".repeat(32)],
        "20000000",
        "1d00ffff",
        "495fab29",
        clean
    ])
}

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        tick: Duration::from_millis(2),
        ..ClientOptions::default()
    }
}

fn miner(server: &StratumServer, opts: ClientOptions, log: ShareLog) -> (Miner, FakeBoard) {
    miner_on(&[server], opts, log)
}

fn miner_on(servers: &[&StratumServer], opts: ClientOptions, log: ShareLog) -> (Miner, FakeBoard) {
    let configs = servers
        .iter()
        .map(|server| PoolConfig {
            url: server.url().parse().unwrap(),
            user: "worker".into(),
            pass: "x".into(),
            ca: None,
        })
        .collect();
    let source = PoolSource::start(configs, opts, log).unwrap();
    let (board, link) = FakeBoard::new(
        FakeConfig {
            nonces_per_read: 1024,
            ..FakeConfig::default()
        },
        "fake",
    );
    let driver = Driver::new(
        Box::new(link),
        DriverConfig {
            status_interval: Duration::from_millis(100),
            ..DriverConfig::default()
        },
    )
    .unwrap();
    let miner = Miner::new(
        Box::new(source),
        vec![driver],
        MinerConfig {
            unit_nonces: Some(8192),
            poll: Duration::from_millis(1),
        },
    );
    (miner, board)
}

/// Steps until `n` more shares are accepted.
fn mine_accepted(miner: &mut Miner, events: &mut Vec<MinerEvent>, n: usize) {
    let until = Instant::now() + LIMIT;
    let mut got = 0;
    while got < n {
        assert!(Instant::now() < until, "no {n} accepted shares");
        for e in miner.step() {
            if matches!(&e, MinerEvent::Share(r) if r.result == ShareResult::Accepted) {
                got += 1;
            }
            events.push(e);
        }
    }
}

/// Ends the run and checks its accounts: no invalid share reached the pool, and
/// every share found has exactly one outcome.
fn finish(name: &str, miner: Miner, events: Vec<MinerEvent>, server: &StratumServer) {
    finish_on(name, miner, events, &[server]);
}

fn finish_on(
    name: &str,
    mut miner: Miner,
    mut events: Vec<MinerEvent>,
    servers: &[&StratumServer],
) {
    events.extend(miner.shutdown(Duration::from_millis(100), Duration::from_secs(2)));
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
    let outcomes = events
        .iter()
        .filter(|e| matches!(e, MinerEvent::Share(_)))
        .count();
    let subs: Vec<_> = servers.iter().flat_map(|s| s.submissions()).collect();
    let invalid = subs
        .iter()
        .filter(|s| s.verdict == Verdict::Invalid)
        .count();
    let stale = events
        .iter()
        .filter(
            |e| matches!(e, MinerEvent::Share(r) if matches!(r.result, ShareResult::Stale { .. })),
        )
        .count();
    println!(
        "{name}: {} submitted, {invalid} invalid, {found} shares found, {outcomes} outcomes ({stale} stale), {} found without an outcome",
        subs.len(),
        found.saturating_sub(outcomes)
    );
    let first: Vec<_> = subs
        .iter()
        .filter(|s| s.verdict == Verdict::Invalid)
        .take(3)
        .collect();
    assert_eq!(invalid, 0, "invalid shares, the first: {first:?}");
    assert_eq!(outcomes, found, "every share found has one outcome");
}

/// A pool that stops answering with its socket open (after a few shares): its
/// unanswered submit marks it dead at the answer deadline, work moves to the
/// backup at once, and the shares it swallowed are accounted for.
#[test]
fn hostile_pool_goes_silent_and_the_backup_takes_over() {
    let primary = StratumServer::start(ServerConfig {
        difficulty: DIFFICULTY,
        silent_after: Some(4),
        ..ServerConfig::default()
    });
    let backup = StratumServer::start(ServerConfig {
        difficulty: DIFFICULTY,
        ..ServerConfig::default()
    });
    primary.notify(job("p", true));
    backup.notify(job("b", true));
    let mut opts = options();
    opts.answer_timeout = Duration::from_millis(300);
    opts.inactivity = Duration::from_secs(600);
    let (mut miner, _board) = miner_on(&[&primary, &backup], opts, ShareLog::default());
    let mut events: Vec<MinerEvent> = Vec::new();
    let until = Instant::now() + LIMIT;
    let went_silent = |events: &[MinerEvent]| {
        events.iter().any(|e| {
            matches!(e,
            MinerEvent::Disconnected { error, .. } if error.contains("mining.submit unanswered"))
        })
    };
    // The miner may start on the backup while the primary's handshake is still
    // under way: wait for the primary to go silent, then for the backup's shares.
    while !went_silent(&events) || backup.submissions().iter().filter(|s| s.accepted).count() < 5 {
        assert!(
            Instant::now() < until,
            "the primary never went silent or the backup was never used; events: {events:?}"
        );
        events.extend(miner.step());
    }
    assert!(went_silent(&events), "{events:?}");
    finish_on(
        "silent after 4 shares, backup",
        miner,
        events,
        &[&primary, &backup],
    );
}

/// Item 1 of the hostile scenarios: reconnects without session resume, after each
/// of which the pool sends the same job id again.
#[test]
fn hostile_reconnects_with_the_same_job_id() {
    let server = StratumServer::start(ServerConfig {
        resume_sessions: false,
        difficulty: DIFFICULTY,
        ..ServerConfig::default()
    });
    server.notify(job("a", true));
    let (mut miner, _board) = miner(&server, options(), ShareLog::default());
    let mut events = Vec::new();
    for _ in 0..10 {
        mine_accepted(&mut miner, &mut events, 2);
        server.drop_connections();
    }
    mine_accepted(&mut miner, &mut events, 2);
    finish("reconnect, same job id", miner, events, &server);
}

/// `mining.set_extranonce` and then the current job id again without clean_jobs.
#[test]
fn hostile_set_extranonce_with_the_same_job_id() {
    let server = StratumServer::start(ServerConfig {
        difficulty: DIFFICULTY,
        ..ServerConfig::default()
    });
    server.notify(job("a", true));
    let (mut miner, _board) = miner(&server, options(), ShareLog::default());
    let mut events = Vec::new();
    for k in 0..10u32 {
        mine_accepted(&mut miner, &mut events, 2);
        server.set_extranonce(&(0xe000_0000 + k).to_be_bytes(), 4);
        // The boards go on for a while before the pool's next job: shares of the
        // old extranonce1 found meanwhile must not be sent (a share already on the
        // wire when the pool switches is the pool's race, not the miner's).
        let until = Instant::now() + Duration::from_millis(100);
        while Instant::now() < until {
            events.extend(miner.step());
        }
        server.notify(job("a", false));
    }
    mine_accepted(&mut miner, &mut events, 2);
    finish("set_extranonce, same job id", miner, events, &server);
}

/// `mining.set_version_mask` narrowed step by step while work in rolled versions is
/// out. Boards sweep a version's whole nonce range before the next version, so
/// this run cuts whole-range items and mines their first nonces in software, as
/// boards hashing every rolled version would.
#[test]
fn hostile_version_mask_narrowed_mid_job() {
    let server = StratumServer::start(ServerConfig {
        difficulty: DIFFICULTY,
        version_mask: Some(0x1fff_e000),
        ..ServerConfig::default()
    });
    server.notify(job("a", true));
    let mut opts = options();
    opts.max_versions = 16;
    let config = PoolConfig {
        url: server.url().parse().unwrap(),
        user: "worker".into(),
        pass: "x".into(),
        ca: None,
    };
    let log = ShareLog::default();
    let mut source = PoolSource::start(vec![config], opts, log.clone()).unwrap();
    let until = Instant::now() + LIMIT;
    while source.current_job().is_none() {
        assert!(Instant::now() < until, "no job");
        source.next_event(Duration::from_millis(10));
    }
    let mut mask = 0x1fff_e000u32;
    let mut found = 0u64;
    for _ in 0..6 {
        // Work out on the boards: items in several rolled versions.
        let items: Vec<WorkItem> = (0..8).filter_map(|_| source.next_work(u32::MAX)).collect();
        // Withdraw the lowest bit the miner rolls; the boards report after the
        // change has reached the host (a share already on the wire when the pool
        // switches is the pool's race).
        mask &= mask - 1;
        server.set_version_mask(mask);
        let until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < until {
            source.next_event(Duration::from_millis(10));
        }
        // Work cut before the change, then work cut after it.
        let after: Vec<WorkItem> = (0..8).filter_map(|_| source.next_work(u32::MAX)).collect();
        for item in items.iter().chain(&after) {
            for n in item.nonce_start..item.nonce_start.saturating_add(2048) {
                let check = item.check(Nonce(n));
                if check.meets_target {
                    found += 1;
                    source.submit(check.share);
                }
            }
        }
        while source.next_event(Duration::from_millis(20)).is_some() {}
    }
    source.shutdown(Duration::from_secs(2));
    while source.next_event(Duration::ZERO).is_some() {}
    let c = log.counts();
    let outcomes = c.accepted + c.rejected + c.stale + c.lost;
    let subs = server.submissions();
    let invalid = server.invalid();
    println!(
        "version mask narrowed: {} submitted, {} invalid, {found} shares found, {outcomes} outcomes ({} stale), {} found without an outcome",
        subs.len(),
        invalid.len(),
        c.stale,
        found.saturating_sub(outcomes)
    );
    let first: Vec<_> = invalid.iter().take(3).collect();
    assert!(invalid.is_empty(), "invalid shares, the first: {first:?}");
    assert_eq!(outcomes, found, "every share found has one outcome");
}

/// A flood of clean jobs whose ids carry terminal escape sequences: only the
/// newest jobs reach the board (flushes are paced, not one per job), the run goes
/// on, and no share of a superseded job is sent as valid work.
#[test]
fn hostile_flood_of_clean_jobs_with_escape_sequences() {
    let server = StratumServer::start(ServerConfig {
        difficulty: DIFFICULTY,
        ..ServerConfig::default()
    });
    server.notify(job("start", true));
    let (mut miner, board) = miner(&server, options(), ShareLog::default());
    let mut events = Vec::new();
    mine_accepted(&mut miner, &mut events, 2);
    let flushes = board.counts().flush;
    let mut steps = 0u64;
    for i in 0..1000 {
        server.notify(job(&format!("j\u{1b}[2J\r{i}"), true));
        if i % 50 == 0 {
            events.extend(miner.step());
            steps += 1;
        }
    }
    mine_accepted(&mut miner, &mut events, 3);
    let flood_flushes = board.counts().flush - flushes;
    println!("flood: 1000 clean jobs, {flood_flushes} flushes of the board");
    assert!(flood_flushes < 100, "{flood_flushes} flushes for 1000 jobs");
    assert!(steps > 0);
    finish("flood of clean jobs", miner, events, &server);
}
