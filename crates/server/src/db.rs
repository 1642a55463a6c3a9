//! Every statement the server runs, named for what it means: row-level reads and writes,
//! shared by the handlers and the writer jobs, on either backend ([`Conn`]: SQLite or
//! PostgreSQL). Apart from the stores' schemas and writers (store.rs, pg.rs), no SQL is written
//! anywhere else. Each statement is written once in the SQL both databases read alike; the few
//! that differ say so.

use crate::args;
pub use crate::sql::{Conn, Error, Result};
use fairdraw_core::encode::Encoder;
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::hash::Hash32;
use fairdraw_core::ledger::Leaf;
use fairdraw_core::record::DrawRecord;
use fairdraw_core::rules::CampaignRules;
use fairdraw_core::seed::SeedCommitment;
use fairdraw_core::seed::{Reveal, SeedSecret};
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

fn json_col<T: serde::de::DeserializeOwned>(text: Option<&str>) -> Result<Option<T>> {
    text.map(|t| serde_json::from_str(t).map_err(Error::data))
        .transpose()
}

fn to_json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(Error::data)
}

/// Loads a campaign.
pub fn campaign(c: Conn, id: &str) -> Result<Option<CampaignRow>> {
    c.first(
        "SELECT rules_json, state, opened_at_ms FROM campaigns WHERE id = $1",
        args![id],
        |r| {
            let rules: CampaignRules =
                json_col(Some(r.text(0)?))?.ok_or_else(|| Error::data("no rules"))?;
            Ok(CampaignRow {
                rules_hash: rules.hash(),
                rules,
                state: r.text(1)?.to_owned(),
                opened_at_ms: r.opt_int(2)?.map(|v| v as u64),
            })
        },
    )
}

/// Campaign ids, newest first.
pub fn campaign_ids(c: Conn) -> Result<Vec<String>> {
    c.all(
        "SELECT id FROM campaigns ORDER BY created_at_ms DESC, id",
        args![],
        |r| Ok(r.text(0)?.to_owned()),
    )
}

/// A campaign's draws.
pub fn draws(c: Conn, id: &str) -> Result<Vec<DrawRow>> {
    c.all(
        "SELECT draw_index, state, freeze_json, record_json FROM draws WHERE campaign_id = $1 ORDER BY draw_index",
        args![id],
        |r| {
            Ok(DrawRow {
                index: r.u32(0)?,
                state: r.text(1)?.to_owned(),
                freeze: json_col(r.opt_text(2)?)?,
                record: json_col(r.opt_text(3)?)?,
            })
        },
    )
}

/// One draw.
pub fn draw(c: Conn, id: &str, index: u32) -> Result<Option<DrawRow>> {
    Ok(draws(c, id)?.into_iter().find(|d| d.index == index))
}

/// Sorts by the rules' party order.
fn in_party_order<T>(mut found: Vec<T>, parties: &[String], party: impl Fn(&T) -> &str) -> Vec<T> {
    found.sort_by_key(|x| {
        parties
            .iter()
            .position(|p| p == party(x))
            .unwrap_or(usize::MAX)
    });
    found
}

/// A draw's commitments, in the rules' party order.
pub fn commitments(
    c: Conn,
    id: &str,
    index: u32,
    parties: &[String],
) -> Result<Vec<SeedCommitment>> {
    let found = c.all(
        "SELECT party, commitment, published_at_ms FROM commitments WHERE campaign_id = $1 AND draw_index = $2",
        args![id, index],
        |r| {
            Ok(SeedCommitment {
                party: r.text(0)?.to_owned(),
                commitment: Hash32::from_hex(r.text(1)?).unwrap_or_default(),
                published_at_ms: r.u64(2)?,
            })
        },
    )?;
    Ok(in_party_order(found, parties, |c| &c.party))
}

/// A draw's reveals so far, in the rules' party order.
pub fn reveals(c: Conn, id: &str, index: u32, parties: &[String]) -> Result<Vec<Reveal>> {
    let found = c.all(
        "SELECT party, secret, revealed_at_ms FROM reveals WHERE campaign_id = $1 AND draw_index = $2",
        args![id, index],
        |r| {
            Ok(Reveal {
                party: r.text(0)?.to_owned(),
                secret: SeedSecret(
                    fairdraw_core::hash::fixed_hex::<32>(r.text(1)?).unwrap_or_default(),
                ),
                revealed_at_ms: r.u64(2)?,
            })
        },
    )?;
    Ok(in_party_order(found, parties, |x| &x.party))
}

