//! 32-byte SHA-256 values, with hex (de)serialisation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 output (or any other 32-byte value fairdraw treats as opaque: seeds, secrets,
/// keyed pseudonyms). Serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    /// SHA-256 of `data`.
    pub fn sha256(data: &[u8]) -> Self {
        Hash32(Sha256::digest(data).into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses exactly 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Self, HexError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out).map_err(|_| HexError {
            expected_bytes: 32,
            got_chars: s.trim().len(),
        })?;
        Ok(Hash32(out))
    }
}

/// A hex string that is not the expected number of bytes, or not hex at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexError {
    /// How many bytes the field holds.
    pub expected_bytes: usize,
    /// How many characters were given.
    pub got_chars: usize,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} hex digits ({} bytes), got {} characters or non-hex digits",
            self.expected_bytes * 2,
            self.expected_bytes,
            self.got_chars
        )
    }
}

impl std::error::Error for HexError {}

/// Parses hex of an exact byte length.
pub fn fixed_hex<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s.trim(), &mut out).map_err(|_| HexError {
        expected_bytes: N,
        got_chars: s.trim().len(),
    })?;
    Ok(out)
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({})", self.to_hex())
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Hash32::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for fixed-size byte arrays as hex (`#[serde(with = "crate::hash::hex_array")]`).
pub mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes lowercase hex.
    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads exactly `N` bytes of hex.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::fixed_hex::<N>(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for variable-length bytes as hex.
pub mod hex_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes lowercase hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads hex of any even length.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.trim()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256() {
        assert_eq!(
            Hash32::sha256(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_roundtrip_and_errors() {
        let h = Hash32::sha256(b"x");
        assert_eq!(Hash32::from_hex(&h.to_hex()), Ok(h));
        assert!(Hash32::from_hex("00").is_err());
        assert!(Hash32::from_hex(&"zz".repeat(32)).is_err());
    }
}
