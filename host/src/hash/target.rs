use std::fmt;

use super::{hex_array, HashError};

/// A 256-bit proof-of-work target, stored big-endian. Hashes at or below it win.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target([u8; 32]);

/// Mantissa of the difficulty-1 target `0xFFFF << 208` (nBits 0x1d00ffff).
const DIFF1_MANTISSA: u64 = 0xFFFF;
/// Exponent of the difficulty-1 target in bits.
const DIFF1_SHIFT: u32 = 208;

impl Target {
    /// The difficulty-1 target, `0x00000000FFFF0000…`.
    pub const DIFF1: Target = {
        let mut b = [0u8; 32];
        b[4] = 0xff;
        b[5] = 0xff;
        Target(b)
    };

    /// The largest target (every hash meets it).
    pub const MAX: Target = Target([0xff; 32]);

    /// Wraps big-endian bytes.
    pub fn from_be_bytes(bytes: [u8; 32]) -> Self {
        Target(bytes)
    }

    /// Parses 64 hex digits, big-endian (display order).
    pub fn from_hex(text: &str) -> Result<Self, HashError> {
        hex_array::<32>("target", text).map(Target)
    }

    /// The big-endian bytes.
    pub fn be_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Big-endian hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Decodes compact nBits: mantissa × 256^(exponent − 3), refusing negative
    /// and wider-than-256-bit encodings.
    pub fn from_nbits(bits: u32) -> Result<Self, HashError> {
        let exponent = (bits >> 24) as usize;
        let mantissa = bits & 0x007f_ffff;
        if bits & 0x0080_0000 != 0 && mantissa != 0 {
            return Err(HashError::NegativeTarget { bits });
        }
        let mut out = [0u8; 32];
        let m = mantissa.to_be_bytes(); // m[1..4] are the three mantissa bytes
        for (i, &byte) in m[1..4].iter().enumerate() {
            // Byte i of the mantissa has weight 256^(exponent - 1 - i).
            let Some(weight) = (exponent + 2).checked_sub(i + 3) else {
                continue; // shifted out below 256^0
            };
            if weight >= 32 {
                if byte != 0 {
                    return Err(HashError::TargetOverflow { bits });
                }
                continue;
            }
            out[31 - weight] = byte;
        }
        Ok(Target(out))
    }

    /// Encodes as compact nBits (the canonical form Bitcoin Core produces).
    pub fn to_nbits(&self) -> u32 {
        let Some(first) = self.0.iter().position(|&b| b != 0) else {
            return 0;
        };
        let mut size = (32 - first) as u32;
        let byte = |i: usize| self.0.get(i).copied().unwrap_or(0) as u32;
        // Left-aligned in three bytes, as Bitcoin Core's GetCompact does.
        let mut mantissa = (byte(first) << 16) | (byte(first + 1) << 8) | byte(first + 2);
        if mantissa & 0x0080_0000 != 0 {
            mantissa >>= 8;
            size += 1;
        }
        (size << 24) | mantissa
    }

    /// The target for a pool difficulty: difficulty-1 target ÷ difficulty,
    /// rounded down. Difficulties below 1 give targets above difficulty 1;
    /// ones so small that the quotient exceeds 256 bits give [`Target::MAX`].
    pub fn from_difficulty(difficulty: f64) -> Result<Self, HashError> {
        if !difficulty.is_finite() || difficulty <= 0.0 {
            return Err(HashError::BadDifficulty { difficulty });
        }
        // difficulty = mantissa × 2^exp exactly.
        let bits = difficulty.to_bits();
        let raw_exp = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, exp) = if raw_exp == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), raw_exp - 1075)
        };
        // target = (0xFFFF << (208 - exp)) / mantissa, in 384-bit arithmetic.
        let shift = DIFF1_SHIFT as i32 - exp;
        let mut wide = Wide::from_u64(DIFF1_MANTISSA);
        if shift >= 0 {
            if shift > 300 {
                return Ok(Target::MAX);
            }
            wide.shl(shift as u32);
            wide.div(mantissa);
        } else {
            // difficulty above 2^208: divide first, then drop the power of two.
            wide.shl(DIFF1_SHIFT);
            wide.div(mantissa);
            wide.shr(exp as u32);
        }
        Ok(wide.to_target())
    }

    /// The difficulty this target stands for: difficulty-1 target ÷ target.
    /// A zero target has infinite difficulty.
    pub fn difficulty(&self) -> f64 {
        let value = self.0.iter().fold(0.0f64, |acc, &b| acc * 256.0 + b as f64);
        if value == 0.0 {
            return f64::INFINITY;
        }
        (DIFF1_MANTISSA as f64) * 2f64.powi(DIFF1_SHIFT as i32) / value
    }

    /// The top 32 bits of the target: the threshold a board compares the top
    /// word of each hash with. Every hash that meets the target passes it, so
    /// the host re-checks candidates against the full target.
    pub fn leading_word(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.to_hex())
    }
}

/// A 384-bit unsigned integer (little-endian limbs), just wide enough for the
/// difficulty division.
struct Wide([u64; 6]);

impl Wide {
    fn from_u64(v: u64) -> Self {
        Wide([v, 0, 0, 0, 0, 0])
    }

    fn shl(&mut self, n: u32) {
        for _ in 0..n {
            let mut carry = 0u64;
            for limb in self.0.iter_mut() {
                let next = *limb >> 63;
                *limb = (*limb << 1) | carry;
                carry = next;
            }
        }
    }

