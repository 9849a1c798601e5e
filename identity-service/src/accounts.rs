//! Accounts: level-1 registration matched against the population register (any mismatch is one
//! generic refusal), one phone per person, the password policy and PBKDF2 hashes, sign-in with
//! a device-key proof and per-account throttling, sessions, the citizen's own lock, and the
//! officer's actions on an account (level-2 upgrade, lock, unlock) and credential check.

use cancuoc_core::account::{PasswordError, check_password};
use cancuoc_core::document::{CitizenIdentity, Sex};
use cancuoc_core::keys::PublicKey;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::Inner;
use crate::devices;
use crate::secrets::{self, Secret};
use crate::store::{self, StoreError, Tx, Val};

/// Failures before sign-in is throttled.
pub const FREE_FAILURES: i64 = 5;
/// The first throttle period; each further failure doubles it.
pub const FIRST_THROTTLE: Duration = Duration::seconds(30);
/// The longest throttle period.
pub const MAX_THROTTLE: Duration = Duration::hours(24);
/// How far `signed_at` of a session proof may be from the service's clock.
pub const PROOF_WINDOW: Duration = Duration::minutes(5);
/// The domain-separation prefix of the session proof.
pub const PROOF_PREFIX: &str = "cancuoc-session-v1";

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the password is too weak: {0}")]
    WeakPassword(PasswordError),
    #[error("the data does not match the population register")]
    RegistrationMismatch,
    #[error("this person already has an account")]
    AlreadyRegistered,
    #[error("this phone number serves another account")]
    PhoneInUse,
    #[error("the phone number must be a Vietnamese number of 10 digits starting with 0 (or +84)")]
    InvalidPhone,
    #[error("the email address is not valid")]
    InvalidEmail,
    #[error("wrong personal identification number or password")]
    InvalidCredentials,
    #[error("too many failed attempts: try again in {retry_after} s")]
    Throttled { retry_after: i64 },
    #[error("the account is locked")]
    Locked,
    #[error("the device proof is not valid: {0}")]
    BadProof(&'static str),
    #[error("this device key was signed out and cannot be bound again")]
    DeviceKeyRevoked,
    #[error("this device key is bound to another account")]
    DeviceKeyInUse,
    #[error("the session has ended: sign in again")]
    SessionEnded,
    #[error("no valid session token was presented")]
    InvalidSession,
    #[error("no valid officer credential was presented")]
    InvalidOfficer,
    #[error("no account with this personal identification number")]
    NoAccount,
    #[error("{0}")]
    BadField(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `POST /v1/accounts`.
#[derive(Deserialize)]
pub struct Registration {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: String,
    pub sex: Sex,
    pub phone: String,
    pub email: String,
    pub password: Secret,
}

/// What the app is told about an account.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountView {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: String,
    pub sex: Sex,
    pub level: u8,
    pub locked: bool,
    pub id_card_expiry: String,
    /// The bound device key (SEC1, base64url), if a device is bound.
    pub device_key: Option<String>,
    pub phone: String,
    pub email: String,
    /// How level 2 was verified in person ("portrait" or "fingerprint").
    pub level2_method: Option<String>,
}

/// `POST /v1/sessions`.
#[derive(Deserialize)]
pub struct SessionRequest {
    pub personal_id: String,
    pub password: Secret,
    pub device_key: String,
    pub signed_at: i64,
    pub proof: String,
}

/// A sign-in's result.
#[derive(Debug)]
pub enum SignIn {
    Active {
        session: Secret,
        account: AccountView,
    },
    ChangePending {
        change_id: String,
        expires_at: i64,
    },
}

/// `POST /v1/lock`.
#[derive(Deserialize)]
pub struct LockRequest {
    pub personal_id: String,
    pub password: Secret,
    pub birth_date: String,
}

/// An authenticated session.
#[derive(Clone)]
pub struct Session {
    pub personal_id: String,
    pub device_key: Vec<u8>,
}

// Personal identification numbers print masked (`mask::pin`), secrets not at all.
macro_rules! masked_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("personal_id", &cancuoc_core::mask::pin(&self.personal_id))
                    .finish_non_exhaustive()
            }
        }
    )*};
}
masked_debug!(
    Registration,
    AccountView,
    SessionRequest,
    LockRequest,
    Session
);

