//! Public API: campaigns, receipt intake, tickets, the ledger and its proofs, records.

use crate::db::{self, CampaignRow, Conn, DrawRow};
use crate::error::{ApiResult, AppError};
use crate::extract::ApiJson;
use crate::state::{AppState, random_16};
use crate::store::{Effect, JobOutcome, NewEntry, Refusal, Store, Stored};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fairdraw_core::civil::CivilDate;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::{LEAF_VERSION, Leaf, TicketId, phone_commitment};
use fairdraw_core::merkle;
use fairdraw_core::receipt::{
    PersonUsage, ReceiptInput, Rejection, check_caps, participant_pseudonym, person_key,
    receipt_fingerprint, validate_form,
};
use fairdraw_core::tree_head::{TicketPromise, TreeHead};
use serde::Deserialize;
use serde_json::{Value, json};

/// Runs a read on the blocking pool.
pub async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(Conn) -> crate::sql::Result<T> + Send + 'static,
) -> ApiResult<T> {
    // A bounded number of reads at once (each holds a pooled SQLite connection); past it, a
    // short wait, then 503 with Retry-After rather than a connection per request.
    let _slot = tokio::time::timeout(state.limits.read_wait, state.limits.reads.acquire())
        .await
        .map_err(|_| AppError::busy("SERVER_BUSY", 1))?
        .map_err(AppError::internal)?;
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.read(f))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::from)
}

/// An open (or, for the organizer, any) campaign and its draws.
pub async fn load(
    state: &AppState,
    id: &str,
    include_drafts: bool,
) -> ApiResult<(CampaignRow, Vec<DrawRow>)> {
    let key = id.to_owned();
    let found = read(state, move |c| {
        Ok((db::campaign(c, &key)?, db::draws(c, &key)?))
    })
    .await?;
    match found {
        (Some(row), draws) if include_drafts || row.state == "open" => Ok((row, draws)),
        _ => Err(AppError::not_found("该活动", "campaign")),
    }
}

fn draw_view(
    row: &CampaignRow,
    d: Option<&DrawRow>,
    index: u32,
    commitments: Value,
    reveals: Value,
    forfeits: &[u32],
    size: u64,
) -> Value {
    let Some(rules) = row.rules.draw(index) else {
        return Value::Null;
    };
    let state = d.map_or("collecting", |d| d.state.as_str());
    let mut v = json!({
        "index": index,
        "name": rules.name,
        "state": if row.state == "open" { state } else { "draft" },
        "entry_start": rules.entry_start,
        "entry_end": rules.entry_end,
        "closes_at_ms": rules.closes_at_ms(),
        "prizes": rules.prizes,
        "alternates": rules.alternates,
        "seed_parties": rules.seed_parties,
        "entropy": rules.entropy,
        "algorithm": rules.algorithm,
        "reveal_deadline_ms": rules.reveal_deadline_ms,
        "commitments": commitments,
        "reveals": reveals,
        "entries": size,
        "freeze": d.and_then(|d| d.freeze.clone()),
    });
    if let Some(record) = d
        .filter(|d| d.state == "published")
        .and_then(|d| d.record.as_ref())
    {
        v["record"] = json!(record);
        v["results"] = results(record, forfeits);
    }
    v
}

/// The claims of a draw: the stored forfeits applied by the core's one rule (each was checked
/// when it was made; a forfeit that no longer applies is ignored, never a panic).
pub fn claims_of(
    record: &fairdraw_core::record::DrawRecord,
    forfeits: &[u32],
) -> fairdraw_core::claims::Claims {
    let (p, a) = (record.winners.len() as u32, record.alternates.len() as u32);
    let mut applied = forfeits.len();
    loop {
        if let Ok(c) = fairdraw_core::claims::apply_forfeits(p, a, &forfeits[..applied]) {
            return c;
        }
        applied -= 1;
    }
}

/// The placement of a prize holder.
fn placement_of(
    record: &fairdraw_core::record::DrawRecord,
    h: fairdraw_core::claims::Holder,
) -> Option<&fairdraw_core::record::Placement> {
    match h {
        fairdraw_core::claims::Holder::Winner(r) => record.winners.get(r as usize),
        fairdraw_core::claims::Holder::Alternate(r) => record.alternates.get(r as usize),
    }
}

/// Results with forfeits applied (SPEC.md §7.3): each prize with everyone who has held it, in
/// order, and each alternate's state.
pub fn results(record: &fairdraw_core::record::DrawRecord, forfeits: &[u32]) -> Value {
    use fairdraw_core::claims::{AlternateState, Holder};
    let claims = claims_of(record, forfeits);
    let prizes: Vec<Value> = claims
        .prizes
        .iter()
        .map(|c| {
            let holders: Vec<Value> = c
                .holders
                .iter()
                .filter_map(|h| {
                    let p = placement_of(record, *h)?;
                    let (kind, rank) = match h {
                        Holder::Winner(r) => ("winner", r),
                        Holder::Alternate(r) => ("alternate", r),
                    };
                    Some(
                        json!({ "kind": kind, "rank": rank, "leaf_index": p.leaf_index,
                        "ticket_id": p.ticket_id, "phone_masked": p.phone_masked,
                        "forfeited": c.forfeited_by(*h) }),
                    )
                })
                .collect();
            let prize = record
                .winners
                .get(c.prize as usize)
                .and_then(|w| w.prize.clone());
            json!({ "rank": c.prize, "prize": prize, "holders": holders })
        })
        .collect();
    let alternates: Vec<Value> = record
        .alternates
        .iter()
        .zip(&claims.alternates)
        .map(|(a, st)| {
            let (state, prize) = match st {
                AlternateState::Waiting => ("waiting", None),
                AlternateState::Holds { prize } => ("holds", Some(prize)),
                AlternateState::Forfeited { prize } => ("forfeited", Some(prize)),
            };
            json!({ "rank": a.rank, "leaf_index": a.leaf_index, "ticket_id": a.ticket_id,
                "phone_masked": a.phone_masked, "state": state, "prize": prize })
        })
        .collect();
    json!({ "prizes": prizes, "alternates": alternates })
}

