//! Stratum v1 pool client, over TCP or TLS: one blocking thread per pool, and a [`PoolSource`] that
//! picks the highest-priority pool with work (failover and switch-back) and hands
//! the driver work through the [`WorkSource`](crate::work::WorkSource) interface.
//!
//! Imports only [`crate::hash`] and [`crate::work`].
//!
//! Per pool, the client thread speaks `mining.configure` (BIP 310 version rolling),
//! `mining.subscribe` (user agent `amber/<version>`, resuming the previous session
//! by its subscription id), `mining.authorize`, `mining.extranonce.subscribe`,
//! `mining.notify`, `mining.set_difficulty` (applies from the next job),
//! `mining.set_extranonce` (from the next job), `mining.set_version_mask` and
//! `mining.submit`. Unknown methods are counted and ignored; malformed lines are
//! counted, and the connection is recycled when they persist. A pool that sends
//! nothing for the inactivity deadline is recycled; reconnects back off
//! exponentially.
//!
//! Shares: each job carries its session's generation, which changes with a new
//! session, a new extranonce1 or a new version mask; work of a superseded
//! generation is flushed from the boards, and a share is submitted only if the
//! pool, in its current session, would rebuild exactly the header that was hashed
//! (otherwise it is stale, with the reason). A share submitted while its pool is
//! away is queued; after a reconnect it is sent if the session was resumed and its
//! job still stands, and otherwise logged as lost with the reason. Every outcome
//! goes to the [`ShareLog`](crate::work::ShareLog).
//!
//! Deadlines: `mining.subscribe`, `mining.authorize` and `mining.submit` must be
//! answered within [`ClientOptions::answer_timeout`], and a pool that sends nothing
//! for [`ClientOptions::inactivity`] is taken for dead; work then moves to the next
//! pool at once. Files by job: `config` (options, counters), `lines` (line reader),
//! `message` (parsing), `session` (generations, share admission), `conn` (one
//! connection and its requests in flight), `client` (the connection loop),
//! `transport` (the byte stream), `tls` (its TLS form), `source` (failover).

mod client;
mod config;
mod conn;
mod error;
mod lines;
mod message;
mod session;
mod source;
mod tls;
mod transport;
mod url;

pub use config::{
    ClientOptions, PoolConfig, PoolCounters, BIP320_MASK, DEFAULT_ANSWER_TIMEOUT,
    DEFAULT_POOL_TIMEOUT, USER_AGENT,
};
pub use error::StratumError;
pub use source::PoolSource;
pub use tls::{CaError, PoolCa};
pub use url::{PoolUrl, UrlError, SCHEME, TLS_SCHEMES};

#[cfg(test)]
mod tests {
    /// DESIGN layering: the pool client knows jobs and shares, never boards.
    #[test]
    fn pool_and_work_import_no_device_layers() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("client.rs"),
            include_str!("config.rs"),
            include_str!("error.rs"),
            include_str!("lines.rs"),
            include_str!("message.rs"),
            include_str!("session.rs"),
            include_str!("source.rs"),
            include_str!("tls.rs"),
            include_str!("transport.rs"),
            include_str!("url.rs"),
            include_str!("../work/mod.rs"),
            include_str!("../work/item.rs"),
            include_str!("../work/source.rs"),
            include_str!("../work/benchmark.rs"),
            include_str!("../work/job.rs"),
        ];
        for text in sources {
            for layer in ["device", "link", "usb", "program", "mpsse"] {
                for form in [format!("crate::{layer}"), format!("super::super::{layer}")] {
                    let hit = text
                        .lines()
                        .filter(|l| !l.contains("\"crate::"))
                        .any(|l| l.contains(&form));
                    assert!(!hit, "{form} imported below the driver");
                }
            }
        }
    }
}
