//! `--demo`: the "爱达州·通川购" campaign, with something to do on every screen.
//!
//! The campaign started 30 days ago. Its first draw closed 9 days ago with 3,000 synthetic
//! entries: both seed parties committed before the close and the ledger is frozen and signed,
//! so a newcomer can run the live draw at once, loading the two demo secret files written to
//! `DATA/demo-secrets/`. The second draw is open today, with 1,200 synthetic entries so far and
//! no commitments yet (the seed ceremony is there to try); the third is still to come.

use crate::db;
use crate::error::{ApiResult, AppError};
use crate::routes::organizer::{insert_draft, open_campaign_in};
use crate::state::{AppState, random_32, write_secret};
use crate::store::{Effect, JobOutcome, Store};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::demo::DemoLedger;
use fairdraw_core::freeze::Freeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::phone::PhoneNumber;
use fairdraw_core::receipt::person_key;
use fairdraw_core::seed::{SeedCommitment, SeedSecret, commitment, secret_file};
use rusqlite::{Connection, params};
use std::path::Path;

/// Synthetic entries in the first draw (closed and frozen).
pub const DEMO_ENTRIES: u64 = 3_000;
/// Synthetic entries so far in the second draw (open today).
pub const DEMO_OPEN_ENTRIES: u64 = 1_200;
/// Days since the campaign started.
pub const DEMO_DAYS_IN: i64 = 30;

fn insert_ledger(
    c: &Connection,
    id: &str,
    draw: u32,
    demo: &DemoLedger,
    pseudonym_key: &[u8; 32],
    effects: &mut Vec<Effect>,
) -> ApiResult<()> {
    let rows = demo
        .ledger
        .leaves
        .iter()
        .zip(&demo.openings)
        .zip(&demo.phones);
    for ((leaf, opening), phone) in rows {
        let json = serde_json::to_string(leaf).map_err(AppError::internal)?;
        let hash = leaf.leaf_hash();
        let person = PhoneNumber::parse(phone)
            .map(|p| person_key(pseudonym_key, id, &p))
            .map_err(|_| AppError::internal("a synthetic phone is malformed"))?;
        c.execute(
            "INSERT INTO entries (campaign_id, draw_index, leaf_index, ticket_id, fingerprint, participant, leaf_json, leaf_hash, phone, receipt, merchant_id, entry_day, entered_at_ms, phone_salt, weight)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![id, draw, leaf.index as i64, leaf.ticket_id.0.as_slice(), leaf.fingerprint.0.as_slice(), person.0.as_slice(),
                json, hash.0.as_slice(), format!("synthetic:{phone}"), format!("synthetic-{draw}-{}", leaf.index), leaf.merchant_id,
                CivilDate::china_date_at(leaf.entered_at_ms).map_or(0, |d| d.yyyymmdd()), leaf.entered_at_ms as i64,
                opening.phone_salt.as_slice(), leaf.weight],
        )?;
        effects.push(Effect::AppendLeaf {
            campaign_id: id.to_owned(),
            draw_index: draw,
            leaf_hash: hash,
        });
    }
    Ok(())
}

