//! A ledger folded into what verification needs, one leaf at a time (SPEC.md §11.1).
//!
//! A 1,000,000-entry ledger is a few hundred megabytes of JSON; verifying it must not need that
//! much memory. [`LedgerScanner`] takes leaves in order and keeps only the compact Merkle and
//! draw-tree frontiers, each leaf's participant, weight, ticket id and phone commitment, its
//! receipt fingerprint (to find repeats), what the caps need (10 bytes a leaf), and a tally per
//! rule. The verifier works from the resulting [`LedgerSummary`]; the CLI and the browser
//! worker stream into it.

use crate::civil::CivilDate;
use crate::draw::Entrant;
use crate::drawtree::{CompactSumTree, SumNode, SumOverflow};
use crate::encode::Encoder;
use crate::hash::Hash32;
use crate::ledger::{Leaf, Ledger, TicketId};
use crate::merkle::CompactTree;
use crate::message::Said;
use crate::record::Placement;
use crate::rules::{CampaignRules, DrawRules};
use crate::verify::t;
use std::collections::HashMap;

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

/// How many leaves break one rule, and the first of them, described.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Leaves that break the rule.
    pub count: u64,
    /// The first, described in both languages.
    pub first: Option<Said>,
}

impl Tally {
    fn add(&mut self, what: impl FnOnce() -> Said) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// One tally per rule a leaf must meet (SPEC.md §11, `ledger.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTallies {
    /// Amount at least the threshold and at most the ceiling.
    pub amounts: Tally,
    /// Merchant on the list.
    pub merchants: Tally,
    /// Weight as the rules give it for the amount.
    pub weights: Tally,
    /// Receipt date inside the draw window and not after the day of entry.
    pub dates: Tally,
    /// Entered inside the draw's entry window and before the freeze.
    pub entry_times: Tally,
    /// Per-person caps, as far as one draw's ledger shows them.
    pub caps: Tally,
}

/// Folds leaves into a [`LedgerSummary`].
#[derive(Debug, Default)]
pub struct LedgerScanner<'a> {
    rules: Option<ScanRules<'a>>,
    merchants: HashMap<&'a str, u16>,
    tree: CompactTree,
    sums: CompactSumTree,
    entrants: Vec<Entrant>,
    tickets: Vec<TicketId>,
    phone_commitments: Vec<Hash32>,
    fingerprints: Vec<Hash32>,
    people: HashMap<Hash32, u32>,
    // (person, China day of entry, merchant) per leaf, for the caps.
    cap_keys: Vec<(u32, u32, u16)>,
    tallies: RuleTallies,
    buf: Encoder,
}

impl<'a> LedgerScanner<'a> {
    /// A scanner checking each leaf against `rules` (or against nothing, with `None`).
    pub fn new(rules: Option<ScanRules<'a>>) -> Self {
        let merchants = rules
            .map(|r| {
                r.rules
                    .merchants
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.id.as_str(), u16::try_from(i).unwrap_or(u16::MAX)))
                    .collect()
            })
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
        self.phone_commitments.reserve(n);
        self.fingerprints.reserve(n);
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
        self.sums.push(u64::from(leaf.weight), leaf_hash);
        self.entrants.push(Entrant {
            participant: leaf.participant,
            weight: leaf.weight,
        });
        self.tickets.push(leaf.ticket_id);
        self.phone_commitments.push(leaf.phone_commitment);
        self.fingerprints.push(leaf.fingerprint);
        if let Some(ctx) = self.rules {
            self.check(&ctx, leaf);
        }
    }

    fn check(&mut self, ctx: &ScanRules<'_>, leaf: &Leaf) {
        let (rules, draw) = (ctx.rules, ctx.draw);
        let at = |what: Said| {
            move || {
                t(
                    format!("leaf {}: {}", leaf.index, what.en),
                    format!("第 {} 号奖券：{}", leaf.index, what.zh),
                )
            }
        };
        let time = |ms: u64| {
            (
                crate::civil::china_time(ms),
                crate::civil::china_time_zh(ms),
            )
        };
        let t = &mut self.tallies;
        if leaf.amount_fen < rules.threshold_fen || leaf.amount_fen > rules.max_amount_fen {
            t.amounts.add(at(self::t(
                format!(
                    "amount {} yuan is outside {}–{} yuan",
                    leaf.amount_fen, rules.threshold_fen, rules.max_amount_fen
                ),
                format!(
                    "金额 {} 元不在 {}–{} 元之间",
                    leaf.amount_fen, rules.threshold_fen, rules.max_amount_fen
                ),
            )));
        }
        let merchant = self.merchants.get(leaf.merchant_id.as_str()).copied();
        if merchant.is_none() {
            t.merchants.add(at(self::t(
                format!("merchant {:?} is not on the list", leaf.merchant_id),
                format!("商户 {:?} 不在参与名单上", leaf.merchant_id),
            )));
        }
        let want = rules.weight_for(leaf.amount_fen);
        if leaf.weight != want {
            t.weights.add(at(self::t(
                format!("weight {} where the rules give {want}", leaf.weight),
                format!("权重为 {}，规则给出的是 {want}", leaf.weight),
            )));
        }
        let entry_day = CivilDate::china_date_at(leaf.entered_at_ms);
        if leaf.date < draw.entry_start || leaf.date > draw.entry_end {
            t.dates.add(at(self::t(
                format!(
                    "receipt dated {} is outside the draw window {}–{}",
                    leaf.date, draw.entry_start, draw.entry_end
                ),
                format!(
                    "小票日期 {} 不在本期范围 {}–{} 内",
                    leaf.date, draw.entry_start, draw.entry_end
                ),
            )));
        } else if entry_day.is_none_or(|d| leaf.date > d) {
            let when = time(leaf.entered_at_ms);
            t.dates.add(at(self::t(
                format!(
                    "receipt dated {} was entered earlier, at {}",
                    leaf.date, when.0
                ),
                format!("小票日期 {}，却早在 {} 就已登记", leaf.date, when.1),
            )));
        }
        let opens = draw.entry_start.china_start_ms();
        let closes = draw.closes_at_ms();
        if leaf.entered_at_ms < opens
            || leaf.entered_at_ms >= closes
            || leaf.entered_at_ms >= ctx.frozen_at_ms
        {
            let (when, from, to, frozen) = (
                time(leaf.entered_at_ms),
                time(opens),
                time(closes),
                time(ctx.frozen_at_ms),
            );
            t.entry_times.add(at(self::t(
                format!(
                    "entered at {}; the window is from {} to before {}, and the freeze at {}",
                    when.0, from.0, to.0, frozen.0
                ),
                format!(
                    "登记于 {}；登记期为 {} 至 {} 之前，冻结于 {}",
                    when.1, from.1, to.1, frozen.1
                ),
            )));
        }
        let next = u32::try_from(self.people.len()).unwrap_or(u32::MAX);
        let person = *self.people.entry(leaf.participant).or_insert(next);
        self.cap_keys.push((
            person,
            entry_day.map_or(0, CivilDate::yyyymmdd),
            merchant.unwrap_or(u16::MAX),
        ));
    }

    /// Finishes the scan.
    pub fn finish(mut self) -> LedgerSummary {
        let repeated_fingerprints = repeats(&self.fingerprints, |h| h.0);
        let repeated_tickets = repeats(&self.tickets, |t| t.0);
        if let Some(ctx) = self.rules {
            count_cap_breaches(&mut self.cap_keys, ctx.rules, &mut self.tallies.caps);
        }
        LedgerSummary {
            size: self.tree.size(),
            root: self.tree.root(),
            draw_root: self.sums.root(),
            entrants: self.entrants,
            tickets: self.tickets,
            phone_commitments: self.phone_commitments,
            tallies: self.tallies,
            repeated_fingerprints,
            repeated_tickets,
        }
    }
}