    fn shr(&mut self, n: u32) {
        for _ in 0..n {
            let mut carry = 0u64;
            for limb in self.0.iter_mut().rev() {
                let next = *limb & 1;
                *limb = (*limb >> 1) | (carry << 63);
                carry = next;
            }
        }
    }

    fn div(&mut self, divisor: u64) {
        let mut rem: u128 = 0;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 64) | *limb as u128;
            *limb = (cur / divisor as u128) as u64;
            rem = cur % divisor as u128;
        }
    }

    fn to_target(&self) -> Target {
        if self.0[4] != 0 || self.0[5] != 0 {
            return Target::MAX;
        }
        let mut b = [0u8; 32];
        for (i, limb) in self.0[..4].iter().enumerate() {
            b[24 - 8 * i..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
        }
        Target(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nbits_of_difficulty_one() {
        let t = Target::from_nbits(0x1d00ffff).unwrap();
        assert_eq!(t, Target::DIFF1);
        assert_eq!(
            t.to_hex(),
            "00000000ffff0000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(t.to_nbits(), 0x1d00ffff);
        assert_eq!(t.difficulty(), 1.0);
        assert_eq!(t.leading_word(), 0);
    }

    #[test]
    fn nbits_round_trip_on_real_blocks() {
        for bits in [0x1b04864c, 0x1a44b9f2, 0x172e4e11, 0x1d00ffff, 0x207fffff] {
            assert_eq!(
                Target::from_nbits(bits).unwrap().to_nbits(),
                bits,
                "{bits:#x}"
            );
        }
        assert_eq!(
            Target::from_nbits(0x1b04864c).unwrap().to_hex(),
            format!("000000000004864c{}", "0".repeat(48))
        );
    }

    #[test]
    fn nbits_small_exponents_and_zero() {
        assert_eq!(Target::from_nbits(0x01123456).unwrap().be_bytes()[31], 0x12);
        assert_eq!(
            Target::from_nbits(0x02123456).unwrap().be_bytes()[30..],
            [0x12, 0x34]
        );
        assert_eq!(
            Target::from_nbits(0x00000000).unwrap(),
            Target::from_be_bytes([0; 32])
        );
        assert_eq!(Target::from_be_bytes([0; 32]).to_nbits(), 0);
        // Sign bit with a zero mantissa is zero, not negative.
        assert_eq!(
            Target::from_nbits(0x04800000).unwrap(),
            Target::from_be_bytes([0; 32])
        );
    }

    #[test]
    fn nbits_canonical_form_moves_sign_bit() {
        let mut b = [0u8; 32];
        b[31] = 0x80;
        assert_eq!(Target::from_be_bytes(b).to_nbits(), 0x02008000);
    }

    #[test]
    fn nbits_negative_is_refused() {
        let err = Target::from_nbits(0x1d80ffff).unwrap_err();
        assert_eq!(err, HashError::NegativeTarget { bits: 0x1d80ffff });
        assert_eq!(
            err.to_string(),
            "nBits 0x1d80ffff encodes a negative target (sign bit 0x00800000 set)"
        );
    }

    #[test]
    fn nbits_overflow_is_refused() {
        for bits in [0x23000001, 0x22000100, 0x21010000, 0xff123456] {
            assert_eq!(
                Target::from_nbits(bits),
                Err(HashError::TargetOverflow { bits }),
                "{bits:#x}"
            );
        }
        // The largest that still fits.
        assert!(Target::from_nbits(0x2100ffff).is_ok());
        assert_eq!(
            Target::from_nbits(0x23000001).unwrap_err().to_string(),
            "nBits 0x23000001 encodes a target wider than 256 bits"
        );
    }

    #[test]
    fn difficulty_to_target() {
        assert_eq!(Target::from_difficulty(1.0).unwrap(), Target::DIFF1);
        assert_eq!(
            Target::from_difficulty(2.0).unwrap().to_hex(),
            "000000007fff8000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            Target::from_difficulty(0.5).unwrap().to_hex(),
            "00000001fffe0000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            Target::from_difficulty(1.0 / 65536.0).unwrap().to_hex(),
            "0000ffff00000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            Target::from_difficulty(65536.0).unwrap().to_hex(),
            format!("000000000000ffff{}", "0".repeat(48))
        );
        // Far below 1 saturates instead of wrapping.
        assert_eq!(Target::from_difficulty(1e-30).unwrap(), Target::MAX);
        // Huge difficulties shrink towards zero without panicking.
        assert_eq!(
            Target::from_difficulty(1e80).unwrap(),
            Target::from_be_bytes([0; 32])
        );
        assert!(Target::from_difficulty(1e60).unwrap() > Target::from_be_bytes([0; 32]));
    }

    #[test]
    fn difficulty_round_trips() {
        for d in [0.001, 0.25, 1.0, 3.5, 1024.0, 1e6, 4.2e12] {
            let back = Target::from_difficulty(d).unwrap().difficulty();
            assert!((back - d).abs() / d < 1e-9, "{d} -> {back}");
        }
    }

    #[test]
    fn bad_difficulty_is_refused() {
        for d in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    Target::from_difficulty(d),
                    Err(HashError::BadDifficulty { .. })
                ),
                "{d}"
            );
        }
    }

    #[test]
    fn hex_form() {
        let t =
            Target::from_hex("00000000ffff0000000000000000000000000000000000000000000000000000")
                .unwrap();
        assert_eq!(t, Target::DIFF1);
        assert!(Target::from_hex("00").is_err());
        assert_eq!(Target::from_be_bytes([0; 32]).difficulty(), f64::INFINITY);
    }
}
