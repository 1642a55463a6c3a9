//! Test vectors as JSON files any language can read (SPEC.md §12), and their runner.
//!
//! A vector is `{"kind", "description", "source", "input", "expected"}` or, for a negative
//! case, `{…, "expected_error": "CODE"}`. [`evaluate`] computes a kind's output from its input;
//! [`run_vector`] compares that with the file. The same runner serves the native tests, the
//! browser tests (wasm) and `fairdraw-verify vectors`, so all three agree by construction of
//! the check, not by trust.

use crate::civil::CivilDate;
use crate::draw::{Entrant, select_chacha20, select_rfc3797};
use crate::entropy::{PublicEntropy, verify_quicknet};
use crate::freeze::Freeze;
use crate::hash::Hash32;
use crate::ledger::PhoneOpening;
use crate::ledger::{Leaf, Ledger};
use crate::merkle;
use crate::message::Coded;
use crate::money::Fen;
use crate::receipt::{FapiaoQr, ReceiptNumber};
use crate::record::DrawRecord;
use crate::rfc3797;
use crate::rules::PublicNumbersSpec;
use crate::rules::{ALGORITHM_CHACHA20, ALGORITHM_RFC3797, CampaignRules};
use crate::sampler::DrawStream;
use crate::seed::{Reveal, SeedInputs, SeedSecret, commitment, derive_seed, seed_input_bytes};
use crate::tree_head::{SignatureError, TicketPromise, TreeHead};
use serde::Deserialize;
use serde_json::{Value, json};
use std::num::NonZeroU64;

/// A failed evaluation: a stable code (compared with `expected_error`) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorError {
    /// Stable code.
    pub code: String,
    /// What happened.
    pub message: String,
}

fn fail(code: &str, message: impl Into<String>) -> VectorError {
    VectorError {
        code: code.to_owned(),
        message: message.into(),
    }
}

fn input<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, VectorError> {
    T::deserialize(v).map_err(|e| fail("BAD_VECTOR_INPUT", e.to_string()))
}

fn hashes(v: &[String]) -> Result<Vec<Hash32>, VectorError> {
    v.iter()
        .map(|h| Hash32::from_hex(h).map_err(|e| fail("BAD_HEX", e.to_string())))
        .collect()
}

fn leaf_hashes(leaves_hex: &[String]) -> Result<Vec<Hash32>, VectorError> {
    leaves_hex
        .iter()
        .map(|h| {
            hex::decode(h)
                .map(|b| merkle::leaf_hash(&b))
                .map_err(|e| fail("BAD_HEX", e.to_string()))
        })
        .collect()
}

fn hex_list(v: &[Hash32]) -> Value {
    Value::Array(v.iter().map(|h| Value::String(h.to_hex())).collect())
}

fn parse_u64(s: &str) -> Result<u64, VectorError> {
    s.parse()
        .map_err(|_| fail("BAD_VECTOR_INPUT", format!("{s:?} is not a u64")))
}

#[derive(Deserialize)]
struct LeavesIn {
    leaves_hex: Vec<String>,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    first: Option<u64>,
}

#[derive(Deserialize)]
struct InclusionIn {
    leaf_hash: String,
    index: u64,
    size: u64,
    proof: Vec<String>,
    root: String,
}

#[derive(Deserialize)]
struct ConsistencyIn {
    first: u64,
    second: u64,
    first_root: String,
    second_root: String,
    proof: Vec<String>,
}

#[derive(Deserialize)]
struct SamplerIn {
    seed: Hash32,
    /// Decimal string: JSON numbers lose precision above 2^53 in many languages.
    n: String,
    count: u32,
}

#[derive(Deserialize)]
struct DrawIn {
    algorithm: String,
    #[serde(default)]
    seed: Option<Hash32>,
    #[serde(default)]
    key: Option<String>,
    entrants: Vec<EntrantIn>,
    prizes: u32,
    alternates: u32,
}

#[derive(Deserialize)]
struct EntrantIn {
    participant: Hash32,
    weight: u32,
}

