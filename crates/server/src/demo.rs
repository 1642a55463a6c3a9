//! `--demo`: the "爱达州·通川购" campaign, with something to do on every screen.
//!
//! The campaign started 30 days ago. Its first draw closed 9 days ago with 3,000 synthetic
//! entries: both seed parties committed before the close and the ledger is frozen and signed,
//! so a newcomer can run the live draw at once, loading the two demo secret files written to
//! `DATA/demo-secrets/`. The second draw is open today, with 1,200 synthetic entries so far and
//! no commitments yet (the seed ceremony is there to try); the third is still to come.
//!
//! Two witnesses (a notary office and a newspaper, quorum 2) run in this process, each on its
//! own port with its own data folder in `DATA/demo-witnesses/`; they cosigned the synthetic
//! past at its times, and cosign everything after with their own clocks.

use crate::db;
use crate::error::{ApiResult, AppError};
use crate::routes::organizer::{insert_draft, open_campaign_in};
use crate::sql::Conn;
use crate::state::{AppState, random_32, write_secret};
use crate::store::{Effect, JobOutcome};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::demo::DemoLedger;
use fairdraw_core::freeze::Freeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::journal::Event;
use fairdraw_core::phone::PhoneNumber;
use fairdraw_core::receipt::person_key;
use fairdraw_core::seed::{SeedCommitment, SeedSecret, commitment, secret_file};
use std::path::Path;

/// Synthetic entries in the first draw (closed and frozen).
pub const DEMO_ENTRIES: u64 = 3_000;
/// Synthetic entries so far in the second draw (open today).
pub const DEMO_OPEN_ENTRIES: u64 = 1_200;
/// Days since the campaign started.
pub const DEMO_DAYS_IN: i64 = 30;

fn insert_ledger(
    c: Conn,
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
        let hash = leaf.leaf_hash();
        let person = PhoneNumber::parse(phone)
            .map(|p| person_key(pseudonym_key, id, &p))
            .map_err(|_| AppError::internal("a synthetic phone is malformed"))?;
        let row = db::EntryRow {
            campaign_id: id,
            leaf,
            leaf_hash: &hash,
            person: person.0.as_slice(),
            phone: &format!("synthetic:{phone}"),
            receipt: &format!("synthetic-{draw}-{}", leaf.index),
            entry_day: CivilDate::china_date_at(leaf.entered_at_ms).map_or(0, |d| d.yyyymmdd()),
            phone_salt: &opening.phone_salt,
            idem_key: None,
        };
        if !db::insert_entry(c, draw, &row)? {
            return Err(AppError::internal("a synthetic receipt is there twice"));
        }
        effects.push(Effect::AppendLeaf {
            campaign_id: id.to_owned(),
            draw_index: draw,
            leaf_index: leaf.index,
            leaf_hash: hash,
        });
    }
    Ok(())
}

/// The demo's two witnesses: who runs them (as the rules name them) and their key names.
pub const DEMO_WITNESSES: [(&str, &str, &str); 2] = [
    ("达州市公证处", "notary.dazhou.example/witness", "notary"),
    ("川东日报", "daily.example/witness", "daily"),
];

/// The demo witnesses' identities, from `DIR/demo-witnesses/<who>/` (made on first use).
fn demo_identities(witness_dir: &Path) -> ApiResult<Vec<fairdraw_witness::Identity>> {
    DEMO_WITNESSES
        .iter()
        .map(|(_, key_name, folder)| {
            fairdraw_witness::load_or_create_key(&witness_dir.join(folder), Some(key_name))
                .map_err(AppError::internal)
        })
        .collect()
}

/// Starts the demo's two witnesses in this process, each on its own port with its own data
/// folder, for the demo campaign's journal; tells the server their addresses. If `history`
/// is given (the campaign was just made), they first cosign its synthetic past (the
/// commitments and the freeze of the first draw) with their clocks set to those times, as
/// witnesses running since then would have.
async fn start_demo_witnesses(
    state: &AppState,
    witness_dir: &Path,
    rules: &fairdraw_core::rules::CampaignRules,
    history: &[(u64, u64)],
) -> ApiResult<()> {
    use fairdraw_core::checkpoint::AddCheckpoint;
    use fairdraw_core::journal::{journal_vkey, signed_checkpoint};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let log = fairdraw_witness::Log::from_vkey(&journal_vkey(rules)).map_err(AppError::internal)?;
    let key = rules.id.clone();
    let events =
        crate::routes::public::read(state, move |c| crate::witnessing::journal(c, &key)).await?;
    let hashes: Vec<_> = events
        .iter()
        .map(fairdraw_core::journal::Event::leaf_hash)
        .collect();
    for (i, id) in demo_identities(witness_dir)?.into_iter().enumerate() {
        let key_name = id.name.clone();
        let vkey = id.vkey();
        let past = Arc::new(AtomicU64::new(0));
        let clock = past.clone();
        let w = fairdraw_witness::Witness::open_with_clock(
            &witness_dir.join(DEMO_WITNESSES[i].2),
            id,
            std::slice::from_ref(&log),
            Box::new(move || match clock.load(Ordering::SeqCst) {
                0 => fairdraw_witness::unix_now(),
                t => t,
            }),
        )
        .map_err(AppError::internal)?;
        let mut old = 0u64;
        for &(size, at_s) in history {
            let size_usize = size as usize;
            if size_usize > hashes.len() {
                break;
            }
            past.store(at_s, Ordering::SeqCst);
            let note = signed_checkpoint(rules, &state.keys.signing, &hashes[..size_usize]);
            let proof = if old == 0 {
                Vec::new()
            } else {
                fairdraw_core::merkle::consistency_proof(&hashes[..size_usize], old)
                    .map_err(AppError::internal)?
            };
            let body = AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: note.clone().into_bytes(),
            }
            .to_bytes();
            let reply = w.add_checkpoint(&body);
            if reply.status == 200 {
                crate::witnessing::accept(state, rules, i, &vkey, &note, &reply.body, size).await;
                old = size;
            }
        }
        past.store(0, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(AppError::internal)?;
        let addr = listener.local_addr().map_err(AppError::internal)?;
        let router = fairdraw_witness::router(Arc::new(w));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        state
            .witnesses
            .set_url(&key_name, &format!("http://{addr}"));
        tracing::info!(witness = DEMO_WITNESSES[i].0, %addr, folder = %witness_dir.join(DEMO_WITNESSES[i].2).display(), "demo witness listening");
    }
    state.witnesses.poke();
    Ok(())
}

