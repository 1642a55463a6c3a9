//! Load generator for BENCHMARKS.md: the optimised `fairdraw-server` on loopback, acknowledged
//! entries per second and p50/p99 latency at concurrency 1, 16 and 64, beside the raw SQLite
//! insert rate with the same durability settings (WAL, synchronous=FULL, one commit per insert)
//! measured in this same process, and the server's peak memory. Bounded in count and time;
//! only 127.0.0.1 is contacted.
#![allow(missing_docs)] // a benchmark binary

mod support;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{RawClient, cpu_seconds, peak_rss_kb, percentile};

const PASSWORD: &str = "load-test-organizer";

fn raw_sqlite_inserts(dir: &std::path::Path, n: u32) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("raw.sqlite3")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, fp BLOB UNIQUE, leaf TEXT)")
        .expect("table");
    let leaf = "x".repeat(330);
    let start = Instant::now();
    for i in 0..n {
        // One durable commit per row: what acknowledging each entry on its own would cost.
        conn.execute(
            "INSERT INTO t (fp, leaf) VALUES (?1, ?2)",
            rusqlite::params![i.to_be_bytes().to_vec(), leaf],
        )
        .expect("insert");
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("fairdraw-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (mut server, port) = support::start_server(&dir.join("server"), None, PASSWORD);
    let base = format!("http://127.0.0.1:{port}");
    let client = support::open_campaign(&base, PASSWORD, "load", true).await;
    let today = support::today();
    let raw = raw_sqlite_inserts(&dir, 2_000);
    println!("raw SQLite (WAL, synchronous=FULL, one commit per insert): {raw:.0} inserts/s");
    println!(
        "| concurrency | entries | acknowledged/s | p50 ms | p99 ms | vs raw single-commit SQLite | server CPU per entry | load generator CPU per entry |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut next = 0u64;
    let addrs = [format!("127.0.0.1:{port}")];
    for (concurrency, total) in [(1u64, 1_000u64), (16, 10_000), (64, 30_000)] {
        let cpu_before = cpu_seconds(server.id());
        let own_before = cpu_seconds(std::process::id());
        let run = support::entries(&addrs, "load", concurrency, total, next).await;
        let cpu_us = (cpu_seconds(server.id()) - cpu_before) * 1e6 / total as f64;
        let own_us = (cpu_seconds(std::process::id()) - own_before) * 1e6 / total as f64;
        next += total;
        println!(
            "| {concurrency} | {total} | {:.0} | {:.1} | {:.1} | {:.1}× | {cpu_us:.0} µs | {own_us:.0} µs |",
            run.rate,
            run.p50,
            run.p99,
            run.rate / raw
        );
    }
    println!("server peak RSS: {} MB", peak_rss_kb(server.id()) / 1024);
    // The write soak (FAIRDRAW_SOAK_SECS): 32 writers without pause and 8 readers fetching the
    // ledger's tree head, sampled every 10 s: entries/s, p99, the WAL's size beside the
    // database's. Without the WAL bound, passive checkpoints never finished and the WAL grew
    // to gigabytes within a minute.
    let soak: u64 = std::env::var("FAIRDRAW_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if soak > 0 {
        let db = dir.join("server").join("fairdraw.sqlite3");
        let wal = dir.join("server").join("fairdraw.sqlite3-wal");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(next));
        let lat = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (addr, counter, lat, stop) = (
                format!("127.0.0.1:{port}"),
                counter.clone(),
                lat.clone(),
                stop.clone(),
            );
            let day = today.to_string();
            tasks.push(tokio::spawn(async move {
                let mut client = RawClient::connect(&addr).await;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let body = format!(
                        r#"{{"merchant_id":"M001","receipt_number":"LOAD-{n:010}","date":"{day}","amount":"560.00","phone":"13{}{:08}","consent":true}}"#,
                        3 + n % 7,
                        n % 100_000_000
                    );
                    let t = Instant::now();
                    let (status, _) = client.post("/api/campaigns/load/entries", &body).await;
                    assert_eq!(status, 201);
                    lat.lock().expect("lat").push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }));
        }
        for _ in 0..8 {
            let (client, stop, base) = (client.clone(), stop.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = client
                        .get(format!("{base}/api/campaigns/load/draws/0/tree-head"))
                        .send()
                        .await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }
        println!();
        println!("| t s | entries/s | p99 ms | WAL MB | max WAL MB | database MB |");
        println!("|---:|---:|---:|---:|---:|---:|");
        let size =
            |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / 1_048_576.0;
        let (mut max_wal, mut before, started) = (
            0f64,
            counter.load(std::sync::atomic::Ordering::Relaxed),
            Instant::now(),
        );
        while started.elapsed().as_secs() < soak {
            let mut peak = 0f64;
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                peak = peak.max(size(&wal));
            }
            max_wal = max_wal.max(peak);
            let now = counter.load(std::sync::atomic::Ordering::Relaxed);
            let mut l = std::mem::take(&mut *lat.lock().expect("lat"));
            l.sort_by(|a, b| a.total_cmp(b));
            println!(
                "| {} | {:.0} | {:.1} | {:.1} | {max_wal:.1} | {:.1} |",
                started.elapsed().as_secs(),
                (now - before) as f64 / 10.0,
                percentile(&l, 0.99),
                size(&wal),
                size(&db)
            );
            before = now;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        println!(
            "soak: WAL at most {max_wal:.1} MB (bound {} MB); server peak RSS {} MB",
            fairdraw_server::store::WAL_LIMIT / 1_048_576,
            peak_rss_kb(server.id()) / 1024
        );
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
