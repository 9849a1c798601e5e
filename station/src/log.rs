//! The verification log: one entry per verification — time, channel, counter, who asked (the
//! station's identity), what was asked (challenge mode), the document and issuer, the outcome
//! and reason, the names of the disclosed elements, and their values only when the clinic turns
//! that on — as the data-sharing rules ask of whoever receives citizen data.
//!
//! SQLite under the station's data directory, append-only (triggers refuse UPDATE, and DELETE
//! outside a retention purge) and tamper-evident like the wallet's audit log: each row carries
//! SHA-256(previous chain ‖ seq ‖ entry JSON) and a head row records the last, so [`verify`]
//! finds an edited, deleted, inserted or reordered entry and a cut tail. A retention purge
//! deletes the oldest entries, keeps the chain value of the last one deleted as the new base,
//! and appends a purge marker that records it — so the remaining log still verifies from the
//! base, and the base itself is vouched for by a chained entry.
//!
//! What it does not stop: anyone who can write the file can recompute the whole chain. The head
//! (`GET /api/log` → `head`) is what to copy somewhere else (the HIS, a daily print-out) to
//! anchor it.
//!
//! One thread owns the connection; appends that arrive together are committed in one
//! transaction (group commit), so the log keeps up with thousands of verifications a second.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// The schema this code writes.
const SCHEMA_VERSION: i64 = 1;
/// Most appends committed in one transaction.
const MAX_BATCH: usize = 512;

/// How the QR reached the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Typed by a keyboard-wedge barcode scanner into the page.
    Scanner,
    /// Read from camera frames the page sent.
    Webcam,
    /// Posted by the clinic's software.
    Api,
}

/// Which kind of presentation was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A static QR (audience "static").
    Static,
    /// An answer to the station's request.
    Challenge,
    /// The chip card's printed, unsigned QR.
    Card,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Valid,
    Rejected,
    /// The chip card's unsigned data, read but not verifiable.
    UnsignedCard,
}

/// One verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub channel: Channel,
    /// The counter or operator, as the page or the HIS named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    /// Who asked: the station's relying-party identity.
    pub requester: String,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Elements asked for (challenge mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested: Vec<String>,
    /// docType of the document shown, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Names of the elements shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disclosed: Vec<String>,
    /// Their values, only when the station is configured to keep them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What a retention purge removed, recorded as an entry of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeMarker {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Entries older than this were removed.
    #[serde(with = "time::serde::rfc3339")]
    pub cutoff: OffsetDateTime,
    /// The last removed entry's sequence number and chain value: the new base.
    pub purged_through: i64,
    pub purged_chain: String,
    pub purged_count: u64,
}

/// An entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    Verification(Verification),
    Purge(PurgeMarker),
}

impl Entry {
    pub fn time(&self) -> OffsetDateTime {
        match self {
            Self::Verification(v) => v.time,
            Self::Purge(p) => p.time,
        }
    }
}

/// Why the log cannot be written, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("log database: {0}")]
    Sqlite(String),
    #[error(
        "{path}: the log was written by a newer station (schema {found}, this one knows {SCHEMA_VERSION})"
    )]
    NewerSchema { path: PathBuf, found: i64 },
    #[error("entry {seq} was edited or damaged")]
    Edited { seq: i64 },
    #[error("entry {expected} is missing (found {found})")]
    Missing { expected: i64, found: i64 },
    #[error("the log ends at entry {found} but its head says {head}: entries were removed")]
    Truncated { found: i64, head: i64 },
    #[error(
        "the log starts after entry {base} but no purge marker records that base: entries were removed"
    )]
    BaseUnexplained { base: i64 },
    #[error("entry {seq} is not a log entry: {problem}")]
    Malformed { seq: i64, problem: String },
    #[error("the log writer has stopped")]
    Closed,
}

impl From<rusqlite::Error> for LogError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e.to_string())
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub seq: i64,
    pub entry: Entry,
    pub chain: [u8; 32],
}

/// Which entries to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// Only entries before this sequence number (paging backwards).
    pub before: Option<i64>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// At most this many, newest first; `None` for all, oldest first.
    pub limit: Option<usize>,
}

