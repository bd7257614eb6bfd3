//! Just enough HTTP/1.x for a scraper: the request line and headers of one
//! request (bounded), `GET`/`HEAD /metrics`, and a plain answer that closes
//! the connection. Anything else is answered with the status that says what
//! was wrong.

use crate::serve::Progress;

/// What to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /metrics`: the page.
    Metrics,
    /// `HEAD /metrics`: its headers only.
    MetricsHead,
    /// An error status.
    Error(ErrorStatus),
}

/// The error statuses the server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorStatus {
    /// 400: not an HTTP request line.
    BadRequest,
    /// 404: another path.
    NotFound,
    /// 405: another method.
    MethodNotAllowed,
    /// 431: the request line and headers are longer than the limit.
    TooLarge,
    /// 505: not HTTP/1.x.
    VersionNotSupported,
}

impl ErrorStatus {
    /// Status code and reason phrase.
    pub fn line(self) -> (u16, &'static str) {
        match self {
            ErrorStatus::BadRequest => (400, "Bad Request"),
            ErrorStatus::NotFound => (404, "Not Found"),
            ErrorStatus::MethodNotAllowed => (405, "Method Not Allowed"),
            ErrorStatus::TooLarge => (431, "Request Header Fields Too Large"),
            ErrorStatus::VersionNotSupported => (505, "HTTP Version Not Supported"),
        }
    }

    /// The body: what was wrong and what to do.
    pub fn body(self) -> &'static str {
        match self {
            ErrorStatus::BadRequest => "not an HTTP request; try GET /metrics\n",
            ErrorStatus::NotFound => "no such page; the metrics are at /metrics\n",
            ErrorStatus::MethodNotAllowed => "only GET and HEAD are served; try GET /metrics\n",
            ErrorStatus::TooLarge => "request line and headers too long\n",
            ErrorStatus::VersionNotSupported => "only HTTP/1.0 and HTTP/1.1 are served\n",
        }
    }
}

/// Where a request's head ends in what arrived so far.
pub fn progress(bytes: &[u8]) -> Progress {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2));
    end.map_or(Progress::More, Progress::Complete)
}

/// Routes a request head.
pub fn route(head: &[u8]) -> Route {
    let Ok(text) = std::str::from_utf8(head) else {
        return Route::Error(ErrorStatus::BadRequest);
    };
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::Error(ErrorStatus::BadRequest);
    };
    if method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
    {
        return Route::Error(ErrorStatus::BadRequest);
    }
    if !version.starts_with("HTTP/") {
        return Route::Error(ErrorStatus::BadRequest);
    }
    if version != "HTTP/1.0" && version != "HTTP/1.1" {
        return Route::Error(ErrorStatus::VersionNotSupported);
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);
    match (method, path) {
        ("GET", "/metrics") => Route::Metrics,
        ("HEAD", "/metrics") => Route::MetricsHead,
        ("GET" | "HEAD", _) => Route::Error(ErrorStatus::NotFound),
        _ => Route::Error(ErrorStatus::MethodNotAllowed),
    }
}

/// A whole answer: status line, headers, body (`include_body` false for HEAD).
pub fn response(
    code: u16,
    reason: &str,
    content_type: &str,
    body: &str,
    include_body: bool,
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if code == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if include_body {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn routes() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics
        );
        assert_eq!(route(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"HEAD /metrics HTTP/1.1\r\n\r\n"), Route::MetricsHead);
        assert_eq!(
            route(b"GET / HTTP/1.1\r\n\r\n"),
            Route::Error(ErrorStatus::NotFound)
        );
        assert_eq!(
            route(b"POST /metrics HTTP/1.1\r\n\r\n"),
            Route::Error(ErrorStatus::MethodNotAllowed)
        );
        assert_eq!(
            route(b"GET /metrics HTTP/2.0\r\n\r\n"),
            Route::Error(ErrorStatus::VersionNotSupported)
        );
        for bad in [
            &b""[..],
            b"\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET /metrics\r\n\r\n",
            b"get /metrics HTTP/1.1\r\n\r\n",
            b"GET metrics HTTP/1.1\r\n\r\n",
            b"GET /metrics HTTP/1.1 extra\r\n\r\n",
            b"\xff\xfe /metrics HTTP/1.1\r\n\r\n",
            b"GET /metrics FTP/1.1\r\n\r\n",
        ] {
            assert_eq!(
                route(bad),
                Route::Error(ErrorStatus::BadRequest),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn heads_end_at_a_blank_line() {
        assert_eq!(
            progress(b"GET /metrics HTTP/1.1\r\nHost: a\r\n"),
            Progress::More
        );
        assert_eq!(
            progress(b"GET / HTTP/1.1\r\n\r\nbody"),
            Progress::Complete(18)
        );
        assert_eq!(progress(b"GET / HTTP/1.0\n\n"), Progress::Complete(16));
    }

    #[test]
    fn answers_carry_length_and_close() {
        let r = String::from_utf8(response(
            405,
            "Method Not Allowed",
            "text/plain",
            "no\n",
            true,
        ))
        .unwrap();
        assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(r.contains("Content-Length: 3\r\n") && r.contains("Allow: GET, HEAD\r\n"));
        assert!(r.ends_with("\r\n\r\nno\n"));
        let head = String::from_utf8(response(200, "OK", "text/plain", "abc", false)).unwrap();
        assert!(head.contains("Content-Length: 3\r\n") && head.ends_with("\r\n\r\n"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any bytes route somewhere, never a panic.
        #[test]
        fn any_head_routes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = progress(&bytes);
            let _ = route(&bytes);
        }
    }
}
