//! A real `fairdraw-server` process for the fault tests: on a free loopback port, without rate
//! limits (a flood of acknowledged entries on purpose), stopped with SIGKILL.
#![allow(dead_code)] // each test file uses a different subset

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server and its address.
pub struct Server {
    pub child: Child,
    pub base: String,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Starts a server on `data` (and the PostgreSQL `database`, if given) and waits until it
/// answers; bounded, each try waiting on the network, not a fixed sleep.
pub async fn start(data: &Path, database: Option<&str>, password: &str) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = data.display().to_string();
    let mut args = vec![
        "--data",
        &data,
        "--listen",
        &listen,
        "--dist",
        "/nonexistent",
        "--entry-limits",
        "0,0,0,0",
    ];
    if let Some(url) = database {
        args.extend(["--database", url]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_fairdraw-server"))
        .args(&args)
        .env("FAIRDRAW_ORGANIZER_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    for _ in 0..1_000 {
        if client
            .get(format!("{base}/api/server-key"))
            .timeout(Duration::from_millis(200))
            .send()
            .await
            .is_ok()
        {
            return Server { child, base };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited at start: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
}

/// Logs in (a client with the session cookie) and opens campaign `id`: the demo's rules, its
/// draws started three days ago, so one is open today; with `caps` the demo's caps (5 a day, 20
/// per shop, 60 in all: each entry runs the three cap counts), without them every well-formed
/// entry is accepted. Returns the client and today's date.
pub async fn open_campaign(
    base: &str,
    password: &str,
    id: &str,
    caps: bool,
) -> (reqwest::Client, fairdraw_core::civil::CivilDate) {
    use fairdraw_core::civil::CivilDate;
    use serde_json::json;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(128)
        .build()
        .expect("client");
    let r = client
        .post(format!("{base}/api/organizer/login"))
        .json(&json!({ "password": password }))
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as u64;
    let today = CivilDate::china_date_at(now).expect("today");
    let start_day = CivilDate::from_days_since_epoch(today.days_since_epoch() - 3).expect("d");
    let mut rules = fairdraw_core::demo::demo_rules([0; 32], start_day);
    rules.id = id.into();
    if !caps {
        rules.caps = Default::default();
    }
    for (path, body) in [
        (String::new(), json!(rules)),
        (format!("/{id}/open"), json!(null)),
    ] {
        let r = client
            .post(format!("{base}/api/organizer/campaigns{path}"))
            .header("x-fairdraw-csrf", "1")
            .json(&body)
            .send()
            .await
            .expect("setup");
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }
    (client, today)
}

/// A draw's public ledger, read whole; parsing checks its indexes run 0, 1, 2, … without gaps.
pub async fn ledger(
    client: &reqwest::Client,
    base: &str,
    campaign: &str,
    draw: u32,
) -> fairdraw_core::ledger::Ledger {
    let text = client
        .get(format!(
            "{base}/api/campaigns/{campaign}/draws/{draw}/ledger"
        ))
        .send()
        .await
        .expect("ledger")
        .text()
        .await
        .expect("text");
    fairdraw_core::ledger::Ledger::from_jsonl(&text, |_| {})
        .expect("ledger parses with consecutive indexes (no gaps)")
}

/// SIGKILL: no shutdown code runs; a database sees the connections drop.
pub fn kill(s: &mut Server) {
    let _ = s.child.kill();
    let _ = s.child.wait();
}

impl Drop for Server {
    fn drop(&mut self) {
        kill(self);
    }
}
