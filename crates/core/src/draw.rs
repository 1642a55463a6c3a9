//! Winner selection (SPEC.md §7.3 and §8): weighted picks, one prize per person, prizes then
//! alternates, from the ChaCha20 stream or from RFC 3797 draws.

use crate::hash::Hash32;
use crate::rfc3797;
use crate::sampler::DrawStream;
use std::collections::BTreeSet;
use std::fmt;
use std::num::NonZeroU64;

/// One ledger leaf as the draw sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entrant {
    /// The participant pseudonym.
    pub participant: Hash32,
    /// Chances (≥ 1).
    pub weight: u32,
}

/// The outcome: leaf indexes of prize winners (in prize order), then alternates (in rank order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Leaf index of each prize's winner.
    pub winners: Vec<u64>,
    /// Leaf index of each alternate.
    pub alternates: Vec<u64>,
    /// Draws consumed: 64-bit ChaCha20 words, or RFC 3797 draw indexes.
    pub draws_used: u64,
}

impl Selection {
    /// Every placed leaf: winners in prize order, then alternates in rank order.
    pub fn placed(&self) -> Vec<u64> {
        self.winners
            .iter()
            .chain(&self.alternates)
            .copied()
            .collect()
    }
}

/// Why a selection cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawError {
    /// A leaf of weight 0.
    ZeroWeight {
        /// Its index.
        index: u64,
    },
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroWeight { index } => write!(f, "leaf {index} has weight 0"),
        }
    }
}

impl std::error::Error for DrawError {}

/// Cumulative weights over the leaves, with removal of single chances (a Fenwick tree).
/// `find(k)` returns the leaf holding the `k`-th remaining chance (0-based) in ledger order.
#[derive(Debug, Clone)]
pub struct WeightTree {
    tree: Vec<u64>,
    total: u64,
}

impl WeightTree {
    /// Builds the tree in O(n).
    pub fn new(weights: &[u32]) -> Self {
        let n = weights.len();
        let mut tree = vec![0u64; n + 1];
        for (i, w) in weights.iter().enumerate() {
            tree[i + 1] += u64::from(*w);
            let parent = (i + 1) + ((i + 1) & (i + 1).wrapping_neg());
            if parent <= n {
                let v = tree[i + 1];
                tree[parent] += v;
            }
        }
        let total = weights.iter().map(|w| u64::from(*w)).sum();
        WeightTree { tree, total }
    }

