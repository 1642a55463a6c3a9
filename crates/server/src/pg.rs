//! PostgreSQL storage (`--database postgres://…`): the same jobs and reads as SQLite, on a
//! database that several servers may share.
//!
//! Each server has a pool of connections (`deadpool-postgres`) and one writer thread that
//! group-commits its queued jobs like SQLite's. Before a batch runs, its transaction takes one
//! database-wide advisory lock (`pg_advisory_xact_lock`), held until the commit: whichever
//! server holds it is the ledger's sequencer for that batch, reads the next leaf indexes from
//! the table (no gaps, no reuse: the previous holder's commit is visible to it), and answers its
//! callers only after its commit is durable. A server that dies mid-batch loses its connection;
//! PostgreSQL rolls its transaction back and releases the lock, and the next batch from any
//! server takes it at once, continuing from the committed state. Nothing was acknowledged from
//! the rolled-back batch. Each server's in-memory ledger reads the leaves others appended before
//! it answers from them (`Store::catch_up`).

use crate::sql::{self, Conn, Error, PgConn};
use crate::store::{Job, Ledgers, StoreClosed, run_batch};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_postgres::NoTls;

/// The schema, applied in order; `fairdraw_schema.version` counts the ones applied. (The same
/// tables as SQLite's migrations arrive at, in PostgreSQL's types: integers are `BIGINT`,
/// bytes `BYTEA`.)
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    rules_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open')),
    rules_hash TEXT,
    opened_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE draws (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    draw_index BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('collecting', 'frozen', 'drawn', 'published')),
    freeze_json TEXT,
    record_json TEXT,
    bundle_json TEXT,
    PRIMARY KEY (campaign_id, draw_index)
);
CREATE TABLE commitments (
    campaign_id TEXT NOT NULL,
    draw_index BIGINT NOT NULL,
    party TEXT NOT NULL,
    commitment TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, party)
);
CREATE TABLE reveals (
    campaign_id TEXT NOT NULL,
    draw_index BIGINT NOT NULL,
    party TEXT NOT NULL,
    secret TEXT NOT NULL,
    revealed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, party)
);
CREATE TABLE entries (
    campaign_id TEXT NOT NULL,
    draw_index BIGINT NOT NULL,
    leaf_index BIGINT NOT NULL,
    ticket_id BYTEA NOT NULL UNIQUE,
    fingerprint BYTEA NOT NULL,
    participant BYTEA NOT NULL,
    leaf_json TEXT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    phone TEXT NOT NULL,
    receipt TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    entry_day BIGINT NOT NULL,
    entered_at_ms BIGINT NOT NULL,
    phone_salt BYTEA,
    weight BIGINT NOT NULL DEFAULT 1,
    idem_key TEXT,
    PRIMARY KEY (campaign_id, draw_index, leaf_index),
    UNIQUE (campaign_id, fingerprint)
);
CREATE INDEX entries_person ON entries (campaign_id, participant, entry_day, merchant_id);
CREATE TABLE forfeits (
    campaign_id TEXT NOT NULL,
    draw_index BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    rank BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, draw_index, seq)
);
CREATE TABLE organizer (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE journal (
    campaign_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    event_json TEXT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    PRIMARY KEY (campaign_id, idx)
);
CREATE TABLE cosignatures (
    campaign_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    witness BIGINT NOT NULL,
    line TEXT NOT NULL,
    time BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, size, witness)
);
CREATE TABLE server_key (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL,
    pseudonym_key_check TEXT NOT NULL
);
"#];

/// The advisory lock each write batch holds until its commit ("fairdraw" in ASCII): one
/// sequencer at a time across every server sharing the database.
const WRITE_LOCK: i64 = 0x6661_6972_6472_6177;
/// The advisory lock held while migrations run, so servers starting together migrate once.
const MIGRATE_LOCK: i64 = WRITE_LOCK + 1;

/// Opens a write batch: a transaction that holds the write lock.
const BEGIN: &str = "BEGIN; SELECT pg_advisory_xact_lock(7377293604641988983)";

/// Connections per server: the writer's, and reads (bounded by `limits::READS` anyway).
const POOL_SIZE: usize = 24;

/// How long a request waits for a connection (or for a new one to open) before it is answered
/// 503: the database is down or restarting, or the pool is exhausted.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// PostgreSQL, shared by any number of servers.
pub struct PgStore {
    pool: Pool,
    /// The runtime that drives the connections (dropped without blocking: see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    jobs: mpsc::Sender<Job>,
    ledgers: Ledgers,
}

