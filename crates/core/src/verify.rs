//! Verification of a draw record against its ledger (SPEC.md §11).
//!
//! Each check is reported on its own, with a stable id, so a failure says exactly what differs.
//! Later checks still run when earlier ones fail, wherever they can; none of them panics.

use crate::entropy::quicknet_round_time_ms;
use crate::ledger::Ledger;
use crate::record::{DrawRecord, RECORD_VERSION, placements_for, run_selection};
use crate::seed::{SeedInputs, commitment, derive_seed};
use crate::summary::{LedgerSummary, ScanRules};
use serde::{Deserialize, Serialize};

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id (`rules.hash`, `reveal.0`, `winner.3`, …), listed in SPEC.md §11.
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
    fn add(&mut self, id: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            id: id.into(),
            ok,
            detail: detail.into(),
        });
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
        frozen_at_ms: record.tree_head.head.timestamp_ms,
    })
}

/// Checks a record against the published ledger held in memory.
pub fn verify_record(record: &DrawRecord, ledger: &Ledger) -> Report {
    verify_summary(record, &LedgerSummary::of(ledger, scan_rules(record)))
}

/// Checks a record against a ledger scanned with [`scan_rules`] of the same record.
pub fn verify_summary(record: &DrawRecord, ledger: &LedgerSummary) -> Report {
    let mut r = Report::default();
    let rules = &record.rules;
    let head = &record.tree_head.head;

    r.add(
        "record.version",
        record.version == RECORD_VERSION,
        format!(
            "version {} (this verifier reads {RECORD_VERSION})",
            record.version
        ),
    );
    match rules.validate() {
        Ok(()) => r.add("rules.valid", true, "the rules are well-formed"),
        Err(e) => r.add("rules.valid", false, e.to_string()),
    }
    let rules_hash = rules.hash();
    r.add(
        "rules.hash",
        rules_hash == record.rules_hash,
        if rules_hash == record.rules_hash {
            format!("rules hash {rules_hash}")
        } else {
            format!(
                "the rules hash to {rules_hash}, the record says {}",
                record.rules_hash
            )
        },
    );
    let Some(draw) = rules.draw(record.draw_index) else {
        r.add(
            "draw.index",
            false,
            format!("the rules have no draw {}", record.draw_index),
        );
        return r;
    };
    r.add(
        "draw.index",
        true,
        format!("draw {} ({})", record.draw_index, draw.name),
    );

    let bound = head.campaign_id == rules.id && head.draw_index == record.draw_index;
    r.add(
        "tree_head.binding",
        bound,
        format!(
            "tree head for campaign {:?} draw {}",
            head.campaign_id, head.draw_index
        ),
    );
    match record.tree_head.verify(&rules.server_key) {
        Ok(()) => r.add(
            "tree_head.signature",
            true,
            format!(
                "signed by the server key in the rules ({})",
                hex::encode(&rules.server_key[..8])
            ),
        ),
        Err(e) => r.add("tree_head.signature", false, e.to_string()),
    }
    r.add(
        "tree_head.after_close",
        head.timestamp_ms >= draw.closes_at_ms(),
        format!(
            "frozen at {} ms; the entry window closed at {} ms",
            head.timestamp_ms,
            draw.closes_at_ms()
        ),
    );

    r.add(
        "ledger.size",
        ledger.size == head.tree_size,
        format!(
            "the ledger has {} entries, the tree head says {}",
            ledger.size, head.tree_size
        ),
    );
    let root = ledger.root;
    r.add(
        "ledger.root",
        root == head.root,
        if root == head.root {
            format!("root {root}")
        } else {
            format!(
                "the ledger's root is {root}, the tree head says {}",
                head.root
            )
        },
    );
    check_entries(&mut r, ledger);

    // Commitments: one per party in the rules, in order, published before the window closed,
    // each opened by its reveal.
    let parties: Vec<&str> = record
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
    for (i, c) in record.commitments.iter().enumerate() {
        let closes = draw.closes_at_ms();
        let in_time = c.published_at_ms < closes && c.published_at_ms < head.timestamp_ms;
        r.add(
            format!("commitment.{i}.time"),
            in_time,
            format!(
                "{} committed at {} ms; entries closed at {closes} ms",
                c.party, c.published_at_ms
            ),
        );
        let opened = record.reveals.iter().find(|x| x.party == c.party).map(|x| {
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

    // Public entropy: what the rules named, verified, and unknowable at the freeze.
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
                "entropy.drand_after_freeze",
                t > head.timestamp_ms,
                format!(
                    "round {} was published at {t} ms; the freeze was at {} ms",
                    spec.round, head.timestamp_ms
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
            let key = crate::rfc3797::key_string(&numbers.values);
            let ok = numbers.values.len() == spec.sources.len()
                && key.as_deref() == Ok(numbers.key.as_str());
            r.add(
                "entropy.public_numbers",
                ok,
                match key {
                    Err(e) => e.to_string(),
                    Ok(_) if numbers.values.len() != spec.sources.len() => format!(
                        "{} values for {} announced sources",
                        numbers.values.len(),
                        spec.sources.len()
                    ),
                    Ok(k) if k != numbers.key => format!(
                        "the values normalise to {k:?}, the record says {:?}",
                        numbers.key
                    ),
                    Ok(k) => format!("key string {k}"),
                },
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

    let seed = derive_seed(&SeedInputs {
        rules_hash: &record.rules_hash,
        draw_index: record.draw_index,
        tree_size: head.tree_size,
        root: &head.root,
        reveals: &record.reveals,
        entropy,
    });
    r.add(
        "seed",
        seed == record.seed,
        if seed == record.seed {
            format!("seed {seed}")
        } else {
            format!(
                "the inputs give seed {seed}, the record says {}",
                record.seed
            )
        },
    );
    r.add(
        "algorithm",
        record.algorithm == draw.algorithm,
        format!(
            "record uses {}; the rules name {}",
            record.algorithm, draw.algorithm
        ),
    );

    // The selection, recomputed from the recomputed seed over the published ledger.
    let prizes = u32::try_from(draw.prizes.len()).unwrap_or(u32::MAX);
    match run_selection(
        &draw.algorithm,
        &seed,
        entropy,
        &ledger.entrants,
        prizes,
        draw.alternates,
    ) {
        Err(e) => r.add("selection", false, e.to_string()),
        Ok(sel) => {
            let (winners, alternates) = placements_for(rules, record.draw_index, ledger, &sel);
            compare(&mut r, "winner", &winners, &record.winners);
            compare(&mut r, "alternate", &alternates, &record.alternates);
        }
    }
    r
}

fn compare(
    r: &mut Report,
    what: &str,
    expected: &[crate::record::Placement],
    claimed: &[crate::record::Placement],
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
        let ok = got == Some(want);
        let detail = match got {
            None => format!(
                "leaf {} ({}) is missing from the record",
                want.leaf_index, want.phone_masked
            ),
            Some(g) if ok => format!(
                "leaf {} ({}), ticket {}",
                g.leaf_index,
                g.phone_masked,
                short(&g.ticket_id.to_hex())
            ),
            Some(g) => format!(
                "the record names leaf {} ({}); recomputation gives leaf {} ({})",
                g.leaf_index, g.phone_masked, want.leaf_index, want.phone_masked
            ),
        };
        r.add(format!("{what}.{i}"), ok, detail);
    }
}

fn check_entries(r: &mut Report, ledger: &LedgerSummary) {
    r.add(
        "ledger.eligibility",
        ledger.breaches == 0,
        match &ledger.first_breach {
            None => format!("all {} entries meet the rules", ledger.size),
            Some(f) => format!("{} entries break the rules; first: {f}", ledger.breaches),
        },
    );
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
