//! `amber mine` settings: the TOML settings file, merged with the flags, every
//! number checked before it is used (no input makes `amber` panic).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use amber::api::{AllowList, ApiConfig};
use amber::metrics::MetricsConfig;
use amber::pool::{PoolCa, PoolConfig, PoolUrl};
use amber::serve::{parse_listen, Limits};
use amber::usb::DeviceSelector;

use super::super::BadInput;
use super::Cmd;
use crate::cli::board_args::BoardArgs;
use crate::cli::units::seconds;

/// Longest line of a settings-file error shown; longer ones are cut.
const ERROR_LINE_CHARS: usize = 160;

/// The TOML settings file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub(super) pool: Vec<PoolEntry>,
    #[cfg(feature = "sim")]
    pub(super) sim: Option<u8>,
    #[serde(default)]
    pub(super) ports: Vec<String>,
    pub(super) baud: Option<u32>,
    #[serde(default)]
    pub(super) devices: Vec<String>,
    pub(super) board: Option<String>,
    pub(super) share_log: Option<PathBuf>,
    pub(super) json: Option<bool>,
    pub(super) duration: Option<f64>,
    pub(super) until_found: Option<u64>,
    pub(super) range: Option<u32>,
    pub(super) pool_timeout: Option<f64>,
    pub(super) api_listen: Option<String>,
    pub(super) api_allow: Option<String>,
    pub(super) metrics_listen: Option<String>,
}

/// One `[[pool]]` table of the settings file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PoolEntry {
    url: String,
    user: String,
    #[serde(default = "default_pass")]
    pub(super) pass: String,
    /// PEM certificates a TLS pool's certificate must chain to.
    ca: Option<PathBuf>,
}

pub(super) fn default_pass() -> String {
    "x".to_string()
}

impl ConfigFile {
    fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        Self::parse(&text)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))
            .context("parsing the config file")
    }

    /// Parses the file; the error names the place, with long lines cut.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| cut_lines(&e.to_string(), ERROR_LINE_CHARS))
    }
}

