//! Storage: the [`Store`] the handlers use, over SQLite (one file, WAL, `synchronous=FULL`; this
//! module) or PostgreSQL (pg.rs).
//!
//! Every write goes through one writer thread per server that takes whatever jobs are queued
//! and runs them in one transaction (group commit), each job in its own savepoint so a refused
//! job rolls back alone. A job's caller is answered only after the commit is durable, and the
//! in-memory ledger (leaf hashes for proofs and roots) is extended in index order before anyone
//! is answered. Leaf indexes are assigned inside the transaction from the table itself: no
//! gaps, no reuse. On PostgreSQL several servers share the database, and each batch first takes
//! the database's write lock, so one batch at a time, from whichever server, is the sequencer.

use crate::sql::{self, Conn};
use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle::MerkleLevels;
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

/// The schema, applied in order; `PRAGMA user_version` counts the ones applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    rules_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open')),
    rules_hash TEXT,
    opened_at_ms INTEGER,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE draws (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    draw_index INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('collecting', 'frozen', 'drawn', 'published')),
    tree_head_json TEXT,
    record_json TEXT,
    PRIMARY KEY (campaign_id, draw_index)
);
CREATE TABLE commitments (
    campaign_id TEXT NOT NULL,
    draw_index INTEGER NOT NULL,
    party TEXT NOT NULL,
    commitment TEXT NOT NULL,
    published_at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, party)
);
CREATE TABLE entries (
    campaign_id TEXT NOT NULL,
    draw_index INTEGER NOT NULL,
    leaf_index INTEGER NOT NULL,
    ticket_id BLOB NOT NULL UNIQUE,
    fingerprint BLOB NOT NULL,
    participant BLOB NOT NULL,
    leaf_json TEXT NOT NULL,
    leaf_hash BLOB NOT NULL,
    phone TEXT NOT NULL,
    receipt TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    entry_day INTEGER NOT NULL,
    entered_at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, leaf_index),
    UNIQUE (campaign_id, fingerprint)
);
CREATE INDEX entries_person_day ON entries (campaign_id, participant, entry_day);
CREATE INDEX entries_person_merchant ON entries (campaign_id, participant, merchant_id);
CREATE TABLE forfeits (
    campaign_id TEXT NOT NULL,
    draw_index INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, rank)
);
CREATE TABLE organizer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"#,
    // One covering index serves all three cap counts (per day, per campaign, per merchant: a
    // person's rows are few, bounded by the caps); one index fewer to update per entry.
    r#"
DROP INDEX entries_person_day;
DROP INDEX entries_person_merchant;
CREATE INDEX entries_person ON entries (campaign_id, participant, entry_day, merchant_id);
"#,
    // Protocol v2: leaves commit to the masked phone with a per-entry salt (opened only for
    // winners and alternates); the freeze replaces the frozen tree head; reveals are recorded
    // with the time the server received them. The `participant` column now holds the server's
    // private per-campaign person key (for the caps), not the per-draw public pseudonym.
    r#"
ALTER TABLE entries ADD COLUMN phone_salt BLOB;
ALTER TABLE entries ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;
ALTER TABLE draws RENAME COLUMN tree_head_json TO freeze_json;
CREATE TABLE reveals (
    campaign_id TEXT NOT NULL,
    draw_index INTEGER NOT NULL,
    party TEXT NOT NULL,
    secret TEXT NOT NULL,
    revealed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, party)
);
"#,
    // Forfeits in the order they were made, a prize possibly more than once: an alternate who
    // stepped in can forfeit in turn, and the prize passes to the next unused alternate.
    r#"
CREATE TABLE forfeits_v2 (
    campaign_id TEXT NOT NULL,
    draw_index INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, seq)
);
INSERT INTO forfeits_v2 (campaign_id, draw_index, seq, rank, at_ms)
    SELECT campaign_id, draw_index,
           ROW_NUMBER() OVER (PARTITION BY campaign_id, draw_index ORDER BY at_ms, rank) - 1,
           rank, at_ms
    FROM forfeits;
DROP TABLE forfeits;
ALTER TABLE forfeits_v2 RENAME TO forfeits;
"#,
    // The proof bundle of a drawn record (SPEC.md §12.1), made once when the record is accepted.
    r#"
ALTER TABLE draws ADD COLUMN bundle_json TEXT;
"#,
    // A shopper's retry whose first answer was lost: the client's idempotency key, so the same
    // key and receipt get the same ticket back.
    r#"
