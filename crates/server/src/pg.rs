//! PostgreSQL storage (`--database postgres://…`): a database that several servers share, with
//! one sequencer, in the pattern of Certificate Transparency's production logs (Trillian,
//! Tessera).
//!
//! - **Accepting** (any server, many at once): an entry is stored *queued*, without a leaf index,
//!   in a transaction of its own on a pooled connection. The receipt's uniqueness is the
//!   table's constraint; the caps are counted under a per-person advisory lock, so two servers
//!   cannot both let a person past a cap; the draw's lock is held shared, so a freeze (which
//!   takes it alone) waits for the entries being accepted and refuses any after it.
//! - **Sequencing** (one server at a time): the server holding the leader lock (a session-level
//!   advisory lock) takes queued entries in batches, oldest first, gives them the next leaf
//!   indexes (no gaps, no reuse: each batch holds the write lock and reads the last index),
//!   writes their leaves and leaf hashes in one statement, and commits. If the leader dies, its
//!   connection closes, PostgreSQL releases the lock, and another server takes it within
//!   [`TAKEOVER_POLL`], continuing from the committed state.
//! - **Answering**: the accepting server waits for its entry's place (notified through
//!   `LISTEN`, or by polling when notifications are down), then signs the promise: a promise is
//!   only ever signed for an entry already in the ledger at its index (SPEC §5.4: no merge
//!   delay). Each server's in-memory ledger reads the leaves as they are sequenced.
//! - **Organizer's writes** (freeze, reveals, record, …) go through a group-committing writer
//!   thread like SQLite's, each batch holding the write lock; a freeze first sequences what is
//!   queued for its draw ([`crate::db::settle_entries`]).

use crate::sql::{self, Conn, Error, PgConn, Row};
use crate::store::{Job, Ledgers, NewEntry, Refusal, StoreClosed, Stored, next_batch, run_batch};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use fairdraw_core::ledger::Leaf;
use fairdraw_core::receipt::{PersonUsage, Rejection, check_caps};
use fairdraw_core::rules::CampaignRules;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

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
-- An entry is stored queued (leaf_index and leaf_hash NULL, its leaf with index 0 in
-- leaf_json) and placed by the sequencer, in the order of `queued`.
CREATE TABLE entries (
    queued BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    draw_index BIGINT NOT NULL,
    leaf_index BIGINT,
    ticket_id BYTEA NOT NULL UNIQUE,
    fingerprint BYTEA NOT NULL,
    participant BYTEA NOT NULL,
    leaf_json TEXT NOT NULL,
    leaf_hash BYTEA,
    phone TEXT NOT NULL,
    receipt TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    entry_day BIGINT NOT NULL,
    entered_at_ms BIGINT NOT NULL,
    phone_salt BYTEA,
    weight BIGINT NOT NULL DEFAULT 1,
    idem_key TEXT,
    UNIQUE (campaign_id, fingerprint)
);
-- Placed entries only: a queued entry is not in it, nor the row version it was before it was
-- placed, so the sequencer's MAX(leaf_index) reads one entry at the index's end (with queued
-- rows in the index, it walked past every NULL and dead version at the end: 7 ms a batch).
CREATE UNIQUE INDEX entries_leaf ON entries (campaign_id, draw_index, leaf_index)
    WHERE leaf_index IS NOT NULL;
CREATE INDEX entries_person ON entries (campaign_id, participant, entry_day, merchant_id);
CREATE INDEX entries_queue ON entries (queued) WHERE leaf_index IS NULL;
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

/// The advisory lock each write batch (the organizer's writes, the sequencer's batches) holds
/// until its commit ("fairdraw" in ASCII): one writer of the ledgers at a time, across every
/// server sharing the database.
const WRITE_LOCK: i64 = 0x6661_6972_6472_6177;
/// The advisory lock held while migrations run, so servers starting together migrate once.
const MIGRATE_LOCK: i64 = WRITE_LOCK + 1;
/// The session-level advisory lock the sequencer holds for as long as it leads.
const LEADER_LOCK: i64 = WRITE_LOCK + 2;
/// The class of the per-person locks (the two-key form, a key space apart from the others).
const PERSON_LOCK_CLASS: i32 = 1717;
/// The class of the per-draw locks: shared by the entries being accepted, taken alone by a
/// freeze.
const DRAW_LOCK_CLASS: i32 = 1718;

