//! Signed tree heads and signed ticket promises (SPEC.md §5.3), Ed25519 over canonical bytes.
//!
//! The server signs; the core verifies. The signing key never leaves the server.

use crate::encode::Encoder;
use crate::hash::{Hash32, hex_array};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Domain tag of tree head signatures.
pub const TREE_HEAD_TAG: &str = "fairdraw/tree-head/v2";
/// Domain tag of ticket promises.
pub const PROMISE_TAG: &str = "fairdraw/promise/v2";

/// A tree head: the ledger of one draw at one size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// The rules hash (the anchor) the ledger runs under.
    pub rules_hash: Hash32,
    /// The campaign id.
    pub campaign_id: String,
    /// Which draw (from 0).
    pub draw_index: u32,
    /// Number of leaves.
    pub tree_size: u64,
    /// RFC 6962 root.
    pub root: Hash32,
    /// When it was signed (Unix ms). A tree head is never a freeze: see [`crate::freeze`].
    pub timestamp_ms: u64,
}

/// A tree head with the server's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// The head.
    pub head: TreeHead,
    /// Ed25519 signature over [`TreeHead::signed_bytes`].
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl TreeHead {
    /// The bytes the server signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_tag(TREE_HEAD_TAG);
        e.hash(&self.rules_hash)
            .str(&self.campaign_id)
            .u32(self.draw_index)
            .u64(self.tree_size)
            .hash(&self.root)
            .u64(self.timestamp_ms);
        e.into_bytes()
    }

    /// Signs with the server's key.
    pub fn sign(self, key: &SigningKey) -> SignedTreeHead {
        let signature = key.sign(&self.signed_bytes()).to_bytes();
        SignedTreeHead {
            head: self,
            signature,
        }
    }
}

/// A signature that does not verify, or a key that is not a valid Ed25519 point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The public key bytes are not a valid key.
    BadKey,
    /// The signature does not verify under the key.
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadKey => f.write_str("the server key is not a valid Ed25519 public key"),
            Self::Invalid => f.write_str("the signature does not verify under the server key"),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Ed25519 verification as SPEC.md §5.3 states it: RFC 8032 with the public key `A` required to
/// be a canonical encoding of a point not of small order, `S < L`, `R` not of small order and
/// equal byte for byte to the canonical encoding of `[S]B − [k]A` (ed25519-dalek's
/// `verify_strict`, plus the canonical-`A` check it leaves out).
pub fn verify_bytes(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), SignatureError> {
    let point = curve25519_dalek::edwards::CompressedEdwardsY(*key)
        .decompress()
        .ok_or(SignatureError::BadKey)?;
    if point.compress().to_bytes() != *key || point.is_small_order() {
        return Err(SignatureError::BadKey);
    }
    let key = VerifyingKey::from_bytes(key).map_err(|_| SignatureError::BadKey)?;
    key.verify_strict(msg, &Signature::from_bytes(sig))
        .map_err(|_| SignatureError::Invalid)
}

impl SignedTreeHead {
    /// Checks the signature under the server's public key.
    pub fn verify(&self, server_key: &[u8; 32]) -> Result<(), SignatureError> {
        verify_bytes(server_key, &self.head.signed_bytes(), &self.signature)
    }
}

/// The server's signed promise, handed out with a ticket, that a leaf is in the ledger at an
/// index: like a Certificate Transparency SCT. Proven later by an inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketPromise {
    /// The rules hash (the anchor) the ticket was issued under.
    pub rules_hash: Hash32,
    /// The campaign id.
    pub campaign_id: String,
    /// Which draw.
    pub draw_index: u32,
    /// The leaf's index.
    pub leaf_index: u64,
    /// The leaf hash.
    pub leaf_hash: Hash32,
    /// When the server accepted the entry (Unix ms).
    pub timestamp_ms: u64,
    /// Ed25519 signature over [`TicketPromise::signed_bytes`].
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl TicketPromise {
    /// The bytes the server signs.
    pub fn signed_bytes(
        rules_hash: &Hash32,
        campaign_id: &str,
        draw_index: u32,
        leaf_index: u64,
        leaf_hash: &Hash32,
        timestamp_ms: u64,
    ) -> Vec<u8> {
        let mut e = Encoder::with_tag(PROMISE_TAG);
        e.hash(rules_hash)
            .str(campaign_id)
            .u32(draw_index)
            .u64(leaf_index)
            .hash(leaf_hash)
            .u64(timestamp_ms);
        e.into_bytes()
    }

    /// Makes and signs a promise.
    pub fn sign(
        key: &SigningKey,
        rules_hash: Hash32,
        campaign_id: &str,
        draw_index: u32,
        leaf_index: u64,
        leaf_hash: Hash32,
        timestamp_ms: u64,
    ) -> Self {
        let msg = Self::signed_bytes(
            &rules_hash,
            campaign_id,
            draw_index,
            leaf_index,
            &leaf_hash,
            timestamp_ms,
        );
        TicketPromise {
            rules_hash,
            campaign_id: campaign_id.to_owned(),
            draw_index,
            leaf_index,
            leaf_hash,
            timestamp_ms,
            signature: key.sign(&msg).to_bytes(),
        }
    }

    /// Checks the signature.
    pub fn verify(&self, server_key: &[u8; 32]) -> Result<(), SignatureError> {
        let msg = Self::signed_bytes(
            &self.rules_hash,
            &self.campaign_id,
            self.draw_index,
            self.leaf_index,
            &self.leaf_hash,
            self.timestamp_ms,
        );
        verify_bytes(server_key, &msg, &self.signature)
    }
}

/// The public key of a signing key, as bytes.
pub fn public_key(key: &SigningKey) -> [u8; 32] {
    key.verifying_key().to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let head = TreeHead {
            rules_hash: Hash32::sha256(b"rules"),
            campaign_id: "c".into(),
            draw_index: 0,
            tree_size: 3,
            root: Hash32::sha256(b"r"),
            timestamp_ms: 1,
        };
        let sth = head.sign(&key);
        sth.verify(&public_key(&key)).expect("valid");
        let mut bad = sth.clone();
        bad.head.tree_size = 4;
        assert_eq!(bad.verify(&public_key(&key)), Err(SignatureError::Invalid));
        let json = serde_json::to_string(&sth).expect("json");
        assert_eq!(
            serde_json::from_str::<SignedTreeHead>(&json).expect("parse"),
            sth
        );
        let p = TicketPromise::sign(
            &key,
            Hash32::sha256(b"rules"),
            "c",
            0,
            2,
            Hash32::sha256(b"l"),
            5,
        );
        p.verify(&public_key(&key)).expect("valid");
        assert!(p.verify(&[0; 32]).is_err());
        // A small-order key (the identity point) never verifies anything.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            verify_bytes(&identity, b"m", &[0; 64]),
            Err(SignatureError::BadKey)
        );
    }
}
