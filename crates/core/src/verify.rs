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
    /// What was compared, or what differs.
    pub detail: String,
}

/// All checks, in the order SPEC.md gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    pub(crate) fn add(&mut self, id: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            id: id.into(),
            ok,
            detail: detail.into(),
        });
    }

    /// A report of one failed check: a record or ledger that cannot even be read
    /// (`record.format`, `ledger.format`).
    pub fn unreadable(id: &str, detail: impl Into<String>) -> Self {
        let mut r = Report::default();
        r.add(id, false, detail);
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

fn hash_check(r: &mut Report, id: &str, what: &str, got: &Hash32, want: &Hash32) {
    r.add(
        id,
        got == want,
        if got == want {
            format!("{what} {got}")
        } else {
            format!("{what} is {got}; expected {want}")
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
        format!(
            "the ledger has {} entries, the freeze says {}",
            ledger.size, freeze.tree_size
        ),
    );
    hash_check(
        &mut r,
        "ledger.root",
        "the ledger's root",
        &ledger.root,
        &freeze.root,
    );
    match &ledger.draw_root {
        Ok(node) => {
            r.add(
                "ledger.total_weight",
                node.sum == freeze.total_weight,
                format!(
                    "the ledger's weights add up to {}, the freeze says {}",
                    node.sum, freeze.total_weight
                ),
            );
            hash_check(
                &mut r,
                "ledger.draw_root",
                "the ledger's draw-tree root",
                &node.hash,
                &freeze.draw_root,
            );
        }
        Err(e) => {
            r.add("ledger.total_weight", false, e.to_string());
            r.add("ledger.draw_root", false, e.to_string());
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
        Err(e) => r.add("selection", false, e.to_string()),
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
                format!("the record's rules hash is the published anchor {a}")
            } else {
                format!(
                    "the record's rules hash {} is not the published anchor {a}",
                    record.rules_hash
                )
            },
        ),
        Anchor::Missing => r.add(
            "anchor",
            false,
            "no published rules hash given: without it a record proves only that it agrees with itself",
        ),
        Anchor::SelfConsistencyOnly => {}
    }
    r.add(
        "record.version",
        record.version == RECORD_VERSION,
        format!(
            "version {} (this verifier reads {RECORD_VERSION})",
            record.version
        ),
    );
    match rules_valid {
        Ok(()) => r.add("rules.valid", true, "the rules are well-formed"),
        Err(e) => r.add("rules.valid", false, e.to_string()),
    }
    hash_check(
        r,
        "rules.hash",
        "the rules hash",
        &rules_hash,
        &record.rules_hash,
    );
    let Some(draw) = record.rules.draw(record.draw_index) else {
        r.add(
            "draw.index",
            false,
            format!("the rules have no draw {}", record.draw_index),
        );
        return None;
    };
    r.add(
        "draw.index",
        true,
        format!("draw {} ({})", record.draw_index, draw.name),
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
        format!(
            "the freeze names rules {}, campaign {:?}, draw {}",
            short(&freeze.rules_hash),
            freeze.campaign_id,
            freeze.draw_index
        ),
    );
    match record.freeze.verify(&rules.server_key) {
        Ok(()) => r.add(
            "freeze.signature",
            true,
            format!(
                "signed by the server key in the rules ({}…)",
                hex::encode(&rules.server_key[..8])
            ),
        ),
        Err(e) => r.add("freeze.signature", false, e.to_string()),
    }
    r.add(
        "freeze.after_close",
        freeze.frozen_at_ms >= draw.closes_at_ms(),
        format!(
            "frozen at {} ms; the entry window closed at {} ms",
            freeze.frozen_at_ms,
            draw.closes_at_ms()
        ),
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
        format!("commitments from {parties:?}; the rules name {expected:?}"),
    );
    let revealed: Vec<&str> = record.reveals.iter().map(|c| c.party.as_str()).collect();
    r.add(
        "reveals.parties",
        revealed == expected,
        format!("reveals from {revealed:?}; the rules name {expected:?}"),
    );
    for (i, c) in freeze.commitments.iter().enumerate() {
        let closes = draw.closes_at_ms();
        let in_time = c.published_at_ms < closes && c.published_at_ms < freeze.frozen_at_ms;
        r.add(
            format!("commitment.{i}.time"),
            in_time,
            format!(
                "{} committed at {} ms; entries closed at {closes} ms",
                c.party, c.published_at_ms
            ),
        );
        let reveal = record.reveals.iter().find(|x| x.party == c.party);
        let opened = reveal.map(|x| {
            commitment(&record.rules_hash, record.draw_index, &x.party, &x.secret) == c.commitment
        });
        r.add(
            format!("commitment.{i}.reveal"),
            opened == Some(true),
            match opened {
                Some(true) => format!(
                    "{}'s reveal opens commitment {}",
                    c.party,
                    short(&c.commitment)
                ),
                Some(false) => format!(
                    "{}'s reveal does not open commitment {}",
                    c.party,
                    short(&c.commitment)
                ),
                None => format!("{} has not revealed", c.party),
            },
        );
    }
    for (i, x) in record.reveals.iter().enumerate() {
        let ok =
            x.revealed_at_ms > freeze.frozen_at_ms && x.revealed_at_ms <= draw.reveal_deadline_ms;
        r.add(
            format!("reveal.{i}.time"),
            ok,
            format!(
                "{} revealed at {} ms; after the freeze at {} ms and by the deadline {} ms",
                x.party, x.revealed_at_ms, freeze.frozen_at_ms, draw.reveal_deadline_ms
            ),
        );
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
    let ids = |r: &mut Report, detail: &str| {
        for id in ["freeze.witnessed", "freeze.witnessed_before_entropy"] {
            r.add(id, false, detail);
        }
        for i in 0..freeze.commitments.len() {
            r.add(format!("commitment.{i}.witnessed"), false, detail);
        }
        for i in 0..record.reveals.len() {
            r.add(format!("reveal.{i}.witnessed"), false, detail);
        }
    };
    let Some(w) = &record.witnessing else {
        let detail = "the rules name witnesses but the record carries no witnessed journal";
        r.add("witness.journal", false, detail);
        ids(r, detail);
        return;
    };
    let w = match Witnessed::read(rules, &record.rules_hash, w) {
        Ok(w) => w,
        Err(e) => {
            r.add("witness.journal", false, e.to_string());
            ids(r, "the journal cannot be read");
            return;
        }
    };
    r.add(
        "witness.journal",
        true,
        format!(
            "{} journal entries; {} checkpoints signed by the server key; {} cosignatures by the rules' witnesses",
            w.journal.len(),
            record.witnessing.as_ref().map_or(0, |x| x.checkpoints.len()),
            w.cosigned.len()
        ),
    );
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
            format!("the freeze is journal entry {i}, {}", w.describe(i)),
        ),
        None => r.add(
            "freeze.witnessed",
            false,
            format!(
                "the journal holds {} freeze entries for draw {n}; exactly one, with this freeze's hash and time, is required",
                freezes.len()
            ),
        ),
    }
    let entropy = entropy_time_ms(draw);
    let freeze_time = freeze_at.and_then(quorum);
    let entropy_text = entropy.map_or("none".into(), crate::civil::china_time);
    r.add(
        "freeze.witnessed_before_entropy",
        matches!((freeze_time, entropy), (Some(t), Some(e)) if before(t, e)),
        match freeze_time {
            Some(t) => format!(
                "a quorum had cosigned the freeze by {}; the public entropy exists from {entropy_text}",
                crate::civil::china_time(t * 1000)
            ),
            None => "the freeze was not cosigned by a quorum".into(),
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
                (
                    same && first && t.is_some_and(|t| before(t, closes)),
                    format!(
                        "{}'s commitment is journal entry {j}{}; entries closed at {}; {}",
                        c.party,
                        if same {
                            ""
                        } else {
                            ", but differs from the freeze's"
                        },
                        crate::civil::china_time(closes),
                        w.describe(*j)
                    ),
                )
            }
            other => (
                false,
                format!(
                    "the journal holds {} commitments by {} for draw {n}; exactly one is required",
                    other.len(),
                    c.party
                ),
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
                    format!(
                        "{}'s reveal is journal entry {j}{}{}; the public entropy exists from {entropy_text}; {}",
                        x.party,
                        if same {
                            ""
                        } else {
                            ", but differs from the record's"
                        },
                        if after { "" } else { ", not after the freeze" },
                        w.describe(*j)
                    ),
                )
            }
            other => (
                false,
                format!(
                    "the journal holds {} reveals by {} for draw {n}; exactly one is required",
                    other.len(),
                    x.party
                ),
            ),
        };
        r.add(format!("reveal.{i}.witnessed"), ok, detail);
    }
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
    hash_check(r, "seed", "the seed", &record.seed, &seed);
    r.add(
        "algorithm",
        record.algorithm == draw.algorithm,
        format!(
            "record uses {}; the rules name {}",
            record.algorithm, draw.algorithm
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
                    (_, false) => {
                        format!("round {} used; the rules name {}", beacon.round, spec.round)
                    }
                    (Err(e), _) => e.to_string(),
                    (Ok(()), _) => format!(
                        "quicknet round {} verifies; randomness {}",
                        beacon.round,
                        short(&beacon.randomness)
                    ),
                },
            );
            let t = quicknet_round_time_ms(spec.round);
            r.add(
                "entropy.drand_after_reveals",
                t > last_act,
                format!(
                    "round {} was published at {t} ms; freeze and reveals ended at {last_act} ms",
                    spec.round
                ),
            );
        }
        (Some(_), None) => r.add(
            "entropy.drand",
            false,
            "the rules name a drand round; the record has none",
        ),
        (None, Some(_)) => r.add(
            "entropy.drand",
            false,
            "the record has a drand beacon the rules do not name",
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
                    Err(e) => e.to_string(),
                    Ok(k) if k != numbers.key => format!(
                        "the values read as {k:?}, the record says {:?}",
                        numbers.key
                    ),
                    Ok(k) => format!("key string {k}"),
                },
            );
            let first = spec
                .sources
                .iter()
                .map(|s| s.drawn_at_ms)
                .min()
                .unwrap_or(0);
            r.add(
                "entropy.public_numbers_after_reveals",
                first > last_act,
                format!(
                    "the numbers are drawn from {first} ms; freeze and reveals ended at {last_act} ms"
                ),
            );
        }
        (Some(_), None) => r.add(
            "entropy.public_numbers",
            false,
            "the rules name public numbers; the record has none",
        ),
        (None, Some(_)) => r.add(
            "entropy.public_numbers",
            false,
            "the record has public numbers the rules do not name",
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
        format!(
            "{} {what}s recomputed, {} in the record",
            expected.len(),
            claimed.len()
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
            None => format!("leaf {} is missing from the record", want.leaf_index),
            Some(g) if same && opens => format!(
                "leaf {} ({}), ticket {}",
                g.leaf_index,
                g.phone_masked,
                short(&g.ticket_id.to_hex())
            ),
            Some(g) if same => format!(
                "leaf {}: {:?} with that salt does not open the leaf's phone commitment",
                g.leaf_index, g.phone_masked
            ),
            Some(g) => format!(
                "the record names leaf {} ({}); recomputation gives leaf {}",
                g.leaf_index, g.phone_masked, want.leaf_index
            ),
        };
        r.add(format!("{what}.{i}"), same && opens, detail);
    }
}

