//! The witness against every answer C2SP tlog-witness defines (and its monitoring read), forks
//! and rollbacks (also across kill -9 and restart, with the real binary), concurrent submissions, and third-party code
//! (cloudflare's `signed_note` and `tlog_tiles`) agreeing with the bytes on both sides.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature as EdSignature, SigningKey, VerifyingKey};
use fairdraw_core::checkpoint::{AddCheckpoint, Checkpoint, NoteSigner, signed_note};
use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle;
use fairdraw_witness::{Identity, Log, Reply, Witness};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const ORIGIN: &str = "fairdraw.test/dazhou-2026/1";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fairdraw-witness-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// A log: its leaves and its signing key.
struct TestLog {
    signer: NoteSigner,
    leaves: Vec<Hash32>,
}

impl TestLog {
    fn new(key: u8, n: usize, salt: &str) -> Self {
        Self {
            signer: NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[key; 32])),
            leaves: (0..n)
                .map(|i| merkle::leaf_hash(format!("{salt}{i}").as_bytes()))
                .collect(),
        }
    }

    fn root(&self, size: usize) -> Hash32 {
        merkle::root_of(&self.leaves[..size])
    }

    fn checkpoint(&self, size: usize) -> Vec<u8> {
        self.checkpoint_with_root(size, self.root(size))
    }

    fn checkpoint_with_root(&self, size: usize, root: Hash32) -> Vec<u8> {
        let text = Checkpoint {
            origin: ORIGIN.into(),
            size: size as u64,
            root,
            extensions: vec![],
        }
        .text()
        .expect("text");
        signed_note(&text, &[&self.signer]).expect("note")
    }

    fn proof(&self, old: usize, new: usize) -> Vec<Hash32> {
        if old == 0 {
            return vec![];
        }
        merkle::consistency_proof(&self.leaves[..new], old as u64).expect("proof")
    }

    fn request(&self, old: usize, new: usize) -> Vec<u8> {
        AddCheckpoint {
            old_size: old as u64,
            proof: self.proof(old, new),
            checkpoint: self.checkpoint(new),
        }
        .to_bytes()
    }

    fn log(&self) -> Log {
        Log::from_vkey(&self.signer.vkey()).expect("log vkey")
    }
}

fn witness(dir: &Path, logs: &[Log], time: u64) -> Witness {
    let id = Identity {
        name: "notary.test/witness".into(),
        key: SigningKey::from_bytes(&[0x42; 32]),
    };
    Witness::open_with_clock(dir, id, logs, Box::new(move || time)).expect("open")
}

/// Checks a cosignature line from the spec's words alone (not through the core): key ID,
/// timestamp, Ed25519 over `cosignature/v1\ntime T\n` and the note text.
fn check_cosignature(line: &str, text: &[u8], name: &str, key: &VerifyingKey) -> u64 {
    let rest = line
        .strip_prefix("— ")
        .and_then(|l| l.strip_suffix('\n'))
        .expect("a signature line");
    let (n, b64) = rest.split_once(' ').expect("name and signature");
    assert_eq!(n, name);
    let raw = STANDARD.decode(b64).expect("base64");
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(
        raw[..4],
        fairdraw_core::note::key_id(name, 0x04, key.as_bytes())
    );
    let t = u64::from_be_bytes(raw[4..12].try_into().expect("8 bytes"));
    let mut msg = format!("cosignature/v1\ntime {t}\n").into_bytes();
    msg.extend_from_slice(text);
    let sig = EdSignature::from_slice(&raw[12..]).expect("64 bytes");
    key.verify_strict(&msg, &sig)
        .expect("the cosignature verifies");
    t
}

fn note_text(note: &[u8]) -> Vec<u8> {
    fairdraw_core::checkpoint::parse_note(note)
        .expect("note")
        .text()
        .to_vec()
}