/// A draw's lock key: the first bytes of a hash of its campaign and index.
fn draw_lock_key(campaign_id: &str, draw_index: u32) -> i32 {
    let h = fairdraw_core::hash::Hash32::sha256(format!("{campaign_id}\n{draw_index}").as_bytes());
    i32::from_be_bytes([h.0[0], h.0[1], h.0[2], h.0[3]])
}

/// Inside a write transaction: waits for the entries being accepted into a draw, keeps any
/// more out until the commit (they then find it frozen), and places those queued.
pub fn settle(p: &PgConn, campaign_id: &str, draw_index: u32) -> sql::Result<()> {
    Conn::Pg(p).first(
        "SELECT pg_advisory_xact_lock($1, $2)",
        crate::args![
            i64::from(DRAW_LOCK_CLASS),
            i64::from(draw_lock_key(campaign_id, draw_index))
        ],
        |_| Ok(()),
    )?;
    integrate(p, Some((campaign_id, draw_index)), i64::MAX).map(|_| ())
}

/// Opens a write batch: a transaction that holds the write lock.
const BEGIN: &str = "BEGIN; SELECT pg_advisory_xact_lock(7377293604641988983)";

/// How often a server that is not the sequencer tries to become it: the longest a dead
/// sequencer goes unreplaced (PostgreSQL releases its lock as soon as its connection drops).
pub const TAKEOVER_POLL: Duration = Duration::from_millis(500);
/// Queued entries placed per sequencer batch, at most.
const SEQUENCER_BATCH: i64 = 4_096;
/// When notifications are down, how often the sequencer looks for queued entries, and the
/// servers for the places of the entries they wait on.
const QUEUE_POLL: Duration = Duration::from_millis(100);
/// How long an accepting server waits for its entry's place before answering that it is
/// queued (503, retry with the same idempotency key): a sequencer being replaced.
const PLACE_WAIT: Duration = Duration::from_secs(10);

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
    waiters: Arc<Waiters>,
    /// Whether this server is the sequencer now.
    leader: Arc<AtomicBool>,
    /// Set when the store is dropped: the background threads stop.
    stop: Arc<AtomicBool>,
    /// Rung after each entry is queued: the sequencer is told (see [`announce_queued`]).
    queued: Arc<tokio::sync::Notify>,
}

/// The accepted entries this server waits to see placed, by ticket id (a retry of a queued
/// entry may wait on the same ticket as the first attempt).
#[derive(Default)]
struct Waiters(Mutex<WaiterMap>);

/// The last waiter id given, and the waiters by ticket id.
type WaiterMap = (u64, HashMap<[u8; 16], Vec<Waiter>>);

struct Waiter {
    id: u64,
    draw: (String, u32),
    /// Gets the placed leaf (JSON).
    tx: tokio::sync::oneshot::Sender<String>,
}

/// One registered wait: the ticket and which of its waiters.
type WaitId = ([u8; 16], u64);

impl Waiters {
    fn register(
        &self,
        ticket: [u8; 16],
        draw: (String, u32),
    ) -> (WaitId, tokio::sync::oneshot::Receiver<String>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut id = 0;
        if let Ok(mut m) = self.0.lock() {
            m.0 += 1;
            id = m.0;
            m.1.entry(ticket).or_default().push(Waiter { id, draw, tx });
        }
        ((ticket, id), rx)
    }

    fn forget(&self, (ticket, id): &WaitId) {
        if let Ok(mut m) = self.0.lock()
            && let Some(list) = m.1.get_mut(ticket)
        {
            list.retain(|w| w.id != *id);
            if list.is_empty() {
                m.1.remove(ticket);
            }
        }
    }

    fn placed(&self, ticket: &[u8], leaf_json: &str) {
        let Ok(ticket) = <[u8; 16]>::try_from(ticket) else {
            return;
        };
        for w in self
            .0
            .lock()
            .ok()
            .and_then(|mut m| m.1.remove(&ticket))
            .unwrap_or_default()
        {
            let _ = w.tx.send(leaf_json.to_owned());
        }
    }

