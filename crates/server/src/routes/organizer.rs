//! Organizer API: login, campaign setup, commitments, freeze, records, winners, audit log.
//! Every route but login sits behind [`crate::auth::require_organizer`].

use crate::auth::{
    SESSION_COOKIE, SESSION_MS, hash_password, session_token, token_hash, verify_password,
};
use crate::db;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiJson;
use crate::routes::public::{campaign_json, campaign_list, load, read, results};
use crate::sql::Conn;
use crate::state::{AppState, random_32};
use crate::store::JobOutcome;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fairdraw_core::freeze::Freeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::journal::Event;
use fairdraw_core::ledger::{Ledger, TicketId, parse_leaf_line};
use fairdraw_core::record::DrawRecord;
use fairdraw_core::rules::{CampaignRules, Merchant};
use fairdraw_core::seed::{SeedCommitment, SeedSecret, commitment};
use serde::Deserialize;
use serde_json::{Value, json};

/// Runs a write job and waits for its durable result.
pub async fn write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(Conn, &AppState) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel::<ApiResult<T>>();
    let st = state.clone();
    state
        .store
        .write(Box::new(move |conn, _effects| {
            let result = f(conn, &st);
            JobOutcome {
                keep: result.is_ok(),
                finish: Box::new(move |committed| {
                    let _ = tx.send(if committed {
                        result
                    } else {
                        Err(AppError::unavailable())
                    });
                }),
            }
        }))
        .map_err(|_| AppError::unavailable())?;
    let done = rx.await.map_err(|_| AppError::unavailable())?;
    // Committed (or not): pages served from now on read the campaign afresh.
    if let Ok(mut served) = state.served_pages.lock() {
        served.changed();
    }
    done
}

fn lifecycle_owned(code: &'static str, zh: String, en: String) -> AppError {
    AppError::conflict(code, zh, en)
}

fn lifecycle(code: &'static str, zh: &str, en: &str) -> AppError {
    AppError::conflict(code, zh, en)
}

/// The body of a login.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    password: String,
}

/// The login limiter's key: the client's address as [`crate::limits::Limits::client_ip`] reads
/// it (a forwarded-for header counts only when a trusted proxy header is configured).
fn client_key(
    state: &AppState,
    req_headers: &HeaderMap,
    addr: Option<std::net::SocketAddr>,
) -> String {
    state
        .limits
        .client_ip(req_headers, addr)
        .map_or_else(|| "local".into(), |a| a.to_string())
}

/// `POST /api/organizer/login`.
pub async fn login(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    let addr = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let client = client_key(&state, req.headers(), addr);
    // Only well-formed attempts count: a malformed body is refused before any limit is used.
    let ApiJson(body) = ApiJson::<Login>::from_request_ok(req, &state).await?;
    let stored = read(&state, db::password_hash).await?;
    if let Some(h) = &stored {
        state.logins.against(h);
    }
    let wait = state.logins.backoff_ms(state.now_ms());
    if wait > 0 {
        let s = wait.div_ceil(1000);
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_BACKOFF",
            format!("密码连续错误多次，请 {s} 秒后再试。忘记密码可在服务器上用 --reset-organizer-password 重设。"),
            format!("Too many wrong passwords in a row; try again in {s} s. A forgotten password can be reset on the server with --reset-organizer-password."),
        )
        .retry_after(s));
    }
    if !state.logins.allow(&client, state.now_ms()) {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_RATE_LIMITED",
            "登录尝试过于频繁，请一分钟后再试。",
            "Too many login attempts; try again in a minute.",
        )
        .retry_after(60));
    }
    let password = body.password;
    // argon2 takes about 20 MiB a hash: a few at once, the rest told to retry.
    let _hashing = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        state.limits.hashing.acquire(),
    )
    .await
    .map_err(|_| AppError::busy("LOGIN_BUSY", 2))?
    .map_err(AppError::internal)?;
    let ok = match stored {
        Some(hash) => tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(AppError::internal)?,
        None => false,
    };
    if !ok {
        state.logins.failed(state.now_ms());
        // Every wrong guess is in the audit log, with where it came from.
        let from = client.clone();
        let _ = write(&state, move |c, st| {
            Ok(db::audit(
                c,
                st.now_ms(),
                "organizer.login_failed",
                &json!({ "client": from }),
            )?)
        })
        .await;
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "LOGIN_FAILED",
            "密码不正确。",
            "Wrong password.",
        ));
    }
    state.logins.succeeded();
    let token = hex::encode(random_32().map_err(AppError::internal)?);
    let hash = token_hash(&token);
    let expires = state.now_ms() + SESSION_MS;
    write(&state, move |c, st| {
        db::start_session(c, &hash, expires, st.now_ms())?;
        db::audit(c, st.now_ms(), "organizer.login", &json!({}))?;
        Ok(())
    })
    .await?;
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_MS / 1000
    );
    let mut resp = Json(json!({ "logged_in": true, "expires_at_ms": expires })).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(resp)
}