#[test]
fn every_answer_of_the_protocol() {
    let dir = temp_dir("answers");
    let log = TestLog::new(1, 40, "a");
    let w = witness(&dir, &[log.log()], 1_700_000_000);
    let witness_key = SigningKey::from_bytes(&[0x42; 32]).verifying_key();
    let status = |r: &Reply| r.status;

    // Size 0 must carry the empty tree's root.
    let bad_empty = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: log.checkpoint_with_root(0, Hash32([1; 32])),
    };
    assert_eq!(status(&w.add_checkpoint(&bad_empty.to_bytes())), 422);
    // The empty tree is cosigned.
    let r = w.add_checkpoint(&log.request(0, 0));
    assert_eq!(r.status, 200, "{}", r.body);
    // From 0, a proof must be empty.
    let mut from_zero = AddCheckpoint::parse(&log.request(0, 5)).expect("parse");
    from_zero.proof = vec![log.root(1)];
    assert_eq!(status(&w.add_checkpoint(&from_zero.to_bytes())), 422);
    // The first real checkpoint: 200, one cosignature line, timestamped by the witness.
    let r = w.add_checkpoint(&log.request(0, 5));
    assert_eq!(r.status, 200, "{}", r.body);
    let t = check_cosignature(
        &r.body,
        &note_text(&log.checkpoint(5)),
        "notary.test/witness",
        &witness_key,
    );
    assert_eq!(t, 1_700_000_000);
    assert_eq!(w.latest(ORIGIN), Some((5, log.root(5))));

    // 409: the old size is not the one the witness cosigned; the body is its size.
    let r = w.add_checkpoint(&log.request(3, 9));
    assert_eq!(
        (r.status, r.content_type, r.body.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );
    // 400: the old size is larger than the checkpoint's.
    let rollback = AddCheckpoint {
        old_size: 5,
        proof: vec![],
        checkpoint: log.checkpoint(3),
    };
    assert_eq!(status(&w.add_checkpoint(&rollback.to_bytes())), 400);
    // 422: a proof that does not verify.
    let mut bad = AddCheckpoint::parse(&log.request(5, 9)).expect("parse");
    bad.proof[0].0[0] ^= 1;
    assert_eq!(status(&w.add_checkpoint(&bad.to_bytes())), 422);
    // 422: a fork (another tree of 9 leaves, sharing nothing after leaf 5 but claiming to).
    let fork = TestLog::new(1, 40, "b");
    let forked = AddCheckpoint {
        old_size: 5,
        proof: fork.proof(5, 9),
        checkpoint: fork.checkpoint(9),
    };
    assert_eq!(status(&w.add_checkpoint(&forked.to_bytes())), 422);
    // 422: the same size with another root.
    let same_size = AddCheckpoint {
        old_size: 5,
        proof: vec![],
        checkpoint: fork.checkpoint(5),
    };
    assert_eq!(status(&w.add_checkpoint(&same_size.to_bytes())), 422);
    // The same size and root again: cosigned again.
    assert_eq!(status(&w.add_checkpoint(&log.request(5, 5))), 200);
    // 404: a log it does not know.
    let other = NoteSigner::new("elsewhere.test/log", SigningKey::from_bytes(&[9; 32]));
    let text = Checkpoint {
        origin: "elsewhere.test/log".into(),
        size: 1,
        root: log.root(1),
        extensions: vec![],
    }
    .text()
    .expect("text");
    let unknown = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: signed_note(&text, &[&other]).expect("note"),
    };
    assert_eq!(status(&w.add_checkpoint(&unknown.to_bytes())), 404);
    // 403: signed by another key under the log's name.
    let impostor = TestLog::new(2, 40, "a");
    let r = w.add_checkpoint(&impostor.request(5, 9));
    assert_eq!(r.status, 403, "{}", r.body);
    // 403: the log's key ID and name, but the signature broken.
    let mut note = log.checkpoint(9);
    let len = note.len();
    note[len - 3] = if note[len - 3] == b'A' { b'B' } else { b'A' };
    let broken = AddCheckpoint {
        old_size: 5,
        proof: log.proof(5, 9),
        checkpoint: note,
    };
    assert_eq!(status(&w.add_checkpoint(&broken.to_bytes())), 403);
    // 400: malformed bodies, 64 proof lines, a note without signatures.
    assert_eq!(status(&w.add_checkpoint(b"old 5\n")), 400);
    assert_eq!(status(&w.add_checkpoint(b"new 5\n\n")), 400);
    let many = AddCheckpoint {
        old_size: 5,
        proof: vec![Hash32([1; 32]); 64],
        checkpoint: log.checkpoint(9),
    };
    assert_eq!(status(&w.add_checkpoint(&many.to_bytes())), 400);
    let mut unsigned = b"old 5\n\n".to_vec();
    unsigned.extend_from_slice(&note_text(&log.checkpoint(9)));
    assert_eq!(status(&w.add_checkpoint(&unsigned)), 400);

    // None of that moved the witness; the signed refusals are kept as evidence (409, 400 for
    // the rollback, 422 ×3 after the first cosignature, 422 ×2 before it).
    assert_eq!(w.latest(ORIGIN), Some((5, log.root(5))));
    assert_eq!(w.refused_count(), 7);
    // And the log goes on: 5 → 9 → 40.
    assert_eq!(status(&w.add_checkpoint(&log.request(5, 9))), 200);
    assert_eq!(status(&w.add_checkpoint(&log.request(9, 40))), 200);
    assert_eq!(w.latest(ORIGIN), Some((40, log.root(40))));
}

