//! Document integration: the in-force documents bound to the current device key, issued with
//! the core's `Issuer` from the population register (the identity card) and the sector records
//! (driving licence, health insurance card, vehicle registrations) where there is none or it
//! expires within 30 days. Each has a status bit from a counter (lists of `status_list_size`
//! entries), validity from the record (at most a year). An `Idempotency-Key` from the same
//! account returns the stored answer. Officers revoke single documents.

use std::collections::BTreeSet;

use cancuoc_core::document::{Document, DocumentKind};
use cancuoc_core::issuance::{CredentialValidity, IssueError};
use cancuoc_core::keys::PublicKey;
use cancuoc_core::mdoc::mso::StatusReference;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, Time};

use crate::Inner;
use crate::accounts::{self, AccountError};
use crate::devices;
use crate::secrets;
use crate::seed::kind_name;
use crate::store::{self, StoreError, Tx, Val};

/// A document expiring sooner than this is re-issued.
pub const RENEW_BEFORE: Duration = Duration::days(30);
/// The longest validity of one credential.
pub const MAX_VALIDITY: Duration = Duration::days(365);
/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Why documents were not issued.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error("a level-2 account is needed for {0}")]
    LevelTooLow(&'static str),
    #[error("no record in force for {0}")]
    NoRecord(&'static str),
    #[error("the Idempotency-Key header is required (1–200 visible ASCII characters)")]
    IdempotencyKeyRequired,
    #[error("this Idempotency-Key was used for another request")]
    IdempotencyKeyReused,
    #[error("at least one kind is required")]
    NoKinds,
    #[error("no such document")]
    NoDocument,
    #[error("issuing failed: {0}")]
    Issue(#[from] IssueError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `POST /v1/documents`.
#[derive(Debug, Deserialize)]
pub struct DocumentsRequest {
    pub kinds: Vec<DocumentKind>,
}

/// One issued document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssuedDocument {
    pub id: String,
    pub kind: DocumentKind,
    pub status_uri: String,
    pub status_index: u64,
    pub valid_from: i64,
    pub valid_until: i64,
    pub issued_at: i64,
    /// base64url of the mdoc `Credential` CBOR.
    pub credential: String,
    /// base64url of the compact (QR) credential CBOR issued with it.
    pub compact_credential: String,
}

/// The answer of `POST /v1/documents`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocumentsAnswer {
    pub documents: Vec<IssuedDocument>,
}

/// Where a status list lives.
pub fn status_uri(svc: &Inner, list: u64) -> String {
    format!("{}/v1/status-lists/{list}", svc.config.public_url)
}

/// The first instant after a date's end (UTC).
fn end_of(d: time::Date) -> OffsetDateTime {
    d.next_day()
        .unwrap_or(d)
        .with_time(Time::MIDNIGHT)
        .assume_utc()
}

/// When the record stops being in force.
fn record_end(doc: &Document) -> Option<OffsetDateTime> {
    match doc {
        Document::CitizenIdentity(d) => Some(end_of(d.expiry_date)),
        Document::DrivingLicence(d) => Some(end_of(d.expiry_date)),
        Document::HealthInsurance(d) => Some(end_of(d.valid_until)),
        Document::VehicleRegistration(d) => d.expiry_date.map(end_of),
    }
}

/// The records behind a kind: (record id, document).
fn records(
    tx: &mut dyn Tx,
    personal_id: &str,
    kind: DocumentKind,
    level: u8,
) -> Result<Vec<(String, Document)>, StoreError> {
    if kind == DocumentKind::CitizenIdentity {
        return Ok(accounts::citizen(tx, personal_id)?
            .map(|mut c| {
                c.eid_assurance_level = level;
                (personal_id.to_owned(), Document::CitizenIdentity(c))
            })
            .into_iter()
            .collect());
    }
    tx.query(
        "SELECT record_id, record_json FROM records WHERE personal_id = ?1 AND kind = ?2 ORDER BY record_id",
        &[Val::from(personal_id), Val::from(kind_name(kind))],
    )?
    .iter()
    .map(|r| {
        let doc: Document = serde_json::from_str(&r.text(1)?)
            .map_err(|e| StoreError::Shape(format!("sector record: {e}")))?;
        Ok((r.text(0)?, doc))
    })
    .collect()
}

/// The record of a kind a relying party's grant answers from (the first one).
pub fn record_for_share(
    tx: &mut dyn Tx,
    personal_id: &str,
    kind: DocumentKind,
    level: u8,
) -> Result<Option<Document>, StoreError> {
    Ok(records(tx, personal_id, kind, level)?
        .into_iter()
        .next()
        .map(|(_, d)| d))
}

fn document_of(svc: &Inner, row: &store::Row) -> Result<IssuedDocument, StoreError> {
    let kind_text = row.text(1)?;
    let kind = crate::seed::kind_of(&kind_text)
        .ok_or_else(|| StoreError::Shape(format!("kind {kind_text:?}")))?;
    let list = u64::try_from(row.int(2)?).unwrap_or(0);
    Ok(IssuedDocument {
        id: row.text(0)?,
        kind,
        status_uri: status_uri(svc, list),
        status_index: u64::try_from(row.int(3)?).unwrap_or(0),
        valid_from: row.int(4)?,
        valid_until: row.int(5)?,
        issued_at: row.int(6)?,
        credential: secrets::b64(&row.blob(7)?),
        compact_credential: secrets::b64(&row.blob(8)?),
    })
}

const DOC_COLUMNS: &str = "id, kind, status_list, status_index, valid_from, valid_until, issued_at, credential, compact, level";

/// Whether an officer revoked a document of this record (the record is withdrawn).
fn withdrawn(tx: &mut dyn Tx, personal_id: &str, record_id: &str) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM documents WHERE personal_id = ?1 AND record_id = ?2 AND withdrawn = 1",
            &[Val::from(personal_id), Val::from(record_id)],
        )?
        .is_some())
}

