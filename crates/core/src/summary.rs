//! A ledger folded into what verification needs, one leaf at a time (SPEC.md §11.1).
//!
//! A 1,000,000-entry ledger is a few hundred megabytes of JSON; verifying it must not need that
//! much memory. [`LedgerScanner`] takes leaves in order and keeps only the compact Merkle tree,
//! each leaf's participant, weight, ticket id and masked phone, its receipt fingerprint (to
//! find repeats) and a tally of rule breaches. The verifier works from the resulting
//! [`LedgerSummary`]; the CLI and the browser worker stream into it.

use crate::draw::Entrant;
use crate::encode::Encoder;
use crate::hash::Hash32;
use crate::ledger::{Leaf, Ledger, TicketId};
use crate::merkle::CompactTree;
use crate::record::Placement;
use crate::rules::{CampaignRules, DrawRules};
use std::collections::HashSet;

/// The rules a scan checks each leaf against.
#[derive(Debug, Clone, Copy)]
pub struct ScanRules<'a> {
    /// The campaign rules.
    pub rules: &'a CampaignRules,
    /// The draw the ledger belongs to.
    pub draw: &'a DrawRules,
    /// The freeze time (Unix ms): entries must be older.
    pub frozen_at_ms: u64,
}

/// Folds leaves into a [`LedgerSummary`].
#[derive(Debug, Default)]
pub struct LedgerScanner<'a> {
    rules: Option<ScanRules<'a>>,
    merchants: HashSet<&'a str>,
    tree: CompactTree,
    entrants: Vec<Entrant>,
    tickets: Vec<TicketId>,
    phones: String,
    phone_ends: Vec<u32>,
    fingerprints: Vec<Hash32>,
    breaches: u64,
    first_breach: Option<String>,
    buf: Encoder,
}

impl<'a> LedgerScanner<'a> {
    /// A scanner checking each leaf against `rules` (or against nothing, with `None`).
    pub fn new(rules: Option<ScanRules<'a>>) -> Self {
        let merchants = rules
            .map(|r| r.rules.merchants.iter().map(|m| m.id.as_str()).collect())
            .unwrap_or_default();
        LedgerScanner {
            rules,
            merchants,
            ..Default::default()
        }
    }

    /// Reserves room for `n` leaves.
    pub fn reserve(&mut self, n: usize) {
        self.entrants.reserve(n);
        self.tickets.reserve(n);
        self.phone_ends.reserve(n);
        self.fingerprints.reserve(n);
        self.phones.reserve(n * 11);
    }

    /// Takes the next leaf (the caller has checked its index).
    pub fn push(&mut self, leaf: &Leaf) {
        // One reused buffer instead of an allocation per leaf.
        let hash = leaf.leaf_hash_in(&mut self.buf);
        self.push_hashed(leaf, hash);
    }

    /// Takes the next leaf whose leaf hash the caller has already computed.
    pub fn push_hashed(&mut self, leaf: &Leaf, leaf_hash: Hash32) {
        self.tree.push_hash(leaf_hash);
        self.entrants.push(Entrant {
            participant: leaf.participant,
            weight: leaf.weight,
        });
        self.tickets.push(leaf.ticket_id);
        self.phones.push_str(&leaf.phone_masked);
        self.phone_ends
            .push(u32::try_from(self.phones.len()).unwrap_or(u32::MAX));
        self.fingerprints.push(leaf.fingerprint);
        if let Some(ctx) = &self.rules {
            if let Some(problem) = breach(ctx, &self.merchants, leaf) {
                self.breaches += 1;
                self.first_breach
                    .get_or_insert_with(|| format!("leaf {}: {problem}", leaf.index));
            }
        }
    }

    /// Finishes the scan.
    pub fn finish(self) -> LedgerSummary {
        let repeated_fingerprints = repeats(&self.fingerprints, |h| h.0);
        let repeated_tickets = repeats(&self.tickets, |t| t.0);
        LedgerSummary {
            size: self.tree.size(),
            root: self.tree.root(),
            entrants: self.entrants,
            tickets: self.tickets,
            phones: self.phones,
            phone_ends: self.phone_ends,
            breaches: self.breaches,
            first_breach: self.first_breach,
            repeated_fingerprints,
            repeated_tickets,
        }
    }
}

