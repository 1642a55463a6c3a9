//! The campaign's witnessed journal (SPEC.md §17): commitments, freezes and reveals as the
//! entries of an RFC 6962 log of their own, whose C2SP checkpoints the server signs and the
//! rules' witnesses cosign with their own clocks. A verifier reads the time each event was
//! witnessed from the cosignatures, not from the server.

use crate::checkpoint::{
    Checkpoint, KeyVerifier, NoteError, cosignature_time, parse_note, verifiers,
};
use crate::encode::Encoder;
use crate::hash::Hash32;
use crate::merkle::{leaf_hash, root_of};
use crate::note::{SIG_TYPE_ED25519, format_vkey};
use crate::rules::CampaignRules;
use crate::seed::SeedSecret;
use serde::{Deserialize, Serialize};

/// One journal entry. `at_ms` is the server's clock when it accepted the event (the time the
/// freeze or a reveal also carries); the witnesses' times are what a verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A seed party's commitment (SPEC.md §6.1), as the freeze will list it.
    Commitment {
        /// The draw (from 0).
        draw_index: u32,
        /// The party.
        party: String,
        /// Its commitment.
        commitment: Hash32,
        /// `published_at_ms`.
        at_ms: u64,
    },
    /// A draw's freeze (SPEC.md §5.6), by its hash.
    Freeze {
        /// The draw.
        draw_index: u32,
        /// `SHA-256(freeze_bytes)`.
        freeze_hash: Hash32,
        /// `frozen_at_ms`.
        at_ms: u64,
    },
    /// A party's reveal (SPEC.md §6.1).
    Reveal {
        /// The draw.
        draw_index: u32,
        /// The party.
        party: String,
        /// The secret.
        secret: SeedSecret,
        /// `revealed_at_ms`.
        at_ms: u64,
    },
}

impl Event {
    /// The entry's bytes (SPEC.md §17.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Encoder::with_tag("fairdraw/event/v2");
        match self {
            Event::Commitment {
                draw_index,
                party,
                commitment,
                at_ms,
            } => {
                e.u8(1)
                    .u32(*draw_index)
                    .str(party)
                    .hash(commitment)
                    .u64(*at_ms);
            }
            Event::Freeze {
                draw_index,
                freeze_hash,
                at_ms,
            } => {
                e.u8(2).u32(*draw_index).hash(freeze_hash).u64(*at_ms);
            }
            Event::Reveal {
                draw_index,
                party,
                secret,
                at_ms,
            } => {
                e.u8(3)
                    .u32(*draw_index)
                    .str(party)
                    .fixed(&secret.0)
                    .u64(*at_ms);
            }
        }
        e.into_bytes()
    }

    /// Its RFC 6962 leaf hash.
    pub fn leaf_hash(&self) -> Hash32 {
        leaf_hash(&self.to_bytes())
    }

    /// The server's time on it.
    pub fn at_ms(&self) -> u64 {
        match self {
            Event::Commitment { at_ms, .. }
            | Event::Freeze { at_ms, .. }
            | Event::Reveal { at_ms, .. } => *at_ms,
        }
    }

    /// The draw it belongs to.
    pub fn draw_index(&self) -> u32 {
        match self {
            Event::Commitment { draw_index, .. }
            | Event::Freeze { draw_index, .. }
            | Event::Reveal { draw_index, .. } => *draw_index,
        }
    }
}

/// The origin of a draw's ledger log (SPEC.md §16.5).
pub fn ledger_origin(rules_hash: &Hash32, campaign: &str, draw: u32) -> String {
    format!("fairdraw/{}/{campaign}/{draw}", &rules_hash.to_hex()[..16])
}

/// The origin of a campaign's journal (SPEC.md §17.1).
pub fn journal_origin(rules_hash: &Hash32, campaign: &str) -> String {
    format!("fairdraw/{}/{campaign}/journal", &rules_hash.to_hex()[..16])
}

/// The journal's log vkey: the rules' server key as a signed-note Ed25519 key named by the
/// journal's origin. A witness is started with it (`fairdraw-witness serve --log`).
pub fn journal_vkey(rules: &CampaignRules) -> String {
    journal_vkey_of(&rules.hash(), rules)
}