#[derive(Deserialize)]
struct SeedIn {
    freeze_hash: Hash32,
    reveals: Vec<Reveal>,
    entropy: PublicEntropy,
}

#[derive(Deserialize)]
struct RecordIn {
    record: Value,
    ledger: Vec<Value>,
    /// The published rules hash; `null` means none was given.
    anchor: Option<Hash32>,
}

/// Computes the output of a vector `kind` from its `input`.
pub fn evaluate(kind: &str, input_value: &Value) -> Result<Value, VectorError> {
    let text = || {
        input_value
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "money_parse" => Fen::parse(&text())
            .map(|f| json!({ "fen": f.0, "display": f.to_string() }))
            .map_err(|e| fail(e.code(), e.message_en())),
        "fapiao_qr" => FapiaoQr::parse(&text())
            .map(|q| {
                json!({
                    "number": q.number.to_string(),
                    "amount_fen": q.amount.0,
                    "amount_includes_tax": q.amount_includes_tax,
                    "date": q.date.to_string(),
                })
            })
            .map_err(|e| fail(e.code(), e.message_en())),
        "date" => CivilDate::parse(&text())
            .map(|d| json!({ "date": d.to_string(), "china_start_ms": d.china_start_ms() }))
            .map_err(|e| fail("DATE_MALFORMED", e.to_string())),
        "merkle_root" => {
            let i: LeavesIn = input(input_value)?;
            let hashes = leaf_hashes(&i.leaves_hex)?;
            Ok(json!({ "size": hashes.len(), "root": merkle::root_of(&hashes).to_hex() }))
        }
        "inclusion_proof" => {
            let i: LeavesIn = input(input_value)?;
            let hashes = leaf_hashes(&i.leaves_hex)?;
            let proof = merkle::inclusion_proof(&hashes, i.index.unwrap_or(0))
                .map_err(|e| fail(e.code(), e.to_string()))?;
            Ok(json!({ "proof": hex_list(&proof) }))
        }
        "consistency_proof" => {
            let i: LeavesIn = input(input_value)?;
            let hashes = leaf_hashes(&i.leaves_hex)?;
            let proof = merkle::consistency_proof(&hashes, i.first.unwrap_or(0))
                .map_err(|e| fail(e.code(), e.to_string()))?;
            Ok(json!({ "proof": hex_list(&proof) }))
        }
        "verify_inclusion" => {
            let i: InclusionIn = input(input_value)?;
            let leaf =
                Hash32::from_hex(&i.leaf_hash).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            let root = Hash32::from_hex(&i.root).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            merkle::verify_inclusion(&leaf, i.index, i.size, &hashes(&i.proof)?, &root)
                .map(|()| json!({ "ok": true }))
                .map_err(|e| fail(e.code(), e.to_string()))
        }
        "verify_consistency" => {
            let i: ConsistencyIn = input(input_value)?;
            let a = Hash32::from_hex(&i.first_root).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            let b = Hash32::from_hex(&i.second_root).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            merkle::verify_consistency(i.first, i.second, &a, &b, &hashes(&i.proof)?)
                .map(|()| json!({ "ok": true }))
                .map_err(|e| fail(e.code(), e.to_string()))
        }
        "chacha20" => {
            let i: SamplerIn = input(input_value)?;
            let mut s = DrawStream::new(&i.seed);
            let words: Vec<String> = (0..i.count)
                .map(|_| format!("{:08x}", s.next_u32()))
                .collect();
            let mut s = DrawStream::new(&i.seed);
            let u64s: Vec<String> = (0..i.count / 2)
                .map(|_| format!("{:016x}", s.next_u64()))
                .collect();
            Ok(json!({ "u32_words": words, "u64_words": u64s }))
        }
        "sampler" => {
            let i: SamplerIn = input(input_value)?;
            let n = NonZeroU64::new(parse_u64(&i.n)?)
                .ok_or_else(|| fail("ZERO_RANGE", "n must be at least 1"))?;
            let mut s = DrawStream::new(&i.seed);
            let values: Vec<String> = (0..i.count)
                .map(|_| s.uniform_below(n).to_string())
                .collect();
            Ok(json!({ "values": values, "words_used": s.words_used() }))
        }
        "drand_quicknet" => {
            let round = input_value
                .get("round")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let sig = input_value
                .get("signature")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let sig = hex::decode(sig).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            verify_quicknet(round, &sig)
                .map(|r| json!({ "randomness": r.to_hex() }))
                .map_err(|e| fail(e.code(), e.to_string()))
        }
        "rfc3797" => {
            #[derive(Deserialize)]
            struct In {
                sources: Vec<String>,
                pool: u64,
                pick: u64,
            }
            let i: In = input(input_value)?;
            let key = rfc3797::key_string(&i.sources)
                .map_err(|e| fail("PUBLIC_NUMBERS_MALFORMED", e.to_string()))?;
            let selected = rfc3797::select(&key, i.pool, i.pick).map_err(|e| {
                let code = match e {
                    rfc3797::SelectError::EmptyPool => "RFC3797_EMPTY_POOL",
                    rfc3797::SelectError::TooManyPicks => "RFC3797_TOO_MANY_PICKS",
                };
                fail(code, e.to_string())
            })?;
            let digests: Vec<String> = (0..selected.len())
                .map(|d| rfc3797::draw_digest_hex(&key, d as u16))
                .collect();
            Ok(json!({ "key": key, "digests": digests, "selected": selected }))
        }
        "commitment" => {
            #[derive(Deserialize)]
            struct In {
                rules_hash: Hash32,
                draw_index: u32,
                party: String,
                secret: SeedSecret,
            }
            let i: In = input(input_value)?;
            let c = commitment(&i.rules_hash, i.draw_index, &i.party, &i.secret);
            Ok(json!({ "commitment": c.to_hex() }))
        }
        "seed" => {
            let i: SeedIn = input(input_value)?;
            let inputs = SeedInputs {
                freeze_hash: &i.freeze_hash,
                reveals: &i.reveals,
                entropy: &i.entropy,
            };
            Ok(json!({
                "input_hex": hex::encode(seed_input_bytes(&inputs)),
                "seed": derive_seed(&inputs).to_hex(),
            }))
        }
        "draw" => {
            let i: DrawIn = input(input_value)?;
            let entrants: Vec<Entrant> = i
                .entrants
                .iter()
                .map(|e| Entrant {
                    participant: e.participant,
                    weight: e.weight,
                })
                .collect();
            let sel = match i.algorithm.as_str() {
                ALGORITHM_CHACHA20 => {
                    let seed = i
                        .seed
                        .ok_or_else(|| fail("BAD_VECTOR_INPUT", "seed missing"))?;
                    select_chacha20(&seed, &entrants, i.prizes, i.alternates)
                }
                ALGORITHM_RFC3797 => {
                    let key = i
                        .key
                        .ok_or_else(|| fail("BAD_VECTOR_INPUT", "key missing"))?;
                    select_rfc3797(&key, &entrants, i.prizes, i.alternates)
                }
                other => return Err(fail("UNKNOWN_ALGORITHM", other)),
            }
            .map_err(|e| fail("DRAW_FAILED", e.to_string()))?;
            Ok(json!({
                "winners": sel.winners,
                "alternates": sel.alternates,
                "draws_used": sel.draws_used,
            }))
        }
        "rules_hash" => {
            let rules: CampaignRules = input(input_value.get("rules").unwrap_or(&Value::Null))?;
            Ok(json!({ "hash": rules.hash().to_hex(), "valid": rules.validate().is_ok() }))
        }
        "leaf" => {
            let leaf: Leaf = input(input_value.get("leaf").unwrap_or(&Value::Null))?;
            Ok(json!({
                "bytes_hex": hex::encode(leaf.canonical_bytes()),
                "leaf_hash": leaf.leaf_hash().to_hex(),
            }))
        }
        "journal_event" => {
            let e: crate::journal::Event = input(input_value.get("event").unwrap_or(&Value::Null))?;
            Ok(json!({
                "bytes_hex": hex::encode(e.to_bytes()),
                "leaf_hash": e.leaf_hash().to_hex(),
            }))
        }
        "record" => {
            let i: RecordIn = input(input_value)?;
            let record: DrawRecord = DrawRecord::deserialize(&i.record)
                .map_err(|e| fail("RECORD_MALFORMED", e.to_string()))?;
            let mut ledger = Ledger::default();
            for (n, v) in i.ledger.iter().enumerate() {
                let leaf = crate::ledger::parse_leaf_line(&v.to_string(), n as u64)
                    .map_err(|e| fail("LEDGER_MALFORMED", e.to_string()))?;
                ledger.push(leaf);
            }
            let anchor = i.anchor.map_or(
                crate::verify::Anchor::Missing,
                crate::verify::Anchor::Published,
            );
            let report = crate::verify::verify_record(&record, &ledger, anchor);
            Ok(json!({ "failed_checks": report.failed(), "all_passed": report.all_passed() }))
        }
        "freeze" => {
            let f: Freeze = input(input_value.get("freeze").unwrap_or(&Value::Null))?;
            Ok(json!({
                "bytes_hex": hex::encode(f.signed_bytes()),
                "hash": f.hash().to_hex(),
            }))
        }
        "tree_head" => {
            let h: TreeHead = input(input_value.get("head").unwrap_or(&Value::Null))?;
            Ok(json!({ "bytes_hex": hex::encode(h.signed_bytes()) }))
        }
        "promise" => {
            #[derive(Deserialize)]
            struct In {
                rules_hash: Hash32,
                campaign_id: String,
                draw_index: u32,
                leaf_index: u64,
                leaf_hash: Hash32,
                timestamp_ms: u64,
            }
            let i: In = input(input_value)?;
            let bytes = TicketPromise::signed_bytes(
                &i.rules_hash,
                &i.campaign_id,
                i.draw_index,
                i.leaf_index,
                &i.leaf_hash,
                i.timestamp_ms,
            );
            Ok(json!({ "bytes_hex": hex::encode(bytes) }))
        }
        "signature" => {
            #[derive(Deserialize)]
            struct In {
                public_key: String,
                message_hex: String,
                signature: String,
            }
            let i: In = input(input_value)?;
            let key: [u8; 32] = crate::hash::fixed_hex(&i.public_key)
                .map_err(|e| fail("BAD_HEX", e.to_string()))?;
            let sig: [u8; 64] =
                crate::hash::fixed_hex(&i.signature).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            let msg = hex::decode(&i.message_hex).map_err(|e| fail("BAD_HEX", e.to_string()))?;
            crate::tree_head::verify_bytes(&key, &msg, &sig)
                .map(|()| json!({ "ok": true }))
                .map_err(|e| match e {
                    SignatureError::BadKey => fail("SIGNATURE_BAD_KEY", e.to_string()),
                    SignatureError::Invalid => fail("SIGNATURE_INVALID", e.to_string()),
                })
        }
        "phone_commitment" => {
            let o: PhoneOpening = input(input_value)?;
            Ok(json!({ "commitment": o.commitment().to_hex() }))
        }
        "draw_tree" => {
            #[derive(Deserialize)]
            struct LeafIn {
                /// Decimal string, for sums near 2^64.
                weight: String,
                leaf_hash: Hash32,
            }
            #[derive(Deserialize)]
            struct In {
                leaves: Vec<LeafIn>,
            }
            let i: In = input(input_value)?;
            let leaves = i
                .leaves
                .iter()
                .map(|l| Ok((parse_u64(&l.weight)?, l.leaf_hash)))
                .collect::<Result<Vec<_>, VectorError>>()?;
            crate::drawtree::root_of(&leaves)
                .map(|n| json!({ "total_weight": n.sum.to_string(), "root": n.hash.to_hex() }))
                .map_err(|e| fail("SUM_OVERFLOW", e.to_string()))
        }
        "draw_path" => {
            #[derive(Deserialize)]
            struct NodeIn {
                sum: String,
                hash: Hash32,
            }
            #[derive(Deserialize)]
            struct In {
                index: u64,
                size: u64,
                leaf: NodeIn,
                path: Vec<NodeIn>,
                root: NodeIn,
            }
            let i: In = input(input_value)?;
            let node = |n: &NodeIn| -> Result<crate::drawtree::SumNode, VectorError> {
                Ok(crate::drawtree::SumNode {
                    sum: parse_u64(&n.sum)?,
                    hash: n.hash,
                })
            };
            let path = i.path.iter().map(node).collect::<Result<Vec<_>, _>>()?;
            crate::drawtree::verify_path(i.index, i.size, node(&i.leaf)?, &path, &node(&i.root)?)
                .map(|offset| json!({ "offset": offset.to_string() }))
                .map_err(|e| {
                    let code = match e {
                        crate::drawtree::PathError::IndexOutOfRange => "INDEX_OUT_OF_RANGE",
                        crate::drawtree::PathError::WrongLength => "WRONG_PROOF_LENGTH",
                        crate::drawtree::PathError::Overflow => "SUM_OVERFLOW",
                        crate::drawtree::PathError::RootMismatch => "ROOT_MISMATCH",
                    };
                    fail(code, e.to_string())
                })
        }
        "bundle" => {
            let bundle: crate::bundle::DrawBundle =
                input(input_value.get("bundle").unwrap_or(&Value::Null))?;
            let anchor = match input_value.get("anchor").and_then(Value::as_str) {
                Some(a) => crate::verify::Anchor::Published(
                    Hash32::from_hex(a).map_err(|e| fail("BAD_HEX", e.to_string()))?,
                ),
                None => crate::verify::Anchor::Missing,
            };
            let report = crate::bundle::verify_bundle(&bundle, anchor);
            Ok(json!({ "failed_checks": report.failed(), "all_passed": report.all_passed() }))
        }
        "public_numbers" => {
            #[derive(Deserialize)]
            struct In {
                spec: PublicNumbersSpec,
                values: Vec<String>,
            }
            let i: In = input(input_value)?;
            crate::numbers::key_string(&i.spec, &i.values)
                .map(|key| json!({ "key": key }))
                .map_err(|e| fail(e.code(), e.message_en()))
        }
        "dedupe_key" => {
            #[derive(Deserialize)]
            struct In {
                text: String,
                merchant_id: String,
            }
            let i: In = input(input_value)?;
            ReceiptNumber::parse(&i.text)
                .map(|r| json!({ "key": r.dedupe_key(&i.merchant_id) }))
                .map_err(|e| fail(e.code(), e.message_en()))
        }
        "checkpoint" => crate::checkpoint::Checkpoint::parse(text().as_bytes())
            .map(|c| {
                json!({ "origin": c.origin, "size": c.size.to_string(), "root": c.root.to_hex(),
                        "extensions": c.extensions })
            })
            .map_err(|e| fail("CHECKPOINT_MALFORMED", e.to_string())),
        "note" => {
            #[derive(Deserialize)]
            struct In {
                note: String,
                vkeys: Vec<String>,
            }
            let i: In = input(input_value)?;
            note_vector(&i.note, &i.vkeys)
        }
        "witness" => {
            #[derive(Deserialize)]
            struct Step {
                time: u64,
                body: String,
            }
            #[derive(Deserialize)]
            struct In {
                witness_name: String,
                witness_seed: String,
                logs: Vec<String>,
                steps: Vec<Step>,
            }
            let i: In = input(input_value)?;
            let seed: [u8; 32] = crate::hash::fixed_hex(&i.witness_seed)
                .map_err(|e| fail("BAD_HEX", e.to_string()))?;
            let mut logs: std::collections::HashMap<String, Vec<String>> = Default::default();
            for v in &i.logs {
                let k = crate::note::parse_vkey(v).map_err(|e| fail("VKEY_MALFORMED", e))?;
                logs.entry(k.name).or_default().push(v.clone());
            }
            let mut latest: std::collections::HashMap<String, (u64, Hash32)> = Default::default();
            let mut replies = Vec::new();
            for step in &i.steps {
                let judged = crate::checkpoint::read_request(step.body.as_bytes(), &|o| {
                    logs.get(o).cloned()
                })
                .and_then(|r| {
                    crate::checkpoint::check_request(&r, latest.get(&r.checkpoint.origin).copied())
                        .map(|()| r)
                });
                replies.push(match judged {
                    Ok(r) => {
                        let c = crate::checkpoint::Cosigner::new(
                            &i.witness_name,
                            ed25519_dalek::SigningKey::from_bytes(&seed),
                            step.time.max(1),
                        );
                        latest.insert(
                            r.checkpoint.origin.clone(),
                            (r.checkpoint.size, r.checkpoint.root),
                        );
                        json!({ "status": 200, "body": c.line(&r.text) })
                    }
                    Err(e) if e.status == 409 => {
                        json!({ "status": 409, "content_type": e.content_type, "body": e.body })
                    }
                    Err(e) => json!({ "status": e.status }),
                });
            }
            Ok(json!({ "replies": replies }))
        }
        other => Err(fail(
            "UNKNOWN_KIND",
            format!("unknown vector kind {other:?}"),
        )),
    }
}