/// Upper-case, single-spaced: the form names are compared in.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// A Vietnamese mobile number as stored: 10 digits from 0.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let compact: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let local = match compact.strip_prefix("+84") {
        Some(rest) => format!("0{rest}"),
        None => compact,
    };
    (local.len() == 10 && local.starts_with('0') && local.bytes().all(|b| b.is_ascii_digit()))
        .then_some(local)
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The population register's entry.
pub fn citizen(tx: &mut dyn Tx, personal_id: &str) -> Result<Option<CitizenIdentity>, StoreError> {
    tx.query_opt(
        "SELECT identity_json FROM citizens WHERE personal_id = ?1",
        &[Val::from(personal_id)],
    )?
    .map(|r| {
        serde_json::from_str(&r.text(0)?)
            .map_err(|e| StoreError::Shape(format!("citizen record: {e}")))
    })
    .transpose()
}

/// The account as the app sees it.
pub fn view(tx: &mut dyn Tx, personal_id: &str) -> Result<AccountView, AccountError> {
    let row = tx
        .query_opt(
            "SELECT a.level, a.locked, a.phone, a.email, a.level2_method, d.device_key \
             FROM accounts a LEFT JOIN devices d ON d.personal_id = a.personal_id \
             WHERE a.personal_id = ?1",
            &[Val::from(personal_id)],
        )?
        .ok_or(AccountError::NoAccount)?;
    let identity = citizen(tx, personal_id)?.ok_or(AccountError::NoAccount)?;
    Ok(AccountView {
        personal_id: personal_id.to_owned(),
        full_name: identity.full_name,
        birth_date: cancuoc_core::time_fmt::date(identity.birth_date),
        sex: identity.sex,
        level: u8::try_from(row.int(0)?).unwrap_or(1),
        locked: row.int(1)? != 0,
        id_card_expiry: cancuoc_core::time_fmt::date(identity.expiry_date),
        device_key: row.opt_blob(5)?.map(|k| secrets::b64(&k)),
        phone: row.text(2)?,
        email: row.text(3)?,
        level2_method: row.opt_text(4)?,
    })
}

/// Registers a level-1 account.
pub fn register(
    svc: &Inner,
    r: &Registration,
    idempotency_key: Option<&str>,
) -> Result<AccountView, AccountError> {
    check_password(r.password.expose()).map_err(AccountError::WeakPassword)?;
    let phone = normalize_phone(&r.phone).ok_or(AccountError::InvalidPhone)?;
    if !valid_email(r.email.trim()) {
        return Err(AccountError::InvalidEmail);
    }
    // Hashed before the register is consulted, so a mismatch costs the same time as a match.
    let hash = secrets::hash_password(
        r.password.expose(),
        svc.config.pbkdf2_iterations,
        &mut svc.rng(),
    );
    let now = svc.now();
    // A retried registration (same Idempotency-Key, same person) gets the first answer.
    let replay_key = idempotency_key
        .filter(|k| crate::documents::valid_idempotency_key(k))
        .map(|k| format!("register:{k}"));
    store::transact(svc.store(), |tx| {
        if let Some(k) = &replay_key
            && tx
                .query_opt(
                    "SELECT 1 FROM idempotency WHERE personal_id = ?1 AND idem_key = ?2",
                    &[Val::from(&r.personal_id), Val::from(k)],
                )?
                .is_some()
        {
            return view(tx, &r.personal_id);
        }
        let identity = citizen(tx, &r.personal_id)?.ok_or(AccountError::RegistrationMismatch)?;
        let same = normalize_name(&identity.full_name) == normalize_name(&r.full_name)
            && cancuoc_core::time_fmt::parse_date(&r.birth_date) == Some(identity.birth_date)
            && identity.sex == r.sex;
        if !same {
            return Err(AccountError::RegistrationMismatch);
        }
        if tx
            .query_opt(
                "SELECT 1 FROM accounts WHERE personal_id = ?1",
                &[Val::from(&r.personal_id)],
            )?
            .is_some()
        {
            return Err(AccountError::AlreadyRegistered);
        }
        if tx
            .query_opt(
                "SELECT 1 FROM accounts WHERE phone = ?1",
                &[Val::from(&phone)],
            )?
            .is_some()
        {
            return Err(AccountError::PhoneInUse);
        }
        tx.execute(
            "INSERT INTO accounts (personal_id, phone, email, password_hash, level, locked, \
             failed_logins, throttled_until, created_at) VALUES (?1, ?2, ?3, ?4, 1, 0, 0, 0, ?5)",
            &[
                Val::from(&r.personal_id),
                Val::from(&phone),
                Val::from(r.email.trim()),
                Val::from(&hash),
                Val::Int(now.unix_timestamp()),
            ],
        )
        .map_err(|e| match e {
            StoreError::Conflict(c) if c.contains("phone") => AccountError::PhoneInUse,
            StoreError::Conflict(_) => AccountError::AlreadyRegistered,
            other => other.into(),
        })?;
        if let Some(k) = &replay_key {
            tx.execute(
                "INSERT INTO idempotency (personal_id, idem_key, request_hash, response, created_at) \
                 VALUES (?1, ?2, ?3, '', ?4)",
                &[
                    Val::from(&r.personal_id),
                    Val::from(k),
                    Val::Blob(Vec::new()),
                    Val::Int(now.unix_timestamp()),
                ],
            )?;
        }
        view(tx, &r.personal_id)
    })
}

