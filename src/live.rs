//! The live draw, as plain Rust (tested natively): what the organizer types or loads on the
//! projector screen, kept in localStorage so a reload loses nothing, and the draw computed from
//! it by the core. Also the seed-secret file the ceremony saves.

use crate::i18n::{Lang, Said, look};
use fairdraw_core::draw::Selection;
use fairdraw_core::entropy::{DrandBeacon, PublicEntropy, PublicNumbers};
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::{Ledger, PhoneOpening};
use fairdraw_core::message::Coded;
use fairdraw_core::record::{DrawInputs, DrawRecord, assemble_record, conduct_selection};
use fairdraw_core::rules::{CampaignRules, EntropySpec};
pub use fairdraw_core::seed::secret_file;
use fairdraw_core::seed::{Reveal, SeedCommitment, SeedSecret, commitment};
use serde::{Deserialize, Serialize};

/// localStorage key of a ceremony in progress.
pub fn storage_key(campaign: &str, draw: u32) -> String {
    format!("fairdraw.live.{campaign}.{draw}")
}

/// What the organizer has entered so far, and how far the reveal has gone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveInputs {
    /// Each seed party's secret as typed or loaded, in the rules' order.
    pub reveals: Vec<String>,
    /// Each public-number source's values, in the rules' order.
    pub numbers: Vec<String>,
    /// The drand round's signature (hex), when the rules name a round.
    pub drand_signature: String,
    /// Prizes revealed on screen so far.
    pub revealed: u32,
    /// Alternates shown.
    pub alternates_shown: bool,
    /// The draw has been computed (the inputs are then locked on screen).
    #[serde(default)]
    pub drawn: bool,
}

impl LiveInputs {
    /// Sets party `k`'s secret text (typed, or a loaded file's contents).
    pub fn set_reveal(&mut self, k: usize, text: String) {
        set_at(&mut self.reveals, k, text);
    }

    /// Sets public-number source `k`'s values as typed.
    pub fn set_numbers(&mut self, k: usize, text: String) {
        set_at(&mut self.numbers, k, text);
    }
}

fn set_at(v: &mut Vec<String>, k: usize, text: String) {
    if v.len() <= k {
        v.resize(k + 1, String::new());
    }
    v[k] = text;
}

/// A seed secret from what was typed: 64 hex digits (spaces ignored), or the saved file.
pub fn parse_secret(text: &str) -> Result<SeedSecret, Said> {
    let t = text.trim();
    let hex_text = if t.starts_with('{') {
        SecretFile::parse(t)?.secret
    } else {
        t.split_whitespace().collect()
    };
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text.trim(), &mut out).map_err(|_| {
        Said::new(
            "秘密应为 64 位十六进制数字",
            "a secret is 64 hexadecimal digits",
        )
    })?;
    Ok(SeedSecret(out))
}

/// A saved seed-secret file (`fairdraw/seed-secret/v1`): whose it is and for which draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    /// The campaign id.
    pub campaign: String,
    /// The draw (0-based).
    pub draw_index: u32,
    /// The seed party.
    pub party: String,
    /// The secret, hex.
    pub secret: String,
}

impl SecretFile {
    /// Reads the file's JSON; anything else is a clear error.
    pub fn parse(text: &str) -> Result<SecretFile, Said> {
        let unreadable = || {
            Said::new(
                "这不是种子秘密文件（应为仪式保存的 .json 文件）",
                "this is not a seed-secret file (the .json the ceremony saved)",
            )
        };
        let v: serde_json::Value = serde_json::from_str(text.trim()).map_err(|_| unreadable())?;
        let field = |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(unreadable);
        Ok(SecretFile {
            campaign: field("campaign")?,
            draw_index: v["draw_index"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(unreadable)?,
            party: field("party")?,
            secret: field("secret")?,
        })
    }
}

/// Where a loaded secret file went: its party's slot, which may not be the one it was
/// dropped on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The slot (index of the party in the rules).
    pub slot: usize,
    /// True when it was given to another party's slot and moved to its own.
    pub moved: bool,
}

