//! Every statement the server runs on SQLite, named for what it means: row-level reads and
//! writes, shared by the handlers and the writer jobs. Apart from the store's schema and
//! writer (store.rs), no SQL is written anywhere else, so a second backend (PostgreSQL, issue
//! 13) implements this vocabulary and the handlers do not change.

use fairdraw_core::encode::Encoder;
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::Leaf;
use fairdraw_core::record::DrawRecord;
use fairdraw_core::rules::CampaignRules;
use fairdraw_core::seed::SeedCommitment;
use fairdraw_core::seed::{Reveal, SeedSecret};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

/// A campaign row.
#[derive(Debug, Clone)]
pub struct CampaignRow {
    /// The rules (with the server's key).
    pub rules: CampaignRules,
    /// Their hash: the anchor once the campaign is open.
    pub rules_hash: Hash32,
    /// `draft` or `open`.
    pub state: String,
    /// Set when opened.
    pub opened_at_ms: Option<u64>,
}

/// A draw row.
#[derive(Debug, Clone)]
pub struct DrawRow {
    /// Index.
    pub index: u32,
    /// `collecting`, `frozen`, `drawn`, `published`.
    pub state: String,
    /// The signed freeze.
    pub freeze: Option<SignedFreeze>,
    /// The verified record.
    pub record: Option<DrawRecord>,
}

fn json_col<T: serde::de::DeserializeOwned>(text: Option<String>) -> rusqlite::Result<Option<T>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

/// Loads a campaign.
pub fn campaign(conn: &Connection, id: &str) -> rusqlite::Result<Option<CampaignRow>> {
    let row = conn
        .query_row(
            "SELECT rules_json, state, opened_at_ms FROM campaigns WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(rules, state, opened)| {
        let rules: CampaignRules = json_col(Some(rules))?.ok_or(rusqlite::Error::InvalidQuery)?;
        Ok(CampaignRow {
            rules_hash: rules.hash(),
            rules,
            state,
            opened_at_ms: opened.map(|v| v as u64),
        })
    })
    .transpose()
}

