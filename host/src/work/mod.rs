//! From a pool job to a header: coinbase, merkle root, Stratum byte orders.
//! Built on [`crate::hash`]; knows nothing of devices or links.

mod job;

pub use job::{coinbase, merkle_root, prevhash_from_stratum, StratumJob, WorkError};
