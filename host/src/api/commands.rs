//! The API's commands, answered from a [`Snapshot`] with cgminer's section
//! names, field names, message codes and messages. Boards are PGAs (driver
//! name `AMB`); Amber's own figures follow cgminer's fields in each entry.

use std::sync::mpsc::Sender;

use super::access::Access;
use super::reply::{Fields, Reply, Section, Severity, Value};
use super::Control;
use crate::mining::{BoardSnapshot, PoolSnapshot, Snapshot, RATE_5S};

/// cgminer's message codes (its `MSG_*` numbers) used here.
mod code {
    pub const POOL: u32 = 7;
    pub const NOPOOL: u32 = 8;
    pub const DEVS: u32 = 9;
    pub const NODEVS: u32 = 10;
    pub const SUMM: u32 = 11;
    pub const INVCMD: u32 = 14;
    pub const MISID: u32 = 15;
    pub const VERSION: u32 = 22;
    pub const INVJSON: u32 = 23;
    pub const MISCMD: u32 = 24;
    pub const MISPID: u32 = 25;
    pub const INVPID: u32 = 26;
    pub const SWITCHP: u32 = 27;
    pub const MINECONFIG: u32 = 33;
    pub const ACCDENY: u32 = 45;
    pub const ACCOK: u32 = 46;
    pub const PGANON: u32 = 56;
    pub const PGADEV: u32 = 57;
    pub const INVPGA: u32 = 58;
    pub const NUMPGA: u32 = 59;
    pub const MINESTATS: u32 = 70;
    pub const MISCHK: u32 = 71;
    pub const CHECK: u32 = 72;
    pub const BYE: u32 = 0x101;
}

/// The API version reported by `version` (cgminer's, whose fields these are).
pub const API_VERSION: &str = "3.7";
/// The driver name boards carry in `devs` and `stats`.
pub const DRIVER: &str = "AMB";

/// Commands that report and change nothing.
const REPORTS: [&str; 10] = [
    "version",
    "config",
    "summary",
    "devs",
    "pools",
    "stats",
    "pga",
    "pgacount",
    "check",
    "devdetails",
];
/// cgminer's commands that change the miner: they need privileged access.
const PRIVILEGED: [&str; 20] = [
    "switchpool",
    "quit",
    "privileged",
    "enablepool",
    "disablepool",
    "addpool",
    "removepool",
    "poolpriority",
    "poolquota",
    "save",
    "restart",
    "pgaenable",
    "pgadisable",
    "pgaidentify",
    "pgaset",
    "setconfig",
    "zero",
    "failover-only",
    "debug",
    "hotplug",
];
/// Of [`PRIVILEGED`], what Amber does.
const SUPPORTED_PRIVILEGED: [&str; 3] = ["switchpool", "quit", "privileged"];
/// Report commands that take no parameter: the ones `+` may join.
const JOINABLE: [&str; 8] = [
    "version",
    "config",
    "summary",
    "devs",
    "pools",
    "stats",
    "pgacount",
    "devdetails",
];

/// What the server needs to answer a command.
pub struct Context<'a> {
    /// The figures.
    pub snapshot: &'a Snapshot,
    /// What the client may do.
    pub access: Access,
    /// Where privileged commands go.
    pub control: &'a Sender<Control>,
}

/// The error replies for a request that could not be read.
pub fn invalid_json() -> Reply {
    Reply::error(code::INVJSON, "Invalid JSON")
}

/// `{"parameter":…}` without a `command`.
pub fn missing_command() -> Reply {
    Reply::error(code::MISCMD, "Missing JSON 'command'")
}

/// A command that does not exist (or a request too long or unreadable).
pub fn invalid_command() -> Reply {
    Reply::error(code::INVCMD, "Invalid command")
}

/// A request longer than the server reads.
pub fn too_long(limit: usize) -> Reply {
    Reply::error(
        code::INVCMD,
        format!("Invalid command: request longer than {limit} bytes"),
    )
}

