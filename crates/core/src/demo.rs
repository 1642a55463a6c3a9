//! The demo campaign "爱达州·通川购" and synthetic ledgers of any size (deterministic).
//!
//! Used by `fairdraw-verify demo`, the server's `--demo`, benchmarks and tests, so that anyone can
//! try the whole chain at any size. Synthetic data is generated from a ChaCha20 stream keyed by a
//! caller-chosen seed, so the same seed always gives the same campaign.

use crate::civil::CivilDate;
use crate::entropy::{DrandBeacon, PublicEntropy, PublicNumbers};
use crate::freeze::Freeze;
use crate::hash::Hash32;
use crate::ledger::{LEAF_VERSION, Leaf, Ledger, PhoneOpening, TicketId, phone_commitment};
use crate::money::Fen;
use crate::phone::PhoneNumber;
use crate::receipt::{participant_pseudonym, receipt_fingerprint};
use crate::record::{ConductError, DrawInputs, DrawRecord, conduct_draw};
use crate::rules::{
    ALGORITHM_CHACHA20, CampaignRules, Caps, DrawRules, EntriesPerReceipt, EntropySpec, Merchant,
    Prize, PublicNumbersSpec, RULES_VERSION,
};
use crate::rules::{DrandSpec, NumberGroup, NumberSource, QUICKNET_CHAIN_HASH};
use crate::sampler::DrawStream;
use crate::seed::{Reveal, SeedCommitment, SeedSecret, commitment};
use ed25519_dalek::SigningKey;
use std::num::NonZeroU64;

const MERCHANTS: [&str; 30] = [
    "达州百货大楼",
    "通川区万达广场",
    "西外好又多超市",
    "朝阳路苏宁易购",
    "凤凰山家电城",
    "达州国美电器",
    "通川红旗连锁",
    "翠屏路永辉超市",
    "莲湖茂业百货",
    "达州王府井购物中心",
    "南外步步高",
    "达州新华书店",
    "通川五交化",
    "金龙大道汽贸城",
    "达州华润万家",
    "北外家具城",
    "通川眼镜城",
    "朝阳中路金店",
    "达州母婴生活馆",
    "通川体育用品",
    "达州老字号灯影牛肉",
    "西圣街茶叶行",
    "达州电脑城",
    "大西街服装城",
    "通川钟表行",
    "达州药房连锁",
    "南门口鞋城",
    "凤凰大道建材",
    "达州农特产品馆",
    "通川数码广场",
];

/// The demo rules, modelled on the real campaign: 500 yuan, six cars in three draws of two,
/// 30 merchants, five receipts a day per person. The campaign window starts on `start` and
/// lasts 81 days (10 December to the end of February when `start` is 10 December).
pub fn demo_rules(server_key: [u8; 32], start: CivilDate) -> CampaignRules {
    let day =
        |n: i64| CivilDate::from_days_since_epoch(start.days_since_epoch() + n).unwrap_or(start);
    let car = || Prize {
        name: "一汽-大众帕萨特轿车一辆 (a Volkswagen Passat)".into(),
    };
    // Reveals by 20:00 China time on the tenth day after the close, at the ceremony; the
    // lottery is drawn at 21:15 that evening, after every reveal.
    let draw = |name: &str, from: i64, to: i64| {
        let deadline = day(to + 10).china_start_ms() + 20 * 3_600_000;
        let drawn_at = deadline + 75 * 60_000;
        DrawRules {
            name: name.into(),
            entry_start: day(from),
            entry_end: day(to),
            prizes: vec![car(), car()],
            alternates: 5,
            seed_parties: vec!["organizer".into(), "notary".into()],
            reveal_deadline_ms: deadline,
            entropy: EntropySpec {
                drand: None,
                public_numbers: Some(PublicNumbersSpec {
                    sources: vec![NumberSource {
                        name: format!(
                            "中国福利彩票双色球 {} 21:15 开奖号码 (China Welfare Lottery Shuangseqiu, drawn {} 21:15)",
                            day(to + 10),
                            day(to + 10)
                        ),
                        drawn_at_ms: drawn_at,
                        groups: vec![
                            NumberGroup {
                                count: 6,
                                min: 1,
                                max: 33,
                                distinct: true,
                            },
                            NumberGroup {
                                count: 1,
                                min: 1,
                                max: 16,
                                distinct: true,
                            },
                        ],
                    }],
                }),
            },
            algorithm: ALGORITHM_CHACHA20.into(),
        }
    };
    CampaignRules {
        version: RULES_VERSION,
        id: format!("dazhou-{}", start.year()),
        name_zh: "爱达州·通川购 年终消费抽奖".into(),
        name_en: "Love Dazhou · Shop Tongchuan year-end draw".into(),
        organizer: "达州市通川区商务局 (Tongchuan District Bureau of Commerce)".into(),
        threshold_fen: Fen::from_yuan(500),
        max_amount_fen: Fen::from_yuan(1_000_000),
        entry_start: start,
        entry_end: day(80),
        merchants: MERCHANTS
            .iter()
            .enumerate()
            .map(|(i, name)| Merchant {
                id: format!("M{:03}", i + 1),
                name: (*name).into(),
            })
            .collect(),
        caps: Caps {
            per_day: Some(5),
            per_campaign: Some(60),
            per_merchant: Some(20),
        },
        entries_per_receipt: EntriesPerReceipt::One,
        draws: vec![
            draw("第一期", 0, 21),
            draw("第二期", 22, 52),
            draw("第三期", 53, 80),
        ],
        server_key,
        witnesses: Vec::new(),
        witness_quorum: 0,
        identity: None,
    }
}

