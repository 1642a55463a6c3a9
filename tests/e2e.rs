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
        Self::start_with(width, height, json!({})).await
    }

    /// A phone: ChromeDriver's device emulation at 390×844, DPR 3, with touch (the headless
    /// window's 500 px minimum would otherwise hide the phone layout).
    async fn start_phone() -> Browser {
        Self::start_phone_with(&[]).await
    }

    /// [`Browser::start_phone`] with more Chromium switches (a fake camera).
    async fn start_phone_with(args: &[String]) -> Browser {
        Self::start_with(
            500,
            900,
            json!({ "mobileEmulation": {
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47"
            }, "args": args }),
        )
        .await
    }

    /// A phone whose camera shows `video` (Chromium's fake camera; permission granted).
    async fn start_phone_with_camera(video: &Path) -> Browser {
        Self::start_phone_with(&[
            "--use-fake-device-for-media-stream".into(),
            "--use-fake-ui-for-media-stream".into(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ])
        .await
    }

    async fn start_with(width: u32, height: u32, extra: Value) -> Browser {
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
        let mut options = json!({ "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", format!("--window-size={width},{height}") ] });
        if let (Some(o), Some(e)) = (options.as_object_mut(), extra.as_object()) {
            let mut e = e.clone();
            // Extra command-line switches add to the list above.
            if let (Some(Value::Array(more)), Some(Value::Array(args))) =
                (e.remove("args"), o.get_mut("args"))
            {
                args.extend(more);
            }
            o.extend(e);
        }
        let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": options } } });
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
        for _ in 0..400 {
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
        let text = self
            .cmd(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({ "script": "return document.body.innerText;", "args": [] })),
            )
            .await;
        panic!(
            "{css} never appeared; page says: {}",
            text.as_str()
                .unwrap_or_default()
                .chars()
                .take(3000)
                .collect::<String>()
        );
    }

    /// The text of an element, shown or not (a closed `<details>`), once it exists.
    async fn content(&self, css: &str) -> String {
        self.find(css).await;
        self.script(
            "return document.querySelector(arguments[0]).textContent;",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
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

    /// Chooses a file in an `<input type=file>`.
    async fn upload(&self, css: &str, path: &Path) {
        let id = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": path.to_string_lossy() })),
        )
        .await;
    }

    /// Accepts the `confirm()` dialog the page opened (waiting for it, bounded).
    async fn accept_alert(&self) {
        for _ in 0..200 {
            let v = self
                .cmd(reqwest::Method::POST, "/alert/accept", Some(json!({})))
                .await;
            if v.is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no dialog to accept");
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

    /// Accessibility: every input on the page has a label (or an aria-label).
    async fn assert_labelled(&self, page: &str) {
        let missing = self
            .script(
                "return [...document.querySelectorAll('input, select, textarea')]
                   .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                   .map(e => e.id || e.outerHTML.slice(0, 80));",
                json!([]),
            )
            .await;
        assert_eq!(missing, json!([]), "unlabelled inputs on {page}");
    }

    /// A Chrome DevTools Protocol command through ChromeDriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    /// Emulates a screen of `width`×`height` CSS pixels (CDP), past the headless window's
    /// 500 px minimum: a projector, a TV, a phone.
    async fn emulate(&self, width: u32, height: u32, scale: f64, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile }),
        )
        .await;
    }

    /// What the screen shows, exactly the viewport (CDP), as the room sees it.
    async fn viewport_screenshot(&self, name: &str) {
        let v = self
            .cdp("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        save_png(name, v["data"].as_str().unwrap_or_default());
    }

    /// The URLs this page has requested that contain `part` (resource timing).
    async fn requested(&self, part: &str) -> Value {
        self.script(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes(arguments[0]));",
            json!([part]),
        )
        .await
    }

    /// The wasm files this page has loaded (their URLs, as JSON text): which bundle a page is.
    async fn loaded_wasm(&self) -> String {
        self.script(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('.wasm'));",
            json!([]),
        )
        .await
        .to_string()
    }

    /// Layout facts a person would see: the viewport, the verify QR code's box, horizontal
    /// overflow, each prize card's bottom, and any rendered text a Chinese reader would not
    /// read — an English word outside code, hashes, links, quoted rules text and the language
    /// button (`lang=en`) — or a 13-digit number (epoch milliseconds).
    async fn layout(&self) -> Value {
        self.script(
            "const vw = innerWidth, vh = innerHeight;
             const box = s => { const e = document.querySelector(s); if (!e) return null;
               const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
             const english = [], long = [];
             const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
             while (w.nextNode()) {
               const n = w.currentNode, t = n.textContent.trim(), el = n.parentElement;
               if (!t || !el || !el.getClientRects().length) continue;
               if (/(^|[^0-9a-fA-F])[0-9]{13}($|[^0-9a-fA-F])/.test(t)) long.push(t);
               if (el.closest('code, .mono, .short-link, [translate=no], [lang=en], script, style')) continue;
               // Hashes, ids (dazhou-2026, fairdraw-chacha20-v2) and names of tools are not words.
               const words = t.replace(/[0-9a-f]{8,}…?/gi, '').replace(/[a-z0-9]+(-[a-z0-9]+)+/gi, '')
                 .replace(/fairdraw|drand|quicknet|BLS|QR|JSONL?/g, '');
               if (/[A-Za-z]{3,}/.test(words)) english.push(t);
             }
             const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 1)
               .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id);
             return { vw, vh, qr: box('#verify-qr'), overflow: document.documentElement.scrollWidth - vw, wide,
               prizes: [...document.querySelectorAll('li.prize')].map(e => e.getBoundingClientRect().bottom),
               english, long };",
            json!([]),
        )
        .await
    }

    /// Nothing on the page is wider than the screen (no sideways scrolling on a phone).
    async fn assert_fits(&self, page: &str) {
        let v = self
            .script(
                "return [document.documentElement.scrollWidth, innerWidth,
                  [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                    .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)];",
                json!([]),
            )
            .await;
        assert!(
            v[0].as_f64() <= v[1].as_f64(),
            "{page}: wider than the screen: {v}"
        );
    }

    /// A phone screen as the shopper sees it: it fits the width, and the whole page is saved.
    async fn phone_shot(&self, name: &str) {
        self.assert_fits(name).await;
        self.full_screenshot(name).await;
    }

    /// The whole page, beyond the viewport (CDP `Page.captureScreenshot`).
    async fn full_screenshot(&self, name: &str) {
        let v = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        save_png(name, v["data"].as_str().unwrap_or_default());
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

/// The organizer password of the test servers.
const PASSWORD: &str = "e2e organizer passphrase";

/// A test server: its address, data directory and clock.
struct Server {
    base: String,
    dir: PathBuf,
    clock: Arc<fairdraw_server::state::ManualClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Cuts the network: the server stops and its port refuses connections.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A ticket's code as people see it: the first 16 hex digits, upper case, in fours.
fn short_code(ticket: &str) -> String {
    ticket[..16]
        .to_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Saves a base64 PNG as `target/screenshots/<name>.png`.
fn save_png(name: &str, base64_png: &str) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_png)
        .expect("png");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write screenshot");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The real server with the demo campaign, on a temp SQLite file, serving `dist/`; its clock
/// starts at the real time and is moved by the test.
async fn server(name: &str) -> Server {
    server_serving(name, Path::new(env!("CARGO_MANIFEST_DIR")).join("dist")).await
}

/// [`server`], serving the web app from `dist` (a copy with published files added).
async fn server_serving(name: &str, dist: std::path::PathBuf) -> Server {
    use fairdraw_server::state::{AppState, ManualClock};
    assert!(
        dist.join("index.html").exists(),
        "build the web app first: trunk build --release --offline"
    );
    let dir = std::env::temp_dir().join(format!("fairdraw-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let clock = Arc::new(ManualClock::at(now_ms()));
    let mut state = AppState::open(&dir, clock.clone()).expect("state");
    state.dist = Some(dist);
    state.ensure_organizer(PASSWORD).expect("organizer");
    fairdraw_server::demo::ensure_demo(&state, &dir.join("demo-secrets"))
        .await
        .expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(fairdraw_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Server {
        base: format!("http://{addr}"),
        dir,
        clock,
        stop: Some(stop),
        task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopper_enters_receipts_on_a_phone() {
    let srv = server("shopper").await;
    let base = srv.base.clone();
    // The page as served, before any script runs: the campaign is in it (a slow phone reads
    // it before the wasm arrives) with its share card for WeChat.
    for path in ["/", "/enter"] {
        let html = reqwest::get(format!("{base}{path}"))
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        for want in [
            "<title>爱达州·通川购 年终消费抽奖 · 公平抽奖</title>",
            "og:title",
            "6 辆汽车等您来拿",
            "单笔消费满 ¥500.00",
        ] {
            assert!(html.contains(want), "{path} lacks {want}");
        }
    }
    let b = Browser::start_phone().await;
    // The campaign home: prizes, the schedule with its countdown, shops with search.
    b.goto(&format!("{base}/")).await;
    b.text_becomes("#campaign-name", "通川购").await;
    // The app's first render is the campaign the server put into the page: no loading line
    // in between, no request for it.
    let asked = b.requested("/api/campaigns").await;
    assert_eq!(asked, json!([]), "the home page asked for its campaign");
    // The demo's first draw is frozen; the second is open today.
    assert!(b.text("#countdown-1").await.starts_with("距截止还有"));
    // Shoppers download the shoppers' app only; the organizer's and the verifier's pages are
    // bundles apart.
    let loaded = b.loaded_wasm().await;
    assert!(
        loaded.contains("fairdraw-web")
            && !loaded.contains("organizer")
            && !loaded.contains("fairdraw-verify-app"),
        "{loaded}"
    );
    b.type_text("#merchant-search", "M003").await;
    let shops = b.text_becomes("#merchant-list", "M003").await;
    assert_eq!(shops.lines().count(), 1, "{shops}");
    b.phone_shot("shopper-home").await;
    b.assert_labelled("home").await;
    b.goto(&format!("{base}/rules")).await;
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
    b.phone_shot("shopper-rules").await;

    // The receipt form, with the campaign loaded from the server.
    b.click("nav.tabs a:nth-child(2)").await;
    // One shop control: part of the name, then the shop (no internal codes shown).
    b.type_text("#shop", "西外").await;
    let options = b.text_becomes("#shop-options", "西外好又多超市").await;
    assert!(!options.contains("M003"), "{options}");
    b.click("#shop-options button[data-id='M003']").await;
    b.text_becomes("#chosen-shop", "西外好又多超市").await;
    let today = b.script("const d = new Date(Date.now() + 8 * 3600 * 1000); return d.toISOString().slice(0, 10);", json!([])).await;
    let today = today.as_str().expect("date").to_owned();
    // The date is today's already.
    let date = b
        .script("return document.querySelector('#date').value;", json!([]))
        .await;
    assert_eq!(date, json!(today));
    let fill = |receipt: &'static str| {
        let b = &b;
        async move {
            b.type_text("#receipt", receipt).await;
            b.type_text("#phone", "13812341234").await;
            b.type_text("#amount", "688").await;
            b.text_becomes("#entry-result", "符合条件").await;
        }
    };
    b.type_text("#receipt", "E2E-000123").await;
    b.type_text("#phone", "13812341234").await;
    b.type_text("#amount", "499.99").await;
    let shown = b.text_becomes("#entry-result", "未达到").await;
    assert_eq!(shown, "消费金额 499.99 元未达到 500.00 元，不能参与抽奖。");
    // The error is the amount's: red, and read out with it.
    let marked = b
        .script(
            "const a = document.querySelector('#amount'); return [a.getAttribute('aria-invalid'), a.getAttribute('aria-describedby')];",
            json!([]),
        )
        .await;
    assert_eq!(marked, json!(["true", "entry-result"]));
    b.phone_shot("shopper-below-threshold").await;

    fill("E2E-000123").await;
    // Why the button waits is said beside it.
    b.text_becomes("#submit-why", "请勾选同意公示").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    // The ticket takes the first screen: draw, shop, amount, date, a short code and its QR.
    b.text_becomes("#entry-success", "登记成功").await;
    let ticket = b.content("#ticket-id").await;
    assert_eq!(ticket.len(), 32, "{ticket}");
    let code = b.text("#ticket-code").await;
    assert_eq!(code, short_code(&ticket));
    assert_eq!(b.text("#success-shop").await, "西外好又多超市");
    assert_eq!(b.text("#success-amount").await, "¥688.00");
    assert_eq!(b.text("#success-date").await, today);
    assert!(b.text("#success-draw").await.contains("第二期"));
    b.phone_shot("shopper-ticket").await;
    assert!(b.text(".my-tickets").await.contains("138****1234"));

    // The same receipt sent again from this tab (a double tap, or a retry after a lost
    // answer): the same ticket, said to be the one already entered, not a second entry.
    b.click("#enter-another").await;
    // The phone is remembered on this device: nothing to type.
    let phone = b
        .script("return document.querySelector('#phone').value;", json!([]))
        .await;
    assert_eq!(phone, json!("13812341234"));
    b.find("#phone-remembered").await;
    b.type_text("#shop", "西外").await;
    b.click("#shop-options button[data-id='M003']").await;
    fill("E2E-000123").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    let shown = b.text_becomes("#entry-result", "已经登记过").await;
    assert!(shown.contains("这是它的奖券"), "{shown}");
    assert_eq!(b.content("#ticket-id").await, ticket);
    // The same receipt from another device (another tab's key): the server's duplicate
    // message, in Chinese, under the receipt number.
    b.script("sessionStorage.clear();", json!([])).await;
    b.click("#enter-another").await;
    b.type_text("#shop", "西外").await;
    b.click("#shop-options button[data-id='M003']").await;
    fill("E2E-000123").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    let shown = b.text_becomes("#entry-result", "不能重复参与").await;
    assert_eq!(shown, "该小票（发票）已经登记过，不能重复参与。");
    let at = b
        .script(
            "return document.querySelector('#receipt').getAttribute('aria-invalid');",
            json!([]),
        )
        .await;
    assert_eq!(at, json!("true"));
    b.phone_shot("shopper-duplicate").await;

    // Pasted fapiao QR text fills the form; the ticket comes with its QR code.
    let qr = format!(
        "01,32,,2651{:016},688.00,{},,1DD6",
        now_ms() % 10_000_000_000_000_000,
        today.replace('-', "")
    );
    b.click(".qr-paste summary").await;
    b.type_text("#qr-text", &qr).await;
    b.click("#qr-apply").await;
    b.find("#qr-status").await;
    let filled = b.script("return [document.querySelector('#receipt').value, document.querySelector('#amount').value, document.querySelector('#date').value];", json!([])).await;
    assert_eq!(filled[1], "688.00", "{filled}");
    assert_eq!(filled[2], today.as_str(), "{filled}");
    assert!(
        filled[0].as_str().unwrap_or_default().starts_with("2651"),
        "{filled}"
    );
    b.text_becomes("#entry-result", "符合条件").await;
    b.phone_shot("shopper-qr-filled").await;
    b.assert_labelled("enter").await;
    b.click("#submit-entry").await;
    b.find("#entry-success").await;
    let second = b.content("#ticket-id").await;
    assert_ne!(second, ticket);
    b.find("#ticket-qr path").await;
    b.text_becomes(".my-tickets", &short_code(&second)).await;

    // Checking the saved ticket: the server's status, with its signed promise verified here.
    b.click(".ticket-row:last-child button").await;
    let shown = b
        .text_becomes(".ticket-row:last-child .status", "已在本机验证")
        .await;
    assert!(shown.contains("等待本期截止冻结"), "{shown}");
    b.phone_shot("shopper-ticket-checked").await;

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
    b.text_becomes("nav.tabs", "Enter").await;
    b.phone_shot("shopper-rules-english").await;
    b.click("nav.tabs a:nth-child(4)").await;
    b.find("#record-file").await;
    b.phone_shot("auditor-verify").await;
    // The campaign served with a page is shown only just after it loaded: a tab tapped later
    // asks the server (the entries and the draws' states move on).
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    b.click("nav.tabs a:nth-child(1)").await;
    b.find("#campaign-name").await;
    let asked = b.requested("/api/campaigns/dazhou-2026").await;
    assert_ne!(
        asked,
        json!([]),
        "a late page showed the campaign served long before"
    );
    b.click("nav.tabs a:nth-child(4)").await;
    b.find("#record-file").await;

    // The narrowest phones people use: 360 px wide, nothing scrolls sideways (in Chinese).
    b.click(".lang-toggle").await;
    b.text_becomes("nav.tabs", "登记小票").await;
    b.emulate(360, 740, 3.0, true).await;
    for (path, ready, name) in [
        ("/", "#campaign-name", "phone360-home"),
        ("/enter", "#shop", "phone360-enter"),
        ("/results", ".page", "phone360-results"),
        ("/rules", "#rules-hash", "phone360-rules"),
        ("/verify/dazhou-2026/0", "#record-file", "phone360-verify"),
    ] {
        b.goto(&format!("{base}{path}")).await;
        b.find(ready).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.phone_shot(name).await;
        // The tabs in one row; every button, tab, footer link and disclosure a finger can
        // hit at least 44 px tall; the window titled by the page, the document's language set.
        let facts = b
            .script(
                "const tops = [...document.querySelectorAll('nav.tabs .tab')].map(e => Math.round(e.getBoundingClientRect().top));
                 const small = [...document.querySelectorAll('button, nav .tab, .foot a, summary, label.button')]
                   .filter(e => e.getClientRects().length && e.getBoundingClientRect().height < 44)
                   .map(e => e.outerHTML.slice(0, 80));
                 return [new Set(tops).size, small, document.title, document.documentElement.lang,
                   document.querySelector('#site-name').innerText];",
                json!([]),
            )
            .await;
        assert_eq!(facts[0], json!(1), "{name}: the tabs wrap: {facts}");
        assert_eq!(facts[1], json!([]), "{name}: small touch targets: {facts}");
        // Whose draw this is, in the header and the window title: the campaign, not the
        // product.
        assert_eq!(
            facts[4],
            json!("爱达州·通川购 年终消费抽奖"),
            "{name}: {facts}"
        );
        assert!(
            facts[2]
                .as_str()
                .is_some_and(|t| t.ends_with(" · 爱达州·通川购 年终消费抽奖")),
            "{name}: {facts}"
        );
        assert_eq!(facts[3], json!("zh-CN"), "{name}");
    }
    // The draw the link names is not published yet: said so, not an HTTP error.
    b.text_becomes("#light-verdict", "本期尚未公布").await;
    b.quit().await;
}

async fn get_json(url: &str) -> Value {
    reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizer_runs_a_draw_and_the_auditor_checks_it() {
    let srv = server("organizer").await;
    let base = srv.base.clone();
    let b = Browser::start(1280, 720).await;

    // Login.
    b.goto(&format!("{base}/organizer")).await;
    b.type_text("#password", "wrong").await;
    b.click("#login").await;
    b.text_becomes("p[data-code]", "密码").await;
    b.type_text("#password", PASSWORD).await;
    b.click("#login").await;
    b.text_becomes("#audit-status", "哈希链完整").await;
    b.find("section.panel[data-campaign='dazhou-2026'] li.draw[data-draw='0']")
        .await;
    let loaded = b.loaded_wasm().await;
    assert!(
        loaded.contains("/organizer-app/fairdraw-organizer"),
        "{loaded}"
    );
    b.screenshot("organizer-console").await;
    b.assert_labelled("console").await;

    // The seed ceremony, once per party: the secret is made in the browser, saved, and only
    // its commitment is sent.
    let mut secrets = Vec::new();
    for party in ["organizer", "notary"] {
        b.goto(&format!("{base}/organizer/dazhou-2026/1/ceremony"))
            .await;
        b.text_becomes("#party", party).await;
        b.click("#make-secret").await;
        let secret = b.text("#secret-hex").await;
        assert_eq!(secret.len(), 64, "{secret}");
        if party == "organizer" {
            b.screenshot("organizer-seed-ceremony").await;
            b.assert_labelled("ceremony").await;
        }
        b.click("#save-secret").await;
        b.click("#send-commitment").await;
        b.text_becomes("#commit-done", party).await;
        secrets.push(secret);
    }
    b.find("#all-committed").await;
    let view = get_json(&format!("{base}/api/campaigns/dazhou-2026")).await;
    assert_eq!(
        view["draws"][0]["commitments"].as_array().map(Vec::len),
        Some(2)
    );
    // The secrets never reached the server.
    let db = srv.dir.join(fairdraw_server::state::DB_FILE);
    let stored = std::fs::read(&db).expect("db");
    let wal = std::fs::read(db.with_extension("sqlite3-wal")).unwrap_or_default();
    for s in &secrets {
        let needle = s.as_bytes();
        assert!(!stored.windows(64).any(|w| w == needle) && !wal.windows(64).any(|w| w == needle));
    }

    // The demo's first draw, frozen at start-up, runs with the secret files it wrote: each
    // secret is revealed to the server before its deadline (tomorrow evening).
    b.goto(&format!("{base}/organizer/dazhou-2026/0/live"))
        .await;
    assert_eq!(b.text("#live-size").await, "3000");
    let secret_file = |party: &str| {
        srv.dir
            .join("demo-secrets")
            .join(format!("dazhou-2026-draw1-{party}.json"))
    };
    // The notary's file chosen in the organizer's slot: named, and moved to the notary's.
    b.upload("#reveal-file-0", &secret_file("notary")).await;
    let moved = b.text_becomes("#reveal-file-note-1", "已从").await;
    assert!(moved.contains("公证处"), "{moved}");
    b.find("#reveal-ok-1").await;
    b.upload("#reveal-file-0", &secret_file("organizer")).await;
    b.find("#reveal-ok-0").await;
    // Never the raw JSON: the field holds the secret, the note says whose file it was.
    let shown = b
        .script(
            "return document.querySelector('#reveal-0').value;",
            json!([]),
        )
        .await;
    assert_eq!(shown.as_str().map(str::len), Some(64), "{shown}");
    b.type_text("#numbers-0", "01 02 03 04 05 06 07").await;
    b.text_becomes("#numbers-read-0", "01 02 03 04 05 06 | 07")
        .await;
    b.click("#run-draw").await;
    assert_eq!(b.content("#live-seed").await.len(), 64);

    // A shopper's entry before the close (through the API; the form has its own test).
    let today = fairdraw_core::civil::CivilDate::china_date_at(now_ms()).expect("today");
    let ticket: Value = reqwest::Client::new()
        .post(format!("{base}/api/campaigns/dazhou-2026/entries"))
        .json(&json!({ "merchant_id": "M002", "receipt_number": "E2E-FROZEN-1", "date": today.to_string(),
            "amount": "520.00", "phone": "13912345678", "consent": true }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let ticket_id = ticket["ticket_id"].as_str().expect("ticket").to_owned();

    // Entries close; the organizer freezes the draw and sees the signed head.
    let closes = view["draws"][1]["closes_at_ms"].as_u64().expect("closes");
    srv.clock.set(closes + 3_600_000);
    // Weeks on, the session has expired: log in again.
    b.goto(&format!("{base}/organizer")).await;
    b.type_text("#password", PASSWORD).await;
    b.click("#login").await;
    b.click("li.draw[data-draw='1'] button.freeze").await;
    let sth = b.text_becomes("#sth-1", "root").await;
    assert!(sth.starts_with("1201 "), "{sth}");
    // The demo's two witnesses cosigned the freeze at once: the console shows both up to date.
    b.text_becomes("#witness-row-0", "已跟上").await;
    b.text_becomes("#witness-row-1", "已跟上").await;
    b.screenshot("organizer-frozen").await;
    b.script(
        "document.querySelector('#witness-status').scrollIntoView({ block: 'center' });",
        json!([]),
    )
    .await;
    b.screenshot("organizer-witnesses").await;
    // A minute later (this clock only moves when told): reveals must follow the freeze.
    srv.clock.set(closes + 3_600_000 + 60_000);

    // On the shopper's phone, the ticket is now proven in the frozen ledger, in the browser.
    let saved = json!([{ "campaign_id": "dazhou-2026", "ticket_id": ticket_id, "draw_index": 1,
        "leaf_index": ticket["leaf_index"], "phone_masked": "139****5678" }]);
    b.script(
        "localStorage.setItem('fairdraw.tickets', arguments[0]);",
        json!([saved.to_string()]),
    )
    .await;
    b.goto(&format!("{base}/enter")).await;
    b.click(".ticket-row button").await;
    let shown = b
        .text_becomes(".ticket-row .status", "已验证：在冻结名单中")
        .await;
    assert!(shown.contains("已在冻结名单中"), "{shown}");
    b.script(
        "document.querySelector('.ticket-row .status').scrollIntoView({ block: 'center' });",
        json!([]),
    )
    .await;
    b.screenshot("shopper-ticket-in-frozen-ledger").await;
    b.goto(&format!("{base}/organizer")).await;
    b.find("li.draw[data-draw='1'] a.live-link").await;

    // The live draw on the projector.
    b.click("li.draw[data-draw='1'] a.live-link").await;
    b.text_becomes("#live-sth", "一致").await;
    assert_eq!(b.text("#live-size").await, "1201");
    // The room sees who witnessed the freeze, by name and by their clocks.
    let witnessed = b.text_becomes("#live-witnesses", "2/2").await;
    assert!(
        witnessed.contains("达州市公证处")
            && witnessed.contains("川东日报")
            && witnessed.contains("北京时间"),
        "{witnessed}"
    );
    b.screenshot("live-draw-witnesses").await;
    b.type_text("#reveal-0", &secrets[0]).await;
    b.type_text("#reveal-1", "00").await;
    b.text_becomes(".reveal[data-party='notary'] .note", "64")
        .await;
    b.type_text("#reveal-1", &secrets[1]).await;
    b.find("#reveal-ok-1").await;
    // Typed with spaces, as anyone would: the spaces reach the field (the page once took the
    // space bar for "reveal next" and published 03071219253109 as one number).
    b.type_text("#numbers-0", "03 07 12 19 25 31 09").await;
    assert_eq!(
        b.text_becomes("#numbers-read-0", "个号码").await,
        "7 个号码：03 07 12 19 25 31 | 09"
    );
    b.find("#entropy-ok").await;
    b.screenshot("live-draw-inputs").await;
    b.assert_labelled("live draw").await;
    b.click("#run-draw").await;
    let seed = b.content("#live-seed").await;
    assert_eq!(seed.len(), 64, "{seed}");
    b.click("#reveal-next").await;
    b.find("li.prize[data-rank='0'].shown").await;
    let first = b.text("li.prize[data-rank='0'] .phone").await;
    // A reload mid-ceremony loses nothing.
    b.goto(&format!("{base}/organizer/dazhou-2026/1/live"))
        .await;
    assert_eq!(b.content("#live-seed").await, seed);
    b.find("li.prize[data-rank='0'].shown").await;
    assert_eq!(b.text("li.prize[data-rank='0'] .phone").await, first);
    b.find(".live").await;
    b.script("document.querySelector('.live').focus();", json!([]))
        .await;
    // Paused mid-sequence, the show waits as long as it is told to.
    b.click("#reveal-next").await;
    b.click("#pause").await;
    b.find("#paused").await;
    tokio::time::sleep(Duration::from_millis(5_000)).await;
    assert_eq!(
        b.script(
            "return document.querySelector(\"li.prize[data-rank='1'].shown\") === null;",
            json!([])
        )
        .await,
        json!(true),
        "a paused show does not go on"
    );
    b.screenshot("live-draw-paused").await;
    b.click("#pause").await;
    b.find("li.prize[data-rank='1'].shown").await;
    b.click("#reveal-next").await;
    b.find("#final-board #live-alternates").await;
    b.screenshot("live-draw-revealed").await;
    b.click("#post-record").await;
    b.find("#published").await;
    b.find("#verify-qr path").await;
    let qr_url = b
        .script(
            "return document.querySelector('#published').dataset.url;",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(qr_url.contains("?anchor="), "{qr_url}");
    b.screenshot("live-draw-published").await;
    let view = get_json(&format!("{base}/api/campaigns/dazhou-2026")).await;
    assert_eq!(view["draws"][1]["state"], "published");
    assert_eq!(view["draws"][1]["record"]["seed"], seed.as_str());
    assert_eq!(
        view["draws"][1]["record"]["winners"][0]["phone_masked"],
        first.as_str()
    );

    // Reopened later, the live page shows the published result, not a fresh ceremony.
    b.goto(&format!("{base}/organizer/dazhou-2026/1/live"))
        .await;
    b.find("#live-published").await;
    assert_eq!(b.content("#live-seed").await, seed);
    b.text_becomes("#live-witnesses", "2/2").await;
    b.text_becomes("#live-witnesses", "已见证的种子揭示： 2/2")
        .await;
    assert!(
        b.script(
            "return document.querySelector('#run-draw') === null;",
            json!([])
        )
        .await
        .as_bool()
        .unwrap_or(false),
        "a published draw offers no new draw"
    );
    b.screenshot("live-draw-reopened").await;

    // The print view for the notary.
    b.goto(&format!("{base}/print/dazhou-2026/1")).await;
    b.text_becomes("#print-record", &seed).await;
    b.text_becomes("#print-witnesses", "2/2").await;
    b.full_screenshot("organizer-print-full").await;
    b.screenshot("organizer-print").await;

    // Winner management: a forfeit lets the first alternate step in.
    b.goto(&format!("{base}/organizer/dazhou-2026/1/winners"))
        .await;
    b.click("tr[data-prize='0'] button.forfeit").await;
    b.accept_alert().await;
    b.text_becomes("table.winners", "递补").await;
    b.screenshot("organizer-winners").await;
    // The ticket of the winner who forfeited says so; the alternate who stepped in has won.
    let published = get_json(&format!("{base}/api/campaigns/dazhou-2026/draws/1/record")).await;
    for (path, want) in [
        (&published["winners"][0]["ticket_id"], "forfeited"),
        (&published["alternates"][0]["ticket_id"], "won"),
    ] {
        let t = path.as_str().expect("ticket");
        let s = get_json(&format!("{base}/api/campaigns/dazhou-2026/tickets/{t}")).await;
        assert_eq!(s["status"], want, "{s}");
    }

    // The auditor: the published draw, loaded from this server, verified in a worker against
    // the anchor the verify link carries.
    let anchor = view["rules_hash"].as_str().expect("anchor").to_owned();
    // First the light verification from the proof bundle, verdict first; then the full audit.
    b.goto(&format!("{base}/verify/dazhou-2026/1?anchor={anchor}"))
        .await;
    b.text_becomes("#light-verdict", "已在您的手机上独立核验")
        .await;
    assert!(
        b.text("#light").await.contains(first.as_str()),
        "the winner is named"
    );
    b.text_becomes("#verify-witnesses", "2/2").await;
    b.screenshot("auditor-light").await;
    // A bundle published as a file at an address of this site, by its link: light-verified the
    // same; an address on another site is not fetched.
    b.goto(&format!(
        "{base}/verify?bundle=%2Fapi%2Fcampaigns%2Fdazhou-2026%2Fdraws%2F1%2Fbundle&anchor={anchor}"
    ))
    .await;
    b.text_becomes("#light-verdict", "已在您的手机上独立核验")
        .await;
    b.goto(&format!(
        "{base}/verify?bundle=//example.invalid/bundle.json&anchor={anchor}"
    ))
    .await;
    b.find("#record-file").await;
    assert_eq!(
        b.script(
            "return document.querySelector('#light-verdict') === null;",
            json!([])
        )
        .await,
        json!(true),
        "no light verification from another site"
    );
    b.goto(&format!("{base}/verify/dazhou-2026/1?anchor={anchor}"))
        .await;
    b.text_becomes("#light-verdict", "已在您的手机上独立核验")
        .await;
    b.click("#full-audit").await;
    let summary = b.text_becomes("#verify-summary", "全部检查通过").await;
    assert!(!summary.contains("未通过"), "{summary}");
    // The verifier is a bundle of its own.
    let loaded = b.loaded_wasm().await;
    assert!(
        loaded.contains("/verify-app/fairdraw-verify-app") && !loaded.contains("fairdraw-web"),
        "{loaded}"
    );
    // Every line of the checklist in Chinese, times as people read them.
    let facts = b.layout().await;
    assert_eq!(
        facts["english"],
        json!([]),
        "the Chinese verify page: {facts}"
    );
    assert_eq!(facts["long"], json!([]), "the verify page: {facts}");
    b.screenshot("auditor-all-pass").await;
    // Without the anchor, the record proves only that it agrees with itself: one check fails.
    b.goto(&format!("{base}/verify/dazhou-2026/1")).await;
    b.text_becomes("#light-summary", "未通过").await;
    let failed = b
        .script(
            "return [...document.querySelectorAll('.checklist li.fail')].map(e => e.dataset.check);",
            json!([]),
        )
        .await;
    assert_eq!(failed, json!(["anchor"]));
    // An unpublished draw says so, not an HTTP error.
    b.goto(&format!("{base}/verify/dazhou-2026/2?anchor={anchor}"))
        .await;
    b.text_becomes("#light-verdict", "本期尚未公布").await;

    // A tampered record, from files: one failing check, naming what differs.
    let dir = srv.dir.join("auditor");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut record = get_json(&format!("{base}/api/campaigns/dazhou-2026/draws/1/record")).await;
    record["winners"][0]["phone_masked"] = json!("139****0000");
    let record_path = dir.join("tampered-record.json");
    std::fs::write(&record_path, record.to_string()).expect("write");
    let ledger = reqwest::get(format!("{base}/api/campaigns/dazhou-2026/draws/1/ledger"))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let ledger_path = dir.join("ledger.jsonl");
    std::fs::write(&ledger_path, ledger).expect("write");
    b.goto(&format!("{base}/verify")).await;
    b.type_text("#anchor", &anchor).await;
    // Swapped, as an auditor in a hurry would: each file is named and goes where it belongs.
    b.upload("#record-file", &ledger_path).await;
    let swapped = b.text_becomes("#swapped-note", "是参与名单").await;
    assert!(swapped.contains("ledger.jsonl"), "{swapped}");
    b.upload("#ledger-file", &record_path).await;
    b.text_becomes("#swapped-note", "是抽奖记录").await;
    b.text_becomes("#record-source", "tampered-record.json")
        .await;
    b.text_becomes("#ledger-source", "ledger.jsonl").await;
    b.screenshot("auditor-swapped").await;
    b.click("#run-verify").await;
    b.text_becomes("#verify-summary", "未通过").await;
    let failed = b
        .script(
            "return [...document.querySelectorAll('.checklist li.fail')].map(e => e.dataset.check + ' ' + e.textContent);",
            json!([]),
        )
        .await;
    let failed = failed.as_array().expect("list");
    assert_eq!(failed.len(), 1, "{failed:?}");
    let line = failed[0].as_str().unwrap_or_default();
    assert!(
        line.starts_with("winner.0") && line.contains("139****0000"),
        "{line}"
    );
    b.screenshot("auditor-tampered").await;

    b.assert_labelled("verify").await;
    b.goto(&format!("{base}/organizer/setup")).await;
    b.text_becomes("#setup-verdict", "✓").await;
    b.assert_labelled("setup").await;
    // The campaign's identity: a logo from a file becomes part of the rules (their hash
    // changes), and a file that is not a picture is refused with the reason.
    let before = b.text("#setup-verdict").await;
    let logo = dir.join("logo.svg");
    std::fs::write(&logo, fairdraw_core::demo::DEMO_CAR_SVG).expect("write");
    b.upload("#setup-logo", &logo).await;
    for _ in 0..200 {
        if b.text("#setup-verdict").await != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let after = b.text_becomes("#setup-verdict", "✓").await;
    assert_ne!(after, before, "the logo is in the rules hash");
    let not_picture = dir.join("notes.txt");
    std::fs::write(&not_picture, "not a picture").expect("write");
    b.upload("#setup-logo", &not_picture).await;
    b.text_becomes("#picture-error", "图片应为 SVG、PNG、JPEG 或 WebP")
        .await;
    b.full_screenshot("organizer-setup").await;

    // The shopper's saved ticket, once its draw is published, leads to the phone verification
    // against the anchor its signed promise names.
    b.goto(&format!("{base}/enter")).await;
    b.click(".ticket-row button").await;
    b.find(".ticket-row a.verify-draw").await;
    let href = b
        .script(
            "return document.querySelector('.ticket-row a.verify-draw').getAttribute('href');",
            json!([]),
        )
        .await;
    assert_eq!(
        href,
        json!(format!("/verify/dazhou-2026/1?anchor={anchor}"))
    );

    // The public results, at phone size, show the forfeit and the alternate.
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    )
    .await;
    b.goto(&format!("{base}/results")).await;
    b.text_becomes("section.result[data-draw='1']", "候补")
        .await;
    // Only the forfeited winner is struck through; the alternate who now holds the prize is not.
    let row = b
        .script(
            "const r = document.querySelector(\"section.result[data-draw='1'] tr[data-prize='0']\"); return [[...r.querySelectorAll('s')].map(e => e.textContent), [...r.querySelectorAll('strong.holder')].map(e => e.textContent)];",
            json!([]),
        )
        .await;
    let struck = published["winners"][0]["phone_masked"].clone();
    let holder = published["alternates"][0]["phone_masked"].clone();
    assert_eq!(row, json!([[struck], [holder]]), "{row}");
    b.phone_shot("shopper-results").await;
    b.quit().await;

    // A shopper's phone scans the QR code on the projector: device emulation at phone size,
    // the light verification, verdict first, nothing wider than the screen.
    let phone = Browser::start_phone().await;
    // The phone's CPU at a quarter of this machine's: the verdict's time is printed, not asserted.
    phone
        .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 4 }))
        .await;
    phone.goto(&qr_url).await;
    phone
        .text_becomes("#light-verdict", "已在您的手机上独立核验")
        .await;
    let width = phone.script("return window.innerWidth;", json!([])).await;
    assert_eq!(width, json!(390), "device emulation");
    let elapsed = phone
        .script(
            "return document.querySelector('#light').dataset.elapsedMs;",
            json!([]),
        )
        .await;
    println!(
        "speed light-verify: {} ms in the worker after the bundle arrived (4x CPU throttling, 390x844 DPR 3, {} leaves)",
        elapsed.as_str().unwrap_or("?"),
        1201
    );
    let overflow = phone
        .script(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(0), "no horizontal overflow on the phone");
    phone.full_screenshot("phone-verify-verdict").await;
    phone.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaded_pages_keep_working_with_the_network_cut() {
    let mut srv = server("offline").await;
    let base = srv.base.clone();
    let b = Browser::start_phone().await;
    // Online: the home page (its campaign answer is kept) and the service worker, installed
    // and controlling the page.
    b.goto(&format!("{base}/")).await;
    b.text_becomes("#campaign-name", "通川购").await;
    let mut controlled = false;
    for _ in 0..400 {
        let v = b
            .script(
                "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
                json!([]),
            )
            .await;
        if v == json!(true) {
            controlled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(controlled, "the service worker never took control");
    b.goto(&format!("{base}/")).await;
    b.text_becomes("#campaign-name", "通川购").await;
    // An auditor opens the verifier once (its app is cached as it is used, not fetched in the
    // background for every shopper).
    b.goto(&format!("{base}/verify")).await;
    b.find("#record-file").await;
    let (record, ledger) =
        fairdraw_core::demo::demo_draw(2_000, &fairdraw_core::hash::Hash32([4; 32])).expect("demo");
    let record_path = srv.dir.join("offline-record.json");
    let ledger_path = srv.dir.join("offline-ledger.jsonl");
    std::fs::write(&record_path, serde_json::to_string(&record).expect("json")).expect("write");
    std::fs::write(&ledger_path, ledger.to_jsonl()).expect("write");

    // The network is cut: the server is gone.
    srv.stop().await;
    assert!(
        reqwest::get(format!("{base}/")).await.is_err(),
        "still serving"
    );
    // A reload still shows the campaign, from the cached build and the last answer.
    b.goto(&format!("{base}/")).await;
    b.text_becomes("#campaign-name", "通川购").await;
    // The verifier loads and checks files, its worker included.
    b.goto(&format!("{base}/verify")).await;
    b.type_text("#anchor", &record.rules_hash.to_hex()).await;
    b.upload("#record-file", &record_path).await;
    b.upload("#ledger-file", &ledger_path).await;
    b.click("#run-verify").await;
    b.text_becomes("#verify-summary", "全部检查通过").await;
    b.phone_shot("auditor-offline").await;
    b.quit().await;
}

/// Lighthouse's mobile profile: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
#[cfg(feature = "speed")]
async fn throttle(b: &Browser) {
    b.cmd(
        reqwest::Method::POST,
        "/chromium/network_conditions",
        Some(
            json!({ "network_conditions": { "offline": false, "latency": 150,
            "download_throughput": 1_600_000 / 8, "upload_throughput": 750_000 / 8 } }),
        ),
    )
    .await;
}

/// First render under a throttled mobile network, cold cache, for BENCHMARKS.md
/// (`scripts/bench.sh`): first contentful paint (index.html's static "loading" line), the app's
/// first render (a performance mark the shell sets), and the moment the app has rendered the
/// campaign (a mark the home page sets), beside the bytes moved.
#[cfg(feature = "speed")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_render_on_a_throttled_phone() {
    let srv = server("first-render").await;
    let mut runs = Vec::new();
    for _ in 0..3 {
        let b = Browser::start_phone().await;
        throttle(&b).await;
        b.goto(&format!("{}/", srv.base)).await;
        b.find("#campaign-name").await;
        let v = b
            .script(
                "const p = performance.getEntriesByName('first-contentful-paint')[0];
                 const app = performance.getEntriesByName('fairdraw-app-rendered')[0];
                 const shown = performance.getEntriesByName('fairdraw-campaign-rendered')[0];
                 const bytes = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
                   .reduce((s, e) => s + (e.transferSize || 0), 0);
                 return [p ? p.startTime : -1, app ? app.startTime : -1, shown ? shown.startTime : -1, bytes];",
                json!([]),
            )
            .await;
        runs.push((
            v[0].as_f64().unwrap_or(-1.0),
            v[1].as_f64().unwrap_or(-1.0),
            v[2].as_f64().unwrap_or(-1.0),
            v[3].as_f64().unwrap_or(0.0),
        ));
        b.quit().await;
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (fcp, app, shown, bytes) in &runs {
        println!(
            "speed first-render: first contentful paint {fcp:.0} ms; app rendered {app:.0} ms; campaign rendered by the app {shown:.0} ms; {:.0} KB transferred",
            bytes / 1024.0
        );
    }
}

/// The verifier's worker on a 1,000,000-entry ledger from files, for BENCHMARKS.md: wall time
/// to the checklist, and whether the page kept painting meanwhile (frames counted while the
/// worker ran).
#[cfg(feature = "speed")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_verifies_a_million_entries() {
    let n: u64 = std::env::var("FAIRDRAW_SPEED_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let srv = server("million").await;
    let (record, ledger) =
        fairdraw_core::demo::demo_draw(n, &fairdraw_core::hash::Hash32([7; 32])).expect("demo");
    let record_path = srv.dir.join("record.json");
    let ledger_path = srv.dir.join("ledger.jsonl");
    std::fs::write(&record_path, serde_json::to_string(&record).expect("json")).expect("write");
    std::fs::write(&ledger_path, ledger.to_jsonl()).expect("write");
    drop(ledger);
    let b = Browser::start(1280, 720).await;
    b.goto(&format!("{}/verify", srv.base)).await;
    b.upload("#record-file", &record_path).await;
    b.upload("#ledger-file", &ledger_path).await;
    // Count animation frames while the worker runs: a frozen page would count none.
    b.script(
        "window.__frames = 0; const tick = () => { window.__frames++; requestAnimationFrame(tick); }; requestAnimationFrame(tick); window.__t0 = performance.now();",
        json!([]),
    )
    .await;
    b.click("#run-verify").await;
    let mut shown = String::new();
    for _ in 0..12_000 {
        shown = b
            .script(
                "const e = document.querySelector('#verify-summary'); return e ? e.innerText : '';",
                json!([]),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !shown.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = b
        .script(
            "return [performance.now() - window.__t0, window.__frames];",
            json!([]),
        )
        .await;
    let ms = v[0].as_f64().unwrap_or(0.0);
    let frames = v[1].as_f64().unwrap_or(0.0);
    println!(
        "speed worker: {n} entries, {} MB: checklist after {ms:.0} ms; {frames:.0} frames painted meanwhile ({:.0} fps); {shown}",
        std::fs::metadata(&ledger_path).map_or(0, |m| m.len()) >> 20,
        frames * 1000.0 / ms.max(1.0)
    );
    assert!(shown.contains("全部检查通过"), "{shown}");
    b.quit().await;
}

/// Light verification of a 1,000,000-entry draw with drand, six prizes and five alternates (the BLS check included) on an
/// emulated phone with 4x CPU throttling, for BENCHMARKS.md: the bundle published as a static
/// file beside the web app, opened by its verify link. The worker's time from the bundle's
/// arrival to the verdict is printed, never asserted.
#[cfg(feature = "speed")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_light_verifies_a_million_entry_drand_draw() {
    let n: u64 = std::env::var("FAIRDRAW_SPEED_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // FAIRDRAW_CPU_THROTTLE=1 gives the unthrottled figure beside it.
    let rate: u32 = std::env::var("FAIRDRAW_CPU_THROTTLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let (record, ledger) = fairdraw_core::demo::demo_drand_draw(n, 6);
    let bundle = fairdraw_core::bundle::make_bundle(&record, &ledger).expect("bundle");
    drop(ledger);
    let text = serde_json::to_string(&bundle).expect("json");
    let dist = std::env::temp_dir().join(format!("fairdraw-e2e-dist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("published")).expect("mkdir");
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist");
    // The shoppers' app (its files; the organizer's app is not needed here).
    for e in std::fs::read_dir(&built).expect("dist") {
        let e = e.expect("entry");
        if e.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(e.path(), dist.join(e.file_name())).expect("copy");
        }
    }
    std::fs::write(dist.join("published/bundle.json"), &text).expect("write");
    let srv = server_serving("light-million", dist.clone()).await;
    let phone = Browser::start_phone().await;
    phone
        .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": rate }))
        .await;
    phone
        .goto(&format!(
            "{}/verify?bundle=/published/bundle.json&anchor={}",
            srv.base, record.rules_hash
        ))
        .await;
    phone
        .text_becomes("#light-verdict", "已在您的手机上独立核验")
        .await;
    let elapsed = phone
        .script(
            "return document.querySelector('#light').dataset.elapsedMs;",
            json!([]),
        )
        .await;
    let drand = phone
        .script(
            "return [...document.querySelectorAll('#light [data-check]')].map(e => e.dataset.check).filter(c => c.startsWith('entropy.drand'));",
            json!([]),
        )
        .await;
    println!(
        "speed light-verify-million: {} ms in the worker after the bundle arrived ({n} entries, {} picks, drand {drand}, bundle {} KB, {rate}x CPU throttling, 390x844 DPR 3)",
        elapsed.as_str().unwrap_or("?"),
        bundle.picks.len(),
        text.len() / 1024
    );
    phone.full_screenshot("phone-verify-million-drand").await;
    phone.quit().await;
    let _ = std::fs::remove_dir_all(&dist);
}

/// Asserts what the room must see on a projector screen: the verify QR code and every prize
/// inside the viewport, nothing wider than the screen, Chinese only, no epoch milliseconds.
fn assert_projector(facts: &Value, screen: &str) {
    let (vw, vh) = (
        facts["vw"].as_f64().unwrap_or(0.0),
        facts["vh"].as_f64().unwrap_or(0.0),
    );
    let qr: Vec<f64> = facts["qr"]
        .as_array()
        .unwrap_or_else(|| panic!("{screen}: no verify QR code: {facts}"))
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        qr.len() == 4 && qr[0] >= 0.0 && qr[1] >= 0.0 && qr[2] <= vw && qr[3] <= vh,
        "{screen}: the QR code is not inside the {vw}×{vh} screen: {qr:?}"
    );
    assert!(
        qr[2] - qr[0] >= vh * 0.15,
        "{screen}: the QR code is too small to scan from the room: {qr:?}"
    );
    assert!(
        facts["overflow"].as_f64().unwrap_or(1.0) <= 0.0,
        "{screen}: wider than the screen: {facts}"
    );
    for bottom in facts["prizes"].as_array().into_iter().flatten() {
        assert!(
            bottom.as_f64().unwrap_or(f64::MAX) <= vh,
            "{screen}: a prize is below the fold: {facts}"
        );
    }
    assert_eq!(
        facts["english"],
        json!([]),
        "{screen}: English on the Chinese screen"
    );
    assert_eq!(
        facts["long"],
        json!([]),
        "{screen}: a 13-digit number on screen"
    );
}

/// The ceremony as the room sees it, on a 1920×1080 projector (device emulation), and the
/// same screens at 1280×720 and 3840×2160: the demo's first draw from the secret files (one
/// dropped on the wrong slot) to the published board; then the notary's record printed to PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_draw_on_a_projector() {
    let srv = server("projector").await;
    let base = srv.base.clone();
    let b = Browser::start(1280, 720).await;
    b.emulate(1920, 1080, 1.0, false).await;
    b.goto(&format!("{base}/organizer")).await;
    b.type_text("#password", PASSWORD).await;
    b.click("#login").await;
    b.text_becomes("#audit-status", "哈希链完整").await;
    b.goto(&format!("{base}/organizer/dazhou-2026/0/live"))
        .await;
    b.text_becomes("#live-sth", "一致").await;
    b.text_becomes("#live-witnesses", "2/2").await;
    let facts = b.layout().await;
    assert_eq!(facts["english"], json!([]), "inputs screen: {facts}");
    assert_eq!(facts["long"], json!([]), "inputs screen: {facts}");
    // Dropped on the organizer's slot, the notary's file goes to the notary's: a real drop
    // event with the file's bytes, through the page's own handler.
    let file = |party: &str| {
        std::fs::read_to_string(
            srv.dir
                .join("demo-secrets")
                .join(format!("dazhou-2026-draw1-{party}.json")),
        )
        .expect("secret file")
    };
    let drop_js = "const dt = new DataTransfer();
        dt.items.add(new File([arguments[1]], arguments[2], { type: 'application/json' }));
        document.querySelector(arguments[0]).dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));";
    b.script(
        drop_js,
        json!([
            ".reveal[data-party='organizer']",
            file("notary"),
            "notary.json"
        ]),
    )
    .await;
    let moved = b.text_becomes("#reveal-file-note-1", "已从").await;
    assert!(moved.contains("公证处（达州市公证处）"), "{moved}");
    b.find("#reveal-ok-1").await;
    b.script(
        drop_js,
        json!([
            ".reveal[data-party='organizer']",
            file("organizer"),
            "organizer.json"
        ]),
    )
    .await;
    b.text_becomes("#reveal-file-note-0", "已载入主办方").await;
    b.find("#reveal-ok-0").await;
    b.type_text("#numbers-0", "03 11 17 22 28 33 09").await;
    b.text_becomes("#numbers-read-0", "7 个号码：03 11 17 22 28 33 | 09")
        .await;
    b.find("#entropy-ok").await;
    b.full_screenshot("projector-inputs").await;
    let facts = b.layout().await;
    assert_eq!(facts["english"], json!([]), "inputs filled: {facts}");
    assert_eq!(facts["long"], json!([]), "inputs filled: {facts}");
    assert!(
        facts["overflow"].as_f64().unwrap_or(1.0) <= 0.0,
        "inputs filled: {facts}"
    );
    b.click("#run-draw").await;
    b.find("#reveal-next").await;
    // The organizer's tools leave the room's view: the inputs are closed below the stage.
    let locked = b
        .script(
            "return document.querySelector('.live-inputs').open === false
                && document.querySelector('.live-inputs').getBoundingClientRect().top >= innerHeight * 0.6;",
            json!([]),
        )
        .await;
    assert_eq!(locked, json!(true), "the locked inputs are out of the way");
    // The clicker's PageDown (outside any field) runs the first prize's sequence: the prize
    // alone, the numbers rolling, then the winner.
    b.script("document.querySelector('.live').focus();", json!([]))
        .await;
    b.script(
        "document.querySelector('.live').dispatchEvent(new KeyboardEvent('keydown', { key: 'PageDown', bubbles: true }));",
        json!([]),
    )
    .await;
    b.find("#spotlight[data-phase='announce']").await;
    b.viewport_screenshot("projector-1920-announce").await;
    assert_projector(&b.layout().await, "1920×1080 announce");
    b.find("#spotlight[data-phase='rolling']").await;
    b.viewport_screenshot("projector-1920-rolling").await;
    b.find("#spotlight[data-phase='winner']").await;
    b.viewport_screenshot("projector-1920-winner").await;
    assert_projector(&b.layout().await, "1920×1080 winner");
    let first = b.text("#spotlight .spot-phone").await;
    assert!(first.contains("****"), "{first}");
    assert_eq!(b.text("li.prize[data-rank='0'] .phone").await, first);
    // A viewer who asked for less motion: the numbers do not spin, the sequence keeps its time.
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-reduced-motion", "value": "reduce" }] }),
    )
    .await;
    b.click("#reveal-next").await;
    b.find("#spotlight[data-phase='rolling']").await;
    assert_eq!(b.text("#spotlight .spot-phone").await, "……");
    b.find("li.prize[data-rank='1'].shown").await;
    b.cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
        .await;
    b.click("#reveal-next").await;
    b.find("#final-board").await;
    for (w, h, name) in [
        (1920, 1080, "projector-1920-board"),
        (1280, 720, "projector-1280-board"),
        (3840, 2160, "projector-3840-board"),
    ] {
        b.emulate(w, h, 1.0, false).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.viewport_screenshot(name).await;
        assert_projector(&b.layout().await, name);
    }
    b.emulate(1920, 1080, 1.0, false).await;
    b.click("#post-record").await;
    b.find("#published").await;
    b.viewport_screenshot("projector-1920-published").await;
    // Reopened, the published result, the same board.
    b.goto(&format!("{base}/organizer/dazhou-2026/0/live"))
        .await;
    b.find("#live-published #final-board").await;
    assert_eq!(b.text("li.prize[data-rank='0'] .phone").await, first);
    b.text_becomes("#published-status", "已公布").await;
    b.viewport_screenshot("projector-1920-reopened").await;
    assert_projector(&b.layout().await, "1920×1080 reopened");
    b.emulate(1280, 720, 1.0, false).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_projector(&b.layout().await, "1280×720 reopened");

    // Posters for the shops: one A5 page each, each QR code choosing its shop.
    b.emulate(1280, 900, 1.0, false).await;
    b.goto(&format!("{base}/organizer/dazhou-2026/posters"))
        .await;
    b.find("section.poster[data-shop='M030'] svg.qr path").await;
    let link = b
        .script(
            "return document.querySelector(\"section.poster[data-shop='M003'] svg.qr\").dataset.text;",
            json!([]),
        )
        .await;
    assert_eq!(link, json!(format!("{base}/enter?shop=M003")));
    assert!(
        b.text("section.poster[data-shop='M003']")
            .await
            .contains("西外好又多超市")
    );
    b.viewport_screenshot("organizer-posters").await;
    let v = b
        .cdp(
            "Page.printToPDF",
            json!({ "preferCSSPageSize": true, "printBackground": true }),
        )
        .await;
    let posters = base64::engine::general_purpose::STANDARD
        .decode(v["data"].as_str().unwrap_or_default())
        .expect("pdf");
    let count = posters.windows(11).filter(|w| w == b"/Type /Page").count()
        - posters.windows(12).filter(|w| w == b"/Type /Pages").count();
    assert_eq!(count, 30, "one A5 page per shop");
    std::fs::write(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/shop-posters.pdf"),
        &posters,
    )
    .expect("write");

    // The notary's record: printed to PDF by Chromium, two A4 pages and the appendix.
    b.goto(&format!("{base}/print/dazhou-2026/0")).await;
    b.find("#print-appendix").await;
    let winners = b.text("#print-winners").await;
    assert!(
        winners.contains("一汽-大众帕萨特轿车一辆") && winners.contains(&first),
        "{winners}"
    );
    let record = b.text("#print-record").await;
    for want in [
        "四川省达州市公证处",
        "市民中心一楼大厅",
        "开奖时间",
        "03 11 17 22 28 33 | 09",
        "主办方（通川区商务局）",
        "公证员（签字）",
        "公证处（盖章）",
    ] {
        assert!(record.contains(want), "the record lacks {want}");
    }
    let epoch_ms = record
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|t| t.len() == 13 && t.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(epoch_ms, None, "epoch ms on paper");
    let pdf = |ranges: &'static str| {
        let b = &b;
        async move {
            let v = b
                .cdp("Page.printToPDF", json!({ "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": true, "printBackground": true, "pageRanges": ranges }))
                .await;
            base64::engine::general_purpose::STANDARD
                .decode(v["data"].as_str().unwrap_or_default())
                .expect("pdf")
        }
    };
    let pages = |pdf: &[u8]| {
        pdf.windows(11).filter(|w| w == b"/Type /Page").count()
            - pdf.windows(12).filter(|w| w == b"/Type /Pages").count()
    };
    let whole = pdf("").await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::write(dir.join("notary-record.pdf"), &whole).expect("write pdf");
    let total = pages(&whole);
    // Each page on its own: the first two hold the record; the appendix starts on the third.
    for page in 1..=total {
        let one = pdf(Box::leak(page.to_string().into_boxed_str())).await;
        assert_eq!(pages(&one), 1, "page {page} prints alone");
    }
    b.script(
        "document.querySelector('#print-appendix').remove();",
        json!([]),
    )
    .await;
    let record_pages = pages(&pdf("").await);
    assert!(
        record_pages <= 2,
        "the record takes {record_pages} A4 pages"
    );
    assert!(
        total > record_pages,
        "the appendix follows on its own page ({total} pages)"
    );
    // What the paper looks like: print media, A4's printable width.
    b.goto(&format!("{base}/print/dazhou-2026/0")).await;
    b.find("#print-appendix").await;
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await;
    b.emulate(688, 1000, 1.0, false).await;
    b.full_screenshot("notary-record-print").await;
    b.quit().await;
}

/// One PNG of every screenshot the tests saved, for a reviewer to see the whole app at once:
/// run by scripts/test.sh after the other end-to-end tests (`--ignored`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by scripts/test.sh after the tests that take the screenshots"]
async fn contact_sheet() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("screenshots")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png") && n != "contact-sheet.png")
        .collect();
    names.sort();
    assert!(names.len() >= 20, "only {} screenshots", names.len());
    let cells: String = names
        .iter()
        .map(|n| format!("<figure><img src=\"{n}\"><figcaption>{n}</figcaption></figure>"))
        .collect();
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>fairdraw screenshots</title>\
         <style>body{{margin:12px;font:14px sans-serif;background:#eee}}\
         main{{display:grid;grid-template-columns:repeat(6,300px);gap:12px;align-items:start}}\
         figure{{margin:0;background:#fff;padding:6px;border:1px solid #ccc}}\
         img{{width:100%;max-height:600px;object-fit:contain;object-position:top;display:block;background:#000}}\
         figcaption{{margin-top:4px;word-break:break-all}}</style>\
         <h1>fairdraw: {} screenshots</h1><main>{cells}</main>",
        names.len()
    );
    let page = dir.join("contact-sheet.html");
    std::fs::write(&page, html).expect("write");
    let b = Browser::start(1280, 720).await;
    b.emulate(1920, 1080, 1.0, false).await;
    b.goto(&format!("file://{}", page.display())).await;
    let loaded = b
        .script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0);",
            json!([]),
        )
        .await;
    assert_eq!(loaded, json!(true), "every screenshot loads");
    b.full_screenshot("contact-sheet").await;
    b.quit().await;
}

/// A YUV4MPEG2 (4:2:0) file for Chromium's fake camera: the image centred on a grey 640×480
/// frame (chroma neutral), repeated.
fn write_y4m(path: &Path, image: Option<(usize, &[u8])>, frames: usize) {
    let (w, h) = (640usize, 480usize);
    let mut frame = vec![200u8; w * h];
    if let Some((side, luma)) = image {
        let scale = (side as f64 / (h as f64 * 0.9)).max(1.0);
        let shown = (side as f64 / scale) as usize;
        let (ox, oy) = ((w - shown) / 2, (h - shown) / 2);
        for y in 0..shown {
            for x in 0..shown {
                let (sx, sy) = ((x as f64 * scale) as usize, (y as f64 * scale) as usize);
                frame[(oy + y) * w + ox + x] = luma[sy.min(side - 1) * side + sx.min(side - 1)];
            }
        }
    }
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..frames {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&frame);
        out.extend(std::iter::repeat_n(128u8, w * h / 2));
    }
    std::fs::write(path, out).expect("write y4m");
}

/// Counts the shopper's taps (clicks) and typed characters on the page from now on.
async fn count_effort(b: &Browser) {
    b.script(
        "window.__taps = 0; window.__chars = 0;
         document.addEventListener('click', e => { if (e.isTrusted) window.__taps++; }, true);
         document.addEventListener('keydown', e => { if (e.key.length === 1) window.__chars++; }, true);",
        json!([]),
    )
    .await;
}

/// The shopper's way from a shop's poster: its link chooses the shop, the camera reads the
/// invoice (Chromium's fake camera shows real fapiao QR codes rendered here, read by the
/// wasm decoder: Linux Chromium has no BarcodeDetector), consent, submit: three taps and, once
/// this phone knows the number, nothing typed. Then both invoice kinds, a tilted and a faded
/// code, a QR that is not an invoice's, a photo (PNG and JPEG), and each way scanning fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopper_scans_a_receipt_from_a_poster() {
    let srv = server("scan").await;
    let base = srv.base.clone();
    let dir = srv.dir.join("camera");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let today = fairdraw_core::civil::CivilDate::china_date_at(now_ms()).expect("today");
    let ymd = today.to_string().replace('-', "");
    let digital = |n: u64| format!("01,32,,2651{n:016},688.00,{ymd},,1DD6");
    let video = |name: &str, text: Option<&str>, degrees: f64, dark: u8, light: u8| {
        let path = dir.join(format!("{name}.y4m"));
        let img = text.map(|t| fairdraw_web::scan::qr_image(t, 6, degrees, dark, light));
        write_y4m(&path, img.as_ref().map(|(s, l)| (*s, l.as_slice())), 20);
        path
    };

    // The first receipt on this phone: from the poster, scanned; the number typed once.
    let b =
        Browser::start_phone_with_camera(&video("digital-1", Some(&digital(1)), 0.0, 0, 255)).await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    let chosen = b.text_becomes("#chosen-shop", "来自商户海报").await;
    assert!(!chosen.contains("M007"), "{chosen}");
    // The poster's page starts from the campaign served with it: no request for it.
    assert_eq!(b.requested("/api/campaigns").await, json!([]));
    b.click("#scan").await;
    b.text_becomes("#qr-status", "已按发票二维码填写").await;
    let filled = b.script("return [document.querySelector('#receipt').value, document.querySelector('#amount').value, document.querySelector('#date').value];", json!([])).await;
    assert_eq!(
        filled,
        json!([format!("2651{:016}", 1), "688.00", today.to_string()])
    );
    b.type_text("#phone", "13912345678").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    b.text_becomes("#entry-success", "登记成功").await;
    b.quit().await;

    // The next receipt, the way it should always be: three taps, nothing typed. (The phone
    // number is remembered by this device: a new browser profile, so it is set as the first
    // entry left it.)
    let b =
        Browser::start_phone_with_camera(&video("digital-2", Some(&digital(2)), 0.0, 0, 255)).await;
    b.goto(&format!("{base}/enter")).await;
    b.find("#shop").await;
    b.script(
        "localStorage.setItem('fairdraw.phone', JSON.stringify('13912345678'));",
        json!([]),
    )
    .await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    b.find("#chosen-shop").await;
    b.find("#phone-remembered").await;
    count_effort(&b).await;
    b.click("#scan").await;
    b.find("#scan-video").await;
    b.phone_shot("shopper-scan-camera").await;
    b.text_becomes("#qr-status", "已按发票二维码填写").await;
    b.text_becomes("#entry-result", "符合条件").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    b.text_becomes("#entry-success", "登记成功").await;
    let effort = b
        .script("return [window.__taps, window.__chars];", json!([]))
        .await;
    assert_eq!(
        effort,
        json!([3, 0]),
        "taps and typed characters for a scanned receipt"
    );
    println!(
        "scanned receipt from a poster link: {} taps, {} characters typed",
        effort[0], effort[1]
    );
    b.phone_shot("shopper-scan-success").await;
    b.quit().await;

    // An old-style invoice: number and date from the code, the amount paid typed (its code
    // holds the amount before tax). Tilted and faded codes read the same.
    let old = format!(
        "01,10,051001900111,{:08},600.00,{ymd},81045826961248021535,134F",
        42
    );
    for (name, text, degrees, dark, light) in [
        ("old-style", old.clone(), 0.0, 0, 255),
        ("tilted", digital(3), 17.0, 0, 255),
        ("faded", digital(4), 0.0, 90, 160),
    ] {
        let b =
            Browser::start_phone_with_camera(&video(name, Some(&text), degrees, dark, light)).await;
        b.goto(&format!("{base}/enter?shop=M007")).await;
        b.click("#scan").await;
        b.text_becomes("#qr-status", "已按发票二维码填写").await;
        let filled = b.script("return [document.querySelector('#receipt').value, document.querySelector('#amount').value];", json!([])).await;
        if name == "old-style" {
            assert_eq!(filled, json!(["051001900111-00000042", ""]), "{name}");
        } else {
            assert_eq!(filled[1], "688.00", "{name}");
        }
        b.quit().await;
    }

    // A QR code that is not an invoice's: said so, nothing filled.
    let b = Browser::start_phone_with_camera(&video(
        "not-fapiao",
        Some("https://example.com/menu"),
        0.0,
        0,
        255,
    ))
    .await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    b.click("#scan").await;
    b.text_becomes("#qr-error", "这不是发票的二维码").await;
    b.phone_shot("shopper-scan-not-fapiao").await;
    // A photo from the gallery, PNG then JPEG, drawn here from a real code and decoded by the
    // same path.
    let (side, luma) = fairdraw_web::scan::qr_image(&digital(5), 8, 0.0, 0, 255);
    for (kind, name) in [("image/png", "receipt.png"), ("image/jpeg", "receipt.jpg")] {
        b.script(
            "const [side, luma, kind, name] = arguments;
             const c = document.createElement('canvas'); c.width = side; c.height = side;
             const ctx = c.getContext('2d'); const img = ctx.createImageData(side, side);
             for (let i = 0; i < side * side; i++) { const v = luma[i];
               img.data[4*i] = v; img.data[4*i+1] = v; img.data[4*i+2] = v; img.data[4*i+3] = 255; }
             ctx.putImageData(img, 0, 0);
             c.toBlob(blob => {
               const dt = new DataTransfer(); dt.items.add(new File([blob], name, { type: kind }));
               const input = document.querySelector('#scan-photo'); input.files = dt.files;
               input.dispatchEvent(new Event('change', { bubbles: true }));
             }, kind, 0.92);",
            json!([side, luma, kind, name]),
        )
        .await;
        b.text_becomes("#qr-status", "已按发票二维码填写").await;
        let number = b
            .script(
                "return document.querySelector('#receipt').value;",
                json!([]),
            )
            .await;
        assert_eq!(number, json!(format!("2651{:016}", 5)), "{kind}");
        b.click("#qr-clear").await;
    }
    // A photo with no code in it.
    b.script(
        "const c = document.createElement('canvas'); c.width = 300; c.height = 200;
         c.getContext('2d').fillRect(0, 0, 50, 50);
         c.toBlob(blob => { const dt = new DataTransfer(); dt.items.add(new File([blob], 'cat.png', { type: 'image/png' }));
           const input = document.querySelector('#scan-photo'); input.files = dt.files;
           input.dispatchEvent(new Event('change', { bubbles: true })); }, 'image/png');",
        json!([]),
    )
    .await;
    b.text_becomes("#scan-error", "这张照片里没有找到二维码")
        .await;
    b.quit().await;

    // On a new phone (nothing stored): the tickets found again with the number and one
    // receipt number; a wrong pair finds nothing, said the same way as an unknown one.
    let b = Browser::start_phone().await;
    b.goto(&format!("{base}/enter")).await;
    b.click("#recover summary").await;
    b.type_text("#recover-phone", "13912345678").await;
    b.type_text("#recover-receipt", "2651000000000000009").await;
    b.click("#recover-submit").await;
    b.text_becomes("#recover-result", "没有找到").await;
    b.type_text("#recover-receipt", &format!("2651{:016}", 1))
        .await;
    b.click("#recover-submit").await;
    b.text_becomes("#recover-result", "已找回 2 张奖券").await;
    let mine = b.text_becomes(".my-tickets", "通川红旗连锁").await;
    assert!(
        mine.contains("¥688.00") && mine.contains("139****5678"),
        "{mine}"
    );
    // Each says where it stands, in words, without a tap.
    b.text_becomes(
        ".my-tickets .ticket-row:last-child .status",
        "已登记，等待本期截止冻结",
    )
    .await;
    b.phone_shot("shopper-recovered").await;
    b.quit().await;

    // A camera that sees no code: after the scan's time, said so.
    let b = Browser::start_phone_with_camera(&video("blank", None, 0.0, 0, 255)).await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    b.click("#scan").await;
    b.find("#scan-video").await;
    tokio::time::sleep(Duration::from_millis(fairdraw_web::scan::SCAN_TIMEOUT_MS)).await;
    b.text_becomes("#scan-error", "没有找到二维码").await;
    b.phone_shot("shopper-scan-nothing").await;
    b.quit().await;

    // Permission refused (no fake permission prompt: headless Chromium denies it), and no
    // camera at all (no fake device on a machine without one).
    let b = Browser::start_phone_with(&[
        "--use-fake-device-for-media-stream".into(),
        "--deny-permission-prompts".into(),
    ])
    .await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    b.click("#scan").await;
    b.text_becomes("#scan-error", "相机权限被拒绝").await;
    b.phone_shot("shopper-scan-refused").await;
    b.quit().await;
    let b = Browser::start_phone_with(&["--use-fake-ui-for-media-stream".into()]).await;
    b.goto(&format!("{base}/enter?shop=M007")).await;
    b.click("#scan").await;
    b.text_becomes("#scan-error", "没有可用的相机").await;
    b.quit().await;
}

/// Where shoppers are: an older Android WebView inside WeChat, at DPR 3, with no service
/// worker, no BarcodeDetector and no web storage (some in-app browsers turn DOM storage off).
/// A receipt goes in and its ticket shows; only the keeping of tickets on the phone is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopper_on_an_old_webview_without_storage_or_service_worker() {
    let srv = server("old-webview").await;
    let base = srv.base.clone();
    let b = Browser::start_with(
        500,
        900,
        json!({ "mobileEmulation": {
            "deviceMetrics": { "width": 360, "height": 640, "pixelRatio": 3.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 8.1.0; MI 8 Build/OPM1.171019.026; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 Mobile Safari/537.36 MicroMessenger/7.0.3.1400(0x27000334) NetType/4G Language/zh_CN"
        } }),
    )
    .await;
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined });
            delete window.BarcodeDetector;
            for (const k of ['localStorage', 'sessionStorage']) {
              Object.defineProperty(window, k, { get() { throw new DOMException('storage is disabled', 'SecurityError'); } });
            }" }),
    )
    .await;
    b.goto(&format!("{base}/enter?shop=M005")).await;
    b.text_becomes("#chosen-shop", "来自商户海报").await;
    let today = fairdraw_core::civil::CivilDate::china_date_at(now_ms()).expect("today");
    b.type_text("#receipt", "OLD-WEBVIEW-1").await;
    b.type_text("#amount", "566").await;
    b.type_text("#phone", "13612345678").await;
    b.text_becomes("#entry-result", "符合条件").await;
    b.click("#consent").await;
    b.click("#submit-entry").await;
    b.text_becomes("#entry-success", "登记成功").await;
    assert_eq!(b.text("#success-date").await, today.to_string());
    b.phone_shot("shopper-old-webview").await;
    // The other public pages render too.
    for (path, ready) in [
        ("/", "#campaign-name"),
        ("/results", ".page"),
        ("/rules", "#rules-hash"),
    ] {
        b.goto(&format!("{base}{path}")).await;
        b.find(ready).await;
    }
    b.quit().await;
}
