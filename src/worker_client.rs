//! The page's side of the Web Worker (`worker.rs`): start a job, receive its messages; the
//! worker is terminated when the handle is dropped.

use crate::verify_job::Reply;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker script Trunk writes (index.html: `data-type="worker"`, `data-loader-shim`).
pub const WORKER_URL: &str = "/verify-worker_loader.js";

/// A running job; dropping it stops the worker.
pub struct JobHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl JobHandle {
    /// Posts another message to the running worker (after its first job was taken, the worker
    /// listens: a scan posts one frame at a time this way).
    pub fn post(&self, message: &JsValue) -> Result<(), JsValue> {
        self.worker.post_message(message)
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Starts a worker on `message`; `on_message` gets everything it says, read as `M` (the
/// verifier's and the live screen's [`WorkerMessage`](crate::verify_job::WorkerMessage), the
/// shoppers' [`ShopperReply`](crate::verify_job::ShopperReply)).
/// `on_message` also hears of a worker that failed to load or crashed, as an error.
pub fn start_job<M: Reply>(
    message: &JsValue,
    on_message: impl FnMut(M) + 'static,
) -> Result<JobHandle, JsValue> {
    let worker = Worker::new(WORKER_URL)?;
    let on_message = Rc::new(RefCell::new(on_message));
    let to_page = on_message.clone();
    // The job is posted once the worker says it listens.
    let (job, to_worker) = (message.clone(), worker.clone());
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        let m =
            serde_json::from_str::<M>(&text).unwrap_or_else(|e| M::error(format!("worker: {e}")));
        if m.is_ready() {
            if let Err(e) = to_worker.post_message(&job) {
                (to_page.borrow_mut())(M::error(format!("worker: {e:?}")));
            }
            return;
        }
        (to_page.borrow_mut())(m);
    });
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
        (on_message.borrow_mut())(M::error(format!("worker: {}", e.message())));
    });
    worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(JobHandle {
        worker,
        _on_message: handler,
        _on_error: on_error,
    })
}

/// Sets `key` on a plain object.
pub fn set(obj: &js_sys::Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    js_sys::Reflect::set(obj, &JsValue::from_str(key), value).map(|_| ())
}
