//! SPI NOR flash programming over any [`SpiBus`]: JEDEC ID, power-up,
//! write enable, erase of only the sectors the image covers, 256-byte page
//! program, busy polling, and a read-back verify of every byte.
//!
//! Each erase and each page goes to the bus as one batch (write enable, the
//! command, for a page its typical program time, a first busy poll), which a
//! bus runs as one USB round trip; only a flash still busy then is polled
//! again.

use std::time::Duration;

use super::progress::{phase, Phase, Progress};
use super::ProgramError;

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

/// Status register 1 bit positions; the flash shifts the register MSB first,
/// so BUSY comes last.
const BUSY_BIT: u8 = 0;
const WEL_BIT: u8 = 1;
/// Program page size.
const PAGE: usize = 256;
/// Bytes read back per transaction at most; the bus's FIFO may allow fewer.
const READ_CHUNK: usize = 16 * 1024;
/// How long a page program may keep the flash busy (W25Q128JV tPP max is 3 ms).
const PAGE_LIMIT: Duration = Duration::from_millis(100);
/// How long an erase may keep the flash busy (64 KiB block: tBE2 max 2 s).
const ERASE_LIMIT: Duration = Duration::from_secs(5);
/// Pause between busy polls of an erase (tens of milliseconds typical).
const ERASE_POLL: Duration = Duration::from_millis(1);
/// A page program's typical time (W25Q128JV tPP): the first busy poll comes
/// after it, so that it usually finds the page done.
const PAGE_PROGRAM_TYPICAL: Duration = Duration::from_micros(400);

/// One SPI transaction of a [`SpiBus::batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpiOp<'a> {
    /// Sends these bytes with chip select held; reads nothing.
    Write(&'a [u8]),
    /// Reads status register 1 and keeps bit `n` of it: the flash shifts
    /// the register MSB first, so only the bits down to `n` are clocked.
    StatusBit(u8),
    /// Lets this long pass with chip select high (the bus clocks idle).
    Pause(Duration),
}

/// The SPI bus to the flash: transactions with chip select, each sending
/// `out` and then clocking in `read` bytes.
pub trait SpiBus {
    /// Runs one transaction; returns the bytes read after `out`.
    fn transaction(&mut self, out: &[u8], read: usize) -> Result<Vec<u8>, ProgramError>;
    /// Runs `ops` in order as one USB batch; returns the bit each
    /// [`SpiOp::StatusBit`] read, in order.
    fn batch(&mut self, ops: &[SpiOp]) -> Result<Vec<bool>, ProgramError>;
    /// Most bytes one transaction sending `out_len` bytes may read (the chip's FIFO).
    fn max_read(&self, out_len: usize) -> usize;
    /// Waits on the device's timeline (see [`crate::usb::Ftdi::wait`]).
    fn wait(&mut self, duration: Duration);
    /// The device's timeline (see [`crate::usb::Ftdi::now`]).
    fn now(&self) -> Duration;
}