impl<T: serde::de::DeserializeOwned> ApiJson<T> {
    /// Extracts from a request already taken apart by a handler.
    pub async fn from_request_ok(req: Request, state: &AppState) -> ApiResult<Self> {
        <ApiJson<T> as axum::extract::FromRequest<AppState>>::from_request(req, state).await
    }
}

/// `POST /api/organizer/logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = session_token(&headers) {
        let hash = token_hash(&token);
        write(&state, move |c, _| Ok(db::end_session(c, &hash)?)).await?;
    }
    let mut resp = Json(json!({ "logged_in": false })).into_response();
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(resp)
}

/// `GET /api/organizer/session`: reachable only with a session.
pub async fn session() -> Json<Value> {
    Json(json!({ "logged_in": true }))
}

fn validated(mut rules: CampaignRules, state: &AppState) -> ApiResult<CampaignRules> {
    // The server signs; its key is part of the rules, whatever the request said.
    rules.server_key = state.keys.signing.verifying_key().to_bytes();
    rules.validate().map_err(|e| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RULES_INVALID",
            format!("活动规则有误（{}）：{}", e.field, e.problem),
            format!("Invalid rules ({}): {}", e.field, e.problem),
        )
    })?;
    Ok(rules)
}

/// `GET /api/organizer/campaigns`: every campaign, drafts included.
pub async fn list_campaigns(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    campaign_list(&state, true).await.map(Json)
}

/// Inserts a draft campaign.
pub fn insert_draft(c: Conn, rules: &CampaignRules, now_ms: u64) -> ApiResult<()> {
    if !db::insert_draft(c, rules, now_ms)? {
        return Err(lifecycle(
            "CAMPAIGN_EXISTS",
            "已有同名活动。",
            "A campaign with that id exists.",
        ));
    }
    db::audit(c, now_ms, "campaign.create", &json!({ "id": rules.id }))?;
    Ok(())
}

/// `POST /api/organizer/campaigns`: a new draft.
pub async fn create_campaign(
    State(state): State<AppState>,
    ApiJson(rules): ApiJson<CampaignRules>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let rules = validated(rules, &state)?;
    let id = rules.id.clone();
    write(&state, move |c, st| insert_draft(c, &rules, st.now_ms())).await?;
    Ok((
        StatusCode::CREATED,
        Json(campaign_json(&state, &id, true).await?),
    ))
}

/// `GET /api/organizer/campaigns/{id}`: drafts included.
pub async fn get_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    campaign_json(&state, &id, true).await.map(Json)
}

fn replace_draft(
    c: Conn,
    id: &str,
    rules: &CampaignRules,
    now: u64,
    action: &str,
) -> ApiResult<()> {
    let row = db::campaign(c, id)?.ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
    if row.state != "draft" {
        return Err(lifecycle(
            "RULES_FROZEN",
            "活动已开始，规则不可再改。",
            "The campaign is open; its rules can no longer change.",
        ));
    }
    if rules.id != id {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RULES_INVALID",
            "规则中的活动编号不能更改。",
            "The rules' id cannot change.",
        )
        .field("id"));
    }
    db::replace_rules(c, id, rules)?;
    db::audit(
        c,
        now,
        action,
        &json!({ "id": id, "rules_hash": rules.hash() }),
    )?;
    Ok(())
}

/// `PUT /api/organizer/campaigns/{id}`: edit a draft.
pub async fn update_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(rules): ApiJson<CampaignRules>,
) -> ApiResult<Json<Value>> {
    save_draft(&state, id, rules, "campaign.edit").await
}

/// Validates and stores a draft's new rules (audited as `action`); answers with the campaign.
async fn save_draft(
    state: &AppState,
    id: String,
    rules: CampaignRules,
    action: &'static str,
) -> ApiResult<Json<Value>> {
    let rules = validated(rules, state)?;
    let key = id.clone();
    write(state, move |c, st| {
        replace_draft(c, &key, &rules, st.now_ms(), action)
    })
    .await?;
    state.forget_campaign(&id);
    campaign_json(state, &id, true).await.map(Json)
}

