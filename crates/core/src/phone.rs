//! Mainland China mobile numbers: normalisation and the public mask (`138****1234`).

use crate::message::Coded;
use crate::money::fullwidth_to_ascii;

/// A normalised 11-digit mainland mobile number (`1[3-9]xxxxxxxxx`). Private: it never enters
/// the public ledger; only [`PhoneNumber::masked`] and keyed pseudonyms derived from it do.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// A phone number that is not an 11-digit mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneError;

impl Coded for PhoneError {
    fn code(&self) -> &'static str {
        "PHONE_MALFORMED"
    }
    fn message_zh(&self) -> String {
        "手机号格式不正确，请填写 11 位手机号。".into()
    }
    fn message_en(&self) -> String {
        "Enter an 11-digit mainland China mobile number.".into()
    }
}

impl PhoneNumber {
    /// Accepts spaces, dashes, full-width digits and a `+86`/`86`/`0086` prefix.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let ascii = fullwidth_to_ascii(input);
        let mut digits: String = ascii
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
            .collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError);
        }
        for prefix in ["0086", "86"] {
            if digits.len() == 11 + prefix.len() && digits.starts_with(prefix) {
                digits = digits[prefix.len()..].to_owned();
            }
        }
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            Ok(PhoneNumber(digits))
        } else {
            Err(PhoneError)
        }
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****1234`: the only form of the number that is ever published.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output ends up in logs; never print the whole number.
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_masks() {
        for s in [
            "13812341234",
            "+86 138 1234 1234",
            "0086-138-1234-1234",
            "１３８１２３４１２３４",
        ] {
            let p = PhoneNumber::parse(s).expect(s);
            assert_eq!(p.as_str(), "13812341234");
            assert_eq!(p.masked(), "138****1234");
            assert_eq!(format!("{p:?}"), "PhoneNumber(138****1234)");
        }
        for s in [
            "",
            "1381234123",
            "23812341234",
            "12812341234",
            "138123412345",
            "138a2341234",
        ] {
            assert_eq!(PhoneNumber::parse(s), Err(PhoneError), "{s}");
        }
    }
}
