//! Shared helpers: an app on a temp SQLite file (or, with `FAIRDRAW_TEST_DATABASE=postgres`, a
//! fresh PostgreSQL database on the server at `FAIRDRAW_PG_URL`) with a manual clock, and
//! request shortcuts.
#![allow(dead_code, missing_docs)] // test helpers: each test file uses a different subset

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::entropy::{PublicEntropy, PublicNumbers};
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::ledger::{Ledger, PhoneOpening};
use fairdraw_core::record::{DrawInputs, DrawRecord, assemble_record, conduct_selection};
use fairdraw_core::rules::CampaignRules;
use fairdraw_core::seed::{Reveal, SeedSecret};
use fairdraw_server::state::{AppState, ManualClock};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
    pub cookie: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the tests run on PostgreSQL (`FAIRDRAW_TEST_DATABASE=postgres`, with
/// `FAIRDRAW_PG_URL` the server's URL, as `scripts/pg.sh start` prints it).
pub fn on_postgres() -> bool {
    std::env::var("FAIRDRAW_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// Creates an empty database for one test on the PostgreSQL server at `FAIRDRAW_PG_URL`, and
/// returns its URL.
pub fn fresh_database(name: &str) -> String {
    let url = std::env::var("FAIRDRAW_PG_URL").expect(
        "FAIRDRAW_TEST_DATABASE=postgres needs FAIRDRAW_PG_URL (eval \"$(scripts/pg.sh start)\")",
    );
    let db: String = format!("t_{name}_{}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let admin = url.clone();
    let sql = [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ];
    // On a thread of its own: the caller is usually inside a test's runtime.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .expect("connect to FAIRDRAW_PG_URL");
                tokio::spawn(conn);
                for s in &sql {
                    client
                        .batch_execute(s)
                        .await
                        .expect("create the test database");
                }
            })
    })
    .join()
    .expect("create database");
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    format!("{base}/{db}")
}

/// 2026-12-20 12:00 China time.
pub fn noon(date: &str) -> u64 {
    CivilDate::parse(date).expect("date").china_start_ms() + 12 * 3600 * 1000
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
}

impl TestApp {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fairdraw-api-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let clock = Arc::new(ManualClock::at(noon("2026-12-20")));
        let database = on_postgres().then(|| fresh_database(name));
        let state = AppState::open_with(&dir, database.as_deref(), clock.clone()).expect("state");
        state.ensure_organizer(PASSWORD).expect("organizer");
        TestApp {
            state,
            clock,
            dir,
            cookie: None,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<String>,
        organizer: bool,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        if organizer {
            req = req.header("x-fairdraw-csrf", "1");
            if let Some(c) = &self.cookie {
                req = req.header("cookie", c.clone());
            }
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .expect("request");
        self.send_request(req).await
    }

    /// Sends a request built by the caller (its own headers).
    pub async fn send_request(&self, req: Request<Body>) -> Resp {
        let resp = fairdraw_server::app(self.state.clone())
            .oneshot(req)
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, None, false).await
    }
    pub async fn post(&self, uri: &str, body: Value) -> Resp {
        self.send("POST", uri, Some(body.to_string()), false).await
    }
    pub async fn org(&self, method: &str, uri: &str, body: Option<Value>) -> Resp {
        self.send(method, uri, body.map(|b| b.to_string()), true)
            .await
    }

    pub async fn login(&mut self) {
        let r = self
            .post("/api/organizer/login", json!({ "password": PASSWORD }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let set = r
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("cookie")
            .to_owned();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        self.cookie = Some(set.split(';').next().expect("pair").to_owned());
    }

    /// Creates and opens a campaign like the demo: window from 2026-12-10, draw 0 to 12-31.
    pub async fn open_campaign(&mut self, caps: bool) -> CampaignRules {
        if self.cookie.is_none() {
            self.login().await;
        }
        let mut rules =
            fairdraw_core::demo::demo_rules([0; 32], CivilDate::parse("2026-12-10").expect("d"));
        if !caps {
            rules.caps = Default::default();
        }
        let r = self
            .org("POST", "/api/organizer/campaigns", Some(json!(rules)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = self
            .org(
                "POST",
                &format!("/api/organizer/campaigns/{}/open", rules.id),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        serde_json::from_value(r.json()["rules"].clone()).expect("rules")
    }
}

/// Runs a frozen draw as the live draw page does: each secret revealed to the server (which
/// records the time), the seed and selection computed from the public ledger, the openings of
/// exactly the placed leaves fetched, and the record assembled. The organizer is logged in.
#[allow(dead_code)]
pub async fn conduct_via_api(
    app: &TestApp,
    campaign: &str,
    n: u32,
    secrets: &[(&str, SeedSecret)],
    numbers: &str,
) -> DrawRecord {
    let o = format!("/api/organizer/campaigns/{campaign}/draws/{n}");
    let c = format!("/api/campaigns/{campaign}");
    let mut reveals: Vec<Reveal> = Vec::new();
    for (party, secret) in secrets {
        let r = app
            .org(
                "POST",
                &format!("{o}/reveals"),
                Some(json!({ "party": party, "secret": secret })),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
        reveals.push(serde_json::from_value(r.json()).expect("reveal"));
    }
    let view = app.get(&c).await.json();
    let rules: CampaignRules = serde_json::from_value(view["rules"].clone()).expect("rules");
    let freeze: SignedFreeze =
        serde_json::from_value(view["draws"][n as usize]["freeze"].clone()).expect("freeze");
    let text = app.get(&format!("{c}/draws/{n}/ledger")).await.text;
    let ledger = Ledger::from_jsonl(&text, |_| {}).expect("ledger");
    let spec = rules.draws[n as usize]
        .entropy
        .public_numbers
        .clone()
        .expect("numbers");
    let entropy = PublicEntropy {
        drand: None,
        public_numbers: Some(
            PublicNumbers::from_values(&spec, vec![numbers.into()]).expect("numbers"),
        ),
    };
    let inputs = DrawInputs {
        rules: &rules,
        draw_index: n,
        ledger: &ledger,
        freeze: &freeze,
        reveals: &reveals,
        entropy: &entropy,
    };
    let (seed, selection) = conduct_selection(&inputs).expect("selection");
    let placed: Vec<u64> = selection.placed();
    let r = app
        .org(
            "POST",
            &format!("{o}/openings"),
            Some(json!({ "leaves": placed })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let openings: Vec<Value> = serde_json::from_value(r.json()["openings"].clone()).expect("o");
    let opening = |i: u64| {
        openings
            .iter()
            .find(|o| o["leaf_index"] == i)
            .and_then(|o| {
                serde_json::from_value::<PhoneOpening>(json!({
                "phone_masked": o["phone_masked"], "phone_salt": o["phone_salt"] }))
                .ok()
            })
    };
    assemble_record(&inputs, seed, &selection, opening).expect("record")
}

/// Posts an entry straight to a server's router (from a task of its own, or to a server other
/// than a [`TestApp`]'s): its status and answer.
pub async fn post_entry(state: &AppState, campaign: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/campaigns/{campaign}/entries"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let resp = fairdraw_server::app(state.clone())
        .oneshot(req)
        .await
        .expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn entry(receipt: &str, amount: &str, phone: &str) -> Value {
    json!({ "merchant_id": "M001", "receipt_number": receipt, "date": "2026-12-15", "amount": amount, "phone": phone, "consent": true })
}
