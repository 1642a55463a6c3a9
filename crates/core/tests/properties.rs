//! Property tests: tampering is always caught by the right check; the sampler is uniform.

use fairdraw_core::demo::demo_draw;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::Ledger;
use fairdraw_core::merkle::{
    CompactTree, consistency_proof, inclusion_proof, leaf_hash, verify_consistency,
    verify_inclusion,
};
use fairdraw_core::record::DrawRecord;
use fairdraw_core::sampler::DrawStream;
use fairdraw_core::verify::{Anchor, verify_record};
use proptest::prelude::*;
use std::num::NonZeroU64;
use std::sync::OnceLock;

fn demo() -> &'static (DrawRecord, Ledger) {
    static DEMO: OnceLock<(DrawRecord, Ledger)> = OnceLock::new();
    DEMO.get_or_init(|| demo_draw(60, &Hash32([0x17; 32])).expect("demo"))
}

fn anchored(record: &DrawRecord, ledger: &Ledger) -> Vec<String> {
    verify_record(record, ledger, Anchor::Published(demo().0.rules_hash))
        .failed()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn rebuild(leaves: Vec<fairdraw_core::ledger::Leaf>) -> Ledger {
    let mut l = Ledger::default();
    for leaf in leaves {
        l.push(leaf);
    }
    l
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any change to any field of any leaf changes the root, so `ledger.root` fails.
    #[test]
    fn any_leaf_change_fails_ledger_root(index in 0usize..60, field in 0u8..8, delta in 1u64..1000) {
        let (record, ledger) = demo();
        let mut leaves = ledger.leaves.clone();
        let leaf = &mut leaves[index];
        match field {
            0 => leaf.amount_fen.0 += delta,
            1 => leaf.weight += 1,
            2 => leaf.entered_at_ms -= delta,
            3 => leaf.participant.0[(delta % 32) as usize] ^= 1,
            4 => leaf.fingerprint.0[(delta % 32) as usize] ^= 1,
            5 => leaf.ticket_id.0[(delta % 16) as usize] ^= 1,
            6 => leaf.phone_commitment.0[(delta % 32) as usize] ^= 1,
            _ => leaf.merchant_id = "M002".into(),
        }
        if leaves[index] == ledger.leaves[index] {
            return Ok(()); // merchant_id may already be M002
        }
        let failed = anchored(record, &rebuild(leaves));
        prop_assert!(failed.contains(&"ledger.root".to_owned()), "{failed:?}");
    }

    /// Flipping any bit of the record's seed, rules hash or a reveal fails the matching check.
    #[test]
    fn any_record_bit_flip_fails(which in 0u8..4, byte in 0usize..32, bit in 0u8..8) {
        let (record, ledger) = demo();
        let mut r = record.clone();
        let expected = match which {
            0 => { r.seed.0[byte] ^= 1 << bit; "seed" }
            1 => { r.rules_hash.0[byte] ^= 1 << bit; "rules.hash" }
            2 => { r.reveals[0].secret.0[byte] ^= 1 << bit; "commitment.0.reveal" }
            _ => { r.freeze.freeze.root.0[byte] ^= 1 << bit; "ledger.root" }
        };
        let failed = anchored(&r, ledger);
        prop_assert!(failed.contains(&expected.to_owned()), "{expected} not in {failed:?}");
    }

    /// Any change to the published rules, even with every hash recomputed so the record agrees
    /// with itself, fails against the anchor.
    #[test]
    fn any_rules_change_fails_the_anchor(field in 0u8..8, delta in 1u64..1000) {
        let (record, ledger) = demo();
        let mut r = record.clone();
        let rules = &mut r.rules;
        match field {
            0 => rules.threshold_fen.0 -= delta,
            1 => rules.name_zh.push('！'),
            2 => rules.server_key = ed25519_dalek::SigningKey::from_bytes(&[delta as u8; 32]).verifying_key().to_bytes(),
            3 => rules.draws[0].alternates += 1,
            4 => rules.draws[0].seed_parties[1] = "notary2".into(),
            5 => rules.draws[0].reveal_deadline_ms += delta,
            6 => rules.merchants[0].name.push('X'),
            _ => rules.caps.per_day = None,
        }
        r.rules_hash = r.rules.hash();
        let failed = anchored(&r, ledger);
        prop_assert!(failed.contains(&"anchor".to_owned()), "{failed:?}");
    }

    /// The v1 forgery: re-choose a seed party's secret, recompute its commitment, the seed and
    /// the winners. The freeze's signature binds the commitments, so it fails.
    #[test]
    fn a_rechosen_secret_fails(secret in any::<[u8; 32]>(), party in 0usize..2) {
        let (record, ledger) = demo();
        let mut r = record.clone();
        r.reveals[party].secret = fairdraw_core::seed::SeedSecret(secret);
        r.freeze.freeze.commitments[party].commitment = fairdraw_core::seed::commitment(
            &r.rules_hash, r.draw_index, &r.reveals[party].party, &r.reveals[party].secret);
        let freeze_hash = r.freeze.freeze.hash();
        r.seed = fairdraw_core::seed::derive_seed(&fairdraw_core::seed::SeedInputs {
            freeze_hash: &freeze_hash, reveals: &r.reveals, entropy: &r.public_entropy });
        let failed = anchored(&r, ledger);
        prop_assert!(failed.contains(&"freeze.signature".to_owned()), "{failed:?}");
        prop_assert!(!failed.contains(&"seed".to_owned()), "the forger recomputed the seed");
    }

    /// Over random draws, light verification of the bundle passes exactly when full verification
    /// of the record passes, also when one field of the record is changed.
    #[test]
    fn light_verification_passes_exactly_when_full_does(
        entries in 1u64..120, seed in any::<[u8; 32]>(), mutation in 0u8..6, byte in 0usize..32
    ) {
        let (record, ledger) = demo_draw(entries, &Hash32(seed)).expect("demo");
        let anchor = Anchor::Published(record.rules_hash);
        let bundle = fairdraw_core::bundle::make_bundle(&record, &ledger).expect("bundle");
        let light = |b: &fairdraw_core::bundle::DrawBundle| {
            fairdraw_core::bundle::verify_bundle(b, anchor).all_passed()
        };
        prop_assert!(light(&bundle));
        prop_assert!(verify_record(&record, &ledger, anchor).all_passed());
        // The same change to the record and to the bundle's copy of it.
        let mut r = record.clone();
        let mut b = bundle.clone();
        for rec in [&mut r, &mut b.record] {
            match mutation {
                0 => rec.seed.0[byte] ^= 1,
                1 => rec.reveals[0].secret.0[byte] ^= 1,
                2 => rec.freeze.freeze.total_weight += 1,
                3 => rec.freeze.signature[byte] ^= 1,
                4 => { if let Some(w) = rec.winners.first_mut() { w.phone_salt[byte % 16] ^= 1 } else { rec.seed.0[byte] ^= 1 } }
                _ => { if let Some(p) = rec.public_entropy.public_numbers.as_mut() { p.key.push('1') } }
            }
        }
        let full = verify_record(&r, &ledger, anchor).all_passed();
        prop_assert_eq!(light(&b), full);
        prop_assert!(!full, "mutation {} went unnoticed", mutation);
    }

    /// Every single-field change to a pick of a bundle fails that pick's check for the field.
    #[test]
    fn every_bundle_field_change_fails_its_check(pick in 0usize..7, field in 0u8..8) {
        let (record, ledger) = demo();
        let anchor = Anchor::Published(record.rules_hash);
        let mut b = fairdraw_core::bundle::make_bundle(record, ledger).expect("bundle");
        let k = pick % b.picks.len();
        let p = &mut b.picks[k];
        let bump = |s: &mut String| *s = (s.parse::<u64>().expect("u64") + 1).to_string();
        let check = match field {
            0 => { bump(&mut p.t); "t" }
            1 => { p.leaf.amount_fen.0 += 1; "log" }
            2 => { p.leaf.ticket_id.0[0] ^= 1; "log" }
            3 => { if p.log_path.is_empty() { return Ok(()) } p.log_path[0].0[0] ^= 1; "log" }
            4 => { bump(&mut p.draw_path[0].sum); "draw" }
            5 => { p.draw_path[0].hash.0[0] ^= 1; "draw" }
            6 => { p.merchant_index += 1; "eligible" }
            _ => { if p.merchant_path.is_empty() { return Ok(()) } p.merchant_path[0].0[0] ^= 1; "eligible" }
        };
        let failed = fairdraw_core::bundle::verify_bundle(&b, anchor).failed().iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let want = format!("pick.{k}.{check}");
        prop_assert!(failed.contains(&want), "{want} not in {failed:?}");
    }

    /// Proofs from any tree verify, and a proof for one size never verifies another root.
    #[test]
    fn proofs_roundtrip(n in 1usize..200, i in 0usize..200, m in 1usize..200) {
        let hashes: Vec<Hash32> = (0..n as u32).map(|k| leaf_hash(&k.to_be_bytes())).collect();
        let mut t = CompactTree::new();
        for h in &hashes { t.push_hash(*h); }
        let root = t.root();
        let i = (i % n) as u64;
        let p = inclusion_proof(&hashes, i).expect("proof");
        prop_assert!(verify_inclusion(&hashes[i as usize], i, n as u64, &p, &root).is_ok());
        let m = (m % n) as u64 + 1;
        let old = fairdraw_core::merkle::root_of(&hashes[..m as usize]);
        let c = consistency_proof(&hashes, m).expect("proof");
        prop_assert!(verify_consistency(m, n as u64, &old, &root, &c).is_ok());
        if m < n as u64 {
            prop_assert!(verify_consistency(m, n as u64, &root, &root, &c).is_err());
        }
    }

    /// The verifier never panics on arbitrary JSON shaped like a record.
    #[test]
    fn vector_runner_never_panics(s in ".{0,200}") {
        let _ = fairdraw_core::vectors::run_vector(&s);
        let _ = fairdraw_core::ledger::parse_leaf_line(&s, 0);
    }
}

/// A tree head signed by the real server key after the close, with the frozen size and root,
/// cannot stand in for the freeze: the signatures are over differently tagged bytes.
#[test]
fn a_tree_head_cannot_stand_in_for_the_freeze() {
    let (record, ledger) = demo();
    let f = &record.freeze.freeze;
    // The demo's signing key is derived from its seed; re-derive it as demo_draw does.
    let mut g = fairdraw_core::sampler::DrawStream::new(&Hash32::sha256(&[0x17; 32]));
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&g.next_u64().to_le_bytes());
    }
    let signing = ed25519_dalek::SigningKey::from_bytes(&key);
    assert_eq!(signing.verifying_key().to_bytes(), record.rules.server_key);
    let head = fairdraw_core::tree_head::TreeHead {
        rules_hash: f.rules_hash,
        campaign_id: f.campaign_id.clone(),
        draw_index: f.draw_index,
        tree_size: f.tree_size,
        root: f.root,
        timestamp_ms: f.frozen_at_ms,
    }
    .sign(&signing);
    let mut r = record.clone();
    r.freeze.signature = head.signature;
    assert!(anchored(&r, ledger).contains(&"freeze.signature".to_owned()));
    assert!(
        anchored(record, ledger).is_empty(),
        "{:?}",
        anchored(record, ledger)
    );
}