/// Campaign ids, newest first.
pub fn campaign_ids(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM campaigns ORDER BY created_at_ms DESC, id")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// A campaign's draws.
pub fn draws(conn: &Connection, id: &str) -> rusqlite::Result<Vec<DrawRow>> {
    let mut stmt = conn.prepare(
        "SELECT draw_index, state, freeze_json, record_json FROM draws WHERE campaign_id = ?1 ORDER BY draw_index",
    )?;
    let rows = stmt
        .query_map(params![id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(index, state, th, rec)| {
            Ok(DrawRow {
                index,
                state,
                freeze: json_col(th)?,
                record: json_col(rec)?,
            })
        })
        .collect()
}

/// One draw.
pub fn draw(conn: &Connection, id: &str, index: u32) -> rusqlite::Result<Option<DrawRow>> {
    Ok(draws(conn, id)?.into_iter().find(|d| d.index == index))
}

/// A draw's commitments, in the rules' party order.
pub fn commitments(
    conn: &Connection,
    id: &str,
    index: u32,
    parties: &[String],
) -> rusqlite::Result<Vec<SeedCommitment>> {
    let mut stmt = conn.prepare(
        "SELECT party, commitment, published_at_ms FROM commitments WHERE campaign_id = ?1 AND draw_index = ?2",
    )?;
    let mut found: Vec<SeedCommitment> = stmt
        .query_map(params![id, index], |r| {
            let c: String = r.get(1)?;
            Ok(SeedCommitment {
                party: r.get(0)?,
                commitment: Hash32::from_hex(&c).unwrap_or_default(),
                published_at_ms: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    found.sort_by_key(|c| {
        parties
            .iter()
            .position(|p| *p == c.party)
            .unwrap_or(usize::MAX)
    });
    Ok(found)
}

/// A draw's reveals so far, in the rules' party order.
pub fn reveals(
    conn: &Connection,
    id: &str,
    index: u32,
    parties: &[String],
) -> rusqlite::Result<Vec<Reveal>> {
    let mut stmt = conn.prepare(
        "SELECT party, secret, revealed_at_ms FROM reveals WHERE campaign_id = ?1 AND draw_index = ?2",
    )?;
    let mut found: Vec<Reveal> = stmt
        .query_map(params![id, index], |r| {
            let s: String = r.get(1)?;
            Ok(Reveal {
                party: r.get(0)?,
                secret: SeedSecret(fairdraw_core::hash::fixed_hex::<32>(&s).unwrap_or_default()),
                revealed_at_ms: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    found.sort_by_key(|x| {
        parties
            .iter()
            .position(|p| *p == x.party)
            .unwrap_or(usize::MAX)
    });
    Ok(found)
}

/// The prizes forfeited in a draw, in the order the forfeits were made.
pub fn forfeits(conn: &Connection, id: &str, index: u32) -> rusqlite::Result<Vec<u32>> {
    let mut stmt = conn.prepare(
        "SELECT rank FROM forfeits WHERE campaign_id = ?1 AND draw_index = ?2 ORDER BY seq",
    )?;
    stmt.query_map(params![id, index], |r| r.get(0))?.collect()
}

/// One audit log entry.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Sequence number from 1.
    pub seq: i64,
    /// When.
    pub at_ms: u64,
    /// What (`campaign.create`, `draw.freeze`, …).
    pub action: String,
    /// Details (never a secret).
    pub detail: Value,
    /// The previous entry's hash (64 zeros for the first).
    pub prev_hash: String,
    /// `SHA-256(tag ‖ prev ‖ seq ‖ at ‖ action ‖ detail JSON)`.
    pub hash: String,
}

/// Domain tag of the audit chain.
pub const AUDIT_TAG: &str = "fairdraw/audit/v1";

/// The hash of an audit entry.
pub fn audit_hash(prev: &str, seq: i64, at_ms: u64, action: &str, detail: &str) -> String {
    let mut e = Encoder::with_tag(AUDIT_TAG);
    e.str(prev)
        .u64(seq as u64)
        .u64(at_ms)
        .str(action)
        .str(detail);
    e.sha256().to_hex()
}

/// Appends to the hash-chained audit log (inside the caller's transaction).
pub fn audit(conn: &Connection, at_ms: u64, action: &str, detail: &Value) -> rusqlite::Result<()> {
    let (prev_seq, prev_hash): (i64, String) = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, "0".repeat(64)));
    let seq = prev_seq + 1;
    let detail = detail.to_string();
    let hash = audit_hash(&prev_hash, seq, at_ms, action, &detail);
    conn.execute(
        "INSERT INTO audit_log (seq, at_ms, action, detail_json, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, at_ms as i64, action, detail, prev_hash, hash],
    )?;
    Ok(())
}

/// The whole audit log, oldest first.
pub fn audit_log(conn: &Connection) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at_ms, action, detail_json, prev_hash, hash FROM audit_log ORDER BY seq",
    )?;
    stmt.query_map([], |r| {
        let detail: String = r.get(3)?;
        Ok(AuditEntry {
            seq: r.get(0)?,
            at_ms: r.get::<_, i64>(1)? as u64,
            action: r.get(2)?,
            detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
            prev_hash: r.get(4)?,
            hash: r.get(5)?,
        })
    })?
    .collect()
}

/// Checks the chain: every entry's hash recomputes and links to the one before.
pub fn audit_chain_ok(log: &[AuditEntry]) -> bool {
    let mut prev = "0".repeat(64);
    log.iter().all(|e| {
        let ok = e.prev_hash == prev
            && e.hash
                == audit_hash(
                    &e.prev_hash,
                    e.seq,
                    e.at_ms,
                    &e.action,
                    &e.detail.to_string(),
                );
        prev = e.hash.clone();
        ok
    })
}

// The statements below are the rest of the SQLite backend's vocabulary: every read and write
// the handlers, the witness client and the demo make, named for what it means. No SQL is
// written anywhere else (the store's migrations and writer aside), so a second backend
// implements these and nothing in the handlers changes (issue 13).

fn hash32(bytes: Vec<u8>) -> rusqlite::Result<Hash32> {
    let h: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        rusqlite::Error::FromSqlConversionFailure(
            b.len(),
            rusqlite::types::Type::Blob,
            "a stored hash is not 32 bytes".into(),
        )
    })?;
    Ok(Hash32(h))
}

// --- The organizer's password and sessions ---

/// The organizer's password hash, once set.
pub fn password_hash(c: &Connection) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT password_hash FROM organizer WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Sets the organizer's password hash, replacing any; `end_sessions` logs everyone out.
pub fn set_password_hash(c: &Connection, hash: &str, end_sessions: bool) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO organizer (id, password_hash) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET password_hash = ?1",
        params![hash],
    )?;
    if end_sessions {
        c.execute("DELETE FROM sessions", [])?;
    }
    Ok(())
}

/// Starts a session (and forgets the expired ones).
pub fn start_session(
    c: &Connection,
    token_hash: &[u8],
    expires_at_ms: u64,
    now_ms: u64,
) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE expires_at_ms <= ?1",
        params![now_ms as i64],
    )?;
    c.execute(
        "INSERT INTO sessions (token_hash, expires_at_ms) VALUES (?1, ?2)",
        params![token_hash, expires_at_ms as i64],
    )?;
    Ok(())
}

