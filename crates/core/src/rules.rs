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
pub const RULES_TAG: &str = "fairdraw/rules/v2";
/// Domain tag of a merchant leaf in the merchants tree (SPEC.md §3.2).
pub const MERCHANT_TAG: &str = "fairdraw/merchant/v2";
/// The only rules format version this crate reads.
pub const RULES_VERSION: u32 = 2;
/// Algorithm id of the ChaCha20 weighted draw (SPEC.md §7).
pub const ALGORITHM_CHACHA20: &str = "fairdraw-chacha20-v2";
/// Algorithm id of the RFC 3797 public-numbers draw (SPEC.md §8).
pub const ALGORITHM_RFC3797: &str = "rfc3797-md5-v2";
/// drand quicknet chain hash (scheme `bls-unchained-g1-rfc9380`).
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
/// The most chances one receipt can earn (`entries_per_receipt.max`): the weight bound that
/// keeps every selection fast (SPEC.md §3.1).
pub const MAX_WEIGHT: u32 = 100;
/// The largest amount any rules may accept on one receipt: 100 million yuan.
pub const MAX_AMOUNT_CEILING_FEN: u64 = 10_000_000_000;

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
    /// The chain hash; only quicknet is supported.
    pub chain_hash: Hash32,
    /// The round whose randomness will be used: one published after the reveal deadline.
    pub round: u64,
}

/// One group of numbers a public source draws: `count` numbers from `min` to `max`
/// (双色球: 6 red balls from 1–33, then 1 blue ball from 1–16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberGroup {
    /// How many numbers (≥ 1).
    pub count: u32,
    /// Smallest allowed value.
    pub min: u64,
    /// Largest allowed value (≥ `min`).
    pub max: u64,
    /// True when no value may repeat within the group (balls drawn without replacement).
    pub distinct: bool,
}

/// One source of public numbers, named exactly in advance: which game, which issue, when drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberSource {
    /// What the numbers are, exactly ("中国福利彩票双色球 第2026150期").
    pub name: String,
    /// When the numbers are drawn (Unix ms): after the reveal deadline.
    pub drawn_at_ms: u64,
    /// The groups, in the order they are published.
    pub groups: Vec<NumberGroup>,
}

impl NumberSource {
    /// How many numbers the source publishes in all.
    pub fn total_count(&self) -> u64 {
        self.groups.iter().map(|g| u64::from(g.count)).sum()
    }
}

/// Public numbers announced in advance (lottery results, an index close, …), RFC 3797 style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicNumbersSpec {
    /// The sources, in the order their values enter the key string.
    pub sources: Vec<NumberSource>,
}

/// An independent witness named in the rules (SPEC.md §3.1): a C2SP cosigner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// Who runs it ("达州市公证处").
    pub name: String,
    /// Its C2SP verifier key (`<name>+<key id>+<base64>`, signature type 0x04).
    pub vkey: String,
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
    /// Every reveal must be made after the freeze and at or before this time (Unix ms); the
    /// public entropy is drawn after it, so nobody sees the outcome while they can refuse.
    pub reveal_deadline_ms: u64,
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
    /// Maximum amount accepted on one receipt (larger ones are refused as implausible).
    pub max_amount_fen: Fen,
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
    /// The server's Ed25519 public key that signs tree heads, promises and the freeze.
    #[serde(with = "hex_array")]
    pub server_key: [u8; 32],
    /// Independent witnesses that cosign the server's checkpoints (may be empty).
    pub witnesses: Vec<Witness>,
    /// How many of them must cosign (0 when there are none).
    pub witness_quorum: u32,
    /// How the campaign looks and who stands behind its ceremony (SPEC.md §3.5); optional,
    /// and absent from the JSON and the hash when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<crate::identity::Identity>,
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

/// The bytes of one merchant's leaf in the merchants tree.
pub fn merchant_leaf(m: &Merchant) -> Vec<u8> {
    let mut e = Encoder::with_tag(MERCHANT_TAG);
    e.str(&m.id).str(&m.name);
    e.into_bytes()
}

