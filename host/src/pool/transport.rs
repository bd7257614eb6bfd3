//! The byte stream to a pool, behind a small trait so that the client does not
//! care what carries it (plain TCP today; TLS would be another implementation),
//! and a TCP connect that a shutdown never waits for.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::{PoolUrl, StratumError};

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
/// `tick`. Name resolution and the connect run on a helper thread; `give_up` is
/// asked every `tick`, and when it says so the caller returns at once with
/// `Ok(None)` (the helper ends by itself within `timeout`).
pub(crate) fn connect_tcp(
    url: &PoolUrl,
    timeout: Duration,
    tick: Duration,
    give_up: &mut dyn FnMut() -> bool,
) -> Result<Option<Box<dyn Connection>>, StratumError> {
    let addr = url.authority();
    let (tx, rx) = mpsc::channel();
    let host = url.host.clone();
    let port = url.port;
    let spawned = std::thread::Builder::new()
        .name(format!("connect-{addr}"))
        .spawn(move || {
            // The receiver may be gone (a shutdown); nobody waits for the answer then.
            let _ = tx.send(connect_blocking(&host, port, timeout, tick));
        });
    let fail = |source| StratumError::Connect {
        addr: addr.clone(),
        source,
    };
    spawned.map_err(fail)?;
    loop {
        if give_up() {
            return Ok(None);
        }
        match rx.recv_timeout(tick) {
            Ok(Ok(stream)) => return Ok(Some(Box::new(stream))),
            Ok(Err(e)) => return Err(fail(e)),
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