/// [`journal_vkey`] with the rules hash given (a proof bundle's rules have their merchant list
/// cut, so their hash is the record's `rules_hash`, not recomputed).
pub fn journal_vkey_of(rules_hash: &Hash32, rules: &CampaignRules) -> String {
    format_vkey(
        &journal_origin(rules_hash, &rules.id),
        SIG_TYPE_ED25519,
        &rules.server_key,
    )
}

/// The journal checkpoint text for the first `size` events (no extension lines).
pub fn checkpoint_text(origin: &str, leaf_hashes: &[Hash32]) -> String {
    Checkpoint {
        origin: origin.to_owned(),
        size: leaf_hashes.len() as u64,
        root: root_of(leaf_hashes),
        extensions: Vec::new(),
    }
    .text()
    .unwrap_or_default()
}

/// What a record carries so that its times are witnessed (SPEC.md §17.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnessing {
    /// The campaign's journal from its first entry, at least up to the largest checkpoint.
    pub journal: Vec<Event>,
    /// Signed checkpoint notes of the journal, each with the server's signature and the
    /// witnesses' cosignature lines.
    pub checkpoints: Vec<String>,
}

/// One witness's cosignature seen on a journal checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosigned {
    /// Index of the witness in the rules.
    pub witness: usize,
    /// The checkpoint's size.
    pub size: u64,
    /// The cosignature's time (POSIX seconds).
    pub time: u64,
}

/// A journal read and checked against the rules: its checkpoints' signatures and roots.
#[derive(Debug, Clone, Default)]
pub struct Witnessed {
    /// The events.
    pub journal: Vec<Event>,
    /// Every verified cosignature by a witness the rules name.
    pub cosigned: Vec<Cosigned>,
    /// How many witnesses must agree.
    pub quorum: usize,
    /// The witnesses' display names, in the rules' order.
    pub names: Vec<String>,
}

