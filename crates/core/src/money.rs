//! Money as integer fen (1 yuan = 100 fen), with a forgiving parser and exact formatting.
//!
//! Shoppers type amounts in many ways: `500`, `500.0`, `500.00`, `¥500`, `500元`, full-width
//! digits. All of them mean the same integer number of fen. Floating point is never used.

use crate::message::Coded;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen. Non-negative by construction.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub u64);

/// The largest amount fairdraw accepts: 100,000,000 yuan. Anything above is a typing error.
pub const MAX_FEN: Fen = Fen(10_000_000_000);

/// Why an amount was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Nothing was typed.
    Empty,
    /// A minus sign.
    Negative,
    /// More than two digits after the decimal point.
    TooPrecise,
    /// More than [`MAX_FEN`].
    TooLarge,
    /// Anything else that is not an amount (letters, exponents, two decimal points, …).
    Malformed,
}

impl Coded for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "AMOUNT_EMPTY",
            MoneyError::Negative => "AMOUNT_NEGATIVE",
            MoneyError::TooPrecise => "AMOUNT_TOO_PRECISE",
            MoneyError::TooLarge => "AMOUNT_TOO_LARGE",
            MoneyError::Malformed => "AMOUNT_MALFORMED",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            MoneyError::Empty => "请填写消费金额。".into(),
            MoneyError::Negative => "金额不能为负数。".into(),
            MoneyError::TooPrecise => "金额最多保留两位小数（精确到分）。".into(),
            MoneyError::TooLarge => "金额过大，请核对后重新填写。".into(),
            MoneyError::Malformed => "金额格式不正确，请填写数字，例如 500 或 500.00。".into(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            MoneyError::Empty => "Please enter the amount spent.".into(),
            MoneyError::Negative => "The amount cannot be negative.".into(),
            MoneyError::TooPrecise => "Use at most two decimal places (fen).".into(),
            MoneyError::TooLarge => "That amount is too large; please check it.".into(),
            MoneyError::Malformed => {
                "That is not an amount; enter a number such as 500 or 500.00.".into()
            }
        }
    }
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message_en())
    }
}

impl std::error::Error for MoneyError {}

/// Maps full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to ASCII.
pub fn fullwidth_to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{FFE5}' => '¥',
            '。' => '.',
            _ => c,
        })
        .collect()
}

impl Fen {
    /// Parses what a shopper typed.
    ///
    /// Accepts an optional currency sign (`¥`, `￥`, `RMB`, `CNY`) before, an optional unit
    /// (`元`, `圆`, `块`, `yuan`) after, full-width characters, surrounding spaces, and at most
    /// two decimals. Thousands separators are not accepted: `1,000` is ambiguous on a phone.
    pub fn parse(input: &str) -> Result<Fen, MoneyError> {
        let ascii = fullwidth_to_ascii(input);
        let mut s = ascii.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        for prefix in ["¥", "RMB", "rmb", "CNY", "cny"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                break;
            }
        }
        for suffix in ["元", "圆", "块", "yuan", "YUAN"] {
            if let Some(rest) = s.strip_suffix(suffix) {
                s = rest.trim_end();
                break;
            }
        }
        if s.starts_with('-') || s.starts_with('−') {
            return Err(MoneyError::Negative);
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || !frac_part.is_none_or(all_digits) {
            return Err(MoneyError::Malformed);
        }
        if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
            return Err(MoneyError::Malformed);
        }
        let frac = frac_part.unwrap_or("");
        if frac.len() > 2 {
            // `500.000` is still too precise: a receipt never shows thousandths.
            return Err(MoneyError::TooPrecise);
        }
        let int_digits = int_part.trim_start_matches('0');
        if int_digits.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: u64 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| MoneyError::TooLarge)?
        };
        let mut fen_part: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            fen_part += u64::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        let total = yuan
            .checked_mul(100)
            .and_then(|v| v.checked_add(fen_part))
            .ok_or(MoneyError::TooLarge)?;
        if total > MAX_FEN.0 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Fen(total))
    }

    /// Whole yuan from an integer.
    pub const fn from_yuan(yuan: u64) -> Fen {
        Fen(yuan * 100)
    }
}

impl fmt::Display for Fen {
    /// `500.00`: yuan with exactly two decimals, no sign, no grouping.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Debug for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fen({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgiving_forms_of_500() {
        for s in [
            "500",
            "500.0",
            "500.00",
            "¥500",
            "￥500",
            "500元",
            "５００",
            "５００．００",
            " 500 ",
            "RMB 500",
            "¥ 500.00元",
            "+500",
            "0500",
        ] {
            assert_eq!(Fen::parse(s), Ok(Fen(50_000)), "{s:?}");
        }
        assert_eq!(Fen::parse("499.99"), Ok(Fen(49_999)));
        assert_eq!(Fen::parse(".5"), Ok(Fen(50)));
        assert_eq!(Fen::parse("12."), Ok(Fen(1200)));
    }

    #[test]
    fn clear_errors() {
        let cases = [
            ("", MoneyError::Empty),
            ("  ", MoneyError::Empty),
            ("¥", MoneyError::Empty),
            ("-500", MoneyError::Negative),
            ("−5", MoneyError::Negative),
            ("500.001", MoneyError::TooPrecise),
            ("1e309", MoneyError::Malformed),
            ("123456789012345678901234567890", MoneyError::TooLarge),
            ("100000000.01", MoneyError::TooLarge),
            ("1,000", MoneyError::Malformed),
            ("5.0.0", MoneyError::Malformed),
            ("abc", MoneyError::Malformed),
            (".", MoneyError::Malformed),
            ("NaN", MoneyError::Malformed),
        ];
        for (s, e) in cases {
            assert_eq!(Fen::parse(s), Err(e.clone()), "{s:?}");
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
        }
        assert_eq!(Fen::parse("100000000"), Ok(MAX_FEN));
    }

    #[test]
    fn exact_formatting() {
        assert_eq!(Fen(50_000).to_string(), "500.00");
        assert_eq!(Fen(7).to_string(), "0.07");
        assert_eq!(Fen(1_770).to_string(), "17.70");
    }
}
