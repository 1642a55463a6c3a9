//! RFC 6962 (Certificate Transparency) Merkle trees: hashes, an incremental tree, inclusion and
//! consistency proofs (SPEC.md §5.2). Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.

use crate::hash::Hash32;
use sha2::{Digest, Sha256};
use std::fmt;

/// Prefix of a leaf hash input (RFC 6962 §2.1).
pub const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an interior node hash input.
pub const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(leaf);
    Hash32(h.finalize().into())
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left.0);
    h.update(right.0);
    Hash32(h.finalize().into())
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash32 {
    Hash32::sha256(&[])
}

/// An append-only tree that keeps only the roots of its perfect subtrees (one per set bit of
/// the size): O(log n) memory, amortised O(1) hashes per append, O(log n) for the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactTree {
    size: u64,
    /// Perfect-subtree roots from the largest (leftmost) to the smallest.
    frontier: Vec<Hash32>,
}

impl CompactTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its leaf hash.
    pub fn push_hash(&mut self, mut h: Hash32) {
        // Each trailing one bit of the old size is a perfect subtree that merges with the new one.
        let mut merges = self.size.trailing_ones();
        while merges > 0 {
            let Some(left) = self.frontier.pop() else {
                break;
            };
            h = node_hash(&left, &h);
            merges -= 1;
        }
        self.frontier.push(h);
        self.size += 1;
    }

    /// Appends a leaf by its bytes.
    pub fn push_leaf(&mut self, leaf: &[u8]) {
        self.push_hash(leaf_hash(leaf));
    }

    /// The tree head hash (RFC 6962 MTH).
    pub fn root(&self) -> Hash32 {
        let mut it = self.frontier.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(first) => it.fold(*first, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// The root over a list of leaf hashes.
pub fn root_of(leaf_hashes: &[Hash32]) -> Hash32 {
    let mut t = CompactTree::new();
    for h in leaf_hashes {
        t.push_hash(*h);
    }
    t.root()
}

fn split_point(n: usize) -> usize {
    // Largest power of two strictly less than n (n ≥ 2).
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

fn subtree_root(leaves: &[Hash32]) -> Hash32 {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&subtree_root(&leaves[..k]), &subtree_root(&leaves[k..]))
        }
    }
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The index is not below the tree size.
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The sizes of a consistency proof are not `0 < first ≤ second`.
    BadSizes {
        /// Old size.
        first: u64,
        /// New size.
        second: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    WrongLength,
    /// The proof is well-formed but the recomputed root differs.
    RootMismatch,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} is not in a tree of size {size}")
            }
            Self::BadSizes { first, second } => {
                write!(
                    f,
                    "cannot prove consistency from size {first} to size {second}"
                )
            }
            Self::WrongLength => f.write_str("the proof has the wrong number of hashes"),
            Self::RootMismatch => f.write_str("the proof does not lead to the expected root"),
        }
    }
}

impl std::error::Error for ProofError {}

impl ProofError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IndexOutOfRange { .. } => "INDEX_OUT_OF_RANGE",
            Self::BadSizes { .. } => "BAD_SIZES",
            Self::WrongLength => "WRONG_PROOF_LENGTH",
            Self::RootMismatch => "ROOT_MISMATCH",
        }
    }
}

/// The inclusion proof of leaf `index` in the tree of all `leaf_hashes` (RFC 6962 PATH).
pub fn inclusion_proof(leaf_hashes: &[Hash32], index: u64) -> Result<Vec<Hash32>, ProofError> {
    let size = leaf_hashes.len() as u64;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(index as usize, leaf_hashes, &mut proof);
    Ok(proof)
}

fn path(m: usize, leaves: &[Hash32], out: &mut Vec<Hash32>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(subtree_root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(subtree_root(&leaves[..k]));
    }
}

/// The consistency proof from the first `first` leaves to all `leaf_hashes` (RFC 6962 PROOF).
pub fn consistency_proof(leaf_hashes: &[Hash32], first: u64) -> Result<Vec<Hash32>, ProofError> {
    let second = leaf_hashes.len() as u64;
    if first == 0 || first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    let mut proof = Vec::new();
    subproof(first as usize, leaf_hashes, true, &mut proof);
    Ok(proof)
}

