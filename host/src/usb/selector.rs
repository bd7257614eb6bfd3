//! Choosing one device: `VID:PID[:SERIAL]` or a bus path.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::DeviceInfo;

/// Which FTDI device to use.
///
/// ```
/// use amber::usb::DeviceSelector;
///
/// let by_id: DeviceSelector = "0403:6010:FT4ABC".parse().unwrap();
/// assert_eq!(
///     by_id,
///     DeviceSelector::Id { vid: 0x0403, pid: 0x6010, serial: Some("FT4ABC".into()) }
/// );
/// let by_path: DeviceSelector = "1-4.2".parse().unwrap();
/// assert_eq!(by_path, DeviceSelector::BusPath("1-4.2".into()));
/// assert!("0403".parse::<DeviceSelector>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSelector {
    /// USB IDs in hex, optionally narrowed by serial number.
    Id {
        /// Vendor ID.
        vid: u16,
        /// Product ID.
        pid: u16,
        /// Serial number, matched exactly.
        serial: Option<String>,
    },
    /// Linux-style bus path `BUS-PORT[.PORT...]`.
    BusPath(String),
}

/// A selector string that is neither `VID:PID[:SERIAL]` nor a bus path.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SelectorError {
    /// A VID or PID is not 1 to 4 hex digits.
    #[error("{field} {text:?} in device selector is not a 16-bit hex number")]
    BadId {
        /// `VID` or `PID`.
        field: &'static str,
        /// The text given.
        text: String,
    },
    /// The serial part is empty.
    #[error("empty serial number in device selector {input:?}")]
    EmptySerial {
        /// The whole selector.
        input: String,
    },
    /// Neither form.
    #[error("device selector {input:?} is neither VID:PID[:SERIAL] nor a bus path like 1-4.2")]
    Unrecognized {
        /// The whole selector.
        input: String,
    },
}

fn parse_id(field: &'static str, text: &str) -> Result<u16, SelectorError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 {
        return Err(SelectorError::BadId {
            field,
            text: text.into(),
        });
    }
    u16::from_str_radix(digits, 16).map_err(|_| SelectorError::BadId {
        field,
        text: text.into(),
    })
}

fn is_bus_path(text: &str) -> bool {
    let Some((bus, ports)) = text.split_once('-') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    number(bus) && ports.split('.').all(number)
}

impl FromStr for DeviceSelector {
    type Err = SelectorError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut parts = input.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(vid), Some(pid), serial) => {
                let vid = parse_id("VID", vid)?;
                let pid = parse_id("PID", pid)?;
                let serial = match serial {
                    Some("") => {
                        return Err(SelectorError::EmptySerial {
                            input: input.into(),
                        })
                    }
                    other => other.map(str::to_owned),
                };
                Ok(DeviceSelector::Id { vid, pid, serial })
            }
            _ if is_bus_path(input) => Ok(DeviceSelector::BusPath(input.into())),
            _ => Err(SelectorError::Unrecognized {
                input: input.into(),
            }),
        }
    }
}

impl DeviceSelector {
    /// Does this device match?
    pub fn matches(&self, info: &DeviceInfo) -> bool {
        match self {
            DeviceSelector::Id { vid, pid, serial } => {
                info.vid == *vid
                    && info.pid == *pid
                    && serial
                        .as_ref()
                        .is_none_or(|want| info.serial.as_deref() == Some(want.as_str()))
            }
            DeviceSelector::BusPath(path) => info.bus_path == *path,
        }
    }
}

impl fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSelector::Id { vid, pid, serial } => {
                write!(f, "{vid:04x}:{pid:04x}")?;
                if let Some(serial) = serial {
                    write!(f, ":{serial}")?;
                }
                Ok(())
            }
            DeviceSelector::BusPath(path) => f.write_str(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(serial: Option<&str>) -> DeviceInfo {
        DeviceInfo {
            vid: 0x0403,
            pid: 0x6010,
            chip: None,
            serial: serial.map(str::to_owned),
            product: None,
            bus_path: "3-1.4".into(),
        }
    }

    #[test]
    fn parses_ids_with_and_without_serial() {
        assert_eq!(
            "0403:6014".parse(),
            Ok(DeviceSelector::Id {
                vid: 0x0403,
                pid: 0x6014,
                serial: None
            })
        );
        assert_eq!(
            "0x0403:0X6010:A:B".parse(),
            Ok(DeviceSelector::Id {
                vid: 0x0403,
                pid: 0x6010,
                serial: Some("A:B".into())
            })
        );
    }

    #[test]
    fn rejects_malformed_selectors() {
        assert!(matches!(
            "04031:6010".parse::<DeviceSelector>(),
            Err(SelectorError::BadId { field: "VID", .. })
        ));
        assert!(matches!(
            "0403:xyz".parse::<DeviceSelector>(),
            Err(SelectorError::BadId { field: "PID", .. })
        ));
        assert!(matches!(
            "0403:6010:".parse::<DeviceSelector>(),
            Err(SelectorError::EmptySerial { .. })
        ));
        assert!(matches!(
            ":".parse::<DeviceSelector>(),
            Err(SelectorError::BadId { .. })
        ));
        for bad in ["", "icebreaker", "1-", "-4", "1-4..2", "a-4"] {
            assert!(
                matches!(
                    bad.parse::<DeviceSelector>(),
                    Err(SelectorError::Unrecognized { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn matching_and_display_round_trip() {
        let any: DeviceSelector = "0403:6010".parse().unwrap();
        assert!(any.matches(&info(None)));
        let serial: DeviceSelector = "0403:6010:X1".parse().unwrap();
        assert!(serial.matches(&info(Some("X1"))));
        assert!(!serial.matches(&info(Some("X2"))));
        assert!(!serial.matches(&info(None)));
        let path: DeviceSelector = "3-1.4".parse().unwrap();
        assert!(path.matches(&info(None)));
        for text in ["0403:6010:X1", "3-1.4", "0403:6014"] {
            assert_eq!(text.parse::<DeviceSelector>().unwrap().to_string(), text);
        }
    }
}
