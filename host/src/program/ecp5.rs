//! ECP5 over FTDI MPSSE JTAG: IDCODE, SRAM configuration, and the SPI flash
//! through the JTAG-to-SPI background path (Lattice FPGA-TN-02039 sysCONFIG).
//!
//! Pins (ADBUS): 0 TCK, 1 TDI, 2 TDO, 3 TMS.

use std::fmt;
use std::time::Duration;

use super::bitbang::{BitbangJtag, BitbangPins};
use super::bitstream::Ecp5Bitstream;
use super::flash::{self, FlashCmd, SpiBus, SpiOp};
use super::parts::Idcode;
use super::progress::{phase, Phase, Progress};
use super::{ProbeReport, ProgramError, Programmer};
use crate::mpsse::{decode_tdo, jtag_shift, CommandRunner, Commands, MpssePort, TapState};
use crate::usb::Ftdi;

/// TMS high at rest; TCK, TDI, TMS outputs.
const IDLE_PINS: u8 = 0x08;
const DIRECTION: u8 = 0x0B;
/// Bitstream bytes per USB write of the configuration stream.
const CHUNK: usize = 16384;

/// ECP5 JTAG instructions (8-bit IR; Lattice FPGA-TN-02039, ecp5 BSDL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Ecp5Instruction {
    /// Read the 32-bit IDCODE.
    ReadId = 0xE0,
    /// Read the 32-bit USERCODE.
    UserCode = 0xC0,
    /// Read the 32-bit configuration status register.
    ReadStatus = 0x3C,
    /// Enter in-system configuration (8-bit operand 0x00).
    IscEnable = 0xC6,
    /// Erase (8-bit operand: 0x01 = SRAM).
    IscErase = 0x0E,
    /// Reset the configuration address.
    InitAddress = 0x46,
    /// Shift a whole bitstream through DR.
    BitstreamBurst = 0x7A,
    /// Leave in-system configuration (the device wakes up).
    IscDisable = 0x26,
    /// Reload the configuration from the SPI flash.
    Refresh = 0x79,
    /// Open the background SPI path to the flash (16-bit key 0x68FE).
    ProgSpi = 0x3A,
    /// No operation.
    Noop = 0xFF,
}

/// Bitstream-engine error codes, status bits 23..25 (FPGA-TN-02039 Table 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BseError {
    /// No error.
    None,
    /// The bitstream's VERIFY_ID did not match the device.
    Id,
    /// Illegal command.
    Command,
    /// CRC mismatch.
    Crc,
    /// Preamble not found.
    Preamble,
    /// Configuration aborted.
    Abort,
    /// Data overflow.
    Overflow,
    /// Bitstream ended early (SDM end of file).
    EndOfFile,
}

/// The ECP5 configuration status register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecp5Status(pub u32);

impl Ecp5Status {
    /// DONE: the device is configured and running.
    pub fn done(self) -> bool {
        self.0 & (1 << 8) != 0
    }
    /// In-system configuration mode is on.
    pub fn isc_enabled(self) -> bool {
        self.0 & (1 << 9) != 0
    }
    /// The configuration engine is busy.
    pub fn busy(self) -> bool {
        self.0 & (1 << 12) != 0
    }
    /// The last configuration failed.
    pub fn fail(self) -> bool {
        self.0 & (1 << 13) != 0
    }
    /// The bitstream-engine error code.
    pub fn bse_error(self) -> BseError {
        match (self.0 >> 23) & 7 {
            0 => BseError::None,
            1 => BseError::Id,
            2 => BseError::Command,
            3 => BseError::Crc,
            4 => BseError::Preamble,
            5 => BseError::Abort,
            6 => BseError::Overflow,
            _ => BseError::EndOfFile,
        }
    }
}

impl fmt::Display for Ecp5Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "0x{:08x} (DONE {}, ISC {}, BUSY {}, FAIL {}, BSE error {:?})",
            self.0,
            u8::from(self.done()),
            u8::from(self.isc_enabled()),
            u8::from(self.busy()),
            u8::from(self.fail()),
            self.bse_error()
        )
    }
}

/// A JTAG port with the TAP state tracked on the host.
#[derive(Debug)]
struct Jtag {
    port: Box<dyn CommandRunner>,
    state: TapState,
}