/// Status bits taken from the store's counter a block at a time, so that issuing transactions
/// do not all wait on the counter's row (on PostgreSQL that row lock would be held through the
/// signatures and the commit of every issuance). A bit taken but never used stays 0 for good.
#[derive(Debug, Default)]
pub struct StatusBits {
    free: std::sync::Mutex<Vec<u64>>,
}

/// Bits taken from the counter at once.
const STATUS_BLOCK: u64 = 256;
/// Bits an issuance reserves before its transaction (more are taken inside it if needed).
const RESERVE: usize = 6;

impl StatusBits {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u64>> {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Up to `n` free bits, taking a new block from the store (its own transaction) when short.
    fn reserve(&self, store: &dyn store::Store, n: usize) -> Result<Vec<u64>, StoreError> {
        if self.lock().len() < n {
            let end = store::transact(store, |tx| take_block(tx, STATUS_BLOCK))?;
            let mut free = self.lock();
            free.extend((end - STATUS_BLOCK..end).rev());
        }
        let mut free = self.lock();
        let keep = free.len().saturating_sub(n);
        Ok(free.split_off(keep))
    }

    /// Gives back bits a request did not use.
    fn give_back(&self, bits: Vec<u64>) {
        self.lock().extend(bits);
    }
}

/// Advances the store's counter by `n`; returns its new value (the block is `value - n .. value`).
fn take_block(tx: &mut dyn Tx, n: u64) -> Result<u64, StoreError> {
    let next = tx
        .query_one(
            "INSERT INTO counters (name, value) VALUES ('status_next', ?1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + ?1 RETURNING value",
            &[Val::from(n)],
        )?
        .int(0)?;
    Ok(u64::try_from(next).unwrap_or(0))
}

/// A global bit number as (list number from 1, index in the list).
fn list_and_index(svc: &Inner, bit: u64) -> (u64, u64) {
    let size = svc.config.status_list_size.max(8);
    (bit / size + 1, bit % size)
}

/// Whether the key is a visible-ASCII token of 1–200 characters.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len())
        && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// `POST /v1/documents`: returns the JSON answer (stored for the idempotency key).
pub fn integrate(
    svc: &Inner,
    token: &str,
    idempotency_key: Option<&str>,
    request: &DocumentsRequest,
) -> Result<String, DocumentsError> {
    let key = idempotency_key
        .filter(|k| valid_idempotency_key(k))
        .ok_or(DocumentsError::IdempotencyKeyRequired)?;
    let kinds: BTreeSet<&'static str> = request.kinds.iter().map(|k| kind_name(*k)).collect();
    if kinds.is_empty() {
        return Err(DocumentsError::NoKinds);
    }
    let now = svc.now();
    let mut rng = svc.rng();
    let mut reserved = svc.status_bits.reserve(svc.store(), RESERVE)?;
    let reserved_all = reserved.clone();
    let answer = store::transact(svc.store(), |tx| {
        let session = accounts::authenticate(tx, token)?;
        let pid = session.personal_id.as_str();
        // The request is the kinds asked for by this device: the same key from another device
        // (after a device change) is another request, never answered with the old documents.
        let mut h = Sha256::new();
        h.update(kinds.iter().copied().collect::<Vec<_>>().join(","));
        h.update(b"|");
        h.update(&session.device_key);
        let request_hash = h.finalize().to_vec();
        if let Some(row) = tx.query_opt(
            "SELECT request_hash, response FROM idempotency WHERE personal_id = ?1 AND idem_key = ?2",
            &[Val::from(pid), Val::from(key)],
        )? {
            if row.blob(0)? != request_hash {
                return Err(DocumentsError::IdempotencyKeyReused);
            }
            return Ok(row.text(1)?);
        }
        let account = tx.query_one(
            "SELECT level, locked FROM accounts WHERE personal_id = ?1",
            &[Val::from(pid)],
        )?;
        let level = u8::try_from(account.int(0)?).unwrap_or(1);
        if account.int(1)? != 0 {
            return Err(AccountError::Locked.into());
        }
        let bound = tx
            .query_opt(
                "SELECT device_key FROM devices WHERE personal_id = ?1",
                &[Val::from(pid)],
            )?
            .map(|r| r.blob(0))
            .transpose()?;
        if bound.as_deref() != Some(session.device_key.as_slice()) {
            return Err(AccountError::SessionEnded.into());
        }
        let device_key = PublicKey::from_sec1(&session.device_key)
            .map_err(|_| StoreError::Shape("stored device key".into()))?;
        let mut wanted = Vec::new();
        for kind in DocumentKind::ALL {
            if !kinds.contains(kind_name(kind)) {
                continue;
            }
            if level < 2 && kind != DocumentKind::CitizenIdentity {
                return Err(DocumentsError::LevelTooLow(kind_name(kind)));
            }
            let mut in_force = Vec::new();
            for (record_id, d) in records(tx, pid, kind, level)? {
                if record_end(&d).is_some_and(|end| end <= now) || withdrawn(tx, pid, &record_id)? {
                    continue;
                }
                in_force.push((record_id, d));
            }
            if in_force.is_empty() {
                return Err(DocumentsError::NoRecord(kind_name(kind)));
            }
            wanted.extend(in_force);
        }
        let mut out = Vec::new();
        for (record_id, doc) in wanted {
            // No later than the record, a year, or the Document Signer's certificate (verifiers
            // check it is valid when they verify).
            let until = record_end(&doc)
                .map_or(now + MAX_VALIDITY, |end| end.min(now + MAX_VALIDITY))
                .min(svc.authority.issuer.certificate().not_after());
            let current = tx.query_opt(
                &format!(
                    "SELECT {DOC_COLUMNS} FROM documents WHERE personal_id = ?1 AND record_id = ?2 \
                     AND device_key = ?3 AND revoked_at IS NULL AND superseded_at IS NULL \
                     ORDER BY valid_until DESC, id LIMIT 1"
                ),
                &[
                    Val::from(pid),
                    Val::from(&record_id),
                    Val::from(session.device_key.as_slice()),
                ],
            )?;
            if let Some(row) = &current {
                let valid_until = row.int(5)?;
                let doc_level = row.int(9)?;
                let fresh = valid_until - now.unix_timestamp() > RENEW_BEFORE.whole_seconds()
                    || until.unix_timestamp() <= valid_until;
                let same_level =
                    doc.kind() != DocumentKind::CitizenIdentity || doc_level == i64::from(level);
                if valid_until > now.unix_timestamp() && fresh && same_level {
                    out.push(document_of(svc, row)?);
                    continue;
                }
                tx.execute(
                    "UPDATE documents SET superseded_at = ?2 WHERE id = ?1",
                    &[Val::Text(row.text(0)?), Val::Int(now.unix_timestamp())],
                )?;
            }
            let bit = match reserved.pop() {
                Some(b) => b,
                None => take_block(tx, 1)? - 1,
            };
            let (list, index) = list_and_index(svc, bit);
            let validity = CredentialValidity {
                valid_from: now,
                valid_until: until,
                expected_update: None,
            };
            let status = StatusReference {
                index,
                uri: status_uri(svc, list),
            };
            let issuer = &svc.authority.issuer;
            let credential =
                issuer.issue(&doc, &device_key, validity, Some(status), now, &mut rng)?;
            let compact =
                issuer.issue_compact(&doc, &device_key, validity, Some(index), now, &mut rng)?;
            let id = secrets::new_id(&mut rng);
            let credential = credential.to_bytes().map_err(IssueError::from)?;
            let compact = compact.to_bytes().map_err(IssueError::from)?;
            tx.execute(
                "INSERT INTO documents (id, personal_id, kind, record_id, device_key, level, \
                 status_list, status_index, issued_at, valid_from, valid_until, credential, compact) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                &[
                    Val::from(&id),
                    Val::from(pid),
                    Val::from(kind_name(doc.kind())),
                    Val::from(&record_id),
                    Val::from(session.device_key.as_slice()),
                    Val::from(level),
                    Val::from(list),
                    Val::from(index),
                    Val::Int(now.unix_timestamp()),
                    Val::Int(now.unix_timestamp()),
                    Val::Int(until.unix_timestamp()),
                    Val::from(credential.as_slice()),
                    Val::from(compact.as_slice()),
                ],
            )?;
            out.push(IssuedDocument {
                id,
                kind: doc.kind(),
                status_uri: status_uri(svc, list),
                status_index: index,
                valid_from: now.unix_timestamp(),
                valid_until: until.unix_timestamp(),
                issued_at: now.unix_timestamp(),
                credential: secrets::b64(&credential),
                compact_credential: secrets::b64(&compact),
            });
        }
        let answer = serde_json::to_string(&DocumentsAnswer { documents: out })
            .map_err(|e| StoreError::Shape(e.to_string()))?;
        tx.execute(
            "INSERT INTO idempotency (personal_id, idem_key, request_hash, response, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                Val::from(pid),
                Val::from(key),
                Val::Blob(request_hash.clone()),
                Val::from(&answer),
                Val::Int(now.unix_timestamp()),
            ],
        )?;
        Ok(answer)
    });
    // Bits of a committed request that were used are gone from `reserved`; a refused request
    // used none (its transaction was rolled back).
    if answer.is_ok() {
        svc.status_bits.give_back(reserved);
    } else {
        svc.status_bits.give_back(reserved_all);
    }
    answer
}