/// Parses merchants from CSV (the core's format), naming the first bad line.
pub fn parse_merchants_csv(text: &str) -> ApiResult<Vec<Merchant>> {
    fairdraw_core::rules::merchants_from_csv(text).map_err(|line| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "CSV_MALFORMED",
            format!("第 {line} 行应为“编号,名称”。"),
            format!("Line {line} should be `id,name`."),
        )
    })
}

/// `POST /api/organizer/campaigns/{id}/merchants`: replace a draft's merchants from CSV.
pub async fn import_merchants(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: String,
) -> ApiResult<Json<Value>> {
    let merchants = parse_merchants_csv(&body)?;
    let (row, _) = load(&state, &id, true).await?;
    let mut rules = row.rules.clone();
    rules.merchants = merchants;
    save_draft(&state, id, rules, "campaign.merchants").await
}

/// Opens a draft campaign (used by the route and by `--demo`).
pub fn open_campaign_in(c: Conn, id: &str, now: u64) -> ApiResult<()> {
    let row = db::campaign(c, id)?.ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
    if row.state != "draft" {
        return Err(lifecycle(
            "ALREADY_OPEN",
            "活动已经开始。",
            "The campaign is already open.",
        ));
    }
    let hash = row.rules.hash();
    db::mark_open(c, id, &hash, now, row.rules.draws.len())?;
    db::audit(
        c,
        now,
        "campaign.open",
        &json!({ "id": id, "rules_hash": hash }),
    )?;
    Ok(())
}

/// `POST /api/organizer/campaigns/{id}/open`: rules become immutable and their hash public.
pub async fn open_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let key = id.clone();
    write(&state, move |c, st| open_campaign_in(c, &key, st.now_ms())).await?;
    state.forget_campaign(&id);
    campaign_json(&state, &id, true).await.map(Json)
}

/// The body of a commitment.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentBody {
    party: String,
    commitment: Hash32,
}

/// `POST …/draws/{n}/commitments`: only the commitment is sent; the secret stays with its holder.
pub async fn add_commitment(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(body): ApiJson<CommitmentBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let key = id.clone();
    let saved = write(&state, move |c, st| {
        let now = st.now_ms();
        let row = db::campaign(c, &key)?.ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
        if row.state != "open" {
            return Err(lifecycle("CAMPAIGN_NOT_OPEN", "活动开始（规则固定）后才能提交承诺。", "Commit after the campaign opens and its rules are fixed."));
        }
        let draw = row.rules.draw(n).ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?;
        if !draw.seed_parties.contains(&body.party) {
            return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "UNKNOWN_PARTY", "规则中没有这个种子参与方。", "The rules name no such seed party.").field("party"));
        }
        if now >= draw.closes_at_ms() {
            return Err(lifecycle("COMMIT_AFTER_CLOSE", "本期登记已截止，不能再提交承诺。", "Entries have closed; commitments can no longer be made."));
        }
        let saved = SeedCommitment { party: body.party.clone(), commitment: body.commitment, published_at_ms: now };
        if !db::insert_commitment(c, &key, n, &saved)? {
            return Err(lifecycle("ALREADY_COMMITTED", "该参与方已提交过承诺。", "That party has already committed."));
        }
        db::audit(c, now, "draw.commit", &json!({ "campaign": key, "draw": n, "party": body.party, "commitment": body.commitment }))?;
        // Its own journal entry, so a witness's clock, not only ours, says it came before the
        // close (SPEC.md §17).
        crate::witnessing::append(c, &key, &Event::Commitment { draw_index: n, party: body.party.clone(), commitment: body.commitment, at_ms: now })?;
        Ok(saved)
    })
    .await?;
    state.witnesses.poke();
    Ok((StatusCode::CREATED, Json(json!(saved))))
}

