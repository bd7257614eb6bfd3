//! MPSSE (FTDI AN_108): a pure command builder, the JTAG TAP state machine,
//! and [`MpssePort`], which runs built commands on an [`Ftdi`] channel.
//!
//! Pin use on the low byte (ADBUS), as on iCEBreaker/iCEstick (SPI) and
//! ULX3S-style FT2232 JTAG: bit 0 SCK/TCK, bit 1 MOSI/TDI, bit 2 MISO/TDO,
//! bit 3 TMS; the remaining pins are board GPIOs.

use std::time::Duration;

use crate::usb::{BitMode, Ftdi, UsbError};

/// MPSSE opcodes (FTDI AN_108 "Command Processor for MPSSE and MCU Host Bus
/// Emulation Modes", §3-§6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// Bytes out on the falling edge, MSB first (SPI mode 0 write).
    BytesOutNegMsb = 0x11,
    /// Bits out on the falling edge, MSB first.
    BitsOutNegMsb = 0x13,
    /// Bytes in on the rising edge, MSB first.
    BytesInPosMsb = 0x20,
    /// Bytes out falling, in rising, MSB first (SPI mode 0 transfer).
    BytesInOutMsb = 0x31,
    /// Bits out falling, in rising, MSB first.
    BitsInOutMsb = 0x33,
    /// Bytes out on the falling edge, LSB first (JTAG TDI).
    BytesOutNegLsb = 0x19,
    /// Bits out on the falling edge, LSB first.
    BitsOutNegLsb = 0x1B,
    /// Bytes out falling, in rising, LSB first (JTAG TDI/TDO).
    BytesInOutLsb = 0x39,
    /// Bits out falling, in rising, LSB first.
    BitsInOutLsb = 0x3B,
    /// TMS bits out on the falling edge (TDI held at bit 7 of the data byte).
    TmsOut = 0x4B,
    /// TMS bits out falling, TDO in rising.
    TmsInOut = 0x6B,
    /// Set ADBUS 0..7 value and direction.
    SetLow = 0x80,
    /// Read ADBUS 0..7.
    ReadLow = 0x81,
    /// Set ACBUS 0..7 value and direction.
    SetHigh = 0x82,
    /// Read ACBUS 0..7.
    ReadHigh = 0x83,
    /// Connect TDI/DO to TDO/DI internally.
    LoopbackOn = 0x84,
    /// Disconnect the internal loopback.
    LoopbackOff = 0x85,
    /// Set the clock divisor (two bytes, low first).
    SetClockDivisor = 0x86,
    /// Flush the chip's read buffer to the host now.
    SendImmediate = 0x87,
    /// H series: 60 MHz master clock (divide-by-5 off).
    DisableDiv5 = 0x8A,
    /// H series: 12 MHz master clock (divide-by-5 on).
    EnableDiv5 = 0x8B,
    /// H series: three-phase data clocking on.
    Enable3Phase = 0x8C,
    /// H series: three-phase data clocking off.
    Disable3Phase = 0x8D,
    /// Clock 1..8 cycles with no data.
    ClockBits = 0x8E,
    /// Clock (n+1)*8 cycles with no data.
    ClockBytes = 0x8F,
    /// H series: adaptive clocking off.
    DisableAdaptive = 0x97,
    /// Not a command: the engine answers `0xFA 0xAA` ("bad command"), used to synchronise.
    BadCommandProbe = 0xAA,
}

/// The engine's reply to an unknown opcode: `0xFA`, then the opcode.
pub const BAD_COMMAND: u8 = 0xFA;

/// A batch of MPSSE commands and the number of bytes they will read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    bytes: Vec<u8>,
    reads: usize,
}

