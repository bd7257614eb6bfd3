//! The pool session as the client keeps it: extranonce1, extranonce2 size,
//! version mask, the jobs it knows, and its generation. The generation names
//! everything a share is rebuilt from: it changes with a new session, a new
//! extranonce1 and a new version mask, every job handed out carries it, and a
//! share is admitted only if it comes from the current generation *and* the
//! header the pool would rebuild from it hashes to the hash the board found.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use crate::work::{DropReason, Share, StratumJob};

/// How many jobs of a session are remembered (older ones make shares stale).
const KNOWN_JOBS: usize = 64;
/// How many cleaned job ids are remembered to name the reason of a stale share.
const CLEANED_JOBS: usize = 256;
/// How many ended generations are remembered to name the reason of a stale share.
const ENDED_GENERATIONS: usize = 256;

/// Generations are unique in the process, so that one never names two sessions.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// The pool session; it outlives connections so that it can be resumed.
#[derive(Debug)]
pub(crate) struct Session {
    /// The subscription id to offer when reconnecting.
    pub(crate) subscription: Option<String>,
    pub(crate) extranonce1: Vec<u8>,
    pub(crate) extranonce2_size: usize,
    /// A `mining.set_extranonce` waiting for the next job.
    pub(crate) next_extranonce: Option<(Vec<u8>, usize)>,
    pub(crate) version_mask: u32,
    generation: u64,
    ended: VecDeque<(u64, DropReason)>,
    jobs: VecDeque<StratumJob>,
    cleaned: VecDeque<String>,
}

impl Session {
    pub(crate) fn new(
        subscription: Option<String>,
        extranonce1: Vec<u8>,
        extranonce2_size: usize,
        version_mask: u32,
    ) -> Self {
        Session {
            subscription,
            extranonce1,
            extranonce2_size,
            next_extranonce: None,
            version_mask,
            generation: next_generation(),
            ended: VecDeque::new(),
            jobs: VecDeque::new(),
            cleaned: VecDeque::new(),
        }
    }

    /// The current generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Replaces this session by a new one (a reconnect the pool did not resume):
    /// every job is void; the old generations are remembered for their reasons.
    pub(crate) fn restart(
        &mut self,
        subscription: Option<String>,
        extranonce1: Vec<u8>,
        extranonce2_size: usize,
        version_mask: u32,
    ) {
        self.end_generation(DropReason::SessionNotResumed);
        self.subscription = subscription;
        self.extranonce1 = extranonce1;
        self.extranonce2_size = extranonce2_size;
        self.next_extranonce = None;
        self.version_mask = version_mask;
        self.jobs.clear();
        self.cleaned.clear();
    }

    fn end_generation(&mut self, why: DropReason) {
        if self.ended.len() == ENDED_GENERATIONS {
            self.ended.pop_front();
        }
        self.ended.push_back((self.generation, why));
        self.generation = next_generation();
    }

    /// A new version mask; true when it changed (a new generation).
    pub(crate) fn set_version_mask(&mut self, mask: u32) -> bool {
        if mask == self.version_mask {
            return false;
        }
        self.version_mask = mask;
        self.end_generation(DropReason::VersionMaskChanged);
        true
    }

    /// A `mining.set_extranonce`: the values apply from the next job, but work cut
    /// with the old extranonce1 is not submitted from now on (a new generation when
    /// they change anything), so that no share races the pool's switch.
    pub(crate) fn announce_extranonce(&mut self, extranonce1: Vec<u8>, size: usize) {
        if extranonce1 != self.extranonce1 || size != self.extranonce2_size {
            self.end_generation(DropReason::ExtranonceChanged);
        }
        self.next_extranonce = Some((extranonce1, size));
    }

