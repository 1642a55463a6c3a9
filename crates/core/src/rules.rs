//! Campaign rules: what they say, how they are checked, and the rules hash (SPEC.md §3).
//!
//! The rules are published and hashed before entries open and never change afterwards. The
//! rules hash binds everything later (commitments, seed, record) to exactly these rules.

use crate::civil::CivilDate;
use crate::encode::Encoder;
use crate::hash::{Hash32, hex_array};
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Domain tag of the rules hash.
pub const RULES_TAG: &str = "fairdraw/rules/v1";
/// The only rules format version this crate reads.
pub const RULES_VERSION: u32 = 1;
/// Algorithm id of the ChaCha20 weighted draw (SPEC.md §7).
pub const ALGORITHM_CHACHA20: &str = "fairdraw-chacha20-v1";
/// Algorithm id of the RFC 3797 public-numbers draw (SPEC.md §8).
pub const ALGORITHM_RFC3797: &str = "rfc3797-md5-v1";
/// drand quicknet chain hash (scheme `bls-unchained-g1-rfc9380`).
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";

/// A participating merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merchant {
    /// Stable id, printed on posters and typed by nobody (`M001`).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Per-person limits on accepted receipts. `None` means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    /// Receipts per person per China-time day of entry.
    pub per_day: Option<u32>,
    /// Receipts per person over the whole campaign.
    pub per_campaign: Option<u32>,
    /// Receipts per person at one merchant over the whole campaign.
    pub per_merchant: Option<u32>,
}

/// How many chances (leaf weight) one eligible receipt earns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum EntriesPerReceipt {
    /// Every eligible receipt is one chance.
    One,
    /// One chance per full multiple of the threshold, at most `max`.
    PerThresholdMultiple {
        /// The most chances one receipt can earn (≥ 1).
        max: u32,
    },
}

/// A drand beacon round named in advance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrandSpec {
    /// The chain hash (hex); only quicknet is supported.
    pub chain_hash: String,
    /// The round whose randomness will be used: one published after the freeze.
    pub round: u64,
}

/// Public numbers announced in advance (lottery results, an index close, …), RFC 3797 style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicNumbersSpec {
    /// One description per source, in the order their values enter the key string.
    pub sources: Vec<String>,
}

/// Which public entropy a draw will use. At least one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntropySpec {
    /// A drand quicknet round.
    pub drand: Option<DrandSpec>,
    /// Public numbers.
    pub public_numbers: Option<PublicNumbersSpec>,
}

/// One prize of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    /// What is won ("大众帕萨特轿车一辆").
    pub name: String,
}

/// One draw of a campaign: its own entry window, ledger, seed and winners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRules {
    /// Display name ("第一期").
    pub name: String,
    /// First China-time day of receipts that enter this draw.
    pub entry_start: CivilDate,
    /// Last China-time day (inclusive). Seed commitments must be made before it ends.
    pub entry_end: CivilDate,
    /// Prizes, in the order they are drawn.
    pub prizes: Vec<Prize>,
    /// How many alternates are ranked after the prizes.
    pub alternates: u32,
    /// Names of the seed parties, in the order their reveals enter the seed.
    pub seed_parties: Vec<String>,
    /// The public entropy.
    pub entropy: EntropySpec,
    /// [`ALGORITHM_CHACHA20`] or [`ALGORITHM_RFC3797`].
    pub algorithm: String,
}

/// The whole rules of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignRules {
    /// Format version; [`RULES_VERSION`].
    pub version: u32,
    /// Stable campaign id (`dazhou-2026`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Who runs it.
    pub organizer: String,
    /// Minimum amount paid on one receipt.
    pub threshold_fen: Fen,
    /// First China-time day of receipts that count.
    pub entry_start: CivilDate,
    /// Last China-time day of receipts that count (inclusive).
    pub entry_end: CivilDate,
    /// Participating merchants.
    pub merchants: Vec<Merchant>,
    /// Per-person caps.
    pub caps: Caps,
    /// Chances per receipt.
    pub entries_per_receipt: EntriesPerReceipt,
    /// The draws, in order.
    pub draws: Vec<DrawRules>,
    /// The server's Ed25519 public key that signs tree heads and ticket promises.
    #[serde(with = "hex_array")]
    pub server_key: [u8; 32],
}

/// A rule set that cannot run: the first problem found, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    /// Dotted path of the field (`draws[1].prizes`).
    pub field: String,
    /// What is wrong, in English.
    pub problem: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for RulesError {}

impl crate::message::Coded for RulesError {
    fn code(&self) -> &'static str {
        "RULES_INVALID"
    }
    fn message_zh(&self) -> String {
        format!("活动规则有误（{}）：{}", self.field, self.problem)
    }
    fn message_en(&self) -> String {
        format!(
            "The campaign rules are invalid ({}): {}",
            self.field, self.problem
        )
    }
}

fn err(field: impl Into<String>, problem: impl Into<String>) -> RulesError {
    RulesError {
        field: field.into(),
        problem: problem.into(),
    }
}

