//! iCE40 over FTDI MPSSE SPI: SRAM configuration as SPI slave, and the
//! board's SPI flash with the FPGA held in reset (iCE40 Programming and
//! Configuration, FPGA-TN-02001 §"SPI Slave Configuration").
//!
//! Pins (ADBUS, iCEBreaker/iCEstick wiring): 0 SCK, 1 MOSI, 2 MISO,
//! 4 SS (FPGA and flash), 6 CDONE, 7 CRESET_B.

use std::time::Duration;

use super::bitstream::Ice40Image;
use super::flash::{self, JedecId, SpiBus, SpiOp};
use super::progress::{phase, Phase, Progress};
use super::{ProbeReport, ProgramError, Programmer};
use crate::mpsse::{Commands, MpssePort, Opcode};
use crate::usb::Ftdi;

const SS: u8 = 1 << 4;
const CDONE: u8 = 1 << 6;
const CRESET: u8 = 1 << 7;
/// Outputs: SCK, MOSI, SS, CRESET_B.
const DIRECTION: u8 = 0x93;
/// CRESET_B low time (datasheet minimum 200 ns).
const RESET_LOW: Duration = Duration::from_millis(1);
/// Wait after CRESET_B rises before clocking data (1200 us for the 5K/8K parts).
const CONFIG_SETUP: Duration = Duration::from_millis(2);
/// Clocks sent after the image (at least 49 for CDONE to rise).
const TRAILING_CLOCKS: usize = 100;
/// How long CDONE may take to rise.
const CDONE_TIMEOUT: Duration = Duration::from_millis(200);
/// Image bytes per USB write of the configuration stream.
const CHUNK: usize = 4096;

/// Programs an iCE40 board through one MPSSE channel.
#[derive(Debug)]
pub struct Ice40Spi {
    port: MpssePort,
    device: Option<String>,
}

impl Ice40Spi {
    /// Takes the channel into MPSSE mode with SS and CRESET_B high (FPGA
    /// running) and the SPI clock at `hz` (rounded down to what the chip
    /// divides to). `device` is the board table's iCE40 device, checked
    /// against every image.
    pub fn open(ftdi: Ftdi, device: Option<&str>, hz: u32) -> Result<Self, ProgramError> {
        let port = MpssePort::open(ftdi, hz, SS | CRESET, DIRECTION)?;
        Ok(Ice40Spi {
            port,
            device: device.map(str::to_owned),
        })
    }

    fn pins(&mut self, value: u8) -> Result<(), ProgramError> {
        let mut cmds = Commands::new();
        self.port.set_low(&mut cmds, value);
        self.port.run(&cmds)?;
        Ok(())
    }

    fn wait_cdone(&mut self) -> Result<(), ProgramError> {
        let start = self.port.now();
        loop {
            if self.port.read_low()? & CDONE != 0 {
                return Ok(());
            }
            let waited = self.port.now().saturating_sub(start);
            if waited > CDONE_TIMEOUT {
                return Err(ProgramError::CdoneLow {
                    waited_ms: waited.as_millis() as u64,
                });
            }
            self.port.wait(Duration::from_millis(1));
        }
    }

    /// Holds the FPGA in reset so that the flash owns the bus, and wakes the flash.
    fn flash_access(&mut self) -> Result<JedecId, ProgramError> {
        self.pins(SS)?;
        self.port.wait(RESET_LOW);
        flash::identify(&mut SpiPort {
            port: &mut self.port,
        })
    }

    /// Releases CRESET_B with SS high: the FPGA boots from flash.
    fn boot_from_flash(&mut self) -> Result<(), ProgramError> {
        self.pins(SS | CRESET)?;
        self.wait_cdone()
    }

    /// Gives the channel back.
    pub fn close(self) {
        self.port.close();
    }
}

/// The MPSSE SPI bus with SS on ADBUS4 (mode 0, MSB first).
struct SpiPort<'a> {
    port: &'a mut MpssePort,
}