/// The state of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Entries in the log now (verifications and purge markers).
    pub entries: u64,
    /// The first remaining sequence number minus one, and its chain value (zeros before any purge).
    pub base_seq: i64,
    pub head_seq: i64,
    /// The chain value of the last entry: copy it elsewhere to anchor the log.
    pub head_chain: String,
    /// `None` when the whole chain verifies.
    pub problem: Option<String>,
}

/// A position in the chain: sequence number and chain value.
type Head = (i64, [u8; 32]);

fn link(previous: &[u8; 32], seq: i64, entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(seq.to_be_bytes());
    h.update(entry);
    h.finalize().into()
}

fn chain_of(bytes: Vec<u8>, seq: i64) -> Result<[u8; 32], LogError> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| LogError::Malformed {
        seq,
        problem: "chain is not 32 bytes".into(),
    })
}

/// The log's database. Used by the writer thread, and directly by `cancuoc station --check-log`.
#[derive(Debug)]
pub struct LogDb {
    conn: Connection,
    head: Head,
    /// The chain's state: fully verified when the log was opened, then kept up to date by
    /// this process's own appends and purges (so `/api/health` costs nothing on a large log).
    status: Status,
}

impl LogDb {
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // WAL with FULL: every committed transaction is on disk before the answer goes out.
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(LogError::NewerSchema {
                path: path.to_owned(),
                found: version,
            });
        }
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE IF NOT EXISTS log (
                 seq   INTEGER PRIMARY KEY,
                 time  INTEGER NOT NULL,
                 entry TEXT NOT NULL,
                 chain BLOB NOT NULL);
             CREATE INDEX IF NOT EXISTS log_time ON log(time);
             CREATE TABLE IF NOT EXISTS meta (
                 key   TEXT PRIMARY KEY,
                 seq   INTEGER NOT NULL,
                 chain BLOB NOT NULL);
             CREATE TRIGGER IF NOT EXISTS log_append_only BEFORE UPDATE ON log
                 BEGIN SELECT RAISE(ABORT, 'the verification log is append-only'); END;
             CREATE TRIGGER IF NOT EXISTS log_purge_only BEFORE DELETE ON log
                 WHEN (SELECT seq FROM meta WHERE key = 'purging') IS NULL
                 BEGIN SELECT RAISE(ABORT, 'entries leave the verification log only by a retention purge'); END;
             PRAGMA user_version = 1;
             COMMIT;",
        )?;
        let head = Self::meta(&conn, "head")?.unwrap_or((0, [0u8; 32]));
        let mut db = Self {
            conn,
            head,
            status: Status {
                entries: 0,
                base_seq: 0,
                head_seq: head.0,
                head_chain: hex::encode(head.1),
                problem: None,
            },
        };
        db.status = db.checked_status();
        Ok(db)
    }

    fn meta(conn: &Connection, key: &str) -> Result<Option<Head>, LogError> {
        let row: Option<(i64, Vec<u8>)> = conn
            .query_row("SELECT seq, chain FROM meta WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(seq, c)| Ok((seq, chain_of(c, seq)?))).transpose()
    }

    /// Appends entries in one transaction; returns their sequence numbers.
    pub fn append(&mut self, entries: &[Entry]) -> Result<Vec<i64>, LogError> {
        let tx = self.conn.transaction()?;
        let (seqs, head) = append_in(&tx, self.head, entries)?;
        tx.commit()?;
        self.moved(head, seqs.len() as u64, 0, None);
        Ok(seqs)
    }

    /// Removes the entries older than `cutoff` and records a purge marker; returns how many
    /// were removed.
    pub fn purge(&mut self, cutoff: OffsetDateTime, now: OffsetDateTime) -> Result<u64, LogError> {
        let last: Option<i64> = self.conn.query_row(
            "SELECT MAX(seq) FROM log WHERE time < ?1",
            [cutoff.unix_timestamp()],
            |r| r.get(0),
        )?;
        let Some(last) = last else { return Ok(0) };
        let chain: Vec<u8> =
            self.conn
                .query_row("SELECT chain FROM log WHERE seq = ?1", [last], |r| r.get(0))?;
        let chain = chain_of(chain, last)?;
        // One transaction: the rows go, the base moves and the marker that vouches for it is
        // chained, or none of it happens.
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, seq, chain) VALUES ('purging', 0, x'')",
            [],
        )?;
        let count = tx.execute("DELETE FROM log WHERE seq <= ?1", [last])?;
        tx.execute("DELETE FROM meta WHERE key = 'purging'", [])?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, seq, chain) VALUES ('base', ?1, ?2)",
            params![last, &chain[..]],
        )?;
        let count = u64::try_from(count).unwrap_or(0);
        let marker = Entry::Purge(PurgeMarker {
            time: now,
            cutoff,
            purged_through: last,
            purged_chain: hex::encode(chain),
            purged_count: count,
        });
        let (_, head) = append_in(&tx, self.head, &[marker])?;
        tx.commit()?;
        self.moved(head, 1, count, Some(last));
        Ok(count)
    }

    /// Entries as the filter selects.
    pub fn rows(&self, f: &Filter) -> Result<Vec<Row>, LogError> {
        let mut sql = String::from("SELECT seq, entry, chain FROM log WHERE seq < ?1");
        if f.from.is_some() {
            sql.push_str(" AND time >= ?2");
        } else {
            sql.push_str(" AND ?2 IS NULL");
        }
        if f.to.is_some() {
            sql.push_str(" AND time <= ?3");
        } else {
            sql.push_str(" AND ?3 IS NULL");
        }
        match f.limit {
            Some(_) => sql.push_str(" ORDER BY seq DESC LIMIT ?4"),
            None => sql.push_str(" AND ?4 IS NULL ORDER BY seq"),
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let limit = f.limit.and_then(|l| i64::try_from(l).ok());
        let rows = stmt.query_map(
            params![
                f.before.unwrap_or(i64::MAX),
                f.from.map(OffsetDateTime::unix_timestamp),
                f.to.map(OffsetDateTime::unix_timestamp),
                limit
            ],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json, chain) = row?;
            let entry = serde_json::from_str(&json).map_err(|e| LogError::Malformed {
                seq,
                problem: e.to_string(),
            })?;
            out.push(Row {
                seq,
                entry,
                chain: chain_of(chain, seq)?,
            });
        }
        Ok(out)
    }

    /// Checks the whole chain.
    pub fn verify(&self) -> Result<Status, LogError> {
        let (base_seq, base_chain) = Self::meta(&self.conn, "base")?.unwrap_or((0, [0u8; 32]));
        let mut stmt = self
            .conn
            .prepare("SELECT seq, time, entry, chain FROM log ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let (mut previous, mut expected) = (base_chain, base_seq + 1);
        let mut last_marker: Option<(i64, String)> = None;
        let mut entries = 0u64;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let time: i64 = r.get(1)?;
            let json: String = r.get(2)?;
            let chain = chain_of(r.get(3)?, seq)?;
            if seq != expected {
                return Err(LogError::Missing {
                    expected,
                    found: seq,
                });
            }
            if link(&previous, seq, json.as_bytes()) != chain {
                return Err(LogError::Edited { seq });
            }
            let entry: Entry = serde_json::from_str(&json).map_err(|e| LogError::Malformed {
                seq,
                problem: e.to_string(),
            })?;
            if entry.time().unix_timestamp() != time {
                // The indexed time (what purges go by) must be the chained one.
                return Err(LogError::Edited { seq });
            }
            if let Entry::Purge(p) = &entry {
                last_marker = Some((p.purged_through, p.purged_chain.clone()));
            }
            previous = chain;
            expected += 1;
            entries += 1;
        }
        if base_seq > 0 && last_marker != Some((base_seq, hex::encode(base_chain))) {
            return Err(LogError::BaseUnexplained { base: base_seq });
        }
        let last = expected - 1;
        let (head_seq, head_chain) = Self::meta(&self.conn, "head")?.unwrap_or((0, [0u8; 32]));
        if head_seq != last || head_chain != previous {
            return Err(LogError::Truncated {
                found: last,
                head: head_seq,
            });
        }
        Ok(Status {
            entries,
            base_seq,
            head_seq,
            head_chain: hex::encode(head_chain),
            problem: None,
        })
    }

    /// Keeps the cached status in step with this process's own writes.
    fn moved(&mut self, head: Head, added: u64, removed: u64, base: Option<i64>) {
        self.head = head;
        let s = &mut self.status;
        s.entries = (s.entries + added).saturating_sub(removed);
        s.head_seq = head.0;
        s.head_chain = hex::encode(head.1);
        if let Some(b) = base {
            s.base_seq = b;
        }
    }

    /// The chain's state as of the full check when the log was opened, with this process's
    /// writes since; a problem found then stays reported.
    pub fn status(&self) -> Status {
        self.status.clone()
    }

    /// Checks the whole chain now; a problem is reported in [`Status::problem`].
    pub fn checked_status(&self) -> Status {
        self.verify().unwrap_or_else(|e| Status {
            entries: self
                .conn
                .query_row("SELECT COUNT(*) FROM log", [], |r| r.get::<_, i64>(0))
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            base_seq: 0,
            head_seq: self.head.0,
            head_chain: hex::encode(self.head.1),
            problem: Some(e.to_string()),
        })
    }
}

