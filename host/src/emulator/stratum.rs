//! A local Stratum v1 pool for tests: listens on 127.0.0.1:0, speaks configure,
//! subscribe (with session resume), authorize, extranonce.subscribe, notify,
//! set_difficulty, set_extranonce and submit, and checks every submitted share with
//! its own hash computation through the reference hasher (`StratumJob::header`,
//! `Header::hash`, `Target`). Faults on demand: drop connections, refuse them
//! (pool down), send raw lines (malformed JSON, unknown methods), go silent.
//!
//! Hostile on demand too: the same job ids in a new session, `set_extranonce` and
//! `set_version_mask` mid-job, silence after N shares with the socket open, floods of
//! clean jobs, pool strings with control characters. Every submission is judged
//! as the pool would ([`Verdict`]), so a test can fail on any invalid share.
#![allow(clippy::unwrap_used)] // a test double: a panic is the failure report

use std::collections::{HashMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::hash::{BlockHash, Nonce, Target};
use crate::work::StratumJob;
use serde_json::{json, Value};

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// extranonce1 of the first session; later new sessions get 4-byte counters.
    pub extranonce1: Vec<u8>,
    /// extranonce2 size given to miners.
    pub extranonce2_size: usize,
    /// Share difficulty of jobs (until `set_difficulty`).
    pub difficulty: f64,
    /// Version bits granted to `mining.configure` (None: refuse version rolling).
    pub version_mask: Option<u32>,
    /// Resume a session when a subscribe names a known subscription id.
    pub resume_sessions: bool,
    /// Refuse `mining.authorize`.
    pub refuse_authorize: bool,
    /// Go silent (read everything, answer nothing, keep the socket open) after
    /// this many submissions.
    pub silent_after: Option<usize>,
    /// Answer `mining.subscribe` with this result instead of a good one.
    pub subscribe_result: Option<Value>,
    /// Send the current job before answering `mining.authorize` (some pools do).
    pub notify_before_authorize: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            extranonce1: vec![0xf0, 0x00, 0x00, 0x01],
            extranonce2_size: 4,
            difficulty: 1.0,
            version_mask: None,
            resume_sessions: true,
            refuse_authorize: false,
            silent_after: None,
            subscribe_result: None,
            notify_before_authorize: false,
        }
    }
}

/// What a pool makes of a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A valid share.
    Accepted,
    /// Its job is gone: pools count it stale, not against the miner.
    Stale,
    /// Sent before and accepted then.
    Duplicate,
    /// The header the pool rebuilds from it does not meet the target, or its
    /// fields are wrong: what pools ban miners for.
    Invalid,
}

/// One `mining.submit` as received and judged.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The verdict.
    pub verdict: Verdict,
    /// The params exactly as received.
    pub params: Vec<Value>,
    /// Accepted?
    pub accepted: bool,
    /// Why not.
    pub reason: Option<String>,
    /// The hash the server computed, when it got that far.
    pub hash: Option<BlockHash>,
}

/// One `mining.subscribe` as received.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// The params as received.
    pub params: Vec<Value>,
    /// The session was resumed.
    pub resumed: bool,
    /// The extranonce1 given.
    pub extranonce1: Vec<u8>,
}

struct Job {
    job: StratumJob,
    difficulty: f64,
}

struct Conn {
    id: usize,
    writer: TcpStream,
    extranonce1: Vec<u8>,
    extranonce2_size: usize,
    next_extranonce: Option<(Vec<u8>, usize)>,
    version_mask: u32,
    authorized: bool,
    closed: bool,
}

struct State {
    cfg: ServerConfig,
    difficulty: f64,
    jobs: HashMap<String, Job>,
    current: Option<Value>,
    sessions: HashMap<String, Vec<u8>>,
    next_session: u32,
    conns: Vec<Conn>,
    connections: usize,
    submissions: Vec<Submission>,
    subscriptions: Vec<Subscription>,
    methods: Vec<String>,
    seen: HashSet<Vec<String>>,
    down: bool,
    silent: bool,
}

/// The running server; stops when dropped.
pub struct StratumServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn send(conn: &mut Conn, msg: &Value) {
    let line = msg.to_string() + "\n";
    if conn.writer.write_all(line.as_bytes()).is_err() {
        conn.closed = true;
    }
}

fn send_line(conn: &mut Conn, line: &str) {
    if conn.writer.write_all(line.as_bytes()).is_err() {
        conn.closed = true;
    }
}

