//! One API request, as cgminer reads it: plain text (`summary`, `pga|0`) or a
//! JSON object (`{"command":"summary","parameter":""}`); `cmd1+cmd2` asks for
//! several reports at once. A request ends at a NUL or a newline, at a whole
//! JSON object, or when the client stops sending.

use crate::serve::Progress;

/// A request that could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Answer in JSON (the request was JSON).
    pub json: bool,
    /// The command (lower case as sent), or several joined by `+`.
    pub command: String,
    /// Its parameter (empty when none).
    pub parameter: String,
}

impl Request {
    /// The commands of a `+` request, blanks and repeats dropped, in order;
    /// `None` for a single command.
    pub fn joined(&self) -> Option<Vec<&str>> {
        if !self.command.contains('+') {
            return None;
        }
        let mut out: Vec<&str> = Vec::new();
        for cmd in self.command.split('+').map(str::trim) {
            if !cmd.is_empty() && !out.contains(&cmd) {
                out.push(cmd);
            }
        }
        Some(out)
    }
}

/// Why a request could not be read; answered with cgminer's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// JSON that does not parse or is not an object.
    InvalidJson,
    /// A JSON object without a string `command`.
    MissingCommand,
    /// Text that is not UTF-8 or has no command.
    InvalidCommand,
}

/// Where a request ends in what arrived so far ([`crate::serve::read_request`]).
pub fn progress(bytes: &[u8]) -> Progress {
    if let Some(end) = bytes.iter().position(|&b| b == 0 || b == b'\n') {
        return Progress::Complete(end);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_some_and(|i| bytes[i] == b'{')
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    {
        return Progress::Complete(bytes.len());
    }
    Progress::More
}

/// Reads a request; `Err` carries whether to answer in JSON.
pub fn parse(bytes: &[u8]) -> Result<Request, (bool, Malformed)> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let Ok(text) = std::str::from_utf8(&bytes[..end]) else {
        let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        return Err((json, Malformed::InvalidCommand));
    };
    let text = text.trim();
    if text.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| (true, Malformed::InvalidJson))?;
        let object = value.as_object().ok_or((true, Malformed::InvalidJson))?;
        let command = object
            .get("command")
            .and_then(serde_json::Value::as_str)
            .ok_or((true, Malformed::MissingCommand))?;
        // A string or a number; anything else is no parameter.
        let parameter = match object.get("parameter") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(n @ serde_json::Value::Number(_)) => n.to_string(),
            _ => String::new(),
        };
        return Ok(Request {
            json: true,
            command: command.trim().to_string(),
            parameter,
        });
    }
    let (command, parameter) = text.split_once('|').unwrap_or((text, ""));
    if command.trim().is_empty() {
        return Err((false, Malformed::InvalidCommand));
    }
    Ok(Request {
        json: false,
        command: command.trim().to_string(),
        parameter: parameter.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(bytes: &[u8]) -> Request {
        parse(bytes).unwrap()
    }

    #[test]
    fn plain_and_json_requests() {
        let r = ok(b"summary");
        assert_eq!(
            (r.json, r.command.as_str(), r.parameter.as_str()),
            (false, "summary", "")
        );
        let r = ok(b"pga|0\n");
        assert_eq!((r.command.as_str(), r.parameter.as_str()), ("pga", "0"));
        let r = ok(br#"{"command":"switchpool","parameter":1}"#);
        assert_eq!(
            (r.json, r.command.as_str(), r.parameter.as_str()),
            (true, "switchpool", "1")
        );
        let r = ok(b"{\"command\":\"summary+devs+summary++\"}\0junk");
        assert_eq!(r.joined(), Some(vec!["summary", "devs"]));
        assert_eq!(ok(b"devs").joined(), None);
    }

    #[test]
    fn malformed_requests_name_the_problem() {
        assert_eq!(parse(b"{\"command\":"), Err((true, Malformed::InvalidJson)));
        assert_eq!(parse(b"{ [1,2] }"), Err((true, Malformed::InvalidJson)));
        assert_eq!(
            parse(b"{\"parameter\":\"0\"}"),
            Err((true, Malformed::MissingCommand))
        );
        assert_eq!(
            parse(b"{\"command\":7}"),
            Err((true, Malformed::MissingCommand))
        );
        assert_eq!(parse(b""), Err((false, Malformed::InvalidCommand)));
        assert_eq!(parse(b"  |0"), Err((false, Malformed::InvalidCommand)));
        assert_eq!(parse(b"\xff\xfe"), Err((false, Malformed::InvalidCommand)));
    }

    #[test]
    fn where_a_request_ends() {
        assert_eq!(progress(b"summ"), Progress::More);
        assert_eq!(progress(b"summary\n"), Progress::Complete(7));
        assert_eq!(progress(b"summary\0"), Progress::Complete(7));
        assert_eq!(progress(b"{\"command\":\"su"), Progress::More);
        assert_eq!(
            progress(b" {\"command\":\"summary\"}"),
            Progress::Complete(22)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any bytes are a request or a named problem, never a panic.
        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = progress(&bytes);
            if let Ok(r) = parse(&bytes) {
                prop_assert!(!r.command.is_empty());
                let _ = r.joined();
            }
        }
    }
}
