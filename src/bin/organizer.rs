//! The organizer's web app, built by Trunk as its own bundle (organizer.html): the console,
//! setup, seed ceremony, live draw, winners, print view and posters stay out of the bundle
//! every shopper downloads.
fn main() {
    fairdraw_web::start_organizer();
}
