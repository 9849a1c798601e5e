//! One device at a time: binding a device key, the device-change code (6 digits, 10 minutes,
//! 5 tries, single use, only its hash stored; the bound device reads it from its messages),
//! confirming a change (bind the new key, revoke the old one and its documents, end its
//! sessions — one transaction), and locking an account (sessions end, the device key and every
//! document revoked).

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::Inner;
use crate::accounts::{self, AccountError, AccountView};
use crate::secrets::{self, Secret};
use crate::store::{self, StoreError, Tx, Val};

/// How long a device-change code lasts.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong codes allowed per change.
pub const CODE_TRIES: i64 = 5;

/// Why a device change was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no such device change")]
    NoSuchChange,
    #[error("the code is wrong ({left} tries left)")]
    InvalidCode { left: i64 },
    #[error("the code has expired: sign in again on the new device")]
    CodeExpired,
    #[error("the code has already been used")]
    CodeUsed,
    #[error("too many wrong codes: sign in again on the new device")]
    TooManyAttempts,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `POST /v1/device-changes/{change_id}/confirm`.
#[derive(Debug, Deserialize)]
pub struct ConfirmRequest {
    pub code: Secret,
}

/// One pending message for the bound device.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub kind: String,
    pub code: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub text_vi: String,
    pub text_en: String,
}

/// Refuses a key that was signed out before or serves another account.
pub fn check_key_is_free(tx: &mut dyn Tx, key: &[u8]) -> Result<(), AccountError> {
    if tx
        .query_opt(
            "SELECT 1 FROM revoked_keys WHERE device_key = ?1",
            &[Val::from(key)],
        )?
        .is_some()
    {
        return Err(AccountError::DeviceKeyRevoked);
    }
    if tx
        .query_opt(
            "SELECT 1 FROM devices WHERE device_key = ?1",
            &[Val::from(key)],
        )?
        .is_some()
    {
        return Err(AccountError::DeviceKeyInUse);
    }
    Ok(())
}

/// Binds `key` to an account that has no device.
pub fn bind(
    tx: &mut dyn Tx,
    personal_id: &str,
    key: &[u8],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO devices (personal_id, device_key, bound_at) VALUES (?1, ?2, ?3)",
        &[
            Val::from(personal_id),
            Val::from(key),
            Val::Int(now.unix_timestamp()),
        ],
    )?;
    Ok(())
}

/// Starts a device change; returns its id and expiry. The code is derived, never stored.
pub fn start_change(
    svc: &Inner,
    tx: &mut dyn Tx,
    personal_id: &str,
    old_key: &[u8],
    new_key: &[u8],
    now: OffsetDateTime,
) -> Result<(String, i64), StoreError> {
    let change_id = secrets::new_id(&mut svc.rng());
    let code = secrets::change_code(&svc.authority.code_secret, &change_id);
    let expires_at = (now + CODE_LIFETIME).unix_timestamp();
    tx.execute(
        "INSERT INTO device_changes (change_id, personal_id, old_key, new_key, code_hash, \
         created_at, expires_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
        &[
            Val::from(&change_id),
            Val::from(personal_id),
            Val::from(old_key),
            Val::from(new_key),
            Val::Blob(secrets::code_hash(&change_id, code.expose())),
            Val::Int(now.unix_timestamp()),
            Val::Int(expires_at),
        ],
    )?;
    Ok((change_id, expires_at))
}

/// Marks every not yet revoked document matching `filter` revoked, and bumps the revocation
/// counter the list cache watches.
fn revoke_documents(
    tx: &mut dyn Tx,
    filter: &str,
    params: &[Val],
    now: OffsetDateTime,
    reason: &str,
) -> Result<u64, StoreError> {
    let n = params.len();
    let sql = format!(
        "UPDATE documents SET revoked_at = ?{}, revoked_reason = ?{} WHERE revoked_at IS NULL AND {filter}",
        n + 1,
        n + 2
    );
    let mut all = params.to_vec();
    all.push(Val::Int(now.unix_timestamp()));
    all.push(Val::from(reason));
    let changed = tx.execute(&sql, &all)?;
    if changed > 0 {
        bump_revocations(tx)?;
    }
    Ok(changed)
}