/// Checks a revealed secret against the party's commitment in the freeze.
pub fn check_reveal(
    rules_hash: &Hash32,
    draw: u32,
    c: &SeedCommitment,
    text: &str,
    shown_as: &(String, String),
) -> Result<SeedSecret, Said> {
    let secret = parse_secret(text)?;
    if commitment(rules_hash, draw, &c.party, &secret) != c.commitment {
        return Err(Said::new(
            format!("✗ 与{}的承诺不一致", shown_as.0),
            format!("✗ does not match {}'s commitment", shown_as.1),
        ));
    }
    Ok(secret)
}

/// The public entropy the rules ask for, from what was entered, with the drand signature
/// checked (BLS; in the worker).
pub fn entropy(spec: &EntropySpec, i: &LiveInputs) -> Result<PublicEntropy, String> {
    entropy_with(spec, i, |round, sig| {
        fairdraw_core::entropy::verify_quicknet(round, sig)
            .map_err(|e| format!("drand round {round}: {e}"))
    })
    .map_err(|e| e.en)
}

/// As [`entropy`], but only the form of a drand signature is checked (48 bytes): what the page
/// shows while typing, without linking the BLS pairing code into the main bundle. The worker
/// checks the signature itself before the draw.
pub fn entropy_form(spec: &EntropySpec, i: &LiveInputs) -> Result<PublicEntropy, Said> {
    entropy_with(spec, i, |round, sig| {
        if sig.len() == 48 {
            Ok(Hash32::sha256(sig))
        } else {
            Err(format!("drand round {round}: a signature is 48 bytes"))
        }
    })
}

fn entropy_with(
    spec: &EntropySpec,
    i: &LiveInputs,
    check: impl Fn(u64, &[u8]) -> Result<Hash32, String>,
) -> Result<PublicEntropy, Said> {
    let drand = match &spec.drand {
        None => None,
        Some(d) => {
            let sig: String = i.drand_signature.split_whitespace().collect();
            if sig.is_empty() {
                return Err(Said::new(
                    format!("等待 drand 第 {} 轮的签名", d.round),
                    format!("waiting for the signature of drand round {}", d.round),
                ));
            }
            let signature = hex::decode(sig)
                .map_err(|_| Said::new("drand 签名应为十六进制", "drand: the signature is hex"))?;
            let randomness = check(d.round, &signature).map_err(|e| {
                Said::new(
                    format!(
                        "drand 第 {} 轮的签名不对（应为 48 字节，由 drand 签发）",
                        d.round
                    ),
                    e,
                )
            })?;
            Some(DrandBeacon {
                round: d.round,
                signature,
                randomness,
            })
        }
    };
    let public_numbers = match &spec.public_numbers {
        None => None,
        Some(p) => {
            let values: Vec<String> = (0..p.sources.len())
                .map(|k| i.numbers.get(k).cloned().unwrap_or_default())
                .collect();
            if values.iter().any(|v| v.trim().is_empty()) {
                return Err(Said::new(
                    "等待公开号码：每个来源都要填写",
                    "public numbers: every source needs its numbers",
                ));
            }
            Some(
                PublicNumbers::from_values(p, values)
                    .map_err(|e| Said::new(e.message_zh(), e.message_en()))?,
            )
        }
    };
    Ok(PublicEntropy {
        drand,
        public_numbers,
    })
}

/// Each public-number source as read so far: `Ok((count, "03 11 17 22 28 33 | 09"))` shows
/// the numbers back as read, or the Chinese and English reason they do not fit the rules.
pub fn numbers_as_read(
    spec: &EntropySpec,
    i: &LiveInputs,
) -> Vec<Result<(u64, String), (String, String)>> {
    let Some(p) = &spec.public_numbers else {
        return Vec::new();
    };
    p.sources
        .iter()
        .enumerate()
        .map(|(k, src)| {
            let text = i.numbers.get(k).map(String::as_str).unwrap_or_default();
            fairdraw_core::numbers::read_source(src, text)
                .map(|groups| {
                    (
                        src.total_count(),
                        fairdraw_core::numbers::display(src, &groups),
                    )
                })
                .map_err(|e| (e.message_zh(), e.message_en()))
        })
        .collect()
}

