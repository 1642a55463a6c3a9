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

/// Words for a person in both languages (a check's detail, a reason), chosen at display time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Said {
    /// Both texts, Chinese first.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Said {
        Said {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}
