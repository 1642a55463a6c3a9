//! `fairdraw-witness`: a C2SP tlog-witness (<https://c2sp.org/tlog-witness>).
//!
//! A witness knows some logs by their signed-note keys. For each log (by its checkpoint's origin
//! line) it remembers the latest checkpoint it cosigned, and cosigns a new one only when the
//! log's signature verifies and a consistency proof shows the new tree extends the old one. So
//! once a witness has cosigned a tree, nobody can get it to cosign a fork or a smaller tree:
//! not the log, not anyone replaying old requests, not a restart after `kill -9`. Its
//! cosignature (Ed25519 `cosignature/v1`) carries its own clock's time.
//!
//! Everything is here and in `main.rs`: the key file, the SQLite state, the one HTTP call.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use fairdraw_core::checkpoint::{
    Cosigner, KeyVerifier, Refusal, SignedRequest, check_request, read_request,
};
use fairdraw_core::hash::Hash32;
use fairdraw_core::note::{
    SIG_TYPE_COSIGNATURE, SIG_TYPE_ED25519, format_vkey, key_id, parse_vkey,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The key file in the data folder (mode 0600).
pub const KEY_FILE: &str = "cosigner.key";
/// The state database in the data folder.
pub const DB_FILE: &str = "witness.db";
/// The largest request body read: 63 proof lines and a checkpoint with many signatures.
pub const MAX_BODY: usize = 128 * 1024;

/// The witness's cosigner key and its name.
pub struct Identity {
    /// The key name (a schema-less URL, by convention).
    pub name: String,
    /// The Ed25519 private key.
    pub key: SigningKey,
}

impl Identity {
    /// The cosigner vkey (signature type 0x04).
    pub fn vkey(&self) -> String {
        format_vkey(
            &self.name,
            SIG_TYPE_COSIGNATURE,
            self.key.verifying_key().as_bytes(),
        )
    }
}

/// The private key's text: `PRIVATE+KEY+<name>+<key id>+base64(0x04 ‖ 32-byte seed)`, the
/// layout of Go's signed-note private keys with the cosignature type byte.
fn key_text(id: &Identity) -> String {
    let mut raw = vec![SIG_TYPE_COSIGNATURE];
    raw.extend_from_slice(id.key.as_bytes());
    format!(
        "PRIVATE+KEY+{}+{}+{}\n",
        id.name,
        hex::encode(key_id(
            &id.name,
            SIG_TYPE_COSIGNATURE,
            id.key.verifying_key().as_bytes()
        )),
        STANDARD.encode(raw)
    )
}

fn parse_key_text(text: &str) -> Result<Identity, String> {
    // Also reads keys whose base64 holds a `+` (see the test below).
    let rest = text
        .trim_end()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or("not a PRIVATE+KEY+ line")?;
    // The name and key ID hold no `+`; the base64 key may.
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("PRIVATE+KEY+<name>+<id>+<key>".into());
    };
    let raw = STANDARD.decode(b64).map_err(|_| "the key is not base64")?;
    let (&t, seed) = raw.split_first().ok_or("empty key")?;
    let seed: [u8; 32] = seed.try_into().map_err(|_| "a 32-byte seed")?;
    if t != SIG_TYPE_COSIGNATURE {
        return Err("a cosigner key (type 0x04)".into());
    }
    let key = SigningKey::from_bytes(&seed);
    let want = hex::encode(key_id(
        name,
        SIG_TYPE_COSIGNATURE,
        key.verifying_key().as_bytes(),
    ));
    if want != id {
        return Err("the key ID does not match the name and key".into());
    }
    Ok(Identity {
        name: name.to_owned(),
        key,
    })
}

/// Whether `name` can be a signed-note key name (non-empty, no spaces, no `+`).
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// Reads the witness's key from `dir`, or creates it (the folder 0700, the file 0600, written
/// whole and synced before use) under `name`. An existing key keeps its own name; asking for
/// another is an error rather than a silent surprise.
pub fn load_or_create_key(dir: &Path, name: Option<&str>) -> Result<Identity, String> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = parse_key_text(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if let Some(n) = name {
                if n != id.name {
                    return Err(format!(
                        "{} holds the key of {}, not {n}",
                        path.display(),
                        id.name
                    ));
                }
            }
            Ok(id)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = name.ok_or("no key yet: give --name, e.g. --name notary.example/witness")?;
            if !valid_key_name(name) {
                return Err(format!("{name:?} is not a key name (no spaces, no +)"));
            }
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("random: {e}"))?;
            let id = Identity {
                name: name.to_owned(),
                key: SigningKey::from_bytes(&seed),
            };
            create_private_dir(dir)?;
            write_private(&path, &key_text(&id))?;
            Ok(id)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A log the witness knows: its origin and signed-note key.
#[derive(Clone, Debug)]
pub struct Log {
    /// The origin line of its checkpoints (its key's name).
    pub origin: String,
    /// Its vkey (type 0x01).
    pub vkey: String,
}

