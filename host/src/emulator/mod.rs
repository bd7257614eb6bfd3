//! An emulated FTDI chip under the [`UsbBackend`](crate::usb::UsbBackend)
//! seam: a test double for the crate's tests, the cross-component tests and
//! the programming benchmark, built only with the cargo feature `emulator`.
//!
//! One job per file: `backend.rs` answers the vendor requests and bulk
//! transfers [`Ftdi`] sends (packets with their modem-status bytes, bit-bang
//! pins); `engine.rs` runs the MPSSE opcodes of AN_108 bit by bit; `uart.rs`
//! holds the peers a UART channel can talk to; `flash.rs`, `ice40.rs` and
//! `ecp5.rs` model the boards on channel A (an SPI flash, the iCE40 SPI
//! configuration port, the ECP5 JTAG TAP and configuration engine). Faults
//! can be injected: unplug after some bytes, short MPSSE answers, a flash
//! that corrupts one byte or runs slow, a wrong IDCODE.
//!
//! Beside the chip, [`stratum`] is a local Stratum v1 pool with faults on
//! demand, for the pool client's and the miner's tests.
//!
//! The chip counts what a real link would carry ([`Stats`]) and keeps time
//! as real USB would take it ([`timing`]), so the flash's busy times pass as
//! on a board and `make bench-program` can estimate programming times.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::usb::{ChipType, DeviceInfo, Ftdi, Interface, UsbError, FTDI_VID};

mod backend;
mod ecp5;
mod engine;
mod flash;
mod ice40;
mod stats;
pub mod stratum;
pub mod timing;
mod uart;

use backend::EmulatorBackend;
pub use ecp5::{
    check_bitstream as ecp5_check, test_bitstream as ecp5_test_bitstream, Ecp5Board, Ecp5Geometry,
};
use engine::Engine;
pub use flash::SpiFlash;
pub use ice40::{
    check_image as ice40_check, test_image as ice40_test_image, Ice40Board, Ice40Reject,
};
pub use stats::Stats;
use timing::{Clock, UsbTiming, FULL_SPEED, HIGH_SPEED};
pub use uart::{LinkPeer, Loopback, UartPeer};

/// What the emulated chip saw, in order, for tests to assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A vendor control request.
    Control {
        /// Channel.
        interface: Interface,
        /// `bRequest`.
        request: u8,
        /// `wValue`.
        value: u16,
    },
    /// First byte of an SPI flash command.
    FlashCommand(u8),
    /// A page program executed at this address.
    FlashProgram {
        /// Start address.
        address: u32,
    },
    /// An erase executed.
    FlashErase {
        /// First byte erased.
        address: u32,
        /// Bytes erased.
        size: u32,
    },
    /// An ECP5 JTAG instruction was loaded (Update-IR).
    JtagInstruction(u8),
    /// The iCE40 went into reset (CRESET_B low).
    Ice40Reset,
    /// The iCE40 entered SPI slave configuration.
    Ice40ConfigStart,
    /// The iCE40 accepted an image and raised CDONE.
    Ice40Done,
}

/// The board wired to channel A's MPSSE pins.
#[derive(Debug)]
pub enum Board {
    /// Nothing connected.
    None,
    /// An iCE40 with its SPI flash.
    Ice40(Ice40Board),
    /// An ECP5 with its SPI flash.
    Ecp5(Ecp5Board),
}

impl Board {
    fn set_pins(&mut self, value: u8, log: &mut Vec<Event>) {
        match self {
            Board::None => {}
            Board::Ice40(b) => b.set_pins(value, log),
            Board::Ecp5(b) => b.set_pins(value, log),
        }
    }
    fn clock(&mut self, value: u8, log: &mut Vec<Event>) -> bool {
        match self {
            Board::None => false,
            Board::Ice40(b) => b.clock(value, log),
            Board::Ecp5(b) => b.clock(value, log),
        }
    }
    fn inputs(&self) -> u8 {
        match self {
            Board::None => 0,
            Board::Ice40(b) => b.inputs(),
            Board::Ecp5(b) => b.inputs(),
        }
    }
    fn set_clock(&mut self, clock: &Clock) {
        match self {
            Board::None => {}
            Board::Ice40(b) => b.set_clock(clock),
            Board::Ecp5(b) => b.set_clock(clock),
        }
    }
    fn flash_busy(&self) -> Duration {
        match self {
            Board::None => Duration::ZERO,
            Board::Ice40(b) => b.flash.busy_total(),
            Board::Ecp5(b) => b.flash.busy_total(),
        }
    }
}

