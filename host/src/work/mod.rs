//! From a pool job to a header: coinbase, merkle root, Stratum byte orders.
//! Built on [`crate::hash`]; knows nothing of devices or links.
//!
//! Above the job model: [`WorkItem`]s for boards ([`JobRoller`] rolls extranonce2 and
//! version bits), the [`Share`]s found in them, the [`WorkSource`] interface a driver
//! takes work from (a pool, or the built-in [`Benchmark`] of real headers) and the
//! [`ShareLog`].

mod benchmark;
mod item;
mod job;
mod source;

pub use benchmark::{Benchmark, BENCHMARK_POOL};
pub use item::{
    check_share, deposit_bits, rolled_versions, HeaderBase, JobRoller, JobSpec, NonceCheck, Share,
    WorkItem,
};
pub use job::{coinbase, merkle_root, prevhash_from_stratum, StratumJob, WorkError};
pub use source::{
    DropReason, PoolStatus, ShareCounts, ShareLog, ShareRecord, ShareResult, ShareTally,
    SourceEvent, WorkSource,
};
