//! Web app.