/// How a board's JTAG pins sit on a chip's bit-bang pins (masks of the pin
/// byte), for chips without MPSSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitbangWiring {
    /// Test clock.
    pub tck: u8,
    /// Test mode select.
    pub tms: u8,
    /// Test data in.
    pub tdi: u8,
    /// Test data out.
    pub tdo: u8,
}

impl From<crate::program::BitbangPins> for BitbangWiring {
    /// The wiring the host's bit-bang JTAG port drives.
    fn from(pins: crate::program::BitbangPins) -> Self {
        BitbangWiring {
            tck: pins.tck,
            tms: pins.tms,
            tdi: pins.tdi,
            tdo: pins.tdo,
        }
    }
}

/// Faults to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device disappears once this many more bulk OUT bytes have been sent.
    UnplugAfter(usize),
    /// Every MPSSE answer loses its last byte.
    ShortReads,
    /// Programming this flash address stores a flipped bit.
    FlashCorruptAt(u32),
    /// The ECP5 TAP reports this IDCODE.
    WrongIdcode(u32),
    /// The flash takes this many times its typical busy times (8: about the
    /// datasheet's maximum page program time).
    SlowFlash(u32),
}

struct Channel {
    claimed: bool,
    kernel_driver: bool,
    bitmode: u8,
    latency_ms: u8,
    /// The rate the baud divisor gives in UART mode (bit-bang runs at a fraction of it).
    baud: u32,
    to_host: VecDeque<u8>,
    /// The host wrote since it last read: its next read is a round trip.
    awaiting_answer: bool,
    engine: Engine,
    uart: Option<Box<dyn UartPeer>>,
}

struct Chip {
    info: DeviceInfo,
    chip: ChipType,
    plugged: bool,
    channels: Vec<Channel>,
    board: Board,
    log: Vec<Event>,
    unplug_after: Option<usize>,
    short_reads: bool,
    wiring: Option<BitbangWiring>,
    pins: u8,
    /// The chip's timeline: its engine, pins and boards run on it.
    clock: Clock,
    /// The host's timeline: transfers end and waits pass on it. The chip
    /// may run ahead of it (bytes still in its FIFO) or idle behind it.
    host: Duration,
    timing: UsbTiming,
    stats: Stats,
    /// Model time and flash busy time when the counts were last reset.
    stats_since: (Duration, Duration),
}

impl Chip {
    /// The chip idles until `t` if it is behind it.
    fn catch_up(&mut self, t: Duration) {
        let now = self.clock.now();
        if t > now {
            self.clock.advance(t - now);
        }
    }

    /// Model time: the later of the two timelines.
    fn now(&self) -> Duration {
        self.clock.now().max(self.host)
    }
}

/// An emulated FTDI chip. Clones share the same chip.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Mutex<Chip>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").finish_non_exhaustive()
    }
}

/// IDCODE and geometry of the ECP5 dies the emulator can stand in for.
pub const ECP5_25F: Ecp5Geometry = Ecp5Geometry {
    frames: 7562,
    frame_bytes: 74,
};

