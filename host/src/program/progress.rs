//! How a programmer reports what it is doing: which phase it is in and how
//! far along. The CLI draws progress bars and times each phase; tests and
//! the benchmark record the reports.

use std::fmt;

/// A phase of loading a bitstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Streaming the bitstream into configuration SRAM (units: bytes).
    Configure,
    /// Erasing the flash sectors the image covers (units: erase operations).
    Erase,
    /// Programming the flash page by page (units: bytes).
    Write,
    /// Reading the flash back and comparing (units: bytes).
    Verify,
}

impl Phase {
    /// The phase's name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Erase => "erase",
            Phase::Write => "write",
            Phase::Verify => "verify",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Receives a programmer's progress. Phases do not nest: each `begin` is
/// followed by `advance`s and one `end`.
pub trait Progress {
    /// `phase` starts, with `total` units of work.
    fn begin(&mut self, phase: Phase, total: u64);
    /// `done` more units of the current phase are finished.
    fn advance(&mut self, done: u64);
    /// The current phase is over (also when it failed).
    fn end(&mut self);
}

/// A [`Progress`] that reports nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&mut self, _phase: Phase, _total: u64) {}
    fn advance(&mut self, _done: u64) {}
    fn end(&mut self) {}
}

/// Runs `work` as `phase` of `total` units on `progress`, ending the phase
/// whether `work` succeeds or not.
pub fn phase<T, E>(
    progress: &mut dyn Progress,
    phase: Phase,
    total: u64,
    work: impl FnOnce(&mut dyn Progress) -> Result<T, E>,
) -> Result<T, E> {
    progress.begin(phase, total);
    let result = work(&mut *progress);
    progress.end();
    result
}
