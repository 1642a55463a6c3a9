//! Verification of a draw record against its ledger (SPEC.md §11).
//!
//! Each check is reported on its own, with a stable id, so a failure says exactly what differs.
//! Later checks still run when earlier ones fail, wherever they can; none of them panics.
//! Every check chains from the anchor: the rules hash published before entries opened.

use crate::entropy::quicknet_round_time_ms;
use crate::hash::Hash32;
use crate::ledger::Ledger;
use crate::record::{DrawRecord, RECORD_VERSION, placements_for, run_selection};
use crate::seed::{SeedInputs, commitment, derive_seed};
use crate::summary::{LedgerSummary, ScanRules, Tally};
use serde::{Deserialize, Serialize};

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id (`anchor`, `rules.hash`, `commitment.0.reveal`, `winner.3`, …), listed in
    /// SPEC.md §11.
    pub id: String,
    /// Passed?
    pub ok: bool,
    /// What was compared, or what differs (English).
    pub detail: String,
    /// The same, in Chinese (empty from a verifier older than this field).
    #[serde(default)]
    pub detail_zh: String,
}

use crate::message::Said;

/// A detail in English and Chinese (English first, as the checks read).
pub(crate) fn t(en: impl Into<String>, zh: impl Into<String>) -> Said {
    Said::new(zh, en)
}

/// An error's own words in both languages.
pub(crate) fn coded(e: &dyn crate::message::Coded) -> Said {
    t(e.message_en(), e.message_zh())
}

/// A seed party as the rules' identity names it in Chinese (主办方), else its id.
fn who(rules: &crate::rules::CampaignRules, party: &str) -> String {
    rules
        .identity
        .as_ref()
        .and_then(|i| i.party(party))
        .map_or_else(|| party.to_owned(), |p| p.zh.clone())
}

/// Seed parties in Chinese, joined with 、.
fn whom(rules: &crate::rules::CampaignRules, parties: &[&str]) -> String {
    let names: Vec<String> = parties.iter().map(|p| who(rules, p)).collect();
    if names.is_empty() {
        "（无）".into()
    } else {
        names.join("、")
    }
}

/// A time as both languages write it.
fn at(ms: u64) -> (String, String) {
    (
        crate::civil::china_time(ms),
        crate::civil::china_time_zh(ms),
    )
}

/// All checks, in the order SPEC.md gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    pub(crate) fn add(&mut self, id: impl Into<String>, ok: bool, detail: Said) {
        self.checks.push(Check {
            id: id.into(),
            ok,
            detail: detail.en,
            detail_zh: detail.zh,
        });
    }

    /// A report of one failed check: a record or ledger that cannot even be read
    /// (`record.format`, `ledger.format`).
    pub fn unreadable(id: &str, detail: impl Into<String>) -> Self {
        let mut r = Report::default();
        let en = detail.into();
        let zh = format!("无法读取（{en}）");
        r.add(id, false, t(en, zh));
        r
    }

    /// True when every check passed.
    pub fn all_passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    /// The ids of failed checks.
    pub fn failed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.id.as_str())
            .collect()
    }
}

/// What the record's rules hash is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The rules hash published before entries opened (posters, newspaper, notary's file).
    Published(Hash32),
    /// None was given: the `anchor` check fails, since a record alone proves only that it is
    /// consistent with itself.
    Missing,
    /// The caller asked for self-consistency only: no `anchor` check at all.
    SelfConsistencyOnly,
}

fn short(h: &impl std::fmt::Display) -> String {
    let s = h.to_string();
    if s.len() > 16 {
        format!("{}…", &s[..16])
    } else {
        s
    }
}

/// The rules a ledger of this record is checked against, if the record names a real draw.
pub fn scan_rules(record: &DrawRecord) -> Option<ScanRules<'_>> {
    record.rules.draw(record.draw_index).map(|draw| ScanRules {
        rules: &record.rules,
        draw,
        frozen_at_ms: record.freeze.freeze.frozen_at_ms,
    })
}

/// Checks a record against the published ledger held in memory.
pub fn verify_record(record: &DrawRecord, ledger: &Ledger, anchor: Anchor) -> Report {
    verify_summary(
        record,
        &LedgerSummary::of(ledger, scan_rules(record)),
        anchor,
    )
}

