//! An emulated iCE40 board: the FPGA's SPI configuration port, CRESET_B and
//! CDONE, and the SPI flash it shares the bus with.
//!
//! Pins (ADBUS): 0 SCK, 1 MOSI, 2 MISO, 4 SS (flash and FPGA), 6 CDONE, 7 CRESET_B.

use std::time::Duration;

use super::flash::SpiFlash;
use super::timing::Clock;
use super::Event;

const MOSI: u8 = 1 << 1;
const MISO: u8 = 1 << 2;
const SS: u8 = 1 << 4;
const CDONE: u8 = 1 << 6;
const CRESET: u8 = 1 << 7;

/// The FPGA ignores its SPI port for this long after CRESET_B rises
/// (iCE40 programming guide: 1200 us for the larger parts).
const CONFIG_SETUP: Duration = Duration::from_micros(1200);
/// Clocks the FPGA needs after the image before CDONE rises.
const DUMMY_CLOCKS: usize = 49;

/// Why an iCE40 image was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ice40Reject {
    /// No `7E AA 99 7E` sync word in the first bytes.
    NoSync,
    /// A command the configuration logic does not know.
    BadCommand {
        /// Offset of the command byte.
        offset: usize,
    },
    /// The stream ended before the wake-up command.
    Truncated,
    /// The image's length does not match the device's.
    WrongSize {
        /// Bytes received.
        got: usize,
        /// Bytes the device needs.
        want: usize,
    },
    /// Bytes arrived before the configuration port was ready.
    TooEarly,
}

/// Checks an image as the iCE40 configuration logic reads it: an optional
/// comment, the sync word, then commands (opcode nibble, payload-length
/// nibble) until wake-up; CRAM/BRAM data blocks are bank width x height bits
/// plus two zero bytes; the whole image must be `size` bytes.
pub fn check_image(data: &[u8], size: usize) -> Result<(), Ice40Reject> {
    let sync = [0x7E, 0xAA, 0x99, 0x7E];
    let start = data
        .windows(4)
        .take(256)
        .position(|w| w == sync)
        .ok_or(Ice40Reject::NoSync)?;
    let mut i = start + 4;
    let (mut width, mut height) = (0usize, 0usize);
    loop {
        let &byte = data.get(i).ok_or(Ice40Reject::Truncated)?;
        let (op, len) = (byte >> 4, usize::from(byte & 0x0F));
        let payload = data.get(i + 1..i + 1 + len).ok_or(Ice40Reject::Truncated)?;
        let value = payload.iter().fold(0usize, |v, &b| v << 8 | usize::from(b));
        let at = i;
        i += 1 + len;
        match (op, value) {
            (0, 1) | (0, 3) if len == 1 => i += width * height / 8 + 2,
            (0, 6) if len == 1 => {
                // Wake-up: the image ends here (plus one padding byte).
                let end = (i + 1).min(data.len());
                return if end == size && data.len() >= size {
                    Ok(())
                } else {
                    Err(Ice40Reject::WrongSize {
                        got: end,
                        want: size,
                    })
                };
            }
            (0, _) => {}
            (1, _) | (2, _) | (5, _) | (8, _) | (9, _) => {}
            (6, v) => width = v + 1,
            (7, v) => height = v,
            _ => return Err(Ice40Reject::BadCommand { offset: at }),
        }
    }
}

#[derive(Debug)]
enum Mode {
    /// CRESET_B low: the FPGA is held in reset and leaves the bus to the host.
    Reset,
    /// CRESET_B rose with SS low: SPI slave configuration.
    Config {
        since: Duration,
        bytes: Vec<u8>,
        byte: u8,
        bits: u8,
        early: bool,
        done_at: Option<usize>,
        clocks_after: usize,
    },
    /// Configured (or failed) and running.
    Running,
}

/// The emulated iCE40 board.
#[derive(Debug)]
pub struct Ice40Board {
    image_size: usize,
    /// The SPI flash on the board.
    pub flash: SpiFlash,
    mode: Mode,
    cdone: bool,
    pins: u8,
    flash_selected: bool,
    clock: Clock,
    /// The image the FPGA last accepted over SPI, byte for byte.
    loaded: Vec<u8>,
    /// The last rejection, if an image was refused.
    pub last_reject: Option<Ice40Reject>,
}

impl Ice40Board {
    /// A board whose FPGA takes images of `image_size` bytes (UP5K: 104090).
    pub fn new(image_size: usize, flash: SpiFlash) -> Self {
        Ice40Board {
            image_size,
            flash,
            mode: Mode::Running,
            cdone: false,
            pins: SS | CRESET,
            flash_selected: false,
            clock: Clock::default(),
            loaded: Vec::new(),
            last_reject: None,
        }
    }

    /// Keeps time (and the flash's) on `clock` (the emulator's).
    pub(super) fn set_clock(&mut self, clock: &Clock) {
        self.clock = clock.clone();
        self.flash.set_clock(clock);
    }

    /// Is CDONE high?
    pub fn cdone(&self) -> bool {
        self.cdone
    }

    /// The image the FPGA last accepted over SPI (empty before any).
    pub fn loaded(&self) -> &[u8] {
        &self.loaded
    }

    /// The FPGA's input pins as the FTDI sees them.
    pub fn inputs(&self) -> u8 {
        let mut v = MISO;
        if self.cdone {
            v |= CDONE;
        }
        v
    }