/// The prizes forfeited in a draw, in the order the forfeits were made.
pub fn forfeits(c: Conn, id: &str, index: u32) -> Result<Vec<u32>> {
    c.all(
        "SELECT rank FROM forfeits WHERE campaign_id = $1 AND draw_index = $2 ORDER BY seq",
        args![id, index],
        |r| r.u32(0),
    )
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
pub fn audit(c: Conn, at_ms: u64, action: &str, detail: &Value) -> Result<()> {
    let (prev_seq, prev_hash) = c
        .first(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            args![],
            |r| Ok((r.int(0)?, r.text(1)?.to_owned())),
        )?
        .unwrap_or((0, "0".repeat(64)));
    let seq = prev_seq + 1;
    let detail = detail.to_string();
    let hash = audit_hash(&prev_hash, seq, at_ms, action, &detail);
    c.execute(
        "INSERT INTO audit_log (seq, at_ms, action, detail_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)",
        args![seq, at_ms, action, &detail, &prev_hash, &hash],
    )?;
    Ok(())
}

/// The whole audit log, oldest first.
pub fn audit_log(c: Conn) -> Result<Vec<AuditEntry>> {
    c.all(
        "SELECT seq, at_ms, action, detail_json, prev_hash, hash FROM audit_log ORDER BY seq",
        args![],
        |r| {
            Ok(AuditEntry {
                seq: r.int(0)?,
                at_ms: r.u64(1)?,
                action: r.text(2)?.to_owned(),
                detail: serde_json::from_str(r.text(3)?).unwrap_or(Value::Null),
                prev_hash: r.text(4)?.to_owned(),
                hash: r.text(5)?.to_owned(),
            })
        },
    )
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

fn hash32(bytes: &[u8]) -> Result<Hash32> {
    let h: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::data(format!("a stored hash is {} bytes, not 32", bytes.len())))?;
    Ok(Hash32(h))
}

// --- The organizer's password and sessions ---

/// The organizer's password hash, once set.
pub fn password_hash(c: Conn) -> Result<Option<String>> {
    c.first(
        "SELECT password_hash FROM organizer WHERE id = 1",
        args![],
        |r| Ok(r.text(0)?.to_owned()),
    )
}

/// Sets the organizer's password hash, replacing any; `end_sessions` logs everyone out.
pub fn set_password_hash(c: Conn, hash: &str, end_sessions: bool) -> Result<()> {
    c.execute(
        "INSERT INTO organizer (id, password_hash) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET password_hash = $1",
        args![hash],
    )?;
    if end_sessions {
        c.execute("DELETE FROM sessions", args![])?;
    }
    Ok(())
}

/// Starts a session (and forgets the expired ones).
pub fn start_session(c: Conn, token_hash: &[u8], expires_at_ms: u64, now_ms: u64) -> Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE expires_at_ms <= $1",
        args![now_ms],
    )?;
    c.execute(
        "INSERT INTO sessions (token_hash, expires_at_ms) VALUES ($1, $2)",
        args![token_hash, expires_at_ms],
    )?;
    Ok(())
}

/// Ends a session.
pub fn end_session(c: Conn, token_hash: &[u8]) -> Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        args![token_hash],
    )?;
    Ok(())
}

/// Whether a session with this token hash is live at `now_ms`.
pub fn session_live(c: Conn, token_hash: &[u8], now_ms: u64) -> Result<bool> {
    Ok(c.first(
        "SELECT 1 FROM sessions WHERE token_hash = $1 AND expires_at_ms > $2",
        args![token_hash, now_ms],
        |_| Ok(()),
    )?
    .is_some())
}

// --- Campaigns and their draws' lifecycle ---

/// Stores a new draft; `false` when a campaign with its id exists.
pub fn insert_draft(c: Conn, rules: &CampaignRules, now_ms: u64) -> Result<bool> {
    Ok(c.execute(
        "INSERT INTO campaigns (id, rules_json, state, created_at_ms) VALUES ($1, $2, 'draft', $3)
         ON CONFLICT DO NOTHING",
        args![&rules.id, &to_json(rules)?, now_ms],
    )? == 1)
}

