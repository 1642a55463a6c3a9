//! The draw tree (SPEC.md §5.5): a second Merkle tree over the frozen ledger's leaves, in the
//! same order and RFC 6962 shape, whose every node also carries the total weight below it.
//!
//! A leaf node is `(weight, leaf hash)`, the leaf hash being the RFC 6962 one of the ledger. A
//! parent binds both children's sums separately,
//! `SHA-256(0x02 ‖ u64(s_L) ‖ h_L ‖ u64(s_R) ‖ h_R)` with sum `s_L + s_R` — hashing only the
//! total would let a prover shift weight between siblings (the flaw in Maxwell's first
//! proof-of-reserves tree). Sums are checked `u64` arithmetic: an overflow is an error, never a
//! wrap. The signed freeze binds the root and the total weight, so a later proof that a drawn
//! number falls in one leaf's interval needs only a path, not the whole ledger.

use crate::hash::Hash32;
use sha2::{Digest, Sha256};

/// Prefix of a draw-tree parent node (RFC 6962 uses 0x00 for leaves and 0x01 for its nodes).
pub const SUM_NODE_PREFIX: u8 = 0x02;

/// A node: the total weight below it and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SumNode {
    /// Total weight of the leaves below.
    pub sum: u64,
    /// The node hash.
    pub hash: Hash32,
}

/// The weights below a node add up to more than 2⁶⁴ − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SumOverflow;

impl std::fmt::Display for SumOverflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the weights add up to more than 2^64 - 1")
    }
}

impl std::error::Error for SumOverflow {}

/// The parent of two nodes.
pub fn parent(left: &SumNode, right: &SumNode) -> Result<SumNode, SumOverflow> {
    let sum = left.sum.checked_add(right.sum).ok_or(SumOverflow)?;
    let mut h = Sha256::new();
    h.update([SUM_NODE_PREFIX]);
    h.update(left.sum.to_be_bytes());
    h.update(left.hash.0);
    h.update(right.sum.to_be_bytes());
    h.update(right.hash.0);
    Ok(SumNode {
        sum,
        hash: Hash32(h.finalize().into()),
    })
}

/// The root of the empty tree: sum 0, hash `SHA-256("")` (as RFC 6962's empty root).
pub fn empty_root() -> SumNode {
    SumNode {
        sum: 0,
        hash: crate::merkle::empty_root(),
    }
}

/// The draw-tree root of a ledger, folded one leaf at a time with O(log n) memory: the same
/// compact frontier as RFC 6962's, with sums.
#[derive(Debug, Clone, Default)]
pub struct CompactSumTree {
    size: u64,
    // Roots of the perfect subtrees, largest first; one per set bit of `size`.
    frontier: Vec<SumNode>,
    overflow: bool,
}

impl CompactSumTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends leaf `(weight, leaf_hash)`.
    pub fn push(&mut self, weight: u64, leaf_hash: Hash32) {
        let mut node = SumNode {
            sum: weight,
            hash: leaf_hash,
        };
        let mut n = self.size;
        while n & 1 == 1 {
            let Some(left) = self.frontier.pop() else {
                break;
            };
            node = match parent(&left, &node) {
                Ok(p) => p,
                Err(SumOverflow) => {
                    self.overflow = true;
                    SumNode {
                        sum: u64::MAX,
                        hash: node.hash,
                    }
                }
            };
            n >>= 1;
        }
        self.frontier.push(node);
        self.size += 1;
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root: the frontier folded right to left.
    pub fn root(&self) -> Result<SumNode, SumOverflow> {
        if self.overflow {
            return Err(SumOverflow);
        }
        let mut nodes = self.frontier.iter().rev();
        let Some(mut acc) = nodes.next().copied() else {
            return Ok(empty_root());
        };
        for left in nodes {
            acc = parent(left, &acc)?;
        }
        Ok(acc)
    }
}

/// The root over `(weight, leaf hash)` pairs, by the recursive definition (for tests and
/// vectors; [`CompactSumTree`] gives the same in one pass).
pub fn root_of(leaves: &[(u64, Hash32)]) -> Result<SumNode, SumOverflow> {
    match leaves.len() {
        0 => Ok(empty_root()),
        1 => Ok(SumNode {
            sum: leaves[0].0,
            hash: leaves[0].1,
        }),
        n => {
            let k = largest_power_of_two_below(n);
            parent(&root_of(&leaves[..k])?, &root_of(&leaves[k..])?)
        }
    }
}