/// Creates the demo campaign unless it exists; writes the first draw's seed secrets into
/// `secrets_dir` (mode 0600). Returns the campaign id when it was created.
pub async fn ensure_demo(state: &AppState, secrets_dir: &Path) -> ApiResult<Option<String>> {
    let now = state.now_ms();
    let today =
        CivilDate::china_date_at(now).ok_or_else(|| AppError::internal("clock out of range"))?;
    let day = |n: i64| CivilDate::from_days_since_epoch(today.days_since_epoch() + n);
    let start = day(-DEMO_DAYS_IN).unwrap_or(today);
    let rules =
        fairdraw_core::demo::demo_rules(state.keys.signing.verifying_key().to_bytes(), start);
    let id = rules.id.clone();
    // Restarts with `--demo` find it there: skip generating thousands of synthetic leaves. (The
    // write job checks again, in its transaction.)
    let key = id.clone();
    if crate::routes::public::read(state, move |c| db::campaign(c, &key).map(|r| r.is_some()))
        .await?
    {
        return Ok(None);
    }
    let rules_hash = rules.hash();
    let seed = Hash32::sha256(id.as_bytes());
    // The first draw, whole; the second from its start to yesterday.
    let closed =
        fairdraw_core::demo::demo_ledger(&rules, 0, DEMO_ENTRIES, &seed, &state.keys.pseudonym);
    let mut so_far = rules.clone();
    so_far.draws[1].entry_end = day(-1).unwrap_or(today).max(so_far.draws[1].entry_start);
    let open = fairdraw_core::demo::demo_ledger(
        &so_far,
        1,
        DEMO_OPEN_ENTRIES,
        &Hash32::sha256(&seed.0),
        &state.keys.pseudonym,
    );
    let parties = rules.draws[0].seed_parties.clone();
    let secrets: Vec<SeedSecret> = parties
        .iter()
        .map(|_| random_32().map(SeedSecret).map_err(AppError::internal))
        .collect::<ApiResult<_>>()?;
    let committed_at = rules.draws[0].entry_start.china_start_ms() + 3_600_000;
    let frozen_at = rules.draws[0].closes_at_ms() + 3_600_000;
    let commitments: Vec<(String, Hash32)> = parties
        .iter()
        .zip(&secrets)
        .map(|(p, s)| (p.clone(), commitment(&rules_hash, 0, p, s)))
        .collect();
    let ledger = &closed.ledger;
    let freeze = Freeze::of_leaves(
        rules_hash,
        &id,
        0,
        ledger.weighted(),
        commitments
            .iter()
            .map(|(party, c)| SeedCommitment {
                party: party.clone(),
                commitment: *c,
                published_at_ms: committed_at,
            })
            .collect(),
        frozen_at,
    )
    .map_err(AppError::internal)?
    .sign(&state.keys.signing);
    let (frozen_size, frozen_root) = (freeze.freeze.tree_size, freeze.freeze.root);
    let freeze_json = serde_json::to_string(&freeze).map_err(AppError::internal)?;
    let pseudonym_key = state.keys.pseudonym;
    let (tx, rx) = tokio::sync::oneshot::channel::<ApiResult<bool>>();
    let key = id.clone();
    let job_rules = rules.clone();
    state
        .store
        .write(Box::new(move |c, effects| {
            let mut run = || -> ApiResult<bool> {
                if db::campaign(c, &key)?.is_some() {
                    return Ok(false);
                }
                insert_draft(c, &job_rules, now)?;
                open_campaign_in(c, &key, now)?;
                insert_ledger(c, &key, 0, &closed, &pseudonym_key, effects)?;
                insert_ledger(c, &key, 1, &open, &pseudonym_key, effects)?;
                for (party, cm) in &commitments {
                    c.execute(
                        "INSERT INTO commitments (campaign_id, draw_index, party, commitment, published_at_ms) VALUES (?1, 0, ?2, ?3, ?4)",
                        params![key, party, cm.to_hex(), committed_at as i64],
                    )?;
                }
                c.execute(
                    "UPDATE draws SET state = 'frozen', freeze_json = ?2 WHERE campaign_id = ?1 AND draw_index = 0",
                    params![key, freeze_json],
                )?;
                db::audit(c, now, "demo.seed", &serde_json::json!({ "campaign": key,
                    "entries": [closed.ledger.leaves.len(), open.ledger.leaves.len()], "frozen": { "draw": 0, "tree_size": frozen_size, "root": frozen_root } }))?;
                Ok(true)
            };
            let result = run();
            JobOutcome {
                keep: result.is_ok(),
                finish: Box::new(move |committed| {
                    let _ = tx.send(if committed { result } else { Err(AppError::internal("commit failed")) });
                }),
            }
        }))
        .map_err(|_| AppError::internal("the writer has stopped"))?;
    let created = rx.await.map_err(|_| AppError::internal("no answer"))??;
    if !created {
        return Ok(None);
    }
    std::fs::create_dir_all(secrets_dir).map_err(AppError::internal)?;
    for (party, secret) in parties.iter().zip(&secrets) {
        let path = secrets_dir.join(format!("{id}-draw1-{party}.json"));
        write_secret(&path, &secret_file(&rules, 0, party, secret)).map_err(AppError::internal)?;
    }
    Ok(Some(id))
}