impl Emulator {
    /// A chip of type `chip` with `board` on channel A; the kernel driver is
    /// bound to every channel, as after plugging in.
    pub fn new(chip: ChipType, board: Board) -> Self {
        let pid = match chip {
            ChipType::Ft232R => 0x6001,
            ChipType::Ft2232D | ChipType::Ft2232H => 0x6010,
            ChipType::Ft4232H => 0x6011,
            ChipType::Ft232H => 0x6014,
            ChipType::Ft231X => 0x6015,
        };
        let clock = Clock::default();
        let mut board = board;
        board.set_clock(&clock);
        let channels = (0..chip.info().interfaces)
            .map(|_| Channel {
                claimed: false,
                kernel_driver: true,
                bitmode: 0,
                latency_ms: 16,
                baud: 9600,
                to_host: VecDeque::new(),
                awaiting_answer: false,
                engine: Engine::new(chip, clock.clone()),
                uart: None,
            })
            .collect();
        let timing = if chip.info().high_speed {
            HIGH_SPEED
        } else {
            FULL_SPEED
        };
        Emulator {
            shared: Arc::new(Mutex::new(Chip {
                info: DeviceInfo {
                    vid: FTDI_VID,
                    pid,
                    chip: Some(chip),
                    serial: Some("EMU0001".into()),
                    product: Some("Amber emulated FTDI".into()),
                    bus_path: "0-1".into(),
                },
                chip,
                plugged: true,
                channels,
                board,
                log: Vec::new(),
                unplug_after: None,
                short_reads: false,
                wiring: None,
                pins: 0xFF,
                clock,
                host: Duration::ZERO,
                timing,
                stats: Stats::default(),
                stats_since: (Duration::ZERO, Duration::ZERO),
            })),
        }
    }

    /// An FT2232H with an iCE40 UP5K (104090-byte images) and a 16 MiB
    /// W25Q128-style flash (left in deep power-down) on channel A.
    pub fn ice40_up5k() -> Self {
        let flash = SpiFlash::new(16 << 20, [0xEF, 0x40, 0x18], true);
        Emulator::new(
            ChipType::Ft2232H,
            Board::Ice40(Ice40Board::new(104_090, flash)),
        )
    }

