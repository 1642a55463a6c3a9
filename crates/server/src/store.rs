//! Storage: the [`Store`] trait and its SQLite implementation (one file, WAL, `synchronous=FULL`).
//!
//! Every write goes through one writer thread that takes whatever jobs are queued and runs them
//! in one transaction (group commit), each job in its own savepoint so a refused job rolls back
//! alone. A job's caller is answered only after the commit is durable, and the in-memory ledger
//! (leaf hashes for proofs and roots) is extended in index order before anyone is answered.
//! Leaf indexes are assigned inside the transaction from the table itself: no gaps, no reuse.

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

/// A write job: runs inside the batch's transaction, in its own savepoint.
pub type Job = Box<dyn FnOnce(&Connection, &mut Vec<Effect>) -> JobOutcome + Send>;

/// The storage interface the HTTP layer uses: a queue of write jobs committed in groups, pooled
/// reads, and the in-memory ledgers. SQLite implements it. The protocol (`fairdraw-core`) never
/// sees storage, so a PostgreSQL implementation would not touch it; the handlers' jobs, though,
/// are written against `rusqlite::Connection`, so they would be ported with it.
pub trait Store: Send + Sync + 'static {
    /// Queues a write job for the group-committing writer.
    fn write(&self, job: Job) -> Result<(), StoreClosed>;
    /// Runs a read on a pooled connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T>
    where
        Self: Sized;
    /// The in-memory ledgers.
    fn ledgers(&self) -> &Ledgers;
}

/// The writer thread has stopped (the server is shutting down).
#[derive(Debug, Clone, Copy)]
pub struct StoreClosed;

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

fn writer_loop(
    conn: Connection,
    wal: std::path::PathBuf,
    rx: mpsc::Receiver<Job>,
    ledgers: Ledgers,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut effects = Vec::new();
        let mut finishers = Vec::with_capacity(batch.len());
        let began = conn.execute_batch("BEGIN IMMEDIATE");
        for job in batch {
            if began.is_err() {
                // No transaction: run nothing, answer failure.
                let outcome = job(&conn, &mut Vec::new());
                (outcome.finish)(false);
                continue;
            }
            let mark = effects.len();
            let outcome = match conn
                .prepare_cached("SAVEPOINT job")
                .and_then(|mut st| st.execute([]))
            {
                Ok(_) => job(&conn, &mut effects),
                Err(e) => {
                    tracing::error!(%e, "savepoint failed");
                    finishers.push(Box::new(|_| {}) as Box<dyn FnOnce(bool) + Send>);
                    continue;
                }
            };
            let run = |sql: &str| {
                conn.prepare_cached(sql)
                    .and_then(|mut st| st.execute([]))
                    .map(|_| ())
            };
            let settled = if outcome.keep {
                run("RELEASE job")
            } else {
                effects.truncate(mark);
                run("ROLLBACK TO job").and_then(|()| run("RELEASE job"))
            };
            if let Err(e) = settled {
                tracing::error!(%e, "savepoint release failed");
            }
            finishers.push(outcome.finish);
        }
        if began.is_err() {
            continue;
        }
        let committed = match conn.execute_batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(%e, "commit failed; the batch is rolled back");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
        };
        if committed && !effects.is_empty() {
            if let Ok(mut map) = ledgers.write() {
                for e in effects {
                    match e {
                        Effect::AppendLeaf {
                            campaign_id,
                            draw_index,
                            leaf_hash,
                        } => {
                            let l = map.entry((campaign_id, draw_index)).or_default();
                            l.tree.push_hash(leaf_hash);
                        }
                    }
                }
            }
        }
        for f in finishers {
            f(committed);
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
        crate::db::each_leaf_hash(&conn, |key, hash| {
            map.entry(key).or_default().tree.push_hash(hash);
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

    /// Runs a job and waits for its answer (for startup tasks and tests).
    pub fn write_wait<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |conn, _| {
            let result = f(conn);
            let keep = result.is_ok();
            JobOutcome {
                keep,
                finish: Box::new(move |committed| {
                    let _ = tx.send(match (result, committed) {
                        (Ok(v), true) => Ok(v),
                        (Ok(_), false) => Err(rusqlite::Error::ExecuteReturnedResults),
                        (Err(e), _) => Err(e),
                    });
                }),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| rusqlite::Error::InvalidQuery)?;
        rx.recv().map_err(|_| rusqlite::Error::InvalidQuery)?
    }
}

impl Store for SqliteStore {
    fn write(&self, job: Job) -> Result<(), StoreClosed> {
        self.jobs.send(job).map_err(|_| StoreClosed)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
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

    fn ledgers(&self) -> &Ledgers {
        &self.ledgers
    }
}