fn hash_check(r: &mut Report, id: &str, what: (&str, &str), got: &Hash32, want: &Hash32) {
    let (en, zh) = what;
    r.add(
        id,
        got == want,
        if got == want {
            t(format!("{en} {got}"), format!("{zh} {got}"))
        } else {
            t(
                format!("{en} is {got}; expected {want}"),
                format!("{zh}为 {got}，应为 {want}"),
            )
        },
    );
}

/// Checks a record against a ledger scanned with [`scan_rules`] of the same record.
pub fn verify_summary(record: &DrawRecord, ledger: &LedgerSummary, anchor: Anchor) -> Report {
    let mut r = Report::default();
    let rules = &record.rules;
    let Some(draw) = check_head(&mut r, record, anchor, rules.validate(), rules.hash()) else {
        return r;
    };
    check_freeze(&mut r, record, draw);
    let freeze = &record.freeze.freeze;
    r.add(
        "ledger.size",
        ledger.size == freeze.tree_size,
        t(
            format!(
                "the ledger has {} entries, the freeze says {}",
                ledger.size, freeze.tree_size
            ),
            format!(
                "名单有 {} 条，冻结声明为 {} 条",
                ledger.size, freeze.tree_size
            ),
        ),
    );
    hash_check(
        &mut r,
        "ledger.root",
        ("the ledger's root", "名单的默克尔根"),
        &ledger.root,
        &freeze.root,
    );
    match &ledger.draw_root {
        Ok(node) => {
            r.add(
                "ledger.total_weight",
                node.sum == freeze.total_weight,
                t(
                    format!(
                        "the ledger's weights add up to {}, the freeze says {}",
                        node.sum, freeze.total_weight
                    ),
                    format!(
                        "名单权重合计 {}，冻结声明为 {}",
                        node.sum, freeze.total_weight
                    ),
                ),
            );
            hash_check(
                &mut r,
                "ledger.draw_root",
                ("the ledger's draw-tree root", "名单的抽奖树根"),
                &node.hash,
                &freeze.draw_root,
            );
        }
        Err(e) => {
            let text = t(e.to_string(), format!("抽奖树无法计算（{e}）"));
            r.add("ledger.total_weight", false, text.clone());
            r.add("ledger.draw_root", false, text);
        }
    }
    check_entries(&mut r, ledger);
    check_seed_inputs(&mut r, record, draw);
    let seed = check_seed(&mut r, record, draw);

    // The selection, recomputed from the recomputed seed over the published ledger.
    let prizes = u32::try_from(draw.prizes.len()).unwrap_or(u32::MAX);
    match run_selection(
        &draw.algorithm,
        &seed,
        &freeze.hash(),
        &record.public_entropy,
        &ledger.entrants,
        prizes,
        draw.alternates,
    ) {
        Err(e) => r.add(
            "selection",
            false,
            t(e.to_string(), format!("无法重算抽奖（{e}）")),
        ),
        Ok(sel) => {
            let (winners, alternates) = placements_for(rules, record.draw_index, ledger, &sel);
            compare_placements(&mut r, record, &winners, &alternates, &|i| {
                ledger.phone_commitment(i)
            });
        }
    }
    r
}

/// The checks before any ledger: `anchor`, `record.version`, `rules.valid`, `rules.hash`,
/// `draw.index`. `rules_valid` and `rules_hash` are computed by the caller (from the whole
/// rules, or, in a proof bundle, with the merchant list given by its root). Returns the draw.
pub(crate) fn check_head<'a>(
    r: &mut Report,
    record: &'a DrawRecord,
    anchor: Anchor,
    rules_valid: Result<(), crate::rules::RulesError>,
    rules_hash: Hash32,
) -> Option<&'a crate::rules::DrawRules> {
    match anchor {
        Anchor::Published(a) => r.add(
            "anchor",
            a == record.rules_hash,
            if a == record.rules_hash {
                t(
                    format!("the record's rules hash is the published anchor {a}"),
                    format!("记录的规则哈希就是公布的锚点 {a}"),
                )
            } else {
                t(
                    format!(
                        "the record's rules hash {} is not the published anchor {a}",
                        record.rules_hash
                    ),
                    format!(
                        "记录的规则哈希 {} 不是公布的锚点 {a}",
                        record.rules_hash
                    ),
                )
            },
        ),
        Anchor::Missing => r.add(
            "anchor",
            false,
            t(
                "no published rules hash given: without it a record proves only that it agrees with itself",
                "没有给出公布的规则哈希（锚点）：没有它，一份记录只能证明自身前后一致",
            ),
        ),
        Anchor::SelfConsistencyOnly => {}
    }
    r.add(
        "record.version",
        record.version == RECORD_VERSION,
        t(
            format!(
                "version {} (this verifier reads {RECORD_VERSION})",
                record.version
            ),
            format!(
                "版本 {}（本核验工具读取版本 {RECORD_VERSION}）",
                record.version
            ),
        ),
    );
    match rules_valid {
        Ok(()) => r.add(
            "rules.valid",
            true,
            t("the rules are well-formed", "规则格式正确、可以执行"),
        ),
        Err(e) => r.add("rules.valid", false, coded(&e)),
    }
    hash_check(
        r,
        "rules.hash",
        ("the rules hash", "规则哈希"),
        &rules_hash,
        &record.rules_hash,
    );
    let Some(draw) = record.rules.draw(record.draw_index) else {
        r.add(
            "draw.index",
            false,
            t(
                format!("the rules have no draw {}", record.draw_index),
                format!("规则中没有第 {} 期", record.draw_index + 1),
            ),
        );
        return None;
    };
    r.add(
        "draw.index",
        true,
        t(
            format!("draw {} ({})", record.draw_index, draw.name),
            format!("第 {} 期（{}）", record.draw_index + 1, draw.name),
        ),
    );
    Some(draw)
}