impl Jtag {
    fn goto(&mut self, cmds: &mut Commands, to: TapState) {
        cmds.tms_path(self.state.path_to(to));
        self.state = to;
    }

    /// From Exit1-DR, where a shift that ended with TMS high left the TAP,
    /// on to Run-Test/Idle.
    fn leave_dr(&mut self, cmds: &mut Commands) {
        self.state = TapState::Exit1Dr;
        self.goto(cmds, TapState::Idle);
    }

    fn reset(&mut self) -> Result<(), ProgramError> {
        let mut cmds = Commands::new();
        self.state = TapState::Reset;
        cmds.tms_path((0b1_1111, 5));
        self.goto(&mut cmds, TapState::Idle);
        self.port.run(&cmds)?;
        Ok(())
    }

    fn instruction(&mut self, cmds: &mut Commands, ir: Ecp5Instruction) {
        self.goto(cmds, TapState::ShiftIr);
        jtag_shift(cmds, &[ir as u8], 8, false, true);
        self.state = TapState::Exit1Ir;
        self.goto(cmds, TapState::Idle);
    }

    /// Shifts `bits` of `tdi` through DR and back to Idle; returns TDO.
    fn data(&mut self, cmds: &mut Commands, tdi: &[u8], bits: usize) -> crate::mpsse::ShiftLayout {
        self.goto(cmds, TapState::ShiftDr);
        let layout = jtag_shift(cmds, tdi, bits, true, true);
        self.leave_dr(cmds);
        layout
    }

    fn command(
        &mut self,
        ir: Ecp5Instruction,
        operand: Option<u8>,
        idle: usize,
    ) -> Result<(), ProgramError> {
        let mut cmds = Commands::new();
        self.instruction(&mut cmds, ir);
        if let Some(op) = operand {
            self.goto(&mut cmds, TapState::ShiftDr);
            jtag_shift(&mut cmds, &[op], 8, false, true);
            self.leave_dr(&mut cmds);
        }
        cmds.idle_clocks(idle);
        self.port.run(&cmds)?;
        Ok(())
    }

    fn read32(&mut self, ir: Ecp5Instruction) -> Result<u32, ProgramError> {
        let mut cmds = Commands::new();
        self.instruction(&mut cmds, ir);
        let layout = self.data(&mut cmds, &[0; 4], 32);
        let raw = self.port.run(&cmds)?;
        let v = decode_tdo(&raw, layout);
        Ok(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
    }
}

/// Programs an ECP5 through one MPSSE channel wired to its JTAG port.
#[derive(Debug)]
pub struct Ecp5Jtag {
    jtag: Jtag,
    device: Option<String>,
}

impl Ecp5Jtag {
    /// Takes the channel into MPSSE mode with TCK at `hz` (rounded down to
    /// what the chip divides to) and resets the TAP. `device` is the board
    /// table's ECP5 device, checked against every bitstream.
    pub fn open(ftdi: Ftdi, device: Option<&str>, hz: u32) -> Result<Self, ProgramError> {
        let port = MpssePort::open(ftdi, hz, IDLE_PINS, DIRECTION)?;
        Self::with_runner(Box::new(port), device)
    }

    /// Like [`Ecp5Jtag::open`] for a chip without MPSSE (FT231X): JTAG on
    /// the bit-bang pins wired as `pins`, at the bit-bang rate.
    pub fn open_bitbang(
        ftdi: Ftdi,
        pins: BitbangPins,
        device: Option<&str>,
    ) -> Result<Self, ProgramError> {
        let port = BitbangJtag::open(ftdi, pins)?;
        Self::with_runner(Box::new(port), device)
    }

    fn with_runner(
        port: Box<dyn CommandRunner>,
        device: Option<&str>,
    ) -> Result<Self, ProgramError> {
        let mut jtag = Jtag {
            port,
            state: TapState::Reset,
        };
        jtag.reset()?;
        Ok(Ecp5Jtag {
            jtag,
            device: device.map(str::to_owned),
        })
    }

    /// Reads the chip's IDCODE.
    pub fn idcode(&mut self) -> Result<Idcode, ProgramError> {
        Ok(Idcode(self.jtag.read32(Ecp5Instruction::ReadId)?))
    }

    /// Reads the status register.
    pub fn status(&mut self) -> Result<Ecp5Status, ProgramError> {
        Ok(Ecp5Status(self.jtag.read32(Ecp5Instruction::ReadStatus)?))
    }

