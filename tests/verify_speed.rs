//! Verification speed, natively and in headless Chromium, for BENCHMARKS.md (`scripts/bench.sh`).
//!
//! The same code does the same work on both: parse a JSONL ledger from text, scan it, verify the
//! record; and, as the baseline in the same process, SHA-256 over the same number of messages
//! of the same sizes. It prints timings and asserts only that the draw verifies.
#![cfg(feature = "speed")]

use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::parse_leaf_line;
use fairdraw_core::summary::LedgerScanner;
use fairdraw_core::verify::{scan_rules, verify_summary};
use sha2::{Digest, Sha256};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

fn report(line: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

fn entries() -> u64 {
    option_env!("FAIRDRAW_SPEED_ENTRIES")
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000)
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn verify_speed() {
    let n = entries();
    let (record, ledger) = fairdraw_core::demo::demo_draw(n, &Hash32([0xbe; 32])).expect("demo");
    let text = ledger.to_jsonl();
    let leaves: Vec<Vec<u8>> = ledger.leaves.iter().map(|l| l.canonical_bytes()).collect();
    drop(ledger);

    let t0 = now_ms();
    let mut acc = [0u8; 32];
    for l in &leaves {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(l);
        acc = h.finalize().into();
    }
    let node = [acc[0]; 65];
    for _ in 1..leaves.len() {
        acc = Sha256::digest(node).into();
    }
    let sha_ms = now_ms() - t0;

    let t1 = now_ms();
    let mut scanner = LedgerScanner::new(scan_rules(&record));
    for (i, line) in text.lines().enumerate() {
        scanner.push(&parse_leaf_line(line, i as u64).expect("leaf"));
    }
    let report_ = verify_summary(
        &record,
        &scanner.finish(),
        fairdraw_core::verify::Anchor::Published(record.rules_hash),
    );
    let verify_ms = now_ms() - t1;
    assert!(report_.all_passed(), "{:?}", report_.failed());

    let platform = if cfg!(target_arch = "wasm32") {
        "wasm32 (headless Chromium)"
    } else {
        "native x86_64"
    };
    report(&format!(
        "speed {platform}: {n} entries, {} MB JSONL: verify from text {verify_ms:.0} ms; raw SHA-256 same messages {sha_ms:.0} ms (x{:.2}); acc {}",
        text.len() / 1_000_000,
        verify_ms / sha_ms,
        acc[0]
    ));
}

/// Light verification of a drand draw's proof bundle, and the BLS check alone (a quicknet
/// pairing check), for the phone figure's breakdown in BENCHMARKS.md.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn light_speed() {
    let n = entries().min(50_000);
    let (record, ledger) = fairdraw_core::demo::demo_drand_draw(n, 6);
    let bundle = fairdraw_core::bundle::make_bundle(&record, &ledger).expect("bundle");
    drop(ledger);
    let text = serde_json::to_string(&bundle).expect("json");
    let anchor = fairdraw_core::verify::Anchor::Published(record.rules_hash);
    let beacon = record.public_entropy.drand.clone().expect("a drand draw");
    let runs = 5;
    let (mut light_ms, mut bls_ms) = (f64::MAX, f64::MAX);
    let mut first = (0.0, 0.0);
    for k in 0..runs {
        let t0 = now_ms();
        let b: fairdraw_core::bundle::DrawBundle = serde_json::from_str(&text).expect("bundle");
        let r = fairdraw_core::bundle::verify_bundle(&b, anchor);
        light_ms = light_ms.min(now_ms() - t0);
        assert!(r.all_passed(), "{:?}", r.failed());
        let t1 = now_ms();
        assert!(beacon.verify().is_ok());
        bls_ms = bls_ms.min(now_ms() - t1);
        if k == 0 {
            first = (light_ms, bls_ms);
        }
    }
    let platform = if cfg!(target_arch = "wasm32") {
        "wasm32 (headless Chromium)"
    } else {
        "native x86_64"
    };
    report(&format!(
        "speed {platform}: light verification of a {n}-entry drand draw ({} picks, {} KB): {light_ms:.1} ms, of which the drand BLS check alone {bls_ms:.1} ms (best of {runs}; the first run, code not yet warm: {:.1} ms, BLS {:.1} ms)",
        bundle.picks.len(),
        text.len() / 1024,
        first.0,
        first.1
    ));
}
