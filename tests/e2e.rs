//! End to end, as people use it: the real server (in-process, on a temp SQLite file, with the
//! demo campaign) serving the built web app (`dist/`, from `trunk build`), driven in headless
//! Chromium through ChromeDriver at phone size (390×844). Screenshots of each screen go to
//! `target/screenshots/`.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The W3C WebDriver element reference key.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A minimal W3C WebDriver client: the handful of commands these tests need.
struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
}

impl Browser {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }

    async fn start(width: u32, height: u32) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": { "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", format!("--window-size={width},{height}") ] } } } });
        for _ in 0..200 {
            if let Ok(r) = http
                .post(format!("{base}/session"))
                .json(&caps)
                .send()
                .await
            {
                let v: Value = r.json().await.expect("json");
                let session = v["value"]["sessionId"]
                    .as_str()
                    .expect("session")
                    .to_owned();
                return Browser {
                    http,
                    base,
                    session,
                    driver,
                };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("chromedriver did not start");
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Waits (bounded) for an element; returns its WebDriver id.
    async fn find(&self, css: &str) -> String {
        for _ in 0..200 {
            let v = self
                .cmd(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({ "using": "css selector", "value": css })),
                )
                .await;
            // An error ("no such element") is an object too; only the W3C element key is an id.
            if let Some(id) = v.get(ELEMENT_KEY).and_then(Value::as_str) {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let source = self.cmd(reqwest::Method::GET, "/source", None).await;
        panic!(
            "{css} never appeared; page: {}",
            source
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(1500)
                .collect::<String>()
        );
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_text(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn script(&self, js: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": js, "args": args })),
        )
        .await
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (bounded) until the element's text contains `want`.
    async fn text_becomes(&self, css: &str, want: &str) -> String {
        let mut last = String::new();
        for _ in 0..200 {
            last = self.text(css).await;
            if last.contains(want) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{css} shows {last:?}, never {want:?}");
    }

    async fn screenshot(&self, name: &str) {
        let png = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("png");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write screenshot");
    }

    async fn quit(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

impl Drop for Browser {
    /// Also when a test fails: no ChromeDriver (or its Chromium) outlives the test.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The real server with the demo campaign, on a temp SQLite file, serving `dist/`.
async fn server() -> (String, PathBuf) {
    use fairdraw_server::state::{AppState, Keys, LoginLimiter, SystemClock};
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist");
    assert!(
        dist.join("index.html").exists(),
        "build the web app first: trunk build --release --offline"
    );
    let dir = std::env::temp_dir().join(format!("fairdraw-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let store = fairdraw_server::store::SqliteStore::open(&dir.join("db.sqlite3")).expect("store");
    let state = AppState {
        store: Arc::new(store),
        keys: Arc::new(Keys::load_or_create(&dir).expect("keys")),
        clock: Arc::new(SystemClock),
        logins: Arc::new(LoginLimiter::default()),
        secure_cookies: false,
        dist: Some(dist),
        campaigns: Arc::default(),
    };
    fairdraw_server::demo::ensure_demo(&state)
        .await
        .expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(fairdraw_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    (format!("http://{addr}"), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopper_enters_receipts_on_a_phone() {
    let (base, dir) = server().await;
    let b = Browser::start(390, 844).await;
    b.goto(&format!("{base}/")).await;
    b.find("#rules-hash").await;
    // The rules page shows the server's campaign, hashes its rules here, and compares.
    let shown = b.text_becomes("#rules-hash-match", "一致").await;
    assert!(shown.starts_with("✓"), "{shown}");
    let served: Value = reqwest::get(format!("{base}/api/campaigns/dazhou-2026"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        Some(b.text("#rules-hash").await.as_str()),
        served["rules_hash"].as_str()
    );
    b.screenshot("shopper-rules").await;

    // The receipt form, with the campaign loaded from the server.
    b.click("nav.tabs button:nth-child(2)").await;
    b.find("#merchant option[value='M003']").await;
    b.click("#merchant option[value='M003']").await;
    let today = b.script("const d = new Date(Date.now() + 8 * 3600 * 1000); return d.toISOString().slice(0, 10);", json!([])).await;
    let today = today.as_str().expect("date").to_owned();
    b.type_text("#receipt", "E2E-000123").await;
    b.script("const e = document.querySelector('#date'); e.value = arguments[0]; e.dispatchEvent(new Event('input', { bubbles: true }));", json!([today])).await;
    b.type_text("#phone", "13812341234").await;
    b.type_text("#amount", "499.99").await;
    let shown = b.text_becomes("#entry-result", "未达到").await;
    assert_eq!(shown, "消费金额 499.99 元未达到 500.00 元，不能参与抽奖。");
    b.screenshot("shopper-below-threshold").await;

    b.type_text("#amount", "688").await;
    b.text_becomes("#entry-result", "符合条件").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    let ticket = b.text("#ticket-id").await;
    assert_eq!(ticket.len(), 32, "{ticket}");
    b.screenshot("shopper-ticket").await;
    assert!(b.text(".my-tickets").await.contains("138****1234"));

    // The same receipt again: the server's duplicate message, in Chinese, in the same place.
    b.click("#submit-entry").await;
    let shown = b.text_becomes("#entry-result", "已经登记过").await;
    assert_eq!(shown, "该小票（发票）已经登记过，不能重复参与。");
    b.screenshot("shopper-duplicate").await;

    // Checking the saved ticket: the server's status, with its signed promise verified here.
    b.click(".ticket-row button").await;
    let shown = b.text_becomes(".ticket-row .status", "已在本机验证").await;
    assert!(shown.contains("等待本期截止冻结"), "{shown}");
    b.screenshot("shopper-ticket-checked").await;

    // The ticket is in the server's ledger.
    let status: Value = reqwest::get(format!("{base}/api/campaigns/dazhou-2026/tickets/{ticket}"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(status["status"], "waiting_for_freeze");

    // English on the toggle, remembered across a reload.
    b.click(".lang-toggle").await;
    b.goto(&format!("{base}/")).await;
    b.text_becomes("nav.tabs", "Enter a receipt").await;
    b.screenshot("shopper-rules-english").await;
    b.click("nav.tabs button:nth-child(3)").await;
    b.find("#record-file").await;
    b.screenshot("auditor-verify").await;
    b.quit().await;
    let _ = std::fs::remove_dir_all(dir);
}
