//! The Prometheus metrics of `amber mine --sim` end to end: the page passes
//! Prometheus' own parser and linter (`promtool check metrics`, installed by
//! `make setup`), carries the families, and malformed or hostile
//! HTTP clients get a clear status (or are dropped at their deadline) while
//! mining goes on.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::miner_process::{http_get, promtool, raw, sample, Amber};

fn start() -> (Amber, SocketAddr) {
    let mut amber = Amber::start(&[
        "mine",
        "--sim",
        "--json",
        "--duration",
        "120",
        "--metrics-listen",
        "127.0.0.1:0",
    ]);
    let addr = amber.listening("metrics");
    (amber, addr)
}

#[test]
fn promtool_accepts_the_page_and_the_families_are_there() {
    // The check can fail: a page promtool refuses is refused.
    assert!(!promtool("# TYPE amber_x counter\namber_x{a=\"b} 1\n").0);
    let (mut amber, addr) = start();
    assert!(amber
        .wait_line(Duration::from_secs(60), |l| l
            .contains("\"result\":\"accepted\""))
        .is_some());
    // The board's count starts with its second STATUS reading.
    let until = Instant::now() + Duration::from_secs(30);
    let page = loop {
        let (code, page) = http_get(addr, "/metrics");
        assert_eq!(code, 200, "{page}");
        if sample(&page, "amber_hashes_total{board=\"sim\"}").is_some_and(|n| n > 0.0) {
            break page;
        }
        assert!(Instant::now() < until, "no hashes counted: {page}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (ok, problems) = promtool(&page);
    assert!(ok, "promtool: {problems}\n{page}");
    for series in [
        "amber_hashes_total{board=\"sim\"}",
        "amber_hardware_errors_total{board=\"sim\"}",
        "amber_board_bad_frames_total{board=\"sim\"}",
        "amber_board_hashrate_hashes_per_second{board=\"sim\"}",
        "amber_shares_total{pool=\"benchmark\",result=\"rejected\"}",
        "amber_shares_total{pool=\"benchmark\",result=\"stale\"}",
        "amber_shares_total{pool=\"benchmark\",result=\"lost\"}",
        "amber_pool_difficulty{pool=\"benchmark\"}",
        "amber_pool_connected{pool=\"benchmark\"}",
    ] {
        assert!(sample(&page, series).is_some(), "no {series} in\n{page}");
    }
    assert!(
        sample(
            &page,
            "amber_shares_total{pool=\"benchmark\",result=\"accepted\"}"
        )
        .unwrap()
            >= 1.0
    );
    assert!(page.contains(&format!(
        "amber_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    // HEAD: the headers alone.
    let head = String::from_utf8(raw(addr, b"HEAD /metrics HTTP/1.1\r\n\r\n")).unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    assert!(head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
}

#[test]
fn malformed_and_hostile_http_gets_a_clear_status_and_mining_goes_on() {
    let (mut amber, addr) = start();
    let status_of = |bytes: &[u8]| -> (u16, String) {
        let answer = String::from_utf8_lossy(&raw(addr, bytes)).into_owned();
        let code = answer
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (code, answer)
    };
    for (request, want) in [
        (&b"GET / HTTP/1.1\r\n\r\n"[..], 404),
        (b"GET /metrics/../secret HTTP/1.1\r\n\r\n", 404),
        (
            b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            405,
        ),
        (b"DELETE /metrics HTTP/1.1\r\n\r\n", 405),
        (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"summary\n\n", 400),
    ] {
        let (code, answer) = status_of(request);
        assert_eq!(
            code,
            want,
            "{:?} → {answer}",
            String::from_utf8_lossy(request)
        );
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
    }
    // Headers without end, longer than the limit: 431, not unbounded memory.
    let mut huge = b"GET /metrics HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'X', 100_000));
    assert_eq!(status_of(&huge).0, 431);
    // A client that stops half-way is dropped at its deadline, unanswered.
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /metr").unwrap();
    let started = Instant::now();
    half.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut half, &mut rest);
    assert!(rest.is_empty(), "{rest:?}");
    assert!(started.elapsed() < Duration::from_secs(30), "never dropped");
    // Every slot held by silent clients: mining goes on, and once they are
    // gone a scrape is answered again.
    let hogs: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let statuses = |a: &Amber| {
        a.lines()
            .iter()
            .filter(|l| l.contains("\"event\":\"status\""))
            .count()
    };
    let seen = statuses(&amber);
    let until = Instant::now() + Duration::from_secs(60);
    while statuses(&amber) < seen + 1 {
        assert!(Instant::now() < until, "mining stalled: {}", amber.errors());
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(hogs);
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = raw(addr, b"GET /metrics HTTP/1.0\r\n\r\n");
        if answer.starts_with(b"HTTP/1.1 200 OK") {
            break;
        }
        assert!(Instant::now() < until, "no scrape answered after the flood");
        std::thread::sleep(Duration::from_millis(200));
    }
    let last: Value = amber
        .lines()
        .iter()
        .rev()
        .find(|l| l.contains("\"event\":\"status\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    assert!(last["hashrate_short"].as_f64().unwrap() > 0.0, "{last}");
    assert!(amber.running());
}
