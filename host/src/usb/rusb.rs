//! The libusb backend (`rusb`): enumeration, opening by selector, claiming
//! one interface with the kernel `ftdi_sio` driver detached from that
//! interface only and re-attached when the handle is dropped.

use std::time::Duration;

use rusb::{Device, DeviceHandle, Direction, GlobalContext, Recipient, RequestType, UsbContext};

use super::{
    ChipType, DeviceInfo, DeviceSelector, Ftdi, Interface, UsbBackend, UsbError, FTDI_PIDS,
    FTDI_VID,
};

/// Timeout for the descriptor string reads done while listing.
const STRING_TIMEOUT: Duration = Duration::from_millis(200);

/// Turns a libusb error into the typed error the user can act on.
fn map(op: &'static str, bus_path: &str, interface: Interface, err: rusb::Error) -> UsbError {
    match err {
        rusb::Error::Access => UsbError::PermissionDenied {
            bus_path: bus_path.to_owned(),
        },
        rusb::Error::Busy => UsbError::Busy {
            bus_path: bus_path.to_owned(),
            interface,
        },
        rusb::Error::NoDevice => UsbError::Gone { op },
        rusb::Error::Timeout => UsbError::Timeout {
            op,
            actual: 0,
            expected: 1,
        },
        other => UsbError::Transfer {
            op,
            source: Box::new(other),
        },
    }
}

/// `BUS-PORT.PORT...`, as Linux names USB devices in sysfs.
fn bus_path<T: UsbContext>(device: &Device<T>) -> String {
    let ports = device
        .port_numbers()
        .unwrap_or_default()
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(".");
    format!("{}-{}", device.bus_number(), ports)
}

/// Re-encodes rusb's decoded release number as the raw `bcdDevice`.
fn bcd_device(version: rusb::Version) -> u16 {
    let major = u16::from(version.major());
    ((major / 10) << 12)
        | ((major % 10) << 8)
        | (u16::from(version.minor()) << 4)
        | u16::from(version.sub_minor())
}

fn is_candidate(vid: u16, pid: u16, extra: &[(u16, u16)]) -> bool {
    (vid == FTDI_VID && FTDI_PIDS.contains(&pid)) || extra.contains(&(vid, pid))
}

fn describe(device: &Device<GlobalContext>, extra: &[(u16, u16)]) -> Option<DeviceInfo> {
    let desc = device.device_descriptor().ok()?;
    if !is_candidate(desc.vendor_id(), desc.product_id(), extra) {
        return None;
    }
    // Strings need the device opened; without permission they stay unknown.
    let (serial, product) = match device.open() {
        Ok(handle) => {
            let language = handle
                .read_languages(STRING_TIMEOUT)
                .ok()
                .and_then(|l| l.first().copied());
            match language {
                Some(lang) => (
                    handle
                        .read_serial_number_string(lang, &desc, STRING_TIMEOUT)
                        .ok(),
                    handle.read_product_string(lang, &desc, STRING_TIMEOUT).ok(),
                ),
                None => (None, None),
            }
        }
        Err(_) => (None, None),
    };
    Some(DeviceInfo {
        vid: desc.vendor_id(),
        pid: desc.product_id(),
        chip: ChipType::from_bcd_device(bcd_device(desc.device_version())),
        serial,
        product,
        bus_path: bus_path(device),
    })
}

/// Every attached FTDI device with a known FTDI PID or one of `extra` IDs
/// (the board table's).
pub fn list(extra: &[(u16, u16)]) -> Result<Vec<DeviceInfo>, UsbError> {
    let devices = rusb::devices().map_err(|e| map("enumerate", "-", Interface::A, e))?;
    Ok(devices.iter().filter_map(|d| describe(&d, extra)).collect())
}