/// Why a journal cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalError(pub String);

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Witnessed {
    /// Reads `w` under `rules`: every checkpoint must be a note signed by the server's journal
    /// key, for this journal's origin, of at most the journal's length, with the root of that
    /// prefix; a cosignature from a witness key in the rules that fails makes the note invalid.
    pub fn read(
        rules: &CampaignRules,
        rules_hash: &Hash32,
        w: &Witnessing,
    ) -> Result<Self, JournalError> {
        let origin = journal_origin(rules_hash, &rules.id);
        let log = KeyVerifier::parse(&journal_vkey_of(rules_hash, rules))
            .map_err(|e| JournalError(format!("the server key: {e}")))?;
        let witness_keys: Vec<KeyVerifier> = rules
            .witnesses
            .iter()
            .map(|x| KeyVerifier::parse(&x.vkey))
            .collect::<Result<_, _>>()
            .map_err(|e| JournalError(format!("a witness vkey: {e}")))?;
        let key_names: Vec<(String, u32)> = rules
            .witnesses
            .iter()
            .filter_map(|x| crate::note::parse_vkey(&x.vkey).ok())
            .map(|k| (k.name, u32::from_be_bytes(k.key_id)))
            .collect();
        let mut all = vec![log];
        all.extend(witness_keys);
        let known = verifiers(all);
        let hashes: Vec<Hash32> = w.journal.iter().map(Event::leaf_hash).collect();
        let mut cosigned = Vec::new();
        for (n, text) in w.checkpoints.iter().enumerate() {
            let what = |e: String| JournalError(format!("checkpoint {n}: {e}"));
            let note = parse_note(text.as_bytes()).map_err(|e| what(e.to_string()))?;
            let cp = Checkpoint::parse(note.text()).map_err(|e| what(e.to_string()))?;
            if cp.origin != origin {
                return Err(what(format!("origin {:?}, expected {origin:?}", cp.origin)));
            }
            let (verified, _) = note.verify(&known).map_err(|e| {
                what(match e {
                    NoteError::InvalidSignature { name, id } => {
                        format!("the signature of {name}+{id:08x} does not verify")
                    }
                    _ => "no known signature verifies".into(),
                })
            })?;
            if !verified.iter().any(|s| s.name() == origin) {
                return Err(what("not signed by the server's journal key".into()));
            }
            let size = usize::try_from(cp.size).unwrap_or(usize::MAX);
            if size > hashes.len() {
                return Err(what(format!(
                    "size {} but the journal has {} entries",
                    cp.size,
                    hashes.len()
                )));
            }
            if root_of(&hashes[..size]) != cp.root {
                return Err(what(format!(
                    "its root is not the root of the journal's first {size} entries"
                )));
            }
            for s in &verified {
                if let Some(i) = key_names
                    .iter()
                    .position(|(name, id)| s.name() == name && s.id() == *id)
                    && let Some(time) = cosignature_time(s.signature())
                {
                    cosigned.push(Cosigned {
                        witness: i,
                        size: cp.size,
                        time,
                    });
                }
            }
        }
        Ok(Self {
            journal: w.journal.clone(),
            cosigned,
            quorum: rules.witness_quorum as usize,
            names: rules.witnesses.iter().map(|x| x.name.clone()).collect(),
        })
    }

    /// For each witness, the earliest time it cosigned a checkpoint holding entry `i`.
    pub fn seen_by(&self, i: usize) -> Vec<Option<u64>> {
        let mut out = vec![None; self.names.len()];
        for c in &self.cosigned {
            if c.size > i as u64 {
                let slot = &mut out[c.witness];
                *slot = Some(slot.map_or(c.time, |t: u64| t.min(c.time)));
            }
        }
        out
    }

    /// The time by which a quorum of witnesses had cosigned entry `i`: the quorum-th smallest
    /// of [`Witnessed::seen_by`]; `None` when fewer witnesses saw it.
    pub fn quorum_time(&self, i: usize) -> Option<u64> {
        let mut times: Vec<u64> = self.seen_by(i).into_iter().flatten().collect();
        times.sort_unstable();
        (self.quorum >= 1)
            .then(|| times.get(self.quorum - 1).copied())
            .flatten()
    }

    /// Entries of one draw matching `f`, with their indexes.
    pub fn find<'a>(
        &'a self,
        draw: u32,
        f: impl Fn(&Event) -> bool + 'a,
    ) -> impl Iterator<Item = (usize, &'a Event)> + 'a {
        self.journal
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.draw_index() == draw && f(e))
    }

    /// "达州市公证处 2026-11-28 20:00:05, …" for entry `i`.
    pub fn describe(&self, i: usize) -> String {
        let seen = self.seen_by(i);
        let parts: Vec<String> = self
            .names
            .iter()
            .zip(seen)
            .map(|(n, t)| match t {
                Some(t) => format!("{n} at {}", crate::civil::china_time(t * 1000)),
                None => format!("{n}: not cosigned"),
            })
            .collect();
        let n = self.seen_by(i).iter().flatten().count();
        format!(
            "witnessed by {n} of {} (quorum {}): {}",
            self.names.len(),
            self.quorum,
            parts.join("; ")
        )
    }

    /// [`Witnessed::describe`] in Chinese.
    pub fn describe_zh(&self, i: usize) -> String {
        let seen = self.seen_by(i);
        let parts: Vec<String> = self
            .names
            .iter()
            .zip(&seen)
            .map(|(n, t)| match t {
                Some(t) => format!("{n} 联署于 {}", crate::civil::china_time_zh(t * 1000)),
                None => format!("{n} 未联署"),
            })
            .collect();
        let n = seen.iter().flatten().count();
        format!(
            "{} 家见证方中有 {n} 家见证（法定 {}）：{}",
            self.names.len(),
            self.quorum,
            parts.join("；")
        )
    }
}

/// Whether an event witnessed at POSIX second `t` existed before `deadline_ms`: the witness's
/// clock read `t` when it signed, so the event existed by `t + 1` seconds at the latest.
pub fn before(t: u64, deadline_ms: u64) -> bool {
    t.saturating_add(1).saturating_mul(1000) <= deadline_ms
}

/// A record's own events in the order a server accepts them: the commitments (by time, then
/// the rules' order), the freeze, the reveals (by time, then order).
pub fn draw_events(record: &crate::record::DrawRecord) -> Vec<Event> {
    let f = &record.freeze.freeze;
    let mut commitments: Vec<&crate::seed::SeedCommitment> = f.commitments.iter().collect();
    commitments.sort_by_key(|c| c.published_at_ms);
    let mut reveals: Vec<&crate::seed::Reveal> = record.reveals.iter().collect();
    reveals.sort_by_key(|x| x.revealed_at_ms);
    let n = record.draw_index;
    commitments
        .into_iter()
        .map(|c| Event::Commitment {
            draw_index: n,
            party: c.party.clone(),
            commitment: c.commitment,
            at_ms: c.published_at_ms,
        })
        .chain([Event::Freeze {
            draw_index: n,
            freeze_hash: f.hash(),
            at_ms: f.frozen_at_ms,
        }])
        .chain(reveals.into_iter().map(|x| Event::Reveal {
            draw_index: n,
            party: x.party.clone(),
            secret: x.secret.clone(),
            at_ms: x.revealed_at_ms,
        }))
        .collect()
}

