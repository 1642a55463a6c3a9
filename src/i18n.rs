//! The two languages of the UI: Chinese by default, English on a remembered toggle.

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the text for this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The other language.
    pub fn toggled(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The stored form (`zh` / `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// From the stored form; anything else is Chinese.
    pub fn from_code(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Zh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggles_and_roundtrips() {
        assert_eq!(Lang::default(), Lang::Zh);
        assert_eq!(Lang::Zh.toggled(), Lang::En);
        assert_eq!(Lang::from_code(Lang::En.code()), Lang::En);
        assert_eq!(Lang::from_code("fr"), Lang::Zh);
        assert_eq!(Lang::En.t("中", "en"), "en");
    }
}

/// A Unix millisecond as people read it in China: `2026年11月28日 20:00（北京时间）`.
pub fn china_time(ms: u64) -> String {
    let Some(day) = fairdraw_core::civil::CivilDate::china_date_at(ms) else {
        return String::new();
    };
    let minutes = ((ms + 8 * 3_600_000) % 86_400_000) / 60_000;
    format!(
        "{}年{}月{}日 {:02}:{:02}（北京时间）",
        day.year(),
        day.month(),
        day.day(),
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn beijing_time() {
        // 2026-11-28T12:00:00Z is 20:00 in Beijing.
        assert_eq!(
            super::china_time(1_795_867_200_000),
            "2026年11月28日 20:00（北京时间）"
        );
    }
}
