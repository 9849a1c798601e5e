//! The wallet's storage on the device: one SQLite database (WAL, foreign keys, schema version
//! in `user_version` with forward migrations) in which every personal record is sealed with
//! AES-256-GCM under the data key the platform keeps. Each write is one transaction: a killed
//! process leaves the state before or after it. A newer schema, a corrupted file or a wrong data
//! key is a typed error and changes nothing on disk.

use std::path::Path;
use std::sync::Mutex;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::CryptoRng;

/// Bytes of an AES-GCM nonce.
const NONCE_LEN: usize = 12;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::keystore::DataKey;

/// The schema this code writes; migrations bring older files forward.
pub const SCHEMA_VERSION: i64 = 1;

const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE meta (name TEXT PRIMARY KEY, sealed BLOB NOT NULL);
     CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, sealed BLOB NOT NULL,
                           PRIMARY KEY (kind, id));
     CREATE TABLE audit (seq INTEGER PRIMARY KEY, sealed BLOB NOT NULL, chain BLOB NOT NULL);",
)];

/// What a key check decrypts to: proves the data key is the one the store was made with.
const KEY_CHECK: &[u8] = b"cancuoc wallet store v1";

/// Why the store could not be used.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error(
        "the database was written by a newer version (schema {found}, this build knows {known})"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("the data key does not open this wallet")]
    WrongKey,
    #[error("the database file is damaged or not a wallet: {0}")]
    Corrupt(String),
    #[error("record {kind}/{id} does not decrypt (tampered or damaged)")]
    Tampered { kind: String, id: String },
    #[error("storage failed: {0}")]
    Sqlite(String),
}

fn sql(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
            ) =>
        {
            StoreError::Corrupt(f.to_string())
        }
        other => StoreError::Sqlite(other.to_string()),
    }
}

/// Computes an audit entry's chain value from the previous one and its sequence number.
pub(crate) type ChainFn<'a> = dyn Fn(Option<&[u8]>, i64) -> Vec<u8> + 'a;

/// One audit row: sequence number, the opened entry (or why it did not open), chain value.
pub(crate) type AuditRow = (i64, Result<Vec<u8>, StoreError>, Vec<u8>);

/// The encrypted store.
pub struct Store {
    conn: Mutex<Connection>,
    /// RustCrypto's AES-256-GCM, boxed: its key schedule is zeroized on drop (ring's is not),
    /// and it never moves, so no stale copy of it is left behind.
    key: Box<Aes256Gcm>,
    rng: Mutex<Box<dyn CryptoRng + Send>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(<sealed>)")
    }
}

fn aad(kind: &str, id: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(kind.len() + id.len() + 1);
    a.extend_from_slice(kind.as_bytes());
    a.push(0);
    a.extend_from_slice(id.as_bytes());
    a
}

/// How much stack to wipe below each use of the cipher: its frames (the AES round keys it works
/// with) fit in 4 KiB when optimised; unoptimised debug frames are larger and kept a copy of
/// the key schedule past 4 KiB (`tests/secrets_memory.rs` found it), so debug builds wipe 64 KiB.
const CIPHER_SCRUB: usize = if cfg!(debug_assertions) {
    64 * 1024
} else {
    4 * 1024
};

/// The cipher on the heap, built in a frame of its own so that `scrub_stack` can wipe what
/// its construction left on the stack.
#[inline(never)]
fn cipher(data_key: &DataKey) -> Option<Box<Aes256Gcm>> {
    Aes256Gcm::new_from_slice(data_key.expose())
        .ok()
        .map(Box::new)
}

