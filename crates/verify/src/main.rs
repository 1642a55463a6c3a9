//! `fairdraw-verify`: the auditor's command-line verifier. It depends on fairdraw-core, clap,
//! serde_json and indicatif only, so its whole dependency tree can be read.
//!
//! Exit codes: 0 every check passed, 1 a check failed, 2 an input could not be read or parsed.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::{Leaf, Ledger, parse_leaf_line};
use fairdraw_core::merkle;
use fairdraw_core::record::{DrawRecord, RECORD_VERSION};
use fairdraw_core::summary::LedgerScanner;
use fairdraw_core::verify::{Anchor, scan_rules, verify_summary};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fairdraw-verify",
    version,
    about = "Re-run a fairdraw draw from its record and ledger, bit for bit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a draw record against the published ledger and print the checklist.
    Check {
        /// The draw record (JSON).
        record: PathBuf,
        /// The ledger (JSONL, one leaf a line).
        #[arg(long)]
        ledger: PathBuf,
        /// The rules hash published before entries opened (64 hex digits): on the posters, in
        /// the newspaper, in the notary's file, in the verify link. Every check chains from it;
        /// without it the check `anchor` fails.
        #[arg(long)]
        anchor: Option<String>,
        /// Check only that the record agrees with itself and the ledger, without an anchor.
        /// Such a pass proves little: anyone can make a consistent record.
        #[arg(long, conflicts_with = "anchor")]
        self_consistency_only: bool,
        /// Print the checklist as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the proof bundle of a published draw: a few kilobytes that let a phone verify the
    /// draw without the ledger (SPEC.md §12.1).
    Bundle {
        /// The draw record (JSON).
        record: PathBuf,
        /// The ledger (JSONL).
        #[arg(long)]
        ledger: PathBuf,
        /// Where to write the bundle (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Light verification: the record's checks and each pick proven by the bundle, no ledger.
    Light {
        /// The draw record (JSON), as published; the bundle's copy must match it.
        record: PathBuf,
        /// The proof bundle (JSON).
        #[arg(long)]
        bundle: PathBuf,
        /// The rules hash published before entries opened (64 hex digits).
        #[arg(long)]
        anchor: Option<String>,
        /// Check only self-consistency, without an anchor.
        #[arg(long, conflicts_with = "anchor")]
        self_consistency_only: bool,
        /// Print the checklist as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the tree size and RFC 6962 root of a ledger or of raw leaves.
    Root {
        /// The ledger (JSONL).
        #[arg(
            long,
            conflicts_with = "hex_leaves",
            required_unless_present = "hex_leaves"
        )]
        ledger: Option<PathBuf>,
        /// Raw leaves, one hex string per line (an empty line is an empty leaf).
        #[arg(long)]
        hex_leaves: Option<PathBuf>,
    },
    /// Print the inclusion proof of one leaf (JSON, as `verify-proof` reads it).
    Prove {
        /// The ledger (JSONL).
        #[arg(long)]
        ledger: PathBuf,
        /// The leaf index (from 0).
        #[arg(long)]
        index: u64,
    },
    /// Check an inclusion proof: from a file written by `prove`, or from flags.
    VerifyProof {
        /// A proof file (JSON from `prove` or from the server's proof endpoint).
        proof_file: Option<PathBuf>,
        /// The leaf hash (hex).
        #[arg(long, required_unless_present = "proof_file")]
        leaf_hash: Option<String>,
        /// The leaf index.
        #[arg(long, required_unless_present = "proof_file")]
        index: Option<u64>,
        /// The tree size.
        #[arg(long, required_unless_present = "proof_file")]
        size: Option<u64>,
        /// The root (hex).
        #[arg(long, required_unless_present = "proof_file")]
        root: Option<String>,
        /// Proof hashes, comma-separated hex, leaf to root.
        #[arg(long, value_delimiter = ',')]
        proof: Vec<String>,
    },
    /// RFC 3797 selection: prints the key string, then the selected 1-based positions.
    Rfc3797 {
        /// Pool size.
        #[arg(long)]
        pool: u64,
        /// How many to select.
        #[arg(long)]
        pick: u64,
        /// One source's published values, in the announced order; repeat for each source.
        #[arg(long = "source", required = true)]
        sources: Vec<String>,
    },
    /// Write a realistic synthetic campaign: its ledger and a complete draw record.
    Demo {
        /// Number of entries.
        #[arg(long)]
        entries: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Cars in the draw (the demo rules have two).
        #[arg(long, default_value_t = 2)]
        prizes: usize,
        /// 64 hex digits; the same seed writes the same campaign.
        #[arg(
            long,
            default_value = "00000000000000000000000000000000000000000000000000000000000000d1"
        )]
        seed: String,
    },
    /// Run every test vector file under a directory and report each failure.
    Vectors {
        /// The vectors directory.
        dir: PathBuf,
    },
}

