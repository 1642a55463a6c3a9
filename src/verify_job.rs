//! The auditor's verification as a job over chunks of bytes, so the Web Worker (`worker.rs`)
//! can stream a ledger of any size through it and report progress. Plain Rust: tested natively.

use fairdraw_core::ledger::parse_leaf_line;
use fairdraw_core::record::DrawRecord;
use fairdraw_core::summary::LedgerScanner;
pub use fairdraw_core::verify::Anchor;
use fairdraw_core::verify::{Report, scan_rules, verify_summary};
use serde::{Deserialize, Serialize};

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkerMessage {
    /// The worker's wasm is loaded and it listens: the page may post the job. (A message posted
    /// earlier would reach a worker with no handler yet, and be lost.)
    Ready,
    /// Bytes of the ledger read so far, of `total`, and leaves checked.
    Progress {
        /// Bytes read.
        done: u64,
        /// Bytes in all.
        total: u64,
        /// Leaves folded in so far.
        leaves: u64,
    },
    /// The checklist.
    Report {
        /// The report.
        report: Report,
    },
    /// A light verification's checklist, and how long it took once the bundle had arrived
    /// (parse and verify, in the worker; milliseconds).
    LightReport {
        /// The report.
        report: Report,
        /// Time from the bundle's bytes to the report.
        elapsed_ms: f64,
    },
    /// A draw's seed and selection, computed for the live screen (the page then fetches the
    /// placed leaves' phone openings and assembles the record).
    Selection {
        /// The seed.
        seed: fairdraw_core::hash::Hash32,
        /// Winners' leaf indexes, in prize order.
        winners: Vec<u64>,
        /// Alternates' leaf indexes, in rank order.
        alternates: Vec<u64>,
        /// Draws consumed.
        draws_used: u64,
    },
    /// An input could not be read: which one, and why.
    Error {
        /// What went wrong (names the input and, for the ledger, the line).
        message: String,
    },
}

/// What the worker tells the shoppers' pages: a message type of their own, so the shoppers'
/// bundle does not carry the code that reads a verification report. `ready` and `error` are
/// written as in [`WorkerMessage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShopperReply {
    /// As [`WorkerMessage::Ready`].
    Ready,
    /// The texts of the QR codes found in one camera frame or photo (`{job: "qr", …}`).
    Qr {
        /// Each code's text; empty when none was found.
        texts: Vec<String>,
    },
    /// Each ticket's check (`{job: "tickets", …}`), in the order posted: what the server said,
    /// with its signed promise and proofs checked, or why they could not be read.
    Tickets {
        /// One per posted answer.
        checks: Vec<Result<crate::state::TicketCheck, String>>,
    },
    /// As [`WorkerMessage::Error`].
    Error {
        /// What went wrong.
        message: String,
    },
}

/// A message the page's side of the worker reads: it knows the worker is listening, and it
/// can stand for a worker that failed.
pub trait Reply: serde::de::DeserializeOwned + 'static {
    /// The worker's `ready`.
    fn is_ready(&self) -> bool;
    /// An error message.
    fn error(message: String) -> Self;
}

impl Reply for WorkerMessage {
    fn is_ready(&self) -> bool {
        *self == WorkerMessage::Ready
    }
    fn error(message: String) -> Self {
        WorkerMessage::Error { message }
    }
}

impl Reply for ShopperReply {
    fn is_ready(&self) -> bool {
        *self == ShopperReply::Ready
    }
    fn error(message: String) -> Self {
        ShopperReply::Error { message }
    }
}

/// A draw for the worker to conduct: everything but the ledger, which is posted beside it (the
/// page's Blob of the bytes it fetched, or a URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConductJob {
    /// The campaign rules.
    pub rules: fairdraw_core::rules::CampaignRules,
    /// The draw.
    pub draw_index: u32,
    /// The signed freeze.
    pub freeze: fairdraw_core::freeze::SignedFreeze,
    /// The reveals the server recorded.
    pub reveals: Vec<fairdraw_core::seed::Reveal>,
    /// What the organizer entered.
    pub inputs: crate::live::LiveInputs,
}

