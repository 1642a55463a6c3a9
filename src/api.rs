//! Calls to fairdraw-server. Every request goes through [`request`], which maps failures to one
//! typed, renderable error carrying the server's stable code and both messages.

use fairdraw_core::civil::CivilDate;
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::record::DrawRecord;
use fairdraw_core::rules::{CampaignRules, EntropySpec, Prize};
use fairdraw_core::seed::Reveal;
use fairdraw_core::seed::SeedCommitment;
use gloo::net::http::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// An API failure, as the server described it (or as the network did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (0 when the server was not reached).
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub message_zh: String,
    /// English message.
    pub message_en: String,
}

impl ApiError {
    /// A failure found in the browser (an answer that does not check out), not by the server.
    pub fn local(code: &str, e: impl std::fmt::Display) -> Self {
        ApiError {
            status: 0,
            code: code.into(),
            message_zh: format!("本机校验失败：{e}"),
            message_en: format!("Check failed here: {e}"),
        }
    }

    /// The server could not be reached (or answered nonsense).
    pub fn network(e: impl std::fmt::Display) -> Self {
        ApiError {
            status: 0,
            code: "NETWORK".into(),
            message_zh: format!("无法连接服务器：{e}"),
            message_en: format!("Cannot reach the server: {e}"),
        }
    }
}

/// The server's error body.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message_zh: String,
    #[serde(default)]
    message_en: String,
}

/// A success body parsed straight from text into `T` (not through `Value`: one deserializer
/// per type keeps the bundle small), or the server's error.
async fn finish_as<T: DeserializeOwned>(
    resp: Result<Response, gloo::net::Error>,
) -> Result<T, ApiError> {
    let resp = resp.map_err(ApiError::network)?;
    let status = resp.status();
    let text = resp.text().await.map_err(ApiError::network)?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|e| ApiError::local("ANSWER_UNREADABLE", e));
    }
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(b) => ApiError {
            status,
            code: b.code,
            message_zh: b.message_zh,
            message_en: b.message_en,
        },
        Err(_) => ApiError {
            status,
            code: format!("HTTP_{status}"),
            message_zh: format!("服务器错误（HTTP {status}）"),
            message_en: format!("Server error (HTTP {status})"),
        },
    })
}

async fn finish(resp: Result<Response, gloo::net::Error>) -> Result<Value, ApiError> {
    finish_as(resp).await
}

/// `GET` a JSON document as `T`.
pub async fn get_as<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    finish_as(Request::get(path).send().await).await
}

/// `GET` a JSON document.
pub async fn get(path: &str) -> Result<Value, ApiError> {
    finish(Request::get(path).send().await).await
}

/// `POST` a JSON body.
pub async fn post(path: &str, body: &Value) -> Result<Value, ApiError> {
    let req = Request::post(path).json(body).map_err(ApiError::network)?;
    finish(req.send().await).await
}

/// `POST` a JSON body that must take effect once: with an `Idempotency-Key` that is the same
/// for the same body in this tab (a salt kept in sessionStorage, hashed with the body), so a
/// retry after a lost answer gets the first answer's result back instead of "already entered".
/// When the server says to try again shortly ([`retried_by_itself`]), it is sent again by
/// itself, with the same key, after [`RETRY_WAITS_MS`]: the shopper sees the form busy, then the
/// ticket.
pub async fn post_once(path: &str, body: &Value) -> Result<Value, ApiError> {
    let key = idempotency_key(body);
    let mut waits = RETRY_WAITS_MS.iter();
    loop {
        let req = Request::post(path)
            .header("idempotency-key", &key)
            .json(body)
            .map_err(ApiError::network)?;
        match finish(req.send().await).await {
            Err(e) if retried_by_itself(&e) => match waits.next() {
                Some(ms) => gloo::timers::future::TimeoutFuture::new(*ms).await,
                None => return Err(e),
            },
            answer => return answer,
        }
    }
}

/// The waits before each automatic retry of [`post_once`], in ms.
pub const RETRY_WAITS_MS: [u32; 3] = [2_000, 3_000, 5_000];

/// Whether a failed [`post_once`] is sent again by itself: the server answered 503 saying the
/// request may succeed shortly (busy; not stored; stored but not yet placed in the ledger, whose
/// ticket the same key gets). Anything else is the shopper's to see at once.
pub fn retried_by_itself(e: &ApiError) -> bool {
    e.status == 503
        && matches!(
            e.code.as_str(),
            "SERVER_BUSY" | "STORE_UNAVAILABLE" | "ENTRY_QUEUED"
        )
}