/// The answer of an officer's revocation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Revoked {
    pub id: String,
    pub revoked: bool,
    pub revoked_at: i64,
    pub status_uri: String,
    pub status_index: u64,
}

/// `POST /v1/officer/documents/{id}/revoke`.
#[derive(Debug, Deserialize)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revokes one document; it appears in the next status list.
pub fn revoke(
    svc: &Inner,
    officer_token: &str,
    id: &str,
    reason: &str,
) -> Result<Revoked, DocumentsError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AccountError::BadField("reason must be 1–200 characters").into());
    }
    let now = svc.now();
    let r = store::transact(svc.store(), |tx| {
        let officer = accounts::officer(tx, officer_token)?;
        devices::revoke_document(tx, id, now, &format!("{reason} (officer {officer})"))?;
        tx.execute(
            "UPDATE documents SET withdrawn = 1 WHERE id = ?1",
            &[Val::from(id)],
        )?;
        let row = tx
            .query_opt(
                "SELECT status_list, status_index, revoked_at FROM documents WHERE id = ?1",
                &[Val::from(id)],
            )?
            .ok_or(DocumentsError::NoDocument)?;
        Ok::<_, DocumentsError>(Revoked {
            id: id.to_owned(),
            revoked: true,
            revoked_at: row.opt_int(2)?.unwrap_or(now.unix_timestamp()),
            status_uri: status_uri(svc, u64::try_from(row.int(0)?).unwrap_or(0)),
            status_index: u64::try_from(row.int(1)?).unwrap_or(0),
        })
    })?;
    svc.lists.invalidate();
    Ok(r)
}