/// `freeze.binding`, `freeze.signature`, `freeze.after_close`.
pub(crate) fn check_freeze(r: &mut Report, record: &DrawRecord, draw: &crate::rules::DrawRules) {
    let rules = &record.rules;
    let freeze = &record.freeze.freeze;
    let bound = freeze.rules_hash == record.rules_hash
        && freeze.campaign_id == rules.id
        && freeze.draw_index == record.draw_index;
    r.add(
        "freeze.binding",
        bound,
        t(
            format!(
                "the freeze names rules {}, campaign {:?}, draw {}",
                short(&freeze.rules_hash),
                freeze.campaign_id,
                freeze.draw_index
            ),
            format!(
                "冻结声明指向规则 {}、活动“{}”、第 {} 期",
                short(&freeze.rules_hash),
                freeze.campaign_id,
                freeze.draw_index + 1
            ),
        ),
    );
    match record.freeze.verify(&rules.server_key) {
        Ok(()) => {
            let key = hex::encode(&rules.server_key[..8]);
            r.add(
                "freeze.signature",
                true,
                t(
                    format!("signed by the server key in the rules ({key}…)"),
                    format!("由规则中的服务器公钥（{key}…）签名"),
                ),
            )
        }
        Err(e) => r.add(
            "freeze.signature",
            false,
            t(e.to_string(), format!("签名无效（{e}）")),
        ),
    }
    r.add(
        "freeze.after_close",
        freeze.frozen_at_ms >= draw.closes_at_ms(),
        {
            let (frozen, closed) = (at(freeze.frozen_at_ms), at(draw.closes_at_ms()));
            t(
                format!(
                    "frozen at {}; the entry window closed at {}",
                    frozen.0, closed.0
                ),
                format!("冻结于 {}；登记截止于 {}", frozen.1, closed.1),
            )
        },
    );
}

