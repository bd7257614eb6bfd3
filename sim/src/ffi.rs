//! The one place with `unsafe`: the C ABI of the Verilator model shims.
//!
//! Each model is a C++ object behind an opaque pointer; [`Model`] owns one and
//! frees it on drop. The port structs mirror the shim's C structs exactly.
//! Models are linked in (built by build.rs) or loaded from a shared library
//! at run time ([`Library`], the netlist models of `make netlist-sim`).

use std::ffi::{c_void, CStr, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

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

impl<I, O> Clone for ModelFns<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for ModelFns<I, O> {}

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

/// A shared library holding one `miner_top`-shaped model, its entry points
/// named `<prefix>_new`, `_free`, `_set`, `_get` and `_step` (the shim
/// shim/miner_top.cpp compiled with `AMBER_PREFIX=<prefix>`).
pub(crate) struct Library {
    handle: NonNull<c_void>,
}

/// The last `dlerror()` message.
fn dl_error() -> String {
    // SAFETY: dlerror returns null or a NUL-terminated string valid until the
    // next dl* call on this thread; it is copied at once.
    let raw = unsafe { libc::dlerror() };
    if raw.is_null() {
        "unknown dynamic loader error".to_string()
    } else {
        // SAFETY: non-null, NUL-terminated (see above).
        unsafe { CStr::from_ptr(raw) }
            .to_string_lossy()
            .into_owned()
    }
}

impl Library {
    /// Loads the library at `path`.
    pub(crate) fn open(path: &Path) -> Result<Arc<Self>, String> {
        let name = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| "the path holds a NUL byte".to_string())?;
        // SAFETY: `name` is NUL-terminated; RTLD_LOCAL keeps the library's
        // symbols (its own Verilator runtime) out of the global namespace.
        let raw = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        NonNull::new(raw)
            .map(|handle| Arc::new(Self { handle }))
            .ok_or_else(dl_error)
    }

    fn symbol(&self, name: &str) -> Result<NonNull<c_void>, String> {
        let cname = CString::new(name).map_err(|_| format!("bad symbol name {name:?}"))?;
        // SAFETY: the handle is live (owned by self); `cname` is NUL-terminated.
        let raw = unsafe { libc::dlsym(self.handle.as_ptr(), cname.as_ptr()) };
        NonNull::new(raw).ok_or_else(|| format!("{name}: {}", dl_error()))
    }

    /// The `miner_top` entry points under `prefix`.
    pub(crate) fn miner_top_fns(
        &self,
        prefix: &str,
    ) -> Result<ModelFns<MinerTopIn, MinerTopOut>, String> {
        let new = self.symbol(&format!("{prefix}_new"))?;
        let free = self.symbol(&format!("{prefix}_free"))?;
        let set = self.symbol(&format!("{prefix}_set"))?;
        let get = self.symbol(&format!("{prefix}_get"))?;
        let step = self.symbol(&format!("{prefix}_step"))?;
        // SAFETY: the shim defines these symbols as extern "C" functions with
        // exactly these signatures (sim/shim/miner_top.cpp); the pointers stay
        // valid while the library is loaded, which every Model using them
        // ensures by holding an Arc of it.
        unsafe {
            Ok(ModelFns {
                new: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> *mut c_void>(
                    new.as_ptr(),
                ),
                free: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void)>(
                    free.as_ptr(),
                ),
                set: std::mem::transmute::<
                    *mut c_void,
                    unsafe extern "C" fn(*mut c_void, *const MinerTopIn),
                >(set.as_ptr()),
                get: std::mem::transmute::<
                    *mut c_void,
                    unsafe extern "C" fn(*mut c_void, *mut MinerTopOut),
                >(get.as_ptr()),
                step: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void, u64)>(
                    step.as_ptr(),
                ),
            })
        }
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        // SAFETY: the handle came from dlopen and is closed once; every model
        // made from it holds an Arc of the library, so none outlives it.
        unsafe { libc::dlclose(self.handle.as_ptr()) };
    }
}

// SAFETY: a dlopen handle may be used and closed from any thread.
unsafe impl Send for Library {}
// SAFETY: dlsym on a live handle is thread-safe.
unsafe impl Sync for Library {}

/// One live model instance.
pub(crate) struct Model<I: 'static, O: 'static> {
    fns: ModelFns<I, O>,
    handle: NonNull<c_void>,
    /// The shared library the model's code lives in, if it was loaded; it is
    /// released after the model is freed (fields drop after `Drop::drop`).
    _library: Option<Arc<Library>>,
}

impl<I, O: Default> Model<I, O> {
    /// Creates a model; `None` if the shim could not allocate it.
    pub(crate) fn new(fns: &'static ModelFns<I, O>) -> Option<Self> {
        Self::with_fns(*fns, None)
    }

    /// Creates a model from entry points in `library` (see [`Library::miner_top_fns`]).
    pub(crate) fn with_fns(fns: ModelFns<I, O>, library: Option<Arc<Library>>) -> Option<Self> {
        // SAFETY: `new` takes no arguments and returns an owned object or null;
        // a loaded library's code stays mapped while `library` is held.
        let raw = unsafe { (fns.new)() };
        NonNull::new(raw).map(|handle| Self {
            fns,
            handle,
            _library: library,
        })
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