impl StratumServer {
    /// Starts listening on 127.0.0.1 on a free port.
    pub fn start(cfg: ServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            difficulty: cfg.difficulty,
            cfg,
            jobs: HashMap::new(),
            current: None,
            sessions: HashMap::new(),
            next_session: 0,
            conns: Vec::new(),
            connections: 0,
            submissions: Vec::new(),
            subscriptions: Vec::new(),
            methods: Vec::new(),
            seen: HashSet::new(),
            down: false,
            silent: false,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let state = state.clone();
            let stop = stop.clone();
            thread::spawn(move || accept_loop(listener, state, stop))
        };
        StratumServer {
            addr,
            state,
            stop,
            accept: Some(accept),
        }
    }

    /// `stratum+tcp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("stratum+tcp://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Publishes a job (`mining.notify` params) to every authorized connection.
    /// With clean_jobs set, earlier jobs are no longer accepted.
    pub fn notify(&self, params: Value) {
        let p = params.as_array().unwrap();
        let s = |i: usize| p[i].as_str().unwrap();
        let branch: Vec<&str> = p[4]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap())
            .collect();
        let job = StratumJob::from_notify(
            s(0),
            s(1),
            s(2),
            s(3),
            &branch,
            s(5),
            s(6),
            s(7),
            p[8].as_bool().unwrap(),
        )
        .unwrap();
        let mut st = self.lock();
        if job.clean_jobs {
            st.jobs.clear();
        }
        let difficulty = st.difficulty;
        st.jobs.insert(job.job_id.clone(), Job { job, difficulty });
        st.current = Some(params.clone());
        let msg = json!({"id": null, "method": "mining.notify", "params": params});
        let silent = st.silent;
        for conn in st.conns.iter_mut().filter(|c| c.authorized && !c.closed) {
            if let Some((e1, size)) = conn.next_extranonce.take() {
                conn.extranonce1 = e1;
                conn.extranonce2_size = size;
            }
            if !silent {
                send(conn, &msg);
            }
        }
    }

    /// Sends `mining.set_difficulty`; jobs notified afterwards use it.
    pub fn set_difficulty(&self, difficulty: f64) {
        let mut st = self.lock();
        st.difficulty = difficulty;
        let msg = json!({"id": null, "method": "mining.set_difficulty", "params": [difficulty]});
        for conn in st.conns.iter_mut().filter(|c| c.authorized && !c.closed) {
            send(conn, &msg);
        }
    }

    /// Sends `mining.set_extranonce`; it applies from the next notify.
    pub fn set_extranonce(&self, extranonce1: &[u8], size: usize) {
        let mut st = self.lock();
        let msg = json!({"id": null, "method": "mining.set_extranonce",
                         "params": [to_hex(extranonce1), size]});
        for conn in st.conns.iter_mut().filter(|c| c.authorized && !c.closed) {
            conn.next_extranonce = Some((extranonce1.to_vec(), size));
            send(conn, &msg);
        }
    }

    /// Sends `mining.set_version_mask`; it applies at once (shares with bits outside
    /// the new mask are invalid).
    pub fn set_version_mask(&self, mask: u32) {
        let mut st = self.lock();
        let msg = json!({"id": null, "method": "mining.set_version_mask",
                         "params": [format!("{mask:08x}")]});
        for conn in st.conns.iter_mut().filter(|c| c.authorized && !c.closed) {
            conn.version_mask &= mask;
            send(conn, &msg);
        }
    }

    /// Submissions judged invalid (what pools ban for).
    pub fn invalid(&self) -> Vec<Submission> {
        self.lock()
            .submissions
            .iter()
            .filter(|s| s.verdict == Verdict::Invalid)
            .cloned()
            .collect()
    }

    /// Sends a raw line (a newline is added) to every open connection.
    pub fn send_raw(&self, line: &str) {
        let mut st = self.lock();
        for conn in st.conns.iter_mut().filter(|c| !c.closed) {
            send_line(conn, &format!("{line}\n"));
        }
    }

    /// Closes every open connection.
    pub fn drop_connections(&self) {
        let mut st = self.lock();
        for conn in st.conns.iter_mut() {
            let _ = conn.writer.shutdown(Shutdown::Both);
            conn.closed = true;
        }
    }

    /// Down: new connections are closed at once (and open ones are dropped).
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
        if down {
            self.drop_connections();
        }
    }

    /// Silent: read everything, send nothing.
    pub fn set_silent(&self, silent: bool) {
        self.lock().silent = silent;
    }

    /// Every submission so far.
    pub fn submissions(&self) -> Vec<Submission> {
        self.lock().submissions.clone()
    }

    /// Every subscribe so far.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.lock().subscriptions.clone()
    }

    /// Every method received, in order.
    pub fn methods(&self) -> Vec<String> {
        self.lock().methods.clone()
    }

    /// TCP connections accepted (while up).
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Connections open and authorized now.
    pub fn live_connections(&self) -> usize {
        self.lock()
            .conns
            .iter()
            .filter(|c| c.authorized && !c.closed)
            .count()
    }

    /// Polls `cond` every 10 ms until it holds or `timeout` passes; returns whether it held.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut cond: impl FnMut(&StratumServer) -> bool,
    ) -> bool {
        let until = Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for StratumServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.drop_connections();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let mut next_id = 0;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let mut st = state.lock().unwrap();
                if st.down {
                    let _ = stream.shutdown(Shutdown::Both);
                    continue;
                }
                st.connections += 1;
                let (Ok(writer), Ok(())) = (
                    stream.try_clone(),
                    stream.set_read_timeout(Some(Duration::from_millis(20))),
                ) else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                next_id += 1;
                let size = st.cfg.extranonce2_size;
                st.conns.push(Conn {
                    id: next_id,
                    writer,
                    extranonce1: Vec::new(),
                    extranonce2_size: size,
                    next_extranonce: None,
                    version_mask: 0,
                    authorized: false,
                    closed: false,
                });
                let state = state.clone();
                let stop = stop.clone();
                let id = next_id;
                thread::spawn(move || serve(stream, id, state, stop));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(mut stream: TcpStream, id: usize, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let closed = {
            let st = state.lock().unwrap();
            st.conns
                .iter()
                .find(|c| c.id == id)
                .is_none_or(|c| c.closed)
        };
        if closed {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        }
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let Ok(msg) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            let mut st = state.lock().unwrap();
            handle(&mut st, id, &msg);
        }
    }
    let mut st = state.lock().unwrap();
    if let Some(c) = st.conns.iter_mut().find(|c| c.id == id) {
        c.closed = true;
    }
}