/// Counts, for each cap the rules set, the leaves beyond it: a person with `n` leaves in one
/// group (a day, the whole ledger, one merchant) over a cap `c` has `n − c` breaching leaves.
fn count_cap_breaches(keys: &mut [(u32, u32, u16)], rules: &CampaignRules, tally: &mut Tally) {
    let caps = &rules.caps;
    let mut tally_groups = |keys: &mut [(u32, u32, u16)],
                            key: fn(&(u32, u32, u16)) -> (u32, u64),
                            cap: Option<u32>,
                            what: (&str, &str)| {
        let Some(cap) = cap else { return };
        keys.sort_unstable_by_key(key);
        for group in keys.chunk_by(|a, b| key(a) == key(b)) {
            let n = group.len() as u64;
            for _ in u64::from(cap)..n {
                tally.add(|| {
                    t(
                        format!(
                            "one participant has {n} entries {} (cap {cap}), day {}",
                            what.0, group[0].1
                        ),
                        format!(
                            "一位参与者{}有 {n} 条（限额 {cap}），日期 {}",
                            what.1, group[0].1
                        ),
                    )
                });
            }
        }
    };
    tally_groups(
        keys,
        |k| (k.0, u64::from(k.1)),
        caps.per_day,
        ("on one day", "在同一天"),
    );
    tally_groups(
        keys,
        |k| (k.0, 0),
        caps.per_campaign,
        ("in this draw", "在本期"),
    );
    tally_groups(
        keys,
        |k| (k.0, u64::from(k.2)),
        caps.per_merchant,
        ("at one merchant", "在同一商户"),
    );
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

/// What verification needs of a ledger.
#[derive(Debug, Clone)]
pub struct LedgerSummary {
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root.
    pub root: Hash32,
    /// Draw-tree root (total weight and hash), or an overflow.
    pub draw_root: Result<SumNode, SumOverflow>,
    /// Participant and weight of each leaf.
    pub entrants: Vec<Entrant>,
    tickets: Vec<TicketId>,
    phone_commitments: Vec<Hash32>,
    /// Leaves that break each rule.
    pub tallies: RuleTallies,
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

    /// The phone commitment of leaf `index`.
    pub fn phone_commitment(&self, index: u64) -> Option<Hash32> {
        self.phone_commitments
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// The public placement of leaf `index` (which must be below `size`), its phone opening
    /// left empty for the record to supply.
    pub fn placement(&self, rank: u32, index: u64, prize: Option<String>) -> Placement {
        let i = index as usize;
        Placement {
            rank,
            prize,
            leaf_index: index,
            ticket_id: self.tickets[i],
            participant: self.entrants[i].participant,
            phone_masked: String::new(),
            phone_salt: [0; 16],
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
