//! One opened FTDI channel: vendor requests (AN232B-xx) and bulk data with
//! the modem-status bytes stripped from every packet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{ChipType, DeviceInfo, Interface, UsbBackend, UsbError};

/// Timeout of one control transfer.
const CONTROL_TIMEOUT: Duration = Duration::from_millis(1000);
/// Timeout of one bulk OUT transfer.
const WRITE_TIMEOUT: Duration = Duration::from_millis(2000);
/// Largest bulk OUT transfer handed to the backend at once.
const WRITE_CHUNK: usize = 4096;
/// Most packets asked for per bulk IN transfer.
const READ_PACKETS: usize = 8;
/// Each bulk IN packet starts with two modem-status bytes (AN232B-04).
const STATUS_BYTES: usize = 2;

/// The FTDI bit modes this crate uses (`SIO_SET_BITMODE`, AN232B-xx / AN_108).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BitMode {
    /// Back to the channel's EEPROM-configured mode (UART).
    Reset = 0x00,
    /// Asynchronous bit-bang: written bytes drive the pins.
    AsyncBitbang = 0x01,
    /// Multi-Protocol Synchronous Serial Engine.
    Mpsse = 0x02,
    /// Synchronous bit-bang.
    SyncBitbang = 0x04,
}

/// Pin bytes per second in the bit-bang modes, per baud of the rate the
/// divisor gives in UART mode. The datasheets say only that the baud-rate
/// generator clocks the pins; the pins change at a quarter of that rate (the
/// factor libftdi corrects for when it sets a bit-bang rate).
pub const BITBANG_BYTES_PER_BAUD: f64 = 0.25;

/// The encoded baud-rate divisor of `SIO_SET_BAUDRATE` (AN232B-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaudDivisor {
    /// `wValue`: divisor bits 0..15.
    pub value: u16,
    /// `wIndex`: divisor bits 16..17 (and the channel on multi-channel chips).
    pub index: u16,
    /// The baud rate the chip will actually run at.
    pub actual: u32,
}

/// Sub-integer divisor codes for eighths 0..7 (AN232B-05 §3: 0, 1/8, 1/4, 3/8, 1/2, 5/8, 3/4, 7/8).
const FRACTION_CODE: [u32; 8] = [0, 3, 2, 4, 1, 5, 6, 7];
/// Bit 17 of the encoded divisor selects the H-series 120 MHz / 10 base (no divide-by-5).
const HIGH_SPEED_CLOCK: u32 = 0x2_0000;
/// Largest integer part of the divisor.
const MAX_DIVISOR: u64 = 0x3FFF;

impl BaudDivisor {
    /// The divisor nearest to `baud` on `chip`, or an error when the nearest
    /// reachable rate is more than 3 % off.
    pub fn for_chip(chip: ChipType, interface: Interface, baud: u32) -> Result<Self, UsbError> {
        let info = chip.info();
        let fits = |base: u32| u64::from(base) * 8 / u64::from(baud.max(1)) <= MAX_DIVISOR * 8 + 7;
        let (base, high_speed) = match info.uart_hs_base_hz {
            Some(hs) if baud > 0 && fits(hs) => (hs, true),
            _ => (info.uart_base_hz, false),
        };
        let baud64 = u64::from(baud.max(1));
        let mut eighths = (u64::from(base) * 8 + baud64 / 2) / baud64;
        eighths = eighths.clamp(8, MAX_DIVISOR * 8 + 7);
        // Between 1 and 2 only 1 and 1.5 exist.
        if eighths < 16 {
            eighths = [8, 12, 16]
                .into_iter()
                .min_by_key(|d: &u64| d.abs_diff(eighths))
                .unwrap_or(16);
        }
        let mut encoded = match eighths {
            8 => 0,
            12 => 1,
            _ => (eighths >> 3) as u32 | (FRACTION_CODE[(eighths & 7) as usize] << 14),
        };
        if high_speed {
            encoded |= HIGH_SPEED_CLOCK;
        }
        let actual = ((u64::from(base) * 8 + eighths / 2) / eighths) as u32;
        let per_channel_index = matches!(
            chip,
            ChipType::Ft2232D | ChipType::Ft2232H | ChipType::Ft4232H | ChipType::Ft232H
        );
        let index = if per_channel_index {
            ((encoded >> 8) & 0xFF00) as u16 | interface.request_index()
        } else {
            (encoded >> 16) as u16
        };
        if u64::from(actual.abs_diff(baud)) * 100 > u64::from(baud) * 3 {
            return Err(UsbError::BaudRate {
                chip,
                requested: baud,
                nearest: actual,
            });
        }
        Ok(BaudDivisor {
            value: (encoded & 0xFFFF) as u16,
            index,
            actual,
        })
    }
}

