//! The FTDI D2XX backend (`libftd2xx`, statically linked; cargo feature `d2xx`).
//!
//! D2XX does not expose raw transfers: it has one call per vendor request and
//! strips the modem-status bytes itself. This backend maps each vendor
//! request [`Ftdi`] sends to its D2XX call and re-frames read data into
//! packets with status bytes, so that everything above [`UsbBackend`] runs
//! unchanged.

use std::time::{Duration, Instant};

use libftd2xx::{BitMode as D2xxBitMode, DeviceType, FtdiCommon};

use super::{
    BaudDivisor, ChipType, DeviceInfo, DeviceSelector, Ftdi, Interface, UsbBackend, UsbError,
};

/// Status bytes put in front of each packet of read data (CTS, DSR, THRE, TEMT).
const STATUS: [u8; 2] = [0x31, 0x60];

fn chip_of(kind: DeviceType) -> Option<ChipType> {
    match kind {
        DeviceType::FT232R => Some(ChipType::Ft232R),
        DeviceType::FT_X_SERIES => Some(ChipType::Ft231X),
        DeviceType::FT2232C => Some(ChipType::Ft2232D),
        DeviceType::FT2232H => Some(ChipType::Ft2232H),
        DeviceType::FT4232H => Some(ChipType::Ft4232H),
        DeviceType::FT232H => Some(ChipType::Ft232H),
        _ => None,
    }
}

fn failed(op: &'static str, status: libftd2xx::FtStatus) -> UsbError {
    match status {
        libftd2xx::FtStatus::DEVICE_NOT_FOUND | libftd2xx::FtStatus::DEVICE_NOT_OPENED => {
            UsbError::Gone { op }
        }
        other => UsbError::Transfer {
            op,
            source: Box::new(other),
        },
    }
}

/// D2XX lists one entry per channel; its serial ends in the channel letter
/// on multi-channel chips. Returns the device serial and the channel.
fn split_channel(serial: &str, chip: Option<ChipType>) -> (String, Option<Interface>) {
    let multi = chip.is_some_and(|c| c.info().interfaces > 1);
    match serial.char_indices().last() {
        Some((at, letter)) if multi => match Interface::from_letter(&letter.to_string()) {
            Some(iface) => (serial[..at].to_owned(), Some(iface)),
            None => (serial.to_owned(), None),
        },
        _ => (serial.to_owned(), None),
    }
}

/// Every device D2XX sees (one entry per chip, not per channel).
pub fn list() -> Result<Vec<DeviceInfo>, UsbError> {
    let entries = libftd2xx::list_devices().map_err(|e| failed("enumerate", e))?;
    let mut out: Vec<DeviceInfo> = Vec::new();
    for entry in entries {
        let chip = chip_of(entry.device_type);
        let (serial, _) = split_channel(&entry.serial_number, chip);
        if out
            .iter()
            .any(|d| d.serial.as_deref() == Some(serial.as_str()))
        {
            continue;
        }
        out.push(DeviceInfo {
            vid: entry.vendor_id,
            pid: entry.product_id,
            chip,
            bus_path: format!("d2xx:{serial}"),
            serial: Some(serial),
            product: Some(entry.description),
        });
    }
    Ok(out)
}

/// Opens the device `selector` picks and the D2XX entry of `interface`.
pub fn open(selector: Option<&DeviceSelector>, interface: Interface) -> Result<Ftdi, UsbError> {
    let wanted = selector.map_or_else(|| "any FTDI device".to_owned(), ToString::to_string);
    let mut found: Vec<DeviceInfo> = list()?
        .into_iter()
        .filter(|d| selector.is_none_or(|s| s.matches(d)))
        .collect();
    let info = match found.len() {
        0 => return Err(UsbError::NoDevice { selector: wanted }),
        1 => found.remove(0),
        count => {
            return Err(UsbError::Ambiguous {
                selector: wanted,
                count,
            })
        }
    };
    let serial = info.serial.clone().unwrap_or_default();
    let multi = info.chip.is_some_and(|c| c.info().interfaces > 1);
    let channel_serial = if multi {
        format!("{serial}{interface}")
    } else {
        serial
    };
    let handle = libftd2xx::Ftdi::with_serial_number(&channel_serial).map_err(|e| match e {
        libftd2xx::FtStatus::DEVICE_NOT_OPENED => UsbError::Busy {
            bus_path: info.bus_path.clone(),
            interface,
        },
        other => failed("open", other),
    })?;
    let chip = info.chip.unwrap_or(ChipType::Ft232R);
    Ftdi::new(Box::new(D2xxBackend { handle, chip }), info, interface)
}