/// The public view of a campaign.
pub async fn campaign_json(state: &AppState, id: &str, include_drafts: bool) -> ApiResult<Value> {
    let (row, draws) = load(state, id, include_drafts).await?;
    let key = id.to_owned();
    let parties: Vec<Vec<String>> = row
        .rules
        .draws
        .iter()
        .map(|d| d.seed_parties.clone())
        .collect();
    let extras = read(state, move |c| {
        let mut out = Vec::new();
        for (i, p) in parties.iter().enumerate() {
            out.push((
                db::commitments(c, &key, i as u32, p)?,
                db::reveals(c, &key, i as u32, p)?,
                db::forfeits(c, &key, i as u32)?,
            ));
        }
        Ok(out)
    })
    .await?;
    state.caught_up(id, 0..row.rules.draws.len() as u32).await?;
    let sizes: Vec<u64> = {
        let map = state.store.ledgers().read().map_err(AppError::internal)?;
        (0..row.rules.draws.len() as u32)
            .map(|i| map.get(&(id.to_owned(), i)).map_or(0, |l| l.tree.size()))
            .collect()
    };
    let draws_json: Vec<Value> = (0..row.rules.draws.len() as u32)
        .map(|i| {
            let (c, r, f) = &extras[i as usize];
            draw_view(
                &row,
                draws.iter().find(|d| d.index == i),
                i,
                json!(c),
                json!(r),
                f,
                sizes[i as usize],
            )
        })
        .collect();
    Ok(json!({
        "id": row.rules.id,
        "state": row.state,
        "name_zh": row.rules.name_zh,
        "name_en": row.rules.name_en,
        "rules": row.rules,
        "rules_hash": (row.state == "open").then(|| row.rules.hash()),
        "opened_at_ms": row.opened_at_ms,
        "merchants": row.rules.merchants,
        "server_key": hex::encode(state.keys.signing.verifying_key().to_bytes()),
        "draws": draws_json,
    }))
}

/// `GET /api/health`: for load balancers and monitors: the database this server uses, whether
/// it can reach it now, and whether it is the sequencer that places entries in the ledgers (on
/// PostgreSQL, one of the servers sharing the database; on SQLite, the server itself).
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let reachable = read(&state, |c| c.one("SELECT 1", &[], |_| Ok(()))).await;
    let (store, sequencer) = match &*state.store {
        Store::Sqlite(_) => ("sqlite", true),
        Store::Postgres(pg) => ("postgres", pg.is_sequencer()),
    };
    let status = if reachable.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "ok": reachable.is_ok(), "store": store, "sequencer": sequencer })),
    )
}

/// `GET /api/server-key`.
pub async fn server_key(State(state): State<AppState>) -> Json<Value> {
    Json(
        json!({ "public_key": hex::encode(state.keys.signing.verifying_key().to_bytes()), "algorithm": "ed25519" }),
    )
}

/// Campaign summaries, open ones only unless `include_drafts`.
pub async fn campaign_list(state: &AppState, include_drafts: bool) -> ApiResult<Value> {
    let rows = read(state, move |c| {
        let ids = db::campaign_ids(c)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(row) = db::campaign(c, &id)? {
                if include_drafts || row.state == "open" {
                    out.push(json!({ "id": id, "name_zh": row.rules.name_zh, "name_en": row.rules.name_en,
                        "state": row.state, "rules_hash": (row.state == "open").then(|| row.rules.hash()),
                        "entry_start": row.rules.entry_start, "entry_end": row.rules.entry_end }));
                }
            }
        }
        Ok(out)
    })
    .await?;
    Ok(json!({ "campaigns": rows }))
}

/// `GET /api/campaigns`: open campaigns.
pub async fn list_campaigns(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    campaign_list(&state, false).await.map(Json)
}

/// `GET /api/campaigns/{id}`.
pub async fn get_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    campaign_json(&state, &id, false).await.map(Json)
}

/// The body of `POST /api/campaigns/{id}/entries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    merchant_id: String,
    #[serde(default)]
    receipt_number: String,
    #[serde(default)]
    qr: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    amount: String,
    phone: String,
    consent: bool,
}

/// The body of `POST /api/campaigns/{id}/tickets/recover`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    phone: String,
    receipt_number: String,
}

