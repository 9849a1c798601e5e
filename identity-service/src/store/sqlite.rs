//! The SQLite store (the default): one file `identity.sqlite` in the data directory, WAL
//! journal, one connection behind a mutex (SQLite has one writer at a time anyway), every
//! transaction `BEGIN IMMEDIATE` so two writers never deadlock on an upgrade.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::{Outcome, Row, Store, StoreError, Tx, Val};

/// The file name inside the data directory.
pub const FILE_NAME: &str = "identity.sqlite";

/// A SQLite database.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == ErrorCode::ConstraintViolation
        && msg.as_deref().is_some_and(|m| m.contains("UNIQUE"))
    {
        return StoreError::Conflict(msg.clone().unwrap_or_default());
    }
    StoreError::Sqlite(e.to_string())
}

impl SqliteStore {
    /// Opens (creating) `DIR/identity.sqlite`. A directory it creates is owner-only, and so is
    /// the database file (it holds the signing keys).
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        let open_err = |e: std::io::Error| StoreError::Open(format!("{}: {e}", dir.display()));
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(open_err)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(open_err)?;
            }
        }
        let path = dir.join(FILE_NAME);
        let conn = Connection::open(&path).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(open_err)?;
        }
        Self::setup(conn)
    }

    /// An in-memory database (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(err)?)
    }

    fn setup(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.set_prepared_statement_cache_capacity(128);
        conn.execute_batch(&super::schema("BLOB")).map_err(err)?;
        let store = Self {
            conn: Mutex::new(conn),
        };
        super::transact(&store, super::check_version)?;
        Ok(store)
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn to_sql(v: &Val) -> SqlValue {
    match v {
        Val::Null => SqlValue::Null,
        Val::Int(i) => SqlValue::Integer(*i),
        Val::Text(t) => SqlValue::Text(t.clone()),
        Val::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

fn from_sql(v: ValueRef<'_>) -> Result<Val, StoreError> {
    Ok(match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(_) => return Err(StoreError::Shape("a REAL column".into())),
        ValueRef::Text(t) => Val::Text(
            std::str::from_utf8(t)
                .map_err(|_| StoreError::Shape("text is not UTF-8".into()))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    })
}

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(err)?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.0.prepare_cached(sql).map_err(err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(from_sql(r.get_ref(i).map_err(err)?)?);
            }
            out.push(Row(row));
        }
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn run(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<Outcome, StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let t = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let outcome = body(&mut SqliteTx(&t))?;
        match outcome {
            Outcome::Commit => t.commit().map_err(err),
            Outcome::Rollback => t.rollback().map_err(err),
        }
    }
}