ALTER TABLE entries ADD COLUMN idem_key TEXT;
"#,
    // The campaign's witnessed journal (SPEC.md §17): commitments, freezes and reveals as log
    // entries, and each witness's cosignature of the journal's checkpoints.
    r#"
CREATE TABLE journal (
    campaign_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    leaf_hash BLOB NOT NULL,
    PRIMARY KEY (campaign_id, idx)
);
CREATE TABLE cosignatures (
    campaign_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    witness INTEGER NOT NULL,
    line TEXT NOT NULL,
    time INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, size, witness)
);
"#,
];

/// The leaf hashes of one draw's ledger, in index order, with its compact tree.
#[derive(Debug, Default, Clone)]
pub struct DrawLedger {
    /// The RFC 6962 tree with every complete subtree's root kept: roots at any size and
    /// inclusion and consistency proofs in O(log² n), without copying the leaves.
    pub tree: MerkleLevels,
}

/// Ledger caches by (campaign id, draw index).
pub type Ledgers = Arc<RwLock<HashMap<(String, u32), DrawLedger>>>;

/// Something a job changes in memory once its transaction commits.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A leaf was appended.
    AppendLeaf {
        /// Campaign id.
        campaign_id: String,
        /// Draw index.
        draw_index: u32,
        /// Its index.
        leaf_index: u64,
        /// Its leaf hash.
        leaf_hash: Hash32,
    },
}

/// What a job tells the writer: keep its changes or roll them back, and how to answer once the
/// batch's commit succeeded (`true`) or failed (`false`).
pub struct JobOutcome {
    /// Keep this job's writes.
    pub keep: bool,
    /// Called after the commit.
    pub finish: Box<dyn FnOnce(bool) + Send>,
}

/// An entry to append, as the handler made it: everything but its leaf index.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Campaign id.
    pub campaign_id: String,
    /// Its draw.
    pub draw_index: u32,
    /// The leaf, its index still 0.
    pub leaf: fairdraw_core::ledger::Leaf,
    /// The person key the caps count by.
    pub person: [u8; 32],
    /// The full phone number.
    pub phone: String,
    /// The receipt as entered.
    pub receipt: String,
    /// The day of entry (`yyyymmdd`).
    pub entry_day: u32,
    /// The salt of the leaf's phone commitment.
    pub phone_salt: [u8; 16],
    /// The client's idempotency key.
    pub idem_key: Option<String>,
}

/// A stored entry: its leaf (index assigned), its phone salt, and whether an earlier attempt
/// with the same idempotency key stored it.
pub type Stored = (fairdraw_core::ledger::Leaf, [u8; 16], bool);

/// Why an entry was not appended.
#[derive(Debug)]
pub enum Refusal {
    /// Ineligible (duplicate receipt, a cap reached).
    Rejected(fairdraw_core::receipt::Rejection),
    /// The draw is frozen.
    DrawClosed,
    /// Stored, but not placed in the ledger in time (the sequencer is being replaced): the same
    /// idempotency key gets the ticket shortly.
    Queued,
}

/// A write job: runs inside the batch's transaction, in its own savepoint.
pub type Job = Box<dyn FnOnce(Conn, &mut Vec<Effect>) -> JobOutcome + Send>;

/// The writer thread has stopped (the server is shutting down).
#[derive(Debug, Clone, Copy)]
pub struct StoreClosed;

/// The storage the HTTP layer uses: a queue of write jobs committed in groups, reads on pooled
/// connections, and the in-memory ledgers. The protocol (`fairdraw-core`) never sees storage;
/// the jobs and reads speak db.rs's vocabulary over either backend.
pub enum Store {
    /// Embedded SQLite (the default).
    Sqlite(SqliteStore),
    /// PostgreSQL, possibly shared by several servers.
    Postgres(crate::pg::PgStore),
}

impl Store {
    /// Queues a write job for the group-committing writer.
    pub fn write(&self, job: Job) -> Result<(), StoreClosed> {
        match self {
            Store::Sqlite(s) => s.jobs.send(job).map_err(|_| StoreClosed),
            Store::Postgres(p) => p.write(job),
        }
    }

    /// Runs a read on a pooled connection (blocking: call it from the blocking pool).
    pub fn read<T>(&self, f: impl FnOnce(Conn) -> sql::Result<T>) -> sql::Result<T> {
        match self {
            Store::Sqlite(s) => s.read(|c| f(Conn::Lite(c))),
            Store::Postgres(p) => p.read(f),
        }
    }