/// An input that could not be read or parsed: exit code 2, with where.
struct InputError(String);

fn input_err(path: &Path, what: impl std::fmt::Display) -> InputError {
    InputError(format!("{}: {what}", path.display()))
}

fn progress(len: u64, what: &str) -> ProgressBar {
    // Hidden automatically when stderr is not a terminal; shown only for large inputs.
    if len < 8 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Streams a JSONL ledger, checking each leaf's index, into `sink`: the whole ledger is never
/// held in memory.
fn scan_ledger(path: &Path, mut sink: impl FnMut(Leaf)) -> Result<u64, InputError> {
    let file = std::fs::File::open(path).map_err(|e| input_err(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(len, "reading ledger");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let (mut read, mut count) = (0u64, 0u64);
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| input_err(path, e))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if line.trim().is_empty() {
            continue;
        }
        sink(parse_leaf_line(line.trim_end(), count).map_err(|e| input_err(path, e))?);
        count += 1;
        if count % 16_384 == 0 {
            bar.set_position(read);
        }
    }
    bar.finish_and_clear();
    Ok(count)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| input_err(path, e))?;
    serde_json::from_str(&text).map_err(|e| input_err(path, e))
}

/// Reads a draw record, naming the version when it is not one this verifier reads.
fn read_record(path: &Path) -> Result<DrawRecord, InputError> {
    let value: serde_json::Value =
        read_json(path).map_err(|InputError(e)| InputError(format!("record.format: {e}")))?;
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(RECORD_VERSION)) {
        return Err(input_err(
            path,
            format!(
                "record.version: this is a version {} record; this verifier reads version {RECORD_VERSION} (SPEC.md §10). Version 1 records are not anchored to the published rules hash and are not verified here.",
                version.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            ),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| InputError(format!("record.format: {}: {e}", path.display())))
}

/// What `--anchor` and `--self-consistency-only` ask for.
fn anchor_arg(anchor: Option<String>, self_consistency_only: bool) -> Result<Anchor, InputError> {
    Ok(match anchor {
        Some(a) => Anchor::Published(hash_arg("anchor", &a)?),
        None if self_consistency_only => Anchor::SelfConsistencyOnly,
        None => Anchor::Missing,
    })
}

fn hash_arg(what: &str, s: &str) -> Result<Hash32, InputError> {
    Hash32::from_hex(s).map_err(|e| InputError(format!("--{what}: {e}")))
}

fn run(cli: Cli) -> Result<ExitCode, InputError> {
    match cli.command {
        Command::Check {
            record,
            ledger,
            anchor,
            self_consistency_only,
            json,
        } => {
            let anchor = anchor_arg(anchor, self_consistency_only)?;
            let rec = read_record(&record)?;
            let mut scanner = LedgerScanner::new(scan_rules(&rec));
            scanner.reserve(usize::try_from(rec.freeze.freeze.tree_size.min(1 << 26)).unwrap_or(0));
            scan_ledger(&ledger, |leaf| scanner.push(&leaf))
                .map_err(|InputError(e)| InputError(format!("ledger.format: {e}")))?;
            let report = verify_summary(&rec, &scanner.finish(), anchor);
            Ok(print_report(&report, json))
        }
        Command::Bundle {
            record,
            ledger,
            out,
        } => {
            let rec = read_record(&record)?;
            let mut l = Ledger::default();
            scan_ledger(&ledger, |leaf| l.push(leaf))
                .map_err(|InputError(e)| InputError(format!("ledger.format: {e}")))?;
            let bundle = fairdraw_core::bundle::make_bundle(&rec, &l)
                .map_err(|e| InputError(format!("bundle: {e}")))?;
            let text = serde_json::to_string(&bundle).map_err(|e| input_err(&out, e))?;
            std::fs::write(&out, text + "\n").map_err(|e| input_err(&out, e))?;
            println!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Light {
            record,
            bundle,
            anchor,
            self_consistency_only,
            json,
        } => {
            let anchor = anchor_arg(anchor, self_consistency_only)?;
            let rec = read_record(&record)?;
            let b: fairdraw_core::bundle::DrawBundle = read_json(&bundle)
                .map_err(|InputError(e)| InputError(format!("bundle.format: {e}")))?;
            let mut report = fairdraw_core::bundle::verify_bundle(&b, anchor);
            report.checks.insert(
                0,
                fairdraw_core::verify::Check {
                    id: "bundle.record".into(),
                    ok: fairdraw_core::bundle::matches_record(&b, &rec),
                    detail: "the bundle's record is the published record, its merchant list cut"
                        .into(),
                    detail_zh: "证明包中的记录就是公布的记录（商户名单已裁剪）".into(),
                },
            );
            Ok(print_report(&report, json))
        }
        Command::Root { ledger, hex_leaves } => {
            let (size, root) = match (ledger, hex_leaves) {
                (Some(l), _) => {
                    let mut tree = merkle::CompactTree::new();
                    scan_ledger(&l, |leaf| tree.push_hash(leaf.leaf_hash()))?;
                    (tree.size(), tree.root())
                }
                (None, Some(h)) => {
                    let text = std::fs::read_to_string(&h).map_err(|e| input_err(&h, e))?;
                    let mut tree = merkle::CompactTree::new();
                    // Every line is a leaf; only a final newline does not start another one.
                    let body = text.strip_suffix('\n').unwrap_or(&text);
                    if !text.is_empty() {
                        for (i, line) in body.split('\n').enumerate() {
                            let bytes = hex::decode(line.trim_end_matches('\r').trim())
                                .map_err(|e| input_err(&h, format!("line {}: {e}", i + 1)))?;
                            tree.push_leaf(&bytes);
                        }
                    }
                    (tree.size(), tree.root())
                }
                (None, None) => return Err(InputError("give --ledger or --hex-leaves".into())),
            };
            println!("tree_size {size}");
            println!("root {root}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Prove { ledger, index } => {
            let mut hashes = Vec::new();
            scan_ledger(&ledger, |leaf| hashes.push(leaf.leaf_hash()))?;
            let proof =
                merkle::inclusion_proof(&hashes, index).map_err(|e| input_err(&ledger, e))?;
            let out = json!({
                "leaf_index": index,
                "tree_size": hashes.len(),
                "leaf_hash": hashes[index as usize],
                "root": merkle::root_of(&hashes),
                "proof": proof,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyProof {
            proof_file,
            leaf_hash,
            index,
            size,
            root,
            proof,
        } => {
            let (leaf, index, size, root, path) = match proof_file {
                Some(p) => {
                    #[derive(serde::Deserialize)]
                    struct ProofFile {
                        leaf_hash: Hash32,
                        leaf_index: u64,
                        tree_size: u64,
                        root: Hash32,
                        proof: Vec<Hash32>,
                    }
                    let f: ProofFile = read_json(&p)?;
                    (f.leaf_hash, f.leaf_index, f.tree_size, f.root, f.proof)
                }
                None => {
                    let path = proof
                        .iter()
                        .map(|h| hash_arg("proof", h))
                        .collect::<Result<Vec<_>, _>>()?;
                    (
                        hash_arg("leaf-hash", leaf_hash.as_deref().unwrap_or_default())?,
                        index.unwrap_or_default(),
                        size.unwrap_or_default(),
                        hash_arg("root", root.as_deref().unwrap_or_default())?,
                        path,
                    )
                }
            };
            match merkle::verify_inclusion(&leaf, index, size, &path, &root) {
                Ok(()) => {
                    println!("PASS leaf {index} is in the tree of size {size} with root {root}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("FAIL {}: {e}", e.code());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Rfc3797 {
            pool,
            pick,
            sources,
        } => {
            let key = fairdraw_core::rfc3797::key_string(&sources)
                .map_err(|e| InputError(format!("--source: {e}")))?;
            let picked = fairdraw_core::rfc3797::select(&key, pool, pick)
                .map_err(|e| InputError(format!("--pool/--pick: {e}")))?;
            println!("{key}");
            for p in picked {
                println!("{p}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            entries,
            out,
            prizes,
            seed,
        } => {
            let seed = hash_arg("seed", &seed)?;
            let (record, ledger) =
                fairdraw_core::demo::demo_draw_with_prizes(entries, &seed, prizes)
                    .map_err(|e| InputError(format!("demo: {e}")))?;
            std::fs::create_dir_all(&out).map_err(|e| input_err(&out, e))?;
            let ledger_path = out.join("ledger.jsonl");
            let record_path = out.join("draw-record.json");
            let anchor_path = out.join("anchor.txt");
            let bundle_path = out.join("bundle.json");
            write_ledger(&ledger_path, &ledger)?;
            let bundle = fairdraw_core::bundle::make_bundle(&record, &ledger)
                .map_err(|e| InputError(format!("bundle: {e}")))?;
            let text = serde_json::to_string(&bundle).map_err(|e| input_err(&bundle_path, e))?;
            std::fs::write(&bundle_path, text + "\n").map_err(|e| input_err(&bundle_path, e))?;
            let text =
                serde_json::to_string_pretty(&record).map_err(|e| input_err(&record_path, e))?;
            std::fs::write(&record_path, text + "\n").map_err(|e| input_err(&record_path, e))?;
            // The anchor is the rules hash, as the organizer would have published it.
            std::fs::write(&anchor_path, format!("{}\n", record.rules_hash))
                .map_err(|e| input_err(&anchor_path, e))?;
            println!("{}", ledger_path.display());
            println!("{}", record_path.display());
            println!("{}", anchor_path.display());
            println!("{}", bundle_path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Vectors { dir } => {
            let mut files = Vec::new();
            collect_json(&dir, &mut files).map_err(|e| input_err(&dir, e))?;
            files.sort();
            let (mut passed, mut failed) = (0u64, 0u64);
            for f in &files {
                let text = std::fs::read_to_string(f).map_err(|e| input_err(f, e))?;
                match fairdraw_core::vectors::run_vector(&text) {
                    Ok(()) => passed += 1,
                    Err(e) => {
                        failed += 1;
                        println!("FAIL {}: {e}", f.display());
                    }
                }
            }
            println!("vectors: {passed} passed, {failed} failed");
            Ok(if failed == 0 && passed > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Prints a checklist (one line a check, or JSON) and gives the exit code: 0 all passed, 1 not.
fn print_report(report: &fairdraw_core::verify::Report, json: bool) -> ExitCode {
    if json {
        let out = json!({ "all_passed": report.all_passed(), "checks": report.checks });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        for c in &report.checks {
            println!(
                "{} {:<28} {}",
                if c.ok { "PASS" } else { "FAIL" },
                c.id,
                c.detail
            );
        }
        let failed = report.failed().len();
        println!("{} passed, {} failed", report.checks.len() - failed, failed);
    }
    if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn write_ledger(path: &Path, ledger: &Ledger) -> Result<(), InputError> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| input_err(path, e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    for leaf in &ledger.leaves {
        serde_json::to_writer(&mut w, leaf).map_err(|e| input_err(path, e))?;
        w.write_all(b"\n").map_err(|e| input_err(path, e))?;
    }
    w.flush().map_err(|e| input_err(path, e))
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect_json(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(InputError(msg)) => {
            eprintln!("fairdraw-verify: {msg}");
            ExitCode::from(2)
        }
    }
}
