//! Shared UI pieces.
pub mod checklist;
pub mod lang_toggle;