/// Replaces a draft's rules.
pub fn replace_rules(c: Conn, id: &str, rules: &CampaignRules) -> Result<()> {
    c.execute(
        "UPDATE campaigns SET rules_json = $2 WHERE id = $1",
        args![id, &to_json(rules)?],
    )?;
    Ok(())
}

/// Opens a campaign: its rules hash becomes the anchor and each of its `draws` starts collecting.
pub fn mark_open(c: Conn, id: &str, rules_hash: &Hash32, now_ms: u64, draws: usize) -> Result<()> {
    c.execute(
        "UPDATE campaigns SET state = 'open', rules_hash = $2, opened_at_ms = $3 WHERE id = $1",
        args![id, &rules_hash.to_hex(), now_ms],
    )?;
    for i in 0..draws {
        c.execute(
            "INSERT INTO draws (campaign_id, draw_index, state) VALUES ($1, $2, 'collecting')",
            args![id, i],
        )?;
    }
    Ok(())
}

/// A draw's state (`collecting`, `frozen`, `drawn`, `published`), if the draw exists.
pub fn draw_state(c: Conn, id: &str, n: u32) -> Result<Option<String>> {
    c.first(
        "SELECT state FROM draws WHERE campaign_id = $1 AND draw_index = $2",
        args![id, n],
        |r| Ok(r.text(0)?.to_owned()),
    )
}

/// Stores a seed party's commitment; `false` when the party has one.
pub fn insert_commitment(c: Conn, id: &str, n: u32, commitment: &SeedCommitment) -> Result<bool> {
    Ok(c.execute(
        "INSERT INTO commitments (campaign_id, draw_index, party, commitment, published_at_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        args![id, n, &commitment.party, &commitment.commitment.to_hex(), commitment.published_at_ms],
    )? == 1)
}

/// Marks a draw frozen with its signed freeze.
pub fn set_frozen(c: Conn, id: &str, n: u32, freeze: &SignedFreeze) -> Result<()> {
    c.execute(
        "UPDATE draws SET state = 'frozen', freeze_json = $3 WHERE campaign_id = $1 AND draw_index = $2",
        args![id, n, &to_json(freeze)?],
    )?;
    Ok(())
}

/// Stores a seed party's reveal; `false` when the party has revealed before.
pub fn insert_reveal(c: Conn, id: &str, n: u32, reveal: &Reveal) -> Result<bool> {
    Ok(c.execute(
        "INSERT INTO reveals (campaign_id, draw_index, party, secret, revealed_at_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        args![id, n, &reveal.party, &hex::encode(reveal.secret.0), reveal.revealed_at_ms],
    )? == 1)
}

/// Marks a frozen draw drawn, with its verified record and proof bundle; `false` when the
/// draw is not frozen (drawn already).
pub fn set_drawn(
    c: Conn,
    id: &str,
    n: u32,
    record: &DrawRecord,
    bundle_json: &str,
) -> Result<bool> {
    Ok(c.execute(
        "UPDATE draws SET state = 'drawn', record_json = $3, bundle_json = $4 WHERE campaign_id = $1 AND draw_index = $2 AND state = 'frozen'",
        args![id, n, &to_json(record)?, bundle_json],
    )? == 1)
}

/// Marks a drawn draw published; `false` when it is not drawn.
pub fn set_published(c: Conn, id: &str, n: u32) -> Result<bool> {
    Ok(c.execute(
        "UPDATE draws SET state = 'published' WHERE campaign_id = $1 AND draw_index = $2 AND state = 'drawn'",
        args![id, n],
    )? == 1)
}

/// A published draw's proof bundle (JSON).
pub fn published_bundle(c: Conn, id: &str, n: u32) -> Result<Option<String>> {
    Ok(c.first(
        "SELECT bundle_json FROM draws WHERE campaign_id = $1 AND draw_index = $2 AND state = 'published'",
        args![id, n],
        |r| Ok(r.opt_text(0)?.map(str::to_owned)),
    )?
    .flatten())
}

/// Records the `seq`-th forfeit of a draw: the prize of rank `rank`.
pub fn insert_forfeit(c: Conn, id: &str, n: u32, seq: usize, rank: u32, at_ms: u64) -> Result<()> {
    c.execute(
        "INSERT INTO forfeits (campaign_id, draw_index, seq, rank, at_ms) VALUES ($1, $2, $3, $4, $5)",
        args![id, n, seq, rank, at_ms],
    )?;
    Ok(())
}

