//! RFC 3797 "Publicly Verifiable Nominations Committee (NomCom) Random Selection".
//!
//! Key string (§4): each source's values are non-negative integers, sorted ascending, written in
//! decimal without leading zeros, each followed by `.`; each source is closed by `/`.
//! Selection (§5, reference code §7): draw `i` hashes `u16be(i) ‖ key ‖ u16be(i)` with MD5,
//! reads the digest as a big-endian 128-bit integer, and takes it modulo the number of entries
//! still unselected; remainder `k` picks the `(k+1)`-th unselected entry in pool order.

use md5::{Digest, Md5};
use std::fmt;

/// A source text that does not normalise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// A source has no values.
    EmptySource {
        /// 0-based source position.
        source: usize,
    },
    /// A value is not a string of decimal digits.
    NotAnInteger {
        /// 0-based source position.
        source: usize,
        /// The offending token.
        token: String,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptySource { source } => write!(f, "source {} has no values", source + 1),
            Self::NotAnInteger { source, token } => {
                write!(
                    f,
                    "source {}: {token:?} is not a non-negative integer",
                    source + 1
                )
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Builds the key string from each source's published values (tokens separated by spaces,
/// commas or semicolons; full-width digits accepted).
pub fn key_string<S: AsRef<str>>(sources: &[S]) -> Result<String, KeyError> {
    let mut key = String::new();
    for (source, text) in sources.iter().enumerate() {
        let ascii = crate::money::fullwidth_to_ascii(text.as_ref());
        let mut values: Vec<&str> = Vec::new();
        for token in ascii.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
            if token.is_empty() {
                continue;
            }
            if !token.bytes().all(|b| b.is_ascii_digit()) {
                return Err(KeyError::NotAnInteger {
                    source,
                    token: token.to_owned(),
                });
            }
            let trimmed = token.trim_start_matches('0');
            values.push(if trimmed.is_empty() { "0" } else { trimmed });
        }
        if values.is_empty() {
            return Err(KeyError::EmptySource { source });
        }
        // Numeric order of digit strings without leading zeros: shorter first, then lexical.
        values.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        for v in values {
            key.push_str(v);
            key.push('.');
        }
        key.push('/');
    }
    Ok(key)
}

/// The 128-bit value of draw `i`.
pub fn draw_value(key: &str, i: u16) -> u128 {
    let mut h = Md5::new();
    h.update(i.to_be_bytes());
    h.update(key.as_bytes());
    h.update(i.to_be_bytes());
    u128::from_be_bytes(h.finalize().into())
}

/// The MD5 digest of draw `i`, as uppercase hex (the RFC's table form).
pub fn draw_digest_hex(key: &str, i: u16) -> String {
    format!("{:032X}", draw_value(key, i))
}

/// Why a plain RFC 3797 selection cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// The pool has no entries.
    EmptyPool,
    /// More picks than the 65 536 draws a 16-bit draw number allows.
    TooManyPicks,
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyPool => "the pool must hold at least one entry",
            Self::TooManyPicks => "RFC 3797 numbers its draws with 16 bits: at most 65536 picks",
        })
    }
}

impl std::error::Error for SelectError {}

/// Plain RFC 3797 selection from a pool of `pool` entries (any size up to 2⁶⁴ − 1): up to
/// `pick` 1-based positions, in order. Memory grows with the picks, not the pool: the
/// `(k+1)`-th remaining position is found by stepping over the removed ones, kept sorted.
pub fn select(key: &str, pool: u64, pick: u64) -> Result<Vec<u64>, SelectError> {
    if pool == 0 {
        return Err(SelectError::EmptyPool);
    }
    if pick > 65_536 {
        return Err(SelectError::TooManyPicks);
    }
    let want = pick.min(pool);
    let mut removed: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    let mut i: u16 = 0;
    while (out.len() as u64) < want {
        let remaining = pool - removed.len() as u64;
        let k = (draw_value(key, i) % u128::from(remaining)) as u64;
        // The k-th (0-based) position not yet removed.
        let mut x = k;
        for r in &removed {
            if *r <= x {
                x += 1;
            } else {
                break;
            }
        }
        let at = removed.partition_point(|r| *r < x);
        removed.insert(at, x);
        out.push(x + 1);
        match i.checked_add(1) {
            Some(n) => i = n,
            None => break,
        }
    }
    Ok(out)
}

/// The key a `rfc3797-md5-v2` draw selects with (SPEC.md §8): the RFC 3797 key string of the
/// public numbers, then the lowercase hex of the freeze hash and `/`. The freeze hash binds
/// the campaign, the draw and its frozen ledger, so two draws that use the same lottery
/// numbers pick independently.
pub fn draw_key(key: &str, freeze_hash: &crate::hash::Hash32) -> String {
    format!("{key}{}/", freeze_hash.to_hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3797_section_6() {
        let key = key_string(&["9319", "2 5 12 8 10", "9 18 26 34 41 45"]).expect("key");
        assert_eq!(key, "9319./2.5.8.10.12./9.18.26.34.41.45./");
        assert_eq!(draw_digest_hex(&key, 0), "990DD0A5692A029A98B5E01AA28F3459");
        assert_eq!(draw_digest_hex(&key, 9), "31CB111C4A4EBE9287CEAE16FE51B909");
        assert_eq!(
            select(&key, 25, 10),
            Ok(vec![17, 7, 2, 16, 25, 23, 8, 24, 19, 13])
        );
        // Memory follows the picks: a pool of 10^11 costs nothing.
        assert_eq!(select(&key, 100_000_000_000, 1).map(|v| v.len()), Ok(1));
        assert_eq!(select(&key, 0, 1), Err(SelectError::EmptyPool));
        assert_eq!(select(&key, 5, 70_000), Err(SelectError::TooManyPicks));
        assert_eq!(select(&key, 3, 10).map(|v| v.len()), Ok(3));
    }

    #[test]
    fn stepping_over_removed_positions_equals_the_pool_in_memory() {
        // The earlier implementation held the whole pool in a Fenwick tree; both must agree.
        for pool in [1u64, 2, 7, 25, 100, 513] {
            let key = format!("{pool}./");
            let mut tree = crate::draw::WeightTree::new(&vec![1u32; pool as usize]);
            let mut expected = Vec::new();
            for i in 0..pool.min(40) {
                let k = (draw_value(&key, i as u16) % u128::from(tree.total())) as u64;
                let idx = tree.find(k);
                tree.take_one(idx);
                expected.push(idx as u64 + 1);
            }
            assert_eq!(select(&key, pool, 40), Ok(expected), "pool {pool}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(key_string(&["007 0 10 9"]).expect("key"), "0.7.9.10./");
        assert!(matches!(
            key_string(&["1.5"]),
            Err(KeyError::NotAnInteger { .. })
        ));
        assert_eq!(key_string(&[" "]), Err(KeyError::EmptySource { source: 0 }));
    }
}
