use thiserror::Error;

/// Malformed input to the reference hasher.
#[derive(Debug, Error, PartialEq)]
pub enum HashError {
    /// The text is not hexadecimal; check for stray characters or an odd digit count.
    #[error("{what} is not valid hex: {source}")]
    Hex {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's complaint.
        #[source]
        source: hex::FromHexError,
    },
    /// The value has the wrong number of bytes.
    #[error("{what} must be {expected} bytes, got {found}")]
    Length {
        /// What was being decoded.
        what: &'static str,
        /// Bytes required.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// nBits with the sign bit set and a non-zero mantissa encodes a negative target.
    #[error("nBits {bits:#010x} encodes a negative target (sign bit 0x00800000 set)")]
    NegativeTarget {
        /// The compact value.
        bits: u32,
    },
    /// nBits whose exponent pushes the mantissa beyond 256 bits.
    #[error("nBits {bits:#010x} encodes a target wider than 256 bits")]
    TargetOverflow {
        /// The compact value.
        bits: u32,
    },
    /// A pool difficulty must be a finite number above zero.
    #[error("difficulty {difficulty} is not a finite number above zero")]
    BadDifficulty {
        /// The value given.
        difficulty: f64,
    },
}
