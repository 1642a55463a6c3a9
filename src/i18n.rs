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

pub use fairdraw_core::message::Said;

/// A [`Said`] in the language shown.
pub trait InLang {
    /// The text in `lang`.
    fn in_lang(&self, lang: Lang) -> &str;
}

impl InLang for Said {
    fn in_lang(&self, lang: Lang) -> &str {
        lang.t(&self.zh, &self.en)
    }
}

/// How the rules' identity (SPEC §3.5) names things on screen, with the rules' own text
/// when it gives no other.
pub mod look {
    use super::Lang;
    use fairdraw_core::rules::CampaignRules;

    /// A seed party as people say it (主办方), else its id in the rules.
    pub fn party(rules: &CampaignRules, party: &str, lang: Lang) -> String {
        rules
            .identity
            .as_ref()
            .and_then(|i| i.party(party))
            .map_or_else(|| party.to_owned(), |p| lang.t(&p.zh, &p.en).to_owned())
    }

    /// A prize as the screens name it, else its name in the rules.
    pub fn prize(rules: &CampaignRules, prize: &str, lang: Lang) -> String {
        rules
            .identity
            .as_ref()
            .and_then(|i| i.prize(prize))
            .map_or_else(|| prize.to_owned(), |p| lang.t(&p.zh, &p.en).to_owned())
    }

    /// The prize's picture (a data URL), if any.
    pub fn prize_image(rules: &CampaignRules, prize: &str) -> Option<String> {
        rules.identity.as_ref()?.prize(prize)?.image.clone()
    }

    /// The logo (a data URL), if any.
    pub fn logo(rules: &CampaignRules) -> Option<String> {
        rules.identity.as_ref()?.logo.clone()
    }

    /// The organizer in `lang` (the rules' legal name in Chinese).
    pub fn organizer(rules: &CampaignRules, lang: Lang) -> String {
        match (lang, rules.identity.as_ref()) {
            (Lang::En, Some(i)) if !i.organizer_en.is_empty() => i.organizer_en.clone(),
            _ => rules.organizer.clone(),
        }
    }

    /// The CSS custom properties of the campaign's colours (validated `#rrggbb` by the
    /// rules); set through the CSSOM, which the Content-Security-Policy allows.
    pub fn colors(rules: &CampaignRules) -> Vec<(&'static str, String)> {
        rules.identity.as_ref().map_or_else(Vec::new, |i| {
            vec![
                ("--brand", i.primary_color.clone()),
                ("--accent", i.accent_color.clone()),
            ]
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_from_the_identity_or_the_rules() {
            let mut rules = crate::state::demo_rules();
            let car = rules.draws[0].prizes[0].name.clone();
            assert_eq!(party(&rules, "notary", Lang::Zh), "notary");
            assert_eq!(prize(&rules, &car, Lang::Zh), car);
            assert!(colors(&rules).is_empty());
            rules.identity = Some(fairdraw_core::demo::demo_identity());
            assert_eq!(party(&rules, "notary", Lang::Zh), "公证处（达州市公证处）");
            assert_eq!(prize(&rules, &car, Lang::Zh), "一汽-大众帕萨特轿车一辆");
            assert!(prize_image(&rules, &car).is_some_and(|i| i.starts_with("data:image/svg")));
            assert_eq!(
                colors(&rules),
                [
                    ("--brand", "#c8102e".to_owned()),
                    ("--accent", "#ffd34d".to_owned())
                ]
            );
            assert_eq!(
                organizer(&rules, Lang::En),
                "Tongchuan District Bureau of Commerce, Dazhou"
            );
        }
    }
}
