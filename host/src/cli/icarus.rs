//! `amber icarus --pty PATH`: one board answers on a pseudo-terminal as an
//! Icarus device does, for bfgminer (`bfgminer -S icarus:PATH`). PATH is a
//! symbolic link to the terminal, made at start and removed at exit.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serialport::{SerialPort, TTYPort};

use amber::device::{Driver, DriverConfig};
use amber::icarus::{Bridge, IcarusEvent};
use amber::text::escape;

use super::board_args::{open_links, BoardArgs};
use super::BadInput;

/// How long one read of the terminal waits.
const READ_WAIT: Duration = Duration::from_millis(5);
/// How long one poll of the board waits.
const POLL_WAIT: Duration = Duration::from_millis(2);

/// Answer on a pseudo-terminal as an Icarus device, so bfgminer drives the board.
#[derive(Debug, Args)]
pub struct Cmd {
    /// Where to put the terminal: a symbolic link made here (bfgminer -S icarus:PATH).
    #[arg(long, value_name = "PATH")]
    pty: PathBuf,
    #[command(flatten)]
    boards: BoardArgs,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
}

/// The link at PATH, removed when dropped.
struct Link(PathBuf);

impl Drop for Link {
    fn drop(&mut self) {
        // Already gone (removed by hand): nothing to do.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Makes sure `path` is free for the link: a link left by an earlier run
/// (pointing into /dev/pts) is removed; anything else there is an error.
fn free_pty_path(path: &Path) -> anyhow::Result<()> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let stale = meta.file_type().is_symlink()
            && std::fs::read_link(path).is_ok_and(|t| t.starts_with("/dev/pts/"));
        if !stale {
            return Err(BadInput(format!(
                "--pty {}: something is there already; give a path that does not exist",
                path.display()
            ))
            .into());
        }
        std::fs::remove_file(path)
            .with_context(|| format!("replacing the old link {}", path.display()))?;
    }
    Ok(())
}

/// Makes `path` a symbolic link to `target`.
fn link_pty(path: &Path, target: &str) -> anyhow::Result<Link> {
    std::os::unix::fs::symlink(target, path)
        .with_context(|| format!("linking {} to {target}", path.display()))?;
    Ok(Link(path.to_path_buf()))
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let duration = self
            .duration
            .map(|s| super::units::seconds("--duration", s))
            .transpose()?;
        if self.boards.count() > 1 {
            return Err(BadInput(format!(
                "amber icarus drives one board; {} given",
                self.boards.count()
            ))
            .into());
        }
        free_pty_path(&self.pty)?;
        let mut links = open_links(&self.boards)?;
        if links.len() != 1 {
            return Err(BadInput("amber icarus drives one board".into()).into());
        }
        let link = links.remove(0);
        let name = link.name();
        let config = DriverConfig::for_link(&*link);
        let driver = Driver::new(link, config)
            .with_context(|| format!("identifying the board on {name}"))?;
        let mut bridge = Bridge::new(driver)?;
        let (mut master, slave) = TTYPort::pair().context("creating a pseudo-terminal")?;
        let terminal = slave.name().context("the pseudo-terminal has no name")?;
        master
            .set_timeout(READ_WAIT)
            .context("setting the terminal's read timeout")?;
        let _link = link_pty(&self.pty, &terminal)?;
        println!(
            "icarus: board {} answers on {} ({terminal}); run: bfgminer -S icarus:{}",
            escape(&name),
            self.pty.display(),
            self.pty.display()
        );
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
                .context("installing the Ctrl-C handler")?;
        }
        let started = Instant::now();
        let mut buf = [0u8; 512];
        // The terminal's other end stays open here, so bfgminer may close and
        // reopen it (it probes, then opens again) without a hang-up.
        let _slave = slave;
        let result = loop {
            if stop.load(Ordering::SeqCst) || duration.is_some_and(|d| started.elapsed() >= d) {
                break Ok(());
            }
            let n = match master.read(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    0
                }
                Err(e) => break Err(anyhow::Error::new(e).context("reading the pseudo-terminal")),
            };
            match bridge.step(&mut master, &buf[..n], Instant::now(), POLL_WAIT) {
                Ok(events) => events.iter().for_each(show),
                Err(e) => break Err(anyhow::Error::new(e).context("driving the board")),
            }
        };
        // Best effort: the board is left idle.
        let _ = bridge.stop();
        let s = bridge.stats();
        println!(
            "icarus: {} work packet(s), {} nonce(s) answered, {} malformed packet(s), {} hardware error(s)",
            s.packets, s.answers, s.malformed, s.hardware_errors
        );
        result
    }
}

fn show(event: &IcarusEvent) {
    match event {
        IcarusEvent::Work { count } => println!("icarus: work #{count}"),
        IcarusEvent::Nonce { bytes } => println!("icarus: nonce {}", hex::encode(bytes)),
        IcarusEvent::Malformed(e) => println!("icarus: {e}"),
        IcarusEvent::Board(what) => println!("icarus: board: {}", escape(what)),
    }
}