#[test]
fn concurrent_submissions_never_roll_back() {
    let dir = temp_dir("race");
    let log = Arc::new(TestLog::new(1, 200, "a"));
    let w = Arc::new(witness(&dir, &[log.log()], 1_700_000_000));
    let max_seen = Arc::new(AtomicU64::new(0));
    // Eight clients, each submitting from what it believes is the latest size to a bigger one:
    // most lose the race (409) and retry from the size the witness names.
    let threads: Vec<_> = (0..8)
        .map(|k| {
            let (w, log, max_seen) = (w.clone(), log.clone(), max_seen.clone());
            std::thread::spawn(move || {
                let mut old = 0usize;
                let mut cosigned = Vec::new();
                for step in 0..60 {
                    let new = (old + 1 + (k + step) % 5).min(200);
                    let r = w.add_checkpoint(&log.request(old, new));
                    match r.status {
                        200 => {
                            cosigned.push(new);
                            max_seen.fetch_max(new as u64, Ordering::SeqCst);
                            old = new;
                        }
                        409 => old = r.body.trim().parse().expect("a size"),
                        s => panic!("unexpected {s}: {}", r.body),
                    }
                    if old == 200 {
                        break;
                    }
                }
                cosigned
            })
        })
        .collect();
    for t in threads {
        let sizes = t.join().expect("thread");
        assert!(sizes.windows(2).all(|p| p[0] <= p[1]), "{sizes:?}");
    }
    // The witness's history of cosigned sizes never decreases.
    let db = rusqlite::Connection::open(dir.join(fairdraw_witness::DB_FILE)).expect("db");
    let mut q = db
        .prepare("SELECT size FROM cosigned WHERE origin = ?1 ORDER BY id")
        .expect("query");
    let sizes: Vec<i64> = q
        .query_map([ORIGIN], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("sizes");
    assert!(sizes.len() > 8, "{sizes:?}");
    assert!(sizes.windows(2).all(|p| p[0] <= p[1]), "{sizes:?}");
    let latest = w.latest(ORIGIN).expect("latest").0;
    assert_eq!(latest, max_seen.load(Ordering::SeqCst));
    assert_eq!(latest, *sizes.last().expect("one") as u64);
}

/// The real binary: started, fed, killed with SIGKILL right after a cosignature, restarted.
struct Proc {
    child: std::process::Child,
    base: String,
}

impl Proc {
    fn start(dir: &Path, log_vkey: &str) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fairdraw-witness"))
            .args(["serve", "--data"])
            .arg(dir)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--name",
                "notary.test/witness",
                "--log",
            ])
            .arg(log_vkey)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("address line")
            .to_owned();
        Self { child, base }
    }

    fn post(&self, body: Vec<u8>) -> (u16, String, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("{}/add-checkpoint", self.base))
                .body(body)
                .send()
                .await
                .expect("send");
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, ct, r.text().await.expect("body"))
        })
    }

    fn get(&self, path: &str) -> (u16, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            let r = reqwest::Client::new()
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("send");
            (r.status().as_u16(), r.text().await.expect("body"))
        })
    }

    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

