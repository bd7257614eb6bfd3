//! One connection to a pool: its stream, its line reader, and the requests sent
//! on it that wait for their answers (a share's submission among them until the
//! pool answers, so that a connection that ends gives its shares back).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::lines::LineReader;
use super::transport::Connection;
use super::StratumError;
use crate::work::Share;

/// A request waiting for its response.
#[derive(Debug)]
pub(super) enum Request {
    Configure,
    Subscribe { offered_session: bool },
    Authorize,
    ExtranonceSubscribe,
    Submit(Share),
}

impl Request {
    pub(super) fn method(&self) -> &'static str {
        match self {
            Request::Configure => "mining.configure",
            Request::Subscribe { .. } => "mining.subscribe",
            Request::Authorize => "mining.authorize",
            Request::ExtranonceSubscribe => "mining.extranonce.subscribe",
            Request::Submit(_) => "mining.submit",
        }
    }

    /// Whether an unanswered request means the pool is dead (pools may ignore
    /// the optional extensions).
    pub(super) fn must_be_answered(&self) -> bool {
        matches!(
            self,
            Request::Subscribe { .. } | Request::Authorize | Request::Submit(_)
        )
    }
}

/// State of one connection.
pub(super) struct Conn {
    pub(super) stream: Box<dyn Connection>,
    pub(super) reader: LineReader,
    pub(super) next_id: u64,
    pub(super) pending: HashMap<u64, (Request, Instant)>,
    pub(super) subscribed: bool,
    pub(super) resumed: bool,
    pub(super) authorized: bool,
    pub(super) got_job: bool,
    pub(super) granted_mask: u32,
    pub(super) malformed_run: u32,
    pub(super) last_rx: Instant,
}

impl Conn {
    pub(super) fn new(stream: Box<dyn Connection>, max_line: usize) -> Self {
        Conn {
            stream,
            reader: LineReader::new(max_line),
            next_id: 1,
            pending: HashMap::new(),
            subscribed: false,
            resumed: false,
            authorized: false,
            got_job: false,
            granted_mask: 0,
            malformed_run: 0,
            last_rx: Instant::now(),
        }
    }

    pub(super) fn send(
        &mut self,
        method: &str,
        params: Value,
        request: Request,
    ) -> Result<(), StratumError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"id": id, "method": method, "params": params}).to_string() + "\n";
        // In flight before the write: a share whose write fails goes back to the
        // queue with the others when the connection ends, and is never dropped.
        self.pending.insert(id, (request, Instant::now()));
        self.stream.write_all(line.as_bytes())?;
        self.stream.flush()?;
        Ok(())
    }

    pub(super) fn inflight_submits(&self) -> bool {
        self.pending
            .values()
            .any(|(r, _)| matches!(r, Request::Submit(_)))
    }

    /// The oldest request that must be answered and is not, with its age.
    pub(super) fn oldest_unanswered(&self) -> Option<(&'static str, Duration)> {
        self.pending
            .values()
            .filter(|(r, _)| r.must_be_answered())
            .min_by_key(|(_, at)| *at)
            .map(|(r, at)| (r.method(), at.elapsed()))
    }
}