/// The demo's logo, drawn for it: a shopping bag in 通川 red and gold.
pub const DEMO_LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120"><circle cx="60" cy="60" r="55" fill="#c8102e" stroke="#ffd34d" stroke-width="6"/><path d="M46 48v-7a14 14 0 0 1 28 0v7" fill="none" stroke="#ffd34d" stroke-width="5" stroke-linecap="round"/><path d="M31 46h58l-6 46H37z" fill="#ffd34d"/><path d="M44 64l16 10 16-10" fill="none" stroke="#c8102e" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/><circle cx="60" cy="84" r="3.5" fill="#c8102e"/></svg>"##;

/// The demo's prize picture, drawn for it: a saloon car from the side.
pub const DEMO_CAR_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 110"><defs><linearGradient id="b" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f5f7fa"/><stop offset=".55" stop-color="#c3ccd6"/><stop offset="1" stop-color="#7d8995"/></linearGradient></defs><ellipse cx="122" cy="99" rx="110" ry="6" fill="#000" opacity=".3"/><path d="M12 80c0-12 7-18 22-20l38-5c15-14 31-22 54-23 26-1 44 8 60 22l28 5c12 2 18 9 18 19v8H12z" fill="url(#b)" stroke="#3a4450" stroke-width="2"/><path d="M80 55c12-12 26-17 43-18v18z" fill="#26394d"/><path d="M130 37c19 0 33 6 45 18h-45z" fill="#26394d"/><path d="M127 37v51" stroke="#3a4450" stroke-width="1.5"/><path d="M76 66h22M136 66h22" stroke="#3a4450" stroke-width="2" stroke-linecap="round"/><rect x="211" y="64" width="16" height="6" rx="3" fill="#ffd34d"/><rect x="13" y="66" width="9" height="6" rx="2" fill="#c8102e"/><circle cx="60" cy="88" r="16" fill="#1b2129"/><circle cx="60" cy="88" r="7" fill="#c9d1d9"/><circle cx="186" cy="88" r="16" fill="#1b2129"/><circle cx="186" cy="88" r="7" fill="#c9d1d9"/></svg>"##;