impl Commands {
    /// An empty batch.
    pub fn new() -> Self {
        Commands::default()
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes the batch makes the engine send back.
    pub fn reads(&self) -> usize {
        self.reads
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn op(&mut self, opcode: Opcode) -> &mut Self {
        self.bytes.push(opcode as u8);
        self
    }

    /// Sets the clock to `base_hz / ((1 + divisor) * 2)`.
    pub fn clock_divisor(&mut self, divisor: u16) -> &mut Self {
        self.op(Opcode::SetClockDivisor);
        self.bytes.extend(divisor.to_le_bytes());
        self
    }

    /// Sets the low GPIO byte: `value` levels, `direction` 1 = output.
    pub fn set_low(&mut self, value: u8, direction: u8) -> &mut Self {
        self.op(Opcode::SetLow);
        self.bytes.extend([value, direction]);
        self
    }

    /// Reads the low GPIO byte (one byte back).
    pub fn read_low(&mut self) -> &mut Self {
        self.reads += 1;
        self.op(Opcode::ReadLow)
    }

    /// Adds a bare opcode that takes no operands and reads nothing.
    pub fn plain(&mut self, opcode: Opcode) -> &mut Self {
        self.op(opcode)
    }

    /// The bad-command probe: two bytes (`0xFA 0xAA`) back.
    pub fn probe(&mut self) -> &mut Self {
        self.reads += 2;
        self.op(Opcode::BadCommandProbe)
    }

    /// A byte-shift command for `data` (1..=65536 bytes per command; longer
    /// data is split). `read` adds one byte back per byte.
    pub fn shift_bytes(&mut self, opcode: Opcode, data: &[u8], read: bool) -> &mut Self {
        for chunk in data.chunks(65536) {
            self.op(opcode);
            let len = (chunk.len() - 1) as u16;
            self.bytes.extend(len.to_le_bytes());
            self.bytes.extend(chunk);
            if read {
                self.reads += chunk.len();
            }
        }
        self
    }

    /// Reads `count` bytes with no data out (MSB first, rising edge).
    pub fn read_bytes(&mut self, count: usize) -> &mut Self {
        let mut left = count;
        while left > 0 {
            let chunk = left.min(65536);
            self.op(Opcode::BytesInPosMsb);
            self.bytes.extend(((chunk - 1) as u16).to_le_bytes());
            self.reads += chunk;
            left -= chunk;
        }
        self
    }

    /// A bit-shift command of `bits` (1..=8) bits from `value`.
    pub fn shift_bits(&mut self, opcode: Opcode, value: u8, bits: u8, read: bool) -> &mut Self {
        let bits = bits.clamp(1, 8);
        self.op(opcode);
        self.bytes.extend([bits - 1, value]);
        if read {
            self.reads += 1;
        }
        self
    }

    /// Clocks `bits` TMS bits (1..=7) from `tms` LSB first, TDI held at `tdi`.
    pub fn tms(&mut self, tms: u8, bits: u8, tdi: bool, read: bool) -> &mut Self {
        let bits = bits.clamp(1, 7);
        self.op(if read {
            Opcode::TmsInOut
        } else {
            Opcode::TmsOut
        });
        self.bytes
            .extend([bits - 1, (tms & 0x7F) | if tdi { 0x80 } else { 0 }]);
        if read {
            self.reads += 1;
        }
        self
    }

    /// Clocks a TMS sequence of any length (split into commands of at most 7 bits).
    pub fn tms_path(&mut self, (bits, len): (u16, u8)) -> &mut Self {
        let mut done = 0;
        while done < len {
            let n = (len - done).min(7);
            self.tms((bits >> done) as u8 & 0x7F, n, false, false);
            done += n;
        }
        self
    }

    /// Clocks `cycles` with no data (whole bytes, then bits).
    pub fn idle_clocks(&mut self, cycles: usize) -> &mut Self {
        let mut bytes = cycles / 8;
        while bytes > 0 {
            let chunk = bytes.min(65536);
            self.op(Opcode::ClockBytes);
            self.bytes.extend(((chunk - 1) as u16).to_le_bytes());
            bytes -= chunk;
        }
        let bits = (cycles % 8) as u8;
        if bits > 0 {
            self.op(Opcode::ClockBits);
            self.bytes.push(bits - 1);
        }
        self
    }

    /// Appends another batch.
    pub fn extend(&mut self, other: &Commands) -> &mut Self {
        self.bytes.extend(&other.bytes);
        self.reads += other.reads;
        self
    }
}

/// The sixteen IEEE 1149.1 TAP controller states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapState {
    /// Test-Logic-Reset.
    Reset,
    /// Run-Test/Idle.
    Idle,
    /// Select-DR-Scan.
    SelectDr,
    /// Capture-DR.
    CaptureDr,
    /// Shift-DR.
    ShiftDr,
    /// Exit1-DR.
    Exit1Dr,
    /// Pause-DR.
    PauseDr,
    /// Exit2-DR.
    Exit2Dr,
    /// Update-DR.
    UpdateDr,
    /// Select-IR-Scan.
    SelectIr,
    /// Capture-IR.
    CaptureIr,
    /// Shift-IR.
    ShiftIr,
    /// Exit1-IR.
    Exit1Ir,
    /// Pause-IR.
    PauseIr,
    /// Exit2-IR.
    Exit2Ir,
    /// Update-IR.
    UpdateIr,
}

impl TapState {
    /// The state after one TCK with TMS at `tms`.
    pub fn next(self, tms: bool) -> TapState {
        use TapState::*;
        match (self, tms) {
            (Reset, false) => Idle,
            (Reset, true) => Reset,
            (Idle, false) => Idle,
            (Idle, true) => SelectDr,
            (SelectDr, false) => CaptureDr,
            (SelectDr, true) => SelectIr,
            (CaptureDr, false) | (ShiftDr, false) | (Exit2Dr, false) => ShiftDr,
            (CaptureDr, true) | (ShiftDr, true) => Exit1Dr,
            (Exit1Dr, false) | (PauseDr, false) => PauseDr,
            (Exit1Dr, true) | (Exit2Dr, true) => UpdateDr,
            (PauseDr, true) => Exit2Dr,
            (UpdateDr, false) | (UpdateIr, false) => Idle,
            (UpdateDr, true) | (UpdateIr, true) => SelectDr,
            (SelectIr, false) => CaptureIr,
            (SelectIr, true) => Reset,
            (CaptureIr, false) | (ShiftIr, false) | (Exit2Ir, false) => ShiftIr,
            (CaptureIr, true) | (ShiftIr, true) => Exit1Ir,
            (Exit1Ir, false) | (PauseIr, false) => PauseIr,
            (Exit1Ir, true) | (Exit2Ir, true) => UpdateIr,
            (PauseIr, true) => Exit2Ir,
        }
    }

