//! Asking the rules' witnesses (SPEC.md §17): the campaign's journal of commitments, freezes
//! and reveals is a log of its own; after every append the server submits the journal's
//! checkpoint to each witness (C2SP tlog-witness `add-checkpoint`), verifies and keeps the
//! cosignature it gets back, and publishes the cosigned checkpoints.
//!
//! A witness that is down or slow only delays its own cosignature: submissions run on their
//! own task, never in a shopper's request. The freeze waits for the quorum (with a timeout,
//! naming who did not answer), and reveals wait for the freeze to be witnessed.

use crate::db;
use crate::error::{ApiResult, AppError};
use crate::sql::Conn;
use crate::state::AppState;
use axum::http::StatusCode;
use fairdraw_core::checkpoint::{
    AddCheckpoint, KeyVerifier, cosignature_time, parse_note, verifiers,
};
use fairdraw_core::hash::Hash32;
use fairdraw_core::journal::{Event, Witnessing, signed_checkpoint};
use fairdraw_core::merkle::consistency_proof;
use fairdraw_core::rules::CampaignRules;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// How long one `add-checkpoint` request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the submitter retries a witness that is behind, without a new event.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// One witness's state as the server last saw it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WitnessState {
    /// The largest journal size it cosigned (from the stored cosignatures).
    pub cosigned_size: u64,
    /// Its time on that cosignature (POSIX seconds).
    pub cosigned_time: Option<u64>,
    /// The size the witness said it holds (409), if it differs from ours.
    pub witness_size: Option<u64>,
    /// The last error, in English and Chinese, if the last attempt failed.
    pub error_en: Option<String>,
    /// The last error in Chinese.
    pub error_zh: Option<String>,
    /// When the server last tried (Unix ms).
    pub last_attempt_ms: Option<u64>,
}

/// The witnesses' addresses and states.
pub struct Witnesses {
    /// Witness key name → base URL (`--witness NAME=URL`).
    pub urls: RwLock<HashMap<String, String>>,
    /// How long the freeze and the record wait for a quorum.
    pub timeout: RwLock<Duration>,
    notify: tokio::sync::Notify,
    states: Mutex<HashMap<(String, usize), WitnessState>>,
    client: reqwest::Client,
}

impl Default for Witnesses {
    fn default() -> Self {
        Self {
            urls: RwLock::default(),
            timeout: RwLock::new(Duration::from_secs(20)),
            notify: tokio::sync::Notify::new(),
            states: Mutex::default(),
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }
}

impl Witnesses {
    /// Wakes the submitter: the journal grew.
    pub fn poke(&self) {
        self.notify.notify_one();
    }

    /// Sets a witness's address by its key name.
    pub fn set_url(&self, key_name: &str, url: &str) {
        if let Ok(mut u) = self.urls.write() {
            u.insert(key_name.to_owned(), url.trim_end_matches('/').to_owned());
        }
    }

    fn url(&self, key_name: &str) -> Option<String> {
        self.urls.read().ok()?.get(key_name).cloned()
    }

    fn state(&self, campaign: &str, i: usize) -> WitnessState {
        self.states
            .lock()
            .ok()
            .and_then(|s| s.get(&(campaign.to_owned(), i)).cloned())
            .unwrap_or_default()
    }

    fn update(&self, campaign: &str, i: usize, f: impl FnOnce(&mut WitnessState)) {
        if let Ok(mut s) = self.states.lock() {
            f(s.entry((campaign.to_owned(), i)).or_default());
        }
    }

