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