/// The counter every revocation bumps.
pub fn bump_revocations(tx: &mut dyn Tx) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO counters (name, value) VALUES ('revocations', 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
        &[],
    )?;
    Ok(())
}

/// Signs out the bound device: its key goes to the revoked keys, its sessions end, the
/// documents bound to it are revoked.
fn revoke_device(
    tx: &mut dyn Tx,
    personal_id: &str,
    key: &[u8],
    now: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM devices WHERE personal_id = ?1 AND device_key = ?2",
        &[Val::from(personal_id), Val::from(key)],
    )?;
    tx.execute(
        "INSERT INTO revoked_keys (device_key, personal_id, revoked_at, reason) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (device_key) DO NOTHING",
        &[
            Val::from(key),
            Val::from(personal_id),
            Val::Int(now.unix_timestamp()),
            Val::from(reason),
        ],
    )?;
    tx.execute(
        "UPDATE sessions SET ended_at = ?3 WHERE personal_id = ?1 AND device_key = ?2 AND ended_at IS NULL",
        &[Val::from(personal_id), Val::from(key), Val::Int(now.unix_timestamp())],
    )?;
    revoke_documents(
        tx,
        "personal_id = ?1 AND device_key = ?2",
        &[Val::from(personal_id), Val::from(key)],
        now,
        reason,
    )?;
    Ok(())
}

/// Locks an account: every session ends, the bound device key and every document are revoked,
/// pending device changes are void.
pub fn lock(
    tx: &mut dyn Tx,
    personal_id: &str,
    now: OffsetDateTime,
    reason: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE accounts SET locked = 1 WHERE personal_id = ?1",
        &[Val::from(personal_id)],
    )?;
    if let Some(row) = tx.query_opt(
        "SELECT device_key FROM devices WHERE personal_id = ?1",
        &[Val::from(personal_id)],
    )? {
        revoke_device(tx, personal_id, &row.blob(0)?, now, reason)?;
    }
    tx.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE personal_id = ?1 AND ended_at IS NULL",
        &[Val::from(personal_id), Val::Int(now.unix_timestamp())],
    )?;
    tx.execute(
        "UPDATE device_changes SET used_at = ?2 WHERE personal_id = ?1 AND used_at IS NULL",
        &[Val::from(personal_id), Val::Int(now.unix_timestamp())],
    )?;
    revoke_documents(
        tx,
        "personal_id = ?1",
        &[Val::from(personal_id)],
        now,
        reason,
    )?;
    Ok(())
}

/// Revokes one document (an officer's decision).
pub fn revoke_document(
    tx: &mut dyn Tx,
    id: &str,
    now: OffsetDateTime,
    reason: &str,
) -> Result<u64, StoreError> {
    revoke_documents(tx, "id = ?1", &[Val::from(id)], now, reason)
}

