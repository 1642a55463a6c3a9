//! The live draw, as plain Rust (tested natively): what the organizer types or loads on the
//! projector screen, kept in localStorage so a reload loses nothing, and the draw computed from
//! it by the core. Also the seed-secret file the ceremony saves.

use fairdraw_core::entropy::{DrandBeacon, PublicEntropy, PublicNumbers};
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::Ledger;
use fairdraw_core::record::{DrawInputs, DrawRecord, conduct_draw};
use fairdraw_core::rules::{CampaignRules, EntropySpec};
pub use fairdraw_core::seed::secret_file;
use fairdraw_core::seed::{Reveal, SeedCommitment, SeedSecret, commitment};
use fairdraw_core::tree_head::SignedTreeHead;
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
pub fn parse_secret(text: &str) -> Result<SeedSecret, String> {
    let t = text.trim();
    let hex_text = if t.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(t).map_err(|e| format!("file: {e}"))?;
        v["secret"]
            .as_str()
            .ok_or("file: no \"secret\"")?
            .to_owned()
    } else {
        t.split_whitespace().collect()
    };
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text.trim(), &mut out)
        .map_err(|_| "a secret is 64 hexadecimal digits".to_owned())?;
    Ok(SeedSecret(out))
}

/// Checks a revealed secret against the party's published commitment.
pub fn check_reveal(
    rules_hash: &Hash32,
    draw: u32,
    c: &SeedCommitment,
    text: &str,
) -> Result<Reveal, String> {
    let secret = parse_secret(text)?;
    if commitment(rules_hash, draw, &c.party, &secret) != c.commitment {
        return Err(format!("does not match {}'s commitment", c.party));
    }
    Ok(Reveal {
        party: c.party.clone(),
        secret,
    })
}

/// The public entropy the rules ask for, from what was entered, with the drand signature
/// checked (BLS; in the worker).
pub fn entropy(spec: &EntropySpec, i: &LiveInputs) -> Result<PublicEntropy, String> {
    entropy_with(spec, i, |round, sig| {
        fairdraw_core::entropy::verify_quicknet(round, sig)
            .map_err(|e| format!("drand round {round}: {e}"))
    })
}

/// As [`entropy`], but only the form of a drand signature is checked (48 bytes): what the page
/// shows while typing, without linking the BLS pairing code into the main bundle. The worker
/// checks the signature itself before the draw.
pub fn entropy_form(spec: &EntropySpec, i: &LiveInputs) -> Result<PublicEntropy, String> {
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
) -> Result<PublicEntropy, String> {
    let drand = match &spec.drand {
        None => None,
        Some(d) => {
            let sig: String = i.drand_signature.split_whitespace().collect();
            let signature =
                hex::decode(sig).map_err(|_| "drand: the signature is hex".to_owned())?;
            let randomness = check(d.round, &signature)?;
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
                return Err("public numbers: every source needs its numbers".into());
            }
            Some(PublicNumbers::from_values(values).map_err(|e| format!("public numbers: {e}"))?)
        }
    };
    Ok(PublicEntropy {
        drand,
        public_numbers,
    })
}

/// Everything fixed before the ceremony: the rules, the frozen ledger and its signed head, and
/// the commitments.
pub struct Ceremony<'a> {
    /// The campaign rules.
    pub rules: &'a CampaignRules,
    /// The draw.
    pub draw_index: u32,
    /// The frozen ledger (checked against the head by the core).
    pub ledger: &'a Ledger,
    /// The signed tree head.
    pub tree_head: &'a SignedTreeHead,
    /// The published commitments.
    pub commitments: &'a [SeedCommitment],
}

impl Ceremony<'_> {
    /// Each party's reveal, checked, in the rules' order: `Ok` only when all are.
    pub fn reveals(&self, i: &LiveInputs) -> Vec<Result<Reveal, String>> {
        let rules_hash = self.rules.hash();
        let parties = self
            .rules
            .draw(self.draw_index)
            .map(|d| d.seed_parties.clone())
            .unwrap_or_default();
        parties
            .iter()
            .enumerate()
            .map(|(k, party)| {
                let c = self
                    .commitments
                    .iter()
                    .find(|c| &c.party == party)
                    .ok_or_else(|| format!("{party} never committed"))?;
                let text = i.reveals.get(k).map(String::as_str).unwrap_or_default();
                if text.trim().is_empty() {
                    return Err(format!("{party}: waiting for the secret"));
                }
                check_reveal(&rules_hash, self.draw_index, c, text)
            })
            .collect()
    }

    /// The draw, computed by the core.
    pub fn compute(&self, i: &LiveInputs) -> Result<DrawRecord, String> {
        let reveals = self.reveals(i).into_iter().collect::<Result<Vec<_>, _>>()?;
        let spec = &self
            .rules
            .draw(self.draw_index)
            .ok_or("no such draw")?
            .entropy;
        let entropy = entropy(spec, i)?;
        conduct_draw(&DrawInputs {
            rules: self.rules,
            draw_index: self.draw_index,
            ledger: self.ledger,
            tree_head: self.tree_head,
            commitments: self.commitments,
            reveals: &reveals,
            entropy: &entropy,
        })
        .map_err(|e| e.to_string())
    }
}

