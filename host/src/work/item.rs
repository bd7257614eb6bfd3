//! Work items for boards, shares found in them, and the generator that rolls
//! extranonce2 and version bits over a pool job.

use std::sync::Arc;

use super::StratumJob;
use crate::hash::{BlockHash, Header, HeaderTail, Midstate, Nonce, Target};

/// A found nonce in the form `mining.submit` carries, plus everything its work
/// was built from, so that the pool client submits it only where the pool would
/// rebuild exactly the header that was hashed.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// The job id the work item was built from.
    pub job_id: String,
    /// The pool session generation the work was cut in ([`JobSpec::session`]).
    pub session: u64,
    /// The extranonce1 the work was built with.
    pub extranonce1: Vec<u8>,
    /// The extranonce2 bytes of the work item.
    pub extranonce2: Vec<u8>,
    /// The header time of the work item.
    pub ntime: u32,
    /// The nonce found.
    pub nonce: Nonce,
    /// The full header version of the work item (rolled bits included).
    pub version: u32,
    /// The version bits the pool let the miner roll when the work was cut.
    pub version_mask: u32,
    /// Index of the pool (in the source's priority order) whose job this is.
    pub pool: usize,
    /// Difficulty of the share target of the work item.
    pub difficulty: f64,
    /// Hash of the header that was hashed (rebuilt from the job with the
    /// reference hasher).
    pub hash: BlockHash,
}

/// Everything needed to rebuild a header from a [`Share`].
#[derive(Clone, Debug, PartialEq)]
pub enum HeaderBase {
    /// A pool job and the session's extranonce1.
    Stratum {
        /// The job.
        job: StratumJob,
        /// The extranonce1 the pool assigned for this job.
        extranonce1: Vec<u8>,
    },
    /// A fixed header (benchmark work): version, time and nonce come from the share.
    Fixed(Header),
}

impl HeaderBase {
    /// The network target (nBits) of headers built from this base.
    pub fn bits(&self) -> u32 {
        match self {
            HeaderBase::Stratum { job, .. } => job.bits,
            HeaderBase::Fixed(h) => h.bits(),
        }
    }

    /// Rebuilds the 80-byte header a share stands for: for a pool job, coinbase →
    /// merkle root → header, then the share's version and nonce.
    pub fn header(&self, share: &Share) -> Header {
        match self {
            HeaderBase::Stratum { job, extranonce1 } => job
                .header(extranonce1, &share.extranonce2, share.ntime, share.nonce)
                .with_version(share.version),
            HeaderBase::Fixed(h) => Header::from_fields(
                share.version,
                h.prev_hash(),
                h.merkle_root(),
                share.ntime,
                h.bits(),
                share.nonce,
            ),
        }
    }
}

/// One piece of work for a board: a midstate and tail, a nonce range to sweep
/// and the threshold at which the board reports a nonce.
#[derive(Clone, Debug)]
pub struct WorkItem {
    /// The pool job id (or a benchmark name).
    pub job_id: String,
    /// The extranonce2 bytes rolled into the coinbase.
    pub extranonce2: Vec<u8>,
    /// Header time.
    pub ntime: u32,
    /// Header version (rolled bits included).
    pub version: u32,
    /// The pool session generation the work was cut in (0 for benchmark work).
    pub session: u64,
    /// The version bits the pool lets the miner roll (0: none).
    pub version_mask: u32,
    /// SHA-256 state after header bytes 0..64.
    pub midstate: Midstate,
    /// Header bytes 64..76.
    pub tail: HeaderTail,
    /// First nonce of the range.
    pub nonce_start: u32,
    /// Last nonce of the range (inclusive, `>= nonce_start`).
    pub nonce_end: u32,
    /// Shares must meet this target to be submitted.
    pub share_target: Target,
    /// The board reports a nonce when the top 32 bits of its hash are at or below this
    /// (`share_target.leading_word()`); the host checks the full target.
    pub threshold: u32,
    /// Index of the pool (in the source's priority order) whose job this is.
    pub pool: usize,
    /// What the header is rebuilt from when a nonce comes back.
    pub base: Arc<HeaderBase>,
}