/// `POST /api/campaigns/{id}/tickets/recover`: a shopper's tickets on a new phone (or after
/// WeChat cleared its storage), for their phone number plus one receipt number they entered —
/// both known only to them. The answer has the same shape whether or not the pair exists (no
/// tickets), and tries are limited per address and per phone (429).
pub async fn recover_tickets(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::extract::Peer(peer): crate::extract::Peer,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<RecoverRequest>,
) -> ApiResult<Json<Value>> {
    let row = state.campaign_cached(&id).await?;
    let phone = fairdraw_core::phone::PhoneNumber::parse(&req.phone)
        .map_err(|_| rejection_error(&Rejection::Phone))?;
    let receipt = fairdraw_core::receipt::ReceiptNumber::parse(&req.receipt_number)
        .or_else(|e| {
            // A fapiao's QR text names its receipt too.
            fairdraw_core::receipt::FapiaoQr::parse(&req.receipt_number)
                .map(|q| q.number)
                .map_err(|_| e)
        })
        .map_err(|r| rejection_error(&r))?
        .to_string();
    state
        .limits
        .check_recovery(&id, state.limits.client_ip(&headers, peer), phone.as_str())?;
    let person = person_key(&state.keys.pseudonym, &row.rules.id, &phone);
    let key = id.clone();
    let rows = read(&state, move |c| {
        db::person_tickets(c, &key, person.0.as_slice())
    })
    .await?;
    // Every row for this person is read either way: the answer's time does not say whether
    // the receipt matched.
    let matched = rows.iter().filter(|r| r.receipt == receipt).count() > 0;
    let rules_hash = row.rules.hash();
    let tickets: Vec<Value> = rows
        .iter()
        .filter(|_| matched)
        .filter_map(|t| {
            let leaf: Leaf = serde_json::from_str(&t.leaf_json).ok()?;
            let shop = row
                .rules
                .merchant(&leaf.merchant_id)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            Some(json!({ "ticket_id": hex::encode(&t.ticket_id), "draw_index": t.draw_index,
                "leaf_index": leaf.index, "phone_masked": phone.masked(), "shop": shop,
                "amount": leaf.amount_fen.to_string(), "date": leaf.date, "rules_hash": rules_hash }))
        })
        .collect();
    Ok(Json(json!({ "tickets": tickets })))
}

fn rejection_status(r: &Rejection) -> StatusCode {
    match r {
        Rejection::Duplicate | Rejection::DrawClosed { .. } => StatusCode::CONFLICT,
        Rejection::CapPerDay { .. }
        | Rejection::CapPerCampaign { .. }
        | Rejection::CapPerMerchant { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn rejection_error(r: &Rejection) -> AppError {
    let e = AppError::coded(rejection_status(r), r);
    match r.field() {
        Some(f) => e.field(f),
        None => e,
    }
}

/// `POST /api/campaigns/{id}/entries`: validate, then append durably and hand out a ticket.
pub async fn submit_entry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::extract::Peer(peer): crate::extract::Peer,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<EntryRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let row = state.campaign_cached(&id).await?;
    if row.state != "open" {
        return Err(AppError::not_found("该活动", "campaign"));
    }
    if !req.consent {
        return Err(rejection_error(&Rejection::ConsentMissing));
    }
    let now = state.now_ms();
    let today =
        CivilDate::china_date_at(now).ok_or_else(|| AppError::internal("clock out of range"))?;
    let input = ReceiptInput {
        merchant_id: req.merchant_id,
        receipt_number: req.receipt_number,
        qr: req.qr,
        date: req.date,
        amount: req.amount,
        phone: req.phone,
    };
    let eligible = validate_form(&row.rules, &input, today).map_err(|r| rejection_error(&r))?;
    // A client's key for this submission (`Idempotency-Key`, up to 64 letters, digits, `-`, `_`):
    // a retry with the same key and receipt gets the ticket the first attempt stored.
    let idem_key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k))
            if (1..=64).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Some(k.to_owned())
        }
        Some(_) => {
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                "IDEMPOTENCY_KEY_MALFORMED",
                "Idempotency-Key 应为 1 到 64 个字母、数字、- 或 _。",
                "Idempotency-Key must be 1 to 64 letters, digits, - or _.",
            ));
        }
    };
    // Limits after validation, so a typing slip does not use up a shopper's share; before the
    // write, so a flood never reaches the ledger.
    state.limits.check_entry(
        &headers,
        &row.rules.id,
        state.limits.client_ip(&headers, peer),
        eligible.phone.as_str(),
        &eligible.merchant_id,
    )?;
    // Public: one pseudonym per person and draw. Private (the caps' key): one per campaign.
    let pseudonym = participant_pseudonym(
        &state.keys.pseudonym,
        &row.rules.id,
        eligible.draw_index,
        &eligible.phone,
    );
    let participant = person_key(&state.keys.pseudonym, &row.rules.id, &eligible.phone);
    let fingerprint = receipt_fingerprint(&state.keys.pseudonym, &eligible.dedupe_key);
    let ticket = TicketId(random_16().map_err(AppError::internal)?);
    let phone_salt = random_16().map_err(AppError::internal)?;
    let masked = eligible.phone.masked();
    let leaf_template = Leaf {
        v: LEAF_VERSION,
        index: 0,
        ticket_id: ticket,
        participant: pseudonym,
        fingerprint,
        phone_commitment: phone_commitment(&phone_salt, &masked),
        merchant_id: eligible.merchant_id.clone(),
        amount_fen: eligible.amount,
        date: eligible.date,
        weight: eligible.weight,
        entered_at_ms: now,
    };
    let draw_index = eligible.draw_index;
    let entry = NewEntry {
        campaign_id: id.clone(),
        draw_index,
        leaf: leaf_template,
        person: participant.0,
        phone: eligible.phone.as_str().to_owned(),
        receipt: eligible.receipt.to_string(),
        entry_day: today.yyyymmdd(),
        phone_salt,
        idem_key,
    };
    let outcome = match &*state.store {
        Store::Sqlite(_) => append_in_writer(&state, entry, row.clone()).await?,
        Store::Postgres(pg) => pg.append(entry, row.clone()).await?,
    };
    let (leaf, phone_salt, replayed) = match outcome {
        Ok(x) => x,
        Err(Refusal::Rejected(r)) => return Err(rejection_error(&r)),
        Err(Refusal::DrawClosed) => {
            return Err(AppError::conflict(
                "DRAW_FROZEN",
                "本期抽奖已截止登记。",
                "Entries for this draw are closed.",
            ));
        }
        Err(Refusal::Queued) => {
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ENTRY_QUEUED",
                "登记已收到，正在排入名单；请稍后用同一请求再试一次以取得奖券。",
                "Your entry is stored and waiting for its place in the ledger; send the same request again shortly to get your ticket.",
            )
            .retry_after(2));
        }
    };
    let (leaf_hash, promise) = state.promise(&row, draw_index, &leaf);
    Ok((
        if replayed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(json!({
            "ticket_id": leaf.ticket_id,
            "campaign_id": id,
            "draw_index": draw_index,
            "leaf_index": leaf.index,
            "leaf": leaf,
            "leaf_hash": leaf_hash,
            "promise": promise,
            // The ticket holder's own opening of the leaf's phone commitment.
            "phone_opening": { "phone_masked": masked, "phone_salt": hex::encode(phone_salt) },
            // Stored by an earlier attempt with the same Idempotency-Key.
            "replayed": replayed,
        })),
    ))
}