/// `POST …/draws/{n}/freeze`: sign the freeze; no entry joins this draw afterwards.
///
/// It runs as a writer job, so it is serialised with every entry: entries queued before it are
/// in the frozen tree, entries after it see the draw frozen and are refused. Its time is
/// strictly after every frozen leaf's acknowledgement, even within one millisecond.
pub async fn freeze(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let key = id.clone();
    let signed = write(&state, move |c, st| {
        let now = st.now_ms();
        let row = db::campaign(c, &key)?.ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
        let draw_rules = row.rules.draw(n).ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?.clone();
        let draw = db::draw(c, &key, n)?.ok_or_else(|| lifecycle("CAMPAIGN_NOT_OPEN", "活动尚未开始。", "The campaign is not open."))?;
        if draw.state != "collecting" {
            return Err(lifecycle("ALREADY_FROZEN", "本期名单已经冻结。", "This draw's ledger is already frozen."));
        }
        if now < draw_rules.closes_at_ms() {
            return Err(lifecycle("WINDOW_STILL_OPEN", "本期登记尚未截止，不能冻结。", "This draw's entry window is still open."));
        }
        if now >= draw_rules.reveal_deadline_ms {
            return Err(lifecycle("REVEAL_DEADLINE_PASSED", "揭示截止时间已过，本期无法再冻结和开奖。", "The reveal deadline has passed; this draw can no longer be frozen and drawn."));
        }
        let commitments = db::commitments(c, &key, n, &draw_rules.seed_parties)?;
        if commitments.len() != draw_rules.seed_parties.len() {
            return Err(lifecycle("COMMITMENTS_MISSING", "还有种子参与方未提交承诺。", "Not every seed party has committed."));
        }
        // From the table, inside this transaction: an entry committed earlier in the same batch
        // is not in the in-memory ledger yet, and must not end up acknowledged but outside the
        // frozen tree (nor, on PostgreSQL, one accepted by any server and still queued).
        db::settle_entries(c, &key, n)?;
        let (leaves, last_entry) = db::weighted_leaves(c, &key, n)?;
        let frozen_at = last_entry.map_or(now, |t| now.max(t + 1));
        let signed = Freeze::of_leaves(row.rules_hash, &key, n, leaves, commitments, frozen_at)
            .map_err(|e| AppError::internal(e.to_string()))?
            .sign(&st.keys.signing);
        db::set_frozen(c, &key, n, &signed)?;
        let f = &signed.freeze;
        db::audit(c, now, "draw.freeze", &json!({ "campaign": key, "draw": n, "tree_size": f.tree_size, "root": f.root,
            "total_weight": f.total_weight, "draw_root": f.draw_root, "frozen_at_ms": f.frozen_at_ms }))?;
        let at = crate::witnessing::append(c, &key, &Event::Freeze { draw_index: n, freeze_hash: f.hash(), at_ms: f.frozen_at_ms })?;
        Ok((signed, row.rules, at))
    })
    .await?;
    let (signed, rules, at) = signed;
    // The freeze stands once signed; the witnesses' quorum is what lets reveals begin. Wait for
    // it here so the organizer sees at once whether it came, and who did not answer.
    let witnessed = match crate::witnessing::wait_for_quorum(&state, &rules, at).await {
        Ok(()) => json!({ "ok": true }),
        Err(e) => {
            json!({ "ok": false, "code": e.code, "message_zh": e.message_zh, "message_en": e.message_en })
        }
    };
    Ok(Json(json!({ "freeze": signed, "witnessed": witnessed })))
}

/// A seed party's reveal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// The party, as the rules name it.
    pub party: String,
    /// Its 32-byte secret.
    pub secret: SeedSecret,
}

