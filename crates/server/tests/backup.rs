//! A backup taken while entries keep arriving: the copy holds every entry acknowledged before it
//! began, its ledgers' roots are the live server's at the same sizes, and a server started on
//! it signs with the same key and answers for the same tickets.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use fairdraw_server::state::{AppState, ManualClock};
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_holds_every_acknowledged_entry() {
    let mut app = TestApp::new("backup");
    let rules = app.open_campaign(false).await;
    let id = rules.id.clone();
    let path = format!("/api/campaigns/{id}/entries");
    let mut before = Vec::new();
    for i in 0..150 {
        let r = app
            .post(
                &path,
                entry(&format!("B-{i:04}"), "600", &format!("1390000{i:04}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        before.push(r.json()["ticket_id"].as_str().expect("ticket").to_owned());
    }
    // More entries arrive while the copy is taken.
    let during = {
        let (state, id) = (app.state.clone(), id.clone());
        tokio::spawn(async move {
            let mut stored = 0;
            for i in 0..300 {
                let body = entry(&format!("D-{i:04}"), "600", &format!("1370000{i:04}"));
                let (status, _) = post_entry(&state, &id, &body).await;
                assert_eq!(status, StatusCode::CREATED);
                stored += 1;
            }
            stored
        })
    };
    // The copy starts once some of them are in.
    loop {
        let size = app
            .state
            .store
            .ledgers()
            .read()
            .expect("ledgers")
            .get(&(id.clone(), 0))
            .map_or(0, |l| l.tree.size());
        if size > 200 {
            break;
        }
        assert!(
            !during.is_finished(),
            "the entries stopped before 200: {size}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let out = app.dir.with_extension("backup");
    let _ = std::fs::remove_dir_all(&out);
    let (data, to) = (app.dir.clone(), out.clone());
    let copy = tokio::task::spawn_blocking(move || fairdraw_server::backup::backup(&data, &to))
        .await
        .expect("join")
        .expect("backup");
    assert_eq!(during.await.expect("join"), 300);

    // Every entry acknowledged before the backup began is in it, and the copy's ledger is a
    // prefix of the live one: the same root at its size.
    let (campaign, draw, size, root) = copy.ledgers[0].clone();
    assert_eq!((campaign.as_str(), copy.ledgers.len()), (id.as_str(), 1));
    assert!((200..=450).contains(&size), "{size}");
    eprintln!("backup: {size} entries of 450, taken while they arrived");
    assert_eq!(copy.entries, size);
    let live = app
        .state
        .store
        .ledgers()
        .read()
        .expect("ledgers")
        .get(&(id.clone(), draw))
        .and_then(|l| l.tree.root_at(size));
    assert_eq!(live, Some(root));

    // A server on the copy: the same key, the same tickets, and it takes new entries.
    let restored =
        AppState::open(&out, Arc::new(ManualClock::at(noon("2026-12-20")))).expect("open");
    assert_eq!(
        restored.keys.signing.verifying_key(),
        app.state.keys.signing.verifying_key()
    );
    for t in &before {
        let req = Request::get(format!("/api/campaigns/{id}/tickets/{t}"))
            .body(Body::empty())
            .expect("request");
        let resp = fairdraw_server::app(restored.clone())
            .oneshot(req)
            .await
            .expect("answer");
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "ticket {t} is not in the copy"
        );
    }
    let (status, ticket) = post_entry(&restored, &id, &entry("R-0001", "600", "13600000000")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        ticket["leaf_index"], size,
        "the copy's ledger continues where it ends"
    );
    // A second backup into the same folder is refused rather than mixed in.
    let again = fairdraw_server::backup::backup(&app.dir, &out);
    assert_eq!(
        again.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::AlreadyExists)
    );
    let _ = std::fs::remove_dir_all(&out);
}