/// Chains and inserts entries after `head` inside a transaction; returns their sequence numbers
/// and the new head.
fn append_in(
    tx: &rusqlite::Transaction<'_>,
    head: Head,
    entries: &[Entry],
) -> Result<(Vec<i64>, Head), LogError> {
    let (mut seq, mut chain) = head;
    let mut seqs = Vec::with_capacity(entries.len());
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO log (seq, time, entry, chain) VALUES (?1, ?2, ?3, ?4)")?;
        for e in entries {
            let json = serde_json::to_string(e).map_err(|err| LogError::Malformed {
                seq: seq + 1,
                problem: err.to_string(),
            })?;
            seq += 1;
            chain = link(&chain, seq, json.as_bytes());
            insert.execute(params![seq, e.time().unix_timestamp(), json, &chain[..]])?;
            seqs.push(seq);
        }
    }
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, seq, chain) VALUES ('head', ?1, ?2)",
        params![seq, &chain[..]],
    )?;
    Ok((seqs, (seq, chain)))
}

/// The log as CSV (RFC 4180), one row per entry, oldest first.
pub fn to_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "seq,time,event,channel,counter,requester,mode,request_id,requested,document,issuer,outcome,check,code,disclosed,values,chain\r\n",
    );
    for r in rows {
        let t = cancuoc_core::time_fmt::tdate(r.entry.time());
        let cells: Vec<String> = match &r.entry {
            Entry::Verification(v) => vec![
                r.seq.to_string(),
                t,
                "verification".into(),
                enum_name(&v.channel),
                v.counter.clone().unwrap_or_default(),
                v.requester.clone(),
                enum_name(&v.mode),
                v.request_id.clone().unwrap_or_default(),
                v.requested.join(";"),
                v.document.clone().unwrap_or_default(),
                v.issuer.clone().unwrap_or_default(),
                enum_name(&v.outcome),
                v.check.clone().unwrap_or_default(),
                v.code.clone().unwrap_or_default(),
                v.disclosed.join(";"),
                v.values
                    .as_ref()
                    .map(|m| serde_json::Value::Object(m.clone()).to_string())
                    .unwrap_or_default(),
                hex::encode(r.chain),
            ],
            Entry::Purge(p) => {
                let mut c = vec![r.seq.to_string(), t, "purge".into()];
                c.extend(std::iter::repeat_n(String::new(), 8));
                c.push(format!(
                    "purged {} entries through {} (before {})",
                    p.purged_count,
                    p.purged_through,
                    cancuoc_core::time_fmt::tdate(p.cutoff)
                ));
                c.extend(std::iter::repeat_n(String::new(), 4));
                c.push(p.purged_chain.clone());
                c.push(hex::encode(r.chain));
                c
            }
        };
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One CSV cell: quoted when needed, and a leading `= + - @` defused so a spreadsheet does not
/// run a name someone printed on a card as a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

enum Command {
    Append(Box<Entry>, oneshot::Sender<Result<i64, LogError>>),
    Rows(Filter, oneshot::Sender<Result<Vec<Row>, LogError>>),
    Status(oneshot::Sender<Status>),
    Purge(
        OffsetDateTime,
        OffsetDateTime,
        oneshot::Sender<Result<u64, LogError>>,
    ),
}

/// The handle the server uses; the database lives on its own thread.
#[derive(Debug, Clone)]
pub struct Log {
    tx: mpsc::Sender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Append(..) => "Append",
            Self::Rows(..) => "Rows",
            Self::Status(..) => "Status",
            Self::Purge(..) => "Purge",
        })
    }
}