impl BaudDivisor {
    /// The baud rate an encoded divisor (`wValue`, `wIndex`) gives on `chip`:
    /// the inverse of [`BaudDivisor::for_chip`].
    pub fn decode(chip: ChipType, value: u16, index: u16) -> u32 {
        let high = if matches!(
            chip,
            ChipType::Ft2232D | ChipType::Ft2232H | ChipType::Ft4232H | ChipType::Ft232H
        ) {
            u32::from(index >> 8)
        } else {
            u32::from(index)
        };
        let encoded = u32::from(value) | (high << 16);
        let info = chip.info();
        let base = if encoded & HIGH_SPEED_CLOCK != 0 {
            info.uart_hs_base_hz.unwrap_or(info.uart_base_hz)
        } else {
            info.uart_base_hz
        };
        let integer = encoded & 0x3FFF;
        let code = ((encoded >> 14) & 7) as usize;
        let fraction = FRACTION_CODE
            .iter()
            .position(|&c| c as usize == code)
            .unwrap_or(0) as u32;
        let eighths = match (integer, code) {
            (0, 0) => 8,
            (1, 0) => 12,
            _ => integer * 8 + fraction,
        };
        let eighths = u64::from(eighths.max(1));
        ((u64::from(base) * 8 + eighths / 2) / eighths) as u32
    }
}

/// One claimed channel of an FTDI chip over any [`UsbBackend`].
pub struct Ftdi {
    usb: Box<dyn UsbBackend>,
    info: DeviceInfo,
    chip: ChipType,
    interface: Interface,
    pending: VecDeque<u8>,
}

impl std::fmt::Debug for Ftdi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ftdi")
            .field("info", &self.info)
            .field("interface", &self.interface)
            .finish_non_exhaustive()
    }
}

impl Ftdi {
    /// Wraps an opened backend; checks that the chip is known and has `interface`.
    pub fn new(
        usb: Box<dyn UsbBackend>,
        info: DeviceInfo,
        interface: Interface,
    ) -> Result<Self, UsbError> {
        let chip = info.chip.ok_or(UsbError::UnknownChip { bcd_device: 0 })?;
        if interface.number() >= chip.info().interfaces {
            return Err(UsbError::NoInterface { chip, interface });
        }
        Ok(Ftdi {
            usb,
            info,
            chip,
            interface,
            pending: VecDeque::new(),
        })
    }

    /// The chip type.
    pub fn chip(&self) -> ChipType {
        self.chip
    }

    /// The claimed channel.
    pub fn interface(&self) -> Interface {
        self.interface
    }

    /// What enumeration found about the device.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// A short name for logs: `ftdi 1-4 B`.
    pub fn name(&self) -> String {
        format!("ftdi {} {}", self.info.bus_path, self.interface)
    }

    fn request(&mut self, request: u8, value: u16) -> Result<(), UsbError> {
        let index = self.interface.request_index();
        self.usb
            .control_out(request, value, index, &[], CONTROL_TIMEOUT)
    }

    /// Resets the channel (`SIO_RESET`, value 0).
    pub fn reset(&mut self) -> Result<(), UsbError> {
        const SIO_RESET: u8 = 0x00;
        self.request(SIO_RESET, 0)
    }

    /// Empties both of the chip's FIFOs (`SIO_RESET` values 1 and 2) and any
    /// bytes this host still holds.
    pub fn purge(&mut self) -> Result<(), UsbError> {
        const SIO_RESET: u8 = 0x00;
        const PURGE_ONE_FIFO: u16 = 1;
        const PURGE_OTHER_FIFO: u16 = 2;
        self.request(SIO_RESET, PURGE_ONE_FIFO)?;
        self.request(SIO_RESET, PURGE_OTHER_FIFO)?;
        self.pending.clear();
        Ok(())
    }

