//! `amber mine`: keep boards busy with work from a pool or the built-in
//! benchmark of real headers, verify and submit what they find, show it live.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use serde_json::json;

use amber::board::BoardSpec;
use amber::device::{Driver, DriverConfig};
use amber::link::ftdi::FtdiUart;
use amber::link::serial::SerialLink;
use amber::link::Link;
use amber::mining::{Miner, MinerConfig, MinerEvent, Snapshot};
use amber::pool::{ClientOptions, PoolConfig, PoolSource, PoolUrl};
use amber::usb::DeviceSelector;
use amber::work::{Benchmark, ShareLog, ShareResult, WorkSource};

use super::ftdi::{board_ids, hint};
use super::BadInput;

/// Default UART baud rate of the shipped bitstreams.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Mine: boards take work from a pool (or real block headers), every nonce is
/// re-checked with the reference hasher, shares are submitted.
#[derive(Debug, Args)]
pub struct Cmd {
    /// Pool URL (stratum+tcp://HOST:PORT); repeat for failover pools, in priority order.
    /// Without a pool, boards mine the built-in real block headers.
    #[arg(long = "pool", value_name = "URL")]
    pools: Vec<String>,
    /// Worker name for each --pool, in order (the last one given applies to the rest).
    #[arg(long = "user", value_name = "U")]
    users: Vec<String>,
    /// Password for each --pool, in order (the last one given applies to the rest) [default: x].
    #[arg(long = "pass", value_name = "P")]
    passes: Vec<String>,
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
}

/// Which boards to drive (shared with `amber scan`).
#[derive(Debug, Args, Default, Clone)]
pub struct BoardArgs {
    /// A simulated board: the Verilator model of the RTL; repeat for more.
    #[cfg(feature = "sim")]
    #[arg(long, action = clap::ArgAction::Count)]
    pub sim: u8,
    /// A board whose UART the kernel owns (`/dev/ttyUSB1`); repeat for more.
    #[arg(long = "port", value_name = "PATH")]
    pub ports: Vec<String>,
    /// UART baud rate for --port boards.
    #[arg(long, value_name = "BAUD")]
    pub baud: Option<u32>,
    /// An FTDI board on USB: VID:PID[:SERIAL] or a bus path (see `amber list`); repeat for more.
    #[arg(long = "device", value_name = "SELECTOR")]
    pub devices: Vec<DeviceSelector>,
    /// The board on --device (boards.toml name): its UART channel and baud rate.
    /// Needed when the selector's VID:PID does not name exactly one board.
    #[arg(long, value_name = "NAME")]
    pub board: Option<String>,
}

/// The TOML settings file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    pool: Vec<PoolEntry>,
    #[cfg(feature = "sim")]
    sim: Option<u8>,
    #[serde(default)]
    ports: Vec<String>,
    baud: Option<u32>,
    #[serde(default)]
    devices: Vec<String>,
    board: Option<String>,
    share_log: Option<PathBuf>,
    json: Option<bool>,
    duration: Option<f64>,
    until_found: Option<u64>,
    range: Option<u32>,
}

/// One `[[pool]]` table of the settings file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    url: String,
    user: String,
    #[serde(default = "default_pass")]
    pass: String,
}

fn default_pass() -> String {
    "x".to_string()
}

impl ConfigFile {
    fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))
            .context("parsing the config file")
    }
}

/// Settings after merging the file and the flags.
#[derive(Debug)]
struct Settings {
    pools: Vec<PoolConfig>,
    boards: BoardArgs,
    json: bool,
    share_log: Option<PathBuf>,
    duration: Option<Duration>,
    until_found: Option<u64>,
    range: Option<u32>,
}

