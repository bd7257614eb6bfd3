//! One pool, one blocking thread: connect, configure version rolling, subscribe
//! (resuming the previous session), authorize, follow jobs and difficulty, submit
//! shares, and reconnect with backoff. Every request that matters has an answer
//! deadline and the pool an inactivity deadline, so a pool that hangs with its
//! socket open is taken for dead. Shares submitted while the pool is away wait in
//! a queue; every share ends in the share log.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::config::{ClientOptions, PoolConfig, PoolStats, USER_AGENT};
use super::conn::{Conn, Request};
use super::error::excerpt;
use super::lines::Line;
use super::message::{
    hex_word, parse_configure, parse_difficulty, parse_notify, parse_set_extranonce,
    parse_subscribe, response_error, response_ok, Incoming,
};
use super::session::Session;
use super::transport::{connect, Connection};
use super::StratumError;
use crate::hash::Target;
use crate::work::{DropReason, JobSpec, Share, ShareLog, ShareRecord, ShareResult, StratumJob};

/// Malformed lines reported one by one before only every [`MALFORMED_EVERY`]th is.
const MALFORMED_SHOWN: u64 = 10;
/// After the first [`MALFORMED_SHOWN`], one malformed line in this many is reported.
const MALFORMED_EVERY: u64 = 1000;

/// What the manager tells a client thread.
#[derive(Debug)]
pub(crate) enum Command {
    /// Submit (or queue) a share.
    Submit(Share),
    /// Stop by this time: answer what is in flight, then give up on the rest.
    Shutdown(Instant),
}

/// What a client thread tells the manager.
#[derive(Debug)]
pub(crate) enum ClientEvent {
    /// Subscribed and authorized; `generation` is the session's.
    Connected {
        resumed: bool,
        generation: u64,
    },
    Job(JobSpec),
    Disconnected {
        error: StratumError,
        retry_in: Duration,
    },
    Share(ShareRecord),
    /// A malformed line (counted and survived); `count` so far on this pool.
    Malformed {
        error: StratumError,
        count: u64,
    },
}

/// One pool's client thread.
pub(crate) struct Client {
    index: usize,
    name: String,
    config: PoolConfig,
    opts: ClientOptions,
    events: Sender<(usize, ClientEvent)>,
    commands: Receiver<Command>,
    log: ShareLog,
    stats: Arc<PoolStats>,
    session: Option<Session>,
    difficulty: f64,
    queue: VecDeque<Share>,
    stop_at: Option<Instant>,
    /// TLS settings for a TLS pool.
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// Where a client thread reports and what it listens to.
pub(crate) struct Channels {
    pub(crate) events: Sender<(usize, ClientEvent)>,
    pub(crate) commands: Receiver<Command>,
}

impl Client {
    pub(crate) fn new(
        index: usize,
        name: String,
        config: PoolConfig,
        opts: ClientOptions,
        channels: Channels,
        log: ShareLog,
        stats: Arc<PoolStats>,
    ) -> Result<Self, rustls::Error> {
        let tls = match config.url.is_tls() {
            true => Some(super::tls::client_config(config.ca.as_ref())?),
            false => None,
        };
        Ok(Client {
            tls,
            index,
            name,
            config,
            opts,
            events: channels.events,
            commands: channels.commands,
            log,
            stats,
            session: None,
            difficulty: 1.0,
            queue: VecDeque::new(),
            stop_at: None,
        })
    }

    fn emit(&self, event: ClientEvent) {
        // The manager is gone only when it is being dropped; nothing to tell then.
        let _ = self.events.send((self.index, event));
    }

    fn record(&self, share: Share, result: ShareResult) {
        let record = ShareRecord::now(self.name.clone(), share, result);
        self.log.record(&record);
        self.emit(ClientEvent::Share(record));
    }

    fn backoff(&self, failures: u32) -> Duration {
        self.opts
            .backoff_min
            .saturating_mul(1u32 << failures.min(16))
            .min(self.opts.backoff_max)
    }