/// A signed note checked against vkeys (logs' type 0x01 and witnesses' type 0x04).
fn note_vector(note: &str, vkeys: &[String]) -> Result<Value, VectorError> {
    use crate::checkpoint::{KeyVerifier, NoteError, cosignature_time, parse_note, verifiers};
    let n = parse_note(note.as_bytes()).map_err(|e| fail("NOTE_MALFORMED", e.to_string()))?;
    let mut keys = Vec::new();
    let mut cosigners = std::collections::HashSet::new();
    for v in vkeys {
        let k = KeyVerifier::parse(v).map_err(|e| fail("VKEY_MALFORMED", e.to_string()))?;
        if k.is_cosigner() {
            cosigners.insert(v.split('+').next().unwrap_or_default().to_owned());
        }
        keys.push(k);
    }
    match n.verify(&verifiers(keys)) {
        Ok((ok, unknown)) => Ok(json!({
            "text": String::from_utf8_lossy(n.text()),
            "verified": ok.iter().map(|s| json!({
                "name": s.name(),
                "key_id": format!("{:08x}", s.id()),
                "time": if cosigners.contains(s.name()) { cosignature_time(s.signature()).map(|t| t.to_string()) } else { None },
            })).collect::<Vec<_>>(),
            "unknown": unknown.iter().map(|s| s.name().to_owned()).collect::<Vec<_>>(),
        })),
        Err(NoteError::InvalidSignature { name, id }) => Err(fail(
            "NOTE_BAD_SIGNATURE",
            format!("the signature of {name}+{id:08x} does not verify"),
        )),
        Err(e) => Err(fail("NOTE_UNVERIFIED", e.to_string())),
    }
}