    /// The shortest TMS sequence from `self` to `to`: (bits LSB first, count).
    /// Going to [`TapState::Reset`] always uses five ones, which works from anywhere.
    pub fn path_to(self, to: TapState) -> (u16, u8) {
        if to == TapState::Reset {
            return (0b1_1111, 5);
        }
        // Breadth-first search; no shortest path in the 16-state graph is longer than 9.
        let mut frontier = vec![(self, 0u16, 0u8)];
        for _ in 0..10 {
            let mut next = Vec::new();
            for (state, bits, len) in frontier {
                if state == to {
                    return (bits, len);
                }
                for tms in [false, true] {
                    next.push((state.next(tms), bits | (u16::from(tms) << len), len + 1));
                }
            }
            frontier = next;
        }
        (0b1_1111, 5)
    }
}

/// Appends to `cmds` the shift of `bits` bits of `tdi` (LSB first) through
/// the current Shift-IR/Shift-DR state; the last bit is clocked with TMS = 1
/// when `exit` is set (leaving for Exit1). Returns how the read-back bytes
/// decode (pass to [`decode_tdo`]) when `read` is set.
pub fn jtag_shift(
    cmds: &mut Commands,
    tdi: &[u8],
    bits: usize,
    read: bool,
    exit: bool,
) -> ShiftLayout {
    let bit = |i: usize| tdi.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1);
    // With `exit`, the final bit goes out with the TMS command.
    let body = if exit { bits.saturating_sub(1) } else { bits };
    let whole = body / 8;
    let rest = (body % 8) as u8;
    let start = cmds.reads();
    if whole > 0 {
        let bytes: Vec<u8> = (0..whole)
            .map(|i| (0..8).fold(0u8, |b, j| b | (u8::from(bit(i * 8 + j)) << j)))
            .collect();
        let op = if read {
            Opcode::BytesInOutLsb
        } else {
            Opcode::BytesOutNegLsb
        };
        cmds.shift_bytes(op, &bytes, read);
    }
    if rest > 0 {
        let value = (0..rest as usize).fold(0u8, |b, j| b | (u8::from(bit(whole * 8 + j)) << j));
        let op = if read {
            Opcode::BitsInOutLsb
        } else {
            Opcode::BitsOutNegLsb
        };
        cmds.shift_bits(op, value, rest, read);
    }
    let last = exit && bits > 0;
    if last {
        cmds.tms(0b1, 1, bit(bits - 1), read);
    }
    ShiftLayout {
        start,
        whole,
        rest,
        last,
        bits,
    }
}

