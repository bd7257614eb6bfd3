//! A small TCP server for the miner's read-outs (the cgminer API, the
//! Prometheus metrics): one accept thread and one thread per connection, at
//! most [`Limits::max_connections`] at once (more are closed at once), each
//! connection with read and write deadlines and a bounded request. Nothing here
//! touches the miner: handlers read a shared snapshot, so a slow or hostile
//! client costs one of its own threads, never the mining loop's time.
//!
//! Also the `[ADDR:]PORT` form of `--api-listen` and `--metrics-listen`.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use thiserror::Error;

/// How often the accept thread looks for a stop request.
const ACCEPT_POLL: Duration = Duration::from_millis(20);

/// What one server allows a client.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once; more are closed without an answer.
    pub max_connections: usize,
    /// Longest request, in bytes.
    pub max_request: usize,
    /// Longest a client may take to send its whole request.
    pub request_deadline: Duration,
    /// Longest one write of the answer may block.
    pub write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 16,
            max_request: 8192,
            request_deadline: Duration::from_secs(5),
            write_timeout: Duration::from_secs(5),
        }
    }
}

/// Serves one connection: the stream (deadlines already set) and the peer.
pub type Handler = dyn Fn(TcpStream, SocketAddr) + Send + Sync;

/// A running server; stops (and joins its accept thread) when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` and serves every connection with `handler` on a thread of its own.
    pub fn start(
        name: &str,
        addr: SocketAddr,
        limits: Limits,
        handler: Arc<Handler>,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, refused) = (stop.clone(), refused.clone());
            let name = name.to_string();
            std::thread::Builder::new()
                .name(format!("{name}-accept"))
                .spawn(move || accept_loop(&name, &listener, limits, &handler, &stop, &refused))?
        };
        Ok(Server {
            addr,
            stop,
            refused,
            thread: Some(thread),
        })
    }

    /// The address it listens on (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections closed unserved because [`Limits::max_connections`] were busy.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counts a connection for as long as it lives.
struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn accept_loop(
    name: &str,
    listener: &TcpListener,
    limits: Limits,
    handler: &Arc<Handler>,
    stop: &AtomicBool,
    refused: &AtomicU64,
) {
    let busy = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        let (stream, peer) = match listener.accept() {
            Ok(conn) => conn,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(ACCEPT_POLL);
                continue;
            }
            // A connection that failed while being accepted (reset, out of
            // descriptors): nothing to serve; try again shortly.
            Err(_) => {
                std::thread::sleep(ACCEPT_POLL);
                continue;
            }
        };
        if busy.fetch_add(1, Ordering::AcqRel) >= limits.max_connections {
            busy.fetch_sub(1, Ordering::AcqRel);
            refused.fetch_add(1, Ordering::Relaxed);
            continue; // dropping the stream closes it
        }
        let guard = Busy(busy.clone());
        let handler = handler.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("{name}-conn"))
            .spawn(move || {
                let _guard = guard;
                let ready = stream
                    .set_nonblocking(false)
                    .and_then(|()| stream.set_write_timeout(Some(limits.write_timeout)))
                    .and_then(|()| stream.set_nodelay(true));
                if ready.is_ok() {
                    handler(stream, peer);
                }
            });
        if spawned.is_err() {
            refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Why a request could not be read whole.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RequestError {
    /// More than the limit arrived before the request was complete.
    #[error("request longer than {limit} bytes")]
    TooLong {
        /// The limit.
        limit: usize,
        /// The request's first byte that is not white space (its form).
        first: Option<u8>,
    },
    /// The client did not finish its request in time.
    #[error("request not complete after {waited_ms} ms")]
    Timeout {
        /// How long it was given.
        waited_ms: u64,
    },
    /// The client closed the connection before sending anything.
    #[error("connection closed before a request")]
    Empty,
    /// The connection failed.
    #[error("reading the request: {0}")]
    Io(String),
}

/// What a request reader makes of the bytes so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Complete: the request is the first `n` bytes.
    Complete(usize),
    /// Wait for more.
    More,
}

/// Reads one request: until `complete` says it is whole, the client closes its
/// side (what came is the request) or `quiet` passes with no new byte after some
/// arrived (clients that send a bare command and wait). Never more than `limit`
/// bytes, never longer than `deadline` in all.
pub fn read_request(
    stream: &mut TcpStream,
    limit: usize,
    deadline: Duration,
    quiet: Option<Duration>,
    complete: impl Fn(&[u8]) -> Progress,
) -> Result<Vec<u8>, RequestError> {
    let until = Instant::now() + deadline;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RequestError::Timeout {
                waited_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
            });
        }
        let wait = match quiet {
            Some(q) if !buf.is_empty() => left.min(q),
            _ => left,
        };
        stream
            .set_read_timeout(Some(wait))
            .map_err(|e| RequestError::Io(e.to_string()))?;
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(RequestError::Empty),
            Ok(0) => return Ok(buf),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Progress::Complete(end) = complete(&buf) {
                    buf.truncate(end.min(buf.len()));
                    return Ok(buf);
                }
                if buf.len() > limit {
                    let first = buf.iter().copied().find(|b| !b.is_ascii_whitespace());
                    return Err(RequestError::TooLong { limit, first });
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if !buf.is_empty() && quiet.is_some() && Instant::now() < until {
                    return Ok(buf);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(RequestError::Io(e.to_string())),
        }
    }
}

