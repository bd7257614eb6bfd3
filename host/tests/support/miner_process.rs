//! `amber` run as a child process for end-to-end tests: its stdout lines are
//! collected as they come, the addresses its servers listen on are read from
//! them, and the process is killed when the handle is dropped. Also small
//! clients for the cgminer API and plain HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `amber`.
pub struct Amber {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            into.lock().unwrap().push(line);
        }
    });
}

impl Amber {
    /// Starts `amber` with `args`.
    pub fn start(args: &[&str]) -> Amber {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amber"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("amber runs");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), lines.clone());
        collect(child.stderr.take().unwrap(), errors.clone());
        Amber {
            child,
            lines,
            errors,
        }
    }

    /// Every stdout line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Every stderr line so far.
    pub fn errors(&self) -> String {
        self.errors.lock().unwrap().join("\n")
    }

    /// Waits up to `timeout` for a stdout line `pred` accepts; returns it.
    pub fn wait_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Some(l) = self.lines().into_iter().find(|l| pred(l)) {
                return Some(l);
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return self.lines().into_iter().find(|l| pred(l));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The address the named server (`api`, `metrics`) listens on, from the
    /// `--json` "listening" event.
    pub fn listening(&mut self, server: &str) -> SocketAddr {
        let want = format!("\"server\":\"{server}\"");
        let line = self
            .wait_line(Duration::from_secs(60), |l| {
                l.contains("\"listening\"") && l.contains(&want)
            })
            .unwrap_or_else(|| panic!("no {server} listening line; stderr: {}", self.errors()));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["addr"].as_str().unwrap().parse().unwrap()
    }

    /// Waits up to `timeout` for the process to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Amber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one API request and returns the answer without its closing NUL
/// (asserted present).
pub fn api(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    assert_eq!(answer.last(), Some(&0), "answer ends with NUL: {answer:?}");
    answer.pop();
    String::from_utf8(answer).unwrap()
}

/// Sends a JSON API request and parses the answer.
pub fn api_json(addr: SocketAddr, command: &str) -> serde_json::Value {
    let req = serde_json::json!({"command": command.split('|').next().unwrap(),
        "parameter": command.split_once('|').map_or("", |(_, p)| p)});
    let text = api(addr, req.to_string().as_bytes());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Sends raw bytes and returns whatever comes back before the server closes.
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The server may close before reading it all: that is its answer.
    let _ = s.write_all(bytes);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer
}

/// `GET path` over HTTP/1.1; returns (status code, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let answer = String::from_utf8(raw(addr, request.as_bytes())).unwrap();
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (code, body)
}

/// Runs `promtool check metrics` on `page`; returns its verdict and output.
pub fn promtool(page: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (make setup installs Debian's prometheus package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.trim().is_empty(), text)
}

/// The value of the sample `series` (name and labels exactly as printed).
pub fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
