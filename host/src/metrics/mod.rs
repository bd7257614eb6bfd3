//! Prometheus metrics (`amber mine --metrics-listen [ADDR:]PORT`): `GET
//! /metrics` in the text exposition format, read from the [`SharedSnapshot`]
//! the mining loop publishes. The server is the API's kind ([`crate::serve`]):
//! its own threads, a bounded number of connections, bounded requests and
//! deadlines, so a scraper or a hostile client cannot slow mining.

mod exposition;
mod http;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

pub use exposition::{render, CONTENT_TYPE};

use crate::mining::SharedSnapshot;
use crate::serve::{close_gently, read_request, Handler, Limits, RequestError, Server};
use http::{ErrorStatus, Route};

/// Where the metrics are served.
#[derive(Clone, Debug)]
pub struct MetricsConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Connection, size and time limits.
    pub limits: Limits,
}

/// Starts the metrics server; it stops when the returned [`Server`] is dropped.
pub fn start(config: MetricsConfig, snapshots: SharedSnapshot) -> std::io::Result<Server> {
    let limits = config.limits;
    let handler: Arc<Handler> = Arc::new(move |stream: TcpStream, _peer: SocketAddr| {
        serve(stream, &snapshots, limits);
    });
    Server::start("metrics", config.listen, limits, handler)
}

fn serve(mut stream: TcpStream, snapshots: &SharedSnapshot, limits: Limits) {
    let route = match read_request(
        &mut stream,
        limits.max_request,
        limits.request_deadline,
        None,
        http::progress,
    ) {
        Ok(head) => http::route(&head),
        Err(RequestError::TooLong { .. }) => Route::Error(ErrorStatus::TooLarge),
        // A head cut short by the client closing is not HTTP.
        Err(RequestError::Empty) => return,
        Err(RequestError::Timeout { .. } | RequestError::Io(_)) => return,
    };
    let answer = match route {
        Route::Metrics | Route::MetricsHead => {
            let page = render(&snapshots.latest());
            http::response(200, "OK", CONTENT_TYPE, &page, route == Route::Metrics)
        }
        Route::Error(status) => {
            let (code, reason) = status.line();
            http::response(
                code,
                reason,
                "text/plain; charset=utf-8",
                status.body(),
                true,
            )
        }
    };
    // A client that went away loses its answer.
    let _ = stream.write_all(&answer);
    let _ = stream.flush();
    close_gently(stream);
}