    /// Takes a new job: applies a waiting `mining.set_extranonce` (a new generation
    /// when it changes anything) and forgets cleaned jobs.
    pub(crate) fn add_job(&mut self, job: StratumJob) {
        if let Some((extranonce1, size)) = self.next_extranonce.take() {
            if extranonce1 != self.extranonce1 || size != self.extranonce2_size {
                self.extranonce1 = extranonce1;
                self.extranonce2_size = size;
                self.end_generation(DropReason::ExtranonceChanged);
            }
        }
        if job.clean_jobs {
            let old: Vec<StratumJob> = self.jobs.drain(..).collect();
            for j in old {
                self.forget(j.job_id);
            }
        }
        self.jobs.retain(|j| j.job_id != job.job_id);
        if self.jobs.len() == KNOWN_JOBS {
            if let Some(old) = self.jobs.pop_front() {
                self.forget(old.job_id);
            }
        }
        self.jobs.push_back(job);
    }

    /// The newest job, to be cut again after a change of generation.
    pub(crate) fn newest_job(&self) -> Option<&StratumJob> {
        self.jobs.back()
    }

    fn forget(&mut self, id: String) {
        if self.cleaned.len() == CLEANED_JOBS {
            self.cleaned.pop_front();
        }
        self.cleaned.push_back(id);
    }

    /// The version the pool builds from a submit with `bits` for `job`.
    fn pool_version(&self, job: &StratumJob, version: u32) -> u32 {
        (job.version & !self.version_mask) | (version & self.version_mask)
    }

    /// Whether the pool, in this session, would rebuild exactly the header the
    /// share's hash was computed from; if not, why.
    pub(crate) fn admit(&self, share: &Share) -> Result<(), DropReason> {
        if share.session != self.generation {
            let why = self
                .ended
                .iter()
                .find(|(g, _)| *g == share.session)
                .map_or(DropReason::SessionNotResumed, |(_, why)| *why);
            return Err(why);
        }
        let Some(job) = self.jobs.iter().rev().find(|j| j.job_id == share.job_id) else {
            return Err(if self.cleaned.iter().any(|c| *c == share.job_id) {
                DropReason::JobCleaned
            } else {
                DropReason::UnknownJob
            });
        };
        if share.extranonce2.len() != self.extranonce2_size {
            return Err(DropReason::HeaderMismatch);
        }
        let rebuilt = job
            .header(
                &self.extranonce1,
                &share.extranonce2,
                share.ntime,
                share.nonce,
            )
            .with_version(self.pool_version(job, share.version));
        if rebuilt.hash() != share.hash {
            return Err(DropReason::HeaderMismatch);
        }
        Ok(())
    }

    /// The `mining.submit` params for an admitted share.
    pub(crate) fn submit_params(&self, user: &str, share: &Share) -> Value {
        let mut params = vec![
            json!(user),
            json!(share.job_id),
            json!(hex::encode(&share.extranonce2)),
            json!(format!("{:08x}", share.ntime)),
            json!(share.nonce.submit_hex()),
        ];
        if self.version_mask != 0 {
            // BIP 310: the rolled bits; the pool takes (job version & !mask) | (bits & mask).
            params.push(json!(format!("{:08x}", share.version & self.version_mask)));
        }
        Value::Array(params)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::hash::{Nonce, Target};
    use crate::work::{JobRoller, JobSpec};

    /// A job with id `id` (shared with the client's tests).
    pub(in crate::pool) fn job(id: &str, clean: bool) -> StratumJob {
        StratumJob::from_notify(
            id,
            &"11".repeat(32),
            "01000000",
            "ffffffff",
            &[],
            "20000000",
            "1d00ffff",
            "495fab29",
            clean,
        )
        .unwrap()
    }

    /// A share of the session's newest job as work cut now would make it.
    fn share_now(s: &Session, versions: u32, index: usize) -> Share {
        let spec = JobSpec {
            job: s.newest_job().unwrap().clone(),
            extranonce1: s.extranonce1.clone(),
            extranonce2_size: s.extranonce2_size,
            difficulty: 1.0,
            share_target: Target::DIFF1,
            version_mask: s.version_mask,
            pool: 0,
            session: s.generation(),
        };
        let mut work = JobRoller::new(spec, versions, 7);
        let item = (0..=index)
            .map(|_| work.next_item(u32::MAX).unwrap())
            .last()
            .unwrap();
        item.share(Nonce(item.nonce_start))
    }

    #[test]
    fn a_share_of_the_current_generation_is_admitted() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        s.add_job(job("a", true));
        assert_eq!(s.admit(&share_now(&s, 1, 0)), Ok(()));
    }