struct D2xxBackend {
    handle: libftd2xx::Ftdi,
    chip: ChipType,
}

impl Drop for D2xxBackend {
    fn drop(&mut self) {
        let _ = self.handle.close();
    }
}

fn unsupported(op: &'static str) -> UsbError {
    UsbError::Transfer {
        op,
        source: "vendor request has no D2XX equivalent".into(),
    }
}

impl UsbBackend for D2xxBackend {
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        _data: &[u8],
        _timeout: Duration,
    ) -> Result<(), UsbError> {
        let h = &mut self.handle;
        let result = match (request, value) {
            (0x00, 0) => h.reset(),
            (0x00, 1) => h.purge_rx(),
            (0x00, 2) => h.purge_tx(),
            (0x09, ms) => h.set_latency_timer(Duration::from_millis(u64::from(ms))),
            (0x0B, v) => {
                let mode = match (v >> 8) as u8 {
                    0x00 => D2xxBitMode::Reset,
                    0x01 => D2xxBitMode::AsyncBitbang,
                    0x02 => D2xxBitMode::Mpsse,
                    0x04 => D2xxBitMode::SyncBitbang,
                    _ => return Err(unsupported("set bitmode")),
                };
                h.set_bit_mode((v & 0xFF) as u8, mode)
            }
            (0x03, v) => h.set_baud_rate(BaudDivisor::decode(self.chip, v, index)),
            (0x04, 8) => h.set_data_characteristics(
                libftd2xx::BitsPerWord::Bits8,
                libftd2xx::StopBits::Bits1,
                libftd2xx::Parity::No,
            ),
            (0x02, 0) => h.set_flow_control_none(),
            _ => return Err(unsupported("control out")),
        };
        result.map_err(|e| failed("control out", e))
    }

    fn control_in(
        &mut self,
        request: u8,
        _value: u16,
        _index: u16,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        match request {
            0x0C if !buf.is_empty() => {
                buf[0] = self.handle.bit_mode().map_err(|e| failed("read pins", e))?;
                Ok(1)
            }
            _ => Err(unsupported("control in")),
        }
    }

    fn bulk_out(
        &mut self,
        _endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle.write(data).map_err(|e| failed("bulk out", e))
    }

    fn bulk_in(
        &mut self,
        _endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        let packet = self.chip.max_packet();
        let room = buf.len() / packet * (packet - STATUS.len());
        let deadline = Instant::now() + timeout;
        let available = loop {
            let n = self
                .handle
                .queue_status()
                .map_err(|e| failed("bulk in", e))?;
            if n > 0 || Instant::now() >= deadline {
                break n;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let mut data = vec![0u8; available.min(room)];
        let n = if data.is_empty() {
            0
        } else {
            self.handle
                .read(&mut data)
                .map_err(|e| failed("bulk in", e))?
        };
        // Re-frame as the chip sends it: status bytes at the head of every packet.
        let mut at = 0;
        for chunk in data[..n].chunks(packet - STATUS.len()) {
            buf[at..at + 2].copy_from_slice(&STATUS);
            buf[at + 2..at + 2 + chunk.len()].copy_from_slice(chunk);
            at += 2 + chunk.len();
        }
        if at == 0 && buf.len() >= 2 {
            buf[..2].copy_from_slice(&STATUS);
            at = 2;
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_letters_are_split_from_serials() {
        assert_eq!(
            split_channel("FT4ABCB", Some(ChipType::Ft2232H)),
            ("FT4ABC".to_owned(), Some(Interface::B))
        );
        assert_eq!(
            split_channel("A1B2C3", Some(ChipType::Ft232H)),
            ("A1B2C3".to_owned(), None)
        );
    }
}
