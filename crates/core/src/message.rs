//! Stable error codes with a Chinese and an English message, for everything a person sees.

/// An outcome a program matches on by [`Coded::code`] and a person reads in Chinese or English.
///
/// Codes are `SCREAMING_SNAKE_CASE`, stable across releases, and listed in SPEC.md §9.
pub trait Coded {
    /// The stable code, e.g. `BELOW_THRESHOLD`.
    fn code(&self) -> &'static str;
    /// The message in Simplified Chinese.
    fn message_zh(&self) -> String;
    /// The message in English.
    fn message_en(&self) -> String;
}
