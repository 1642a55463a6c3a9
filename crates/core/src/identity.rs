//! The campaign's identity: how it looks and who stands behind the ceremony (SPEC.md §3.5).
//!
//! Part of the rules, so the logo on the big screen and the notary office on the printed
//! record are the ones published with the anchor. It enters the rules hash as the hash of its
//! own encoding, so a later proof bundle can carry the hash instead of the pictures.

use crate::encode::Encoder;
use crate::hash::Hash32;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Domain tag of the identity's encoding.
pub const IDENTITY_TAG: &str = "fairdraw/identity/v2";
/// The largest picture (logo or prize picture), as its data URL: 48 KiB.
pub const MAX_PICTURE_BYTES: usize = 48 * 1024;
/// The picture types a data URL may carry. SVG is shown as an image (`<img>`), where its
/// scripts never run.
pub const PICTURE_TYPES: [&str; 4] = [
    "data:image/svg+xml;base64,",
    "data:image/png;base64,",
    "data:image/jpeg;base64,",
    "data:image/webp;base64,",
];

/// A seed party's name as people read it: the rules' `seed_parties` are short ids
/// (`organizer`), the ceremony says 主办方.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyName {
    /// The party as named in a draw's `seed_parties`.
    pub party: String,
    /// Chinese display name ("主办方（通川区商务局）").
    pub zh: String,
    /// English display name.
    pub en: String,
}

/// How one prize is shown, matched by the prize's name in the rules: its name in each
/// language (the rules' name is quoted verbatim where it matters) and its picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrizeLook {
    /// A prize name used by some draw.
    pub prize: String,
    /// Chinese display name ("一汽-大众帕萨特轿车").
    pub zh: String,
    /// English display name.
    pub en: String,
    /// The picture, as a data URL of one of [`PICTURE_TYPES`].
    pub image: Option<String>,
}

/// How the campaign looks, and the people of its ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The organizer in English (the rules' `organizer` is the legal name as registered).
    pub organizer_en: String,
    /// The notary office that supervises the draws ("四川省达州市公证处"); may be empty.
    pub notary_office: String,
    /// Where the draws are held ("达州市通川区西外镇 市民中心一楼大厅").
    pub place: String,
    /// The campaign's main colour, `#rrggbb` (titles, buttons).
    pub primary_color: String,
    /// The accent, `#rrggbb` (the winner's number on the dark live screen).
    pub accent_color: String,
    /// The logo, as a data URL of one of [`PICTURE_TYPES`].
    pub logo: Option<String>,
    /// How prizes are shown, at most one entry per prize name.
    pub prizes: Vec<PrizeLook>,
    /// Display names of seed parties, at most one per party.
    pub parties: Vec<PartyName>,
}

impl Identity {
    /// The canonical encoding (SPEC.md §3.5).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_tag(IDENTITY_TAG);
        e.str(&self.organizer_en)
            .str(&self.notary_office)
            .str(&self.place)
            .str(&self.primary_color)
            .str(&self.accent_color)
            .option(self.logo.as_ref(), |e, l| {
                e.str(l);
            })
            .list(&self.prizes, |e, p| {
                e.str(&p.prize)
                    .str(&p.zh)
                    .str(&p.en)
                    .option(p.image.as_ref(), |e, i| {
                        e.str(i);
                    });
            })
            .list(&self.parties, |e, p| {
                e.str(&p.party).str(&p.zh).str(&p.en);
            });
        e.into_bytes()
    }

    /// SHA-256 of [`Identity::canonical_bytes`]: what the rules hash takes in.
    pub fn hash(&self) -> Hash32 {
        Hash32::sha256(&self.canonical_bytes())
    }

    /// How the prize with this name is shown, if the identity says.
    pub fn prize(&self, prize: &str) -> Option<&PrizeLook> {
        self.prizes.iter().find(|p| p.prize == prize)
    }

    /// The display name of a seed party, if the identity gives one.
    pub fn party(&self, party: &str) -> Option<&PartyName> {
        self.parties.iter().find(|p| p.party == party)
    }

    /// The first problem, as (field under `identity.`, what is wrong); `prizes` and
    /// `parties` are every prize name and seed party the draws use.
    pub fn problem(
        &self,
        prizes: &BTreeSet<&str>,
        parties: &BTreeSet<&str>,
    ) -> Option<(String, &'static str)> {
        for (field, c) in [
            ("primary_color", &self.primary_color),
            ("accent_color", &self.accent_color),
        ] {
            if !is_color(c) {
                return Some((field.into(), "must be #rrggbb"));
            }
        }
        for (field, t) in [
            ("organizer_en", &self.organizer_en),
            ("notary_office", &self.notary_office),
            ("place", &self.place),
        ] {
            if t.len() > 200 {
                return Some((field.into(), "at most 200 bytes"));
            }
        }
        if let Some(logo) = &self.logo {
            if let Some(p) = picture_problem(logo) {
                return Some(("logo".into(), p));
            }
        }
        let prizes_named = self.prizes.iter().map(|p| (p.prize.as_str(), &p.zh, &p.en));
        if let Some(problem) = names_problem("prizes", "prize", prizes_named, prizes) {
            return Some(problem);
        }
        for (i, p) in self.prizes.iter().enumerate() {
            if let Some(problem) = p.image.as_deref().and_then(picture_problem) {
                return Some((format!("prizes[{i}].image"), problem));
            }
        }
        let parties_named = self
            .parties
            .iter()
            .map(|p| (p.party.as_str(), &p.zh, &p.en));
        names_problem("parties", "party", parties_named, parties)
    }
}

