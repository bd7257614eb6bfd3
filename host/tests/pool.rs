//! The pool client against the local Stratum server (`amber::emulator::stratum`):
//! the shipped vector, every message kind, and the faults (drops, malformed lines,
//! clean_jobs, failover, a silent pool). All on 127.0.0.1 with short timeouts and
//! bounded waits.

use std::time::{Duration, Instant};

use amber::emulator::stratum::{ServerConfig, StratumServer};
use amber::hash::{Midstate, Nonce};
use amber::pool::{ClientOptions, PoolConfig, PoolSource, StratumError, USER_AGENT};
use amber::work::{
    DropReason, JobRoller, Share, ShareLog, ShareResult, SourceEvent, StratumJob, WorkItem,
    WorkSource,
};
use serde_json::{json, Value};

/// Difficulty 2^-26: about one share in 64 nonces, so tests mine in software quickly.
const EASY: f64 = 1.0 / 67_108_864.0;
const WAIT: Duration = Duration::from_secs(10);

fn opts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        inactivity: Duration::from_secs(5),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        malformed_limit: 3,
        max_line: 4096,
        version_rolling: None,
        tick: Duration::from_millis(5),
        ..ClientOptions::default()
    }
}

fn pool(server: &StratumServer) -> PoolConfig {
    PoolConfig {
        url: server.url().parse().unwrap(),
        user: "worker".into(),
        pass: "x".into(),
        ca: None,
    }
}

fn start(servers: &[&StratumServer], opts: ClientOptions, log: ShareLog) -> PoolSource {
    PoolSource::start(servers.iter().map(|s| pool(s)).collect(), opts, log).unwrap()
}

fn stratum_vector() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/stratum.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["vectors"][0].clone()
}

/// A job with the genesis coinbase halves, a one-hash merkle branch and BIP 9 version.
fn job(id: &str, clean: bool) -> Value {
    let g = stratum_vector();
    let p = &g["notify_params"];
    json!([
        id,
        "11".repeat(32),
        p[2],
        p[3],
        ["aa".repeat(32)],
        "20000000",
        "1d00ffff",
        "495fab29",
        clean
    ])
}

/// Waits (bounded) for the first event matching `pred`, skipping others.
fn wait_event(
    src: &mut PoolSource,
    what: &str,
    mut pred: impl FnMut(&SourceEvent) -> bool,
) -> SourceEvent {
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        if let Some(e) = src.next_event(Duration::from_millis(20)) {
            if pred(&e) {
                return e;
            }
        }
    }
    panic!("timed out waiting for {what}");
}

fn new_work(src: &mut PoolSource) -> SourceEvent {
    wait_event(src, "new work", |e| {
        matches!(e, SourceEvent::NewWork { .. })
    })
}

fn share_outcome(src: &mut PoolSource) -> ShareResult {
    match wait_event(src, "a share outcome", |e| {
        matches!(e, SourceEvent::Share(_))
    }) {
        SourceEvent::Share(r) => r.result,
        _ => unreachable!(),
    }
}

/// Sweeps up to `limit` nonces of `item` like a board (threshold first, then the
/// full check with the reference hasher) and returns the first share.
fn mine(item: &WorkItem, limit: usize) -> Option<Share> {
    (item.nonce_start..=item.nonce_end)
        .take(limit)
        .map(Nonce)
        .find_map(|n| {
            if item.midstate.hash_with(&item.tail, n).leading_word() > item.threshold {
                return None;
            }
            let check = item.check(n);
            assert!(check.passes_threshold);
            check.meets_target.then_some(check.share)
        })
}

fn mine_share(src: &mut PoolSource) -> Share {
    for _ in 0..64 {
        if let Some(s) = mine(&src.next_work(2048).unwrap(), 2048) {
            return s;
        }
    }
    panic!("no share in 64 items at difficulty {EASY}");
}

fn easy() -> ServerConfig {
    ServerConfig {
        difficulty: EASY,
        ..ServerConfig::default()
    }
}