fn validate_draw(
    d: &DrawRules,
    i: usize,
    rules: &CampaignRules,
    previous_end: Option<CivilDate>,
) -> Result<(), RulesError> {
    let f = |s: &str| format!("draws[{i}].{s}");
    if d.name.trim().is_empty() {
        return Err(err(f("name"), "must not be blank"));
    }
    if d.entry_end < d.entry_start {
        return Err(err(f("entry_end"), "must not be before entry_start"));
    }
    if d.entry_start < rules.entry_start || d.entry_end > rules.entry_end {
        return Err(err(
            f("entry_start"),
            "draw window must lie inside the campaign's",
        ));
    }
    if previous_end.is_some_and(|p| d.entry_start <= p) {
        return Err(err(
            f("entry_start"),
            "each draw window must start after the previous one ends",
        ));
    }
    if d.prizes.is_empty() {
        return Err(err(f("prizes"), "at least one prize"));
    }
    if d.prizes.iter().any(|p| p.name.trim().is_empty()) {
        return Err(err(f("prizes"), "prize names must not be blank"));
    }
    let parties: BTreeSet<&str> = d.seed_parties.iter().map(String::as_str).collect();
    if parties.len() != d.seed_parties.len() || d.seed_parties.iter().any(|p| p.trim().is_empty()) {
        return Err(err(
            f("seed_parties"),
            "names must be distinct and not blank",
        ));
    }
    if d.reveal_deadline_ms <= d.closes_at_ms() {
        return Err(err(
            f("reveal_deadline_ms"),
            "must be after the draw's entry window closes",
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
            if d.entropy.public_numbers.is_none() || d.entropy.drand.is_some() {
                return Err(err(
                    f("entropy"),
                    "RFC 3797 draws use public numbers and nothing else",
                ));
            }
            if !d.seed_parties.is_empty() {
                return Err(err(
                    f("seed_parties"),
                    "RFC 3797 draws have no seed parties",
                ));
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
        if dr.chain_hash.to_hex() != QUICKNET_CHAIN_HASH {
            return Err(err(
                f("entropy.drand.chain_hash"),
                "only quicknet is supported",
            ));
        }
        if dr.round == 0 {
            return Err(err(f("entropy.drand.round"), "rounds start at 1"));
        }
        if crate::entropy::quicknet_round_time_ms(dr.round) <= d.reveal_deadline_ms {
            return Err(err(
                f("entropy.drand.round"),
                "the round must be published after the reveal deadline",
            ));
        }
    }
    if let Some(p) = &d.entropy.public_numbers {
        if p.sources.is_empty() {
            return Err(err(
                f("entropy.public_numbers.sources"),
                "at least one source",
            ));
        }
        for (k, src) in p.sources.iter().enumerate() {
            let g = |s: &str| f(&format!("entropy.public_numbers.sources[{k}].{s}"));
            if src.name.trim().is_empty() {
                return Err(err(g("name"), "must not be blank"));
            }
            if src.drawn_at_ms <= d.reveal_deadline_ms {
                return Err(err(
                    g("drawn_at_ms"),
                    "the numbers must be drawn after the reveal deadline",
                ));
            }
            if src.groups.is_empty() || src.total_count() > 64 {
                return Err(err(g("groups"), "1 to 64 numbers in at least one group"));
            }
            for gr in &src.groups {
                let span = gr.max.checked_sub(gr.min).map(|s| u128::from(s) + 1);
                let ok = gr.count >= 1
                    && span.is_some_and(|s| !gr.distinct || s >= u128::from(gr.count));
                if !ok {
                    return Err(err(
                        g("groups"),
                        "each group draws at least one number, min ≤ max, and distinct groups have room for every number",
                    ));
                }
            }
        }
    }
    Ok(())
}

impl CampaignRules {
    /// Checks that the rules can run (SPEC.md §3.1): versions, non-blank names, windows in
    /// order, draws inside the campaign window and following each other, prizes present, known
    /// algorithms and entropy, bounded weights and amounts, a reveal deadline between the close
    /// and the public entropy, and well-formed witnesses.
    pub fn validate(&self) -> Result<(), RulesError> {
        self.validate_merchant_list()?;
        self.validate_without_merchants()
    }

    /// The merchant list's rules: at least one, ids distinct, printable, names not blank.
    pub fn validate_merchant_list(&self) -> Result<(), RulesError> {
        if self.merchants.is_empty() {
            return Err(err("merchants", "at least one merchant"));
        }
        let mut ids = BTreeSet::new();
        for (i, m) in self.merchants.iter().enumerate() {
            let id_ok =
                (1..=32).contains(&m.id.len()) && m.id.bytes().all(|b| b.is_ascii_graphic());
            if !id_ok {
                return Err(err(
                    format!("merchants[{i}].id"),
                    "1–32 bytes of printable ASCII, no spaces",
                ));
            }
            if m.name.trim().is_empty() {
                return Err(err(format!("merchants[{i}].name"), "must not be blank"));
            }
            if !ids.insert(m.id.as_str()) {
                return Err(err(
                    format!("merchants[{i}].id"),
                    format!("duplicate id {}", m.id),
                ));
            }
        }
        Ok(())
    }

    /// Every rule of [`CampaignRules::validate`] but the merchant list's: what a phone checks
    /// when it holds only the merchants its proof bundle needs (SPEC.md §12.1).
    pub fn validate_without_merchants(&self) -> Result<(), RulesError> {
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
            return Err(err("name_zh", "must not be blank"));
        }
        if self.threshold_fen.0 == 0 {
            return Err(err("threshold_fen", "must be above zero"));
        }
        if self.max_amount_fen < self.threshold_fen
            || self.max_amount_fen.0 > MAX_AMOUNT_CEILING_FEN
        {
            return Err(err(
                "max_amount_fen",
                "must be at least the threshold and at most 10 000 000 000 fen",
            ));
        }
        if self.entry_end < self.entry_start {
            return Err(err("entry_end", "must not be before entry_start"));
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
            if !(1..=MAX_WEIGHT).contains(&max) {
                return Err(err(
                    "entries_per_receipt.max",
                    format!("must be from 1 to {MAX_WEIGHT}"),
                ));
            }
        }
        if self.draws.is_empty() {
            return Err(err("draws", "at least one draw"));
        }
        let mut previous_end: Option<CivilDate> = None;
        for (i, d) in self.draws.iter().enumerate() {
            validate_draw(d, i, self, previous_end)?;
            previous_end = Some(d.entry_end);
        }
        let mut names = BTreeSet::new();
        for (i, w) in self.witnesses.iter().enumerate() {
            if w.name.trim().is_empty() || !names.insert(w.name.as_str()) {
                return Err(err(
                    format!("witnesses[{i}].name"),
                    "names must be distinct and not blank",
                ));
            }
            if let Err(problem) = crate::note::parse_cosigner_vkey(&w.vkey) {
                return Err(err(format!("witnesses[{i}].vkey"), problem));
            }
        }
        let quorum_ok = if self.witnesses.is_empty() {
            self.witness_quorum == 0
        } else {
            (1..=self.witnesses.len() as u64).contains(&u64::from(self.witness_quorum))
        };
        if !quorum_ok {
            return Err(err(
                "witness_quorum",
                "0 without witnesses, else from 1 to the number of witnesses",
            ));
        }
        if let Some(identity) = &self.identity {
            let prizes = self
                .draws
                .iter()
                .flat_map(|d| d.prizes.iter().map(|p| p.name.as_str()))
                .collect();
            let parties = self
                .draws
                .iter()
                .flat_map(|d| d.seed_parties.iter().map(String::as_str))
                .collect();
            if let Some((field, problem)) = identity.problem(&prizes, &parties) {
                return Err(err(format!("identity.{field}"), problem));
            }
        }
        Ok(())
    }

    /// The root of the merchants tree: RFC 6962 over one leaf per merchant, in list order,
    /// each `tag("fairdraw/merchant/v2") ‖ lp(id) ‖ lp(name)` (SPEC.md §3.2). A phone can check
    /// one merchant against the rules hash with an inclusion proof instead of the whole list.
    pub fn merchants_root(&self) -> Hash32 {
        let hashes: Vec<Hash32> = self
            .merchants
            .iter()
            .map(|m| crate::merkle::leaf_hash(&merchant_leaf(m)))
            .collect();
        crate::merkle::root_of(&hashes)
    }

    /// The canonical encoding (SPEC.md §3.2), tag included.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let count = u32::try_from(self.merchants.len()).unwrap_or(u32::MAX);
        self.canonical_bytes_with(count, &self.merchants_root())
    }

    /// The rules hash with the merchant list given by its count and root instead of whole:
    /// equal to [`CampaignRules::hash`] when they are the list's.
    pub fn hash_with_merchants(&self, count: u32, root: &Hash32) -> Hash32 {
        Hash32::sha256(&self.canonical_bytes_with(count, root))
    }

    fn canonical_bytes_with(&self, merchant_count: u32, merchants_root: &Hash32) -> Vec<u8> {
        let mut e = Encoder::with_tag(RULES_TAG);
        e.u32(self.version)
            .str(&self.id)
            .str(&self.name_zh)
            .str(&self.name_en)
            .str(&self.organizer)
            .u64(self.threshold_fen.0)
            .u64(self.max_amount_fen.0)
            .u32(self.entry_start.yyyymmdd())
            .u32(self.entry_end.yyyymmdd())
            .u32(merchant_count)
            .hash(merchants_root);
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
                .u64(d.reveal_deadline_ms)
                .option(d.entropy.drand.as_ref(), |e, dr| {
                    e.hash(&dr.chain_hash).u64(dr.round);
                })
                .option(d.entropy.public_numbers.as_ref(), |e, p| {
                    e.list(&p.sources, |e, s| {
                        e.str(&s.name).u64(s.drawn_at_ms).list(&s.groups, |e, g| {
                            e.u32(g.count)
                                .u64(g.min)
                                .u64(g.max)
                                .u8(u8::from(g.distinct));
                        });
                    });
                })
                .str(&d.algorithm);
        });
        e.fixed(&self.server_key);
        e.list(&self.witnesses, |e, w| {
            e.str(&w.name).str(&w.vkey);
        });
        e.u32(self.witness_quorum);
        // Appended only when present, so rules without an identity keep their hash.
        if let Some(identity) = &self.identity {
            e.hash(&identity.hash());
        }
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
