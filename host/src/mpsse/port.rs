//! Running command batches on a chip: [`MpssePort`] puts an FTDI channel in
//! MPSSE mode and runs batches on it; [`CommandRunner`] is what the
//! programmers drive, so a software engine on bit-bang pins can stand in.

use std::time::Duration;

use super::commands::{Commands, Opcode, BAD_COMMAND};
use crate::usb::{BitMode, ChipType, Ftdi, UsbError};

/// Something that runs MPSSE command batches: the chip's MPSSE engine
/// ([`MpssePort`]), or a software engine on bit-bang pins for chips without
/// one (`program::bitbang`).
pub trait CommandRunner: Send + std::fmt::Debug {
    /// Runs a batch; returns its read-back, once every command has executed.
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError>;
    /// Sends a batch without waiting for it to run: a stream of writes the
    /// chip paces. A batch that reads is run instead (its read-back dropped).
    /// The next [`CommandRunner::run`] returns only after this batch ran too.
    fn send(&mut self, cmds: &Commands) -> Result<(), UsbError>;
    /// Most bytes one batch may read back.
    fn max_read(&self) -> usize;
    /// The TCK rate the batches run at, Hz.
    fn clock_hz(&self) -> u32;
    /// Waits on the device's timeline (see [`Ftdi::wait`]).
    fn wait(&mut self, duration: Duration);
    /// The device's timeline (see [`Ftdi::now`]).
    fn now(&self) -> Duration;
    /// Leaves the mode and gives the channel back.
    fn close(self: Box<Self>);
}

impl CommandRunner for MpssePort {
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError> {
        MpssePort::run(self, cmds)
    }
    fn send(&mut self, cmds: &Commands) -> Result<(), UsbError> {
        MpssePort::send(self, cmds)
    }
    fn max_read(&self) -> usize {
        MpssePort::max_read(self)
    }
    fn clock_hz(&self) -> u32 {
        self.hz
    }
    fn wait(&mut self, duration: Duration) {
        self.ftdi.wait(duration);
    }
    fn now(&self) -> Duration {
        self.ftdi.now()
    }
    fn close(self: Box<Self>) {
        MpssePort::close(*self);
    }
}

/// Timeout for the read-back of one batch.
const READ_TIMEOUT: Duration = Duration::from_millis(2000);

/// The divisor for the fastest clock not above `hz` from an MPSSE master
/// clock of `base_hz` (AN_108 §3.8: `base / ((1 + divisor) * 2)`), and that clock.
pub fn clock_divisor(base_hz: u32, hz: u32) -> (u16, u32) {
    let divisor = (base_hz / 2)
        .div_ceil(hz.max(1))
        .saturating_sub(1)
        .min(0xFFFF);
    (divisor as u16, base_hz / ((1 + divisor) * 2))
}

/// The slowest and fastest MPSSE clock `chip` divides to, Hz: its master
/// clock (divide-by-5 off) over `(1 + divisor) * 2` for divisors 0xFFFF..0
/// (AN_108 §3.8): 457 Hz to 30 MHz on the H series, 91 Hz to 6 MHz on the FT2232D.
pub fn clock_range(chip: ChipType) -> (u32, u32) {
    let base = chip.info().mpsse_base_hz;
    (base.div_ceil(2 * 0x1_0000), base / 2)
}

/// An FTDI channel in MPSSE mode.
#[derive(Debug)]
pub struct MpssePort {
    ftdi: Ftdi,
    low_value: u8,
    low_direction: u8,
    hz: u32,
}

impl MpssePort {
    /// Puts the channel in MPSSE mode: reset, purge, latency 1 ms, bit mode,
    /// the bad-command synchronisation (AN_135 §5), then the clock (`hz`,
    /// rounded down) and the low pins. A clock the chip cannot divide to
    /// ([`clock_range`]) is refused before anything is sent.
    pub fn open(
        mut ftdi: Ftdi,
        hz: u32,
        low_value: u8,
        low_direction: u8,
    ) -> Result<Self, UsbError> {
        let chip = ftdi.chip();
        let (min, max) = clock_range(chip);
        if !(min..=max).contains(&hz) {
            return Err(UsbError::MpsseClock {
                chip,
                requested: hz,
                min,
                max,
            });
        }
        ftdi.reset()?;
        ftdi.purge()?;
        ftdi.set_latency_timer(1)?;
        ftdi.set_bitmode(0, BitMode::Reset)?;
        ftdi.set_bitmode(0, BitMode::Mpsse)?;
        let (divisor, actual) = clock_divisor(chip.info().mpsse_base_hz, hz);
        let mut port = MpssePort {
            ftdi,
            low_value,
            low_direction,
            hz: actual,
        };
        port.synchronise()?;
        let mut init = Commands::new();
        if port.ftdi.chip().info().high_speed {
            init.plain(Opcode::DisableDiv5)
                .plain(Opcode::DisableAdaptive)
                .plain(Opcode::Disable3Phase);
        }
        init.plain(Opcode::LoopbackOff)
            .clock_divisor(divisor)
            .set_low(low_value, low_direction);
        port.run(&init)?;
        Ok(port)
    }

