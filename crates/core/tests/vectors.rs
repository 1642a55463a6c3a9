//! Runs every vector file under `vectors/` natively and reports every failure, not just the first.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn every_vector_file_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 700,
        "only {} vector files under {}",
        files.len(),
        root.display()
    );
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(p).unwrap_or_default(),
            )
        })
        .collect();
    let results =
        fairdraw_core::vectors::run_all(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

#[test]
fn a_wrong_expectation_is_caught() {
    let bad = r#"{"kind":"money_parse","description":"","source":"","input":{"text":"500"},"expected":{"fen":50001,"display":"500.01"}}"#;
    assert!(fairdraw_core::vectors::run_vector(bad).is_err());
    let wrong_code = r#"{"kind":"money_parse","description":"","source":"","input":{"text":"-1"},"expected_error":"AMOUNT_MALFORMED"}"#;
    assert!(fairdraw_core::vectors::run_vector(wrong_code).is_err());
}