    /// The in-memory ledgers.
    pub fn ledgers(&self) -> &Ledgers {
        match self {
            Store::Sqlite(s) => &s.ledgers,
            Store::Postgres(p) => p.ledgers(),
        }
    }

    /// Runs a job and waits for its answer (for startup tasks and tests).
    pub fn write_wait<T: Send + 'static>(
        &self,
        f: impl FnOnce(Conn) -> sql::Result<T> + Send + 'static,
    ) -> sql::Result<T> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |conn, _| {
            let result = f(conn);
            let keep = result.is_ok();
            JobOutcome {
                keep,
                finish: Box::new(move |committed| {
                    let _ = tx.send(match (result, committed) {
                        (Ok(v), true) => Ok(v),
                        (Ok(_), false) => Err(sql::Error::Unavailable("not committed".into())),
                        (Err(e), _) => Err(e),
                    });
                }),
            }
        });
        let stopped = || sql::Error::Unavailable("the write was not run".into());
        self.write(job).map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }

    /// Whether this store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }
}

/// Reads the leaves of a draw that the database holds beyond the in-memory ledger (appended by
/// another server) into it.
pub fn catch_up(c: Conn, ledgers: &Ledgers, campaign_id: &str, draw_index: u32) -> sql::Result<()> {
    let key = (campaign_id.to_owned(), draw_index);
    let known = ledgers
        .read()
        .map_err(|_| sql::Error::data("ledger lock poisoned"))?
        .get(&key)
        .map_or(0, |l| l.tree.size());
    let more = crate::db::leaf_hashes_from(c, campaign_id, draw_index, known)?;
    extend(ledgers, key, known, more);
    Ok(())
}

/// Extends a draw's in-memory ledger with leaf hashes read from the database, the first at
/// index `from`, in order. Another thread may have extended it meanwhile: only what it still
/// lacks is pushed.
pub(crate) fn extend(
    ledgers: &Ledgers,
    draw: (String, u32),
    from: u64,
    hashes: impl IntoIterator<Item = Hash32>,
) {
    let Ok(mut map) = ledgers.write() else {
        return;
    };
    let tree = &mut map.entry(draw).or_default().tree;
    for (i, h) in (from..).zip(hashes) {
        if i == tree.size() {
            tree.push_hash(h);
        }
    }
}

/// Runs one batch of jobs in one transaction (opened by `begin`; on PostgreSQL it takes the
/// write lock too), each in its own savepoint, then applies their
/// effects to the in-memory ledgers and answers them. An error when the connection failed: the
/// jobs not answered are dropped, so their callers' channels close and they answer 503
/// (nothing was stored; a retry may succeed).
pub(crate) fn run_batch(
    conn: Conn,
    begin: &str,
    batch: Vec<Job>,
    ledgers: &Ledgers,
) -> sql::Result<()> {
    conn.batch(begin)?;
    let mut effects = Vec::new();
    let mut finishers = Vec::with_capacity(batch.len());
    let mut broken = None;
    for job in batch {
        if broken.is_some() {
            continue;
        }
        let mark = effects.len();
        if let Err(e) = conn.control("SAVEPOINT job") {
            broken = Some(e);
            continue;
        }
        let outcome = job(conn, &mut effects);
        let settled = if outcome.keep {
            conn.control("RELEASE job")
        } else {
            effects.truncate(mark);
            conn.control("ROLLBACK TO job")
                .and_then(|()| conn.control("RELEASE job"))
        };
        if let Err(e) = settled {
            broken = Some(e);
        }
        finishers.push(outcome.finish);
    }
    let committed = match broken {
        Some(_) => false,
        None => match conn.batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                broken = Some(e);
                false
            }
        },
    };
    if !committed {
        let _ = conn.batch("ROLLBACK");
    }
    if committed && !effects.is_empty() {
        apply(conn, effects, ledgers);
    }
    for f in finishers {
        f(committed);
    }
    broken.map_or(Ok(()), Err)
}