/// Ends a session.
pub fn end_session(c: &Connection, token_hash: &[u8]) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        params![token_hash],
    )?;
    Ok(())
}

/// Whether a session with this token hash is live at `now_ms`.
pub fn session_live(c: &Connection, token_hash: &[u8], now_ms: u64) -> rusqlite::Result<bool> {
    Ok(c.query_row(
        "SELECT 1 FROM sessions WHERE token_hash = ?1 AND expires_at_ms > ?2",
        params![token_hash, now_ms as i64],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

// --- Campaigns and their draws' lifecycle ---

/// Stores a new draft; `false` when a campaign with its id exists.
pub fn insert_draft(c: &Connection, rules: &CampaignRules, now_ms: u64) -> rusqlite::Result<bool> {
    let json = serde_json::to_string(rules)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    Ok(c.execute(
        "INSERT OR IGNORE INTO campaigns (id, rules_json, state, created_at_ms) VALUES (?1, ?2, 'draft', ?3)",
        params![rules.id, json, now_ms as i64],
    )? == 1)
}

/// Replaces a draft's rules.
pub fn replace_rules(c: &Connection, id: &str, rules: &CampaignRules) -> rusqlite::Result<()> {
    let json = serde_json::to_string(rules)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    c.execute(
        "UPDATE campaigns SET rules_json = ?2 WHERE id = ?1",
        params![id, json],
    )?;
    Ok(())
}

/// Opens a campaign: its rules hash becomes the anchor and each of its `draws` starts collecting.
pub fn mark_open(
    c: &Connection,
    id: &str,
    rules_hash: &Hash32,
    now_ms: u64,
    draws: usize,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE campaigns SET state = 'open', rules_hash = ?2, opened_at_ms = ?3 WHERE id = ?1",
        params![id, rules_hash.to_hex(), now_ms as i64],
    )?;
    for i in 0..draws {
        c.execute(
            "INSERT INTO draws (campaign_id, draw_index, state) VALUES (?1, ?2, 'collecting')",
            params![id, i as u32],
        )?;
    }
    Ok(())
}

/// A draw's state (`collecting`, `frozen`, `drawn`, `published`), if the draw exists.
pub fn draw_state(c: &Connection, id: &str, n: u32) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT state FROM draws WHERE campaign_id = ?1 AND draw_index = ?2")?
        .query_row(params![id, n], |r| r.get(0))
        .optional()
}

/// Stores a seed party's commitment; `false` when the party has one.
pub fn insert_commitment(
    c: &Connection,
    id: &str,
    n: u32,
    commitment: &SeedCommitment,
) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "INSERT OR IGNORE INTO commitments (campaign_id, draw_index, party, commitment, published_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, n, commitment.party, commitment.commitment.to_hex(), commitment.published_at_ms as i64],
    )? == 1)
}