impl ConductJob {
    /// Conducts the draw over `ledger_text` (JSONL), with every check of the core: the drand
    /// signature, the ledger against the signed freeze.
    pub fn run(&self, ledger_text: &str) -> WorkerMessage {
        let ledger = match fairdraw_core::ledger::Ledger::from_jsonl(ledger_text, |_| {}) {
            Ok(l) => l,
            Err(e) => {
                return WorkerMessage::Error {
                    message: e.to_string(),
                };
            }
        };
        let ceremony = crate::live::Ceremony {
            rules: &self.rules,
            draw_index: self.draw_index,
            ledger: &ledger,
            freeze: &self.freeze,
        };
        match ceremony.select(&self.reveals, &self.inputs) {
            Ok((seed, s)) => WorkerMessage::Selection {
                seed,
                winners: s.winners,
                alternates: s.alternates,
                draws_used: s.draws_used,
            },
            Err(message) => WorkerMessage::Error { message },
        }
    }
}

/// Splits a byte stream into lines across chunk boundaries.
#[derive(Debug, Default)]
pub struct LineSplitter {
    carry: Vec<u8>,
    /// Lines seen so far (1-based number of the last one).
    pub line: u64,
}

impl LineSplitter {
    /// Feeds a chunk; `f` gets each complete line (without the newline) and its number.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut f: impl FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut rest = chunk;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(at);
            rest = &tail[1..];
            self.line += 1;
            if self.carry.is_empty() {
                emit(self.line, head, &mut f)?;
            } else {
                self.carry.extend_from_slice(head);
                let whole = std::mem::take(&mut self.carry);
                emit(self.line, &whole, &mut f)?;
            }
        }
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    /// Flushes a last line without a newline.
    pub fn finish(
        mut self,
        mut f: impl FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.carry.is_empty() {
            return Ok(());
        }
        self.line += 1;
        let whole = std::mem::take(&mut self.carry);
        emit(self.line, &whole, &mut f)
    }
}

fn emit(
    n: u64,
    bytes: &[u8],
    f: &mut impl FnMut(u64, &str) -> Result<(), String>,
) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("ledger line {n}: {e}"))?;
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(());
    }
    f(n, text)
}

/// Verification of one record against a ledger fed in chunks.
pub struct VerifyJob<'a> {
    record: &'a DrawRecord,
    anchor: Anchor,
    scanner: LedgerScanner<'a>,
    lines: LineSplitter,
    leaves: u64,
}

impl<'a> VerifyJob<'a> {
    /// Starts a job for `record`, checked against `anchor` (the published rules hash).
    pub fn new(record: &'a DrawRecord, anchor: Anchor) -> Self {
        let mut scanner = LedgerScanner::new(scan_rules(record));
        scanner.reserve(usize::try_from(record.freeze.freeze.tree_size.min(1 << 24)).unwrap_or(0));
        VerifyJob {
            record,
            anchor,
            scanner,
            lines: LineSplitter::default(),
            leaves: 0,
        }
    }

    /// Leaves folded in so far.
    pub fn leaves(&self) -> u64 {
        self.leaves
    }

    fn take(
        scanner: &mut LedgerScanner<'a>,
        leaves: &mut u64,
        n: u64,
        line: &str,
    ) -> Result<(), String> {
        let leaf = parse_leaf_line(line, *leaves).map_err(|e| format!("ledger line {n}: {e}"))?;
        scanner.push(&leaf);
        *leaves += 1;
        Ok(())
    }

