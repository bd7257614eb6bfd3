//! Boards over a [`Link`](crate::link::Link): the wire protocol and the device driver.
//! This layer knows frames and links, never pools.

pub mod driver;
pub mod protocol;

pub use driver::{
    Anomaly, BoardStats, DeviceEvent, Driver, DriverConfig, DriverError, HashrateMeter, WorkUnit,
};
