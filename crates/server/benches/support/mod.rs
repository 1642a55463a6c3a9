//! What the load benchmarks share: starting a release server, opening a campaign, a minimal
//! HTTP client, and one measured run of concurrent entry submissions.
#![allow(dead_code)] // each benchmark uses a different subset

#[path = "../../tests/process/mod.rs"]
mod process;

use fairdraw_core::civil::CivilDate;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts `fairdraw-server` on a free loopback port with `data` (and `database`, a PostgreSQL
/// URL, if given), without rate limits, and waits until it answers.
pub fn start_server(
    data: &std::path::Path,
    database: Option<&str>,
    password: &str,
) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut args = vec![
        "--data".to_owned(),
        data.display().to_string(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
        "--dist".into(),
        "/nonexistent".into(),
        // Throughput of the write path itself: no rate limits.
        "--entry-limits".into(),
        "0,0,0,0".into(),
    ];
    if let Some(url) = database {
        args.extend(["--database".to_owned(), url.to_owned()]);
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_fairdraw-server"))
        .args(&args)
        .env("FAIRDRAW_ORGANIZER_PASSWORD", password)
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
    for _ in 0..1_000 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, port);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.kill();
    let _ = server.wait();
    panic!("server did not start");
}

/// Today in China.
pub fn today() -> CivilDate {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("t")
        .as_millis() as u64;
    CivilDate::china_date_at(now).expect("today")
}

/// Logs in and opens campaign `id` (the tests' helper: the demo's rules, open today; `caps`: the
/// demo caps; every entry is a different person, so none is refused). Returns the logged-in
/// client.
pub async fn open_campaign(base: &str, password: &str, id: &str, caps: bool) -> reqwest::Client {
    process::open_campaign(base, password, id, caps).await.0
}

/// One measured run: `total` entries to campaign `id` from `concurrency` keep-alive
/// connections spread over `addrs` in turn, receipts numbered from `first`.
pub struct Run {
    /// Acknowledged entries per second.
    pub rate: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile latency, ms.
    pub p99: f64,
}

/// Runs `total` entries (see [`Run`]).
pub async fn entries(addrs: &[String], id: &str, concurrency: u64, total: u64, first: u64) -> Run {
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let day = today().to_string();
    let path = format!("/api/campaigns/{id}/entries");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let addr = addrs[c as usize % addrs.len()].clone();
        let (counter, day, path) = (counter.clone(), day.clone(), path.clone());
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
                    n % 100_000_000
                );
                let t = Instant::now();
                let (status, answer) = client.post(&path, &body).await;
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
    lat.sort_by(|a, b| a.total_cmp(b));
    Run {
        rate: total as f64 / secs,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    }
}

/// CPU seconds (user + system) the process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
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
pub struct RawClient {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    pub async fn connect(addr: &str) -> RawClient {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawClient {
            stream,
            buf: Vec::with_capacity(4096),
        }
    }

    /// POSTs `body` to `path`; returns the status and the response body.
    pub async fn post(&mut self, path: &str, body: &str) -> (u16, Vec<u8>) {
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

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn peak_rss_kb(pid: u32) -> u64 {
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
