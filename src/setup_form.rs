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
    /// How screens name the prize in Chinese (empty: as in the rules).
    pub prize_zh: String,
    /// How screens name the prize in English (empty: as in the rules).
    pub prize_en: String,
    /// The prize's picture, as a data URL (empty: none).
    pub prize_image: String,
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
    /// The organizer in English (identity).
    pub organizer_en: String,
    /// The notary office (identity).
    pub notary_office: String,
    /// Where the draws are held (identity).
    pub place: String,
    /// Main colour, `#rrggbb`.
    pub primary_color: String,
    /// Accent colour, `#rrggbb`.
    pub accent_color: String,
    /// The logo as a data URL (empty: none).
    pub logo: String,
    /// The seed parties' Chinese names, comma separated, in the order of `parties`.
    pub party_names_zh: String,
    /// Their English names.
    pub party_names_en: String,
}

/// Comma-separated items (either comma), trimmed, empty ones dropped.
fn items(text: &str) -> Vec<String> {
    text.split([',', '，'])
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
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
        let identity = r.identity.clone();
        let look = |prize: &str| identity.as_ref().and_then(|i| i.prize(prize)).cloned();
        let parties: Vec<String> = r
            .draws
            .first()
            .map(|d| d.seed_parties.clone())
            .unwrap_or_default();
        let party_names = |zh: bool| {
            identity.as_ref().map_or_else(String::new, |i| {
                let names: Vec<String> = parties
                    .iter()
                    .filter_map(|p| {
                        i.party(p)
                            .map(|n| if zh { n.zh.clone() } else { n.en.clone() })
                    })
                    .collect();
                names.join(", ")
            })
        };
        let text = |f: fn(&fairdraw_core::identity::Identity) -> String| {
            identity.as_ref().map(f).unwrap_or_default()
        };
        SetupForm {
            organizer_en: text(|i| i.organizer_en.clone()),
            notary_office: text(|i| i.notary_office.clone()),
            place: text(|i| i.place.clone()),
            primary_color: identity
                .as_ref()
                .map_or_else(|| DEFAULT_PRIMARY.to_owned(), |i| i.primary_color.clone()),
            accent_color: identity
                .as_ref()
                .map_or_else(|| DEFAULT_ACCENT.to_owned(), |i| i.accent_color.clone()),
            logo: text(|i| i.logo.clone().unwrap_or_default()),
            party_names_zh: party_names(true),
            party_names_en: party_names(false),
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
                    prize_zh: d
                        .prizes
                        .first()
                        .and_then(|p| look(&p.name))
                        .map(|l| l.zh)
                        .unwrap_or_default(),
                    prize_en: d
                        .prizes
                        .first()
                        .and_then(|p| look(&p.name))
                        .map(|l| l.en)
                        .unwrap_or_default(),
                    prize_image: d
                        .prizes
                        .first()
                        .and_then(|p| look(&p.name))
                        .and_then(|l| l.image)
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The rules this form describes, validated by the core (the server key is the server's
    /// to fill in; it replaces whatever is sent).
    pub fn to_rules(&self) -> Result<CampaignRules, String> {
        let parties = items(&self.parties);
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
            identity: self.identity(&parties)?,
        };
        rules
            .validate()
            .map_err(|e| format!("{}: {}", e.field, e.problem))?;
        Ok(rules)
    }
}

/// The colours a campaign without its own has (the app's).
pub const DEFAULT_PRIMARY: &str = "#b3001b";
/// See [`DEFAULT_PRIMARY`].
pub const DEFAULT_ACCENT: &str = "#ffd54a";

impl SetupForm {
    /// The identity the form describes: none when it says nothing beyond the app's colours.
    fn identity(
        &self,
        parties: &[String],
    ) -> Result<Option<fairdraw_core::identity::Identity>, String> {
        use fairdraw_core::identity::{Identity, PartyName, PrizeLook};
        let (zh, en) = (items(&self.party_names_zh), items(&self.party_names_en));
        if (!zh.is_empty() || !en.is_empty())
            && (zh.len() != parties.len() || en.len() != parties.len())
        {
            return Err(format!(
                "identity.parties: one Chinese and one English name for each of the {} seed parties",
                parties.len()
            ));
        }
        let mut prizes: Vec<PrizeLook> = Vec::new();
        for d in &self.draws {
            let name = d.prize.trim();
            let given = !d.prize_zh.trim().is_empty()
                || !d.prize_en.trim().is_empty()
                || !d.prize_image.is_empty();
            if given && !prizes.iter().any(|p| p.prize == name) {
                let or_name = |t: &str| {
                    if t.trim().is_empty() {
                        name.to_owned()
                    } else {
                        t.trim().to_owned()
                    }
                };
                prizes.push(PrizeLook {
                    prize: name.to_owned(),
                    zh: or_name(&d.prize_zh),
                    en: or_name(&d.prize_en),
                    image: (!d.prize_image.is_empty()).then(|| d.prize_image.clone()),
                });
            }
        }
        let identity = Identity {
            organizer_en: self.organizer_en.trim().to_owned(),
            notary_office: self.notary_office.trim().to_owned(),
            place: self.place.trim().to_owned(),
            primary_color: self.primary_color.trim().to_owned(),
            accent_color: self.accent_color.trim().to_owned(),
            logo: (!self.logo.is_empty()).then(|| self.logo.clone()),
            prizes,
            parties: parties
                .iter()
                .zip(zh.into_iter().zip(en))
                .map(|(party, (zh, en))| PartyName {
                    party: party.clone(),
                    zh,
                    en,
                })
                .collect(),
        };
        let plain = identity.organizer_en.is_empty()
            && identity.notary_office.is_empty()
            && identity.place.is_empty()
            && identity.logo.is_none()
            && identity.prizes.is_empty()
            && identity.parties.is_empty()
            && identity.primary_color == DEFAULT_PRIMARY
            && identity.accent_color == DEFAULT_ACCENT;
        Ok((!plain).then_some(identity))
    }
}

/// A picture chosen in the form, as the data URL the rules carry: SVG, PNG, JPEG or WebP.
pub fn picture_data_url(mime: &str, bytes: &[u8]) -> Result<String, crate::i18n::Said> {
    use crate::i18n::Said;
    use base64::Engine;
    let kind = match mime {
        "image/svg+xml" | "image/png" | "image/jpeg" | "image/webp" => mime,
        _ => {
            return Err(Said::new(
                "图片应为 SVG、PNG、JPEG 或 WebP 文件",
                "a picture is an SVG, PNG, JPEG or WebP file",
            ));
        }
    };
    let url = format!(
        "data:{kind};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    if url.len() > fairdraw_core::identity::MAX_PICTURE_BYTES {
        let (max, got) = (
            fairdraw_core::identity::MAX_PICTURE_BYTES / 1024,
            url.len() / 1024,
        );
        return Err(Said::new(
            format!("图片编码后最多 {max} KiB，这张是 {got} KiB"),
            format!("a picture is at most {max} KiB as the rules carry it; this one is {got} KiB"),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_round_trips_through_the_form() {
        let mut demo = crate::state::demo_rules();
        let form = SetupForm::from_rules(&demo);
        assert_eq!(form.to_rules().expect("valid"), demo);
        // With its identity too: logo, colours, prize names and picture, party names.
        demo.identity = Some(fairdraw_core::demo::demo_identity());
        let mut form = SetupForm::from_rules(&demo);
        assert_eq!(form.to_rules().expect("valid"), demo);
        form.party_names_en = "Organizer".into();
        assert!(
            form.to_rules()
                .expect_err("one name short")
                .starts_with("identity.parties")
        );
        form.party_names_en = "Organizer, Notary".into();
        form.accent_color = "gold".into();
        assert!(
            form.to_rules()
                .expect_err("bad colour")
                .starts_with("identity.accent_color")
        );
    }

    #[test]
    fn pictures_become_data_urls_the_rules_accept() {
        let svg = fairdraw_core::demo::DEMO_CAR_SVG.as_bytes();
        let url = picture_data_url("image/svg+xml", svg).expect("svg");
        assert!(url.starts_with("data:image/svg+xml;base64,"));
        assert!(picture_data_url("text/html", b"<p>").is_err());
        let big = vec![0u8; 40 * 1024];
        let e = picture_data_url("image/png", &big).expect_err("too big");
        assert!(e.zh.contains("48 KiB") && e.en.contains("48 KiB"), "{e:?}");
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