/// A masked phone for the rolling animation, picked by a cheap counter-based mix (the
/// animation is decoration; the winner comes from the record).
pub fn rolling_phone(ledger: &Ledger, tick: u64) -> &str {
    let n = ledger.leaves.len() as u64;
    if n == 0 {
        return "***********";
    }
    let mut x = tick.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    &ledger.leaves[(x % n) as usize].phone_masked
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use fairdraw_core::civil::CivilDate;
    use fairdraw_core::tree_head::TreeHead;
    use fairdraw_core::verify::verify_record;

    struct Fixture {
        rules: CampaignRules,
        ledger: Ledger,
        sth: SignedTreeHead,
        commitments: Vec<SeedCommitment>,
        secrets: Vec<SeedSecret>,
    }

    impl Fixture {
        fn ceremony(&self) -> Ceremony<'_> {
            Ceremony {
                rules: &self.rules,
                draw_index: 0,
                ledger: &self.ledger,
                tree_head: &self.sth,
                commitments: &self.commitments,
            }
        }
    }

    fn fixture() -> Fixture {
        let key = SigningKey::from_bytes(&[4; 32]);
        let start = CivilDate::parse("2026-12-10").expect("date");
        let rules = fairdraw_core::demo::demo_rules(key.verifying_key().to_bytes(), start);
        let ledger = fairdraw_core::demo::demo_ledger(&rules, 0, 120, &Hash32([1; 32]), &[2; 32]);
        let sth = TreeHead {
            campaign_id: rules.id.clone(),
            draw_index: 0,
            tree_size: ledger.size(),
            root: ledger.root(),
            timestamp_ms: rules.draws[0].closes_at_ms() + 1,
        }
        .sign(&key);
        let secrets = vec![SeedSecret([8; 32]), SeedSecret([9; 32])];
        let commitments = rules.draws[0]
            .seed_parties
            .iter()
            .zip(&secrets)
            .map(|(p, s)| SeedCommitment {
                party: p.clone(),
                commitment: commitment(&rules.hash(), 0, p, s),
                published_at_ms: 1,
            })
            .collect();
        Fixture {
            rules,
            ledger,
            sth,
            commitments,
            secrets,
        }
    }

    #[test]
    fn the_screen_computes_a_record_that_verifies() {
        let f = fixture();
        let c = f.ceremony();
        let mut i = LiveInputs::default();
        assert!(c.compute(&i).is_err(), "nothing revealed yet");
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
        assert!(c.reveals(&i).iter().all(Result::is_ok));
        assert!(
            c.compute(&i)
                .expect_err("should fail")
                .contains("public numbers")
        );
        i.numbers = vec!["03 07 12 19 25 31 09".into()];
        let record = c.compute(&i).expect("record");
        assert_eq!(record.winners.len(), 2);
        assert!(verify_record(&record, &f.ledger).all_passed());
        // The same inputs after a reload give the same record.
        let saved: LiveInputs =
            serde_json::from_str(&serde_json::to_string(&i).expect("json")).expect("parse");
        assert_eq!(c.compute(&saved).expect("again"), record);
    }

    #[test]
    fn the_worker_job_gives_the_same_record_and_checks_drand() {
        use crate::verify_job::{ConductJob, WorkerMessage};
        let f = fixture();
        let inputs = LiveInputs {
            reveals: f.secrets.iter().map(|s| hex::encode(s.0)).collect(),
            numbers: vec!["1 2 3".into()],
            drawn: true,
            ..LiveInputs::default()
        };
        let c = f.ceremony();
        let job = ConductJob {
            rules: f.rules.clone(),
            draw_index: 0,
            tree_head: f.sth.clone(),
            commitments: f.commitments.clone(),
            inputs: inputs.clone(),
        };
        let text = serde_json::to_string(&job).expect("json");
        let job: ConductJob = serde_json::from_str(&text).expect("parse");
        assert_eq!(
            job.run(&f.ledger.to_jsonl()),
            WorkerMessage::Record {
                record: Box::new(c.compute(&inputs).expect("record"))
            }
        );
        assert!(matches!(job.run("{"), WorkerMessage::Error { .. }));
        // A drand round: the page checks the signature's form; the draw checks the BLS signature.
        let spec = EntropySpec {
            drand: Some(fairdraw_core::rules::DrandSpec {
                chain_hash: fairdraw_core::rules::QUICKNET_CHAIN_HASH.into(),
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
        let r = c.reveals(&i);
        assert!(
            r[0].as_ref()
                .expect_err("should fail")
                .contains("organizer")
        );
        assert!(
            r[1].as_ref()
                .expect_err("should fail")
                .contains("64 hexadecimal")
        );
        assert!(parse_secret("{}").is_err());
    }

    #[test]
    fn rolling_phones_come_from_the_ledger() {
        let f = fixture();
        for t in 0..50 {
            let p = rolling_phone(&f.ledger, t);
            assert!(f.ledger.leaves.iter().any(|l| l.phone_masked == p));
        }
        assert_eq!(rolling_phone(&Ledger::default(), 3), "***********");
    }
}