impl Store {
    /// Opens or creates the store at `path` with `data_key`; `rng` makes the nonces.
    pub fn open(
        path: &Path,
        data_key: &DataKey,
        rng: Box<dyn CryptoRng + Send>,
    ) -> Result<Self, StoreError> {
        let key = cipher(data_key);
        // The key schedule was built in `cipher`'s frame: wipe it.
        crate::keystore::scrub_stack();
        let key = key.ok_or(StoreError::WrongKey)?;
        let existed = path.exists();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        // Read-only checks first: nothing is written to a file this build cannot use.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let store = Self {
            conn: Mutex::new(conn),
            key,
            rng: Mutex::new(rng),
        };
        if existed && version >= 1 {
            store.check_key()?;
        }
        {
            let conn = store.lock();
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(sql)?;
            conn.pragma_update(None, "foreign_keys", "ON")
                .map_err(sql)?;
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(sql)?;
        }
        store.migrate(version)?;
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn migrate(&self, from: i64) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        for (version, script) in MIGRATIONS.iter().filter(|(v, _)| *v > from) {
            tx.execute_batch(script).map_err(sql)?;
            if *version == 1 {
                let sealed = self.seal("meta", "key_check", KEY_CHECK)?;
                tx.execute(
                    "INSERT INTO meta (name, sealed) VALUES ('key_check', ?1)",
                    params![sealed],
                )
                .map_err(sql)?;
            }
            tx.pragma_update(None, "user_version", version)
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    fn check_key(&self) -> Result<(), StoreError> {
        let conn = self.lock();
        let sealed: Option<Vec<u8>> = conn
            .query_row(
                "SELECT sealed FROM meta WHERE name = 'key_check'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let sealed = sealed.ok_or_else(|| StoreError::Corrupt("no key check".into()))?;
        match self.unseal("meta", "key_check", &sealed) {
            Ok(p) if p == KEY_CHECK => Ok(()),
            _ => Err(StoreError::WrongKey),
        }
    }

    /// nonce ‖ AES-256-GCM(plaintext), bound to (kind, id).
    fn seal(&self, kind: &str, id: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fill_bytes(&mut nonce);
        let mut buf = plaintext.to_vec();
        let sealed = self
            .key
            .encrypt_in_place(&Nonce::from(nonce), &aad(kind, id), &mut buf);
        crate::keystore::scrub_stack_bytes::<CIPHER_SCRUB>();
        sealed.map_err(|_| StoreError::Sqlite("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(buf);
        Ok(out)
    }

    fn unseal(&self, kind: &str, id: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let tampered = || StoreError::Tampered {
            kind: kind.to_owned(),
            id: id.to_owned(),
        };
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or_else(tampered)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| tampered())?;
        let mut buf = body.to_vec();
        let opened = self
            .key
            .decrypt_in_place(&Nonce::from(nonce), &aad(kind, id), &mut buf);
        crate::keystore::scrub_stack_bytes::<CIPHER_SCRUB>();
        opened.map_err(|_| tampered())?;
        Ok(buf)
    }

    /// Writes (or replaces) one record in its own transaction.
    pub fn put(&self, kind: &str, id: &str, plaintext: &[u8]) -> Result<(), StoreError> {
        self.put_batch(&[(kind, id, plaintext)])
    }

    /// Writes several records in one transaction: all of them or none.
    pub fn put_batch(&self, records: &[(&str, &str, &[u8])]) -> Result<(), StoreError> {
        self.transact(records, &[], None).map(|_| ())
    }

    /// Writes `puts` and removes `deletes` in one transaction.
    pub fn transact_records(
        &self,
        puts: &[(&str, &str, &[u8])],
        deletes: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        self.transact(puts, deletes, None).map(|_| ())
    }

    /// One transaction: writes `puts`, deletes `deletes` and — when given — appends an audit
    /// entry whose chain value `chain(previous chain, seq)` computes. All of it or none of it
    /// reaches the disk, so a state change and the log line that records it never part.
    /// Returns the audit entry's sequence number.
    pub(crate) fn transact(
        &self,
        puts: &[(&str, &str, &[u8])],
        deletes: &[(&str, &str)],
        audit: Option<(&[u8], &ChainFn<'_>)>,
    ) -> Result<Option<i64>, StoreError> {
        let sealed: Vec<Vec<u8>> = puts
            .iter()
            .map(|(kind, id, plain)| self.seal(kind, id, plain))
            .collect::<Result<_, _>>()?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        for ((kind, id, _), sealed) in puts.iter().zip(&sealed) {
            tx.execute(
                "INSERT INTO records (kind, id, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, id) DO UPDATE SET sealed = excluded.sealed",
                params![kind, id, sealed],
            )
            .map_err(sql)?;
        }
        for (kind, id) in deletes {
            tx.execute(
                "DELETE FROM records WHERE kind = ?1 AND id = ?2",
                params![kind, id],
            )
            .map_err(sql)?;
        }
        let seq = match audit {
            None => None,
            Some((entry, chain)) => Some(self.append_audit_in(&tx, entry, chain)?),
        };
        tx.commit().map_err(sql)?;
        Ok(seq)
    }

    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .lock()
            .query_row(
                "SELECT sealed FROM records WHERE kind = ?1 AND id = ?2",
                params![kind, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        sealed.map(|s| self.unseal(kind, id, &s)).transpose()
    }

    /// Every record of a kind, by id.
    pub fn list(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> = {
            let conn = self.lock();
            let mut stmt = conn
                .prepare("SELECT id, sealed FROM records WHERE kind = ?1 ORDER BY id")
                .map_err(sql)?;
            let mapped = stmt
                .query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql)?;
            mapped.collect::<Result<_, _>>().map_err(sql)?
        };
        rows.into_iter()
            .map(|(id, s)| Ok((id.clone(), self.unseal(kind, &id, &s)?)))
            .collect()
    }

    pub fn delete(&self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM records WHERE kind = ?1 AND id = ?2",
                params![kind, id],
            )
            .map_err(sql)?;
        Ok(n > 0)
    }

    /// Appends to the audit table inside `tx`: `entry` sealed, with the chain value
    /// `chain(previous chain, seq)` computed by the caller from the last one.
    fn append_audit_in(
        &self,
        tx: &rusqlite::Transaction<'_>,
        entry: &[u8],
        chain: &ChainFn<'_>,
    ) -> Result<i64, StoreError> {
        let last: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT seq, chain FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        let seq = last.as_ref().map_or(1, |(s, _)| s + 1);
        let link = chain(last.as_ref().map(|(_, c)| c.as_slice()), seq);
        let sealed = self.seal("audit", &seq.to_string(), entry)?;
        tx.execute(
            "INSERT INTO audit (seq, sealed, chain) VALUES (?1, ?2, ?3)",
            params![seq, sealed, link],
        )
        .map_err(sql)?;
        // The sealed head (last seq and chain) lets verification notice a removed tail.
        let mut head = seq.to_be_bytes().to_vec();
        head.extend_from_slice(&link);
        let sealed_head = self.seal("meta", "audit_head", &head)?;
        tx.execute(
            "INSERT INTO meta (name, sealed) VALUES ('audit_head', ?1)
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
            params![sealed_head],
        )
        .map_err(sql)?;
        Ok(seq)
    }

    /// Every audit row in order: (seq, opened entry or the error, chain).
    pub(crate) fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError> {
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = {
            let conn = self.lock();
            let mut stmt = conn
                .prepare("SELECT seq, sealed, chain FROM audit ORDER BY seq")
                .map_err(sql)?;
            let mapped = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(sql)?;
            mapped.collect::<Result<_, _>>().map_err(sql)?
        };
        Ok(rows
            .into_iter()
            .map(|(seq, sealed, chain)| {
                (seq, self.unseal("audit", &seq.to_string(), &sealed), chain)
            })
            .collect())
    }

    /// The sealed audit head: (last seq, its chain value), if any entry was written.
    pub(crate) fn audit_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .lock()
            .query_row(
                "SELECT sealed FROM meta WHERE name = 'audit_head'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let head = self.unseal("meta", "audit_head", &sealed)?;
        let (seq, chain) = head.split_at_checked(8).ok_or(StoreError::Tampered {
            kind: "meta".into(),
            id: "audit_head".into(),
        })?;
        let mut b = [0u8; 8];
        b.copy_from_slice(seq);
        Ok(Some((i64::from_be_bytes(b), chain.to_vec())))
    }

    /// Direct SQL for tests that play the attacker.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn key(seed: u64) -> DataKey {
        DataKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn rng() -> Box<dyn CryptoRng + Send> {
        Box::new(ChaCha20Rng::seed_from_u64(77))
    }

    /// A wallet path in a directory removed when the returned guard drops.
    fn tmp(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::Builder::new()
            .prefix(&format!("cancuoc-store-{name}-"))
            .tempdir()
            .unwrap();
        let path = d.path().join("wallet.db");
        (d, path)
    }

    #[test]
    fn records_are_sealed_and_survive_reopening() {
        let (_dir, path) = tmp("reopen");
        {
            let s = Store::open(&path, &key(1), rng()).unwrap();
            s.put("document", "bhyt", b"the card").unwrap();
            s.put("document", "bhyt", b"the card, renewed").unwrap();
            s.put("document", "mdl", b"licence").unwrap();
            assert!(s.delete("document", "mdl").unwrap());
            assert!(!s.delete("document", "mdl").unwrap());
        }
        let s = Store::open(&path, &key(1), rng()).unwrap();
        assert_eq!(
            s.get("document", "bhyt").unwrap().as_deref(),
            Some(&b"the card, renewed"[..])
        );
        assert_eq!(s.list("document").unwrap().len(), 1);
        assert_eq!(s.get("document", "nothing").unwrap(), None);
        // Nothing personal is in the file in clear.
        drop(s);
        let bytes = std::fs::read(&path).unwrap();
        let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
        for hay in [&bytes, &wal] {
            assert!(!hay.windows(8).any(|w| w == b"the card"));
        }
    }

    #[test]
    fn wrong_key_newer_schema_and_garbage_change_nothing() {
        let (_dir, path) = tmp("refuse");
        Store::open(&path, &key(1), rng())
            .unwrap()
            .put("document", "x", b"secret")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        assert_eq!(
            Store::open(&path, &key(2), rng()).unwrap_err(),
            StoreError::WrongKey
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        assert_eq!(
            Store::open(&path, &key(1), rng()).unwrap_err(),
            StoreError::NewerSchema {
                found: 99,
                known: SCHEMA_VERSION
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let (_dir, junk) = tmp("junk");
        std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
        assert!(matches!(
            Store::open(&junk, &key(1), rng()),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(std::fs::read(&junk).unwrap(), vec![0x42u8; 4096]);
    }

    #[test]
    fn a_swapped_or_edited_record_is_detected() {
        let (_dir, path) = tmp("tamper");
        let s = Store::open(&path, &key(1), rng()).unwrap();
        s.put("document", "a", b"alpha").unwrap();
        s.put("document", "b", b"beta").unwrap();
        // Move b's ciphertext under a's name: the binding to (kind, id) refuses it.
        s.raw()
            .execute("UPDATE records SET sealed = (SELECT sealed FROM records WHERE id = 'b') WHERE id = 'a'", [])
            .unwrap();
        assert_eq!(
            s.get("document", "a").unwrap_err(),
            StoreError::Tampered {
                kind: "document".into(),
                id: "a".into()
            }
        );
        s.raw()
            .execute("UPDATE records SET sealed = x'00' WHERE id = 'b'", [])
            .unwrap();
        assert!(matches!(
            s.get("document", "b"),
            Err(StoreError::Tampered { .. })
        ));
    }
}