/// Appends an entry through the SQLite writer: the retry check, the draw's state, the caps and
/// the next index, all inside the writer's transaction.
async fn append_in_writer(
    state: &AppState,
    e: NewEntry,
    rules_row: std::sync::Arc<CampaignRow>,
) -> ApiResult<Result<Stored, Refusal>> {
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<Stored, Refusal>>();
    let NewEntry {
        campaign_id,
        draw_index,
        leaf: leaf_template,
        person: participant,
        phone,
        receipt,
        entry_day: day,
        phone_salt,
        idem_key,
    } = e;
    state
        .store
        .write(Box::new(move |conn, effects| {
            let outcome = (|| -> crate::sql::Result<Result<Stored, Refusal>> {
                // A retry of a stored entry (same key, receipt and phone): its ticket, not a
                // refusal. (Same receipt means the same date, so the same draw.)
                if let Some(k) = &idem_key {
                    if let Some((json, salt)) = db::stored_retry(
                        conn,
                        &campaign_id,
                        leaf_template.fingerprint.0.as_slice(),
                        k,
                        participant.as_slice(),
                    )? {
                        let leaf: Leaf =
                            serde_json::from_str(&json).map_err(crate::sql::Error::data)?;
                        let salt: [u8; 16] = salt.try_into().unwrap_or_default();
                        return Ok(Ok((leaf, salt, true)));
                    }
                }
                if db::draw_state(conn, &campaign_id, draw_index)?.as_deref() != Some("collecting")
                {
                    return Ok(Err(Refusal::DrawClosed));
                }
                let count =
                    |scope| db::person_entries(conn, &campaign_id, participant.as_slice(), scope);
                // Only the caps the rules set are counted.
                let rules = &rules_row.rules;
                let caps = &rules.caps;
                let usage = PersonUsage {
                    today: match caps.per_day {
                        Some(_) => count(db::CapScope::Day(day))?,
                        None => 0,
                    },
                    campaign: match caps.per_campaign {
                        Some(_) => count(db::CapScope::Campaign)?,
                        None => 0,
                    },
                    at_merchant: match caps.per_merchant {
                        Some(_) => count(db::CapScope::Merchant(&leaf_template.merchant_id))?,
                        None => 0,
                    },
                };
                if let Err(r) = check_caps(rules, usage) {
                    return Ok(Err(Refusal::Rejected(r)));
                }
                let mut leaf = leaf_template;
                leaf.index = db::next_leaf_index(conn, &campaign_id, draw_index)?;
                let leaf_hash = leaf.leaf_hash();
                let row = db::EntryRow {
                    campaign_id: &campaign_id,
                    leaf: &leaf,
                    leaf_hash: &leaf_hash,
                    person: participant.as_slice(),
                    phone: &phone,
                    receipt: &receipt,
                    entry_day: day,
                    phone_salt: &phone_salt,
                    idem_key: idem_key.as_deref(),
                };
                // The UNIQUE constraint decides duplicates, even between concurrent submissions.
                if !db::insert_entry(conn, draw_index, &row)? {
                    return Ok(Err(Refusal::Rejected(Rejection::Duplicate)));
                }
                effects.push(Effect::AppendLeaf {
                    campaign_id: campaign_id.clone(),
                    draw_index,
                    leaf_index: leaf.index,
                    leaf_hash,
                });
                Ok(Ok((leaf, phone_salt, false)))
            })();
            match outcome {
                Ok(result) => {
                    let keep = result.is_ok();
                    JobOutcome {
                        keep,
                        finish: Box::new(move |committed| {
                            // A failed commit stores nothing: the caller gets a 503, not a ticket.
                            if committed {
                                let _ = tx.send(result);
                            }
                        }),
                    }
                }
                Err(e) => {
                    tracing::error!(%e, "entry job failed");
                    JobOutcome {
                        keep: false,
                        finish: Box::new(move |_| drop(tx)),
                    }
                }
            }
        }))
        .map_err(|_| AppError::unavailable())?;
    // Not committed (the database failed or went away): nothing was stored.
    rx.await.map_err(|_| AppError::unavailable())
}

