//! The reference hasher: the one truth for header layout, byte orders,
//! midstates, targets, nBits and difficulty. The driver, the mining loop and
//! the RTL tests check nonces and hashes against it.
//!
//! Byte orders live in the constructors of the types here, never at call sites:
//! - [`Header`] is the 80-byte serialized header (integers little-endian).
//! - [`BlockHash`] holds the double SHA-256 output as produced; its display
//!   form (block explorers, `amber hash`) is the reversed byte string.
//! - [`Target`] is a 256-bit number stored big-endian; a hash meets it when the
//!   hash, read as a little-endian number, is at or below it.

mod digest;
mod error;
mod header;
mod target;

pub use digest::{sha256d, BlockHash, HeaderTail, Midstate};
pub use error::HashError;
pub use header::{Header, Nonce, GENESIS_HEADER_HEX, HEADER_LEN};
pub use target::Target;

/// Decodes hex into exactly `N` bytes, naming `what` in the error.
pub(crate) fn hex_array<const N: usize>(
    what: &'static str,
    text: &str,
) -> Result<[u8; N], HashError> {
    let bytes = hex_bytes(what, text)?;
    bytes.try_into().map_err(|b: Vec<u8>| HashError::Length {
        what,
        expected: N,
        found: b.len(),
    })
}

/// Decodes a hex string of any even length, naming `what` in the error.
pub(crate) fn hex_bytes(what: &'static str, text: &str) -> Result<Vec<u8>, HashError> {
    let text = text.trim();
    hex::decode(text).map_err(|source| HashError::Hex { what, source })
}
