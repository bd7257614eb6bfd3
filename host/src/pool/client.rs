//! One pool, one blocking thread: connect, configure version rolling, subscribe
//! (resuming the previous session), authorize, follow jobs and difficulty, submit
//! shares, and reconnect with backoff. Shares submitted while the pool is away wait
//! in a queue; every share ends in the share log.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{PoolUrl, StratumError};
use crate::hash::Target;
use crate::work::{DropReason, JobSpec, Share, ShareLog, ShareRecord, ShareResult, StratumJob};

/// The user agent sent in `mining.subscribe`.
pub const USER_AGENT: &str = concat!("amber/", env!("CARGO_PKG_VERSION"));

/// The version bits BIP 320 leaves to miners; requested in `mining.configure`.
pub const BIP320_MASK: u32 = 0x1fff_e000;

/// How many jobs of a session are remembered (older ones make shares stale).
const KNOWN_JOBS: usize = 64;
/// How many cleaned job ids are remembered to name the reason of a stale share.
const CLEANED_JOBS: usize = 256;

/// A pool to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Where.
    pub url: PoolUrl,
    /// Worker name for `mining.authorize` and `mining.submit`.
    pub user: String,
    /// Password for `mining.authorize`.
    pub pass: String,
}

/// Timeouts and limits of the pool client; the defaults suit real pools, tests
/// shorten them.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// A connected pool that sends no line for this long is recycled.
    pub inactivity: Duration,
    /// First reconnect delay; doubles per failed attempt.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Longest line accepted from the pool, in bytes.
    pub max_line: usize,
    /// Malformed lines in a row after which the connection is recycled.
    pub malformed_limit: u32,
    /// Version bits to ask for with `mining.configure` (None: do not ask).
    pub version_rolling: Option<u32>,
    /// Send `mining.extranonce.subscribe` so the pool may use `mining.set_extranonce`.
    pub extranonce_subscribe: bool,
    /// Versions rolled per extranonce2 when the pool grants version rolling.
    pub max_versions: u32,
    /// How often the client thread looks at its command queue while reading.
    pub tick: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            inactivity: Duration::from_secs(180),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_line: 64 * 1024,
            malformed_limit: 8,
            version_rolling: Some(BIP320_MASK),
            extranonce_subscribe: true,
            max_versions: 16,
            tick: Duration::from_millis(20),
        }
    }
}

/// Counters of one pool connection thread, readable at any time.
#[derive(Debug, Default)]
pub(crate) struct PoolStats {
    connections: AtomicU64,
    disconnections: AtomicU64,
    jobs: AtomicU64,
    malformed: AtomicU64,
    unknown: AtomicU64,
    submitted: AtomicU64,
}

/// A snapshot of one pool's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounters {
    /// TCP connections made.
    pub connections: u64,
    /// Connections that ended (and failed connects).
    pub disconnections: u64,
    /// `mining.notify` jobs received.
    pub jobs: u64,
    /// Malformed lines received (bad JSON, wrong shape, too long).
    pub malformed: u64,
    /// Messages with a method the client does not know, and responses to no request.
    pub unknown: u64,
    /// `mining.submit` requests sent.
    pub submitted: u64,
}

impl PoolStats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> PoolCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PoolCounters {
            connections: get(&self.connections),
            disconnections: get(&self.disconnections),
            jobs: get(&self.jobs),
            malformed: get(&self.malformed),
            unknown: get(&self.unknown),
            submitted: get(&self.submitted),
        }
    }
}

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
    Connected { resumed: bool },
    Job(JobSpec),
    Disconnected(StratumError),
    Share(ShareRecord),
}

/// A request waiting for its response.
#[derive(Debug)]
enum Request {
    Configure,
    Subscribe { offered_session: bool },
    Authorize,
    ExtranonceSubscribe,
    Submit(Share),
}

/// A job of the session: what a share for it must match.
#[derive(Debug)]
struct KnownJob {
    id: String,
    extranonce1: Vec<u8>,
}

/// The pool session; it outlives connections so that it can be resumed.
#[derive(Debug)]
struct Session {
    subscription: Option<String>,
    extranonce1: Vec<u8>,
    extranonce2_size: usize,
    next_extranonce: Option<(Vec<u8>, usize)>,
    version_mask: u32,
    jobs: VecDeque<KnownJob>,
    cleaned: VecDeque<String>,
}

