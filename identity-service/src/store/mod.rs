//! The one storage seam of the service: a [`Store`] runs a closure in one database transaction
//! through the tiny [`Tx`] trait (execute / query with [`Val`] parameters and rows), so every
//! piece of business logic is written once, in portable SQL with `?N` placeholders, and runs
//! unchanged on SQLite ([`sqlite`]) and PostgreSQL ([`postgres`]). Also owns the schema.

pub mod postgres;
pub mod sqlite;

/// A parameter or a column value. Integers are 64-bit; booleans and instants are integers.
#[derive(Clone, PartialEq, Eq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl std::fmt::Debug for Val {
    // Values can be password hashes or personal data: only their shape prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("Null"),
            Self::Int(_) => f.write_str("Int(..)"),
            Self::Text(t) => write!(f, "Text({} chars)", t.chars().count()),
            Self::Blob(b) => write!(f, "Blob({} bytes)", b.len()),
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<u64> for Val {
    fn from(v: u64) -> Self {
        Self::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u8> for Val {
    fn from(v: u8) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(v)
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Self {
        Self::Blob(v.to_vec())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Val>);

impl Row {
    fn at(&self, i: usize) -> Result<&Val, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Shape(format!("no column {i}")))
    }
    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.at(i)? {
            Val::Int(v) => Ok(*v),
            other => Err(StoreError::Shape(format!("column {i}: {other:?}, not Int"))),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.at(i)? {
            Val::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Shape(format!(
                "column {i}: {other:?}, not Text"
            ))),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn blob(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.at(i)? {
            Val::Blob(v) => Ok(v.clone()),
            other => Err(StoreError::Shape(format!(
                "column {i}: {other:?}, not Blob"
            ))),
        }
    }
    pub fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.blob(i).map(Some),
        }
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(String),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// A unique constraint refused the write (a concurrent request got there first).
    #[error("a unique constraint refused the write: {0}")]
    Conflict(String),
    #[error("unexpected row shape: {0}")]
    Shape(String),
    #[error("the database schema is version {found}; this service knows up to {known}")]
    NewerSchema { found: i64, known: i64 },
    #[error("cannot open the store: {0}")]
    Open(String),
}

/// One open transaction: run SQL with `?1`, `?2`… placeholders.
pub trait Tx {
    /// Runs a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
}

impl dyn Tx + '_ {
    /// The first row, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    /// Exactly one row.
    pub fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Shape("expected one row, found none".into()))
    }
}

/// What a transaction's body asks for at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Commit,
    Rollback,
}

/// A database the service keeps its state in.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// "sqlite" or "postgres", as `GET /health` reports it.
    fn kind(&self) -> &'static str;
    /// Runs `body` in one transaction, committed or rolled back as it returns. An error from
    /// the store itself rolls back.
    fn run(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<Outcome, StoreError>,
    ) -> Result<(), StoreError>;
}

/// Runs `f` in one transaction: committed when it returns `Ok`, rolled back when it returns
/// `Err` (so a refused request changes nothing).
pub fn transact<T, E: From<StoreError>>(
    store: &dyn Store,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    let mut f = Some(f);
    let mut result: Option<Result<T, E>> = None;
    let ran = store.run(&mut |tx| {
        let Some(f) = f.take() else {
            return Ok(Outcome::Rollback);
        };
        let r = f(tx);
        let outcome = if r.is_ok() {
            Outcome::Commit
        } else {
            Outcome::Rollback
        };
        result = Some(r);
        Ok(outcome)
    });
    match (ran, result) {
        (Err(e), _) => Err(e.into()),
        (Ok(()), Some(r)) => r,
        (Ok(()), None) => Err(StoreError::Shape("the transaction body did not run".into()).into()),
    }
}

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = 1;

