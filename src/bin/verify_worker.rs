//! The verifier's Web Worker, built by Trunk as a separate bundle (index.html, `data-type="worker"`).
fn main() {
    #[cfg(target_arch = "wasm32")]
    fairdraw_web::worker::start();
}