impl SpiBus for SpiPort<'_> {
    fn transaction(&mut self, out: &[u8], read: usize) -> Result<Vec<u8>, ProgramError> {
        let (level, _) = self.port.low();
        let mut cmds = Commands::new();
        self.port.set_low(&mut cmds, level & !SS);
        cmds.shift_bytes(Opcode::BytesOutNegMsb, out, false);
        if read > 0 {
            cmds.read_bytes(read);
        }
        self.port.set_low(&mut cmds, level | SS);
        Ok(self.port.run(&cmds)?)
    }

    fn batch(&mut self, ops: &[SpiOp]) -> Result<Vec<bool>, ProgramError> {
        let (level, _) = self.port.low();
        let mut cmds = Commands::new();
        let mut bits = Vec::new();
        for op in ops {
            let out: &[u8] = match *op {
                SpiOp::Write(out) => out,
                SpiOp::StatusBit(_) => &[flash::FlashCmd::ReadStatus as u8],
                SpiOp::Pause(time) => {
                    // SS stays high: SCK runs, nothing is selected.
                    cmds.idle_clocks(flash::clocks_for(time, self.port.clock_hz()));
                    continue;
                }
            };
            self.port.set_low(&mut cmds, level & !SS);
            cmds.shift_bytes(Opcode::BytesOutNegMsb, out, false);
            if let SpiOp::StatusBit(bit) = *op {
                bits.push((cmds.reads(), bit));
                cmds.read_bytes(1);
            }
            self.port.set_low(&mut cmds, level | SS);
        }
        let raw = self.port.run(&cmds)?;
        Ok(bits
            .into_iter()
            .map(|(at, bit)| raw.get(at).is_some_and(|b| b >> bit & 1 == 1))
            .collect())
    }

    fn max_read(&self, _out_len: usize) -> usize {
        self.port.max_read()
    }

    fn wait(&mut self, duration: Duration) {
        self.port.wait(duration);
    }

    fn now(&self) -> Duration {
        self.port.now()
    }
}

impl Programmer for Ice40Spi {
    fn probe(&mut self) -> Result<ProbeReport, ProgramError> {
        let jedec = self.flash_access()?;
        self.boot_from_flash().ok();
        Ok(ProbeReport {
            idcode: None,
            flash: Some(jedec),
        })
    }

    fn load_sram(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError> {
        let image = Ice40Image::check(bitstream, self.device.as_deref())?;
        // Reset with SS low, release: the FPGA becomes an SPI slave.
        self.pins(0)?;
        self.port.wait(RESET_LOW);
        self.pins(CRESET)?;
        self.port.wait(CONFIG_SETUP);
        // SS high, eight dummy clocks, SS low, the image: a stream of writes,
        // then the trailing clocks and a read that waits for all of it.
        let mut cmds = Commands::new();
        self.port.set_low(&mut cmds, SS | CRESET);
        cmds.idle_clocks(8);
        self.port.set_low(&mut cmds, CRESET);
        self.port.send(&cmds)?;
        phase(
            progress,
            Phase::Configure,
            image.data.len() as u64,
            |progress| {
                for chunk in image.data.chunks(CHUNK) {
                    let mut cmds = Commands::new();
                    cmds.shift_bytes(Opcode::BytesOutNegMsb, chunk, false);
                    self.port.send(&cmds)?;
                    progress.advance(chunk.len() as u64);
                }
                let mut cmds = Commands::new();
                self.port.set_low(&mut cmds, SS | CRESET);
                cmds.idle_clocks(TRAILING_CLOCKS);
                self.port.run(&cmds)?;
                Ok::<_, ProgramError>(())
            },
        )?;
        self.wait_cdone()
    }

    fn write_flash(
        &mut self,
        bitstream: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), ProgramError> {
        let image = Ice40Image::check(bitstream, self.device.as_deref())?;
        let jedec = self.flash_access()?;
        let written = flash::write_and_verify(
            &mut SpiPort {
                port: &mut self.port,
            },
            jedec,
            0,
            image.data,
            progress,
        );
        // Whatever happened, let the FPGA boot again.
        let booted = self.boot_from_flash();
        written?;
        booted
    }
}