    /// Sets how long the chip waits before sending a partial packet (1..255 ms).
    pub fn set_latency_timer(&mut self, ms: u8) -> Result<(), UsbError> {
        const SIO_SET_LATENCY_TIMER: u8 = 0x09;
        self.request(SIO_SET_LATENCY_TIMER, u16::from(ms.max(1)))
    }

    /// Selects the bit mode; `mask` sets pin directions in the bit-bang modes.
    pub fn set_bitmode(&mut self, mask: u8, mode: BitMode) -> Result<(), UsbError> {
        const SIO_SET_BITMODE: u8 = 0x0B;
        if mode == BitMode::Mpsse && self.interface.number() >= self.chip.info().mpsse_interfaces {
            return Err(UsbError::NoMpsse {
                chip: self.chip,
                interface: self.interface,
            });
        }
        self.request(
            SIO_SET_BITMODE,
            (u16::from(mode as u8) << 8) | u16::from(mask),
        )
    }

    /// Sets the UART baud rate; returns the rate actually reached.
    pub fn set_baud(&mut self, baud: u32) -> Result<u32, UsbError> {
        const SIO_SET_BAUDRATE: u8 = 0x03;
        let divisor = BaudDivisor::for_chip(self.chip, self.interface, baud)?;
        self.usb.control_out(
            SIO_SET_BAUDRATE,
            divisor.value,
            divisor.index,
            &[],
            CONTROL_TIMEOUT,
        )?;
        Ok(divisor.actual)
    }

    /// 8 data bits, no parity, 1 stop bit (`SIO_SET_DATA`).
    pub fn set_line_8n1(&mut self) -> Result<(), UsbError> {
        const SIO_SET_DATA: u8 = 0x04;
        const EIGHT_NONE_ONE: u16 = 8;
        self.request(SIO_SET_DATA, EIGHT_NONE_ONE)
    }

    /// No hardware or software flow control (`SIO_SET_FLOW_CTRL`).
    pub fn set_flow_none(&mut self) -> Result<(), UsbError> {
        const SIO_SET_FLOW_CTRL: u8 = 0x02;
        self.request(SIO_SET_FLOW_CTRL, 0)
    }

    /// Reads the pins' levels (`SIO_READ_PINS`).
    pub fn read_pins(&mut self) -> Result<u8, UsbError> {
        const SIO_READ_PINS: u8 = 0x0C;
        let mut buf = [0u8; 1];
        let index = self.interface.request_index();
        let n = self
            .usb
            .control_in(SIO_READ_PINS, 0, index, &mut buf, CONTROL_TIMEOUT)?;
        if n != 1 {
            return Err(UsbError::Timeout {
                op: "read pins",
                actual: n,
                expected: 1,
            });
        }
        Ok(buf[0])
    }

    /// Writes every byte to the channel's bulk OUT endpoint.
    pub fn write_all(&mut self, mut data: &[u8]) -> Result<(), UsbError> {
        let endpoint = self.interface.endpoint_out();
        while !data.is_empty() {
            let chunk = &data[..data.len().min(WRITE_CHUNK)];
            let n = self.usb.bulk_out(endpoint, chunk, WRITE_TIMEOUT)?;
            if n == 0 {
                return Err(UsbError::Timeout {
                    op: "bulk out",
                    actual: 0,
                    expected: chunk.len(),
                });
            }
            data = &data[n.min(data.len())..];
        }
        Ok(())
    }

    /// Waits `duration` on the device's timeline (see [`UsbBackend::wait`]).
    pub fn wait(&mut self, duration: Duration) {
        self.usb.wait(duration);
    }

    /// The device's timeline (see [`UsbBackend::now`]).
    pub fn now(&self) -> Duration {
        self.usb.now()
    }