impl Log {
    /// A log from its vkey: the key name is the origin (C2SP tlog-checkpoint: "the log's key
    /// name in its signature line SHOULD match the origin line").
    pub fn from_vkey(vkey: &str) -> Result<Self, String> {
        let k = parse_vkey(vkey).map_err(|e| format!("{vkey}: {e}"))?;
        if k.sig_type != SIG_TYPE_ED25519 {
            return Err(format!(
                "{vkey}: a log's key is an Ed25519 signed-note key (type 0x01)"
            ));
        }
        KeyVerifier::new(&k).map_err(|e| format!("{vkey}: {e}"))?;
        Ok(Self {
            origin: k.name,
            vkey: vkey.to_owned(),
        })
    }
}

/// What the witness answers: an HTTP status, a content type and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into() + "\n",
        }
    }
}

/// The witness: its identity, the logs it knows, its state.
pub struct Witness {
    id: Identity,
    logs: HashMap<String, Vec<String>>,
    db: Mutex<Connection>,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
}

/// POSIX seconds now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Witness {
    /// Opens the state in `dir` (creating it), for these logs, with the system clock.
    pub fn open(dir: &Path, id: Identity, logs: &[Log]) -> Result<Self, String> {
        Self::open_with_clock(dir, id, logs, Box::new(unix_now))
    }

    /// [`Witness::open`] with a clock (POSIX seconds).
    pub fn open_with_clock(
        dir: &Path,
        id: Identity,
        logs: &[Log],
        clock: Box<dyn Fn() -> u64 + Send + Sync>,
    ) -> Result<Self, String> {
        let path: PathBuf = dir.join(DB_FILE);
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // WAL with synchronous=FULL: a commit is on disk before the reply goes out, so a
        // cosigned size survives kill -9 and power loss.
        db.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS latest (
                 origin TEXT PRIMARY KEY,
                 size INTEGER NOT NULL,
                 root BLOB NOT NULL,
                 note BLOB NOT NULL,
                 cosigned_at INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS cosigned (
                 id INTEGER PRIMARY KEY,
                 origin TEXT NOT NULL,
                 size INTEGER NOT NULL,
                 root BLOB NOT NULL,
                 time INTEGER NOT NULL,
                 note BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS refused (
                 id INTEGER PRIMARY KEY,
                 origin TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 status INTEGER NOT NULL,
                 reason TEXT NOT NULL,
                 body BLOB NOT NULL
             );",
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut by_origin: HashMap<String, Vec<String>> = HashMap::new();
        for l in logs {
            by_origin
                .entry(l.origin.clone())
                .or_default()
                .push(l.vkey.clone());
        }
        Ok(Self {
            id,
            logs: by_origin,
            db: Mutex::new(db),
            clock,
        })
    }

    /// The cosigner vkey.
    pub fn vkey(&self) -> String {
        self.id.vkey()
    }

    /// The latest cosigned size and root for `origin`.
    pub fn latest(&self, origin: &str) -> Option<(u64, Hash32)> {
        let db = self.db.lock().ok()?;
        read_latest(&db, origin).ok().flatten()
    }

    /// The latest cosigned checkpoint of the log whose origin hashes (SHA-256, lowercase hex) to
    /// `origin_hash`, as C2SP tlog-witness's monitoring API serves it: the note with the log's
    /// verified signatures and this witness's cosignature.
    pub fn checkpoint_by_origin_hash(&self, origin_hash: &str) -> Option<Vec<u8>> {
        let origin = self
            .logs
            .keys()
            .find(|o| Hash32::sha256(o.as_bytes()).to_hex() == origin_hash)?;
        let db = self.db.lock().ok()?;
        db.query_row("SELECT note FROM latest WHERE origin = ?1", [origin], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()
        .ok()
        .flatten()
    }

    /// How many requests were refused after the log's signature verified (kept as evidence).
    pub fn refused_count(&self) -> u64 {
        self.db
            .lock()
            .ok()
            .and_then(|db| {
                db.query_row("SELECT count(*) FROM refused", [], |r| r.get::<_, i64>(0))
                    .ok()
            })
            .map_or(0, |n| n as u64)
    }

    /// `POST /add-checkpoint`, exactly as C2SP tlog-witness says (the checks are the core's
    /// [`read_request`] and [`check_request`]; SPEC.md §16.4).
    pub fn add_checkpoint(&self, body: &[u8]) -> Reply {
        let signed = match read_request(body, &|origin| self.logs.get(origin).cloned()) {
            Ok(s) => s,
            Err(r) => return Reply::from(r),
        };
        // From here the request is signed by the log: a refusal is kept as evidence.
        let mut db = match self.db.lock() {
            Ok(db) => db,
            Err(_) => return Reply::text(500, "the witness's state is unavailable"),
        };
        let now = (self.clock)();
        match check_and_cosign(&mut db, &self.id, &signed, now) {
            Ok(reply) => reply,
            Err(reply) => {
                if reply.status < 500 {
                    let kept = db.execute(
                        "INSERT INTO refused (origin, received_at, status, reason, body)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            signed.checkpoint.origin,
                            now as i64,
                            reply.status,
                            reply.body.trim_end(),
                            body
                        ],
                    );
                    if let Err(e) = kept {
                        eprintln!("fairdraw-witness: could not keep refused request: {e}");
                    }
                }
                reply
            }
        }
    }
}

impl From<Refusal> for Reply {
    fn from(r: Refusal) -> Self {
        Self {
            status: r.status,
            content_type: r.content_type,
            body: r.body,
        }
    }
}

fn read_latest(db: &Connection, origin: &str) -> rusqlite::Result<Option<(u64, Hash32)>> {
    db.query_row(
        "SELECT size, root FROM latest WHERE origin = ?1",
        [origin],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
    )
    .optional()
    .map(|o| {
        o.map(|(s, root)| {
            let mut h = [0u8; 32];
            if root.len() == 32 {
                h.copy_from_slice(&root);
            }
            (s as u64, Hash32(h))
        })
    })
}

/// The check and the update in one immediate transaction: two requests for one log are
/// serialised by SQLite (also across processes sharing the folder), so a cosignature for N
/// can never be given after one for N + K.
fn check_and_cosign(
    db: &mut Connection,
    id: &Identity,
    signed: &SignedRequest,
    now: u64,
) -> Result<Reply, Reply> {
    let internal = |e: rusqlite::Error| Reply::text(500, format!("state: {e}"));
    let cp = &signed.checkpoint;
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)?;
    let latest = read_latest(&tx, &cp.origin).map_err(internal)?;
    check_request(signed, latest).map_err(Reply::from)?;
    // Never stamp 0 (C2SP: the timestamp MUST NOT be zero).
    let time = now.max(1);
    let line = Cosigner::new(&id.name, id.key.clone(), time).line(&signed.text);
    // The checkpoint as C2SP's monitoring API serves it: the text, the log's signatures that
    // verified, and this witness's cosignature.
    let mut note = signed.text.clone();
    note.push(b'\n');
    note.extend_from_slice(&signed.log_signatures);
    note.extend_from_slice(line.as_bytes());
    tx.execute(
        "INSERT INTO latest (origin, size, root, note, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (origin) DO UPDATE SET size = ?2, root = ?3, note = ?4, cosigned_at = ?5",
        params![
            cp.origin,
            cp.size as i64,
            cp.root.0.to_vec(),
            note,
            time as i64
        ],
    )
    .map_err(internal)?;
    tx.execute(
        "INSERT INTO cosigned (origin, size, root, time, note) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            cp.origin,
            cp.size as i64,
            cp.root.0.to_vec(),
            time as i64,
            note
        ],
    )
    .map_err(internal)?;
    tx.commit().map_err(internal)?;
    Ok(Reply {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        body: line,
    })
}