/// The demo's identity (SPEC.md §3.5): red and gold, the logo and the car above, the
/// notary office and the place of the ceremony, and the seed parties as people say them.
pub fn demo_identity() -> crate::identity::Identity {
    use crate::identity::{Identity, PartyName, PrizeLook};
    use base64::Engine;
    let svg = |s: &str| {
        format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    };
    Identity {
        organizer_en: "Tongchuan District Bureau of Commerce, Dazhou".into(),
        notary_office: "四川省达州市公证处 (Dazhou Notary Office)".into(),
        place: "达州市通川区 市民中心一楼大厅 (Civic Centre hall, Tongchuan District, Dazhou)"
            .into(),
        primary_color: "#c8102e".into(),
        accent_color: "#ffd34d".into(),
        logo: Some(svg(DEMO_LOGO_SVG)),
        prizes: vec![PrizeLook {
            prize: "一汽-大众帕萨特轿车一辆 (a Volkswagen Passat)".into(),
            zh: "一汽-大众帕萨特轿车一辆".into(),
            en: "a Volkswagen Passat saloon".into(),
            image: Some(svg(DEMO_CAR_SVG)),
        }],
        parties: vec![
            PartyName {
                party: "organizer".into(),
                zh: "主办方（通川区商务局）".into(),
                en: "Organizer (Tongchuan Bureau of Commerce)".into(),
            },
            PartyName {
                party: "notary".into(),
                zh: "公证处（达州市公证处）".into(),
                en: "Notary (Dazhou Notary Office)".into(),
            },
        ],
    }
}

/// A synthetic ledger with what only the server knows of it: each leaf's phone opening and
/// full phone number.
#[derive(Debug, Clone, Default)]
pub struct DemoLedger {
    /// The public ledger.
    pub ledger: Ledger,
    /// Each leaf's masked phone and salt.
    pub openings: Vec<PhoneOpening>,
    /// Each leaf's phone number (11 digits).
    pub phones: Vec<String>,
}

impl DemoLedger {
    /// The opening of leaf `index`.
    pub fn opening(&self, index: u64) -> Option<PhoneOpening> {
        self.openings.get(usize::try_from(index).ok()?).cloned()
    }
}

/// A deterministic random source for synthetic data.
struct Gen(DrawStream);

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        NonZeroU64::new(n).map_or(0, |n| self.0.uniform_below(n))
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let w = self.0.next_u64().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        out
    }
}

/// `n` synthetic entries for draw `draw_index` of `rules`: about one person per four entries,
/// amounts skewed towards the threshold, dates spread over the draw window, entry times in
/// order. Pseudonyms and fingerprints are keyed with `pseudonym_key`.
pub fn demo_ledger(
    rules: &CampaignRules,
    draw_index: u32,
    n: u64,
    seed: &Hash32,
    pseudonym_key: &[u8; 32],
) -> DemoLedger {
    let mut g = Gen(DrawStream::new(seed));
    let Some(draw) = rules.draw(draw_index) else {
        return DemoLedger::default();
    };
    let mut openings = Vec::with_capacity(n as usize);
    let mut phones = Vec::with_capacity(n as usize);
    let people = (n / 4).max(1);
    let days = (draw.entry_end.days_since_epoch() - draw.entry_start.days_since_epoch() + 1) as u64;
    let window_ms = days * 86_400_000;
    let mut ledger = Ledger::default();
    ledger.leaves.reserve(n as usize);
    ledger.hashes.reserve(n as usize);
    for index in 0..n {
        let person = g.below(people);
        let phone_digits = format!(
            "1{}{:09}",
            3 + person % 7,
            (person * 7_919 + 13_579) % 1_000_000_000
        );
        let phone = PhoneNumber::parse(&phone_digits).unwrap_or_else(|_| {
            PhoneNumber::parse("13800000000").unwrap_or_else(|_| unreachable!("valid constant"))
        });
        // Entries arrive in time order across the window.
        let entered_at_ms = draw.entry_start.china_start_ms() + index * window_ms / n.max(1);
        let entered_day = CivilDate::china_date_at(entered_at_ms).unwrap_or(draw.entry_start);
        let back = g.below(3) as i64;
        let date = CivilDate::from_days_since_epoch(entered_day.days_since_epoch() - back)
            .filter(|d| *d >= draw.entry_start)
            .unwrap_or(entered_day);
        let extra = match g.below(10) {
            0..=5 => g.below(50_000),
            6..=8 => g.below(250_000),
            _ => g.below(2_000_000),
        };
        let amount = Fen(rules.threshold_fen.0 + extra);
        let merchant = &rules.merchants[g.below(rules.merchants.len() as u64) as usize];
        let ticket: [u8; 16] = g.bytes();
        let salt: [u8; 16] = g.bytes();
        // The draw is part of the receipt: two draws of one campaign never share a receipt.
        let receipt = format!("receipt:{}:D{draw_index}N{:08}", merchant.id, index);
        let opening = PhoneOpening {
            phone_masked: phone.masked(),
            phone_salt: salt,
        };
        ledger.push(Leaf {
            v: LEAF_VERSION,
            index,
            ticket_id: TicketId(ticket),
            participant: participant_pseudonym(pseudonym_key, &rules.id, draw_index, &phone),
            fingerprint: receipt_fingerprint(pseudonym_key, &receipt),
            phone_commitment: phone_commitment(&salt, &opening.phone_masked),
            merchant_id: merchant.id.clone(),
            amount_fen: amount,
            date,
            weight: rules.weight_for(amount),
            entered_at_ms,
        });
        openings.push(opening);
        phones.push(phone.as_str().to_owned());
    }
    DemoLedger {
        ledger,
        openings,
        phones,
    }
}

