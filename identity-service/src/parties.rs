//! Relying parties and online sharing: an officer registers a party with its reader certificate
//! (the party id is the certificate's CN) and hands it an API key (stored as SHA-256); the
//! party posts a citizen's consent grant (`CG1:`) and gets only the granted — and asked —
//! elements from the citizen's records. The grant is checked with the core's `verify_grant`
//! against the account's bound device key, the party, the time and the citizen's posted
//! revocations (`CV1:`). Every exchange is logged (time, channel, requester, request, outcome,
//! what was shared) for the citizen to read.

use cancuoc_core::consent::{ConsentGrant, GrantRevocation};
use cancuoc_core::document::DocumentKind;
use cancuoc_core::keys::PublicKey;
use cancuoc_core::verifier::grant::{GrantCheck, verify_grant};
use cancuoc_core::x509::Certificate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Inner;
use crate::accounts::{self, AccountError};
use crate::documents;
use crate::secrets;
use crate::seed::kind_name;
use crate::store::{self, StoreError, Tx, Val};

/// The channel of a share through this service.
pub const CHANNEL_ONLINE: &str = "online";
/// Most log entries returned.
pub const MAX_SHARES_LISTED: i64 = 500;

/// Why a party or share operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum PartyError {
    #[error("the certificate is not a usable reader certificate: {0}")]
    BadCertificate(String),
    #[error("a party with this id is already registered")]
    PartyExists,
    #[error("no valid relying-party API key was presented")]
    InvalidApiKey,
    #[error("the grant does not allow this: {0}")]
    GrantRejected(&'static str),
    #[error("no record of this document for the citizen")]
    NoRecord,
    #[error("the revocation is not valid: {0}")]
    BadRevocation(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PartyError {
    /// The grant error code for `error.reason`.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::GrantRejected(r) => Some(r),
            _ => None,
        }
    }
}

/// `POST /v1/officer/relying-parties`.
#[derive(Debug, Deserialize)]
pub struct PartyRequest {
    pub certificate_pem: String,
}

/// Its answer: the API key is shown once.
#[derive(Debug, Serialize)]
pub struct Registered {
    pub party_id: String,
    pub organization: Option<String>,
    pub api_key: String,
}

/// Registers a relying party.
pub fn register(
    svc: &Inner,
    officer_token: &str,
    r: &PartyRequest,
) -> Result<Registered, PartyError> {
    let certs = Certificate::from_pem(&r.certificate_pem)
        .map_err(|e| PartyError::BadCertificate(e.to_string()))?;
    let [cert] = certs.as_slice() else {
        return Err(PartyError::BadCertificate(
            "exactly one certificate is expected".into(),
        ));
    };
    cert.check_reader_profile()
        .map_err(|e| PartyError::BadCertificate(e.to_string()))?;
    let now = svc.now();
    cert.check_validity(now)
        .map_err(|e| PartyError::BadCertificate(e.to_string()))?;
    let party_id = cert
        .common_name()
        .filter(|cn| !cn.trim().is_empty() && cn.chars().count() <= 200)
        .ok_or_else(|| PartyError::BadCertificate("no common name (the party id)".into()))?;
    let organization = cert
        .subject()
        .split(',')
        .find_map(|p| p.trim().strip_prefix("O=").map(|o| o.trim().to_owned()));
    let api_key = secrets::new_token("rp_", &mut svc.rng());
    let pem = cert
        .to_pem()
        .map_err(|e| PartyError::BadCertificate(e.to_string()))?;
    store::transact(svc.store(), |tx| {
        let officer = accounts::officer(tx, officer_token)?;
        if tx
            .query_opt(
                "SELECT 1 FROM parties WHERE party_id = ?1",
                &[Val::from(&party_id)],
            )?
            .is_some()
        {
            return Err(PartyError::PartyExists);
        }
        tx.execute(
            "INSERT INTO parties (party_id, organization, certificate_pem, api_key_hash, registered_at, registered_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                Val::from(&party_id),
                Val::from(organization.clone()),
                Val::Text(pem),
                Val::Blob(secrets::token_hash(api_key.expose())),
                Val::Int(now.unix_timestamp()),
                Val::Text(officer),
            ],
        )
        .map_err(|e| match e {
            StoreError::Conflict(_) => PartyError::PartyExists,
            other => other.into(),
        })?;
        Ok(())
    })?;
    Ok(Registered {
        party_id,
        organization,
        api_key: api_key.expose().to_owned(),
    })
}

