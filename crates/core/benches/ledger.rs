//! Ledger root and whole-draw verification at 1,000,000 entries, each beside raw SHA-256 over
#![allow(missing_docs)] // criterion_group! generates undocumented items
//! exactly the bytes that operation hashes, measured in the same process (BENCHMARKS.md).
//!
//! `FAIRDRAW_BENCH_ENTRIES` changes the size (default 1,000,000).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle::CompactTree;
use fairdraw_core::summary::LedgerScanner;
use fairdraw_core::verify::{Anchor, scan_rules, verify_summary};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Duration;

fn entries() -> u64 {
    std::env::var("FAIRDRAW_BENCH_ENTRIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn bench(c: &mut Criterion) {
    let n = entries();
    let (record, ledger) = fairdraw_core::demo::demo_draw(n, &Hash32([0xbe; 32])).expect("demo");
    let leaves: Vec<Vec<u8>> = ledger.leaves.iter().map(|l| l.canonical_bytes()).collect();
    // Bytes the RFC 6962 tree hashes: 0x00 ‖ leaf per leaf, 0x01 ‖ L ‖ R per interior node.
    let tree_bytes: u64 = leaves.iter().map(|l| 1 + l.len() as u64).sum::<u64>() + (n - 1) * 65;
    // Raw baseline: one SHA-256 call per hashed message, over buffers of the same sizes.
    let node = [0x01u8; 65];
    let raw = |leaves: &[Vec<u8>]| {
        let mut acc = [0u8; 32];
        for l in leaves {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(l);
            acc = h.finalize().into();
        }
        for _ in 1..leaves.len() {
            acc = Sha256::digest(node).into();
        }
        acc
    };

    let mut g = c.benchmark_group(format!("ledger_{n}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(tree_bytes));
    g.bench_function("raw_sha256_same_messages", |b| {
        b.iter(|| black_box(raw(&leaves)))
    });
    g.bench_function("root", |b| {
        b.iter(|| {
            let mut t = CompactTree::new();
            for l in &leaves {
                t.push_leaf(l);
            }
            black_box(t.root())
        })
    });
    g.finish();

    // The draw tree (SPEC.md §5.5) over the leaf hashes: one 81-byte message per parent,
    // 0x02 ‖ u64 ‖ h ‖ u64 ‖ h. Baseline: SHA-256 of as many 81-byte messages.
    let sum_node = [0x02u8; 81];
    let raw_sum_nodes = |count: usize| {
        let mut acc = [0u8; 32];
        for _ in 0..count {
            acc = Sha256::digest(sum_node).into();
        }
        acc
    };
    let weighted: Vec<(u64, Hash32)> = ledger
        .leaves
        .iter()
        .map(|l| u64::from(l.weight))
        .zip(ledger.hashes.iter().copied())
        .collect();
    let mut g = c.benchmark_group(format!("drawtree_{n}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes((n - 1) * 81));
    g.bench_function("raw_sha256_same_messages", |b| {
        b.iter(|| black_box(raw_sum_nodes(leaves.len() - 1)))
    });
    g.bench_function("draw_tree_root", |b| {
        b.iter(|| {
            let mut t = fairdraw_core::drawtree::CompactSumTree::new();
            for (w, h) in &weighted {
                t.push(*w, *h);
            }
            black_box(t.root())
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("check_{n}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Bytes(tree_bytes + (n - 1) * 81));
    // The check hashes every leaf, the RFC 6962 nodes and the draw-tree nodes.
    g.bench_function("raw_sha256_same_messages", |b| {
        b.iter(|| black_box((raw(&leaves), raw_sum_nodes(leaves.len() - 1))))
    });
    // Everything `fairdraw-verify check` does after parsing: leaf hashes, root, eligibility and
    // uniqueness of every entry, every check of the record, and the selection re-run.
    g.bench_function("verify_record", |b| {
        b.iter(|| {
            let mut scanner = LedgerScanner::new(scan_rules(&record));
            for leaf in &ledger.leaves {
                scanner.push(leaf);
            }
            let report = verify_summary(
                &record,
                &scanner.finish(),
                Anchor::Published(record.rules_hash),
            );
            assert!(report.all_passed());
            black_box(report)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