impl Log {
    /// Opens (or creates) the log and starts its writer thread.
    pub fn start(path: &Path) -> Result<Self, LogError> {
        let db = LogDb::open(path)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("station-log".into())
            .spawn(move || writer(db, &rx))
            .map_err(|e| LogError::Sqlite(format!("cannot start the log thread: {e}")))?;
        Ok(Self { tx })
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, LogError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| LogError::Closed)?;
        answer.await.map_err(|_| LogError::Closed)
    }

    /// Appends an entry once it is committed; returns its sequence number.
    pub async fn append(&self, entry: Entry) -> Result<i64, LogError> {
        self.ask(|r| Command::Append(Box::new(entry), r)).await?
    }

    pub async fn rows(&self, filter: Filter) -> Result<Vec<Row>, LogError> {
        self.ask(|r| Command::Rows(filter, r)).await?
    }

    pub async fn status(&self) -> Result<Status, LogError> {
        self.ask(Command::Status).await
    }

    pub async fn purge(
        &self,
        cutoff: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, LogError> {
        self.ask(|r| Command::Purge(cutoff, now, r)).await?
    }
}

fn writer(mut db: LogDb, rx: &mpsc::Receiver<Command>) {
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Append(e, reply) => {
                    batch.push((e, reply));
                    if batch.len() < MAX_BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                other => {
                    flush(&mut db, &mut batch);
                    serve(&mut db, other);
                    next = rx.try_recv().ok();
                }
            }
        }
        flush(&mut db, &mut batch);
    }
}