/// A complete synthetic draw: rules, ledger of `n` entries, freeze, two seed parties, public
/// numbers, and the record. Everything is derived from `seed`.
pub fn demo_draw(n: u64, seed: &Hash32) -> Result<(DrawRecord, Ledger), ConductError> {
    demo_draw_with_prizes(n, seed, 2)
}

/// [`demo_draw`] with `prizes` cars in the first draw instead of two.
pub fn demo_draw_with_prizes(
    n: u64,
    seed: &Hash32,
    prizes: usize,
) -> Result<(DrawRecord, Ledger), ConductError> {
    demo_draw_inner(n, seed, prizes, &[]).map(|(r, l, _)| (r, l))
}

/// The two witnesses of [`demo_witnessed_draw`]: names and cosigner keys.
pub fn demo_witness_keys(seed: &Hash32) -> Vec<(String, String, SigningKey)> {
    [
        "达州市公证处 (Dazhou Notary Office)",
        "川东日报 (East Sichuan Daily)",
    ]
    .iter()
    .zip(["notary.dazhou.example/witness", "daily.example/witness"])
    .enumerate()
    .map(|(i, (display, key_name))| {
        let k = SigningKey::from_bytes(&Hash32::sha256(&[&seed.0[..], &[i as u8]].concat()).0);
        ((*display).to_owned(), key_name.to_owned(), k)
    })
    .collect()
}

/// [`demo_draw`] whose rules name two witnesses (quorum 2), with the witnessed journal: each
/// event cosigned by both, `lag_s` seconds after the server accepted it. Returns the server's
/// signing key too.
pub fn demo_witnessed_draw(
    n: u64,
    seed: &Hash32,
    lag_s: u64,
) -> Result<(DrawRecord, Ledger, SigningKey), ConductError> {
    let keys = demo_witness_keys(seed);
    let (mut record, ledger, signing) = demo_draw_inner(n, seed, 2, &keys)?;
    let events = crate::journal::draw_events(&record);
    let times: Vec<u64> = events.iter().map(|e| e.at_ms() / 1000 + lag_s).collect();
    let cosigners: Vec<(String, SigningKey)> =
        keys.into_iter().map(|(_, name, k)| (name, k)).collect();
    record.witnessing = Some(crate::journal::witness_events(
        &record.rules,
        &signing,
        events,
        &cosigners,
        |i| times[i],
    ));
    Ok((record, ledger, signing))
}

