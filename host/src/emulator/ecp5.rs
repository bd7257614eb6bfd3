//! An emulated ECP5 board: the JTAG TAP (IEEE 1149.1 state machine, 8-bit
//! instruction register), the sysCONFIG status register and configuration
//! engine, and the SPI flash reached through the JTAG-to-SPI background path.
//!
//! Pins (ADBUS): 0 TCK, 1 TDI, 2 TDO, 3 TMS.

use super::flash::SpiFlash;
use super::Event;
use crate::mpsse::TapState;

const TDI: u8 = 1 << 1;
const TDO: u8 = 1 << 2;
const TMS: u8 = 1 << 3;

/// Status register bits (Lattice FPGA-TN-02039, LSC_READ_STATUS).
const ST_DONE: u32 = 1 << 8;
const ST_ISC_ENABLED: u32 = 1 << 9;
const ST_FAIL: u32 = 1 << 13;
const ST_BSE_SHIFT: u32 = 23;
const ST_ID_ERROR: u32 = 1 << 27;
const ST_INVALID_COMMAND: u32 = 1 << 28;

/// Bitstream engine error codes (status bits 23..25).
const BSE_ID: u32 = 1;
const BSE_CMD: u32 = 2;
const BSE_PREAMBLE: u32 = 4;
const BSE_OVERFLOW: u32 = 6;
const BSE_EOF: u32 = 7;

/// The key shifted after LSC_PROG_SPI to open the background SPI path.
const SPI_KEY: u32 = 0x68FE;

/// Configuration geometry of one ECP5 die: frames and bytes per frame, as
/// `ecppack` lays them out (frame data, 2 CRC bytes, 1 padding byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecp5Geometry {
    /// Configuration frames.
    pub frames: usize,
    /// Data bytes per frame.
    pub frame_bytes: usize,
}

/// The emulated ECP5 board.
#[derive(Debug)]
pub struct Ecp5Board {
    idcode: u32,
    geometry: Ecp5Geometry,
    /// The SPI flash behind the FPGA.
    pub flash: SpiFlash,
    state: TapState,
    ir: u8,
    ir_shift: u8,
    dr_shift: u64,
    dr_bits: u32,
    status: u32,
    burst: Vec<u8>,
    burst_byte: u8,
    burst_bits: u8,
    spi_open: bool,
    spi_selected: bool,
    loaded: bool,
    /// The bitstream the engine last accepted through JTAG, byte for byte.
    accepted: Vec<u8>,
}

impl Ecp5Board {
    /// A board whose FPGA answers `idcode` and has `geometry`.
    pub fn new(idcode: u32, geometry: Ecp5Geometry, flash: SpiFlash) -> Self {
        Ecp5Board {
            idcode,
            geometry,
            flash,
            state: TapState::Reset,
            ir: 0xE0,
            ir_shift: 0,
            dr_shift: 0,
            dr_bits: 0,
            status: 0,
            burst: Vec::new(),
            burst_byte: 0,
            burst_bits: 0,
            spi_open: false,
            spi_selected: false,
            loaded: false,
            accepted: Vec::new(),
        }
    }

    /// Keeps the flash's time on `clock` (the emulator's).
    pub(super) fn set_clock(&mut self, clock: &super::timing::Clock) {
        self.flash.set_clock(clock);
    }

    /// Changes the IDCODE the TAP reports (fault injection: wrong chip).
    pub fn set_idcode(&mut self, idcode: u32) {
        self.idcode = idcode;
    }

    /// The status register.
    pub fn status(&self) -> u32 {
        self.status
    }

    /// Is DONE set?
    pub fn done(&self) -> bool {
        self.status & ST_DONE != 0
    }

    /// The bitstream the configuration engine last accepted through JTAG
    /// (empty before any).
    pub fn loaded(&self) -> &[u8] {
        &self.accepted
    }

    /// TDO as the FTDI reads it: the bit the TAP drives now (the one the
    /// next rising TCK edge shifts out).
    pub fn inputs(&self) -> u8 {
        let level = match self.state {
            TapState::ShiftIr => self.ir_shift & 1 == 1,
            TapState::ShiftDr => match self.ir {
                0x7A => false,
                0x3A if self.spi_open => !self.spi_selected || self.flash.miso(),
                _ => self.dr_shift & 1 == 1,
            },
            _ => false,
        };
        if level {
            TDO
        } else {
            0
        }
    }

    /// The host drove the low pins (nothing happens without a TCK edge).
    pub fn set_pins(&mut self, _value: u8, _log: &mut [Event]) {}