    /// Feeds the next chunk of the ledger.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        let (scanner, leaves) = (&mut self.scanner, &mut self.leaves);
        self.lines
            .feed(chunk, |n, line| Self::take(scanner, leaves, n, line))
    }

    /// The checklist, once the whole ledger is in.
    pub fn finish(self) -> Result<Report, String> {
        let VerifyJob {
            record,
            anchor,
            mut scanner,
            lines,
            mut leaves,
        } = self;
        lines.finish(|n, line| Self::take(&mut scanner, &mut leaves, n, line))?;
        Ok(verify_summary(record, &scanner.finish(), anchor))
    }
}

/// What a file holds, from its first bytes: an auditor's two files are easily swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A draw record (one JSON object).
    Record,
    /// A frozen ledger (JSON lines, one leaf each).
    Ledger,
    /// Neither.
    Unknown,
}

/// Classifies a file by its start: a ledger's first line is one leaf object (with a
/// `ticket_id`); a record is one JSON object naming its `rules`.
pub fn file_kind(start: &str) -> FileKind {
    let t = start.trim_start_matches('\u{feff}').trim_start();
    let first_line = t.lines().next().unwrap_or_default();
    let has = |k: &str| first_line.contains(&format!("\"{k}\""));
    let leaf = serde_json::from_str::<serde_json::Value>(first_line)
        .ok()
        .map_or(has("ticket_id") && !has("rules"), |v| {
            v.get("ticket_id").is_some() && v.get("index").is_some()
        });
    if leaf {
        FileKind::Ledger
    } else if t.starts_with('{') && (t.contains("\"rules\"") || t.contains("\"rules_hash\"")) {
        FileKind::Record
    } else {
        FileKind::Unknown
    }
}

