//! Stratum over TLS (`stratum+ssl://`, `stratum+tls://`) with rustls: the pool
//! must present a certificate for its host name that chains to Mozilla's
//! roots (built in, the same on every machine), or to the certificates of
//! `--pool-ca FILE` when one is given for it. A handshake that fails ends the
//! connection with [`StratumError::Tls`]; it is never carried on in plain TCP.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use thiserror::Error;

use super::transport::{nothing_yet, Connection};
use super::StratumError;

/// The certificates a pool's certificate must chain to (`--pool-ca FILE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolCa {
    /// The file they came from (for messages).
    pub path: PathBuf,
    /// The certificates, DER.
    pub certs: Vec<CertificateDer<'static>>,
}

/// A `--pool-ca` file that cannot be used.
#[derive(Debug, Error)]
pub enum CaError {
    /// The file could not be read.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not PEM, or a certificate in it is malformed.
    #[error("{}: {reason} (expected PEM: -----BEGIN CERTIFICATE-----)", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file holds no certificate.
    #[error("{}: no certificate in the file (expected PEM: -----BEGIN CERTIFICATE-----)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl PoolCa {
    /// Reads every certificate of a PEM file; each must be one a root store takes.
    pub fn load(path: &Path) -> Result<PoolCa, CaError> {
        let bytes = std::fs::read(path).map_err(|source| CaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_pem(path, &bytes)
    }

    /// Reads the certificates of PEM text; `path` names it in errors.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<PoolCa, CaError> {
        let malformed = |reason: String| CaError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed(format!("not PEM certificates ({e})")))?;
        if certs.is_empty() {
            return Err(CaError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut roots = RootCertStore::empty();
        for cert in &certs {
            roots
                .add(cert.clone())
                .map_err(|e| malformed(format!("a certificate cannot be trusted: {e}")))?;
        }
        Ok(PoolCa {
            path: path.to_path_buf(),
            certs,
        })
    }
}

/// The TLS settings for one pool: its own certificates, or Mozilla's roots.
pub(crate) fn client_config(ca: Option<&PoolCa>) -> Result<Arc<ClientConfig>, rustls::Error> {
    let roots = match ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in &ca.certs {
                roots.add(cert.clone())?;
            }
            roots
        }
        None => RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    };
    // ring builds with a C compiler alone; its lack of post-quantum key
    // exchange (why rustls deprecates it) does not matter for a pool's shares.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A pool connection over TLS.
pub(crate) struct TlsStream(StreamOwned<ClientConnection, TcpStream>);

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Connection for TlsStream {
    fn close(&mut self) {
        self.0.conn.send_close_notify();
        // The pool may be gone already: closing changes nothing then.
        let _ = self.0.conn.complete_io(&mut self.0.sock);
        let _ = self.0.sock.shutdown(Shutdown::Both);
    }
}

/// Runs the TLS handshake with `host` over `sock` until `deadline`. The socket
/// keeps its read timeout (the client's tick), so the handshake loop wakes up
/// to look at the clock.
pub(crate) fn handshake(
    sock: TcpStream,
    addr: &str,
    host: &str,
    config: Arc<ClientConfig>,
    deadline: Instant,
) -> Result<TlsStream, StratumError> {
    let fail = |source: io::Error| StratumError::Tls {
        addr: addr.to_string(),
        source,
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| fail(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
    let conn = ClientConnection::new(config, name).map_err(|e| fail(io::Error::other(e)))?;
    let mut stream = StreamOwned::new(conn, sock);
    while stream.conn.is_handshaking() {
        match stream.conn.complete_io(&mut stream.sock) {
            Ok(_) => {}
            Err(e) if nothing_yet(&e) => {
                if Instant::now() >= deadline {
                    return Err(fail(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the pool did not complete the TLS handshake in time",
                    )));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(fail(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the pool closed the connection during the TLS handshake",
                )))
            }
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(TlsStream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_that_cannot_be_used_say_why() {
        let p = Path::new("ca.pem");
        assert!(matches!(
            PoolCa::from_pem(p, b""),
            Err(CaError::Empty { .. })
        ));
        assert!(matches!(
            PoolCa::from_pem(p, b"hello\n"),
            Err(CaError::Empty { .. })
        ));
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let err = PoolCa::from_pem(p, broken).unwrap_err();
        assert!(matches!(err, CaError::Malformed { .. }), "{err}");
        assert!(err.to_string().starts_with("ca.pem: "), "{err}");
        let junk = b"-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let err = PoolCa::from_pem(p, junk).unwrap_err();
        assert!(err.to_string().contains("cannot be trusted"), "{err}");
        let missing = PoolCa::load(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("reading /nonexistent/ca.pem: "),
            "{missing}"
        );
    }

    #[test]
    fn a_generated_certificate_loads_and_makes_a_config() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let ca = PoolCa::from_pem(Path::new("x"), cert.cert.pem().as_bytes()).unwrap();
        assert_eq!(ca.certs.len(), 1);
        assert!(client_config(Some(&ca)).is_ok());
        assert!(client_config(None).is_ok());
    }
}
