//! Load generator for BENCHMARKS.md: the optimised `fairdraw-server` on loopback, acknowledged
//! entries per second and p50/p99 latency at concurrency 1, 16 and 64, beside the raw SQLite
//! insert rate with the same durability settings (WAL, synchronous=FULL, one commit per insert)
//! measured in this same process, and the server's peak memory. Bounded in count and time;
//! only 127.0.0.1 is contacted.
#![allow(missing_docs)] // a benchmark binary

use fairdraw_core::civil::CivilDate;
use serde_json::json;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is 14th, stime 15th overall.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Linux reports in clock ticks of 1/100 s on this platform (CLK_TCK = 100).
    (ticks(11) + ticks(12)) / 100.0
}

/// A minimal HTTP/1.1 keep-alive client for the entry posts: the load generator shares the two
/// cores with the server, and a general-purpose client (reqwest, with its pool, JSON encoding and
/// header maps) spent about as much CPU per request as the server. This one writes prepared
/// bytes and reads the status line and `Content-Length` body; its own CPU is reported beside
/// the server's.
struct RawClient {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    async fn connect(addr: &str) -> RawClient {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawClient {
            stream,
            buf: Vec::with_capacity(4096),
        }
    }

    /// POSTs `body` to `path`; returns the status and the response body.
    async fn post(&mut self, path: &str, body: &str) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await.expect("write");
        self.stream.write_all(body.as_bytes()).await.expect("write");
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let headers = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let status: u16 = headers
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .expect("status");
                let len: usize = headers
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("content-length");
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await.expect("read");
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return (status, self.buf[end + 4..end + 4 + len].to_vec());
            }
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("fairdraw-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_fairdraw-server"))
        .args([
            "--data",
            &dir.join("server").display().to_string(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--dist",
            "/nonexistent",
            // Throughput of the write path itself: no rate limits.
            "--entry-limits",
            "0,0,0,0",
        ])
        .env("FAIRDRAW_ORGANIZER_PASSWORD", PASSWORD)
        // FAIRDRAW_SERVER_LOG=fairdraw_server::store=info shows each WAL truncation's pause.
        .env(
            "RUST_LOG",
            std::env::var("FAIRDRAW_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(if std::env::var_os("FAIRDRAW_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(128)
        .build()
        .expect("client");
    let mut ready = false;
    for _ in 0..500 {
        if client
            .get(format!("{base}/api/server-key"))
            .send()
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "server did not start");
    client
        .post(format!("{base}/api/organizer/login"))
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .expect("login");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("t")
        .as_millis() as u64;
    let today = CivilDate::china_date_at(now).expect("today");
    let mut rules = fairdraw_core::demo::demo_rules(
        [0; 32],
        CivilDate::from_days_since_epoch(today.days_since_epoch() - 3).expect("d"),
    );
    rules.id = "load".into();
    // The demo caps (5 a day, 20 per shop, 60 in all): each entry runs the three cap counts.
    // Every entry is a different person, so none is refused.
    for (path, body) in [("", json!(rules)), ("/load/open", json!(null))] {
        let r = client
            .post(format!("{base}/api/organizer/campaigns{path}"))
            .header("x-fairdraw-csrf", "1")
            .json(&body)
            .send()
            .await
            .expect("setup");
        assert!(r.status().is_success());
    }

    let raw = raw_sqlite_inserts(&dir, 2_000);
    println!("raw SQLite (WAL, synchronous=FULL, one commit per insert): {raw:.0} inserts/s");
    println!(
        "| concurrency | entries | acknowledged/s | p50 ms | p99 ms | vs raw single-commit SQLite | server CPU per entry | load generator CPU per entry |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut next = 0u64;
    for (concurrency, total) in [(1u64, 1_000u64), (16, 10_000), (64, 30_000)] {
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let cpu_before = cpu_seconds(server.id());
        let own_before = cpu_seconds(std::process::id());
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let addr = format!("127.0.0.1:{port}");
            let counter = counter.clone();
            let first = next;
            let day = today.to_string();
            tasks.push(tokio::spawn(async move {
                let mut client = RawClient::connect(&addr).await;
                let mut lat = Vec::new();
                loop {
                    let k = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let n = first + k;
                    let body = format!(
                        r#"{{"merchant_id":"M001","receipt_number":"LOAD-{n:010}","date":"{day}","amount":"560.00","phone":"13{}{:08}","consent":true}}"#,
                        3 + n % 7,
                        n
                    );
                    let t = Instant::now();
                    let (status, answer) = client.post("/api/campaigns/load/entries", &body).await;
                    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.expect("task"));
        }
        let secs = start.elapsed().as_secs_f64();
        let cpu_us = (cpu_seconds(server.id()) - cpu_before) * 1e6 / total as f64;
        let own_us = (cpu_seconds(std::process::id()) - own_before) * 1e6 / total as f64;
        next += total;
        lat.sort_by(|a, b| a.total_cmp(b));
        let rate = total as f64 / secs;
        println!(
            "| {concurrency} | {total} | {rate:.0} | {:.1} | {:.1} | {:.1}× | {cpu_us:.0} µs | {own_us:.0} µs |",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            rate / raw
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
