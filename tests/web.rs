//! Browser tests (headless Chromium through wasm-bindgen-test): the shared vector files run in
//! WebAssembly, and the pages render what the core computes.
#![cfg(target_arch = "wasm32")]

use fairdraw_core::hash::Hash32;
use include_dir::{Dir, include_dir};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

static VECTORS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/vectors");

fn walk<'a>(dir: &'a Dir<'a>, out: &mut Vec<(String, &'a str)>) {
    for f in dir.files() {
        if let Some(text) = f.contents_utf8() {
            out.push((f.path().display().to_string(), text));
        }
    }
    for d in dir.dirs() {
        walk(d, out);
    }
}

#[wasm_bindgen_test]
fn every_vector_passes_in_wasm() {
    let mut files = Vec::new();
    walk(&VECTORS, &mut files);
    assert!(files.len() > 700, "only {} vectors embedded", files.len());
    let results = fairdraw_core::vectors::run_all(files.iter().map(|(n, t)| (n.as_str(), *t)));
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
        .collect();
    console_log!(
        "wasm vectors: {} passed, {} failed",
        results.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("document")
}

/// Waits (yielding to the event loop, bounded) until `selector` matches (any element, SVG too).
async fn wait_for(selector: &str) -> web_sys::Element {
    for _ in 0..200 {
        if let Ok(Some(e)) = document().query_selector(selector) {
            return e;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    panic!("{selector} never appeared");
}

/// As [`wait_for`], for an HTML element.
async fn element(selector: &str) -> HtmlElement {
    wait_for(selector).await.dyn_into().expect("html element")
}

fn mount<C: yew::BaseComponent<Properties = ()>>() -> web_sys::Element {
    mount_with::<C>(())
}

fn mount_with<C: yew::BaseComponent>(props: C::Properties) -> web_sys::Element {
    let root = document().create_element("div").expect("div");
    document()
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    root
}

#[wasm_bindgen_test]
async fn rules_page_shows_the_core_rules_hash() {
    use yew::prelude::*;
    #[function_component(Host)]
    fn host() -> Html {
        html! { <fairdraw_web::pages::rules::RulesPage lang={fairdraw_web::i18n::Lang::Zh} /> }
    }
    let root = mount::<Host>();
    let hash = element("#rules-hash").await;
    assert_eq!(
        hash.inner_text(),
        fairdraw_web::state::demo_rules().hash().to_hex()
    );
    assert!(root.text_content().unwrap_or_default().contains("¥500.00"));
    root.remove();
}

#[wasm_bindgen_test]
async fn checklist_names_the_failing_check() {
    use yew::prelude::*;
    let (mut record, ledger) = fairdraw_core::demo::demo_draw(25, &Hash32([8; 32])).expect("demo");
    record.seed.0[0] ^= 1;
    let report = fairdraw_core::verify::verify_record(
        &record,
        &ledger,
        fairdraw_core::verify::Anchor::Published(record.rules_hash),
    );

    #[derive(Properties, PartialEq)]
    struct Wrap {
        report: fairdraw_core::verify::Report,
    }
    #[function_component(Host)]
    fn host(p: &Wrap) -> Html {
        html! { <fairdraw_web::components::checklist::Checklist report={p.report.clone()} lang={fairdraw_web::i18n::Lang::En} /> }
    }
    let root = mount_with::<Host>(Wrap { report });
    let failed = element("li.fail[data-check]").await;
    assert_eq!(failed.get_attribute("data-check").as_deref(), Some("seed"));
    let summary = element("#verify-summary").await;
    assert!(
        summary.inner_text().contains("1 checks failed"),
        "{}",
        summary.inner_text()
    );
    root.remove();
}

/// Types into an input as a person would: sets the value and fires a bubbling `input` event.
fn type_into(selector: &str, value: &str) {
    let el: web_sys::HtmlInputElement = document()
        .query_selector(selector)
        .ok()
        .flatten()
        .expect("input")
        .dyn_into()
        .expect("an input");
    el.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    el.dispatch_event(&ev).expect("dispatch");
}

/// Waits (bounded) until the element's text contains `want`.
async fn text_becomes(selector: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        last = element(selector).await.inner_text();
        if last.contains(want) {
            return last;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    panic!("{selector} shows {last:?}, never {want:?}");
}

#[wasm_bindgen_test]
async fn entry_form_validates_as_the_shopper_types() {
    use yew::prelude::*;
    #[function_component(Host)]
    fn host() -> Html {
        html! { <fairdraw_web::pages::enter::EnterPage lang={fairdraw_web::i18n::Lang::Zh} /> }
    }
    let root = mount::<Host>();
    element("#amount").await;
    type_into("#amount", "499.99");
    let shown = text_becomes("#entry-result", "未达到").await;
    assert_eq!(shown, "消费金额 499.99 元未达到 500.00 元，不能参与抽奖。");
    let result = element("#entry-result").await;
    assert_eq!(
        result.get_attribute("data-code").as_deref(),
        Some("BELOW_THRESHOLD")
    );

    // Every field filled: the core's full verdict (the demo window starts 2026-12-10, so a
    // receipt dated before it is refused with the window's own message).
    // The shop, found by part of its name.
    type_into("#shop", "达州百货");
    element("#shop-options button[data-id='M001']")
        .await
        .click();
    text_becomes("#chosen-shop", "达州百货大楼").await;
    type_into("#receipt", "A-0001");
    type_into("#date", "2026-11-01");
    type_into("#phone", "13812341234");
    type_into("#amount", "500");
    let shown = text_becomes("#entry-result", "活动从").await;
    assert!(shown.contains("2026-12-10"), "{shown}");
    root.remove();
}

#[wasm_bindgen_test]
async fn setup_form_is_checked_by_the_core_as_typed() {
    use yew::prelude::*;
    #[function_component(Host)]
    fn host() -> Html {
        // The page links back to the console: it needs a router around it.
        html! {
            <yew_router::BrowserRouter>
                <fairdraw_web::pages::setup::SetupPage lang={fairdraw_web::i18n::Lang::En} />
            </yew_router::BrowserRouter>
        }
    }
    let root = mount::<Host>();
    let verdict = text_becomes("#setup-verdict", "Valid rules").await;
    assert!(verdict.starts_with("✓"), "{verdict}");
    type_into("#setup-threshold", "abc");
    text_becomes("#setup-verdict", "threshold").await;
    type_into("#setup-threshold", "500");
    type_into("#draw-1-start", "2026-12-11");
    let verdict = text_becomes("#setup-verdict", "draws").await;
    assert!(!verdict.starts_with("✓"), "{verdict}");
    root.remove();
}

#[wasm_bindgen_test]
async fn a_ticket_qr_code_is_drawn_as_svg() {
    use yew::prelude::*;
    #[function_component(Host)]
    fn host() -> Html {
        html! { <fairdraw_web::components::qr::Qr text="0123456789abcdef0123456789abcdef" label="ticket" id={AttrValue::from("qr-under-test")} /> }
    }
    let root = mount::<Host>();
    let svg = wait_for("#qr-under-test").await;
    assert_eq!(svg.get_attribute("role").as_deref(), Some("img"));
    let path = wait_for("#qr-under-test path").await;
    let d = path.get_attribute("d").unwrap_or_default();
    assert!(
        d.matches('z').count() > 100,
        "{} modules",
        d.matches('z').count()
    );
    root.remove();
}

/// An entry the server says to send again shortly is sent again by itself (same key); a
/// refusal, a server error or no network is shown at once.
#[wasm_bindgen_test]
fn entries_are_retried_only_when_the_server_says_so() {
    use fairdraw_web::api::{ApiError, retried_by_itself};
    let e = |status: u16, code: &str| ApiError {
        status,
        code: code.into(),
        message_zh: String::new(),
        message_en: String::new(),
    };
    for code in ["ENTRY_QUEUED", "STORE_UNAVAILABLE", "SERVER_BUSY"] {
        assert!(retried_by_itself(&e(503, code)), "{code}");
    }
    for (status, code) in [
        (409, "DUPLICATE_RECEIPT"),
        (429, "RATE_LIMITED"),
        (422, "AMOUNT_BELOW_THRESHOLD"),
        (500, "INTERNAL"),
        (0, "NETWORK"),
        (503, "LOGIN_BUSY"),
    ] {
        assert!(!retried_by_itself(&e(status, code)), "{code}");
    }
}

/// The retry itself, against a stand-in for the server (the page's `fetch` replaced): two
/// answers of 503 `ENTRY_QUEUED`, then the ticket; the shopper's call gets the ticket, and all
/// three requests carried the same idempotency key.
#[wasm_bindgen_test]
async fn an_entry_the_server_queued_is_sent_again_with_the_same_key() {
    use js_sys::Reflect;
    let window: wasm_bindgen::JsValue = web_sys::window().expect("window").into();
    let original = Reflect::get(&window, &"fetch".into()).expect("fetch");
    let stand_in = js_sys::Function::new_with_args(
        "input, init",
        r#"
        const calls = (globalThis.__fairdrawCalls = globalThis.__fairdrawCalls || []);
        calls.push(new Request(input, init).headers.get('idempotency-key'));
        const json = { 'content-type': 'application/json' };
        if (calls.length < 3) {
            return Promise.resolve(new Response(JSON.stringify({ code: 'ENTRY_QUEUED',
                message_zh: '排队中', message_en: 'queued' }), { status: 503, headers: json }));
        }
        return Promise.resolve(new Response(JSON.stringify({ ticket_id: 'ab' }),
            { status: 201, headers: json }));
        "#,
    );
    Reflect::set(&window, &"fetch".into(), &stand_in).expect("set");
    let answer = fairdraw_web::api::post_once(
        "/api/campaigns/x/entries",
        &serde_json::json!({ "receipt_number": "R-1" }),
    )
    .await;
    Reflect::set(&window, &"fetch".into(), &original).expect("restore");
    assert_eq!(answer.expect("the ticket")["ticket_id"], "ab");
    let calls: js_sys::Array = Reflect::get(&window, &"__fairdrawCalls".into())
        .expect("calls")
        .dyn_into()
        .expect("array");
    let keys: Vec<String> = calls.iter().filter_map(|k| k.as_string()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        !keys[0].is_empty() && keys.iter().all(|k| *k == keys[0]),
        "{keys:?}"
    );
}

#[wasm_bindgen_test]
fn the_worker_job_verifies_in_wasm_chunk_by_chunk() {
    use fairdraw_web::verify_job::{WorkerMessage, verify_texts};
    let (record, ledger) = fairdraw_core::demo::demo_draw(300, &Hash32([2; 32])).expect("demo");
    let record_text = serde_json::to_string(&record).expect("json");
    let anchor = fairdraw_web::verify_job::Anchor::Published(record.rules_hash);
    match verify_texts(&record_text, &ledger.to_jsonl(), 1000, anchor) {
        WorkerMessage::Report { report } => assert!(report.all_passed(), "{:?}", report.failed()),
        other => panic!("{other:?}"),
    }
}
