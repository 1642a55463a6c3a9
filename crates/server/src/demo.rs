//! `--demo`: the "爱达州·通川购" campaign, open today, with a few thousand synthetic entries.

use crate::db;
use crate::error::{ApiResult, AppError};
use crate::routes::organizer::{insert_draft, open_campaign_in};
use crate::state::AppState;
use crate::store::{Effect, JobOutcome, Store};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::hash::Hash32;
use rusqlite::params;

/// Synthetic entries the demo starts with.
pub const DEMO_ENTRIES: u64 = 3_000;

/// Creates and opens the demo campaign unless it exists. Its first draw is open today.
pub async fn ensure_demo(state: &AppState) -> ApiResult<Option<String>> {
    let now = state.now_ms();
    let today =
        CivilDate::china_date_at(now).ok_or_else(|| AppError::internal("clock out of range"))?;
    let start = CivilDate::from_days_since_epoch(today.days_since_epoch() - 7).unwrap_or(today);
    let rules =
        fairdraw_core::demo::demo_rules(state.keys.signing.verifying_key().to_bytes(), start);
    let id = rules.id.clone();
    // Synthetic history: entries dated from the start of the first draw to yesterday.
    let mut history = rules.clone();
    history.draws[0].entry_end =
        CivilDate::from_days_since_epoch(today.days_since_epoch() - 1).unwrap_or(start);
    let ledger = fairdraw_core::demo::demo_ledger(
        &history,
        0,
        DEMO_ENTRIES,
        &Hash32::sha256(id.as_bytes()),
        &state.keys.pseudonym,
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<ApiResult<bool>>();
    let key = id.clone();
    state
        .store
        .write(Box::new(move |c, effects| {
            let mut run = || -> ApiResult<bool> {
                if db::campaign(c, &key)?.is_some() {
                    return Ok(false);
                }
                insert_draft(c, &rules, now)?;
                open_campaign_in(c, &key, now)?;
                for leaf in &ledger.leaves {
                    let json = serde_json::to_string(leaf).map_err(AppError::internal)?;
                    let hash = leaf.leaf_hash();
                    c.execute(
                        "INSERT INTO entries (campaign_id, draw_index, leaf_index, ticket_id, fingerprint, participant, leaf_json, leaf_hash, phone, receipt, merchant_id, entry_day, entered_at_ms)
                         VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        params![key, leaf.index as i64, leaf.ticket_id.0.as_slice(), leaf.fingerprint.0.as_slice(), leaf.participant.0.as_slice(),
                            json, hash.0.as_slice(), format!("synthetic:{}", leaf.phone_masked), format!("synthetic-{}", leaf.index), leaf.merchant_id,
                            CivilDate::china_date_at(leaf.entered_at_ms).map_or(0, |d| d.yyyymmdd()), leaf.entered_at_ms as i64],
                    )?;
                    effects.push(Effect::AppendLeaf { campaign_id: key.clone(), draw_index: 0, leaf_hash: hash });
                }
                db::audit(c, now, "demo.seed", &serde_json::json!({ "campaign": key, "entries": ledger.leaves.len() }))?;
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
    Ok(created.then_some(id))
}