    #[test]
    fn a_new_session_voids_old_shares_even_with_the_same_job_id() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        s.add_job(job("a", true));
        let old = share_now(&s, 1, 0);
        s.restart(None, vec![9, 9, 9, 9], 4, 0);
        s.add_job(job("a", true));
        assert_eq!(s.admit(&old), Err(DropReason::SessionNotResumed));
        assert_eq!(s.admit(&share_now(&s, 1, 0)), Ok(()));
    }

    #[test]
    fn set_extranonce_voids_old_shares_from_the_next_job() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        s.add_job(job("a", true));
        let old = share_now(&s, 1, 0);
        s.announce_extranonce(vec![5, 6, 7, 8], 4);
        // Not submitted from the announcement on, although work is still cut from it.
        assert_eq!(s.admit(&old), Err(DropReason::ExtranonceChanged));
        s.add_job(job("a", false));
        assert_eq!(s.admit(&old), Err(DropReason::ExtranonceChanged));
        assert_eq!(s.extranonce1, [5, 6, 7, 8]);
        assert_eq!(s.admit(&share_now(&s, 1, 0)), Ok(()));
        // The same extranonce again is no change.
        let g = s.generation();
        s.announce_extranonce(vec![5, 6, 7, 8], 4);
        s.add_job(job("b", false));
        assert_eq!(s.generation(), g);
    }

    #[test]
    fn a_narrowed_mask_voids_shares_rolled_in_the_withdrawn_bits() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0x1fff_e000);
        s.add_job(job("a", true));
        // Item 2 of an extranonce2 is the first rolled version (bit 13).
        let rolled = share_now(&s, 4, 2);
        assert_eq!(rolled.version, 0x2000_2000);
        assert!(
            !s.set_version_mask(0x1fff_e000),
            "the same mask is no change"
        );
        assert!(s.set_version_mask(0x1fff_c000));
        assert_eq!(s.admit(&rolled), Err(DropReason::VersionMaskChanged));
        assert_eq!(s.admit(&share_now(&s, 4, 2)), Ok(()));
    }

    #[test]
    fn a_job_id_that_now_names_other_work_is_a_header_mismatch() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        s.add_job(job("a", true));
        let old = share_now(&s, 1, 0);
        let mut other = job("a", false);
        other.coinb1.push(0);
        s.add_job(other);
        assert_eq!(s.admit(&old), Err(DropReason::HeaderMismatch));
    }

    #[test]
    fn cleaned_and_unknown_jobs() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        s.add_job(job("a", true));
        let old = share_now(&s, 1, 0);
        s.add_job(job("b", true));
        assert_eq!(s.admit(&old), Err(DropReason::JobCleaned));
        let mut unknown = old.clone();
        unknown.job_id = "zz".into();
        unknown.session = s.generation();
        assert_eq!(s.admit(&unknown), Err(DropReason::UnknownJob));
    }

    #[test]
    fn submit_params_carry_the_rolled_bits_only_with_a_mask() {
        let mut s = Session::new(None, vec![1, 2, 3, 4], 4, 0x1fff_e000);
        s.add_job(job("a", true));
        let rolled = share_now(&s, 4, 2);
        let p = s.submit_params("w", &rolled);
        assert_eq!(p[5], "00002000");
        let mut plain = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        plain.add_job(job("a", true));
        assert_eq!(
            plain
                .submit_params("w", &share_now(&plain, 1, 0))
                .as_array()
                .unwrap()
                .len(),
            5
        );
    }
}