impl PgStore {
    /// Connects (the URL as libpq reads it: `postgres://user@host:port/db`), migrates, loads
    /// every ledger into memory and starts the writer. Safe to call from inside a runtime: the
    /// work runs on a thread of its own.
    pub fn open(url: &str) -> sql::Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::Data(format!("--database {e}")))?;
        // A server that vanished mid-batch without closing its socket (a host lost, a cable
        // pulled) must not hold the write lock for long: PostgreSQL ends an idle transaction
        // after 10 s, and a batch gives up waiting for the lock after 15 s (its callers get
        // 503). A killed process's socket closes at once, and its batch with it.
        config
            .options(
                "-c idle_in_transaction_session_timeout=10000 -c lock_timeout=15000 -c client_min_messages=warning",
            )
            .application_name("fairdraw-server")
            .keepalives_idle(Duration::from_secs(10))
            .connect_timeout(CONNECT_WAIT);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("postgres")
            .enable_all()
            .build()
            .map_err(Error::data)?;
        let handle = runtime.handle().clone();
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_WAIT))
            .create_timeout(Some(CONNECT_WAIT))
            .recycle_timeout(Some(CONNECT_WAIT))
            .build()
            .map_err(Error::data)?;
        // The caller may be inside a runtime, where blocking on another is refused.
        let ledgers = std::thread::scope(|s| {
            s.spawn(|| -> sql::Result<Ledgers> {
                let conn = connect(&pool, &handle)?;
                migrate(Conn::Pg(&conn))?;
                let mut map: HashMap<(String, u32), crate::store::DrawLedger> = HashMap::new();
                crate::db::each_leaf_hash(Conn::Pg(&conn), |key, hash| {
                    map.entry(key).or_default().tree.push_hash(hash);
                })?;
                Ok(Arc::new(RwLock::new(map)))
            })
            .join()
            .map_err(|_| Error::data("opening the database panicked"))?
        })?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (writer_pool, writer_handle, writer_ledgers) =
            (pool.clone(), handle.clone(), ledgers.clone());
        std::thread::Builder::new()
            .name("postgres-writer".into())
            .spawn(move || writer_loop(writer_pool, writer_handle, rx, writer_ledgers))
            .map_err(Error::data)?;
        Ok(PgStore {
            pool,
            runtime: Some(runtime),
            handle,
            jobs,
            ledgers,
        })
    }

    /// Queues a write job.
    pub fn write(&self, job: Job) -> Result<(), StoreClosed> {
        self.jobs.send(job).map_err(|_| StoreClosed)
    }

    /// Runs a read on a pooled connection (blocking).
    pub fn read<T>(&self, f: impl FnOnce(Conn) -> sql::Result<T>) -> sql::Result<T> {
        let conn = connect(&self.pool, &self.handle)?;
        f(Conn::Pg(&conn))
    }

    /// The in-memory ledgers.
    pub fn ledgers(&self) -> &Ledgers {
        &self.ledgers
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which a runtime's own thread may not do (a test's store is
        // often dropped inside one).
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection from the pool, or 503-worthy `Unavailable`.
fn connect(pool: &Pool, handle: &tokio::runtime::Handle) -> sql::Result<PgConn> {
    let client = handle
        .block_on(pool.get())
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(PgConn {
        client,
        rt: handle.clone(),
    })
}

/// Applies the migrations not yet applied, each in its own transaction, under a lock.
fn migrate(c: Conn) -> sql::Result<()> {
    c.batch(&format!("SELECT pg_advisory_lock({MIGRATE_LOCK})"))?;
    let result = (|| {
        c.batch("CREATE TABLE IF NOT EXISTS fairdraw_schema (version BIGINT NOT NULL)")?;
        let applied = c
            .first("SELECT version FROM fairdraw_schema", &[], |r| r.u64(0))?
            .unwrap_or(0);
        if applied == 0 {
            c.batch("INSERT INTO fairdraw_schema (version) VALUES (0)")?;
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            c.batch(&format!(
                "BEGIN; {sql}; UPDATE fairdraw_schema SET version = {}; COMMIT;",
                i + 1
            ))?;
        }
        Ok(())
    })();
    let unlocked = c.batch(&format!("SELECT pg_advisory_unlock({MIGRATE_LOCK})"));
    result.and(unlocked)
}

/// Largest number of jobs committed in one transaction.
const MAX_BATCH: usize = 512;

fn writer_loop(
    pool: Pool,
    handle: tokio::runtime::Handle,
    rx: mpsc::Receiver<Job>,
    ledgers: Ledgers,
) {
    let mut held: Option<PgConn> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let conn = match held.take() {
            Some(c) if !c.client.is_closed() => c,
            _ => match connect(&pool, &handle) {
                Ok(c) => c,
                Err(e) => {
                    // The batch is dropped unrun: its callers answer 503.
                    tracing::warn!(%e, jobs = batch.len(), "no database connection for a write batch");
                    continue;
                }
            },
        };
        match run_batch(Conn::Pg(&conn), BEGIN, batch, &ledgers) {
            Ok(()) => held = Some(conn),
            Err(e) => {
                tracing::warn!(%e, "write batch failed; it is rolled back");
                // A connection that failed is not reused (the pool checks it when it comes
                // back); one that refused a statement is.
                if !e.is_unavailable() {
                    held = Some(conn);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_begin_statement_takes_the_write_lock() {
        assert!(super::BEGIN.ends_with(&format!("pg_advisory_xact_lock({})", super::WRITE_LOCK)));
    }
}