    fn draws(&self) -> HashSet<(String, u32)> {
        self.0
            .lock()
            .map(|m| m.1.values().flatten().map(|w| w.draw.clone()).collect())
            .unwrap_or_default()
    }
}

/// What accepting did: refused, answered at once (a retry of a placed entry), or queued.
enum Accepted {
    Refused(Refusal),
    Placed(Stored),
    Queued {
        wait: WaitId,
        place: tokio::sync::oneshot::Receiver<String>,
        salt: [u8; 16],
        replayed: bool,
    },
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
        let listen_config = config.clone();
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
        let (waiters, leader, stop) = (
            Arc::<Waiters>::default(),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (queued_tx, queued_rx) = mpsc::channel::<()>();
        let (placed_tx, placed_rx) = mpsc::channel::<(String, u32)>();
        let queued = Arc::new(tokio::sync::Notify::new());
        handle.spawn(announce_queued(
            pool.clone(),
            queued.clone(),
            queued_tx.clone(),
            leader.clone(),
        ));
        handle.spawn(listen(listen_config, queued_tx, placed_tx));
        let background = Background {
            pool: pool.clone(),
            handle: handle.clone(),
            stop: stop.clone(),
        };
        let (b, l) = (background.clone(), leader.clone());
        std::thread::Builder::new()
            .name("postgres-sequencer".into())
            .spawn(move || sequencer_loop(&b, queued_rx, &l))
            .map_err(Error::data)?;
        let (b, led, w) = (background, ledgers.clone(), waiters.clone());
        let known: HashMap<(String, u32), u64> = ledgers
            .read()
            .map_err(|_| Error::data("ledger lock poisoned"))?
            .iter()
            .map(|(k, l)| (k.clone(), l.tree.size()))
            .collect();
        std::thread::Builder::new()
            .name("postgres-placed".into())
            .spawn(move || placed_loop(&b, placed_rx, &led, &w, known))
            .map_err(Error::data)?;
        Ok(PgStore {
            pool,
            runtime: Some(runtime),
            handle,
            jobs,
            ledgers,
            waiters,
            leader,
            stop,
            queued,
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

    /// Whether this server is the sequencer now.
    pub fn is_sequencer(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }

    /// Accepts an entry (see the module's notes) and waits for its place in the ledger.
    pub async fn append(
        &self,
        e: NewEntry,
        row: Arc<crate::db::CampaignRow>,
    ) -> sql::Result<Result<Stored, Refusal>> {
        let (pool, waiters) = (self.pool.clone(), self.waiters.clone());
        let accepted = self
            .handle
            .spawn(async move { accept(&pool, &waiters, &e, &row.rules).await })
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))??;
        if let Accepted::Queued {
            replayed: false, ..
        } = accepted
        {
            self.queued.notify_one();
        }
        let (wait, place, salt, replayed) = match accepted {
            Accepted::Refused(r) => return Ok(Err(r)),
            Accepted::Placed(stored) => return Ok(Ok(stored)),
            Accepted::Queued {
                wait,
                place,
                salt,
                replayed,
            } => (wait, place, salt, replayed),
        };
        match tokio::time::timeout(PLACE_WAIT, place).await {
            Ok(Ok(json)) => {
                let leaf: Leaf = serde_json::from_str(&json).map_err(Error::data)?;
                Ok(Ok((leaf, salt, replayed)))
            }
            _ => {
                self.waiters.forget(&wait);
                Ok(Err(Refusal::Queued))
            }
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
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

/// Stores an entry queued, in a transaction of its own: the draw still collecting (under its
/// shared lock), the caps counted under the person's lock, the receipt unique by the table's
/// constraint. The waiter is registered before the commit, so its place cannot be missed.
async fn accept(
    pool: &Pool,
    waiters: &Waiters,
    e: &NewEntry,
    rules: &CampaignRules,
) -> sql::Result<Accepted> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    let tx = client.transaction().await?;
    let (id, n) = (e.campaign_id.as_str(), i64::from(e.draw_index));
    let fingerprint = e.leaf.fingerprint.0.as_slice();
    let person = e.person.as_slice();
    if let Some(key) = &e.idem_key {
        // A retry of a stored entry (same key, receipt and phone): its ticket, not a refusal.
        let row = tx
            .query_opt(
                "SELECT leaf_index, leaf_json, phone_salt, ticket_id FROM entries
                 WHERE campaign_id = $1 AND fingerprint = $2 AND idem_key = $3 AND participant = $4",
                &[&id, &fingerprint, key, &person],
            )
            .await?;
        if let Some(r) = row {
            let salt = <[u8; 16]>::try_from(r.try_get::<_, &[u8]>(2)?).unwrap_or_default();
            let ticket = <[u8; 16]>::try_from(r.try_get::<_, &[u8]>(3)?).map_err(Error::data)?;
            if r.try_get::<_, Option<i64>>(0)?.is_some() {
                let leaf: Leaf = serde_json::from_str(r.try_get(1)?).map_err(Error::data)?;
                return Ok(Accepted::Placed((leaf, salt, true)));
            }
            let (wait, place) = waiters.register(ticket, (id.to_owned(), e.draw_index));
            // Placed between the read and the registration? Then it is there now.
            let now = tx
                .query_opt(
                    "SELECT leaf_json FROM entries WHERE ticket_id = $1 AND leaf_index IS NOT NULL",
                    &[&ticket.as_slice()],
                )
                .await?;
            if let Some(r) = now {
                waiters.forget(&wait);
                let leaf: Leaf = serde_json::from_str(r.try_get(0)?).map_err(Error::data)?;
                return Ok(Accepted::Placed((leaf, salt, true)));
            }
            return Ok(Accepted::Queued {
                wait,
                place,
                salt,
                replayed: true,
            });
        }
    }
    let caps = &rules.caps;
    let counted =
        caps.per_day.is_some() || caps.per_campaign.is_some() || caps.per_merchant.is_some();
    // Prepared once per connection (a statement given as text is prepared on every call: a
    // round trip and a parse each time).
    let (draw_st, state_st, lock_st, count_st, insert_st) = tokio::try_join!(
        tx.prepare_cached("SELECT pg_advisory_xact_lock_shared($1, $2)"),
        tx.prepare_cached("SELECT state FROM draws WHERE campaign_id = $1 AND draw_index = $2"),
        tx.prepare_cached("SELECT pg_advisory_xact_lock($1, $2)"),
        tx.prepare_cached(
            "SELECT COUNT(*) FILTER (WHERE entry_day = $3), COUNT(*), COUNT(*) FILTER (WHERE merchant_id = $4)
             FROM entries WHERE campaign_id = $1 AND participant = $2"
        ),
        tx.prepare_cached(
            "INSERT INTO entries (campaign_id, draw_index, ticket_id, fingerprint, participant, leaf_json, phone, receipt, merchant_id, entry_day, entered_at_ms, phone_salt, weight, idem_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (campaign_id, fingerprint) DO NOTHING"
        ),
    )?;
    // The draw's lock, shared with every other entry being accepted into it, held to the
    // commit: a freeze takes it alone, so it waits for these, and those after it see the draw
    // frozen. (A lock in memory: a row locked FOR SHARE by many at once is rewritten for each.)
    let draw_key = draw_lock_key(id, e.draw_index);
    let draw_args: [&(dyn ToSql + Sync); 2] = [&DRAW_LOCK_CLASS, &draw_key];
    let draw_lock = tx.execute(&draw_st, &draw_args);
    let state_args: [&(dyn ToSql + Sync); 2] = [&id, &n];
    let state = tx.query_opt(&state_st, &state_args);
    let (state, usage) = if counted {
        // One person's entries are counted and stored one at a time, whichever server takes
        // them: the lock is the person's (a keyed hash, so its first bytes are as good as any).
        let lock_key = i32::from_be_bytes([person[0], person[1], person[2], person[3]]);
        let lock_args: [&(dyn ToSql + Sync); 2] = [&PERSON_LOCK_CLASS, &lock_key];
        let lock = tx.execute(&lock_st, &lock_args);
        let day = i64::from(e.entry_day);
        let count_args: [&(dyn ToSql + Sync); 4] = [&id, &person, &day, &e.leaf.merchant_id];
        let counts = tx.query_one(&count_st, &count_args);
        // Sent together, run in order: one round trip.
        let (_, state, _, counts) = tokio::try_join!(draw_lock, state, lock, counts)?;
        let count = |i: usize| -> sql::Result<u32> {
            u32::try_from(counts.try_get::<_, i64>(i)?).map_err(Error::data)
        };
        let usage = PersonUsage {
            today: count(0)?,
            campaign: count(1)?,
            at_merchant: count(2)?,
        };
        (state, usage)
    } else {
        let (_, state) = tokio::try_join!(draw_lock, state)?;
        (state, PersonUsage::default())
    };
    let state: Option<&str> = state.as_ref().map(|r| r.try_get(0)).transpose()?;
    if state != Some("collecting") {
        return Ok(Accepted::Refused(Refusal::DrawClosed));
    }
    if let Err(r) = check_caps(rules, usage) {
        return Ok(Accepted::Refused(Refusal::Rejected(r)));
    }
    let ticket = e.leaf.ticket_id.0;
    let (wait, place) = waiters.register(ticket, (id.to_owned(), e.draw_index));
    let leaf_json = serde_json::to_string(&e.leaf).map_err(Error::data)?;
    let (ticket_ref, salt_ref) = (ticket.as_slice(), e.phone_salt.as_slice());
    let (day, at, weight) = (
        i64::from(e.entry_day),
        e.leaf.entered_at_ms as i64,
        i64::from(e.leaf.weight),
    );
    let insert_args: [&(dyn ToSql + Sync); 14] = [
        &id,
        &n,
        &ticket_ref,
        &fingerprint,
        &person,
        &leaf_json,
        &e.phone,
        &e.receipt,
        &e.leaf.merchant_id,
        &day,
        &at,
        &salt_ref,
        &weight,
        &e.idem_key,
    ];
    let outcome = match tx.execute(&insert_st, &insert_args).await {
        Ok(0) => Ok(false),
        Ok(_) => tx.commit().await.map(|()| true).map_err(Error::from),
        Err(e) => Err(Error::from(e)),
    };
    match outcome {
        Ok(true) => Ok(Accepted::Queued {
            wait,
            place,
            salt: e.phone_salt,
            replayed: false,
        }),
        Ok(false) => {
            waiters.forget(&wait);
            Ok(Accepted::Refused(Refusal::Rejected(Rejection::Duplicate)))
        }
        Err(err) => {
            waiters.forget(&wait);
            Err(err)
        }
    }
}

/// Places queued entries (all of one draw's, or up to `max` of any), oldest first, at the next
/// indexes of their draws, inside the caller's transaction, which holds the write lock. Each
/// placed draw is announced on `fairdraw_placed` at the commit. Returns how many were placed.
pub fn integrate(p: &PgConn, only: Option<(&str, u32)>, max: i64) -> sql::Result<usize> {
    let c = &p.client;
    let rows = p.rt.block_on(async {
        match only {
            None => {
                let st = c
                    .prepare_cached(
                        "SELECT queued, campaign_id, draw_index, leaf_json FROM entries
                         WHERE leaf_index IS NULL ORDER BY queued LIMIT $1",
                    )
                    .await?;
                c.query(&st, &[&max]).await
            }
            Some((id, n)) => {
                let st = c
                    .prepare_cached(
                        "SELECT queued, campaign_id, draw_index, leaf_json FROM entries
                         WHERE leaf_index IS NULL AND campaign_id = $1 AND draw_index = $2 ORDER BY queued",
                    )
                    .await?;
                c.query(&st, &[&id, &i64::from(n)]).await
            }
        }
    })?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut next: HashMap<(String, u32), u64> = HashMap::new();
    let (mut queued, mut index, mut json, mut hash) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in &rows {
        let draw: (String, u32) = (r.text(1)?.to_owned(), r.u32(2)?);
        let at = match next.entry(draw) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let first = crate::db::next_leaf_index(Conn::Pg(p), &v.key().0, v.key().1)?;
                v.insert(first)
            }
        };
        let mut leaf: Leaf = serde_json::from_str(r.text(3)?).map_err(Error::data)?;
        leaf.index = *at;
        *at += 1;
        queued.push(r.int(0)?);
        index.push(leaf.index as i64);
        hash.push(leaf.leaf_hash().0.to_vec());
        json.push(serde_json::to_string(&leaf).map_err(Error::data)?);
    }
    p.rt.block_on(async {
        // One statement for the batch, the rows found by their key. Left to itself the planner
        // scanned the whole table for it whenever the statistics still described the table as
        // small (7 ms a batch, growing with the table); the scan is ruled out for this
        // transaction only.
        c.batch_execute("SET LOCAL enable_seqscan = off").await?;
        let st = c
            .prepare_cached(
                "UPDATE entries AS e SET leaf_index = u.i, leaf_json = u.j, leaf_hash = u.h
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) AS u(q, i, j, h)
                 WHERE e.queued = u.q AND e.queued = ANY($1)",
            )
            .await?;
        c.execute(&st, &[&queued, &index, &json, &hash]).await?;
        for (id, n) in next.keys() {
            c.execute(
                "SELECT pg_notify('fairdraw_placed', $1)",
                &[&format!("{n}\t{id}")],
            )
            .await?;
        }
        Ok::<_, Error>(())
    })?;
    Ok(queued.len())
}