// --- Entries ---
//
// On PostgreSQL an entry is first stored without a leaf index (queued: its leaf, index 0, in
// `leaf_json`, no `leaf_hash`) and placed by the sequencer (pg.rs); the statements that read
// the ledger skip queued rows. On SQLite every entry is placed as it is stored.

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
/// constraint decides, even between concurrent submissions). A leaf index already taken is an
/// error, never a "duplicate": it would mean two writers, which the write lock rules out.
pub fn insert_entry(c: Conn, draw_index: u32, e: &EntryRow) -> Result<bool> {
    let leaf_json = to_json(e.leaf)?;
    Ok(c.execute(
        "INSERT INTO entries (campaign_id, draw_index, leaf_index, ticket_id, fingerprint, participant, leaf_json, leaf_hash, phone, receipt, merchant_id, entry_day, entered_at_ms, phone_salt, weight, idem_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (campaign_id, fingerprint) DO NOTHING",
        args![
            e.campaign_id,
            draw_index,
            e.leaf.index,
            e.leaf.ticket_id.0.as_slice(),
            e.leaf.fingerprint.0.as_slice(),
            e.person,
            &leaf_json,
            e.leaf_hash.0.as_slice(),
            e.phone,
            e.receipt,
            &e.leaf.merchant_id,
            e.entry_day,
            e.leaf.entered_at_ms,
            e.phone_salt.as_slice(),
            e.leaf.weight,
            e.idem_key
        ],
    )? == 1)
}

