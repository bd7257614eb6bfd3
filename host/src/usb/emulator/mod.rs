//! An emulated FTDI chip under the [`UsbBackend`] seam, for tests and demos.
//!
//! It answers the vendor requests [`Ftdi`] sends, packs bulk IN data into
//! packets that each start with two modem-status bytes, runs the MPSSE
//! opcodes of AN_108 bit by bit against an emulated board on channel A (an
//! iCE40 with SPI flash, or an ECP5 JTAG TAP with SPI flash), and hands a UART
//! channel's bytes to a pluggable [`UartPeer`]. Faults can be injected:
//! unplug after some bytes, short MPSSE answers, a flash that corrupts one
//! byte, a wrong IDCODE.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{BaudDivisor, ChipType, DeviceInfo, Ftdi, Interface, UsbBackend, UsbError, FTDI_VID};

mod ecp5;
mod flash;
mod ice40;

pub use ecp5::{
    check_bitstream as ecp5_check, test_bitstream as ecp5_test_bitstream, Ecp5Board, Ecp5Geometry,
};
pub use flash::SpiFlash;
pub use ice40::{
    check_image as ice40_check, test_image as ice40_test_image, Ice40Board, Ice40Reject,
};

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

/// The other end of an emulated UART channel: the FPGA's `uart_rx`/`uart_tx`.
/// A byte-level loopback is [`Loopback`]; a Verilator model of the board can
/// implement this to sit behind the real FTDI code.
pub trait UartPeer: Send {
    /// The host set the line: `baud` as the programmed divisor really gives.
    fn configure(&mut self, baud: u32) {
        let _ = baud;
    }
    /// Bytes the host transmitted (FTDI TXD, the FPGA's `uart_rx`).
    fn receive(&mut self, bytes: &[u8]);
    /// Up to `max` bytes the peer sends back (the FPGA's `uart_tx`, FTDI RXD).
    /// Called whenever the host polls; a simulation may advance here.
    fn transmit(&mut self, max: usize) -> Vec<u8>;
}

/// A UART peer that sends back every byte it receives.
#[derive(Debug, Default)]
pub struct Loopback {
    queue: VecDeque<u8>,
    /// The baud rate the host configured, once it has.
    pub baud: Option<u32>,
}

impl UartPeer for Loopback {
    fn configure(&mut self, baud: u32) {
        self.baud = Some(baud);
    }
    fn receive(&mut self, bytes: &[u8]) {
        self.queue.extend(bytes);
    }
    fn transmit(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.queue.len());
        self.queue.drain(..n).collect()
    }
}

/// A UART peer that forwards to any [`crate::link::Link`]: the hook that
/// puts a simulated board (the Verilator model's `SimLink`) behind the
/// emulated FTDI, so the real FTDI UART code, the emulated chip and the
/// simulated FPGA are tested together.
///
/// If the host programs a baud rate more than 3 % away from the board's,
/// the peer drops what the host sends, as a real UART would garble it.
pub struct LinkPeer<L> {
    link: L,
    board_baud: u32,
    garbled: bool,
    poll: Duration,
    /// The first error the link returned, if any (the peer then goes quiet).
    pub error: Option<crate::link::LinkError>,
}

impl<L: crate::link::Link> LinkPeer<L> {
    /// Wraps `link`, a board whose UART runs at `board_baud`.
    pub fn new(link: L, board_baud: u32) -> Self {
        LinkPeer {
            link,
            board_baud,
            garbled: false,
            poll: Duration::from_millis(1),
            error: None,
        }
    }
}

impl<L: crate::link::Link> UartPeer for LinkPeer<L> {
    fn configure(&mut self, baud: u32) {
        self.garbled =
            u64::from(baud.abs_diff(self.board_baud)) * 100 > u64::from(self.board_baud) * 3;
    }
    fn receive(&mut self, bytes: &[u8]) {
        if self.garbled || self.error.is_some() {
            return;
        }
        if let Err(err) = self.link.write_all(bytes) {
            self.error = Some(err);
        }
    }
    fn transmit(&mut self, max: usize) -> Vec<u8> {
        if self.error.is_some() || max == 0 {
            return Vec::new();
        }
        let mut buf = vec![0u8; max];
        match self.link.read(&mut buf, self.poll) {
            Ok(n) => buf.truncate(n),
            Err(err) => {
                self.error = Some(err);
                buf.clear();
            }
        }
        buf
    }
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
}