/// Commitments (bound by the freeze): one per party in the rules, in order, made before the
/// window closed, each opened by its party's reveal, made between freeze and deadline; then the
/// public entropy.
pub(crate) fn check_seed_inputs(
    r: &mut Report,
    record: &DrawRecord,
    draw: &crate::rules::DrawRules,
) {
    let freeze = &record.freeze.freeze;
    let parties: Vec<&str> = freeze
        .commitments
        .iter()
        .map(|c| c.party.as_str())
        .collect();
    let expected: Vec<&str> = draw.seed_parties.iter().map(String::as_str).collect();
    r.add(
        "commitments.parties",
        parties == expected,
        t(
            format!("commitments from {parties:?}; the rules name {expected:?}"),
            format!(
                "作出承诺的是{}；规则规定{}",
                whom(&record.rules, &parties),
                whom(&record.rules, &expected)
            ),
        ),
    );
    let revealed: Vec<&str> = record.reveals.iter().map(|c| c.party.as_str()).collect();
    r.add(
        "reveals.parties",
        revealed == expected,
        t(
            format!("reveals from {revealed:?}; the rules name {expected:?}"),
            format!(
                "揭示秘密的是{}；规则规定{}",
                whom(&record.rules, &revealed),
                whom(&record.rules, &expected)
            ),
        ),
    );
    for (i, c) in freeze.commitments.iter().enumerate() {
        let closes = draw.closes_at_ms();
        let in_time = c.published_at_ms < closes && c.published_at_ms < freeze.frozen_at_ms;
        r.add(format!("commitment.{i}.time"), in_time, {
            let (when, closed) = (at(c.published_at_ms), at(closes));
            t(
                format!(
                    "{} committed at {}; entries closed at {}",
                    c.party, when.0, closed.0
                ),
                format!(
                    "{}承诺于 {}；登记截止于 {}",
                    who(&record.rules, &c.party),
                    when.1,
                    closed.1
                ),
            )
        });
        let reveal = record.reveals.iter().find(|x| x.party == c.party);
        let opened = reveal.map(|x| {
            commitment(&record.rules_hash, record.draw_index, &x.party, &x.secret) == c.commitment
        });
        r.add(
            format!("commitment.{i}.reveal"),
            opened == Some(true),
            match opened {
                Some(true) => t(
                    format!(
                        "{}'s reveal opens commitment {}",
                        c.party,
                        short(&c.commitment)
                    ),
                    format!(
                        "{}揭示的秘密与承诺 {} 一致",
                        who(&record.rules, &c.party),
                        short(&c.commitment)
                    ),
                ),
                Some(false) => t(
                    format!(
                        "{}'s reveal does not open commitment {}",
                        c.party,
                        short(&c.commitment)
                    ),
                    format!(
                        "{}揭示的秘密与承诺 {} 不一致",
                        who(&record.rules, &c.party),
                        short(&c.commitment)
                    ),
                ),
                None => t(
                    format!("{} has not revealed", c.party),
                    format!("{}尚未揭示秘密", who(&record.rules, &c.party)),
                ),
            },
        );
    }
    for (i, x) in record.reveals.iter().enumerate() {
        let ok =
            x.revealed_at_ms > freeze.frozen_at_ms && x.revealed_at_ms <= draw.reveal_deadline_ms;
        r.add(format!("reveal.{i}.time"), ok, {
            let (when, frozen, deadline) = (
                at(x.revealed_at_ms),
                at(freeze.frozen_at_ms),
                at(draw.reveal_deadline_ms),
            );
            t(
                format!(
                    "{} revealed at {}; after the freeze at {} and by the deadline {}",
                    x.party, when.0, frozen.0, deadline.0
                ),
                format!(
                    "{}揭示于 {}；须在冻结（{}）之后、截止（{}）之前",
                    who(&record.rules, &x.party),
                    when.1,
                    frozen.1,
                    deadline.1
                ),
            )
        });
    }
    check_entropy(r, record, draw);
    check_witnessing(r, record, draw);
}

/// The earliest moment any of the draw's public entropy exists (drand round time, each
/// source's draw time).
fn entropy_time_ms(draw: &crate::rules::DrawRules) -> Option<u64> {
    let drand = draw
        .entropy
        .drand
        .as_ref()
        .map(|d| quicknet_round_time_ms(d.round));
    let numbers = draw
        .entropy
        .public_numbers
        .iter()
        .flat_map(|p| p.sources.iter().map(|s| s.drawn_at_ms));
    drand.into_iter().chain(numbers).min()
}