fn idempotency_key(body: &Value) -> String {
    const SALT: &str = "fairdraw.idempotency-salt";
    let salt: String = crate::storage::session_get(SALT).unwrap_or_else(|| {
        let mut b = [0u8; 16];
        let _ = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.get_random_values_with_u8_array(&mut b));
        let s = hex::encode(b);
        crate::storage::session_set(SALT, &s);
        s
    });
    let h = fairdraw_core::hash::Hash32::sha256(format!("{salt}\n{body}").as_bytes());
    h.to_hex()[..32].to_owned()
}

/// `POST` text (a CSV file) to an organizer endpoint.
pub async fn post_text(path: &str, body: String) -> Result<Value, ApiError> {
    let req = Request::post(path)
        .header(CSRF_HEADER, "1")
        .header("content-type", "text/csv; charset=utf-8")
        .body(body)
        .map_err(ApiError::network)?;
    finish(req.send().await).await
}

/// The header the server requires on organizer changes (a cross-site form cannot set it).
pub const CSRF_HEADER: &str = "x-fairdraw-csrf";

/// `POST` JSON to an organizer endpoint (session cookie plus the anti-CSRF header).
pub async fn org_post(path: &str, body: &Value) -> Result<Value, ApiError> {
    let req = Request::post(path)
        .header(CSRF_HEADER, "1")
        .json(body)
        .map_err(ApiError::network)?;
    finish(req.send().await).await
}

/// `PUT` JSON to an organizer endpoint.
pub async fn org_put(path: &str, body: &Value) -> Result<Value, ApiError> {
    let req = Request::put(path)
        .header(CSRF_HEADER, "1")
        .json(body)
        .map_err(ApiError::network)?;
    finish(req.send().await).await
}

/// `GET` a body as a Blob (a ledger in JSONL): kept by the browser, not in wasm memory, and
/// handed to the worker by reference.
pub async fn get_blob(path: &str) -> Result<web_sys::Blob, ApiError> {
    use wasm_bindgen::JsCast;
    let resp = Request::get(path).send().await.map_err(ApiError::network)?;
    if !resp.ok() {
        return Err(ApiError::network(format!("HTTP {}", resp.status())));
    }
    let blob = web_sys::Response::from(resp)
        .blob()
        .map_err(|e| ApiError::network(format!("{e:?}")))?;
    wasm_bindgen_futures::JsFuture::from(blob)
        .await
        .map(|b| b.unchecked_into())
        .map_err(|e| ApiError::network(format!("{e:?}")))
}

/// The text of a Blob.
pub async fn blob_text(blob: &web_sys::Blob) -> Result<String, ApiError> {
    wasm_bindgen_futures::JsFuture::from(blob.text())
        .await
        .map(|t| t.as_string().unwrap_or_default())
        .map_err(|e| ApiError::network(format!("{e:?}")))
}

/// Someone who holds or held a prize.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HolderView {
    /// `winner` or `alternate`.
    pub kind: String,
    /// The winner's or the alternate's rank (0-based).
    pub rank: u32,
    /// Leaf index.
    pub leaf_index: u64,
    /// Ticket id (hex).
    pub ticket_id: String,
    /// Masked phone.
    pub phone_masked: String,
    /// Held it and did not claim.
    pub forfeited: bool,
}

/// A prize as the results show it, forfeits applied (SPEC.md §7.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PrizeView {
    /// The prize's rank (0-based).
    pub rank: u32,
    /// Its name.
    pub prize: Option<String>,
    /// The winner, then each alternate who stepped in; the last holds it unless forfeited.
    pub holders: Vec<HolderView>,
}

impl PrizeView {
    /// Who holds it now (none when the last holder forfeited too).
    pub fn current(&self) -> Option<&HolderView> {
        self.holders.last().filter(|h| !h.forfeited)
    }
}

/// An alternate as the results show it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlternateView {
    /// Rank (0-based).
    pub rank: u32,
    /// Leaf index.
    pub leaf_index: u64,
    /// Ticket id (hex).
    pub ticket_id: String,
    /// Masked phone.
    pub phone_masked: String,
    /// `waiting`, `holds` or `forfeited`.
    pub state: String,
    /// The prize it stepped in for.
    pub prize: Option<u32>,
}

/// A published draw's results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Results {
    /// Prizes in rank order.
    pub prizes: Vec<PrizeView>,
    /// Alternates in rank order.
    pub alternates: Vec<AlternateView>,
}