/// Runs one vector file's text: `Ok(())` when the output (or error code) is what it expects.
pub fn run_vector(text: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let kind = v.get("kind").and_then(Value::as_str).ok_or("no \"kind\"")?;
    let input_value = v.get("input").ok_or("no \"input\"")?;
    let got = evaluate(kind, input_value);
    match (
        v.get("expected"),
        v.get("expected_error").and_then(Value::as_str),
        got,
    ) {
        (Some(want), None, Ok(got)) if *want == got => Ok(()),
        (Some(want), None, Ok(got)) => Err(format!("expected {want}, got {got}")),
        (Some(_), None, Err(e)) => Err(format!("expected success, got {}: {}", e.code, e.message)),
        (None, Some(code), Err(e)) if e.code == code => Ok(()),
        (None, Some(code), Err(e)) => Err(format!(
            "expected error {code}, got {}: {}",
            e.code, e.message
        )),
        (None, Some(code), Ok(got)) => Err(format!("expected error {code}, got {got}")),
        _ => Err("a vector has exactly one of \"expected\" and \"expected_error\"".into()),
    }
}

/// Runs many vectors; returns `(name, result)` for each, never stopping at the first failure.
pub fn run_all<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, Result<(), String>)> {
    files
        .into_iter()
        .map(|(name, text)| (name.to_owned(), run_vector(text)))
        .collect()
}