/// Modem status bytes at the head of each bulk IN packet: CTS and DSR set
/// (with the reserved low nibble 0001), transmitter empty (THRE, TEMT).
const MODEM_STATUS: [u8; 2] = [0x31, 0x60];

/// MPSSE engine state of one channel.
#[derive(Debug, Default)]
struct Engine {
    pending: Vec<u8>,
    low_value: u8,
    low_direction: u8,
    loopback: bool,
}

struct Channel {
    claimed: bool,
    kernel_driver: bool,
    bitmode: u8,
    latency_ms: u8,
    to_host: VecDeque<u8>,
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
        let channels = (0..chip.info().interfaces)
            .map(|_| Channel {
                claimed: false,
                kernel_driver: true,
                bitmode: 0,
                latency_ms: 16,
                to_host: VecDeque::new(),
                engine: Engine::default(),
                uart: None,
            })
            .collect();
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
        let emu = Emulator::new(ChipType::Ft231X, board);
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
        let mut chip = self.lock();
        chip.plugged = true;
        chip.unplug_after = None;
        for ch in &mut chip.channels {
            ch.to_host.clear();
            ch.engine = Engine::default();
        }
    }
}

/// One claimed channel of the emulated chip.
struct EmulatorBackend {
    shared: Arc<Mutex<Chip>>,
    interface: Interface,
}

impl EmulatorBackend {
    fn lock(&self) -> MutexGuard<'_, Chip> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for EmulatorBackend {
    fn drop(&mut self) {
        let mut chip = self.lock();
        if let Some(ch) = chip.channels.get_mut(usize::from(self.interface.number())) {
            ch.claimed = false;
            ch.kernel_driver = true;
        }
    }
}

fn gone(op: &'static str) -> UsbError {
    UsbError::Gone { op }
}

fn stall(op: &'static str) -> UsbError {
    UsbError::Transfer {
        op,
        source: "endpoint stalled (request not supported)".into(),
    }
}