/// A returned nonce, rebuilt into a header and hashed with the reference hasher.
#[derive(Clone, Debug)]
pub struct NonceCheck {
    /// The share the nonce makes.
    pub share: Share,
    /// The hash of the rebuilt header.
    pub hash: BlockHash,
    /// The nonce is inside the item's range and its hash's top word is at or below the
    /// threshold, i.e. the board was right to report it. False means a hardware error.
    pub passes_threshold: bool,
    /// The hash meets the share target: submit it.
    pub meets_target: bool,
    /// The hash meets the network target: a block.
    pub block: bool,
}

impl WorkItem {
    /// Number of nonces in the range.
    pub fn nonce_count(&self) -> u64 {
        u64::from(self.nonce_end) - u64::from(self.nonce_start) + 1
    }

    /// The share a nonce from this item makes: the header is rebuilt from the job
    /// (not from the midstate) and hashed with the reference hasher.
    pub fn share(&self, nonce: Nonce) -> Share {
        let extranonce1 = match self.base.as_ref() {
            HeaderBase::Stratum { extranonce1, .. } => extranonce1.clone(),
            HeaderBase::Fixed(_) => Vec::new(),
        };
        let mut share = Share {
            job_id: self.job_id.clone(),
            session: self.session,
            extranonce1,
            extranonce2: self.extranonce2.clone(),
            ntime: self.ntime,
            nonce,
            version: self.version,
            version_mask: self.version_mask,
            pool: self.pool,
            difficulty: self.share_target.difficulty(),
            hash: BlockHash::from_bytes([0; 32]),
        };
        share.hash = self.base.header(&share).hash();
        share
    }

    /// Rebuilds the full header for `nonce` from the job (not from the midstate) and
    /// hashes it with the reference hasher. Call this for every nonce a board returns.
    pub fn check(&self, nonce: Nonce) -> NonceCheck {
        let share = self.share(nonce);
        let hash = share.hash;
        let in_range = (self.nonce_start..=self.nonce_end).contains(&nonce.0);
        let block = Target::from_nbits(self.base.bits()).is_ok_and(|t| hash.meets(&t));
        NonceCheck {
            passes_threshold: in_range && hash.leading_word() <= self.threshold,
            meets_target: hash.meets(&self.share_target),
            block,
            share,
            hash,
        }
    }
}

/// Rebuilds the header of `share` from `base` and checks it against `target`:
/// returns the hash and whether it meets the target.
pub fn check_share(base: &HeaderBase, share: &Share, target: &Target) -> (BlockHash, bool) {
    let hash = base.header(share).hash();
    (hash, hash.meets(target))
}

/// A job as a work source receives it from a pool session.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// The decoded `mining.notify`.
    pub job: StratumJob,
    /// The session's extranonce1 for this job.
    pub extranonce1: Vec<u8>,
    /// Bytes of extranonce2 the miner rolls.
    pub extranonce2_size: usize,
    /// Pool difficulty in force for this job.
    pub difficulty: f64,
    /// Target for that difficulty.
    pub share_target: Target,
    /// Version bits the pool lets the miner roll (0: none).
    pub version_mask: u32,
    /// Index of the pool (in priority order).
    pub pool: usize,
    /// The pool session generation this job belongs to: it changes whenever what a
    /// share is rebuilt from changes (a new session, a new extranonce1 or version
    /// mask). Work of another generation is void, and its shares are never sent.
    pub session: u64,
}

/// Scatters the low bits of `k` into the set bits of `mask`, lowest first (BIP 320
/// general-purpose bits are rolled this way).
pub fn deposit_bits(k: u32, mask: u32) -> u32 {
    let mut out = 0;
    let mut k = k;
    let mut m = mask;
    while m != 0 && k != 0 {
        let low = m & m.wrapping_neg();
        if k & 1 == 1 {
            out |= low;
        }
        k >>= 1;
        m &= m - 1;
    }
    out
}

/// Up to `count` distinct versions rolled within `mask`: `version ^ deposit_bits(k, mask)`
/// for k = 0, 1, …; the first is the job's own version.
pub fn rolled_versions(version: u32, mask: u32, count: u32) -> Vec<u32> {
    let space = 1u64 << mask.count_ones();
    let n = u64::from(count.max(1)).min(space);
    (0..n as u32)
        .map(|k| version ^ deposit_bits(k, mask))
        .collect()
}

/// Rolls one job out into disjoint work items: for each extranonce2 (a counter
/// written **big-endian** into `extranonce2_size` bytes, starting at a chosen value),
/// each rolled version (its own midstate), consecutive nonce ranges. No two items
/// ever cover the same (extranonce2, version, nonce).
#[derive(Debug)]
pub struct JobRoller {
    spec: JobSpec,
    versions: Vec<u32>,
    next_extranonce2: u64,
    extranonce2_left: u64,
    sweep: Option<Extranonce2Sweep>,
}