/// The witnessed times (SPEC.md §17.3), when the rules name witnesses: `witness.journal`,
/// `freeze.witnessed`, `freeze.witnessed_before_entropy`, `commitment.<i>.witnessed`,
/// `reveal.<i>.witnessed`.
fn check_witnessing(r: &mut Report, record: &DrawRecord, draw: &crate::rules::DrawRules) {
    use crate::journal::{Event, Witnessed, before};
    let rules = &record.rules;
    if rules.witnesses.is_empty() {
        return;
    }
    let freeze = &record.freeze.freeze;
    let n = record.draw_index;
    let ids = |r: &mut Report, detail: &Said| {
        for id in ["freeze.witnessed", "freeze.witnessed_before_entropy"] {
            r.add(id, false, detail.clone());
        }
        for i in 0..freeze.commitments.len() {
            r.add(format!("commitment.{i}.witnessed"), false, detail.clone());
        }
        for i in 0..record.reveals.len() {
            r.add(format!("reveal.{i}.witnessed"), false, detail.clone());
        }
    };
    let Some(w) = &record.witnessing else {
        let detail = t(
            "the rules name witnesses but the record carries no witnessed journal",
            "规则指定了见证方，但记录中没有见证日志",
        );
        r.add("witness.journal", false, detail.clone());
        ids(r, &detail);
        return;
    };
    let w = match Witnessed::read(rules, &record.rules_hash, w) {
        Ok(w) => w,
        Err(e) => {
            r.add(
                "witness.journal",
                false,
                t(e.to_string(), format!("见证日志无法读取（{e}）")),
            );
            ids(r, &t("the journal cannot be read", "见证日志无法读取"));
            return;
        }
    };
    {
        let checkpoints = record
            .witnessing
            .as_ref()
            .map_or(0, |x| x.checkpoints.len());
        r.add(
            "witness.journal",
            true,
            t(
                format!(
                    "{} journal entries; {checkpoints} checkpoints signed by the server key; {} cosignatures by the rules' witnesses",
                    w.journal.len(),
                    w.cosigned.len()
                ),
                format!(
                    "见证日志 {} 条；服务器签名的检查点 {checkpoints} 个；规则所列见证方的联署 {} 个",
                    w.journal.len(),
                    w.cosigned.len()
                ),
            ),
        );
    }
    let quorum = |i: usize| w.quorum_time(i);
    // The draw's one freeze event, matching the record's freeze.
    let freeze_hash = freeze.hash();
    let freezes: Vec<(usize, &Event)> = w.find(n, |e| matches!(e, Event::Freeze { .. })).collect();
    let freeze_at = match freezes.as_slice() {
        [
            (
                i,
                Event::Freeze {
                    freeze_hash: h,
                    at_ms,
                    ..
                },
            ),
        ] if *h == freeze_hash && *at_ms == freeze.frozen_at_ms => Some(*i),
        _ => None,
    };
    match freeze_at {
        Some(i) => r.add(
            "freeze.witnessed",
            quorum(i).is_some(),
            t(
                format!("the freeze is journal entry {i}, {}", w.describe(i)),
                format!("冻结声明是见证日志第 {i} 条，{}", w.describe_zh(i)),
            ),
        ),
        None => r.add(
            "freeze.witnessed",
            false,
            t(
                format!(
                    "the journal holds {} freeze entries for draw {n}; exactly one, with this freeze's hash and time, is required",
                    freezes.len()
                ),
                format!(
                    "见证日志中第 {} 期的冻结条目有 {} 条；应恰有一条，且哈希与时间与本冻结声明相同",
                    n + 1,
                    freezes.len()
                ),
            ),
        ),
    }
    let entropy = entropy_time_ms(draw);
    let freeze_time = freeze_at.and_then(quorum);
    let entropy_text = entropy.map_or(("none".into(), "无".into()), at);
    r.add(
        "freeze.witnessed_before_entropy",
        matches!((freeze_time, entropy), (Some(t), Some(e)) if before(t, e)),
        match freeze_time {
            Some(s) => {
                let by = at(s * 1000);
                t(
                    format!(
                        "a quorum had cosigned the freeze by {}; the public entropy exists from {}",
                        by.0, entropy_text.0
                    ),
                    format!(
                        "法定数量的见证方在 {} 之前已联署冻结声明；公开随机数产生于 {}",
                        by.1, entropy_text.1
                    ),
                )
            }
            None => t(
                "the freeze was not cosigned by a quorum",
                "冻结声明未获法定数量的见证方联署",
            ),
        },
    );
    let closes = draw.closes_at_ms();
    for (i, c) in freeze.commitments.iter().enumerate() {
        let found: Vec<(usize, &Event)> = w
            .find(
                n,
                |e| matches!(e, Event::Commitment { party, .. } if *party == c.party),
            )
            .collect();
        let (ok, detail) = match found.as_slice() {
            [
                (
                    j,
                    Event::Commitment {
                        commitment, at_ms, ..
                    },
                ),
            ] => {
                let same = *commitment == c.commitment && *at_ms == c.published_at_ms;
                let first = freeze_at.is_none_or(|f| *j < f);
                let t = quorum(*j);
                let closed = at(closes);
                (
                    same && first && t.is_some_and(|t| before(t, closes)),
                    self::t(
                        format!(
                            "{}'s commitment is journal entry {j}{}; entries closed at {}; {}",
                            c.party,
                            if same {
                                ""
                            } else {
                                ", but differs from the freeze's"
                            },
                            closed.0,
                            w.describe(*j)
                        ),
                        format!(
                            "{}的承诺是见证日志第 {j} 条{}；登记截止于 {}；{}",
                            who(rules, &c.party),
                            if same {
                                ""
                            } else {
                                "，但与冻结声明中的不同"
                            },
                            closed.1,
                            w.describe_zh(*j)
                        ),
                    ),
                )
            }
            other => (
                false,
                not_one(("commitments", "承诺"), other.len(), rules, &c.party, n),
            ),
        };
        r.add(format!("commitment.{i}.witnessed"), ok, detail);
    }
    for (i, x) in record.reveals.iter().enumerate() {
        let found: Vec<(usize, &Event)> = w
            .find(
                n,
                |e| matches!(e, Event::Reveal { party, .. } if *party == x.party),
            )
            .collect();
        let (ok, detail) = match found.as_slice() {
            [(j, Event::Reveal { secret, at_ms, .. })] => {
                let same = secret.0 == x.secret.0 && *at_ms == x.revealed_at_ms;
                let after = freeze_at.is_some_and(|f| *j > f);
                let t = quorum(*j);
                (
                    same && after && matches!((t, entropy), (Some(t), Some(e)) if before(t, e)),
                    self::t(
                        format!(
                            "{}'s reveal is journal entry {j}{}{}; the public entropy exists from {}; {}",
                            x.party,
                            if same {
                                ""
                            } else {
                                ", but differs from the record's"
                            },
                            if after { "" } else { ", not after the freeze" },
                            entropy_text.0,
                            w.describe(*j)
                        ),
                        format!(
                            "{}的揭示是见证日志第 {j} 条{}{}；公开随机数产生于 {}；{}",
                            who(rules, &x.party),
                            if same {
                                ""
                            } else {
                                "，但与记录中的不同"
                            },
                            if after {
                                ""
                            } else {
                                "，且不在冻结之后"
                            },
                            entropy_text.1,
                            w.describe_zh(*j)
                        ),
                    ),
                )
            }
            other => (
                false,
                not_one(("reveals", "揭示"), other.len(), rules, &x.party, n),
            ),
        };
        r.add(format!("reveal.{i}.witnessed"), ok, detail);
    }
}

