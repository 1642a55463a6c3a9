//! The pages.
pub mod enter;
pub mod rules;
pub mod verify;