    /// Checks the file, then that the chip is the one it was built for.
    fn checked<'a>(&mut self, bitstream: &'a [u8]) -> Result<Ecp5Bitstream<'a>, ProgramError> {
        let bit = Ecp5Bitstream::check(bitstream, self.device.as_deref())?;
        let found = self.idcode()?;
        if found != bit.idcode {
            return Err(ProgramError::IdcodeMismatch {
                expected: bit.idcode,
                found,
            });
        }
        Ok(bit)
    }

    /// ISC_ENABLE and erase SRAM: the FPGA stops and lets go of the flash.
    fn erase_sram(&mut self) -> Result<(), ProgramError> {
        self.jtag
            .command(Ecp5Instruction::IscEnable, Some(0x00), 100)?;
        self.jtag
            .command(Ecp5Instruction::IscErase, Some(0x01), 100)?;
        self.jtag.port.wait(Duration::from_millis(10));
        Ok(())
    }

    fn expect_done(&mut self) -> Result<(), ProgramError> {
        let status = self.status()?;
        if status.done() && !status.fail() {
            Ok(())
        } else {
            Err(ProgramError::ConfigFailed { status })
        }
    }

    /// Gives the channel back.
    pub fn close(self) {
        self.jtag.port.close();
    }
}

/// Bit order of one byte reversed: the configuration engine and the SPI
/// flash take bytes MSB first, JTAG shifts LSB first.
fn reverse(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| b.reverse_bits()).collect()
}

/// The flash behind the FPGA: each Shift-DR visit under LSC_PROG_SPI is one
/// SPI transaction (chip select low while in Shift-DR).
struct BackgroundSpi<'a> {
    jtag: &'a mut Jtag,
}

impl SpiBus for BackgroundSpi<'_> {
    fn transaction(&mut self, out: &[u8], read: usize) -> Result<Vec<u8>, ProgramError> {
        let mut tdi = reverse(out);
        tdi.resize(out.len() + read, 0);
        let mut cmds = Commands::new();
        let layout = self.jtag.data(&mut cmds, &tdi, tdi.len() * 8);
        let raw = self.jtag.port.run(&cmds)?;
        let tdo = decode_tdo(&raw, layout);
        Ok(reverse(&tdo[out.len()..]))
    }

    fn batch(&mut self, ops: &[SpiOp]) -> Result<Vec<bool>, ProgramError> {
        let mut cmds = Commands::new();
        let mut samples = Vec::new();
        for op in ops {
            match *op {
                SpiOp::Pause(time) => {
                    // Run-Test/Idle: TCK runs, the flash's chip select stays high.
                    cmds.idle_clocks(flash::clocks_for(time, self.jtag.port.clock_hz()));
                }
                SpiOp::Write(out) => {
                    self.jtag.goto(&mut cmds, TapState::ShiftDr);
                    jtag_shift(&mut cmds, &reverse(out), out.len() * 8, false, true);
                    self.jtag.leave_dr(&mut cmds);
                }
                SpiOp::StatusBit(bit) => {
                    // The command, then the register MSB first down to `bit`,
                    // which alone is sampled, on the clock that leaves Shift-DR.
                    self.jtag.goto(&mut cmds, TapState::ShiftDr);
                    let bits = 16 - usize::from(bit.min(7));
                    let tdi = reverse(&[FlashCmd::ReadStatus as u8, 0]);
                    jtag_shift(&mut cmds, &tdi, bits - 1, false, false);
                    samples.push(cmds.reads());
                    cmds.tms(0b1, 1, false, true);
                    self.jtag.leave_dr(&mut cmds);
                }
            }
        }
        let raw = self.jtag.port.run(&cmds)?;
        // A bit read with the TMS command arrives in bit 7 (AN_108).
        Ok(samples
            .into_iter()
            .map(|at| raw.get(at).is_some_and(|b| b & 0x80 != 0))
            .collect())
    }

    fn max_read(&self, out_len: usize) -> usize {
        // Every byte shifted reads one back, the command bytes too, plus the
        // last bit's TMS read.
        self.jtag.port.max_read().saturating_sub(out_len + 2)
    }

    fn wait(&mut self, duration: Duration) {
        self.jtag.port.wait(duration);
    }

    fn now(&self) -> Duration {
        self.jtag.port.now()
    }
}

