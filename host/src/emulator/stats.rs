//! What the emulated chip counted: everything a real link would have
//! carried, and the model time it would have taken (see [`super::timing`]).

use std::time::Duration;

/// Counts since the emulator was made or its counts were last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Vendor control transfers (mode, baud, latency, purge, pin reads).
    pub control_transfers: u64,
    /// Bulk OUT transfers.
    pub bulk_writes: u64,
    /// Bulk IN transfers.
    pub bulk_reads: u64,
    /// Bytes the host sent in bulk OUT transfers.
    pub bytes_out: u64,
    /// Bytes the chip sent in bulk IN transfers, modem-status bytes included.
    pub bytes_in: u64,
    /// Bulk reads the host waited on after writing: USB round trips.
    pub round_trips: u64,
    /// TCK/SCK cycles: MPSSE clock cycles and rising bit-bang clock edges.
    pub cycles: u64,
    /// Reads whose last, short packet waited for the chip's latency timer.
    pub latency_waits: u64,
    /// Time the host spent waiting on purpose (reset pulses, busy polls).
    pub host_waits: Duration,
    /// Busy time of the flash operations started (datasheet typical values).
    pub flash_busy: Duration,
    /// MPSSE clock the host last set, Hz (0: none).
    pub clock_hz: u32,
    /// Bit-bang rate the host last set, pin bytes per second (0: none).
    pub bitbang_rate: u32,
    /// Model time: what the transfers, clocks and waits take on real USB.
    pub elapsed: Duration,
}

impl Stats {
    /// What was counted between `earlier` (a snapshot of the same emulator)
    /// and `self`; the clock and rate in force are `self`'s.
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            control_transfers: self
                .control_transfers
                .saturating_sub(earlier.control_transfers),
            bulk_writes: self.bulk_writes.saturating_sub(earlier.bulk_writes),
            bulk_reads: self.bulk_reads.saturating_sub(earlier.bulk_reads),
            bytes_out: self.bytes_out.saturating_sub(earlier.bytes_out),
            bytes_in: self.bytes_in.saturating_sub(earlier.bytes_in),
            round_trips: self.round_trips.saturating_sub(earlier.round_trips),
            cycles: self.cycles.saturating_sub(earlier.cycles),
            latency_waits: self.latency_waits.saturating_sub(earlier.latency_waits),
            host_waits: self.host_waits.saturating_sub(earlier.host_waits),
            flash_busy: self.flash_busy.saturating_sub(earlier.flash_busy),
            clock_hz: self.clock_hz,
            bitbang_rate: self.bitbang_rate,
            elapsed: self.elapsed.saturating_sub(earlier.elapsed),
        }
    }
}
