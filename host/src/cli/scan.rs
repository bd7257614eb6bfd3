//! `amber scan`: sweep one nonce range on one board and print every nonce it
//! finds, each re-checked with the reference hasher. For bring-up and tests.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;

use amber::device::protocol::NonceOrder;
use amber::device::{DeviceEvent, Driver, DriverConfig, WorkUnit};
use amber::hash::{Header, HeaderTail, Midstate};
use amber::text::escape;

use super::board_args::{open_links, BoardArgs};
use super::units::rate;
use super::BadInput;

/// Sweep one nonce range on a board and print every nonce it reports.
#[derive(Debug, Args)]
pub struct Cmd {
    /// The 80-byte header as 160 hex digits (its nonce field is ignored).
    #[arg(long, value_name = "HEX", conflicts_with_all = ["midstate", "tail"], required_unless_present = "midstate")]
    header: Option<String>,
    /// The midstate (64 hex digits, H0..H7 big-endian), with --tail.
    #[arg(long, value_name = "HEX", requires = "tail")]
    midstate: Option<String>,
    /// Header bytes 64..75 (24 hex digits), with --midstate.
    #[arg(long, value_name = "HEX", requires = "midstate")]
    tail: Option<String>,
    /// First nonce (decimal or 0x-prefixed hex).
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_u32)]
    from: u32,
    /// Number of nonces to sweep.
    #[arg(long, value_name = "C", default_value = "65536", value_parser = parse_count)]
    count: u64,
    /// Report nonces whose hash's top 32 bits are at most this [default: the
    /// header's nBits target with --header, 0 (difficulty 1) with --midstate].
    #[arg(long, value_name = "T", value_parser = parse_u32)]
    threshold: Option<u32>,
    #[command(flatten)]
    boards: BoardArgs,
    /// Print one JSON object per nonce (and a final summary object).
    #[arg(long)]
    json: bool,
}

fn parse_u32(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|e| format!("{text:?} is not a 32-bit number: {e}"))
}

fn parse_count(text: &str) -> Result<u64, String> {
    let count: u64 = text
        .parse()
        .map_err(|e| format!("{text:?} is not a count: {e}"))?;
    if count == 0 || count > 1 << 32 {
        return Err(format!("count must be 1..=4294967296, not {count}"));
    }
    Ok(count)
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let (midstate, tail, default_threshold) = match (&self.header, &self.midstate, &self.tail) {
            (Some(hex), _, _) => {
                let header = Header::from_hex(hex).context("reading --header")?;
                // The header's nBits matter only when --threshold does not replace them.
                let threshold = match self.threshold {
                    Some(t) => t,
                    None => header
                        .target()
                        .context("decoding the header's nBits (or give --threshold)")?
                        .leading_word(),
                };
                (header.midstate(), header.tail(), threshold)
            }
            (None, Some(m), Some(t)) => (
                Midstate::from_hex(m).context("reading --midstate")?,
                HeaderTail::from_hex(t).context("reading --tail")?,
                0,
            ),
            _ => return Err(BadInput("give --header, or --midstate with --tail".into()).into()),
        };
        let last = u64::from(self.from) + self.count - 1;
        let nonce_end = u32::try_from(last).map_err(|_| {
            BadInput(format!(
                "--from {} --count {} runs past nonce 0xffffffff",
                self.from, self.count
            ))
        })?;
        let mut links = open_links(&self.boards)?;
        if links.len() != 1 {
            return Err(BadInput("amber scan drives exactly one board".into()).into());
        }
        let link = links.remove(0);
        let name = link.name();
        let config = DriverConfig::for_link(&*link);
        let mut driver = Driver::new(link, config)
            .with_context(|| format!("identifying the board on {name}"))?;
        let unit = WorkUnit {
            id: 0,
            midstate,
            tail,
            nonce_start: self.from,
            nonce_end,
            threshold: self.threshold.unwrap_or(default_threshold),
            order: NonceOrder::Number,
        };
        let threshold = unit.threshold;
        driver.push(unit).context("sending the work")?;
        let started = Instant::now();
        let mut found = 0u64;
        let mut hardware_errors = 0u64;
        loop {
            let events = driver
                .poll(Duration::from_millis(20))
                .with_context(|| format!("driving the board on {name}"))?;
            let mut done = false;
            for event in events {
                match event {
                    DeviceEvent::Found { nonce, hash, .. } => {
                        found += 1;
                        if self.json {
                            println!(
                                "{}",
                                json!({"nonce": nonce.submit_hex(), "hash": hash.display_hex()})
                            );
                        } else {
                            println!("nonce {}  hash {}", nonce.submit_hex(), hash.display_hex());
                        }
                    }
                    DeviceEvent::HardwareError { nonce, .. } => {
                        hardware_errors += 1;
                        eprintln!(
                            "hardware error: the board reported nonce {} but it does not hash at or below threshold {threshold:#010x}",
                            nonce.submit_hex()
                        );
                    }
                    DeviceEvent::Silent { attempt } => {
                        eprintln!("board on {name}: no answer; re-identifying (attempt {attempt})")
                    }
                    DeviceEvent::Anomaly(anomaly) => {
                        eprintln!("board on {name}: {}", escape(&anomaly.to_string()))
                    }
                    DeviceEvent::Done { .. } => done = true,
                    _ => {}
                }
            }
            if done {
                break;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        // A STATUS after the sweep, for the results the board found but dropped.
        let dropped = final_dropped_results(&mut driver)
            .with_context(|| format!("asking the board on {name} for its counters"))?;
        if self.json {
            println!(
                "{}",
                json!({"done": true, "from": self.from, "count": self.count, "found": found,
                    "dropped_results": dropped, "hardware_errors": hardware_errors,
                    "seconds": secs})
            );
        } else {
            eprintln!(
                "swept {} nonces from {:#010x} in {secs:.2} s ({}): {found} found, {hardware_errors} hardware errors",
                self.count,
                self.from,
                rate(self.count as f64 / secs.max(1e-9))
            );
            if dropped > 0 {
                eprintln!(
                    "the board dropped {dropped} result(s) it found (its result FIFO was full): \
                     those nonces are missing above; raise --threshold's difficulty (lower T) or sweep fewer nonces"
                );
            }
        }
        Ok(())
    }
}

/// Asks for STATUS and waits (a bounded number of polls) for it; returns the
/// results the board dropped so far.
fn final_dropped_results(driver: &mut Driver) -> anyhow::Result<u64> {
    driver.request_status()?;
    for _ in 0..100 {
        let events = driver.poll(Duration::from_millis(20))?;
        if events.iter().any(|e| matches!(e, DeviceEvent::Status(_))) {
            break;
        }
    }
    Ok(driver.stats().dropped_results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_decimal_and_hex() {
        assert_eq!(parse_u32("0x7c2bac1d"), Ok(0x7c2b_ac1d));
        assert_eq!(parse_u32("4096"), Ok(4096));
        assert!(parse_u32("0x1_0000_0000").is_err());
        assert!(parse_u32("-1").is_err());
        assert!(parse_count("0").is_err());
        assert_eq!(parse_count("4294967296"), Ok(1 << 32));
        assert!(parse_count("4294967297").is_err());
    }
}