/// Each line of `text` cut to `max` characters (with "…" where cut).
fn cut_lines(text: &str, max: usize) -> String {
    text.lines()
        .map(|line| match line.char_indices().nth(max) {
            Some((at, _)) => format!("{}…", &line[..at]),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Settings after merging the file and the flags.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) pools: Vec<PoolConfig>,
    pub(super) boards: BoardArgs,
    pub(super) json: bool,
    pub(super) share_log: Option<PathBuf>,
    pub(super) duration: Option<Duration>,
    pub(super) until_found: Option<u64>,
    pub(super) range: Option<u32>,
    pub(super) pool_timeout: Option<Duration>,
    /// The cgminer-compatible API, when asked for.
    pub(super) api: Option<ApiConfig>,
    /// The Prometheus metrics, when asked for.
    pub(super) metrics: Option<MetricsConfig>,
}

/// The `i`th value, or the last one given.
fn pick(values: &[String], i: usize) -> Option<String> {
    values.get(i).or(values.last()).cloned()
}

fn pool_config(
    url: &str,
    user: String,
    pass: String,
    ca: Option<&Path>,
) -> anyhow::Result<PoolConfig> {
    let url: PoolUrl = url.parse().context("reading the pool URL")?;
    let ca = match ca {
        Some(path) if !url.is_tls() => {
            return Err(BadInput(format!(
                "{url} is plain TCP: a CA file ({}) is for stratum+ssl:// pools",
                path.display()
            ))
            .into())
        }
        Some(path) => Some(
            PoolCa::load(path).with_context(|| format!("loading the CA file for pool {url}"))?,
        ),
        None => None,
    };
    Ok(PoolConfig {
        url,
        user,
        pass,
        ca,
    })
}

impl Settings {
    /// The flags of `cmd` over the settings file it names.
    pub(super) fn of(cmd: Cmd) -> anyhow::Result<Settings> {
        let file = match &cmd.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        Self::merge(cmd, file)
    }

    pub(super) fn merge(cmd: Cmd, file: ConfigFile) -> anyhow::Result<Settings> {
        let mut pools = Vec::new();
        for entry in file.pool {
            pools.push(pool_config(
                &entry.url,
                entry.user,
                entry.pass,
                entry.ca.as_deref(),
            )?);
        }
        let mut ca_used = false;
        for (i, url) in cmd.pools.iter().enumerate() {
            let user = pick(&cmd.users, i)
                .ok_or_else(|| BadInput(format!("--pool {url} needs a --user (worker name)")))?;
            let pass = pick(&cmd.passes, i).unwrap_or_else(default_pass);
            // --pool-ca is for the TLS pools among the flags.
            let tls = url.parse::<PoolUrl>().is_ok_and(|u| u.is_tls());
            let ca = cmd.pool_ca.as_deref().filter(|_| tls);
            ca_used |= ca.is_some();
            pools.push(pool_config(url, user, pass, ca)?);
        }
        if cmd.pool_ca.is_some() && !ca_used {
            return Err(BadInput(
                "--pool-ca is for a --pool stratum+ssl://HOST:PORT (TLS) pool, and none is given"
                    .into(),
            )
            .into());
        }
        let mut boards = cmd.boards;
        let mut ports = file.ports;
        ports.append(&mut boards.ports);
        boards.ports = ports;
        boards.baud = boards.baud.or(file.baud);
        if boards.baud == Some(0) {
            return Err(BadInput("--baud must be a positive bit rate, not 0".into()).into());
        }
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
        let duration = cmd
            .duration
            .or(file.duration)
            .map(|s| seconds("--duration", s))
            .transpose()?;
        let pool_timeout = cmd
            .pool_timeout
            .or(file.pool_timeout)
            .map(|s| seconds("--pool-timeout", s))
            .transpose()?;
        let range = cmd.range.or(file.range);
        if range == Some(0) {
            return Err(BadInput("--range must be at least 1 nonce".into()).into());
        }
        let api_allow = cmd
            .api_allow
            .or(file.api_allow)
            .map(|text| text.parse::<AllowList>())
            .transpose()
            .map_err(|e| BadInput(e.to_string()))?;
        let api = match cmd.api_listen.or(file.api_listen) {
            Some(text) => Some(ApiConfig {
                listen: parse_listen(&text).map_err(|e| BadInput(format!("--api-listen {e}")))?,
                allow: api_allow,
                limits: Limits::default(),
            }),
            None if api_allow.is_some() => {
                return Err(BadInput("--api-allow needs --api-listen [ADDR:]PORT".into()).into())
            }
            None => None,
        };
        let metrics = match cmd.metrics_listen.or(file.metrics_listen) {
            Some(text) => Some(MetricsConfig {
                listen: parse_listen(&text)
                    .map_err(|e| BadInput(format!("--metrics-listen {e}")))?,
                limits: Limits::default(),
            }),
            None => None,
        };
        Ok(Settings {
            api,
            metrics,
            pools,
            boards,
            json: cmd.json || file.json.unwrap_or(false),
            share_log: cmd.share_log.or(file.share_log),
            duration,
            until_found: cmd.until_found.or(file.until_found),
            range,
            pool_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use proptest::prelude::*;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        cmd: Cmd,
    }

    fn merged(args: &[&str], file: &str) -> anyhow::Result<Settings> {
        let cmd = Wrap::try_parse_from(std::iter::once("mine").chain(args.iter().copied()))?.cmd;
        Settings::merge(cmd, ConfigFile::parse(file).map_err(anyhow::Error::msg)?)
    }

    #[test]
    fn config_file_parses_and_refuses_unknown_keys() {
        let ok = ConfigFile::parse(
            "ports = [\"/dev/ttyUSB1\"]\nbaud = 9600\nduration = 5\npool_timeout = 60\n\
             [[pool]]\nurl = \"stratum+tcp://127.0.0.1:3333\"\nuser = \"w\"\n",
        )
        .unwrap();
        assert_eq!(ok.pool.len(), 1);
        assert_eq!(ok.pool[0].pass, "x");
        assert_eq!(ok.ports, ["/dev/ttyUSB1"]);
        assert_eq!(ok.baud, Some(9600));
        assert_eq!(ok.pool_timeout, Some(60.0));
        assert!(ConfigFile::parse("prots = []\n").is_err());
        assert!(ConfigFile::parse("baud = \"fast\"\n").is_err());
    }

    #[test]
    fn durations_beyond_any_run_are_refused_not_a_panic() {
        for (args, file) in [
            (&["--duration", "1e20"][..], ""),
            (&[][..], "duration = 1e20\n"),
            (&["--pool-timeout", "1e300"][..], ""),
            (&[][..], "pool_timeout = inf\n"),
            (&["--duration=-1"][..], ""),
            (&["--duration", "NaN"][..], ""),
            (&[][..], "pool_timeout = 0\n"),
        ] {
            let err = merged(args, file).unwrap_err();
            assert!(err.is::<BadInput>(), "{args:?} {file:?}: {err:#}");
        }
        let s = merged(&["--duration", "2.5", "--pool-timeout", "30"], "").unwrap();
        assert_eq!(s.duration, Some(Duration::from_millis(2500)));
        assert_eq!(s.pool_timeout, Some(Duration::from_secs(30)));
    }

    #[test]
    fn pool_ca_goes_to_tls_pools_and_bad_ones_are_input_errors() {
        let dir = std::env::temp_dir().join(format!("amber-settings-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("ca.pem");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&pem, cert.cert.pem()).unwrap();
        let pem_arg = pem.to_str().unwrap();
        let s = merged(
            &[
                "--pool",
                "stratum+ssl://localhost:3334",
                "--pool",
                "stratum+tcp://b:1",
                "--user",
                "w",
                "--pool-ca",
                pem_arg,
            ],
            "",
        )
        .unwrap();
        assert!(s.pools[0].ca.is_some());
        assert!(s.pools[1].ca.is_none(), "a plain pool takes no CA");
        let file =
            format!("[[pool]]\nurl = \"stratum+tls://a:1\"\nuser = \"w\"\nca = {pem_arg:?}\n");
        assert!(merged(&[], &file).unwrap().pools[0].ca.is_some());
        for (args, file) in [
            (
                vec![
                    "--pool",
                    "stratum+tcp://a:1",
                    "--user",
                    "w",
                    "--pool-ca",
                    pem_arg,
                ],
                String::new(),
            ),
            (vec!["--pool-ca", pem_arg], String::new()),
            (
                vec![],
                format!("[[pool]]\nurl = \"stratum+tcp://a:1\"\nuser = \"w\"\nca = {pem_arg:?}\n"),
            ),
        ] {
            let err = merged(&args, &file).unwrap_err();
            assert!(err.is::<BadInput>(), "{args:?}: {err:#}");
        }
        let err = merged(
            &[
                "--pool",
                "stratum+ssl://a:1",
                "--user",
                "w",
                "--pool-ca",
                "/nonexistent/ca.pem",
            ],
            "",
        )
        .unwrap_err();
        assert!(
            err.chain().any(|c| c.is::<amber::pool::CaError>()),
            "{err:#}"
        );
        assert!(
            format!("{err:#}").contains("/nonexistent/ca.pem"),
            "{err:#}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn baud_zero_is_refused() {
        assert!(merged(&["--baud", "0"], "").is_err());
        let err = merged(&[], "baud = 0\n").unwrap_err();
        assert!(err.to_string().contains("--baud"), "{err:#}");
        assert_eq!(
            merged(&["--baud", "9600"], "").unwrap().boards.baud,
            Some(9600)
        );
    }

    #[test]
    fn a_long_line_in_the_settings_file_is_cut_in_the_error() {
        let text = format!("ports = [\"{}\"\n", "a".repeat(10_000_000));
        let err = ConfigFile::parse(&text).unwrap_err();
        assert!(err.len() < 2000, "{} bytes of error", err.len());
        assert!(err.contains('…'), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any settings text is parsed or refused with an error of bounded lines;
        /// whatever numbers it holds, merging it never panics.
        #[test]
        fn any_settings_text_is_parsed_or_refused(
            key in prop_oneof![Just("duration".to_string()), Just("pool_timeout".to_string()),
                Just("baud".to_string()), Just("range".to_string()),
                Just("until_found".to_string()), Just("sim".to_string()),
                Just("json".to_string()), "[a-z_]{1,12}"],
            value in prop_oneof![
                any::<f64>().prop_map(|f| format!("{f:?}")),
                any::<i64>().prop_map(|i| i.to_string()),
                Just("inf".to_string()), Just("nan".to_string()), Just("-inf".to_string()),
                Just("1e400".to_string()), ".{0,30}"],
            junk in ".{0,40}",
        ) {
            for text in [format!("{key} = {value}\n"), format!("{key} = {value}\n{junk}\n")] {
                match ConfigFile::parse(&text) {
                    Ok(file) => {
                        let _ = merged(&[], "").map(drop);
                        let cmd = Wrap::try_parse_from(["mine"]).map_err(|e| TestCaseError::fail(e.to_string()))?.cmd;
                        let _ = Settings::merge(cmd, file);
                    }
                    Err(e) => {
                        for line in e.lines() {
                            prop_assert!(line.chars().count() <= ERROR_LINE_CHARS + 1);
                        }
                    }
                }
            }
        }
    }
}