    /// Chances remaining.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The leaf index holding chance `k` (requires `k < total`).
    pub fn find(&self, mut k: u64) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0usize;
        let mut step = if n == 0 {
            0
        } else {
            1usize << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= k {
                pos = next;
                k -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }

    /// Removes one chance of leaf `index`.
    pub fn take_one(&mut self, index: usize) {
        let mut i = index + 1;
        while i < self.tree.len() {
            self.tree[i] -= 1;
            i += i & i.wrapping_neg();
        }
        self.total -= 1;
    }
}

/// Checks the entrants and returns `min(wanted, distinct participants)`: the number of places
/// that can be filled. Stops counting people once `wanted` are found.
fn places(entrants: &[Entrant], wanted: u64) -> Result<u64, DrawError> {
    if let Some(i) = entrants.iter().position(|e| e.weight == 0) {
        return Err(DrawError::ZeroWeight { index: i as u64 });
    }
    let mut people = std::collections::HashSet::new();
    for e in entrants {
        if people.len() as u64 >= wanted {
            break;
        }
        people.insert(e.participant);
    }
    Ok((people.len() as u64).min(wanted))
}

fn split(picks: Vec<u64>, prizes: u32) -> (Vec<u64>, Vec<u64>) {
    let cut = picks.len().min(prizes as usize);
    let mut winners = picks;
    let alternates = winners.split_off(cut);
    (winners, alternates)
}

/// The ChaCha20 draw (`fairdraw-chacha20-v1`): each pick is uniform over total weight; a pick
/// whose participant already holds a prize or an alternate place is skipped; the stream keeps
/// going until `prizes + alternates` distinct people are picked or everyone has been.
pub fn select_chacha20(
    seed: &Hash32,
    entrants: &[Entrant],
    prizes: u32,
    alternates: u32,
) -> Result<Selection, DrawError> {
    let wanted = places(entrants, u64::from(prizes) + u64::from(alternates))?;
    let mut cumulative = Vec::with_capacity(entrants.len());
    let mut running = 0u64;
    for e in entrants {
        running += u64::from(e.weight);
        cumulative.push(running);
    }
    // An empty ledger places nobody (SPEC.md §7.3): a valid record with no winners.
    let Some(total) = NonZeroU64::new(running) else {
        return Ok(Selection::default());
    };
    let mut stream = DrawStream::new(seed);
    let mut holders = BTreeSet::new();
    let mut picks = Vec::new();
    while (picks.len() as u64) < wanted {
        let r = stream.uniform_below(total);
        // The leaf whose cumulative range [c_{i-1}, c_i) contains r.
        let index = cumulative.partition_point(|c| *c <= r);
        if holders.insert(entrants[index].participant) {
            picks.push(index as u64);
        }
    }
    let (winners, alternates) = split(picks, prizes);
    Ok(Selection {
        winners,
        alternates,
        draws_used: stream.words_used(),
    })
}

/// The RFC 3797 draw (`rfc3797-md5-v2`, with the draw's key from [`rfc3797::draw_key`]): the pool is every chance in ledger order (leaf `i`
/// repeated `weight_i` times; all weights 1 is exactly RFC 3797's pool). Draw `i` removes the
/// chance it selects; a chance whose participant already holds a place is skipped.
pub fn select_rfc3797(
    key: &str,
    entrants: &[Entrant],
    prizes: u32,
    alternates: u32,
) -> Result<Selection, DrawError> {
    let wanted = places(entrants, u64::from(prizes) + u64::from(alternates))?;
    let weights: Vec<u32> = entrants.iter().map(|e| e.weight).collect();
    let mut tree = WeightTree::new(&weights);
    let mut holders = BTreeSet::new();
    let mut picks = Vec::new();
    let mut i: u32 = 0;
    // Draws are numbered with 16 bits: after draw 65 535 the selection ends with the places
    // filled so far (SPEC.md §8), the same for everyone, so nobody can choose to re-draw.
    while (picks.len() as u64) < wanted && tree.total() > 0 {
        let Ok(draw) = u16::try_from(i) else {
            break;
        };
        let k = (rfc3797::draw_value(key, draw) % u128::from(tree.total())) as u64;
        let index = tree.find(k);
        tree.take_one(index);
        if holders.insert(entrants[index].participant) {
            picks.push(index as u64);
        }
        i += 1;
    }
    let (winners, alternates) = split(picks, prizes);
    Ok(Selection {
        winners,
        alternates,
        draws_used: u64::from(i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(n: u8) -> Hash32 {
        Hash32([n; 32])
    }

    #[test]
    fn weight_tree_finds_and_removes() {
        let mut t = WeightTree::new(&[2, 1, 3]);
        let found: Vec<usize> = (0..6).map(|k| t.find(k)).collect();
        assert_eq!(found, vec![0, 0, 1, 2, 2, 2]);
        t.take_one(0);
        assert_eq!(t.total(), 5);
        assert_eq!(
            (0..5).map(|k| t.find(k)).collect::<Vec<_>>(),
            vec![0, 1, 2, 2, 2]
        );
    }

    #[test]
    fn one_prize_per_person() {
        // Person 1 holds 90% of the chances but can win only once.
        let mut entrants = vec![Entrant {
            participant: person(1),
            weight: 90,
        }];
        entrants.extend((2..=11).map(|p| Entrant {
            participant: person(p),
            weight: 1,
        }));
        let s = select_chacha20(&Hash32([3; 32]), &entrants, 6, 5).expect("draw");
        let all: Vec<u64> = s.placed();
        assert_eq!(all.len(), 11);
        let distinct: BTreeSet<_> = all
            .iter()
            .map(|i| entrants[*i as usize].participant)
            .collect();
        assert_eq!(distinct.len(), 11);
        assert!(s.draws_used > 11, "person 1 was picked and skipped");
        let s = select_rfc3797("1./", &entrants, 6, 5).expect("draw");
        assert_eq!(s.winners.len() + s.alternates.len(), 11);
    }

    #[test]
    fn fewer_people_than_places() {
        let entrants = vec![
            Entrant {
                participant: person(1),
                weight: 1,
            },
            Entrant {
                participant: person(1),
                weight: 1,
            },
            Entrant {
                participant: person(2),
                weight: 1,
            },
        ];
        let s = select_chacha20(&Hash32([0; 32]), &entrants, 6, 3).expect("draw");
        assert_eq!((s.winners.len(), s.alternates.len()), (2, 0));
        assert_eq!(
            select_chacha20(&Hash32([0; 32]), &[], 1, 0),
            Ok(Selection::default())
        );
        assert_eq!(select_rfc3797("1./", &[], 1, 0), Ok(Selection::default()));
    }
}
