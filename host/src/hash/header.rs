use std::fmt;

use super::{hex_array, sha256d, BlockHash, HashError, HeaderTail, Midstate, Target};

/// Length of a serialized block header.
pub const HEADER_LEN: usize = 80;

/// The header of block 0, the genesis block, in hex: the known-answer vector
/// tests and examples start from.
pub const GENESIS_HEADER_HEX: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

/// A block header nonce: the number; it is stored little-endian in the header
/// and written as big-endian hex of the number in Stratum `mining.submit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce(pub u32);

impl Nonce {
    /// The bytes as they stand in the header (little-endian).
    pub fn header_bytes(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }

    /// The hex form used in Stratum `mining.submit` (big-endian number).
    pub fn submit_hex(self) -> String {
        format!("{:08x}", self.0)
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

/// An 80-byte Bitcoin block header in serialized byte order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header([u8; HEADER_LEN]);

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Header({})", hex::encode(self.0))
    }
}

impl Header {
    /// Wraps 80 serialized bytes.
    pub fn from_bytes(bytes: [u8; HEADER_LEN]) -> Self {
        Header(bytes)
    }

    /// Parses 160 hex digits (serialized byte order).
    pub fn from_hex(text: &str) -> Result<Self, HashError> {
        hex_array::<HEADER_LEN>("block header", text).map(Header)
    }

    /// Builds a header from its fields. `prev_hash` and `merkle_root` are in
    /// serialized (internal) byte order, as they stand in the header.
    pub fn from_fields(
        version: u32,
        prev_hash: [u8; 32],
        merkle_root: [u8; 32],
        time: u32,
        bits: u32,
        nonce: Nonce,
    ) -> Self {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&version.to_le_bytes());
        b[4..36].copy_from_slice(&prev_hash);
        b[36..68].copy_from_slice(&merkle_root);
        b[68..72].copy_from_slice(&time.to_le_bytes());
        b[72..76].copy_from_slice(&bits.to_le_bytes());
        b[76..80].copy_from_slice(&nonce.header_bytes());
        Header(b)
    }

    /// The serialized bytes.
    pub fn bytes(&self) -> &[u8; HEADER_LEN] {
        &self.0
    }

    /// Serialized hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn word(&self, at: usize) -> u32 {
        u32::from_le_bytes([self.0[at], self.0[at + 1], self.0[at + 2], self.0[at + 3]])
    }

    fn hash_field(&self, at: usize) -> [u8; 32] {
        let mut h = [0u8; 32];
        h.copy_from_slice(&self.0[at..at + 32]);
        h
    }

    /// Block version (with any BIP 320 rolled bits).
    pub fn version(&self) -> u32 {
        self.word(0)
    }

    /// Previous block hash, serialized (internal) order.
    pub fn prev_hash(&self) -> [u8; 32] {
        self.hash_field(4)
    }

    /// Merkle root, serialized (internal) order.
    pub fn merkle_root(&self) -> [u8; 32] {
        self.hash_field(36)
    }

    /// Block time, seconds since 1970.
    pub fn time(&self) -> u32 {
        self.word(68)
    }

    /// Compact target (nBits).
    pub fn bits(&self) -> u32 {
        self.word(72)
    }

    /// The nonce.
    pub fn nonce(&self) -> Nonce {
        Nonce(self.word(76))
    }

    /// The same header with another nonce.
    pub fn with_nonce(&self, nonce: Nonce) -> Self {
        let mut b = self.0;
        b[76..80].copy_from_slice(&nonce.header_bytes());
        Header(b)
    }

    /// The same header with another version (BIP 320 version rolling).
    pub fn with_version(&self, version: u32) -> Self {
        let mut b = self.0;
        b[0..4].copy_from_slice(&version.to_le_bytes());
        Header(b)
    }

    /// Double SHA-256 of the whole header.
    pub fn hash(&self) -> BlockHash {
        sha256d(&self.0)
    }

    /// SHA-256 state after the first 64-byte block: what a board is sent.
    pub fn midstate(&self) -> Midstate {
        let mut block = [0u8; 64];
        block.copy_from_slice(&self.0[0..64]);
        Midstate::of_first_block(&block)
    }

    /// Bytes 64..76: the end of the merkle root, time and nBits.
    pub fn tail(&self) -> HeaderTail {
        let mut t = [0u8; 12];
        t.copy_from_slice(&self.0[64..76]);
        HeaderTail::from_bytes(t)
    }

    /// The target the header's nBits encodes.
    pub fn target(&self) -> Result<Target, HashError> {
        Target::from_nbits(self.bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::hash::GENESIS_HEADER_HEX as GENESIS;

    #[test]
    fn fields_of_genesis() {
        let h = Header::from_hex(GENESIS).unwrap();
        assert_eq!(h.version(), 1);
        assert_eq!(h.prev_hash(), [0u8; 32]);
        assert_eq!(h.time(), 0x495fab29);
        assert_eq!(h.bits(), 0x1d00ffff);
        assert_eq!(h.nonce(), Nonce(0x7c2bac1d));
        assert_eq!(
            hex::encode(h.merkle_root()),
            "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
        );
    }

    #[test]
    fn fields_round_trip() {
        let h = Header::from_hex(GENESIS).unwrap();
        let rebuilt = Header::from_fields(
            h.version(),
            h.prev_hash(),
            h.merkle_root(),
            h.time(),
            h.bits(),
            h.nonce(),
        );
        assert_eq!(rebuilt, h);
        assert_eq!(rebuilt.to_hex(), GENESIS);
        assert_eq!(h.with_nonce(Nonce(5)).nonce(), Nonce(5));
        assert_eq!(h.with_version(0x2000_0000).version(), 0x2000_0000);
    }

    #[test]
    fn nonce_forms() {
        let n = Nonce(0x7c2bac1d);
        assert_eq!(n.header_bytes(), [0x1d, 0xac, 0x2b, 0x7c]);
        assert_eq!(n.submit_hex(), "7c2bac1d");
        assert_eq!(n.to_string(), "0x7c2bac1d");
    }

    #[test]
    fn rejects_wrong_length() {
        let err = Header::from_hex(&GENESIS[..158]).unwrap_err();
        assert_eq!(
            err,
            HashError::Length {
                what: "block header",
                expected: 80,
                found: 79
            }
        );
        assert_eq!(err.to_string(), "block header must be 80 bytes, got 79");
    }

    #[test]
    fn rejects_bad_hex() {
        let bad = format!("zz{}", &GENESIS[2..]);
        assert!(matches!(
            Header::from_hex(&bad),
            Err(HashError::Hex {
                what: "block header",
                ..
            })
        ));
        let odd = &GENESIS[..159];
        assert!(matches!(Header::from_hex(odd), Err(HashError::Hex { .. })));
    }
}