fn parse_ticket(s: &str) -> ApiResult<TicketId> {
    TicketId::from_hex(s).ok_or_else(|| AppError::not_found("该奖券", "ticket"))
}

/// `GET /api/campaigns/{id}/tickets/{ticket_id}`: the ticket id is the capability.
pub async fn ticket_status(
    State(state): State<AppState>,
    Path((id, ticket)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ticket = parse_ticket(&ticket)?;
    let key = id.clone();
    let found = read(&state, move |c| db::ticket(c, &key, ticket.0.as_slice())).await?;
    let Some((draw_index, leaf_json)) = found else {
        return Err(AppError::not_found("该奖券", "ticket"));
    };
    let leaf: Leaf = serde_json::from_str(&leaf_json).map_err(AppError::internal)?;
    let (row, draws) = load(&state, &id, false).await?;
    let draw = draws.iter().find(|d| d.index == draw_index);
    let (leaf_hash, promise) = state.promise(&row, draw_index, &leaf);
    let mut v = json!({ "ticket_id": ticket, "campaign_id": id, "draw_index": draw_index, "leaf_index": leaf.index,
        "leaf": leaf, "leaf_hash": leaf_hash, "promise": promise, "status": "waiting_for_freeze" });
    if let Some(f) = draw.and_then(|d| d.freeze.clone()) {
        state.caught_up(&id, [draw_index]).await?;
        let (_, proof, _) = state.ledger_proof(&id, draw_index, leaf.index, f.freeze.tree_size)?;
        v["status"] = json!("in_frozen_ledger");
        v["freeze"] = json!(f);
        v["inclusion_proof"] = json!(proof);
    }
    if let Some(record) = draw
        .filter(|d| d.state == "published")
        .and_then(|d| d.record.as_ref())
    {
        use fairdraw_core::claims::{Holder, Standing};
        let key = id.clone();
        let forfeits = read(&state, move |c| db::forfeits(c, &key, draw_index)).await?;
        let claims = claims_of(record, &forfeits);
        let who = if let Some(w) = record.winners.iter().find(|w| w.ticket_id == ticket) {
            Some(Holder::Winner(w.rank))
        } else {
            record
                .alternates
                .iter()
                .find(|a| a.ticket_id == ticket)
                .map(|a| Holder::Alternate(a.rank))
        };
        let prize_name = |p: u32| record.winners.get(p as usize).and_then(|w| w.prize.clone());
        match who.and_then(|h| claims.standing(h)) {
            Some(Standing::Holds { prize, stepped_in }) => {
                v["status"] = json!("won");
                v["prize_rank"] = json!(prize);
                v["prize"] = json!(prize_name(prize));
                v["stepped_in"] = json!(stepped_in);
            }
            Some(Standing::Forfeited { prize }) => {
                v["status"] = json!("forfeited");
                v["prize_rank"] = json!(prize);
                v["prize"] = json!(prize_name(prize));
            }
            Some(Standing::Waiting { rank }) => {
                v["status"] = json!("alternate");
                v["alternate_rank"] = json!(rank);
            }
            None => v["status"] = json!("not_selected"),
        }
    }
    Ok(Json(v))
}

fn frozen_or_current(draw: Option<&DrawRow>, current: u64) -> u64 {
    draw.and_then(|d| d.freeze.as_ref())
        .map_or(current, |f| f.freeze.tree_size)
}

/// `GET …/draws/{n}/ledger`: the public leaves as JSON Lines (up to the freeze, once frozen).
///
/// A frozen draw's ledger never changes: it is written once to a file in the data folder (named
/// by its root) and served from there, streamed, with an `ETag` (the root) and ranges, so a
/// hundred downloads of a million entries cost neither memory nor database connections. Before
/// the freeze the rows are read in one pass.
pub async fn ledger(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    req: axum::extract::Request,
) -> ApiResult<axum::response::Response> {
    let (_, draws) = load(&state, &id, false).await?;
    state.caught_up(&id, [n]).await?;
    let current = state.ledger_size(&id, n);
    let draw = draws.iter().find(|d| d.index == n);
    if let Some(f) = draw.and_then(|d| d.freeze.clone()) {
        let etag = format!("\"{}\"", f.freeze.root);
        if req
            .headers()
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes())
        {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
        }
        let path = frozen_ledger_file(&state, &id, n, f.freeze.tree_size, &f.freeze.root).await?;
        let file = tower_http::services::ServeFile::new(&path).precompressed_gzip();
        let mut resp = tower::ServiceExt::oneshot(file, req)
            .await
            .map_err(AppError::internal)?
            .map(axum::body::Body::new);
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
        );
        h.insert(
            header::ETAG,
            header::HeaderValue::from_str(&etag).map_err(AppError::internal)?,
        );
        return Ok(resp);
    }
    // Before the freeze: streamed in pages of rows, each page its own short read (a long read
    // would pin the WAL), so memory stays at one page however long the ledger. The ledger only
    // grows, so the pages below `size` are the same whichever snapshot reads them.
    let size = frozen_or_current(draw, current);
    let stream = futures_util::stream::unfold(0u64, move |from| {
        let (state, id) = (state.clone(), id.clone());
        async move {
            if from >= size {
                return None;
            }
            let to = (from + LEDGER_PAGE).min(size);
            let page = read(&state, move |c| {
                let mut out = Vec::with_capacity(((to - from) * 330) as usize);
                db::each_leaf_line(c, &id, n, from, to, |line| {
                    out.extend_from_slice(line);
                    out.push(b'\n');
                    Ok(())
                })?;
                Ok(out)
            })
            .await;
            match page {
                Ok(bytes) => Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(bytes)), to)),
                // A failed page ends the body early: the client sees a short ledger, whose root
                // will not match any signed head.
                Err(e) => Some((Err(std::io::Error::other(e.message_en)), size)),
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

/// Leaves per page of a streamed ledger.
const LEDGER_PAGE: u64 = 4_096;

/// The file of a frozen draw's ledger (`DATA/ledgers/<campaign>-<draw>-<root>.jsonl`), written
/// once (to a temporary name, then renamed, so a reader never sees half a file) and checked
/// against the freeze's size before it is renamed into place.
async fn frozen_ledger_file(
    state: &AppState,
    id: &str,
    n: u32,
    size: u64,
    root: &Hash32,
) -> ApiResult<std::path::PathBuf> {
    let dir = state.data_dir.join("ledgers");
    let path = dir.join(format!("{id}-{n}-{root}.jsonl"));
    if path.exists() {
        return Ok(path);
    }
    // One writer: a hundred first downloads at once wait for one file, not write a hundred.
    let _one = state.ledger_files.lock().await;
    if path.exists() {
        return Ok(path);
    }
    let (key, target) = (id.to_owned(), path.clone());
    read(state, move |c| {
        let io = crate::sql::Error::data;
        std::fs::create_dir_all(&dir).map_err(io)?;
        // A name of its own: two first downloads at once each write their own copy.
        let tag = hex::encode(crate::state::random_16().map_err(io)?);
        let tmp = dir.join(format!(".{key}-{n}-{tag}.tmp"));
        let tmp_gz = dir.join(format!(".{key}-{n}-{tag}.gz.tmp"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(std::fs::File::create(&tmp_gz).map_err(io)?),
            flate2::Compression::default(),
        );
        let mut written = 0u64;
        use std::io::Write;
        db::each_leaf_line(c, &key, n, 0, size, |line| {
            for w in [&mut out as &mut dyn Write, &mut gz] {
                w.write_all(line).map_err(io)?;
                w.write_all(b"\n").map_err(io)?;
            }
            written += 1;
            Ok(())
        })?;
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        let gz_file = gz
            .finish()
            .map_err(io)?
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        gz_file.sync_all().map_err(io)?;
        if written != size {
            let _ = std::fs::remove_file(&tmp);
            let _ = std::fs::remove_file(&tmp_gz);
            return Err(io(std::io::Error::other(
                "the ledger is shorter than its freeze",
            )));
        }
        // The gzip first: once the plain file exists, both do.
        std::fs::rename(&tmp_gz, format!("{}.gz", target.display())).map_err(io)?;
        std::fs::rename(&tmp, &target).map_err(io)?;
        Ok(())
    })
    .await?;
    Ok(path)
}

/// `GET …/draws/{n}/tree-head`: a freshly signed head of the ledger now, and the signed
/// freeze once there is one.
pub async fn tree_head(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let (row, draws) = load(&state, &id, false).await?;
    if row.rules.draw(n).is_none() {
        return Err(AppError::not_found("该期抽奖", "draw"));
    }
    let freeze = draws
        .iter()
        .find(|d| d.index == n)
        .and_then(|d| d.freeze.clone());
    state.caught_up(&id, [n]).await?;
    let (size, root) = state.ledger_root(&id, n)?;
    let head = TreeHead {
        rules_hash: row.rules_hash,
        campaign_id: id,
        draw_index: n,
        tree_size: size,
        root,
        timestamp_ms: state.now_ms(),
    };
    Ok(Json(json!({
        "frozen": freeze.is_some(),
        "signed_tree_head": head.sign(&state.keys.signing),
        "freeze": freeze,
    })))
}

/// The origin line of a draw's log (SPEC.md §16.1): `fairdraw/<first 16 hex digits of the rules
/// hash>/<campaign>/<draw>`, unique per published rules, and the log's signed-note key name.
pub fn log_origin(rules_hash: &Hash32, campaign: &str, draw: u32) -> String {
    fairdraw_core::journal::ledger_origin(rules_hash, campaign, draw)
}

/// `GET /api/campaigns/{id}/witnesses`: the campaign's witnessed journal (SPEC.md §17): its
/// origin and log vkey, the rules' witnesses with what each has cosigned (and the last error),
/// the journal's events and every cosigned checkpoint.
pub async fn witnesses(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (row, _) = load(&state, &id, false).await?;
    let st = state.clone();
    let rules = row.rules.clone();
    let (states, witnessing) = read(&state, move |c| {
        Ok((
            crate::witnessing::states(&st, c, &rules)?,
            crate::witnessing::witnessing(c, &rules, &st.keys.signing)?,
        ))
    })
    .await?;
    Ok(Json(json!({
        "origin": fairdraw_core::journal::journal_origin(&row.rules_hash, &id),
        "log_vkey": fairdraw_core::journal::journal_vkey(&row.rules),
        "quorum": row.rules.witness_quorum,
        "witnesses": states,
        "witnessing": witnessing,
    })))
}

/// `GET /api/campaigns/{id}/journal/checkpoint`: the journal's checkpoint now (SPEC.md §17.1),
/// signed by the journal key, with the cosignatures the witnesses gave for exactly that size;
/// the header `X-Fairdraw-Log-Vkey` carries the journal vkey. A C2SP client reads it as is.
pub async fn journal_checkpoint(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (row, _) = load(&state, &id, false).await?;
    let (rules, signing) = (row.rules.clone(), state.keys.signing.clone());
    let note = read(&state, move |c| {
        let events = crate::witnessing::journal(c, &rules.id)?;
        let hashes: Vec<Hash32> = events
            .iter()
            .map(fairdraw_core::journal::Event::leaf_hash)
            .collect();
        let lines: String = db::cosignatures(c, &rules.id)?
            .into_iter()
            .filter(|x| x.size == hashes.len() as u64)
            .map(|x| x.line)
            .collect();
        Ok(fairdraw_core::journal::signed_checkpoint(&rules, &signing, &hashes) + &lines)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::HeaderName::from_static("x-fairdraw-log-vkey"),
                fairdraw_core::journal::journal_vkey(&row.rules),
            ),
        ],
        note,
    ))
}