/// Marks a draw frozen with its signed freeze.
pub fn set_frozen(c: &Connection, id: &str, n: u32, freeze: &SignedFreeze) -> rusqlite::Result<()> {
    let json = serde_json::to_string(freeze)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    c.execute(
        "UPDATE draws SET state = 'frozen', freeze_json = ?3 WHERE campaign_id = ?1 AND draw_index = ?2",
        params![id, n, json],
    )?;
    Ok(())
}

/// Stores a seed party's reveal; `false` when the party has revealed before.
pub fn insert_reveal(c: &Connection, id: &str, n: u32, reveal: &Reveal) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "INSERT OR IGNORE INTO reveals (campaign_id, draw_index, party, secret, revealed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, n, reveal.party, hex::encode(reveal.secret.0), reveal.revealed_at_ms as i64],
    )? == 1)
}

/// Marks a frozen draw drawn, with its verified record and proof bundle; `false` when the
/// draw is not frozen (drawn already).
pub fn set_drawn(
    c: &Connection,
    id: &str,
    n: u32,
    record: &DrawRecord,
    bundle_json: &str,
) -> rusqlite::Result<bool> {
    let json = serde_json::to_string(record)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    Ok(c.execute(
        "UPDATE draws SET state = 'drawn', record_json = ?3, bundle_json = ?4 WHERE campaign_id = ?1 AND draw_index = ?2 AND state = 'frozen'",
        params![id, n, json, bundle_json],
    )? == 1)
}

/// Marks a drawn draw published; `false` when it is not drawn.
pub fn set_published(c: &Connection, id: &str, n: u32) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "UPDATE draws SET state = 'published' WHERE campaign_id = ?1 AND draw_index = ?2 AND state = 'drawn'",
        params![id, n],
    )? == 1)
}

/// A published draw's proof bundle (JSON).
pub fn published_bundle(c: &Connection, id: &str, n: u32) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT bundle_json FROM draws WHERE campaign_id = ?1 AND draw_index = ?2 AND state = 'published'",
        params![id, n],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()
    .map(Option::flatten)
}

/// Records the `seq`-th forfeit of a draw: the prize of rank `rank`.
pub fn insert_forfeit(
    c: &Connection,
    id: &str,
    n: u32,
    seq: usize,
    rank: u32,
    at_ms: u64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO forfeits (campaign_id, draw_index, seq, rank, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, n, seq as i64, rank, at_ms as i64],
    )?;
    Ok(())
}

// --- Entries ---

/// One entry as stored: its leaf and what stays private beside it.
#[derive(Debug, Clone)]
pub struct EntryRow<'a> {
    /// Campaign id.
    pub campaign_id: &'a str,
    /// The leaf (its index assigned).
    pub leaf: &'a Leaf,
    /// The leaf's hash.
    pub leaf_hash: &'a Hash32,
    /// The person key the caps count by (private; not the leaf's public pseudonym).
    pub person: &'a [u8],
    /// The full phone number (opened only for winners, to the organizer).
    pub phone: &'a str,
    /// The receipt as entered (for the organizer's prize claims and ticket recovery).
    pub receipt: &'a str,
    /// The day of entry (`yyyymmdd`, Beijing time), for the daily cap.
    pub entry_day: u32,
    /// The salt of the leaf's phone commitment.
    pub phone_salt: &'a [u8; 16],
    /// The client's idempotency key, if it sent one.
    pub idem_key: Option<&'a str>,
}