/// `POST …/draws/{n}/reveals`: a secret, after the freeze and by the reveal deadline. The
/// server records when it received it; the record must carry that time.
pub async fn add_reveal(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(body): ApiJson<RevealBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let key = id.clone();
    let saved = write(&state, move |c, st| {
        let now = st.now_ms();
        let row = db::campaign(c, &key)?.ok_or_else(|| AppError::not_found("该活动", "campaign"))?;
        let rules = row.rules.draw(n).ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?.clone();
        let draw = db::draw(c, &key, n)?.ok_or_else(|| lifecycle("CAMPAIGN_NOT_OPEN", "活动尚未开始。", "The campaign is not open."))?;
        let Some(freeze) = draw.freeze.filter(|_| draw.state == "frozen") else {
            return Err(lifecycle("NOT_FROZEN", "名单冻结后、开奖前才能揭示种子。", "Reveal after the freeze and before the record."));
        };
        let Some(committed) = freeze.freeze.commitments.iter().find(|x| x.party == body.party) else {
            return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "UNKNOWN_PARTY", "冻结声明中没有这个种子参与方的承诺。", "The freeze holds no commitment from that party.").field("party"));
        };
        if commitment(&row.rules_hash, n, &body.party, &body.secret) != committed.commitment {
            return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "REVEAL_MISMATCH", "这个种子与该参与方的承诺不符。", "That secret does not open the party's commitment.").field("secret"));
        }
        if now <= freeze.freeze.frozen_at_ms {
            return Err(lifecycle("NOT_FROZEN", "名单冻结后才能揭示种子。", "Reveal after the freeze."));
        }
        if now > rules.reveal_deadline_ms {
            return Err(lifecycle("REVEAL_DEADLINE_PASSED", "揭示截止时间已过。", "The reveal deadline has passed."));
        }
        // Reveals begin only once a quorum of witnesses has cosigned the freeze: a secret is
        // never out while the ledger it seeds could still be swapped (SPEC.md §17.4).
        if !row.rules.witnesses.is_empty() {
            let events = crate::witnessing::journal(c, &key)?;
            let at = events.iter().position(|e| matches!(e, Event::Freeze { draw_index, .. } if *draw_index == n));
            let (count, silent) = match at {
                Some(at) => crate::witnessing::seen(c, &row.rules, at as u64)?,
                None => (0, row.rules.witnesses.iter().map(|w| w.name.clone()).collect()),
            };
            if count < row.rules.witness_quorum as usize {
                return Err(lifecycle_owned("FREEZE_NOT_WITNESSED",
                    format!("冻结声明尚未得到足够见证方联署（需要 {}，已有 {count}），暂不能揭示种子。未联署：{}。", row.rules.witness_quorum, silent.join("、")),
                    format!("The freeze is not yet cosigned by a quorum of witnesses ({count} of {}); secrets cannot be revealed yet. Not cosigned by: {}.", row.rules.witness_quorum, silent.join(", "))));
            }
        }
        let inserted = db::insert_reveal(c, &key, n, &fairdraw_core::seed::Reveal { party: body.party.clone(), secret: body.secret.clone(), revealed_at_ms: now })?;
        let reveal = db::reveals(c, &key, n, &rules.seed_parties)?
            .into_iter()
            .find(|x| x.party == body.party)
            .ok_or_else(|| AppError::internal("the reveal was not stored"))?;
        if inserted {
            db::audit(c, now, "draw.reveal", &json!({ "campaign": key, "draw": n, "party": body.party }))?;
            crate::witnessing::append(c, &key, &Event::Reveal { draw_index: n, party: reveal.party.clone(), secret: reveal.secret.clone(), at_ms: reveal.revealed_at_ms })?;
        }
        Ok((inserted, reveal))
    })
    .await?;
    state.witnesses.poke();
    // Revealing twice is harmless: the same secret gets the first time back.
    let status = if saved.0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(saved.1))))
}

/// Which leaves' phone openings the live draw needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningsBody {
    /// The placed leaves: winners, then alternates.
    pub leaves: Vec<u64>,
}

/// `POST …/draws/{n}/openings`: the masked phone and salt of at most prizes + alternates
/// leaves of a frozen draw, so the organizer's screen can complete the record it computed.
pub async fn openings(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(body): ApiJson<OpeningsBody>,
) -> ApiResult<Json<Value>> {
    let (row, draws) = crate::routes::public::load(&state, &id, false).await?;
    let rules = row
        .rules
        .draw(n)
        .ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?;
    let size = draws
        .iter()
        .find(|d| d.index == n)
        .and_then(|d| d.freeze.as_ref())
        .map(|f| f.freeze.tree_size)
        .ok_or_else(|| {
            lifecycle(
                "NOT_FROZEN",
                "名单冻结后才能开奖。",
                "Freeze the ledger first.",
            )
        })?;
    let places = rules.prizes.len() as u64 + u64::from(rules.alternates);
    if body.leaves.len() as u64 > places || body.leaves.iter().any(|i| *i >= size) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "OPENINGS_OUT_OF_RANGE",
            format!("最多可取 {places} 个已冻结名单中的中奖号码。"),
            format!("At most {places} leaves of the frozen ledger can be opened."),
        ));
    }
    let leaves = body.leaves.clone();
    let found = crate::routes::public::read(&state, move |c| {
        leaves
            .iter()
            .map(|i| db::phone_opening(c, &id, n, *i).map(|(phone, salt)| (*i, phone, salt)))
            .collect::<crate::sql::Result<Vec<_>>>()
    })
    .await?;
    let mut out = Vec::new();
    for (leaf_index, phone, salt) in found {
        let salt: [u8; 16] = salt
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| AppError::internal("an entry has no phone salt"))?;
        let digits = phone.trim_start_matches("synthetic:");
        let masked = fairdraw_core::phone::PhoneNumber::parse(digits)
            .map_err(|_| AppError::internal("a stored phone is malformed"))?
            .masked();
        out.push(json!({ "leaf_index": leaf_index, "phone_masked": masked, "phone_salt": hex::encode(salt) }));
    }
    Ok(Json(json!({ "openings": out })))
}