/// The first entry of a list of display names (`prizes`, `parties`) that names something the
/// rules do not have, names it a second time, or has a blank name.
fn names_problem<'a>(
    list: &str,
    key: &str,
    entries: impl Iterator<Item = (&'a str, &'a String, &'a String)>,
    allowed: &BTreeSet<&str>,
) -> Option<(String, &'static str)> {
    let mut seen = BTreeSet::new();
    for (i, (name, zh, en)) in entries.enumerate() {
        if !allowed.contains(name) || !seen.insert(name) {
            return Some((
                format!("{list}[{i}].{key}"),
                "must name one of the rules' own, once",
            ));
        }
        if zh.trim().is_empty() || en.trim().is_empty() {
            return Some((format!("{list}[{i}]"), "names must not be blank"));
        }
    }
    None
}

/// `#rrggbb`, lower or upper case.
fn is_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn picture_problem(url: &str) -> Option<&'static str> {
    if url.len() > MAX_PICTURE_BYTES {
        return Some("a picture is at most 48 KiB as a data URL");
    }
    let Some(prefix) = PICTURE_TYPES.iter().find(|p| url.starts_with(**p)) else {
        return Some("must be a base64 data URL of SVG, PNG, JPEG or WebP");
    };
    let body = &url[prefix.len()..];
    let base64_ok = !body.is_empty()
        && body.len() % 4 == 0
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    (!base64_ok).then_some("the data URL's body must be standard base64")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Identity {
        crate::demo::demo_identity()
    }

    #[test]
    fn demo_identity_is_valid_and_hash_covers_every_field() {
        let prizes = BTreeSet::from(["一汽-大众帕萨特轿车一辆 (a Volkswagen Passat)"]);
        let parties = BTreeSet::from(["organizer", "notary"]);
        assert_eq!(id().problem(&prizes, &parties), None);
        let base = id().hash();
        type Change = Box<dyn Fn(&mut Identity)>;
        let changes: Vec<Change> = vec![
            Box::new(|i| i.organizer_en.push('x')),
            Box::new(|i| i.notary_office.push('x')),
            Box::new(|i| i.place.push('x')),
            Box::new(|i| i.primary_color = "#000000".into()),
            Box::new(|i| i.accent_color = "#000000".into()),
            Box::new(|i| i.logo = None),
            Box::new(|i| i.prizes.clear()),
            Box::new(|i| i.prizes[0].image = None),
            Box::new(|i| i.prizes[0].en.push('x')),
            Box::new(|i| i.parties[0].zh.push('x')),
        ];
        for change in changes {
            let mut i = id();
            change(&mut i);
            assert_ne!(i.hash(), base);
        }
    }

    #[test]
    fn bad_identities_name_their_field() {
        let prizes = BTreeSet::from(["car"]);
        let parties = BTreeSet::from(["organizer"]);
        let mut i = id();
        i.prizes.clear();
        i.parties.truncate(1);
        assert_eq!(i.problem(&prizes, &parties), None);
        let mut bad = i.clone();
        bad.primary_color = "red".into();
        assert_eq!(
            bad.problem(&prizes, &parties)
                .map(|p| p.0)
                .unwrap_or_default(),
            "primary_color"
        );
        let mut bad = i.clone();
        bad.logo = Some("data:text/html;base64,PHA+".into());
        assert_eq!(
            bad.problem(&prizes, &parties)
                .map(|p| p.0)
                .unwrap_or_default(),
            "logo"
        );
        let mut bad = i.clone();
        bad.logo = Some(format!(
            "data:image/png;base64,{}",
            "A".repeat(MAX_PICTURE_BYTES)
        ));
        assert_eq!(
            bad.problem(&prizes, &parties)
                .map(|p| p.0)
                .unwrap_or_default(),
            "logo"
        );
        let mut bad = i.clone();
        bad.prizes.push(PrizeLook {
            prize: "a boat".into(),
            zh: "船".into(),
            en: "a boat".into(),
            image: Some("data:image/png;base64,AAAA".into()),
        });
        assert_eq!(
            bad.problem(&prizes, &parties)
                .map(|p| p.0)
                .unwrap_or_default(),
            "prizes[0].prize"
        );
        let mut bad = i.clone();
        bad.parties.push(bad.parties[0].clone());
        assert_eq!(
            bad.problem(&prizes, &parties)
                .map(|p| p.0)
                .unwrap_or_default(),
            "parties[1].party"
        );
    }
}
