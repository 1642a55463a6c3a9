//! Public numbers typed as anyone would type them, read by the rules' description of the game
//! (SPEC.md §6.3): how many numbers, in which groups, from which ranges.
//!
//! `03 11 17 22 28 33 09`, `3,11,17,22,28,33+9` and full-width `０３　１１…` all read as the
//! same seven numbers of 双色球 (six from 1–33, one from 1–16); a wrong count, a value out of
//! range or a repeated ball is refused with a clear message, never folded into one number.

use crate::message::Coded;
use crate::rules::{NumberSource, PublicNumbersSpec};
use std::fmt;

/// Why typed numbers do not fit the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumbersError {
    /// A different number of sources than the rules name.
    Sources {
        /// How many the rules name.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A token that is not a whole number.
    Malformed {
        /// The source's name.
        source: String,
        /// The token.
        token: String,
    },
    /// Too many or too few numbers.
    Count {
        /// The source's name.
        source: String,
        /// How many the rules describe.
        expected: u64,
        /// How many were read.
        got: u64,
    },
    /// A number outside its group's range.
    Range {
        /// The source's name.
        source: String,
        /// 1-based position among the source's numbers.
        position: u64,
        /// The value.
        value: String,
        /// The group's minimum.
        min: u64,
        /// The group's maximum.
        max: u64,
    },
    /// A number repeated within a group drawn without replacement.
    Repeated {
        /// The source's name.
        source: String,
        /// The value.
        value: u64,
    },
}

impl fmt::Display for NumbersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for NumbersError {}

impl Coded for NumbersError {
    fn code(&self) -> &'static str {
        match self {
            Self::Sources { .. } => "PUBLIC_NUMBERS_SOURCES",
            Self::Malformed { .. } => "PUBLIC_NUMBERS_MALFORMED",
            Self::Count { .. } => "PUBLIC_NUMBERS_COUNT",
            Self::Range { .. } => "PUBLIC_NUMBERS_RANGE",
            Self::Repeated { .. } => "PUBLIC_NUMBERS_REPEATED",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            Self::Sources { expected, got } => {
                format!("规则规定 {expected} 组公开号码，收到 {got} 组。")
            }
            Self::Malformed { source, token } => {
                format!("{source}：“{token}”不是整数号码。")
            }
            Self::Count {
                source,
                expected,
                got,
            } => format!("{source}：应有 {expected} 个号码，读到 {got} 个。"),
            Self::Range {
                source,
                position,
                value,
                min,
                max,
            } => format!("{source}：第 {position} 个号码 {value} 不在 {min}–{max} 之间。"),
            Self::Repeated { source, value } => {
                format!("{source}：号码 {value} 在同一组中出现了两次。")
            }
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::Sources { expected, got } => {
                format!("The rules name {expected} sources of public numbers; {got} were given.")
            }
            Self::Malformed { source, token } => {
                format!("{source}: {token:?} is not a whole number.")
            }
            Self::Count {
                source,
                expected,
                got,
            } => format!("{source}: {expected} numbers expected, {got} read."),
            Self::Range {
                source,
                position,
                value,
                min,
                max,
            } => format!("{source}: number {position} ({value}) is not between {min} and {max}."),
            Self::Repeated { source, value } => {
                format!("{source}: {value} appears twice in one group.")
            }
        }
    }
}

/// Separators between typed numbers: white space (full-width folded), `,` `;` `|` `+` `/` `、`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '|' | '+' | '/' | '、')
}

/// Reads one source's typed text into its groups' numbers, in the order published.
pub fn read_source(spec: &NumberSource, text: &str) -> Result<Vec<Vec<u64>>, NumbersError> {
    let ascii = crate::money::fullwidth_to_ascii(text);
    let tokens: Vec<&str> = ascii
        .split(is_separator)
        .filter(|t| !t.is_empty())
        .collect();
    for t in &tokens {
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumbersError::Malformed {
                source: spec.name.clone(),
                token: (*t).to_owned(),
            });
        }
    }
    let expected = spec.total_count();
    if tokens.len() as u64 != expected {
        return Err(NumbersError::Count {
            source: spec.name.clone(),
            expected,
            got: tokens.len() as u64,
        });
    }
    let mut out = Vec::with_capacity(spec.groups.len());
    let mut next = tokens.iter().enumerate();
    for g in &spec.groups {
        let mut values = Vec::with_capacity(g.count as usize);
        for (i, t) in next.by_ref().take(g.count as usize) {
            let digits = t.trim_start_matches('0');
            let range = || NumbersError::Range {
                source: spec.name.clone(),
                position: i as u64 + 1,
                value: (*t).to_owned(),
                min: g.min,
                max: g.max,
            };
            // More than 20 significant digits cannot be a u64; it is out of any range.
            let v = if digits.is_empty() {
                0
            } else {
                digits.parse::<u64>().map_err(|_| range())?
            };
            if v < g.min || v > g.max {
                return Err(range());
            }
            if g.distinct && values.contains(&v) {
                return Err(NumbersError::Repeated {
                    source: spec.name.clone(),
                    value: v,
                });
            }
            values.push(v);
        }
        out.push(values);
    }
    Ok(out)
}