/// Loads a draw's ledger from the database.
pub fn load_ledger(c: Conn, id: &str, n: u32, size: u64) -> crate::sql::Result<Ledger> {
    let mut ledger = Ledger::default();
    db::each_leaf_line(c, id, n, 0, size, |line| {
        let text = std::str::from_utf8(line).map_err(crate::sql::Error::data)?;
        let leaf = parse_leaf_line(text, ledger.size()).map_err(crate::sql::Error::data)?;
        ledger.push(leaf);
        Ok(())
    })?;
    Ok(ledger)
}

/// `POST …/draws/{n}/record`: the core verifies the record against this server's ledger, rules,
/// freeze and commitments before it is accepted.
pub async fn submit_record(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(mut record): ApiJson<DrawRecord>,
) -> ApiResult<Json<Value>> {
    let (row, draws) = load(&state, &id, false).await?;
    let draw = draws
        .iter()
        .find(|d| d.index == n)
        .ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?;
    let Some(freeze) = draw.freeze.clone() else {
        return Err(lifecycle(
            "NOT_FROZEN",
            "名单冻结后才能提交抽奖记录。",
            "Freeze the ledger before submitting the record.",
        ));
    };
    if draw.state != "frozen" {
        return Err(lifecycle(
            "ALREADY_DRAWN",
            "本期已提交过抽奖记录。",
            "This draw already has a record.",
        ));
    }
    let parties = row
        .rules
        .draws
        .get(n as usize)
        .map(|d| d.seed_parties.clone())
        .unwrap_or_default();
    let key = id.clone();
    let size = freeze.freeze.tree_size;
    let (ledger, reveals) = read(&state, move |c| {
        Ok((
            load_ledger(c, &key, n, size)?,
            db::reveals(c, &key, n, &parties)?,
        ))
    })
    .await?;
    let mismatch = |what: &str| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RECORD_MISMATCH",
            format!("抽奖记录中的{what}与服务器不一致。"),
            format!("The record's {what} differ from the server's."),
        )
    };
    if record.rules != row.rules {
        return Err(mismatch("rules"));
    }
    if record.draw_index != n || record.freeze != freeze {
        return Err(mismatch("freeze"));
    }
    if record.reveals != reveals {
        return Err(mismatch("reveals"));
    }
    // The witnessed journal is the server's to attach: everything in it up to now, once a
    // quorum has cosigned all of it (the reveals included), with every cosigned checkpoint.
    record.witnessing = None;
    if !row.rules.witnesses.is_empty() {
        let key = id.clone();
        let len = read(&state, move |c| {
            crate::witnessing::journal(c, &key).map(|j| j.len())
        })
        .await?;
        crate::witnessing::wait_for_quorum(&state, &row.rules, len.saturating_sub(1) as u64)
            .await?;
        let (rules, signing) = (row.rules.clone(), state.keys.signing.clone());
        record.witnessing = Some(
            read(&state, move |c| {
                crate::witnessing::witnessing(c, &rules, &signing)
            })
            .await?,
        );
    }
    let anchor = fairdraw_core::verify::Anchor::Published(row.rules_hash);
    // Verified, then its proof bundle made once, while the ledger is in memory.
    let (report, bundle) = tokio::task::spawn_blocking({
        let record = record.clone();
        move || {
            let report = fairdraw_core::verify::verify_record(&record, &ledger, anchor);
            let bundle = fairdraw_core::bundle::make_bundle(&record, &ledger);
            (report, bundle)
        }
    })
    .await
    .map_err(AppError::internal)?;
    if !report.all_passed() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RECORD_FAILS_VERIFICATION",
            format!("抽奖记录未通过验证：{}", report.failed().join(", ")),
            format!(
                "The record fails verification: {}",
                report.failed().join(", ")
            ),
        ));
    }
    // A verified record whose bundle cannot be made is a failed draw by rule (SPEC.md §12.1).
    let bundle = bundle.map_err(|e| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "BUNDLE_FAILED",
            format!("无法为这份抽奖记录生成证明包：{e}"),
            format!("No proof bundle can be made for this record: {e}"),
        )
    })?;
    let bundle_json = serde_json::to_string(&bundle).map_err(AppError::internal)?;
    let key = id.clone();
    write(&state, move |c, st| {
        if !db::set_drawn(c, &key, n, &record, &bundle_json)? {
            return Err(lifecycle(
                "ALREADY_DRAWN",
                "本期已提交过抽奖记录。",
                "This draw already has a record.",
            ));
        }
        db::audit(
            c,
            st.now_ms(),
            "draw.record",
            &json!({ "campaign": key, "draw": n, "seed": record.seed,
            "winners": record.winners.iter().map(|w| w.leaf_index).collect::<Vec<_>>() }),
        )?;
        Ok(())
    })
    .await?;
    Ok(Json(json!({ "state": "drawn", "checks": report.checks })))
}