/// A party's events of one kind in the journal, found `count` times instead of once.
fn not_one(
    (kind_en, kind_zh): (&str, &str),
    count: usize,
    rules: &crate::rules::CampaignRules,
    party: &str,
    n: u32,
) -> Said {
    t(
        format!(
            "the journal holds {count} {kind_en} by {party} for draw {n}; exactly one is required"
        ),
        format!(
            "见证日志中{}在第 {} 期的{kind_zh}有 {count} 条；应恰有一条",
            who(rules, party),
            n + 1
        ),
    )
}

/// `seed` and `algorithm`; returns the recomputed seed.
pub(crate) fn check_seed(
    r: &mut Report,
    record: &DrawRecord,
    draw: &crate::rules::DrawRules,
) -> Hash32 {
    let freeze_hash = record.freeze.freeze.hash();
    let seed = derive_seed(&SeedInputs {
        freeze_hash: &freeze_hash,
        reveals: &record.reveals,
        entropy: &record.public_entropy,
    });
    hash_check(r, "seed", ("the seed", "种子"), &record.seed, &seed);
    r.add(
        "algorithm",
        record.algorithm == draw.algorithm,
        t(
            format!(
                "record uses {}; the rules name {}",
                record.algorithm, draw.algorithm
            ),
            format!("记录使用 {}；规则规定 {}", record.algorithm, draw.algorithm),
        ),
    );
    seed
}