fn tally_check(r: &mut Report, id: &str, t: &Tally, all_ok: &str) {
    r.add(
        id,
        t.count == 0,
        match &t.first {
            None => all_ok.to_owned(),
            Some(f) => format!("{} entries break this rule; first: {f}", t.count),
        },
    );
}

fn check_entries(r: &mut Report, ledger: &LedgerSummary) {
    let t = &ledger.tallies;
    tally_check(
        r,
        "ledger.amounts",
        &t.amounts,
        "every amount is within the rules' range",
    );
    tally_check(
        r,
        "ledger.merchants",
        &t.merchants,
        "every merchant is on the list",
    );
    tally_check(
        r,
        "ledger.weights",
        &t.weights,
        "every weight is as the rules give it",
    );
    tally_check(
        r,
        "ledger.dates",
        &t.dates,
        "every receipt is dated in the draw window, no later than its day of entry",
    );
    tally_check(
        r,
        "ledger.entry_times",
        &t.entry_times,
        "every entry was made inside the entry window and before the freeze",
    );
    tally_check(r, "ledger.caps", &t.caps, "no participant exceeds a cap");
    let repeats = ledger.repeated_fingerprints + ledger.repeated_tickets;
    r.add(
        "ledger.unique",
        repeats == 0,
        if repeats == 0 {
            "no receipt fingerprint or ticket id appears twice".to_owned()
        } else {
            format!(
                "{} repeated receipt fingerprints, {} repeated ticket ids",
                ledger.repeated_fingerprints, ledger.repeated_tickets
            )
        },
    );
}