#[test]
fn no_fork_or_rollback_after_kill_9_and_restart() {
    let dir = temp_dir("kill9");
    let log = TestLog::new(1, 64, "a");
    let fork = TestLog::new(1, 64, "b");
    let vkey = log.signer.vkey();

    let p = Proc::start(&dir, &vkey);
    // C2SP's monitoring read: nothing cosigned yet for this origin, and an unknown origin.
    let monitor = format!("/{}/checkpoint", Hash32::sha256(ORIGIN.as_bytes()).to_hex());
    assert_eq!(p.get(&monitor).0, 404);
    assert_eq!(
        p.get(&format!(
            "/{}/checkpoint",
            Hash32::sha256(b"other").to_hex()
        ))
        .0,
        404
    );
    let (s, _, body) = p.post(log.request(0, 10));
    assert_eq!(s, 200, "{body}");
    let (s, _, _) = p.post(log.request(10, 20));
    assert_eq!(s, 200);
    p.kill9();

    let p = Proc::start(&dir, &vkey);
    // It remembers 20: a client starting from 0 learns it.
    let (s, ct, body) = p.post(log.request(0, 30));
    assert_eq!(
        (s, ct.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "20\n")
    );
    // A fork of size 30 from 20, and the same size 20 with another root: refused.
    let forked = AddCheckpoint {
        old_size: 20,
        proof: fork.proof(20, 30),
        checkpoint: fork.checkpoint(30),
    };
    assert_eq!(p.post(forked.to_bytes()).0, 422);
    let same = AddCheckpoint {
        old_size: 20,
        proof: vec![],
        checkpoint: fork.checkpoint(20),
    };
    assert_eq!(p.post(same.to_bytes()).0, 422);
    // A rollback to 10: refused.
    assert_eq!(p.post(log.request(10, 15)).0, 409);
    // A body over the limit: refused, nothing stored.
    assert_eq!(p.post(vec![b'x'; 200 * 1024]).0, 413);
    // The real log goes on.
    let (s, _, body) = p.post(log.request(20, 64));
    assert_eq!(s, 200, "{body}");
    // The monitoring read serves the latest: the checkpoint of 64, the log's signature that
    // verified and this cosignature, as one note (cloudflare's signed_note verifies the log's).
    let (s, served) = p.get(&monitor);
    assert_eq!(s, 200, "{served}");
    let expected = [log.checkpoint(64), body.clone().into_bytes()].concat();
    assert_eq!(served.as_bytes(), expected.as_slice());
    let list = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(&vkey).expect("vkey"),
    )]);
    let (ok, unknown) = signed_note::Note::from_bytes(served.as_bytes())
        .expect("note")
        .verify(&list)
        .expect("the log's signature verifies");
    assert_eq!((ok.len(), unknown.len()), (1, 1));
    p.kill9();

    // The key file is private and `vkey` prints the same key the cosignatures verify under.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(fairdraw_witness::KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fairdraw-witness"))
        .args(["vkey", "--data"])
        .arg(&dir)
        .output()
        .expect("vkey");
    let printed = String::from_utf8(out.stdout).expect("utf8");
    let k = fairdraw_core::note::parse_cosigner_vkey(printed.trim()).expect("a cosigner vkey");
    assert_eq!(k.name, "notary.test/witness");
    let key = VerifyingKey::from_bytes(&k.public_key).expect("key");
    check_cosignature(&body, &note_text(&log.checkpoint(64)), &k.name, &key);
}

