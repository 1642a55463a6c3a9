//! fairdraw web app: Yew function components over `fairdraw-core` compiled to WebAssembly.
//!
//! Pages live in `pages/`, shared pieces in `components/`, plain-Rust state (tested natively)
//! in `state.rs` and the two languages in `i18n.rs`.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod components;
pub mod i18n;
pub mod pages;
pub mod state;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