/// The session proof's message.
pub fn proof_message(personal_id: &str, device_key_b64: &str, signed_at: i64) -> String {
    format!("{PROOF_PREFIX}|{personal_id}|{device_key_b64}|{signed_at}")
}

fn check_proof(r: &SessionRequest, now: OffsetDateTime) -> Result<Vec<u8>, AccountError> {
    let key_bytes = secrets::from_b64(&r.device_key)
        .ok_or(AccountError::BadProof("device_key is not base64url"))?;
    let key = PublicKey::from_sec1(&key_bytes)
        .map_err(|_| AccountError::BadProof("device_key is not a P-256 point"))?;
    // The canonical (uncompressed) form is what is bound and compared.
    let key_bytes = key.sec1();
    if now.unix_timestamp().abs_diff(r.signed_at) > PROOF_WINDOW.whole_seconds().unsigned_abs() {
        return Err(AccountError::BadProof(
            "signed_at is more than 5 minutes off",
        ));
    }
    let proof =
        secrets::from_b64(&r.proof).ok_or(AccountError::BadProof("proof is not base64url"))?;
    let message = proof_message(&r.personal_id, &r.device_key, r.signed_at);
    if !key.verify_es256(message.as_bytes(), &proof) {
        return Err(AccountError::BadProof("the signature does not verify"));
    }
    Ok(key_bytes)
}

/// What password checks need of an account.
struct Credentials {
    hash: String,
    throttled_until: i64,
    locked: bool,
}

fn credentials(svc: &Inner, personal_id: &str) -> Result<Option<Credentials>, AccountError> {
    store::transact(svc.store(), |tx| {
        let Some(row) = tx.query_opt(
            "SELECT password_hash, throttled_until, locked FROM accounts WHERE personal_id = ?1",
            &[Val::from(personal_id)],
        )?
        else {
            return Ok(None);
        };
        Ok::<_, AccountError>(Some(Credentials {
            hash: row.text(0)?,
            throttled_until: row.int(1)?,
            locked: row.int(2)? != 0,
        }))
    })
}

/// Checks a password outside any transaction (PBKDF2 is slow): `Ok(Some(locked))` when right,
/// `Ok(None)` for an unknown account (after the same work), `Err(Throttled)` while throttled.
fn password_matches(
    svc: &Inner,
    personal_id: &str,
    password: &Secret,
    now: OffsetDateTime,
) -> Result<Option<(bool, bool)>, AccountError> {
    let Some(c) = credentials(svc, personal_id)? else {
        // Same cost as a real check: no timing oracle for which numbers have accounts.
        let dummy = secrets::hash_password("dummy", svc.config.pbkdf2_iterations, &mut svc.rng());
        let _ = secrets::verify_password(&dummy, password.expose());
        return Ok(None);
    };
    if c.throttled_until > now.unix_timestamp() {
        return Err(AccountError::Throttled {
            retry_after: c.throttled_until - now.unix_timestamp(),
        });
    }
    Ok(Some((
        secrets::verify_password(&c.hash, password.expose()),
        c.locked,
    )))
}

/// Counts a failed password; throttles from the fifth on, doubling each time.
fn record_failure(
    tx: &mut dyn Tx,
    personal_id: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let failed = tx
        .query_one(
            "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE personal_id = ?1 \
             RETURNING failed_logins",
            &[Val::from(personal_id)],
        )?
        .int(0)?;
    if failed >= FREE_FAILURES {
        let doublings = u32::try_from((failed - FREE_FAILURES).min(20)).unwrap_or(20);
        let period =
            (FIRST_THROTTLE.whole_seconds() << doublings).min(MAX_THROTTLE.whole_seconds());
        tx.execute(
            "UPDATE accounts SET throttled_until = ?2 WHERE personal_id = ?1",
            &[
                Val::from(personal_id),
                Val::Int(now.unix_timestamp() + period),
            ],
        )?;
    }
    Ok(())
}