/// An entry acknowledged in the same millisecond as the freeze, or after the close, is caught.
#[test]
fn late_entries_fail_entry_times() {
    let (record, ledger) = demo();
    for entered_at in [
        record.freeze.freeze.frozen_at_ms,
        record.rules.draws[0].closes_at_ms(),
    ] {
        let mut leaves = ledger.leaves.clone();
        leaves[59].entered_at_ms = entered_at;
        let failed = anchored(record, &rebuild(leaves));
        assert!(
            failed.contains(&"ledger.entry_times".to_owned()),
            "{failed:?}"
        );
    }
}

/// Every check says what it compared in Chinese too, with times as people read them: never
/// epoch milliseconds, in either language, passing or failing.
#[test]
fn every_detail_is_in_both_languages_with_human_times() {
    let (record, ledger) = demo();
    let mut leaves = ledger.leaves.clone();
    leaves[59].entered_at_ms = record.freeze.freeze.frozen_at_ms + 1;
    leaves[3].amount_fen = fairdraw_core::money::Fen(1);
    let mut late = record.clone();
    late.reveals[0].revealed_at_ms = record.rules.draws[0].reveal_deadline_ms + 1;
    let witnessed =
        fairdraw_core::demo::demo_witnessed_draw(40, &Hash32([7; 32]), 5).expect("witnessed demo");
    let slow = fairdraw_core::demo::demo_witnessed_draw(40, &Hash32([7; 32]), 10_000_000)
        .expect("late witnesses");
    let mut unwitnessed = witnessed.0.clone();
    unwitnessed.witnessing = None;
    for (r, l) in [
        (record.clone(), ledger.clone()),
        (record.clone(), rebuild(leaves)),
        (late, ledger.clone()),
        (witnessed.0.clone(), witnessed.1.clone()),
        (slow.0, slow.1),
        (unwitnessed, witnessed.1.clone()),
    ] {
        let report = verify_record(&r, &l, Anchor::Published(r.rules_hash));
        assert!(report.checks.len() > 30);
        for c in &report.checks {
            let cjk = c
                .detail_zh
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch));
            assert!(cjk, "{}: no Chinese detail: {:?}", c.id, c.detail_zh);
            for text in [&c.detail, &c.detail_zh] {
                let epoch = text
                    .split(|ch: char| !ch.is_ascii_alphanumeric())
                    .any(|w| w.len() == 13 && w.bytes().all(|b| b.is_ascii_digit()));
                assert!(!epoch, "{}: epoch milliseconds in {text:?}", c.id);
            }
        }
    }
}

