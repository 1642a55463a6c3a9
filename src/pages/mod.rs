//! The pages.
pub mod rules;
pub mod verify;