/// Tells the sequencer that entries are queued: directly when this server is the sequencer,
/// otherwise with `NOTIFY fairdraw_queued`, at most once every 2 ms however many entries come
/// in (a notification inside each entry's transaction would serialize their commits, and wake
/// every listener for each entry).
async fn announce_queued(
    pool: Pool,
    queued: Arc<tokio::sync::Notify>,
    local: mpsc::Sender<()>,
    leader: Arc<AtomicBool>,
) {
    loop {
        queued.notified().await;
        if leader.load(Ordering::SeqCst) {
            if local.send(()).is_err() {
                return;
            }
        } else if let Ok(c) = pool.get().await {
            let _ = c.batch_execute("NOTIFY fairdraw_queued").await;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// What the background threads share.
#[derive(Clone)]
struct Background {
    pool: Pool,
    handle: tokio::runtime::Handle,
    stop: Arc<AtomicBool>,
}

impl Background {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Waits for a wake-up or the timeout, then takes any further wake-ups; `false` once the
/// sender is gone (the store was dropped).
fn wait_for<T>(rx: &mpsc::Receiver<T>, timeout: Duration, mut each: impl FnMut(T)) -> bool {
    match rx.recv_timeout(timeout) {
        Ok(v) => each(v),
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => return false,
    }
    while let Ok(v) = rx.try_recv() {
        each(v);
    }
    true
}

/// Every server runs this; the one that holds the leader lock sequences, the others try to
/// take the lock every [`TAKEOVER_POLL`].
fn sequencer_loop(b: &Background, queued: mpsc::Receiver<()>, leader: &AtomicBool) {
    while !b.stopped() {
        let conn = match connect(&b.pool, &b.handle) {
            Ok(c) => c,
            Err(_) => {
                if !wait_for(&queued, TAKEOVER_POLL, |_| {}) {
                    return;
                }
                continue;
            }
        };
        let leads = Conn::Pg(&conn).one(
            "SELECT CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END",
            crate::args![LEADER_LOCK],
            |r| Ok(r.int(0)? == 1),
        );
        if leads.ok() != Some(true) {
            drop(conn);
            if !wait_for(&queued, TAKEOVER_POLL, |_| {}) {
                return;
            }
            continue;
        }
        leader.store(true, Ordering::SeqCst);
        tracing::info!("this server is the sequencer");
        while !b.stopped() {
            let c = Conn::Pg(&conn);
            let placed = c.batch(BEGIN).and_then(|()| {
                let placed = integrate(&conn, None, SEQUENCER_BATCH);
                match placed {
                    Ok(n) => c.batch("COMMIT").map(|()| n),
                    Err(e) => {
                        let _ = c.batch("ROLLBACK");
                        Err(e)
                    }
                }
            });
            match placed {
                Ok(n) if n as i64 == SEQUENCER_BATCH => {}
                Ok(_) => {
                    if !wait_for(&queued, QUEUE_POLL, |_| {}) {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(%e, "sequencer batch failed; leading again once reconnected");
                    break;
                }
            }
        }
        leader.store(false, Ordering::SeqCst);
        // Not back to the pool: closing the connection releases the leader lock.
        drop(deadpool_postgres::Object::take(conn.client));
    }
}

/// Reads the leaves placed since it last looked, for the draws announced on `fairdraw_placed`
/// and those this server waits on (the notifications may be down): extends the in-memory
/// ledgers and answers the waiting entries.
fn placed_loop(
    b: &Background,
    placed: mpsc::Receiver<(String, u32)>,
    ledgers: &Ledgers,
    waiters: &Waiters,
    mut cursor: HashMap<(String, u32), u64>,
) {
    while !b.stopped() {
        let mut draws: HashSet<(String, u32)> = HashSet::new();
        if !wait_for(&placed, QUEUE_POLL, |d| {
            draws.insert(d);
        }) {
            return;
        }
        draws.extend(waiters.draws());
        if draws.is_empty() {
            continue;
        }
        let Ok(conn) = connect(&b.pool, &b.handle) else {
            continue;
        };
        for draw in draws {
            let from = cursor.get(&draw).copied().unwrap_or(0);
            let mut rows = Vec::new();
            let read = Conn::Pg(&conn).each(
                "SELECT leaf_index, ticket_id, leaf_hash, leaf_json FROM entries
                 WHERE campaign_id = $1 AND draw_index = $2 AND leaf_index >= $3 ORDER BY leaf_index",
                crate::args![draw.0.as_str(), draw.1, from],
                |r| {
                    let hash = <[u8; 32]>::try_from(r.bytes(2)?).map_err(Error::data)?;
                    rows.push((
                        r.u64(0)?,
                        r.bytes(1)?.to_vec(),
                        fairdraw_core::hash::Hash32(hash),
                        r.text(3)?.to_owned(),
                    ));
                    Ok(())
                },
            );
            if let Err(e) = read {
                tracing::warn!(%e, "reading placed leaves failed");
                continue;
            }
            let Some(last) = rows.last().map(|r| r.0) else {
                continue;
            };
            crate::store::extend(
                ledgers,
                draw.clone(),
                from,
                rows.iter().map(|(_, _, h, _)| *h),
            );
            for (_, ticket, _, json) in &rows {
                waiters.placed(ticket, json);
            }
            cursor.insert(draw, last + 1);
        }
    }
}

/// Forwards the database's notifications (`fairdraw_queued`: entries wait to be placed;
/// `fairdraw_placed`: a draw's ledger grew) to the sequencer and the placed-leaves reader, on a
/// connection of its own, reconnecting when it drops. Meanwhile both poll.
async fn listen(
    config: tokio_postgres::Config,
    queued: mpsc::Sender<()>,
    placed: mpsc::Sender<(String, u32)>,
) {
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let driver = tokio::spawn(async move {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(m)) = messages.next().await {
                    if let tokio_postgres::AsyncMessage::Notification(n) = m {
                        let _ = tx.send(n);
                    }
                }
            });
            if client
                .batch_execute("LISTEN fairdraw_queued; LISTEN fairdraw_placed")
                .await
                .is_ok()
            {
                while let Some(n) = rx.recv().await {
                    let gone = match n.channel() {
                        "fairdraw_queued" => queued.send(()).is_err(),
                        _ => match n.payload().split_once('\t') {
                            Some((d, id)) => d
                                .parse()
                                .is_ok_and(|d| placed.send((id.to_owned(), d)).is_err()),
                            None => false,
                        },
                    };
                    if gone {
                        driver.abort();
                        return;
                    }
                }
            }
            driver.abort();
        }
        tokio::time::sleep(TAKEOVER_POLL).await;
    }
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

fn writer_loop(
    pool: Pool,
    handle: tokio::runtime::Handle,
    rx: mpsc::Receiver<Job>,
    ledgers: Ledgers,
) {
    let mut held: Option<PgConn> = None;
    while let Some(batch) = next_batch(&rx) {
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
