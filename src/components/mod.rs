//! Shared UI pieces.
pub mod checklist;
pub mod colors;
pub mod lang_toggle;
pub mod qr;
pub mod recover;
pub mod scanner;
pub mod tickets;
pub mod witnesses;
