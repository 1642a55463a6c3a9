//! Entry point of the fairdraw web app (built by Trunk).
fn main() {
    fairdraw_web::start();
}
