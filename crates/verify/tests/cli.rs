//! The CLI end to end, as an auditor runs it: exit codes, output, and the shared vectors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fairdraw-verify"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run fairdraw-verify")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("fairdraw-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn demo(dir: &TempDir, entries: &str) -> (String, String) {
    let o = run(&["demo", "--entries", entries, "--out", &dir.path("d")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (dir.path("d/draw-record.json"), dir.path("d/ledger.jsonl"))
}

fn anchor(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.path("d/anchor.txt"))
        .expect("anchor.txt")
        .trim()
        .to_owned()
}

#[test]
fn demo_then_check_passes_and_tampering_fails_on_the_right_check() {
    let dir = TempDir::new("check");
    let (record, ledger) = demo(&dir, "300");
    let a = anchor(&dir);
    let o = run(&["check", &record, "--ledger", &ledger, "--anchor", &a]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 failed"));
    assert!(stdout(&o).contains("PASS anchor"), "{}", stdout(&o));

    // Without the anchor the record proves only that it agrees with itself.
    let o = run(&["check", &record, "--ledger", &ledger]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("FAIL anchor"), "{}", stdout(&o));
    assert!(stdout(&o).contains(" 1 failed"), "{}", stdout(&o));
    let o = run(&[
        "check",
        &record,
        "--ledger",
        &ledger,
        "--self-consistency-only",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("anchor"), "{}", stdout(&o));
    let other = "ab".repeat(32);
    let o = run(&["check", &record, "--ledger", &ledger, "--anchor", &other]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    let json = run(&[
        "check", &record, "--ledger", &ledger, "--anchor", &a, "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["all_passed"], true);

    // Swap the first winner in the record for another leaf: winner.0 must fail, nothing else.
    let text = std::fs::read_to_string(&record).expect("read");
    let mut r: serde_json::Value = serde_json::from_str(&text).expect("record");
    r["winners"][0]["leaf_index"] = serde_json::json!(0);
    std::fs::write(&record, r.to_string()).expect("write");
    let o = run(&["check", &record, "--ledger", &ledger, "--anchor", &a]);
    assert_eq!(o.status.code(), Some(1));
    let fails: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("FAIL"))
        .map(String::from)
        .collect();
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert!(fails[0].contains("winner.0"), "{fails:?}");
}

#[test]
fn bundle_then_light_verifies_without_the_ledger() {
    let dir = TempDir::new("light");
    let (record, ledger) = demo(&dir, "200");
    let a = anchor(&dir);
    // demo writes a bundle; `bundle` writes the same one from the record and ledger.
    let o = run(&[
        "bundle",
        &record,
        "--ledger",
        &ledger,
        "--out",
        &dir.path("b.json"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read(dir.path("b.json")).expect("b"),
        std::fs::read(dir.path("d/bundle.json")).expect("d")
    );
    let o = run(&[
        "light",
        &record,
        "--bundle",
        &dir.path("b.json"),
        "--anchor",
        &a,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("PASS pick.0.draw"), "{}", stdout(&o));
    let o = run(&["light", &record, "--bundle", &dir.path("b.json")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL anchor"));
    // Another drawn number than the record gives.
    let mut b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("b.json")).expect("read")).expect("json");
    let t = b["picks"][0]["t"]
        .as_str()
        .expect("t")
        .parse::<u64>()
        .expect("u64");
    b["picks"][0]["t"] = serde_json::json!((t + 1).to_string());
    std::fs::write(dir.path("bad.json"), b.to_string()).expect("write");
    let o = run(&[
        "light",
        &record,
        "--bundle",
        &dir.path("bad.json"),
        "--anchor",
        &a,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL pick.0.t"), "{}", stdout(&o));
    // A bundle for another record.
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("read")).expect("json");
    r["winners"][0]["phone_masked"] = serde_json::json!("139****0000");
    std::fs::write(dir.path("other.json"), r.to_string()).expect("write");
    let o = run(&[
        "light",
        &dir.path("other.json"),
        "--bundle",
        &dir.path("b.json"),
        "--anchor",
        &a,
    ]);
    assert!(stdout(&o).contains("FAIL bundle.record"), "{}", stdout(&o));
}

#[test]
fn unreadable_inputs_exit_2_and_say_where() {
    let dir = TempDir::new("bad");
    let (record, ledger) = demo(&dir, "20");
    let a = anchor(&dir);
    let o = run(&[
        "check",
        &dir.path("missing.json"),
        "--ledger",
        &ledger,
        "--anchor",
        &a,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.json"));
    std::fs::write(dir.path("broken.jsonl"), "{\"v\":1}\n").expect("write");
    let o = run(&[
        "check",
        &record,
        "--ledger",
        &dir.path("broken.jsonl"),
        "--anchor",
        &a,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 1") && err.contains("ledger.format"),
        "{err}"
    );
    // A version 1 record is named as such, not misread.
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("read")).expect("json");
    r["version"] = serde_json::json!(1);
    std::fs::write(dir.path("v1.json"), r.to_string()).expect("write");
    let o = run(&[
        "check",
        &dir.path("v1.json"),
        "--ledger",
        &ledger,
        "--anchor",
        &a,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("version 1 record"), "{err}");
}

#[test]
fn root_of_published_hex_leaves() {
    let dir = TempDir::new("root");
    std::fs::write(
        dir.path("leaves"),
        "\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n",
    )
    .expect("write");
    let o = run(&["root", "--hex-leaves", &dir.path("leaves")]);
    assert_eq!(
        stdout(&o),
        "tree_size 8\nroot 5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328\n"
    );
    std::fs::write(dir.path("one-empty"), "\n").expect("write");
    let o = run(&["root", "--hex-leaves", &dir.path("one-empty")]);
    assert!(
        stdout(&o).contains("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    std::fs::write(dir.path("bad"), "zz\n").expect("write");
    assert_eq!(
        run(&["root", "--hex-leaves", &dir.path("bad")])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn prove_and_verify_proof() {
    let dir = TempDir::new("prove");
    let (_, ledger) = demo(&dir, "50");
    let o = run(&["prove", "--ledger", &ledger, "--index", "17"]);
    assert!(o.status.success());
    std::fs::write(dir.path("proof.json"), &o.stdout).expect("write");
    assert_eq!(
        run(&["verify-proof", &dir.path("proof.json")])
            .status
            .code(),
        Some(0)
    );
    let mut p: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    p["leaf_index"] = serde_json::json!(18);
    std::fs::write(dir.path("wrong.json"), p.to_string()).expect("write");
    let o = run(&["verify-proof", &dir.path("wrong.json")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("FAIL"));
}

#[test]
fn rfc3797_section_6() {
    let o = run(&[
        "rfc3797",
        "--pool",
        "25",
        "--pick",
        "10",
        "--source",
        "9319",
        "--source",
        "2 5 12 8 10",
        "--source",
        "9 18 26 34 41 45",
    ]);
    assert_eq!(
        stdout(&o),
        "9319./2.5.8.10.12./9.18.26.34.41.45./\n17\n7\n2\n16\n25\n23\n8\n24\n19\n13\n"
    );
    // A pool of 10^11 once aborted on a 400 GB allocation; memory now follows the picks.
    let o = run(&[
        "rfc3797",
        "--pool",
        "100000000000",
        "--pick",
        "1",
        "--source",
        "1",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = run(&["rfc3797", "--pool", "0", "--pick", "1", "--source", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least one entry"));
}

#[test]
fn every_vector_passes_through_the_cli() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let o = run(&["vectors", &vectors.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"));
}
