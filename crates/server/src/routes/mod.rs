//! HTTP routes, grouped by who calls them.
pub mod organizer;
pub mod public;