/// Where the TDO bits of one [`jtag_shift`] sit in the read-back bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftLayout {
    /// Offset of the first read-back byte of this shift.
    pub start: usize,
    whole: usize,
    rest: u8,
    last: bool,
    bits: usize,
}

/// Rebuilds the TDO bits (LSB first) of a shift from the raw read-back.
/// Bit-mode reads arrive in the top bits of their byte (LSB-first shifting
/// enters at bit 7), so `n` bits sit at `byte >> (8 - n)`.
pub fn decode_tdo(raw: &[u8], layout: ShiftLayout) -> Vec<u8> {
    let mut out = vec![0u8; layout.bits.div_ceil(8)];
    let mut put = |i: usize, v: bool| {
        if v {
            out[i / 8] |= 1 << (i % 8);
        }
    };
    let mut at = layout.start;
    for i in 0..layout.whole {
        let byte = raw.get(at + i).copied().unwrap_or(0);
        for j in 0..8 {
            put(i * 8 + j, byte >> j & 1 == 1);
        }
    }
    at += layout.whole;
    let mut index = layout.whole * 8;
    if layout.rest > 0 {
        let byte = raw.get(at).copied().unwrap_or(0) >> (8 - layout.rest);
        for j in 0..layout.rest as usize {
            put(index + j, byte >> j & 1 == 1);
        }
        index += layout.rest as usize;
        at += 1;
    }
    if layout.last {
        let byte = raw.get(at).copied().unwrap_or(0);
        put(index, byte >> 7 & 1 == 1);
    }
    out
}

/// Something that runs MPSSE command batches: the chip's MPSSE engine
/// ([`MpssePort`]), or a software engine on bit-bang pins for chips without
/// one (`program::bitbang`).
pub trait CommandRunner: Send + std::fmt::Debug {
    /// Runs a batch; returns its read-back, once every command has executed.
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError>;
    /// Most bytes one batch may read back.
    fn max_read(&self) -> usize;
    /// Leaves the mode and gives the channel back.
    fn close(self: Box<Self>);
}

