//! The PostgreSQL store, for deployments that outgrow one machine: the synchronous `postgres`
//! client (the service calls the store from tokio's blocking pool, as it does SQLite, so both
//! run the same synchronous transaction code), a small pool of connections each with its
//! prepared statements, `?N` placeholders translated to `$N`, and an optional schema of its
//! own (`search_path`) so tests each get a fresh, separate database.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, PoisonError};

use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use super::{Outcome, Row, Store, StoreError, Tx, Val};

/// Connections kept open.
pub const DEFAULT_POOL: usize = 8;

struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// A PostgreSQL database (or one schema of it).
pub struct PostgresStore {
    pool: Mutex<Vec<Conn>>,
    available: Condvar,
    schema: Option<String>,
    /// To re-open a connection the server closed (it may hold a password).
    url: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for PostgresStore {
    // The URL may carry a password: it is not kept.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

fn err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error()
        && *db.code() == SqlState::UNIQUE_VIOLATION
    {
        return StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned());
    }
    StoreError::Postgres(e.to_string())
}

/// A schema name: lower-case letters, digits and `_`, starting with a letter.
fn valid_schema(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PostgresStore {
    /// Connects `pool` clients to `url`; with `schema`, creates it if needed and works only
    /// inside it. Creates the tables on first use.
    pub fn connect(url: &str, schema: Option<&str>, pool: usize) -> Result<Self, StoreError> {
        if let Some(s) = schema
            && !valid_schema(s)
        {
            return Err(StoreError::Open(format!("bad schema name {s:?}")));
        }
        let mut conns = Vec::with_capacity(pool.max(1));
        for _ in 0..pool.max(1) {
            conns.push(open_conn(url, schema)?);
        }
        if let Some(c) = conns.first_mut() {
            // Two services starting at once must not both create the tables.
            let mut t = c.client.transaction().map_err(err)?;
            t.batch_execute("SELECT pg_advisory_xact_lock(7291001)")
                .map_err(err)?;
            t.batch_execute(&super::schema("BYTEA")).map_err(err)?;
            t.commit().map_err(err)?;
        }
        let store = Self {
            pool: Mutex::new(conns),
            available: Condvar::new(),
            schema: schema.map(str::to_owned),
            url: zeroize::Zeroizing::new(url.to_owned()),
        };
        super::transact(&store, super::check_version)?;
        Ok(store)
    }

    /// Drops the store's schema and everything in it (tests clean up with this).
    pub fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        if !valid_schema(schema) {
            return Err(StoreError::Open(format!("bad schema name {schema:?}")));
        }
        let mut client = Client::connect(url, NoTls).map_err(err)?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .map_err(err)
    }

    fn take(&self) -> Conn {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(c) = pool.pop() {
                return c;
            }
            pool = self
                .available
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn give_back(&self, conn: Conn) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        self.available.notify_one();
    }
}

/// One connection, inside `schema` when given.
fn open_conn(url: &str, schema: Option<&str>) -> Result<Conn, StoreError> {
    let mut client = Client::connect(url, NoTls)
        .map_err(|e| StoreError::Open(format!("cannot connect to PostgreSQL: {e}")))?;
    if let Some(s) = schema {
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}"
            ))
            .map_err(err)?;
    }
    Ok(Conn {
        client,
        statements: HashMap::new(),
    })
}

impl Drop for PostgresStore {
    // A `postgres::Client` drives its own small runtime and must not be dropped on an async
    // worker thread (tokio refuses to drop a runtime there): the connections are closed on a
    // plain thread of their own.
    fn drop(&mut self) {
        let conns = std::mem::take(self.pool.get_mut().unwrap_or_else(PoisonError::into_inner));
        if !conns.is_empty() {
            let _ = std::thread::Builder::new()
                .name("postgres-close".into())
                .spawn(move || drop(conns));
        }
    }
}

/// A parameter, converted to the type PostgreSQL inferred for its placeholder.
#[derive(Debug)]
struct Param<'a>(&'a Val);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => Err(format!("an integer for a {ty} column").into()),
            },
            Val::Text(t) => t.as_str().to_sql(ty, out),
            Val::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn row_of(r: &postgres::Row) -> Result<Row, StoreError> {
    let mut out = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let shape = |e: postgres::Error| StoreError::Shape(format!("column {i}: {e}"));
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(shape)?.map(Val::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)
                .map_err(shape)?
                .map(|v| Val::Int(i64::from(v))),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)
                .map_err(shape)?
                .map(|v| Val::Int(i64::from(v))),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)
                .map_err(shape)?
                .map(|v| Val::Int(i64::from(v))),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => r
                .try_get::<_, Option<String>>(i)
                .map_err(shape)?
                .map(Val::Text),
            Type::BYTEA => r
                .try_get::<_, Option<Vec<u8>>>(i)
                .map_err(shape)?
                .map(Val::Blob),
            ref other => return Err(StoreError::Shape(format!("column {i} of type {other}"))),
        };
        out.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(out))
}

struct PgTx<'a, 'b> {
    t: &'a mut postgres::Transaction<'b>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .t
            .prepare(&super::to_dollar_placeholders(sql))
            .map_err(err)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl Tx for PgTx<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.t.execute(&stmt, &refs).map_err(err)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let params: Vec<Param<'_>> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.t
            .query(&stmt, &refs)
            .map_err(err)?
            .iter()
            .map(row_of)
            .collect()
    }
}

impl Store for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn run(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<Outcome, StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.take();
        if conn.client.is_closed() {
            // The server closed it (a restart, an idle timeout): open a new one in its place.
            match open_conn(&self.url, self.schema.as_deref()) {
                Ok(fresh) => {
                    let old = std::mem::replace(&mut conn, fresh);
                    let _ = std::thread::Builder::new()
                        .name("postgres-close".into())
                        .spawn(move || drop(old));
                }
                Err(e) => {
                    self.give_back(conn);
                    return Err(e);
                }
            }
        }
        let result = (|| {
            let Conn { client, statements } = &mut conn;
            let mut t = client.transaction().map_err(err)?;
            let outcome = body(&mut PgTx {
                t: &mut t,
                statements,
            })?;
            match outcome {
                Outcome::Commit => t.commit().map_err(err),
                Outcome::Rollback => t.rollback().map_err(err),
            }
        })();
        self.give_back(conn);
        result
    }
}
