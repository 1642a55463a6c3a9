//! Seed commitments, reveals, and the seed itself (SPEC.md §6).
//!
//! Each seed party makes a 32-byte secret on its own device and publishes only the commitment
//! before the draw's entry window closes. After the freeze the secrets are revealed; the seed
//! hashes every input of the draw, each length-prefixed, under one domain tag.

use crate::encode::Encoder;
use crate::entropy::PublicEntropy;
use crate::hash::{Hash32, hex_array};
use serde::{Deserialize, Serialize};

/// Domain tag of seed commitments.
pub const COMMIT_TAG: &str = "fairdraw/seed-commit/v1";
/// Domain tag of the seed.
pub const SEED_TAG: &str = "fairdraw/seed/v2";

/// A 32-byte seed secret. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeedSecret(#[serde(with = "hex_array")] pub [u8; 32]);

impl std::fmt::Debug for SeedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeedSecret(…)")
    }
}

/// `SHA-256(tag ‖ rules hash ‖ draw index ‖ party ‖ secret)`: binding the commitment to the
/// campaign, draw and party stops it being replayed anywhere else.
pub fn commitment(
    rules_hash: &Hash32,
    draw_index: u32,
    party: &str,
    secret: &SeedSecret,
) -> Hash32 {
    let mut e = Encoder::with_tag(COMMIT_TAG);
    e.hash(rules_hash)
        .u32(draw_index)
        .str(party)
        .fixed(&secret.0);
    e.sha256()
}

/// The file a seed holder keeps (`fairdraw/seed-secret/v1`, JSON): the secret, with what it is
/// for and its commitment, so the holder can check it before revealing. The browser's ceremony
/// saves it; the live draw screen reads it; the server's demo writes the demo's.
pub fn secret_file(
    rules: &crate::rules::CampaignRules,
    draw_index: u32,
    party: &str,
    secret: &SeedSecret,
) -> String {
    let rules_hash = rules.hash();
    let v = serde_json::json!({
        "fairdraw": "seed-secret/v1",
        "campaign": rules.id,
        "draw_index": draw_index,
        "party": party,
        "rules_hash": rules_hash,
        "commitment": commitment(&rules_hash, draw_index, party, secret),
        "secret": hex::encode(secret.0),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// A published commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCommitment {
    /// The party's name, as in the rules.
    pub party: String,
    /// The commitment.
    pub commitment: Hash32,
    /// When the server recorded it (Unix ms).
    pub published_at_ms: u64,
}

/// A revealed secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    /// The party's name.
    pub party: String,
    /// The secret.
    pub secret: SeedSecret,
    /// When the server received it (Unix ms): after the freeze, by the reveal deadline.
    pub revealed_at_ms: u64,
}

/// Everything the seed is derived from.
#[derive(Debug, Clone, Copy)]
pub struct SeedInputs<'a> {
    /// The hash of the freeze statement ([`crate::freeze::Freeze::hash`]), which binds the
    /// rules hash, the draw, the frozen ledger (size, root, total weight, draw-tree root) and
    /// the commitments.
    pub freeze_hash: &'a Hash32,
    /// Reveals, in the rules' party order.
    pub reveals: &'a [Reveal],
    /// The public entropy.
    pub entropy: &'a PublicEntropy,
}

/// The seed's canonical input bytes (SPEC.md §6.4).
pub fn seed_input_bytes(i: &SeedInputs<'_>) -> Vec<u8> {
    let mut e = Encoder::with_tag(SEED_TAG);
    e.hash(i.freeze_hash);
    e.list(i.reveals, |e, r| {
        e.str(&r.party).fixed(&r.secret.0);
    });
    i.entropy.encode(&mut e);
    e.into_bytes()
}

/// The seed: SHA-256 of [`seed_input_bytes`].
pub fn derive_seed(i: &SeedInputs<'_>) -> Hash32 {
    Hash32::sha256(&seed_input_bytes(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_everything() {
        let rh = Hash32::sha256(b"rules");
        let s = SeedSecret([5; 32]);
        let c = commitment(&rh, 0, "organizer", &s);
        assert_ne!(c, commitment(&rh, 1, "organizer", &s));
        assert_ne!(c, commitment(&rh, 0, "notary", &s));
        assert_ne!(c, commitment(&Hash32::sha256(b"x"), 0, "organizer", &s));
        assert_ne!(c, commitment(&rh, 0, "organizer", &SeedSecret([6; 32])));
        assert_eq!(format!("{s:?}"), "SeedSecret(…)");
    }
}