/// Answers one command.
pub fn answer(command: &str, parameter: &str, ctx: &Context<'_>) -> Reply {
    let command = command.to_ascii_lowercase();
    if PRIVILEGED.contains(&command.as_str()) && ctx.access != Access::Privileged {
        return Reply::error(
            code::ACCDENY,
            format!("Access denied to '{command}' command"),
        );
    }
    let s = ctx.snapshot;
    match command.as_str() {
        "version" => version(),
        "config" => config(s),
        "summary" => Reply::status(Severity::Success, code::SUMM, "Summary")
            .with(named("SUMMARY", summary(s))),
        "devs" => devs(s),
        "pga" => pga(s, parameter),
        "pgacount" => Reply::status(Severity::Success, code::NUMPGA, "PGA count").with(named(
            "PGAS",
            Fields::default().add("Count", Value::UInt(s.boards.len() as u64)),
        )),
        "devdetails" => devdetails(s),
        "pools" => pools(s),
        "stats" => stats(s),
        "check" => check(parameter, ctx.access),
        "privileged" => Reply::status(Severity::Success, code::ACCOK, "Privileged access OK"),
        "switchpool" => switchpool(s, parameter, ctx.control),
        "quit" => {
            // The miner may already be stopping: nothing else to do then.
            let _ = ctx.control.send(Control::Quit);
            Reply::status(Severity::Success, code::BYE, "BYE")
        }
        _ => invalid_command(),
    }
}

/// Answers each of a `+` request's commands: joinable reports only.
pub fn answer_joined(commands: &[&str], ctx: &Context<'_>) -> Vec<(String, Reply)> {
    commands
        .iter()
        .map(|cmd| {
            let lower = cmd.to_ascii_lowercase();
            let reply = if JOINABLE.contains(&lower.as_str()) {
                answer(&lower, "", ctx)
            } else {
                invalid_command()
            };
            (cmd.to_string(), reply)
        })
        .collect()
}

fn named(name: &'static str, fields: Fields) -> Section {
    Section {
        name,
        entries: vec![fields],
        named: true,
    }
}

fn list(name: &'static str, entries: Vec<Fields>) -> Section {
    Section {
        name,
        entries,
        named: false,
    }
}

fn version() -> Reply {
    let v = env!("CARGO_PKG_VERSION");
    Reply::status(Severity::Success, code::VERSION, "CGMiner versions").with(named(
        "VERSION",
        Fields::default()
            .add("Miner", Value::Str(format!("amber {v}")))
            .add("CGMiner", Value::Str(v.into()))
            .add("API", Value::Str(API_VERSION.into())),
    ))
}

fn config(s: &Snapshot) -> Reply {
    Reply::status(Severity::Success, code::MINECONFIG, "CGMiner config").with(named(
        "CONFIG",
        Fields::default()
            .add("ASC Count", Value::UInt(0))
            .add("PGA Count", Value::UInt(s.boards.len() as u64))
            .add("Pool Count", Value::UInt(s.pools.len() as u64))
            .add("Strategy", Value::Str("Failover".into()))
            .add("Log Interval", Value::UInt(RATE_5S.as_secs()))
            .add("Device Code", Value::Str(DRIVER.into()))
            .add("OS", Value::Str(std::env::consts::OS.into()))
            .add("Hotplug", Value::Str("None".into())),
    ))
}

fn mhs(hashes_per_second: f64) -> Value {
    Value::Real(hashes_per_second / 1e6, 6)
}

fn per_minute(count: f64, seconds: f64) -> Value {
    Value::real2(count / seconds.max(1.0) * 60.0)
}

fn percent(part: f64, whole: f64) -> Value {
    Value::Real(
        if whole > 0.0 {
            part / whole * 100.0
        } else {
            0.0
        },
        4,
    )
}

/// Whole seconds since the Unix epoch of a share time, 0 for none (cgminer's form).
fn time(t: Option<f64>) -> Value {
    Value::UInt(t.map_or(0, |t| t.max(0.0) as u64))
}