#[test]
fn stratum_vector_reproduces_exactly() {
    let v = stratum_vector();
    let server = StratumServer::start(ServerConfig {
        extranonce1: hex::decode(v["extranonce1"].as_str().unwrap()).unwrap(),
        extranonce2_size: v["extranonce2_size"].as_u64().unwrap() as usize,
        difficulty: 1.0,
        ..ServerConfig::default()
    });
    server.notify(v["notify_params"].clone());
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    assert!(
        matches!(new_work(&mut src), SourceEvent::NewWork { difficulty, .. } if difficulty == 1.0)
    );

    let spec = src.current_job().unwrap().clone();
    let p = &v["notify_params"];
    let s = |i: usize| p[i].as_str().unwrap();
    let expected =
        StratumJob::from_notify(s(0), s(1), s(2), s(3), &[], s(5), s(6), s(7), true).unwrap();
    assert_eq!(spec.job, expected);
    assert_eq!(hex::encode(&spec.extranonce1), v["extranonce1"]);
    assert_eq!(spec.extranonce2_size, 4);
    assert_eq!(spec.version_mask, 0);

    // Work for extranonce2 01044554 reproduces the header, midstate and hash.
    let en2 = u64::from_str_radix(v["extranonce2"].as_str().unwrap(), 16).unwrap();
    let item = JobRoller::new(spec, 1, en2).next_item(u32::MAX).unwrap();
    assert_eq!(hex::encode(&item.extranonce2), v["extranonce2"]);
    let nonce = Nonce(u32::from_str_radix(v["submit_params"][4].as_str().unwrap(), 16).unwrap());
    let check = item.check(nonce);
    assert_eq!(item.base.header(&check.share).to_hex(), v["header80"]);
    assert_eq!(
        item.midstate,
        Midstate::from_hex(v["midstate_be_words"].as_str().unwrap()).unwrap()
    );
    assert_eq!(check.hash.display_hex(), v["block_hash"]);
    assert!(check.passes_threshold && check.meets_target);

    src.submit(check.share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    let subs = server.submissions();
    assert_eq!(subs.len(), 1);
    assert_eq!(Value::Array(subs[0].params.clone()), v["submit_params"]);
    assert!(subs[0].accepted, "{:?}", subs[0].reason);
    assert_eq!(subs[0].hash.unwrap().display_hex(), v["block_hash"]);

    let subscribe = &server.subscriptions()[0];
    assert_eq!(subscribe.params, vec![json!(USER_AGENT)]);
    assert!(!server.methods().contains(&"mining.configure".to_string()));
    assert_eq!(log.counts().accepted, 1);
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn version_rolling_difficulty_and_extranonce_messages() {
    let server = StratumServer::start(ServerConfig {
        version_mask: Some(0x1fff_e000),
        ..easy()
    });
    server.notify(job("a", true));
    let mut o = opts();
    o.version_rolling = Some(0x0fff_e000); // ask for less than the pool offers
    o.max_versions = 4;
    let mut src = start(&[&server], o, ShareLog::default());
    new_work(&mut src);
    let spec = src.current_job().unwrap().clone();
    assert_eq!(
        spec.version_mask, 0x0fff_e000,
        "granted = offered & requested"
    );
    assert_eq!(spec.difficulty, EASY);
    // The client may send extranonce.subscribe after the first job has arrived.
    assert!(
        server.wait_until(WAIT, |s| s
            .methods()
            .contains(&"mining.extranonce.subscribe".to_string())),
        "no mining.extranonce.subscribe: {:?}",
        server.methods()
    );
    let methods = server.methods();
    assert_eq!(&methods[..2], ["mining.configure", "mining.subscribe"]);

    // Items 1-2 sweep version 0 of the first extranonce2; item 3 the first rolled version.
    let items: Vec<WorkItem> = (0..3).map(|_| src.next_work(u32::MAX).unwrap()).collect();
    assert_eq!(items[0].version, 0x2000_0000);
    assert_eq!(items[2].version, 0x2000_2000);
    assert_eq!(items[2].extranonce2, items[0].extranonce2);
    assert_ne!(items[2].midstate, items[0].midstate);
    let rolled = mine(&items[2], 4096).unwrap();
    src.submit(rolled);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    let sub = server.submissions().pop().unwrap();
    assert_eq!(sub.params.len(), 6);
    assert_eq!(sub.params[5], "00002000");
    assert!(sub.accepted, "{:?}", sub.reason);

    // Fractional difficulty applies from the next job, not the current one.
    server.set_difficulty(EASY / 2.5);
    server.notify(job("b", false));
    let e = new_work(&mut src);
    assert!(
        matches!(e, SourceEvent::NewWork { clean: false, difficulty, .. } if difficulty == EASY / 2.5),
        "{e:?}"
    );
    let item = src.next_work(4096).unwrap();
    assert_eq!(
        item.share_target.difficulty(),
        amber::hash::Target::from_difficulty(EASY / 2.5)
            .unwrap()
            .difficulty()
    );

    // set_extranonce applies from the next job too; shares on it are accepted.
    server.set_extranonce(&[9, 8, 7, 6], 4);
    server.notify(job("c", false));
    new_work(&mut src);
    assert_eq!(src.current_job().unwrap().extranonce1, vec![9, 8, 7, 6]);
    let share = mine_share(&mut src);
    assert_eq!(share.job_id, "c");
    src.submit(share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    // A share for job "a" (old extranonce1) would be refused; it is not sent.
    let mut old = rolled_share_for(&items[0]);
    old.job_id = "a".into();
    src.submit(old);
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Stale {
            reason: DropReason::ExtranonceChanged
        }
    );
    assert_eq!(server.submissions().len(), 2);
    src.shutdown(Duration::from_millis(200));
}

fn rolled_share_for(item: &WorkItem) -> Share {
    item.share(Nonce(item.nonce_start))
}

#[test]
fn pool_drop_mid_run_resumes_session_and_submits_the_queued_share() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let path = std::env::temp_dir().join(format!("amber-pool-test-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let log = ShareLog::append_to(&path).unwrap();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let share = mine_share(&mut src);

    server.set_down(true);
    wait_event(&mut src, "disconnect", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    });
    // Found while the pool is away: queued, not lost.
    src.submit(share.clone());
    // Work continues on the last job meanwhile.
    assert!(src.next_work(16).is_some());
    std::thread::sleep(Duration::from_millis(100));
    assert!(server.submissions().is_empty());
    server.set_down(false);

    assert!(matches!(
        wait_event(&mut src, "reconnect", |e| matches!(
            e,
            SourceEvent::Connected { .. }
        )),
        SourceEvent::Connected { resumed: true, .. }
    ));
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    let subs = server.subscriptions();
    assert!(subs.len() >= 2);
    let last = subs.last().unwrap();
    assert!(last.resumed);
    assert_eq!(last.params[1], "session-0");
    let got = server.submissions();
    assert_eq!(got.len(), 1);
    assert!(got[0].accepted);
    assert_eq!(got[0].params[4], share.nonce.submit_hex());
    assert_eq!(log.counts().lost, 0);
    assert!(src.pool_counters()[0].connections >= 2);
    src.shutdown(Duration::from_millis(200));

    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["result"], "accepted");
    assert_eq!(lines[0]["job"], "a");
    assert_eq!(lines[0]["nonce"], share.nonce.submit_hex());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_share_queued_across_a_new_session_is_logged_lost() {
    let server = StratumServer::start(ServerConfig {
        resume_sessions: false,
        ..easy()
    });
    server.notify(job("a", false));
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let share = mine_share(&mut src);
    server.set_down(true);
    wait_event(&mut src, "disconnect", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    });
    src.submit(share);
    server.set_down(false);
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Lost {
            reason: DropReason::SessionNotResumed
        }
    );
    assert!(server.submissions().is_empty());
    assert_eq!(log.counts().lost, 1);
    // Work of the old session is void: the new session's work flushes it, although
    // the job itself does not say clean_jobs.
    assert!(matches!(
        new_work(&mut src),
        SourceEvent::NewWork { clean: true, .. }
    ));

    // Stopping while the pool is away: the queued share is lost with that reason.
    let share = mine_share(&mut src);
    server.set_down(true);
    wait_event(&mut src, "disconnect", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    });
    src.submit(share);
    src.shutdown(Duration::from_millis(50));
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Lost {
            reason: DropReason::Shutdown
        }
    );
    assert_eq!(log.counts().lost, 2);
}