    /// Sends the bad-command probe and checks the `0xFA 0xAA` answer.
    pub fn synchronise(&mut self) -> Result<(), UsbError> {
        let mut probe = Commands::new();
        probe.probe();
        let got = self.run(&probe)?;
        let expected = vec![BAD_COMMAND, Opcode::BadCommandProbe as u8];
        if got != expected {
            return Err(UsbError::MpsseSync {
                expected,
                found: got,
            });
        }
        Ok(())
    }

    /// Runs a batch and returns its read-back. A batch that reads nothing is
    /// closed with a GPIO read so that it has certainly executed when this
    /// returns (readback-synchronised flush).
    pub fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError> {
        let mut bytes = cmds.bytes().to_vec();
        let mut expected = cmds.reads();
        let fence = expected == 0;
        if fence {
            bytes.push(Opcode::ReadLow as u8);
            expected = 1;
        }
        bytes.push(Opcode::SendImmediate as u8);
        self.ftdi.write_all(&bytes)?;
        let mut buf = vec![0u8; expected];
        self.ftdi.read_exact(&mut buf, READ_TIMEOUT)?;
        if fence {
            buf.clear();
        }
        Ok(buf)
    }

    /// Writes a batch that reads nothing without waiting for it to run (see
    /// [`CommandRunner::send`]); the chip's FIFO paces the writes.
    pub fn send(&mut self, cmds: &Commands) -> Result<(), UsbError> {
        if cmds.reads() > 0 {
            return self.run(cmds).map(drop);
        }
        self.ftdi.write_all(cmds.bytes())
    }

    /// The low-byte pin levels and directions last set.
    pub fn low(&self) -> (u8, u8) {
        (self.low_value, self.low_direction)
    }

    /// Adds a low-byte update to `cmds`, remembering it.
    pub fn set_low(&mut self, cmds: &mut Commands, value: u8) {
        self.low_value = value;
        cmds.set_low(value, self.low_direction);
    }

    /// Reads the low pins now.
    pub fn read_low(&mut self) -> Result<u8, UsbError> {
        let mut cmds = Commands::new();
        cmds.read_low();
        let got = self.run(&cmds)?;
        got.first().copied().ok_or(UsbError::Timeout {
            op: "read pins",
            actual: 0,
            expected: 1,
        })
    }

    /// Most bytes one batch may read back (the chip's FIFO, less the GPIO fence).
    pub fn max_read(&self) -> usize {
        self.ftdi.chip().info().rx_buffer - 2
    }

    /// The clock SCK/TCK runs at, Hz (what was asked for, rounded down to a divisor).
    pub fn clock_hz(&self) -> u32 {
        self.hz
    }

    /// The underlying channel.
    pub fn ftdi(&self) -> &Ftdi {
        &self.ftdi
    }

    /// Waits on the device's timeline (see [`Ftdi::wait`]).
    pub fn wait(&mut self, duration: Duration) {
        self.ftdi.wait(duration);
    }

    /// The device's timeline (see [`Ftdi::now`]).
    pub fn now(&self) -> Duration {
        self.ftdi.now()
    }

    /// Leaves MPSSE mode (best effort) and gives the channel back.
    pub fn close(mut self) {
        let _ = self.ftdi.set_bitmode(0, BitMode::Reset);
        self.ftdi.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_divisors() {
        assert_eq!(clock_divisor(60_000_000, 30_000_000), (0, 30_000_000));
        assert_eq!(clock_divisor(60_000_000, 6_000_000), (4, 6_000_000));
        assert_eq!(clock_divisor(60_000_000, 7_000_000), (4, 6_000_000));
        assert_eq!(clock_divisor(12_000_000, 6_000_000), (0, 6_000_000));
        assert_eq!(clock_divisor(60_000_000, 1), (0xFFFF, 457));
    }

    #[test]
    fn clock_ranges_follow_the_master_clock() {
        assert_eq!(clock_range(ChipType::Ft2232H), (458, 30_000_000));
        assert_eq!(clock_range(ChipType::Ft232H), (458, 30_000_000));
        assert_eq!(clock_range(ChipType::Ft2232D), (92, 6_000_000));
        // The ends of each range are reachable divisors.
        let (min, max) = clock_range(ChipType::Ft2232H);
        assert_eq!(clock_divisor(60_000_000, max), (0, max));
        let (_, slowest) = clock_divisor(60_000_000, min);
        assert!(slowest > 0 && slowest <= min);
    }
}