/// One draw as the server publishes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DrawView {
    /// Index (from 0).
    pub index: u32,
    /// Name.
    pub name: String,
    /// `collecting`, `frozen`, `drawn`, `published` (or `draft`).
    pub state: String,
    /// First day of entries.
    pub entry_start: CivilDate,
    /// Last day of entries.
    pub entry_end: CivilDate,
    /// When entries close (Unix ms).
    pub closes_at_ms: u64,
    /// Prizes.
    pub prizes: Vec<Prize>,
    /// Alternates drawn.
    pub alternates: u32,
    /// Where the public randomness comes from.
    pub entropy: EntropySpec,
    /// Who must commit to a seed secret.
    pub seed_parties: Vec<String>,
    /// Commitments made so far.
    pub commitments: Vec<SeedCommitment>,
    /// Reveals recorded by the server so far (after the freeze), with their times.
    #[serde(default)]
    pub reveals: Vec<Reveal>,
    /// Reveals must be made by then (Unix ms).
    pub reveal_deadline_ms: u64,
    /// Entries so far.
    pub entries: u64,
    /// The signed freeze, once frozen (read by [`DrawView::freeze`]).
    #[serde(default)]
    freeze: Option<Later<SignedFreeze>>,
    /// The record, once published (read by [`DrawView::record`]).
    #[serde(default)]
    record: Option<Later<DrawRecord>>,
    /// Results with forfeits, once published.
    #[serde(default)]
    pub results: Option<Results>,
}

impl DrawView {
    /// The signed freeze, once frozen.
    pub fn freeze(&self) -> Option<&SignedFreeze> {
        self.freeze.as_ref()?.get()
    }

    /// The record, once published.
    pub fn record(&self) -> Option<&DrawRecord> {
        self.record.as_ref()?.get()
    }
}

/// A part of an answer kept as JSON and read into `T` the first time a page asks for it: the
/// shoppers' pages never ask for a draw's freeze or record, so the code that reads them (the
/// record's witnessing, journal and proofs) stays out of the shoppers' bundle. A value that
/// does not read as `T` is treated as absent.
#[derive(Debug, Clone)]
pub struct Later<T> {
    json: std::rc::Rc<Value>,
    read: std::rc::Rc<std::cell::OnceCell<Option<T>>>,
}

impl<T: DeserializeOwned> Later<T> {
    /// The value, read on first use.
    pub fn get(&self) -> Option<&T> {
        self.read
            .get_or_init(|| T::deserialize(&*self.json).ok())
            .as_ref()
    }
}

impl<T> PartialEq for Later<T> {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl<'de, T> Deserialize<'de> for Later<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Later {
            json: std::rc::Rc::new(Value::deserialize(d)?),
            read: std::rc::Rc::default(),
        })
    }
}

/// A campaign as the server publishes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CampaignView {
    /// Its id.
    pub id: String,
    /// `draft` or `open`.
    pub state: String,
    /// Its rules.
    pub rules: CampaignRules,
    /// The rules hash the server publishes (the browser recomputes it to compare).
    #[serde(rename = "rules_hash")]
    pub published_hash: Option<String>,
    /// The draws.
    pub draws: Vec<DrawView>,
}

impl CampaignView {
    /// The verify page of draw `n`, carrying the published rules hash as its anchor.
    pub fn verify_href(&self, n: u32) -> String {
        format!(
            "/verify/{}/{n}?anchor={}",
            self.id,
            self.published_hash.clone().unwrap_or_default()
        )
    }
}

/// One campaign, as the public sees it.
pub async fn campaign(id: &str) -> Result<CampaignView, ApiError> {
    get_as(&format!("/api/campaigns/{id}")).await
}

/// One campaign, drafts included (organizer session).
pub async fn organizer_campaign(id: &str) -> Result<CampaignView, ApiError> {
    get_as(&format!("/api/organizer/campaigns/{id}")).await
}

thread_local! {
    static SERVED: std::cell::RefCell<Option<(f64, CampaignView)>> = const { std::cell::RefCell::new(None) };
}

/// How long after the page loaded its served campaign may still be shown: the first render
/// comes within milliseconds; a page opened later (a tab tapped minutes after) asks the server.
const SERVED_FRESH_MS: f64 = 5_000.0;

/// Reads the campaign the server put into this page (`#fairdraw-campaign`: its answer to
/// `GET /api/campaigns/{id}` when it served the page) before the app mounts, which empties
/// `<body>`.
pub fn keep_served_campaign() {
    let text = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("fairdraw-campaign"))
        .and_then(|el| el.text_content());
    let view = text.and_then(|t| serde_json::from_str::<CampaignView>(&t).ok());
    SERVED.with(|s| *s.borrow_mut() = view.map(|v| (js_sys::Date::now(), v)));
}

/// The campaign the server put into this page, taken once and only just after the page
/// loaded: the first page shows it at its first render; later ones ask the server.
pub fn served_campaign() -> Option<CampaignView> {
    let (kept_at, view) = SERVED.with(|s| s.borrow_mut().take())?;
    (js_sys::Date::now() - kept_at < SERVED_FRESH_MS).then_some(view)
}

/// The first open campaign.
pub async fn current_campaign() -> Result<CampaignView, ApiError> {
    let list = get("/api/campaigns").await?;
    let id = list["campaigns"][0]["id"]
        .as_str()
        .ok_or_else(|| ApiError::network("no open campaign"))?
        .to_owned();
    campaign(&id).await
}