fn summary(s: &Snapshot) -> Fields {
    let secs = s.uptime.as_secs_f64();
    let t = &s.total;
    let c = &t.counts;
    let hashed = s.nonces_hashed() as f64;
    let found: u64 = s.boards.iter().map(|b| b.found).sum();
    let hw = s.hardware_errors();
    let submitted = t.difficulty_accepted + t.difficulty_rejected + t.difficulty_stale;
    Fields::default()
        .add("Elapsed", Value::UInt(s.uptime.as_secs()))
        .add("MHS av", mhs(hashed / secs.max(1e-9)))
        .add("MHS 5s", mhs(s.total_rate_5s()))
        .add("Found Blocks", Value::UInt(s.found_blocks))
        .add(
            "Getworks",
            Value::UInt(s.pools.iter().map(|p| p.jobs).sum()),
        )
        .add("Accepted", Value::UInt(c.accepted))
        .add("Rejected", Value::UInt(c.rejected))
        .add("Hardware Errors", Value::UInt(hw))
        .add("Utility", per_minute(c.accepted as f64, secs))
        .add("Discarded", Value::UInt(0))
        .add("Stale", Value::UInt(c.stale + c.lost))
        .add(
            "Get Failures",
            Value::UInt(s.pools.iter().map(|p| p.failures).sum()),
        )
        .add("Local Work", Value::UInt(found))
        .add("Remote Failures", Value::UInt(0))
        .add("Network Blocks", Value::UInt(0))
        .add("Total MH", Value::Real(hashed / 1e6, 4))
        .add("Work Utility", per_minute(t.difficulty_accepted, secs))
        .add("Difficulty Accepted", Value::diff(t.difficulty_accepted))
        .add("Difficulty Rejected", Value::diff(t.difficulty_rejected))
        .add("Difficulty Stale", Value::diff(t.difficulty_stale))
        .add("Best Share", Value::diff(t.best))
        .add("Device Hardware%", percent(hw as f64, (hw + found) as f64))
        .add(
            "Device Rejected%",
            percent(t.difficulty_rejected, submitted),
        )
        .add("Pool Rejected%", percent(t.difficulty_rejected, submitted))
        .add("Pool Stale%", percent(t.difficulty_stale, submitted))
        .add("Last getwork", Value::UInt(s.taken_at))
        .add("Lost", Value::UInt(c.lost))
        .add("Dropped Results", Value::UInt(s.dropped_results()))
}

fn board_fields(index: usize, b: &BoardSnapshot, s: &Snapshot) -> Fields {
    let secs = s.uptime.as_secs_f64();
    let t = &b.shares;
    let submitted = t.difficulty_accepted + t.difficulty_rejected + t.difficulty_stale;
    Fields::default()
        .add("PGA", Value::UInt(index as u64))
        .add("Name", Value::Str(DRIVER.into()))
        .add("ID", Value::UInt(index as u64))
        .add("Enabled", Value::Str("Y".into()))
        .add(
            "Status",
            Value::Str(if b.alive { "Alive" } else { "Dead" }.into()),
        )
        .add("Temperature", Value::real2(0.0))
        .add("MHS av", mhs(b.nonces_hashed as f64 / secs.max(1e-9)))
        .add("MHS 5s", mhs(b.rate_5s))
        .add("Accepted", Value::UInt(t.counts.accepted))
        .add("Rejected", Value::UInt(t.counts.rejected))
        .add("Hardware Errors", Value::UInt(b.hardware_errors))
        .add("Utility", per_minute(t.counts.accepted as f64, secs))
        .add("Last Share Time", time(t.last_accepted))
        .add("Total MH", Value::Real(b.nonces_hashed as f64 / 1e6, 4))
        .add("Diff1 Work", Value::UInt(b.found))
        .add("Difficulty Accepted", Value::diff(t.difficulty_accepted))
        .add("Difficulty Rejected", Value::diff(t.difficulty_rejected))
        .add("Last Share Difficulty", Value::diff(t.last_difficulty))
        .add(
            "Device Hardware%",
            percent(
                b.hardware_errors as f64,
                (b.hardware_errors + b.found) as f64,
            ),
        )
        .add(
            "Device Rejected%",
            percent(t.difficulty_rejected, submitted),
        )
        .add("Device Elapsed", Value::UInt(s.uptime.as_secs()))
        .add("Board", Value::Str(b.name.clone()))
        .add("Build ID", Value::Str(format!("{:08x}", b.build_id)))
        .add("Nonces Hashed", Value::UInt(b.nonces_hashed))
        .add("Nominal MHS", mhs(b.nominal_rate))
        .add("Found", Value::UInt(b.found))
        .add("Found Blocks", Value::UInt(b.found_blocks))
        .add("Bad Frames", Value::UInt(b.bad_frames))
        .add("Dropped Results", Value::UInt(b.dropped_results))
}

fn devs_message(s: &Snapshot) -> Reply {
    Reply::status(
        Severity::Success,
        code::DEVS,
        format!("{} PGA(s)", s.boards.len()),
    )
}

fn devs(s: &Snapshot) -> Reply {
    if s.boards.is_empty() {
        return Reply::error(code::NODEVS, "No PGAs");
    }
    let entries = s
        .boards
        .iter()
        .enumerate()
        .map(|(i, b)| board_fields(i, b, s))
        .collect();
    devs_message(s).with(list("DEVS", entries))
}

fn devdetails(s: &Snapshot) -> Reply {
    let entries = s
        .boards
        .iter()
        .enumerate()
        .map(|(i, b)| {
            Fields::default()
                .add("DEVDETAILS", Value::UInt(i as u64))
                .add("Name", Value::Str(DRIVER.into()))
                .add("ID", Value::UInt(i as u64))
                .add("Driver", Value::Str("amber".into()))
                .add("Kernel", Value::Str(String::new()))
                .add("Model", Value::Str(format!("build {:08x}", b.build_id)))
                .add("Device Path", Value::Str(b.name.clone()))
        })
        .collect();
    Reply::status(Severity::Success, 69, "Device Details").with(list("DEVDETAILS", entries))
}

