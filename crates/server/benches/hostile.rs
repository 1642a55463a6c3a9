//! Hostile load against the real `fairdraw-server` (release build, default limits) on loopback
//! only, bounded in time and traffic. Each scenario runs an attack and, at the same time, a
//! legitimate client, and prints what held: the attack's outcome, the legitimate requests'
//! success rate and p99, the server's peak RSS and open descriptors.
//!
//! Clients bind distinct loopback addresses (127.0.0.2, 127.0.0.3, …) so per-address limits see
//! them as different households. The frozen draw is the demo's first, sized by
//! `FAIRDRAW_HOSTILE_ENTRIES` (default 100,000). Run: `scripts/hostile.sh`.
#![allow(missing_docs)] // a benchmark binary

use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const PASSWORD: &str = "hostile-test-organizer";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// A connection from a loopback address of our choosing (127.0.0.x).
async fn connect_from(host: u8, server: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)),
        0,
    ))?;
    s.connect(server).await
}

/// One HTTP/1.1 request on a fresh connection from `host`; the status and body.
async fn request(host: u8, server: SocketAddr, raw: &str) -> Option<(u16, Vec<u8>)> {
    let mut s = connect_from(host, server).await.ok()?;
    s.write_all(raw.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let status = std::str::from_utf8(out.get(9..12)?).ok()?.parse().ok()?;
    let body = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(Vec::new(), |i| out[i + 4..].to_vec());
    Some((status, body))
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The legitimate side of a scenario: one shopper-like GET every 50 ms from 127.0.0.200 while
/// `stop` is false; returns (ok, total, p99 ms).
fn legit(
    server: SocketAddr,
    path: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(usize, usize, f64)> {
    tokio::spawn(async move {
        let (mut ok, mut total, mut lat) = (0, 0, Vec::new());
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let r = request(200, server, &get(&path)).await;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            total += 1;
            ok += usize::from(matches!(r, Some((200, _))));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        (ok, total, percentile(&lat, 0.99))
    })
}

/// 32 clients (on addresses 127.0.0.10–39) asking `path(client, k)` for their k-th request, as
/// fast as answers come, for 10 s; an answer counts when it is a 200 whose body passes `ok`.
/// Returns answers a second and their p99 in ms.
async fn hammer(
    server: SocketAddr,
    path: impl Fn(u64, u64) -> String + Send + Sync + 'static,
    ok: fn(&[u8]) -> bool,
) -> (f64, f64) {
    let path = Arc::new(path);
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..32u64 {
        let (stop, path) = (stop.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                k += 1;
                let t = Instant::now();
                if let Some((200, body)) =
                    request(10 + (w % 30) as u8, server, &get(&path(w, k))).await
                    && ok(&body)
                {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    (lat.len() as f64 / 10.0, percentile(&lat, 0.99))
}

struct Report {
    pid: u32,
}

impl Report {
    fn line(&self, scenario: &str, attack: &str, legit: (usize, usize, f64)) {
        println!(
            "| {scenario} | {attack} | {}/{} ({:.1}%) | {:.1} | {} | {} | {} |",
            legit.0,
            legit.1,
            100.0 * legit.0 as f64 / legit.1.max(1) as f64,
            legit.2,
            status_kb(self.pid, "VmHWM") / 1024,
            status_kb(self.pid, "VmRSS") / 1024,
            open_fds(self.pid)
        );
    }
}

#[tokio::main]
async fn main() {
    let entries: u64 = std::env::var("FAIRDRAW_HOSTILE_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("fairdraw-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fairdraw-server"))
        .args([
            "--data",
            &dir.join("server").display().to_string(),
            "--listen",
            &server.to_string(),
            "--dist",
            "/nonexistent",
            "--demo",
            "--demo-entries",
            &entries.to_string(),
            "--header-timeout",
            "5",
        ])
        .env("FAIRDRAW_ORGANIZER_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server");
    let pid = child.id();
    let mut up = false;
    for _ in 0..3_000 {
        if let Some((200, _)) = request(1, server, &get("/api/campaigns")).await {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "server did not start");
    let (_, body) = request(1, server, &get("/api/campaigns"))
        .await
        .expect("campaigns");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let id = v["campaigns"][0]["id"].as_str().expect("id").to_owned();
    println!(
        "setup: demo campaign with a frozen draw of {entries} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let r = Report { pid };
    println!(
        "| scenario | attack's outcome | legitimate requests ok | legit p99 ms | server peak RSS MB | RSS after MB | open fds after |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let today = {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("t")
            .as_millis() as u64;
        fairdraw_core::civil::CivilDate::china_date_at(ms).expect("today")
    };
    let entries_path = format!("/api/campaigns/{id}/entries");
    // FAIRDRAW_HOSTILE_ONLY=proofs,reads,…: run some scenarios only.
    let only = std::env::var("FAIRDRAW_HOSTILE_ONLY").unwrap_or_default();
    let want = |name: &str| only.is_empty() || only.split(',').any(|x| x == name);
    let key_path = "/api/server-key".to_owned();

    // 1. Entry flood: one address posting made-up receipts as fast as 16 connections allow for
    // 10 s, while a real shopper (another address) enters one receipt a second.
    if want("flood") {
        let stop = Arc::new(AtomicBool::new(false));
        let (accepted, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let mut tasks = Vec::new();
        for w in 0..16u64 {
            let (stop, accepted, refused, path) = (
                stop.clone(),
                accepted.clone(),
                refused.clone(),
                entries_path.clone(),
            );
            let day = today.to_string();
            tasks.push(tokio::spawn(async move {
                let mut n = w * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = json!({ "merchant_id": "M001", "receipt_number": format!("FLOOD-{n}"), "date": day,
                        "amount": "600", "phone": format!("13{:09}", n % 1_000_000_000), "consent": true }).to_string();
                    match request(2, server, &post(&path, &body)).await {
                        Some((201, _)) => accepted.fetch_add(1, Ordering::Relaxed),
                        _ => refused.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        let shopper = {
            let (stop, path) = (stop.clone(), entries_path.clone());
            let day = today.to_string();
            tokio::spawn(async move {
                let (mut ok, mut total, mut lat, mut n) = (0, 0, Vec::new(), 0u64);
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = json!({ "merchant_id": "M002", "receipt_number": format!("REAL-{n}"), "date": day,
                        "amount": "800", "phone": format!("1391234{:04}", n), "consent": true }).to_string();
                    let t = Instant::now();
                    let got = request(3 + (n % 50) as u8, server, &post(&path, &body)).await;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    total += 1;
                    ok += usize::from(matches!(got, Some((201, _))));
                    tokio::time::sleep(Duration::from_millis(1_000)).await;
                }
                lat.sort_by(|a, b| a.total_cmp(b));
                (ok, total, percentile(&lat, 0.99))
            })
        };
        tokio::time::sleep(Duration::from_secs(10)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        r.line(
            "entry flood, 1 address, 16 connections, 10 s",
            &format!(
                "{} accepted, {} refused (429)",
                accepted.load(Ordering::Relaxed),
                refused.load(Ordering::Relaxed)
            ),
            shopper.await.expect("shopper"),
        );
    }

    // 2. Slowloris: 500 connections sending a header line every 2 s, never finishing.
    if want("slowloris") {
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let mut slow = Vec::new();
        for i in 0..500u32 {
            if let Ok(mut s) = connect_from(10 + (i % 40) as u8, server).await {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
                slow.push(s);
            }
        }
        let opened = slow.len();
        let mut cut = 0;
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(8) {
            tokio::time::sleep(Duration::from_secs(2)).await;
            for s in &mut slow {
                let _ = s.write_all(b"X-Slow: 1\r\n").await;
            }
        }
        for s in &mut slow {
            let mut b = [0u8; 64];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(10), s.read(&mut b)).await
            {
                cut += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        drop(slow);
        r.line(
            "slowloris, 500 connections, 8 s",
            &format!("{opened} opened, {cut} cut off by the header timeout (5 s)"),
            l.await.expect("legit"),
        );
    }

    // 3. 2,000 concurrent reads of the campaign.
    if want("reads") {
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let mut tasks = Vec::new();
        let path = format!("/api/campaigns/{id}");
        for i in 0..2_000u32 {
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                request(10 + (i % 200) as u8, server, &get(&path))
                    .await
                    .map(|x| x.0)
            }));
        }
        let mut by: std::collections::BTreeMap<String, u32> = Default::default();
        for t in tasks {
            let s = t
                .await
                .ok()
                .flatten()
                .map_or("no answer".to_owned(), |s| s.to_string());
            *by.entry(s).or_default() += 1;
        }
        stop.store(true, Ordering::Relaxed);
        r.line(
            "2,000 concurrent reads",
            &format!("{by:?}"),
            l.await.expect("legit"),
        );
    }

    // 4. 100 concurrent downloads of the frozen ledger.
    if want("downloads") {
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let t = Instant::now();
        let mut tasks = Vec::new();
        let path = format!("/api/campaigns/{id}/draws/0/ledger");
        for i in 0..100u32 {
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                // As a browser asks: gzip accepted.
                let raw = get(&path).replace("\r\n\r\n", "\r\nAccept-Encoding: gzip\r\n\r\n");
                request(10 + (i % 100) as u8, server, &raw)
                    .await
                    .map(|x| (x.0, x.1.len()))
            }));
        }
        let (mut ok, mut bytes) = (0, 0usize);
        for t in tasks {
            if let Some((200, n)) = t.await.ok().flatten() {
                ok += 1;
                bytes = n;
            }
        }
        stop.store(true, Ordering::Relaxed);
        r.line(
            "100 concurrent ledger downloads",
            &format!(
                "{ok} complete, {:.1} MB each (gzip), {:.1} s",
                bytes as f64 / 1e6,
                t.elapsed().as_secs_f64()
            ),
            l.await.expect("legit"),
        );
    }

    // 5. Ticket checks with inclusion proofs on the frozen draw, 32 at a time for 10 s.
    if want("proofs") {
        let (_, body) = request(
            1,
            server,
            &get(&format!("/api/campaigns/{id}/draws/0/tree-head")),
        )
        .await
        .expect("head");
        let head: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let size = head["freeze"]["freeze"]["tree_size"]
            .as_u64()
            .unwrap_or(entries)
            .max(1);
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let path_id = id.clone();
        let (rate, p99) = hammer(
            server,
            move |w, k| {
                let i = w.wrapping_add(k).wrapping_mul(6_364_136_223_846_793_005) % size;
                format!("/api/campaigns/{path_id}/draws/0/proof/{i}")
            },
            |_| true,
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        r.line(
            "inclusion proofs, 32 clients, 10 s",
            &format!("{rate:.0} proofs/s, p99 {p99:.1} ms, on {size} entries"),
            l.await.expect("legit"),
        );
    }

    // 5b. Shoppers checking their tickets after the publication: the ticket's status with its
    // inclusion proof in the frozen ledger, 32 at a time for 10 s, tickets from the ledger's
    // first megabytes (a byte range of the frozen file).
    if want("tickets") {
        let range = get(&format!("/api/campaigns/{id}/draws/0/ledger"))
            .replace("\r\n\r\n", "\r\nRange: bytes=0-3000000\r\n\r\n");
        let (_, body) = request(1, server, &range).await.expect("ledger range");
        let tickets: Vec<String> = String::from_utf8_lossy(&body)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["ticket_id"].as_str().map(str::to_owned))
            .collect();
        assert!(!tickets.is_empty(), "tickets from the ledger");
        let n_tickets = tickets.len();
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let path_id = id.clone();
        let (rate, p99) = hammer(
            server,
            move |w, k| {
                let i = (w as usize + k as usize * 7_919) % tickets.len();
                format!("/api/campaigns/{path_id}/tickets/{}", tickets[i])
            },
            |body| body.windows(15).any(|x| x == b"inclusion_proof"),
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        r.line(
            "ticket checks with proofs, 32 clients, 10 s",
            &format!("{rate:.0} checks/s, p99 {p99:.1} ms, {n_tickets} tickets of {entries}"),
            l.await.expect("legit"),
        );
    }

    // 6. Login storm: 64 concurrent wrong passwords from 64 addresses, twice.
    if want("logins") {
        let stop = Arc::new(AtomicBool::new(false));
        let l = legit(server, key_path.clone(), stop.clone());
        let mut by: std::collections::BTreeMap<u16, u32> = Default::default();
        for _ in 0..2 {
            let mut tasks = Vec::new();
            for i in 0..64u8 {
                tasks.push(tokio::spawn(async move {
                    request(
                        10 + i,
                        server,
                        &post("/api/organizer/login", r#"{"password":"guess"}"#),
                    )
                    .await
                    .map(|x| x.0)
                }));
            }
            for t in tasks {
                *by.entry(t.await.ok().flatten().unwrap_or(0)).or_default() += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        r.line(
            "login storm, 2 × 64 concurrent wrong passwords",
            &format!("statuses {by:?}"),
            l.await.expect("legit"),
        );
    }

    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
