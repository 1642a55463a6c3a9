//! `fairdraw-server --data DIR --backup-to OUT`: a consistent copy of a data folder, taken while
//! the server keeps running: the database as one read transaction saw it (SQLite's
//! `VACUUM INTO`, which reads a snapshot and never holds up the writer) and the server's two
//! keys, so a server started on the copy (`--data OUT`) signs with the same key and finds the
//! same tickets. The copy is checked before it is called done: it opens, passes SQLite's
//! integrity check, and every draw's ledger is read whole into its root.

use crate::state::{DB_FILE, private_file, private_folder};
use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle::CompactTree;
use std::collections::BTreeMap;
use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};

/// The key files a data folder holds beside its database: the server's Ed25519 signing key
/// and its pseudonym key (secrets: copied owner-only).
pub const KEY_FILES: [&str; 2] = ["signing.key", "pseudonym.key"];

/// What a checked backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The folder written.
    pub dir: PathBuf,
    /// Entries in all draws.
    pub entries: u64,
    /// Each draw's ledger in the copy: campaign, draw, size and root (compare them with the
    /// server's signed tree heads).
    pub ledgers: Vec<(String, u32, u64, Hash32)>,
}

/// Copies the data folder `data` into `out` (created; it must not exist or be empty) and checks
/// the copy.
pub fn backup(data: &Path, out: &Path) -> std::io::Result<Backup> {
    let src = data.join(DB_FILE);
    if !src.is_file() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("{}: no fairdraw database here", src.display()),
        ));
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("{}: not empty; back up into a new folder", out.display()),
        ));
    }
    std::fs::create_dir_all(out)?;
    private_folder(out)?;
    let sql = |e: crate::sql::Error| Error::other(format!("{}: {e}", src.display()));
    let conn = rusqlite::Connection::open(&src).map_err(|e| sql(e.into()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| sql(e.into()))?;
    let copy = out.join(DB_FILE);
    crate::db::copy_into(&conn, &copy).map_err(sql)?;
    private_file(&copy)?;
    for key in KEY_FILES {
        std::fs::copy(data.join(key), out.join(key))
            .map_err(|e| Error::new(e.kind(), format!("{}: {e}", data.join(key).display())))?;
        private_file(&out.join(key))?;
    }
    // On disk before it is called a backup: the files, then the folder that names them.
    for file in [copy.clone(), out.join(KEY_FILES[0]), out.join(KEY_FILES[1])] {
        std::fs::File::open(&file)?.sync_all()?;
    }
    std::fs::File::open(out)?.sync_all()?;
    check(&copy, out)
}

/// Opens a copy and reads it whole: SQLite's integrity check, then every draw's ledger.
fn check(copy: &Path, out: &Path) -> std::io::Result<Backup> {
    let sql = |e: crate::sql::Error| Error::other(format!("{}: {e}", copy.display()));
    let conn =
        rusqlite::Connection::open_with_flags(copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| sql(e.into()))?;
    let verdict = crate::db::integrity_check(&conn).map_err(sql)?;
    if verdict != "ok" {
        return Err(Error::other(format!(
            "{}: the copy fails SQLite's integrity check: {verdict}",
            copy.display()
        )));
    }
    let mut trees: BTreeMap<(String, u32), CompactTree> = BTreeMap::new();
    crate::db::each_leaf_hash(crate::sql::Conn::Lite(&conn), |key, hash| {
        trees.entry(key).or_default().push_hash(hash);
    })
    .map_err(sql)?;
    Ok(Backup {
        dir: out.to_owned(),
        entries: trees.values().map(CompactTree::size).sum(),
        ledgers: trees
            .into_iter()
            .map(|((campaign, draw), tree)| (campaign, draw, tree.size(), tree.root()))
            .collect(),
    })
}