/// cgminer's `atoi`: leading digits (with a sign), 0 for none.
fn atoi(text: &str) -> i64 {
    let t = text.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end.min(18)].parse::<i64>().map_or(0, |n| sign * n)
}

fn pga(s: &Snapshot, parameter: &str) -> Reply {
    if s.boards.is_empty() {
        return Reply::error(code::PGANON, "No PGAs");
    }
    if parameter.trim().is_empty() {
        return Reply::error(code::MISID, "Missing device id parameter");
    }
    let id = atoi(parameter);
    match usize::try_from(id)
        .ok()
        .and_then(|i| s.boards.get(i).map(|b| (i, b)))
    {
        Some((i, b)) => Reply::status(Severity::Success, code::PGADEV, format!("PGA{i}"))
            .with(list("PGA", vec![board_fields(i, b, s)])),
        None => Reply::error(
            code::INVPGA,
            format!("Invalid PGA id {id} - range is 0 - {}", s.boards.len() - 1),
        ),
    }
}

fn pool_fields(index: usize, p: &PoolSnapshot) -> Fields {
    let t = &p.tally;
    let c = &t.counts;
    let submitted = t.difficulty_accepted + t.difficulty_rejected + t.difficulty_stale;
    Fields::default()
        .add("POOL", Value::UInt(index as u64))
        .add("URL", Value::Str(p.url.clone()))
        .add(
            "Status",
            Value::Str(if p.up { "Alive" } else { "Dead" }.into()),
        )
        .add("Priority", Value::UInt(p.priority as u64))
        .add("Quota", Value::UInt(1))
        .add("Long Poll", Value::Str("N".into()))
        .add("Getworks", Value::UInt(p.jobs))
        .add("Accepted", Value::UInt(c.accepted))
        .add("Rejected", Value::UInt(c.rejected))
        .add(
            "Works",
            Value::UInt(c.accepted + c.rejected + c.stale + c.lost),
        )
        .add("Discarded", Value::UInt(0))
        .add("Stale", Value::UInt(c.stale + c.lost))
        .add("Get Failures", Value::UInt(p.failures))
        .add("Remote Failures", Value::UInt(0))
        .add("User", Value::Str(p.user.clone()))
        .add("Last Share Time", time(t.last_accepted))
        .add("Diff1 Shares", Value::diff(t.difficulty_accepted))
        .add("Proxy Type", Value::Str(String::new()))
        .add("Proxy", Value::Str(String::new()))
        .add("Difficulty Accepted", Value::diff(t.difficulty_accepted))
        .add("Difficulty Rejected", Value::diff(t.difficulty_rejected))
        .add("Difficulty Stale", Value::diff(t.difficulty_stale))
        .add("Last Share Difficulty", Value::diff(t.last_difficulty))
        .add("Work Difficulty", Value::diff(p.difficulty))
        .add("Has Stratum", Value::Bool(true))
        .add("Stratum Active", Value::Bool(p.up))
        .add(
            "Stratum URL",
            Value::Str(if p.up { p.name.clone() } else { String::new() }),
        )
        .add("Stratum Difficulty", Value::diff(p.difficulty))
        .add("Has GBT", Value::Bool(false))
        .add("Best Share", Value::diff(t.best))
        .add("Pool Rejected%", percent(t.difficulty_rejected, submitted))
        .add("Pool Stale%", percent(t.difficulty_stale, submitted))
        .add("Lost", Value::UInt(c.lost))
        .add("Active", Value::Bool(p.active))
}

fn pools(s: &Snapshot) -> Reply {
    if s.pools.is_empty() {
        return Reply::error(code::NOPOOL, "No pools");
    }
    let entries = s
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| pool_fields(i, p))
        .collect();
    Reply::status(
        Severity::Success,
        code::POOL,
        format!("{} Pool(s)", s.pools.len()),
    )
    .with(list("POOLS", entries))
}

