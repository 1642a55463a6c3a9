//! PostgreSQL figures for BENCHMARKS.md §8, in one run on one machine: raw single-commit
//! PostgreSQL inserts (1, 16, 64 clients); the sequencer on its own (write batches integrating
//! entries, no HTTP), on SQLite and on PostgreSQL; and acknowledged entries per second with
//! p50/p99 at 64 connections for one server on SQLite and 1, 2 and 3 servers sharing one
//! PostgreSQL. A throwaway PostgreSQL is started with `scripts/pg.sh`; only 127.0.0.1 is
//! contacted.
#![allow(missing_docs)] // a benchmark binary

mod support;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::{LEAF_VERSION, Leaf, TicketId};
use fairdraw_server::db;
use fairdraw_server::state::{AppState, SystemClock};
use fairdraw_server::store::{Effect, JobOutcome};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "cluster-bench-organizer";

fn pg_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg.sh")
}

/// Machine-wide busy CPU seconds so far (all processes: servers, PostgreSQL, this generator).
fn machine_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    let busy: f64 =
        f.iter().take(8).sum::<f64>() - f.get(3).unwrap_or(&0.0) - f.get(4).unwrap_or(&0.0);
    busy / 100.0
}

async fn admin(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client.batch_execute(sql).await.expect(sql);
}

fn database_url(base: &str, db: &str) -> String {
    format!("{}/{db}", base.rsplit_once('/').expect("url").0)
}

/// The database's WAL position, in bytes.
async fn wal_lsn(url: &str) -> i64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
        .query_one("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint", &[])
        .await
        .expect("lsn")
        .get(0)
}

/// The statements the database spent most time on since the last reset, per entry.
async fn statement_times(url: &str, entries: u64) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 70)
             FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8",
            &[],
        )
        .await
        .expect("pg_stat_statements");
    println!("  | calls per entry | execution µs per entry | statement |");
    println!("  |---:|---:|---|");
    for r in rows {
        let (calls, ms, q): (i64, f64, String) = (r.get(0), r.get(1), r.get(2));
        println!(
            "  | {:.2} | {:.1} | `{q}` |",
            calls as f64 / entries as f64,
            ms * 1000.0 / entries as f64
        );
    }
}