    /// Runs until told to stop: connect, serve, back off, again.
    pub(crate) fn run(mut self) {
        let mut failures: u32 = 0;
        while self.stop_at.is_none() {
            let mut worked = false;
            let error = match self.connect() {
                Ok(Some(stream)) => {
                    PoolStats::bump(&self.stats.connections);
                    match self.serve(stream, &mut worked) {
                        Ok(()) => break,
                        Err(e) => e,
                    }
                }
                Ok(None) => break,
                Err(e) => e,
            };
            PoolStats::bump(&self.stats.disconnections);
            // Only a connection that was authorized and got work resets the backoff:
            // a pool that refuses the worker is not hammered.
            failures = if worked {
                0
            } else {
                failures.saturating_add(1)
            };
            let retry_in = self.backoff(failures);
            self.emit(ClientEvent::Disconnected { error, retry_in });
            self.wait(retry_in);
        }
        for share in std::mem::take(&mut self.queue) {
            self.record(
                share,
                ShareResult::Lost {
                    reason: DropReason::Shutdown,
                },
            );
        }
    }

    /// Takes one command; a share is returned for the caller to submit or queue.
    fn command(&mut self, command: Command) -> Option<Share> {
        match command {
            Command::Submit(share) => Some(share),
            Command::Shutdown(at) => {
                self.stop_at = Some(at);
                None
            }
        }
    }

    /// Takes every waiting command, queueing shares.
    fn queue_commands(&mut self) {
        loop {
            match self.commands.try_recv() {
                Ok(c) => {
                    if let Some(share) = self.command(c) {
                        self.queue.push_back(share);
                    }
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.stop_at = Some(Instant::now());
                    return;
                }
            }
        }
    }

