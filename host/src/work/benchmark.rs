//! A work source of real block headers (tests/vectors/blocks.txt, built in):
//! every item is a nonce range around the block's real nonce with the block's own
//! target, so a working board finds the real nonce of every block it is given.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::{
    check_share, HeaderBase, Share, ShareCounts, ShareLog, ShareRecord, ShareResult, SourceEvent,
    WorkItem, WorkSource,
};
use crate::hash::{Header, Nonce, Target};

/// The shipped vectors: `<header hex> <display hash>` lines, `#` comments.
const BLOCKS: &str = include_str!("../../../tests/vectors/blocks.txt");

/// The name benchmark work and shares carry.
pub const BENCHMARK_POOL: &str = "benchmark";

/// One real block: its header and the target its nBits encode.
#[derive(Clone, Debug)]
struct Block {
    header: Header,
    target: Target,
    base: Arc<HeaderBase>,
}

/// Real headers as work, cycled forever. Used when no pool is given.
pub struct Benchmark {
    blocks: Vec<Block>,
    next: usize,
    announced: bool,
    pending: VecDeque<SourceEvent>,
    log: ShareLog,
}

impl Benchmark {
    /// The built-in headers; outcomes go to `log`.
    pub fn new(log: ShareLog) -> Self {
        let blocks = BLOCKS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| Header::from_hex(l.split_whitespace().next()?).ok())
            .filter_map(|header| {
                Some(Block {
                    target: header.target().ok()?,
                    base: Arc::new(HeaderBase::Fixed(header)),
                    header,
                })
            })
            .collect();
        Benchmark {
            blocks,
            next: 0,
            announced: false,
            pending: VecDeque::new(),
            log,
        }
    }

    /// The headers the benchmark cycles through.
    pub fn headers(&self) -> Vec<Header> {
        self.blocks.iter().map(|b| b.header).collect()
    }

    fn job_id(index: usize) -> String {
        format!("block-{index}")
    }

    fn block_of(&self, job_id: &str) -> Option<&Block> {
        let index: usize = job_id.strip_prefix("block-")?.parse().ok()?;
        self.blocks.get(index)
    }
}

/// A range of `count` nonces (at least 1) that contains `real`, centred on it where
/// the 32-bit space allows.
fn range_around(real: u32, count: u32) -> (u32, u32) {
    let count = u64::from(count.max(1));
    let start = u64::from(real).saturating_sub(count / 2);
    let start = start.min(u64::from(u32::MAX) + 1 - count);
    (start as u32, (start + count - 1) as u32)
}

impl WorkSource for Benchmark {
    fn name(&self) -> String {
        BENCHMARK_POOL.to_string()
    }

    fn next_event(&mut self, timeout: Duration) -> Option<SourceEvent> {
        if !self.announced {
            self.announced = true;
            return Some(SourceEvent::NewWork {
                clean: false,
                pool: BENCHMARK_POOL.to_string(),
                job_id: BENCHMARK_POOL.to_string(),
                difficulty: self.blocks.first().map_or(1.0, |b| b.target.difficulty()),
            });
        }
        if let Some(event) = self.pending.pop_front() {
            return Some(event);
        }
        // Outcomes only arise from `submit` on this same thread: nothing can arrive.
        std::thread::sleep(timeout);
        None
    }

    fn next_work(&mut self, nonces: u32) -> Option<WorkItem> {
        let index = self.next % self.blocks.len().max(1);
        let block = self.blocks.get(index)?;
        self.next = index + 1;
        let header = &block.header;
        let (start, end) = range_around(header.nonce().0, nonces);
        Some(WorkItem {
            job_id: Self::job_id(index),
            extranonce2: Vec::new(),
            ntime: header.time(),
            version: header.version(),
            session: 0,
            version_mask: 0,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: start,
            nonce_end: end,
            share_target: block.target,
            threshold: block.target.leading_word(),
            pool: 0,
            base: block.base.clone(),
        })
    }

    fn submit(&mut self, share: Share) {
        let result = match self.block_of(&share.job_id) {
            None => ShareResult::Stale {
                reason: super::DropReason::UnknownJob,
            },
            Some(block) => {
                let (_, meets) = check_share(&block.base, &share, &block.target);
                if meets {
                    ShareResult::Accepted
                } else {
                    ShareResult::Rejected {
                        code: None,
                        message: "above the block target".to_string(),
                    }
                }
            }
        };
        let record = ShareRecord::now(BENCHMARK_POOL.to_string(), share, result);
        self.log.record(&record);
        self.pending.push_back(SourceEvent::Share(record));
    }

    fn counts(&self) -> ShareCounts {
        self.log.counts()
    }

    fn shutdown(&mut self, _wait: Duration) {}
}

impl Benchmark {
    /// The real nonce of the block an item was built from (for display).
    pub fn real_nonce(&self, item: &WorkItem) -> Option<Nonce> {
        self.block_of(&item.job_id).map(|b| b.header.nonce())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_block_is_loaded() {
        let b = Benchmark::new(ShareLog::default());
        let expected = BLOCKS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert!(expected >= 3);
        assert_eq!(b.headers().len(), expected);
    }

    #[test]
    fn ranges_contain_the_real_nonce() {
        assert_eq!(range_around(100, 10), (95, 104));
        assert_eq!(range_around(3, 10), (0, 9));
        assert_eq!(range_around(u32::MAX, 10), (u32::MAX - 9, u32::MAX));
        assert_eq!(range_around(7, 1), (7, 7));
        assert_eq!(range_around(7, u32::MAX), (0, u32::MAX - 1));
    }

    #[test]
    fn the_real_nonce_is_found_and_accepted() {
        let log = ShareLog::default();
        let mut b = Benchmark::new(log.clone());
        assert!(matches!(
            b.next_event(Duration::ZERO),
            Some(SourceEvent::NewWork { clean: false, .. })
        ));
        let n = b.headers().len();
        for _ in 0..n {
            let item = b.next_work(64).unwrap();
            assert_eq!(item.nonce_count(), 64);
            // Sweep the range like a board: report at the threshold, then check fully.
            let found: Vec<Nonce> = (item.nonce_start..=item.nonce_end)
                .map(Nonce)
                .filter(|&nonce| {
                    item.midstate.hash_with(&item.tail, nonce).leading_word() <= item.threshold
                })
                .collect();
            assert_eq!(found, vec![b.real_nonce(&item).unwrap()]);
            let check = item.check(found[0]);
            assert!(check.passes_threshold && check.meets_target);
            b.submit(check.share);
            match b.next_event(Duration::ZERO) {
                Some(SourceEvent::Share(r)) => assert_eq!(r.result, ShareResult::Accepted),
                other => panic!("expected a share outcome, got {other:?}"),
            }
            // A wrong nonce is rejected by the benchmark's own check.
            b.submit(item.share(Nonce(found[0].0 ^ 1)));
            assert!(matches!(
                b.next_event(Duration::ZERO),
                Some(SourceEvent::Share(ShareRecord {
                    result: ShareResult::Rejected { .. },
                    ..
                }))
            ));
        }
        assert_eq!(b.counts().accepted, n as u64);
        assert_eq!(b.counts().rejected, n as u64);
        // Cycling: the first block comes round again.
        assert_eq!(b.next_work(8).unwrap().job_id, "block-0");
    }
}
