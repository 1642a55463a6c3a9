//! Canonical byte encoding of everything fairdraw hashes or signs (SPEC.md §2).
//!
//! Integers are fixed-width big-endian; every variable-length field (bytes, UTF-8 text, lists)
//! is prefixed with its length as a `u32` big-endian, so no two different values share an
//! encoding. Domain tags are written as length-prefixed ASCII at the start of each hash input.

use crate::hash::Hash32;

/// Appends canonical encodings to a byte buffer.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// Starts an encoding with a domain tag (itself length-prefixed).
    pub fn with_tag(tag: &str) -> Self {
        let mut e = Encoder {
            buf: Vec::with_capacity(128),
        };
        e.bytes(tag.as_bytes());
        e
    }

    /// An empty encoding with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Encoder {
            buf: Vec::with_capacity(n),
        }
    }

    /// Empties the buffer, keeping its allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A `u32`, big-endian.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A `u64`, big-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A 32-byte hash, written as is (fixed width, no prefix).
    pub fn hash(&mut self, h: &Hash32) -> &mut Self {
        self.buf.extend_from_slice(h.as_bytes());
        self
    }

    /// Fixed-width bytes, written as is. Only for fields whose width the spec fixes.
    pub fn fixed(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// Variable-length bytes: `u32` length, then the bytes.
    ///
    /// Lengths above `u32::MAX` cannot occur for anything fairdraw encodes (rules, leaves and
    /// entropy are small); the length saturates rather than wrap so the encoding stays injective
    /// for every input this crate accepts.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.buf.extend_from_slice(b);
        self
    }

    /// UTF-8 text, as variable-length bytes.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// A list: `u32` count, then each item encoded by `f`.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) -> &mut Self {
        let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
        self.u32(len);
        for item in items {
            f(self, item);
        }
        self
    }

    /// An optional value: `0x00`, or `0x01` then the value.
    pub fn option<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
                self
            }
        }
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished encoding.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// SHA-256 of the finished encoding.
    pub fn sha256(&self) -> Hash32 {
        Hash32::sha256(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_and_fields_are_length_prefixed() {
        let mut e = Encoder::with_tag("t");
        e.str("ab").u32(7).u64(1);
        assert_eq!(
            e.as_bytes(),
            &[
                0, 0, 0, 1, b't', 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1
            ]
        );
    }

    #[test]
    fn adjacent_strings_do_not_collide() {
        let mut a = Encoder::default();
        a.str("ab").str("c");
        let mut b = Encoder::default();
        b.str("a").str("bc");
        assert_ne!(a.as_bytes(), b.as_bytes());
    }
}
