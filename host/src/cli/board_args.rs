//! The board options `mine`, `scan` and `icarus` share ([`BoardArgs`]), and
//! opening the links to the boards they name.

use anyhow::Context;
use clap::Args;

use amber::board::BoardSpec;
use amber::link::ftdi::FtdiUart;
use amber::link::serial::SerialLink;
use amber::link::Link;
use amber::usb::DeviceSelector;

use super::programmer::{board_ids, hint};
use super::BadInput;

/// Default UART baud rate of the shipped bitstreams.
const DEFAULT_BAUD: u32 = 115_200;

/// Which boards to drive.
#[derive(Debug, Args, Default, Clone)]
pub struct BoardArgs {
    /// A simulated board: the Verilator model of the RTL; repeat for more.
    #[cfg(feature = "sim")]
    #[arg(long, action = clap::ArgAction::Count)]
    pub sim: u8,
    /// A board's netlist model, built by `make netlist-sim BOARD=NAME` (in
    /// build/NAME/netlist/); repeat for more.
    #[cfg(feature = "sim")]
    #[arg(long = "sim-board", value_name = "NAME")]
    pub sim_boards: Vec<String>,
    /// A board whose UART the kernel owns (`/dev/ttyUSB1`); repeat for more.
    #[arg(long = "port", value_name = "PATH")]
    pub ports: Vec<String>,
    /// UART baud rate for --port boards.
    #[arg(long, value_name = "BAUD", value_parser = clap::value_parser!(u32).range(1..))]
    pub baud: Option<u32>,
    /// An FTDI board on USB: VID:PID[:SERIAL] or a bus path (see `amber list`); repeat for more.
    #[arg(long = "device", value_name = "SELECTOR")]
    pub devices: Vec<DeviceSelector>,
    /// The board on --device (boards.toml name): its UART channel and baud rate.
    /// Needed when the selector's VID:PID does not name exactly one board.
    #[arg(long, value_name = "NAME")]
    pub board: Option<String>,
}

impl BoardArgs {
    /// How many boards the flags name.
    pub fn count(&self) -> usize {
        #[cfg(feature = "sim")]
        let sims = usize::from(self.sim) + self.sim_boards.len();
        #[cfg(not(feature = "sim"))]
        let sims = 0;
        sims + self.ports.len() + self.devices.len()
    }
}

/// Opens every board link the flags name.
pub fn open_links(boards: &BoardArgs) -> anyhow::Result<Vec<Box<dyn Link>>> {
    let mut links: Vec<Box<dyn Link>> = Vec::new();
    #[cfg(feature = "sim")]
    for _ in 0..boards.sim {
        let link = amber::link::sim::SimLink::new().context("starting the simulated board")?;
        links.push(Box::new(link));
    }
    #[cfg(feature = "sim")]
    for name in &boards.sim_boards {
        links.push(Box::new(netlist_link(name)?));
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

/// The netlist model of board `name`, from `build/<name>/netlist/`.
#[cfg(feature = "sim")]
fn netlist_link(name: &str) -> anyhow::Result<amber::link::sim::SimLink> {
    use amber::link::sim::TopParams;
    let spec = amber::board::find(name).context("looking up --sim-board")?;
    let dir = std::path::Path::new("build").join(name);
    let model = dir.join("netlist").join("model.so");
    if !model.is_file() {
        return Err(BadInput(format!(
            "no netlist model of {name} in {}: run `make netlist-sim BOARD={name}` first",
            model.display()
        ))
        .into());
    }
    let build_id = read_number(&dir.join("build_id"))
        .with_context(|| format!("reading the build id of {name}"))?;
    let baud_file = dir.join("netlist").join("baud");
    let baud = read_number(&baud_file)
        .with_context(|| format!("reading the UART rate of {name}'s netlist model"))?;
    let params = TopParams {
        clk_hz: u64::from(spec.core_hz),
        baud,
        rounds_per_clk: u64::from(spec.rounds_per_clk),
        cores: u64::from(spec.cores),
        build_id,
    };
    amber::link::sim::SimLink::netlist(name, &model, params)
        .with_context(|| format!("starting the netlist model of {name}"))
}

/// The decimal number a build file holds (`build/<board>/build_id`, `.../netlist/baud`).
#[cfg(feature = "sim")]
fn read_number(path: &std::path::Path) -> anyhow::Result<u64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.trim()
        .parse()
        .with_context(|| format!("{} holds {:?}, not a number", path.display(), text.trim()))
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