    fn set_bse(&mut self, code: u32) {
        self.status = (self.status & !(7 << ST_BSE_SHIFT)) | (code << ST_BSE_SHIFT) | ST_FAIL;
        if code == BSE_ID {
            self.status |= ST_ID_ERROR;
        }
    }

    /// One TCK rising edge with the pins at `value`; returns TDO.
    pub fn clock(&mut self, value: u8, log: &mut Vec<Event>) -> bool {
        let tms = value & TMS != 0;
        let tdi = value & TDI != 0;
        let mut tdo = false;
        match self.state {
            TapState::ShiftIr => {
                tdo = self.ir_shift & 1 == 1;
                self.ir_shift = (self.ir_shift >> 1) | (u8::from(tdi) << 7);
            }
            TapState::ShiftDr => tdo = self.shift_dr(tdi, log),
            _ => {}
        }
        let next = self.state.next(tms);
        if next != self.state || matches!(next, TapState::CaptureDr | TapState::CaptureIr) {
            self.enter(next, log);
        }
        self.state = next;
        tdo
    }

    fn shift_dr(&mut self, tdi: bool, log: &mut Vec<Event>) -> bool {
        match self.ir {
            0x7A => {
                // Configuration data arrives MSB first within each byte.
                self.burst_byte = (self.burst_byte << 1) | u8::from(tdi);
                self.burst_bits += 1;
                if self.burst_bits == 8 {
                    self.burst.push(self.burst_byte);
                    self.burst_bits = 0;
                }
                false
            }
            0x3A if self.spi_open => {
                if !self.spi_selected {
                    self.flash.select();
                    self.spi_selected = true;
                }
                self.flash.clock(tdi, log)
            }
            _ => {
                let out = self.dr_shift & 1 == 1;
                self.dr_shift =
                    (self.dr_shift >> 1) | (u64::from(tdi) << (self.dr_bits.max(1) - 1));
                out
            }
        }
    }

    fn enter(&mut self, state: TapState, log: &mut Vec<Event>) {
        match state {
            TapState::Reset => self.ir = 0xE0,
            TapState::CaptureIr => self.ir_shift = 0x01,
            TapState::UpdateIr => {
                self.ir = self.ir_shift;
                log.push(Event::JtagInstruction(self.ir));
                self.on_instruction(log);
            }
            TapState::CaptureDr => {
                let (value, bits) = match self.ir {
                    0xE0 => (u64::from(self.idcode), 32),
                    0x3C => (u64::from(self.status), 32),
                    0xC0 => (0, 32),
                    0x3A if !self.spi_open => (0, 16),
                    0xC6 | 0x0E => (0, 8),
                    _ => (0, 1),
                };
                self.dr_shift = value;
                self.dr_bits = bits;
            }
            TapState::Exit1Dr if self.spi_selected => {
                self.flash.deselect(log);
                self.spi_selected = false;
            }
            TapState::UpdateDr => {
                if self.ir == 0x3A && !self.spi_open && self.dr_shift as u32 & 0xFFFF == SPI_KEY {
                    self.spi_open = true;
                }
                if self.ir == 0x7A {
                    self.configure();
                }
            }
            _ => {}
        }
    }

    fn on_instruction(&mut self, _log: &mut [Event]) {
        let enabled = self.status & ST_ISC_ENABLED != 0;
        match self.ir {
            0xC6 => self.status = (self.status | ST_ISC_ENABLED) & !ST_INVALID_COMMAND,
            0x0E | 0x46 if !enabled => self.status |= ST_INVALID_COMMAND,
            0x0E => {
                // Erase SRAM: clears DONE and any earlier error.
                self.status &= !(ST_DONE | ST_FAIL | ST_ID_ERROR | (7 << ST_BSE_SHIFT));
                self.loaded = false;
            }
            0x46 => {
                self.burst.clear();
                self.burst_bits = 0;
            }
            0x7A if !enabled => self.status |= ST_INVALID_COMMAND,
            0x7A => {
                self.burst.clear();
                self.burst_bits = 0;
            }
            0x26 => {
                // Leaving ISC wakes the device up; DONE only for an accepted image.
                self.status &= !ST_ISC_ENABLED;
                if std::mem::take(&mut self.loaded) {
                    self.status |= ST_DONE;
                }
            }
            0x79 => {
                // Refresh: reload from the SPI flash.
                self.status &= !(ST_DONE | ST_FAIL | (7 << ST_BSE_SHIFT));
                self.spi_open = false;
                let result = check_bitstream(self.flash.memory(), self.idcode, self.geometry);
                self.apply(result);
                if std::mem::take(&mut self.loaded) {
                    self.status |= ST_DONE;
                }
            }
            _ => {}
        }
    }

