//! SPI NOR flash programming over any [`SpiBus`]: JEDEC ID, power-up,
//! write enable, erase of only the sectors the image covers, 256-byte page
//! program, busy polling, and a read-back verify of every byte.

use std::time::Duration;

use super::{progress_bar, ProgramError};

/// SPI NOR flash commands common to the W25Q/IS25LP/MX25 parts on FPGA
/// boards (Winbond W25Q128JV datasheet §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FlashCmd {
    /// Set the write-enable latch.
    WriteEnable = 0x06,
    /// Read status register 1 (bit 0 BUSY, bit 1 WEL).
    ReadStatus = 0x05,
    /// Read data from a 24-bit address.
    Read = 0x03,
    /// Program up to 256 bytes within one page.
    PageProgram = 0x02,
    /// Erase the 4 KiB sector holding the address.
    SectorErase4K = 0x20,
    /// Erase the 64 KiB block holding the address.
    BlockErase64K = 0xD8,
    /// Manufacturer and device ID (3 bytes).
    JedecId = 0x9F,
    /// Enter deep power-down.
    PowerDown = 0xB9,
    /// Leave deep power-down.
    ReleasePowerDown = 0xAB,
}

/// Status register 1 bits.
const BUSY: u8 = 0x01;
const WEL: u8 = 0x02;
/// Program page size.
const PAGE: usize = 256;
/// Bytes read back per transaction.
const READ_CHUNK: usize = 2048;

/// One SPI transaction with chip select: send `out`, then clock in `read`
/// bytes, then release chip select.
pub trait SpiBus {
    /// Runs the transaction; returns the bytes read after `out`.
    fn transaction(&mut self, out: &[u8], read: usize) -> Result<Vec<u8>, ProgramError>;
    /// Most bytes one transaction sending `out_len` bytes may read (the chip's FIFO).
    fn max_read(&self, out_len: usize) -> usize;
    /// Waits on the device's timeline (see [`crate::usb::Ftdi::wait`]).
    fn wait(&mut self, duration: Duration);
    /// The device's timeline (see [`crate::usb::Ftdi::now`]).
    fn now(&self) -> Duration;
}

/// The flash's JEDEC identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JedecId(pub [u8; 3]);

impl JedecId {
    /// Capacity in bytes from the density byte (2^n), if plausible.
    pub fn capacity(self) -> Option<usize> {
        let n = self.0[2];
        (16..=28).contains(&n).then(|| 1usize << n)
    }
}

impl std::fmt::Display for JedecId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02x} {:02x} {:02x}", self.0[0], self.0[1], self.0[2])
    }
}

fn addressed(cmd: FlashCmd, address: usize) -> [u8; 4] {
    [
        cmd as u8,
        (address >> 16) as u8,
        (address >> 8) as u8,
        address as u8,
    ]
}

/// Wakes the flash and reads its JEDEC ID; refuses a missing flash.
pub fn identify(bus: &mut dyn SpiBus) -> Result<JedecId, ProgramError> {
    bus.transaction(&[FlashCmd::ReleasePowerDown as u8], 0)?;
    // tRES1 is 3 us; one USB round trip is longer, but be explicit.
    bus.wait(Duration::from_micros(50));
    let id = bus.transaction(&[FlashCmd::JedecId as u8], 3)?;
    let id = JedecId([id[0], id[1], id[2]]);
    if id.0 == [0xFF; 3] || id.0 == [0; 3] || id.capacity().is_none() {
        return Err(ProgramError::NoFlash { jedec: id.0 });
    }
    Ok(id)
}

fn wait_ready(bus: &mut dyn SpiBus, op: &'static str, limit: Duration) -> Result<(), ProgramError> {
    let start = bus.now();
    loop {
        let status = bus.transaction(&[FlashCmd::ReadStatus as u8], 1)?;
        if status[0] & BUSY == 0 {
            return Ok(());
        }
        let waited = bus.now().saturating_sub(start);
        if waited > limit {
            return Err(ProgramError::FlashBusy {
                op,
                waited_ms: waited.as_millis() as u64,
            });
        }
        bus.wait(Duration::from_micros(100));
    }
}

fn write_enable(bus: &mut dyn SpiBus) -> Result<(), ProgramError> {
    bus.transaction(&[FlashCmd::WriteEnable as u8], 0)?;
    let status = bus.transaction(&[FlashCmd::ReadStatus as u8], 1)?;
    if status[0] & WEL == 0 {
        return Err(ProgramError::WriteEnable { status: status[0] });
    }
    Ok(())
}