    /// An FT2232H with an ECP5 of `idcode` and `geometry` and a 16 MiB flash on channel A.
    pub fn ecp5(idcode: u32, geometry: Ecp5Geometry) -> Self {
        let flash = SpiFlash::new(16 << 20, [0xEF, 0x40, 0x18], false);
        Emulator::new(
            ChipType::Ft2232H,
            Board::Ecp5(Ecp5Board::new(idcode, geometry, flash)),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Chip> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An FT231X with an ECP5 on its bit-bang pins wired as `wiring` (the
    /// ULX3S way: one channel for JTAG bit-bang and the UART).
    pub fn ecp5_bitbang(idcode: u32, geometry: Ecp5Geometry, wiring: BitbangWiring) -> Self {
        let flash = SpiFlash::new(16 << 20, [0xEF, 0x40, 0x18], false);
        let board = Board::Ecp5(Ecp5Board::new(idcode, geometry, flash));
        Emulator::bitbang(ChipType::Ft231X, board, wiring)
    }

    /// A `chip` with `board`'s JTAG pins on its bit-bang pins, wired as `wiring`.
    pub fn bitbang(chip: ChipType, board: Board, wiring: BitbangWiring) -> Self {
        let emu = Emulator::new(chip, board);
        emu.lock().wiring = Some(wiring);
        emu
    }

    /// Connects a UART peer to `interface`.
    pub fn attach_uart(&self, interface: Interface, peer: Box<dyn UartPeer>) {
        if let Some(ch) = self
            .lock()
            .channels
            .get_mut(usize::from(interface.number()))
        {
            ch.uart = Some(peer);
        }
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        let mut chip = self.lock();
        match fault {
            Fault::UnplugAfter(bytes) => chip.unplug_after = Some(bytes),
            Fault::ShortReads => chip.short_reads = true,
            Fault::FlashCorruptAt(at) => match &mut chip.board {
                Board::Ice40(b) => b.flash.corrupt_at = Some(at),
                Board::Ecp5(b) => b.flash.corrupt_at = Some(at),
                Board::None => {}
            },
            Fault::WrongIdcode(id) => {
                if let Board::Ecp5(b) = &mut chip.board {
                    b.set_idcode(id);
                }
            }
            Fault::SlowFlash(factor) => match &mut chip.board {
                Board::Ice40(b) => b.flash.slow_down = factor,
                Board::Ecp5(b) => b.flash.slow_down = factor,
                Board::None => {}
            },
        }
    }

    /// What enumeration reports (empty once unplugged).
    pub fn list(&self) -> Vec<DeviceInfo> {
        let chip = self.lock();
        if chip.plugged {
            vec![chip.info.clone()]
        } else {
            Vec::new()
        }
    }

    /// Claims `interface` (detaching the kernel driver from it only) and
    /// returns the FTDI layer on top.
    pub fn open(&self, interface: Interface) -> Result<Ftdi, UsbError> {
        let info = {
            let mut chip = self.lock();
            if !chip.plugged {
                return Err(UsbError::NoDevice {
                    selector: chip.info.bus_path.clone(),
                });
            }
            let bus_path = chip.info.bus_path.clone();
            let kind = chip.chip;
            let ch = chip
                .channels
                .get_mut(usize::from(interface.number()))
                .ok_or(UsbError::NoInterface {
                    chip: kind,
                    interface,
                })?;
            if ch.claimed {
                return Err(UsbError::Busy {
                    bus_path,
                    interface,
                });
            }
            ch.claimed = true;
            ch.kernel_driver = false;
            chip.info.clone()
        };
        let backend = EmulatorBackend {
            shared: Arc::clone(&self.shared),
            interface,
        };
        Ftdi::new(Box::new(backend), info, interface)
    }

    /// Is `interface` claimed by a host right now?
    pub fn claimed(&self, interface: Interface) -> bool {
        self.lock()
            .channels
            .get(usize::from(interface.number()))
            .is_some_and(|c| c.claimed)
    }

    /// Is the kernel driver bound to `interface`?
    pub fn kernel_driver_attached(&self, interface: Interface) -> bool {
        self.lock()
            .channels
            .get(usize::from(interface.number()))
            .is_some_and(|c| c.kernel_driver)
    }

    /// Everything seen so far.
    pub fn events(&self) -> Vec<Event> {
        self.lock().log.clone()
    }

    /// Forgets the event log.
    pub fn clear_events(&self) {
        self.lock().log.clear();
    }

    /// Runs `f` on the board (inspection or setup).
    pub fn with_board<R>(&self, f: impl FnOnce(&mut Board) -> R) -> R {
        f(&mut self.lock().board)
    }

    /// Plugs the device back in (after an unplug fault).
    pub fn replug(&self) {
        let mut guard = self.lock();
        let chip = &mut *guard;
        chip.plugged = true;
        chip.unplug_after = None;
        for ch in &mut chip.channels {
            ch.to_host.clear();
            ch.engine = Engine::new(chip.chip, chip.clock.clone());
        }
    }

    /// What the chip carried since it was made or [`Emulator::reset_stats`],
    /// and the model time that took (see [`timing`]).
    pub fn stats(&self) -> Stats {
        let chip = self.lock();
        let (clock_since, busy_since) = chip.stats_since;
        Stats {
            flash_busy: chip.board.flash_busy().saturating_sub(busy_since),
            elapsed: chip.now().saturating_sub(clock_since),
            ..chip.stats
        }
    }

    /// Starts counting afresh (the model clock keeps running).
    pub fn reset_stats(&self) {
        let mut chip = self.lock();
        let Stats {
            clock_hz,
            bitbang_rate,
            ..
        } = chip.stats;
        chip.stats = Stats {
            clock_hz,
            bitbang_rate,
            ..Stats::default()
        };
        chip.stats_since = (chip.now(), chip.board.flash_busy());
    }

    /// The model clock: what the transfers, clocks and waits so far would
    /// have taken on real USB.
    pub fn now(&self) -> Duration {
        self.lock().now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_and_release_track_the_kernel_driver() {
        let emu = Emulator::new(ChipType::Ft2232H, Board::None);
        let ftdi = emu.open(Interface::B).unwrap();
        assert!(emu.claimed(Interface::B));
        assert!(!emu.kernel_driver_attached(Interface::B));
        assert!(
            emu.kernel_driver_attached(Interface::A),
            "only the used interface is detached"
        );
        assert!(matches!(emu.open(Interface::B), Err(UsbError::Busy { .. })));
        drop(ftdi);
        assert!(!emu.claimed(Interface::B));
        assert!(emu.kernel_driver_attached(Interface::B));
    }
}
