//! What a pool client is told (the pool, its timeouts and limits) and the counters
//! it keeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::PoolUrl;

/// The user agent sent in `mining.subscribe`.
pub const USER_AGENT: &str = concat!("amber/", env!("CARGO_PKG_VERSION"));

/// The version bits BIP 320 leaves to miners; requested in `mining.configure`.
pub const BIP320_MASK: u32 = 0x1fff_e000;

/// Default inactivity deadline: a connected pool that sends nothing for this long
/// is taken for dead (`amber mine --pool-timeout`).
pub const DEFAULT_POOL_TIMEOUT: Duration = Duration::from_secs(180);

/// Default answer deadline for `mining.subscribe`, `mining.authorize` and
/// `mining.submit`.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// A pool to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Where.
    pub url: PoolUrl,
    /// Worker name for `mining.authorize` and `mining.submit`.
    pub user: String,
    /// Password for `mining.authorize`.
    pub pass: String,
}

/// Timeouts and limits of the pool client; the defaults suit real pools, tests
/// shorten them.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// TCP connect timeout (a shutdown does not wait for it).
    pub connect_timeout: Duration,
    /// A connected pool that sends no line for this long is taken for dead.
    pub inactivity: Duration,
    /// A pool that leaves `mining.subscribe`, `mining.authorize` or `mining.submit`
    /// unanswered for this long is taken for dead.
    pub answer_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Longest line accepted from the pool, in bytes.
    pub max_line: usize,
    /// Malformed lines in a row after which the connection is recycled.
    pub malformed_limit: u32,
    /// Version bits to ask for with `mining.configure` (None: do not ask).
    pub version_rolling: Option<u32>,
    /// Send `mining.extranonce.subscribe` so the pool may use `mining.set_extranonce`.
    pub extranonce_subscribe: bool,
    /// Versions rolled per extranonce2 when the pool grants version rolling.
    pub max_versions: u32,
    /// How often the client thread looks at its command queue while reading.
    pub tick: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            inactivity: DEFAULT_POOL_TIMEOUT,
            answer_timeout: DEFAULT_ANSWER_TIMEOUT,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_line: 64 * 1024,
            malformed_limit: 8,
            version_rolling: Some(BIP320_MASK),
            extranonce_subscribe: true,
            max_versions: 16,
            tick: Duration::from_millis(20),
        }
    }
}

/// Counters of one pool connection thread, readable at any time.
#[derive(Debug, Default)]
pub(crate) struct PoolStats {
    pub(crate) connections: AtomicU64,
    pub(crate) disconnections: AtomicU64,
    pub(crate) jobs: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) unknown: AtomicU64,
    pub(crate) submitted: AtomicU64,
}

/// A snapshot of one pool's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounters {
    /// TCP connections made.
    pub connections: u64,
    /// Connections that ended (and failed connects).
    pub disconnections: u64,
    /// `mining.notify` jobs received.
    pub jobs: u64,
    /// Malformed lines received (bad JSON, wrong shape, too long).
    pub malformed: u64,
    /// Messages with a method the client does not know, and responses to no request.
    pub unknown: u64,
    /// `mining.submit` requests sent.
    pub submitted: u64,
}

impl PoolStats {
    /// Adds one; returns the new count.
    pub(crate) fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed).saturating_add(1)
    }

    pub(crate) fn snapshot(&self) -> PoolCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PoolCounters {
            connections: get(&self.connections),
            disconnections: get(&self.disconnections),
            jobs: get(&self.jobs),
            malformed: get(&self.malformed),
            unknown: get(&self.unknown),
            submitted: get(&self.submitted),
        }
    }
}