/// The entry an earlier attempt with the same idempotency key, receipt and person stored: its
/// leaf (JSON) and phone salt.
pub fn stored_retry(
    c: Conn,
    id: &str,
    fingerprint: &[u8],
    idem_key: &str,
    person: &[u8],
) -> Result<Option<(String, Vec<u8>)>> {
    c.first(
        "SELECT leaf_json, phone_salt FROM entries WHERE campaign_id = $1 AND fingerprint = $2 AND idem_key = $3 AND participant = $4",
        args![id, fingerprint, idem_key, person],
        |r| Ok((r.text(0)?.to_owned(), r.bytes(1)?.to_vec())),
    )
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
pub fn person_entries(c: Conn, id: &str, person: &[u8], scope: CapScope) -> Result<u32> {
    let count = |sql: &str, args: &[crate::sql::Arg]| c.one(sql, args, |r| r.u32(0));
    match scope {
        CapScope::Day(day) => count(
            "SELECT COUNT(*) FROM entries WHERE campaign_id = $1 AND participant = $2 AND entry_day = $3",
            args![id, person, day],
        ),
        CapScope::Campaign => count(
            "SELECT COUNT(*) FROM entries WHERE campaign_id = $1 AND participant = $2",
            args![id, person],
        ),
        CapScope::Merchant(m) => count(
            "SELECT COUNT(*) FROM entries WHERE campaign_id = $1 AND participant = $2 AND merchant_id = $3",
            args![id, person, m],
        ),
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
pub fn person_tickets(c: Conn, id: &str, person: &[u8]) -> Result<Vec<PersonTicket>> {
    c.all(
        "SELECT receipt, ticket_id, draw_index, leaf_json FROM entries
         WHERE campaign_id = $1 AND participant = $2 AND leaf_index IS NOT NULL ORDER BY entered_at_ms",
        args![id, person],
        |r| {
            Ok(PersonTicket {
                receipt: r.text(0)?.to_owned(),
                ticket_id: r.bytes(1)?.to_vec(),
                draw_index: r.u32(2)?,
                leaf_json: r.text(3)?.to_owned(),
            })
        },
    )
}

/// A ticket's draw and leaf (JSON).
pub fn ticket(c: Conn, id: &str, ticket: &[u8]) -> Result<Option<(u32, String)>> {
    c.first(
        "SELECT draw_index, leaf_json FROM entries WHERE campaign_id = $1 AND ticket_id = $2 AND leaf_index IS NOT NULL",
        args![id, ticket],
        |r| Ok((r.u32(0)?, r.text(1)?.to_owned())),
    )
}

/// A ticket holder's phone and receipt, for a prize claim.
pub fn contact(c: Conn, id: &str, ticket: &[u8]) -> Result<(String, String)> {
    c.one(
        "SELECT phone, receipt FROM entries WHERE campaign_id = $1 AND ticket_id = $2",
        args![id, ticket],
        |r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned())),
    )
}

/// The phone and phone salt of one leaf of a draw (the salt is absent only in a version 1
/// data folder).
pub fn phone_opening(
    c: Conn,
    id: &str,
    n: u32,
    leaf_index: u64,
) -> Result<(String, Option<Vec<u8>>)> {
    c.one(
        "SELECT phone, phone_salt FROM entries WHERE campaign_id = $1 AND draw_index = $2 AND leaf_index = $3",
        args![id, n, leaf_index],
        |r| Ok((r.text(0)?.to_owned(), r.opt_bytes(1)?.map(<[u8]>::to_vec))),
    )
}

/// Closes a draw to entries and places its queued entries in its ledger, inside a write
/// transaction, before the ledger is read to freeze it. On PostgreSQL, entries are accepted by
/// any server alongside the writer: this waits for those being accepted (they hold the draw's
/// lock, shared, and see the draw frozen once this commits) and places the ones queued. Nothing to do on
/// SQLite, whose writer places each entry as it stores it.
pub fn settle_entries(c: Conn, id: &str, n: u32) -> Result<()> {
    match c {
        Conn::Lite(_) => Ok(()),
        Conn::Pg(p) => crate::pg::settle(p, id, n),
    }
}

/// The next leaf index of a draw, read inside the writer's transaction: no gaps, no reuse.
pub fn next_leaf_index(c: Conn, id: &str, n: u32) -> Result<u64> {
    c.one(
        "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM entries WHERE campaign_id = $1 AND draw_index = $2",
        args![id, n],
        |r| r.u64(0),
    )
}

/// Each leaf's weight and hash, in index order.
pub type WeightedLeaves = Vec<(u32, Hash32)>;

/// Each leaf's weight and hash in index order, as the current transaction sees them, and the
/// latest acknowledgement time (what a freeze is made of).
pub fn weighted_leaves(c: Conn, id: &str, n: u32) -> Result<(WeightedLeaves, Option<u64>)> {
    let mut out = Vec::new();
    let mut last: Option<u64> = None;
    c.each(
        "SELECT weight, leaf_hash, entered_at_ms FROM entries WHERE campaign_id = $1 AND draw_index = $2 AND leaf_index IS NOT NULL ORDER BY leaf_index",
        args![id, n],
        |r| {
            out.push((r.u32(0)?, hash32(r.bytes(1)?)?));
            let at = r.u64(2)?;
            last = Some(last.map_or(at, |l| l.max(at)));
            Ok(())
        },
    )?;
    Ok((out, last))
}

/// Calls `each` with the JSON line of every leaf of a draw with an index in `from..to`, in
/// index order (the ledger's lines, without their newlines).
pub fn each_leaf_line(
    c: Conn,
    id: &str,
    n: u32,
    from: u64,
    to: u64,
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    c.each(
        "SELECT leaf_json FROM entries WHERE campaign_id = $1 AND draw_index = $2 AND leaf_index >= $3 AND leaf_index < $4 ORDER BY leaf_index",
        args![id, n, from, to],
        |r| each(r.text(0)?.as_bytes()),
    )
}

/// Every leaf hash of every draw, in index order (what the in-memory ledgers are built from at
/// start).
pub fn each_leaf_hash(c: Conn, mut each: impl FnMut((String, u32), Hash32)) -> Result<()> {
    c.each(
        "SELECT campaign_id, draw_index, leaf_hash FROM entries WHERE leaf_index IS NOT NULL ORDER BY campaign_id, draw_index, leaf_index",
        args![],
        |r| {
            each((r.text(0)?.to_owned(), r.u32(1)?), hash32(r.bytes(2)?)?);
            Ok(())
        },
    )
}

/// The leaf hashes of a draw from index `from` on, in index order (what another server
/// appended since this one last looked).
pub fn leaf_hashes_from(c: Conn, id: &str, n: u32, from: u64) -> Result<Vec<Hash32>> {
    c.all(
        "SELECT leaf_hash FROM entries WHERE campaign_id = $1 AND draw_index = $2 AND leaf_index >= $3 ORDER BY leaf_index",
        args![id, n, from],
        |r| hash32(r.bytes(0)?),
    )
}

// --- The witnessed journal (SPEC.md §17) ---

/// How many events a campaign's journal holds.
pub fn journal_len(c: Conn, id: &str) -> Result<u64> {
    c.one(
        "SELECT count(*) FROM journal WHERE campaign_id = $1",
        args![id],
        |r| r.u64(0),
    )
}

/// Appends an event (JSON, with its leaf hash) at index `idx` of a campaign's journal.
pub fn insert_journal_event(
    c: Conn,
    id: &str,
    idx: u64,
    event_json: &str,
    leaf_hash: &Hash32,
) -> Result<()> {
    c.execute(
        "INSERT INTO journal (campaign_id, idx, event_json, leaf_hash) VALUES ($1, $2, $3, $4)",
        args![id, idx, event_json, leaf_hash.0.as_slice()],
    )?;
    Ok(())
}

/// A campaign's journal events (JSON), in order.
pub fn journal_events(c: Conn, id: &str) -> Result<Vec<String>> {
    c.all(
        "SELECT event_json FROM journal WHERE campaign_id = $1 ORDER BY idx",
        args![id],
        |r| Ok(r.text(0)?.to_owned()),
    )
}

/// The campaigns that have a journal.
pub fn journal_campaigns(c: Conn) -> Result<Vec<String>> {
    c.all("SELECT DISTINCT campaign_id FROM journal", args![], |r| {
        Ok(r.text(0)?.to_owned())
    })
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
pub fn cosignatures(c: Conn, id: &str) -> Result<Vec<StoredCosignature>> {
    c.all(
        "SELECT size, witness, line, time FROM cosignatures WHERE campaign_id = $1 ORDER BY size, witness",
        args![id],
        |r| {
            Ok(StoredCosignature {
                size: r.u64(0)?,
                witness: r.u64(1)? as usize,
                line: r.text(2)?.to_owned(),
                time: r.u64(3)?,
            })
        },
    )
}

/// The witnesses (indexes in the rules) that cosigned a journal of more than `index` events.
pub fn witnesses_past(c: Conn, id: &str, index: u64) -> Result<Vec<usize>> {
    c.all(
        "SELECT DISTINCT witness FROM cosignatures WHERE campaign_id = $1 AND size > $2",
        args![id, index],
        |r| Ok(r.u64(0)? as usize),
    )
}

/// Stores a witness's cosignature of the journal at `size` (a second one is ignored).
pub fn insert_cosignature(
    c: Conn,
    id: &str,
    size: u64,
    witness: usize,
    line: &str,
    time: u64,
    received_at_ms: u64,
) -> Result<()> {
    c.execute(
        "INSERT INTO cosignatures (campaign_id, size, witness, line, time, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
        args![id, size, witness, line, time, received_at_ms],
    )?;
    Ok(())
}

// --- Backups (SQLite only: a PostgreSQL operator has pg_basebackup and replicas) ---

/// Writes a consistent copy of the SQLite database to `path` (a new file): `VACUUM INTO`, one
/// read transaction, so the writer carries on meanwhile.
pub fn copy_into(c: &rusqlite::Connection, path: &std::path::Path) -> Result<()> {
    let path = path
        .to_str()
        .ok_or_else(|| rusqlite::Error::InvalidPath(path.to_owned()))?;
    c.execute("VACUUM INTO ?1", [path])?;
    Ok(())
}

/// SQLite's integrity check: `ok`, or the first problem it found.
pub fn integrity_check(c: &rusqlite::Connection) -> Result<String> {
    Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
}

// --- Several servers, one database ---

/// Records the server's key fingerprints at a database's first start (PostgreSQL only: an
/// SQLite file has one server, and the keys beside it); `true` when the database
/// has these (a server with other keys must not write to it).
pub fn claim_server_key(c: Conn, public_key: &str, pseudonym_check: &str) -> Result<bool> {
    c.execute(
        "INSERT INTO server_key (id, public_key, pseudonym_key_check) VALUES (1, $1, $2)
         ON CONFLICT DO NOTHING",
        args![public_key, pseudonym_check],
    )?;
    c.one(
        "SELECT CASE WHEN public_key = $1 AND pseudonym_key_check = $2 THEN 1 ELSE 0 END FROM server_key WHERE id = 1",
        args![public_key, pseudonym_check],
        |r| Ok(r.int(0)? != 0),
    )
}
