//! Safe driver for the `sha256d_miner` models.

use crate::ffi::{Model, Sha256dMinerIn, Sha256dMinerOut, SHA256D_MINER_FNS};
use crate::{ModelInfo, SimError, SHA256D_MINER_MODELS};

/// One work item as the miner's `work_*` inputs take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    /// Tag echoed in this item's events.
    pub tag: u8,
    /// SHA-256 state after the header's first 64 bytes, H0..H7.
    pub midstate: [u32; 8],
    /// Header bytes 64..75.
    pub tail: [u8; 12],
    /// First counter of the range (the first nonce, in number order).
    pub nonce_start: u32,
    /// Last counter, inclusive.
    pub nonce_end: u32,
    /// Report nonces whose hash's top 32 bits are <= this.
    pub threshold: u32,
    /// Count in header-byte order: counter `c` hashes nonce `c.swap_bytes()`.
    pub header_order: bool,
}

/// One event from the miner's event stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinerEvent {
    /// A nonce whose hash met the item's threshold.
    Found {
        /// Work item tag.
        tag: u8,
        /// The nonce (numeric).
        nonce: u32,
    },
    /// Every nonce of the item has been hashed and its results sent.
    Done {
        /// Work item tag.
        tag: u8,
    },
}

/// The miner's outputs, sampled just before a rising edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinerOutputs {
    /// The work queue has room.
    pub work_ready: bool,
    /// The event offered (taken on this edge if event_ready was high).
    pub event: Option<MinerEvent>,
    /// A found result was lost this clock.
    pub found_dropped: bool,
    /// A work item runs or has nonces in flight.
    pub busy: bool,
    /// A work item waits.
    pub queued: bool,
    /// Tag of the running (or last run) item.
    pub current_tag: u8,
    /// Nonces hashed since reset, all cores.
    pub nonces_hashed: u64,
}

impl From<Sha256dMinerOut> for MinerOutputs {
    fn from(o: Sha256dMinerOut) -> Self {
        let event = match (o.event_valid != 0, o.event_done != 0) {
            (false, _) => None,
            (true, true) => Some(MinerEvent::Done { tag: o.event_tag }),
            (true, false) => Some(MinerEvent::Found {
                tag: o.event_tag,
                nonce: o.event_nonce,
            }),
        };
        Self {
            work_ready: o.work_ready != 0,
            event,
            found_dropped: o.found_dropped != 0,
            busy: o.busy != 0,
            queued: o.queued != 0,
            current_tag: o.current_tag,
            nonces_hashed: o.nonces_hashed,
        }
    }
}

/// A cycle-accurate `sha256d_miner` model: set inputs, then [`clock`](Self::clock).
pub struct Sha256dMiner {
    model: Model<Sha256dMinerIn, Sha256dMinerOut>,
    info: &'static ModelInfo,
    inputs: Sha256dMinerIn,
    cycles: u64,
}

impl Sha256dMiner {
    /// Every configuration built into this crate.
    pub fn models() -> &'static [ModelInfo] {
        SHA256D_MINER_MODELS
    }

    /// Creates the model named `name` (see [`models`](Self::models)), held in reset
    /// until [`reset`](Self::reset) runs.
    pub fn new(name: &str) -> Result<Self, SimError> {
        let info = SHA256D_MINER_MODELS
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| SimError::UnknownModel {
                name: name.to_string(),
            })?;
        let fns = SHA256D_MINER_FNS
            .get(info.index)
            .ok_or_else(|| SimError::UnknownModel {
                name: name.to_string(),
            })?;
        let model = Model::new(fns).ok_or_else(|| SimError::Alloc {
            name: info.name.to_string(),
        })?;
        let inputs = Sha256dMinerIn {
            rst: 1,
            ..Default::default()
        };
        Ok(Self {
            model,
            info,
            inputs,
            cycles: 0,
        })
    }

    /// The model's name and parameters.
    pub fn info(&self) -> &'static ModelInfo {
        self.info
    }

    /// Rising edges clocked since creation.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Synchronous reset: `rst` high for two clocks, all other inputs idle.
    pub fn reset(&mut self) {
        self.inputs = Sha256dMinerIn {
            rst: 1,
            ..Default::default()
        };
        self.clock();
        self.clock();
        self.inputs.rst = 0;
    }

    /// Offers a work item (`work_valid` high) or withdraws it (`None`).
    pub fn set_work(&mut self, work: Option<&Work>) {
        match work {
            None => self.inputs.work_valid = 0,
            Some(w) => {
                self.inputs.work_valid = 1;
                self.inputs.work_tag = w.tag;
                self.inputs.midstate = w.midstate;
                for (i, word) in self.inputs.tail.iter_mut().enumerate() {
                    let b = &w.tail[4 * i..4 * i + 4];
                    *word = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                }
                self.inputs.nonce_start = w.nonce_start;
                self.inputs.nonce_end = w.nonce_end;
                self.inputs.threshold = w.threshold;
                self.inputs.header_order = u8::from(w.header_order);
            }
        }
    }

    /// Drives `flush` (the caller lowers it again after one clock for a pulse).
    pub fn set_flush(&mut self, flush: bool) {
        self.inputs.flush = u8::from(flush);
    }

    /// Drives `event_ready`.
    pub fn set_event_ready(&mut self, ready: bool) {
        self.inputs.event_ready = u8::from(ready);
    }

    /// Outputs for the current inputs, before the next edge.
    pub fn outputs(&mut self) -> MinerOutputs {
        self.model.set(&self.inputs);
        self.model.get().into()
    }

    /// One rising edge; returns the outputs as sampled by that edge (so a
    /// handshake happened when both sides were high in them).
    pub fn clock(&mut self) -> MinerOutputs {
        let sampled = self.outputs();
        self.model.step(1);
        self.cycles += 1;
        sampled
    }

    /// `n` rising edges with the inputs held; returns the outputs after them.
    pub fn run(&mut self, n: u64) -> MinerOutputs {
        self.model.set(&self.inputs);
        self.model.step(n);
        self.cycles += n;
        self.model.get().into()
    }
}
