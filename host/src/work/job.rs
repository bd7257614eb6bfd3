use thiserror::Error;

use crate::hash::{self, sha256d, BlockHash, HashError, Header, Nonce};

/// A Stratum job field that could not be used.
#[derive(Debug, Error, PartialEq)]
pub enum WorkError {
    /// A hex field of the job is malformed.
    #[error("job field {field}: {source}")]
    Field {
        /// The Stratum field name.
        field: &'static str,
        /// What was wrong.
        #[source]
        source: HashError,
    },
}

/// A `mining.notify` job with its fields decoded to bytes and numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct StratumJob {
    /// The pool's job id, echoed in `mining.submit`.
    pub job_id: String,
    /// Previous block hash in header (internal) byte order.
    pub prev_hash: [u8; 32],
    /// Coinbase part before the extranonces.
    pub coinb1: Vec<u8>,
    /// Coinbase part after the extranonces.
    pub coinb2: Vec<u8>,
    /// Merkle branch hashes in internal byte order.
    pub merkle_branch: Vec<[u8; 32]>,
    /// Block version.
    pub version: u32,
    /// Compact target of the block.
    pub bits: u32,
    /// Block time the pool proposes.
    pub time: u32,
    /// Whether earlier jobs are void.
    pub clean_jobs: bool,
}

fn field<T>(name: &'static str, r: Result<T, HashError>) -> Result<T, WorkError> {
    r.map_err(|source| WorkError::Field {
        field: name,
        source,
    })
}

fn be_word(name: &'static str, text: &str) -> Result<u32, WorkError> {
    field(name, hash::hex_array::<4>(name, text)).map(u32::from_be_bytes)
}

impl StratumJob {
    /// Decodes the hex fields of `mining.notify` params as they travel in JSON:
    /// job_id, prevhash, coinb1, coinb2, merkle_branch, version, nbits, ntime, clean_jobs.
    #[allow(clippy::too_many_arguments)]
    pub fn from_notify(
        job_id: &str,
        prevhash: &str,
        coinb1: &str,
        coinb2: &str,
        merkle_branch: &[&str],
        version: &str,
        nbits: &str,
        ntime: &str,
        clean_jobs: bool,
    ) -> Result<Self, WorkError> {
        let prev_hash = prevhash_from_stratum(field(
            "prevhash",
            hash::hex_array::<32>("prevhash", prevhash),
        )?);
        let merkle_branch = merkle_branch
            .iter()
            .map(|h| field("merkle_branch", hash::hex_array::<32>("merkle_branch", h)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StratumJob {
            job_id: job_id.to_string(),
            prev_hash,
            coinb1: field("coinb1", hash::hex_bytes("coinb1", coinb1))?,
            coinb2: field("coinb2", hash::hex_bytes("coinb2", coinb2))?,
            merkle_branch,
            version: be_word("version", version)?,
            bits: be_word("nbits", nbits)?,
            time: be_word("ntime", ntime)?,
            clean_jobs,
        })
    }

    /// The header for this job with the given extranonces, time and nonce.
    pub fn header(
        &self,
        extranonce1: &[u8],
        extranonce2: &[u8],
        time: u32,
        nonce: Nonce,
    ) -> Header {
        let cb = coinbase(&self.coinb1, extranonce1, extranonce2, &self.coinb2);
        let root = merkle_root(&sha256d(&cb), &self.merkle_branch);
        Header::from_fields(
            self.version,
            self.prev_hash,
            *root.bytes(),
            time,
            self.bits,
            nonce,
        )
    }
}

/// The coinbase transaction: coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2.
pub fn coinbase(coinb1: &[u8], extranonce1: &[u8], extranonce2: &[u8], coinb2: &[u8]) -> Vec<u8> {
    [coinb1, extranonce1, extranonce2, coinb2].concat()
}

/// Folds the coinbase hash up a Stratum merkle branch (hashes in internal
/// order), the coinbase always on the left.
pub fn merkle_root(coinbase_hash: &BlockHash, branch: &[[u8; 32]]) -> BlockHash {
    branch.iter().fold(*coinbase_hash, |acc, sibling| {
        let mut pair = [0u8; 64];
        pair[..32].copy_from_slice(acc.bytes());
        pair[32..].copy_from_slice(sibling);
        sha256d(&pair)
    })
}

/// Stratum sends prevhash as eight 32-bit words each byte-swapped relative to
/// the header; this undoes the swap word by word.
pub fn prevhash_from_stratum(stratum: [u8; 32]) -> [u8; 32] {
    let mut out = stratum;
    for word in out.chunks_exact_mut(4) {
        word.reverse();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coinbase_concatenates_in_order() {
        assert_eq!(
            coinbase(&[1], &[2, 3], &[4], &[5, 6]),
            vec![1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn prevhash_swaps_each_word() {
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = i as u8;
        }
        let h = prevhash_from_stratum(s);
        assert_eq!(&h[..8], &[3, 2, 1, 0, 7, 6, 5, 4]);
        assert_eq!(prevhash_from_stratum(h), s);
    }

    #[test]
    fn merkle_root_of_empty_branch_is_coinbase_hash() {
        let h = sha256d(b"coinbase");
        assert_eq!(merkle_root(&h, &[]), h);
    }

    #[test]
    fn malformed_job_fields() {
        let ok = "00".repeat(32);
        let err = StratumJob::from_notify(
            "j",
            "00",
            "",
            "",
            &[],
            "00000001",
            "1d00ffff",
            "495fab29",
            true,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            WorkError::Field {
                field: "prevhash",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "job field prevhash: prevhash must be 32 bytes, got 1"
        );
        let err = StratumJob::from_notify(
            "j",
            &ok,
            "zz",
            "",
            &[],
            "00000001",
            "1d00ffff",
            "495fab29",
            true,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            WorkError::Field {
                field: "coinb1",
                ..
            }
        ));
        let err = StratumJob::from_notify(
            "j",
            &ok,
            "",
            "",
            &["01"],
            "00000001",
            "1d00ffff",
            "495fab29",
            true,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            WorkError::Field {
                field: "merkle_branch",
                ..
            }
        ));
        let err =
            StratumJob::from_notify("j", &ok, "", "", &[], "001", "1d00ffff", "495fab29", true)
                .unwrap_err();
        assert!(matches!(
            err,
            WorkError::Field {
                field: "version",
                ..
            }
        ));
        let err = StratumJob::from_notify(
            "j",
            &ok,
            "",
            "",
            &[],
            "00000001",
            "1d00ff",
            "495fab29",
            true,
        )
        .unwrap_err();
        assert!(matches!(err, WorkError::Field { field: "nbits", .. }));
        let err = StratumJob::from_notify("j", &ok, "", "", &[], "00000001", "1d00ffff", "", true)
            .unwrap_err();
        assert!(matches!(err, WorkError::Field { field: "ntime", .. }));
    }
}