/// Clock cycles that last `time` at `hz`: how a bus runs a [`SpiOp::Pause`].
pub fn clocks_for(time: Duration, hz: u32) -> usize {
    (time.as_secs_f64() * f64::from(hz)).ceil() as usize
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

/// Polls BUSY every `interval` until it clears or `limit` has passed.
fn wait_ready(
    bus: &mut dyn SpiBus,
    op: &'static str,
    limit: Duration,
    interval: Duration,
) -> Result<(), ProgramError> {
    let start = bus.now();
    loop {
        let busy = bus.batch(&[SpiOp::StatusBit(BUSY_BIT)])?;
        if !busy.first().copied().unwrap_or(true) {
            return Ok(());
        }
        let waited = bus.now().saturating_sub(start);
        if waited > limit {
            return Err(ProgramError::FlashBusy {
                op,
                waited_ms: waited.as_millis() as u64,
            });
        }
        bus.wait(interval);
    }
}

/// Write enable, a check of the latch, the erase and a first busy poll in
/// one batch; then polls until the erase is done.
fn erase(bus: &mut dyn SpiBus, cmd: FlashCmd, at: usize) -> Result<(), ProgramError> {
    let bits = bus.batch(&[
        SpiOp::Write(&[FlashCmd::WriteEnable as u8]),
        SpiOp::StatusBit(WEL_BIT),
        SpiOp::Write(&addressed(cmd, at)),
        SpiOp::StatusBit(BUSY_BIT),
    ])?;
    if !bits.first().copied().unwrap_or(false) {
        // The whole register, to name the protection bits in the message.
        let status = bus.transaction(&[FlashCmd::ReadStatus as u8], 1)?;
        return Err(ProgramError::WriteEnable {
            status: status.first().copied().unwrap_or(0),
        });
    }
    if bits.get(1).copied().unwrap_or(true) {
        wait_ready(bus, "erase", ERASE_LIMIT, ERASE_POLL)?;
    }
    Ok(())
}

/// Write enable, the page program, its typical time and a first busy poll
/// in one batch; then polls until the page is written. The latch is not checked per page: the
/// erases of the same sectors checked it, and the verify reads every byte.
fn program_page(bus: &mut dyn SpiBus, at: usize, data: &[u8]) -> Result<(), ProgramError> {
    let mut out = addressed(FlashCmd::PageProgram, at).to_vec();
    out.extend(data);
    let busy = bus.batch(&[
        SpiOp::Write(&[FlashCmd::WriteEnable as u8]),
        SpiOp::Write(&out),
        SpiOp::Pause(PAGE_PROGRAM_TYPICAL),
        SpiOp::StatusBit(BUSY_BIT),
    ])?;
    if busy.first().copied().unwrap_or(true) {
        wait_ready(bus, "page program", PAGE_LIMIT, Duration::ZERO)?;
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

/// Bytes one read transaction carries on `bus`.
fn read_chunk(bus: &dyn SpiBus) -> usize {
    READ_CHUNK.min(bus.max_read(4)).max(1)
}

/// Reads `len` bytes from `address`.
pub fn read(bus: &mut dyn SpiBus, address: usize, len: usize) -> Result<Vec<u8>, ProgramError> {
    let mut out = Vec::with_capacity(len);
    let chunk = read_chunk(bus);
    while out.len() < len {
        let n = (len - out.len()).min(chunk);
        out.extend(bus.transaction(&addressed(FlashCmd::Read, address + out.len()), n)?);
    }
    Ok(out)
}

/// Erases what `data` needs, programs it page by page at `address`, and
/// verifies every byte by reading it back, reporting each phase to `progress`.
pub fn write_and_verify(
    bus: &mut dyn SpiBus,
    jedec: JedecId,
    address: usize,
    data: &[u8],
    progress: &mut dyn Progress,
) -> Result<(), ProgramError> {
    let capacity = jedec.capacity().unwrap_or(0);
    if address + data.len() > capacity {
        return Err(ProgramError::FlashTooSmall {
            needed: address + data.len(),
            capacity,
        });
    }
    let plan = erase_plan(address, address + data.len());
    phase(progress, Phase::Erase, plan.len() as u64, |progress| {
        for &(cmd, at) in &plan {
            erase(bus, cmd, at)?;
            progress.advance(1);
        }
        Ok::<_, ProgramError>(())
    })?;

    phase(progress, Phase::Write, data.len() as u64, |progress| {
        let mut offset = 0;
        while offset < data.len() {
            let at = address + offset;
            let n = (PAGE - at % PAGE).min(data.len() - offset);
            let chunk = &data[offset..offset + n];
            if chunk.iter().any(|&b| b != 0xFF) {
                program_page(bus, at, chunk)?;
            }
            offset += n;
            progress.advance(n as u64);
        }
        Ok::<_, ProgramError>(())
    })?;

    phase(progress, Phase::Verify, data.len() as u64, |progress| {
        let chunk = read_chunk(bus);
        let mut offset = 0;
        while offset < data.len() {
            let n = (data.len() - offset).min(chunk);
            let back = bus.transaction(&addressed(FlashCmd::Read, address + offset), n)?;
            let expected = &data[offset..offset + n];
            if let Some(i) = (0..n).find(|&i| back.get(i) != expected.get(i)) {
                return Err(ProgramError::VerifyMismatch {
                    address: (address + offset + i) as u32,
                    expected: expected[i],
                    found: back.get(i).copied().unwrap_or(0),
                });
            }
            offset += n;
            progress.advance(n as u64);
        }
        Ok(())
    })
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
