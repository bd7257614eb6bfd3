//! The byte stream to a pool, behind a small trait so that the client does not
//! care what carries it (plain TCP, or TLS in `tls`), and a connect (TCP, then
//! the TLS handshake for a TLS pool) that a shutdown never waits for.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use super::tls::handshake;
use super::{PoolUrl, StratumError};

/// True for the errors a read with a timeout returns when nothing came in time.
pub(crate) fn nothing_yet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// A connected byte stream to a pool. Reads wait at most the tick the stream was
/// set up with, so that the client can look at its commands between reads.
pub(crate) trait Connection: Read + Write + Send {
    /// Closes both directions.
    fn close(&mut self);
}

impl Connection for TcpStream {
    fn close(&mut self) {
        // Closing a socket the pool already closed changes nothing.
        let _ = self.shutdown(Shutdown::Both);
    }
}

/// Connects to `url` over TCP, each address with `timeout`, reads waiting at most
/// `tick`; for a TLS pool (`tls` given) the handshake follows, also within
/// `timeout`. Name resolution, connect and handshake run on a helper thread;
/// `give_up` is asked every `tick`, and when it says so the caller returns at
/// once with `Ok(None)` (the helper ends by itself within `timeout`).
pub(crate) fn connect(
    url: &PoolUrl,
    tls: Option<Arc<ClientConfig>>,
    timeout: Duration,
    tick: Duration,
    give_up: &mut dyn FnMut() -> bool,
) -> Result<Option<Box<dyn Connection>>, StratumError> {
    let addr = url.authority();
    let (tx, rx) = mpsc::channel();
    let host = url.host.clone();
    let port = url.port;
    let fail = |source| StratumError::Connect {
        addr: addr.clone(),
        source,
    };
    let helper_addr = addr.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("connect-{addr}"))
        .spawn(move || {
            let deadline = Instant::now() + timeout;
            let result = connect_blocking(&host, port, timeout, tick)
                .map_err(|source| StratumError::Connect {
                    addr: helper_addr.clone(),
                    source,
                })
                .and_then(|sock| -> Result<Box<dyn Connection>, StratumError> {
                    match tls {
                        Some(config) => Ok(Box::new(handshake(
                            sock,
                            &helper_addr,
                            &host,
                            config,
                            deadline,
                        )?)),
                        None => Ok(Box::new(sock)),
                    }
                });
            // The receiver may be gone (a shutdown); nobody waits for the answer then.
            let _ = tx.send(result);
        });
    spawned.map_err(fail)?;
    loop {
        if give_up() {
            return Ok(None);
        }
        match rx.recv_timeout(tick) {
            Ok(Ok(stream)) => return Ok(Some(stream)),
            Ok(Err(e)) => return Err(e),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(fail(io::Error::other("the connect thread ended")))
            }
        }
    }
}

fn connect_blocking(
    host: &str,
    port: u16,
    timeout: Duration,
    tick: Duration,
) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
    for a in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(tick))?;
                s.set_write_timeout(Some(timeout))?;
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