/// Everything fixed before the ceremony: the rules, the frozen ledger and its signed freeze
/// (which holds the commitments).
pub struct Ceremony<'a> {
    /// The campaign rules.
    pub rules: &'a CampaignRules,
    /// The draw.
    pub draw_index: u32,
    /// The frozen ledger (checked against the freeze by the core).
    pub ledger: &'a Ledger,
    /// The signed freeze.
    pub freeze: &'a SignedFreeze,
}

impl Ceremony<'_> {
    /// The public entropy the draw's rules name.
    fn entropy_spec(&self) -> Result<&EntropySpec, String> {
        self.rules
            .draw(self.draw_index)
            .map(|d| &d.entropy)
            .ok_or_else(|| "no such draw".to_owned())
    }

    /// The draw's seed parties, in the rules' order.
    fn parties(&self) -> Vec<String> {
        self.rules
            .draw(self.draw_index)
            .map(|d| d.seed_parties.clone())
            .unwrap_or_default()
    }

    /// A party's name on screen, in both languages.
    pub fn party_name(&self, party: &str) -> (String, String) {
        (
            look::party(self.rules, party, Lang::Zh),
            look::party(self.rules, party, Lang::En),
        )
    }

    /// Each party's secret as entered, checked against its commitment, in the rules' order.
    pub fn secrets(&self, i: &LiveInputs) -> Vec<Result<SeedSecret, Said>> {
        let rules_hash = self.rules.hash();
        let parties = self.parties();
        parties
            .iter()
            .enumerate()
            .map(|(k, party)| {
                let name = self.party_name(party);
                let c = self
                    .freeze
                    .freeze
                    .commitments
                    .iter()
                    .find(|c| &c.party == party)
                    .ok_or_else(|| {
                        Said::new(
                            format!("{}从未作出承诺", name.0),
                            format!("{} never committed", name.1),
                        )
                    })?;
                let text = i.reveals.get(k).map(String::as_str).unwrap_or_default();
                if text.trim().is_empty() {
                    return Err(Said::new(
                        format!("等待{}的秘密", name.0),
                        format!("waiting for {}'s secret", name.1),
                    ));
                }
                check_reveal(&rules_hash, self.draw_index, c, text, &name)
            })
            .collect()
    }

    /// Puts a loaded secret file in its party's slot, whichever slot it was given to: a file
    /// for another campaign or draw, or of a party this draw does not have, is refused and
    /// named.
    pub fn place_file(
        &self,
        i: &mut LiveInputs,
        given_to: usize,
        text: &str,
    ) -> Result<Placed, Said> {
        let file = SecretFile::parse(text)?;
        if file.campaign != self.rules.id || file.draw_index != self.draw_index {
            return Err(Said::new(
                format!(
                    "这是活动 {} 第 {} 期的秘密文件，不是本期的",
                    file.campaign,
                    file.draw_index + 1
                ),
                format!(
                    "this is the secret file of campaign {}, draw {}, not of this draw",
                    file.campaign,
                    file.draw_index + 1
                ),
            ));
        }
        let parties = self.parties();
        let Some(slot) = parties.iter().position(|p| *p == file.party) else {
            return Err(Said::new(
                format!("这是“{}”的秘密文件，本期没有这一方", file.party),
                format!(
                    "this is the secret file of \"{}\", who is not a party of this draw",
                    file.party
                ),
            ));
        };
        i.set_reveal(slot, file.secret);
        Ok(Placed {
            slot,
            moved: slot != given_to,
        })
    }

    /// The reveals the server recorded, in the rules' party order: `Ok` only when every party
    /// has revealed (each reveal carries the server's time).
    pub fn recorded(&self, recorded: &[Reveal]) -> Result<Vec<Reveal>, String> {
        let parties = self.parties();
        parties
            .iter()
            .map(|p| {
                recorded
                    .iter()
                    .find(|r| &r.party == p)
                    .cloned()
                    .ok_or_else(|| format!("{p}: not yet revealed to the server"))
            })
            .collect()
    }

    fn inputs<'x>(&'x self, reveals: &'x [Reveal], entropy: &'x PublicEntropy) -> DrawInputs<'x> {
        DrawInputs {
            rules: self.rules,
            draw_index: self.draw_index,
            ledger: self.ledger,
            freeze: self.freeze,
            reveals,
            entropy,
        }
    }

    /// The seed and the selection, computed by the core from the recorded reveals and the
    /// public entropy entered.
    pub fn select(
        &self,
        recorded: &[Reveal],
        i: &LiveInputs,
    ) -> Result<(Hash32, Selection), String> {
        let reveals = self.recorded(recorded)?;
        let spec = self.entropy_spec()?;
        let entropy = entropy(spec, i)?;
        conduct_selection(&self.inputs(&reveals, &entropy)).map_err(|e| e.to_string())
    }

    /// The record of a selection, with the placed leaves' phone openings from the server.
    pub fn assemble(
        &self,
        recorded: &[Reveal],
        i: &LiveInputs,
        seed: Hash32,
        selection: &Selection,
        openings: &[(u64, PhoneOpening)],
    ) -> Result<DrawRecord, String> {
        let reveals = self.recorded(recorded)?;
        let spec = self.entropy_spec()?;
        let entropy = entropy_form(spec, i).map_err(|e| e.en)?;
        assemble_record(&self.inputs(&reveals, &entropy), seed, selection, |leaf| {
            openings
                .iter()
                .find(|(l, _)| *l == leaf)
                .map(|(_, o)| o.clone())
        })
        .map_err(|e| e.to_string())
    }
}

