//! One connection type over the two backends: SQLite (embedded, `rusqlite`) and PostgreSQL
//! (`tokio-postgres` connections from a `deadpool-postgres` pool). The statements in db.rs are
//! written once, with `$1, $2, …` placeholders, which both databases read the same way (SQLite
//! takes `$2` as a parameter *named* "$2", numbered by first appearance, so each is bound here
//! by its name, not its position), and their results are read through [`Row`]; a statement
//! that only one backend has says so.
//!
//! The handlers' jobs are synchronous closures run on the writer thread or the blocking pool;
//! on PostgreSQL each statement is driven to completion on the store's own runtime
//! (`Handle::block_on`), so no handler waits on a database from an async task.

use futures_util::StreamExt;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// Failure of a statement, on either backend, or a stored value that does not read back.
#[derive(Debug)]
pub enum Error {
    /// SQLite said no.
    Sqlite(rusqlite::Error),
    /// PostgreSQL said no.
    Postgres(tokio_postgres::Error),
    /// No connection to the database could be had (it is down, restarting, or the pool is
    /// exhausted): a retry may succeed.
    Unavailable(String),
    /// A stored value is not what it should be, or a value could not be stored.
    Data(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Sqlite(e) => write!(f, "sqlite: {e}"),
            Error::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "postgres: {} ({})", db.message(), db.code().code()),
                None => write!(f, "postgres: {e}"),
            },
            Error::Unavailable(e) => write!(f, "database unavailable: {e}"),
            Error::Data(e) => write!(f, "stored data: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

impl From<rusqlite::types::FromSqlError> for Error {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        Error::Data(e.to_string())
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl Error {
    /// A stored value that does not read back, or one that cannot be stored.
    pub fn data(e: impl std::fmt::Display) -> Self {
        Error::Data(e.to_string())
    }

    /// Whether the database was out of reach rather than refusing the statement: the
    /// connection closed or broke, the server is shutting down or starting, or no connection
    /// could be had. Requests failing so get 503 (retry), not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable(_) => true,
            Error::Postgres(e) => {
                if e.is_closed() {
                    return true;
                }
                match e.code() {
                    // Class 08: connection exception; 57P01–57P03: shutting down, crash
                    // shutdown, cannot connect now; 40001 and 40P01 (serialization failure,
                    // deadlock) are worth a retry too.
                    Some(c) => {
                        let c = c.code();
                        c.starts_with("08") || c.starts_with("57P") || c == "40001" || c == "40P01"
                    }
                    // No SQLSTATE: the error came from the socket, not from the server.
                    None => e.as_db_error().is_none(),
                }
            }
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
}

/// Result of a statement.
pub type Result<T> = std::result::Result<T, Error>;

/// A statement's parameter.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// An integer (`INTEGER` in SQLite, `BIGINT` in PostgreSQL).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes (`BLOB`, `BYTEA`).
    Bytes(&'a [u8]),
    /// NULL.
    Null,
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<u64> for Arg<'_> {
    fn from(v: u64) -> Self {
        Arg::Int(v as i64)
    }
}
impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<usize> for Arg<'_> {
    fn from(v: usize) -> Self {
        Arg::Int(v as i64)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(v)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// A statement's parameters: `args![a, b, c]`.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => { &[$($crate::sql::Arg::from($x)),*] as &[$crate::sql::Arg] };
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(v) => ValueRef::Integer(v),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Bytes(b) => ValueRef::Blob(b),
            Arg::Null => ValueRef::Null,
        }))
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Arg::Int(v) if *ty == Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
            Arg::Int(v) => v.to_sql(ty, out),
            Arg::Text(s) => s.to_sql(ty, out),
            Arg::Bytes(b) => b.to_sql(ty, out),
            Arg::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
            || <i32 as ToSql>::accepts(ty)
            || <i16 as ToSql>::accepts(ty)
            || <&str as ToSql>::accepts(ty)
            || <&[u8] as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// One result row, read by column position.
pub trait Row {
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> Result<Option<&str>>;
    /// A bytes column that may be NULL.
    fn opt_bytes(&self, i: usize) -> Result<Option<&[u8]>>;

    /// An integer column.
    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| Error::data(format!("column {i} is NULL")))
    }
    /// A text column.
    fn text(&self, i: usize) -> Result<&str> {
        self.opt_text(i)?
            .ok_or_else(|| Error::data(format!("column {i} is NULL")))
    }
    /// A bytes column.
    fn bytes(&self, i: usize) -> Result<&[u8]> {
        self.opt_bytes(i)?
            .ok_or_else(|| Error::data(format!("column {i} is NULL")))
    }
    /// A non-negative integer column (an index, a count, a time).
    fn u64(&self, i: usize) -> Result<u64> {
        let v = self.int(i)?;
        u64::try_from(v).map_err(|_| Error::data(format!("column {i}: {v} is negative")))
    }
    /// A non-negative integer column that fits 32 bits (a draw index, a weight, a day).
    fn u32(&self, i: usize) -> Result<u32> {
        let v = self.int(i)?;
        u32::try_from(v).map_err(|_| Error::data(format!("column {i}: {v} is out of range")))
    }
}

