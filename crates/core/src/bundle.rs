//! Proof bundles and light verification (SPEC.md §12.1): a phone checks a draw of any size from
//! a few kilobytes, without the ledger.
//!
//! Only the mapping from each drawn number `t` to a leaf needs the ledger, and the draw tree
//! (§5.5) proves it with a path: the leaf owns chances `[offset, offset + weight)` and the path
//! yields `offset`. A bundle holds, for each pick in order (winners, skipped picks, alternates),
//! `t`, the leaf, its draw-tree path, its RFC 6962 inclusion proof in the frozen log, and the
//! inclusion proof of its merchant in the rules' merchants tree; and the record, its merchant list
//! cut to the merchants those leaves name.

use crate::draw::WeightTree;
use crate::drawtree::{SumNode, verify_path};
use crate::hash::Hash32;
use crate::ledger::{Leaf, Ledger};
use crate::merkle;
use crate::message::Said;
use crate::record::{DrawRecord, Placement};
use crate::rules::{ALGORITHM_CHACHA20, ALGORITHM_RFC3797, merchant_leaf};
use crate::sampler::DrawStream;
use crate::verify::t;
use crate::verify::{Anchor, Report};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::num::NonZeroU64;

/// The bundle format version.
pub const BUNDLE_VERSION: u32 = 2;

/// A draw-tree node as published: its sum as a decimal string (JSON numbers lose precision
/// above 2⁵³ in many languages) and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathNode {
    /// The total weight below the node (decimal).
    pub sum: String,
    /// The node hash.
    pub hash: Hash32,
}

/// One pick of the selection, proven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePick {
    /// The drawn chance (decimal), computed from the record alone.
    pub t: String,
    /// The leaf that owns it.
    pub leaf: Leaf,
    /// Its RFC 6962 inclusion proof in the frozen log.
    pub log_path: Vec<Hash32>,
    /// Its draw-tree path (§5.5), leaf to root.
    pub draw_path: Vec<PathNode>,
    /// Its merchant's position in the rules' merchant list.
    pub merchant_index: u32,
    /// Its merchant's inclusion proof in the merchants tree (§3.2).
    pub merchant_path: Vec<Hash32>,
}

/// A published draw's proof bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawBundle {
    /// [`BUNDLE_VERSION`].
    pub version: u32,
    /// The record, with `rules.merchants` cut to the merchants the picks' leaves name (in list
    /// order).
    pub record: DrawRecord,
    /// How many merchants the rules list.
    pub merchant_count: u32,
    /// The root of the rules' merchants tree.
    pub merchants_root: Hash32,
    /// Every pick, in order: winners, skipped picks and alternates as the selection met them.
    pub picks: Vec<BundlePick>,
}

/// The drawn chances of a selection, in order, from the record alone (SPEC.md §7, §8): the
/// ChaCha20 stream's uniform picks over the total weight, or RFC 3797's draws, each removing the
/// absolute chance it lands on (the k-th remaining chance, stepping over those removed).
pub enum PickStream {
    /// `fairdraw-chacha20-v2` (the stream boxed: it is ten times the other variants' size).
    ChaCha(Box<DrawStream>, NonZeroU64),
    /// `rfc3797-md5-v2`.
    Rfc3797 {
        /// The draw key.
        key: String,
        /// Total weight.
        total: u64,
        /// Absolute chances removed so far, sorted.
        removed: Vec<u64>,
        /// The next draw number.
        next: u32,
    },
    /// Nothing to draw (an empty ledger, or an unknown algorithm).
    Empty,
}

impl PickStream {
    /// The pick stream of a record's draw.
    pub fn of(record: &DrawRecord, seed: &Hash32) -> Self {
        let total = record.freeze.freeze.total_weight;
        let Some(w) = NonZeroU64::new(total) else {
            return Self::Empty;
        };
        match record.algorithm.as_str() {
            ALGORITHM_CHACHA20 => Self::ChaCha(Box::new(DrawStream::new(seed)), w),
            ALGORITHM_RFC3797 => match &record.public_entropy.public_numbers {
                Some(p) => Self::Rfc3797 {
                    key: crate::rfc3797::draw_key(&p.key, &record.freeze.freeze.hash()),
                    total,
                    removed: Vec::new(),
                    next: 0,
                },
                None => Self::Empty,
            },
            _ => Self::Empty,
        }
    }
}