/// A ticket reference for the rolling animation (`#1234 · 9f3a…`), picked by a cheap
/// counter-based mix: the animation is decoration, the winner comes from the record, and the
/// public ledger holds no phone numbers to roll.
pub fn rolling_ticket(ledger: &Ledger, tick: u64) -> String {
    let n = ledger.leaves.len() as u64;
    if n == 0 {
        return "····".into();
    }
    let mut x = tick.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    let leaf = &ledger.leaves[(x % n) as usize];
    format!("#{} · {}", leaf.index, &leaf.ticket_id.to_hex()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use fairdraw_core::civil::CivilDate;
    use fairdraw_core::demo::DemoLedger;
    use fairdraw_core::freeze::Freeze;
    use fairdraw_core::verify::{Anchor, verify_record};

    struct Fixture {
        rules: CampaignRules,
        demo: DemoLedger,
        freeze: SignedFreeze,
        secrets: Vec<SeedSecret>,
        recorded: Vec<Reveal>,
    }

    impl Fixture {
        fn ceremony(&self) -> Ceremony<'_> {
            Ceremony {
                rules: &self.rules,
                draw_index: 0,
                ledger: &self.demo.ledger,
                freeze: &self.freeze,
            }
        }
        fn openings(&self, s: &Selection) -> Vec<(u64, PhoneOpening)> {
            s.winners
                .iter()
                .chain(&s.alternates)
                .filter_map(|i| self.demo.opening(*i).map(|o| (*i, o)))
                .collect()
        }
    }

    fn fixture() -> Fixture {
        let key = SigningKey::from_bytes(&[4; 32]);
        let start = CivilDate::parse("2026-12-10").expect("date");
        let rules = fairdraw_core::demo::demo_rules(key.verifying_key().to_bytes(), start);
        let demo = fairdraw_core::demo::demo_ledger(&rules, 0, 120, &Hash32([1; 32]), &[2; 32]);
        let secrets = vec![SeedSecret([8; 32]), SeedSecret([9; 32])];
        let commitments: Vec<SeedCommitment> = rules.draws[0]
            .seed_parties
            .iter()
            .zip(&secrets)
            .map(|(p, s)| SeedCommitment {
                party: p.clone(),
                commitment: commitment(&rules.hash(), 0, p, s),
                published_at_ms: 1,
            })
            .collect();
        let frozen_at = rules.draws[0].closes_at_ms() + 1;
        let l = &demo.ledger;
        let freeze = Freeze::of_leaves(
            rules.hash(),
            &rules.id,
            0,
            l.weighted(),
            commitments,
            frozen_at,
        )
        .expect("freeze")
        .sign(&key);
        let recorded = rules.draws[0]
            .seed_parties
            .iter()
            .zip(&secrets)
            .map(|(p, s)| Reveal {
                party: p.clone(),
                secret: s.clone(),
                revealed_at_ms: frozen_at + 60_000,
            })
            .collect();
        Fixture {
            rules,
            demo,
            freeze,
            secrets,
            recorded,
        }
    }

    #[test]
    fn the_screen_computes_a_record_that_verifies() {
        let f = fixture();
        let c = f.ceremony();
        let mut i = LiveInputs::default();
        assert!(
            c.secrets(&i).iter().all(Result::is_err),
            "nothing entered yet"
        );
        // The second party's file arrives first: the first slot waits, empty.
        i.set_reveal(1, "later".into());
        assert_eq!(i.reveals, ["", "later"]);
        // One typed with spaces, one loaded from the saved file.
        i.reveals = vec![
            hex::encode(f.secrets[0].0)
                .as_bytes()
                .chunks(8)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            secret_file(&f.rules, 0, "notary", &f.secrets[1]),
        ];
        assert!(c.secrets(&i).iter().all(Result::is_ok));
        // Checked here, but not yet recorded by the server: no draw.
        assert!(
            c.select(&[], &i)
                .expect_err("unrecorded")
                .contains("not yet revealed")
        );
        assert!(
            c.select(&f.recorded, &i)
                .expect_err("should fail")
                .contains("public numbers")
        );
        i.numbers = vec!["03 07 12 19 25 31 09".into()];
        let (seed, selection) = c.select(&f.recorded, &i).expect("selection");
        let record = c
            .assemble(&f.recorded, &i, seed, &selection, &f.openings(&selection))
            .expect("record");
        assert_eq!(record.winners.len(), 2);
        let report = verify_record(&record, &f.demo.ledger, Anchor::Published(f.rules.hash()));
        assert!(report.all_passed(), "{:?}", report.failed());
        // Openings that do not open the leaves' commitments are refused.
        let mut wrong = f.openings(&selection);
        wrong[0].1.phone_masked = "139****0000".into();
        assert!(
            c.assemble(&f.recorded, &i, seed, &selection, &wrong)
                .is_err()
        );
        // The same inputs after a reload give the same record.
        let saved: LiveInputs =
            serde_json::from_str(&serde_json::to_string(&i).expect("json")).expect("parse");
        let (seed2, sel2) = c.select(&f.recorded, &saved).expect("again");
        assert_eq!((seed2, &sel2), (seed, &selection));
    }

    #[test]
    fn typed_numbers_are_shown_as_read() {
        let f = fixture();
        let spec = &f.rules.draws[0].entropy;
        // Typed as anyone would, with spaces: seven numbers, shown back as read.
        let mut i = LiveInputs {
            numbers: vec!["03 11 17 22 28 33 09".into()],
            ..LiveInputs::default()
        };
        assert_eq!(
            numbers_as_read(spec, &i),
            vec![Ok((7, "03 11 17 22 28 33 | 09".to_owned()))]
        );
        // What a page that swallowed the spaces would have sent: refused, never one number.
        i.numbers = vec!["03111722283309".into()];
        let read = numbers_as_read(spec, &i);
        let (zh, en) = read[0].clone().expect_err("one number");
        assert!(zh.contains("应有 7 个号码，读到 1 个"), "{zh}");
        assert!(en.contains("7 numbers expected, 1 read"), "{en}");
        assert!(entropy_form(spec, &i).is_err());
    }

    #[test]
    fn the_worker_job_gives_the_same_selection_and_checks_drand() {
        use crate::verify_job::{ConductJob, WorkerMessage};
        let f = fixture();
        let inputs = LiveInputs {
            reveals: f.secrets.iter().map(|s| hex::encode(s.0)).collect(),
            numbers: vec!["1 2 3 4 5 6 7".into()],
            drawn: true,
            ..LiveInputs::default()
        };
        let c = f.ceremony();
        let job = ConductJob {
            rules: f.rules.clone(),
            draw_index: 0,
            freeze: f.freeze.clone(),
            reveals: f.recorded.clone(),
            inputs: inputs.clone(),
        };
        let text = serde_json::to_string(&job).expect("json");
        let job: ConductJob = serde_json::from_str(&text).expect("parse");
        let (seed, s) = c.select(&f.recorded, &inputs).expect("selection");
        assert_eq!(
            job.run(&f.demo.ledger.to_jsonl()),
            WorkerMessage::Selection {
                seed,
                winners: s.winners,
                alternates: s.alternates,
                draws_used: s.draws_used,
            }
        );
        assert!(matches!(job.run("{"), WorkerMessage::Error { .. }));
        // A drand round: the page checks the signature's form; the draw checks the BLS signature.
        let spec = EntropySpec {
            drand: Some(fairdraw_core::rules::DrandSpec {
                chain_hash: Hash32::from_hex(fairdraw_core::rules::QUICKNET_CHAIN_HASH)
                    .expect("hex"),
                round: 123,
            }),
            public_numbers: None,
        };
        let good = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
        let mut i = LiveInputs {
            drand_signature: good.into(),
            ..LiveInputs::default()
        };
        assert!(entropy(&spec, &i).is_ok());
        i.drand_signature = good.replace("b75c", "b75d");
        assert!(entropy_form(&spec, &i).is_ok(), "well formed");
        assert!(entropy(&spec, &i).is_err(), "but not signed by drand");
        i.drand_signature = "abcd".into();
        assert!(entropy_form(&spec, &i).is_err());
    }

    #[test]
    fn a_wrong_secret_is_named_at_once() {
        let f = fixture();
        let c = f.ceremony();
        let i = LiveInputs {
            reveals: vec![hex::encode([1u8; 32]), "xyz".into()],
            ..LiveInputs::default()
        };
        let r = c.secrets(&i);
        assert!(
            r[0].as_ref()
                .expect_err("should fail")
                .en
                .contains("organizer")
        );
        assert!(
            r[1].as_ref()
                .expect_err("should fail")
                .en
                .contains("64 hexadecimal")
        );
        assert!(r[1].as_ref().expect_err("fails").zh.contains("64 位"));
        assert!(parse_secret("{}").is_err());
        // In Chinese, with the names the identity gives.
        let mut f = f;
        f.rules.identity = Some(fairdraw_core::demo::demo_identity());
        let r = f.ceremony().secrets(&LiveInputs::default());
        assert_eq!(
            r[0].as_ref().expect_err("empty").zh,
            "等待主办方（通川区商务局）的秘密"
        );
    }

    #[test]
    fn a_secret_file_goes_to_its_own_slot() {
        let f = fixture();
        let c = f.ceremony();
        let mut i = LiveInputs::default();
        // The notary's file dropped on the organizer's slot: moved to the notary's.
        let notary = secret_file(&f.rules, 0, "notary", &f.secrets[1]);
        assert_eq!(
            c.place_file(&mut i, 0, &notary),
            Ok(Placed {
                slot: 1,
                moved: true
            })
        );
        assert_eq!(i.reveals, ["".to_owned(), hex::encode(f.secrets[1].0)]);
        let organizer = secret_file(&f.rules, 0, "organizer", &f.secrets[0]);
        assert_eq!(
            c.place_file(&mut i, 0, &organizer).map(|p| p.moved),
            Ok(false)
        );
        assert!(c.secrets(&i).iter().all(Result::is_ok));
        // Another draw's file, or not a file at all: named, nothing changes.
        let other = secret_file(&f.rules, 1, "notary", &f.secrets[1]);
        let e = c.place_file(&mut i, 1, &other).expect_err("other draw");
        assert!(e.zh.contains("第 2 期") && e.en.contains("draw 2"), "{e:?}");
        assert!(c.place_file(&mut i, 1, "not json").is_err());
        assert!(c.secrets(&i).iter().all(Result::is_ok));
    }

    #[test]
    fn rolling_tickets_come_from_the_ledger() {
        let f = fixture();
        for t in 0..50 {
            let p = rolling_ticket(&f.demo.ledger, t);
            assert!(
                f.demo
                    .ledger
                    .leaves
                    .iter()
                    .any(|l| p == format!("#{} · {}", l.index, &l.ticket_id.to_hex()[..8]))
            );
        }
        assert_eq!(rolling_ticket(&Ledger::default(), 3), "····");
    }
}
