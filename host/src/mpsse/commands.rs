//! MPSSE opcodes and the pure command builder (FTDI AN_108 "Command
//! Processor for MPSSE and MCU Host Bus Emulation Modes").

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
}
