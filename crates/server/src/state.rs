//! Shared state of the HTTP handlers: the store, the keys, the clock and the login limiter.

use crate::sql::Conn;
use crate::store::{SqliteStore, Store};
use ed25519_dalek::SigningKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Where "now" comes from: the system clock, or a clock a test sets.
pub trait Clock: Send + Sync + 'static {
    /// Unix milliseconds.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock(pub AtomicU64);

impl ManualClock {
    /// A clock at `ms`.
    pub fn at(ms: u64) -> Self {
        ManualClock(AtomicU64::new(ms))
    }
    /// Moves to `ms`.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The server's secrets, kept in the data directory and never logged.
pub struct Keys {
    /// Signs tree heads and ticket promises.
    pub signing: SigningKey,
    /// Keys participant pseudonyms and receipt fingerprints.
    pub pseudonym: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keys {{ public: {} }}",
            hex::encode(self.signing.verifying_key().to_bytes())
        )
    }
}

/// 32 random bytes from the operating system.
pub fn random_32() -> std::io::Result<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(b)
}

/// 16 random bytes (ticket ids).
pub fn random_16() -> std::io::Result<[u8; 16]> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(b)
}

fn load_or_create(path: &Path) -> std::io::Result<[u8; 32]> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return fairdraw_core::hash::fixed_hex::<32>(&text)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())));
    }
    let key = random_32()?;
    write_secret(path, &hex::encode(key))?;
    Ok(key)
}

/// Makes a folder the owner's only (0700).
pub fn private_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let _ = dir;
    Ok(())
}

/// Makes a file the owner's only (0600).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

/// Writes a file readable by its owner only.
pub fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

impl Keys {
    /// What the database keeps of the keys, to refuse a server with others: the public key,
    /// and a hash of the pseudonym key (the key itself never leaves the data folder).
    pub fn fingerprints(&self) -> (String, String) {
        let mut e =
            fairdraw_core::encode::Encoder::with_tag("fairdraw/server/pseudonym-key-check/v1");
        e.bytes(&self.pseudonym);
        (
            hex::encode(self.signing.verifying_key().to_bytes()),
            e.sha256().to_hex(),
        )
    }

    /// Loads the keys from `dir`, generating them at first start.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let signing = SigningKey::from_bytes(&load_or_create(&dir.join("signing.key"))?);
        let pseudonym = load_or_create(&dir.join("pseudonym.key"))?;
        Ok(Keys { signing, pseudonym })
    }
}

/// Counts login attempts per client in fixed windows, and failed guesses across all clients:
/// after [`FREE_FAILURES`] failures in a row, each further attempt must wait twice as long as
/// the last (from 1 s up to [`MAX_BACKOFF_MS`]), whoever sends it. So guessing from many
/// addresses gains nothing, and the real organizer waits at most minutes (or resets the
/// password from the server's console: `fairdraw-server --reset-organizer-password`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<String, (u64, u32)>>,
    failures: Mutex<(u32, u64)>,
    /// The password hash the failures were against: a reset from the console starts afresh.
    against: Mutex<String>,
}

/// Failed guesses in a row before the backoff starts.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait between guesses.
pub const MAX_BACKOFF_MS: u64 = 300_000;

/// Login attempts allowed per client per window.
pub const LOGIN_ATTEMPTS: u32 = 10;
/// The window, in ms.
pub const LOGIN_WINDOW_MS: u64 = 60_000;

impl LoginLimiter {
    /// Records an attempt; false when the client is over the limit.
    pub fn allow(&self, client: &str, now_ms: u64) -> bool {
        let Ok(mut w) = self.windows.lock() else {
            return false;
        };
        let slot = w.entry(client.to_owned()).or_insert((now_ms, 0));
        if now_ms.saturating_sub(slot.0) >= LOGIN_WINDOW_MS {
            *slot = (now_ms, 0);
        }
        slot.1 += 1;
        slot.1 <= LOGIN_ATTEMPTS
    }

    /// Forgets the failures when the stored password has changed since (a console reset ends a
    /// backoff in the running server too).
    pub fn against(&self, stored_hash: &str) {
        if let Ok(mut a) = self.against.lock()
            && *a != stored_hash
        {
            *a = stored_hash.to_owned();
            self.succeeded();
        }
    }

    /// How long until the next guess may be checked (ms), 0 when it may be now.
    pub fn backoff_ms(&self, now_ms: u64) -> u64 {
        let Ok(f) = self.failures.lock() else {
            return MAX_BACKOFF_MS;
        };
        let (count, last) = *f;
        if count < FREE_FAILURES {
            return 0;
        }
        let wait = 1_000u64
            .checked_shl(count - FREE_FAILURES)
            .unwrap_or(MAX_BACKOFF_MS)
            .min(MAX_BACKOFF_MS);
        (last + wait).saturating_sub(now_ms)
    }

    /// A wrong password was checked.
    pub fn failed(&self, now_ms: u64) {
        if let Ok(mut f) = self.failures.lock() {
            *f = (f.0.saturating_add(1), now_ms);
        }
    }