fn party(tx: &mut dyn Tx, api_key: &str) -> Result<String, PartyError> {
    tx.query_opt(
        "SELECT party_id FROM parties WHERE api_key_hash = ?1",
        &[Val::Blob(secrets::token_hash(api_key))],
    )?
    .map(|r| r.text(0))
    .transpose()?
    .ok_or(PartyError::InvalidApiKey)
}

/// `POST /v1/shares`.
#[derive(Debug, Deserialize)]
pub struct ShareRequest {
    pub grant: String,
    #[serde(default)]
    pub elements: Option<Vec<String>>,
}

/// Its answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Shared {
    pub document: DocumentKind,
    pub elements: Map<String, Value>,
    pub grant_id: String,
    pub shared_at: i64,
}

/// One line of the citizen's sharing log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShareEntry {
    pub id: String,
    pub at: i64,
    pub channel: String,
    pub requester: String,
    pub document: String,
    pub grant_id: String,
    pub purpose: String,
    pub requested: Vec<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub shared: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn log_share(
    svc: &Inner,
    tx: &mut dyn Tx,
    personal_id: &str,
    requester: &str,
    grant: &ConsentGrant,
    requested: &[String],
    outcome: &str,
    reason: Option<&str>,
    shared: &[String],
) -> Result<(), StoreError> {
    let now = svc.now();
    let seq = tx
        .query_one(
            "INSERT INTO counters (name, value) VALUES ('share_seq', 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            &[],
        )?
        .int(0)?;
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO shares (id, personal_id, at, seq, channel, requester, document, grant_id, purpose, \
         requested, outcome, reason, shared) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &[
            Val::Text(secrets::new_id(&mut svc.rng())),
            Val::from(personal_id),
            Val::Int(now.unix_timestamp()),
            Val::Int(seq),
            Val::from(CHANNEL_ONLINE),
            Val::from(requester),
            Val::from(kind_name(grant.document)),
            Val::Text(grant.id_hex()),
            Val::from(&grant.purpose),
            Val::Text(json(requested)),
            Val::from(outcome),
            Val::from(reason),
            Val::Text(json(shared)),
        ],
    )?;
    Ok(())
}

/// `POST /v1/shares`: a relying party fetches what a grant allows.
pub fn share(svc: &Inner, api_key: &str, r: &ShareRequest) -> Result<Shared, PartyError> {
    let now = svc.now();
    // The refusals that name a citizen are logged: those are committed, then returned.
    store::transact(
        svc.store(),
        |tx| -> Result<Result<Shared, PartyError>, PartyError> {
            let party_id = party(tx, api_key)?;
            // Read first without trusting it, to know whose grant it claims to be.
            let claimed = match ConsentGrant::from_text(&r.grant) {
                Ok(g) => g,
                Err(e) => {
                    let code = cancuoc_core::verifier::grant::GrantError::Format(e).code();
                    return Ok(Err(PartyError::GrantRejected(code)));
                }
            };
            let requested: Vec<String> = r
                .elements
                .clone()
                .unwrap_or_else(|| claimed.elements.clone());
            if requested.len() > 64 || requested.iter().any(|e| e.len() > 100) {
                return Ok(Err(PartyError::GrantRejected("malformed")));
            }
            let pid = claimed.subject.clone();
            let account = tx.query_opt(
                "SELECT a.locked, a.level, d.device_key FROM accounts a \
             LEFT JOIN devices d ON d.personal_id = a.personal_id WHERE a.personal_id = ?1",
                &[Val::from(&pid)],
            )?;
            let Some(account) = account else {
                // No such account: nothing to log against, and no hint that it does not exist.
                return Ok(Err(PartyError::GrantRejected("wrong_holder_key")));
            };
            let refuse = |tx: &mut dyn Tx,
                          reason: &'static str|
             -> Result<Result<Shared, PartyError>, PartyError> {
                log_share(
                    svc,
                    tx,
                    &pid,
                    &party_id,
                    &claimed,
                    &requested,
                    "refused",
                    Some(reason),
                    &[],
                )?;
                Ok(Err(PartyError::GrantRejected(reason)))
            };
            if account.int(0)? != 0 {
                return refuse(tx, "account_locked");
            }
            let level = u8::try_from(account.int(1)?).unwrap_or(1);
            let Some(key) = account
                .opt_blob(2)?
                .and_then(|k| PublicKey::from_sec1(&k).ok())
            else {
                return refuse(tx, "wrong_holder_key");
            };
            let revocations = tx
                .query(
                    "SELECT revocation FROM grant_revocations WHERE personal_id = ?1",
                    &[Val::from(&pid)],
                )?
                .iter()
                .map(|row| row.text(0))
                .collect::<Result<Vec<_>, _>>()?;
            let mut check = GrantCheck::new(now);
            check.holder_key = Some(&key);
            check.party = Some(&party_id);
            check.revocations = &revocations;
            let grant = match verify_grant(&r.grant, &check) {
                Ok(g) => g,
                Err(e) => return refuse(tx, e.code()),
            };
            let Some(record) = documents::record_for_share(tx, &pid, grant.document, level)? else {
                log_share(
                    svc,
                    tx,
                    &pid,
                    &party_id,
                    &grant,
                    &requested,
                    "no_record",
                    None,
                    &[],
                )?;
                return Ok(Err(PartyError::NoRecord));
            };
            let mut elements = Map::new();
            let mut shared = Vec::new();
            for (_, items) in record.elements() {
                for (id, value) in items {
                    let id = id.to_owned();
                    if grant.elements.contains(&id) && requested.contains(&id) {
                        shared.push(id.clone());
                        elements.insert(id, value.to_json());
                    }
                }
            }
            log_share(
                svc, tx, &pid, &party_id, &grant, &requested, "shared", None, &shared,
            )?;
            Ok(Ok(Shared {
                document: grant.document,
                elements,
                grant_id: grant.id_hex(),
                shared_at: now.unix_timestamp(),
            }))
        },
    )?
}