/// Runs a whole verification from text (record JSON, ledger JSONL) in chunks of `chunk` bytes.
pub fn verify_texts(record: &str, ledger: &str, chunk: usize, anchor: Anchor) -> WorkerMessage {
    let record: DrawRecord = match serde_json::from_str(record) {
        Ok(r) => r,
        Err(e) => {
            return WorkerMessage::Error {
                message: format!("record: {e}"),
            };
        }
    };
    let mut job = VerifyJob::new(&record, anchor);
    for part in ledger.as_bytes().chunks(chunk.max(1)) {
        if let Err(message) = job.feed(part) {
            return WorkerMessage::Error { message };
        }
    }
    match job.finish() {
        Ok(report) => WorkerMessage::Report { report },
        Err(message) => WorkerMessage::Error { message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shoppers_read_the_workers_ready_and_error_as_the_verifier_does() {
        // The worker says `ready` once, before it knows which page started it.
        let ready = serde_json::to_string(&WorkerMessage::Ready).expect("json");
        let reply: ShopperReply = serde_json::from_str(&ready).expect("read");
        assert!(reply.is_ready());
        let error = serde_json::to_string(&WorkerMessage::Error {
            message: "ledger: line 3".into(),
        })
        .expect("json");
        assert_eq!(
            serde_json::from_str::<ShopperReply>(&error).expect("read"),
            ShopperReply::error("ledger: line 3".into())
        );
        // A verifier's message is not a shopper's: it reads as an error, not as nothing.
        assert!(serde_json::from_str::<ShopperReply>(r#"{"kind":"report","report":{}}"#).is_err());
        let checks = ShopperReply::Tickets {
            checks: vec![Err("leaf: missing field".into())],
        };
        let text = serde_json::to_string(&checks).expect("json");
        assert_eq!(
            serde_json::from_str::<ShopperReply>(&text).expect("read"),
            checks
        );
    }

    #[test]
    fn swapped_files_are_told_apart() {
        let (record, ledger) = fairdraw_core::demo::demo_draw(20, &Hash32([3; 32])).expect("demo");
        let pretty = serde_json::to_string_pretty(&record).expect("json");
        let jsonl = ledger.to_jsonl();
        assert_eq!(
            file_kind(&pretty[..pretty.len().min(65_536)]),
            FileKind::Record
        );
        assert_eq!(
            file_kind(&serde_json::to_string(&record).expect("json")),
            FileKind::Record
        );
        assert_eq!(file_kind(&jsonl), FileKind::Ledger);
        // Only the start of a file is read: a first line cut short still says what it is.
        assert_eq!(file_kind(&jsonl[..60]), FileKind::Ledger);
        assert_eq!(file_kind("hello"), FileKind::Unknown);
        assert_eq!(file_kind(""), FileKind::Unknown);
    }
    use fairdraw_core::hash::Hash32;
    use fairdraw_core::ledger::Ledger;
    use fairdraw_core::verify::verify_record;

    #[test]
    fn lines_survive_any_chunking() {
        let text = "a\nbb\r\n\nccc\nd";
        for size in 1..=text.len() {
            let mut s = LineSplitter::default();
            let mut got = Vec::new();
            for part in text.as_bytes().chunks(size) {
                s.feed(part, |n, l| {
                    got.push((n, l.to_owned()));
                    Ok(())
                })
                .expect("feed");
            }
            s.finish(|n, l| {
                got.push((n, l.to_owned()));
                Ok(())
            })
            .expect("finish");
            let want = [(1, "a"), (2, "bb"), (4, "ccc"), (5, "d")];
            assert_eq!(
                got,
                want.map(|(n, l)| (n, l.to_owned())).to_vec(),
                "chunk {size}"
            );
        }
    }

    #[test]
    fn chunked_verification_equals_the_whole_ledger_one() {
        let (record, ledger) = fairdraw_core::demo::demo_draw(200, &Hash32([5; 32])).expect("demo");
        let text = ledger.to_jsonl();
        let record_text = serde_json::to_string(&record).expect("json");
        let anchor = Anchor::Published(record.rules_hash);
        let whole = verify_record(&record, &ledger, anchor);
        assert!(whole.all_passed());
        for chunk in [1, 7, 4096, 1 << 20] {
            assert_eq!(
                verify_texts(&record_text, &text, chunk, anchor),
                WorkerMessage::Report {
                    report: whole.clone()
                }
            );
        }
    }

    #[test]
    fn a_tampered_ledger_fails_the_check_it_breaks_and_bad_input_names_the_line() {
        let (record, ledger) = fairdraw_core::demo::demo_draw(50, &Hash32([6; 32])).expect("demo");
        let record_text = serde_json::to_string(&record).expect("json");
        let mut leaves = ledger.leaves.clone();
        leaves[10].phone_commitment.0[0] ^= 1;
        let mut tampered = Ledger::default();
        for l in leaves {
            tampered.push(l);
        }
        let anchor = Anchor::Published(record.rules_hash);
        match verify_texts(&record_text, &tampered.to_jsonl(), 333, anchor) {
            WorkerMessage::Report { report } => {
                assert!(
                    report.failed().contains(&"ledger.root"),
                    "{:?}",
                    report.failed()
                );
            }
            other => panic!("{other:?}"),
        }
        let mut text = ledger.to_jsonl();
        text.insert_str(0, "{not json\n");
        match verify_texts(&record_text, &text, 64, anchor) {
            WorkerMessage::Error { message } => assert!(message.contains("line 1"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            verify_texts("{", "", 64, anchor),
            WorkerMessage::Error { .. }
        ));
    }

    #[test]
    fn without_the_anchor_only_the_anchor_check_fails() {
        let (record, ledger) = fairdraw_core::demo::demo_draw(30, &Hash32([7; 32])).expect("demo");
        let record_text = serde_json::to_string(&record).expect("json");
        match verify_texts(&record_text, &ledger.to_jsonl(), 4096, Anchor::Missing) {
            WorkerMessage::Report { report } => assert_eq!(report.failed(), vec!["anchor"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_roundtrip_as_json() {
        let m = WorkerMessage::Progress {
            done: 1,
            total: 2,
            leaves: 3,
        };
        let text = serde_json::to_string(&m).expect("json");
        assert!(text.contains("\"kind\":\"progress\""));
        assert_eq!(
            serde_json::from_str::<WorkerMessage>(&text).expect("parse"),
            m
        );
    }
}