impl UsbBackend for EmulatorBackend {
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        index: u16,
        _data: &[u8],
        _timeout: Duration,
    ) -> Result<(), UsbError> {
        let interface = self.interface;
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("control out"));
        }
        chip.log.push(Event::Control {
            interface,
            request,
            value,
        });
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            ..
        } = chip;
        let ch = &mut channels[usize::from(interface.number())];
        if request != 0x03 && index & 0xFF != interface.request_index() {
            return Err(stall("control out"));
        }
        match request {
            0x00 => match value {
                0 => {
                    ch.engine.pending.clear();
                }
                1 | 2 => ch.to_host.clear(),
                _ => return Err(stall("control out")),
            },
            0x09 => ch.latency_ms = (value & 0xFF) as u8,
            0x0B => {
                let mode = (value >> 8) as u8;
                if mode == 0x02 && interface.number() >= kind.info().mpsse_interfaces {
                    return Err(stall("set bitmode"));
                }
                if mode == 0x02 {
                    ch.engine = Engine::default();
                    board.set_pins(0xFF, log);
                }
                ch.bitmode = mode;
            }
            0x03 => {
                let baud = BaudDivisor::decode(kind, value, index);
                if let Some(peer) = ch.uart.as_mut() {
                    peer.configure(baud);
                }
            }
            0x02 | 0x04 | 0x01 => {}
            _ => return Err(stall("control out")),
        }
        Ok(())
    }

    fn control_in(
        &mut self,
        request: u8,
        _value: u16,
        _index: u16,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        let chip = self.lock();
        if !chip.plugged {
            return Err(gone("control in"));
        }
        let ch = &chip.channels[usize::from(interface.number())];
        let answer: Vec<u8> = match request {
            0x0C => vec![pin_levels(&ch.engine, &chip.board)],
            0x05 => MODEM_STATUS.to_vec(),
            _ => return Err(stall("control in")),
        };
        let n = answer.len().min(buf.len());
        buf[..n].copy_from_slice(&answer[..n]);
        Ok(n)
    }

    fn bulk_out(
        &mut self,
        endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        if endpoint != interface.endpoint_out() {
            return Err(stall("bulk out"));
        }
        let mut guard = self.lock();
        let chip = &mut *guard;
        if !chip.plugged {
            return Err(gone("bulk out"));
        }
        let mut data = data;
        let mut unplug_now = false;
        if let Some(left) = chip.unplug_after {
            if data.len() >= left {
                data = &data[..left];
                unplug_now = true;
            } else {
                chip.unplug_after = Some(left - data.len());
            }
        }
        let short = chip.short_reads;
        let kind = chip.chip;
        let Chip {
            channels,
            board,
            log,
            wiring,
            pins,
            ..
        } = chip;
        let ch = &mut channels[usize::from(interface.number())];
        if matches!(ch.bitmode, 0x01 | 0x04) {
            let sync = ch.bitmode == 0x04;
            for &byte in data {
                let read = bitbang(byte, pins, wiring.as_ref(), board, log);
                if sync {
                    ch.to_host.push_back(read);
                }
            }
        } else if ch.bitmode == 0x02 {
            ch.engine.pending.extend(data);
            let answer = run_mpsse(&mut ch.engine, board, log);
            for mut reply in answer {
                if short {
                    reply.pop();
                }
                ch.to_host.extend(reply);
            }
            // A real engine stops at a full read FIFO and the host's write
            // stalls until it times out.
            if ch.to_host.len() > kind.info().rx_buffer {
                return Err(UsbError::Timeout {
                    op: "bulk out",
                    actual: 0,
                    expected: data.len(),
                });
            }
        } else if let Some(peer) = ch.uart.as_mut() {
            peer.receive(data);
        }
        if unplug_now {
            chip.plugged = false;
            chip.unplug_after = None;
            return Err(gone("bulk out"));
        }
        Ok(data.len())
    }

    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let interface = self.interface;
        if endpoint != interface.endpoint_in() {
            return Err(stall("bulk in"));
        }
        let latency;
        {
            let mut guard = self.lock();
            let chip = &mut *guard;
            if !chip.plugged {
                return Err(gone("bulk in"));
            }
            let packet = chip.chip.max_packet();
            let ch = &mut chip.channels[usize::from(interface.number())];
            if let Some(peer) = ch.uart.as_mut() {
                if ch.bitmode != 0x02 {
                    let room = buf.len() / packet * (packet - 2);
                    ch.to_host
                        .extend(peer.transmit(room.saturating_sub(ch.to_host.len())));
                }
            }
            latency = ch.latency_ms;
            if !ch.to_host.is_empty() {
                let mut n = 0;
                while n + packet <= buf.len() && !ch.to_host.is_empty() {
                    let take = ch.to_host.len().min(packet - 2);
                    buf[n..n + 2].copy_from_slice(&MODEM_STATUS);
                    for (slot, byte) in buf[n + 2..n + 2 + take]
                        .iter_mut()
                        .zip(ch.to_host.drain(..take))
                    {
                        *slot = byte;
                    }
                    n += 2 + take;
                    if take < packet - 2 {
                        break;
                    }
                }
                return Ok(n);
            }
        }
        // Nothing to send: like the chip, answer with bare status bytes once
        // the latency timer runs out.
        std::thread::sleep(Duration::from_millis(u64::from(latency.max(1))));
        let n = buf.len().min(2);
        buf[..n].copy_from_slice(&MODEM_STATUS[..n]);
        Ok(n)
    }
}

/// One bit-bang pin byte: returns the pins as they were before it (what
/// synchronous bit-bang mode reads back), then drives it, clocking the board
/// on a rising TCK.
fn bitbang(
    byte: u8,
    pins: &mut u8,
    wiring: Option<&BitbangWiring>,
    board: &mut Board,
    log: &mut Vec<Event>,
) -> u8 {
    let Some(w) = wiring else {
        *pins = byte;
        return byte;
    };
    let tdo = board.inputs() & 0x04 != 0;
    let before = (*pins & !w.tdo) | if tdo { w.tdo } else { 0 };
    let rising = *pins & w.tck == 0 && byte & w.tck != 0;
    *pins = byte;
    // The board's pins in MPSSE order: TCK bit 0, TDI bit 1, TMS bit 3.
    let mapped = u8::from(byte & w.tck != 0)
        | u8::from(byte & w.tdi != 0) << 1
        | u8::from(byte & w.tms != 0) << 3;
    if rising {
        board.clock(mapped, log);
    }
    before
}