fn reset_failures(tx: &mut dyn Tx, personal_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE accounts SET failed_logins = 0, throttled_until = 0 WHERE personal_id = ?1",
        &[Val::from(personal_id)],
    )?;
    Ok(())
}

/// A new session for the bound device.
pub fn create_session(
    svc: &Inner,
    tx: &mut dyn Tx,
    personal_id: &str,
    device_key: &[u8],
    now: OffsetDateTime,
) -> Result<Secret, StoreError> {
    let token = secrets::new_token("s_", &mut svc.rng());
    tx.execute(
        "INSERT INTO sessions (token_hash, personal_id, device_key, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            Val::Blob(secrets::token_hash(token.expose())),
            Val::from(personal_id),
            Val::from(device_key),
            Val::Int(now.unix_timestamp()),
        ],
    )?;
    Ok(token)
}

/// `POST /v1/sessions`: password, device proof, then bind, sign in or start a device change.
pub fn sign_in(svc: &Inner, r: &SessionRequest) -> Result<SignIn, AccountError> {
    let now = svc.now();
    let key = check_proof(r, now)?;
    let Some((right, locked)) = password_matches(svc, &r.personal_id, &r.password, now)? else {
        return Err(AccountError::InvalidCredentials);
    };
    // The outer result rolls back; the inner one is committed (a counted failure).
    store::transact(
        svc.store(),
        |tx| -> Result<Result<SignIn, AccountError>, AccountError> {
            if !right {
                record_failure(tx, &r.personal_id, now)?;
                return Ok(Err(AccountError::InvalidCredentials));
            }
            reset_failures(tx, &r.personal_id)?;
            if locked {
                return Ok(Err(AccountError::Locked));
            }
            let bound = tx
                .query_opt(
                    "SELECT device_key FROM devices WHERE personal_id = ?1",
                    &[Val::from(&r.personal_id)],
                )?
                .map(|row| row.blob(0))
                .transpose()?;
            match bound {
                Some(k) if k == key => {
                    let session = create_session(svc, tx, &r.personal_id, &key, now)?;
                    let account = view(tx, &r.personal_id)?;
                    Ok(Ok(SignIn::Active { session, account }))
                }
                Some(old) => {
                    if let Err(e) = devices::check_key_is_free(tx, &key) {
                        return Ok(Err(e));
                    }
                    let (change_id, expires_at) =
                        devices::start_change(svc, tx, &r.personal_id, &old, &key, now)?;
                    Ok(Ok(SignIn::ChangePending {
                        change_id,
                        expires_at,
                    }))
                }
                None => {
                    if let Err(e) = devices::check_key_is_free(tx, &key) {
                        return Ok(Err(e));
                    }
                    devices::bind(tx, &r.personal_id, &key, now)?;
                    let session = create_session(svc, tx, &r.personal_id, &key, now)?;
                    let account = view(tx, &r.personal_id)?;
                    Ok(Ok(SignIn::Active { session, account }))
                }
            }
        },
    )?
}

/// The session a bearer token names.
pub fn authenticate(tx: &mut dyn Tx, token: &str) -> Result<Session, AccountError> {
    let row = tx
        .query_opt(
            "SELECT personal_id, device_key, ended_at FROM sessions WHERE token_hash = ?1",
            &[Val::Blob(secrets::token_hash(token))],
        )?
        .ok_or(AccountError::InvalidSession)?;
    if row.opt_int(2)?.is_some() {
        return Err(AccountError::SessionEnded);
    }
    Ok(Session {
        personal_id: row.text(0)?,
        device_key: row.blob(1)?,
    })
}

/// `GET /v1/account`.
pub fn account(svc: &Inner, token: &str) -> Result<AccountView, AccountError> {
    store::transact(svc.store(), |tx| {
        let s = authenticate(tx, token)?;
        view(tx, &s.personal_id)
    })
}

/// `DELETE /v1/sessions/current`.
pub fn sign_out(svc: &Inner, token: &str) -> Result<(), AccountError> {
    let now = svc.now();
    store::transact(svc.store(), |tx| {
        authenticate(tx, token)?;
        tx.execute(
            "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1",
            &[
                Val::Blob(secrets::token_hash(token)),
                Val::Int(now.unix_timestamp()),
            ],
        )?;
        Ok(())
    })
}

