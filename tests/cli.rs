//! The `amber` binary end to end on the simulated board: `amber scan --sim`
//! and `amber mine --sim` (benchmark headers and a local pool), and its input
//! errors.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use amber::emulator::stratum::{ServerConfig, StratumServer};
use amber::hash::{Header, GENESIS_HEADER_HEX as GENESIS};
use serde_json::Value;

/// The `amber` binary of this build: cargo builds it next to the test
/// binary's `deps/` directory for `cargo test --workspace`.
fn amber_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("amber");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p amber` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

fn amber(args: &[&str]) -> Output {
    Command::new(amber_bin())
        .args(args)
        .output()
        .expect("amber runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

#[test]
fn scan_sim_finds_the_real_nonce_of_a_real_header() {
    let header = Header::from_hex(GENESIS).unwrap();
    let o = amber(&[
        "scan",
        "--sim",
        "--header",
        GENESIS,
        "--from",
        "0x7c2ba800",
        "--count",
        "2048",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    let found: Vec<&Value> = lines.iter().filter(|v| v.get("nonce").is_some()).collect();
    assert_eq!(found.len(), 1, "{lines:?}");
    assert_eq!(found[0]["nonce"], header.nonce().submit_hex());
    assert_eq!(found[0]["hash"], header.hash().display_hex());
    let summary = lines.last().unwrap();
    assert_eq!(summary["done"], true);
    assert_eq!(summary["found"], 1);
    assert_eq!(summary["hardware_errors"], 0);
}

#[test]
fn scan_sim_text_lists_every_nonce_below_the_threshold() {
    // Threshold 0x00ffffff: about one nonce in 256 qualifies.
    let header = Header::from_hex(GENESIS).unwrap();
    let o = amber(&[
        "scan",
        "--sim",
        "--midstate",
        &header.midstate().to_hex(),
        "--tail",
        &header.tail().to_hex(),
        "--from",
        "1000",
        "--count",
        "1024",
        "--threshold",
        "0x00ffffff",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected: Vec<String> = (1000u32..2024)
        .filter(|&n| {
            header
                .midstate()
                .hash_with(&header.tail(), amber::hash::Nonce(n))
                .leading_word()
                <= 0x00ff_ffff
        })
        .map(|n| format!("nonce {n:08x}"))
        .collect();
    assert!(!expected.is_empty());
    let got: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split("  ").next().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn sim_board_without_its_model_says_how_to_build_it() {
    let empty = std::env::temp_dir().join(format!("amber-no-netlist-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(amber_bin())
        .current_dir(&empty)
        .args(["scan", "--sim-board", "icebreaker", "--header", GENESIS])
        .output()
        .expect("amber runs");
    std::fs::remove_dir_all(&empty).unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("make netlist-sim BOARD=icebreaker"),
        "{}",
        stderr(&o)
    );
    let o = amber(&["scan", "--sim-board", "no-such-board", "--header", GENESIS]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no-such-board"), "{}", stderr(&o));
}

#[test]
fn scan_with_a_threshold_takes_a_header_whose_nbits_encode_no_target() {
    // nBits 0xff00ffff: a target far wider than 256 bits.
    let mut header = GENESIS.to_string();
    header.replace_range(144..152, "ffff00ff");
    let bad = amber(&["scan", "--sim", "--header", &header, "--count", "16"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--threshold"), "{}", stderr(&bad));
    let o = amber(&[
        "scan",
        "--sim",
        "--header",
        &header,
        "--count",
        "16",
        "--threshold",
        "0xffffffff",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 16, "{}", stdout(&o));
}

#[test]
fn mine_sim_bounded_prints_the_real_nonces_of_real_blocks() {
    let headers = crate::util::block_headers();
    let n = headers.len().to_string();
    let o = amber(&[
        "mine",
        "--sim",
        "--range",
        "4096",
        "--until-found",
        &n,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    let found: Vec<(String, String)> = lines
        .iter()
        .filter(|v| v["event"] == "found")
        .map(|v| {
            (
                v["nonce"].as_str().unwrap().into(),
                v["hash"].as_str().unwrap().into(),
            )
        })
        .collect();
    for h in &headers {
        let want = (h.nonce().submit_hex(), h.hash().display_hex());
        assert!(found.contains(&want), "{want:?} not in {found:?}");
    }
    let summary = lines
        .iter()
        .find(|v| v["event"] == "summary")
        .expect("summary line");
    assert_eq!(summary["hardware_errors"], 0);
    assert!(summary["accepted"].as_u64().unwrap() >= headers.len() as u64);
}

#[test]
fn mine_sim_text_output_shows_nonces_and_a_summary() {
    let header = Header::from_hex(GENESIS).unwrap();
    let o = amber(&["mine", "--sim", "--range", "4096", "--until-found", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&header.nonce().submit_hex()), "{out}");
    assert!(out.contains(&header.hash().display_hex()), "{out}");
    assert!(out.contains("summary after"), "{out}");
    let accepted: u64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("shares: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no shares line: {out}"));
    assert!(accepted >= 1, "{out}");
}

#[test]
fn mine_sim_against_a_local_pool_gets_shares_accepted() {
    let server = StratumServer::start(ServerConfig {
        difficulty: 1.0 / 1_048_576.0,
        ..ServerConfig::default()
    });
    let url = server.url();
    let notify = {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/stratum.json");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["vectors"][0]["notify_params"].clone()
    };
    let dir = std::env::temp_dir().join(format!("amber-cli-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let share_log = dir.join("shares.jsonl");
    let log_arg = share_log.to_str().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let args = "mine --sim --user worker --range 16384 --duration 60 --json --until-found 3";
        let mut args: Vec<&str> = args.split(' ').collect();
        args.extend(["--pool", &url, "--share-log", &log_arg]);
        amber(&args)
    });
    assert!(server.wait_until(Duration::from_secs(20), |s| s.live_connections() == 1));
    server.notify(notify);
    let o = handle.join().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    let accepted = lines
        .iter()
        .filter(|v| v["event"] == "share" && v["result"] == "accepted")
        .count();
    assert!(accepted >= 3, "{lines:?}");
    for s in server.submissions() {
        assert!(s.accepted, "rejected {:?}: {:?}", s.params, s.reason);
    }
    assert_eq!(server.submissions().len(), accepted);
    let logged: Vec<Value> = std::fs::read_to_string(&share_log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let logged_accepted = logged.iter().filter(|v| v["result"] == "accepted").count();
    assert_eq!(logged_accepted, accepted, "{logged:?}");
    assert!(logged
        .iter()
        .all(|v| v["job"] == "genesis" && v["nonce"].is_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn input_errors_exit_1_and_name_the_problem() {
    let o = amber(&["mine"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no board"), "{}", stderr(&o));

    let o = amber(&[
        "mine",
        "--sim",
        "--pool",
        "http://pool.example:3333",
        "--user",
        "w",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("stratum+tcp://"), "{}", stderr(&o));

    let o = amber(&["mine", "--sim", "--pool", "stratum+tcp://127.0.0.1:1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--user"), "{}", stderr(&o));

    let dir = std::env::temp_dir().join(format!("amber-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.toml");
    std::fs::write(&config, "sim = 1\nprots = [\"/dev/ttyUSB0\"]\n").unwrap();
    let o = amber(&["mine", "--config", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("prots"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);

    let o = amber(&["scan", "--sim", "--header", "00"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let o = amber(&[
        "scan",
        "--sim",
        "--header",
        GENESIS,
        "--from",
        "0xffffffff",
        "--count",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("past nonce"), "{}", stderr(&o));
}

#[test]
fn missing_serial_port_is_a_failure_naming_it() {
    let o = amber(&[
        "scan",
        "--port",
        "/nonexistent/ttyAMBER",
        "--header",
        GENESIS,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/nonexistent/ttyAMBER"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ftdi_device_that_is_not_there_is_a_failure_naming_it() {
    let o = amber(&[
        "scan",
        "--device",
        "0403:6010:NOSUCHSERIAL",
        "--board",
        "icebreaker",
        "--header",
        GENESIS,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("icebreaker") && err.contains("0403:6010:NOSUCHSERIAL"),
        "{err}"
    );
}

#[test]
fn ftdi_device_without_one_matching_board_needs_a_board() {
    // 0403:6010 (FT2232H) is on several boards; a bus path names none.
    for selector in ["0403:6010", "1-4.2"] {
        let o = amber(&["scan", "--device", selector, "--header", GENESIS]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("--board NAME"), "{}", stderr(&o));
    }
}

/// Results the board found but could not send (its result FIFO overflowed at a
/// threshold that reports every nonce) are counted and said.
#[test]
fn scan_says_how_many_results_the_board_dropped() {
    let args = [
        "scan",
        "--sim",
        "--header",
        GENESIS,
        "--threshold",
        "0xffffffff",
        "--count",
        "20000",
    ];
    let o = amber(&[&args[..], &["--json"][..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    let summary = lines.last().unwrap();
    let found = summary["found"].as_u64().unwrap();
    let dropped = summary["dropped_results"].as_u64().unwrap();
    assert!(dropped > 0, "{summary}");
    assert_eq!(
        found + dropped,
        20_000,
        "every nonce is found or counted dropped"
    );
    // The text form says so too. A second run drops its own number of results
    // (how many depends on how fast the host drains the board), so only the
    // sentence and a count in range are checked here.
    let o = amber(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stderr(&o);
    let said: u64 = text
        .split("the board dropped ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no dropped-results sentence in: {text}"));
    assert!((1..20_000).contains(&said), "{text}");
}

/// A share log that cannot be written is said, not only counted.
#[test]
fn mine_says_when_the_share_log_cannot_be_written() {
    let o = amber(&[
        "mine",
        "--sim",
        "--range",
        "4096",
        "--until-found",
        "1",
        "--share-log",
        "/dev/full",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("line(s) could not be written: No space left on device"),
        "{out}"
    );
}