    /// The quorum wait.
    pub fn timeout(&self) -> Duration {
        self.timeout.read().map_or(Duration::from_secs(20), |t| *t)
    }
}

/// Appends an event to a campaign's journal, inside the caller's transaction; returns its index.
pub fn append(c: Conn, campaign: &str, event: &Event) -> ApiResult<u64> {
    let idx = db::journal_len(c, campaign)?;
    let json = serde_json::to_string(event).map_err(AppError::internal)?;
    db::insert_journal_event(c, campaign, idx, &json, &event.leaf_hash())?;
    Ok(idx)
}

/// A campaign's journal, in order.
pub fn journal(c: Conn, campaign: &str) -> crate::sql::Result<Vec<Event>> {
    db::journal_events(c, campaign)?
        .iter()
        .map(|t| serde_json::from_str(t).map_err(crate::sql::Error::data))
        .collect()
}

/// How many distinct witnesses cosigned a journal of more than `index` entries, and which of
/// the rules' witnesses did not.
pub fn seen(
    c: Conn,
    rules: &CampaignRules,
    index: u64,
) -> crate::sql::Result<(usize, Vec<String>)> {
    let who = db::witnesses_past(c, &rules.id, index)?;
    let silent = rules
        .witnesses
        .iter()
        .enumerate()
        .filter(|(i, _)| !who.contains(i))
        .map(|(_, w)| w.name.clone())
        .collect();
    Ok((who.len(), silent))
}

/// The journal and its cosigned checkpoints, as a record carries them.
pub fn witnessing(
    c: Conn,
    rules: &CampaignRules,
    key: &ed25519_dalek::SigningKey,
) -> crate::sql::Result<Witnessing> {
    let events = journal(c, &rules.id)?;
    let hashes: Vec<Hash32> = events.iter().map(Event::leaf_hash).collect();
    let mut by_size: Vec<(u64, String)> = Vec::new();
    for s in db::cosignatures(c, &rules.id)? {
        match by_size.last_mut() {
            Some((size, lines)) if *size == s.size => lines.push_str(&s.line),
            _ => by_size.push((s.size, s.line)),
        }
    }
    let checkpoints = by_size
        .into_iter()
        .filter(|(size, _)| *size as usize <= hashes.len())
        .map(|(size, lines)| signed_checkpoint(rules, key, &hashes[..size as usize]) + &lines)
        .collect();
    Ok(Witnessing {
        journal: events,
        checkpoints,
    })
}

/// The witnesses' states for a campaign, in the rules' order, for the console and the pages.
pub fn states(
    state: &AppState,
    c: Conn,
    rules: &CampaignRules,
) -> crate::sql::Result<Vec<serde_json::Value>> {
    let cos = db::cosignatures(c, &rules.id)?;
    Ok(rules
        .witnesses
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut s = state.witnesses.state(&rules.id, i);
            if let Some(last) = cos.iter().filter(|x| x.witness == i).max_by_key(|x| x.size) {
                s.cosigned_size = last.size;
                s.cosigned_time = Some(last.time);
            }
            let key_name = fairdraw_core::note::parse_vkey(&w.vkey)
                .map(|k| k.name)
                .unwrap_or_default();
            serde_json::json!({
                "name": w.name,
                "vkey": w.vkey,
                "key_name": key_name,
                "configured": state.witnesses.url(&key_name).is_some(),
                "cosigned_size": s.cosigned_size,
                "cosigned_time": s.cosigned_time,
                "witness_size": s.witness_size,
                "error_en": s.error_en,
                "error_zh": s.error_zh,
                "last_attempt_ms": s.last_attempt_ms,
            })
        })
        .collect())
}