/// The draw-tree audit path of leaf `index`: the sibling nodes from the leaf up to the root, in
/// the order of RFC 6962's PATH (SPEC.md §5.5). `None` when `index` is out of range or a sum
/// overflows.
pub fn path(leaves: &[(u64, Hash32)], index: usize) -> Option<Vec<SumNode>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    let (mut lo, mut hi, mut m) = (0usize, leaves.len(), index);
    // Walk down, collecting siblings root-first, then reverse.
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if m < k {
            out.push(root_of(&leaves[lo + k..hi]).ok()?);
            hi = lo + k;
        } else {
            out.push(root_of(&leaves[lo..lo + k]).ok()?);
            lo += k;
            m -= k;
        }
    }
    out.reverse();
    Some(out)
}

/// Why a draw-tree path does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// The index is not below the size.
    IndexOutOfRange,
    /// Too few or too many nodes for this index and size.
    WrongLength,
    /// A sum overflows 2⁶⁴ − 1.
    Overflow,
    /// The path leads to another root (hash or total weight).
    RootMismatch,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::IndexOutOfRange => "the leaf index is not below the tree size",
            Self::WrongLength => "the path has the wrong number of nodes",
            Self::Overflow => "a sum on the path overflows",
            Self::RootMismatch => "the path does not lead to the frozen draw root",
        })
    }
}

impl std::error::Error for PathError {}

/// Verifies a draw-tree path (RFC 9162 §2.1.3.2's algorithm with sum nodes) and returns the
/// leaf's offset: the total weight of the leaves before it, i.e. the sum of the sums of the
/// siblings met on the left. The leaf owns chances `[offset, offset + weight)`.
pub fn verify_path(
    index: u64,
    size: u64,
    leaf: SumNode,
    path: &[SumNode],
    root: &SumNode,
) -> Result<u64, PathError> {
    if index >= size {
        return Err(PathError::IndexOutOfRange);
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf;
    let mut offset = 0u64;
    for p in path {
        if sn == 0 {
            return Err(PathError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = parent(p, &r).map_err(|_| PathError::Overflow)?;
            offset = offset.checked_add(p.sum).ok_or(PathError::Overflow)?;
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = parent(&r, p).map_err(|_| PathError::Overflow)?;
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(PathError::WrongLength);
    }
    if r != *root {
        return Err(PathError::RootMismatch);
    }
    Ok(offset)
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_equals_recursive() {
        for n in 0..40u64 {
            let leaves: Vec<(u64, Hash32)> = (0..n)
                .map(|i| (i % 5 + 1, Hash32::sha256(&i.to_be_bytes())))
                .collect();
            let mut c = CompactSumTree::new();
            for (w, h) in &leaves {
                c.push(*w, *h);
            }
            assert_eq!(c.root(), root_of(&leaves), "n = {n}");
            let total: u64 = leaves.iter().map(|l| l.0).sum();
            assert_eq!(c.root().map(|r| r.sum), Ok(total));
        }
    }

    #[test]
    fn paths_verify_and_give_each_leaf_its_interval() {
        for n in 1..40usize {
            let leaves: Vec<(u64, Hash32)> = (0..n)
                .map(|i| (i as u64 % 4 + 1, Hash32::sha256(&(i as u64).to_be_bytes())))
                .collect();
            let root = root_of(&leaves).expect("root");
            let mut offset = 0;
            for (i, (w, h)) in leaves.iter().enumerate() {
                let leaf = SumNode { sum: *w, hash: *h };
                let p = path(&leaves, i).expect("path");
                assert_eq!(verify_path(i as u64, n as u64, leaf, &p, &root), Ok(offset));
                // A falsified sibling sum, another index or size, a short path: refused.
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = SumNode {
                        sum: first.sum + 1,
                        ..*first
                    };
                    assert!(verify_path(i as u64, n as u64, leaf, &bad, &root).is_err());
                    assert!(verify_path(i as u64, n as u64, leaf, &p[1..], &root).is_err());
                }
                let heavier = SumNode { sum: w + 1, ..leaf };
                assert!(verify_path(i as u64, n as u64, heavier, &p, &root).is_err());
                offset += w;
            }
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let leaves = [(u64::MAX, Hash32([1; 32])), (1, Hash32([2; 32]))];
        assert_eq!(root_of(&leaves), Err(SumOverflow));
        let mut c = CompactSumTree::new();
        c.push(u64::MAX, Hash32([1; 32]));
        c.push(1, Hash32([2; 32]));
        assert_eq!(c.root(), Err(SumOverflow));
    }

    #[test]
    fn sums_are_bound_separately() {
        // Moving weight between siblings keeps the total but changes the hash.
        let a = SumNode {
            sum: 3,
            hash: Hash32([1; 32]),
        };
        let b = SumNode {
            sum: 5,
            hash: Hash32([2; 32]),
        };
        let a2 = SumNode { sum: 4, ..a };
        let b2 = SumNode { sum: 4, ..b };
        assert_ne!(
            parent(&a, &b).map(|n| n.hash),
            parent(&a2, &b2).map(|n| n.hash)
        );
    }
}