fn pin_levels(engine: &Engine, board: &Board) -> u8 {
    (engine.low_value & engine.low_direction) | (board.inputs() & !engine.low_direction)
}

/// Operand bytes that follow each opcode (before any data payload), or
/// `None` for an opcode the engine does not know.
fn operand_len(op: u8) -> Option<usize> {
    Some(match op {
        0x80 | 0x82 | 0x86 | 0x8F => 2,
        0x81 | 0x83 | 0x84 | 0x85 | 0x87 | 0x8A | 0x8B | 0x8C | 0x8D | 0x97 => 0,
        0x8E => 1,
        0x11 | 0x19 | 0x31 | 0x39 | 0x20 | 0x28 => 2,
        0x13 | 0x1B | 0x33 | 0x3B | 0x4B | 0x6B => 2,
        0x22 | 0x2A => 1,
        _ => return None,
    })
}

/// Executes every complete command in the engine's buffer; returns one
/// answer per command that reads.
fn run_mpsse(engine: &mut Engine, board: &mut Board, log: &mut Vec<Event>) -> Vec<Vec<u8>> {
    let mut answers = Vec::new();
    let buf = std::mem::take(&mut engine.pending);
    let mut i = 0;
    while i < buf.len() {
        let op = buf[i];
        let Some(operands) = operand_len(op) else {
            answers.push(vec![0xFA, op]);
            i += 1;
            continue;
        };
        if i + 1 + operands > buf.len() {
            break;
        }
        let args = &buf[i + 1..i + 1 + operands];
        let len16 = || usize::from(args[0]) | usize::from(args[1]) << 8;
        let payload = match op {
            0x11 | 0x19 | 0x31 | 0x39 => len16() + 1,
            _ => 0,
        };
        if i + 1 + operands + payload > buf.len() {
            break;
        }
        let data = &buf[i + 1 + operands..i + 1 + operands + payload];
        i += 1 + operands + payload;
        let lsb = op & 0x08 != 0;
        let reads = op & 0x20 != 0;
        match op {
            0x80 => {
                engine.low_value = args[0];
                engine.low_direction = args[1];
                // Inputs float high.
                board.set_pins(args[0] & args[1] | !args[1], log);
            }
            0x84 | 0x85 => engine.loopback = op == 0x84,
            0x82 | 0x86 | 0x87 | 0x8A | 0x8B | 0x8C | 0x8D | 0x97 => {}
            0x81 => answers.push(vec![pin_levels(engine, board)]),
            0x83 => answers.push(vec![0]),
            0x8E => clock_idle(engine, board, log, usize::from(args[0]) + 1),
            0x8F => clock_idle(engine, board, log, (len16() + 1) * 8),
            0x11 | 0x19 | 0x31 | 0x39 => {
                let mut out = Vec::new();
                for &byte in data {
                    out.push(shift(engine, board, log, byte, 8, lsb));
                }
                if reads {
                    answers.push(out);
                }
            }
            0x20 | 0x28 => {
                let out = (0..len16() + 1)
                    .map(|_| shift(engine, board, log, 0, 8, lsb))
                    .collect();
                answers.push(out);
            }
            0x13 | 0x1B | 0x33 | 0x3B => {
                let value = shift(
                    engine,
                    board,
                    log,
                    args[1],
                    usize::from(args[0] & 7) + 1,
                    lsb,
                );
                if reads {
                    answers.push(vec![value]);
                }
            }
            0x22 | 0x2A => {
                answers.push(vec![shift(
                    engine,
                    board,
                    log,
                    0,
                    usize::from(args[0] & 7) + 1,
                    lsb,
                )]);
            }
            0x4B | 0x6B => {
                let bits = usize::from(args[0] & 7) + 1;
                let tdi = args[1] & 0x80 != 0;
                let mut read = 0u8;
                for k in 0..bits {
                    let tms = args[1] >> k & 1 == 1;
                    set_bit(engine, 1, tdi);
                    set_bit(engine, 3, tms);
                    let tdo = tick(engine, board, log);
                    read = (read >> 1) | (u8::from(tdo) << 7);
                }
                if op == 0x6B {
                    answers.push(vec![read]);
                }
            }
            _ => {}
        }
    }
    engine.pending = buf[i..].to_vec();
    answers
}

fn set_bit(engine: &mut Engine, bit: u8, level: bool) {
    if level {
        engine.low_value |= 1 << bit;
    } else {
        engine.low_value &= !(1 << bit);
    }
}

