//! fairdraw web app: Yew function components over `fairdraw-core` compiled to WebAssembly.
//!
//! Pages live in `pages/`, shared pieces in `components/`, plain-Rust state (tested natively)
//! in `state.rs` and the two languages in `i18n.rs`.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod components;
pub mod hooks;
pub mod i18n;
pub mod live;
pub mod pages;
pub mod scan;
pub mod setup_form;
pub mod state;
pub mod storage;
pub mod verify_job;
#[cfg(target_arch = "wasm32")]
pub mod worker;
pub mod worker_client;

/// Registers the service worker (`public/sw.js`) that keeps loaded pages working offline.
/// Without one (an old browser, or http on a non-local host) the app simply needs the network.
fn register_service_worker() {
    let Some(w) = web_sys::window() else { return };
    let navigator = w.navigator();
    // Only secure contexts (https, localhost) have `navigator.serviceWorker`.
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .map(|v| !v.is_undefined())
        .unwrap_or(false);
    if present {
        // A failed registration costs only the offline mode.
        let _ = navigator.service_worker().register("/sw.js");
    }
}

/// Mounts the shopper's app on `<body>`, replacing what the page shows while the wasm
/// downloads (the campaign, as the server put it there).
pub fn start() {
    register_service_worker();
    api::keep_served_campaign();
    remove_boot();
    yew::Renderer::<app::App>::new().render();
}

/// Mounts the verifier's app (its own bundle: the verifier, with the shoppers' pages).
pub fn start_verify() {
    register_service_worker();
    api::keep_served_campaign();
    remove_boot();
    yew::Renderer::<app::VerifyApp>::new().render();
}

/// Mounts the organizer's app (its own bundle: the console, setup, ceremony, live draw,
/// winners, print view and posters, with the public pages).
pub fn start_organizer() {
    register_service_worker();
    remove_boot();
    yew::Renderer::<app::OrganizerApp>::new().render();
}

fn remove_boot() {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
}
