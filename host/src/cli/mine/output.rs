//! What `amber mine` shows: one line per event and a live status line in text
//! (strings from pools and boards with control characters escaped), or one JSON
//! object per event; and the summary.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use amber::device::Driver;
use amber::mining::{Latencies, MinerEvent, Snapshot};
use amber::text::{error_chain, escape};
use amber::work::ShareResult;

use crate::cli::units::rate;

/// A share difficulty in three significant figures with an SI suffix
/// (`0.0312`, `12.3`, `4.57k`, `1.20M`), as miners print best shares.
pub(super) fn difficulty_text(d: f64) -> String {
    if !d.is_finite() {
        return format!("{d}");
    }
    const UNITS: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
    let mut value = d;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = if value >= 100.0 || value == 0.0 {
        0
    } else if value >= 10.0 {
        1
    } else if value >= 1.0 {
        2
    } else {
        // Three significant figures below 1: 0.0312, 0.000123.
        (2 - value.log10().floor() as i32).clamp(2, 12) as usize
    };
    format!("{value:.decimals$}{}", UNITS[unit])
}

fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// (min, median, max) in milliseconds.
fn latency_stats(latencies: &Latencies) -> Option<(f64, f64, f64)> {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (least, median, most) = latencies.summary()?;
    Some((ms(least), ms(median), ms(most)))
}

/// `in 4 s` for a reconnect delay.
fn retry_text(retry_in: Option<Duration>) -> String {
    match retry_in {
        Some(d) => format!("reconnecting in {:.1} s", d.as_secs_f64()),
        None => "reconnecting".to_string(),
    }
}

/// Where events and the status go: JSON lines, or text with a live status
/// line (indicatif on a terminal, a plain line every 10 s otherwise).
pub(super) struct Output {
    json: bool,
    bar: Option<ProgressBar>,
    last_plain: Instant,
}

impl Output {
    pub(super) fn new(json: bool) -> Self {
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

    pub(super) fn board(&self, d: &Driver) {
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
                escape(d.name()),
                id.cores,
                id.rounds_per_clk,
                f64::from(id.core_clock_hz) / 1e6,
                id.queue_depth,
                id.build_id,
                rate(d.expected_hashrate())
            ));
        }
    }

    /// A server (the API, the metrics) listens on `addr`.
    pub(super) fn listening(&self, what: &str, addr: std::net::SocketAddr) {
        if self.json {
            println!(
                "{}",
                json!({"event": "listening", "server": what, "addr": addr.to_string()})
            );
        } else {
            self.line(format!("{what}: listening on {addr}"));
        }
    }

    /// The share log could not be written (`errors` lines so far).
    pub(super) fn share_log_failed(&self, errors: u64, cause: &str) {
        if self.json {
            println!(
                "{}",
                json!({"event": "share_log_error", "errors": errors, "error": cause})
            );
        } else {
            self.line(format!(
                "share log: {errors} line(s) could not be written: {}",
                escape(cause)
            ));
        }
    }

    pub(super) fn event(&mut self, event: &MinerEvent) {
        if self.json {
            println!("{}", event_json(event));
            return;
        }
        self.line(event_text(event));
    }

    pub(super) fn status(&mut self, s: &Snapshot) {
        if self.json {
            if self.last_plain.elapsed() >= Duration::from_secs(10) {
                self.last_plain = Instant::now();
                println!(
                    "{}",
                    json!({"event": "status", "uptime_s": s.uptime.as_secs_f64(),
                        "hashrate_short": s.total_short_rate(), "hashrate_long": s.total_long_rate(),
                        "accepted": s.shares.accepted, "rejected": s.shares.rejected,
                        "stale": s.shares.stale, "lost": s.shares.lost,
                        "dropped_results": s.dropped_results(),
                        "share_log_errors": s.shares.log_errors,
                        "hardware_errors": s.hardware_errors(), "pool": s.pool,
                        "difficulty": s.difficulty, "best_share": s.total.best,
                        "pools": pools_json(s)})
                );
            }
            return;
        }
        let text = status_text(s);
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

    pub(super) fn summary(&mut self, s: &Snapshot) {
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
                        "found": b.found, "hardware_errors": b.hardware_errors,
                        "dropped_results": b.dropped_results, "alive": b.alive})
                })
                .collect();
            println!(
                "{}",
                json!({"event": "summary", "uptime_s": s.uptime.as_secs_f64(), "boards": boards,
                    "accepted": s.shares.accepted, "rejected": s.shares.rejected,
                    "stale": s.shares.stale, "lost": s.shares.lost,
                    "dropped_results": s.dropped_results(),
                    "share_log_errors": s.shares.log_errors,
                    "hardware_errors": s.hardware_errors(),
                    "best_share": s.total.best, "pools": pools_json(s),
                    "latency_ms": latency.map(|(min, med, max)| json!({"min": min, "median": med, "max": max}))})
            );
            return;
        }
        println!("summary after {}", uptime(s.uptime));
        for b in &s.boards {
            println!(
                "  board {}: {} short, {} long (nominal {}), {} nonces hashed, {} found, {} dropped by the board, {} hardware errors{}",
                escape(&b.name),
                rate(b.short_rate),
                rate(b.long_rate),
                rate(b.nominal_rate),
                b.nonces_hashed,
                b.found,
                b.dropped_results,
                b.hardware_errors,
                if b.alive { "" } else { ", given up" }
            );
        }
        println!(
            "  shares: {} accepted, {} rejected, {} stale, {} lost; {} results dropped by the boards",
            s.shares.accepted,
            s.shares.rejected,
            s.shares.stale,
            s.shares.lost,
            s.dropped_results()
        );
        for p in &s.pools {
            let t = &p.tally.counts;
            println!(
                "  pool {}: {} accepted, {} rejected, {} stale, {} lost; best share {}",
                escape(&p.name),
                t.accepted,
                t.rejected,
                t.stale,
                t.lost,
                difficulty_text(p.tally.best)
            );
        }
        println!("  best share: {}", difficulty_text(s.total.best));
        if s.shares.log_errors > 0 {
            println!(
                "  share log: {} line(s) could not be written",
                s.shares.log_errors
            );
        }
        if let Some((min, med, max)) = latency {
            println!(
                "  new work to board hashing it: min {min:.1} ms, median {med:.1} ms, max {max:.1} ms ({} samples)",
                s.latencies.count()
            );
        }
    }
}