#[test]
fn third_party_code_agrees_with_the_bytes() {
    // cloudflare's tlog_tiles reads the checkpoint text the core writes …
    let log = TestLog::new(1, 37, "a");
    let note = log.checkpoint(37);
    let text = note_text(&note);
    let c = tlog_tiles::Checkpoint::from_bytes(&text).expect("tlog_tiles parses it");
    assert_eq!((c.origin(), c.size()), (ORIGIN, 37));
    assert_eq!(c.hash().0, log.root(37).0);
    // … its consistency check accepts the core's RFC 6962 proofs …
    for old in [1usize, 2, 5, 16, 20, 36, 37] {
        let proof: Vec<tlog_tiles::Hash> = log
            .proof(old, 37)
            .iter()
            .map(|h| tlog_tiles::Hash(h.0))
            .collect();
        tlog_tiles::check_tree(
            &proof,
            37,
            tlog_tiles::Hash(log.root(37).0),
            old as u64,
            tlog_tiles::Hash(log.root(old).0),
        )
        .unwrap_or_else(|e| panic!("proof from {old}: {e:?}"));
    }
    // … and signed_note verifies the log's signature the core wrote.
    let n = signed_note::Note::from_bytes(&note).expect("signed_note parses it");
    let v = signed_note::StandardVerifier::new(&log.signer.vkey()).expect("vkey");
    n.verify(&signed_note::VerifierList::new(vec![Box::new(v)]))
        .expect("signed_note verifies it");

    // The other way: a log signing with signed_note's own signer and key format (Go's
    // sumdb/note layout) is cosigned by the witness.
    let skey = "PRIVATE+KEY+fairdraw.test/dazhou-2026/1+";
    let mut rng = rand_core_06();
    let (sk, vk) = signed_note::generate_key(&mut rng, ORIGIN);
    assert!(sk.starts_with(skey));
    let signer = signed_note::StandardSigner::new(&sk).expect("signer");
    let mut theirs = signed_note::Note::new(&text, &[]).expect("note");
    theirs.add_sigs(&[&signer]).expect("sign");
    let dir = temp_dir("interop");
    let w = witness(
        &dir,
        &[Log::from_vkey(&vk).expect("their vkey")],
        1_700_000_001,
    );
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: theirs.to_bytes(),
    };
    let r = w.add_checkpoint(&req.to_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    // signed_note reads the cosigned note (checkpoint + the witness's line) and, knowing only
    // the log's key, verifies it and sets the cosignature aside as from an unknown key.
    let mut cosigned = theirs.to_bytes();
    cosigned.extend_from_slice(r.body.as_bytes());
    let n = signed_note::Note::from_bytes(&cosigned).expect("parses");
    let v = signed_note::StandardVerifier::new(&vk).expect("vkey");
    let (ok, unknown) = n
        .verify(&signed_note::VerifierList::new(vec![Box::new(v)]))
        .expect("verifies");
    assert_eq!((ok.len(), unknown.len()), (1, 1));
    assert_eq!(unknown[0].name(), "notary.test/witness");
}

/// signed_note 0.2 takes a rand_core 0.6 RNG; a fixed-seed one is enough for a test key.
fn rand_core_06() -> impl rand_core_06::CryptoRng + rand_core_06::RngCore {
    struct Counter(u8);
    impl rand_core_06::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.0 = self.0.wrapping_add(1);
            u32::from(self.0)
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                self.0 = self.0.wrapping_add(7);
                *b = self.0;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core_06::CryptoRng for Counter {}
    Counter(0)
}
