//! The Web Worker (binary `verify-worker`) that runs the core's heavy work off the page, in its
//! own bundle, so the main bundle stays small: verification, where the page posts
//! `{record, ledger}` (files) or `{record_url, ledger_url}` (this server), and the live
//! screen's draw (`{job: "conduct", …}`), and light verification of a proof bundle
//! (`{job: "light", …}`), and reading a receipt's QR code from a camera frame or a photo
//! (`{job: "qr", …}`, so the decoder is not in the main bundle). For verification the worker streams the ledger through
//! [`VerifyJob`] in slices, posting [`WorkerMessage`]s as JSON text, so a 1,000,000-entry
//! ledger never freezes the page and never sits in memory whole.

use crate::verify_job::{Anchor, ConductJob, ShopperReply, VerifyJob, WorkerMessage};
use fairdraw_core::record::DrawRecord;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent, Response};

/// Bytes read per slice of the ledger.
const SLICE: u64 = 4 << 20;

fn post(scope: &DedicatedWorkerGlobalScope, m: &impl serde::Serialize) {
    let text = serde_json::to_string(m).unwrap_or_default();
    // Posting a string to our own page cannot fail short of the page being gone.
    let _ = scope.post_message(&JsValue::from_str(&text));
}

fn js_err(what: &str, e: JsValue) -> String {
    format!(
        "{what}: {}",
        e.as_string().unwrap_or_else(|| format!("{e:?}"))
    )
}

/// An input being read: the posted file itself, or a fetch already under way.
enum Pending {
    File(Blob),
    Fetch(String, js_sys::Promise),
}

/// Starts reading the input under `key`: the posted file, or a fetch of `{key}_url` begun at
/// once (so the worker can do other work while the bytes travel).
fn begin_input(
    scope: &DedicatedWorkerGlobalScope,
    data: &JsValue,
    key: &str,
) -> Result<Pending, String> {
    if let Ok(v) = Reflect::get(data, &JsValue::from_str(key)) {
        if let Ok(blob) = v.dyn_into::<Blob>() {
            return Ok(Pending::File(blob));
        }
    }
    let url = Reflect::get(data, &JsValue::from_str(&format!("{key}_url")))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| format!("{key}: missing"))?;
    let fetch = scope.fetch_with_str(&url);
    Ok(Pending::Fetch(url, fetch))
}

/// The input as a Blob once it is all here.
async fn finish_input(pending: Pending, key: &str) -> Result<Blob, String> {
    let (url, fetch) = match pending {
        Pending::File(blob) => return Ok(blob),
        Pending::Fetch(url, fetch) => (url, fetch),
    };
    let resp: Response = JsFuture::from(fetch)
        .await
        .map_err(|e| js_err(key, e))?
        .unchecked_into();
    if !resp.ok() {
        return Err(format!("{key}: HTTP {} from {url}", resp.status()));
    }
    let blob = JsFuture::from(resp.blob().map_err(|e| js_err(key, e))?)
        .await
        .map_err(|e| js_err(key, e))?;
    Ok(blob.unchecked_into())
}

/// The input under `key` as a Blob: the posted file itself, or fetched from `{key}_url`.
async fn input(
    scope: &DedicatedWorkerGlobalScope,
    data: &JsValue,
    key: &str,
) -> Result<Blob, String> {
    finish_input(begin_input(scope, data, key)?, key).await
}

async fn blob_text(blob: &Blob, what: &str) -> Result<String, String> {
    Ok(JsFuture::from(blob.text())
        .await
        .map_err(|e| js_err(what, e))?
        .as_string()
        .unwrap_or_default())
}

/// `{job: "conduct", conduct: <ConductJob JSON>, ledger or ledger_url}`: the live screen's draw.
async fn conduct(
    scope: &DedicatedWorkerGlobalScope,
    data: &JsValue,
) -> Result<WorkerMessage, String> {
    let text = Reflect::get(data, &JsValue::from_str("conduct"))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or("conduct: missing")?;
    let job: ConductJob = serde_json::from_str(&text).map_err(|e| format!("conduct: {e}"))?;
    let ledger = blob_text(&input(scope, data, "ledger").await?, "ledger").await?;
    Ok(job.run(&ledger))
}

