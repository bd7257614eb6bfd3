//! An Icarus-compatible port: an Amber board answers on a byte stream (a
//! pseudo-terminal in `amber icarus`) as an Icarus device does, so an
//! unmodified bfgminer (`-S icarus:PATH`) drives it. A thin translation: each
//! Icarus work packet becomes one WORK over the whole counter range in
//! header-byte order (protocol version 2), a new packet flushes the board
//! first, and each nonce the driver confirms goes back as its four header
//! bytes. Malformed packets are counted and survived.

mod packet;

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

pub use packet::{
    answer, golden_packet, Assembler, IcarusWork, PacketError, ANSWER_LEN, GOLDEN_NONCE,
    GOLDEN_WORK, PACKET_LEN,
};

use crate::device::protocol::{NonceOrder, WORK_FLAGS_VERSION};
use crate::device::{DeviceEvent, Driver, DriverError, WorkUnit};
use crate::hash::Nonce;

/// Silence after which a partial packet is dropped: bfgminer writes a packet
/// in one go.
pub const PACKET_GAP: Duration = Duration::from_millis(100);

/// The byte stream bfgminer is on: reads wait at most a short timeout.
pub trait Port: Read + Write + Send {}
impl<T: Read + Write + Send> Port for T {}

/// Something worth telling the user.
#[derive(Debug)]
pub enum IcarusEvent {
    /// A work packet arrived and went to the board (the previous one aborted).
    Work {
        /// Work packets so far.
        count: u64,
    },
    /// A nonce went back.
    Nonce {
        /// Its header bytes, as sent.
        bytes: [u8; ANSWER_LEN],
    },
    /// A packet that is not work (counted and ignored).
    Malformed(PacketError),
    /// The board did something a board should not (from the driver).
    Board(String),
}

/// Counters of one bridge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BridgeStats {
    /// Work packets taken.
    pub packets: u64,
    /// Packets refused (not work, or cut short).
    pub malformed: u64,
    /// Nonces answered.
    pub answers: u64,
    /// Nonces the board returned that do not hash as claimed (not answered).
    pub hardware_errors: u64,
}

/// One board behind one Icarus port.
pub struct Bridge {
    driver: Driver,
    assembler: Assembler,
    current: Option<u64>,
    next_id: u64,
    stats: BridgeStats,
}

impl Bridge {
    /// A bridge to the board `driver` drives; it must speak protocol version 2.
    pub fn new(driver: Driver) -> Result<Self, DriverError> {
        if driver.protocol_version() < WORK_FLAGS_VERSION {
            return Err(DriverError::Unsupported {
                link: driver.name().to_string(),
                version: driver.protocol_version(),
                what: "an Icarus port (counting the nonce in header-byte order)",
                needs: WORK_FLAGS_VERSION,
            });
        }
        Ok(Bridge {
            driver,
            assembler: Assembler::new(PACKET_GAP),
            current: None,
            next_id: 0,
            stats: BridgeStats::default(),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> BridgeStats {
        self.stats
    }

    /// The board's driver.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// One round: what came from the port (`incoming`, read at `now`) is
    /// taken, the board polled for up to `poll`, and answers written to
    /// `port`. An error means the board or the port is gone.
    pub fn step(
        &mut self,
        port: &mut dyn Port,
        incoming: &[u8],
        now: Instant,
        poll: Duration,
    ) -> Result<Vec<IcarusEvent>, BridgeError> {
        let mut out = Vec::new();
        for packet in self.assembler.push(incoming, now) {
            match packet {
                Ok(work) => self.start(work, &mut out)?,
                Err(e) => {
                    self.stats.malformed += 1;
                    out.push(IcarusEvent::Malformed(e));
                }
            }
        }
        for event in self.driver.poll(poll)? {
            match event {
                DeviceEvent::Found { id, nonce, .. } if Some(id) == self.current => {
                    self.reply(port, nonce, &mut out)?;
                }
                DeviceEvent::HardwareError { .. } => self.stats.hardware_errors += 1,
                DeviceEvent::Anomaly(a) => out.push(IcarusEvent::Board(a.to_string())),
                _ => {}
            }
        }
        Ok(out)
    }

    fn start(&mut self, work: IcarusWork, out: &mut Vec<IcarusEvent>) -> Result<(), BridgeError> {
        if self.current.take().is_some() {
            self.driver.flush()?;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.driver.push(WorkUnit {
            id,
            midstate: work.midstate,
            tail: work.tail,
            nonce_start: 0,
            nonce_end: u32::MAX,
            threshold: 0,
            order: NonceOrder::HeaderBytes,
        })?;
        self.current = Some(id);
        self.stats.packets += 1;
        out.push(IcarusEvent::Work {
            count: self.stats.packets,
        });
        Ok(())
    }

    fn reply(
        &mut self,
        port: &mut dyn Port,
        nonce: Nonce,
        out: &mut Vec<IcarusEvent>,
    ) -> Result<(), BridgeError> {
        let bytes = answer(nonce);
        port.write_all(&bytes).map_err(BridgeError::Port)?;
        port.flush().map_err(BridgeError::Port)?;
        self.stats.answers += 1;
        out.push(IcarusEvent::Nonce { bytes });
        Ok(())
    }

    /// Leaves the board idle.
    pub fn stop(&mut self) -> Result<(), DriverError> {
        self.current = None;
        self.driver.flush()
    }
}

/// Why a bridge stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The board failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// Writing to the port failed.
    #[error("writing to the Icarus port: {0}")]
    Port(#[source] io::Error),
}

#[cfg(test)]
mod tests {
    /// DESIGN layering: the port translates for a board; it knows no pool.
    #[test]
    fn the_icarus_port_imports_no_pool_layer() {
        for text in [include_str!("mod.rs"), include_str!("packet.rs")] {
            for layer in ["pool", "work", "mining", "api", "metrics"] {
                let form = format!("crate::{layer}");
                assert!(
                    !text
                        .lines()
                        .filter(|l| !l.contains("\"crate::"))
                        .any(|l| l.contains(&form)),
                    "{form} imported by the Icarus port"
                );
            }
        }
    }
}