/// The live status line.
fn status_text(s: &Snapshot) -> String {
    let boards: Vec<String> = s
        .boards
        .iter()
        .map(|b| {
            format!(
                "{} {}/{}",
                escape(&b.name),
                rate(b.short_rate),
                rate(b.long_rate)
            )
        })
        .collect();
    let log = if s.shares.log_errors > 0 {
        format!(" LOG-ERR {}", s.shares.log_errors)
    } else {
        String::new()
    };
    let pool_best = s
        .pools
        .iter()
        .find(|p| p.name == s.pool)
        .map_or(0.0, |p| p.tally.best);
    format!(
        "{} | total {} / {} | A {} R {} S {} L {} D {} HW {}{log} | {} diff {} best {} | best {} | up {}",
        boards.join(", "),
        rate(s.total_short_rate()),
        rate(s.total_long_rate()),
        s.shares.accepted,
        s.shares.rejected,
        s.shares.stale,
        s.shares.lost,
        s.dropped_results(),
        s.hardware_errors(),
        escape(&s.pool),
        s.difficulty,
        difficulty_text(pool_best),
        difficulty_text(s.total.best),
        uptime(s.uptime)
    )
}

/// Each pool's share outcomes and best share, for the JSON status and summary.
fn pools_json(s: &Snapshot) -> serde_json::Value {
    s.pools
        .iter()
        .map(|p| {
            let t = &p.tally.counts;
            json!({"pool": p.name, "accepted": t.accepted, "rejected": t.rejected,
                "stale": t.stale, "lost": t.lost, "best_share": p.tally.best})
        })
        .collect()
}