    /// Backoff: queue submissions, watch for shutdown.
    fn wait(&mut self, delay: Duration) {
        let until = Instant::now() + delay;
        while self.stop_at.is_none() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match self.commands.recv_timeout(left) {
                Ok(c) => {
                    if let Some(share) = self.command(c) {
                        self.queue.push_back(share);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.stop_at = Some(Instant::now()),
            }
        }
    }

    /// Connects; `Ok(None)` when told to stop meanwhile (without waiting for the connect).
    fn connect(&mut self) -> Result<Option<Box<dyn Connection>>, StratumError> {
        let url = self.config.url.clone();
        let (timeout, tick) = (self.opts.connect_timeout, self.opts.tick);
        let tls = self.tls.clone();
        connect(&url, tls, timeout, tick, &mut || {
            self.queue_commands();
            self.stop_at.is_some()
        })
    }

    fn serve(
        &mut self,
        stream: Box<dyn Connection>,
        worked: &mut bool,
    ) -> Result<(), StratumError> {
        let mut conn = Conn::new(stream, self.opts.max_line);
        let result = self.serve_conn(&mut conn);
        *worked = conn.authorized && conn.got_job;
        conn.stream.close();
        self.requeue_inflight(conn);
        result
    }

    /// Puts the submissions of an ended connection back at the front of the
    /// queue, in the order they were sent.
    fn requeue_inflight(&mut self, conn: Conn) {
        let mut inflight: Vec<(u64, Share)> = conn
            .pending
            .into_iter()
            .filter_map(|(id, (r, _))| match r {
                Request::Submit(s) => Some((id, s)),
                _ => None,
            })
            .collect();
        inflight.sort_by_key(|(id, _)| *id);
        for (_, share) in inflight.into_iter().rev() {
            self.queue.push_front(share);
        }
    }

    fn serve_conn(&mut self, conn: &mut Conn) -> Result<(), StratumError> {
        if let Some(mask) = self.opts.version_rolling {
            conn.send(
                "mining.configure",
                json!([["version-rolling"], {
                    "version-rolling.mask": format!("{mask:08x}"),
                    "version-rolling.min-bit-count": 2
                }]),
                Request::Configure,
            )?;
        }
        let resume = self.session.as_ref().and_then(|s| s.subscription.clone());
        let params = match &resume {
            Some(sid) => json!([USER_AGENT, sid]),
            None => json!([USER_AGENT]),
        };
        conn.send(
            "mining.subscribe",
            params,
            Request::Subscribe {
                offered_session: resume.is_some(),
            },
        )?;
        loop {
            loop {
                match self.commands.try_recv() {
                    Ok(c) => {
                        if let Some(share) = self.command(c) {
                            if conn.authorized {
                                self.submit_now(conn, share, false)?;
                            } else {
                                self.queue.push_back(share);
                            }
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.stop_at = Some(Instant::now());
                        break;
                    }
                }
            }
            if let Some(at) = self.stop_at {
                let idle = !conn.inflight_submits() && self.queue.is_empty();
                if idle || Instant::now() >= at {
                    return Ok(());
                }
            }
            for line in conn.reader.read(conn.stream.as_mut())? {
                conn.last_rx = Instant::now();
                match line {
                    Line::TooLong => {
                        let limit = self.opts.max_line;
                        self.malformed(conn, || StratumError::LineTooLong { limit })?
                    }
                    Line::Text(text) => self.handle_line(conn, &text)?,
                }
            }
            let silent = conn.last_rx.elapsed();
            if silent > self.opts.inactivity {
                return Err(StratumError::Inactive {
                    silent_ms: millis(silent),
                });
            }
            if let Some((method, waited)) = conn.oldest_unanswered() {
                if waited > self.opts.answer_timeout {
                    return Err(StratumError::NoAnswer {
                        method,
                        waited_ms: millis(waited),
                    });
                }
            }
        }
    }

    fn malformed(
        &mut self,
        conn: &mut Conn,
        error: impl Fn() -> StratumError,
    ) -> Result<(), StratumError> {
        let count = PoolStats::bump(&self.stats.malformed);
        if count <= MALFORMED_SHOWN || count % MALFORMED_EVERY == 0 {
            self.emit(ClientEvent::Malformed {
                error: error(),
                count,
            });
        }
        conn.malformed_run += 1;
        if conn.malformed_run >= self.opts.malformed_limit {
            return Err(StratumError::TooManyMalformed {
                count: conn.malformed_run,
                last: Box::new(error()),
            });
        }
        Ok(()) // counted and survived
    }

    fn handle_line(&mut self, conn: &mut Conn, text: &str) -> Result<(), StratumError> {
        let understood = match Incoming::parse(text) {
            None => false,
            Some(Incoming::Call { method, params }) => match method.as_str() {
                "mining.notify" => self.on_notify(conn, &params),
                "mining.set_difficulty" => self.on_difficulty(&params),
                "mining.set_extranonce" => self.on_extranonce(&params),
                "mining.set_version_mask" => self.on_version_mask(conn, &params),
                _ => {
                    PoolStats::bump(&self.stats.unknown);
                    true
                }
            },
            Some(Incoming::Response { id, msg }) => match conn.pending.remove(&id) {
                Some((request, _)) => self.on_response(conn, request, &msg)?,
                None => {
                    PoolStats::bump(&self.stats.unknown);
                    true
                }
            },
        };
        if understood {
            conn.malformed_run = 0;
            Ok(())
        } else {
            self.malformed(conn, || StratumError::malformed(text))
        }
    }

    /// The job as work is cut from it: the session's extranonces, mask and generation.
    fn job_spec(&self, job: StratumJob) -> Option<JobSpec> {
        let session = self.session.as_ref()?;
        Some(JobSpec {
            extranonce1: session.extranonce1.clone(),
            extranonce2_size: session.extranonce2_size,
            difficulty: self.difficulty,
            share_target: Target::from_difficulty(self.difficulty).unwrap_or(Target::DIFF1),
            version_mask: session.version_mask,
            pool: self.index,
            session: session.generation(),
            job,
        })
    }

    fn on_notify(&mut self, conn: &mut Conn, params: &Value) -> bool {
        let Some(job) = parse_notify(params) else {
            return false;
        };
        let Some(session) = self.session.as_mut().filter(|_| conn.subscribed) else {
            return true; // a job before the subscription: ignore, the pool will resend
        };
        session.add_job(job.clone());
        conn.got_job = true;
        PoolStats::bump(&self.stats.jobs);
        if let Some(spec) = self.job_spec(job) {
            self.emit(ClientEvent::Job(spec));
        }
        true
    }

    /// The session's newest job again, cut in the session's new generation.
    fn reissue_newest_job(&mut self) {
        let job = self.session.as_ref().and_then(|s| s.newest_job().cloned());
        if let Some(spec) = job.and_then(|job| self.job_spec(job)) {
            self.emit(ClientEvent::Job(spec));
        }
    }

    fn on_difficulty(&mut self, params: &Value) -> bool {
        match parse_difficulty(params) {
            Some(d) => {
                self.difficulty = d;
                true
            }
            None => false,
        }
    }

    fn on_extranonce(&mut self, params: &Value) -> bool {
        match (parse_set_extranonce(params), self.session.as_mut()) {
            (Some((extranonce1, size)), Some(session)) => {
                session.announce_extranonce(extranonce1, size);
                true
            }
            _ => false,
        }
    }

    fn on_version_mask(&mut self, conn: &Conn, params: &Value) -> bool {
        let requested = self.opts.version_rolling.unwrap_or(0);
        let Some(mask) = params.get(0).and_then(hex_word) else {
            return false;
        };
        let changed = self
            .session
            .as_mut()
            .is_some_and(|s| s.set_version_mask(mask & requested));
        if changed && conn.subscribed {
            // Work cut under the old mask is void: cut the job again at once.
            self.reissue_newest_job();
        }
        true
    }

    /// Handles a response; `Ok(false)` when its shape is wrong.
    fn on_response(
        &mut self,
        conn: &mut Conn,
        request: Request,
        msg: &Value,
    ) -> Result<bool, StratumError> {
        let result = &msg["result"];
        let ok = response_ok(msg);
        let refused = |method| {
            let (code, msg) = response_error(msg);
            StratumError::Rejected { method, code, msg }
        };
        match request {
            Request::Configure => {
                let requested = self.opts.version_rolling.unwrap_or(0);
                conn.granted_mask = if ok {
                    parse_configure(result) & requested
                } else {
                    0
                };
                Ok(true)
            }
            Request::Subscribe { offered_session } => {
                if !ok {
                    return Err(refused("mining.subscribe"));
                }
                let Some((subscription, extranonce1, size)) = parse_subscribe(result) else {
                    return Err(StratumError::BadReply {
                        method: "mining.subscribe",
                        reply: excerpt(&result.to_string()),
                    });
                };
                self.on_subscribed(conn, offered_session, subscription, extranonce1, size)?;
                Ok(true)
            }
            Request::Authorize => {
                if ok && result.as_bool() == Some(true) {
                    self.on_authorized(conn)?;
                    Ok(true)
                } else {
                    Err(refused("mining.authorize"))
                }
            }
            Request::ExtranonceSubscribe => Ok(true),
            Request::Submit(share) => {
                let outcome = if ok && result.as_bool() == Some(true) {
                    ShareResult::Accepted
                } else {
                    let (code, message) = response_error(msg);
                    ShareResult::Rejected { code, message }
                };
                self.record(share, outcome);
                Ok(true)
            }
        }
    }

    fn on_subscribed(
        &mut self,
        conn: &mut Conn,
        offered_session: bool,
        subscription: Option<String>,
        extranonce1: Vec<u8>,
        size: usize,
    ) -> Result<(), StratumError> {
        let resumed = offered_session
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.extranonce1 == extranonce1 && s.extranonce2_size == size);
        let granted = conn.granted_mask;
        let mut reissue = false;
        match self.session.as_mut() {
            Some(session) if resumed => {
                if subscription.is_some() {
                    session.subscription = subscription;
                }
                reissue = session.set_version_mask(granted);
            }
            // A new session: the old jobs, their work and queued shares are void.
            Some(session) => session.restart(subscription, extranonce1, size, granted),
            None => self.session = Some(Session::new(subscription, extranonce1, size, granted)),
        }
        conn.subscribed = true;
        conn.resumed = resumed;
        if reissue {
            self.reissue_newest_job();
        }
        conn.send(
            "mining.authorize",
            json!([self.config.user, self.config.pass]),
            Request::Authorize,
        )?;
        if self.opts.extranonce_subscribe {
            conn.send(
                "mining.extranonce.subscribe",
                json!([]),
                Request::ExtranonceSubscribe,
            )?;
        }
        Ok(())
    }

    fn on_authorized(&mut self, conn: &mut Conn) -> Result<(), StratumError> {
        conn.authorized = true;
        let generation = self.session.as_ref().map_or(0, Session::generation);
        self.emit(ClientEvent::Connected {
            resumed: conn.resumed,
            generation,
        });
        // One at a time out of the queue: when a write fails, the shares not yet
        // sent are still queued.
        for _ in 0..self.queue.len() {
            let Some(share) = self.queue.pop_front() else {
                break;
            };
            self.submit_now(conn, share, true)?;
        }
        Ok(())
    }

    /// Sends `mining.submit` if the pool would rebuild exactly the header that was
    /// hashed; otherwise records the share as stale (found while connected) or lost
    /// (`queued` while the pool was away), with the reason.
    fn submit_now(
        &mut self,
        conn: &mut Conn,
        share: Share,
        queued: bool,
    ) -> Result<(), StratumError> {
        let Some(session) = self.session.as_ref() else {
            self.queue.push_back(share);
            return Ok(());
        };
        if let Err(reason) = session.admit(&share) {
            let result = if queued {
                ShareResult::Lost { reason }
            } else {
                ShareResult::Stale { reason }
            };
            self.record(share, result);
            return Ok(());
        }
        let params = session.submit_params(&self.config.user, &share);
        conn.send("mining.submit", params, Request::Submit(share))?;
        PoolStats::bump(&self.stats.submitted);
        Ok(())
    }
}

/// Milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read, Write};
    use std::sync::mpsc;

