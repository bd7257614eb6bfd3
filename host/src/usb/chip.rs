//! FTDI chip facts, one row per chip type (from each chip's datasheet).

use std::fmt;

/// FTDI's USB vendor ID.
pub const FTDI_VID: u16 = 0x0403;

/// FTDI's default product IDs: FT232R/FT245R (0x6001), FT2232C/D/H (0x6010),
/// FT4232H (0x6011), FT232H (0x6014), FT-X series incl. FT231X (0x6015).
pub const FTDI_PIDS: [u16; 5] = [0x6001, 0x6010, 0x6011, 0x6014, 0x6015];

/// An FTDI chip family member, told apart by the device descriptor's `bcdDevice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChipType {
    /// FT232R: full-speed single UART, no MPSSE.
    Ft232R,
    /// FT231X (FT-X series): full-speed single UART, no MPSSE.
    Ft231X,
    /// FT2232D: full-speed dual channel, MPSSE on both channels at 6 MHz max.
    Ft2232D,
    /// FT2232H: high-speed dual channel, MPSSE on both, 30 MHz max.
    Ft2232H,
    /// FT4232H: high-speed quad channel, MPSSE on A and B.
    Ft4232H,
    /// FT232H: high-speed single channel with MPSSE.
    Ft232H,
}

/// What the host needs to know about one chip type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipInfo {
    /// The chip.
    pub chip: ChipType,
    /// The part name as printed on the package.
    pub name: &'static str,
    /// The device descriptor's `bcdDevice` release number for this chip.
    pub bcd_device: u16,
    /// Number of channels (interfaces A, B, ...).
    pub interfaces: u8,
    /// How many channels, counted from A, have an MPSSE engine.
    pub mpsse_interfaces: u8,
    /// High-speed USB (480 Mbit/s): bulk packets of 512 bytes; else 64.
    pub high_speed: bool,
    /// Chip-to-host FIFO per channel, bytes: the most one MPSSE batch may ask to read.
    pub rx_buffer: usize,
    /// UART baud base clock, Hz (48 MHz / 16 = 3 MHz on every chip).
    pub uart_base_hz: u32,
    /// H-series high-speed baud clock, Hz (120 MHz / 10), if present.
    pub uart_hs_base_hz: Option<u32>,
    /// MPSSE master clock with divide-by-5 off, Hz (60 MHz on H series; 12 MHz on FT2232D).
    pub mpsse_base_hz: u32,
}

/// Every chip type Amber knows, with its datasheet facts.
pub static CHIPS: [ChipInfo; 6] = [
    ChipInfo {
        chip: ChipType::Ft232R,
        name: "FT232R",
        bcd_device: 0x0600,
        interfaces: 1,
        mpsse_interfaces: 0,
        high_speed: false,
        rx_buffer: 256,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: None,
        mpsse_base_hz: 0,
    },
    ChipInfo {
        chip: ChipType::Ft231X,
        name: "FT231X",
        bcd_device: 0x1000,
        interfaces: 1,
        mpsse_interfaces: 0,
        high_speed: false,
        rx_buffer: 512,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: None,
        mpsse_base_hz: 0,
    },
    ChipInfo {
        chip: ChipType::Ft2232D,
        name: "FT2232D",
        bcd_device: 0x0500,
        interfaces: 2,
        mpsse_interfaces: 2,
        high_speed: false,
        rx_buffer: 384,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: None,
        mpsse_base_hz: 12_000_000,
    },
    ChipInfo {
        chip: ChipType::Ft2232H,
        name: "FT2232H",
        bcd_device: 0x0700,
        interfaces: 2,
        mpsse_interfaces: 2,
        high_speed: true,
        rx_buffer: 4096,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: Some(12_000_000),
        mpsse_base_hz: 60_000_000,
    },
    ChipInfo {
        chip: ChipType::Ft4232H,
        name: "FT4232H",
        bcd_device: 0x0800,
        interfaces: 4,
        mpsse_interfaces: 2,
        high_speed: true,
        rx_buffer: 2048,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: Some(12_000_000),
        mpsse_base_hz: 60_000_000,
    },
    ChipInfo {
        chip: ChipType::Ft232H,
        name: "FT232H",
        bcd_device: 0x0900,
        interfaces: 1,
        mpsse_interfaces: 1,
        high_speed: true,
        rx_buffer: 1024,
        uart_base_hz: 3_000_000,
        uart_hs_base_hz: Some(12_000_000),
        mpsse_base_hz: 60_000_000,
    },
];

impl ChipType {
    /// The chip with this descriptor release number, if known.
    pub fn from_bcd_device(bcd_device: u16) -> Option<ChipType> {
        CHIPS
            .iter()
            .find(|info| info.bcd_device == bcd_device)
            .map(|info| info.chip)
    }

    /// This chip's row of [`CHIPS`].
    pub fn info(self) -> &'static ChipInfo {
        // Every variant has exactly one row; the table test checks it.
        match CHIPS.iter().find(|info| info.chip == self) {
            Some(info) => info,
            None => &CHIPS[0],
        }
    }

    /// Bulk packet size: 512 on high-speed chips, 64 on full-speed ones.
    pub fn max_packet(self) -> usize {
        if self.info().high_speed {
            512
        } else {
            64
        }
    }
}

impl fmt::Display for ChipType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chip_has_one_row_and_unique_release() {
        for info in &CHIPS {
            assert_eq!(CHIPS.iter().filter(|i| i.chip == info.chip).count(), 1);
            assert_eq!(ChipType::from_bcd_device(info.bcd_device), Some(info.chip));
            assert_eq!(info.chip.info(), info);
        }
        assert_eq!(ChipType::from_bcd_device(0x0200), None);
    }

    #[test]
    fn packet_sizes() {
        assert_eq!(ChipType::Ft2232H.max_packet(), 512);
        assert_eq!(ChipType::Ft232H.max_packet(), 512);
        assert_eq!(ChipType::Ft232R.max_packet(), 64);
        assert_eq!(ChipType::Ft231X.max_packet(), 64);
    }
}