/// Pearson's chi-square over `buckets` for many deterministic seeds. With k − 1 degrees of
/// freedom the statistic has mean k − 1 and sd √(2(k − 1)); 6 sd above the mean happens by
/// chance less than once in a billion, so a failure means bias, not bad luck.
fn chi_square(n: u64, draws_per_seed: u64, seeds: u32) -> (f64, f64) {
    let mut counts = vec![0u64; n as usize];
    let nz = NonZeroU64::new(n).expect("n ≥ 1");
    for s in 0..seeds {
        let mut stream = DrawStream::new(&Hash32::sha256(&s.to_be_bytes()));
        for _ in 0..draws_per_seed {
            counts[stream.uniform_below(nz) as usize] += 1;
        }
    }
    let total = (draws_per_seed * u64::from(seeds)) as f64;
    let expected = total / n as f64;
    let stat = counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum();
    let dof = (n - 1) as f64;
    (stat, dof + 6.0 * (2.0 * dof).sqrt())
}

#[test]
fn sampler_is_uniform_for_small_n() {
    for n in [2u64, 3, 5, 6, 7, 10, 12, 37, 100] {
        let (stat, limit) = chi_square(n, 2_000, 100);
        assert!(
            stat < limit,
            "n = {n}: chi-square {stat:.1} exceeds {limit:.1}"
        );
    }
}

#[test]
fn chi_square_detects_a_biased_sampler() {
    // The naive `x % n` for n = 3 · 2^62 is visibly biased: values below 2^62 come twice as
    // often. Bucket by value / 2^62 (0, 1, 2); the test above would have to reject this.
    let n = 3u64 << 62;
    let mut counts = [0u64; 3];
    let mut stream = DrawStream::new(&Hash32([9; 32]));
    for _ in 0..30_000 {
        counts[((stream.next_u64() % n) >> 62) as usize] += 1;
    }
    let expected = 10_000.0;
    let stat: f64 = counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(
        stat > 2.0 + 6.0 * 2.0,
        "naive modulo looked uniform: {stat}"
    );
    // …while the rejection sampler on the same n is not.
    let mut counts = [0u64; 3];
    let nz = NonZeroU64::new(n).expect("n");
    for _ in 0..30_000 {
        counts[(stream.uniform_below(nz) >> 62) as usize] += 1;
    }
    let stat: f64 = counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum();
    assert!(stat < 2.0 + 6.0 * 2.0, "rejection sampler biased: {stat}");
}
