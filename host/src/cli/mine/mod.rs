//! `amber mine`: keep boards busy with work from a pool or the built-in
//! benchmark of real headers, verify and submit what they find, show it live.
//! Settings (flags and file) in `settings`, what is shown in `output`.

mod output;
mod settings;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use amber::api::Control;
use amber::device::{Driver, DriverConfig};
use amber::mining::{Miner, MinerConfig, MinerEvent, SharedSnapshot};
use amber::pool::{ClientOptions, PoolSource};
use amber::text::error_chain;
use amber::work::{Benchmark, ShareLog, WorkSource};

use super::board_args::{open_links, BoardArgs};
use output::Output;
use settings::Settings;

/// Mine: boards take work from a pool (or real block headers), every nonce is
/// re-checked with the reference hasher, shares are submitted.
#[derive(Debug, Args)]
pub struct Cmd {
    /// Pool URL (stratum+tcp://HOST:PORT, or stratum+ssl:// / stratum+tls:// for TLS);
    /// repeat for failover pools, in priority order.
    /// Without a pool, boards mine the built-in real block headers.
    #[arg(long = "pool", value_name = "URL")]
    pools: Vec<String>,
    /// Worker name for each --pool, in order (the last one given applies to the rest).
    #[arg(long = "user", value_name = "U")]
    users: Vec<String>,
    /// Password for each --pool, in order (the last one given applies to the rest) [default: x].
    #[arg(long = "pass", value_name = "P")]
    passes: Vec<String>,
    /// PEM file of the certificates the TLS --pool's certificate must chain to (a
    /// pool's own, self-signed one) [default: Mozilla's roots].
    #[arg(long, value_name = "FILE")]
    pool_ca: Option<PathBuf>,
    #[command(flatten)]
    boards: BoardArgs,
    /// Settings file (TOML: pool list, boards, share log, bounds); flags add to it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print one JSON object per event on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Append every share's outcome to this file as JSON lines.
    #[arg(long, value_name = "FILE")]
    share_log: Option<PathBuf>,
    /// Stop after this many seconds (then submit in-flight shares and print the summary).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Stop after this many verified nonces.
    #[arg(long, value_name = "N")]
    until_found: Option<u64>,
    /// Nonces per work unit sent to a board [default: about 2 s of the board's measured rate].
    #[arg(long, value_name = "NONCES")]
    range: Option<u32>,
    /// A pool that sends nothing for this many seconds is taken for dead and work
    /// moves to the next pool [default: 180].
    #[arg(long, value_name = "SECS")]
    pool_timeout: Option<f64>,
    /// Serve cgminer's API (summary, devs, pools, stats, …) on [ADDR:]PORT; a port
    /// alone listens on 127.0.0.1 (cgminer's port is 4028).
    #[arg(long, value_name = "[ADDR:]PORT")]
    api_listen: Option<String>,
    /// Clients allowed to use the API, cgminer's form: [W:]ADDR[/PREFIX],… (W: may
    /// also switchpool and quit) [default: this machine, read-only].
    #[arg(long, value_name = "LIST")]
    api_allow: Option<String>,
    /// Serve Prometheus metrics at http://[ADDR:]PORT/metrics; a port alone
    /// listens on 127.0.0.1.
    #[arg(long, value_name = "[ADDR:]PORT")]
    metrics_listen: Option<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let settings = Settings::of(self)?;
        let links = open_links(&settings.boards)?;
        let mut drivers = Vec::new();
        for link in links {
            let name = link.name();
            let config = DriverConfig::for_link(&*link);
            let driver = Driver::new(link, config)
                .with_context(|| format!("identifying the board on {name}"))?;
            drivers.push(driver);
        }
        let log = match &settings.share_log {
            Some(path) => ShareLog::append_to(path)
                .with_context(|| format!("opening share log {}", path.display()))?,
            None => ShareLog::default(),
        };
        let source: Box<dyn WorkSource> = if settings.pools.is_empty() {
            Box::new(Benchmark::new(log.clone()))
        } else {
            let mut options = ClientOptions::default();
            if let Some(timeout) = settings.pool_timeout {
                options.inactivity = timeout;
            }
            Box::new(
                PoolSource::start(settings.pools.clone(), options, log.clone())
                    .context("starting the pool clients")?,
            )
        };
        let out = Output::new(settings.json);
        for d in &drivers {
            out.board(d);
        }
        let miner = Miner::new(
            source,
            drivers,
            MinerConfig {
                unit_nonces: settings.range,
                ..MinerConfig::default()
            },
        );
        run_loop(miner, &settings, out, &log)
    }
}

fn run_loop(
    mut miner: Miner,
    settings: &Settings,
    mut out: Output,
    log: &ShareLog,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let shared = SharedSnapshot::default();
    shared.publish(miner.snapshot());
    let (control, controls) = mpsc::channel();
    let _api = match &settings.api {
        Some(config) => {
            let server = amber::api::start(config.clone(), shared.clone(), control.clone())
                .with_context(|| format!("starting the API on {}", config.listen))?;
            out.listening("api", server.local_addr());
            Some(server)
        }
        None => None,
    };
    let _metrics = match &settings.metrics {
        Some(config) => {
            let server = amber::metrics::start(config.clone(), shared.clone())
                .with_context(|| format!("starting the metrics server on {}", config.listen))?;
            out.listening("metrics", server.local_addr());
            Some(server)
        }
        None => None,
    };
    let started = Instant::now();
    let mut found = 0u64;
    let mut last_status = Instant::now();
    let mut failure = None;
    let mut log_errors = 0;
    loop {
        let events = miner.step();
        let changed = !events.is_empty();
        for event in events {
            if matches!(event, MinerEvent::Found { .. }) {
                found += 1;
            }
            if let MinerEvent::BoardFailed { error, .. } = &event {
                failure = Some(error_chain(error));
            }
            out.event(&event);
        }
        let errors = log.write_errors();
        if errors > log_errors {
            log_errors = errors;
            out.share_log_failed(errors, &log.last_write_error().unwrap_or_default());
        }
        if apply_controls(&controls, &mut miner, &stop) || changed {
            shared.publish(miner.snapshot());
        }
        if last_status.elapsed() >= Duration::from_millis(250) {
            let snapshot = miner.snapshot();
            out.status(&snapshot);
            shared.publish(snapshot);
            last_status = Instant::now();
        }
        if stop.load(Ordering::SeqCst)
            || !miner.any_alive()
            || settings.until_found.is_some_and(|n| found >= n)
            || settings.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
    }
    for event in miner.shutdown(Duration::from_millis(200), Duration::from_secs(5)) {
        out.event(&event);
    }
    if log.write_errors() > log_errors {
        out.share_log_failed(
            log.write_errors(),
            &log.last_write_error().unwrap_or_default(),
        );
    }
    let last = miner.snapshot();
    out.summary(&last);
    shared.publish(last);
    match failure {
        Some(error) if !miner.any_alive() => {
            Err(anyhow::anyhow!(error)).context("every board failed")
        }
        _ => Ok(()),
    }
}

/// Carries out what API clients asked for; true when something changed.
fn apply_controls(controls: &Receiver<Control>, miner: &mut Miner, stop: &AtomicBool) -> bool {
    let mut changed = false;
    while let Ok(control) = controls.try_recv() {
        match control {
            Control::Quit => stop.store(true, Ordering::SeqCst),
            Control::SwitchPool(index) => changed |= miner.prefer_pool(index),
        }
    }
    changed
}
