//! The campaign setup form as typed, turned into rules the core validates. Plain Rust: tested
//! natively.

use fairdraw_core::civil::CivilDate;
use fairdraw_core::entropy::quicknet_round_after;
use fairdraw_core::money::Fen;
use fairdraw_core::rules::{
    ALGORITHM_CHACHA20, CampaignRules, Caps, DrandSpec, DrawRules, EntriesPerReceipt, EntropySpec,
    Merchant, Prize, PublicNumbersSpec, QUICKNET_CHAIN_HASH, RULES_VERSION,
};

/// One draw as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrawForm {
    /// Name (第一期).
    pub name: String,
    /// First day of entries (YYYY-MM-DD).
    pub start: String,
    /// Last day of entries.
    pub end: String,
    /// Prize name.
    pub prize: String,
    /// How many of that prize.
    pub prizes: String,
    /// Alternates drawn.
    pub alternates: String,
    /// `true`: a drand round an hour after entries close; `false`: public lottery numbers.
    pub drand: bool,
    /// Where the public numbers come from (when not drand).
    pub numbers_source: String,
}

/// The setup form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupForm {
    /// Campaign id (letters, digits, - and _).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Organizer.
    pub organizer: String,
    /// Threshold in yuan, as typed.
    pub threshold: String,
    /// Receipts a day per person (empty: no cap).
    pub per_day: String,
    /// Receipts per person in all.
    pub per_campaign: String,
    /// Receipts per person at one merchant.
    pub per_merchant: String,
    /// Seed parties, comma separated.
    pub parties: String,
    /// Merchants as CSV (`id,name` per line).
    pub merchants_csv: String,
    /// The draws.
    pub draws: Vec<DrawForm>,
}

fn cap(field: &str, text: &str) -> Result<Option<u32>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| format!("{field}: a whole number, or empty for no cap"))
}

fn date(field: &str, text: &str) -> Result<CivilDate, String> {
    CivilDate::parse(text.trim()).map_err(|_| format!("{field}: a date like 2026-12-10"))
}

/// Merchants from `id,name` lines (the core's CSV format, as the server imports it).
pub fn parse_merchants(csv: &str) -> Result<Vec<Merchant>, String> {
    fairdraw_core::rules::merchants_from_csv(csv)
        .map_err(|line| format!("merchants line {line}: should be `id,name`"))
}