async fn run(scope: &DedicatedWorkerGlobalScope, data: JsValue) -> Result<WorkerMessage, String> {
    let job = Reflect::get(&data, &JsValue::from_str("job"))
        .ok()
        .and_then(|v| v.as_string());
    if job.as_deref() == Some("conduct") {
        return conduct(scope, &data).await;
    }
    let anchor = Reflect::get(&data, &JsValue::from_str("anchor"))
        .ok()
        .and_then(|v| v.as_string())
        .and_then(|a| fairdraw_core::hash::Hash32::from_hex(a.trim()).ok())
        .map_or(Anchor::Missing, Anchor::Published);
    if job.as_deref() == Some("light") {
        // `{job: "light", bundle or bundle_url, anchor}`: a few kilobytes, no ledger.
        let pending = begin_input(scope, &data, "bundle")?;
        if matches!(pending, Pending::Fetch(..)) {
            // While the bundle travels, run the pairing code once on a published beacon, so
            // the engine has compiled it optimised by the time the bundle's beacon is checked:
            // cold, the BLS check takes about twice as long.
            fairdraw_core::entropy::warm_up();
        }
        let text = blob_text(&finish_input(pending, "bundle").await?, "bundle").await?;
        let started = scope.performance().map(|p| p.now());
        let bundle: fairdraw_core::bundle::DrawBundle =
            serde_json::from_str(&text).map_err(|e| format!("bundle: {e}"))?;
        let report = fairdraw_core::bundle::verify_bundle(&bundle, anchor);
        let elapsed_ms = match (started, scope.performance()) {
            (Some(t0), Some(p)) => p.now() - t0,
            _ => -1.0,
        };
        return Ok(WorkerMessage::LightReport { report, elapsed_ms });
    }
    let record_blob = input(scope, &data, "record").await?;
    let text = blob_text(&record_blob, "record").await?;
    let record: DrawRecord = serde_json::from_str(&text).map_err(|e| format!("record: {e}"))?;
    let ledger = input(scope, &data, "ledger").await?;
    let total = ledger.size() as u64;
    // The anchor: the rules hash published before entries opened (from the verify link, a
    // saved ticket, or typed). Without one the `anchor` check fails, as in the CLI.
    let mut job = VerifyJob::new(&record, anchor);
    let mut done = 0u64;
    while done < total {
        let end = (done + SLICE).min(total);
        let part = ledger
            .slice_with_f64_and_f64(done as f64, end as f64)
            .map_err(|e| js_err("ledger", e))?;
        let buf = JsFuture::from(part.array_buffer())
            .await
            .map_err(|e| js_err("ledger", e))?;
        job.feed(&Uint8Array::new(&buf).to_vec())?;
        done = end;
        post(
            scope,
            &WorkerMessage::Progress {
                done,
                total,
                leaves: job.leaves(),
            },
        );
    }
    Ok(WorkerMessage::Report {
        report: job.finish()?,
    })
}

/// A shopper's job: `{job: "qr", width, height, luma: Uint8Array}`, one camera frame or photo
/// in grey; `{job: "tickets", key: hex, answers: JSON text}`, the server's answers about saved
/// tickets, checked against the campaign's server key. `None` for any other job.
fn shopper_job(data: &JsValue) -> Option<ShopperReply> {
    let job = Reflect::get(data, &JsValue::from_str("job"))
        .ok()?
        .as_string()?;
    let text = |k: &str| {
        Reflect::get(data, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    match job.as_str() {
        "tickets" => Some(
            match (
                fairdraw_core::hash::fixed_hex::<32>(&text("key")),
                serde_json::from_str::<Vec<serde_json::Value>>(&text("answers")),
            ) {
                (Ok(key), Ok(answers)) => ShopperReply::Tickets {
                    checks: answers
                        .iter()
                        .map(|a| crate::state::check_ticket(&key, a))
                        .collect(),
                },
                (Err(e), _) => ShopperReply::Error {
                    message: format!("key: {e}"),
                },
                (_, Err(e)) => ShopperReply::Error {
                    message: format!("answers: {e}"),
                },
            },
        ),
        "qr" => {
            let num = |k: &str| {
                Reflect::get(data, &JsValue::from_str(k))
                    .ok()
                    .and_then(|v| v.as_f64())
                    .map_or(0, |v| v as usize)
            };
            let luma = Reflect::get(data, &JsValue::from_str("luma"))
                .ok()
                .and_then(|v| v.dyn_into::<Uint8Array>().ok())
                .map(|a| a.to_vec())
                .unwrap_or_default();
            let texts = crate::scan::decode_luma(num("width"), num("height"), &luma);
            Some(ShopperReply::Qr { texts })
        }
        _ => None,
    }
}

/// Installs the message handler (the worker binary's `main`).
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let handler_scope = scope.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let scope = handler_scope.clone();
        if let Some(reply) = shopper_job(&e.data()) {
            post(&scope, &reply);
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let out = run(&scope, e.data())
                .await
                .unwrap_or_else(|message| WorkerMessage::Error { message });
            post(&scope, &out);
        });
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(&scope, &WorkerMessage::Ready);
}