/// One 300-byte row per transaction from `clients` connections for `secs` seconds.
async fn raw_pg_inserts(url: &str, clients: usize, secs: u64) -> f64 {
    admin(
        url,
        "DROP TABLE IF EXISTS raw_t; CREATE TABLE raw_t (id bigserial primary key, fp bytea unique, leaf text)",
    )
    .await;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients as u64 {
        let (url, counter) = (url.to_owned(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            let st = client
                .prepare("INSERT INTO raw_t (fp, leaf) VALUES ($1, $2)")
                .await
                .expect("prepare");
            let leaf = "x".repeat(300);
            let mut i = 0u64;
            while Instant::now() < until {
                let fp = [c.to_be_bytes(), i.to_be_bytes()].concat();
                client.execute(&st, &[&fp, &leaf]).await.expect("insert");
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await.expect("client");
    }
    counter.load(std::sync::atomic::Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// A campaign open today, created straight in the store; its id.
fn open_campaign_in(state: &AppState) -> String {
    let rules = fairdraw_core::demo::demo_rules([0; 32], support::today());
    let id = rules.id.clone();
    let now = state.now_ms();
    state
        .store
        .write_wait(move |c| {
            db::insert_draft(c, &rules, now)?;
            db::mark_open(c, &rules.id, &rules.hash(), now, rules.draws.len())
        })
        .expect("campaign");
    id
}

/// Entry `k`'s leaf (index 0) and person key.
fn synthetic(k: u64, now: u64) -> (Leaf, Hash32) {
    let leaf = Leaf {
        v: LEAF_VERSION,
        index: 0,
        ticket_id: TicketId(fairdraw_server::state::random_16().expect("random")),
        participant: Hash32::sha256(&k.to_be_bytes()),
        fingerprint: Hash32::sha256(&[k.to_be_bytes(), [1; 8]].concat()),
        phone_commitment: Hash32::sha256(&[k.to_be_bytes(), [2; 8]].concat()),
        merchant_id: "M001".into(),
        amount_fen: fairdraw_core::money::Fen(56_000),
        date: support::today(),
        weight: 1,
        entered_at_ms: now,
    };
    (leaf, Hash32::sha256(&[k.to_be_bytes(), [3; 8]].concat()))
}

/// SQLite's sequencer is its writer: `n` entry jobs queued at once, each as the entry
/// handler's job does it (the three cap counts, the next index, the insert, the leaf appended
/// to the in-memory tree after the commit). Entries placed per second.
fn sequencer_sqlite(state: &AppState, n: u64) -> f64 {
    let id = open_campaign_in(state);
    let now = state.now_ms();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<bool>();
    let start = Instant::now();
    for k in 0..n {
        let (id, done) = (id.clone(), done_tx.clone());
        let (mut leaf, person) = synthetic(k, now);
        state
            .store
            .write(Box::new(move |c, effects| {
                let stored = (|| -> db::Result<()> {
                    for scope in [
                        db::CapScope::Day(20261220),
                        db::CapScope::Campaign,
                        db::CapScope::Merchant("M001"),
                    ] {
                        db::person_entries(c, &id, &person.0, scope)?;
                    }
                    leaf.index = db::next_leaf_index(c, &id, 1)?;
                    let leaf_hash = leaf.leaf_hash();
                    let row = db::EntryRow {
                        campaign_id: &id,
                        leaf: &leaf,
                        leaf_hash: &leaf_hash,
                        person: &person.0,
                        phone: "13800000000",
                        receipt: "bench",
                        entry_day: 20261220,
                        phone_salt: &[0; 16],
                        idem_key: None,
                    };
                    assert!(db::insert_entry(c, 1, &row)?, "stored");
                    effects.push(Effect::AppendLeaf {
                        campaign_id: id.clone(),
                        draw_index: 1,
                        leaf_index: leaf.index,
                        leaf_hash,
                    });
                    Ok(())
                })();
                JobOutcome {
                    keep: stored.is_ok(),
                    finish: Box::new(move |committed| {
                        let _ = done.send(committed && stored.is_ok());
                    }),
                }
            }))
            .expect("queued");
    }
    for _ in 0..n {
        assert!(
            done_rx.recv().expect("answer"),
            "an entry was not integrated"
        );
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// PostgreSQL's sequencer on its own: `n` entries stored queued in one transaction, as the
/// accepting servers store them; then the time until the store's sequencer (this process's,
/// the only server) has placed them all. Entries placed per second.
async fn sequencer_postgres(url: &str, state: &AppState, n: u64) -> f64 {
    let id = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || open_campaign_in(&state))
            .await
            .expect("campaign")
    };
    let now = state.now_ms();
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let (mut tickets, mut fps, mut persons, mut jsons) = (vec![], vec![], vec![], vec![]);
    for k in 0..n {
        let (leaf, person) = synthetic(k, now);
        tickets.push(leaf.ticket_id.0.to_vec());
        fps.push(leaf.fingerprint.0.to_vec());
        persons.push(person.0.to_vec());
        jsons.push(serde_json::to_string(&leaf).expect("json"));
    }
    client
        .execute(
            "INSERT INTO entries (campaign_id, draw_index, ticket_id, fingerprint, participant, leaf_json, phone, receipt, merchant_id, entry_day, entered_at_ms, phone_salt)
             SELECT $1, 1, t, f, p, j, '13800000000', 'bench', 'M001', 20261220, $2, $7
             FROM unnest($3::bytea[], $4::bytea[], $5::bytea[], $6::text[]) AS u(t, f, p, j)",
            &[&id, &(now as i64), &tickets, &fps, &persons, &jsons, &vec![0u8; 16]],
        )
        .await
        .expect("queue");
    let start = Instant::now();
    client
        .execute("SELECT pg_notify('fairdraw_queued', '')", &[])
        .await
        .expect("notify");
    loop {
        let left: i64 = client
            .query_one("SELECT count(*) FROM entries WHERE leaf_index IS NULL", &[])
            .await
            .expect("count")
            .get(0);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = std::env::temp_dir().join(format!("fairdraw-cluster-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("mkdir");
    // pg_stat_statements: where the database's time goes, printed after each run.
    let out = Command::new(pg_script())
        .arg("start")
        .env(
            "FAIRDRAW_PG_OPTS",
            "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all",
        )
        .output()
        .expect("pg.sh");
    assert!(out.status.success(), "scripts/pg.sh start failed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let var = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .expect("pg.sh output")
            .to_owned()
    };
    let (pg_dir, pg_url) = (var("FAIRDRAW_PG_DIR"), var("FAIRDRAW_PG_URL"));

    println!("raw PostgreSQL, one 300-byte row per transaction, 8 s each:");
    println!("| clients | inserts/s |");
    println!("|---:|---:|");
    let mut raw64 = 0.0;
    for clients in [1, 16, 64] {
        let rate = raw_pg_inserts(&pg_url, clients, 8).await;
        println!("| {clients} | {rate:.0} |");
        raw64 = rate;
    }

    println!();
    println!("the sequencer alone (20,000 entries waiting at once, no HTTP):");
    println!("| store | entries placed/s |");
    println!("|---|---:|");
    for backend in ["SQLite", "PostgreSQL"] {
        let dir = root.join(format!("seq-{backend}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let url = database_url(&pg_url, "seq");
        if backend == "PostgreSQL" {
            admin(&pg_url, "CREATE DATABASE seq").await;
        }
        let state = {
            let (dir, url) = (dir.clone(), url.clone());
            tokio::task::spawn_blocking(move || {
                AppState::open_with(
                    &dir,
                    (backend == "PostgreSQL").then_some(url.as_str()),
                    Arc::new(SystemClock),
                )
                .expect("state")
            })
            .await
            .expect("open")
        };
        let rate = if backend == "PostgreSQL" {
            sequencer_postgres(&url, &state, 20_000).await
        } else {
            tokio::task::spawn_blocking(move || sequencer_sqlite(&state, 20_000))
                .await
                .expect("sequencer")
        };
        println!("| {backend} | {rate:.0} |");
    }

    println!();
    println!(
        "acknowledged entries at 64 connections (30,000 entries; the demo caps, so each entry runs three cap counts):"
    );
    println!(
        "| store | servers | acknowledged/s | p50 ms | p99 ms | vs raw PostgreSQL at 64 clients | machine CPU per entry | of which servers | database (and the rest) | load generator |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (backend, servers) in [
        ("SQLite", 1usize),
        ("PostgreSQL", 1),
        ("PostgreSQL", 2),
        ("PostgreSQL", 3),
    ] {
        let db = format!("load{servers}");
        let url = database_url(&pg_url, &db);
        let on_pg = backend == "PostgreSQL";
        if on_pg {
            admin(&pg_url, &format!("CREATE DATABASE {db}")).await;
            admin(&url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await;
        }
        let dirs: Vec<_> = (0..servers)
            .map(|i| root.join(format!("{backend}-{servers}-{i}")))
            .collect();
        let mut children = Vec::new();
        let mut addrs = Vec::new();
        for (i, d) in dirs.iter().enumerate() {
            std::fs::create_dir_all(d).expect("mkdir");
            if i > 0 {
                for key in ["signing.key", "pseudonym.key"] {
                    std::fs::copy(dirs[0].join(key), d.join(key)).expect("key");
                }
            }
            let (child, port) = support::start_server(d, on_pg.then_some(url.as_str()), PASSWORD);
            if i == 0 {
                support::open_campaign(&format!("http://127.0.0.1:{port}"), PASSWORD, "load", true)
                    .await;
            }
            children.push(child);
            addrs.push(format!("127.0.0.1:{port}"));
        }
        // Warm-up (connections, prepared statements), then the measured run.
        support::entries(&addrs, "load", 64, 2_000, 0).await;
        let servers_cpu = || -> f64 { children.iter().map(|c| support::cpu_seconds(c.id())).sum() };
        let (cpu, own, server_cpu) = (
            machine_cpu_seconds(),
            support::cpu_seconds(std::process::id()),
            servers_cpu(),
        );
        let wal_before = if on_pg {
            admin(&url, "SELECT pg_stat_statements_reset()").await;
            Some(wal_lsn(&url).await)
        } else {
            None
        };
        let run = support::entries(&addrs, "load", 64, 30_000, 10_000).await;
        let per_entry = |s: f64| s * 1e6 / 30_000.0;
        let cpu_us = per_entry(machine_cpu_seconds() - cpu);
        let server_us = per_entry(servers_cpu() - server_cpu);
        let own_us = per_entry(support::cpu_seconds(std::process::id()) - own);
        println!(
            "| {backend} | {servers} | {:.0} | {:.1} | {:.1} | {:.2}× | {cpu_us:.0} µs | {server_us:.0} µs | {:.0} µs | {own_us:.0} µs |",
            run.rate,
            run.p50,
            run.p99,
            run.rate / raw64,
            cpu_us - server_us - own_us
        );
        if let Some(before) = wal_before {
            println!(
                "  WAL written: {:.0} bytes per entry",
                (wal_lsn(&url).await - before) as f64 / 30_000.0
            );
            statement_times(&url, 30_000).await;
        }
        for mut c in children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    let _ = Command::new(pg_script()).args(["stop", &pg_dir]).status();
    let _ = std::fs::remove_dir_all(&root);
}