/// `POST …/draws/{n}/publish`: masked winners and the record become public.
pub async fn publish(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let key = id.clone();
    write(&state, move |c, st| {
        if !db::set_published(c, &key, n)? {
            return Err(lifecycle(
                "NOT_DRAWN",
                "请先提交并验证抽奖记录。",
                "Submit a verified record first.",
            ));
        }
        db::audit(
            c,
            st.now_ms(),
            "draw.publish",
            &json!({ "campaign": key, "draw": n }),
        )?;
        Ok(())
    })
    .await?;
    Ok(Json(json!({ "state": "published" })))
}

/// The body of a forfeit.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForfeitBody {
    /// The prize (its winner's rank).
    rank: u32,
    /// The ticket of the holder being forfeited, when the caller names it: a second click, or a
    /// stale screen, then cannot forfeit the alternate who has just stepped in.
    #[serde(default)]
    ticket_id: Option<TicketId>,
}

/// `POST …/draws/{n}/forfeit`: a winner did not claim; the next alternate steps in.
pub async fn forfeit(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(body): ApiJson<ForfeitBody>,
) -> ApiResult<Json<Value>> {
    let key = id.clone();
    let view = write(&state, move |c, st| {
        let draw = db::draw(c, &key, n)?.ok_or_else(|| AppError::not_found("该期抽奖", "draw"))?;
        let record = match (draw.state.as_str(), draw.record) {
            ("drawn" | "published", Some(r)) => r,
            _ => {
                return Err(lifecycle(
                    "NOT_DRAWN",
                    "开奖后才能处理弃奖。",
                    "Forfeits come after the draw.",
                ));
            }
        };
        let mut forfeits = db::forfeits(c, &key, n)?;
        let claims = crate::routes::public::claims_of(&record, &forfeits);
        let Some(claim) = claims.prizes.get(body.rank as usize) else {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "NO_SUCH_WINNER",
                "没有这个名次的奖项。",
                "No prize has that rank.",
            )
            .field("rank"));
        };
        let holder = match claim.current() {
            fairdraw_core::claims::Holder::Winner(r) => record.winners.get(r as usize),
            fairdraw_core::claims::Holder::Alternate(r) => record.alternates.get(r as usize),
        };
        if body
            .ticket_id
            .is_some_and(|t| holder.map(|h| h.ticket_id) != Some(t))
        {
            return Err(lifecycle(
                "HOLDER_CHANGED",
                "该奖项的得主已经变更，请刷新后再操作。",
                "That prize's holder has changed; reload and try again.",
            ));
        }
        forfeits.push(body.rank);
        let applied = fairdraw_core::claims::apply_forfeits(
            record.winners.len() as u32,
            record.alternates.len() as u32,
            &forfeits,
        );
        if applied.is_err() {
            return Err(lifecycle(
                "NO_ALTERNATE_LEFT",
                "候补名单已用完。",
                "No alternate is left.",
            ));
        }
        db::insert_forfeit(c, &key, n, forfeits.len() - 1, body.rank, st.now_ms())?;
        db::audit(
            c,
            st.now_ms(),
            "draw.forfeit",
            &json!({ "campaign": key, "draw": n, "rank": body.rank,
            "holder": holder.map(|h| h.ticket_id) }),
        )?;
        Ok(results(&record, &db::forfeits(c, &key, n)?))
    })
    .await?;
    Ok(Json(view))
}