    /// The right password: the backoff ends.
    pub fn succeeded(&self) {
        if let Ok(mut f) = self.failures.lock() {
            *f = (0, 0);
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<Store>,
    /// The keys.
    pub keys: Arc<Keys>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Login attempts.
    pub logins: Arc<LoginLimiter>,
    /// Mark cookies `Secure` (behind https).
    pub secure_cookies: bool,
    /// The built web app, if served.
    pub dist: Option<PathBuf>,
    /// The data directory (frozen ledgers are cached there as files).
    pub data_dir: PathBuf,
    /// Held while a frozen ledger's file is written.
    pub ledger_files: Arc<tokio::sync::Mutex<()>>,
    /// Rate limits and concurrency bounds.
    pub limits: Arc<crate::limits::Limits>,
    /// The witnesses' addresses and states (SPEC.md §17).
    pub witnesses: Arc<crate::witnessing::Witnesses>,
    /// Campaign rows by id, dropped whenever the organizer changes one.
    pub campaigns: Arc<std::sync::RwLock<HashMap<String, Arc<crate::db::CampaignRow>>>>,
    /// The web app's pages with the campaign in them: made at most once a second however many
    /// are served, and forgotten at every organizer's write (shell.rs).
    pub served_pages: Arc<std::sync::Mutex<crate::shell::Served>>,
}

/// The SQLite file in the data directory.
pub const DB_FILE: &str = "fairdraw.sqlite3";

impl AppState {
    /// Opens a data directory: the SQLite store ([`DB_FILE`], created and migrated) and the
    /// server's keys (made at first start), with `clock`. Cookies are not marked `Secure` and no
    /// web app is served until the caller sets those fields.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> std::io::Result<AppState> {
        AppState::open_with(dir, None, clock)
    }

    /// Opens a data directory with the database at `database` (a `postgres://` URL), or, without
    /// one, the SQLite file in the directory. On PostgreSQL the directory holds the keys (and
    /// cached ledger files): every server sharing the database must have the same two keys,
    /// which the database checks at start (a server with other keys would sign promises and
    /// pseudonyms no other server could stand behind).
    pub fn open_with(
        dir: &Path,
        database: Option<&str>,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<AppState> {
        // The database holds full phone numbers and the folder the keys: owner only.
        private_folder(dir)?;
        let keys = Keys::load_or_create(dir)?;
        let store = match database {
            Some(url) => {
                let store =
                    Store::Postgres(crate::pg::PgStore::open(url).map_err(std::io::Error::other)?);
                let (public, check) = keys.fingerprints();
                let stored = store
                    .write_wait(move |c| crate::db::claim_server_key(c, &public, &check))
                    .map_err(std::io::Error::other)?;
                if !stored {
                    return Err(std::io::Error::other(format!(
                        "{dir} 中的服务器密钥与此数据库启用时的不一致：共用同一数据库的每台服务器须使用相同的 signing.key 和 pseudonym.key（从首先使用此数据库的服务器的数据目录复制到 {dir}）。\n\
                         The server's keys in {dir} differ from the ones this database was started with: every server sharing a database needs the same signing.key and pseudonym.key (copy them into {dir} from the data folder of the server that first used the database).",
                        dir = dir.display()
                    )));
                }
                store
            }
            None => {
                let db = dir.join(DB_FILE);
                let store = SqliteStore::open(&db).map_err(std::io::Error::other)?;
                for suffix in ["", "-wal", "-shm"] {
                    let f = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
                    if f.exists() {
                        private_file(&f)?;
                    }
                }
                Store::Sqlite(store)
            }
        };
        Ok(AppState {
            store: Arc::new(store),
            keys: Arc::new(keys),
            clock,
            logins: Arc::default(),
            secure_cookies: false,
            dist: None,
            data_dir: dir.to_owned(),
            ledger_files: Arc::default(),
            limits: Arc::new(crate::limits::Limits::new(crate::limits::EntryQuotas::OFF)),
            witnesses: Arc::default(),
            campaigns: Arc::default(),
            served_pages: Arc::default(),
        })
    }

    /// Sets the organizer password (stored as an argon2 hash, audited) unless one is set;
    /// `true` when it was set now.
    pub fn ensure_organizer(&self, password: &str) -> std::io::Result<bool> {
        self.password_job(password, crate::routes::organizer::ensure_organizer)
    }

    /// Replaces the organizer password (from the server's console) and ends every session.
    pub fn reset_organizer(&self, password: &str) -> std::io::Result<()> {
        self.password_job(password, crate::routes::organizer::reset_organizer)
    }

    /// Runs a password job (`ensure_organizer`, `reset_organizer`) on the writer at start-up,
    /// waiting for it.
    fn password_job<T: Send + 'static>(
        &self,
        password: &str,
        job: fn(Conn, &str, u64) -> crate::error::ApiResult<T>,
    ) -> std::io::Result<T> {
        let (password, now) = (password.to_owned(), self.now_ms());
        self.store
            .write_wait(move |c| {
                job(c, &password, now).map_err(|e| crate::sql::Error::Data(e.message_en))
            })
            .map_err(std::io::Error::other)
    }

    /// Unix ms now.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}