fn check_entropy(r: &mut Report, record: &DrawRecord, draw: &crate::rules::DrawRules) {
    let freeze = &record.freeze.freeze;
    // The entropy must not exist before the last moment anyone could act on it.
    let last_act = record
        .reveals
        .iter()
        .map(|x| x.revealed_at_ms)
        .chain([freeze.frozen_at_ms, draw.reveal_deadline_ms])
        .max()
        .unwrap_or(0);
    let entropy = &record.public_entropy;
    match (&draw.entropy.drand, &entropy.drand) {
        (None, None) => {}
        (Some(spec), Some(beacon)) => {
            let ok = beacon.round == spec.round;
            let sig = beacon.verify();
            r.add(
                "entropy.drand",
                ok && sig.is_ok(),
                match (&sig, ok) {
                    (_, false) => t(
                        format!("round {} used; the rules name {}", beacon.round, spec.round),
                        format!(
                            "使用的是第 {} 轮；规则规定第 {} 轮",
                            beacon.round, spec.round
                        ),
                    ),
                    (Err(e), _) => t(e.to_string(), format!("drand 签名无效（{e}）")),
                    (Ok(()), _) => t(
                        format!(
                            "quicknet round {} verifies; randomness {}",
                            beacon.round,
                            short(&beacon.randomness)
                        ),
                        format!(
                            "drand quicknet 第 {} 轮签名有效；随机数 {}",
                            beacon.round,
                            short(&beacon.randomness)
                        ),
                    ),
                },
            );
            let published = quicknet_round_time_ms(spec.round);
            let (p, l) = (at(published), at(last_act));
            r.add(
                "entropy.drand_after_reveals",
                published > last_act,
                t(
                    format!(
                        "round {} was published at {}; freeze and reveals ended at {}",
                        spec.round, p.0, l.0
                    ),
                    format!(
                        "第 {} 轮发布于 {}；冻结与揭示结束于 {}",
                        spec.round, p.1, l.1
                    ),
                ),
            );
        }
        (Some(_), None) => r.add(
            "entropy.drand",
            false,
            t(
                "the rules name a drand round; the record has none",
                "规则指定了 drand 轮次，记录中却没有",
            ),
        ),
        (None, Some(_)) => r.add(
            "entropy.drand",
            false,
            t(
                "the record has a drand beacon the rules do not name",
                "记录中有规则未指定的 drand 随机信标",
            ),
        ),
    }
    match (&draw.entropy.public_numbers, &entropy.public_numbers) {
        (None, None) => {}
        (Some(spec), Some(numbers)) => {
            let key = crate::numbers::key_string(spec, &numbers.values);
            r.add(
                "entropy.public_numbers",
                key.as_deref() == Ok(numbers.key.as_str()),
                match key {
                    Err(e) => coded(&e),
                    Ok(k) if k != numbers.key => t(
                        format!(
                            "the values read as {k:?}, the record says {:?}",
                            numbers.key
                        ),
                        format!("号码读作 {k:?}，记录写的是 {:?}", numbers.key),
                    ),
                    Ok(k) => t(format!("key string {k}"), format!("号码键串 {k}")),
                },
            );
            let first = spec
                .sources
                .iter()
                .map(|s| s.drawn_at_ms)
                .min()
                .unwrap_or(0);
            let (f, l) = (at(first), at(last_act));
            r.add(
                "entropy.public_numbers_after_reveals",
                first > last_act,
                t(
                    format!(
                        "the numbers are drawn from {}; freeze and reveals ended at {}",
                        f.0, l.0
                    ),
                    format!("号码开出于 {}；冻结与揭示结束于 {}", f.1, l.1),
                ),
            );
        }
        (Some(_), None) => r.add(
            "entropy.public_numbers",
            false,
            t(
                "the rules name public numbers; the record has none",
                "规则指定了公开号码，记录中却没有",
            ),
        ),
        (None, Some(_)) => r.add(
            "entropy.public_numbers",
            false,
            t(
                "the record has public numbers the rules do not name",
                "记录中有规则未指定的公开号码",
            ),
        ),
    }
}

/// `winners.count`, `winner.<k>`, `alternates.count`, `alternate.<k>`: the recomputed
/// placements against the record's, each opening checked against its leaf's phone commitment.
pub(crate) fn compare_placements(
    r: &mut Report,
    record: &DrawRecord,
    winners: &[crate::record::Placement],
    alternates: &[crate::record::Placement],
    phone_commitment: &dyn Fn(u64) -> Option<Hash32>,
) {
    compare(r, "winner", winners, &record.winners, phone_commitment);
    compare(
        r,
        "alternate",
        alternates,
        &record.alternates,
        phone_commitment,
    );
}