/// `GET …/draws/{n}/checkpoint`: the draw's log now, as a C2SP checkpoint (SPEC.md §16) signed
/// by the server's key as a signed-note key named by the origin; extension lines name the rules
/// hash and, once frozen, the freeze's hash. Any C2SP witness or client reads it.
pub async fn checkpoint(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<impl IntoResponse> {
    use fairdraw_core::checkpoint::{Checkpoint, NoteSigner, signed_note};
    let (row, draws) = load(&state, &id, false).await?;
    if row.rules.draw(n).is_none() {
        return Err(AppError::not_found("该期抽奖", "draw"));
    }
    let freeze = draws
        .iter()
        .find(|d| d.index == n)
        .and_then(|d| d.freeze.as_ref().map(|f| f.freeze.hash()));
    state.caught_up(&id, [n]).await?;
    let (size, root) = state.ledger_root(&id, n)?;
    let origin = log_origin(&row.rules_hash, &id, n);
    let mut extensions = vec![format!("fairdraw/rules {}", row.rules_hash)];
    if let Some(f) = freeze {
        extensions.push(format!("fairdraw/freeze {f}"));
    }
    let text = Checkpoint {
        origin: origin.clone(),
        size,
        root,
        extensions,
    }
    .text()
    .map_err(AppError::internal)?;
    let signer = NoteSigner::new(&origin, state.keys.signing.clone());
    let note = signed_note(&text, &[&signer]).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::HeaderName::from_static("x-fairdraw-log-vkey"),
                signer.vkey(),
            ),
        ],
        note,
    ))
}

