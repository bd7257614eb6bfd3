//! What `program`, `flash` and `probe` share: choosing the board, the FTDI
//! device and the programmer, and turning USB errors into hints.

use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use super::progress::Bars;
use super::BadInput;
use amber::board::{self, BoardSpec, ProgramMethod};
use amber::program::{
    detect_family, largest_bitstream_file, Ecp5Bitstream, Ecp5Jtag, Family, Ice40Image, Ice40Spi,
    ProgramError, Programmer, Progress, DEFAULT_CLOCK_HZ, ULX3S_FT231X,
};
use amber::usb::{self, DeviceSelector, Interface, UsbError};

/// The shipped udev rules, named in the permission hint.
pub const UDEV_RULES: &str = "udev/53-amber-ftdi.rules";

/// Which board and which FTDI device.
#[derive(Debug, Args)]
pub struct ProgrammerArgs {
    /// Board from boards.toml: sets the FPGA, the USB IDs and the programming interface.
    #[arg(long)]
    pub board: Option<String>,
    /// FTDI device: VID:PID[:SERIAL] or a bus path like 1-4.2 (see `amber list`).
    #[arg(long)]
    pub device: Option<DeviceSelector>,
    /// FPGA family when no --board is given and there is no file to tell it (probe).
    #[arg(long, value_parser = ["ice40", "ecp5"])]
    pub family: Option<String>,
    /// FTDI interface that programs the FPGA when no --board is given.
    #[arg(long, default_value = "A", value_parser = ["A", "B", "C", "D"])]
    pub interface: String,
    /// JTAG/SPI clock of MPSSE boards: Hz, or with k/M (`15M`, `500k`); default
    /// the board table's `freq_hz`, else 6 MHz. Checked against the chip's range.
    #[arg(long)]
    pub freq: Option<Frequency>,
}

/// A clock frequency as the user writes it: `6000000`, `6M`, `6MHz`, `500k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frequency(pub u32);

impl FromStr for Frequency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("`{text}` is not a frequency: give Hz, or a number with k or M (15M, 500k)");
        let lower = text.trim().to_ascii_lowercase();
        let number = lower.strip_suffix("hz").unwrap_or(&lower);
        let (digits, scale) = match number.strip_suffix('m') {
            Some(rest) => (rest, 1e6),
            None => match number.strip_suffix('k') {
                Some(rest) => (rest, 1e3),
                None => (number, 1.0),
            },
        };
        let value: f64 = digits.trim().parse().map_err(|_| bad())?;
        let hz = (value * scale).round();
        if !hz.is_finite() || hz < 1.0 || hz > f64::from(u32::MAX) {
            return Err(bad());
        }
        Ok(Frequency(hz as u32))
    }
}

/// An opened programmer and what it was opened for.
pub struct Opened {
    /// The programmer.
    pub programmer: Box<dyn Programmer>,
    /// A description for messages: `ftdi 1-4 A (icebreaker)`.
    pub what: String,
}

impl ProgrammerArgs {
    fn board(&self) -> anyhow::Result<Option<&'static BoardSpec>> {
        self.board
            .as_deref()
            .map(board::find)
            .transpose()
            .context("looking up --board")
    }

    /// Checks a bitstream against the board before any device is opened.
    pub fn check_file(&self, data: &[u8], family: Family) -> anyhow::Result<()> {
        let board = self.board()?;
        if let Some(b) = board {
            let board_family = b.family;
            if board_family != family {
                return Err(BadInput(format!(
                    "the file is {} bitstream but board {} has {} {}: build the bitstream for this board (make bitstream BOARD={})",
                    family_name(family),
                    b.name,
                    family_name(board_family),
                    b.device,
                    b.name
                ))
                .into());
            }
        }
        let device = board.map(|b| b.device.as_str());
        match family {
            Family::Ice40 => Ice40Image::check(data, device).map(drop),
            Family::Ecp5 => Ecp5Bitstream::check(data, device).map(drop),
        }
        .context("checking the bitstream against the board")
    }

    /// Opens the programmer for `family` (or the board's, or the file's).
    pub fn open(&self, file_family: Option<Family>) -> anyhow::Result<Opened> {
        let board = self.board()?;
        let (family, device, interface) = match board {
            Some(b) => (b.family, Some(b.device.as_str()), b.program.interface),
            None => {
                let family = match (file_family, self.family.as_deref()) {
                    (Some(f), _) => f,
                    (None, Some("ecp5")) => Family::Ecp5,
                    (None, Some(_)) => Family::Ice40,
                    (None, None) => bail!("give --board NAME or --family ice40|ecp5"),
                };
                let interface = Interface::from_letter(&self.interface).context("--interface")?;
                (family, None, interface)
            }
        };
        if let (Some(b), Some(f)) = (board, file_family) {
            if f != family {
                bail!(
                    "the file is an {f:?} bitstream but board {} has an {family:?}",
                    b.name
                );
            }
        }
        let bitbang = board.is_some_and(|b| b.program.method == ProgramMethod::Ecp5JtagBitbang);
        if let (true, Some(freq), Some(b)) = (bitbang, self.freq, board) {
            return Err(BadInput(format!(
                "--freq {} sets the MPSSE clock, but {} programs over FT231X bit-bang, \
                 which runs at its own fixed rate; leave --freq out",
                freq.0, b.name
            ))
            .into());
        }
        let hz = self
            .freq
            .map(|f| f.0)
            .or_else(|| board.and_then(|b| b.program.freq_hz))
            .unwrap_or(DEFAULT_CLOCK_HZ);
        let selector = self.device.clone().or_else(|| {
            board.map(|b| DeviceSelector::Id {
                vid: b.usb.vid,
                pid: b.usb.pid,
                serial: None,
            })
        });
        let ftdi = usb::rusb::open(selector.as_ref(), &board_ids(), interface).map_err(hint)?;
        let what = match board {
            Some(b) => format!("{} ({})", ftdi.name(), b.name),
            None => ftdi.name(),
        };
        let programmer: Box<dyn Programmer> = match family {
            Family::Ice40 => Box::new(Ice40Spi::open(ftdi, device, hz)?),
            // The only bit-bang board wiring Amber knows is the ULX3S's.
            Family::Ecp5 if bitbang => {
                Box::new(Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, device)?)
            }
            Family::Ecp5 => Box::new(Ecp5Jtag::open(ftdi, device, hz)?),
        };
        Ok(Opened { programmer, what })
    }
}