impl Row for rusqlite::Row<'_> {
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get_ref(i)?.as_i64_or_null()?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        Ok(self.get_ref(i)?.as_str_or_null()?)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<&[u8]>> {
        Ok(self.get_ref(i)?.as_blob_or_null()?)
    }
}

impl Row for tokio_postgres::Row {
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(match self.columns().get(i).map(|c| c.type_().clone()) {
            Some(Type::INT4) => self.try_get::<_, Option<i32>>(i)?.map(i64::from),
            Some(Type::INT2) => self.try_get::<_, Option<i16>>(i)?.map(i64::from),
            _ => self.try_get::<_, Option<i64>>(i)?,
        })
    }
    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        Ok(self.try_get(i)?)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<&[u8]>> {
        Ok(self.try_get(i)?)
    }
}

/// A PostgreSQL connection from the pool, with the runtime that drives it.
pub struct PgConn {
    /// The pooled client (its prepared statements are cached per connection).
    pub client: deadpool_postgres::Object,
    /// The store's runtime.
    pub rt: tokio::runtime::Handle,
}

impl PgConn {
    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// A connection to either backend, inside the caller's transaction if it opened one.
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    /// SQLite.
    Lite(&'a rusqlite::Connection),
    /// PostgreSQL.
    Pg(&'a PgConn),
}

impl Conn<'_> {
    /// Whether this is PostgreSQL (for the few statements only one backend has).
    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        match self {
            Conn::Lite(c) => {
                let mut st = c.prepare_cached(sql)?;
                bind(&mut st, args)?;
                Ok(st.raw_execute()? as u64)
            }
            Conn::Pg(p) => p.block_on(async {
                let st = p.client.prepare_cached(sql).await?;
                Ok(p.client.execute(&st, &pg_args(args)).await?)
            }),
        }
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, a migration).
    pub fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(p) => Ok(p.block_on(p.client.batch_execute(sql))?),
        }
    }

    /// Runs a transaction-control statement (`SAVEPOINT job`, `RELEASE job`): prepared once on
    /// SQLite, sent as a simple query to PostgreSQL (which does not prepare them).
    pub fn control(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => {
                c.prepare_cached(sql)?.execute([])?;
                Ok(())
            }
            Conn::Pg(_) => self.batch(sql),
        }
    }

    /// Calls `each` with every row, as they arrive.
    pub fn each(
        &self,
        sql: &str,
        args: &[Arg],
        mut each: impl FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        match self {
            Conn::Lite(c) => {
                let mut st = c.prepare_cached(sql)?;
                bind(&mut st, args)?;
                let mut rows = st.raw_query();
                while let Some(r) = rows.next()? {
                    each(r)?;
                }
                Ok(())
            }
            Conn::Pg(p) => {
                let rows = p.block_on(async {
                    let st = p.client.prepare_cached(sql).await?;
                    p.client.query_raw(&st, pg_args(args)).await
                })?;
                let mut rows = std::pin::pin!(rows);
                while let Some(r) = p.block_on(rows.next()) {
                    each(&r?)?;
                }
                Ok(())
            }
        }
    }

    /// Every row, each read by `f`.
    pub fn all<T>(
        &self,
        sql: &str,
        args: &[Arg],
        mut f: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row, read by `f`, if there is one.
    pub fn first<T>(
        &self,
        sql: &str,
        args: &[Arg],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Conn::Lite(c) => {
                let mut st = c.prepare_cached(sql)?;
                bind(&mut st, args)?;
                let mut rows = st.raw_query();
                rows.next()?.map(|r| f(r)).transpose()
            }
            Conn::Pg(p) => {
                let row = p.block_on(async {
                    let st = p.client.prepare_cached(sql).await?;
                    p.client.query_opt(&st, &pg_args(args)).await
                })?;
                row.map(|r| f(&r)).transpose()
            }
        }
    }

    /// The one row a statement must return, read by `f`.
    pub fn one<T>(
        &self,
        sql: &str,
        args: &[Arg],
        f: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<T> {
        self.first(sql, args, f)?
            .ok_or_else(|| Error::data("a row that must exist is missing"))
    }
}

/// Binds SQLite parameter `$n` to `args[n - 1]`, wherever it first appears in the statement.
fn bind(st: &mut rusqlite::Statement, args: &[Arg]) -> Result<()> {
    for i in 1..=st.parameter_count() {
        let n = st
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| Error::data(format!("parameter {i} is not named $1, $2, …")))?;
        let arg = args
            .get(n - 1)
            .ok_or_else(|| Error::data(format!("no argument for ${n}")))?;
        st.raw_bind_parameter(i, arg)?;
    }
    Ok(())
}

fn pg_args<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}