/// Query of the proof endpoint.
#[derive(Debug, Deserialize)]
pub struct SizeQuery {
    size: Option<u64>,
}

/// `GET …/draws/{n}/proof/{index}?size=`: inclusion proof (default size: frozen, else current).
pub async fn proof(
    State(state): State<AppState>,
    Path((id, n, index)): Path<(String, u32, u64)>,
    Query(q): Query<SizeQuery>,
) -> ApiResult<Json<Value>> {
    let (_, draws) = load(&state, &id, false).await?;
    state.caught_up(&id, [n]).await?;
    let current = state.ledger_size(&id, n);
    let size = q
        .size
        .unwrap_or_else(|| frozen_or_current(draws.iter().find(|d| d.index == n), current));
    if size > current || index >= size {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INDEX_OUT_OF_RANGE",
            format!("序号 {index} 不在大小为 {size} 的名单中。"),
            format!("Leaf {index} is not in a tree of size {size}."),
        ));
    }
    let (leaf_hash, proof, root) = state.ledger_proof(&id, n, index, size)?;
    Ok(Json(
        json!({ "leaf_index": index, "tree_size": size, "leaf_hash": leaf_hash, "root": root, "proof": proof }),
    ))
}

/// Query of the consistency endpoint.
#[derive(Debug, Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// `GET …/draws/{n}/consistency?from=&to=`.
pub async fn consistency(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    load(&state, &id, false).await?;
    state.caught_up(&id, [n]).await?;
    let current = state.ledger_size(&id, n);
    let to = q.to.unwrap_or(current);
    if q.from == 0 || q.from > to || to > current {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_SIZES",
            "无法在这两个大小之间证明一致性。",
            format!("Cannot prove consistency from {} to {to}.", q.from),
        ));
    }
    let from = q.from;
    let out = state.with_tree(&id, n, |t| {
        Some((
            t.consistency_proof(from, to).ok()?,
            t.root_at(from)?,
            t.root_at(to)?,
        ))
    })?;
    let (proof, from_root, to_root) =
        out.ok_or_else(|| AppError::internal("ledger shorter than asked"))?;
    Ok(Json(
        json!({ "from": from, "to": to, "from_root": from_root, "to_root": to_root, "proof": proof }),
    ))
}