/// Appends an entry; `false` when its receipt is already in the campaign (the UNIQUE
/// constraint decides, even between concurrent submissions).
pub fn insert_entry(c: &Connection, draw_index: u32, e: &EntryRow) -> rusqlite::Result<bool> {
    let leaf_json = serde_json::to_string(e.leaf)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    Ok(c.prepare_cached(
        "INSERT OR IGNORE INTO entries (campaign_id, draw_index, leaf_index, ticket_id, fingerprint, participant, leaf_json, leaf_hash, phone, receipt, merchant_id, entry_day, entered_at_ms, phone_salt, weight, idem_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        e.campaign_id,
        draw_index,
        e.leaf.index as i64,
        e.leaf.ticket_id.0.as_slice(),
        e.leaf.fingerprint.0.as_slice(),
        e.person,
        leaf_json,
        e.leaf_hash.0.as_slice(),
        e.phone,
        e.receipt,
        e.leaf.merchant_id,
        e.entry_day,
        e.leaf.entered_at_ms as i64,
        e.phone_salt.as_slice(),
        e.leaf.weight,
        e.idem_key
    ])? == 1)
}

/// The entry an earlier attempt with the same idempotency key, receipt and person stored: its
/// leaf (JSON) and phone salt.
pub fn stored_retry(
    c: &Connection,
    id: &str,
    fingerprint: &[u8],
    idem_key: &str,
    person: &[u8],
) -> rusqlite::Result<Option<(String, Vec<u8>)>> {
    c.prepare_cached("SELECT leaf_json, phone_salt FROM entries WHERE campaign_id = ?1 AND fingerprint = ?2 AND idem_key = ?3 AND participant = ?4")?
        .query_row(params![id, fingerprint, idem_key, person], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// What a person's entries are counted over, for a cap.
#[derive(Debug, Clone, Copy)]
pub enum CapScope<'a> {
    /// One day (`yyyymmdd`).
    Day(u32),
    /// The whole campaign.
    Campaign,
    /// One merchant.
    Merchant(&'a str),
}

/// How many entries a person has in a campaign, within `scope`.
pub fn person_entries(
    c: &Connection,
    id: &str,
    person: &[u8],
    scope: CapScope,
) -> rusqlite::Result<u32> {
    match scope {
        CapScope::Day(day) => c.prepare_cached("SELECT COUNT(*) FROM entries WHERE campaign_id = ?1 AND participant = ?2 AND entry_day = ?3")?
            .query_row(params![id, person, day], |r| r.get(0)),
        CapScope::Campaign => c.prepare_cached("SELECT COUNT(*) FROM entries WHERE campaign_id = ?1 AND participant = ?2")?
            .query_row(params![id, person], |r| r.get(0)),
        CapScope::Merchant(m) => c.prepare_cached("SELECT COUNT(*) FROM entries WHERE campaign_id = ?1 AND participant = ?2 AND merchant_id = ?3")?
            .query_row(params![id, person, m], |r| r.get(0)),
    }
}

/// One of a person's entries, as ticket recovery reads it.
#[derive(Debug, Clone)]
pub struct PersonTicket {
    /// The receipt as entered.
    pub receipt: String,
    /// The ticket id.
    pub ticket_id: Vec<u8>,
    /// Its draw.
    pub draw_index: u32,
    /// Its leaf (JSON).
    pub leaf_json: String,
}

/// A person's entries in a campaign, oldest first.
pub fn person_tickets(
    c: &Connection,
    id: &str,
    person: &[u8],
) -> rusqlite::Result<Vec<PersonTicket>> {
    let mut stmt = c.prepare_cached(
        "SELECT receipt, ticket_id, draw_index, leaf_json FROM entries
         WHERE campaign_id = ?1 AND participant = ?2 ORDER BY entered_at_ms",
    )?;
    stmt.query_map(params![id, person], |r| {
        Ok(PersonTicket {
            receipt: r.get(0)?,
            ticket_id: r.get(1)?,
            draw_index: r.get(2)?,
            leaf_json: r.get(3)?,
        })
    })?
    .collect()
}

/// A ticket's draw and leaf (JSON).
pub fn ticket(c: &Connection, id: &str, ticket: &[u8]) -> rusqlite::Result<Option<(u32, String)>> {
    c.query_row(
        "SELECT draw_index, leaf_json FROM entries WHERE campaign_id = ?1 AND ticket_id = ?2",
        params![id, ticket],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// A ticket holder's phone and receipt, for a prize claim.
pub fn contact(c: &Connection, id: &str, ticket: &[u8]) -> rusqlite::Result<(String, String)> {
    c.query_row(
        "SELECT phone, receipt FROM entries WHERE campaign_id = ?1 AND ticket_id = ?2",
        params![id, ticket],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The phone and phone salt of one leaf of a draw (the salt is absent only in a version 1
/// data folder).
pub fn phone_opening(
    c: &Connection,
    id: &str,
    n: u32,
    leaf_index: u64,
) -> rusqlite::Result<(String, Option<Vec<u8>>)> {
    c.prepare_cached("SELECT phone, phone_salt FROM entries WHERE campaign_id = ?1 AND draw_index = ?2 AND leaf_index = ?3")?
        .query_row(params![id, n, leaf_index as i64], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The next leaf index of a draw, read inside the writer's transaction: no gaps, no reuse.
pub fn next_leaf_index(c: &Connection, id: &str, n: u32) -> rusqlite::Result<u64> {
    c.prepare_cached("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM entries WHERE campaign_id = ?1 AND draw_index = ?2")?
        .query_row(params![id, n], |r| r.get::<_, i64>(0))
        .map(|v| v as u64)
}

/// Each leaf's weight and hash, in index order.
pub type WeightedLeaves = Vec<(u32, Hash32)>;

/// Each leaf's weight and hash in index order, as the current transaction sees them, and the
/// latest acknowledgement time (what a freeze is made of).
pub fn weighted_leaves(
    c: &Connection,
    id: &str,
    n: u32,
) -> rusqlite::Result<(WeightedLeaves, Option<u64>)> {
    let mut stmt = c.prepare("SELECT weight, leaf_hash, entered_at_ms FROM entries WHERE campaign_id = ?1 AND draw_index = ?2 ORDER BY leaf_index")?;
    let mut rows = stmt.query(params![id, n])?;
    let mut out = Vec::new();
    let mut last: Option<u64> = None;
    while let Some(r) = rows.next()? {
        out.push((r.get::<_, u32>(0)?, hash32(r.get(1)?)?));
        let at = r.get::<_, i64>(2)? as u64;
        last = Some(last.map_or(at, |l| l.max(at)));
    }
    Ok((out, last))
}

/// Calls `each` with the JSON line of every leaf of a draw with an index in `from..to`, in
/// index order (the ledger's lines, without their newlines).
pub fn each_leaf_line(
    c: &Connection,
    id: &str,
    n: u32,
    from: u64,
    to: u64,
    mut each: impl FnMut(&[u8]) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT leaf_json FROM entries WHERE campaign_id = ?1 AND draw_index = ?2 AND leaf_index >= ?3 AND leaf_index < ?4 ORDER BY leaf_index",
    )?;
    let mut rows = stmt.query(params![id, n, from as i64, to as i64])?;
    while let Some(r) = rows.next()? {
        each(r.get_ref(0)?.as_bytes()?)?;
    }
    Ok(())
}

/// Every leaf hash of every draw, in index order (what the in-memory ledgers are built from at
/// start).
pub fn each_leaf_hash(
    c: &Connection,
    mut each: impl FnMut((String, u32), Hash32),
) -> rusqlite::Result<()> {
    let mut stmt = c.prepare(
        "SELECT campaign_id, draw_index, leaf_hash FROM entries ORDER BY campaign_id, draw_index, leaf_index",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        each((row.get(0)?, row.get(1)?), hash32(row.get(2)?)?);
    }
    Ok(())
}

// --- The witnessed journal (SPEC.md §17) ---

/// How many events a campaign's journal holds.
pub fn journal_len(c: &Connection, id: &str) -> rusqlite::Result<u64> {
    c.query_row(
        "SELECT count(*) FROM journal WHERE campaign_id = ?1",
        params![id],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
}

/// Appends an event (JSON, with its leaf hash) at index `idx` of a campaign's journal.
pub fn insert_journal_event(
    c: &Connection,
    id: &str,
    idx: u64,
    event_json: &str,
    leaf_hash: &Hash32,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO journal (campaign_id, idx, event_json, leaf_hash) VALUES (?1, ?2, ?3, ?4)",
        params![id, idx as i64, event_json, leaf_hash.0.as_slice()],
    )?;
    Ok(())
}

/// A campaign's journal events (JSON), in order.
pub fn journal_events(c: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        c.prepare("SELECT event_json FROM journal WHERE campaign_id = ?1 ORDER BY idx")?;
    stmt.query_map(params![id], |r| r.get(0))?.collect()
}

/// The campaigns that have a journal.
pub fn journal_campaigns(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare("SELECT DISTINCT campaign_id FROM journal")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// One stored cosignature.
#[derive(Debug, Clone)]
pub struct StoredCosignature {
    /// Journal size.
    pub size: u64,
    /// Witness index in the rules.
    pub witness: usize,
    /// The signature line.
    pub line: String,
    /// Its time.
    pub time: u64,
}

/// Every stored cosignature of a campaign's journal, by size then witness.
pub fn cosignatures(c: &Connection, id: &str) -> rusqlite::Result<Vec<StoredCosignature>> {
    let mut stmt = c.prepare(
        "SELECT size, witness, line, time FROM cosignatures WHERE campaign_id = ?1 ORDER BY size, witness",
    )?;
    stmt.query_map(params![id], |r| {
        Ok(StoredCosignature {
            size: r.get::<_, i64>(0)? as u64,
            witness: r.get::<_, i64>(1)? as usize,
            line: r.get(2)?,
            time: r.get::<_, i64>(3)? as u64,
        })
    })?
    .collect()
}

/// The witnesses (indexes in the rules) that cosigned a journal of more than `index` events.
pub fn witnesses_past(c: &Connection, id: &str, index: u64) -> rusqlite::Result<Vec<usize>> {
    let mut stmt = c.prepare(
        "SELECT DISTINCT witness FROM cosignatures WHERE campaign_id = ?1 AND size > ?2",
    )?;
    stmt.query_map(params![id, index as i64], |r| {
        r.get::<_, i64>(0).map(|x| x as usize)
    })?
    .collect()
}

/// Stores a witness's cosignature of the journal at `size` (a second one is ignored).
pub fn insert_cosignature(
    c: &Connection,
    id: &str,
    size: u64,
    witness: usize,
    line: &str,
    time: u64,
    received_at_ms: u64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO cosignatures (campaign_id, size, witness, line, time, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, size as i64, witness as i64, line, time as i64, received_at_ms as i64],
    )?;
    Ok(())
}

// --- Backups ---

/// Writes a consistent copy of the database to `path` (a new file): SQLite's `VACUUM INTO`,
/// one read transaction, so the writer carries on meanwhile.
pub fn copy_into(c: &Connection, path: &std::path::Path) -> rusqlite::Result<()> {
    let path = path
        .to_str()
        .ok_or_else(|| rusqlite::Error::InvalidPath(path.to_owned()))?;
    c.execute("VACUUM INTO ?1", params![path])?;
    Ok(())
}

/// SQLite's integrity check: `ok`, or the first problem it found.
pub fn integrity_check(c: &Connection) -> rusqlite::Result<String> {
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
}
