//! Crash safety: a real server process under concurrent submissions is killed with SIGKILL at
//! varied moments and restarted, many times. Every acknowledged ticket must still be there with
//! the same leaf index, indexes must have no gaps, and the tree must extend the last signed tree
//! head (checked with a consistency proof).

use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle;
use fairdraw_core::tree_head::SignedTreeHead;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod process;

const ROUNDS: u32 = 24;
const PASSWORD: &str = "crash-test-organizer";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_entries_survive_sigkill() {
    let data = std::env::temp_dir().join(format!("fairdraw-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("mkdir");
    // A campaign open today, without caps, so every well-formed entry is accepted.
    let mut server = process::start(&data, None, PASSWORD).await;
    let (client, today) = process::open_campaign(&server.base, PASSWORD, "crash", false).await;
    process::kill(&mut server);

    let acked: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let mut last_head: Option<SignedTreeHead> = None;
    let mut receipt = 0u64;
    for round in 0..ROUNDS {
        let mut server = process::start(&data, None, PASSWORD).await;
        let base = server.base.clone();

        // The ledger as it was must still be there, and extend the last signed head.
        let head: Value = client
            .get(format!("{base}/api/campaigns/crash/draws/0/tree-head"))
            .send()
            .await
            .expect("th")
            .json()
            .await
            .expect("json");
        let head: SignedTreeHead =
            serde_json::from_value(head["signed_tree_head"].clone()).expect("sth");
        let known = acked.lock().expect("lock").clone();
        assert!(
            head.head.tree_size >= known.len() as u64,
            "round {round}: {} acknowledged, tree has {}",
            known.len(),
            head.head.tree_size
        );
        if let Some(prev) = &last_head {
            if prev.head.tree_size > 0 {
                let c: Value = client
                    .get(format!(
                        "{base}/api/campaigns/crash/draws/0/consistency?from={}&to={}",
                        prev.head.tree_size, head.head.tree_size
                    ))
                    .send()
                    .await
                    .expect("consistency")
                    .json()
                    .await
                    .expect("json");
                let proof: Vec<Hash32> = serde_json::from_value(c["proof"].clone()).expect("proof");
                merkle::verify_consistency(
                    prev.head.tree_size,
                    head.head.tree_size,
                    &prev.head.root,
                    &head.head.root,
                    &proof,
                )
                .unwrap_or_else(|e| {
                    panic!("round {round}: the tree does not extend the last signed head: {e}")
                });
            }
        }
        for (ticket, index) in known.iter() {
            let s: Value = client
                .get(format!("{base}/api/campaigns/crash/tickets/{ticket}"))
                .send()
                .await
                .expect("ticket")
                .json()
                .await
                .expect("json");
            assert_eq!(
                s["leaf_index"].as_u64(),
                Some(*index),
                "round {round}: ticket {ticket} moved or vanished"
            );
        }
        // No gaps: the public ledger's indexes run 0..size.
        let ledger = process::ledger(&client, &base, "crash", 0).await;
        assert_eq!(ledger.root(), head.head.root);
        last_head = Some(head);

        // Concurrent submissions, then SIGKILL at a moment that varies by round (20–300 ms).
        let mut tasks = Vec::new();
        for worker in 0..8u64 {
            let client = client.clone();
            let base = base.clone();
            let acked = acked.clone();
            let first = receipt + worker * 1_000;
            tasks.push(tokio::spawn(async move {
                for k in 0..1_000u64 {
                    let body = json!({ "merchant_id": "M001", "receipt_number": format!("K-{:08}", first + k),
                        "date": today.to_string(), "amount": "520", "phone": format!("136{:08}", first + k), "consent": true });
                    match client.post(format!("{base}/api/campaigns/crash/entries")).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<Value>().await {
                                let t = v["ticket_id"].as_str().unwrap_or_default().to_owned();
                                acked.lock().expect("lock").insert(t, v["leaf_index"].as_u64().unwrap_or(u64::MAX));
                            }
                        }
                        Ok(r) => assert_eq!(r.status().as_u16(), 201, "unexpected refusal"),
                        Err(_) => break, // the server died
                    }
                }
            }));
        }
        receipt += 8 * 1_000;
        tokio::time::sleep(Duration::from_millis(20 + u64::from(round * 37 % 280))).await;
        process::kill(&mut server);
        for t in tasks {
            if let Err(e) = t.await {
                if e.is_panic() {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
    }
    let total = acked.lock().expect("lock").len();
    assert!(total > 0, "no entry was ever acknowledged");
    eprintln!("crash test: {ROUNDS} SIGKILLs, {total} acknowledged entries all intact");
    let _ = std::fs::remove_dir_all(&data);
}
