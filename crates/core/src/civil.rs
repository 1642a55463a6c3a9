//! Calendar dates in China Standard Time (UTC+8, no daylight saving), without a clock.
//!
//! Entry windows are whole days in China time. Instants are Unix milliseconds (`u64`), always
//! supplied by the caller. Day arithmetic uses Howard Hinnant's `days_from_civil`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// China Standard Time offset from UTC, in milliseconds.
pub const CHINA_OFFSET_MS: i64 = 8 * 3600 * 1000;
const DAY_MS: i64 = 86_400_000;

/// A proleptic Gregorian calendar date. Serialised as `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: u16,
    month: u8,
    day: u8,
}

/// A date string that is not a real `YYYY-MM-DD` (or `YYYYMMDD`) date between 2000 and 2099.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a date (YYYY-MM-DD): {:?}", self.0)
    }
}

impl std::error::Error for DateError {}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl CivilDate {
    /// A date, if it exists and lies in 2000–2099 (fairdraw campaigns and fapiao dates).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        ((2000..=2099).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(CivilDate { year, month, day })
    }

    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` or `YYYYMMDD` (ASCII digits).
    pub fn parse(s: &str) -> Result<Self, DateError> {
        let t = s.trim();
        let err = || DateError(s.to_owned());
        let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
        let separators_ok = match t.len() {
            8 => digits.len() == 8,
            10 => {
                let b = t.as_bytes();
                digits.len() == 8 && b[4] == b[7] && matches!(b[4], b'-' | b'/' | b'.')
            }
            _ => false,
        };
        if !separators_ok {
            return Err(err());
        }
        let year: u16 = digits[0..4].parse().map_err(|_| err())?;
        let month: u8 = digits[4..6].parse().map_err(|_| err())?;
        let day: u8 = digits[6..8].parse().map_err(|_| err())?;
        CivilDate::new(year, month, day).ok_or_else(err)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `YYYYMMDD` as an integer: the form hashed in leaves and rules.
    pub fn yyyymmdd(self) -> u32 {
        u32::from(self.year) * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if it lies in 2000–2099.
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        CivilDate::new(u16::try_from(y).ok()?, m as u8, d as u8)
    }

    /// The China-time date at Unix millisecond `ms`.
    pub fn china_date_at(ms: u64) -> Option<Self> {
        let local = i64::try_from(ms).ok()?.checked_add(CHINA_OFFSET_MS)?;
        Self::from_days_since_epoch(local.div_euclid(DAY_MS))
    }

    /// The Unix millisecond at which this date starts in China time (00:00 UTC+8).
    pub fn china_start_ms(self) -> u64 {
        let ms = self.days_since_epoch() * DAY_MS - CHINA_OFFSET_MS;
        // 2000-01-01 and later are positive instants.
        u64::try_from(ms).unwrap_or(0)
    }

    /// The Unix millisecond at which this date ends in China time (the next day's 00:00 UTC+8).
    pub fn china_end_ms(self) -> u64 {
        self.china_start_ms() + DAY_MS as u64
    }
}

/// Unix millisecond `ms` as China time, `2026-11-28 20:00:05 (UTC+8)`, with `.123` when the
/// milliseconds are not zero; the raw number when it lies outside 2000–2099.
pub fn china_time(ms: u64) -> String {
    match clock(ms) {
        Some((date, time)) => format!("{date} {time} (UTC+8)"),
        None => format!("{ms} ms"),
    }
}

/// As [`china_time`], in Chinese: `2026年11月28日 20:00:05（北京时间）`.
pub fn china_time_zh(ms: u64) -> String {
    match clock(ms) {
        Some((d, time)) => format!(
            "{}年{}月{}日 {time}（北京时间）",
            d.year(),
            d.month(),
            d.day()
        ),
        None => format!("{ms} 毫秒"),
    }
}

/// The China-time date and `HH:MM:SS[.mmm]` of a Unix millisecond.
fn clock(ms: u64) -> Option<(CivilDate, String)> {
    let date = CivilDate::china_date_at(ms)?;
    let into = ms - date.china_start_ms();
    let s = into / 1000;
    let mut time = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if into % 1000 != 0 {
        time.push_str(&format!(".{:03}", into % 1000));
    }
    Some((date, time))
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CivilDate({self})")
    }
}

impl Serialize for CivilDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CivilDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // JSON dates have one form (SPEC.md §1): `YYYY-MM-DD`. What a person types may take
        // others ([`CivilDate::parse`]); a published file may not.
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let b = s.as_bytes();
        let iso = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !iso {
            return Err(serde::de::Error::custom(format!(
                "{s:?} is not a YYYY-MM-DD date"
            )));
        }
        CivilDate::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms_and_rejects_impossible_dates() {
        let d = CivilDate::parse("2026-12-10").expect("date");
        assert_eq!(d.yyyymmdd(), 20261210);
        assert_eq!(CivilDate::parse("20261210"), Ok(d));
        assert_eq!(CivilDate::parse("2026/12/10"), Ok(d));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-12-1",
            "2026-12/10",
            "1999-01-01",
            "",
            "x",
        ] {
            assert!(CivilDate::parse(bad).is_err(), "{bad}");
        }
        assert!(CivilDate::parse("2028-02-29").is_ok());
    }

    #[test]
    fn epoch_days_roundtrip() {
        let d = CivilDate::parse("2026-11-27").expect("date");
        assert_eq!(d.days_since_epoch(), 20_784);
        assert_eq!(CivilDate::from_days_since_epoch(20_784), Some(d));
        for days in 10_957..47_482 {
            let d = CivilDate::from_days_since_epoch(days).expect("in range");
            assert_eq!(d.days_since_epoch(), days);
        }
    }

    #[test]
    fn china_day_boundaries() {
        let d = CivilDate::parse("2026-12-10").expect("date");
        // 2026-12-10 00:00 +08:00 is 2026-12-09 16:00 UTC.
        assert_eq!(d.china_start_ms(), 1_796_832_000_000);
        assert_eq!(CivilDate::china_date_at(d.china_start_ms()), Some(d));
        assert_eq!(CivilDate::china_date_at(d.china_end_ms() - 1), Some(d));
        assert_ne!(CivilDate::china_date_at(d.china_end_ms()), Some(d));
    }
}
