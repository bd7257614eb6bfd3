//! Boards over the wire protocol: the frame codec and the per-board driver.
//! This layer knows frames and [`Link`](crate::link::Link), never pools.

pub mod driver;
pub mod protocol;

pub use driver::{
    BoardStats, DeviceEvent, Driver, DriverConfig, DriverError, HashrateMeter, WorkUnit,
};
