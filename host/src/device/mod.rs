//! Boards over a [`Link`](crate::link::Link): the wire protocol and the device driver.

pub mod protocol;
