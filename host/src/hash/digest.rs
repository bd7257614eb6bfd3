use std::fmt;

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

use super::{hex_array, HashError, Nonce, Target};

/// SHA-256 initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Double SHA-256 of arbitrary bytes.
pub fn sha256d(data: &[u8]) -> BlockHash {
    let first = Sha256::digest(data);
    let second = Sha256::digest(first);
    let mut out = [0u8; 32];
    out.copy_from_slice(&second);
    BlockHash(out)
}

/// A double SHA-256 result, as produced by the hash (internal byte order).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockHash([u8; 32]);

impl BlockHash {
    /// Wraps bytes in internal (produced) order.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        BlockHash(bytes)
    }

    /// Parses display-order hex (as block explorers print hashes).
    pub fn from_display_hex(text: &str) -> Result<Self, HashError> {
        let mut b = hex_array::<32>("hash", text)?;
        b.reverse();
        Ok(BlockHash(b))
    }

    /// Internal byte order (as in a header's prev-hash field or a merkle branch).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Display order: the bytes reversed, most significant first.
    pub fn display_bytes(&self) -> [u8; 32] {
        let mut b = self.0;
        b.reverse();
        b
    }

    /// Display-order hex.
    pub fn display_hex(&self) -> String {
        hex::encode(self.display_bytes())
    }

    /// The most significant 32 bits of the hash as a number: what a board
    /// compares with its 32-bit threshold.
    pub fn leading_word(&self) -> u32 {
        u32::from_le_bytes([self.0[28], self.0[29], self.0[30], self.0[31]])
    }

    /// Whether the hash, as a number, is at or below `target`.
    pub fn meets(&self, target: &Target) -> bool {
        self.display_bytes() <= *target.be_bytes()
    }

    /// The difficulty this hash achieves (difficulty-1 target divided by the hash).
    pub fn difficulty(&self) -> f64 {
        Target::from_be_bytes(self.display_bytes()).difficulty()
    }
}

impl fmt::Debug for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockHash({})", self.display_hex())
    }
}

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_hex())
    }
}

/// SHA-256 state after the header's first 64 bytes: eight words H0..H7,
/// stored as their big-endian bytes in order (the form pools and miners print).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Midstate([u8; 32]);

impl Midstate {
    /// Compresses one 64-byte block from the SHA-256 initial value.
    pub fn of_first_block(block: &[u8; 64]) -> Self {
        let mut state = SHA256_IV;
        compress256(&mut state, &[*block]);
        Self::from_words(state)
    }

    /// From the eight state words H0..H7.
    pub fn from_words(words: [u32; 8]) -> Self {
        let mut b = [0u8; 32];
        for (chunk, w) in b.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        Midstate(b)
    }

    /// From big-endian word bytes (H0 first).
    pub fn from_be_bytes(bytes: [u8; 32]) -> Self {
        Midstate(bytes)
    }

    /// Parses 64 hex digits of big-endian words (H0 first).
    pub fn from_hex(text: &str) -> Result<Self, HashError> {
        hex_array::<32>("midstate", text).map(Midstate)
    }

    /// The eight state words H0..H7.
    pub fn words(&self) -> [u32; 8] {
        let mut w = [0u32; 8];
        for (word, chunk) in w.iter_mut().zip(self.0.chunks_exact(4)) {
            *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        w
    }

    /// Big-endian word bytes, H0 first.
    pub fn be_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Hex of the big-endian words, H0 first.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Double SHA-256 of the header this midstate, `tail` and `nonce` stand for;
    /// equal to hashing the whole 80-byte header.
    pub fn hash_with(&self, tail: &HeaderTail, nonce: Nonce) -> BlockHash {
        // Second block of the first hash: tail, nonce, then FIPS 180-4 §5.1.1
        // padding for an 80-byte (640-bit) message.
        let mut block = [0u8; 64];
        block[0..12].copy_from_slice(&tail.0);
        block[12..16].copy_from_slice(&nonce.header_bytes());
        block[16] = 0x80;
        block[62] = 0x02;
        block[63] = 0x80;
        let mut state = self.words();
        compress256(&mut state, &[block]);
        let mut first = [0u8; 32];
        for (chunk, w) in first.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        let second = Sha256::digest(first);
        let mut out = [0u8; 32];
        out.copy_from_slice(&second);
        BlockHash(out)
    }
}

impl fmt::Debug for Midstate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Midstate({})", self.to_hex())
    }
}

