//! A [`Snapshot`] in the Prometheus text exposition format (version 0.0.4):
//! one `# HELP` and `# TYPE` per family, counters ending in `_total`, base
//! units, label values escaped. Boards are labelled by link name and pools by
//! `HOST:PORT`; a name that repeats gets `#N` (its index) so no two series
//! share their labels.

use std::fmt::Write as _;

use crate::mining::Snapshot;

/// What `Content-Type` the page is served with.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value escaped as the format asks: `\`, `"` and newlines.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Names made unique: a name seen before gets `#index`.
fn unique(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        if out.contains(&name) {
            out.push(format!("{name}#{i}"));
        } else {
            out.push(name);
        }
    }
    out
}

/// A sample value: integers as they are, reals in Rust's shortest round-trip
/// form, infinities as the format spells them.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

struct Page(String);

impl Page {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        if labels.is_empty() {
            let _ = writeln!(self.0, "{name} {}", number(value));
        } else {
            let _ = writeln!(self.0, "{name}{{{}}} {}", labels.join(","), number(value));
        }
    }

    /// One family with one sample per board or pool: `label` = each of `names`.
    fn each(
        &mut self,
        label: &str,
        names: &[String],
        (name, kind, help): (&str, &str, &str),
        values: impl Iterator<Item = f64>,
    ) {
        self.family(name, kind, help);
        for (who, v) in names.iter().zip(values) {
            self.sample(name, &[(label, who)], v);
        }
    }
}

/// The metrics page.
pub fn render(s: &Snapshot) -> String {
    let mut page = Page(String::new());
    page.family(
        "amber_build_info",
        "gauge",
        "Amber's version, as a label; always 1.",
    );
    page.sample(
        "amber_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    page.family(
        "amber_uptime_seconds",
        "gauge",
        "Seconds since mining started.",
    );
    page.sample("amber_uptime_seconds", &[], s.uptime.as_secs_f64());

    let boards = unique(s.boards.iter().map(|b| b.name.clone()));
    let b = &s.boards;
    page.each(
        "board",
        &boards,
        ("amber_hashes_total", "counter", "Nonces the board hashed."),
        b.iter().map(|b| b.nonces_hashed as f64),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_nonces_found_total",
            "counter",
            "Nonces the board found that the reference hasher confirmed.",
        ),
        b.iter().map(|b| b.found as f64),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_hardware_errors_total",
            "counter",
            "Nonces the board returned that do not hash as it claimed.",
        ),
        b.iter().map(|b| b.hardware_errors as f64),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_board_bad_frames_total",
            "counter",
            "Frames from the board the host refused (checksum, length, truncation).",
        ),
        b.iter().map(|b| b.bad_frames as f64),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_board_dropped_results_total",
            "counter",
            "Results the board found but dropped (its result FIFO overflowed).",
        ),
        b.iter().map(|b| b.dropped_results as f64),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_board_hashrate_hashes_per_second",
            "gauge",
            "The board's hashrate, short average.",
        ),
        b.iter().map(|b| b.short_rate),
    );
    page.each(
        "board",
        &boards,
        (
            "amber_board_up",
            "gauge",
            "1 while the board is driven, 0 once given up.",
        ),
        b.iter().map(|b| f64::from(u8::from(b.alive))),
    );

    let pools = unique(s.pools.iter().map(|p| p.name.clone()));
    page.family(
        "amber_shares_total",
        "counter",
        "Shares by outcome: accepted, rejected (by the pool), stale (job gone), lost (pool away).",
    );
    for (name, p) in pools.iter().zip(&s.pools) {
        let c = &p.tally.counts;
        for (result, n) in [
            ("accepted", c.accepted),
            ("rejected", c.rejected),
            ("stale", c.stale),
            ("lost", c.lost),
        ] {
            page.sample(
                "amber_shares_total",
                &[("pool", name), ("result", result)],
                n as f64,
            );
        }
    }
    page.each(
        "pool",
        &pools,
        (
            "amber_pool_difficulty",
            "gauge",
            "Share difficulty of the pool's newest job.",
        ),
        s.pools.iter().map(|p| p.difficulty),
    );
    page.each(
        "pool",
        &pools,
        (
            "amber_pool_connected",
            "gauge",
            "1 while the pool is connected and the worker authorized.",
        ),
        s.pools.iter().map(|p| f64::from(u8::from(p.up))),
    );
    page.each(
        "pool",
        &pools,
        (
            "amber_pool_best_share_difficulty",
            "gauge",
            "Highest difficulty a share for the pool reached.",
        ),
        s.pools.iter().map(|p| p.tally.best),
    );
    page.family(
        "amber_best_share_difficulty",
        "gauge",
        "Highest difficulty any share reached.",
    );
    page.sample("amber_best_share_difficulty", &[], s.total.best);
    page.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::BoardSnapshot;
    use crate::work::{PoolStatus, ShareCounts, ShareTally};

    fn snapshot() -> Snapshot {
        let board = |name: &str| BoardSnapshot {
            name: name.into(),
            nonces_hashed: 1000,
            short_rate: 12.5,
            alive: true,
            ..BoardSnapshot::default()
        };
        Snapshot {
            boards: vec![board("sim"), board("sim"), board("/dev/tty\"x\\\n")],
            pools: vec![PoolStatus {
                name: "pool:3333".into(),
                up: true,
                difficulty: 0.5,
                tally: ShareTally {
                    counts: ShareCounts {
                        accepted: 7,
                        ..ShareCounts::default()
                    },
                    best: f64::INFINITY,
                    ..ShareTally::default()
                },
                ..PoolStatus::default()
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn families_samples_and_escaping() {
        let page = render(&snapshot());
        assert!(
            page.contains("# TYPE amber_hashes_total counter\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_hashes_total{board=\"sim\"} 1000\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_hashes_total{board=\"sim#1\"} 1000\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_hashes_total{board=\"/dev/tty\\\"x\\\\\\n\"} 1000\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_shares_total{pool=\"pool:3333\",result=\"accepted\"} 7\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_shares_total{pool=\"pool:3333\",result=\"lost\"} 0\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_pool_difficulty{pool=\"pool:3333\"} 0.5\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_pool_connected{pool=\"pool:3333\"} 1\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_pool_best_share_difficulty{pool=\"pool:3333\"} +Inf\n"),
            "{page}"
        );
        assert!(
            page.contains("amber_board_hashrate_hashes_per_second{board=\"sim\"} 12.5\n"),
            "{page}"
        );
        assert!(page.contains(&format!(
            "amber_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        // Every sample line belongs to the family declared last.
        let mut family = String::new();
        for line in page.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap().to_string();
            } else if !line.starts_with('#') {
                assert!(line.starts_with(&family), "{line} outside {family}");
            }
        }
    }
}