impl Programmer for Ecp5Jtag {
    fn probe(&mut self) -> Result<ProbeReport, ProgramError> {
        let idcode = self.idcode()?;
        Ok(ProbeReport {
            idcode: Some(idcode),
            flash: None,
        })
    }

    fn load_sram(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError> {
        let bit = self.checked(bitstream)?;
        self.erase_sram()?;
        self.jtag.command(Ecp5Instruction::InitAddress, None, 100)?;
        let mut cmds = Commands::new();
        self.jtag
            .instruction(&mut cmds, Ecp5Instruction::BitstreamBurst);
        self.jtag.goto(&mut cmds, TapState::ShiftDr);
        self.jtag.port.send(&cmds)?;
        // The bitstream is a stream of writes; the last chunk leaves
        // Shift-DR, and that batch waits for all of it to have run.
        phase(
            progress,
            Phase::Configure,
            bit.data.len() as u64,
            |progress| {
                let chunks = bit.data.chunks(CHUNK).count();
                for (i, chunk) in bit.data.chunks(CHUNK).enumerate() {
                    let last = i + 1 == chunks;
                    let mut cmds = Commands::new();
                    jtag_shift(&mut cmds, &reverse(chunk), chunk.len() * 8, false, last);
                    if last {
                        self.jtag.leave_dr(&mut cmds);
                        cmds.idle_clocks(100);
                        self.jtag.port.run(&cmds)?;
                    } else {
                        self.jtag.port.send(&cmds)?;
                    }
                    progress.advance(chunk.len() as u64);
                }
                Ok::<_, ProgramError>(())
            },
        )?;
        self.jtag.command(Ecp5Instruction::IscDisable, None, 100)?;
        self.expect_done()
    }

    fn write_flash(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError> {
        let bit = self.checked(bitstream)?;
        self.erase_sram()?;
        self.jtag.command(Ecp5Instruction::IscDisable, None, 100)?;
        // LSC_PROG_SPI with its 16-bit key opens the background SPI path.
        let mut cmds = Commands::new();
        self.jtag.instruction(&mut cmds, Ecp5Instruction::ProgSpi);
        self.jtag.goto(&mut cmds, TapState::ShiftDr);
        jtag_shift(&mut cmds, &0x68FEu16.to_le_bytes(), 16, false, true);
        self.jtag.leave_dr(&mut cmds);
        self.jtag.port.run(&cmds)?;
        let written = {
            let mut bus = BackgroundSpi {
                jtag: &mut self.jtag,
            };
            flash::identify(&mut bus)
                .and_then(|jedec| flash::write_and_verify(&mut bus, jedec, 0, bit.data, progress))
        };
        // Whatever happened, reload the FPGA from flash.
        self.jtag.command(Ecp5Instruction::Refresh, None, 100)?;
        self.jtag.port.wait(Duration::from_millis(10));
        written?;
        self.expect_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_bytes() {
        use Ecp5Instruction::*;
        let table = [
            (ReadId, 0xE0),
            (UserCode, 0xC0),
            (ReadStatus, 0x3C),
            (IscEnable, 0xC6),
            (IscErase, 0x0E),
            (InitAddress, 0x46),
            (BitstreamBurst, 0x7A),
            (IscDisable, 0x26),
            (Refresh, 0x79),
            (ProgSpi, 0x3A),
            (Noop, 0xFF),
        ];
        for (ir, byte) in table {
            assert_eq!(ir as u8, byte);
        }
    }

    #[test]
    fn status_decoding() {
        let s = Ecp5Status(1 << 8);
        assert!(s.done() && !s.fail());
        assert_eq!(s.bse_error(), BseError::None);
        let s = Ecp5Status((1 << 13) | (1 << 23) | (1 << 27));
        assert!(s.fail() && !s.done());
        assert_eq!(s.bse_error(), BseError::Id);
        assert_eq!(Ecp5Status(7 << 23).bse_error(), BseError::EndOfFile);
        assert_eq!(Ecp5Status(3 << 23).bse_error(), BseError::Crc);
        assert_eq!(
            Ecp5Status((1 << 13) | (4 << 23)).to_string(),
            "0x02002000 (DONE 0, ISC 0, BUSY 0, FAIL 1, BSE error Preamble)"
        );
    }
}
