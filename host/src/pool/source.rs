//! Several pools in priority order as one [`WorkSource`]: one client thread per
//! pool, work from the best pool that is up and has a job (failover and
//! switch-back), and shares handed to the client of the pool they are for.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::client::{Channels, Client, ClientEvent, Command};
use super::config::{ClientOptions, PoolConfig, PoolCounters, PoolStats};
use crate::work::{
    DropReason, JobRoller, JobSpec, PoolStatus, Share, ShareCounts, ShareLog, ShareRecord,
    ShareResult, ShareTally, SourceEvent, WorkItem, WorkSource,
};

/// One pool as the manager sees it.
struct ManagedPool {
    name: String,
    url: String,
    user: String,
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    up: bool,
    job: Option<JobSpec>,
    stats: Arc<PoolStats>,
}

/// Several pools in priority order (first = preferred) as one [`WorkSource`].
///
/// Every pool is kept connected; work comes from the first pool that is connected
/// and has a job. When it drops, work moves to the next (a `clean` [`SourceEvent::NewWork`]);
/// when a higher-priority pool has work again, work moves back. If no pool is up,
/// work continues on the last job and shares queue for its pool.
pub struct PoolSource {
    pools: Vec<ManagedPool>,
    /// Pool indices, preferred first.
    order: Vec<usize>,
    events: Receiver<(usize, ClientEvent)>,
    pending: VecDeque<SourceEvent>,
    active: Option<usize>,
    work: Option<JobRoller>,
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
        let mut managed = Vec::new();
        for (index, config) in pools.into_iter().enumerate() {
            let (commands, command_rx) = mpsc::channel();
            let stats = Arc::new(PoolStats::default());
            let name = config.url.authority();
            let (url, user) = (config.url.to_string(), config.user.clone());
            let client = Client::new(
                index,
                name.clone(),
                config,
                opts.clone(),
                Channels {
                    events: event_tx.clone(),
                    commands: command_rx,
                },
                log.clone(),
                stats.clone(),
            )
            .map_err(|e| std::io::Error::other(format!("TLS settings for pool {name}: {e}")))?;
            let thread = std::thread::Builder::new()
                .name(format!("pool-{index}"))
                .spawn(move || client.run())?;
            managed.push(ManagedPool {
                name,
                url,
                user,
                commands,
                thread: Some(thread),
                up: false,
                job: None,
                stats,
            });
        }
        Ok(PoolSource {
            order: (0..managed.len()).collect(),
            pools: managed,
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
        self.work.as_ref().map(JobRoller::spec)
    }

    fn install(&mut self, index: usize, clean: bool) {
        let Some(pool) = self.pools.get_mut(index) else {
            return;
        };
        let Some(spec) = pool.job.clone() else {
            return;
        };
        // Work of another pool or of another generation of this pool's session is
        // void: the boards are flushed whatever the job says.
        let superseded = self
            .work
            .as_ref()
            .is_some_and(|w| w.spec().pool != spec.pool || w.spec().session != spec.session);
        let clean = clean || superseded;
        if let Some(old) = &self.work {
            self.next_extranonce2 = old.next_extranonce2();
        }
        self.pending.push_back(SourceEvent::NewWork {
            clean,
            pool: pool.name.clone(),
            job_id: spec.job.job_id.clone(),
            difficulty: spec.difficulty,
        });
        self.work = Some(JobRoller::new(
            spec,
            self.max_versions,
            self.next_extranonce2,
        ));
        self.active = Some(index);
    }

    /// Moves work to the best pool with work, if that is not where it is.
    fn reselect(&mut self) {
        let best = self
            .order
            .iter()
            .copied()
            .find(|&i| self.pools.get(i).is_some_and(|p| p.up && p.job.is_some()));
        if let Some(best) = best {
            if Some(best) != self.active {
                self.install(best, true);
            }
        }
    }

    fn apply(&mut self, index: usize, event: ClientEvent) {
        let Some(pool) = self.pools.get_mut(index) else {
            return;
        };
        let name = pool.name.clone();
        match event {
            ClientEvent::Connected {
                resumed,
                generation,
            } => {
                pool.up = true;
                if pool.job.as_ref().is_some_and(|j| j.session != generation) {
                    // The old session's jobs are void; wait for a fresh one.
                    pool.job = None;
                }
                self.pending.push_back(SourceEvent::Connected {
                    pool: name,
                    resumed,
                });
                // A job that came before the authorization is usable now.
                self.reselect();
            }
            ClientEvent::Disconnected { error, retry_in } => {
                pool.up = false;
                self.pending.push_back(SourceEvent::Disconnected {
                    pool: name,
                    error: Box::new(error),
                    retry_in: Some(retry_in),
                });
                self.reselect();
            }
            ClientEvent::Malformed { error, count } => {
                self.pending.push_back(SourceEvent::Malformed {
                    pool: name,
                    error: Box::new(error),
                    count,
                });
            }
            ClientEvent::Job(spec) => {
                let clean = spec.job.clean_jobs;
                pool.job = Some(spec);
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
        let Some(pool) = self.pools.get(share.pool) else {
            return self.lost(share, DropReason::UnknownPool);
        };
        if let Err(mpsc::SendError(Command::Submit(share))) =
            pool.commands.send(Command::Submit(share))
        {
            self.lost(share, DropReason::Shutdown);
        }
    }

    fn counts(&self) -> ShareCounts {
        self.log.counts()
    }

    fn tally(&self) -> ShareTally {
        self.log.tally()
    }

    fn pools(&self) -> Vec<PoolStatus> {
        let mut tallies = self.log.pool_tallies();
        self.pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let counters = p.stats.snapshot();
                PoolStatus {
                    name: p.name.clone(),
                    url: p.url.clone(),
                    user: p.user.clone(),
                    up: p.up,
                    active: self.active == Some(i),
                    priority: self.order.iter().position(|&o| o == i).unwrap_or(i),
                    difficulty: p.job.as_ref().map_or(0.0, |j| j.difficulty),
                    jobs: counters.jobs,
                    failures: counters.disconnections,
                    tally: tallies.remove(&p.name).unwrap_or_default(),
                }
            })
            .collect()
    }

    fn prefer(&mut self, index: usize) -> bool {
        let Some(at) = self.order.iter().position(|&i| i == index) else {
            return false;
        };
        self.pump();
        let first = self.order.remove(at);
        self.order.insert(0, first);
        self.reselect();
        true
    }

    /// Also joins the client threads; a thread inside a TCP connect finishes it first
    /// (at most `ClientOptions::connect_timeout`).
    fn shutdown(&mut self, wait: Duration) {
        let at = Instant::now() + wait;
        for pool in &self.pools {
            let _ = pool.commands.send(Command::Shutdown(at));
        }
        for pool in &mut self.pools {
            if let Some(thread) = pool.thread.take() {
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
            for pool in &self.pools {
                let _ = pool.commands.send(Command::Shutdown(now));
            }
        }
    }
}