/// One clock pulse with the current pins; returns the sampled input (pin 2).
fn tick(engine: &mut Engine, board: &mut Board, log: &mut Vec<Event>) -> bool {
    let pins = engine.low_value & engine.low_direction | !engine.low_direction;
    let level = board.clock(pins, log);
    if engine.loopback {
        engine.low_value & 0x02 != 0
    } else {
        level
    }
}

fn clock_idle(engine: &mut Engine, board: &mut Board, log: &mut Vec<Event>, cycles: usize) {
    for _ in 0..cycles {
        tick(engine, board, log);
    }
}

/// Shifts `bits` bits of `value` out on pin 1 and in from pin 2.
fn shift(
    engine: &mut Engine,
    board: &mut Board,
    log: &mut Vec<Event>,
    value: u8,
    bits: usize,
    lsb: bool,
) -> u8 {
    let mut read = 0u8;
    for k in 0..bits {
        let out = if lsb {
            value >> k & 1
        } else {
            value >> (7 - k) & 1
        };
        set_bit(engine, 1, out == 1);
        let input = tick(engine, board, log);
        read = if lsb {
            (read >> 1) | (u8::from(input) << 7)
        } else {
            (read << 1) | u8::from(input)
        };
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_baud_matches_encoder() {
        for chip in [ChipType::Ft232R, ChipType::Ft2232H, ChipType::Ft232H] {
            for baud in [9600, 115_200, 1_000_000, 3_000_000] {
                let d = BaudDivisor::for_chip(chip, Interface::A, baud).unwrap();
                assert_eq!(
                    BaudDivisor::decode(chip, d.value, d.index),
                    d.actual,
                    "{chip} {baud}"
                );
            }
        }
    }

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

    #[test]
    fn every_bulk_packet_has_its_status_bytes_stripped() {
        // A full-speed chip: 64-byte packets, 62 data bytes each.
        let emu = Emulator::new(ChipType::Ft232R, Board::None);
        emu.attach_uart(Interface::A, Box::<Loopback>::default());
        let mut ftdi = emu.open(Interface::A).unwrap();
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        ftdi.write_all(&data).unwrap();
        let mut back = vec![0u8; 300];
        ftdi.read_exact(&mut back, Duration::from_secs(1)).unwrap();
        assert_eq!(back, data);
    }

    /// A byte-level board: answers every byte with its bitwise complement.
    struct Complement(VecDeque<u8>);

    impl crate::link::Link for Complement {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), crate::link::LinkError> {
            self.0.extend(bytes.iter().map(|b| !b));
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, crate::link::LinkError> {
            let n = buf.len().min(self.0.len());
            for (slot, b) in buf.iter_mut().zip(self.0.drain(..n)) {
                *slot = b;
            }
            Ok(n)
        }
        fn name(&self) -> String {
            "complement".into()
        }
    }

    #[test]
    fn a_link_can_stand_behind_the_uart() {
        let emu = Emulator::new(ChipType::Ft2232H, Board::None);
        emu.attach_uart(
            Interface::B,
            Box::new(LinkPeer::new(Complement(VecDeque::new()), 115_200)),
        );
        let mut ftdi = emu.open(Interface::B).unwrap();
        ftdi.set_baud(115_200).unwrap();
        ftdi.write_all(&[0x00, 0x0F, 0xAA]).unwrap();
        let mut back = [0u8; 3];
        ftdi.read_exact(&mut back, Duration::from_secs(1)).unwrap();
        assert_eq!(back, [0xFF, 0xF0, 0x55]);
        // At the wrong baud rate the board hears garbage and stays silent.
        ftdi.set_baud(9600).unwrap();
        ftdi.write_all(&[0x01]).unwrap();
        assert_eq!(ftdi.read(&mut back, Duration::from_millis(20)).unwrap(), 0);
    }

    #[test]
    fn unknown_opcode_is_answered_with_bad_command() {
        let mut engine = Engine::default();
        let mut board = Board::None;
        let mut log = Vec::new();
        engine.pending = vec![0xAA, 0x81];
        let answers = run_mpsse(&mut engine, &mut board, &mut log);
        assert_eq!(answers, vec![vec![0xFA, 0xAA], vec![0x00]]);
    }
}