impl Cmd {
    fn settings(self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let mut pools = Vec::new();
        for entry in file.pool {
            pools.push(pool_config(&entry.url, entry.user, entry.pass)?);
        }
        for (i, url) in self.pools.iter().enumerate() {
            let user = pick(&self.users, i)
                .ok_or_else(|| BadInput(format!("--pool {url} needs a --user (worker name)")))?;
            let pass = pick(&self.passes, i).unwrap_or_else(default_pass);
            pools.push(pool_config(url, user, pass)?);
        }
        let mut boards = self.boards;
        let mut ports = file.ports;
        ports.append(&mut boards.ports);
        boards.ports = ports;
        boards.baud = boards.baud.or(file.baud);
        let mut devices = file
            .devices
            .iter()
            .map(|text| {
                text.parse::<DeviceSelector>()
                    .with_context(|| format!("devices entry {text:?} in the settings file"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        devices.append(&mut boards.devices);
        boards.devices = devices;
        boards.board = boards.board.or(file.board);
        #[cfg(feature = "sim")]
        {
            boards.sim = boards.sim.saturating_add(file.sim.unwrap_or(0));
        }
        let duration = match self.duration.or(file.duration) {
            Some(secs) if !(secs.is_finite() && secs > 0.0) => {
                return Err(BadInput(format!(
                    "--duration must be a positive number of seconds, not {secs}"
                ))
                .into())
            }
            Some(secs) => Some(Duration::from_secs_f64(secs)),
            None => None,
        };
        let range = self.range.or(file.range);
        if range == Some(0) {
            return Err(BadInput("--range must be at least 1 nonce".into()).into());
        }
        Ok(Settings {
            pools,
            boards,
            json: self.json || file.json.unwrap_or(false),
            share_log: self.share_log.or(file.share_log),
            duration,
            until_found: self.until_found.or(file.until_found),
            range,
        })
    }

    pub fn run(self) -> anyhow::Result<()> {
        let settings = self.settings()?;
        let links = open_links(&settings.boards)?;
        let mut drivers = Vec::new();
        for link in links {
            let name = link.name();
            let driver = Driver::new(link, DriverConfig::default())
                .with_context(|| format!("identifying the board on {name}"))?;
            drivers.push(driver);
        }
        let log = match &settings.share_log {
            Some(path) => ShareLog::append_to(path)
                .with_context(|| format!("opening share log {}", path.display()))?,
            None => ShareLog::default(),
        };
        let source: Box<dyn WorkSource> = if settings.pools.is_empty() {
            Box::new(Benchmark::new(log))
        } else {
            Box::new(
                PoolSource::start(settings.pools.clone(), ClientOptions::default(), log)
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
        run_loop(miner, &settings, out)
    }
}

/// The `i`th value, or the last one given.
fn pick(values: &[String], i: usize) -> Option<String> {
    values.get(i).or(values.last()).cloned()
}

fn pool_config(url: &str, user: String, pass: String) -> anyhow::Result<PoolConfig> {
    let url: PoolUrl = url.parse().context("reading the pool URL")?;
    Ok(PoolConfig { url, user, pass })
}

/// Opens every board link the flags name.
pub fn open_links(boards: &BoardArgs) -> anyhow::Result<Vec<Box<dyn Link>>> {
    let mut links: Vec<Box<dyn Link>> = Vec::new();
    #[cfg(feature = "sim")]
    for _ in 0..boards.sim {
        let link = amber::link::sim::SimLink::new().context("starting the simulated board")?;
        links.push(Box::new(link));
    }
    for path in &boards.ports {
        let link = SerialLink::open(path, boards.baud.unwrap_or(DEFAULT_BAUD))
            .with_context(|| format!("opening serial port {path}"))?;
        links.push(Box::new(link));
    }
    for selector in &boards.devices {
        let spec = board_on(selector, boards.board.as_deref())?;
        let ftdi = amber::usb::rusb::open(Some(selector), &board_ids(), spec.stream.interface)
            .map_err(hint)
            .with_context(|| format!("opening {} on --device {selector}", spec.name))?;
        let link = FtdiUart::open(ftdi, spec.baud)
            .map_err(hint)
            .with_context(|| {
                format!(
                    "setting up the UART of {} on --device {selector}",
                    spec.name
                )
            })?;
        links.push(Box::new(link));
    }
    if links.is_empty() {
        let hint = if cfg!(feature = "sim") {
            "--sim, --port PATH or --device SELECTOR"
        } else {
            "--port PATH or --device SELECTOR"
        };
        return Err(BadInput(format!("no board given: use {hint}")).into());
    }
    Ok(links)
}

/// The board table entry for an FTDI device: `--board NAME`, or the one
/// board whose VID:PID the selector names.
fn board_on(selector: &DeviceSelector, name: Option<&str>) -> anyhow::Result<&'static BoardSpec> {
    if let Some(name) = name {
        return amber::board::find(name).context("looking up --board");
    }
    let matching: Vec<&BoardSpec> = match selector {
        DeviceSelector::Id { vid, pid, .. } => amber::board::boards()
            .iter()
            .filter(|b| b.usb.vid == *vid && b.usb.pid == *pid)
            .collect(),
        DeviceSelector::BusPath(_) => Vec::new(),
    };
    match matching.as_slice() {
        [one] => Ok(one),
        _ => Err(BadInput(format!(
            "say which board is on --device {selector} with --board NAME (see `amber boards`)"
        ))
        .into()),
    }
}

fn run_loop(mut miner: Miner, settings: &Settings, mut out: Output) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let started = Instant::now();
    let mut found = 0u64;
    let mut last_status = Instant::now();
    let mut failure = None;
    loop {
        for event in miner.step() {
            if matches!(event, MinerEvent::Found { .. }) {
                found += 1;
            }
            if let MinerEvent::BoardFailed { error, .. } = &event {
                failure = Some(error.to_string());
            }
            out.event(&event);
        }
        if last_status.elapsed() >= Duration::from_millis(250) {
            out.status(&miner.snapshot());
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
    out.summary(&miner.snapshot());
    match failure {
        Some(error) if !miner.any_alive() => {
            Err(anyhow::anyhow!(error)).context("every board failed")
        }
        _ => Ok(()),
    }
}

/// Human-readable H/s.
pub fn rate(hps: f64) -> String {
    const UNITS: [&str; 5] = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
    let mut value = hps;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Where events and the status go: JSON lines, or text with a live status
/// line (indicatif on a terminal, a plain line every 10 s otherwise).
struct Output {
    json: bool,
    bar: Option<ProgressBar>,
    last_plain: Instant,
}

impl Output {
    fn new(json: bool) -> Self {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Output {
            json,
            bar,
            last_plain: Instant::now(),
        }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    fn board(&self, d: &Driver) {
        let id = d.identity();
        if self.json {
            println!(
                "{}",
                json!({"event": "board", "link": d.name(), "cores": id.cores,
                    "rounds_per_clk": id.rounds_per_clk, "clock_hz": id.core_clock_hz,
                    "queue_depth": id.queue_depth, "build_id": format!("{:08x}", id.build_id),
                    "nominal_hashrate": d.expected_hashrate()})
            );
        } else {
            self.line(format!(
                "board {}: {} core(s), {} round(s)/clk, {} MHz, queue {}, build {:08x}, nominal {}",
                d.name(),
                id.cores,
                id.rounds_per_clk,
                f64::from(id.core_clock_hz) / 1e6,
                id.queue_depth,
                id.build_id,
                rate(d.expected_hashrate())
            ));
        }
    }

    fn event(&mut self, event: &MinerEvent) {
        if self.json {
            println!("{}", event_json(event));
            return;
        }
        let text = match event {
            MinerEvent::NewWork {
                clean,
                pool,
                job_id,
                difficulty,
            } => format!(
                "work from {pool}: job {job_id}, difficulty {difficulty}{}",
                if *clean { ", boards flushed" } else { "" }
            ),
            MinerEvent::Found {
                board,
                job_id,
                nonce,
                hash,
                submitted,
            } => format!(
                "found  board {board}  {job_id}  nonce {}  hash {}{}",
                nonce.submit_hex(),
                hash.display_hex(),
                if *submitted { "" } else { "  (below share difficulty)" }
            ),
            MinerEvent::HardwareError {
                board,
                job_id,
                nonce,
            } => format!(
                "HARDWARE ERROR  board {board}  {job_id}  nonce {} does not hash as the board claims; not submitted",
                nonce.submit_hex()
            ),
            MinerEvent::Share(record) => {
                let what = match &record.result {
                    ShareResult::Accepted => "accepted".to_string(),
                    ShareResult::Rejected { code, message } => match code {
                        Some(code) => format!("REJECTED ({code}: {message})"),
                        None => format!("REJECTED ({message})"),
                    },
                    ShareResult::Stale { reason } => format!("stale ({reason})"),
                    ShareResult::Lost { reason } => format!("LOST ({reason})"),
                };
                format!(
                    "share  {}  {}  nonce {}  {what}",
                    record.pool,
                    record.share.job_id,
                    record.share.nonce.submit_hex()
                )
            }
            MinerEvent::Connected { pool, resumed } => format!(
                "pool {pool}: connected{}",
                if *resumed { " (session resumed)" } else { "" }
            ),
            MinerEvent::Disconnected { pool, error } => {
                format!("pool {pool}: disconnected ({error}); reconnecting")
            }
            MinerEvent::BoardSilent { board, attempt } => {
                format!("board {board}: no answer; re-identifying (attempt {attempt})")
            }
            MinerEvent::BoardRecovered { board } => {
                format!("board {board}: answering again; work re-sent")
            }
            MinerEvent::BoardFailed { board, error } => {
                format!("board {board}: given up: {error}")
            }
            MinerEvent::Latency {
                board,
                to_sent,
                to_hashing,
            } => format!(
                "board {board}: new work written after {:.1} ms, hashing after {:.1} ms",
                to_sent.as_secs_f64() * 1e3,
                to_hashing.as_secs_f64() * 1e3
            ),
        };
        self.line(text);
    }

    fn status(&mut self, s: &Snapshot) {
        if self.json {
            if self.last_plain.elapsed() >= Duration::from_secs(10) {
                self.last_plain = Instant::now();
                println!(
                    "{}",
                    json!({"event": "status", "uptime_s": s.uptime.as_secs_f64(),
                        "hashrate_short": s.total_short_rate(), "hashrate_long": s.total_long_rate(),
                        "accepted": s.shares.accepted, "rejected": s.shares.rejected,
                        "stale": s.shares.stale, "lost": s.shares.lost,
                        "hardware_errors": s.hardware_errors(), "pool": s.pool,
                        "difficulty": s.difficulty})
                );
            }
            return;
        }
        let boards: Vec<String> = s
            .boards
            .iter()
            .map(|b| format!("{} {}/{}", b.name, rate(b.short_rate), rate(b.long_rate)))
            .collect();
        let text = format!(
            "{} | total {} / {} | A {} R {} S {} L {} HW {} | {} diff {} | up {}",
            boards.join(", "),
            rate(s.total_short_rate()),
            rate(s.total_long_rate()),
            s.shares.accepted,
            s.shares.rejected,
            s.shares.stale,
            s.shares.lost,
            s.hardware_errors(),
            s.pool,
            s.difficulty,
            uptime(s.uptime)
        );
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => {
                if self.last_plain.elapsed() >= Duration::from_secs(10) {
                    eprintln!("{text}");
                    self.last_plain = Instant::now();
                }
            }
        }
    }

    fn summary(&mut self, s: &Snapshot) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let latency = latency_stats(&s.latencies);
        if self.json {
            let boards: Vec<_> = s
                .boards
                .iter()
                .map(|b| {
                    json!({"link": b.name, "hashrate_short": b.short_rate, "hashrate_long": b.long_rate,
                        "nominal_hashrate": b.nominal_rate, "nonces_hashed": b.nonces_hashed,
                        "found": b.found, "hardware_errors": b.hardware_errors, "alive": b.alive})
                })
                .collect();
            println!(
                "{}",
                json!({"event": "summary", "uptime_s": s.uptime.as_secs_f64(), "boards": boards,
                    "accepted": s.shares.accepted, "rejected": s.shares.rejected,
                    "stale": s.shares.stale, "lost": s.shares.lost,
                    "hardware_errors": s.hardware_errors(),
                    "latency_ms": latency.map(|(min, med, max)| json!({"min": min, "median": med, "max": max}))})
            );
            return;
        }
        println!("summary after {}", uptime(s.uptime));
        for b in &s.boards {
            println!(
                "  board {}: {} short, {} long (nominal {}), {} nonces hashed, {} found, {} hardware errors{}",
                b.name,
                rate(b.short_rate),
                rate(b.long_rate),
                rate(b.nominal_rate),
                b.nonces_hashed,
                b.found,
                b.hardware_errors,
                if b.alive { "" } else { ", given up" }
            );
        }
        println!(
            "  shares: {} accepted, {} rejected, {} stale, {} lost",
            s.shares.accepted, s.shares.rejected, s.shares.stale, s.shares.lost
        );
        if let Some((min, med, max)) = latency {
            println!(
                "  new work to board hashing it: min {min:.1} ms, median {med:.1} ms, max {max:.1} ms ({} samples)",
                s.latencies.len()
            );
        }
    }
}

/// (min, median, max) in milliseconds.
fn latency_stats(samples: &[Duration]) -> Option<(f64, f64, f64)> {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    Some((*ms.first()?, ms[ms.len() / 2], *ms.last()?))
}

fn event_json(event: &MinerEvent) -> serde_json::Value {
    match event {
        MinerEvent::NewWork {
            clean,
            pool,
            job_id,
            difficulty,
        } => json!({"event": "new_work", "clean": clean, "pool": pool, "job": job_id,
            "difficulty": difficulty}),
        MinerEvent::Found {
            board,
            job_id,
            nonce,
            hash,
            submitted,
        } => json!({"event": "found", "board": board, "job": job_id, "nonce": nonce.submit_hex(),
            "hash": hash.display_hex(), "submitted": submitted}),
        MinerEvent::HardwareError {
            board,
            job_id,
            nonce,
        } => {
            json!({"event": "hardware_error", "board": board, "job": job_id, "nonce": nonce.submit_hex()})
        }
        MinerEvent::Share(record) => {
            let mut v = record.to_json();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("event".into(), "share".into());
            }
            v
        }
        MinerEvent::Connected { pool, resumed } => {
            json!({"event": "connected", "pool": pool, "resumed": resumed})
        }
        MinerEvent::Disconnected { pool, error } => {
            json!({"event": "disconnected", "pool": pool, "error": error})
        }
        MinerEvent::BoardSilent { board, attempt } => {
            json!({"event": "board_silent", "board": board, "attempt": attempt})
        }
        MinerEvent::BoardRecovered { board } => json!({"event": "board_recovered", "board": board}),
        MinerEvent::BoardFailed { board, error } => {
            json!({"event": "board_failed", "board": board, "error": error.to_string()})
        }
        MinerEvent::Latency {
            board,
            to_sent,
            to_hashing,
        } => json!({"event": "latency", "board": board,
            "to_sent_ms": to_sent.as_secs_f64() * 1e3, "to_hashing_ms": to_hashing.as_secs_f64() * 1e3}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_scale() {
        assert_eq!(rate(950.0), "950.00 H/s");
        assert_eq!(rate(375_000.0), "375.00 kH/s");
        assert_eq!(rate(2.5e9), "2.50 GH/s");
    }

    #[test]
    fn config_file_parses_and_refuses_unknown_keys() {
        let ok: ConfigFile = toml::from_str(
            "ports = [\"/dev/ttyUSB1\"]\nbaud = 9600\nduration = 5\n\
             [[pool]]\nurl = \"stratum+tcp://127.0.0.1:3333\"\nuser = \"w\"\n",
        )
        .unwrap();
        assert_eq!(ok.pool.len(), 1);
        assert_eq!(ok.pool[0].pass, "x");
        assert_eq!(ok.ports, ["/dev/ttyUSB1"]);
        assert_eq!(ok.baud, Some(9600));
        assert!(toml::from_str::<ConfigFile>("prots = []\n").is_err());
        assert!(toml::from_str::<ConfigFile>("baud = \"fast\"\n").is_err());
    }

    #[test]
    fn latency_stats_min_median_max() {
        let d = |ms| Duration::from_millis(ms);
        assert_eq!(latency_stats(&[]), None);
        assert_eq!(
            latency_stats(&[d(30), d(10), d(20)]),
            Some((10.0, 20.0, 30.0))
        );
    }
}