/// The erases that cover `[start, end)`: 64 KiB blocks where a whole
/// aligned block lies inside the 4 KiB-rounded range, 4 KiB sectors elsewhere.
pub fn erase_plan(start: usize, end: usize) -> Vec<(FlashCmd, usize)> {
    const SECTOR: usize = 4096;
    const BLOCK: usize = 65536;
    let mut plan = Vec::new();
    if end <= start {
        return plan;
    }
    let mut at = start / SECTOR * SECTOR;
    let end = end.div_ceil(SECTOR) * SECTOR;
    while at < end {
        if at % BLOCK == 0 && at + BLOCK <= end {
            plan.push((FlashCmd::BlockErase64K, at));
            at += BLOCK;
        } else {
            plan.push((FlashCmd::SectorErase4K, at));
            at += SECTOR;
        }
    }
    plan
}

/// Reads `len` bytes from `address`.
pub fn read(bus: &mut dyn SpiBus, address: usize, len: usize) -> Result<Vec<u8>, ProgramError> {
    let mut out = Vec::with_capacity(len);
    let chunk = READ_CHUNK.min(bus.max_read(4)).max(1);
    while out.len() < len {
        let n = (len - out.len()).min(chunk);
        out.extend(bus.transaction(&addressed(FlashCmd::Read, address + out.len()), n)?);
    }
    Ok(out)
}

/// Erases what `data` needs, programs it page by page at `address`, and
/// verifies every byte by reading it back.
pub fn write_and_verify(
    bus: &mut dyn SpiBus,
    jedec: JedecId,
    address: usize,
    data: &[u8],
) -> Result<(), ProgramError> {
    let capacity = jedec.capacity().unwrap_or(0);
    if address + data.len() > capacity {
        return Err(ProgramError::FlashTooSmall {
            needed: address + data.len(),
            capacity,
        });
    }
    let plan = erase_plan(address, address + data.len());
    let bar = progress_bar("erase", plan.len() as u64);
    for (cmd, at) in plan {
        write_enable(bus)?;
        bus.transaction(&addressed(cmd, at), 0)?;
        wait_ready(bus, "erase", Duration::from_secs(5))?;
        bar.inc(1);
    }
    bar.finish_and_clear();

    let bar = progress_bar("write", data.len() as u64);
    let mut offset = 0;
    while offset < data.len() {
        let at = address + offset;
        let n = (PAGE - at % PAGE).min(data.len() - offset);
        let chunk = &data[offset..offset + n];
        if chunk.iter().any(|&b| b != 0xFF) {
            write_enable(bus)?;
            let mut out = addressed(FlashCmd::PageProgram, at).to_vec();
            out.extend(chunk);
            bus.transaction(&out, 0)?;
            wait_ready(bus, "page program", Duration::from_millis(100))?;
        }
        offset += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();

    let bar = progress_bar("verify", data.len() as u64);
    let mut offset = 0;
    while offset < data.len() {
        let n = (data.len() - offset).min(READ_CHUNK);
        let back = read(&mut *bus, address + offset, n)?;
        if let Some(i) = (0..n).find(|&i| back[i] != data[offset + i]) {
            return Err(ProgramError::VerifyMismatch {
                address: (address + offset + i) as u32,
                expected: data[offset + i],
                found: back[i],
            });
        }
        offset += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bytes() {
        assert_eq!(FlashCmd::WriteEnable as u8, 0x06);
        assert_eq!(FlashCmd::ReadStatus as u8, 0x05);
        assert_eq!(FlashCmd::Read as u8, 0x03);
        assert_eq!(FlashCmd::PageProgram as u8, 0x02);
        assert_eq!(FlashCmd::SectorErase4K as u8, 0x20);
        assert_eq!(FlashCmd::BlockErase64K as u8, 0xD8);
        assert_eq!(FlashCmd::JedecId as u8, 0x9F);
        assert_eq!(FlashCmd::PowerDown as u8, 0xB9);
        assert_eq!(FlashCmd::ReleasePowerDown as u8, 0xAB);
    }

    #[test]
    fn erase_plan_covers_only_what_is_needed() {
        use FlashCmd::*;
        assert_eq!(erase_plan(0, 1), vec![(SectorErase4K, 0)]);
        assert_eq!(erase_plan(0, 65536), vec![(BlockErase64K, 0)]);
        // 104090 bytes at 0: one 64K block, then 10 sectors up to 106496.
        let plan = erase_plan(0, 104_090);
        assert_eq!(plan[0], (BlockErase64K, 0));
        assert_eq!(plan.len(), 1 + 10);
        assert_eq!(plan.last(), Some(&(SectorErase4K, 0x19000)));
        // Unaligned start: sectors up to the block boundary, then a block.
        let plan = erase_plan(0xF000, 0x20000);
        assert_eq!(
            plan,
            vec![(SectorErase4K, 0xF000), (BlockErase64K, 0x10000)]
        );
        assert!(erase_plan(5, 5).is_empty());
    }

    #[test]
    fn jedec_capacity() {
        assert_eq!(JedecId([0xEF, 0x40, 0x18]).capacity(), Some(16 << 20));
        assert_eq!(JedecId([0xFF, 0xFF, 0xFF]).capacity(), None);
    }
}
