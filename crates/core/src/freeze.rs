//! The freeze (SPEC.md §5.6): one signed statement that ends a draw's entries and binds, under
//! a domain tag no other signed object shares, everything the draw depends on up to that moment:
//! the rules hash (the anchor), the ledger's size and RFC 6962 root, its total weight and
//! draw-tree root, and every seed commitment with its party and time.
//!
//! A tree head signed after the close is not a freeze: it has another tag, so its signature
//! can never stand in for one.

use crate::encode::Encoder;
use crate::hash::{Hash32, hex_array};
use crate::seed::SeedCommitment;
use crate::tree_head::{SignatureError, verify_bytes};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

/// Domain tag of the freeze statement.
pub const FREEZE_TAG: &str = "fairdraw/freeze/v2";

/// What the freeze says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    /// The rules hash (the anchor).
    pub rules_hash: Hash32,
    /// The campaign id.
    pub campaign_id: String,
    /// Which draw (from 0).
    pub draw_index: u32,
    /// Number of leaves in the frozen ledger.
    pub tree_size: u64,
    /// Its RFC 6962 root.
    pub root: Hash32,
    /// The sum of its leaves' weights.
    pub total_weight: u64,
    /// The root hash of its draw tree ([`crate::drawtree`]).
    pub draw_root: Hash32,
    /// The seed commitments, in the rules' party order.
    pub commitments: Vec<SeedCommitment>,
    /// When entries stopped (Unix ms): every leaf was acknowledged strictly before.
    pub frozen_at_ms: u64,
}

/// The freeze with the server's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedFreeze {
    /// The statement.
    pub freeze: Freeze,
    /// Ed25519 over [`Freeze::signed_bytes`] under the rules' server key.
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl Freeze {
    /// The freeze of a ledger given as `(weight, leaf hash)` in index order: both trees are
    /// folded here, so the server and the demo compute them one way.
    pub fn of_leaves(
        rules_hash: Hash32,
        campaign_id: &str,
        draw_index: u32,
        leaves: impl IntoIterator<Item = (u32, Hash32)>,
        commitments: Vec<SeedCommitment>,
        frozen_at_ms: u64,
    ) -> Result<Self, crate::drawtree::SumOverflow> {
        let mut tree = crate::merkle::CompactTree::new();
        let mut sums = crate::drawtree::CompactSumTree::new();
        for (weight, hash) in leaves {
            tree.push_hash(hash);
            sums.push(u64::from(weight), hash);
        }
        let draw = sums.root()?;
        Ok(Freeze {
            rules_hash,
            campaign_id: campaign_id.to_owned(),
            draw_index,
            tree_size: tree.size(),
            root: tree.root(),
            total_weight: draw.sum,
            draw_root: draw.hash,
            commitments,
            frozen_at_ms,
        })
    }

    /// The bytes the server signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_tag(FREEZE_TAG);
        e.hash(&self.rules_hash)
            .str(&self.campaign_id)
            .u32(self.draw_index)
            .u64(self.tree_size)
            .hash(&self.root)
            .u64(self.total_weight)
            .hash(&self.draw_root)
            .list(&self.commitments, |e, c| {
                e.str(&c.party).hash(&c.commitment).u64(c.published_at_ms);
            })
            .u64(self.frozen_at_ms);
        e.into_bytes()
    }

    /// `SHA-256` of [`Freeze::signed_bytes`]: what the seed binds.
    pub fn hash(&self) -> Hash32 {
        Hash32::sha256(&self.signed_bytes())
    }

    /// Signs with the server's key.
    pub fn sign(self, key: &SigningKey) -> SignedFreeze {
        let signature = key.sign(&self.signed_bytes()).to_bytes();
        SignedFreeze {
            freeze: self,
            signature,
        }
    }
}

impl SignedFreeze {
    /// Checks the signature under the server's public key.
    pub fn verify(&self, server_key: &[u8; 32]) -> Result<(), SignatureError> {
        verify_bytes(server_key, &self.freeze.signed_bytes(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree_head::{TreeHead, public_key};

    #[test]
    fn a_tree_head_signature_is_not_a_freeze_signature() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let root = Hash32::sha256(b"root");
        let head = TreeHead {
            rules_hash: Hash32::sha256(b"rules"),
            campaign_id: "c".into(),
            draw_index: 0,
            tree_size: 3,
            root,
            timestamp_ms: 9,
        }
        .sign(&key);
        let freeze = Freeze {
            rules_hash: Hash32::sha256(b"rules"),
            campaign_id: "c".into(),
            draw_index: 0,
            tree_size: 3,
            root,
            total_weight: 3,
            draw_root: Hash32::sha256(b"d"),
            commitments: vec![],
            frozen_at_ms: 9,
        };
        let forged = SignedFreeze {
            freeze: freeze.clone(),
            signature: head.signature,
        };
        assert_eq!(
            forged.verify(&public_key(&key)),
            Err(SignatureError::Invalid)
        );
        freeze.sign(&key).verify(&public_key(&key)).expect("valid");
    }
}
