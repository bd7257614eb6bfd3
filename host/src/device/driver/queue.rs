//! Keeping the board's queue full: handing work over, tagging it, flushing and
//! re-sending what may have been lost.

use std::collections::HashSet;
use std::time::Instant;

use super::{Driver, DriverError, StatusCause, UnitOnBoard};
use crate::device::events::{DeviceEvent, WorkUnit};
use crate::device::protocol::{
    HostFrame, NonceOrder, Work, MIN_PROTOCOL_VERSION, WORK_FLAGS_VERSION,
};
use crate::hash::Nonce;

impl Driver {
    /// Hands a unit to the board; it is sent as soon as the board has room.
    /// A unit in header-byte order needs a board of protocol version
    /// [`WORK_FLAGS_VERSION`] or later.
    pub fn push(&mut self, unit: WorkUnit) -> Result<(), DriverError> {
        if unit.order != NonceOrder::Number && self.protocol_version() < WORK_FLAGS_VERSION {
            return Err(DriverError::Unsupported {
                link: self.name.clone(),
                version: self.protocol_version(),
                what: "counting the nonce in header-byte order",
                needs: WORK_FLAGS_VERSION,
            });
        }
        self.backlog.push_back(unit);
        self.pump()
    }

    /// Abandons all work on the board and waiting in the driver. Results of
    /// the abandoned units that still arrive are discarded; a
    /// [`DeviceEvent::Flushed`] follows when the board confirms.
    pub fn flush(&mut self) -> Result<(), DriverError> {
        self.backlog.clear();
        self.abandon_active()?;
        Ok(())
    }

    /// Moves every active unit to the flushed set and sends FLUSH; returns
    /// the abandoned units in the order they were sent.
    fn abandon_active(&mut self) -> Result<Vec<WorkUnit>, DriverError> {
        let mut slots: Vec<(u8, UnitOnBoard)> =
            std::mem::take(&mut self.active).into_iter().collect();
        slots.sort_by_key(|(_, s)| s.seq);
        let mut units = Vec::with_capacity(slots.len());
        for (tag, slot) in slots {
            self.flushed.insert(tag, slot.unit.id);
            units.push(slot.unit);
        }
        self.send(&HostFrame::Flush)?;
        self.expected
            .push_back(StatusCause::Flush { at: Instant::now() });
        Ok(units)
    }

    /// Flushes and re-sends every unit the board had: used when a WORK frame
    /// may have been lost.
    pub(super) fn resend_active(&mut self) -> Result<(), DriverError> {
        let units = self.abandon_active()?;
        self.stats.resent += units.len() as u64;
        for unit in units.into_iter().rev() {
            self.backlog.push_front(unit);
        }
        self.pump()
    }

    pub(super) fn send(&mut self, frame: &HostFrame) -> Result<u64, DriverError> {
        // IDENTIFY (all there is before the IDENTITY) reads the same in every
        // version; `push` refuses what the board's version cannot carry.
        let version = self.protocol_version().max(MIN_PROTOCOL_VERSION);
        let bytes = frame
            .encode_for(version)
            .ok_or_else(|| DriverError::Unsupported {
                link: self.name.clone(),
                version,
                what: "counting the nonce in header-byte order",
                needs: WORK_FLAGS_VERSION,
            })?;
        self.link.write_all(&bytes)?;
        self.seq += 1;
        Ok(self.seq)
    }

    fn alloc_tag(&mut self) -> Option<u8> {
        for _ in 0..=u8::MAX {
            let tag = self.next_tag;
            self.next_tag = self.next_tag.wrapping_add(1);
            if !self.active.contains_key(&tag) && !self.flushed.contains_key(&tag) {
                return Some(tag);
            }
        }
        None
    }

    /// Sends waiting units while the board has room.
    pub(super) fn pump(&mut self) -> Result<(), DriverError> {
        while self.active.len() < self.slots() {
            let Some(tag) = self.alloc_tag() else { break };
            let Some(unit) = self.backlog.pop_front() else {
                break;
            };
            let seq = self.send(&HostFrame::Work(Work {
                tag,
                midstate: unit.midstate,
                tail: unit.tail,
                nonce_start: Nonce(unit.nonce_start),
                nonce_end: Nonce(unit.nonce_end),
                threshold: unit.threshold,
                order: unit.order,
            }))?;
            self.sent.push(DeviceEvent::Sent {
                id: unit.id,
                at: Instant::now(),
            });
            self.active.insert(
                tag,
                UnitOnBoard {
                    unit,
                    seq,
                    started: false,
                    found: HashSet::new(),
                },
            );
        }
        Ok(())
    }
}
