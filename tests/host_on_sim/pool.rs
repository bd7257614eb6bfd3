//! Mining for a pool on the simulated board: shares accepted, and the pool's
//! faults (a dropped connection, malformed messages, clean jobs) survived.

use super::*;

/// A miner with one simulated board, working for `server`'s pool on the genesis
/// job as `job_id` (sent once the client has connected).
fn mining_for(server: &StratumServer, job_id: &str) -> Miner {
    let source = pool_source(server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify(job_id, 0x495f_ab29, true));
    miner(Box::new(source), vec![Box::new(sim_link())])
}

#[test]
fn mines_on_the_simulated_board_and_the_pool_accepts_its_shares() {
    let server = easy_server();
    let mut miner = mining_for(&server, "j1");
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
    let mut miner = mining_for(&server, "j1");
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
    let mut miner = mining_for(&server, "j1");
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
    let mut miner = mining_for(&server, "old");
    let mut events = Vec::new();
    // Mid-range: the board has the old job's work and has found in it.
    assert!(run_until(&mut miner, &mut events, found_any));
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
