//! The connection layer under slow and idle clients: headers must arrive within the timeout,
//! kept-alive connections are closed when idle, and past the connection cap a client gets a
//! clean 503 while the server keeps answering everyone else.

mod common;

use common::TestApp;
use fairdraw_server::ConnLimits;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(app: &TestApp, limits: ConnLimits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = app.state.clone();
    tokio::spawn(fairdraw_server::serve_with(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Reads until the peer closes (or `within` passes); returns what was read and whether it
/// closed.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

async fn get_key(addr: std::net::SocketAddr) -> u16 {
    let r = reqwest::get(format!("http://{addr}/api/server-key"))
        .await
        .expect("get");
    r.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_and_the_cap_refuses_cleanly() {
    let app = TestApp::new("connections");
    let addr = start(
        &app,
        ConnLimits {
            max_connections: 8,
            header_timeout: Duration::from_millis(800),
            request_timeout: Duration::from_secs(2),
        },
    )
    .await;
    assert_eq!(get_key(addr).await, 200);

    // Slowloris: headers begun, never finished. Closed after the header timeout.
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /api/server-key HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("write");
        slow.push(s);
    }
    // Meanwhile everyone else is answered.
    assert_eq!(get_key(addr).await, 200);
    let started = Instant::now();
    for s in &mut slow {
        let (_, closed) = read_until_closed(s, Duration::from_secs(5)).await;
        assert!(closed, "a slow client was not cut off");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A body that never finishes: the request times out with a JSON 408.
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(b"POST /api/campaigns/x/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"merchant_id\":")
        .await
        .expect("write");
    let (answer, _) = read_until_closed(&mut stalled, Duration::from_secs(6)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");

    // A kept-alive connection that goes idle after one request is closed too.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /api/server-key HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "an idle kept-alive connection stayed open");

    // The cap: 8 connections that send nothing hold every slot; the next connection is told
    // 503 with Retry-After and closed at once, not left hanging.
    let mut holders = Vec::new();
    for _ in 0..8 {
        holders.push(TcpStream::connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = TcpStream::connect(addr).await.expect("connect");
    let (answer, closed) = read_until_closed(&mut over, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("Retry-After: 1") && answer.contains("SERVER_BUSY"),
        "{answer}"
    );
    assert!(closed);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body).expect("the body is JSON of its length");
    assert_eq!(v["retry_after_s"], 1);
    // Once the silent holders time out, the server answers again.
    for s in &mut holders {
        let (_, closed) = read_until_closed(s, Duration::from_secs(5)).await;
        assert!(closed);
    }
    assert_eq!(get_key(addr).await, 200);
}
