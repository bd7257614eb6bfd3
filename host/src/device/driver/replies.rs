//! What the driver does with each frame the board sends: results re-checked
//! with the reference hasher, DONE, STATUS counters, NAKs and IDENTITY.

use std::time::Instant;

use super::{spoken, Driver, DriverError, StatusCause};
use crate::device::events::{Anomaly, DeviceEvent};
use crate::device::protocol::{BoardFrame, FrameType, HostFrame, Identity, NakReason, Status};
use crate::hash::Nonce;

impl Driver {
    pub(super) fn handle(
        &mut self,
        frame: BoardFrame,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        match frame {
            BoardFrame::Result { tag, nonce } => self.on_result(tag, nonce.0, events),
            BoardFrame::Done { tag } => {
                if let Some(slot) = self.active.remove(&tag) {
                    self.stats.units_done += 1;
                    events.push(DeviceEvent::Done { id: slot.unit.id });
                } else if self.flushed.contains_key(&tag) {
                    self.stats.flushed_results += 1;
                } else {
                    self.stats.unknown_tags += 1;
                }
            }
            BoardFrame::Status(status) => self.on_status(status, events)?,
            BoardFrame::Nak {
                reason,
                refused_type: refused,
            } => {
                self.stats.naks += 1;
                events.push(DeviceEvent::Nak { reason, refused });
                match FrameType::from_code(refused) {
                    Some(FrameType::Work) if reason == NakReason::QueueFull => {
                        self.on_queue_full(events)
                    }
                    Some(FrameType::Work) if reason != NakReason::BadRange => {
                        self.resend_due = true
                    }
                    Some(FrameType::Flush) => {
                        self.send(&HostFrame::Flush)?;
                    }
                    Some(FrameType::StatusRequest) => {
                        if let Some(i) = self
                            .expected
                            .iter()
                            .position(|c| matches!(c, StatusCause::Request { .. }))
                        {
                            self.expected.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            BoardFrame::Identity(identity) => self.on_identity(identity, events)?,
        }
        Ok(())
    }

    /// An IDENTITY nobody asked for: a late answer changes nothing; other figures
    /// mean a reset or a new bitstream.
    fn on_identity(
        &mut self,
        identity: Identity,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        if !spoken(identity.protocol_version) {
            return Err(DriverError::Version {
                link: self.name.clone(),
                version: identity.protocol_version,
            });
        }
        if identity == self.identity {
            return Ok(());
        }
        self.adopt(identity);
        self.depth_limit = u8::MAX;
        events.append(&mut self.sent);
        events.push(DeviceEvent::Anomaly(Anomaly::Reidentified(identity)));
        self.resend_due = true;
        Ok(())
    }

    /// A WORK refused for a full queue. NAKs that arrive while a flush is
    /// outstanding answer WORK sent before it and are already dealt with; the others
    /// say how many units the board really holds, and the driver believes that over
    /// the IDENTITY (it never raises the limit again until the board re-identifies).
    fn on_queue_full(&mut self, events: &mut Vec<DeviceEvent>) {
        let flushing = self
            .expected
            .iter()
            .any(|c| matches!(c, StatusCause::Flush { .. }));
        if flushing {
            return;
        }
        self.queue_full_naks += 1;
        let holds = self.active.len().saturating_sub(self.queue_full_naks);
        let believed = u8::try_from(holds.saturating_sub(1)).unwrap_or(u8::MAX);
        if believed < self.queue_depth() {
            self.depth_limit = believed;
            events.push(DeviceEvent::Anomaly(Anomaly::QueueShorter {
                claimed: self.identity.queue_depth,
                believed,
            }));
        }
        self.resend_due = true;
    }

    fn on_result(&mut self, tag: u8, nonce: u32, events: &mut Vec<DeviceEvent>) {
        let Some(slot) = self.active.get_mut(&tag) else {
            if self.flushed.contains_key(&tag) {
                self.stats.flushed_results += 1;
            } else {
                self.stats.unknown_tags += 1;
            }
            return;
        };
        let unit = &slot.unit;
        let hash = unit.midstate.hash_with(&unit.tail, Nonce(nonce));
        let counter = unit.order.counter(Nonce(nonce));
        let in_range = (unit.nonce_start..=unit.nonce_end).contains(&counter);
        if !in_range || hash.leading_word() > unit.threshold {
            self.stats.hardware_errors += 1;
            events.push(DeviceEvent::HardwareError {
                id: unit.id,
                nonce: Nonce(nonce),
            });
            return;
        }
        if !slot.found.insert(nonce) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.found += 1;
        events.push(DeviceEvent::Found {
            id: unit.id,
            nonce: Nonce(nonce),
            hash,
        });
    }

    fn on_status(
        &mut self,
        status: Status,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), DriverError> {
        let previous = self.last_status.map(|s| s.nonces_hashed);
        let counted = self
            .meter
            .record(Instant::now(), status.nonces_hashed, self.max_rate());
        if !counted {
            self.stats.counter_jumps += 1;
            // One report per run of refused readings.
            if self.stats.counter_jumps == 1 || !self.jumping {
                events.push(DeviceEvent::Anomaly(Anomaly::CounterJump {
                    from: previous.unwrap_or(0),
                    to: status.nonces_hashed,
                }));
            }
        }
        self.jumping = !counted;
        self.stats.board_bad_frames = status.bad_frames;
        let dropped = match self.last_status {
            Some(last) if status.dropped_results >= last.dropped_results => {
                status.dropped_results - last.dropped_results
            }
            // The first reading, or a counter that restarted with the board.
            _ => status.dropped_results,
        };
        self.stats.dropped_results = self
            .stats
            .dropped_results
            .saturating_add(u64::from(dropped));
        self.stats.board_dropped_results = status.dropped_results;
        self.last_status = Some(status);
        match self.expected.pop_front() {
            Some(StatusCause::Flush { .. }) => {
                let ids = std::mem::take(&mut self.flushed).into_values().collect();
                self.queue_full_naks = 0;
                events.push(DeviceEvent::Flushed { ids });
            }
            Some(StatusCause::Request { seq, .. }) => {
                let hashing = status.hashing();
                if hashing {
                    if let Some(slot) = self.active.get_mut(&status.tag) {
                        if !slot.started {
                            slot.started = true;
                            events.push(DeviceEvent::Started { id: slot.unit.id });
                        }
                    }
                }
                // An idle board with nothing queued, asked after every unit we
                // think it has was sent: those WORK frames were lost.
                let lost = !hashing
                    && status.queued == 0
                    && self.flushed.is_empty()
                    && !self.active.is_empty()
                    && self.active.values().all(|s| s.seq < seq);
                // Two such answers in a row, so that a DONE the board sends
                // after its STATUS is not mistaken for lost work.
                self.idle_strikes = if lost { self.idle_strikes + 1 } else { 0 };
                if self.idle_strikes >= 2 {
                    self.idle_strikes = 0;
                    self.resend_active()?;
                }
            }
            None => {}
        }
        events.push(DeviceEvent::Status(status));
        Ok(())
    }
}
