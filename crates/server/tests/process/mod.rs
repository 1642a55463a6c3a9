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
