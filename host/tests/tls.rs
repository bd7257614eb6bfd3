//! Stratum over TLS against a local TLS pool (a TLS front with a generated
//! certificate over the local Stratum server): shares accepted with the pool's
//! own certificate trusted; a certificate that does not verify refused with an
//! error naming the pool, and never a plain-TCP fallback; hostile endpoints
//! (not TLS, garbage, silence, a hang-up) refused with a clear error.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use amber::emulator::stratum::{ServerConfig, StratumServer};
use amber::hash::Nonce;
use amber::pool::{ClientOptions, PoolCa, PoolConfig, PoolSource, StratumError};
use amber::text::error_chain;
use amber::work::{Share, ShareLog, ShareResult, SourceEvent, WorkItem, WorkSource};
use serde_json::json;

use crate::support::tls_front::{TestCert, TlsFront};

const EASY: f64 = 1.0 / 67_108_864.0;

fn opts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        version_rolling: None,
        tick: Duration::from_millis(5),
        ..ClientOptions::default()
    }
}

fn source(url: &str, ca: Option<&TestCert>) -> PoolSource {
    let config = PoolConfig {
        url: url.parse().unwrap(),
        user: "worker".into(),
        pass: "x".into(),
        ca: ca.map(|c| PoolCa::from_pem(Path::new("test.pem"), c.pem.as_bytes()).unwrap()),
    };
    PoolSource::start(vec![config], opts(), ShareLog::default()).unwrap()
}

fn job() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/stratum.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let p = &v["vectors"][0]["notify_params"];
    json!([
        "tls-job",
        "11".repeat(32),
        p[2],
        p[3],
        [],
        "20000000",
        "1d00ffff",
        "495fab29",
        true
    ])
}

fn wait(
    src: &mut PoolSource,
    what: &str,
    mut pred: impl FnMut(&SourceEvent) -> bool,
) -> SourceEvent {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if let Some(e) = src.next_event(Duration::from_millis(20)) {
            if pred(&e) {
                return e;
            }
        }
    }
    panic!("timed out waiting for {what}");
}

fn mine(item: &WorkItem) -> Option<Share> {
    (item.nonce_start..=item.nonce_end)
        .map(Nonce)
        .find_map(|n| {
            let check = item.check(n);
            check.meets_target.then_some(check.share)
        })
}

/// The first disconnection's error, as the typed error and its text; the
/// source must not have connected before it.
fn refusal(src: &mut PoolSource) -> (String, String) {
    match wait(src, "a refused connection", |e| {
        assert!(
            !matches!(e, SourceEvent::Connected { .. }),
            "connected anyway"
        );
        matches!(e, SourceEvent::Disconnected { .. })
    }) {
        SourceEvent::Disconnected { error, .. } => {
            let Some(StratumError::Tls { addr, .. }) = error.downcast_ref::<StratumError>() else {
                panic!("not a TLS error: {}", error_chain(error.as_ref()));
            };
            (addr.clone(), error_chain(error.as_ref()))
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_tls_pool_whose_certificate_is_trusted_accepts_shares() {
    let server = StratumServer::start(ServerConfig {
        difficulty: EASY,
        ..ServerConfig::default()
    });
    let cert = TestCert::new(&["127.0.0.1", "localhost"]);
    let front = TlsFront::start(
        server
            .url()
            .trim_start_matches("stratum+tcp://")
            .parse()
            .unwrap(),
        &cert,
    );
    for url in [
        front.url(),
        front.url().replace("stratum+ssl", "stratum+tls"),
    ] {
        let before = server.submissions().len();
        let mut src = source(&url, Some(&cert));
        wait(&mut src, "connected", |e| {
            matches!(e, SourceEvent::Connected { .. })
        });
        server.notify(job());
        wait(&mut src, "work", |e| {
            matches!(e, SourceEvent::NewWork { .. })
        });
        let item = src.next_work(1 << 16).unwrap();
        src.submit(mine(&item).expect("a share in 65536 nonces at 2^-26"));
        match wait(&mut src, "an outcome", |e| {
            matches!(e, SourceEvent::Share(_))
        }) {
            SourceEvent::Share(r) => assert_eq!(r.result, ShareResult::Accepted, "{url}"),
            _ => unreachable!(),
        }
        assert_eq!(server.submissions().len(), before + 1);
        src.shutdown(Duration::from_secs(1));
    }
    assert!(front.handshakes() >= 2);
}

#[test]
fn a_certificate_that_does_not_verify_is_refused_never_downgraded() {
    let server = StratumServer::start(ServerConfig::default());
    let backend = server
        .url()
        .trim_start_matches("stratum+tcp://")
        .parse()
        .unwrap();
    let cert = TestCert::new(&["127.0.0.1"]);
    let other = TestCert::new(&["127.0.0.1"]);
    let wrong_name = TestCert::new(&["pool.example.org"]);
    let front = TlsFront::start(backend, &cert);
    let misnamed = TlsFront::start(backend, &wrong_name);
    for (url, trusted, why) in [
        // Another certificate of the same (default) subject: its key does not
        // sign this one.
        (front.url(), Some(&other), "BadSignature"),
        // Mozilla's roots do not know a self-signed certificate.
        (front.url(), None, "UnknownIssuer"),
        (
            misnamed.url(),
            Some(&wrong_name),
            "not valid for name \"127.0.0.1\"",
        ),
    ] {
        let mut src = source(&url, trusted);
        let (addr, text) = refusal(&mut src);
        let authority = url.trim_start_matches("stratum+ssl://");
        assert_eq!(addr, authority);
        assert!(
            text.starts_with(&format!(
                "TLS with pool {authority} failed: invalid peer certificate"
            )),
            "{text}"
        );
        assert!(text.contains(why), "{text}");
        src.shutdown(Duration::from_millis(100));
    }
    // Nothing ever reached the pool: no plain-TCP fallback.
    assert_eq!(server.connections(), 0);
    assert_eq!(front.handshakes() + misnamed.handshakes(), 0);
}

#[test]
fn hostile_tls_endpoints_are_clear_errors() {
    // A plain Stratum pool behind a stratum+ssl URL: it never answers the hello.
    let plain = StratumServer::start(ServerConfig::default());
    let url = plain.url().replace("stratum+tcp", "stratum+ssl");
    let (_, text) = refusal(&mut source(&url, None));
    assert!(
        text.contains("did not complete the TLS handshake in time"),
        "{text}"
    );
    assert_eq!(
        plain.live_connections(),
        0,
        "never authorized in plain text"
    );

    // Endpoints that answer with garbage, HTTP, or hang up at once.
    for reply in [
        &b"\x00\xff garbage \x16\x03\x03\x00\x01\x00"[..],
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        b"",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reply = reply.to_vec();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let Ok((mut s, _)) = listener.accept() else {
                    return;
                };
                let _ = s.write_all(&reply);
                drop(s);
            }
        });
        let mut src = source(&format!("stratum+ssl://{addr}"), None);
        let (got, text) = refusal(&mut src);
        assert_eq!(got, addr.to_string());
        assert!(
            text.starts_with(&format!("TLS with pool {addr} failed: ")),
            "{text}"
        );
        src.shutdown(Duration::from_millis(100));
        drop(src);
        let _ = std::net::TcpStream::connect(addr);
        server.join().unwrap();
    }
}
