//! The HTTP API through the router (no socket), on a real SQLite file.

mod common;

use axum::http::StatusCode;
use common::{TestApp, entry, noon, post_entry};
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::Ledger;
use fairdraw_core::merkle;
use fairdraw_core::seed::{SeedSecret, commitment};
use fairdraw_core::tree_head::{SignedTreeHead, TicketPromise};
use serde_json::{Value, json};

const C: &str = "/api/campaigns/dazhou-2026";
const O: &str = "/api/organizer/campaigns/dazhou-2026";

#[tokio::test]
async fn shopper_entry_ticket_and_errors() {
    let mut app = TestApp::new("entry");
    let rules = app.open_campaign(true).await;

    let list = app.get("/api/campaigns").await.json();
    assert_eq!(list["campaigns"][0]["id"], "dazhou-2026");
    let view = app.get(C).await.json();
    assert_eq!(view["rules_hash"], json!(rules.hash()));
    assert_eq!(view["merchants"].as_array().map(Vec::len), Some(30));

    let r = app
        .post(
            &format!("{C}/entries"),
            entry("A-0001", "¥500", "13812341234"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t = r.json();
    assert_eq!(t["leaf_index"], 0);
    let promise: TicketPromise = serde_json::from_value(t["promise"].clone()).expect("promise");
    promise
        .verify(&rules.server_key)
        .expect("the promise is signed by the key in the rules");
    // The public leaf only commits to the masked phone; the ticket holder gets the opening.
    assert!(t["leaf"].get("phone_masked").is_none());
    let opening: fairdraw_core::ledger::PhoneOpening =
        serde_json::from_value(t["phone_opening"].clone()).expect("opening");
    assert_eq!(opening.phone_masked, "138****1234");
    let leaf: fairdraw_core::ledger::Leaf =
        serde_json::from_value(t["leaf"].clone()).expect("leaf");
    assert_eq!(opening.commitment(), leaf.phone_commitment);
    assert_eq!(
        promise.rules_hash,
        rules.hash(),
        "the promise covers the anchor"
    );
    assert!(
        !r.text.contains("13812341234"),
        "the full phone number never leaves the server"
    );

    let r = app
        .post(
            &format!("{C}/entries"),
            entry("A-0002", "499.99", "13812341234"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "BELOW_THRESHOLD")
    );
    assert_eq!(
        r.json()["message_zh"],
        "消费金额 499.99 元未达到 500.00 元，不能参与抽奖。"
    );
    assert_eq!(r.json()["field"], "amount");

    let r = app
        .post(
            &format!("{C}/entries"),
            entry("a-0001", "600", "13900000000"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "DUPLICATE_RECEIPT")
    );
    assert_eq!(
        r.json()["message_zh"],
        "该小票（发票）已经登记过，不能重复参与。"
    );

    for i in 2..=5 {
        let r = app
            .post(
                &format!("{C}/entries"),
                entry(&format!("A-000{i}"), "500", "13812341234"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = app
        .post(
            &format!("{C}/entries"),
            entry("A-0009", "500", "13812341234"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "CAP_PER_DAY")
    );

    let mut no_consent = entry("B-1", "500", "13712341234");
    no_consent["consent"] = json!(false);
    assert_eq!(
        app.post(&format!("{C}/entries"), no_consent).await.code(),
        "CONSENT_MISSING"
    );
    let mut unknown = entry("B-2", "500", "13712341234");
    unknown["referrer"] = json!("x");
    let r = app.post(&format!("{C}/entries"), unknown).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "JSON_SHAPE")
    );
    let r = app
        .send(
            "POST",
            &format!("{C}/entries"),
            Some("{\"merchant_id\":".into()),
            false,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "JSON_SYNTAX")
    );
    let big = json!({ "merchant_id": "M001", "receipt_number": "x".repeat(10_000), "phone": "1", "consent": true });
    let r = app.post(&format!("{C}/entries"), big).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE")
    );
    assert_eq!(
        app.post(
            "/api/campaigns/nope/entries",
            entry("C-1", "500", "13712341234")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // The ticket id is the capability.
    let id = t["ticket_id"].as_str().expect("id");
    let s = app.get(&format!("{C}/tickets/{id}")).await.json();
    assert_eq!(s["status"], "waiting_for_freeze");
    assert_eq!(
        s["promise"], t["promise"],
        "the same signed promise, read back later"
    );
    assert_eq!(
        app.get(&format!("{C}/tickets/{}", "0".repeat(32)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn injection_strings_are_data() {
    let mut app = TestApp::new("inject");
    app.open_campaign(true).await;
    let nasty = [
        "'; DROP TABLE entries; --",
        "\" OR 1=1 --",
        "<script>alert(1)</script>",
        "\u{0}",
        "../../etc/passwd",
        "%s%n",
        "１３８１２３４１２３４'",
    ];
    for s in nasty {
        for field in [
            "merchant_id",
            "receipt_number",
            "date",
            "amount",
            "phone",
            "qr",
        ] {
            let mut e = entry("D-1", "500", "13812341234");
            e[field] = json!(s);
            let r = app.post(&format!("{C}/entries"), e).await;
            assert!(
                r.status.is_client_error() || r.status == StatusCode::CREATED,
                "{field}={s:?}: {} {}",
                r.status,
                r.text
            );
            assert!(!r.code().is_empty() || r.status == StatusCode::CREATED);
        }
    }
    // The ledger is intact and still answers.
    assert_eq!(
        app.get(&format!("{C}/draws/0/tree-head")).await.status,
        StatusCode::OK
    );
    let mut rules = fairdraw_core::demo::demo_rules(
        [0; 32],
        fairdraw_core::civil::CivilDate::parse("2026-12-10").expect("d"),
    );
    rules.id = "x'--".into();
    let r = app
        .org("POST", "/api/organizer/campaigns", Some(json!(rules)))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "RULES_INVALID")
    );
    rules.id = "quoted".into();
    rules.name_zh = "<b>'\"; DROP TABLE campaigns; --".into();
    let r = app
        .org("POST", "/api/organizer/campaigns", Some(json!(rules)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["name_zh"], "<b>'\"; DROP TABLE campaigns; --");
    // The organizer's list has the draft; the public one does not.
    let mine = app
        .org("GET", "/api/organizer/campaigns", None)
        .await
        .json();
    assert!(
        mine["campaigns"]
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == "quoted" && c["state"] == "draft"),
        "{mine}"
    );
    let public = app.get("/api/campaigns").await.json();
    assert!(
        !public["campaigns"]
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == "quoted")
    );
}

#[tokio::test]
async fn organizer_routes_need_login_and_csrf_header() {
    let mut app = TestApp::new("auth");
    let r = app
        .org("POST", "/api/organizer/campaigns", Some(json!({})))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "AUTH_REQUIRED")
    );
    assert_eq!(
        app.get("/api/organizer/audit").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post("/api/organizer/login", json!({ "password": "wrong" }))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "LOGIN_FAILED")
    );
    app.login().await;
    assert_eq!(
        app.org("GET", "/api/organizer/session", None).await.status,
        StatusCode::OK
    );
    // Logged in, but without the custom header: refused.
    let cookie = app.cookie.clone().expect("cookie");
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{O}/open"))
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .expect("req");
    let resp = tower::ServiceExt::oneshot(fairdraw_server::app(app.state.clone()), req)
        .await
        .expect("resp");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Repeated wrong passwords are rate limited.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = app
            .post("/api/organizer/login", json!({ "password": "guess" }))
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let r = app.org("POST", "/api/organizer/logout", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.org("GET", "/api/organizer/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn lifecycle_in_order_from_draft_to_published() {
    let mut app = TestApp::new("life");
    app.login().await;
    let mut rules = fairdraw_core::demo::demo_rules(
        [0; 32],
        fairdraw_core::civil::CivilDate::parse("2026-12-10").expect("d"),
    );
    rules.caps = Default::default();
    assert_eq!(
        app.org("POST", "/api/organizer/campaigns", Some(json!(rules)))
            .await
            .status,
        StatusCode::CREATED
    );
    // A draft is not public, and takes no entries.
    assert_eq!(app.get(C).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&format!("{C}/entries"), entry("E-1", "500", "13812341234"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Merchants from CSV.
    let csv = "id,name\nM001,达州百货大楼\nM002,\"通川区万达广场\"\n";
    let r = app
        .send("POST", &format!("{O}/merchants"), Some(csv.into()), true)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["merchants"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.org(
            "POST",
            &format!("{O}/draws/0/commitments"),
            Some(json!({ "party": "organizer", "commitment": Hash32([1; 32]) }))
        )
        .await
        .code(),
        "CAMPAIGN_NOT_OPEN"
    );
    let r = app.org("POST", &format!("{O}/open"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let rules: fairdraw_core::rules::CampaignRules =
        serde_json::from_value(r.json()["rules"].clone()).expect("rules");
    assert_eq!(
        app.org("PUT", O, Some(json!(rules))).await.code(),
        "RULES_FROZEN"
    );
    assert_eq!(
        app.org("POST", &format!("{O}/open"), None).await.code(),
        "ALREADY_OPEN"
    );

    // Entries from several people.
    let mut tickets = Vec::new();
    for i in 0..40u32 {
        let phone = format!("139{:08}", i % 13);
        let mut e = entry(&format!("R-{i:04}"), &format!("{}", 500 + i), &phone);
        e["merchant_id"] = json!(if i % 2 == 0 { "M001" } else { "M002" });
        let r = app.post(&format!("{C}/entries"), e).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        tickets.push(r.json());
    }
    let th: Value = app.get(&format!("{C}/draws/0/tree-head")).await.json();
    let early: SignedTreeHead =
        serde_json::from_value(th["signed_tree_head"].clone()).expect("sth");
    early.verify(&rules.server_key).expect("signed");
    assert_eq!(early.head.tree_size, 40);

    // Out of order: freeze before close, before commitments.
    assert_eq!(
        app.org("POST", &format!("{O}/draws/0/freeze"), None)
            .await
            .code(),
        "WINDOW_STILL_OPEN"
    );
    let rules_hash = rules.hash();
    let secrets = [SeedSecret([0x11; 32]), SeedSecret([0x22; 32])];
    for (party, s) in ["organizer", "notary"].iter().zip(&secrets) {
        let c = commitment(&rules_hash, 0, party, s);
        let r = app
            .org(
                "POST",
                &format!("{O}/draws/0/commitments"),
                Some(json!({ "party": party, "commitment": c })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let again = app
        .org(
            "POST",
            &format!("{O}/draws/0/commitments"),
            Some(json!({ "party": "notary", "commitment": Hash32([9; 32]) })),
        )
        .await;
    assert_eq!(again.code(), "ALREADY_COMMITTED");
    assert_eq!(
        app.org("POST", &format!("{O}/draws/0/record"), Some(json!({})))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The window closes; the freeze signs the head. (Twelve days later the session has
    // expired, as it should: log in again.)
    app.clock.set(noon("2027-01-01"));
    assert_eq!(
        app.org("GET", "/api/organizer/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login().await;
    let late = app
        .org(
            "POST",
            &format!("{O}/draws/0/commitments"),
            Some(json!({ "party": "x", "commitment": Hash32([9; 32]) })),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Revealing before the freeze is refused.
    let r = app
        .org(
            "POST",
            &format!("{O}/draws/0/reveals"),
            Some(json!({ "party": "organizer", "secret": secrets[0] })),
        )
        .await;
    assert_eq!(r.code(), "NOT_FROZEN", "{}", r.text);
    let r = app.org("POST", &format!("{O}/draws/0/freeze"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let frozen: SignedFreeze = serde_json::from_value(r.json()["freeze"].clone()).expect("freeze");
    frozen.verify(&rules.server_key).expect("signed");
    assert_eq!(frozen.freeze.rules_hash, rules.hash());
    assert_eq!(frozen.freeze.commitments.len(), 2);
    assert_eq!(frozen.freeze.total_weight, 40);
    let sth = frozen.freeze.clone();
    assert_eq!(
        app.org("POST", &format!("{O}/draws/0/freeze"), None)
            .await
            .code(),
        "ALREADY_FROZEN"
    );
    // A receipt dated inside the frozen draw is refused; the ledger stays as frozen.
    let r = app
        .post(
            &format!("{C}/entries"),
            entry("LATE-1", "800", "13612341234"),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "DRAW_CLOSED")
    );

    // Consistency from the early head to the frozen one.
    let c = app
        .get(&format!(
            "{C}/draws/0/consistency?from={}&to={}",
            early.head.tree_size, sth.tree_size
        ))
        .await
        .json();
    let proof: Vec<Hash32> = serde_json::from_value(c["proof"].clone()).expect("proof");
    merkle::verify_consistency(
        early.head.tree_size,
        sth.tree_size,
        &early.head.root,
        &sth.root,
        &proof,
    )
    .expect("consistent");

    // The live draw, as the browser runs it: reveals to the server after the freeze, the
    // selection from the public ledger, the openings of the placed leaves.
    app.clock.set(noon("2027-01-01") + 60_000);
    let wrong = app
        .org(
            "POST",
            &format!("{O}/draws/0/reveals"),
            Some(json!({ "party": "notary", "secret": secrets[0] })),
        )
        .await;
    assert_eq!(wrong.code(), "REVEAL_MISMATCH", "{}", wrong.text);
    let text = app.get(&format!("{C}/draws/0/ledger")).await.text;
    let ledger = Ledger::from_jsonl(&text, |_| {}).expect("ledger");
    assert_eq!((ledger.size(), ledger.root()), (sth.tree_size, sth.root));
    assert!(
        !text.contains("****"),
        "no masked phone in the public ledger"
    );
    let parties = [
        ("organizer", secrets[0].clone()),
        ("notary", secrets[1].clone()),
    ];
    let record =
        common::conduct_via_api(&app, "dazhou-2026", 0, &parties, "03 07 12 19 25 31 09").await;
    let r = app
        .org(
            "POST",
            &format!("{O}/draws/0/openings"),
            Some(json!({ "leaves": [0, 1, 2, 3, 4, 5, 6, 7, 8] })),
        )
        .await;
    assert_eq!(
        r.code(),
        "OPENINGS_OUT_OF_RANGE",
        "only prizes + alternates leaves"
    );
    let mut forged = record.clone();
    forged.winners[0] = forged.alternates[0].clone();
    let r = app
        .org("POST", &format!("{O}/draws/0/record"), Some(json!(forged)))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "RECORD_FAILS_VERIFICATION"
        ),
        "{}",
        r.text
    );
    assert!(
        r.json()["message_en"]
            .as_str()
            .unwrap_or_default()
            .contains("winner.0")
    );
    assert_eq!(
        app.org("POST", &format!("{O}/draws/0/publish"), None)
            .await
            .code(),
        "NOT_DRAWN"
    );
    let r = app
        .org("POST", &format!("{O}/draws/0/record"), Some(json!(record)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&format!("{C}/draws/0/record")).await.status,
        StatusCode::NOT_FOUND,
        "not public before publishing"
    );
    assert_eq!(
        app.get(&format!("{C}/draws/0/bundle")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.org("POST", &format!("{O}/draws/0/publish"), None)
            .await
            .status,
        StatusCode::OK
    );
    let published = app.get(&format!("{C}/draws/0/record")).await.json();
    assert_eq!(published["seed"], json!(record.seed));
    // The proof bundle verifies on its own against the anchor, and is the published record's.
    let bundle: fairdraw_core::bundle::DrawBundle =
        serde_json::from_value(app.get(&format!("{C}/draws/0/bundle")).await.json())
            .expect("bundle");
    let light = fairdraw_core::bundle::verify_bundle(
        &bundle,
        fairdraw_core::verify::Anchor::Published(rules.hash()),
    );
    assert!(light.all_passed(), "{:?}", light.failed());
    assert!(fairdraw_core::bundle::matches_record(&bundle, &record));

    // Tickets learn their fate, with a proof that verifies against the frozen head.
    let winner = record.winners[0].ticket_id.to_hex();
    let s = app.get(&format!("{C}/tickets/{winner}")).await.json();
    assert_eq!(s["status"], "won");
    let proof: Vec<Hash32> = serde_json::from_value(s["inclusion_proof"].clone()).expect("proof");
    let leaf_hash: Hash32 = serde_json::from_value(s["leaf_hash"].clone()).expect("hash");
    merkle::verify_inclusion(
        &leaf_hash,
        s["leaf_index"].as_u64().expect("i"),
        sth.tree_size,
        &proof,
        &sth.root,
    )
    .expect("included");
    let statuses: Vec<String> = tickets
        .iter()
        .map(|t| t["ticket_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for t in &statuses {
        seen.insert(
            app.get(&format!("{C}/tickets/{t}")).await.json()["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert!(
        seen.contains("not_selected") && seen.contains("won") && seen.contains("alternate"),
        "{seen:?}"
    );

    // Forfeits (SPEC.md §7.3): prize 1 first, then prize 0; alternates step in in order and
    // never move; an alternate who stepped in can forfeit in turn; tickets say so.
    let status = |t: &fairdraw_core::ledger::TicketId| {
        let url = format!("{C}/tickets/{}", t.to_hex());
        let app = &app;
        async move { app.get(&url).await.json() }
    };
    let forfeit = |rank: u32, holder: Option<fairdraw_core::ledger::TicketId>| {
        let app = &app;
        async move {
            let mut body = json!({ "rank": rank });
            if let Some(t) = holder {
                body["ticket_id"] = json!(t);
            }
            app.org("POST", &format!("{O}/draws/0/forfeit"), Some(body))
                .await
        }
    };
    let (w, a) = (&record.winners, &record.alternates);
    let r = forfeit(1, Some(w[1].ticket_id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["prizes"][1]["holders"][0]["forfeited"], true);
    assert_eq!(
        v["prizes"][1]["holders"][1]["leaf_index"],
        json!(a[0].leaf_index)
    );
    assert_eq!(v["prizes"][1]["holders"][1]["forfeited"], false);
    assert_eq!(status(&w[1].ticket_id).await["status"], "forfeited");
    let s = status(&a[0].ticket_id).await;
    assert_eq!(
        (s["status"].as_str(), s["prize_rank"].as_u64()),
        (Some("won"), Some(1))
    );
    assert_eq!(s["stepped_in"], true);
    // A second click on the same (stale) screen does not forfeit the alternate who stepped in.
    assert_eq!(
        forfeit(1, Some(w[1].ticket_id)).await.code(),
        "HOLDER_CHANGED"
    );
    let r = forfeit(0, Some(w[0].ticket_id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["prizes"][1]["holders"][1]["leaf_index"],
        json!(a[0].leaf_index),
        "a later forfeit never moves an alternate to another prize"
    );
    assert_eq!(status(&a[1].ticket_id).await["prize_rank"], 0);
    // Alternate 0 does not claim prize 1 either: it passes to the next unused alternate.
    let r = forfeit(1, Some(a[0].ticket_id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(status(&a[0].ticket_id).await["status"], "forfeited");
    assert_eq!(status(&a[2].ticket_id).await["prize_rank"], 1);
    assert_eq!(status(&a[3].ticket_id).await["status"], "alternate");
    assert_eq!(r.json()["alternates"][2]["state"], "holds");
    for _ in 0..2 {
        assert_eq!(forfeit(0, None).await.status, StatusCode::OK);
    }
    assert_eq!(forfeit(0, None).await.code(), "NO_ALTERNATE_LEFT");
    let csv = app
        .org("GET", &format!("{O}/draws/0/contacts"), None)
        .await
        .text;
    assert!(
        csv.lines().count() == 1 + record.winners.len() + record.alternates.len(),
        "{csv}"
    );
    // UTF-8 with a BOM for Excel on Chinese Windows; the full phone (for prize claims) and the
    // receipt number kept as text, not turned into numbers.
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    let mut rows = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let first = rows.records().next().expect("a row").expect("csv");
    assert!(
        first[5].starts_with("\t1") && first[5].len() == 12,
        "{:?}",
        &first[5]
    );
    assert!(
        !first[6].starts_with(['=', '+', '-', '@']),
        "{:?}",
        &first[6]
    );

    // Every organizer action is in the hash-chained audit log.
    let audit = app.org("GET", "/api/organizer/audit", None).await.json();
    assert_eq!(audit["chain_ok"], true);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("a")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "campaign.create",
        "campaign.merchants",
        "campaign.open",
        "draw.commit",
        "draw.freeze",
        "draw.record",
        "draw.publish",
        "draw.forfeit",
        "draw.export_contacts",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(!audit.to_string().contains(PASSWORD_HINT));
}

const PASSWORD_HINT: &str = "battery staple";

#[tokio::test]
async fn fifty_concurrent_copies_of_one_receipt_make_one_entry() {
    let mut app = TestApp::new("concurrent");
    app.open_campaign(false).await;
    let mut tasks = Vec::new();
    for i in 0..50u32 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let body = entry("SAME-RECEIPT-1", "800", &format!("137{:08}", i)).to_string();
            let req = axum::http::Request::builder()
                .method("POST")
                .uri(format!("{C}/entries"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .expect("req");
            tower::ServiceExt::oneshot(fairdraw_server::app(state), req)
                .await
                .expect("resp")
                .status()
        }));
    }
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
    assert_eq!(
        app.get(&format!("{C}/draws/0/tree-head")).await.json()["signed_tree_head"]["head"]["tree_size"],
        1
    );
    let _ = app.cookie.take();
}

#[tokio::test]
async fn proofs_for_every_leaf_verify() {
    let mut app = TestApp::new("proofs");
    app.open_campaign(false).await;
    for i in 0..13u32 {
        let r = app
            .post(
                &format!("{C}/entries"),
                entry(&format!("P-{i:04}"), "500", &format!("135{i:08}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let head =
        app.get(&format!("{C}/draws/0/tree-head")).await.json()["signed_tree_head"]["head"].clone();
    let root: Hash32 = serde_json::from_value(head["root"].clone()).expect("root");
    for i in 0..13u64 {
        let p = app.get(&format!("{C}/draws/0/proof/{i}")).await.json();
        let proof: Vec<Hash32> = serde_json::from_value(p["proof"].clone()).expect("proof");
        let leaf: Hash32 = serde_json::from_value(p["leaf_hash"].clone()).expect("leaf");
        merkle::verify_inclusion(&leaf, i, 13, &proof, &root).expect("verifies");
    }
    assert_eq!(
        app.get(&format!("{C}/draws/0/proof/13")).await.code(),
        "INDEX_OUT_OF_RANGE"
    );
    assert_eq!(
        app.get(&format!("{C}/draws/0/consistency?from=0"))
            .await
            .code(),
        "BAD_SIZES"
    );
}

async fn fetch_checkpoint(app: &TestApp) -> (Vec<u8>, String) {
    let r = app.get(&format!("{C}/draws/0/checkpoint")).await;
    assert_eq!(r.status, StatusCode::OK);
    let vkey = r.headers["x-fairdraw-log-vkey"]
        .to_str()
        .expect("vkey")
        .to_owned();
    (r.text.into_bytes(), vkey)
}

/// The draw's log as C2SP checkpoints: a witness (the real `fairdraw-witness` code, in process)
/// cosigns the first, then, given the server's own consistency proof, the grown one; it refuses
/// a stale size.
#[tokio::test]
async fn checkpoints_are_cosigned_by_a_witness() {
    use fairdraw_core::checkpoint::{AddCheckpoint, Checkpoint, parse_note};
    let mut app = TestApp::new("checkpoints");
    app.open_campaign(false).await;
    let add = |i: u32| entry(&format!("W-{i:04}"), "500", &format!("136{i:08}"));
    for i in 0..5u32 {
        assert_eq!(
            app.post(&format!("{C}/entries"), add(i)).await.status,
            StatusCode::CREATED
        );
    }
    let (note5, vkey) = fetch_checkpoint(&app).await;
    let text = parse_note(&note5).expect("a signed note").text().to_vec();
    let cp = Checkpoint::parse(&text).expect("a checkpoint");
    assert_eq!(cp.size, 5);
    assert!(
        cp.origin.starts_with("fairdraw/") && cp.origin.ends_with("/0"),
        "{}",
        cp.origin
    );
    assert!(
        cp.extensions[0].starts_with("fairdraw/rules "),
        "{:?}",
        cp.extensions
    );

    let dir = std::env::temp_dir().join(format!("fairdraw-cp-witness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let w = fairdraw_witness::Witness::open(
        &dir,
        fairdraw_witness::Identity {
            name: "notary.test/witness".into(),
            key: ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]),
        },
        &[fairdraw_witness::Log::from_vkey(&vkey).expect("the server's log vkey")],
    )
    .expect("witness");
    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: note5,
    };
    let r = w.add_checkpoint(&first.to_bytes());
    assert_eq!(r.status, 200, "{}", r.body);

    for i in 5..12u32 {
        assert_eq!(
            app.post(&format!("{C}/entries"), add(i)).await.status,
            StatusCode::CREATED
        );
    }
    let (note12, _) = fetch_checkpoint(&app).await;
    let c = app
        .get(&format!("{C}/draws/0/consistency?from=5&to=12"))
        .await
        .json();
    let proof: Vec<Hash32> = serde_json::from_value(c["proof"].clone()).expect("proof");
    let grown = AddCheckpoint {
        old_size: 5,
        proof,
        checkpoint: note12.clone(),
    };
    let r = w.add_checkpoint(&grown.to_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(w.latest(&cp.origin).map(|l| l.0), Some(12));
    let stale = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: note12,
    };
    let r = w.add_checkpoint(&stale.to_bytes());
    assert_eq!((r.status, r.body.as_str()), (409, "12\n"));
}

#[tokio::test]
async fn security_headers_and_server_key() {
    let app = TestApp::new("headers");
    let r = app.get("/api/server-key").await;
    assert_eq!(
        r.headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok()),
        Some(fairdraw_server::CSP)
    );
    assert_eq!(
        r.headers
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(
        r.headers
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    assert_eq!(r.json()["public_key"].as_str().map(str::len), Some(64));
}

#[tokio::test]
async fn demo_has_a_frozen_draw_ready_to_run_and_one_open_today() {
    let mut app = TestApp::new("demo");
    let secrets = app.dir.join("demo-secrets");
    let id = fairdraw_server::demo::ensure_demo(&app.state, &secrets)
        .await
        .expect("demo")
        .expect("created");
    // What `serve` runs: the submitter that brings the demo's two witnesses up to date.
    tokio::spawn(fairdraw_server::witnessing::run(app.state.clone()));
    // The demo's witnesses cosigned its synthetic past: the commitments and the freeze.
    let w = app
        .get(&format!("/api/campaigns/{id}/witnesses"))
        .await
        .json();
    assert_eq!(w["quorum"], 2, "{w}");
    for i in 0..2 {
        assert_eq!(w["witnesses"][i]["cosigned_size"], 3, "{w}");
        assert_eq!(w["witnesses"][i]["configured"], true, "{w}");
    }
    assert!(
        fairdraw_server::demo::ensure_demo(&app.state, &secrets)
            .await
            .expect("again")
            .is_none()
    );
    let view = app.get(&format!("/api/campaigns/{id}")).await.json();
    assert_eq!(view["draws"].as_array().map(Vec::len), Some(3));
    assert_eq!(view["draws"][0]["state"], "frozen");
    assert_eq!(
        view["draws"][0]["entries"],
        fairdraw_server::demo::DEMO_ENTRIES
    );
    assert_eq!(view["draws"][1]["state"], "collecting");
    assert_eq!(
        view["draws"][1]["entries"],
        fairdraw_server::demo::DEMO_OPEN_ENTRIES
    );
    // Today's receipt joins the open draw.
    let r = app
        .post(
            &format!("/api/campaigns/{id}/entries"),
            json!({ "merchant_id": "M003", "receipt_number": "DEMO-1",
        "date": "2026-12-20", "amount": "688", "phone": "13812345678", "consent": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["draw_index"], 1);
    assert_eq!(
        r.json()["leaf_index"],
        fairdraw_server::demo::DEMO_OPEN_ENTRIES
    );

    // The frozen draw runs with the two secret files, and the server accepts the record.
    let mut reveals = Vec::new();
    for party in ["organizer", "notary"] {
        let file = std::fs::read_to_string(secrets.join(format!("{id}-draw1-{party}.json")))
            .expect("secret file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(secrets.join(format!("{id}-draw1-{party}.json")))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "secret files are private");
        }
        let v: serde_json::Value = serde_json::from_str(&file).expect("json");
        let mut secret = [0u8; 32];
        hex::decode_to_slice(v["secret"].as_str().expect("secret"), &mut secret).expect("hex");
        reveals.push((party, SeedSecret(secret)));
    }
    app.login().await;
    let record = common::conduct_via_api(&app, &id, 0, &reveals, "3 7 12 19 25 31 9").await;
    app.login().await;
    let r = app
        .org(
            "POST",
            &format!("/api/organizer/campaigns/{id}/draws/0/record"),
            Some(json!(record)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let checks = r.json()["checks"].clone();
    for id in [
        "freeze.witnessed",
        "commitment.0.witnessed",
        "reveal.1.witnessed",
    ] {
        let c = checks
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == id))
            .cloned();
        assert_eq!(
            c.as_ref().map(|c| c["ok"].clone()),
            Some(json!(true)),
            "{id}: {checks}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_racing_the_freeze_are_in_the_frozen_tree_or_refused() {
    let mut app = TestApp::new("race");
    let rules = app.open_campaign(false).await;
    let rules_hash = rules.hash();
    for party in ["organizer", "notary"] {
        let c = commitment(&rules_hash, 0, party, &SeedSecret([3; 32]));
        let r = app
            .org(
                "POST",
                &format!("{O}/draws/0/commitments"),
                Some(json!({ "party": party, "commitment": c })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // A millisecond before draw 0 closes, entries race the close and the freeze: each is in
    // the frozen tree, acknowledged strictly before the freeze, or refused.
    let close = rules.draws[0].closes_at_ms();
    app.clock.set(close - 1);
    app.login().await;
    let mut tasks = Vec::new();
    let mut early = Vec::new();
    let mut freeze = None;
    for i in 0..120u32 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let body = entry(&format!("RACE-{i:05}"), "600", &format!("134{i:08}")).to_string();
            let req = axum::http::Request::builder()
                .method("POST")
                .uri(format!("{C}/entries"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .expect("req");
            let resp = tower::ServiceExt::oneshot(fairdraw_server::app(state), req)
                .await
                .expect("resp");
            let status = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .expect("body")
                .to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }));
        if i == 60 {
            // One entry is certainly in before the close; the rest race it and the freeze.
            early.push(tasks.remove(0).await.expect("task"));
            // The freeze joins the same queue as the entries around it, not after them.
            app.clock.set(close);
            let state = app.state.clone();
            let cookie = app.cookie.clone().expect("cookie");
            freeze = Some(tokio::spawn(async move {
                let req = axum::http::Request::builder()
                    .method("POST")
                    .uri(format!("{O}/draws/0/freeze"))
                    .header("cookie", cookie)
                    .header("x-fairdraw-csrf", "1")
                    .body(axum::body::Body::empty())
                    .expect("req");
                tower::ServiceExt::oneshot(fairdraw_server::app(state), req)
                    .await
                    .expect("resp")
                    .status()
            }));
        }
    }
    assert_eq!(
        freeze.expect("spawned").await.expect("task"),
        StatusCode::OK
    );
    let head = app.get(&format!("{C}/draws/0/tree-head")).await.json();
    let frozen: SignedFreeze = serde_json::from_value(head["freeze"].clone()).expect("freeze");
    let size = frozen.freeze.tree_size;
    let mut acked = 0u64;
    let mut results = early;
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    for (status, body) in results {
        match status {
            StatusCode::CREATED => {
                acked += 1;
                let index = body["leaf_index"].as_u64().expect("index");
                assert!(
                    index < size,
                    "ticket {index} was acknowledged but is outside the frozen tree of {size}"
                );
            }
            StatusCode::CONFLICT => assert!(
                body["code"] == "DRAW_FROZEN" || body["code"] == "DRAW_CLOSED",
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        acked, size,
        "every acknowledged entry, and nothing else, is in the frozen tree"
    );
    let text = app.get(&format!("{C}/draws/0/ledger")).await.text;
    let ledger = Ledger::from_jsonl(&text, |_| {}).expect("ledger");
    assert_eq!(ledger.root(), frozen.freeze.root);
    assert!(acked > 0, "some entries came in before the close");
    // Every frozen leaf was acknowledged strictly before the freeze: the draw can verify.
    assert!(
        ledger
            .leaves
            .iter()
            .all(|l| l.entered_at_ms < frozen.freeze.frozen_at_ms && l.entered_at_ms < close),
        "a frozen leaf was acknowledged at or after the freeze"
    );
    // And the draw is run and accepted: the race cannot leave an unverifiable draw behind.
    app.clock.set(close + 3_600_000);
    app.login().await;
    let secrets = [
        ("organizer", SeedSecret([3; 32])),
        ("notary", SeedSecret([3; 32])),
    ];
    let record = common::conduct_via_api(&app, "dazhou-2026", 0, &secrets, "1 2 3 4 5 6 7").await;
    let r = app
        .org("POST", &format!("{O}/draws/0/record"), Some(json!(record)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// Starts a `fairdraw-witness` (its real code, in process) on an ephemeral port for `log_vkey`;
/// returns its address.
async fn start_witness(dir: &std::path::Path, name: &str, seed: u8, log_vkey: &str) -> String {
    std::fs::create_dir_all(dir).expect("mkdir");
    let w = fairdraw_witness::Witness::open(
        dir,
        fairdraw_witness::Identity {
            name: name.into(),
            key: ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
        },
        &[fairdraw_witness::Log::from_vkey(log_vkey).expect("log vkey")],
    )
    .expect("witness");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = fairdraw_witness::router(std::sync::Arc::new(w));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A whole campaign with two witnesses (quorum 2), one of them down at first: entries never
/// wait for it; the freeze waits, times out and names it; reveals are refused until the freeze
/// is witnessed; once it is back it catches up (409 → its size → a consistency proof); the
/// record carries the journal and cosigned checkpoints, and the core's witness checks pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_witnessed_by_two_witnesses() {
    use fairdraw_core::journal::journal_vkey;
    use fairdraw_core::note::{SIG_TYPE_COSIGNATURE, format_vkey};
    let mut app = TestApp::new("two-witnesses");
    app.login().await;
    let key = |seed: u8| ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let mut rules = fairdraw_core::demo::demo_rules(
        app.state.keys.signing.verifying_key().to_bytes(),
        fairdraw_core::civil::CivilDate::parse("2026-12-10").expect("d"),
    );
    rules.caps = Default::default();
    rules.witnesses = [
        ("达州市公证处", "notary.test/w", 0x51),
        ("川东日报", "daily.test/w", 0x52),
    ]
    .iter()
    .map(|(name, kn, seed)| fairdraw_core::rules::Witness {
        name: (*name).into(),
        vkey: format_vkey(
            kn,
            SIG_TYPE_COSIGNATURE,
            key(*seed).verifying_key().as_bytes(),
        ),
    })
    .collect();
    rules.witness_quorum = 2;
    let r = app
        .org("POST", "/api/organizer/campaigns", Some(json!(rules)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.org("POST", &format!("{O}/open"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rules: fairdraw_core::rules::CampaignRules =
        serde_json::from_value(r.json()["rules"].clone()).expect("rules");
    let log = journal_vkey(&rules);

    let dir = app.dir.join("witnesses");
    let notary = start_witness(&dir.join("notary"), "notary.test/w", 0x51, &log).await;
    app.state.witnesses.set_url("notary.test/w", &notary);
    // The newspaper's witness is configured but down: nothing listens there.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead_url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    app.state.witnesses.set_url("daily.test/w", &dead_url);
    *app.state.witnesses.timeout.write().expect("lock") = std::time::Duration::from_secs(2);
    tokio::spawn(fairdraw_server::witnessing::run(app.state.clone()));

    // Commitments, and entries while a witness is down: none of them waits for it.
    let secrets = [SeedSecret([0x11; 32]), SeedSecret([0x22; 32])];
    for (party, s) in ["organizer", "notary"].iter().zip(&secrets) {
        let cm = commitment(&rules.hash(), 0, party, s);
        let r = app
            .org(
                "POST",
                &format!("{O}/draws/0/commitments"),
                Some(json!({ "party": party, "commitment": cm })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let started = std::time::Instant::now();
    for i in 0..20u32 {
        let r = app
            .post(
                &format!("{C}/entries"),
                entry(&format!("WT-{i:04}"), "520", &format!("137{i:08}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "entries waited for a witness: {:?}",
        started.elapsed()
    );

    // The freeze: signed at once, but the quorum does not come; the answer names who is silent.
    app.clock.set(noon("2027-01-01"));
    app.login().await;
    let r = app.org("POST", &format!("{O}/draws/0/freeze"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let w = &r.json()["witnessed"];
    assert_eq!(w["ok"], false, "{}", r.text);
    assert_eq!(w["code"], "WITNESS_TIMEOUT");
    assert!(
        w["message_zh"]
            .as_str()
            .unwrap_or_default()
            .contains("川东日报"),
        "{w}"
    );
    assert!(
        w["message_en"]
            .as_str()
            .unwrap_or_default()
            .contains("川东日报"),
        "{w}"
    );
    let status = app.get(&format!("{C}/witnesses")).await.json();
    assert_eq!(status["witnesses"][0]["cosigned_size"], 3, "{status}");
    assert_eq!(status["witnesses"][1]["cosigned_size"], 0, "{status}");
    assert!(
        status["witnesses"][1]["error_en"]
            .as_str()
            .is_some_and(|e| e.contains("did not answer")),
        "{status}"
    );

    // No secret comes out while the freeze is not witnessed.
    app.clock.set(noon("2027-01-01") + 60_000);
    let r = app
        .org(
            "POST",
            &format!("{O}/draws/0/reveals"),
            Some(json!({ "party": "organizer", "secret": secrets[0] })),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "FREEZE_NOT_WITNESSED"),
        "{}",
        r.text
    );
    assert!(
        r.json()["message_zh"]
            .as_str()
            .unwrap_or_default()
            .contains("川东日报")
    );

    // The newspaper's witness comes up (at a new address); it catches up from 0 in one step.
    let daily = start_witness(&dir.join("daily"), "daily.test/w", 0x52, &log).await;
    app.state.witnesses.set_url("daily.test/w", &daily);
    app.state.witnesses.poke();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let s = app.get(&format!("{C}/witnesses")).await.json();
        if s["witnesses"][1]["cosigned_size"] == 3 {
            assert!(s["witnesses"][1]["error_en"].is_null(), "{s}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the witness did not catch up: {s}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The draw: reveals, then the record, which the server completes with the witnessed
    // journal (after both reveals are cosigned).
    let parties = [
        ("organizer", secrets[0].clone()),
        ("notary", secrets[1].clone()),
    ];
    let record =
        common::conduct_via_api(&app, "dazhou-2026", 0, &parties, "03 07 12 19 25 31 09").await;
    assert!(record.witnessing.is_none());
    let r = app
        .org("POST", &format!("{O}/draws/0/record"), Some(json!(record)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.org("POST", &format!("{O}/draws/0/publish"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stored: fairdraw_core::record::DrawRecord =
        serde_json::from_value(app.get(&format!("{C}/draws/0/record")).await.json())
            .expect("record");
    let w = stored
        .witnessing
        .as_ref()
        .expect("the record carries the journal");
    assert_eq!(w.journal.len(), 5, "2 commitments, the freeze, 2 reveals");
    let ledger = Ledger::from_jsonl(&app.get(&format!("{C}/draws/0/ledger")).await.text, |_| {})
        .expect("ledger");
    let report = fairdraw_core::verify::verify_record(
        &stored,
        &ledger,
        fairdraw_core::verify::Anchor::Published(rules.hash()),
    );
    assert!(report.all_passed(), "{:?}", report.failed());
    let freeze = report
        .checks
        .iter()
        .find(|c| c.id == "freeze.witnessed")
        .expect("check");
    assert!(
        freeze.detail.contains("witnessed by 2 of 2"),
        "{}",
        freeze.detail
    );
    for id in [
        "commitment.0.witnessed",
        "commitment.1.witnessed",
        "reveal.0.witnessed",
        "reveal.1.witnessed",
        "freeze.witnessed_before_entropy",
    ] {
        assert!(report.checks.iter().any(|c| c.id == id && c.ok), "{id}");
    }
    // Every cosigned checkpoint also verifies with cloudflare's signed_note under the log vkey
    // the witnesses were started with.
    let list = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(&log).expect("a standard vkey"),
    )]);
    let mut cosigned_by_both = 0;
    for cp in &w.checkpoints {
        let n = signed_note::Note::from_bytes(cp.as_bytes()).expect("a C2SP note");
        let (ok, others) = n.verify(&list).expect("the server's signature verifies");
        cosigned_by_both += usize::from(others.len() == 2);
        // Early checkpoints were cosigned by the notary alone (the newspaper was down).
        assert!(ok.len() == 1 && (1..=2).contains(&others.len()), "{cp}");
    }
    assert!(
        cosigned_by_both >= 2,
        "the freeze's and the last checkpoint at least"
    );
}

fn with_limits(app: &mut TestApp, f: impl FnOnce(&mut fairdraw_server::limits::Limits)) {
    let mut l = fairdraw_server::limits::Limits::new(fairdraw_server::limits::EntryQuotas::DEFAULT);
    l.client_ip_header = Some(axum::http::HeaderName::from_static("x-real-ip"));
    f(&mut l);
    app.state.limits = std::sync::Arc::new(l);
}

async fn entry_from(app: &TestApp, ip: &str, receipt: &str, phone: &str) -> common::Resp {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{C}/entries"))
        .header("content-type", "application/json")
        .header("x-real-ip", ip)
        .body(axum::body::Body::from(
            entry(receipt, "520", phone).to_string(),
        ))
        .expect("request");
    app.send_request(req).await
}

/// An entry flood from one address (made-up phones and receipts) is held off after the
/// address's allowance, with 429, `Retry-After` and a message that tells a real shopper what to
/// do; another address is not affected; one phone from many addresses is held off too; and a
/// forwarding header the server was not told to trust changes nothing.
#[tokio::test]
async fn entry_floods_are_held_off_and_shoppers_told_when_to_retry() {
    let mut app = TestApp::new("flood");
    app.open_campaign(false).await;
    with_limits(&mut app, |_| {});
    let mut accepted = 0;
    let mut refused = None;
    for i in 0..40u32 {
        let r = entry_from(
            &app,
            "203.0.113.7",
            &format!("FL-{i:05}"),
            &format!("135{i:08}"),
        )
        .await;
        match r.status {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused.get_or_insert(r);
            }
            s => panic!("{s}: {}", r.text),
        }
    }
    assert_eq!(accepted, 30, "the address's burst");
    let r = refused.expect("the flood was refused");
    assert_eq!(r.code(), "RATE_LIMITED");
    let after: u64 = r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&after), "{after}");
    assert_eq!(r.json()["retry_after_s"], after);
    assert!(
        r.json()["message_zh"]
            .as_str()
            .unwrap_or_default()
            .contains("秒后再提交"),
        "{}",
        r.text
    );
    assert!(
        r.json()["message_en"]
            .as_str()
            .unwrap_or_default()
            .contains("does not lower your chances")
    );
    // Another household is not affected.
    let r = entry_from(&app, "198.51.100.9", "FL-OTHER-1", "13900000001").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // One phone, many addresses: its own allowance.
    let mut phone_refused = false;
    for i in 0..12u32 {
        let r = entry_from(
            &app,
            &format!("192.0.2.{i}"),
            &format!("PH-{i:05}"),
            "13711112222",
        )
        .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                r.json()["message_en"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("phone number"),
                "{}",
                r.text
            );
            phone_refused = true;
            assert!(i >= 10, "refused after {i}");
        }
    }
    assert!(phone_refused);
    // Without a configured proxy header, a forwarded address is not believed: all these
    // requests come from the same (unknown) peer.
    with_limits(&mut app, |l| l.client_ip_header = None);
    let mut last = StatusCode::CREATED;
    for i in 0..31u32 {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri(format!("{C}/entries"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("10.0.{i}.1"))
            .body(axum::body::Body::from(
                entry(&format!("XF-{i:05}"), "520", &format!("136{i:08}")).to_string(),
            ))
            .expect("request");
        last = app.send_request(req).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// Reads past the bound wait briefly, then get 503 with `Retry-After`, never a 500; the same
/// for password hashing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_gets_503_with_retry_after_never_500() {
    let mut app = TestApp::new("overload");
    app.open_campaign(false).await;
    with_limits(&mut app, |l| {
        l.reads = tokio::sync::Semaphore::new(2);
        l.read_wait = std::time::Duration::from_millis(50);
    });
    // Every read slot taken: a read waits 50 ms and is told to retry.
    let held = app
        .state
        .limits
        .reads
        .acquire_many(2)
        .await
        .expect("permits");
    let r = app.get(C).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "SERVER_BUSY"),
        "{}",
        r.text
    );
    assert_eq!(r.headers["retry-after"], "1");
    drop(held);
    assert_eq!(app.get(C).await.status, StatusCode::OK);
    // 400 concurrent reads through 2 slots: each answered 200 or 503, none 500.
    let mut tasks = Vec::new();
    for _ in 0..400 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let req = axum::http::Request::builder()
                .uri(C)
                .body(axum::body::Body::empty())
                .expect("req");
            use tower::ServiceExt;
            let resp = fairdraw_server::app(state)
                .oneshot(req)
                .await
                .expect("resp");
            (resp.status(), resp.headers().contains_key("retry-after"))
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (s, retry) = t.await.expect("task");
        assert!(
            s == StatusCode::OK || (s == StatusCode::SERVICE_UNAVAILABLE && retry),
            "{s}"
        );
        ok += usize::from(s == StatusCode::OK);
    }
    assert!(ok > 0);
    // Password hashing: both slots busy, a login is told to retry rather than queue 20 MiB.
    let held = app
        .state
        .limits
        .hashing
        .acquire_many(2)
        .await
        .expect("permits");
    let r = app
        .post("/api/organizer/login", json!({ "password": "wrong" }))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "LOGIN_BUSY"),
        "{}",
        r.text
    );
    assert!(r.headers.contains_key("retry-after"));
    drop(held);
    let r = app
        .post("/api/organizer/login", json!({ "password": "wrong" }))
        .await;
    assert_eq!(r.code(), "LOGIN_FAILED");
}

/// A shopper whose first answer was lost retries with the same idempotency key and gets the
/// same ticket (200), not "already entered"; without the key, or with another key, the receipt
/// is a duplicate; a malformed key is refused.
#[tokio::test]
async fn a_retry_with_the_same_key_gets_the_same_ticket() {
    let mut app = TestApp::new("idempotency");
    app.open_campaign(false).await;
    let send = |key: Option<&str>, phone: &str| {
        let mut req = axum::http::Request::builder()
            .method("POST")
            .uri(format!("{C}/entries"))
            .header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        req.body(axum::body::Body::from(
            entry("IDEM-0001", "520", phone).to_string(),
        ))
        .expect("request")
    };
    let first = app
        .send_request(send(Some("k-123_abc"), "13800001111"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = app
        .send_request(send(Some("k-123_abc"), "13800001111"))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    for field in [
        "ticket_id",
        "leaf_index",
        "leaf_hash",
        "promise",
        "phone_opening",
    ] {
        assert_eq!(first.json()[field], again.json()[field], "{field}");
    }
    assert_eq!(
        app.send_request(send(None, "13800001111")).await.code(),
        "DUPLICATE_RECEIPT"
    );
    assert_eq!(
        app.send_request(send(Some("other"), "13800001111"))
            .await
            .code(),
        "DUPLICATE_RECEIPT"
    );
    // The same key from another phone is not the same submission.
    assert_eq!(
        app.send_request(send(Some("k-123_abc"), "13900002222"))
            .await
            .code(),
        "DUPLICATE_RECEIPT"
    );
    assert_eq!(
        app.send_request(send(Some("bad key!"), "13800001111"))
            .await
            .code(),
        "IDEMPOTENCY_KEY_MALFORMED"
    );
    let ledger = app.get(&format!("{C}/draws/0/ledger")).await.text;
    assert_eq!(ledger.lines().count(), 1, "one leaf for the receipt");
    // The data folder (keys) and the database (full phones) are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&app.dir), 0o700);
        let sqlite_files: &[&str] = if common::on_postgres() {
            &[]
        } else {
            &["fairdraw.sqlite3", "fairdraw.sqlite3-wal"]
        };
        for f in sqlite_files.iter().chain(&["signing.key", "pseudonym.key"]) {
            assert_eq!(mode(&app.dir.join(f)), 0o600, "{f}");
        }
    }
}

/// Every error is JSON: an unknown API address, a wrong method; and a missing hashed asset is a
/// 404, not the web app's page cached for a year under the asset's name.
#[tokio::test]
async fn errors_are_json_and_missing_assets_are_404() {
    let mut app = TestApp::new("errors-json");
    let r = app.get("/api/no-such-thing").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
    let r = app.get("/api/organizer/login").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
        "{}",
        r.text
    );
    let dist = app.dir.join("dist");
    std::fs::create_dir_all(&dist).expect("mkdir");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>fairdraw</title>",
    )
    .expect("write");
    std::fs::write(dist.join("style-0123456789abcdef.css"), "body{}").expect("write");
    app.state.dist = Some(dist);
    let r = app.get("/verify/x/0").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<title>fairdraw"));
    let r = app.get("/style-0123456789abcdef.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["cache-control"]
            .to_str()
            .unwrap_or_default()
            .contains("immutable")
    );
    let r = app.get("/style-fedcba9876543210.css").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
    assert_eq!(r.headers["cache-control"], "no-store");
    let r = app.get("/api/no-such-thing").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{}",
        r.text
    );
    // A body over the limit on a route that reads raw text: refused by a layer, still JSON.
    app.login().await;
    let big = axum::http::Request::builder()
        .method("POST")
        .uri("/api/organizer/campaigns/x/merchants")
        .header("content-type", "text/csv")
        .header("x-fairdraw-csrf", "1")
        .header("cookie", app.cookie.clone().expect("cookie"))
        .body(axum::body::Body::from(vec![b'a'; 2 << 20]))
        .expect("request");
    let r = app.send_request(big).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE"),
        "{}",
        r.text
    );
    // HSTS only when served over https (Secure cookies).
    assert!(
        !app.get("/api/server-key")
            .await
            .headers
            .contains_key("strict-transport-security")
    );
    app.state.secure_cookies = true;
    let r = app.get("/api/server-key").await;
    assert_eq!(
        r.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

/// Guessing the organizer password: malformed attempts do not count; after five wrong guesses
/// in a row each further guess waits twice as long, from any address; waiting gets a guess
/// checked again, the right password ends the backoff; every wrong guess is audited; the
/// password can be reset from the console, ending every session.
#[tokio::test]
async fn password_guessing_backs_off_globally_and_never_locks_out_for_good() {
    let mut app = TestApp::new("guessing");
    with_limits(&mut app, |_| {});
    let login_from = |ip: &str, body: &str| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/organizer/login")
            .header("content-type", "application/json")
            .header("x-real-ip", ip)
            .body(axum::body::Body::from(body.to_owned()))
            .expect("request")
    };
    for _ in 0..20 {
        let r = app
            .send_request(login_from("203.0.113.1", "{not json"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    for i in 0..5 {
        let r = app
            .send_request(login_from(
                &format!("198.51.100.{i}"),
                r#"{"password":"guess"}"#,
            ))
            .await;
        assert_eq!(r.code(), "LOGIN_FAILED", "guess {i}: {}", r.text);
    }
    // From a sixth address: the backoff is global.
    let r = app
        .send_request(login_from("192.0.2.77", r#"{"password":"guess"}"#))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "LOGIN_BACKOFF"),
        "{}",
        r.text
    );
    assert_eq!(r.headers["retry-after"], "1");
    // Even the right password waits (the backoff is checked before any hash)…
    let right = format!(r#"{{"password":"{}"}}"#, common::PASSWORD);
    assert_eq!(
        app.send_request(login_from("192.0.2.1", &right))
            .await
            .code(),
        "LOGIN_BACKOFF"
    );
    // … one second later a wrong guess is checked, and the next wait doubles.
    app.clock
        .set(app.clock.0.load(std::sync::atomic::Ordering::SeqCst) + 1_000);
    assert_eq!(
        app.send_request(login_from("192.0.2.1", r#"{"password":"guess"}"#))
            .await
            .code(),
        "LOGIN_FAILED"
    );
    let r = app.send_request(login_from("192.0.2.1", &right)).await;
    assert_eq!(r.headers["retry-after"], "2", "{}", r.text);
    app.clock
        .set(app.clock.0.load(std::sync::atomic::Ordering::SeqCst) + 2_000);
    let r = app.send_request(login_from("192.0.2.1", &right)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The right password ended the backoff.
    assert_eq!(
        app.send_request(login_from("192.0.2.2", r#"{"password":"guess"}"#))
            .await
            .code(),
        "LOGIN_FAILED"
    );
    app.login().await;
    let audit = app.org("GET", "/api/organizer/audit", None).await.json();
    let failed = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "organizer.login_failed")
        .count();
    assert_eq!(failed, 7);
    // The console's recovery path: a new password, every session ended, and a backoff that
    // guessers keep going ends in the running server too.
    for _ in 0..6 {
        app.send_request(login_from("203.0.113.9", r#"{"password":"guess"}"#))
            .await;
    }
    assert_eq!(
        app.send_request(login_from("203.0.113.9", r#"{"password":"guess"}"#))
            .await
            .code(),
        "LOGIN_BACKOFF"
    );
    app.state
        .reset_organizer("a new long passphrase")
        .expect("reset");
    assert_eq!(
        app.org("GET", "/api/organizer/audit", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post(
            "/api/organizer/login",
            json!({ "password": "a new long passphrase" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A frozen draw's ledger is served from a file written once: the same bytes as before the
/// freeze's size, an ETag (the root) answered with 304, byte ranges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_ledger_is_a_cached_file_with_etag_and_ranges() {
    let mut app = TestApp::new("ledger-file");
    let rules = app.open_campaign(false).await;
    for i in 0..5u32 {
        let r = app
            .post(
                &format!("{C}/entries"),
                entry(&format!("LF-{i:03}"), "520", &format!("131{i:08}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let before = app.get(&format!("{C}/draws/0/ledger")).await.text;
    for party in ["organizer", "notary"] {
        let cm = commitment(&rules.hash(), 0, party, &SeedSecret([9; 32]));
        app.org(
            "POST",
            &format!("{O}/draws/0/commitments"),
            Some(json!({ "party": party, "commitment": cm })),
        )
        .await;
    }
    app.clock.set(noon("2027-01-01"));
    app.login().await;
    let f = app
        .org("POST", &format!("{O}/draws/0/freeze"), None)
        .await
        .json();
    let root = f["freeze"]["freeze"]["root"]
        .as_str()
        .expect("root")
        .to_owned();
    let r = app.get(&format!("{C}/draws/0/ledger")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, before);
    assert_eq!(r.headers["etag"], format!("\"{root}\"").as_str());
    assert!(
        app.dir
            .join("ledgers")
            .join(format!("dazhou-2026-0-{root}.jsonl"))
            .exists()
    );
    let send = |h: (&'static str, String)| {
        axum::http::Request::builder()
            .uri(format!("{C}/draws/0/ledger"))
            .header(h.0, h.1)
            .body(axum::body::Body::empty())
            .expect("req")
    };
    let r = app
        .send_request(send(("if-none-match", format!("\"{root}\""))))
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = app
        .send_request(send(("accept-encoding", "gzip".into())))
        .await;
    assert_eq!(
        r.headers["content-encoding"], "gzip",
        "served from the gzip written once"
    );
    let r = app.send_request(send(("range", "bytes=0-9".into()))).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.text, before[..10]);
    let ledger = Ledger::from_jsonl(&before, |_| {}).expect("ledger");
    assert_eq!(ledger.root().to_hex(), root);
}

/// Before the freeze the ledger streams in pages of 4,096 rows: a ledger longer than a page
/// comes back whole, in order, with the root the tree head signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_ledger_streams_in_pages_and_comes_back_whole() {
    let mut app = TestApp::new("ledger-pages");
    app.open_campaign(false).await;
    let n = 4_100u32;
    let mut tasks = Vec::new();
    for w in 0..16u32 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < n {
                let body = entry(&format!("PG-{i:05}"), "520", &format!("132{i:08}"));
                let (status, _) = post_entry(&state, "dazhou-2026", &body).await;
                assert_eq!(status, StatusCode::CREATED);
                i += 16;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let text = app.get(&format!("{C}/draws/0/ledger")).await.text;
    let ledger = Ledger::from_jsonl(&text, |_| {}).expect("a whole ledger, leaves in order");
    assert_eq!(ledger.size(), u64::from(n));
    let head = app.get(&format!("{C}/draws/0/tree-head")).await.json();
    assert_eq!(
        head["signed_tree_head"]["head"]["root"],
        ledger.root().to_hex(),
        "{head}"
    );
}

/// A shopper on a new phone finds their tickets with their number and one receipt number they
/// entered; a wrong pair gets the same answer as an unknown one (no tickets), and tries are
/// limited per phone and per address.
#[tokio::test]
async fn tickets_are_recovered_by_phone_and_receipt_only() {
    let mut app = TestApp::new("recover");
    app.open_campaign(false).await;
    let mut ids = Vec::new();
    for (receipt, amount) in [("R-0001", "520"), ("R-0002", "1200")] {
        let r = app
            .post(
                &format!("{C}/entries"),
                entry(receipt, amount, "13912345678"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(
            r.json()["ticket_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let other = app
        .post(
            &format!("{C}/entries"),
            entry("R-0003", "600", "13700000000"),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    let recover = |phone: &str, receipt: &str| json!({ "phone": phone, "receipt_number": receipt });
    // The right pair, the receipt typed another way: both of this person's tickets.
    let r = app
        .post(
            &format!("{C}/tickets/recover"),
            recover("139 1234 5678", "r 0001"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = r.json();
    let got: Vec<&str> = found["tickets"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["ticket_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(found["tickets"][1]["amount"], "1200.00");
    assert_eq!(found["tickets"][0]["phone_masked"], "139****5678");
    assert!(
        !r.text.contains("13912345678"),
        "the full number is not sent back"
    );
    // Another person's receipt with this phone, or an unknown phone: the same empty answer.
    for (phone, receipt) in [("13912345678", "R-0003"), ("13600000000", "R-0001")] {
        let r = app
            .post(&format!("{C}/tickets/recover"), recover(phone, receipt))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json(), json!({ "tickets": [] }), "{phone} {receipt}");
    }
    // A malformed number is said so (it reveals nothing about anyone's entries).
    let r = app
        .post(&format!("{C}/tickets/recover"), recover("12345", "R-0001"))
        .await;
    assert_eq!(r.code(), "PHONE_MALFORMED");
    // Five tries an hour per phone: the sixth is refused, with when to try again.
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        last = app
            .post(
                &format!("{C}/tickets/recover"),
                recover("13912345678", "X-9999"),
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let r = app
        .post(
            &format!("{C}/tickets/recover"),
            recover("13912345678", "R-0001"),
        )
        .await;
    assert_eq!(r.code(), "RATE_LIMITED");
    assert!(
        r.json()["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("找回奖券"))
    );
    // Per address too: one address trying many phones is stopped.
    let mut statuses = Vec::new();
    for i in 0..25u32 {
        let phone = format!("135{i:08}");
        statuses.push(
            app.post(&format!("{C}/tickets/recover"), recover(&phone, "R-0001"))
                .await
                .status,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