/// Waits until a quorum of the rules' witnesses has cosigned a journal of more than `index`
/// entries, or the timeout; on timeout the error names the witnesses that did not answer.
pub async fn wait_for_quorum(state: &AppState, rules: &CampaignRules, index: u64) -> ApiResult<()> {
    if rules.witnesses.is_empty() {
        return Ok(());
    }
    state.witnesses.poke();
    let deadline = tokio::time::Instant::now() + state.witnesses.timeout();
    loop {
        let r = rules.clone();
        let (count, silent) =
            crate::routes::public::read(state, move |c| seen(c, &r, index)).await?;
        if count >= rules.witness_quorum as usize {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            let names = silent.join("、");
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "WITNESS_TIMEOUT",
                format!(
                    "见证方未在时限内联署（需要 {} 个，已有 {count} 个）。未应答：{names}。请检查其地址与运行状态后重试。",
                    rules.witness_quorum
                ),
                format!(
                    "The witnesses did not cosign in time ({count} of the {} required). Not answered: {}. Check their addresses and that they run, then retry.",
                    rules.witness_quorum,
                    silent.join(", ")
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs forever: after every poke (and every [`RETRY_EVERY`]), brings every witness of every
/// open campaign up to its journal's size.
pub async fn run(state: AppState) {
    loop {
        let _ = tokio::time::timeout(RETRY_EVERY, state.witnesses.notify.notified()).await;
        let ids = crate::routes::public::read(&state, db::journal_campaigns)
            .await
            .unwrap_or_default();
        for id in ids {
            sync_campaign(&state, &id).await;
        }
    }
}

async fn sync_campaign(state: &AppState, id: &str) {
    let key = id.to_owned();
    let loaded = crate::routes::public::read(state, move |c| {
        Ok((
            db::campaign(c, &key)?,
            journal(c, &key)?,
            db::cosignatures(c, &key)?,
        ))
    })
    .await;
    let Ok((Some(row), events, cos)) = loaded else {
        return;
    };
    let rules = row.rules;
    let hashes: Vec<Hash32> = events.iter().map(Event::leaf_hash).collect();
    let size = hashes.len() as u64;
    let mut tasks = Vec::new();
    for (i, w) in rules.witnesses.iter().enumerate() {
        let ours = cos
            .iter()
            .filter(|c| c.witness == i)
            .map(|c| c.size)
            .max()
            .unwrap_or(0);
        let theirs = state.witnesses.state(id, i).witness_size;
        let old = theirs.unwrap_or(ours);
        if ours >= size && theirs.is_none_or(|t| t == ours) {
            continue;
        }
        let (state, rules, hashes, vkey) =
            (state.clone(), rules.clone(), hashes.clone(), w.vkey.clone());
        tasks.push(tokio::spawn(async move {
            submit(&state, &rules, i, &vkey, &hashes, old).await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn fail(state: &AppState, id: &str, i: usize, en: String, zh: String) {
    tracing::warn!(campaign = id, witness = i, error = %en, "witness");
    state.witnesses.update(id, i, |s| {
        s.error_en = Some(en);
        s.error_zh = Some(zh);
    });
}

/// Submits the journal of `hashes` to witness `i`, from `old` (what we believe it holds); on
/// 409 retries once from the size it reports.
async fn submit(
    state: &AppState,
    rules: &CampaignRules,
    i: usize,
    vkey: &str,
    hashes: &[Hash32],
    mut old: u64,
) {
    let id = rules.id.as_str();
    let Ok(k) = fairdraw_core::note::parse_vkey(vkey) else {
        return fail(
            state,
            id,
            i,
            "its vkey in the rules is malformed".into(),
            "规则中的见证方公钥格式有误".into(),
        );
    };
    let Some(url) = state.witnesses.url(&k.name) else {
        return fail(
            state,
            id,
            i,
            format!(
                "no address configured (start the server with --witness {}=URL)",
                k.name
            ),
            format!("未配置地址（启动服务器时加 --witness {}=URL）", k.name),
        );
    };
    let size = hashes.len() as u64;
    for _ in 0..2 {
        state
            .witnesses
            .update(id, i, |s| s.last_attempt_ms = Some(state.now_ms()));
        if old > size {
            return fail(
                state,
                id,
                i,
                format!("the witness holds size {old}, larger than the journal's {size}"),
                format!("见证方记录的大小 {old} 大于日志的 {size}"),
            );
        }
        let proof = if old == 0 || old == size {
            Vec::new()
        } else {
            consistency_proof(hashes, old).unwrap_or_default()
        };
        let note = signed_checkpoint(rules, &state.keys.signing, hashes);
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: note.clone().into_bytes(),
        }
        .to_bytes();
        let sent = state
            .witnesses
            .client
            .post(format!("{url}/add-checkpoint"))
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() {
                    "timed out"
                } else {
                    "did not answer"
                };
                let zh = if e.is_timeout() {
                    "应答超时"
                } else {
                    "无应答"
                };
                return fail(
                    state,
                    id,
                    i,
                    format!("the witness {what}"),
                    format!("见证方{zh}"),
                );
            }
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            200 => {
                return accept(state, rules, i, vkey, &note, &text, size).await;
            }
            409 => {
                let Some(theirs) = fairdraw_core::checkpoint::parse_decimal(text.trim_end()) else {
                    return fail(
                        state,
                        id,
                        i,
                        "409 without a size".into(),
                        "409 应答缺少大小".into(),
                    );
                };
                state
                    .witnesses
                    .update(id, i, |s| s.witness_size = Some(theirs));
                old = theirs;
            }
            _ => {
                let t = text.trim();
                return fail(
                    state,
                    id,
                    i,
                    format!("answered {status}: {t}"),
                    format!("应答 {status}：{t}"),
                );
            }
        }
    }
    fail(
        state,
        id,
        i,
        "answered 409 twice: its size keeps changing".into(),
        "两次应答 409：其记录的大小在变化".into(),
    );
}

/// Verifies the cosignature lines a witness sent for `note`, then stores them.
pub async fn accept(
    state: &AppState,
    rules: &CampaignRules,
    i: usize,
    vkey: &str,
    note: &str,
    lines: &str,
    size: u64,
) {
    let id = rules.id.clone();
    let good = {
        let Ok(v) = KeyVerifier::parse(vkey) else {
            return;
        };
        let known = verifiers(vec![v]);
        let mut good = Vec::new();
        for line in lines.lines().filter(|l| !l.is_empty()) {
            let whole = format!("{note}{line}\n");
            let verified = parse_note(whole.as_bytes())
                .ok()
                .and_then(|n| n.verify(&known).ok())
                .and_then(|(v, _)| v.first().and_then(|s| cosignature_time(s.signature())));
            if let Some(t) = verified {
                good.push((format!("{line}\n"), t));
            }
        }
        good
    };
    let Some((line, time)) = good.into_iter().next() else {
        return fail(
            state,
            &id,
            i,
            "its answer holds no cosignature that verifies under its key in the rules".into(),
            "应答中没有能用规则中公钥验证的联署".into(),
        );
    };
    let now = state.now_ms();
    let key = id.clone();
    let stored = crate::routes::organizer::write(state, move |c, _| {
        Ok(db::insert_cosignature(c, &key, size, i, &line, time, now)?)
    })
    .await;
    match stored {
        Ok(()) => state.witnesses.update(&id, i, |s| {
            s.witness_size = None;
            s.error_en = None;
            s.error_zh = None;
        }),
        Err(e) => fail(state, &id, i, e.message_en, e.message_zh),
    }
}
