//! Shared test helpers: vectors and a seeded generator.

use amber::hash::Header;

/// The real block headers of tests/vectors/blocks.txt.
pub fn block_headers() -> Vec<Header> {
    let text = include_str!("vectors/blocks.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let hex = l
                .split_whitespace()
                .next()
                .expect("a data line starts with the header");
            Header::from_hex(hex).expect("blocks.txt headers parse")
        })
        .collect()
}

/// Seed for randomized tests: `AMBER_TEST_SEED` if set, else from the clock.
/// Tests print it in their failure messages.
pub fn seed() -> u64 {
    match std::env::var("AMBER_TEST_SEED") {
        Ok(text) => text.parse().expect("AMBER_TEST_SEED is a decimal u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

/// SplitMix64: small, seedable, good enough for test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}