    /// The host drove the low pins to `value` (outputs only).
    pub fn set_pins(&mut self, value: u8, log: &mut Vec<Event>) {
        let old = self.pins;
        self.pins = value;
        let fell = |bit: u8| old & bit != 0 && value & bit == 0;
        let rose = |bit: u8| old & bit == 0 && value & bit != 0;
        if fell(CRESET) {
            log.push(Event::Ice40Reset);
            self.mode = Mode::Reset;
            self.cdone = false;
        }
        if rose(CRESET) {
            if value & SS == 0 {
                // The FPGA owns SS now; the flash is kept off the bus
                // (the board's SRAM-programming jumper setting).
                if self.flash_selected {
                    self.flash.deselect(log);
                    self.flash_selected = false;
                }
                log.push(Event::Ice40ConfigStart);
                self.mode = Mode::Config {
                    since: self.clock.now(),
                    bytes: Vec::new(),
                    byte: 0,
                    bits: 0,
                    early: false,
                    done_at: None,
                    clocks_after: 0,
                };
            } else {
                self.boot_from_flash();
            }
        }
        let flash_owns_bus = !matches!(self.mode, Mode::Config { .. });
        if fell(SS) && flash_owns_bus {
            self.flash.select();
            self.flash_selected = true;
        }
        if rose(SS) {
            if self.flash_selected {
                self.flash.deselect(log);
                self.flash_selected = false;
            }
            self.check_config();
        }
    }

    fn boot_from_flash(&mut self) {
        let result = check_image(self.flash.memory(), self.image_size);
        self.cdone = result.is_ok();
        self.last_reject = result.err();
        self.mode = Mode::Running;
    }

    fn check_config(&mut self) {
        let size = self.image_size;
        if let Mode::Config {
            bytes,
            early,
            done_at,
            ..
        } = &mut self.mode
        {
            if done_at.is_none() && !bytes.is_empty() {
                let result = if *early {
                    Err(Ice40Reject::TooEarly)
                } else {
                    check_image(bytes, size)
                };
                match result {
                    Ok(()) => *done_at = Some(bytes.len()),
                    Err(reject) => self.last_reject = Some(reject),
                }
            }
        }
    }

    /// One SCK rising edge with the pins at `value`; returns MISO.
    pub fn clock(&mut self, value: u8, log: &mut Vec<Event>) -> bool {
        let mosi = value & MOSI != 0;
        let ss_low = value & SS == 0;
        if self.flash_selected {
            return self.flash.clock(mosi, log);
        }
        let size = self.image_size;
        let mut complete = false;
        if let Mode::Config {
            since,
            bytes,
            byte,
            bits,
            early,
            done_at,
            clocks_after,
        } = &mut self.mode
        {
            if done_at.is_some() {
                *clocks_after += 1;
                complete = *clocks_after >= DUMMY_CLOCKS;
            } else if ss_low {
                if bytes.is_empty()
                    && *bits == 0
                    && self.clock.now().saturating_sub(*since) < CONFIG_SETUP
                {
                    *early = true;
                }
                *byte = (*byte << 1) | u8::from(mosi);
                *bits += 1;
                if *bits == 8 {
                    bytes.push(*byte);
                    *bits = 0;
                    if bytes.len() == size && !*early && check_image(bytes, size).is_ok() {
                        *done_at = Some(size);
                    }
                }
            }
        }
        if complete {
            if let Mode::Config { bytes, .. } = std::mem::replace(&mut self.mode, Mode::Running) {
                self.loaded = bytes;
            }
            self.cdone = true;
            self.last_reject = None;
            log.push(Event::Ice40Done);
        }
        true
    }
}

/// A well-formed iCE40 image of exactly `size` bytes (for tests): comment,
/// sync word, bank setup, one CRAM bank, zero no-op padding, CRC and wake-up,
/// laid out as icepack writes them.
pub fn test_image(size: usize, seed: u8) -> Vec<u8> {
    let mut image = vec![0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E];
    // Oscillator range, reset CRC, feature flags, width 692, height 336, offset 0, bank 0.
    image.extend([
        0x51, 0x00, 0x01, 0x05, 0x92, 0x00, 0x20, 0x62, 0x02, 0xB3, 0x72, 0x01, 0x50, 0x82, 0x00,
        0x00, 0x11, 0x00, 0x01, 0x01,
    ]);
    let bank = 692 * 336 / 8;
    image.extend((0..bank).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    image.extend([0, 0]);
    let tail = [0x22, 0x79, 0xFE, 0x01, 0x06, 0x00];
    image.resize(size.saturating_sub(tail.len()).max(image.len()), 0);
    image.extend(tail);
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_checks() {
        let good = test_image(104_090, 1);
        assert_eq!(good.len(), 104_090);
        assert_eq!(check_image(&good, 104_090), Ok(()));
        assert_eq!(
            check_image(&good, 135_100),
            Err(Ice40Reject::WrongSize {
                got: 104_090,
                want: 135_100
            })
        );
        assert_eq!(
            check_image(&good[..50_000], 104_090),
            Err(Ice40Reject::Truncated)
        );
        let mut bad = good.clone();
        bad[5] = 0;
        assert_eq!(check_image(&bad, 104_090), Err(Ice40Reject::NoSync));
        let mut bad = good;
        bad[8] = 0xF0;
        assert_eq!(
            check_image(&bad, 104_090),
            Err(Ice40Reject::BadCommand { offset: 8 })
        );
    }
}