impl Session {
    fn forget(&mut self, id: String) {
        if self.cleaned.len() == CLEANED_JOBS {
            self.cleaned.pop_front();
        }
        self.cleaned.push_back(id);
    }

    /// Why a share for `job_id` cannot be submitted, if it cannot.
    fn obstacle(&self, job_id: &str) -> Option<DropReason> {
        match self.jobs.iter().find(|j| j.id == job_id) {
            Some(job) if job.extranonce1 != self.extranonce1 => Some(DropReason::ExtranonceChanged),
            Some(_) => None,
            None if self.cleaned.iter().any(|c| c == job_id) => Some(DropReason::JobCleaned),
            None => Some(DropReason::UnknownJob),
        }
    }
}

/// Splits a byte stream into lines, enforcing the length limit.
#[derive(Debug)]
pub(crate) struct LineReader {
    buf: Vec<u8>,
    skipping: bool,
    limit: usize,
}

/// One unit read from the pool.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    Text(String),
    TooLong,
}

impl LineReader {
    pub(crate) fn new(limit: usize) -> Self {
        LineReader {
            buf: Vec::new(),
            skipping: false,
            limit,
        }
    }

    /// Reads what is available (waiting at most the stream's read timeout) and
    /// returns the complete lines; empty lines are dropped.
    pub(crate) fn read(&mut self, stream: &mut impl Read) -> Result<Vec<Line>, StratumError> {
        let mut chunk = [0u8; 4096];
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(StratumError::Disconnected),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(Vec::new())
            }
            Err(e) => return Err(StratumError::Io { source: e }),
        };
        let mut out = Vec::new();
        for &b in chunk.get(..n).unwrap_or_default() {
            if b == b'\n' {
                if !self.skipping {
                    let text = String::from_utf8_lossy(&self.buf);
                    let text = text.trim();
                    if !text.is_empty() {
                        out.push(Line::Text(text.to_string()));
                    }
                }
                self.skipping = false;
                self.buf.clear();
            } else if self.skipping {
                continue;
            } else if self.buf.len() >= self.limit {
                self.skipping = true;
                self.buf.clear();
                out.push(Line::TooLong);
            } else {
                self.buf.push(b);
            }
        }
        Ok(out)
    }
}

/// State of one TCP connection.
struct Conn {
    stream: TcpStream,
    reader: LineReader,
    next_id: u64,
    pending: HashMap<u64, Request>,
    subscribed: bool,
    got_job: bool,
    granted_mask: u32,
    malformed_run: u32,
    last_rx: Instant,
}

impl Conn {
    fn send(&mut self, method: &str, params: Value) -> Result<u64, StratumError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"id": id, "method": method, "params": params}).to_string() + "\n";
        self.stream.write_all(line.as_bytes())?;
        Ok(id)
    }

    fn inflight_submits(&self) -> bool {
        self.pending
            .values()
            .any(|r| matches!(r, Request::Submit(_)))
    }
}