/// Opens the one device `selector` picks (or the only FTDI device, when
/// `None`) and claims `interface`.
pub fn open(
    selector: Option<&DeviceSelector>,
    extra: &[(u16, u16)],
    interface: Interface,
) -> Result<Ftdi, UsbError> {
    let devices = rusb::devices().map_err(|e| map("enumerate", "-", interface, e))?;
    let mut found: Vec<(Device<GlobalContext>, DeviceInfo)> = devices
        .iter()
        .filter_map(|d| describe(&d, extra).map(|info| (d, info)))
        .filter(|(_, info)| selector.is_none_or(|s| s.matches(info)))
        .collect();
    let wanted = selector.map_or_else(|| "any FTDI device".to_owned(), ToString::to_string);
    let (device, info) = match found.len() {
        0 => return Err(UsbError::NoDevice { selector: wanted }),
        1 => found.remove(0),
        count => {
            return Err(UsbError::Ambiguous {
                selector: wanted,
                count,
            })
        }
    };
    let path = info.bus_path.clone();
    if info.chip.is_none() {
        let bcd = device
            .device_descriptor()
            .map(|d| bcd_device(d.device_version()))
            .unwrap_or(0);
        return Err(UsbError::UnknownChip { bcd_device: bcd });
    }
    let handle = device
        .open()
        .map_err(|e| map("open", &path, interface, e))?;
    let number = interface.number();
    // Detach ftdi_sio from this interface only (the other channel may be a
    // serial port in use); unsupported on some systems, which is fine.
    let detached = matches!(handle.kernel_driver_active(number), Ok(true))
        && handle.detach_kernel_driver(number).is_ok();
    if let Err(err) = handle.claim_interface(number) {
        if detached {
            let _ = handle.attach_kernel_driver(number);
        }
        return Err(map("claim interface", &path, interface, err));
    }
    let backend = RusbBackend {
        handle,
        interface: number,
        detached,
        path,
    };
    Ftdi::new(Box::new(backend), info, interface)
}

/// One claimed interface of a libusb device handle.
struct RusbBackend {
    handle: DeviceHandle<GlobalContext>,
    interface: u8,
    detached: bool,
    path: String,
}

impl RusbBackend {
    fn iface(&self) -> Interface {
        match self.interface {
            0 => Interface::A,
            1 => Interface::B,
            2 => Interface::C,
            _ => Interface::D,
        }
    }
}

impl Drop for RusbBackend {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
        if self.detached {
            let _ = self.handle.attach_kernel_driver(self.interface);
        }
    }
}

impl UsbBackend for RusbBackend {
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), UsbError> {
        let kind = rusb::request_type(Direction::Out, RequestType::Vendor, Recipient::Device);
        self.handle
            .write_control(kind, request, value, index, data, timeout)
            .map(|_| ())
            .map_err(|e| map("control out", &self.path, self.iface(), e))
    }

    fn control_in(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let kind = rusb::request_type(Direction::In, RequestType::Vendor, Recipient::Device);
        self.handle
            .read_control(kind, request, value, index, buf, timeout)
            .map_err(|e| map("control in", &self.path, self.iface(), e))
    }

    fn bulk_out(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .write_bulk(endpoint, data, timeout)
            .map_err(|e| match e {
                rusb::Error::Timeout => UsbError::Timeout {
                    op: "bulk out",
                    actual: 0,
                    expected: data.len(),
                },
                other => map("bulk out", &self.path, self.iface(), other),
            })
    }

    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_bulk(endpoint, buf, timeout)
            .map_err(|e| map("bulk in", &self.path, self.iface(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_round_trip() {
        for raw in [0x0600u16, 0x0700, 0x0900, 0x1000, 0x0500] {
            assert_eq!(bcd_device(rusb::Version::from_bcd(raw)), raw);
        }
    }

    #[test]
    fn libusb_errors_become_typed_errors() {
        assert!(matches!(
            map("open", "1-2", Interface::A, rusb::Error::Access),
            UsbError::PermissionDenied { .. }
        ));
        assert!(matches!(
            map("claim interface", "1-2", Interface::B, rusb::Error::Busy),
            UsbError::Busy {
                interface: Interface::B,
                ..
            }
        ));
        assert!(matches!(
            map("bulk in", "1-2", Interface::A, rusb::Error::NoDevice),
            UsbError::Gone { op: "bulk in" }
        ));
        assert!(matches!(
            map("bulk in", "1-2", Interface::A, rusb::Error::Pipe),
            UsbError::Transfer { .. }
        ));
    }

    #[test]
    fn candidates() {
        assert!(is_candidate(0x0403, 0x6010, &[]));
        assert!(!is_candidate(0x0403, 0x1234, &[]));
        assert!(is_candidate(0x1d50, 0x602b, &[(0x1d50, 0x602b)]));
    }
}