/// The journal checkpoint note for `leaf_hashes`, signed by the server's key.
pub fn signed_checkpoint(
    rules: &CampaignRules,
    server: &ed25519_dalek::SigningKey,
    leaf_hashes: &[Hash32],
) -> String {
    let origin = journal_origin(&rules.hash(), &rules.id);
    let signer = crate::checkpoint::NoteSigner::new(&origin, server.clone());
    let note = crate::checkpoint::signed_note(&checkpoint_text(&origin, leaf_hashes), &[&signer])
        .unwrap_or_default();
    String::from_utf8(note).unwrap_or_default()
}

/// A journal of `events`, with one checkpoint per event (after it is appended), signed by
/// `server` and cosigned by every `(key name, key)` at `time_of(i)` seconds: what a server and
/// its witnesses produce when every submission succeeds. For tests, vectors and the demo.
pub fn witness_events(
    rules: &CampaignRules,
    server: &ed25519_dalek::SigningKey,
    events: Vec<Event>,
    cosigners: &[(String, ed25519_dalek::SigningKey)],
    time_of: impl Fn(usize) -> u64,
) -> Witnessing {
    let hashes: Vec<Hash32> = events.iter().map(Event::leaf_hash).collect();
    let checkpoints = (1..=hashes.len())
        .map(|size| {
            let note = signed_checkpoint(rules, server, &hashes[..size]);
            let text = checkpoint_text(&journal_origin(&rules.hash(), &rules.id), &hashes[..size]);
            cosigners.iter().fold(note, |mut note, (name, key)| {
                let c = crate::checkpoint::Cosigner::new(name, key.clone(), time_of(size - 1));
                note.push_str(&c.line(text.as_bytes()));
                note
            })
        })
        .collect();
    Witnessing {
        journal: events,
        checkpoints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_witnessed_draw;
    use crate::verify::{Anchor, verify_record};

    fn failed(record: &crate::record::DrawRecord, ledger: &crate::ledger::Ledger) -> Vec<String> {
        verify_record(record, ledger, Anchor::Published(record.rules_hash))
            .failed()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_witnessed_draw_verifies_and_names_its_witnesses() {
        let (record, ledger, _) = demo_witnessed_draw(300, &Hash32([5; 32]), 2).expect("demo");
        let report = verify_record(&record, &ledger, Anchor::Published(record.rules_hash));
        assert!(report.all_passed(), "{:#?}", report.failed());
        for id in [
            "witness.journal",
            "freeze.witnessed",
            "freeze.witnessed_before_entropy",
            "commitment.0.witnessed",
            "commitment.1.witnessed",
            "reveal.0.witnessed",
            "reveal.1.witnessed",
        ] {
            let c = report.checks.iter().find(|c| c.id == id).expect(id);
            assert!(c.ok, "{id}: {}", c.detail);
        }
        let f = report
            .checks
            .iter()
            .find(|c| c.id == "freeze.witnessed")
            .expect("check");
        assert!(f.detail.contains("witnessed by 2 of 2"), "{}", f.detail);
        assert!(f.detail.contains("达州市公证处"), "{}", f.detail);
        // The JSON form round-trips.
        let json = serde_json::to_string(&record).expect("json");
        let back: crate::record::DrawRecord = serde_json::from_str(&json).expect("reads");
        assert_eq!(back, record);
    }

    #[test]
    fn a_phone_checks_the_witnesses_from_the_proof_bundle() {
        let (record, ledger, _) = demo_witnessed_draw(300, &Hash32([8; 32]), 2).expect("demo");
        let bundle = crate::bundle::make_bundle(&record, &ledger).expect("bundle");
        let report = crate::bundle::verify_bundle(&bundle, Anchor::Published(record.rules_hash));
        assert!(report.all_passed(), "{:#?}", report.failed());
        assert!(
            report
                .checks
                .iter()
                .any(|c| c.id == "freeze.witnessed" && c.ok)
        );
        let mut late = bundle.clone();
        let (l, _, _) = demo_witnessed_draw(300, &Hash32([8; 32]), 12 * 86_400).expect("demo");
        late.record.witnessing = l.witnessing;
        let report = crate::bundle::verify_bundle(&late, Anchor::Published(record.rules_hash));
        assert!(
            report.failed().contains(&"commitment.0.witnessed"),
            "{:?}",
            report.failed()
        );
    }

    #[test]
    fn times_the_server_could_have_claimed_are_caught() {
        let seed = Hash32([6; 32]);
        // Witnessed a day late: the commitments after the close, the reveals after the
        // lottery was drawn.
        let (late, ledger, _) = demo_witnessed_draw(200, &seed, 86_400 * 12).expect("demo");
        let f = failed(&late, &ledger);
        for id in [
            "commitment.0.witnessed",
            "commitment.1.witnessed",
            "freeze.witnessed_before_entropy",
            "reveal.0.witnessed",
            "reveal.1.witnessed",
        ] {
            assert!(f.contains(&id.to_owned()), "{id} in {f:?}");
        }
        assert!(!f.contains(&"freeze.witnessed".to_owned()), "{f:?}");
    }

    #[test]
    fn a_missing_quorum_a_forged_cosignature_and_a_swapped_journal_fail() {
        let (record, ledger, server) = demo_witnessed_draw(200, &Hash32([7; 32]), 2).expect("demo");
        // No witnessing at all.
        let mut none = record.clone();
        none.witnessing = None;
        assert!(failed(&none, &ledger).contains(&"witness.journal".to_owned()));
        // One witness's cosignatures stripped: quorum 2 not met.
        let mut one = record.clone();
        let w = one.witnessing.as_mut().expect("w");
        for cp in &mut w.checkpoints {
            let keep: Vec<&str> = cp
                .lines()
                .filter(|l| !l.contains("daily.example"))
                .collect();
            *cp = keep.join("\n") + "\n";
        }
        let f = failed(&one, &ledger);
        assert!(f.contains(&"freeze.witnessed".to_owned()), "{f:?}");
        assert!(!f.contains(&"witness.journal".to_owned()), "{f:?}");
        // A flipped byte in a cosignature: the note is invalid.
        let mut forged = record.clone();
        let cp = &mut forged.witnessing.as_mut().expect("w").checkpoints[0];
        let at = cp.rfind("— daily.example/witness ").expect("line") + 40;
        let mut b = cp.clone().into_bytes();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        *cp = String::from_utf8(b).expect("utf8");
        let f = failed(&forged, &ledger);
        assert_eq!(f[0], "witness.journal", "{f:?}");
        assert!(f.contains(&"freeze.witnessed".to_owned()), "{f:?}");
        // A journal entry changed after it was cosigned.
        let mut swapped = record.clone();
        if let Event::Commitment { at_ms, .. } =
            &mut swapped.witnessing.as_mut().expect("w").journal[0]
        {
            *at_ms += 1;
        }
        assert!(failed(&swapped, &ledger).contains(&"witness.journal".to_owned()));
        // A second freeze for the same draw in the journal (a server that froze twice and
        // chose one): refused, though every signature is valid.
        let mut two = record.clone();
        let mut events = two.witnessing.as_ref().expect("w").journal.clone();
        let extra = events[2].clone();
        assert!(matches!(extra, Event::Freeze { .. }));
        events.insert(3, extra);
        let cosigners: Vec<(String, ed25519_dalek::SigningKey)> =
            crate::demo::demo_witness_keys(&Hash32([7; 32]))
                .into_iter()
                .map(|(_, n, k)| (n, k))
                .collect();
        let at: Vec<u64> = events.iter().map(|e| e.at_ms() / 1000 + 2).collect();
        two.witnessing = Some(witness_events(
            &two.rules,
            &server,
            events,
            &cosigners,
            |i| at[i],
        ));
        let f = failed(&two, &ledger);
        // Without the one freeze, no reveal can be placed after it either.
        assert_eq!(
            f,
            [
                "freeze.witnessed",
                "freeze.witnessed_before_entropy",
                "reveal.0.witnessed",
                "reveal.1.witnessed"
            ]
        );
    }
}