    /// Reads what is available (status bytes stripped), waiting up to
    /// `timeout` for the first byte. `Ok(0)` means nothing came.
    pub fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, UsbError> {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.pending.is_empty() || buf.is_empty() {
                let n = buf.len().min(self.pending.len());
                for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
                    *slot = byte;
                }
                return Ok(n);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            self.fill(buf.len(), left.max(Duration::from_millis(1)))?;
            if self.pending.is_empty() && Instant::now() >= deadline {
                return Ok(0);
            }
        }
    }

    /// Reads exactly `buf.len()` bytes or fails with [`UsbError::Timeout`].
    pub fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), UsbError> {
        let deadline = Instant::now() + timeout;
        let mut got = 0;
        while got < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = self.read(&mut buf[got..], left)?;
            got += n;
            if n == 0 && Instant::now() >= deadline {
                return Err(UsbError::Timeout {
                    op: "bulk in",
                    actual: got,
                    expected: buf.len(),
                });
            }
        }
        Ok(())
    }

    /// One bulk IN transfer sized to `want` data bytes (at most
    /// [`READ_PACKETS`] packets); every packet's two status bytes are dropped.
    /// A transfer of exactly the packets the data fills ends on its last full
    /// packet, without waiting for the chip's latency timer.
    fn fill(&mut self, want: usize, timeout: Duration) -> Result<(), UsbError> {
        let packet = self.chip.max_packet();
        let packets = want.div_ceil(packet - STATUS_BYTES).clamp(1, READ_PACKETS);
        let mut raw = vec![0u8; packet * packets];
        let endpoint = self.interface.endpoint_in();
        let n = match self.usb.bulk_in(endpoint, &mut raw, timeout) {
            Ok(n) => n,
            Err(UsbError::Timeout { .. }) => 0,
            Err(err) => return Err(err),
        };
        for chunk in raw[..n.min(raw.len())].chunks(packet) {
            if chunk.len() > STATUS_BYTES {
                self.pending.extend(&chunk[STATUS_BYTES..]);
            }
        }
        if n == 0 {
            // Nothing at all (not even status bytes) came back: do not spin.
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    }

    /// Gives the channel back (releases the interface and re-attaches the kernel driver).
    pub fn close(self) {
        drop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn divisor(chip: ChipType, interface: Interface, baud: u32) -> (u16, u16, u32) {
        let d = BaudDivisor::for_chip(chip, interface, baud).unwrap();
        (d.value, d.index, d.actual)
    }

    #[test]
    fn full_speed_divisors_follow_an232b_05() {
        // 3 MHz / 115200 = 26.04 -> 26, no fraction.
        assert_eq!(
            divisor(ChipType::Ft232R, Interface::A, 115_200),
            (0x001A, 0, 115_385)
        );
        // 3 MHz / 9600 = 312.5 -> 312 + code 1 (1/2) in bits 14..16.
        assert_eq!(
            divisor(ChipType::Ft232R, Interface::A, 9600),
            (0x4138, 0, 9600)
        );
        // The two special encodings: 0 = 3 MBd, 1 = 2 MBd.
        assert_eq!(
            divisor(ChipType::Ft231X, Interface::A, 3_000_000),
            (0, 0, 3_000_000)
        );
        assert_eq!(
            divisor(ChipType::Ft231X, Interface::A, 2_000_000),
            (1, 0, 2_000_000)
        );
        // The FT2232D puts the channel in wIndex.
        assert_eq!(
            divisor(ChipType::Ft2232D, Interface::B, 115_200),
            (0x001A, 0x0002, 115_385)
        );
    }

    #[test]
    fn high_speed_divisors_use_the_12_mhz_base() {
        // 12 MHz / 115200 = 104.17 -> 104 + 1/8 (code 3), bit 17 set -> index high byte 0x02.
        assert_eq!(
            divisor(ChipType::Ft2232H, Interface::A, 115_200),
            (0xC068, 0x0201, 115_246)
        );
        assert_eq!(
            divisor(ChipType::Ft2232H, Interface::B, 3_000_000),
            (0x0004, 0x0202, 3_000_000)
        );
        assert_eq!(
            divisor(ChipType::Ft232H, Interface::A, 12_000_000),
            (0, 0x0201, 12_000_000)
        );
        // Below ~733 Bd the 12 MHz base overflows the divisor: fall back to 3 MHz.
        assert_eq!(
            divisor(ChipType::Ft2232H, Interface::A, 300),
            (0x2710, 0x0001, 300)
        );
    }

    #[test]
    fn unreachable_rates_are_refused() {
        let err = BaudDivisor::for_chip(ChipType::Ft232R, Interface::A, 2_500_000).unwrap_err();
        assert!(matches!(
            err,
            UsbError::BaudRate {
                requested: 2_500_000,
                ..
            }
        ));
        assert!(BaudDivisor::for_chip(ChipType::Ft232R, Interface::A, 10_000_000).is_err());
    }
}
