//! A TLS front for the local Stratum pool: listens on 127.0.0.1:0, runs the
//! TLS handshake with a certificate generated for the test (rcgen), and only
//! then opens a plain connection to the pool behind it and relays bytes both
//! ways. So the pool behind counts only what came through a verified TLS
//! session: a miner that refused the certificate never reaches it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// A certificate and its key, generated for a test.
pub struct TestCert {
    /// PEM of the certificate (what `--pool-ca` is given).
    pub pem: String,
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    /// A self-signed certificate for these names (DNS names or IP addresses).
    pub fn new(names: &[&str]) -> TestCert {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let certified = rcgen::generate_simple_self_signed(names).unwrap();
        TestCert {
            pem: certified.cert.pem(),
            der: certified.cert.der().clone(),
            key: certified.key_pair.serialize_der(),
        }
    }

    /// Writes the PEM to a fresh file in `dir`; returns its path.
    pub fn write(&self, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

/// The running front; stops when dropped.
pub struct TlsFront {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handshakes: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl TlsFront {
    /// Serves `cert` and relays to the plain pool at `backend`.
    pub fn start(backend: SocketAddr, cert: &TestCert) -> TlsFront {
        #[allow(deprecated)] // ring: see host/src/pool/tls.rs
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone())),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (stop, handshakes) = (stop.clone(), handshakes.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            let (config, stop) = (config.clone(), stop.clone());
                            let handshakes = handshakes.clone();
                            std::thread::spawn(move || {
                                relay(sock, backend, config, &stop, &handshakes)
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        TlsFront {
            addr,
            stop,
            handshakes,
            accept: Some(accept),
        }
    }

    /// `stratum+ssl://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("stratum+ssl://{}", self.addr)
    }

    /// TLS sessions established.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::Relaxed)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn quiet(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn relay(
    sock: TcpStream,
    backend: SocketAddr,
    config: Arc<ServerConfig>,
    stop: &AtomicBool,
    handshakes: &AtomicUsize,
) {
    sock.set_nonblocking(false).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
    // The handshake first: nothing reaches the pool before it succeeds.
    let mut waited = 0;
    while tls.conn.is_handshaking() {
        match tls.conn.complete_io(&mut tls.sock) {
            Ok(_) => {}
            Err(e) if quiet(&e) && waited < 2000 && !stop.load(Ordering::Relaxed) => waited += 1,
            Err(_) => return,
        }
    }
    handshakes.fetch_add(1, Ordering::Relaxed);
    let Ok(mut plain) = TcpStream::connect(backend) else {
        return;
    };
    plain
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut buf = [0u8; 16384];
    while !stop.load(Ordering::Relaxed) {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if plain.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
        match plain.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tls.write_all(&buf[..n]).and_then(|()| tls.flush()).is_err() {
                    break;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
    }
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
}