/// The HTTP service: `POST /add-checkpoint`, and C2SP's monitoring read
/// `GET /<origin hash>/checkpoint` (the same prefix for both).
pub fn router(w: Arc<Witness>) -> axum::Router {
    use axum::body::Bytes;
    use axum::extract::{DefaultBodyLimit, Path, State};
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    async fn add(State(w): State<Arc<Witness>>, body: Bytes) -> axum::response::Response {
        let w2 = w.clone();
        let reply = tokio::task::spawn_blocking(move || w2.add_checkpoint(&body))
            .await
            .unwrap_or_else(|_| Reply::text(500, "internal error"));
        let status =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        eprintln!("fairdraw-witness: add-checkpoint {}", reply.status);
        (
            status,
            [(header::CONTENT_TYPE, reply.content_type)],
            reply.body,
        )
            .into_response()
    }
    async fn latest(
        State(w): State<Arc<Witness>>,
        Path(hash): Path<String>,
    ) -> axum::response::Response {
        let w2 = w.clone();
        let found = tokio::task::spawn_blocking(move || w2.checkpoint_by_origin_hash(&hash))
            .await
            .ok()
            .flatten();
        match found {
            Some(note) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                note,
            )
                .into_response(),
            None => (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "no checkpoint cosigned for that origin\n",
            )
                .into_response(),
        }
    }
    axum::Router::new()
        .route("/add-checkpoint", axum::routing::post(add))
        .route("/{origin_hash}/checkpoint", axum::routing::get(latest))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_round_trips_for_every_base64_alphabet() {
        // Seeds whose base64 holds `+` and `/` (once a flaky restart: the key file was split at
        // every `+`).
        for b in [0u8, 0xfb, 0xff, 0x3e] {
            let id = Identity {
                name: "notary.test/witness".into(),
                key: SigningKey::from_bytes(&[b; 32]),
            };
            let back = parse_key_text(&key_text(&id)).expect("reads");
            assert_eq!(back.key.as_bytes(), id.key.as_bytes());
            assert_eq!(back.vkey(), id.vkey());
        }
    }
}
