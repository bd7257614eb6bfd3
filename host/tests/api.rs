//! The cgminer-compatible API of `amber mine --sim` end to end: cgminer's
//! commands, field names, codes and both reply forms; access control; and
//! hostile clients (silent, slow, oversize, garbage) that neither stall mining
//! nor stop the API from answering the next client.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::miner_process::{api, api_json, raw, Amber};

const SUMMARY_FIELDS: [&str; 12] = [
    "Elapsed",
    "MHS av",
    "MHS 5s",
    "Found Blocks",
    "Getworks",
    "Accepted",
    "Rejected",
    "Hardware Errors",
    "Stale",
    "Difficulty Accepted",
    "Best Share",
    "Total MH",
];
const DEV_FIELDS: [&str; 14] = [
    "PGA",
    "Name",
    "ID",
    "Status",
    "MHS av",
    "MHS 5s",
    "Accepted",
    "Rejected",
    "Hardware Errors",
    "Last Share Time",
    "Board",
    "Build ID",
    "Nonces Hashed",
    "Found",
];

fn start(extra: &[&str]) -> (Amber, std::net::SocketAddr) {
    let mut args = vec![
        "mine",
        "--sim",
        "--json",
        "--duration",
        "120",
        "--api-listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let mut amber = Amber::start(&args);
    let addr = amber.listening("api");
    (amber, addr)
}

fn status(v: &Value) -> (&str, u64, &str) {
    let s = &v["STATUS"][0];
    (
        s["STATUS"].as_str().unwrap(),
        s["Code"].as_u64().unwrap(),
        s["Msg"].as_str().unwrap(),
    )
}

fn nonces_hashed(addr: std::net::SocketAddr) -> u64 {
    api_json(addr, "devs")["DEVS"][0]["Nonces Hashed"]
        .as_u64()
        .unwrap()
}

#[test]
fn cgminer_commands_answer_with_cgminers_names_in_json_and_text() {
    let (mut amber, addr) = start(&[]);
    // A share the benchmark accepted, so counts are not all zero.
    assert!(amber
        .wait_line(Duration::from_secs(60), |l| l
            .contains("\"result\":\"accepted\""))
        .is_some());

    let summary = api_json(addr, "summary");
    assert_eq!(status(&summary), ("S", 11, "Summary"));
    assert!(summary["STATUS"][0]["Description"]
        .as_str()
        .unwrap()
        .starts_with("amber "));
    assert!(summary["STATUS"][0]["When"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(summary["id"], 1);
    for field in SUMMARY_FIELDS {
        assert!(
            summary["SUMMARY"][0].get(field).is_some(),
            "summary lacks {field}: {summary}"
        );
    }
    assert!(summary["SUMMARY"][0]["Accepted"].as_u64().unwrap() >= 1);
    assert!(summary["SUMMARY"][0]["Best Share"].as_f64().unwrap() > 1.0);

    let devs = api_json(addr, "devs");
    assert_eq!(status(&devs), ("S", 9, "1 PGA(s)"));
    let dev = &devs["DEVS"][0];
    for field in DEV_FIELDS {
        assert!(dev.get(field).is_some(), "devs lacks {field}: {devs}");
    }
    assert_eq!(dev["Name"], "AMB");
    assert_eq!(dev["Status"], "Alive");
    assert_eq!(dev["Build ID"], "414d4253");
    assert!(
        dev["Accepted"].as_u64().unwrap() >= 1,
        "shares attributed to the board: {dev}"
    );

    let pools = api_json(addr, "pools");
    assert_eq!(status(&pools), ("S", 7, "1 Pool(s)"));
    assert_eq!(pools["POOLS"][0]["URL"], "benchmark");
    assert_eq!(pools["POOLS"][0]["Status"], "Alive");

    assert_eq!(api_json(addr, "version")["VERSION"][0]["API"], "3.7");
    assert_eq!(api_json(addr, "config")["CONFIG"][0]["PGA Count"], 1);
    assert_eq!(api_json(addr, "pgacount")["PGAS"][0]["Count"], 1);
    assert_eq!(status(&api_json(addr, "pga|0")), ("S", 57, "PGA0"));
    assert_eq!(
        status(&api_json(addr, "pga|7")),
        ("E", 58, "Invalid PGA id 7 - range is 0 - 0")
    );
    assert_eq!(
        status(&api_json(addr, "pga")),
        ("E", 15, "Missing device id parameter")
    );
    let stats = api_json(addr, "stats");
    assert_eq!(stats["STATS"][0]["ID"], "AMB0");
    assert_eq!(stats["STATS"][1]["ID"], "POOL0");
    let check = api_json(addr, "check|quit");
    assert_eq!(check["COMMAND"][0]["Exists"], "Y");
    assert_eq!(check["COMMAND"][0]["Access"], "N");
    assert_eq!(
        status(&api_json(addr, "frobnicate")),
        ("E", 14, "Invalid command")
    );

    // Text form: cgminer's STATUS=…|SECTION,…| layout, NUL-terminated.
    let text = api(addr, b"summary");
    assert!(text.starts_with("STATUS=S,When="), "{text}");
    assert!(
        text.contains(",Code=11,Msg=Summary,Description=amber "),
        "{text}"
    );
    assert!(text.contains("|SUMMARY,Elapsed="), "{text}");
    assert!(text.ends_with('|'), "{text}");
    let text = api(addr, b"devs\n");
    assert!(text.contains("|PGA=0,Name=AMB,ID=0,"), "{text}");

    // Joined reports: one section per command, in both forms.
    let joined: Value =
        serde_json::from_str(&api(addr, br#"{"command":"summary+devs+pools"}"#)).unwrap();
    assert_eq!(joined["summary"][0]["STATUS"][0]["Code"], 11);
    assert_eq!(joined["devs"][0]["DEVS"][0]["PGA"], 0);
    assert_eq!(joined["pools"][0]["POOLS"][0]["POOL"], 0);
    let text = api(addr, b"summary+quit");
    assert!(text.starts_with("CMD=summary|STATUS=S"), "{text}");
    assert!(
        text.contains("|CMD=quit|STATUS=E,"),
        "a privileged command is not a report: {text}"
    );
    assert!(amber.running());
}

#[test]
fn privileged_commands_are_denied_without_w_access() {
    let (mut amber, addr) = start(&[]);
    for cmd in ["quit", "switchpool|0", "privileged", "addpool|a,b,c"] {
        let v = api_json(addr, cmd);
        let name = cmd.split('|').next().unwrap();
        assert_eq!(
            status(&v),
            (
                "E",
                45,
                format!("Access denied to '{name}' command").as_str()
            )
        );
    }
    let text = api(addr, b"quit");
    assert!(
        text.starts_with("STATUS=E,") && text.contains("Code=45"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(amber.running(), "quit without privilege changed nothing");
}

#[test]
fn w_access_switches_pools_and_quits() {
    let (mut amber, addr) = start(&["--api-allow", "W:127.0.0.1"]);
    assert_eq!(
        status(&api_json(addr, "privileged")),
        ("S", 46, "Privileged access OK")
    );
    assert_eq!(
        status(&api_json(addr, "switchpool|3")),
        ("E", 26, "Invalid pool id 3 - range is 0 - 0")
    );
    assert_eq!(
        status(&api_json(addr, "switchpool")),
        ("E", 25, "Missing pool id parameter")
    );
    assert_eq!(
        status(&api_json(addr, "switchpool|0")),
        ("S", 27, "Switching to pool 0:'benchmark'")
    );
    assert_eq!(status(&api_json(addr, "quit")), ("S", 257, "BYE"));
    let exit = amber
        .wait_exit(Duration::from_secs(30))
        .expect("amber quits");
    assert!(exit.success(), "{}", amber.errors());
    assert!(amber
        .lines()
        .iter()
        .any(|l| l.contains("\"event\":\"summary\"")));
}

#[test]
fn clients_outside_the_allow_list_are_closed_unanswered() {
    let (_amber, addr) = start(&["--api-allow", "W:10.1.2.3,192.168.0/16"]);
    assert!(raw(addr, b"summary").is_empty());
}

#[test]
fn hostile_clients_neither_stall_mining_nor_the_api() {
    let (mut amber, addr) = start(&[]);
    assert!(amber
        .wait_line(Duration::from_secs(60), |l| l
            .contains("\"event\":\"found\""))
        .is_some());
    let before = nonces_hashed(addr);
    // Every connection slot taken by clients that send nothing, and more.
    let hogs: Vec<TcpStream> = (0..24).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // One that sends a byte at a time, slower than the request deadline allows.
    let mut slow = TcpStream::connect(addr).unwrap();
    let dribble = std::thread::spawn(move || {
        for b in b"summar" {
            if slow.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1500));
        }
    });
    // Mining goes on meanwhile: the loop keeps printing its status (every 10 s
    // in JSON), with the board hashing.
    let statuses = |a: &Amber| {
        a.lines()
            .iter()
            .filter(|l| l.contains("\"event\":\"status\""))
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let seen = statuses(&amber).len();
    let until = Instant::now() + Duration::from_secs(60);
    while statuses(&amber).len() < seen + 2 {
        assert!(
            Instant::now() < until,
            "mining stalled while the API was flooded: {}",
            amber.errors()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let last = statuses(&amber).pop().unwrap();
    assert!(last["hashrate_short"].as_f64().unwrap() > 0.0, "{last}");
    drop(hogs);
    dribble.join().unwrap();
    // Once the hogs are gone (or timed out) the API answers again.
    let until = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(b"{\"command\":\"devs\"}");
        let mut answer = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut answer);
        if answer.last() == Some(&0) {
            answer.pop();
            let v: Value = serde_json::from_slice(&answer).unwrap();
            break v["DEVS"][0]["Nonces Hashed"].as_u64().unwrap();
        }
        assert!(Instant::now() < until, "the API never answered again");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(after > before);

    // Malformed and hostile requests: each a clear cgminer error, never a crash.
    let cases: Vec<(Vec<u8>, u64)> = vec![
        (b"{\"command\":".to_vec(), 23),
        (b"{\"command\":\"summary\"".to_vec(), 23),
        (b"[\"summary\"]".to_vec(), 14),
        (b"{\"parameter\":\"0\"}".to_vec(), 24),
        (b"{\"command\":[1,2,3]}".to_vec(), 24),
        (b"\xff\xfe\xfd".to_vec(), 14),
        (b"|||".to_vec(), 14),
        ("x".repeat(20_000).into_bytes(), 14),
        (
            format!("{{\"command\":\"{}\"}}", "a".repeat(30_000)).into_bytes(),
            14,
        ),
        (b"\0summary".to_vec(), 14),
        (b"summary\x1b[2J|".to_vec(), 14),
        (b"pga|99999999999999999999999999999".to_vec(), 58),
        (
            b"{\"command\":\"pga\",\"parameter\":{\"deep\":[[[[[]]]]]}}".to_vec(),
            15,
        ),
    ];
    for (bytes, code) in cases {
        let answer = raw(addr, &bytes);
        assert_eq!(
            answer.last(),
            Some(&0),
            "{:?}: {answer:?}",
            String::from_utf8_lossy(&bytes)
        );
        let text = String::from_utf8_lossy(&answer[..answer.len() - 1]).into_owned();
        let got = if text.starts_with('{') {
            let v: Value = serde_json::from_str(&text).unwrap();
            (
                v["STATUS"][0]["STATUS"].clone(),
                v["STATUS"][0]["Code"].as_u64().unwrap(),
            )
        } else {
            let code = text
                .split(',')
                .find_map(|f| f.strip_prefix("Code="))
                .and_then(|c| c.parse().ok())
                .unwrap();
            let sev = text
                .strip_prefix("STATUS=")
                .unwrap_or("")
                .chars()
                .next()
                .unwrap();
            (Value::String(sev.to_string()), code)
        };
        assert_eq!(
            got,
            (Value::String("E".into()), code),
            "{:?}: {text}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
        assert!(
            !text.chars().any(|c| c.is_control()),
            "control characters in {text:?}"
        );
    }
    // Random garbage: answered or closed, and the API still works afterwards.
    let mut seed = 0x2545_f491_u64;
    for _ in 0..20 {
        let bytes: Vec<u8> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = raw(addr, &bytes);
    }
    assert!(nonces_hashed(addr) >= after);
    assert!(amber.running());
}
