//! An emulated SPI NOR flash in the style of the Winbond W25Q128JV: JEDEC ID,
//! deep power-down, write-enable latch rules, page program within a 256-byte
//! page, 4K/32K/64K/chip erase, and a busy time for each operation, counted
//! on the emulator's model clock.

use std::time::Duration;

use super::timing::Clock;
use super::Event;

/// Busy times: the W25Q128JV datasheet's typical values (AC electrical
/// characteristics: tPP, tSE, tBE1, tBE2, tCE).
const PAGE_PROGRAM: Duration = Duration::from_micros(400);
const ERASE_4K: Duration = Duration::from_millis(45);
const ERASE_32K: Duration = Duration::from_millis(120);
const ERASE_64K: Duration = Duration::from_millis(150);
const ERASE_CHIP: Duration = Duration::from_secs(40);

/// Status register 1: busy and write-enable latch.
const STATUS_BUSY: u8 = 0x01;
const STATUS_WEL: u8 = 0x02;

/// The emulated flash's state.
#[derive(Debug)]
pub struct SpiFlash {
    memory: Vec<u8>,
    jedec: [u8; 3],
    powered_down: bool,
    wel: bool,
    clock: Clock,
    busy_until: Option<Duration>,
    busy_total: Duration,
    selected: bool,
    /// Bytes of the current command (while selected).
    command: Vec<u8>,
    /// Bit assembly of the incoming byte and the outgoing byte.
    in_byte: u8,
    in_bits: u8,
    out_byte: u8,
    /// Programming this address stores a flipped bit (fault injection).
    pub corrupt_at: Option<u32>,
    /// Every busy time is this many times the typical one (fault injection).
    pub slow_down: u32,
}

impl SpiFlash {
    /// An erased flash of `size` bytes with a JEDEC ID, starting in deep
    /// power-down when `powered_down` (as a configured FPGA may leave it).
    pub fn new(size: usize, jedec: [u8; 3], powered_down: bool) -> Self {
        SpiFlash {
            memory: vec![0xFF; size],
            jedec,
            powered_down,
            wel: false,
            clock: Clock::default(),
            busy_until: None,
            busy_total: Duration::ZERO,
            selected: false,
            command: Vec::new(),
            in_byte: 0,
            in_bits: 0,
            out_byte: 0xFF,
            corrupt_at: None,
            slow_down: 1,
        }
    }

    /// Keeps time on `clock` (the emulator's).
    pub(super) fn set_clock(&mut self, clock: &Clock) {
        self.clock = clock.clone();
    }

    /// Busy time of every operation started so far.
    pub fn busy_total(&self) -> Duration {
        self.busy_total
    }

    /// The memory contents.
    pub fn memory(&self) -> &[u8] {
        &self.memory
    }

    /// Writes memory directly (test setup).
    pub fn preload(&mut self, address: usize, data: &[u8]) {
        if let Some(slot) = self.memory.get_mut(address..address + data.len()) {
            slot.copy_from_slice(data);
        }
    }

    fn busy(&mut self) -> bool {
        match self.busy_until {
            Some(until) if self.clock.now() < until => true,
            _ => {
                self.busy_until = None;
                false
            }
        }
    }

    fn status(&mut self) -> u8 {
        let mut s = 0;
        if self.busy() {
            s |= STATUS_BUSY;
        }
        if self.wel {
            s |= STATUS_WEL;
        }
        s
    }

    /// Chip select asserted (falling edge).
    pub fn select(&mut self) {
        self.selected = true;
        self.command.clear();
        self.in_bits = 0;
        self.out_byte = 0xFF;
    }