impl CampaignRules {
    /// Checks that the rules can run: versions, non-empty names, windows in order, draws inside
    /// the campaign window and not overlapping, prizes present, known algorithms and entropy.
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.version != RULES_VERSION {
            return Err(err("version", format!("must be {RULES_VERSION}")));
        }
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(err("id", "1–64 characters of A–Z, a–z, 0–9, - and _"));
        }
        if self.name_zh.trim().is_empty() {
            return Err(err("name_zh", "must not be empty"));
        }
        if self.threshold_fen.0 == 0 {
            return Err(err("threshold_fen", "must be above zero"));
        }
        if self.entry_end < self.entry_start {
            return Err(err("entry_end", "must not be before entry_start"));
        }
        if self.merchants.is_empty() {
            return Err(err("merchants", "at least one merchant"));
        }
        let mut ids = BTreeSet::new();
        for (i, m) in self.merchants.iter().enumerate() {
            if m.id.trim().is_empty() || m.id.len() > 32 || m.id.trim() != m.id {
                return Err(err(
                    format!("merchants[{i}].id"),
                    "1–32 characters, no spaces",
                ));
            }
            if !ids.insert(m.id.as_str()) {
                return Err(err(
                    format!("merchants[{i}].id"),
                    format!("duplicate id {}", m.id),
                ));
            }
        }
        for (name, cap) in [
            ("caps.per_day", self.caps.per_day),
            ("caps.per_campaign", self.caps.per_campaign),
            ("caps.per_merchant", self.caps.per_merchant),
        ] {
            if cap == Some(0) {
                return Err(err(
                    name,
                    "0 would refuse every receipt; omit it for no cap",
                ));
            }
        }
        if let EntriesPerReceipt::PerThresholdMultiple { max } = self.entries_per_receipt {
            if max == 0 {
                return Err(err("entries_per_receipt.max", "must be at least 1"));
            }
        }
        if self.draws.is_empty() {
            return Err(err("draws", "at least one draw"));
        }
        let mut previous_end: Option<CivilDate> = None;
        for (i, d) in self.draws.iter().enumerate() {
            let f = |s: &str| format!("draws[{i}].{s}");
            if d.entry_end < d.entry_start {
                return Err(err(f("entry_end"), "must not be before entry_start"));
            }
            if d.entry_start < self.entry_start || d.entry_end > self.entry_end {
                return Err(err(
                    f("entry_start"),
                    "draw window must lie inside the campaign's",
                ));
            }
            if previous_end.is_some_and(|p| d.entry_start <= p) {
                return Err(err(f("entry_start"), "draw windows must follow each other"));
            }
            previous_end = Some(d.entry_end);
            if d.prizes.is_empty() {
                return Err(err(f("prizes"), "at least one prize"));
            }
            let parties: BTreeSet<&str> = d.seed_parties.iter().map(String::as_str).collect();
            if parties.len() != d.seed_parties.len() || parties.contains("") {
                return Err(err(
                    f("seed_parties"),
                    "names must be distinct and non-empty",
                ));
            }
            match d.algorithm.as_str() {
                ALGORITHM_CHACHA20 => {
                    if d.seed_parties.is_empty() {
                        return Err(err(
                            f("seed_parties"),
                            "the ChaCha20 draw needs a seed party",
                        ));
                    }
                    if d.entropy.drand.is_none() && d.entropy.public_numbers.is_none() {
                        return Err(err(f("entropy"), "name a drand round or public numbers"));
                    }
                }
                ALGORITHM_RFC3797 => {
                    if d.entropy.public_numbers.is_none() {
                        return Err(err(f("entropy"), "RFC 3797 draws need public numbers"));
                    }
                }
                _ => {
                    return Err(err(
                        f("algorithm"),
                        format!("unknown algorithm {}", d.algorithm),
                    ));
                }
            }
            if let Some(dr) = &d.entropy.drand {
                if dr.chain_hash != QUICKNET_CHAIN_HASH {
                    return Err(err(
                        f("entropy.drand.chain_hash"),
                        "only quicknet is supported",
                    ));
                }
                if dr.round == 0 {
                    return Err(err(f("entropy.drand.round"), "rounds start at 1"));
                }
            }
            if let Some(p) = &d.entropy.public_numbers {
                if p.sources.is_empty() {
                    return Err(err(
                        f("entropy.public_numbers.sources"),
                        "at least one source",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The canonical encoding (SPEC.md §3.2), tag included.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_tag(RULES_TAG);
        e.u32(self.version)
            .str(&self.id)
            .str(&self.name_zh)
            .str(&self.name_en)
            .str(&self.organizer)
            .u64(self.threshold_fen.0)
            .u32(self.entry_start.yyyymmdd())
            .u32(self.entry_end.yyyymmdd());
        e.list(&self.merchants, |e, m| {
            e.str(&m.id).str(&m.name);
        });
        for cap in [
            self.caps.per_day,
            self.caps.per_campaign,
            self.caps.per_merchant,
        ] {
            e.option(cap.as_ref(), |e, v| {
                e.u32(*v);
            });
        }
        match self.entries_per_receipt {
            EntriesPerReceipt::One => e.u8(0),
            EntriesPerReceipt::PerThresholdMultiple { max } => e.u8(1).u32(max),
        };
        e.list(&self.draws, |e, d| {
            e.str(&d.name)
                .u32(d.entry_start.yyyymmdd())
                .u32(d.entry_end.yyyymmdd())
                .list(&d.prizes, |e, p| {
                    e.str(&p.name);
                })
                .u32(d.alternates)
                .list(&d.seed_parties, |e, p| {
                    e.str(p);
                })
                .option(d.entropy.drand.as_ref(), |e, dr| {
                    e.str(&dr.chain_hash).u64(dr.round);
                })
                .option(d.entropy.public_numbers.as_ref(), |e, p| {
                    e.list(&p.sources, |e, s| {
                        e.str(s);
                    });
                })
                .str(&d.algorithm);
        });
        e.fixed(&self.server_key);
        e.into_bytes()
    }

    /// The rules hash: SHA-256 of [`CampaignRules::canonical_bytes`].
    pub fn hash(&self) -> Hash32 {
        Hash32::sha256(&self.canonical_bytes())
    }

    /// The merchant with this id.
    pub fn merchant(&self, id: &str) -> Option<&Merchant> {
        self.merchants.iter().find(|m| m.id == id)
    }

    /// The draw whose window contains `date`, with its index.
    pub fn draw_for_date(&self, date: CivilDate) -> Option<(u32, &DrawRules)> {
        self.draws
            .iter()
            .enumerate()
            .find(|(_, d)| d.entry_start <= date && date <= d.entry_end)
            .and_then(|(i, d)| Some((u32::try_from(i).ok()?, d)))
    }

    /// The draw with this index.
    pub fn draw(&self, index: u32) -> Option<&DrawRules> {
        self.draws.get(usize::try_from(index).ok()?)
    }

    /// Chances earned by a receipt of `amount` (0 below the threshold).
    pub fn weight_for(&self, amount: Fen) -> u32 {
        if amount < self.threshold_fen {
            return 0;
        }
        match self.entries_per_receipt {
            EntriesPerReceipt::One => 1,
            EntriesPerReceipt::PerThresholdMultiple { max } => {
                let multiples = amount.0 / self.threshold_fen.0;
                u32::try_from(multiples).unwrap_or(u32::MAX).min(max)
            }
        }
    }
}

impl DrawRules {
    /// The Unix millisecond at which this draw's entry window closes (end of `entry_end`,
    /// China time). Seed commitments must be published before it.
    pub fn closes_at_ms(&self) -> u64 {
        self.entry_end.china_end_ms()
    }
}

/// Merchants from CSV text, as organizers export them from a spreadsheet: `id,name` per line;
/// blank lines, a byte-order mark and a first line starting `id,` (a header) are skipped, and
/// quotes around a name are dropped. On a line without a comma: `Err` with its 1-based number.
pub fn merchants_from_csv(text: &str) -> Result<Vec<Merchant>, usize> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || (n == 0 && line.to_ascii_lowercase().starts_with("id,")) {
            continue;
        }
        let (id, name) = line.split_once(',').ok_or(n + 1)?;
        out.push(Merchant {
            id: id.trim().to_owned(),
            name: name.trim().trim_matches('"').to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::demo::demo_rules;

    #[test]
    fn demo_rules_validate_and_hash_is_stable() {
        let rules = demo_rules(
            [7; 32],
            crate::civil::CivilDate::parse("2026-12-10").expect("d"),
        );
        rules.validate().expect("valid");
        assert_eq!(rules.hash(), rules.clone().hash());
        let mut changed = rules.clone();
        changed.threshold_fen.0 += 1;
        assert_ne!(changed.hash(), rules.hash());
        let json = serde_json::to_string(&rules).expect("json");
        let back: super::CampaignRules = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, rules);
    }

    #[test]
    fn weights() {
        let mut rules = demo_rules(
            [7; 32],
            crate::civil::CivilDate::parse("2026-12-10").expect("d"),
        );
        rules.entries_per_receipt = super::EntriesPerReceipt::PerThresholdMultiple { max: 3 };
        assert_eq!(rules.weight_for(crate::money::Fen(49_999)), 0);
        assert_eq!(rules.weight_for(crate::money::Fen(50_000)), 1);
        assert_eq!(rules.weight_for(crate::money::Fen(149_999)), 2);
        assert_eq!(rules.weight_for(crate::money::Fen(10_000_000)), 3);
    }

    #[test]
    fn validation_names_the_field() {
        let base = demo_rules(
            [7; 32],
            crate::civil::CivilDate::parse("2026-12-10").expect("d"),
        );
        let mut r = base.clone();
        r.draws[1].prizes.clear();
        assert_eq!(
            r.validate().map_err(|e| e.field),
            Err("draws[1].prizes".into())
        );
        let mut r = base.clone();
        r.draws[0].algorithm = "rand-gen-range".into();
        assert_eq!(
            r.validate().map_err(|e| e.field),
            Err("draws[0].algorithm".into())
        );
        let mut r = base;
        r.merchants.push(r.merchants[0].clone());
        assert!(r.validate().is_err());
    }
}
