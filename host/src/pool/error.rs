use std::io;

use thiserror::Error;

/// Why a pool connection ended or a pool message could not be used. The client
/// recycles the connection and reconnects with backoff; the policy lives there.
#[derive(Debug, Error)]
pub enum StratumError {
    /// TCP connect failed (refused, unreachable, timed out): is the pool up, is the port right?
    #[error("connecting to {addr}: {source}")]
    Connect {
        /// HOST:PORT.
        addr: String,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// Reading from or writing to the pool socket failed.
    #[error("pool socket: {source}")]
    Io {
        /// The socket error.
        #[from]
        source: io::Error,
    },
    /// The pool closed the connection.
    #[error("the pool closed the connection")]
    Disconnected,
    /// The pool stayed connected but sent nothing for the inactivity deadline.
    #[error("the pool sent nothing for {silent_ms} ms")]
    Inactive {
        /// How long it was silent.
        silent_ms: u64,
    },
    /// A line that is not a Stratum message (bad JSON, wrong shape, bad fields).
    #[error("malformed pool message: {line:?}")]
    Malformed {
        /// The line (cut to a readable length).
        line: String,
    },
    /// A line longer than the limit (the rest of it is skipped).
    #[error("pool line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Malformed lines kept coming; the connection was recycled.
    #[error("{count} malformed pool messages in a row")]
    TooManyMalformed {
        /// How many in a row.
        count: u32,
        /// The last of them.
        #[source]
        last: Box<StratumError>,
    },
    /// The pool refused a request (subscribe, authorize, submit): check user and password.
    #[error("pool refused {method}: code {code:?}: {msg}")]
    Rejected {
        /// The request method.
        method: &'static str,
        /// The pool's error code.
        code: Option<i64>,
        /// The pool's message.
        msg: String,
    },
}

/// How much of a malformed line an error keeps.
pub(crate) const LINE_EXCERPT: usize = 200;

impl StratumError {
    /// A `Malformed` error carrying the start of `line`.
    pub(crate) fn malformed(line: &str) -> Self {
        let mut end = line.len().min(LINE_EXCERPT);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        StratumError::Malformed {
            line: line[..end].to_string(),
        }
    }
}