/// Closes after an answer: what the client still sends (the rest of an oversize
/// request) is read and dropped for a moment first, so that closing with unread
/// bytes does not reset the connection before the client has read the answer.
pub fn close_gently(mut stream: TcpStream) {
    const DRAIN_BYTES: usize = 256 * 1024;
    const DRAIN_TIME: Duration = Duration::from_millis(500);
    let _ = stream.shutdown(Shutdown::Write);
    let until = Instant::now() + DRAIN_TIME;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// A `[ADDR:]PORT` that could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ListenError {
    /// Not a port, `ADDR:PORT` or `[IPv6]:PORT`.
    #[error("{text:?} is not [ADDR:]PORT (a port alone listens on 127.0.0.1)")]
    Form {
        /// What was given.
        text: String,
    },
    /// The address names no local address.
    #[error("{text:?}: no such address")]
    Address {
        /// What was given.
        text: String,
    },
}

/// Parses `--api-listen`/`--metrics-listen`: `PORT` (on 127.0.0.1), `ADDR:PORT`
/// or `[IPv6]:PORT`. A host name is resolved; port 0 picks a free port.
///
/// ```
/// use amber::serve::parse_listen;
/// assert_eq!(parse_listen("4028").unwrap().to_string(), "127.0.0.1:4028");
/// assert_eq!(parse_listen("0.0.0.0:9100").unwrap().to_string(), "0.0.0.0:9100");
/// assert_eq!(parse_listen("[::1]:4028").unwrap().to_string(), "[::1]:4028");
/// assert!(parse_listen("4028x").is_err());
/// ```
pub fn parse_listen(text: &str) -> Result<SocketAddr, ListenError> {
    let trimmed = text.trim();
    let form = || ListenError::Form {
        text: text.to_string(),
    };
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = trimmed.parse().map_err(|_| form())?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Ok(addr) = trimmed.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (host, port) = trimmed.rsplit_once(':').ok_or_else(form)?;
    if host.is_empty() || host.contains(':') || port.parse::<u16>().is_err() {
        return Err(form());
    }
    trimmed
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ListenError::Address {
            text: text.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("localhost:4028").unwrap().port(),
            4028,
            "a host name is resolved"
        );
        for bad in [
            "",
            "x",
            "70000",
            "1.2.3.4:",
            ":80",
            "1.2.3.4:99999",
            "::1:80",
            "a b:1",
        ] {
            assert!(parse_listen(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_listen("4028x").unwrap_err().to_string(),
            "\"4028x\" is not [ADDR:]PORT (a port alone listens on 127.0.0.1)"
        );
    }

    fn echo_server(limits: Limits) -> Server {
        let handler: Arc<Handler> = Arc::new(move |mut s: TcpStream, _| {
            if let Ok(req) = read_request(
                &mut s,
                limits.max_request,
                limits.request_deadline,
                None,
                |b| match b.iter().position(|&c| c == b'\n') {
                    Some(i) => Progress::Complete(i),
                    None => Progress::More,
                },
            ) {
                let _ = s.write_all(&req);
            }
        });
        Server::start("test", "127.0.0.1:0".parse().unwrap(), limits, handler).unwrap()
    }

    /// Busy slots refuse further connections; a slow client times out; neither
    /// stops the next good client from being served.
    #[test]
    fn slots_are_bounded_and_slow_clients_time_out() {
        let limits = Limits {
            max_connections: 2,
            max_request: 64,
            request_deadline: Duration::from_millis(300),
            write_timeout: Duration::from_millis(300),
        };
        let server = echo_server(limits);
        let addr = server.local_addr();
        let hogs: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(100));
        let mut extra = TcpStream::connect(addr).unwrap();
        extra
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut got = Vec::new();
        // Closed at once, without an answer.
        assert_eq!(extra.read_to_end(&mut got).unwrap_or(0), 0);
        assert!(server.refused() >= 1);
        // The hogs time out; then a good client is answered.
        std::thread::sleep(Duration::from_millis(500));
        drop(hogs);
        let mut good = TcpStream::connect(addr).unwrap();
        good.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        good.write_all(b"hello\n").unwrap();
        let mut answer = Vec::new();
        good.read_to_end(&mut answer).unwrap();
        assert_eq!(answer, b"hello");
    }

    #[test]
    fn an_oversize_request_is_refused() {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = a.local_addr().unwrap();
        let writer = std::thread::spawn(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            let _ = c.write_all(&[b'a'; 5000]);
            std::thread::sleep(Duration::from_millis(200));
        });
        let (mut s, _) = a.accept().unwrap();
        let got = read_request(&mut s, 1000, Duration::from_secs(5), None, |_| {
            Progress::More
        });
        assert_eq!(
            got,
            Err(RequestError::TooLong {
                limit: 1000,
                first: Some(b'a')
            })
        );
        writer.join().unwrap();
    }
}