#[test]
fn malformed_json_and_unknown_methods_are_counted_and_survived() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let mut src = start(&[&server], opts(), ShareLog::default());
    new_work(&mut src);
    server.send_raw("{garbage");
    server.send_raw("[1, 2]");
    server.send_raw(r#"{"id": null, "method": "client.show_message", "params": ["hi"]}"#);
    server.send_raw(r#"{"id": 77, "method": "mining.bogus", "params": []}"#);
    server.send_raw(&"x".repeat(5000));
    server.send_raw(r#"{"id": null, "method": "mining.notify", "params": [1, 2]}"#);
    server.notify(job("b", false));
    let mut shown = Vec::new();
    let until = Instant::now() + WAIT;
    while src.current_job().unwrap().job.job_id != "b" || shown.len() < 4 {
        assert!(Instant::now() < until, "{shown:?}");
        if let Some(SourceEvent::Malformed { error, count, .. }) =
            src.next_event(Duration::from_millis(20))
        {
            shown.push((count, error.to_string()));
        }
    }
    // Each malformed line is shown, numbered.
    assert_eq!(
        shown.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(shown[0].1.contains("{garbage"), "{shown:?}");
    let c = src.pool_counters()[0];
    assert_eq!(c.unknown, 2);
    assert_eq!(
        c.malformed, 4,
        "two bad JSON lines, one too long, one bad notify"
    );
    assert_eq!(server.connections(), 1, "survived without reconnecting");

    // Malformed lines that persist recycle the connection.
    for _ in 0..3 {
        server.send_raw("not json");
    }
    match wait_event(&mut src, "recycle", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    }) {
        SourceEvent::Disconnected { error, .. } => assert!(matches!(
            error.downcast_ref::<StratumError>(),
            Some(StratumError::TooManyMalformed { count: 3, .. })
        )),
        _ => unreachable!(),
    }
    wait_event(&mut src, "reconnect", |e| {
        matches!(e, SourceEvent::Connected { .. })
    });
    assert_eq!(server.connections(), 2);
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn clean_jobs_makes_old_jobs_stale() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let old = mine_share(&mut src);
    server.notify(job("b", true));
    assert!(matches!(
        new_work(&mut src),
        SourceEvent::NewWork { clean: true, .. }
    ));
    let b = mine_share(&mut src);
    assert_eq!(b.job_id, "b");
    src.submit(old);
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Stale {
            reason: DropReason::JobCleaned
        }
    );
    // A job without clean_jobs leaves "b" standing.
    server.notify(job("c", false));
    assert!(matches!(
        new_work(&mut src),
        SourceEvent::NewWork { clean: false, .. }
    ));
    src.submit(b);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    let subs = server.submissions();
    assert_eq!(subs.len(), 1, "the stale share was never sent");
    assert_eq!(subs[0].params[1], "b");
    assert_eq!(log.counts().stale, 1);
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn failover_to_the_second_pool_and_switch_back() {
    let first = StratumServer::start(easy());
    let second = StratumServer::start(easy());
    first.notify(job("first-1", true));
    second.notify(job("second-1", true));
    let mut src = start(&[&first, &second], opts(), ShareLog::default());
    let names = src.pool_names();
    let pool_of = |e: &SourceEvent| match e {
        SourceEvent::NewWork { pool, .. } => Some(pool.clone()),
        _ => None,
    };
    // Work settles on the first pool (it may briefly start on the second).
    wait_event(&mut src, "work from the first pool", |e| {
        pool_of(e).as_ref() == Some(&names[0])
    });
    assert_eq!(src.active_pool(), Some(0));

    first.set_down(true);
    let e = wait_event(&mut src, "failover", |e| pool_of(e).is_some());
    assert!(matches!(&e, SourceEvent::NewWork { clean: true, pool, .. } if *pool == names[1]));
    assert_eq!(src.current_job().unwrap().job.job_id, "second-1");
    let share = mine_share(&mut src);
    src.submit(share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    assert_eq!(second.submissions().len(), 1);

    first.set_down(false);
    let e = wait_event(&mut src, "switch back", |e| pool_of(e).is_some());
    assert!(matches!(&e, SourceEvent::NewWork { clean: true, pool, .. } if *pool == names[0]));
    assert_eq!(src.active_pool(), Some(0));
    assert_eq!(src.current_job().unwrap().job.job_id, "first-1");
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn a_silent_pool_hits_the_inactivity_deadline() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let mut o = opts();
    o.inactivity = Duration::from_millis(300);
    let mut src = start(&[&server], o, ShareLog::default());
    new_work(&mut src);
    server.set_silent(true);
    match wait_event(&mut src, "inactivity", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    }) {
        SourceEvent::Disconnected { error, .. } => assert!(matches!(
            error.downcast_ref::<StratumError>(),
            Some(StratumError::Inactive { silent_ms }) if *silent_ms >= 300
        )),
        _ => unreachable!(),
    }
    server.set_silent(false);
    wait_event(&mut src, "reconnect", |e| {
        matches!(e, SourceEvent::Connected { .. })
    });
    assert!(server.connections() >= 2);
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn an_unreachable_pool_is_reported_and_retried() {
    // A port with nothing listening: connect errors are reported and retried.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("stratum+tcp://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = PoolConfig {
        url: url.parse().unwrap(),
        user: "u".into(),
        pass: "p".into(),
        ca: None,
    };
    let mut src = PoolSource::start(vec![config], opts(), ShareLog::default()).unwrap();
    for _ in 0..2 {
        match wait_event(&mut src, "connect error", |e| {
            matches!(e, SourceEvent::Disconnected { .. })
        }) {
            SourceEvent::Disconnected { error, .. } => assert!(matches!(
                error.downcast_ref::<StratumError>(),
                Some(StratumError::Connect { .. })
            )),
            _ => unreachable!(),
        }
    }
    assert!(src.next_work(16).is_none(), "no job, no work");
    src.shutdown(Duration::from_millis(50));
}

#[test]
fn a_refused_authorization_is_said_plainly_and_retried_with_backoff() {
    let server = StratumServer::start(ServerConfig {
        refuse_authorize: true,
        ..easy()
    });
    let mut src = start(&[&server], opts(), ShareLog::default());
    let mut delays = Vec::new();
    while delays.len() < 3 {
        match wait_event(&mut src, "refusal", |e| {
            matches!(
                e,
                SourceEvent::Disconnected { .. } | SourceEvent::Connected { .. }
            )
        }) {
            SourceEvent::Disconnected {
                error, retry_in, ..
            } => {
                assert!(matches!(
                    error.downcast_ref::<StratumError>(),
                    Some(StratumError::Rejected { method: "mining.authorize", code: Some(24), msg }) if msg == "unauthorized worker"
                ));
                assert_eq!(
                    error.to_string(),
                    "pool refused mining.authorize (error 24: unauthorized worker)"
                );
                delays.push(retry_in.unwrap());
            }
            e => panic!("reported connected without authorization: {e:?}"),
        }
    }
    assert!(
        delays[0] < delays[1] && delays[1] < delays[2],
        "backoff grows: {delays:?}"
    );
    src.shutdown(Duration::from_millis(50));
}

/// A subscribe answer without an error but unusable is the pool's fault, named so.
#[test]
fn an_unusable_subscribe_answer_is_not_called_a_refusal() {
    let server = StratumServer::start(ServerConfig {
        subscribe_result: Some(json!([1])),
        ..easy()
    });
    let mut src = start(&[&server], opts(), ShareLog::default());
    match wait_event(&mut src, "a bad reply", |e| {
        matches!(e, SourceEvent::Disconnected { .. })
    }) {
        SourceEvent::Disconnected { error, .. } => {
            assert!(
                matches!(
                    error.downcast_ref::<StratumError>(),
                    Some(StratumError::BadReply {
                        method: "mining.subscribe",
                        ..
                    })
                ),
                "{error}"
            );
            assert_eq!(
                error.to_string(),
                "the pool's answer to mining.subscribe is not usable: \"[1]\""
            );
        }
        _ => unreachable!(),
    }
    src.shutdown(Duration::from_millis(50));
}

/// A connect that hangs (the pool's accept queue is full) does not hold up shutdown.
#[test]
fn shutdown_does_not_wait_for_a_hanging_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Fill the accept queue: further connects get no answer until they time out.
    let mut fillers = Vec::new();
    for _ in 0..1024 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(20)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "a connect to the full queue hangs ({} connections queued)",
        fillers.len()
    );
    let config = PoolConfig {
        url: format!("stratum+tcp://{addr}").parse().unwrap(),
        user: "u".into(),
        pass: "p".into(),
        ca: None,
    };
    let mut o = opts();
    o.connect_timeout = Duration::from_secs(120);
    let mut src = PoolSource::start(vec![config], o, ShareLog::default()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        src.shutdown(Duration::from_millis(50));
        tx.send(()).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(60)).is_ok(),
        "shutdown waited for the connect"
    );
    drop(fillers);
}

