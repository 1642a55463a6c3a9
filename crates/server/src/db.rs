//! Row-level reads and writes on a SQLite connection, shared by the handlers and the writer jobs.

use fairdraw_core::encode::Encoder;
use fairdraw_core::freeze::SignedFreeze;
use fairdraw_core::hash::Hash32;
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