    /// Chip select released: erase and program commands execute now.
    pub fn deselect(&mut self, log: &mut Vec<Event>) {
        if !self.selected {
            return;
        }
        self.selected = false;
        let cmd = std::mem::take(&mut self.command);
        let Some(&op) = cmd.first() else { return };
        if self.powered_down {
            if op == 0xAB {
                self.powered_down = false;
            }
            return;
        }
        if self.busy() {
            return;
        }
        let address = |c: &[u8]| -> usize {
            c.get(1..4)
                .map(|a| usize::from(a[0]) << 16 | usize::from(a[1]) << 8 | usize::from(a[2]))
                .unwrap_or(0)
        };
        match op {
            0x06 if cmd.len() == 1 => self.wel = true,
            0x04 if cmd.len() == 1 => self.wel = false,
            0xB9 if cmd.len() == 1 => self.powered_down = true,
            0x02 if self.wel && cmd.len() > 4 => {
                let start = address(&cmd);
                let page = start & !0xFF;
                for (i, &byte) in cmd[4..].iter().take(256).enumerate() {
                    let at = page | ((start + i) & 0xFF);
                    if let Some(cell) = self.memory.get_mut(at) {
                        *cell &= byte;
                        if self.corrupt_at == Some(at as u32) {
                            *cell ^= 0x01;
                        }
                    }
                }
                log.push(Event::FlashProgram {
                    address: start as u32,
                });
                self.finish(PAGE_PROGRAM);
            }
            0x20 | 0x52 | 0xD8 if self.wel && cmd.len() == 4 => {
                let (size, time) = match op {
                    0x20 => (4096, ERASE_4K),
                    0x52 => (32768, ERASE_32K),
                    _ => (65536, ERASE_64K),
                };
                let start = address(&cmd) & !(size - 1);
                let end = (start + size).min(self.memory.len());
                if start < end {
                    self.memory[start..end].fill(0xFF);
                }
                log.push(Event::FlashErase {
                    address: start as u32,
                    size: size as u32,
                });
                self.finish(time);
            }
            0xC7 | 0x60 if self.wel && cmd.len() == 1 => {
                self.memory.fill(0xFF);
                log.push(Event::FlashErase {
                    address: 0,
                    size: self.memory.len() as u32,
                });
                self.finish(ERASE_CHIP);
            }
            _ => {}
        }
    }

    fn finish(&mut self, time: Duration) {
        let time = time * self.slow_down.max(1);
        self.wel = false;
        self.busy_until = Some(self.clock.now() + time);
        self.busy_total += time;
    }

    /// The level the flash drives on MISO now (high when not selected).
    pub fn miso(&self) -> bool {
        !self.selected || self.out_byte & 0x80 != 0
    }

    /// One SCK rising edge while selected: samples `mosi`, returns MISO.
    pub fn clock(&mut self, mosi: bool, log: &mut Vec<Event>) -> bool {
        if !self.selected {
            return true;
        }
        let miso = self.out_byte & 0x80 != 0;
        self.out_byte <<= 1;
        self.in_byte = (self.in_byte << 1) | u8::from(mosi);
        self.in_bits += 1;
        if self.in_bits == 8 {
            self.in_bits = 0;
            let byte = self.in_byte;
            self.command.push(byte);
            if self.command.len() == 1 {
                log.push(Event::FlashCommand(byte));
            }
            self.out_byte = self.next_out();
        }
        miso
    }

    /// The byte the flash drives during the next eight clocks.
    fn next_out(&mut self) -> u8 {
        let status = self.status();
        let busy = status & STATUS_BUSY != 0;
        let cmd = &self.command;
        let n = cmd.len();
        let op = cmd[0];
        if self.powered_down {
            // Only the release command answers: its ID byte after three dummies.
            return if op == 0xAB && n >= 4 { 0x17 } else { 0xFF };
        }
        if busy && op != 0x05 {
            return 0xFF;
        }
        match op {
            0x05 => status,
            0x9F => self.jedec.get(n - 1).copied().unwrap_or(0xFF),
            0xAB if n >= 4 => 0x17,
            0x03 if n >= 4 => {
                let base =
                    usize::from(cmd[1]) << 16 | usize::from(cmd[2]) << 8 | usize::from(cmd[3]);
                let at = (base + n - 4) % self.memory.len().max(1);
                self.memory.get(at).copied().unwrap_or(0xFF)
            }
            _ => 0xFF,
        }
    }
}
