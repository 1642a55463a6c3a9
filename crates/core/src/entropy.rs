//! Public entropy: a drand quicknet beacon and RFC 3797-style public numbers (SPEC.md §6.2).
//!
//! Both are values nobody could know at the freeze. A drand beacon is checked offline: its BLS
//! signature verifies under the quicknet group key, and its randomness is SHA-256 of the
//! signature. Public numbers are normalised exactly as RFC 3797 does.

use crate::encode::Encoder;
use crate::hash::{Hash32, hex_vec};
use drand_verify::{G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// drand quicknet group public key (G2, compressed).
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
/// quicknet genesis (Unix seconds).
pub const QUICKNET_GENESIS_S: u64 = 1_692_803_367;
/// quicknet period (seconds).
pub const QUICKNET_PERIOD_S: u64 = 3;

/// The Unix millisecond at which quicknet round `round` (≥ 1) is published.
pub fn quicknet_round_time_ms(round: u64) -> u64 {
    (QUICKNET_GENESIS_S + round.saturating_sub(1) * QUICKNET_PERIOD_S) * 1000
}

/// The first quicknet round published strictly after `ms`.
pub fn quicknet_round_after(ms: u64) -> u64 {
    let genesis_ms = QUICKNET_GENESIS_S * 1000;
    if ms < genesis_ms {
        return 1;
    }
    (ms - genesis_ms) / (QUICKNET_PERIOD_S * 1000) + 2
}

/// A drand beacon as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrandBeacon {
    /// The round.
    pub round: u64,
    /// The BLS signature (48 bytes, G1 compressed).
    #[serde(with = "hex_vec")]
    pub signature: Vec<u8>,
    /// SHA-256 of the signature.
    pub randomness: Hash32,
}

/// Public numbers as published, one text per source, in the rules' order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicNumbers {
    /// Each source's values as typed (`"03 11 17 22 28 33 | 09"`).
    pub values: Vec<String>,
    /// The RFC 3797 key string they normalise to.
    pub key: String,
}

impl PublicNumbers {
    /// Reads the values by the rules' description of each source into their key string.
    pub fn from_values(
        spec: &crate::rules::PublicNumbersSpec,
        values: Vec<String>,
    ) -> Result<Self, crate::numbers::NumbersError> {
        let key = crate::numbers::key_string(spec, &values)?;
        Ok(PublicNumbers { values, key })
    }
}

/// The public entropy of one draw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicEntropy {
    /// The drand beacon, when the rules name one.
    pub drand: Option<DrandBeacon>,
    /// The public numbers, when the rules name them.
    pub public_numbers: Option<PublicNumbers>,
}

impl PublicEntropy {
    /// Appends the canonical encoding (SPEC.md §6.4).
    pub fn encode(&self, e: &mut Encoder) {
        e.option(self.drand.as_ref(), |e, d| {
            e.u64(d.round).bytes(&d.signature).hash(&d.randomness);
        });
        e.option(self.public_numbers.as_ref(), |e, p| {
            e.str(&p.key);
        });
    }
}

/// Why a drand beacon was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrandError {
    /// The signature is not 48 bytes or not a point on G1.
    MalformedSignature,
    /// The signature does not verify for this round under the quicknet key.
    BadSignature,
    /// The randomness is not SHA-256 of the signature.
    RandomnessMismatch,
}

impl DrandError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedSignature => "DRAND_MALFORMED_SIGNATURE",
            Self::BadSignature => "DRAND_BAD_SIGNATURE",
            Self::RandomnessMismatch => "DRAND_RANDOMNESS_MISMATCH",
        }
    }
}

impl fmt::Display for DrandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MalformedSignature => "the drand signature is not a valid G1 point",
            Self::BadSignature => "the drand signature does not verify under the quicknet key",
            Self::RandomnessMismatch => "the drand randomness is not SHA-256 of the signature",
        })
    }
}

impl std::error::Error for DrandError {}

/// Verifies a quicknet beacon: BLS signature on `SHA-256(u64be(round))`, then randomness.
pub fn verify_quicknet(round: u64, signature: &[u8]) -> Result<Hash32, DrandError> {
    let mut pk = [0u8; 96];
    // The constant is 96 bytes of valid hex.
    hex::decode_to_slice(QUICKNET_PUBLIC_KEY, &mut pk).map_err(|_| DrandError::BadSignature)?;
    let key = G2PubkeyRfc::from_fixed(pk).map_err(|_| DrandError::BadSignature)?;
    if signature.len() != 48 {
        return Err(DrandError::MalformedSignature);
    }
    match key.verify(round, &[], signature) {
        Ok(true) => Ok(Hash32::sha256(signature)),
        Ok(false) => Err(DrandError::BadSignature),
        Err(_) => Err(DrandError::MalformedSignature),
    }
}

/// Verifies a published quicknet beacon (round 123), for a fresh WebAssembly instance to run
/// its pairing code once while it waits for input: engines compile hot code optimised only
/// after it has run. Returns whether it verified (it always should).
pub fn warm_up() -> bool {
    const ROUND_123: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
    let mut sig = [0u8; 48];
    hex::decode_to_slice(ROUND_123, &mut sig).is_ok() && verify_quicknet(123, &sig).is_ok()
}

impl DrandBeacon {
    /// Verifies the signature and the randomness.
    pub fn verify(&self) -> Result<(), DrandError> {
        let randomness = verify_quicknet(self.round, &self.signature)?;
        if randomness != self.randomness {
            return Err(DrandError::RandomnessMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_verifies_its_beacon() {
        assert!(warm_up());
    }

    #[test]
    fn published_quicknet_rounds() {
        let sig = hex::decode("b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92").expect("hex");
        assert_eq!(
            verify_quicknet(123, &sig).map(|h| h.to_hex()),
            Ok("fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc".into())
        );
        assert_eq!(verify_quicknet(124, &sig), Err(DrandError::BadSignature));
        assert_eq!(
            verify_quicknet(123, &sig[1..]),
            Err(DrandError::MalformedSignature)
        );
    }

    #[test]
    fn round_times() {
        assert_eq!(quicknet_round_time_ms(1), QUICKNET_GENESIS_S * 1000);
        let r = quicknet_round_after(1_800_000_000_000);
        assert!(quicknet_round_time_ms(r) > 1_800_000_000_000);
        assert!(quicknet_round_time_ms(r - 1) <= 1_800_000_000_000);
    }
}
