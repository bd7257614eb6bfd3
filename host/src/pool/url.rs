//! Pool addresses: `stratum+tcp://HOST:PORT`, and over TLS
//! `stratum+ssl://HOST:PORT` or `stratum+tls://HOST:PORT` (the two names pools use).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Plain TCP.
pub const SCHEME: &str = "stratum+tcp://";
/// The schemes of Stratum over TLS.
pub const TLS_SCHEMES: [&str; 2] = ["stratum+ssl://", "stratum+tls://"];

/// A pool URL that could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UrlError {
    /// The URL does not start with `stratum+tcp://`, `stratum+ssl://` or `stratum+tls://`.
    #[error("pool URL {url:?} must start with stratum+tcp://, stratum+ssl:// or stratum+tls://")]
    Scheme {
        /// The URL given.
        url: String,
    },
    /// No host between the scheme and the port.
    #[error("pool URL {url:?} has no host")]
    MissingHost {
        /// The URL given.
        url: String,
    },
    /// No `:PORT` after the host.
    #[error("pool URL {url:?} has no port (stratum+tcp://HOST:PORT)")]
    MissingPort {
        /// The URL given.
        url: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("pool URL {url:?}: port {port:?} is not a number from 1 to 65535")]
    BadPort {
        /// The URL given.
        url: String,
        /// The port text.
        port: String,
    },
    /// Something follows the port (a path, a query, a user), which Stratum does not use.
    #[error("pool URL {url:?}: unexpected {rest:?} after the port")]
    TrailingText {
        /// The URL given.
        url: String,
        /// What follows.
        rest: String,
    },
}

/// A parsed pool URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The scheme as given (lower case), e.g. `stratum+ssl://`.
    pub scheme: &'static str,
}

impl PoolUrl {
    /// Over TLS (`stratum+ssl://` or `stratum+tls://`).
    pub fn is_tls(&self) -> bool {
        self.scheme != SCHEME
    }

    /// `HOST:PORT` (IPv6 bracketed), for connecting and for names.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for PoolUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.scheme, self.authority())
    }
}

impl FromStr for PoolUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, UrlError> {
        let own = || url.to_string();
        let trimmed = url.trim();
        let Some(scheme) = std::iter::once(SCHEME).chain(TLS_SCHEMES).find(|s| {
            trimmed
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        }) else {
            return Err(UrlError::Scheme { url: own() });
        };
        let rest = &trimmed[scheme.len()..];
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, after) = if let Some(v6) = rest.strip_prefix('[') {
            let Some(end) = v6.find(']') else {
                return Err(UrlError::MissingHost { url: own() });
            };
            (&v6[..end], &v6[end + 1..])
        } else {
            match rest.find([':', '/', '?', '@']) {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            }
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost { url: own() });
        }
        let Some(port_text) = after.strip_prefix(':') else {
            if after.is_empty() {
                return Err(UrlError::MissingPort { url: own() });
            }
            return Err(UrlError::TrailingText {
                url: own(),
                rest: after.to_string(),
            });
        };
        let digits = port_text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(port_text.len());
        let (port, trailing) = port_text.split_at(digits);
        if port.is_empty() {
            return Err(UrlError::BadPort {
                url: own(),
                port: port_text.to_string(),
            });
        }
        if !trailing.is_empty() {
            return Err(UrlError::TrailingText {
                url: own(),
                rest: trailing.to_string(),
            });
        }
        let port = match port.parse::<u16>() {
            Ok(p) if p != 0 => p,
            _ => {
                return Err(UrlError::BadPort {
                    url: own(),
                    port: port.to_string(),
                })
            }
        };
        Ok(PoolUrl {
            host: host.to_string(),
            port,
            scheme,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PoolUrl, UrlError> {
        s.parse()
    }

    #[test]
    fn good_urls() {
        let u = parse("stratum+tcp://pool.example.org:3333").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("pool.example.org", 3333));
        assert_eq!(u.to_string(), "stratum+tcp://pool.example.org:3333");
        let u = parse("STRATUM+TCP://127.0.0.1:1/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 1));
        let u = parse("stratum+tcp://[::1]:65535").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 65535));
        assert_eq!(u.authority(), "[::1]:65535");
        assert!(!u.is_tls());
        let u = parse("stratum+ssl://pool.example.org:443").unwrap();
        assert!(u.is_tls());
        assert_eq!(u.to_string(), "stratum+ssl://pool.example.org:443");
        let u = parse("Stratum+TLS://127.0.0.1:3334").unwrap();
        assert!(u.is_tls());
        assert_eq!(u.to_string(), "stratum+tls://127.0.0.1:3334");
    }

    #[test]
    fn bad_urls() {
        assert!(matches!(parse("http://a:1"), Err(UrlError::Scheme { .. })));
        assert!(matches!(
            parse("stratum+tcps://a:1"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(parse("ssl://a:1"), Err(UrlError::Scheme { .. })));
        assert!(matches!(parse("a:1"), Err(UrlError::Scheme { .. })));
        assert!(matches!(parse(""), Err(UrlError::Scheme { .. })));
        assert!(matches!(
            parse("stratum+tcp://:3333"),
            Err(UrlError::MissingHost { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://[::1:3333"),
            Err(UrlError::MissingHost { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://host"),
            Err(UrlError::MissingPort { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://host:"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://host:0"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://host:65536"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://host:12/path"),
            Err(UrlError::TrailingText { .. })
        ));
        assert!(matches!(
            parse("stratum+tcp://user@host:12"),
            Err(UrlError::TrailingText { .. })
        ));
        assert_eq!(
            parse("stratum+tcp://host:x").unwrap_err(),
            UrlError::BadPort {
                url: "stratum+tcp://host:x".into(),
                port: "x".into()
            }
        );
    }
}