fn stats(s: &Snapshot) -> Reply {
    let elapsed = Value::UInt(s.uptime.as_secs());
    let mut entries: Vec<Fields> = s
        .boards
        .iter()
        .enumerate()
        .map(|(i, b)| {
            Fields::default()
                .add("STATS", Value::UInt(i as u64))
                .add("ID", Value::Str(format!("{DRIVER}{i}")))
                .add("Elapsed", elapsed.clone())
                .add("Calls", Value::UInt(0))
                .add("Wait", Value::real2(0.0))
                .add("Max", Value::real2(0.0))
                .add("Min", Value::real2(99_999_999.0))
                .add("Board", Value::Str(b.name.clone()))
                .add("Nonces Hashed", Value::UInt(b.nonces_hashed))
                .add("Found", Value::UInt(b.found))
                .add("Hardware Errors", Value::UInt(b.hardware_errors))
                .add("Bad Frames", Value::UInt(b.bad_frames))
                .add(
                    "Board Bad Frames",
                    Value::UInt(u64::from(b.board_bad_frames)),
                )
                .add("Dropped Results", Value::UInt(b.dropped_results))
        })
        .collect();
    let base = entries.len();
    entries.extend(s.pools.iter().enumerate().map(|(i, p)| {
        Fields::default()
            .add("STATS", Value::UInt((base + i) as u64))
            .add("ID", Value::Str(format!("POOL{i}")))
            .add("Elapsed", elapsed.clone())
            .add("Calls", Value::UInt(0))
            .add("Wait", Value::real2(0.0))
            .add("Max", Value::real2(0.0))
            .add("Min", Value::real2(99_999_999.0))
            .add("Pool Calls", Value::UInt(p.jobs))
            .add("Pool Attempts", Value::UInt(p.failures))
            .add("Work Diff", Value::diff(p.difficulty))
    }));
    Reply::status(Severity::Success, code::MINESTATS, "CGMiner stats").with(list("STATS", entries))
}

fn check(parameter: &str, access: Access) -> Reply {
    let cmd = parameter.trim().to_ascii_lowercase();
    if cmd.is_empty() {
        return Reply::error(code::MISCHK, "Missing check cmd");
    }
    let privileged = PRIVILEGED.contains(&cmd.as_str());
    let exists = REPORTS.contains(&cmd.as_str()) || SUPPORTED_PRIVILEGED.contains(&cmd.as_str());
    let allowed = exists && (!privileged || access == Access::Privileged);
    let yn = |b: bool| Value::Str(if b { "Y" } else { "N" }.into());
    Reply::status(Severity::Success, code::CHECK, "Check command").with(named(
        "COMMAND",
        Fields::default()
            .add("Exists", yn(exists))
            .add("Access", yn(allowed)),
    ))
}

fn switchpool(s: &Snapshot, parameter: &str, control: &Sender<Control>) -> Reply {
    if s.pools.is_empty() {
        return Reply::error(code::NOPOOL, "No pools");
    }
    if parameter.trim().is_empty() {
        return Reply::error(code::MISPID, "Missing pool id parameter");
    }
    let id = atoi(parameter);
    let Some((index, pool)) = usize::try_from(id)
        .ok()
        .and_then(|i| s.pools.get(i).map(|p| (i, p)))
    else {
        return Reply::error(
            code::INVPID,
            format!("Invalid pool id {id} - range is 0 - {}", s.pools.len() - 1),
        );
    };
    if control.send(Control::SwitchPool(index)).is_err() {
        return invalid_command();
    }
    Reply::status(
        Severity::Success,
        code::SWITCHP,
        format!("Switching to pool {index}:'{}'", pool.url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn atoi_reads_leading_digits_as_cgminer_does() {
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi(" -3"), -3);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("99999999999999999999999999"), 999_999_999_999_999_999);
    }

    #[test]
    fn privileged_commands_need_privilege_and_report_cgminers_denial() {
        let (tx, rx) = mpsc::channel();
        let snapshot = Snapshot::default();
        let read = Context {
            snapshot: &snapshot,
            access: Access::Read,
            control: &tx,
        };
        for cmd in ["quit", "switchpool", "addpool", "privileged", "QUIT"] {
            let r = answer(cmd, "0", &read);
            assert_eq!(r.status.severity, Severity::Error, "{cmd}");
            assert_eq!(r.status.code, 45);
            assert_eq!(
                r.status.msg,
                format!("Access denied to '{}' command", cmd.to_lowercase())
            );
        }
        assert!(rx.try_recv().is_err(), "nothing reached the miner");
        let write = Context {
            access: Access::Privileged,
            ..read
        };
        assert_eq!(answer("privileged", "", &write).status.code, 46);
        assert_eq!(answer("addpool", "a,b,c", &write).status.code, 14);
        assert_eq!(answer("quit", "", &write).status.msg, "BYE");
        assert!(matches!(rx.try_recv(), Ok(Control::Quit)));
    }
}