fn handle(st: &mut State, id: usize, msg: &Value) {
    let method = msg["method"].as_str().unwrap_or("").to_string();
    st.methods.push(method.clone());
    if st.silent {
        return;
    }
    let req_id = msg["id"].clone();
    let params = msg["params"].as_array().cloned().unwrap_or_default();
    let reply = |st: &mut State, result: Value, error: Value| {
        if let Some(conn) = st.conns.iter_mut().find(|c| c.id == id) {
            send(
                conn,
                &json!({"id": req_id, "result": result, "error": error}),
            );
        }
    };
    match method.as_str() {
        "mining.configure" => {
            let requested = params
                .get(1)
                .and_then(|o| o["version-rolling.mask"].as_str())
                .and_then(|m| u32::from_str_radix(m, 16).ok())
                .unwrap_or(0);
            let result = match st.cfg.version_mask {
                Some(mask) => {
                    let granted = mask & requested;
                    if let Some(conn) = st.conns.iter_mut().find(|c| c.id == id) {
                        conn.version_mask = granted;
                    }
                    json!({"version-rolling": true, "version-rolling.mask": format!("{granted:08x}")})
                }
                None => json!({"version-rolling": false}),
            };
            reply(st, result, Value::Null);
        }
        "mining.subscribe" if st.cfg.subscribe_result.is_some() => {
            let result = st.cfg.subscribe_result.clone().unwrap_or_default();
            reply(st, result, Value::Null);
        }
        "mining.subscribe" => {
            let offered = params.get(1).and_then(Value::as_str).map(str::to_string);
            let known = offered
                .as_ref()
                .filter(|_| st.cfg.resume_sessions)
                .and_then(|s| st.sessions.get(s).cloned().map(|e1| (s.clone(), e1)));
            let (sid, extranonce1, resumed) = match known {
                Some((sid, e1)) => (sid, e1, true),
                None => {
                    let k = st.next_session;
                    st.next_session += 1;
                    let e1 = if k == 0 {
                        st.cfg.extranonce1.clone()
                    } else {
                        k.to_be_bytes().to_vec()
                    };
                    let sid = format!("session-{k}");
                    st.sessions.insert(sid.clone(), e1.clone());
                    (sid, e1, false)
                }
            };
            st.subscriptions.push(Subscription {
                params: params.clone(),
                resumed,
                extranonce1: extranonce1.clone(),
            });
            let size = st.cfg.extranonce2_size;
            if let Some(conn) = st.conns.iter_mut().find(|c| c.id == id) {
                conn.extranonce1 = extranonce1.clone();
            }
            reply(
                st,
                json!([
                    [["mining.set_difficulty", sid], ["mining.notify", sid]],
                    to_hex(&extranonce1),
                    size
                ]),
                Value::Null,
            );
        }
        "mining.authorize" if st.cfg.refuse_authorize => {
            reply(st, Value::Null, json!([24, "unauthorized worker", null]));
        }
        "mining.authorize" => {
            let early = st.cfg.notify_before_authorize;
            if !early {
                reply(st, json!(true), Value::Null);
            }
            let difficulty = st.difficulty;
            let current = st.current.clone();
            if let Some(conn) = st.conns.iter_mut().find(|c| c.id == id) {
                conn.authorized = true;
                send(
                    conn,
                    &json!({"id": null, "method": "mining.set_difficulty", "params": [difficulty]}),
                );
                if let Some(params) = current {
                    send(
                        conn,
                        &json!({"id": null, "method": "mining.notify", "params": params}),
                    );
                }
            }
            if early {
                reply(st, json!(true), Value::Null);
            }
        }
        "mining.extranonce.subscribe" => reply(st, json!(true), Value::Null),
        "mining.submit" => {
            let submission = judge(st, id, &params);
            let result = if submission.accepted {
                (json!(true), Value::Null)
            } else {
                (
                    Value::Null,
                    json!([23, submission.reason.clone().unwrap_or_default(), null]),
                )
            };
            st.submissions.push(submission);
            if st
                .cfg
                .silent_after
                .is_some_and(|n| st.submissions.len() >= n)
            {
                st.silent = true;
                return;
            }
            reply(st, result.0, result.1);
        }
        _ => reply(st, Value::Null, json!([20, "unknown method", null])),
    }
}