fn compare(
    r: &mut Report,
    what: &str,
    expected: &[crate::record::Placement],
    claimed: &[crate::record::Placement],
    phone_commitment: &dyn Fn(u64) -> Option<Hash32>,
) {
    r.add(
        format!("{what}s.count"),
        expected.len() == claimed.len(),
        t(
            format!(
                "{} {what}s recomputed, {} in the record",
                expected.len(),
                claimed.len()
            ),
            format!(
                "重算得出{} {} 名，记录中 {} 名",
                if what == "winner" {
                    "中奖者"
                } else {
                    "候补"
                },
                expected.len(),
                claimed.len()
            ),
        ),
    );
    for (i, want) in expected.iter().enumerate() {
        let got = claimed.get(i);
        // The recomputed placement has no opening: compare the rest, then open the commitment.
        let same = got.is_some_and(|g| {
            g.rank == want.rank
                && g.prize == want.prize
                && g.leaf_index == want.leaf_index
                && g.ticket_id == want.ticket_id
                && g.participant == want.participant
        });
        let opens =
            got.is_some_and(|g| phone_commitment(g.leaf_index) == Some(g.opening().commitment()));
        let detail = match got {
            None => t(
                format!("leaf {} is missing from the record", want.leaf_index),
                format!("记录中缺少第 {} 号奖券", want.leaf_index),
            ),
            Some(g) if same && opens => t(
                format!(
                    "leaf {} ({}), ticket {}",
                    g.leaf_index,
                    g.phone_masked,
                    short(&g.ticket_id.to_hex())
                ),
                format!(
                    "第 {} 号奖券（{}），奖券号 {}",
                    g.leaf_index,
                    g.phone_masked,
                    short(&g.ticket_id.to_hex())
                ),
            ),
            Some(g) if same => t(
                format!(
                    "leaf {}: {:?} with that salt does not open the leaf's phone commitment",
                    g.leaf_index, g.phone_masked
                ),
                format!(
                    "第 {} 号奖券：{} 与所给的盐不能打开该奖券的手机号承诺",
                    g.leaf_index, g.phone_masked
                ),
            ),
            Some(g) => t(
                format!(
                    "the record names leaf {} ({}); recomputation gives leaf {}",
                    g.leaf_index, g.phone_masked, want.leaf_index
                ),
                format!(
                    "记录写的是第 {} 号奖券（{}）；重算得出第 {} 号",
                    g.leaf_index, g.phone_masked, want.leaf_index
                ),
            ),
        };
        r.add(format!("{what}.{i}"), same && opens, detail);
    }
}

fn tally_check(r: &mut Report, id: &str, tally: &Tally, all_ok: (&str, &str)) {
    r.add(
        id,
        tally.count == 0,
        match &tally.first {
            None => t(all_ok.0, all_ok.1),
            Some(f) => t(
                format!("{} entries break this rule; first: {}", tally.count, f.en),
                format!("{} 条不符合此规则；第一条：{}", tally.count, f.zh),
            ),
        },
    );
}

fn check_entries(r: &mut Report, ledger: &LedgerSummary) {
    let tallies = &ledger.tallies;
    tally_check(
        r,
        "ledger.amounts",
        &tallies.amounts,
        (
            "every amount is within the rules' range",
            "每笔金额都在规则允许的范围内",
        ),
    );
    tally_check(
        r,
        "ledger.merchants",
        &tallies.merchants,
        ("every merchant is on the list", "每个商户都在参与名单上"),
    );
    tally_check(
        r,
        "ledger.weights",
        &tallies.weights,
        (
            "every weight is as the rules give it",
            "每张奖券的权重都符合规则",
        ),
    );
    tally_check(
        r,
        "ledger.dates",
        &tallies.dates,
        (
            "every receipt is dated in the draw window, no later than its day of entry",
            "每张小票的日期都在本期范围内，且不晚于登记当天",
        ),
    );
    tally_check(
        r,
        "ledger.entry_times",
        &tallies.entry_times,
        (
            "every entry was made inside the entry window and before the freeze",
            "每次登记都在登记期内、冻结之前",
        ),
    );
    tally_check(
        r,
        "ledger.caps",
        &tallies.caps,
        ("no participant exceeds a cap", "没有参与者超出限额"),
    );
    let repeats = ledger.repeated_fingerprints + ledger.repeated_tickets;
    r.add(
        "ledger.unique",
        repeats == 0,
        if repeats == 0 {
            t(
                "no receipt fingerprint or ticket id appears twice",
                "没有重复的小票指纹或奖券号",
            )
        } else {
            t(
                format!(
                    "{} repeated receipt fingerprints, {} repeated ticket ids",
                    ledger.repeated_fingerprints, ledger.repeated_tickets
                ),
                format!(
                    "重复的小票指纹 {} 个，重复的奖券号 {} 个",
                    ledger.repeated_fingerprints, ledger.repeated_tickets
                ),
            )
        },
    );
}