fn demo_draw_inner(
    n: u64,
    seed: &Hash32,
    prizes: usize,
    witnesses: &[(String, String, SigningKey)],
) -> Result<(DrawRecord, Ledger, SigningKey), ConductError> {
    let mut g = Gen(DrawStream::new(&Hash32::sha256(&seed.0)));
    let signing = SigningKey::from_bytes(&g.bytes());
    let start = CivilDate::new(2026, 12, 10).unwrap_or_else(|| unreachable!("valid date"));
    let mut rules = demo_rules(signing.verifying_key().to_bytes(), start);
    let car = rules.draws[0].prizes[0].clone();
    rules.draws[0].prizes = vec![car; prizes.max(1)];
    rules.witnesses = witnesses
        .iter()
        .map(|(display, name, k)| crate::rules::Witness {
            name: display.clone(),
            vkey: crate::note::format_vkey(
                name,
                crate::note::SIG_TYPE_COSIGNATURE,
                k.verifying_key().as_bytes(),
            ),
        })
        .collect();
    rules.witness_quorum = witnesses.len() as u32;
    let draw_index = 0;
    let draw = &rules.draws[0];
    let demo = demo_ledger(&rules, draw_index, n, seed, &g.bytes());
    let ledger = demo.ledger.clone();
    let close = draw.closes_at_ms();
    let rules_hash = rules.hash();
    let mut commitments = Vec::new();
    let mut reveals = Vec::new();
    let frozen_at_ms = close + 60_000;
    for (i, party) in draw.seed_parties.iter().enumerate() {
        let secret = SeedSecret(g.bytes());
        commitments.push(SeedCommitment {
            party: party.clone(),
            commitment: commitment(&rules_hash, draw_index, party, &secret),
            published_at_ms: close - 86_400_000 + i as u64 * 3_600_000,
        });
        reveals.push(Reveal {
            party: party.clone(),
            secret,
            revealed_at_ms: frozen_at_ms + (i as u64 + 1) * 3_600_000,
        });
    }
    let freeze = Freeze::of_leaves(
        rules_hash,
        &rules.id,
        draw_index,
        ledger.weighted(),
        commitments,
        frozen_at_ms,
    )
    .map_err(|e| ConductError::Algorithm(e.to_string()))?
    .sign(&signing);
    let mut balls: Vec<String> = Vec::new();
    while balls.len() < 6 {
        let b = format!("{:02}", 1 + g.below(33));
        if !balls.contains(&b) {
            balls.push(b);
        }
    }
    balls.push(format!("{:02}", 1 + g.below(16)));
    let spec = draw
        .entropy
        .public_numbers
        .as_ref()
        .ok_or_else(|| ConductError::Algorithm("the demo names public numbers".into()))?;
    let numbers = PublicNumbers::from_values(spec, vec![balls.join(" ")])
        .map_err(|e| ConductError::Algorithm(e.to_string()))?;
    let entropy = PublicEntropy {
        drand: None,
        public_numbers: Some(numbers),
    };
    let record = conduct_draw(
        &DrawInputs {
            rules: &rules,
            draw_index,
            ledger: &ledger,
            freeze: &freeze,
            reveals: &reveals,
            entropy: &entropy,
        },
        |i| demo.opening(i),
    )?;
    Ok((record, ledger, signing))
}

/// Everything after the ledger, as a server that signs what it is given would do it: two seed
/// parties commit (`secrets`) at `committed_at`, the freeze at `frozen_at`, reveals a minute
/// apart after it, then the draw with these public numbers (and drand beacon, if any).
#[allow(clippy::too_many_arguments)]
pub fn sign_and_draw(
    rules: &crate::rules::CampaignRules,
    ledger: &crate::ledger::Ledger,
    openings: &DemoLedger,
    signing: &SigningKey,
    secrets: &[SeedSecret],
    committed_at: u64,
    frozen_at: u64,
    numbers: &str,
    drand: Option<DrandBeacon>,
) -> crate::record::DrawRecord {
    let rules_hash = rules.hash();
    let parties = &rules.draws[0].seed_parties;
    let commitments: Vec<SeedCommitment> = parties
        .iter()
        .zip(secrets)
        .map(|(p, s)| SeedCommitment {
            party: p.clone(),
            commitment: commitment(&rules_hash, 0, p, s),
            published_at_ms: committed_at,
        })
        .collect();
    let freeze = Freeze::of_leaves(
        rules_hash,
        &rules.id,
        0,
        ledger.weighted(),
        commitments,
        frozen_at,
    )
    .unwrap_or_else(|_| unreachable!("demo weights are small"))
    .sign(signing);
    let reveals: Vec<Reveal> = parties
        .iter()
        .zip(secrets)
        .enumerate()
        .map(|(i, (p, s))| Reveal {
            party: p.clone(),
            secret: s.clone(),
            revealed_at_ms: frozen_at + 60_000 * (i as u64 + 1),
        })
        .collect();
    let spec = rules.draws[0]
        .entropy
        .public_numbers
        .clone()
        .expect("numbers");
    let entropy = PublicEntropy {
        drand,
        public_numbers: Some(
            PublicNumbers::from_values(&spec, vec![numbers.into()])
                .unwrap_or_else(|e| unreachable!("demo numbers: {e}")),
        ),
    };
    conduct_draw(
        &DrawInputs {
            rules,
            draw_index: 0,
            ledger,
            freeze: &freeze,
            reveals: &reveals,
            entropy: &entropy,
        },
        |i| openings.opening(i),
    )
    .unwrap_or_else(|e| unreachable!("the demo draw: {e}"))
}