/// Header bytes 64..76 as serialized: the last 4 bytes of the merkle root,
/// the time and nBits. With the midstate and a nonce it completes the header.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderTail([u8; 12]);

impl HeaderTail {
    /// Wraps the 12 serialized bytes.
    pub fn from_bytes(bytes: [u8; 12]) -> Self {
        HeaderTail(bytes)
    }

    /// Parses 24 hex digits (serialized order).
    pub fn from_hex(text: &str) -> Result<Self, HashError> {
        hex_array::<12>("header tail", text).map(HeaderTail)
    }

    /// The serialized bytes.
    pub fn bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// Serialized hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for HeaderTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderTail({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;

    use crate::hash::GENESIS_HEADER_HEX as GENESIS;

    #[test]
    fn sha256d_of_empty_input() {
        // SHA-256(SHA-256("")), internal order.
        assert_eq!(
            hex::encode(sha256d(b"").bytes()),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }

    #[test]
    fn genesis_hash_and_midstate() {
        let h = Header::from_hex(GENESIS).unwrap();
        assert_eq!(
            h.hash().display_hex(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert_eq!(
            h.midstate().to_hex(),
            "bc909a336358bff090ccac7d1e59caa8c3c8d8e94f0103c896b187364719f91b"
        );
        assert_eq!(h.tail().to_hex(), "4b1e5e4a29ab5f49ffff001d");
    }

    #[test]
    fn midstate_path_equals_full_header() {
        let h = Header::from_hex(GENESIS).unwrap();
        for n in [0u32, 1, 0x7c2bac1d, u32::MAX] {
            let full = h.with_nonce(Nonce(n)).hash();
            assert_eq!(
                h.midstate().hash_with(&h.tail(), Nonce(n)),
                full,
                "nonce {n:#x}"
            );
        }
    }

    #[test]
    fn midstate_words_round_trip() {
        let m =
            Midstate::from_hex("bc909a336358bff090ccac7d1e59caa8c3c8d8e94f0103c896b187364719f91b")
                .unwrap();
        assert_eq!(m.words()[0], 0xbc909a33);
        assert_eq!(Midstate::from_words(m.words()), m);
        assert_eq!(Midstate::from_be_bytes(*m.be_bytes()), m);
    }

    #[test]
    fn leading_word_is_top_of_number() {
        let h = Header::from_hex(GENESIS).unwrap().hash();
        assert_eq!(h.leading_word(), 0);
        let b = BlockHash::from_display_hex(&format!("00000011{}", "ab".repeat(28))).unwrap();
        assert_eq!(b.leading_word(), 0x00000011);
        assert_eq!(b.display_hex(), format!("00000011{}", "ab".repeat(28)));
    }

    #[test]
    fn malformed_midstate_and_tail() {
        assert_eq!(
            Midstate::from_hex("00").unwrap_err(),
            HashError::Length {
                what: "midstate",
                expected: 32,
                found: 1
            }
        );
        assert!(matches!(
            HeaderTail::from_hex("0g0000000000000000000000"),
            Err(HashError::Hex { .. })
        ));
        assert_eq!(
            HeaderTail::from_hex("00").unwrap_err().to_string(),
            "header tail must be 12 bytes, got 1"
        );
        assert!(matches!(
            BlockHash::from_display_hex("abc"),
            Err(HashError::Hex { .. })
        ));
    }
}