/// `POST /v1/device-changes/{id}/confirm`: the new device enters the code.
pub fn confirm(
    svc: &Inner,
    change_id: &str,
    code: &Secret,
) -> Result<(Secret, AccountView), DeviceError> {
    let now = svc.now();
    let result = store::transact(
        svc.store(),
        |tx| -> Result<Result<(Secret, AccountView), DeviceError>, DeviceError> {
            let row = tx
            .query_opt(
                "SELECT personal_id, old_key, new_key, code_hash, expires_at, attempts, used_at \
                 FROM device_changes WHERE change_id = ?1",
                &[Val::from(change_id)],
            )?
            .ok_or(DeviceError::NoSuchChange)?;
            let personal_id = row.text(0)?;
            let (old_key, new_key) = (row.blob(1)?, row.blob(2)?);
            let attempts = row.int(5)?;
            let given = secrets::code_hash(change_id, code.expose());
            let right = secrets::constant_time_eq(&given, &row.blob(3)?);
            if row.opt_int(6)?.is_some() {
                // Single use. A new device whose answer was lost signs in again: it is the bound
                // device now, so `POST /v1/sessions` gives it a session.
                return Err(DeviceError::CodeUsed);
            }
            if row.int(4)? <= now.unix_timestamp() {
                return Err(DeviceError::CodeExpired);
            }
            if attempts >= CODE_TRIES {
                return Err(DeviceError::TooManyAttempts);
            }
            if !right {
                tx.execute(
                    "UPDATE device_changes SET attempts = attempts + 1 WHERE change_id = ?1",
                    &[Val::from(change_id)],
                )?;
                // Committed: the wrong try counts.
                return Ok(Err(DeviceError::InvalidCode {
                    left: CODE_TRIES - attempts - 1,
                }));
            }
            let account = tx
                .query_one(
                    "SELECT locked FROM accounts WHERE personal_id = ?1",
                    &[Val::from(&personal_id)],
                )?
                .int(0)?;
            if account != 0 {
                return Err(AccountError::Locked.into());
            }
            let bound = tx
                .query_opt(
                    "SELECT device_key FROM devices WHERE personal_id = ?1",
                    &[Val::from(&personal_id)],
                )?
                .map(|r| r.blob(0))
                .transpose()?;
            if bound.as_deref() != Some(old_key.as_slice()) {
                // Another change or a lock got there first: this code is spent.
                return Err(DeviceError::CodeUsed);
            }
            revoke_device(tx, &personal_id, &old_key, now, "device change")?;
            accounts_check_free(tx, &new_key)?;
            bind(tx, &personal_id, &new_key, now)?;
            tx.execute(
                "UPDATE device_changes SET used_at = ?2 WHERE change_id = ?1",
                &[Val::from(change_id), Val::Int(now.unix_timestamp())],
            )?;
            let session = accounts::create_session(svc, tx, &personal_id, &new_key, now)?;
            let view = accounts::view(tx, &personal_id)?;
            Ok(Ok((session, view)))
        },
    )?;
    svc.lists.invalidate();
    result
}

fn accounts_check_free(tx: &mut dyn Tx, key: &[u8]) -> Result<(), DeviceError> {
    check_key_is_free(tx, key).map_err(DeviceError::Account)
}

/// `GET /v1/messages`: the codes waiting for the bound device.
pub fn messages(svc: &Inner, token: &str) -> Result<Vec<Message>, AccountError> {
    let now = svc.now();
    store::transact(svc.store(), |tx| {
        let s = accounts::authenticate(tx, token)?;
        let rows = tx.query(
            "SELECT change_id, created_at, expires_at FROM device_changes \
             WHERE personal_id = ?1 AND old_key = ?2 AND used_at IS NULL AND expires_at > ?3 \
             AND attempts < ?4 ORDER BY created_at, change_id",
            &[
                Val::from(&s.personal_id),
                Val::from(s.device_key.as_slice()),
                Val::Int(now.unix_timestamp()),
                Val::Int(CODE_TRIES),
            ],
        )?;
        rows.iter()
            .map(|r| {
                let id = r.text(0)?;
                let code = secrets::change_code(&svc.authority.code_secret, &id);
                Ok(Message {
                    kind: "device_change_code".into(),
                    text_vi: format!(
                        "Mã xác nhận đăng nhập trên thiết bị mới: {}. Mã có hiệu lực 10 phút. \
                         Nếu không phải bạn, đừng chia sẻ mã và hãy khóa tài khoản.",
                        code.expose()
                    ),
                    text_en: format!(
                        "Code to sign in on a new device: {}. Valid for 10 minutes. If this \
                         is not you, do not share it and lock your account.",
                        code.expose()
                    ),
                    code: code.expose().to_owned(),
                    id,
                    created_at: r.int(1)?,
                    expires_at: r.int(2)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(AccountError::from)
    })
}