impl CommandRunner for MpssePort {
    fn run(&mut self, cmds: &Commands) -> Result<Vec<u8>, UsbError> {
        MpssePort::run(self, cmds)
    }
    fn max_read(&self) -> usize {
        MpssePort::max_read(self)
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

/// An FTDI channel in MPSSE mode.
#[derive(Debug)]
pub struct MpssePort {
    ftdi: Ftdi,
    low_value: u8,
    low_direction: u8,
}

impl MpssePort {
    /// Puts the channel in MPSSE mode: reset, purge, latency 1 ms, bit mode,
    /// the bad-command synchronisation (AN_135 §5), then the clock (`hz`,
    /// rounded down) and the low pins.
    pub fn open(
        mut ftdi: Ftdi,
        hz: u32,
        low_value: u8,
        low_direction: u8,
    ) -> Result<Self, UsbError> {
        ftdi.reset()?;
        ftdi.purge()?;
        ftdi.set_latency_timer(1)?;
        ftdi.set_bitmode(0, BitMode::Reset)?;
        ftdi.set_bitmode(0, BitMode::Mpsse)?;
        let mut port = MpssePort {
            ftdi,
            low_value,
            low_direction,
        };
        port.synchronise()?;
        let (divisor, _) = clock_divisor(port.ftdi.chip().info().mpsse_base_hz, hz);
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

    /// The underlying channel.
    pub fn ftdi(&self) -> &Ftdi {
        &self.ftdi
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
    fn opcode_bytes_match_an_108() {
        let table = [
            (Opcode::BytesOutNegMsb, 0x11),
            (Opcode::BitsOutNegMsb, 0x13),
            (Opcode::BytesInPosMsb, 0x20),
            (Opcode::BytesInOutMsb, 0x31),
            (Opcode::BitsInOutMsb, 0x33),
            (Opcode::BytesOutNegLsb, 0x19),
            (Opcode::BitsOutNegLsb, 0x1B),
            (Opcode::BytesInOutLsb, 0x39),
            (Opcode::BitsInOutLsb, 0x3B),
            (Opcode::TmsOut, 0x4B),
            (Opcode::TmsInOut, 0x6B),
            (Opcode::SetLow, 0x80),
            (Opcode::ReadLow, 0x81),
            (Opcode::SetHigh, 0x82),
            (Opcode::ReadHigh, 0x83),
            (Opcode::LoopbackOn, 0x84),
            (Opcode::LoopbackOff, 0x85),
            (Opcode::SetClockDivisor, 0x86),
            (Opcode::SendImmediate, 0x87),
            (Opcode::DisableDiv5, 0x8A),
            (Opcode::EnableDiv5, 0x8B),
            (Opcode::Enable3Phase, 0x8C),
            (Opcode::Disable3Phase, 0x8D),
            (Opcode::ClockBits, 0x8E),
            (Opcode::ClockBytes, 0x8F),
            (Opcode::DisableAdaptive, 0x97),
            (Opcode::BadCommandProbe, 0xAA),
        ];
        for (op, byte) in table {
            assert_eq!(op as u8, byte, "{op:?}");
        }
    }

    #[test]
    fn builder_encodes_lengths_minus_one() {
        let mut c = Commands::new();
        c.clock_divisor(0x0102)
            .set_low(0x10, 0x93)
            .shift_bytes(Opcode::BytesInOutMsb, &[0x9F, 0, 0, 0], true)
            .shift_bits(Opcode::BitsOutNegLsb, 0b101, 3, false)
            .tms(0b0011, 4, true, false)
            .idle_clocks(19)
            .read_low();
        assert_eq!(
            c.bytes(),
            &[
                0x86, 0x02, 0x01, 0x80, 0x10, 0x93, 0x31, 0x03, 0x00, 0x9F, 0, 0, 0, 0x1B, 0x02,
                0b101, 0x4B, 0x03, 0x83, 0x8F, 0x01, 0x00, 0x8E, 0x02, 0x81
            ]
        );
        assert_eq!(c.reads(), 5);
    }

    #[test]
    fn clock_divisors() {
        assert_eq!(clock_divisor(60_000_000, 30_000_000), (0, 30_000_000));
        assert_eq!(clock_divisor(60_000_000, 6_000_000), (4, 6_000_000));
        assert_eq!(clock_divisor(60_000_000, 7_000_000), (4, 6_000_000));
        assert_eq!(clock_divisor(12_000_000, 6_000_000), (0, 6_000_000));
        assert_eq!(clock_divisor(60_000_000, 1), (0xFFFF, 457));
    }

    #[test]
    fn tap_paths_reach_their_targets() {
        use TapState::*;
        let all = [
            Reset, Idle, SelectDr, CaptureDr, ShiftDr, Exit1Dr, PauseDr, Exit2Dr, UpdateDr,
            SelectIr, CaptureIr, ShiftIr, Exit1Ir, PauseIr, Exit2Ir, UpdateIr,
        ];
        for from in all {
            for to in all {
                let (bits, len) = from.path_to(to);
                let mut s = from;
                for i in 0..len {
                    s = s.next(bits >> i & 1 == 1);
                }
                assert_eq!(s, to, "{from:?} -> {to:?}");
                assert!(len <= 9);
            }
        }
        assert_eq!(Idle.path_to(ShiftIr), (0b0011, 4));
        assert_eq!(Idle.path_to(ShiftDr), (0b001, 3));
        assert_eq!(Exit1Dr.path_to(Idle), (0b01, 2));
    }

    #[test]
    fn jtag_shift_of_odd_length_splits_bytes_bits_and_tms() {
        let mut c = Commands::new();
        // 13 bits: one byte, four bits, last bit with TMS.
        let layout = jtag_shift(&mut c, &[0xA5, 0x1B], 13, true, true);
        assert_eq!(
            c.bytes(),
            &[0x39, 0x00, 0x00, 0xA5, 0x3B, 0x03, 0x0B, 0x6B, 0x00, 0x81]
        );
        assert_eq!(c.reads(), 3);
        // TDO: 0x3C, then bits 0b1010 in the top nibble, then a 1 in bit 7.
        let tdo = decode_tdo(&[0x3C, 0b1010_0000, 0x80], layout);
        assert_eq!(tdo, vec![0x3C, 0b1_1010]);
    }
}