/// A 2023 campaign of `n` entries whose draw uses drand quicknet round 657413 (published
/// 2023-09-15T11:00:03Z, after this draw's freeze and reveals) and public numbers, for
/// `prizes` cars (at least one) and five alternates.
pub fn demo_drand_draw(n: u64, prizes: usize) -> (DrawRecord, Ledger) {
    let signing = SigningKey::from_bytes(&[0x37; 32]);
    let mut rules = demo_rules(
        signing.verifying_key().to_bytes(),
        CivilDate::new(2023, 8, 25).unwrap_or_else(|| unreachable!("valid date")),
    );
    let round_at = crate::entropy::quicknet_round_time_ms(657_413);
    {
        let d = &mut rules.draws[0];
        let car = d.prizes[0].clone();
        d.prizes = vec![car; prizes.max(1)];
        d.entry_start = CivilDate::new(2023, 8, 25).unwrap_or_else(|| unreachable!("valid date"));
        d.entry_end = CivilDate::new(2023, 9, 14).unwrap_or_else(|| unreachable!("valid date"));
        d.reveal_deadline_ms = round_at - 3_600_000;
        d.entropy.drand = Some(DrandSpec {
            chain_hash: Hash32::from_hex(QUICKNET_CHAIN_HASH).unwrap_or_default(),
            round: 657_413,
        });
        if let Some(p) = d.entropy.public_numbers.as_mut() {
            p.sources[0].name =
                "中国福利彩票双色球 2023-09-15 (China Welfare Lottery Shuangseqiu)".into();
            p.sources[0].drawn_at_ms = round_at;
        }
    }
    debug_assert!(rules.validate().is_ok());
    let demo = demo_ledger(&rules, 0, n, &Hash32([0x99; 32]), &[0x55; 32]);
    let ledger = demo.ledger.clone();
    let close = rules.draws[0].closes_at_ms();
    let beacon = DrandBeacon {
        round: 657_413,
        signature: hex::decode("b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b").unwrap_or_default(),
        randomness: Hash32::from_hex("fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587").unwrap_or_default(),
    };
    let secrets = [SeedSecret([0xaa; 32]), SeedSecret([0xbb; 32])];
    let record = sign_and_draw(
        &rules,
        &ledger,
        &demo,
        &signing,
        &secrets,
        close - 7_200_000,
        close + 30_000,
        "05 11 17 22 28 30 12",
        Some(beacon),
    );
    (record, ledger)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_draw_verifies() {
        let (record, ledger) = demo_draw(500, &Hash32([4; 32])).expect("demo");
        let anchor = crate::verify::Anchor::Published(record.rules_hash);
        let report = crate::verify::verify_record(&record, &ledger, anchor);
        assert!(report.all_passed(), "{:#?}", report.failed());
        assert_eq!(record.winners.len(), 2);
        assert_eq!(record.alternates.len(), 5);
        // Same seed, same draw.
        let (again, _) = demo_draw(500, &Hash32([4; 32])).expect("demo");
        assert_eq!(again, record);
    }
}