/// The RFC 3797 key string of the typed values (one text per source, in the rules' order):
/// each group is one RFC 3797 source — its values sorted ascending, each written in decimal
/// followed by `.`, the group closed by `/`.
pub fn key_string(spec: &PublicNumbersSpec, values: &[String]) -> Result<String, NumbersError> {
    if values.len() != spec.sources.len() {
        return Err(NumbersError::Sources {
            expected: spec.sources.len(),
            got: values.len(),
        });
    }
    let mut key = String::new();
    for (source, text) in spec.sources.iter().zip(values) {
        for mut group in read_source(source, text)? {
            group.sort_unstable();
            for v in group {
                key.push_str(&v.to_string());
                key.push('.');
            }
            key.push('/');
        }
    }
    Ok(key)
}

/// The numbers as read, for a person to compare with what was announced:
/// `03 11 17 22 28 33 | 09` (in published order, padded to the width of each group's maximum).
pub fn display(spec: &NumberSource, groups: &[Vec<u64>]) -> String {
    spec.groups
        .iter()
        .zip(groups)
        .map(|(g, vs)| {
            let width = g.max.to_string().len();
            vs.iter()
                .map(|v| format!("{v:0width$}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::NumberGroup;

    fn ssq() -> NumberSource {
        NumberSource {
            name: "双色球".into(),
            drawn_at_ms: 0,
            groups: vec![
                NumberGroup {
                    count: 6,
                    min: 1,
                    max: 33,
                    distinct: true,
                },
                NumberGroup {
                    count: 1,
                    min: 1,
                    max: 16,
                    distinct: true,
                },
            ],
        }
    }

    #[test]
    fn typed_as_anyone_would() {
        let spec = PublicNumbersSpec {
            sources: vec![ssq()],
        };
        for typed in [
            "03 11 17 22 28 33 09",
            "3,11,17,22,28,33+9",
            "０３　１１　１７　２２　２８　３３　０９",
            " 33 28 22 17 11 03 | 09 ",
            "03、11、17、22、28、33、09",
        ] {
            assert_eq!(
                key_string(&spec, &[typed.to_owned()]),
                Ok("3.11.17.22.28.33./9./".to_owned()),
                "{typed}"
            );
        }
        let read = read_source(&ssq(), "3 11 17 22 28 33 9").expect("read");
        assert_eq!(display(&ssq(), &read), "03 11 17 22 28 33 | 09");
    }

    #[test]
    fn refusals() {
        let s = ssq();
        let code = |t: &str| read_source(&s, t).map_err(|e| e.code());
        assert_eq!(code("03111722283309"), Err("PUBLIC_NUMBERS_COUNT"));
        assert_eq!(code("3 11 17 22 28 33"), Err("PUBLIC_NUMBERS_COUNT"));
        assert_eq!(code("3 11 17 22 28 34 9"), Err("PUBLIC_NUMBERS_RANGE"));
        assert_eq!(code("3 11 17 22 28 33 17"), Err("PUBLIC_NUMBERS_RANGE"));
        assert_eq!(code("3 11 17 22 28 28 9"), Err("PUBLIC_NUMBERS_REPEATED"));
        assert_eq!(code("3 11 17 22 28 3.5 9"), Err("PUBLIC_NUMBERS_MALFORMED"));
        assert_eq!(code("0 11 17 22 28 33 9"), Err("PUBLIC_NUMBERS_RANGE"));
        assert_eq!(
            code("99999999999999999999999 11 17 22 28 33 9"),
            Err("PUBLIC_NUMBERS_RANGE")
        );
        let e = read_source(&s, "03111722283309").expect_err("one number");
        assert_eq!(e.message_zh(), "双色球：应有 7 个号码，读到 1 个。");
    }
}
