//! Vector runner.
