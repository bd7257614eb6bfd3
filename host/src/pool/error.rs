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
    /// The pool refused a request (subscribe, authorize): check user and password.
    #[error("pool refused {method} ({})", refusal(*code, msg))]
    Rejected {
        /// The request method.
        method: &'static str,
        /// The pool's error code.
        code: Option<i64>,
        /// The pool's message.
        msg: String,
    },
    /// The pool answered a request without an error, but with a result Amber cannot
    /// use (a subscribe result without extranonce1, say): the pool's fault.
    #[error("the pool's answer to {method} is not usable: {reply:?}")]
    BadReply {
        /// The request method.
        method: &'static str,
        /// The start of the answer.
        reply: String,
    },
    /// The pool left a request unanswered past the answer deadline with its socket
    /// open: taken for dead, so that work moves to the next pool.
    #[error("the pool left {method} unanswered for {waited_ms} ms")]
    NoAnswer {
        /// The request method.
        method: &'static str,
        /// How long it waited.
        waited_ms: u64,
    },
}

/// `error 24: unauthorized worker`, or the message alone, or a note that there was none.
pub(crate) fn refusal(code: Option<i64>, msg: &str) -> String {
    let msg = if msg.is_empty() {
        "no reason given"
    } else {
        msg
    };
    match code {
        Some(code) => format!("error {code}: {msg}"),
        None => msg.to_string(),
    }
}

/// How much of a malformed line an error keeps.
pub(crate) const LINE_EXCERPT: usize = 200;

impl StratumError {
    /// A `Malformed` error carrying the start of `line`.
    pub(crate) fn malformed(line: &str) -> Self {
        StratumError::Malformed {
            line: excerpt(line),
        }
    }
}

/// The start of `text`, at most [`LINE_EXCERPT`] bytes, cut at a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    let mut end = text.len().min(LINE_EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_words() {
        let e = StratumError::Rejected {
            method: "mining.authorize",
            code: Some(24),
            msg: "unauthorized worker".into(),
        };
        assert_eq!(
            e.to_string(),
            "pool refused mining.authorize (error 24: unauthorized worker)"
        );
        let e = StratumError::Rejected {
            method: "mining.subscribe",
            code: None,
            msg: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "pool refused mining.subscribe (no reason given)"
        );
        let e = StratumError::BadReply {
            method: "mining.subscribe",
            reply: "[1]".into(),
        };
        assert_eq!(
            e.to_string(),
            "the pool's answer to mining.subscribe is not usable: \"[1]\""
        );
    }
}