/// Extends the in-memory ledgers with a committed batch's leaves, in index order. A leaf past
/// the ledger's end means another server appended in between: the ledger reads what it lacks.
fn apply(conn: Conn, effects: Vec<Effect>, ledgers: &Ledgers) {
    for e in effects {
        let Effect::AppendLeaf {
            campaign_id,
            draw_index,
            leaf_index,
            leaf_hash,
        } = e;
        let key = (campaign_id, draw_index);
        let Ok(mut map) = ledgers.write() else {
            return;
        };
        let tree = &mut map.entry(key.clone()).or_default().tree;
        if leaf_index == tree.size() {
            tree.push_hash(leaf_hash);
        } else if leaf_index > tree.size() {
            drop(map);
            if let Err(e) = catch_up(conn, ledgers, &key.0, key.1) {
                tracing::error!(%e, "reading other servers' leaves failed");
            }
        }
    }
}

/// SQLite, one file, with a writer thread and a small pool of read connections.
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    /// Dropped with the store: the checkpointer then stops.
    _stop_checkpoints: mpsc::Sender<()>,
    readers: Mutex<Vec<Connection>>,
    path: std::path::PathBuf,
    ledgers: Ledgers,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk before it returns, so an acknowledged entry survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}

/// Largest number of jobs committed in one transaction.
const MAX_BATCH: usize = 512;

/// The next batch for a writer: the first job queued (waiting for it), and whatever else is
/// queued by then, up to [`MAX_BATCH`]; `None` once the store is gone.
pub(crate) fn next_batch(rx: &mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let mut batch = vec![rx.recv().ok()?];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn writer_loop(
    conn: Connection,
    wal: std::path::PathBuf,
    rx: mpsc::Receiver<Job>,
    ledgers: Ledgers,
) {
    while let Some(batch) = next_batch(&rx) {
        if let Err(e) = run_batch(Conn::Lite(&conn), "BEGIN IMMEDIATE", batch, &ledgers) {
            tracing::error!(%e, "write batch failed; it is rolled back");
        }
        // Between batches the writer holds no transaction: if the WAL has outgrown its bound
        // (passive checkpoints cannot finish while writes never stop), empty it here, where no
        // write can race it. The queue waits meanwhile; the pause is logged.
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
            let started = std::time::Instant::now();
            match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            }) {
                Ok(busy) => tracing::info!(
                    pause_ms = started.elapsed().as_millis() as u64,
                    completed = busy == 0,
                    "WAL truncated by the writer"
                ),
                Err(e) => tracing::warn!(%e, "truncating checkpoint failed"),
            }
        }
    }
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The WAL size past which the writer empties it between batches: under sustained writes
/// passive checkpoints never finish (a writer is always appending), and the WAL grew to
/// gigabytes.
pub const WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// Passive checkpoints (they never block the writer) every [`CHECKPOINT_EVERY`], until the
/// store is dropped. (When they cannot keep up, the writer truncates the WAL itself.)
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%e, "checkpoint failed");
        }
    }
}

impl SqliteStore {
    /// Opens (creating and migrating) the database and loads every ledger into memory.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = open(path)?;
        migrate(&conn)?;
        let mut map: HashMap<(String, u32), DrawLedger> = HashMap::new();
        crate::db::each_leaf_hash(Conn::Lite(&conn), |key, hash| {
            map.entry(key).or_default().tree.push_hash(hash);
        })
        .map_err(|e| match e {
            sql::Error::Sqlite(e) => e,
            other => rusqlite::Error::ToSqlConversionFailure(Box::new(other)),
        })?;
        let ledgers: Ledgers = Arc::new(RwLock::new(map));
        // Checkpoints (copying the WAL back into the database file, with its own fsyncs) run on
        // their own connection and thread, not inside the writer's commits, where they would
        // hold up every acknowledgement queued behind them.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // After a checkpoint resets the WAL, SQLite truncates the file back to this size.
        conn.pragma_update(None, "journal_size_limit", WAL_LIMIT as i64)?;
        let checkpointer = open(path)?;
        let (stop_checkpoints, stop) = mpsc::channel::<()>();
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let writer_wal = wal.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, stop))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let (tx, rx) = mpsc::channel::<Job>();
        let writer_ledgers = ledgers.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, writer_wal, rx, writer_ledgers))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(SqliteStore {
            jobs: tx,
            _stop_checkpoints: stop_checkpoints,
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
            ledgers,
        })
    }

    /// Runs a read on a pooled connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> sql::Result<T>) -> sql::Result<T> {
        let pooled = self.readers.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => open(&self.path)?,
        };
        let out = f(&conn);
        if let Ok(mut p) = self.readers.lock() {
            if p.len() < 8 {
                p.push(conn);
            }
        }
        out
    }
}
