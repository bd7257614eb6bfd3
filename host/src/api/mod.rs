//! A cgminer-compatible API (`amber mine --api-listen [ADDR:]PORT`), so that
//! dashboards, exporters and scripts written for cgminer and bfgminer read
//! Amber unchanged. One request per TCP connection, plain (`summary`, `pga|0`)
//! or JSON (`{"command":"summary","parameter":""}`); the answer comes in the
//! request's form (JSON, or cgminer's text) followed by a NUL byte, then the
//! connection closes. `cmd1+cmd2` joins report commands.
//!
//! The server answers from a [`SharedSnapshot`], never from the boards or the
//! pools: a slow or hostile client holds one of a bounded number of
//! connection threads for at most the request deadline and cannot stall
//! mining. Privileged commands (`switchpool`, `quit`) need `W:` access
//! ([`AllowList`]) and reach the miner as [`Control`] messages.

mod access;
mod commands;
mod reply;
mod request;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use access::{Access, AllowError, AllowList};
pub use commands::{API_VERSION, DRIVER};
pub use reply::DESCRIPTION;

use crate::mining::SharedSnapshot;
use crate::serve::{read_request, Handler, Limits, RequestError, Server};
use reply::Reply;

/// cgminer's API port, the usual `--api-listen` port.
pub const DEFAULT_PORT: u16 = 4028;

/// A client that sent part of a request and then waits for the answer has
/// finished after this much silence (cgminer reads one packet).
const QUIET: Duration = Duration::from_millis(200);

/// What a privileged API command asks of the miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Stop mining (`quit`), as Ctrl-C does.
    Quit,
    /// Make this pool (index in the order given) the preferred one (`switchpool|N`).
    SwitchPool(usize),
}

/// Where and for whom the API listens.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Who may connect, and who may use privileged commands (`None`: loopback reads).
    pub allow: Option<AllowList>,
    /// Connection, size and time limits.
    pub limits: Limits,
}

/// Starts the API server; it stops when the returned [`Server`] is dropped.
pub fn start(
    config: ApiConfig,
    snapshots: SharedSnapshot,
    control: Sender<Control>,
) -> std::io::Result<Server> {
    let limits = config.limits;
    let allow = config.allow;
    let control = Mutex::new(control);
    let handler: Arc<Handler> = Arc::new(move |stream: TcpStream, peer: SocketAddr| {
        let Some(access) = AllowList::access(allow.as_ref(), peer.ip()) else {
            // Not allowed: closed unanswered, as cgminer does.
            return;
        };
        let control = control.lock().unwrap_or_else(|p| p.into_inner()).clone();
        serve(stream, access, &snapshots, &control, limits);
    });
    Server::start("api", config.listen, limits, handler)
}

/// Reads one request, answers it, closes.
fn serve(
    mut stream: TcpStream,
    access: Access,
    snapshots: &SharedSnapshot,
    control: &Sender<Control>,
    limits: Limits,
) {
    let body = match read_request(
        &mut stream,
        limits.max_request,
        limits.request_deadline,
        Some(QUIET),
        request::progress,
    ) {
        Ok(bytes) => respond(&bytes, access, snapshots, control),
        Err(RequestError::TooLong { limit, first }) => {
            render(&commands::too_long(limit), first == Some(b'{'))
        }
        // Nothing (or nothing whole) to answer: close.
        Err(RequestError::Timeout { .. } | RequestError::Empty | RequestError::Io(_)) => return,
    };
    let mut bytes = body.into_bytes();
    bytes.push(0);
    // A client that went away or stopped reading (write deadline) loses its answer.
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
    crate::serve::close_gently(stream);
}

fn when() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn render(reply: &Reply, json: bool) -> String {
    if json {
        reply.json(when())
    } else {
        reply.text(when())
    }
}

/// The answer to one request's bytes.
pub fn respond(
    bytes: &[u8],
    access: Access,
    snapshots: &SharedSnapshot,
    control: &Sender<Control>,
) -> String {
    let request = match request::parse(bytes) {
        Ok(r) => r,
        Err((json, problem)) => {
            let reply = match problem {
                request::Malformed::InvalidJson => commands::invalid_json(),
                request::Malformed::MissingCommand => commands::missing_command(),
                request::Malformed::InvalidCommand => commands::invalid_command(),
            };
            return render(&reply, json);
        }
    };
    let snapshot = snapshots.latest();
    let ctx = commands::Context {
        snapshot: &snapshot,
        access,
        control,
    };
    match request.joined() {
        Some(cmds) => {
            let replies = commands::answer_joined(&cmds, &ctx);
            if request.json {
                reply::joined_json(&replies, when())
            } else {
                reply::joined_text(&replies, when())
            }
        }
        None => render(
            &commands::answer(&request.command, &request.parameter, &ctx),
            request.json,
        ),
    }
}

#[cfg(test)]
mod tests {
    /// DESIGN layering: the API and the metrics read snapshots, never boards,
    /// links or pools.
    #[test]
    fn the_api_and_metrics_import_no_device_or_pool_layer() {
        for text in [
            include_str!("mod.rs"),
            include_str!("access.rs"),
            include_str!("commands.rs"),
            include_str!("reply.rs"),
            include_str!("request.rs"),
            include_str!("../serve.rs"),
            include_str!("../metrics/mod.rs"),
            include_str!("../metrics/exposition.rs"),
            include_str!("../metrics/http.rs"),
        ] {
            for layer in ["device", "link", "usb", "pool", "program"] {
                let form = format!("crate::{layer}");
                let hit = text
                    .lines()
                    .filter(|l| !l.contains("\"crate::"))
                    .any(|l| l.contains(&form));
                assert!(!hit, "{form} imported by the API or the metrics");
            }
        }
    }
}