#[test]
fn a_share_in_flight_when_the_pool_drops_is_resubmitted() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let share = mine_share(&mut src);
    server.set_silent(true); // the submit is read but never answered
    src.submit(share);
    assert!(server.wait_until(WAIT, |s| s.methods().iter().any(|m| m == "mining.submit")));
    server.set_silent(false);
    server.drop_connections();
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    let subs = server.submissions();
    assert_eq!(subs.len(), 1);
    assert!(subs[0].accepted);
    assert!(server.subscriptions().last().unwrap().resumed);
    assert_eq!(log.counts().lost, 0);
    src.shutdown(Duration::from_millis(200));
}

/// Figure (printed, not asserted): time from the pool sending a job to the first
/// work item of that job being available to the driver.
#[test]
fn new_job_to_work_latency() {
    let server = StratumServer::start(easy());
    server.notify(job("j0", true));
    let mut src = start(&[&server], opts(), ShareLog::default());
    new_work(&mut src);
    let mut micros = Vec::new();
    for i in 1..=20 {
        let id = format!("j{i}");
        let sent = Instant::now();
        server.notify(job(&id, true));
        let item = loop {
            assert!(sent.elapsed() < WAIT, "job {id} never arrived");
            src.next_event(Duration::from_millis(1));
            match src.next_work(1 << 20) {
                Some(item) if item.job_id == id => break item,
                _ => {}
            }
        };
        micros.push(sent.elapsed().as_micros());
        assert_eq!(item.nonce_start, 0);
    }
    micros.sort();
    println!(
        "pool job -> first work item: min {} us, median {} us, max {} us (20 jobs, 127.0.0.1)",
        micros[0], micros[10], micros[19]
    );
    src.shutdown(Duration::from_millis(200));
}