/// The `[code, message, ...]` or `{code, message}` error of a response.
fn response_error(msg: &Value) -> (Option<i64>, String) {
    let err = &msg["error"];
    match err {
        Value::Array(a) => (
            a.first().and_then(Value::as_i64),
            a.get(1).and_then(Value::as_str).unwrap_or("").to_string(),
        ),
        Value::Object(o) => (
            o.get("code").and_then(Value::as_i64),
            o.get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        Value::String(s) => (None, s.clone()),
        _ => (None, String::new()),
    }
}

fn hex_word(v: &Value) -> Option<u32> {
    u32::from_str_radix(v.as_str()?, 16).ok()
}

/// Parses `mining.notify` params.
fn parse_notify(params: &Value) -> Option<StratumJob> {
    let p = params.as_array()?;
    let s = |i: usize| p.get(i).and_then(Value::as_str);
    let branch: Vec<&str> = p
        .get(4)?
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()?;
    StratumJob::from_notify(
        s(0)?,
        s(1)?,
        s(2)?,
        s(3)?,
        &branch,
        s(5)?,
        s(6)?,
        s(7)?,
        p.get(8)?.as_bool()?,
    )
    .ok()
}

/// Subscription id, extranonce1 and extranonce2 size from a subscribe result.
fn parse_subscribe(result: &Value) -> Option<(Option<String>, Vec<u8>, usize)> {
    let r = result.as_array()?;
    let extranonce1 = hex::decode(r.get(1)?.as_str()?).ok()?;
    let size = usize::try_from(r.get(2)?.as_u64()?)
        .ok()
        .filter(|&s| s <= 32)?;
    // [[method, id], ...] or a single [method, id]; prefer the notify subscription.
    let subs = r.first();
    let pairs: Vec<&Value> = match subs.and_then(Value::as_array) {
        Some(a) if a.first().is_some_and(Value::is_array) => a.iter().collect(),
        Some(_) => subs.into_iter().collect(),
        None => Vec::new(),
    };
    let id_of = |pair: &&Value| pair.get(1).and_then(Value::as_str).map(str::to_string);
    let subscription = pairs
        .iter()
        .find(|p| p.get(0).and_then(Value::as_str) == Some("mining.notify"))
        .or(pairs.first())
        .and_then(id_of);
    Some((subscription, extranonce1, size))
}

/// One pool's client thread.
pub(crate) struct Client {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) config: PoolConfig,
    pub(crate) opts: ClientOptions,
    pub(crate) events: Sender<(usize, ClientEvent)>,
    pub(crate) commands: Receiver<Command>,
    pub(crate) log: ShareLog,
    pub(crate) stats: Arc<PoolStats>,
    session: Option<Session>,
    difficulty: f64,
    queue: VecDeque<Share>,
    stop_at: Option<Instant>,
}

