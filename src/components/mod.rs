//! Shared UI pieces.
pub mod checklist;
pub mod colors;
pub mod lang_toggle;
pub mod qr;
pub mod ticket_row;
pub mod witnesses;