/// Creates the demo campaign unless it exists; writes the first draw's seed secrets into
/// `secrets_dir` (mode 0600). Starts the demo's two witnesses (their data folders beside
/// `secrets_dir`, in `demo-witnesses/`). Returns the campaign id when it was created.
pub async fn ensure_demo(state: &AppState, secrets_dir: &Path) -> ApiResult<Option<String>> {
    ensure_demo_sized(state, secrets_dir, DEMO_ENTRIES).await
}

/// [`ensure_demo`] with `entries` synthetic entries in the frozen first draw (a ceremony
/// rehearsed at the real campaign's scale, or a load test's frozen draw).
pub async fn ensure_demo_sized(
    state: &AppState,
    secrets_dir: &Path,
    entries: u64,
) -> ApiResult<Option<String>> {
    let witness_dir = secrets_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join("demo-witnesses");
    let now = state.now_ms();
    let today =
        CivilDate::china_date_at(now).ok_or_else(|| AppError::internal("clock out of range"))?;
    let day = |n: i64| CivilDate::from_days_since_epoch(today.days_since_epoch() + n);
    let start = day(-DEMO_DAYS_IN).unwrap_or(today);
    let mut rules =
        fairdraw_core::demo::demo_rules(state.keys.signing.verifying_key().to_bytes(), start);
    rules.witnesses = demo_identities(&witness_dir)?
        .iter()
        .zip(DEMO_WITNESSES)
        .map(|(id, (display, _, _))| fairdraw_core::rules::Witness {
            name: display.into(),
            vkey: id.vkey(),
        })
        .collect();
    rules.witness_quorum = 2;
    rules.identity = Some(fairdraw_core::demo::demo_identity());
    let id = rules.id.clone();
    // Restarts with `--demo` find it there: skip generating thousands of synthetic leaves. (The
    // write job checks again, in its transaction.)
    let key = id.clone();
    if let Some(row) = crate::routes::public::read(state, move |c| db::campaign(c, &key)).await? {
        if !row.rules.witnesses.is_empty() {
            start_demo_witnesses(state, &witness_dir, &row.rules, &[]).await?;
        }
        return Ok(None);
    }
    let rules_hash = rules.hash();
    let seed = Hash32::sha256(id.as_bytes());
    // The first draw, whole; the second from its start to yesterday.
    let closed = fairdraw_core::demo::demo_ledger(&rules, 0, entries, &seed, &state.keys.pseudonym);
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
    let freeze_hash = freeze.freeze.hash();
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
                    let saved = SeedCommitment { party: party.clone(), commitment: *cm, published_at_ms: committed_at };
                    if !db::insert_commitment(c, &key, 0, &saved)? {
                        return Err(AppError::internal("a demo party committed twice"));
                    }
                    crate::witnessing::append(c, &key, &Event::Commitment { draw_index: 0, party: party.clone(), commitment: *cm, at_ms: committed_at })?;
                }
                crate::witnessing::append(c, &key, &Event::Freeze { draw_index: 0, freeze_hash, at_ms: frozen_at })?;
                db::set_frozen(c, &key, 0, &freeze)?;
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
        .map_err(|_| AppError::unavailable())?;
    let created = rx.await.map_err(|_| AppError::internal("no answer"))??;
    if !created {
        return Ok(None);
    }
    // The witnesses saw the commitments a minute after they were made, and the freeze a minute
    // after it.
    let history = [(2, committed_at / 1000 + 60), (3, frozen_at / 1000 + 60)];
    start_demo_witnesses(state, &witness_dir, &rules, &history).await?;
    std::fs::create_dir_all(secrets_dir).map_err(AppError::internal)?;
    for (party, secret) in parties.iter().zip(&secrets) {
        let path = secrets_dir.join(format!("{id}-draw1-{party}.json"));
        write_secret(&path, &secret_file(&rules, 0, party, secret)).map_err(AppError::internal)?;
    }
    Ok(Some(id))
}