fn subproof(m: usize, leaves: &[Hash32], complete: bool, out: &mut Vec<Hash32>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(subtree_root(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(subtree_root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(subtree_root(&leaves[..k]));
    }
}

/// An append-only RFC 6962 tree that keeps every complete, aligned subtree's root: level `k`
/// holds the roots of leaves `[i·2^k, (i+1)·2^k)` for every `i` whose range is complete. About
/// twice the leaf hashes in memory; in return the root at any size, an inclusion proof and a
/// consistency proof cost O(log² n) hashes, not O(n), and copy nothing.
#[derive(Debug, Clone, Default)]
pub struct MerkleLevels {
    levels: Vec<Vec<Hash32>>,
}

impl MerkleLevels {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[Hash32] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// Appends a leaf hash, completing whatever subtrees it completes.
    pub fn push_hash(&mut self, h: Hash32) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(h);
        let mut k = 0;
        while self.levels[k].len() % 2 == 0 {
            let l = &self.levels[k];
            let parent = node_hash(&l[l.len() - 2], &l[l.len() - 1]);
            if self.levels.len() == k + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[k + 1].push(parent);
            k += 1;
        }
    }

    /// The root of leaves `[start, start + len)` (`len ≥ 1`, within the tree).
    fn range_root(&self, start: usize, len: usize) -> Hash32 {
        if len.is_power_of_two() && start % len == 0 {
            let k = len.trailing_zeros() as usize;
            return self.levels[k][start / len];
        }
        let k = split_point(len);
        node_hash(
            &self.range_root(start, k),
            &self.range_root(start + k, len - k),
        )
    }

    /// The root of the first `size` leaves (the empty root for 0), or `None` past the end.
    pub fn root_at(&self, size: u64) -> Option<Hash32> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.size() => Some(self.range_root(0, s as usize)),
            _ => None,
        }
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash32>, ProofError> {
        if index >= size || size > self.size() {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::new();
        self.path(index as usize, 0, size as usize, &mut out);
        Ok(out)
    }

    fn path(&self, m: usize, start: usize, n: usize, out: &mut Vec<Hash32>) {
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.range_root(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.range_root(start, k));
        }
    }

    /// The consistency proof from the first `first` leaves to the first `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash32>, ProofError> {
        if first == 0 || first > second || second > self.size() {
            return Err(ProofError::BadSizes { first, second });
        }
        let mut out = Vec::new();
        self.subproof(first as usize, 0, second as usize, true, &mut out);
        Ok(out)
    }

    fn subproof(&self, m: usize, start: usize, n: usize, complete: bool, out: &mut Vec<Hash32>) {
        if m == n {
            if !complete {
                out.push(self.range_root(start, n));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, k, complete, out);
            out.push(self.range_root(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.range_root(start, k));
        }
    }
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash32,
    index: u64,
    size: u64,
    proof: &[Hash32],
    root: &Hash32,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `second` leaves with root `second_root` extends the tree of `first`
/// leaves with root `first_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash32,
    second_root: &Hash32,
    proof: &[Hash32],
) -> Result<(), ProofError> {
    if first == 0 || first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let mut path: Vec<Hash32> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *first_root || sr != *second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// transparency-dev/merkle test leaves and roots (shared/reference/VECTORS.md).
    fn leaves() -> Vec<Hash32> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).expect("hex")))
        .collect()
    }

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn published_roots() {
        let l = leaves();
        assert_eq!(
            root_of(&[]).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(root_of(&l[..=n]).to_hex(), *want, "size {}", n + 1);
            assert_eq!(subtree_root(&l[..=n]).to_hex(), *want);
        }
    }

    #[test]
    fn every_proof_in_small_trees_verifies_and_corruptions_fail() {
        let mut l = leaves();
        l.extend((8u8..40).map(|i| leaf_hash(&[i])));
        for n in 1..=l.len() {
            let tree = &l[..n];
            let root = root_of(tree);
            for i in 0..n as u64 {
                let p = inclusion_proof(tree, i).expect("proof");
                verify_inclusion(&tree[i as usize], i, n as u64, &p, &root).expect("verifies");
                if n > 1 {
                    let wrong = (i + 1) % n as u64;
                    assert!(
                        verify_inclusion(&tree[i as usize], wrong, n as u64, &p, &root).is_err()
                    );
                }
                let mut longer = p.clone();
                longer.push(root);
                assert!(verify_inclusion(&tree[i as usize], i, n as u64, &longer, &root).is_err());
            }
            for m in 1..=n as u64 {
                let p = consistency_proof(tree, m).expect("proof");
                let old = root_of(&tree[..m as usize]);
                verify_consistency(m, n as u64, &old, &root, &p).expect("consistent");
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node_hash(first, first);
                    assert!(verify_consistency(m, n as u64, &old, &root, &bad).is_err());
                }
            }
        }
    }
}

#[cfg(test)]
mod level_tests {
    use super::*;

    #[test]
    fn levels_agree_with_the_recursive_definition_at_every_size() {
        let leaves: Vec<Hash32> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut t = MerkleLevels::new();
        assert_eq!(t.root_at(0), Some(empty_root()));
        for (i, h) in leaves.iter().enumerate() {
            t.push_hash(*h);
            assert_eq!(t.size(), i as u64 + 1);
        }
        for n in 1..=leaves.len() {
            let prefix = &leaves[..n];
            assert_eq!(t.root_at(n as u64), Some(root_of(prefix)), "root {n}");
            for m in 0..n {
                assert_eq!(
                    t.inclusion_proof(m as u64, n as u64),
                    inclusion_proof(prefix, m as u64),
                    "path {m} of {n}"
                );
            }
            for first in 1..=n {
                assert_eq!(
                    t.consistency_proof(first as u64, n as u64),
                    consistency_proof(prefix, first as u64),
                    "proof {first} → {n}"
                );
            }
        }
        assert!(t.root_at(71).is_none());
        assert!(t.inclusion_proof(0, 71).is_err());
        assert!(t.consistency_proof(0, 5).is_err());
    }
}