/// `POST /v1/lock`: the citizen who lost the phone, with password and birth date.
pub fn lock_by_citizen(svc: &Inner, r: &LockRequest) -> Result<(), AccountError> {
    let now = svc.now();
    let Some((right, _)) = password_matches(svc, &r.personal_id, &r.password, now)? else {
        return Err(AccountError::InvalidCredentials);
    };
    let result = store::transact(
        svc.store(),
        |tx| -> Result<Result<(), AccountError>, AccountError> {
            let birth_ok = citizen(tx, &r.personal_id)?.is_some_and(|c| {
                cancuoc_core::time_fmt::parse_date(&r.birth_date) == Some(c.birth_date)
            });
            if !right || !birth_ok {
                record_failure(tx, &r.personal_id, now)?;
                return Ok(Err(AccountError::InvalidCredentials));
            }
            reset_failures(tx, &r.personal_id)?;
            devices::lock(tx, &r.personal_id, now, "locked by the citizen")?;
            Ok::<_, AccountError>(Ok(()))
        },
    )?;
    svc.lists.invalidate();
    result
}

/// The officer a bearer token names.
pub fn officer(tx: &mut dyn Tx, token: &str) -> Result<String, AccountError> {
    tx.query_opt(
        "SELECT name FROM officers WHERE token_hash = ?1",
        &[Val::Blob(secrets::token_hash(token))],
    )?
    .map(|r| r.text(0))
    .transpose()?
    .ok_or(AccountError::InvalidOfficer)
}

/// How level 2 was verified in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level2Method {
    Portrait,
    Fingerprint,
}

/// `POST /v1/officer/accounts/{personal_id}/level2`.
#[derive(Debug, Deserialize)]
pub struct Level2Request {
    pub method: Level2Method,
    pub reference: String,
}

fn require_account(tx: &mut dyn Tx, personal_id: &str) -> Result<(), AccountError> {
    tx.query_opt(
        "SELECT 1 FROM accounts WHERE personal_id = ?1",
        &[Val::from(personal_id)],
    )?
    .map(|_| ())
    .ok_or(AccountError::NoAccount)
}

/// Raises an account to level 2 after an in-person match.
pub fn upgrade(
    svc: &Inner,
    officer_token: &str,
    personal_id: &str,
    r: &Level2Request,
) -> Result<AccountView, AccountError> {
    let reference = r.reference.trim();
    if reference.is_empty() || reference.chars().count() > 200 {
        return Err(AccountError::BadField("reference must be 1–200 characters"));
    }
    let now = svc.now();
    store::transact(svc.store(), |tx| {
        let name = officer(tx, officer_token)?;
        require_account(tx, personal_id)?;
        let method = match r.method {
            Level2Method::Portrait => "portrait",
            Level2Method::Fingerprint => "fingerprint",
        };
        tx.execute(
            "UPDATE accounts SET level = 2, level2_method = ?2, level2_reference = ?3, \
             level2_officer = ?4, level2_at = ?5 WHERE personal_id = ?1",
            &[
                Val::from(personal_id),
                Val::from(method),
                Val::from(reference),
                Val::Text(name),
                Val::Int(now.unix_timestamp()),
            ],
        )?;
        view(tx, personal_id)
    })
}

/// Locks (`true`) or unlocks an account on an officer's word.
pub fn set_locked_by_officer(
    svc: &Inner,
    officer_token: &str,
    personal_id: &str,
    locked: bool,
) -> Result<AccountView, AccountError> {
    let now = svc.now();
    let v = store::transact(svc.store(), |tx| {
        let name = officer(tx, officer_token)?;
        require_account(tx, personal_id)?;
        if locked {
            devices::lock(tx, personal_id, now, &format!("locked by officer {name}"))?;
        } else {
            tx.execute(
                "UPDATE accounts SET locked = 0, failed_logins = 0, throttled_until = 0 \
                 WHERE personal_id = ?1",
                &[Val::from(personal_id)],
            )?;
        }
        view(tx, personal_id)
    })?;
    svc.lists.invalidate();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_masks_the_personal_id_and_hides_the_password() {
        let r = LockRequest {
            personal_id: "001090012345".into(),
            password: Secret::new("Mật-khẩu-2026"),
            birth_date: "1990-05-14".into(),
        };
        let shown = format!("{r:?}");
        assert!(shown.contains("********2345"), "{shown}");
        assert!(
            !shown.contains("001090012345") && !shown.contains("Mật"),
            "{shown}"
        );
    }

    #[test]
    fn phones_and_names_normalize() {
        assert_eq!(
            normalize_phone("+84 912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("0912.345.678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(normalize_phone("912345678"), None);
        assert_eq!(normalize_name("  nguyễn  văn an "), "NGUYỄN VĂN AN");
    }
}