/// `GET …/draws/{n}/contacts`: winners and alternates with phone and receipt, for prize claims.
pub async fn contacts(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Response> {
    let key = id.clone();
    let csv = read(&state, move |c| {
        let draw = db::draw(c, &key, n)?;
        let Some(record) = draw.and_then(|d| d.record) else {
            return Ok(None);
        };
        use fairdraw_core::claims::{Holder, Standing};
        let claims = crate::routes::public::claims_of(&record, &db::forfeits(c, &key, n)?);
        // UTF-8 with a BOM (Excel on Chinese Windows then reads it as UTF-8), every field quoted.
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        let row_err = crate::sql::Error::data;
        w.write_record([
            "role",
            "rank",
            "prize",
            "leaf_index",
            "ticket_id",
            "phone",
            "receipt",
            "forfeited",
            "holds_prize",
        ])
        .map_err(row_err)?;
        let rows = record
            .winners
            .iter()
            .map(|w| ("winner", w, claims.standing(Holder::Winner(w.rank))))
            .chain(
                record
                    .alternates
                    .iter()
                    .map(|a| ("alternate", a, claims.standing(Holder::Alternate(a.rank)))),
            );
        for (role, p, standing) in rows {
            let f = matches!(standing, Some(Standing::Forfeited { .. }));
            let holds = match standing {
                Some(Standing::Holds { prize, .. }) => (prize + 1).to_string(),
                _ => String::new(),
            };
            let (phone, receipt) = db::contact(c, &key, p.ticket_id.0.as_slice())?;
            w.write_record([
                role.to_owned(),
                p.rank.to_string(),
                spreadsheet_cell(p.prize.as_deref().unwrap_or("")),
                p.leaf_index.to_string(),
                spreadsheet_cell(&p.ticket_id.to_hex()),
                spreadsheet_cell(&phone),
                spreadsheet_cell(&receipt),
                f.to_string(),
                holds,
            ])
            .map_err(row_err)?;
        }
        let out = w
            .into_inner()
            .map_err(|e| crate::sql::Error::data(e.into_error()))?;
        Ok(Some(out))
    })
    .await?;
    let csv = csv.ok_or_else(|| {
        lifecycle(
            "NOT_DRAWN",
            "开奖后才能导出联系方式。",
            "Contacts exist after the draw.",
        )
    })?;
    let key = id.clone();
    write(&state, move |c, st| {
        Ok(db::audit(
            c,
            st.now_ms(),
            "draw.export_contacts",
            &json!({ "campaign": key, "draw": n }),
        )?)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}-draw{}-contacts.csv\"", n + 1),
            ),
        ],
        csv,
    )
        .into_response())
}

/// A cell a spreadsheet shows as typed (OWASP CSV injection guidance): text that a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading `'`;
/// digits that it would turn into a number (dropping leading zeros, or the digits past the
/// fifteenth) get a leading tab, which keeps them text and shows nothing.
pub fn spreadsheet_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E')
        && s.bytes().any(|b| b.is_ascii_digit())
    {
        format!("\t{s}")
    } else {
        s.to_owned()
    }
}

/// `GET /api/organizer/audit`: the hash-chained log and whether the chain holds.
pub async fn audit(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let log = read(&state, db::audit_log).await?;
    Ok(Json(
        json!({ "chain_ok": db::audit_chain_ok(&log), "entries": log }),
    ))
}

/// Sets the organizer password at first start.
pub fn ensure_organizer(c: Conn, password: &str, now: u64) -> ApiResult<bool> {
    if db::password_hash(c)?.is_some() {
        return Ok(false);
    }
    db::set_password_hash(c, &hash_password(password)?, false)?;
    db::audit(c, now, "organizer.password_set", &json!({}))?;
    Ok(true)
}

/// Sets a new organizer password from the server's console (the recovery path: no one can be
/// locked out for good by guesses) and ends every session; audited.
pub fn reset_organizer(c: Conn, password: &str, now: u64) -> ApiResult<()> {
    db::set_password_hash(c, &hash_password(password)?, true)?;
    db::audit(c, now, "organizer.password_reset", &json!({}))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_cell;

    #[test]
    fn spreadsheet_cells_are_shown_as_typed() {
        // Formulas (an organizer's prize name, a shopper's receipt number) are neutralised.
        assert_eq!(
            spreadsheet_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(spreadsheet_cell("-1-1"), "'-1-1");
        assert_eq!(spreadsheet_cell("+86 139"), "'+86 139");
        assert_eq!(spreadsheet_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_cell("\tx"), "'\tx");
        // Digits stay text: leading zeros and all 20 digits of a fapiao number survive.
        assert_eq!(spreadsheet_cell("00123"), "\t00123");
        assert_eq!(
            spreadsheet_cell("12345678901234567890"),
            "\t12345678901234567890"
        );
        assert_eq!(spreadsheet_cell("1e10"), "\t1e10");
        assert_eq!(spreadsheet_cell("一汽-大众"), "一汽-大众");
        assert_eq!(spreadsheet_cell(""), "");
    }
}
