//! The ChaCha20 stream and the unbiased integer sampler (SPEC.md §7.1–7.2).
//!
//! The stream is exactly rand_chacha's `ChaCha20Rng` keyed by the 32-byte seed: djb ChaCha20,
//! 20 rounds, zero nonce, block counter from 0, little-endian 32-bit words; a `u64` is
//! `lo | hi << 32` of two consecutive words. The sampler uses only `next_u64`, never rand's
//! distributions, so its output is fixed by this file and SPEC.md, not by a library version.

use crate::hash::Hash32;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::num::NonZeroU64;

/// The draw's random stream, counting the 64-bit words it hands out.
#[derive(Debug, Clone)]
pub struct DrawStream {
    rng: ChaCha20Rng,
    words: u64,
}

impl DrawStream {
    /// The stream keyed by `seed`.
    pub fn new(seed: &Hash32) -> Self {
        DrawStream {
            rng: ChaCha20Rng::from_seed(seed.0),
            words: 0,
        }
    }

    /// The next 64-bit word.
    pub fn next_u64(&mut self) -> u64 {
        self.words += 1;
        self.rng.next_u64()
    }

    /// The next 32-bit word (for the ChaCha20 test vectors; the sampler never uses it).
    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// How many 64-bit words have been drawn.
    pub fn words_used(&self) -> u64 {
        self.words
    }

    /// A uniform integer in `0..n`, by rejection: with `r = 2^64 mod n`, draw `x` until
    /// `x < 2^64 − r`, then return `x mod n`. Exactly uniform for every `n` in `1..=2^64−1`;
    /// for any `n` the expected number of draws is below 2.
    pub fn uniform_below(&mut self, n: NonZeroU64) -> u64 {
        let n = n.get();
        // 2^64 mod n, computed as (2^64 − n) mod n in u64 arithmetic.
        let r = n.wrapping_neg() % n;
        let max_accept = u64::MAX - r; // accept x ≤ 2^64 − 1 − r
        loop {
            let x = self.next_u64();
            if x <= max_accept {
                return x % n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha20_zero_key_words() {
        let mut s = DrawStream::new(&Hash32([0; 32]));
        let words: Vec<u32> = (0..16).map(|_| s.next_u32()).collect();
        assert_eq!(
            &words[..4],
            &[0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653]
        );
        assert_eq!(s.next_u32(), 0xbee7079f);
        let mut s = DrawStream::new(&Hash32([0; 32]));
        assert_eq!(s.next_u64(), 0x903df1a0_ade0b876);
    }

    #[test]
    fn sampler_bounds_and_rejection() {
        let mut s = DrawStream::new(&Hash32([1; 32]));
        for n in [
            1u64,
            2,
            3,
            7,
            1 << 32,
            (1 << 32) + 1,
            (1 << 63) + 1,
            u64::MAX,
        ] {
            let n = NonZeroU64::new(n).expect("non-zero");
            for _ in 0..200 {
                assert!(s.uniform_below(n) < n.get());
            }
        }
        assert_eq!(s.uniform_below(NonZeroU64::MIN), 0);
        // n = 2^63 + 1 rejects almost half of all words: the counter shows it happening.
        let mut s = DrawStream::new(&Hash32([2; 32]));
        let n = NonZeroU64::new((1 << 63) + 1).expect("non-zero");
        for _ in 0..1000 {
            s.uniform_below(n);
        }
        assert!(s.words_used() > 1500, "{}", s.words_used());
    }
}
