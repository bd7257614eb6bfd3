//! Splits the pool's byte stream into lines, enforcing the length limit: a line
//! longer than the limit is reported once and the rest of it skipped, so that no
//! input grows memory without bound.

use std::io::{self, Read};

use super::StratumError;

/// Splits a byte stream into lines.
#[derive(Debug)]
pub(crate) struct LineReader {
    buf: Vec<u8>,
    skipping: bool,
    limit: usize,
}

/// One unit read from the pool.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    Text(String),
    TooLong,
}

impl LineReader {
    pub(crate) fn new(limit: usize) -> Self {
        LineReader {
            buf: Vec::new(),
            skipping: false,
            limit,
        }
    }

    /// Reads what is available (waiting at most the stream's read timeout) and
    /// returns the complete lines; empty lines are dropped.
    pub(crate) fn read(&mut self, stream: &mut dyn Read) -> Result<Vec<Line>, StratumError> {
        let mut chunk = [0u8; 4096];
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(StratumError::Disconnected),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(Vec::new())
            }
            Err(e) => return Err(StratumError::Io { source: e }),
        };
        Ok(self.split(chunk.get(..n).unwrap_or_default()))
    }

    /// Adds bytes; returns the lines they complete.
    pub(crate) fn split(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                if !self.skipping {
                    let text = String::from_utf8_lossy(&self.buf);
                    let text = text.trim();
                    if !text.is_empty() {
                        out.push(Line::Text(text.to_string()));
                    }
                }
                self.skipping = false;
                self.buf.clear();
            } else if self.skipping {
                continue;
            } else if self.buf.len() >= self.limit {
                self.skipping = true;
                self.buf.clear();
                out.push(Line::TooLong);
            } else {
                self.buf.push(b);
            }
        }
        out
    }

    /// Bytes of the line in progress (never more than the limit).
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_are_split_and_limited() {
        let mut r = LineReader::new(8);
        let mut input: &[u8] = b"{\"a\":1}\r\n\n0123456789abc\nok\npart";
        let lines = r.read(&mut input).unwrap();
        assert_eq!(
            lines,
            vec![
                Line::Text("{\"a\":1}".into()),
                Line::TooLong,
                Line::Text("ok".into())
            ]
        );
        let mut rest: &[u8] = b"ial\n";
        assert_eq!(
            r.read(&mut rest).unwrap(),
            vec![Line::Text("partial".into())]
        );
        let mut eof: &[u8] = b"";
        assert!(matches!(r.read(&mut eof), Err(StratumError::Disconnected)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// However the bytes are cut into reads, the same lines come out, none
        /// longer than the limit, and the buffer never holds more than the limit.
        #[test]
        fn any_bytes_any_cuts_same_lines(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'a'), Just(b' '), any::<u8>()], 0..600),
            cuts in proptest::collection::vec(1usize..64, 1..16),
            limit in 1usize..40,
        ) {
            let mut whole = LineReader::new(limit);
            let expected = whole.split(&bytes);
            let mut pieces = LineReader::new(limit);
            let mut got = Vec::new();
            let mut rest: &[u8] = &bytes;
            let mut k = 0;
            while !rest.is_empty() {
                let n = cuts[k % cuts.len()].min(rest.len());
                got.extend(pieces.split(&rest[..n]));
                prop_assert!(pieces.pending() <= limit);
                rest = &rest[n..];
                k += 1;
            }
            prop_assert_eq!(&got, &expected);
            for line in &got {
                if let Line::Text(t) = line {
                    prop_assert!(t.len() <= limit * 3, "lossy UTF-8 may triple bytes at most");
                    prop_assert!(!t.contains('\n'));
                }
            }
        }
    }
}