#[test]
fn rejections_carry_the_pools_code_and_reason() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let good = mine_share(&mut src);
    src.submit(good.clone());
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    // The same share again: the pool's duplicate check answers.
    src.submit(good.clone());
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Rejected {
            code: Some(23),
            message: "duplicate share".into()
        }
    );
    // A nonce that misses the target: the pool's own hash check answers.
    let item = src.next_work(4096).unwrap();
    let miss = (item.nonce_start..=item.nonce_end)
        .map(Nonce)
        .find(|&n| !item.check(n).meets_target)
        .unwrap();
    src.submit(item.share(miss));
    assert_eq!(
        share_outcome(&mut src),
        ShareResult::Rejected {
            code: Some(23),
            message: "low difficulty share".into()
        }
    );
    let subs = server.submissions();
    assert_eq!(subs.iter().filter(|s| s.accepted).count(), 1);
    assert_eq!(subs.len(), 3);
    assert_eq!(log.counts().rejected, 2);
    src.shutdown(Duration::from_millis(200));
}

/// The shares a new session's work would not rebuild are never sent: a reconnect
/// without resume, after which the pool sends the same job id again (real pools
/// use global job ids).
#[test]
fn a_new_session_with_the_same_job_id_never_submits_old_work() {
    let server = StratumServer::start(ServerConfig {
        resume_sessions: false,
        ..easy()
    });
    server.notify(job("a", true));
    let log = ShareLog::default();
    let mut src = start(&[&server], opts(), log.clone());
    new_work(&mut src);
    let old = mine_share(&mut src);
    server.drop_connections();
    wait_event(&mut src, "a new session", |e| {
        matches!(e, SourceEvent::Connected { resumed: false, .. })
    });
    let e = new_work(&mut src);
    assert!(
        matches!(&e, SourceEvent::NewWork { clean: true, job_id, .. } if job_id == "a"),
        "the new session's work flushes the old: {e:?}"
    );
    src.submit(old);
    let outcome = share_outcome(&mut src);
    assert!(
        matches!(
            outcome,
            ShareResult::Stale { .. } | ShareResult::Lost { .. }
        ),
        "{outcome:?}"
    );
    assert!(server.invalid().is_empty(), "{:?}", server.invalid());
    // Work of the new session is good.
    let share = mine_share(&mut src);
    src.submit(share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    src.shutdown(Duration::from_millis(200));
}

/// `mining.set_extranonce`, then a notify for the current job id without clean_jobs:
/// work cut with the old extranonce1 is flushed and its shares are not sent.
#[test]
fn set_extranonce_then_the_same_job_id_never_submits_old_work() {
    let server = StratumServer::start(easy());
    server.notify(job("a", true));
    let mut src = start(&[&server], opts(), ShareLog::default());
    new_work(&mut src);
    let old = mine_share(&mut src);
    server.set_extranonce(&[9, 8, 7, 6], 4);
    server.notify(job("a", false));
    let e = new_work(&mut src);
    assert!(
        matches!(e, SourceEvent::NewWork { clean: true, .. }),
        "work with the old extranonce1 is flushed: {e:?}"
    );
    src.submit(old);
    let outcome = share_outcome(&mut src);
    assert!(matches!(outcome, ShareResult::Stale { .. }), "{outcome:?}");
    assert!(server.invalid().is_empty(), "{:?}", server.invalid());
    let share = mine_share(&mut src);
    src.submit(share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    src.shutdown(Duration::from_millis(200));
}

/// `mining.set_version_mask` narrowed mid-job: work rolled in bits the pool no
/// longer allows is never submitted, and the job is cut again under the new mask.
#[test]
fn a_narrowed_version_mask_never_submits_old_work() {
    let server = StratumServer::start(ServerConfig {
        version_mask: Some(0x1fff_e000),
        ..easy()
    });
    server.notify(job("a", true));
    let mut o = opts();
    o.version_rolling = Some(0x1fff_e000);
    o.max_versions = 4;
    let mut src = start(&[&server], o, ShareLog::default());
    new_work(&mut src);
    let items: Vec<WorkItem> = (0..3).map(|_| src.next_work(u32::MAX).unwrap()).collect();
    assert_eq!(items[2].version, 0x2000_2000);
    let rolled = mine(&items[2], 4096).unwrap();
    // Bit 13 is no longer the miner's.
    server.set_version_mask(0x1fff_c000);
    let e = new_work(&mut src);
    assert!(
        matches!(e, SourceEvent::NewWork { clean: true, .. }),
        "the job is cut again under the new mask: {e:?}"
    );
    assert_eq!(src.current_job().unwrap().version_mask, 0x1fff_c000);
    src.submit(rolled);
    let outcome = share_outcome(&mut src);
    assert!(matches!(outcome, ShareResult::Stale { .. }), "{outcome:?}");
    assert!(server.invalid().is_empty(), "{:?}", server.invalid());
    for _ in 0..4 {
        let item = src.next_work(u32::MAX).unwrap();
        assert_eq!(item.version & 0x2000, 0, "no work in the withdrawn bit");
    }
    src.shutdown(Duration::from_millis(200));
}

/// Some pools send the first job before they answer `mining.authorize`: it is
/// used once the worker is authorized.
#[test]
fn a_job_sent_before_the_authorization_is_used_once_authorized() {
    let server = StratumServer::start(ServerConfig {
        notify_before_authorize: true,
        ..easy()
    });
    server.notify(job("early", true));
    let mut src = start(&[&server], opts(), ShareLog::default());
    let e = new_work(&mut src);
    assert!(
        matches!(&e, SourceEvent::NewWork { job_id, .. } if job_id == "early"),
        "{e:?}"
    );
    let share = mine_share(&mut src);
    src.submit(share);
    assert_eq!(share_outcome(&mut src), ShareResult::Accepted);
    src.shutdown(Duration::from_millis(200));
}