/// `GET …/draws/{n}/bundle`: the published draw's proof bundle (SPEC.md §12.1), a few
/// kilobytes that let a phone verify the draw without the ledger.
pub async fn bundle(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<impl IntoResponse> {
    load(&state, &id, false).await?;
    let found = read(&state, move |c| db::published_bundle(c, &id, n)).await?;
    let text =
        found.ok_or_else(|| AppError::not_found("已公布的证明包", "published proof bundle"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text))
}

/// `GET …/draws/{n}/record`: the published draw record.
pub async fn record(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let (_, draws) = load(&state, &id, false).await?;
    draws
        .into_iter()
        .find(|d| d.index == n && d.state == "published")
        .and_then(|d| d.record)
        .map(|r| Json(json!(r)))
        .ok_or_else(|| AppError::not_found("已公布的抽奖记录", "published record"))
}

impl AppState {
    /// The leaf hash and the server's signed promise for a leaf. Ed25519 signatures are
    /// deterministic, so the promise handed out at entry and the one re-read later are equal.
    pub fn promise(
        &self,
        row: &CampaignRow,
        draw_index: u32,
        leaf: &Leaf,
    ) -> (Hash32, TicketPromise) {
        let leaf_hash = leaf.leaf_hash();
        let promise = TicketPromise::sign(
            &self.keys.signing,
            row.rules_hash,
            &row.rules.id,
            draw_index,
            leaf.index,
            leaf_hash,
            leaf.entered_at_ms,
        );
        (leaf_hash, promise)
    }

    /// A campaign, from the in-memory cache or the database. Only open campaigns are kept: their
    /// rules and state no longer change, so a copy is never stale, even when another server
    /// sharing the database opened it (a draft is read afresh each time).
    pub async fn campaign_cached(&self, id: &str) -> ApiResult<std::sync::Arc<CampaignRow>> {
        if let Some(row) = self.campaigns.read().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(row);
        }
        let key = id.to_owned();
        let row = read(self, move |c| db::campaign(c, &key))
            .await?
            .ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
        let row = std::sync::Arc::new(row);
        if row.state == "open"
            && let Ok(mut m) = self.campaigns.write()
        {
            m.insert(id.to_owned(), row.clone());
        }
        Ok(row)
    }

    /// Forgets cached campaigns (after an organizer changes one).
    pub fn forget_campaign(&self, id: &str) {
        if let Ok(mut m) = self.campaigns.write() {
            m.remove(id);
        }
    }

    /// Brings draws' in-memory ledgers up to the database before they are read: on PostgreSQL,
    /// other servers append too (one indexed query a draw, on one connection; nothing on
    /// SQLite, whose only writer is this server).
    pub async fn caught_up(&self, id: &str, draws: impl IntoIterator<Item = u32>) -> ApiResult<()> {
        if !self.store.is_postgres() {
            return Ok(());
        }
        let (ledgers, id) = (self.store.ledgers().clone(), id.to_owned());
        let draws: Vec<u32> = draws.into_iter().collect();
        read(self, move |c| {
            draws
                .iter()
                .try_for_each(|n| crate::store::catch_up(c, &ledgers, &id, *n))
        })
        .await
    }

    /// Number of leaves in a draw's ledger now.
    pub fn ledger_size(&self, id: &str, n: u32) -> u64 {
        self.store
            .ledgers()
            .read()
            .ok()
            .and_then(|m| m.get(&(id.to_owned(), n)).map(|l| l.tree.size()))
            .unwrap_or(0)
    }

    /// Runs `f` on a draw's tree under the read lock (proofs are O(log² n): microseconds).
    pub fn with_tree<T>(
        &self,
        id: &str,
        n: u32,
        f: impl FnOnce(&fairdraw_core::merkle::MerkleLevels) -> T,
    ) -> ApiResult<T> {
        let map = self.store.ledgers().read().map_err(AppError::internal)?;
        let empty = fairdraw_core::merkle::MerkleLevels::new();
        Ok(f(map.get(&(id.to_owned(), n)).map_or(&empty, |l| &l.tree)))
    }

    /// Leaf `index`'s hash, its inclusion proof and the root, in the first `size` leaves.
    pub fn ledger_proof(
        &self,
        id: &str,
        n: u32,
        index: u64,
        size: u64,
    ) -> ApiResult<(Hash32, Vec<Hash32>, Hash32)> {
        self.with_tree(id, n, |t| {
            let proof = t.inclusion_proof(index, size).ok()?;
            Some((t.leaves()[index as usize], proof, t.root_at(size)?))
        })?
        .ok_or_else(|| AppError::internal("ledger shorter than its tree head"))
    }

    /// Size and root of a draw's ledger now.
    pub fn ledger_root(&self, id: &str, n: u32) -> ApiResult<(u64, Hash32)> {
        let map = self.store.ledgers().read().map_err(AppError::internal)?;
        Ok(map
            .get(&(id.to_owned(), n))
            .map_or((0, merkle::empty_root()), |l| {
                let size = l.tree.size();
                (
                    size,
                    l.tree.root_at(size).unwrap_or_else(merkle::empty_root),
                )
            }))
    }
}