    fn configure(&mut self) {
        let image = std::mem::take(&mut self.burst);
        let result = check_bitstream(&image, self.idcode, self.geometry);
        if result.is_ok() {
            self.accepted = image;
        }
        self.apply(result);
    }

    fn apply(&mut self, result: Result<(), u32>) {
        match result {
            Ok(()) => {
                self.loaded = true;
                self.status &= !(ST_FAIL | (7 << ST_BSE_SHIFT));
            }
            Err(code) => {
                self.loaded = false;
                self.status &= !ST_DONE;
                self.set_bse(code);
            }
        }
    }
}

/// Reads a bitstream as the ECP5 configuration engine does; returns the
/// bitstream-engine error code on failure.
pub fn check_bitstream(data: &[u8], idcode: u32, geometry: Ecp5Geometry) -> Result<(), u32> {
    let preamble = [0xFF, 0xFF, 0xBD, 0xB3];
    let start = data
        .windows(4)
        .take(4096)
        .position(|w| w == preamble)
        .ok_or(BSE_PREAMBLE)?;
    let mut i = start + 4;
    let be32 = |at: usize| -> Option<u32> {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    loop {
        let &op = data.get(i).ok_or(BSE_EOF)?;
        match op {
            0xFF => i += 1,
            0x3B | 0x46 => i += 4,
            0xE2 => {
                let id = be32(i + 4).ok_or(BSE_EOF)?;
                if id != idcode {
                    return Err(BSE_ID);
                }
                i += 8;
            }
            0x22 => i += 8,
            0x82 => {
                let count = data.get(i + 2..i + 4).ok_or(BSE_EOF)?;
                let count = usize::from(count[0]) << 8 | usize::from(count[1]);
                if count != geometry.frames {
                    return Err(BSE_OVERFLOW);
                }
                i += 4 + count * (geometry.frame_bytes + 3);
                if i > data.len() {
                    return Err(BSE_EOF);
                }
                // After the frames: usercode and padding, then ISC_PROGRAM_DONE.
                let tail = &data[i..data.len().min(i + 64)];
                return if tail.windows(4).any(|w| w == [0x5E, 0, 0, 0]) {
                    Ok(())
                } else {
                    Err(BSE_EOF)
                };
            }
            _ => return Err(BSE_CMD),
        }
    }
}

/// A well-formed ECP5 bitstream for `idcode` and `geometry` (for tests),
/// laid out as ecppack writes it: comment, preamble, CRC reset, VERIFY_ID,
/// control register, init address, frames, usercode, program-done.
pub fn test_bitstream(idcode: u32, geometry: Ecp5Geometry, seed: u8) -> Vec<u8> {
    let mut bit = vec![0xFF, 0x00];
    bit.extend(b"Part: test\0");
    bit.push(0xFF);
    bit.extend([0xFF, 0xFF, 0xBD, 0xB3, 0xFF, 0xFF, 0xFF, 0xFF]);
    bit.extend([0x3B, 0, 0, 0, 0xE2, 0, 0, 0]);
    bit.extend(idcode.to_be_bytes());
    bit.extend([0x22, 0, 0, 0, 0x40, 0, 0, 0, 0x46, 0, 0, 0]);
    bit.extend([0x82, 0x91]);
    bit.extend((geometry.frames as u16).to_be_bytes());
    for f in 0..geometry.frames {
        bit.extend((0..geometry.frame_bytes).map(|i| ((i + f) as u8).wrapping_mul(seed | 1)));
        bit.extend([0x00, 0x00, 0xFF]);
    }
    bit.extend([0xFF; 12]);
    bit.extend([
        0xC2, 0x80, 0, 0, 0, 0, 0, 0, 0x5E, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    bit
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Ecp5Geometry = Ecp5Geometry {
        frames: 4,
        frame_bytes: 10,
    };

    #[test]
    fn bitstream_checks() {
        let good = test_bitstream(0x41111043, SMALL, 3);
        assert_eq!(check_bitstream(&good, 0x41111043, SMALL), Ok(()));
        assert_eq!(check_bitstream(&good, 0x41113043, SMALL), Err(BSE_ID));
        assert_eq!(
            check_bitstream(&good[..good.len() - 60], 0x41111043, SMALL),
            Err(BSE_EOF)
        );
        assert_eq!(
            check_bitstream(&good[20..], 0x41111043, SMALL),
            Err(BSE_PREAMBLE)
        );
        let other = Ecp5Geometry { frames: 5, ..SMALL };
        assert_eq!(check_bitstream(&good, 0x41111043, other), Err(BSE_OVERFLOW));
    }
}