/// "an iCE40" / "an ECP5".
fn family_name(family: Family) -> &'static str {
    match family {
        Family::Ice40 => "an iCE40",
        Family::Ecp5 => "an ECP5",
    }
}

/// Reads a bitstream file (never more than the largest image a supported device
/// takes) and tells its family.
pub fn read_bitstream(path: &Path) -> anyhow::Result<(Vec<u8>, Family)> {
    let limit = largest_bitstream_file();
    let reading = || format!("reading bitstream {}", path.display());
    let file = std::fs::File::open(path).with_context(reading)?;
    let mut data = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut data)
        .with_context(reading)?;
    if data.len() > limit {
        return Err(BadInput(format!(
            "{} is larger than any supported FPGA's bitstream ({limit} bytes at most): is it a bitstream?",
            path.display()
        ))
        .into());
    }
    let family = detect_family(&data).with_context(|| format!("checking {}", path.display()))?;
    Ok((data, family))
}

/// Every VID:PID the board table names (boards may use custom IDs).
pub fn board_ids() -> Vec<(u16, u16)> {
    board::boards()
        .iter()
        .map(|b| (b.usb.vid, b.usb.pid))
        .collect()
}

/// Adds what the user can do about a USB error.
pub fn hint(err: UsbError) -> anyhow::Error {
    let text = match &err {
        UsbError::PermissionDenied { .. } => Some(format!(
            "no permission to use the FTDI device: install {UDEV_RULES} (README, \"USB access\") or run as root"
        )),
        UsbError::Busy { .. } => Some(
            "another program holds the FTDI interface (a serial terminal, openFPGALoader?)".to_owned(),
        ),
        UsbError::NoDevice { .. } => Some("is the board plugged in? `amber list` shows what is attached".to_owned()),
        UsbError::Ambiguous { .. } => Some("pick one with --device VID:PID:SERIAL or --device BUS-PATH".to_owned()),
        _ => None,
    };
    match text {
        Some(text) => anyhow::Error::new(err).context(text),
        None => anyhow::Error::new(err),
    }
}

/// A load into a programmer: SRAM or flash.
pub type Load = fn(&mut dyn Programmer, &[u8], &mut dyn Progress) -> Result<(), ProgramError>;

/// Reads, checks and loads `file` with `load`, with progress bars, and says
/// how long each phase took; `doing` and `done` word the messages.
pub fn load_file(
    programmer: &ProgrammerArgs,
    file: &Path,
    doing: &str,
    done: &str,
    load: Load,
) -> anyhow::Result<()> {
    let (data, family) = read_bitstream(file)?;
    programmer.check_file(&data, family)?;
    let mut opened = programmer.open(Some(family))?;
    let mut bars = Bars::default();
    let started = Instant::now();
    let loaded = load(opened.programmer.as_mut(), &data, &mut bars);
    bars.end();
    loaded.with_context(|| format!("{doing} {} over {}", file.display(), opened.what))?;
    eprintln!(
        "{done}: {} ({} bytes) over {} in {:.1} s ({})",
        file.display(),
        data.len(),
        opened.what,
        started.elapsed().as_secs_f64(),
        bars.summary()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_parse_with_units() {
        for (text, hz) in [
            ("6000000", 6_000_000),
            ("6M", 6_000_000),
            ("15MHz", 15_000_000),
            ("1.5m", 1_500_000),
            ("500k", 500_000),
            ("500 kHz", 500_000),
        ] {
            assert_eq!(text.parse::<Frequency>(), Ok(Frequency(hz)), "{text}");
        }
        for text in ["", "fast", "0", "-3M", "5G", "9999999999"] {
            let err = text.parse::<Frequency>().unwrap_err();
            assert!(err.contains("is not a frequency"), "{text}: {err}");
        }
    }

    #[test]
    fn permission_hint_names_the_udev_rules() {
        let err = hint(UsbError::PermissionDenied {
            bus_path: "1-4".into(),
        });
        let text = format!("{err:#}");
        assert!(text.contains("udev/53-amber-ftdi.rules"), "{text}");
        assert!(text.ends_with("permission denied opening the FTDI device at 1-4"));
        assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(UDEV_RULES)
            .is_file());
    }
}