    use super::*;
    use crate::hash::Nonce;
    use crate::work::JobRoller;

    /// A connection whose pool has gone: every read and write fails.
    struct Gone;

    impl Read for Gone {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::ConnectionReset.into())
        }
    }

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Connection for Gone {
        fn close(&mut self) {}
    }

    /// A client with a session holding job "a", and `n` shares of that job.
    fn client_with_shares(n: usize) -> (Client, Vec<Share>) {
        let (events, _) = mpsc::channel();
        let (_, commands) = mpsc::channel();
        let config = PoolConfig {
            url: "stratum+tcp://127.0.0.1:3333".parse().unwrap(),
            user: "worker".into(),
            pass: "x".into(),
            ca: None,
        };
        let mut client = Client::new(
            0,
            "pool".into(),
            config,
            ClientOptions::default(),
            Channels { events, commands },
            ShareLog::default(),
            Arc::new(PoolStats::default()),
        )
        .unwrap();
        let mut session = Session::new(None, vec![1, 2, 3, 4], 4, 0);
        let job = super::super::session::tests::job("a", true);
        session.add_job(job.clone());
        client.session = Some(session);
        let mut roller = JobRoller::new(client.job_spec(job).unwrap(), 1, 0);
        let shares = (0..n)
            .map(|_| {
                let item = roller.next_item(u32::MAX).unwrap();
                item.share(Nonce(item.nonce_start))
            })
            .collect();
        (client, shares)
    }

    #[test]
    fn shares_whose_submit_cannot_be_written_stay_queued_in_order() {
        let (mut client, shares) = client_with_shares(3);
        client.queue.extend(shares.iter().cloned());
        let mut conn = Conn::new(Box::new(Gone), 1024);
        assert!(client.on_authorized(&mut conn).is_err());
        client.requeue_inflight(conn);
        assert_eq!(Vec::from(client.queue.clone()), shares);
    }

    #[test]
    fn a_share_submitted_as_the_pool_goes_is_queued_for_the_next_connection() {
        let (mut client, shares) = client_with_shares(1);
        let mut conn = Conn::new(Box::new(Gone), 1024);
        conn.authorized = true;
        assert!(client
            .submit_now(&mut conn, shares[0].clone(), false)
            .is_err());
        client.requeue_inflight(conn);
        assert_eq!(Vec::from(client.queue.clone()), shares);
    }
}