/// Extra occurrences of values in `v`. Keyed hashes and random ticket ids are uniform, so
/// their first 8 bytes almost never collide: sort those as `u64`s, and compare full values only
/// for the prefixes that repeat.
fn repeats<T: Ord, const N: usize>(v: &[T], bytes: impl Fn(&T) -> [u8; N]) -> u64 {
    let prefix = |t: &T| {
        let b = bytes(t);
        let mut p = [0u8; 8];
        p.copy_from_slice(&b[..8]);
        u64::from_be_bytes(p)
    };
    let mut prefixes: Vec<u64> = v.iter().map(prefix).collect();
    prefixes.sort_unstable();
    let mut repeated: Vec<u64> = prefixes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    if repeated.is_empty() {
        return 0;
    }
    repeated.dedup();
    let mut full: Vec<&T> = v
        .iter()
        .filter(|t| repeated.binary_search(&prefix(t)).is_ok())
        .collect();
    full.sort_unstable();
    full.windows(2).filter(|w| w[0] == w[1]).count() as u64
}

fn breach(ctx: &ScanRules<'_>, merchants: &HashSet<&str>, leaf: &Leaf) -> Option<&'static str> {
    let (rules, draw) = (ctx.rules, ctx.draw);
    if leaf.amount_fen < rules.threshold_fen {
        Some("below the threshold")
    } else if leaf.date < draw.entry_start || leaf.date > draw.entry_end {
        Some("dated outside the draw's window")
    } else if !merchants.contains(leaf.merchant_id.as_str()) {
        Some("not from a participating merchant")
    } else if leaf.weight != rules.weight_for(leaf.amount_fen) {
        Some("weight differs from the rules")
    } else if leaf.entered_at_ms >= ctx.frozen_at_ms {
        Some("entered after the freeze")
    } else {
        None
    }
}

/// What verification needs of a ledger.
#[derive(Debug, Clone, Default)]
pub struct LedgerSummary {
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root.
    pub root: Hash32,
    /// Participant and weight of each leaf.
    pub entrants: Vec<Entrant>,
    tickets: Vec<TicketId>,
    phones: String,
    phone_ends: Vec<u32>,
    /// Leaves that break the rules.
    pub breaches: u64,
    /// The first of them, described.
    pub first_breach: Option<String>,
    /// Receipt fingerprints seen more than once (extra occurrences).
    pub repeated_fingerprints: u64,
    /// Ticket ids seen more than once (extra occurrences).
    pub repeated_tickets: u64,
}

impl LedgerSummary {
    /// Scans a ledger held in memory.
    pub fn of(ledger: &Ledger, rules: Option<ScanRules<'_>>) -> Self {
        let mut s = LedgerScanner::new(rules);
        s.reserve(ledger.leaves.len());
        for (leaf, hash) in ledger.leaves.iter().zip(&ledger.hashes) {
            s.push_hashed(leaf, *hash);
        }
        s.finish()
    }

    /// The masked phone of leaf `index`.
    pub fn phone(&self, index: usize) -> &str {
        let end = self.phone_ends.get(index).copied().unwrap_or(0) as usize;
        let start = if index == 0 {
            0
        } else {
            self.phone_ends[index - 1] as usize
        };
        self.phones.get(start..end).unwrap_or("")
    }

    /// The public placement of leaf `index` (which must be below `size`).
    pub fn placement(&self, rank: u32, index: u64, prize: Option<String>) -> Placement {
        let i = index as usize;
        Placement {
            rank,
            prize,
            leaf_index: index,
            ticket_id: self.tickets[i],
            participant: self.entrants[i].participant,
            phone_masked: self.phone(i).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::repeats;

    #[test]
    fn repeats_compares_full_values_behind_equal_prefixes() {
        let h = |prefix: u8, tail: u8| {
            let mut b = [0u8; 32];
            b[0] = prefix;
            b[31] = tail;
            b
        };
        // Same prefix, different tails: no repeat.
        assert_eq!(repeats(&[h(1, 1), h(1, 2), h(2, 1)], |b| *b), 0);
        // A real repeat hidden among equal prefixes, and a triple.
        assert_eq!(
            repeats(
                &[h(1, 1), h(1, 2), h(1, 1), h(3, 3), h(3, 3), h(3, 3)],
                |b| *b
            ),
            3
        );
        assert_eq!(repeats::<[u8; 32], 32>(&[], |b| *b), 0);
    }
}