/// One extranonce2: its base and a midstate/tail per version, plus the position.
#[derive(Debug)]
struct Extranonce2Sweep {
    extranonce2: Vec<u8>,
    base: Arc<HeaderBase>,
    headers: Vec<Header>,
    version_index: usize,
    next_nonce: u64,
}

impl JobRoller {
    /// Work over `spec`, rolling up to `max_versions` versions within the granted mask
    /// (1 when no mask) and extranonce2 from `extranonce2_start`.
    pub fn new(spec: JobSpec, max_versions: u32, extranonce2_start: u64) -> Self {
        let versions = rolled_versions(spec.job.version, spec.version_mask, max_versions);
        let size = spec.extranonce2_size;
        // The counter wraps within the extranonce2 space, so any start value works and
        // every value of the space is used once before the work runs out.
        let space = if size >= 8 {
            u64::MAX
        } else {
            1u64 << (8 * size)
        };
        JobRoller {
            spec,
            versions,
            next_extranonce2: extranonce2_start,
            extranonce2_left: space,
            sweep: None,
        }
    }

    /// The job this work comes from.
    pub fn spec(&self) -> &JobSpec {
        &self.spec
    }

    /// The extranonce2 counter value the next extranonce2 sweep will use; pass it to the next
    /// job's `JobRoller::new` to keep extranonce2 values distinct across jobs.
    pub fn next_extranonce2(&self) -> u64 {
        self.next_extranonce2
    }

    /// The versions each extranonce2 is swept with.
    pub fn versions(&self) -> &[u32] {
        &self.versions
    }

    fn next_sweep(&mut self) -> Option<Extranonce2Sweep> {
        if self.extranonce2_left == 0 {
            return None;
        }
        self.extranonce2_left -= 1;
        let size = self.spec.extranonce2_size;
        let counter = if size >= 8 {
            self.next_extranonce2
        } else {
            self.next_extranonce2 & ((1u64 << (8 * size)) - 1)
        };
        self.next_extranonce2 = counter.wrapping_add(1);
        let be = counter.to_be_bytes();
        let mut extranonce2 = vec![0u8; size];
        let n = size.min(8);
        extranonce2[size - n..].copy_from_slice(&be[8 - n..]);
        let base = Arc::new(HeaderBase::Stratum {
            job: self.spec.job.clone(),
            extranonce1: self.spec.extranonce1.clone(),
        });
        let job = &self.spec.job;
        let header = job.header(&self.spec.extranonce1, &extranonce2, job.time, Nonce(0));
        let headers = self
            .versions
            .iter()
            .map(|&v| header.with_version(v))
            .collect();
        Some(Extranonce2Sweep {
            extranonce2,
            base,
            headers,
            version_index: 0,
            next_nonce: 0,
        })
    }

