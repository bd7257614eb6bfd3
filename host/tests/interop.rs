//! The end-to-end check: `amber mine --sim` against a local TLS pool
//! (its own certificate trusted with `--pool-ca`), with the cgminer API and
//! the Prometheus metrics on. Once the pool stops handing out findable work,
//! the API's summary, devs and pools and the /metrics page all report the
//! accepted-share count the pool itself counted, in cgminer's field names and
//! Prometheus' format.

use std::path::Path;
use std::time::{Duration, Instant};

use amber::emulator::stratum::{ServerConfig, StratumServer};
use serde_json::Value;

use crate::support::miner_process::{api_json, http_get, promtool, sample, Amber};
use crate::support::tls_front::{TestCert, TlsFront};

/// About one share in 65536 nonces: a few a second on the simulated board.
const EASY: f64 = 1.0 / 65_536.0;

fn job(id: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/stratum.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut params = v["vectors"][0]["notify_params"].clone();
    params[0] = Value::String(id.into());
    params[8] = Value::Bool(true);
    params
}

#[test]
fn api_and_metrics_report_the_shares_the_tls_pool_counted() {
    let server = StratumServer::start(ServerConfig {
        difficulty: EASY,
        ..ServerConfig::default()
    });
    let cert = TestCert::new(&["127.0.0.1"]);
    let backend = server
        .url()
        .trim_start_matches("stratum+tcp://")
        .parse()
        .unwrap();
    let front = TlsFront::start(backend, &cert);
    let dir = std::env::temp_dir().join(format!("amber-interop-{}", std::process::id()));
    let pem = cert.write(&dir, "pool.pem");
    let url = front.url();
    let mut amber = Amber::start(&[
        "mine",
        "--sim",
        "--json",
        "--duration",
        "300",
        "--range",
        "16384",
        "--pool",
        &url,
        "--user",
        "worker",
        "--pool-ca",
        pem.to_str().unwrap(),
        "--api-listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
    ]);
    let api = amber.listening("api");
    let metrics = amber.listening("metrics");
    assert!(
        server.wait_until(Duration::from_secs(60), |s| s.live_connections() == 1),
        "no TLS session: {}",
        amber.errors()
    );
    assert!(front.handshakes() >= 1);
    server.notify(job("findable"));
    let accepted = |s: &StratumServer| s.submissions().iter().filter(|x| x.accepted).count();
    assert!(
        server.wait_until(Duration::from_secs(120), |s| accepted(s) >= 3),
        "the pool accepted {} shares: {}",
        accepted(&server),
        amber.errors()
    );
    // No more findable work: the count the pool has is final once in-flight
    // shares are answered.
    server.set_difficulty(1e12);
    server.notify(job("out-of-reach"));

    let pool_name = url.trim_start_matches("stratum+ssl://").to_string();
    let until = Instant::now() + Duration::from_secs(60);
    let (summary, devs, pools, page) = loop {
        let want = accepted(&server) as u64;
        let summary = api_json(api, "summary");
        let devs = api_json(api, "devs");
        let pools = api_json(api, "pools");
        let (code, page) = http_get(metrics, "/metrics");
        assert_eq!(code, 200);
        let counts = [
            summary["SUMMARY"][0]["Accepted"].as_u64(),
            devs["DEVS"][0]["Accepted"].as_u64(),
            pools["POOLS"][0]["Accepted"].as_u64(),
            sample(
                &page,
                &format!("amber_shares_total{{pool=\"{pool_name}\",result=\"accepted\"}}"),
            )
            .map(|v| v as u64),
        ];
        if counts.iter().all(|c| *c == Some(want)) && want == accepted(&server) as u64 {
            break (summary, devs, pools, page);
        }
        assert!(
            Instant::now() < until,
            "pool accepted {want}, reported {counts:?}; stderr: {}",
            amber.errors()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let n = accepted(&server) as u64;
    assert!(n >= 3);
    assert_eq!(summary["STATUS"][0]["STATUS"], "S");
    assert_eq!(summary["SUMMARY"][0]["Accepted"], n);
    assert!(
        summary["SUMMARY"][0]["Difficulty Accepted"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(summary["SUMMARY"][0]["Best Share"].as_f64().unwrap() >= EASY);
    assert_eq!(devs["DEVS"][0]["Accepted"], n);
    assert_eq!(pools["POOLS"][0]["URL"], url.as_str());
    assert_eq!(pools["POOLS"][0]["Status"], "Alive");
    assert_eq!(pools["POOLS"][0]["Stratum Active"], true);
    assert_eq!(pools["POOLS"][0]["Accepted"], n);
    assert_eq!(
        sample(
            &page,
            &format!("amber_pool_connected{{pool=\"{pool_name}\"}}")
        ),
        Some(1.0)
    );
    let (ok, problems) = promtool(&page);
    assert!(ok, "promtool: {problems}");
    eprintln!(
        "TLS pool {pool_name}: {n} accepted; API summary/devs/pools Accepted = {}/{}/{}; \
         /metrics amber_shares_total accepted = {n}; promtool: ok",
        summary["SUMMARY"][0]["Accepted"],
        devs["DEVS"][0]["Accepted"],
        pools["POOLS"][0]["Accepted"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