/// Checks a submission with the reference hasher.
fn judge(st: &mut State, id: usize, params: &[Value]) -> Submission {
    let mut sub = Submission {
        verdict: Verdict::Invalid,
        params: params.to_vec(),
        accepted: false,
        reason: None,
        hash: None,
    };
    let reject = |mut sub: Submission, why: &str| {
        sub.verdict = match why {
            "job not found" => Verdict::Stale,
            "duplicate share" => Verdict::Duplicate,
            _ => Verdict::Invalid,
        };
        sub.reason = Some(why.to_string());
        sub
    };
    let text = |i: usize| params.get(i).and_then(Value::as_str);
    let word = |i: usize| text(i).and_then(|t| u32::from_str_radix(t, 16).ok());
    let Some(conn) = st.conns.iter().find(|c| c.id == id) else {
        return reject(sub, "no connection");
    };
    let Some(job) = text(1).and_then(|j| st.jobs.get(j)) else {
        return reject(sub, "job not found");
    };
    let Some(extranonce2) = text(2).and_then(from_hex) else {
        return reject(sub, "bad extranonce2");
    };
    if extranonce2.len() != conn.extranonce2_size {
        return reject(sub, "extranonce2 size");
    }
    let (Some(ntime), Some(nonce)) = (word(3), word(4)) else {
        return reject(sub, "bad ntime or nonce");
    };
    let version = match params.get(5) {
        None => job.job.version,
        Some(_) => {
            let Some(bits) = word(5) else {
                return reject(sub, "bad version bits");
            };
            let mask = conn.version_mask;
            if mask == 0 || bits & !mask != 0 {
                return reject(sub, "version bits outside the mask");
            }
            (job.job.version & !mask) | (bits & mask)
        }
    };
    let header = job
        .job
        .header(&conn.extranonce1, &extranonce2, ntime, Nonce(nonce))
        .with_version(version);
    let hash = header.hash();
    sub.hash = Some(hash);
    let target = Target::from_difficulty(job.difficulty).unwrap();
    if !hash.meets(&target) {
        return reject(sub, "low difficulty share");
    }
    let key: Vec<String> = params.iter().skip(1).map(|p| p.to_string()).collect();
    if !st.seen.insert(key) {
        return reject(sub, "duplicate share");
    }
    sub.accepted = true;
    sub.verdict = Verdict::Accepted;
    sub
}
