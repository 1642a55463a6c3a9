//! Public ledger leaves: what one accepted receipt publishes, and its canonical bytes
//! (SPEC.md §5.1). No phone number, name or invoice number ever appears here, and not even the
//! masked phone: a leaf carries only a commitment to it, opened in the record for winners and
//! alternates.

use crate::civil::CivilDate;
use crate::encode::Encoder;
use crate::hash::{Hash32, hex_array};
use crate::merkle::CompactTree;
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Version byte at the start of every leaf encoding.
pub const LEAF_VERSION: u8 = 2;
/// Domain tag of the masked-phone commitment.
pub const PHONE_TAG: &str = "fairdraw/phone/v2";

/// `SHA-256(tag("fairdraw/phone/v2") ‖ fixed(salt, 16) ‖ lp(phone_masked))` (SPEC.md §5.1): the
/// random salt, kept on the server, stops anyone testing the 10⁴ possible masked phones.
pub fn phone_commitment(salt: &[u8; 16], phone_masked: &str) -> Hash32 {
    let mut e = Encoder::with_tag(PHONE_TAG);
    e.fixed(salt).str(phone_masked);
    e.sha256()
}

/// What opens a leaf's phone commitment: published for winners and alternates only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneOpening {
    /// The masked phone (`138****1234`).
    pub phone_masked: String,
    /// The leaf's 16-byte salt.
    #[serde(with = "hex_array")]
    pub phone_salt: [u8; 16],
}

impl PhoneOpening {
    /// The commitment this opening opens.
    pub fn commitment(&self) -> Hash32 {
        phone_commitment(&self.phone_salt, &self.phone_masked)
    }
}

/// A 128-bit random ticket id. Knowing it is the capability to look the ticket up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(#[serde(with = "hex_array")] pub [u8; 16]);

impl TicketId {
    /// Lowercase hex (32 digits).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        crate::hash::fixed_hex::<16>(s).ok().map(TicketId)
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({})", self.to_hex())
    }
}

/// One public ledger leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// Leaf format version ([`LEAF_VERSION`]).
    pub v: u8,
    /// Position in the draw's ledger, from 0. Not part of the leaf bytes: the position is.
    pub index: u64,
    /// The ticket id.
    pub ticket_id: TicketId,
    /// Keyed pseudonym of the participant: one per phone number and draw.
    pub participant: Hash32,
    /// Keyed fingerprint of the receipt.
    pub fingerprint: Hash32,
    /// Commitment to the masked phone ([`phone_commitment`]), opened if this leaf is placed.
    pub phone_commitment: Hash32,
    /// The merchant id.
    pub merchant_id: String,
    /// The amount paid.
    pub amount_fen: Fen,
    /// The receipt date.
    pub date: CivilDate,
    /// Chances (≥ 1).
    pub weight: u32,
    /// When the server accepted it (Unix ms).
    pub entered_at_ms: u64,
}

impl Leaf {
    /// The canonical leaf bytes hashed into the tree.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(160);
        self.encode(&mut e);
        e.into_bytes()
    }

    /// Appends the canonical leaf bytes to an encoder.
    pub fn encode(&self, e: &mut Encoder) {
        e.u8(self.v)
            .fixed(&self.ticket_id.0)
            .hash(&self.participant)
            .hash(&self.fingerprint)
            .hash(&self.phone_commitment)
            .str(&self.merchant_id)
            .u64(self.amount_fen.0)
            .u32(self.date.yyyymmdd())
            .u32(self.weight)
            .u64(self.entered_at_ms);
    }

    /// `SHA-256(0x00 ‖ canonical bytes)`.
    pub fn leaf_hash(&self) -> Hash32 {
        self.leaf_hash_in(&mut Encoder::with_capacity(160))
    }

    /// [`Leaf::leaf_hash`], encoding into `buf` (cleared first) so a caller hashing many leaves
    /// reuses one allocation.
    pub fn leaf_hash_in(&self, buf: &mut Encoder) -> Hash32 {
        buf.clear();
        buf.u8(crate::merkle::LEAF_PREFIX);
        self.encode(buf);
        buf.sha256()
    }
}

/// Why a ledger could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerError {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ledger line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for LedgerError {}

/// Parses one JSONL line as a leaf and checks it is well-formed at position `expected_index`.
pub fn parse_leaf_line(line: &str, expected_index: u64) -> Result<Leaf, LedgerError> {
    let at = expected_index + 1;
    let leaf: Leaf = serde_json::from_str(line).map_err(|e| LedgerError {
        line: at,
        problem: e.to_string(),
    })?;
    if leaf.v != LEAF_VERSION {
        return Err(LedgerError {
            line: at,
            problem: format!("unknown leaf version {}", leaf.v),
        });
    }
    if leaf.index != expected_index {
        return Err(LedgerError {
            line: at,
            problem: format!("index {} where {} was expected", leaf.index, expected_index),
        });
    }
    if leaf.weight == 0 {
        return Err(LedgerError {
            line: at,
            problem: "weight 0".into(),
        });
    }
    Ok(leaf)
}

/// A ledger read into memory: the leaves and their hashes, in order.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The leaves.
    pub leaves: Vec<Leaf>,
    /// Their leaf hashes.
    pub hashes: Vec<Hash32>,
}

impl Ledger {
    /// Appends one leaf (its index must be the next position).
    pub fn push(&mut self, leaf: Leaf) {
        self.hashes.push(leaf.leaf_hash());
        self.leaves.push(leaf);
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Each leaf's weight and leaf hash, in index order: what the draw tree and the freeze fold.
    pub fn weighted(&self) -> impl Iterator<Item = (u32, Hash32)> + '_ {
        self.leaves
            .iter()
            .map(|l| l.weight)
            .zip(self.hashes.iter().copied())
    }

    /// The RFC 6962 root.
    pub fn root(&self) -> Hash32 {
        crate::merkle::root_of(&self.hashes)
    }

    /// Parses JSONL text (blank lines ignored), calling `progress` with each leaf count read.
    pub fn from_jsonl(text: &str, mut progress: impl FnMut(u64)) -> Result<Self, LedgerError> {
        let mut ledger = Ledger::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let leaf = parse_leaf_line(line, ledger.size())?;
            ledger.push(leaf);
            progress(ledger.size());
        }
        Ok(ledger)
    }

    /// The ledger as JSONL, one leaf a line.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for leaf in &self.leaves {
            // Serialising a plain struct of strings and integers cannot fail.
            if let Ok(s) = serde_json::to_string(leaf) {
                out.push_str(&s);
                out.push('\n');
            }
        }
        out
    }

    /// A compact tree over the same leaves.
    pub fn compact_tree(&self) -> CompactTree {
        let mut t = CompactTree::new();
        for h in &self.hashes {
            t.push_hash(*h);
        }
        t
    }
}
