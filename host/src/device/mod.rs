//! Boards over a [`Link`](crate::link::Link): the wire protocol and the device driver.
//! This layer knows frames and links, never pools.

pub mod driver;
mod events;
mod meter;
pub mod protocol;

pub use driver::{Driver, DriverConfig, DriverError};
pub use events::{Anomaly, BoardStats, DeviceEvent, WorkUnit};
pub use meter::HashrateMeter;