/// The schema, in SQL both databases read; `{BLOB}` is BLOB (SQLite) or BYTEA (PostgreSQL).
/// Instants are Unix seconds; booleans 0/1.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
-- The IACA and Document Signer (PKCS#8 PEM key and certificate) and the code secret.
CREATE TABLE IF NOT EXISTS authority (
  name TEXT PRIMARY KEY,
  key_pem TEXT NOT NULL,
  cert_pem TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
-- The population register (from the seed file).
CREATE TABLE IF NOT EXISTS citizens (
  personal_id TEXT PRIMARY KEY,
  identity_json TEXT NOT NULL
);
-- Sector records: driving licences, health insurance cards, vehicle registrations.
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY,
  personal_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  record_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_person ON records (personal_id, kind);
CREATE TABLE IF NOT EXISTS officers (
  token_hash {BLOB} PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
  personal_id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  level BIGINT NOT NULL,
  level2_method TEXT,
  level2_reference TEXT,
  level2_officer TEXT,
  level2_at BIGINT,
  locked BIGINT NOT NULL,
  failed_logins BIGINT NOT NULL,
  throttled_until BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  CONSTRAINT one_phone_per_person UNIQUE (phone)
);
-- The one device bound to an account.
CREATE TABLE IF NOT EXISTS devices (
  personal_id TEXT PRIMARY KEY,
  device_key {BLOB} NOT NULL,
  bound_at BIGINT NOT NULL,
  CONSTRAINT one_account_per_device UNIQUE (device_key)
);
-- Device keys signed out (device change, lock): never bound again.
CREATE TABLE IF NOT EXISTS revoked_keys (
  device_key {BLOB} PRIMARY KEY,
  personal_id TEXT NOT NULL,
  revoked_at BIGINT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash {BLOB} PRIMARY KEY,
  personal_id TEXT NOT NULL,
  device_key {BLOB} NOT NULL,
  created_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX IF NOT EXISTS sessions_by_person ON sessions (personal_id);
CREATE TABLE IF NOT EXISTS device_changes (
  change_id TEXT PRIMARY KEY,
  personal_id TEXT NOT NULL,
  old_key {BLOB} NOT NULL,
  new_key {BLOB} NOT NULL,
  code_hash {BLOB} NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX IF NOT EXISTS changes_by_person ON device_changes (personal_id);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  personal_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  device_key {BLOB} NOT NULL,
  level BIGINT NOT NULL,
  status_list BIGINT NOT NULL,
  status_index BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  credential {BLOB} NOT NULL,
  compact {BLOB} NOT NULL,
  superseded_at BIGINT,
  revoked_at BIGINT,
  revoked_reason TEXT,
  -- Revoked by an officer: the record behind it is withdrawn and not issued again.
  withdrawn BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT one_document_per_status_bit UNIQUE (status_list, status_index)
);
CREATE INDEX IF NOT EXISTS documents_by_person ON documents (personal_id, kind);
CREATE INDEX IF NOT EXISTS documents_revoked ON documents (revoked_at);
CREATE TABLE IF NOT EXISTS idempotency (
  personal_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash {BLOB} NOT NULL,
  response TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (personal_id, idem_key)
);
CREATE TABLE IF NOT EXISTS parties (
  party_id TEXT PRIMARY KEY,
  organization TEXT,
  certificate_pem TEXT NOT NULL,
  api_key_hash {BLOB} NOT NULL,
  registered_at BIGINT NOT NULL,
  registered_by TEXT NOT NULL,
  CONSTRAINT one_party_per_key UNIQUE (api_key_hash)
);
CREATE TABLE IF NOT EXISTS grant_revocations (
  personal_id TEXT NOT NULL,
  grant_id {BLOB} NOT NULL,
  revocation TEXT NOT NULL,
  revoked_at BIGINT NOT NULL,
  posted_at BIGINT NOT NULL,
  PRIMARY KEY (personal_id, grant_id)
);
CREATE TABLE IF NOT EXISTS shares (
  id TEXT PRIMARY KEY,
  personal_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  channel TEXT NOT NULL,
  requester TEXT NOT NULL,
  document TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  requested TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  shared TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shares_by_person ON shares (personal_id, seq);
";

/// The schema text for one database.
pub(crate) fn schema(blob: &str) -> String {
    SCHEMA.replace("{BLOB}", blob)
}

/// Records the schema version, refusing a database written by a newer service.
pub(crate) fn check_version(tx: &mut dyn Tx) -> Result<(), StoreError> {
    let found = tx
        .query_opt("SELECT value FROM meta WHERE name = 'schema'", &[])?
        .map(|r| r.int(0))
        .transpose()?;
    match found {
        Some(v) if v > SCHEMA_VERSION => Err(StoreError::NewerSchema {
            found: v,
            known: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
        None => {
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('schema', ?1)",
                &[Val::Int(SCHEMA_VERSION)],
            )?;
            Ok(())
        }
    }
}

/// Translates `?N` placeholders to PostgreSQL's `$N` (outside quoted strings).
pub fn to_dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_quote = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '?' if !in_quote => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_translated_outside_strings() {
        assert_eq!(
            to_dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12"
        );
    }

    #[test]
    fn values_never_print_their_content() {
        let v = Val::Text("001090012345".into());
        assert_eq!(format!("{v:?}"), "Text(12 chars)");
    }
}
