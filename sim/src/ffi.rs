//! The one place with `unsafe`: the C ABI of the Verilator model shims.
//!
//! Each model is a C++ object behind an opaque pointer; [`Model`] owns one and
//! frees it on drop. The port structs mirror the shim's C structs exactly.

use std::ffi::c_void;
use std::ptr::NonNull;

/// Inputs of `sha256d_miner` (mirrors `MinerIn` in shim/sha256d_miner.cpp).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sha256dMinerIn {
    pub rst: u8,
    pub work_valid: u8,
    pub work_tag: u8,
    pub flush: u8,
    pub event_ready: u8,
    pub header_order: u8,
    pub midstate: [u32; 8],
    pub tail: [u32; 3],
    pub nonce_start: u32,
    pub nonce_end: u32,
    pub threshold: u32,
}

/// Outputs of `sha256d_miner` (mirrors `MinerOut` in shim/sha256d_miner.cpp).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sha256dMinerOut {
    pub work_ready: u8,
    pub event_valid: u8,
    pub event_done: u8,
    pub event_tag: u8,
    pub found_dropped: u8,
    pub busy: u8,
    pub queued: u8,
    pub current_tag: u8,
    pub event_nonce: u32,
    pub nonces_hashed: u64,
}

/// Inputs of `miner_top` (mirrors `MinerTopIn` in shim/miner_top.cpp).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MinerTopIn {
    pub rst: u8,
    pub uart_rx: u8,
}

/// Outputs of `miner_top` (mirrors `MinerTopOut` in shim/miner_top.cpp).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MinerTopOut {
    pub uart_tx: u8,
    pub led_alive: u8,
    pub led_hashing: u8,
    pub led_found: u8,
}

/// The C entry points of one model.
pub(crate) struct ModelFns<I, O> {
    new: unsafe extern "C" fn() -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void),
    set: unsafe extern "C" fn(*mut c_void, *const I),
    get: unsafe extern "C" fn(*mut c_void, *mut O),
    step: unsafe extern "C" fn(*mut c_void, u64),
}

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

/// One live model instance.
pub(crate) struct Model<I: 'static, O: 'static> {
    fns: &'static ModelFns<I, O>,
    handle: NonNull<c_void>,
}

impl<I, O: Default> Model<I, O> {
    /// Creates a model; `None` if the shim could not allocate it.
    pub(crate) fn new(fns: &'static ModelFns<I, O>) -> Option<Self> {
        // SAFETY: `new` takes no arguments and returns an owned object or null.
        let raw = unsafe { (fns.new)() };
        NonNull::new(raw).map(|handle| Self { fns, handle })
    }

    /// Applies inputs and settles the logic (clock low).
    pub(crate) fn set(&mut self, inputs: &I) {
        // SAFETY: the handle is live (owned by self); `inputs` is a valid #[repr(C)] struct
        // the shim only reads during the call.
        unsafe { (self.fns.set)(self.handle.as_ptr(), inputs) }
    }

    /// Reads the outputs as they are now.
    pub(crate) fn get(&self) -> O {
        let mut out = O::default();
        // SAFETY: the handle is live; `out` is a valid #[repr(C)] struct the shim writes.
        unsafe { (self.fns.get)(self.handle.as_ptr(), &mut out) };
        out
    }

    /// Clocks `n` rising edges with the inputs held.
    pub(crate) fn step(&mut self, n: u64) {
        // SAFETY: the handle is live and used by one thread at a time (&mut self).
        unsafe { (self.fns.step)(self.handle.as_ptr(), n) }
    }
}

impl<I, O> Drop for Model<I, O> {
    fn drop(&mut self) {
        // SAFETY: the handle came from `new` and is freed exactly once, here.
        unsafe { (self.fns.free)(self.handle.as_ptr()) }
    }
}

// SAFETY: a model is a self-contained C++ object (its own VerilatedContext) with no
// thread affinity; it is only reached through &mut or & of its owner.
unsafe impl<I, O> Send for Model<I, O> {}
