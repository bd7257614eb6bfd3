//! Stratum v1 pool client: one blocking thread per pool, and a [`PoolSource`] that
//! picks the highest-priority pool with work (failover and switch-back) and hands
//! the driver work through the [`WorkSource`] interface.
//!
//! Imports only [`crate::hash`] and [`crate::work`].
//!
//! Per pool, the client thread speaks `mining.configure` (BIP 310 version rolling),
//! `mining.subscribe` (user agent `amber/<version>`, resuming the previous session
//! by its subscription id), `mining.authorize`, `mining.extranonce.subscribe`,
//! `mining.notify`, `mining.set_difficulty` (applies from the next job),
//! `mining.set_extranonce` (from the next job), `mining.set_version_mask` and
//! `mining.submit`. Unknown methods are counted and ignored; malformed lines are
//! counted, and the connection is recycled when they persist. A pool that sends
//! nothing for the inactivity deadline is recycled; reconnects back off
//! exponentially.
//!
//! Shares: a share whose job was cleaned is not submitted (stale). A share
//! submitted while its pool is away is queued; after a reconnect it is sent if the
//! session was resumed and its job still stands, and otherwise logged as lost with
//! the reason. Every outcome goes to the [`ShareLog`].

mod client;
mod error;
mod url;

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use client::{ClientOptions, PoolConfig, PoolCounters, BIP320_MASK, USER_AGENT};
pub use error::StratumError;
pub use url::{PoolUrl, UrlError, SCHEME};

use crate::work::{
    DropReason, JobSpec, JobWork, Share, ShareCounts, ShareLog, ShareRecord, ShareResult,
    SourceEvent, WorkItem, WorkSource,
};
use client::{Client, ClientEvent, Command, PoolStats};

/// One pool as the manager sees it.
struct Slot {
    name: String,
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    up: bool,
    job: Option<JobSpec>,
    /// The pool started a new session: its next work must flush the old.
    new_session: bool,
    stats: Arc<PoolStats>,
}

/// Several pools in priority order (first = preferred) as one [`WorkSource`].
///
/// Every pool is kept connected; work comes from the first pool that is connected
/// and has a job. When it drops, work moves to the next (a `clean` [`SourceEvent::NewWork`]);
/// when a higher-priority pool has work again, work moves back. If no pool is up,
/// work continues on the last job and shares queue for its pool.
pub struct PoolSource {
    pools: Vec<Slot>,
    events: Receiver<(usize, ClientEvent)>,
    pending: VecDeque<SourceEvent>,
    active: Option<usize>,
    work: Option<JobWork>,
    next_extranonce2: u64,
    max_versions: u32,
    log: ShareLog,
    stopped: bool,
}

impl PoolSource {
    /// Starts one client thread per pool.
    pub fn start(
        pools: Vec<PoolConfig>,
        opts: ClientOptions,
        log: ShareLog,
    ) -> std::io::Result<Self> {
        let (event_tx, events) = mpsc::channel();
        let mut slots = Vec::new();
        for (index, config) in pools.into_iter().enumerate() {
            let (commands, command_rx) = mpsc::channel();
            let stats = Arc::new(PoolStats::default());
            let name = config.url.authority();
            let client = Client::new(
                index,
                name.clone(),
                config,
                opts.clone(),
                event_tx.clone(),
                command_rx,
                log.clone(),
                stats.clone(),
            );
            let thread = std::thread::Builder::new()
                .name(format!("pool-{index}"))
                .spawn(move || client.run())?;
            slots.push(Slot {
                name,
                commands,
                thread: Some(thread),
                up: false,
                job: None,
                new_session: false,
                stats,
            });
        }
        Ok(PoolSource {
            pools: slots,
            events,
            pending: VecDeque::new(),
            active: None,
            work: None,
            next_extranonce2: 0,
            max_versions: opts.max_versions,
            log,
            stopped: false,
        })
    }

    /// The pool work currently comes from (index in priority order).
    pub fn active_pool(&self) -> Option<usize> {
        self.active
    }

    /// Pool names (HOST:PORT) in priority order.
    pub fn pool_names(&self) -> Vec<String> {
        self.pools.iter().map(|p| p.name.clone()).collect()
    }

    /// Per-pool counters in priority order.
    pub fn pool_counters(&self) -> Vec<PoolCounters> {
        self.pools.iter().map(|p| p.stats.snapshot()).collect()
    }

    /// The job work is currently generated from.
    pub fn current_job(&self) -> Option<&JobSpec> {
        self.work.as_ref().map(JobWork::spec)
    }

