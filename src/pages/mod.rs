//! The pages, one per route.
pub mod enter;
pub mod home;
pub mod live;
pub mod organizer;
pub mod posters;
pub mod print;
pub mod results;
pub mod rules;
pub mod setup;
pub mod verify;