/// One event as a line of text; every string from a pool or board escaped.
fn event_text(event: &MinerEvent) -> String {
    match event {
        MinerEvent::NewWork {
            clean,
            superseded,
            pool,
            job_id,
            difficulty,
        } => format!(
            "work from {}: job {}, difficulty {difficulty}{}{}",
            escape(pool),
            escape(job_id),
            if *clean { ", boards flushed" } else { "" },
            match superseded {
                0 => String::new(),
                n => format!(" ({n} newer job(s) replaced older ones before reaching the boards)"),
            }
        ),
        MinerEvent::Found {
            board,
            job_id,
            nonce,
            hash,
            submitted,
        } => format!(
            "found  board {board}  {}  nonce {}  hash {}{}",
            escape(job_id),
            nonce.submit_hex(),
            hash.display_hex(),
            if *submitted { "" } else { "  (below share difficulty)" }
        ),
        MinerEvent::HardwareError {
            board,
            job_id,
            nonce,
        } => format!(
            "HARDWARE ERROR  board {board}  {}  nonce {} does not hash as the board claims; not submitted",
            escape(job_id),
            nonce.submit_hex()
        ),
        MinerEvent::Share(record) => {
            let what = match &record.result {
                ShareResult::Accepted => "accepted".to_string(),
                ShareResult::Rejected { code, message } => match code {
                    Some(code) => format!("REJECTED (error {code}: {})", escape(message)),
                    None => format!("REJECTED ({})", escape(message)),
                },
                ShareResult::Stale { reason } => format!("stale ({reason})"),
                ShareResult::Lost { reason } => format!("LOST ({reason})"),
            };
            format!(
                "share  {}  {}  nonce {}  {what}",
                escape(&record.pool),
                escape(&record.share.job_id),
                record.share.nonce.submit_hex()
            )
        }
        MinerEvent::Connected { pool, resumed } => format!(
            "pool {}: subscribed and authorized{}",
            escape(pool),
            if *resumed { " (session resumed)" } else { "" }
        ),
        MinerEvent::Disconnected {
            pool,
            error,
            retry_in,
        } => format!(
            "pool {}: disconnected ({}); {}",
            escape(pool),
            escape(error),
            retry_text(*retry_in)
        ),
        MinerEvent::PoolMalformed { pool, error, count } => format!(
            "pool {}: unusable message #{count}, ignored: {}",
            escape(pool),
            escape(error)
        ),
        MinerEvent::ResultsDropped { board, new, total } => format!(
            "board {board}: DROPPED {new} result(s) it found (result FIFO full; {total} so far): those nonces never reached the host"
        ),
        MinerEvent::BoardAnomaly { board, anomaly } => {
            format!("board {board}: {}", escape(&anomaly.to_string()))
        }
        MinerEvent::BoardSilent { board, attempt } => {
            format!("board {board}: no answer; re-identifying (attempt {attempt})")
        }
        MinerEvent::BoardRecovered { board } => {
            format!("board {board}: answering again; work re-sent")
        }
        MinerEvent::BoardFailed { board, error } => {
            format!("board {board}: given up: {}", escape(&error_chain(error)))
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
    }
}

fn event_json(event: &MinerEvent) -> serde_json::Value {
    match event {
        MinerEvent::NewWork {
            clean,
            superseded,
            pool,
            job_id,
            difficulty,
        } => json!({"event": "new_work", "clean": clean, "superseded": superseded, "pool": pool,
            "job": job_id, "difficulty": difficulty}),
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
        MinerEvent::Disconnected {
            pool,
            error,
            retry_in,
        } => {
            json!({"event": "disconnected", "pool": pool, "error": error,
                "retry_in_s": retry_in.map(|d| d.as_secs_f64())})
        }
        MinerEvent::PoolMalformed { pool, error, count } => {
            json!({"event": "pool_malformed", "pool": pool, "error": error, "count": count})
        }
        MinerEvent::ResultsDropped { board, new, total } => {
            json!({"event": "results_dropped", "board": board, "new": new, "total": total})
        }
        MinerEvent::BoardAnomaly { board, anomaly } => {
            json!({"event": "board_anomaly", "board": board, "what": anomaly.to_string()})
        }
        MinerEvent::BoardSilent { board, attempt } => {
            json!({"event": "board_silent", "board": board, "attempt": attempt})
        }
        MinerEvent::BoardRecovered { board } => json!({"event": "board_recovered", "board": board}),
        MinerEvent::BoardFailed { board, error } => {
            json!({"event": "board_failed", "board": board, "error": error_chain(error)})
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
    use amber::hash::{BlockHash, Nonce};
    use amber::work::{DropReason, Share, ShareRecord};

    #[test]
    fn latency_stats_min_median_max() {
        let d = |ms| Duration::from_millis(ms);
        let mut latencies = Latencies::default();
        assert_eq!(latency_stats(&latencies), None);
        for sample in [d(30), d(10), d(20)] {
            latencies.record(sample);
        }
        assert_eq!(latency_stats(&latencies), Some((10.0, 20.0, 30.0)));
    }

    fn share(job: &str) -> Share {
        Share {
            job_id: job.into(),
            session: 1,
            extranonce1: vec![1],
            extranonce2: vec![2],
            ntime: 3,
            nonce: Nonce(4),
            version: 5,
            version_mask: 0,
            pool: 0,
            difficulty: 1.0,
            hash: BlockHash::from_bytes([0; 32]),
        }
    }

    /// A pool cannot clear the screen or forge an "accepted" line.
    #[test]
    fn pool_strings_are_escaped_in_text() {
        let evil = "j\u{1b}[2J\r\nshare  pool  j  nonce 00000000  accepted";
        let texts = [
            event_text(&MinerEvent::Share(ShareRecord::now(
                "pool\u{7}".into(),
                share(evil),
                ShareResult::Rejected {
                    code: Some(23),
                    message: "bad\u{1b}]0;title\u{7}".into(),
                },
            ))),
            event_text(&MinerEvent::NewWork {
                clean: true,
                superseded: 0,
                pool: "p".into(),
                job_id: evil.into(),
                difficulty: 1.0,
            }),
            event_text(&MinerEvent::Disconnected {
                pool: "p".into(),
                error: "malformed pool message: \"\u{1b}[2J\"".into(),
                retry_in: Some(Duration::from_secs(2)),
            }),
            event_text(&MinerEvent::Share(ShareRecord::now(
                "p".into(),
                share(evil),
                ShareResult::Stale {
                    reason: DropReason::JobCleaned,
                },
            ))),
        ];
        for text in texts {
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert_eq!(text.lines().count(), 1, "{text:?}");
        }
        assert!(event_text(&MinerEvent::Share(ShareRecord::now(
            "p".into(),
            share("j"),
            ShareResult::Rejected {
                code: Some(24),
                message: "x".into()
            }
        )))
        .contains("REJECTED (error 24: x)"));
    }

    #[test]
    fn difficulties_print_in_three_figures() {
        assert_eq!(difficulty_text(0.0), "0");
        assert_eq!(difficulty_text(0.031_234), "0.0312");
        assert_eq!(difficulty_text(1.0), "1.00");
        assert_eq!(difficulty_text(12.34), "12.3");
        assert_eq!(difficulty_text(4567.0), "4.57k");
        assert_eq!(difficulty_text(1.2e6), "1.20M");
        assert_eq!(difficulty_text(f64::INFINITY), "inf");
    }

    /// The status line and the summary's pool lines carry the best share, per
    /// pool and in total.
    #[test]
    fn the_status_line_shows_the_best_share_of_the_pool_and_of_all() {
        use amber::work::{PoolStatus, ShareTally};
        let pool = |name: &str, best: f64| PoolStatus {
            name: name.into(),
            tally: ShareTally {
                best,
                ..ShareTally::default()
            },
            ..PoolStatus::default()
        };
        let s = Snapshot {
            pool: "a:1".into(),
            difficulty: 2.0,
            pools: vec![pool("a:1", 12.34), pool("b:2", 4567.0)],
            total: ShareTally {
                best: 4567.0,
                ..ShareTally::default()
            },
            ..Snapshot::default()
        };
        let text = status_text(&s);
        assert!(
            text.contains("a:1 diff 2 best 12.3 | best 4.57k |"),
            "{text}"
        );
        let json = pools_json(&s);
        assert_eq!(json[1]["best_share"], 4567.0);
    }

    #[test]
    fn a_reconnect_says_when() {
        let text = event_text(&MinerEvent::Disconnected {
            pool: "p:1".into(),
            error: "pool refused mining.authorize (error 24: unauthorized worker)".into(),
            retry_in: Some(Duration::from_secs(4)),
        });
        assert_eq!(
            text,
            "pool p:1: disconnected (pool refused mining.authorize (error 24: unauthorized worker)); reconnecting in 4.0 s"
        );
    }
}