/// An append waiting for its commit, and where its sequence number goes.
type Waiting = (Box<Entry>, oneshot::Sender<Result<i64, LogError>>);

fn flush(db: &mut LogDb, batch: &mut Vec<Waiting>) {
    if batch.is_empty() {
        return;
    }
    let (entries, replies): (Vec<Entry>, Vec<_>) = std::mem::take(batch)
        .into_iter()
        .map(|(e, r)| (*e, r))
        .unzip();
    match db.append(&entries) {
        Ok(seqs) => {
            for (reply, seq) in replies.into_iter().zip(seqs) {
                let _ = reply.send(Ok(seq));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

fn serve(db: &mut LogDb, cmd: Command) {
    match cmd {
        Command::Append(e, reply) => {
            let _ = reply.send(db.append(&[*e]).map(|s| s.first().copied().unwrap_or(0)));
        }
        Command::Rows(f, reply) => {
            let _ = reply.send(db.rows(&f));
        }
        Command::Status(reply) => {
            let _ = reply.send(db.status());
        }
        Command::Purge(cutoff, now, reply) => {
            let _ = reply.send(db.purge(cutoff, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    fn entry(minutes: i64) -> Entry {
        Entry::Verification(Verification {
            time: T0 + Duration::minutes(minutes),
            channel: Channel::Scanner,
            counter: Some("Quầy 1".into()),
            requester: "phongkham.example.vn".into(),
            mode: Mode::Static,
            request_id: None,
            requested: vec![],
            document: Some("vn.gov.bhxh.bhyt.1".into()),
            issuer: Some("cancuoc demo Document Signer".into()),
            outcome: Outcome::Valid,
            check: None,
            code: None,
            disclosed: vec!["holder_name".into(), "card_code".into()],
            values: None,
        })
    }

    fn filled(dir: &tempfile::TempDir, n: i64) -> LogDb {
        let mut db = LogDb::open(&dir.path().join("log.db")).unwrap();
        for i in 0..n {
            db.append(&[entry(i)]).unwrap();
        }
        db
    }

    #[test]
    fn appends_and_verifies_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        assert_eq!(db.verify().unwrap().entries, 5);
        drop(db);
        let mut db = LogDb::open(&dir.path().join("log.db")).unwrap();
        assert_eq!(db.append(&[entry(9), entry(10)]).unwrap(), vec![6, 7]);
        let s = db.verify().unwrap();
        assert_eq!((s.entries, s.head_seq), (7, 7));
        assert_eq!(db.rows(&Filter::default()).unwrap().len(), 7);
        let newest = db
            .rows(&Filter {
                limit: Some(2),
                ..Filter::default()
            })
            .unwrap();
        assert_eq!(newest.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![7, 6]);
    }

    #[test]
    fn refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 2);
        assert!(
            db.conn
                .execute("UPDATE log SET entry = '{}' WHERE seq = 1", [])
                .is_err()
        );
        assert!(
            db.conn
                .execute("DELETE FROM log WHERE seq = 2", [])
                .is_err()
        );
        assert!(db.verify().is_ok());
    }

    fn forced(db: &LogDb, sql: &str) {
        db.conn
            .execute_batch(&format!(
                "DROP TRIGGER log_append_only; DROP TRIGGER log_purge_only; {sql}"
            ))
            .unwrap();
    }

    #[test]
    fn finds_edits_deletions_and_a_cut_tail() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        forced(
            &db,
            "UPDATE log SET entry = replace(entry, 'valid', 'rejected') WHERE seq = 3",
        );
        assert_eq!(db.verify(), Err(LogError::Edited { seq: 3 }));
        assert!(db.checked_status().problem.unwrap().contains("entry 3"));

        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        forced(&db, "UPDATE log SET time = time - 99999999 WHERE seq = 2");
        assert_eq!(db.verify(), Err(LogError::Edited { seq: 2 }));

        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        forced(&db, "DELETE FROM log WHERE seq = 2");
        assert_eq!(
            db.verify(),
            Err(LogError::Missing {
                expected: 2,
                found: 3
            })
        );

        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        forced(&db, "DELETE FROM log WHERE seq = 5");
        assert_eq!(db.verify(), Err(LogError::Truncated { found: 4, head: 5 }));

        // Removing the oldest entries by hand, with a forged base: no marker vouches for it.
        let dir = tempfile::tempdir().unwrap();
        let db = filled(&dir, 5);
        forced(
            &db,
            "INSERT INTO meta (key, seq, chain) SELECT 'base', seq, chain FROM log WHERE seq = 2;
             DELETE FROM log WHERE seq <= 2;",
        );
        assert_eq!(db.verify(), Err(LogError::BaseUnexplained { base: 2 }));
    }

    #[test]
    fn a_purge_keeps_the_chain_verifiable() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = filled(&dir, 10);
        let now = T0 + Duration::days(100);
        assert_eq!(db.purge(T0 + Duration::minutes(4), now).unwrap(), 4);
        let s = db.verify().unwrap();
        assert_eq!((s.base_seq, s.entries, s.head_seq), (4, 7, 11));
        let rows = db.rows(&Filter::default()).unwrap();
        assert_eq!(rows.first().unwrap().seq, 5);
        assert!(matches!(
            rows.last().unwrap().entry,
            Entry::Purge(PurgeMarker {
                purged_through: 4,
                purged_count: 4,
                ..
            })
        ));
        // Nothing older: no marker.
        assert_eq!(db.purge(T0 + Duration::minutes(4), now).unwrap(), 0);
        // A second purge that removes the first marker too.
        db.append(&[entry(60 * 24 * 101)]).unwrap();
        assert_eq!(db.purge(now + Duration::seconds(1), now).unwrap(), 7);
        let s = db.verify().unwrap();
        assert_eq!((s.base_seq, s.entries), (11, 2));
        // The status kept up by appends and purges is the one a full check finds.
        assert_eq!(db.status(), db.checked_status());
        assert_eq!(db.status(), s);
        // An edit after a purge is still found.
        forced(
            &db,
            "UPDATE log SET entry = replace(entry, 'Quầy 1', 'Quầy 2') WHERE seq = 12",
        );
        assert_eq!(db.verify(), Err(LogError::Edited { seq: 12 }));
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = filled(&dir, 1);
        let mut e = entry(1);
        if let Entry::Verification(v) = &mut e {
            v.counter = Some("=HYPERLINK(\"x\"), quầy".into());
        }
        db.append(&[e]).unwrap();
        let csv = to_csv(&db.rows(&Filter::default()).unwrap());
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("seq,time,event,channel,counter"));
        assert!(lines[1].starts_with("1,2026-11-23T08:00:00Z,verification,scanner,Quầy 1,"));
        assert!(
            lines[2].contains(",\"'=HYPERLINK(\"\"x\"\"), quầy\","),
            "{}",
            lines[2]
        );
        assert_eq!(lines.len(), 4);
    }

    #[tokio::test]
    async fn the_writer_thread_commits_concurrent_appends() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::start(&dir.path().join("log.db")).unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move { log.append(entry(i)).await }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap().unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
        let s = log.status().await.unwrap();
        assert_eq!((s.entries, s.problem), (200, None));
    }
}