impl Client {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        name: String,
        config: PoolConfig,
        opts: ClientOptions,
        events: Sender<(usize, ClientEvent)>,
        commands: Receiver<Command>,
        log: ShareLog,
        stats: Arc<PoolStats>,
    ) -> Self {
        Client {
            index,
            name,
            config,
            opts,
            events,
            commands,
            log,
            stats,
            session: None,
            difficulty: 1.0,
            queue: VecDeque::new(),
            stop_at: None,
        }
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

    /// Runs until told to stop: connect, serve, back off, again.
    pub(crate) fn run(mut self) {
        let mut failures: u32 = 0;
        while self.stop_at.is_none() {
            let mut got_job = false;
            let error = match self.connect() {
                Ok(stream) => {
                    PoolStats::bump(&self.stats.connections);
                    match self.serve(stream, &mut got_job) {
                        Ok(()) => break,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            PoolStats::bump(&self.stats.disconnections);
            self.emit(ClientEvent::Disconnected(error));
            failures = if got_job {
                0
            } else {
                failures.saturating_add(1)
            };
            let delay = self
                .opts
                .backoff_min
                .saturating_mul(1u32 << failures.min(16))
                .min(self.opts.backoff_max);
            self.wait(delay);
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

    fn command(&mut self, command: Command) -> Option<Share> {
        match command {
            Command::Submit(share) => Some(share),
            Command::Shutdown(at) => {
                self.stop_at = Some(at);
                None
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

    fn connect(&self) -> Result<TcpStream, StratumError> {
        let addr = self.config.url.authority();
        let fail = |source| StratumError::Connect {
            addr: addr.clone(),
            source,
        };
        let addrs = (self.config.url.host.as_str(), self.config.url.port)
            .to_socket_addrs()
            .map_err(fail)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for a in addrs {
            match TcpStream::connect_timeout(&a, self.opts.connect_timeout) {
                Ok(s) => {
                    let setup = s
                        .set_read_timeout(Some(self.opts.tick))
                        .and_then(|()| s.set_write_timeout(Some(self.opts.connect_timeout)))
                        .and_then(|()| s.set_nodelay(true));
                    return setup.map(|()| s).map_err(fail);
                }
                Err(e) => last = e,
            }
        }
        Err(fail(last))
    }

    fn serve(&mut self, stream: TcpStream, got_job: &mut bool) -> Result<(), StratumError> {
        let mut conn = Conn {
            stream,
            reader: LineReader::new(self.opts.max_line),
            next_id: 1,
            pending: HashMap::new(),
            subscribed: false,
            got_job: false,
            granted_mask: 0,
            malformed_run: 0,
            last_rx: Instant::now(),
        };
        let result = self.serve_conn(&mut conn);
        *got_job = conn.got_job;
        // Submissions in flight go back to the front of the queue, in order.
        let mut inflight: Vec<(u64, Share)> = conn
            .pending
            .drain()
            .filter_map(|(id, r)| match r {
                Request::Submit(s) => Some((id, s)),
                _ => None,
            })
            .collect();
        inflight.sort_by_key(|(id, _)| *id);
        for (_, share) in inflight.into_iter().rev() {
            self.queue.push_front(share);
        }
        result
    }

    fn serve_conn(&mut self, conn: &mut Conn) -> Result<(), StratumError> {
        if let Some(mask) = self.opts.version_rolling {
            let id = conn.send(
                "mining.configure",
                json!([["version-rolling"], {
                    "version-rolling.mask": format!("{mask:08x}"),
                    "version-rolling.min-bit-count": 2
                }]),
            )?;
            conn.pending.insert(id, Request::Configure);
        }
        let resume = self.session.as_ref().and_then(|s| s.subscription.clone());
        let params = match &resume {
            Some(sid) => json!([USER_AGENT, sid]),
            None => json!([USER_AGENT]),
        };
        let id = conn.send("mining.subscribe", params)?;
        conn.pending.insert(
            id,
            Request::Subscribe {
                offered_session: resume.is_some(),
            },
        );
        loop {
            loop {
                match self.commands.try_recv() {
                    Ok(c) => {
                        if let Some(share) = self.command(c) {
                            if conn.subscribed {
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
            for line in conn.reader.read(&mut conn.stream)? {
                conn.last_rx = Instant::now();
                match line {
                    Line::TooLong => self.malformed(
                        conn,
                        StratumError::LineTooLong {
                            limit: self.opts.max_line,
                        },
                    )?,
                    Line::Text(text) => self.handle_line(conn, &text)?,
                }
            }
            let silent = conn.last_rx.elapsed();
            if silent > self.opts.inactivity {
                return Err(StratumError::Inactive {
                    silent_ms: silent.as_millis() as u64,
                });
            }
        }
    }

    fn malformed(&mut self, conn: &mut Conn, error: StratumError) -> Result<(), StratumError> {
        PoolStats::bump(&self.stats.malformed);
        conn.malformed_run += 1;
        if conn.malformed_run >= self.opts.malformed_limit {
            return Err(StratumError::TooManyMalformed {
                count: conn.malformed_run,
                last: Box::new(error),
            });
        }
        Ok(()) // counted and survived
    }

    fn handle_line(&mut self, conn: &mut Conn, text: &str) -> Result<(), StratumError> {
        let msg: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return self.malformed(conn, StratumError::malformed(text)),
        };
        let understood = if let Some(method) = msg.get("method").and_then(Value::as_str) {
            let params = &msg["params"];
            match method {
                "mining.notify" => self.on_notify(conn, params),
                "mining.set_difficulty" => self.on_difficulty(params),
                "mining.set_extranonce" => self.on_extranonce(params),
                "mining.set_version_mask" => self.on_version_mask(params),
                _ => {
                    PoolStats::bump(&self.stats.unknown);
                    true
                }
            }
        } else if let Some(id) = msg.get("id").and_then(Value::as_u64) {
            match conn.pending.remove(&id) {
                Some(request) => self.on_response(conn, request, &msg)?,
                None => {
                    PoolStats::bump(&self.stats.unknown);
                    true
                }
            }
        } else {
            false
        };
        if understood {
            conn.malformed_run = 0;
            Ok(())
        } else {
            self.malformed(conn, StratumError::malformed(text))
        }
    }

    fn on_notify(&mut self, conn: &mut Conn, params: &Value) -> bool {
        let Some(job) = parse_notify(params) else {
            return false;
        };
        let Some(session) = self.session.as_mut().filter(|_| conn.subscribed) else {
            return true; // a job before the subscription: ignore, the pool will resend
        };
        if let Some((extranonce1, size)) = session.next_extranonce.take() {
            session.extranonce1 = extranonce1;
            session.extranonce2_size = size;
        }
        if job.clean_jobs {
            let old: Vec<KnownJob> = session.jobs.drain(..).collect();
            for j in old {
                session.forget(j.id);
            }
        }
        session.jobs.retain(|j| j.id != job.job_id);
        if session.jobs.len() == KNOWN_JOBS {
            if let Some(old) = session.jobs.pop_front() {
                session.forget(old.id);
            }
        }
        session.jobs.push_back(KnownJob {
            id: job.job_id.clone(),
            extranonce1: session.extranonce1.clone(),
        });
        let spec = JobSpec {
            extranonce1: session.extranonce1.clone(),
            extranonce2_size: session.extranonce2_size,
            difficulty: self.difficulty,
            share_target: Target::from_difficulty(self.difficulty).unwrap_or(Target::DIFF1),
            version_mask: session.version_mask,
            pool: self.index,
            job,
        };
        conn.got_job = true;
        PoolStats::bump(&self.stats.jobs);
        self.emit(ClientEvent::Job(spec));
        true
    }

    fn on_difficulty(&mut self, params: &Value) -> bool {
        match params.get(0).and_then(Value::as_f64) {
            Some(d) if Target::from_difficulty(d).is_ok() => {
                self.difficulty = d;
                true
            }
            _ => false,
        }
    }

    fn on_extranonce(&mut self, params: &Value) -> bool {
        let e1 = params
            .get(0)
            .and_then(Value::as_str)
            .and_then(|s| hex::decode(s).ok());
        let size = params
            .get(1)
            .and_then(Value::as_u64)
            .and_then(|s| usize::try_from(s).ok());
        match (e1, size, self.session.as_mut()) {
            (Some(e1), Some(size), Some(session)) if size <= 32 => {
                session.next_extranonce = Some((e1, size));
                true
            }
            _ => false,
        }
    }

    fn on_version_mask(&mut self, params: &Value) -> bool {
        let requested = self.opts.version_rolling.unwrap_or(0);
        match (params.get(0).and_then(hex_word), self.session.as_mut()) {
            (Some(mask), Some(session)) => {
                session.version_mask = mask & requested;
                true
            }
            _ => false,
        }
    }

    /// Handles a response; `Ok(false)` when its shape is wrong.
    fn on_response(
        &mut self,
        conn: &mut Conn,
        request: Request,
        msg: &Value,
    ) -> Result<bool, StratumError> {
        let result = &msg["result"];
        let ok = msg.get("error").is_none_or(Value::is_null);
        match request {
            Request::Configure => {
                let granted = result.get("version-rolling").and_then(Value::as_bool) == Some(true);
                let mask = result.get("version-rolling.mask").and_then(hex_word);
                conn.granted_mask = match (granted, mask) {
                    (true, Some(m)) => m & self.opts.version_rolling.unwrap_or(0),
                    _ => 0,
                };
                Ok(true)
            }
            Request::Subscribe { offered_session } => {
                let Some((subscription, extranonce1, size)) =
                    parse_subscribe(result).filter(|_| ok)
                else {
                    let (code, msg) = response_error(msg);
                    return Err(StratumError::Rejected {
                        method: "mining.subscribe",
                        code,
                        msg,
                    });
                };
                self.on_subscribed(conn, offered_session, subscription, extranonce1, size)?;
                Ok(true)
            }
            Request::Authorize => {
                if ok && result.as_bool() == Some(true) {
                    Ok(true)
                } else {
                    let (code, msg) = response_error(msg);
                    Err(StratumError::Rejected {
                        method: "mining.authorize",
                        code,
                        msg,
                    })
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
        match self.session.as_mut().filter(|_| resumed) {
            Some(session) => {
                if subscription.is_some() {
                    session.subscription = subscription;
                }
                session.version_mask = conn.granted_mask;
            }
            None => {
                // A new session: the old jobs are void, and so are queued shares.
                for share in std::mem::take(&mut self.queue) {
                    self.record(
                        share,
                        ShareResult::Lost {
                            reason: DropReason::SessionNotResumed,
                        },
                    );
                }
                self.session = Some(Session {
                    subscription,
                    extranonce1,
                    extranonce2_size: size,
                    next_extranonce: None,
                    version_mask: conn.granted_mask,
                    jobs: VecDeque::new(),
                    cleaned: VecDeque::new(),
                });
            }
        }
        conn.subscribed = true;
        let id = conn.send(
            "mining.authorize",
            json!([self.config.user, self.config.pass]),
        )?;
        conn.pending.insert(id, Request::Authorize);
        if self.opts.extranonce_subscribe {
            let id = conn.send("mining.extranonce.subscribe", json!([]))?;
            conn.pending.insert(id, Request::ExtranonceSubscribe);
        }
        self.emit(ClientEvent::Connected { resumed });
        for share in std::mem::take(&mut self.queue) {
            self.submit_now(conn, share, true)?;
        }
        Ok(())
    }

    /// Sends `mining.submit` if the share's job still stands; otherwise records it as
    /// stale (found while connected) or lost (`queued` while the pool was away).
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
        if let Some(reason) = session.obstacle(&share.job_id) {
            let result = if queued {
                ShareResult::Lost { reason }
            } else {
                ShareResult::Stale { reason }
            };
            self.record(share, result);
            return Ok(());
        }
        let mut params = vec![
            json!(self.config.user),
            json!(share.job_id),
            json!(hex::encode(&share.extranonce2)),
            json!(format!("{:08x}", share.ntime)),
            json!(share.nonce.submit_hex()),
        ];
        if session.version_mask != 0 {
            // BIP 310: the rolled bits; the pool takes (job version & !mask) | (bits & mask).
            params.push(json!(format!(
                "{:08x}",
                share.version & session.version_mask
            )));
        }
        let id = conn.send("mining.submit", Value::Array(params))?;
        conn.pending.insert(id, Request::Submit(share));
        PoolStats::bump(&self.stats.submitted);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_and_limited() {
        let mut r = LineReader::new(8);
        let mut input: &[u8] = b"{\"a\":1}\r\n\n0123456789abc\nok\npart";
        let lines = r.read(&mut input).unwrap();
        assert_eq!(
            lines,
            vec![
                Line::Text("{\"a\":1}".into()),
                Line::TooLong,
                Line::Text("ok".into())
            ]
        );
        let mut rest: &[u8] = b"ial\n";
        assert_eq!(
            r.read(&mut rest).unwrap(),
            vec![Line::Text("partial".into())]
        );
        let mut eof: &[u8] = b"";
        assert!(matches!(r.read(&mut eof), Err(StratumError::Disconnected)));
    }

    #[test]
    fn subscribe_results_of_several_shapes() {
        let r = json!([
            [["mining.set_difficulty", "d1"], ["mining.notify", "n1"]],
            "ffff001d",
            4
        ]);
        assert_eq!(
            parse_subscribe(&r),
            Some((Some("n1".into()), vec![0xff, 0xff, 0x00, 0x1d], 4))
        );
        let r = json!([["mining.notify", "abc"], "00", 8]);
        assert_eq!(parse_subscribe(&r), Some((Some("abc".into()), vec![0], 8)));
        let r = json!([null, "", 0]);
        assert_eq!(parse_subscribe(&r), Some((None, vec![], 0)));
        assert_eq!(parse_subscribe(&json!([[], "zz", 4])), None);
        assert_eq!(parse_subscribe(&json!([[], "00", 99])), None);
        assert_eq!(parse_subscribe(&json!({"x": 1})), None);
    }

    #[test]
    fn error_shapes() {
        assert_eq!(
            response_error(&json!({"error": [23, "low difficulty", null]})),
            (Some(23), "low difficulty".into())
        );
        assert_eq!(
            response_error(&json!({"error": {"code": 21, "message": "job not found"}})),
            (Some(21), "job not found".into())
        );
        assert_eq!(
            response_error(&json!({"error": "nope"})),
            (None, "nope".into())
        );
        assert_eq!(
            response_error(&json!({"error": null})),
            (None, String::new())
        );
    }

    #[test]
    fn notify_params_must_have_the_right_shape() {
        let good = json!([
            "j",
            "00".repeat(32),
            "01",
            "02",
            [],
            "20000000",
            "1d00ffff",
            "495fab29",
            true
        ]);
        assert_eq!(parse_notify(&good).unwrap().job_id, "j");
        let mut short = good.clone();
        short.as_array_mut().unwrap().pop();
        assert!(parse_notify(&short).is_none());
        let mut bad_branch = good.clone();
        bad_branch[4] = json!([1]);
        assert!(parse_notify(&bad_branch).is_none());
        let mut bad_hex = good.clone();
        bad_hex[6] = json!("xyz");
        assert!(parse_notify(&bad_hex).is_none());
        assert!(parse_notify(&json!({})).is_none());
    }
}