    /// The next item of up to `nonces` nonces (at least 1), or `None` when the whole
    /// extranonce2 × version × nonce space of the job is used up.
    pub fn next_item(&mut self, nonces: u32) -> Option<WorkItem> {
        let exhausted = match &self.sweep {
            None => true,
            Some(s) => s.version_index >= s.headers.len(),
        };
        if exhausted {
            self.sweep = Some(self.next_sweep()?);
        }
        let sweep = self.sweep.as_mut()?;
        let header = sweep.headers.get(sweep.version_index)?;
        let start = sweep.next_nonce;
        let end = (start + u64::from(nonces.max(1)) - 1).min(u64::from(u32::MAX));
        sweep.next_nonce = end + 1;
        let item = WorkItem {
            job_id: self.spec.job.job_id.clone(),
            extranonce2: sweep.extranonce2.clone(),
            ntime: header.time(),
            version: header.version(),
            session: self.spec.session,
            version_mask: self.spec.version_mask,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: start as u32,
            nonce_end: end as u32,
            share_target: self.spec.share_target,
            threshold: self.spec.share_target.leading_word(),
            pool: self.spec.pool,
            base: sweep.base.clone(),
        };
        if sweep.next_nonce > u64::from(u32::MAX) {
            sweep.version_index += 1;
            sweep.next_nonce = 0;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(size: usize, mask: u32) -> JobSpec {
        let job = StratumJob::from_notify(
            "j1",
            &"00".repeat(32),
            "01000000",
            "ffffffff",
            &[],
            "20000000",
            "1d00ffff",
            "495fab29",
            true,
        )
        .unwrap();
        JobSpec {
            job,
            extranonce1: vec![0xab, 0xcd],
            extranonce2_size: size,
            difficulty: 1.0,
            share_target: Target::DIFF1,
            version_mask: mask,
            pool: 0,
            session: 1,
        }
    }

    #[test]
    fn deposit_scatters_into_mask() {
        assert_eq!(deposit_bits(0, 0x1fffe000), 0);
        assert_eq!(deposit_bits(1, 0x1fffe000), 0x2000);
        assert_eq!(deposit_bits(3, 0x0000_0101), 0x0101);
        assert_eq!(deposit_bits(2, 0x0000_0101), 0x0100);
        assert_eq!(deposit_bits(5, 0), 0);
    }

    #[test]
    fn versions_stay_in_mask_and_are_distinct() {
        let v = rolled_versions(0x2000_0000, 0x1fffe000, 8);
        assert_eq!(v.len(), 8);
        assert_eq!(v[0], 0x2000_0000);
        for x in &v {
            assert_eq!(x & !0x1fffe000, 0x2000_0000);
        }
        let mut s = v.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 8);
        // A mask with two bits allows only four versions; no mask only one.
        assert_eq!(rolled_versions(1, 0x3, 16).len(), 4);
        assert_eq!(rolled_versions(1, 0, 16), vec![1]);
    }

    #[test]
    fn extranonce2_is_a_big_endian_counter() {
        let mut w = JobRoller::new(spec(4, 0), 1, 0x0104_4554);
        let a = w.next_item(u32::MAX).unwrap();
        assert_eq!(a.extranonce2, vec![0x01, 0x04, 0x45, 0x54]);
        assert_eq!((a.nonce_start, a.nonce_end), (0, u32::MAX - 1));
        let b = w.next_item(10).unwrap();
        assert_eq!((b.nonce_start, b.nonce_end), (u32::MAX, u32::MAX));
        let c = w.next_item(10).unwrap();
        assert_eq!(c.extranonce2, vec![0x01, 0x04, 0x45, 0x55]);
        assert_ne!(c.midstate, a.midstate);
    }

    #[test]
    fn items_are_disjoint_and_check_against_full_header() {
        let mut w = JobRoller::new(spec(2, 0x1fffe000), 4, 0);
        assert_eq!(w.versions().len(), 4);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let item = w.next_item(1 << 31).unwrap();
            assert!(seen.insert((item.extranonce2.clone(), item.version, item.nonce_start)));
            // The midstate path and the full rebuild agree.
            let n = Nonce(item.nonce_start + 7);
            let check = item.check(n);
            assert_eq!(check.hash, item.midstate.hash_with(&item.tail, n));
            assert_eq!(check.share.version, item.version);
            assert_eq!(
                check.passes_threshold,
                check.hash.leading_word() <= item.threshold
            );
            // A nonce outside the range is never one the board should report.
            if item.nonce_start > 0 {
                assert!(!item.check(Nonce(item.nonce_start - 1)).passes_threshold);
            }
        }
        // 20 items of 2^31 nonces over 4 versions: 10 full version sweeps, 3 extranonce2s.
        assert_eq!(
            seen.iter()
                .map(|s| s.0.clone())
                .collect::<std::collections::HashSet<_>>()
                .len(),
            3
        );
    }

    #[test]
    fn small_extranonce2_space_runs_out() {
        // One byte of extranonce2 starting at 0x1fe (wraps to 0xfe): 256 values, each
        // swept in two items of 2^32 - 1 and 1 nonces.
        let mut w = JobRoller::new(spec(1, 0), 1, 0x1fe);
        let mut seen = std::collections::HashSet::new();
        while let Some(item) = w.next_item(u32::MAX) {
            assert!(seen.insert((item.extranonce2.clone(), item.nonce_start)));
            assert!(seen.len() <= 512);
        }
        assert_eq!(seen.len(), 512);
        assert!(seen.contains(&(vec![0xfe], 0)));
        assert!(seen.contains(&(vec![0xfd], u32::MAX)));
        let mut none = JobRoller::new(spec(0, 0), 1, 0);
        let item = none.next_item(u32::MAX).unwrap();
        assert!(item.extranonce2.is_empty());
    }
}
