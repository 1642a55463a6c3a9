//! The verifier's web app, built by Trunk as its own bundle (verify.html): checking a draw
//! record, its ledger and its witnesses stays out of the bundle every shopper downloads.
fn main() {
    fairdraw_web::start_verify();
}