    fn install(&mut self, index: usize, clean: bool) {
        let Some(slot) = self.pools.get_mut(index) else {
            return;
        };
        let Some(spec) = slot.job.clone() else {
            return;
        };
        let new_session = std::mem::take(&mut slot.new_session);
        let clean = clean || new_session;
        if let Some(old) = &self.work {
            self.next_extranonce2 = old.next_extranonce2();
        }
        self.pending.push_back(SourceEvent::NewWork {
            clean,
            pool: slot.name.clone(),
            job_id: spec.job.job_id.clone(),
            difficulty: spec.difficulty,
        });
        self.work = Some(JobWork::new(spec, self.max_versions, self.next_extranonce2));
        self.active = Some(index);
    }

    /// Moves work to the best pool with work, if that is not where it is.
    fn reselect(&mut self) {
        let best = self.pools.iter().position(|p| p.up && p.job.is_some());
        if let Some(best) = best {
            if Some(best) != self.active {
                self.install(best, true);
            }
        }
    }

    fn apply(&mut self, index: usize, event: ClientEvent) {
        let Some(slot) = self.pools.get_mut(index) else {
            return;
        };
        let name = slot.name.clone();
        match event {
            ClientEvent::Connected { resumed } => {
                slot.up = true;
                if !resumed {
                    // The old session's jobs are void; wait for a fresh one.
                    slot.job = None;
                    slot.new_session = true;
                }
                self.pending.push_back(SourceEvent::Connected {
                    pool: name,
                    resumed,
                });
            }
            ClientEvent::Disconnected(error) => {
                slot.up = false;
                self.pending.push_back(SourceEvent::Disconnected {
                    pool: name,
                    error: Box::new(error),
                });
                self.reselect();
            }
            ClientEvent::Job(spec) => {
                let clean = spec.job.clean_jobs;
                slot.up = true;
                slot.job = Some(spec);
                if self.active == Some(index) {
                    self.install(index, clean);
                } else {
                    self.reselect();
                }
            }
            ClientEvent::Share(record) => self.pending.push_back(SourceEvent::Share(record)),
        }
    }

    fn pump(&mut self) {
        while let Ok((index, event)) = self.events.try_recv() {
            self.apply(index, event);
        }
    }

    fn lost(&mut self, share: Share, reason: DropReason) {
        let pool = self
            .pools
            .get(share.pool)
            .map_or_else(|| format!("pool #{}", share.pool), |p| p.name.clone());
        let record = ShareRecord::now(pool, share, ShareResult::Lost { reason });
        self.log.record(&record);
        self.pending.push_back(SourceEvent::Share(record));
    }
}

impl WorkSource for PoolSource {
    fn name(&self) -> String {
        match self.active.and_then(|a| self.pools.get(a)) {
            Some(p) => p.name.clone(),
            None => self.pool_names().join(","),
        }
    }

    fn next_event(&mut self, timeout: Duration) -> Option<SourceEvent> {
        let until = Instant::now() + timeout;
        loop {
            self.pump();
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok((index, event)) => self.apply(index, event),
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(left);
                    return None;
                }
            }
        }
    }

    fn next_work(&mut self, nonces: u32) -> Option<WorkItem> {
        self.pump();
        self.work.as_mut()?.next_item(nonces)
    }

    fn submit(&mut self, share: Share) {
        let Some(slot) = self.pools.get(share.pool) else {
            return self.lost(share, DropReason::UnknownPool);
        };
        if let Err(mpsc::SendError(Command::Submit(share))) =
            slot.commands.send(Command::Submit(share))
        {
            self.lost(share, DropReason::Shutdown);
        }
    }

    fn counts(&self) -> ShareCounts {
        self.log.counts()
    }

    /// Also joins the client threads; a thread inside a TCP connect finishes it first
    /// (at most `ClientOptions::connect_timeout`).
    fn shutdown(&mut self, wait: Duration) {
        let at = Instant::now() + wait;
        for slot in &self.pools {
            let _ = slot.commands.send(Command::Shutdown(at));
        }
        for slot in &mut self.pools {
            if let Some(thread) = slot.thread.take() {
                let _ = thread.join();
            }
        }
        self.stopped = true;
        self.pump();
    }
}

impl Drop for PoolSource {
    fn drop(&mut self) {
        if !self.stopped {
            let now = Instant::now();
            for slot in &self.pools {
                let _ = slot.commands.send(Command::Shutdown(now));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// DESIGN layering: the pool client knows jobs and shares, never boards.
    #[test]
    fn pool_and_work_import_no_device_layers() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("client.rs"),
            include_str!("error.rs"),
            include_str!("url.rs"),
            include_str!("../work/mod.rs"),
            include_str!("../work/item.rs"),
            include_str!("../work/source.rs"),
            include_str!("../work/benchmark.rs"),
            include_str!("../work/job.rs"),
        ];
        for text in sources {
            for layer in ["device", "link", "usb", "program", "mpsse"] {
                for form in [format!("crate::{layer}"), format!("super::super::{layer}")] {
                    let hit = text
                        .lines()
                        .filter(|l| !l.contains("\"crate::"))
                        .any(|l| l.contains(&form));
                    assert!(!hit, "{form} imported below the driver");
                }
            }
        }
    }
}