impl Iterator for PickStream {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        match self {
            Self::ChaCha(stream, w) => Some(stream.uniform_below(*w)),
            Self::Rfc3797 {
                key,
                total,
                removed,
                next,
            } => {
                let remaining = *total - removed.len() as u64;
                if remaining == 0 || *next > u32::from(u16::MAX) {
                    return None;
                }
                let k =
                    (crate::rfc3797::draw_value(key, *next as u16) % u128::from(remaining)) as u64;
                *next += 1;
                let mut t = k;
                for r in removed.iter() {
                    if *r <= t {
                        t += 1;
                    } else {
                        break;
                    }
                }
                let at = removed.partition_point(|r| *r < t);
                removed.insert(at, t);
                Some(t)
            }
            Self::Empty => None,
        }
    }
}

/// Why a bundle could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// The ledger is not the frozen one.
    LedgerMismatch,
    /// The record's draw is not in its rules.
    NoSuchDraw,
    /// A pick's leaf names a merchant the rules do not list.
    UnknownMerchant(u64),
    /// The selection did not place the record's winners and alternates: a failed draw
    /// (SPEC.md §12.1), never one to re-run.
    Incomplete,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LedgerMismatch => f.write_str("the ledger is not the frozen one"),
            Self::NoSuchDraw => f.write_str("the rules have no such draw"),
            Self::UnknownMerchant(i) => write!(f, "leaf {i} names an unlisted merchant"),
            Self::Incomplete => f.write_str("the selection does not place the record's people"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Makes the proof bundle of a record over its frozen ledger.
pub fn make_bundle(record: &DrawRecord, ledger: &Ledger) -> Result<DrawBundle, BundleError> {
    let f = &record.freeze.freeze;
    if ledger.size() != f.tree_size || ledger.root() != f.root {
        return Err(BundleError::LedgerMismatch);
    }
    record
        .rules
        .draw(record.draw_index)
        .ok_or(BundleError::NoSuchDraw)?;
    let weighted: Vec<(u64, Hash32)> = ledger
        .leaves
        .iter()
        .map(|l| u64::from(l.weight))
        .zip(ledger.hashes.iter().copied())
        .collect();
    let weights: Vec<u32> = ledger.leaves.iter().map(|l| l.weight).collect();
    let owners = WeightTree::new(&weights);
    let merchant_hashes: Vec<Hash32> = record
        .rules
        .merchants
        .iter()
        .map(|m| merkle::leaf_hash(&merchant_leaf(m)))
        .collect();
    let want = record.winners.len() + record.alternates.len();
    let mut holders = BTreeSet::new();
    let mut used_merchants = BTreeSet::new();
    let mut picks = Vec::new();
    let mut stream = PickStream::of(record, &record.seed);
    while holders.len() < want {
        let t = stream.next().ok_or(BundleError::Incomplete)?;
        let i = owners.find(t);
        let leaf = &ledger.leaves[i];
        let m = record
            .rules
            .merchants
            .iter()
            .position(|m| m.id == leaf.merchant_id)
            .ok_or(BundleError::UnknownMerchant(i as u64))?;
        used_merchants.insert(m);
        holders.insert(leaf.participant);
        picks.push(BundlePick {
            t: t.to_string(),
            leaf: leaf.clone(),
            log_path: merkle::inclusion_proof(&ledger.hashes, i as u64)
                .map_err(|_| BundleError::LedgerMismatch)?,
            draw_path: crate::drawtree::path(&weighted, i)
                .ok_or(BundleError::LedgerMismatch)?
                .into_iter()
                .map(|n| PathNode {
                    sum: n.sum.to_string(),
                    hash: n.hash,
                })
                .collect(),
            merchant_index: m as u32,
            merchant_path: merkle::inclusion_proof(&merchant_hashes, m as u64)
                .map_err(|_| BundleError::UnknownMerchant(i as u64))?,
        });
    }
    let mut cut = record.clone();
    cut.rules.merchants = used_merchants
        .iter()
        .map(|m| record.rules.merchants[*m].clone())
        .collect();
    Ok(DrawBundle {
        version: BUNDLE_VERSION,
        record: cut,
        merchant_count: record.rules.merchants.len() as u32,
        merchants_root: record.rules.merchants_root(),
        picks,
    })
}

fn parse_u64(s: &str) -> Option<u64> {
    // Canonical decimal only: no sign, no leading zeros, no spaces.
    let canonical = !s.is_empty() && (s == "0" || !s.starts_with('0'));
    if canonical && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// The problem with one pick's leaf against the rules, if any (the per-leaf rules of §11 a
/// phone can check: amount, merchant, weight, dates, entry time).
fn leaf_problem(record: &DrawRecord, bundle: &DrawBundle, p: &BundlePick) -> Option<Said> {
    let rules = &record.rules;
    let draw = rules.draw(record.draw_index)?;
    let leaf = &p.leaf;
    let f = &record.freeze.freeze;
    if leaf.amount_fen < rules.threshold_fen || leaf.amount_fen > rules.max_amount_fen {
        return Some(t(
            format!(
                "amount {} yuan is outside the rules' range",
                leaf.amount_fen
            ),
            format!("金额 {} 元不在规则允许的范围内", leaf.amount_fen),
        ));
    }
    if leaf.weight != rules.weight_for(leaf.amount_fen) {
        return Some(t(
            format!("weight {} differs from the rules", leaf.weight),
            format!("权重 {} 与规则不符", leaf.weight),
        ));
    }
    let Some(m) = rules.merchant(&leaf.merchant_id) else {
        return Some(t(
            format!("merchant {:?} is not shown in the bundle", leaf.merchant_id),
            format!("证明包中没有商户 {:?}", leaf.merchant_id),
        ));
    };
    let listed = merkle::verify_inclusion(
        &merkle::leaf_hash(&merchant_leaf(m)),
        u64::from(p.merchant_index),
        u64::from(bundle.merchant_count),
        &p.merchant_path,
        &bundle.merchants_root,
    );
    if listed.is_err() {
        return Some(t(
            format!(
                "merchant {:?} is not proven in the rules' list",
                leaf.merchant_id
            ),
            format!("商户 {:?} 未被证明在规则的商户名单中", leaf.merchant_id),
        ));
    }
    let entry_day = crate::civil::CivilDate::china_date_at(leaf.entered_at_ms);
    if leaf.date < draw.entry_start
        || leaf.date > draw.entry_end
        || entry_day.is_none_or(|d| leaf.date > d)
    {
        return Some(t(
            format!("receipt date {} is not allowed", leaf.date),
            format!("小票日期 {} 不符合规则", leaf.date),
        ));
    }
    if leaf.entered_at_ms < draw.entry_start.china_start_ms()
        || leaf.entered_at_ms >= draw.closes_at_ms()
        || leaf.entered_at_ms >= f.frozen_at_ms
    {
        return Some(t(
            format!(
                "entered at {}, outside the window",
                crate::civil::china_time(leaf.entered_at_ms)
            ),
            format!(
                "登记于 {}，不在登记期内",
                crate::civil::china_time_zh(leaf.entered_at_ms)
            ),
        ));
    }
    None
}

/// Light verification of a bundle against the anchor (SPEC.md §12.1): the record's own checks
/// (§11, all but the ledger's), then each pick: its `t` recomputed from the record, its leaf in
/// the frozen log, its interval in the draw tree containing `t`, its leaf's eligibility, the
/// skip rule; then the placements against the record's winners and alternates.
pub fn verify_bundle(bundle: &DrawBundle, anchor: Anchor) -> Report {
    use crate::verify::{
        check_freeze, check_head, check_seed, check_seed_inputs, compare_placements,
    };
    let mut r = Report::default();
    let record = &bundle.record;
    let rules = &record.rules;
    r.add(
        "bundle.version",
        bundle.version == BUNDLE_VERSION,
        t(
            format!(
                "bundle version {} (this verifier reads {BUNDLE_VERSION})",
                bundle.version
            ),
            format!(
                "证明包版本 {}（本核验工具读取版本 {BUNDLE_VERSION}）",
                bundle.version
            ),
        ),
    );
    let valid = rules.validate_without_merchants().and_then(|()| {
        if bundle.merchant_count == 0 {
            Err(crate::rules::RulesError {
                field: "merchants".into(),
                problem: "at least one merchant".into(),
            })
        } else {
            Ok(())
        }
    });
    let hash = rules.hash_with_merchants(bundle.merchant_count, &bundle.merchants_root);
    let Some(draw) = check_head(&mut r, record, anchor, valid, hash) else {
        return r;
    };
    check_freeze(&mut r, record, draw);
    check_seed_inputs(&mut r, record, draw);
    let seed = check_seed(&mut r, record, draw);

    let f = &record.freeze.freeze;
    let root = SumNode {
        sum: f.total_weight,
        hash: f.draw_root,
    };
    let places = draw.prizes.len() + draw.alternates as usize;
    let want = record.winners.len() + record.alternates.len();
    r.add(
        "bundle.count",
        want <= places && (f.total_weight > 0 || want == 0),
        t(
            format!("{want} people placed; the rules have {places} places"),
            format!("入选 {want} 人；规则共有 {places} 个名额"),
        ),
    );
    let mut stream = PickStream::of(record, &seed);
    let mut holders = BTreeSet::new();
    let mut placed: Vec<&BundlePick> = Vec::new();
    let mut used = 0usize;
    for (k, p) in bundle.picks.iter().enumerate() {
        if placed.len() >= want {
            break;
        }
        used = k + 1;
        let expected = stream.next();
        let drawn = parse_u64(&p.t);
        r.add(
            format!("pick.{k}.t"),
            drawn.is_some() && drawn == expected,
            match (drawn, expected) {
                (Some(c), Some(e)) if c == e => {
                    t(format!("drawn chance {c}"), format!("抽中第 {c} 个机会"))
                }
                (_, Some(e)) => t(
                    format!("the record gives chance {e}; the bundle says {:?}", p.t),
                    format!("按记录应为第 {e} 个机会；证明包写的是 {:?}", p.t),
                ),
                (_, None) => t("the record gives no further draw", "按记录不再有下一次抽取"),
            },
        );
        let leaf_hash = p.leaf.leaf_hash();
        let logged =
            merkle::verify_inclusion(&leaf_hash, p.leaf.index, f.tree_size, &p.log_path, &f.root);
        r.add(
            format!("pick.{k}.log"),
            logged.is_ok(),
            match &logged {
                Ok(()) => t(
                    format!("leaf {} is in the frozen log", p.leaf.index),
                    format!("第 {} 号奖券在冻结名单中", p.leaf.index),
                ),
                Err(e) => t(
                    format!("leaf {}: {e}", p.leaf.index),
                    format!("第 {} 号奖券的包含证明无效（{e}）", p.leaf.index),
                ),
            },
        );
        let path: Option<Vec<SumNode>> = p
            .draw_path
            .iter()
            .map(|n| {
                Some(SumNode {
                    sum: parse_u64(&n.sum)?,
                    hash: n.hash,
                })
            })
            .collect();
        let leaf_node = SumNode {
            sum: u64::from(p.leaf.weight),
            hash: leaf_hash,
        };
        let interval = path
            .ok_or(crate::drawtree::PathError::WrongLength)
            .and_then(|path| verify_path(p.leaf.index, f.tree_size, leaf_node, &path, &root));
        let covers = match (interval, drawn) {
            (Ok(o), Some(t)) => o <= t && t - o < u64::from(p.leaf.weight),
            _ => false,
        };
        r.add(
            format!("pick.{k}.draw"),
            covers,
            match interval {
                Ok(o) => {
                    let end = o.saturating_add(u64::from(p.leaf.weight));
                    t(
                        format!(
                            "leaf {} owns chances [{o}, {end}) of {}",
                            p.leaf.index, f.total_weight
                        ),
                        format!(
                            "第 {} 号奖券拥有 {} 个机会中的 [{o}, {end})",
                            p.leaf.index, f.total_weight
                        ),
                    )
                }
                Err(e) => t(e.to_string(), format!("抽奖树路径无效（{e}）")),
            },
        );
        let problem = leaf_problem(record, bundle, p);
        r.add(
            format!("pick.{k}.eligible"),
            problem.is_none(),
            problem.unwrap_or_else(|| t("the leaf meets the rules", "该奖券符合规则")),
        );
        if holders.insert(p.leaf.participant) {
            placed.push(p);
        }
    }
    r.add(
        "bundle.picks",
        placed.len() == want && used == bundle.picks.len(),
        t(
            format!(
                "{} picks place {} people; the record places {want}; {} picks in the bundle",
                used,
                placed.len(),
                bundle.picks.len()
            ),
            format!(
                "{} 次抽取选出 {} 人；记录中为 {want} 人；证明包含 {} 次抽取",
                used,
                placed.len(),
                bundle.picks.len()
            ),
        ),
    );
    let placement = |rank: usize, p: &BundlePick, prize: Option<String>| Placement {
        rank: rank as u32,
        prize,
        leaf_index: p.leaf.index,
        ticket_id: p.leaf.ticket_id,
        participant: p.leaf.participant,
        phone_masked: String::new(),
        phone_salt: [0; 16],
    };
    let cut = draw.prizes.len().min(placed.len());
    let winners: Vec<Placement> = placed[..cut]
        .iter()
        .enumerate()
        .map(|(k, p)| placement(k, p, draw.prizes.get(k).map(|x| x.name.clone())))
        .collect();
    let alternates: Vec<Placement> = placed[cut..]
        .iter()
        .enumerate()
        .map(|(k, p)| placement(k, p, None))
        .collect();
    let commitment_of = |i: u64| {
        placed
            .iter()
            .find(|p| p.leaf.index == i)
            .map(|p| p.leaf.phone_commitment)
    };
    compare_placements(&mut r, record, &winners, &alternates, &commitment_of);
    r
}

/// Whether a bundle's record is `record` with its merchant list cut (every other field equal,
/// every merchant kept listed in `record`): the check `bundle.record` when the full record is at
/// hand too.
pub fn matches_record(bundle: &DrawBundle, record: &DrawRecord) -> bool {
    let mut a = bundle.record.clone();
    let mut b = record.clone();
    let kept_listed = a
        .rules
        .merchants
        .iter()
        .all(|m| b.rules.merchants.contains(m));
    a.rules.merchants.clear();
    b.rules.merchants.clear();
    kept_listed && a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::verify_record;

    #[test]
    fn light_agrees_with_full_and_catches_tampering() {
        let (record, ledger) = crate::demo::demo_draw(80, &Hash32([9; 32])).expect("demo");
        let anchor = Anchor::Published(record.rules_hash);
        assert!(verify_record(&record, &ledger, anchor).all_passed());
        let bundle = make_bundle(&record, &ledger).expect("bundle");
        let report = verify_bundle(&bundle, anchor);
        assert!(report.all_passed(), "{:?}", report.failed());
        assert!(bundle.record.rules.merchants.len() <= bundle.picks.len());
        // JSON round trip.
        let text = serde_json::to_string(&bundle).expect("json");
        let back: DrawBundle = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, bundle);
        // A falsified sibling sum.
        let mut b = bundle.clone();
        let n = &mut b.picks[0].draw_path[0];
        n.sum = (parse_u64(&n.sum).expect("sum") + 1).to_string();
        assert!(verify_bundle(&b, anchor).failed().contains(&"pick.0.draw"));
        // Another t.
        let mut b = bundle.clone();
        b.picks[1].t = (parse_u64(&b.picks[1].t).expect("t") + 1).to_string();
        assert!(verify_bundle(&b, anchor).failed().contains(&"pick.1.t"));
        // A pick dropped: the placements no longer follow.
        let mut b = bundle.clone();
        b.picks.remove(0);
        assert!(!verify_bundle(&b, anchor).all_passed());
        // Without the anchor.
        assert_eq!(
            verify_bundle(&bundle, Anchor::Missing).failed(),
            vec!["anchor"]
        );
    }
}