impl SetupForm {
    /// The form filled from existing rules (the demo, as a starting point).
    pub fn from_rules(r: &CampaignRules) -> Self {
        let opt = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        SetupForm {
            id: r.id.clone(),
            name_zh: r.name_zh.clone(),
            name_en: r.name_en.clone(),
            organizer: r.organizer.clone(),
            threshold: r.threshold_fen.to_string(),
            per_day: opt(r.caps.per_day),
            per_campaign: opt(r.caps.per_campaign),
            per_merchant: opt(r.caps.per_merchant),
            parties: r
                .draws
                .first()
                .map(|d| d.seed_parties.join(", "))
                .unwrap_or_default(),
            merchants_csv: r
                .merchants
                .iter()
                .map(|m| format!("{},{}\n", m.id, m.name))
                .collect(),
            draws: r
                .draws
                .iter()
                .map(|d| DrawForm {
                    name: d.name.clone(),
                    start: d.entry_start.to_string(),
                    end: d.entry_end.to_string(),
                    prize: d.prizes.first().map(|p| p.name.clone()).unwrap_or_default(),
                    prizes: d.prizes.len().to_string(),
                    alternates: d.alternates.to_string(),
                    drand: d.entropy.drand.is_some(),
                    numbers_source: d
                        .entropy
                        .public_numbers
                        .as_ref()
                        .and_then(|p| p.sources.first().map(|s| s.name.clone()))
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The rules this form describes, validated by the core (the server key is the server's
    /// to fill in; it replaces whatever is sent).
    pub fn to_rules(&self) -> Result<CampaignRules, String> {
        let parties: Vec<String> = self
            .parties
            .split([',', '，'])
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let mut draws = Vec::new();
        for (k, d) in self.draws.iter().enumerate() {
            let f = |name: &str| format!("draws[{k}].{name}");
            let start = date(&f("start"), &d.start)?;
            let end = date(&f("end"), &d.end)?;
            let count: usize = d
                .prizes
                .trim()
                .parse()
                .map_err(|_| format!("{}: a whole number", f("prizes")))?;
            let alternates: u32 = d
                .alternates
                .trim()
                .parse()
                .map_err(|_| format!("{}: a whole number", f("alternates")))?;
            // Reveals by 20:00 China time on the tenth day after the close; the lottery (or the
            // drand round) after that, so no party sees the outcome while it can refuse.
            let deadline = CivilDate::from_days_since_epoch(end.days_since_epoch() + 10)
                .map_or(0, |d| d.china_start_ms() + 20 * 3_600_000);
            let mut rules = DrawRules {
                reveal_deadline_ms: deadline,
                name: d.name.trim().to_owned(),
                entry_start: start,
                entry_end: end,
                prizes: vec![
                    Prize {
                        name: d.prize.trim().to_owned()
                    };
                    count.min(1000)
                ],
                alternates,
                seed_parties: parties.clone(),
                entropy: EntropySpec::default(),
                algorithm: ALGORITHM_CHACHA20.into(),
            };
            rules.entropy = if d.drand {
                EntropySpec {
                    drand: Some(DrandSpec {
                        chain_hash: fairdraw_core::hash::Hash32::from_hex(QUICKNET_CHAIN_HASH)
                            .unwrap_or_default(),
                        round: quicknet_round_after(deadline + 3_600_000),
                    }),
                    public_numbers: None,
                }
            } else {
                EntropySpec {
                    drand: None,
                    public_numbers: Some(PublicNumbersSpec {
                        // 双色球: six red balls from 1–33 and one blue from 1–16, drawn 21:15.
                        sources: vec![fairdraw_core::rules::NumberSource {
                            name: d.numbers_source.trim().to_owned(),
                            drawn_at_ms: deadline + 75 * 60_000,
                            groups: vec![
                                fairdraw_core::rules::NumberGroup {
                                    count: 6,
                                    min: 1,
                                    max: 33,
                                    distinct: true,
                                },
                                fairdraw_core::rules::NumberGroup {
                                    count: 1,
                                    min: 1,
                                    max: 16,
                                    distinct: true,
                                },
                            ],
                        }],
                    }),
                }
            };
            draws.push(rules);
        }
        let rules = CampaignRules {
            version: RULES_VERSION,
            id: self.id.trim().to_owned(),
            name_zh: self.name_zh.trim().to_owned(),
            name_en: self.name_en.trim().to_owned(),
            organizer: self.organizer.trim().to_owned(),
            threshold_fen: Fen::parse(&self.threshold).map_err(|e| format!("threshold: {e}"))?,
            max_amount_fen: Fen::from_yuan(1_000_000),
            entry_start: draws
                .first()
                .map(|d| d.entry_start)
                .ok_or("at least one draw")?,
            entry_end: draws
                .last()
                .map(|d| d.entry_end)
                .ok_or("at least one draw")?,
            merchants: parse_merchants(&self.merchants_csv)?,
            caps: Caps {
                per_day: cap("per_day", &self.per_day)?,
                per_campaign: cap("per_campaign", &self.per_campaign)?,
                per_merchant: cap("per_merchant", &self.per_merchant)?,
            },
            entries_per_receipt: EntriesPerReceipt::One,
            draws,
            server_key: [0; 32],
            witnesses: Vec::new(),
            witness_quorum: 0,
            identity: None,
        };
        rules
            .validate()
            .map_err(|e| format!("{}: {}", e.field, e.problem))?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_round_trips_through_the_form() {
        let demo = crate::state::demo_rules();
        let form = SetupForm::from_rules(&demo);
        assert_eq!(form.to_rules().expect("valid"), demo);
    }

    #[test]
    fn the_core_names_what_is_wrong() {
        let mut form = SetupForm::from_rules(&crate::state::demo_rules());
        form.id = "bad id!".into();
        assert!(form.to_rules().expect_err("should fail").starts_with("id:"));
        form.id = "ok".into();
        form.threshold = "five hundred".into();
        assert!(
            form.to_rules()
                .expect_err("should fail")
                .starts_with("threshold")
        );
        form.threshold = "500".into();
        form.draws[1].start = "2026-02-30".into();
        assert!(
            form.to_rules()
                .expect_err("should fail")
                .contains("draws[1].start")
        );
        form.draws[1].start = form.draws[0].start.clone();
        let overlap = form.to_rules().expect_err("overlapping windows");
        assert!(overlap.starts_with("draws"), "{overlap}");
        form.draws[1].start = "2027-01-01".into();
        form.draws[0].drand = true;
        let rules = form.to_rules().expect("valid");
        let round = rules.draws[0].entropy.drand.as_ref().expect("drand").round;
        assert!(
            fairdraw_core::entropy::quicknet_round_time_ms(round) > rules.draws[0].closes_at_ms()
        );
        form.merchants_csv = "id,name\nM1\n".into();
        assert!(form.to_rules().expect_err("should fail").contains("line 2"));
    }
}