/// `GET /v1/shares`: the citizen's log, newest first.
pub fn list(svc: &Inner, token: &str) -> Result<Vec<ShareEntry>, PartyError> {
    store::transact(svc.store(), |tx| {
        let s = accounts::authenticate(tx, token)?;
        let rows = tx.query(
            "SELECT id, at, channel, requester, document, grant_id, purpose, requested, outcome, reason, shared \
             FROM shares WHERE personal_id = ?1 ORDER BY seq DESC LIMIT ?2",
            &[Val::from(&s.personal_id), Val::Int(MAX_SHARES_LISTED)],
        )?;
        let list = |t: String| serde_json::from_str::<Vec<String>>(&t).unwrap_or_default();
        rows.iter()
            .map(|r| {
                Ok(ShareEntry {
                    id: r.text(0)?,
                    at: r.int(1)?,
                    channel: r.text(2)?,
                    requester: r.text(3)?,
                    document: r.text(4)?,
                    grant_id: r.text(5)?,
                    purpose: r.text(6)?,
                    requested: list(r.text(7)?),
                    outcome: r.text(8)?,
                    reason: r.opt_text(9)?,
                    shared: list(r.text(10)?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(PartyError::from)
    })
}

/// `POST /v1/grants/revocations`.
#[derive(Debug, Deserialize)]
pub struct RevocationRequest {
    pub revocation: String,
}

/// Its answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct RevocationRecorded {
    pub grant_id: String,
    pub revoked_at: i64,
}

/// Records a citizen's grant revocation, signed by the account's device key.
pub fn revoke_grant(
    svc: &Inner,
    token: &str,
    r: &RevocationRequest,
) -> Result<RevocationRecorded, PartyError> {
    let now = svc.now();
    store::transact(svc.store(), |tx| {
        let s = accounts::authenticate(tx, token)?;
        let key = PublicKey::from_sec1(&s.device_key)
            .map_err(|_| StoreError::Shape("stored device key".into()))?;
        let rv = GrantRevocation::from_text(&r.revocation, &key)
            .map_err(|e| PartyError::BadRevocation(e.to_string()))?;
        tx.execute(
            "INSERT INTO grant_revocations (personal_id, grant_id, revocation, revoked_at, posted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (personal_id, grant_id) DO NOTHING",
            &[
                Val::from(&s.personal_id),
                Val::from(rv.grant_id.as_slice()),
                Val::from(r.revocation.trim()),
                Val::Int(rv.revoked_at.unix_timestamp()),
                Val::Int(now.unix_timestamp()),
            ],
        )?;
        Ok(RevocationRecorded {
            grant_id: hex::encode(rv.grant_id),
            revoked_at: rv.revoked_at.unix_timestamp(),
        })
    })
}
