//! The wallet online, over [`ServiceClient`]: activation through the identity service (one
//! device at a time — a second phone waits for the code the first one shows), the device-change
//! confirmation, and [`Wallet::sync`]: the account's level and lock, messages for this phone,
//! grant withdrawals, the signed trust and status lists (verified, cached with their age, never
//! replaced by an older one) and the documents the service issues to this device.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::records::{AccountRecord, AssuranceLevel, GrantRecord, KIND_ACCOUNT, KIND_GRANT};
use super::{
    AccountInfo, AccountStatus, DocumentCard, Wallet, WalletError, from_json, lock, to_json,
};
use crate::account::Passcode;
use crate::document::DocumentKind;
use crate::lists::{self, ListAge, StatusListContent, TrustListContent};
use crate::service::{
    Message, RemoteAccount, ServiceClient, ServiceError, SessionOutcome, SessionToken, ShareEntry,
};
use crate::verifier::Verifier;

const ID_SESSION: &str = "session";
const ID_PENDING: &str = "pending_activation";
const KIND_LIST: &str = "list";
const ID_TRUST_LIST: &str = "trust";

#[derive(Serialize, Deserialize)]
struct SessionRecord {
    token: Zeroizing<String>,
}

#[derive(Serialize, Deserialize)]
struct PendingActivation {
    personal_id: String,
    alias: String,
    change_id: Option<String>,
}

/// How an online activation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnlineActivation {
    /// This phone holds the account now.
    Activated(AccountInfo),
    /// The account is active on another phone: a one-time code was sent there. Enter it with
    /// [`Wallet::confirm_device_change`]; the other phone is then signed out.
    CodeSentToOldDevice,
}

/// A document the service issued that this wallet did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDocument {
    pub kind: DocumentKind,
    pub code: String,
    /// Why, in words (for the log and support; no secret in it).
    pub reason: String,
}

/// The cached trust list's age, and each status list's by URI.
pub type ListAges = (Option<ListAge>, Vec<(String, ListAge)>);

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub status: AccountStatus,
    pub level: AssuranceLevel,
    /// Messages for this phone (a device-change code another phone is waiting for).
    pub messages: Vec<Message>,
    /// Documents added or replaced by a new issue.
    pub documents_added: Vec<DocumentCard>,
    pub documents_refused: Vec<RefusedDocument>,
    /// Documents newly marked revoked by a status list.
    pub documents_revoked: Vec<String>,
    pub grant_withdrawals_sent: usize,
    pub trust_list: Option<ListAge>,
    pub status_lists: Vec<(String, ListAge)>,
}

fn service(e: ServiceError) -> WalletError {
    WalletError::Service(e)
}

impl Wallet {
    fn session(&self) -> Result<SessionToken, WalletError> {
        let bytes = self
            .store
            .get(KIND_ACCOUNT, ID_SESSION)?
            .ok_or(WalletError::NoSession)?;
        let r: SessionRecord = from_json(&bytes)?;
        Ok(SessionToken(r.token))
    }

    /// Activates this phone through the identity service with the account's password. The
    /// device key is made here and proven to the service; when another phone holds the
    /// account, the answer is [`OnlineActivation::CodeSentToOldDevice`].
    pub fn activate_online(
        &self,
        client: &ServiceClient,
        personal_id: &str,
        password: &str,
        passcode: &Passcode,
    ) -> Result<OnlineActivation, WalletError> {
        if self.store.get(KIND_ACCOUNT, super::ID_ACCOUNT)?.is_some() {
            return Err(WalletError::AlreadyActivated);
        }
        // A retried activation keeps the key it already proved.
        let pending: Option<PendingActivation> = match self.store.get(KIND_ACCOUNT, ID_PENDING)? {
            Some(b) => Some(from_json(&b)?),
            None => None,
        };
        let alias = match pending {
            Some(p) if p.personal_id == personal_id => p.alias,
            other => {
                if let Some(p) = other {
                    let _ = self.key_store.delete_key(&p.alias);
                }
                let alias = self.new_device_alias();
                self.key_store.create_key(&alias)?;
                alias
            }
        };
        let key = self.key_store.public_key(&alias)?;
        let now = self.now();
        let outcome = client
            .start_session(personal_id, password, &key, now.unix_timestamp(), |m| {
                self.key_store.sign(&alias, m)
            })?
            .map_err(service)?;
        match outcome {
            SessionOutcome::Active { session, account } => self
                .install_online(alias, session, account, passcode)
                .map(OnlineActivation::Activated),
            SessionOutcome::ChangePending { change_id } => {
                let p = PendingActivation {
                    personal_id: personal_id.to_owned(),
                    alias,
                    change_id: Some(change_id),
                };
                self.store.put(KIND_ACCOUNT, ID_PENDING, &to_json(&p)?)?;
                Ok(OnlineActivation::CodeSentToOldDevice)
            }
        }
    }

    /// Completes a device change with the code the old phone shows.
    pub fn confirm_device_change(
        &self,
        client: &ServiceClient,
        code: &str,
        passcode: &Passcode,
    ) -> Result<AccountInfo, WalletError> {
        let pending: PendingActivation = from_json(
            &self
                .store
                .get(KIND_ACCOUNT, ID_PENDING)?
                .ok_or(WalletError::NoSession)?,
        )?;
        let change_id = pending.change_id.ok_or(WalletError::NoSession)?;
        match client
            .confirm_device_change(&change_id, code.trim())
            .map_err(service)?
        {
            SessionOutcome::Active { session, account } => {
                self.install_online(pending.alias, session, account, passcode)
            }
            SessionOutcome::ChangePending { .. } => Err(WalletError::Service(
                ServiceError::Malformed("the device change is still pending".into()),
            )),
        }
    }

    fn install_online(
        &self,
        alias: String,
        session: SessionToken,
        account: RemoteAccount,
        passcode: &Passcode,
    ) -> Result<AccountInfo, WalletError> {
        let record = AccountRecord {
            personal_id: account.personal_id,
            full_name: account.full_name,
            birth_date: account.birth_date,
            level: level_of(account.level),
            locked: account.locked,
            id_card_expiry: account.id_card_expiry,
            device_key_alias: alias,
            activated: self.now(),
            password_changed: None,
            signed_out: false,
        };
        let session = to_json(&SessionRecord { token: session.0 })?;
        self.install_account(
            record,
            passcode,
            &[(KIND_ACCOUNT, ID_SESSION, &session)],
            &[(KIND_ACCOUNT, ID_PENDING)],
        )
    }

    /// Brings the wallet up to date with the identity service. A phone that was signed out
    /// (the account moved to another device) learns it here and presents nothing more.
    pub fn sync(&self, client: &ServiceClient) -> Result<SyncReport, WalletError> {
        let session = self.session()?;
        let mut record = self.account_record()?;
        let remote = match client.account(&session) {
            Ok(a) => Some(a),
            Err(ServiceError::Rejected { status: 401, .. }) => None,
            Err(e) => return Err(service(e)),
        };
        let Some(remote) = remote else {
            // The service ended this phone's session: another device holds the account.
            record.signed_out = true;
            self.store.transact_records(
                &[(KIND_ACCOUNT, super::ID_ACCOUNT, &to_json(&record)?)],
                &[(KIND_ACCOUNT, ID_SESSION)],
            )?;
            self.lock();
            return self.report(Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
        };
        record.level = level_of(remote.level);
        record.locked = remote.locked;
        record.id_card_expiry = remote.id_card_expiry;
        self.store
            .put(KIND_ACCOUNT, super::ID_ACCOUNT, &to_json(&record)?)?;
        if record.locked {
            self.lock();
        }
        let messages = client.messages(&session).map_err(service)?;
        let sent = self.send_grant_withdrawals(client, &session)?;
        self.refresh_trust_list(client)?;
        let (added, refused) = if record.locked {
            (Vec::new(), Vec::new())
        } else {
            self.fetch_documents(client, &session, record.level)?
        };
        let revoked = self.refresh_status_lists(client)?;
        self.report(messages, added, refused, revoked, sent)
    }

    fn report(
        &self,
        messages: Vec<Message>,
        documents_added: Vec<DocumentCard>,
        documents_refused: Vec<RefusedDocument>,
        documents_revoked: Vec<String>,
        grant_withdrawals_sent: usize,
    ) -> Result<SyncReport, WalletError> {
        let a = self.account_record()?;
        let (trust_list, status_lists) = self.list_ages()?;
        Ok(SyncReport {
            status: self.status_of(&a, self.now().date()),
            level: a.level,
            messages,
            documents_added,
            documents_refused,
            documents_revoked,
            grant_withdrawals_sent,
            trust_list,
            status_lists,
        })
    }

    fn send_grant_withdrawals(
        &self,
        client: &ServiceClient,
        session: &SessionToken,
    ) -> Result<usize, WalletError> {
        let mut sent = 0;
        for (id, bytes) in self.store.list(KIND_GRANT)? {
            let mut g: GrantRecord = from_json(&bytes)?;
            let Some(text) = g.revocation.as_deref().filter(|_| !g.revocation_sent) else {
                continue;
            };
            client.revoke_grant(session, text).map_err(service)?;
            g.revocation_sent = true;
            self.store.put(KIND_GRANT, &id, &to_json(&g)?)?;
            sent += 1;
        }
        Ok(sent)
    }

    fn refresh_trust_list(&self, client: &ServiceClient) -> Result<(), WalletError> {
        let bytes = client.trust_list().map_err(service)?;
        let now = self.now();
        let fresh = lists::verify_trust_list(&bytes, &self.config.issuer_trust, now)?;
        let held = self.cached_trust_list()?;
        if lists::is_newer_trust_list(&fresh, held.as_ref()) {
            self.store.put(KIND_LIST, ID_TRUST_LIST, &bytes)?;
            *lock(&self.verifier) = Verifier::new(fresh.trust_list(&self.config.issuer_trust));
        }
        Ok(())
    }

    fn cached_trust_list(&self) -> Result<Option<TrustListContent>, WalletError> {
        let Some(bytes) = self.store.get(KIND_LIST, ID_TRUST_LIST)? else {
            return Ok(None);
        };
        // Checked when stored; a list that no longer verifies (anchors changed) is ignored.
        Ok(lists::verify_trust_list(&bytes, &self.config.issuer_trust, self.now()).ok())
    }

    /// The verifier for documents: the configured anchors plus a cached trust list's IACAs.
    pub(super) fn load_cached_trust(&self) -> Result<(), WalletError> {
        if let Some(t) = self.cached_trust_list()? {
            *lock(&self.verifier) = Verifier::new(t.trust_list(&self.config.issuer_trust));
        }
        Ok(())
    }

    fn cached_status_lists(&self) -> Result<Vec<StatusListContent>, WalletError> {
        let anchors = lock(&self.verifier).trust().clone();
        let now = self.now();
        Ok(self
            .store
            .list(KIND_LIST)?
            .into_iter()
            .filter(|(id, _)| id != ID_TRUST_LIST)
            .filter_map(|(_, b)| lists::verify_status_list(&b, &anchors, now).ok())
            .collect())
    }

    fn fetch_documents(
        &self,
        client: &ServiceClient,
        session: &SessionToken,
        level: AssuranceLevel,
    ) -> Result<(Vec<DocumentCard>, Vec<RefusedDocument>), WalletError> {
        let kinds: &[DocumentKind] = match level {
            AssuranceLevel::Level1 => &[DocumentKind::CitizenIdentity],
            AssuranceLevel::Level2 => &DocumentKind::ALL,
        };
        let held: Vec<Vec<u8>> = self
            .document_records()?
            .into_iter()
            .filter(|r| r.dependent.is_none())
            .map(|r| r.mdoc)
            .collect();
        let mut added = Vec::new();
        let mut refused = Vec::new();
        for kind in kinds {
            // One kind per call: a kind the sector registries hold nothing for is `no_record`.
            let issued = match client.documents(session, &[*kind]) {
                Ok(d) => d,
                Err(ServiceError::Rejected { code, .. }) if code == "no_record" => continue,
                Err(e) => return Err(service(e)),
            };
            for d in issued {
                let Ok(mdoc) = B64.decode(d.credential.as_bytes()) else {
                    refused.push(RefusedDocument {
                        kind: d.kind,
                        code: "malformed".into(),
                        reason: "the credential is not base64url".into(),
                    });
                    continue;
                };
                if held.contains(&mdoc) {
                    continue;
                }
                let qr = d
                    .compact_credential
                    .as_deref()
                    .and_then(|c| B64.decode(c.as_bytes()).ok());
                match self.add_document(&mdoc, qr.as_deref(), None) {
                    Ok(card) => added.push(card),
                    Err(e) => refused.push(RefusedDocument {
                        kind: d.kind,
                        code: e.code().to_owned(),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        Ok((added, refused))
    }

    fn refresh_status_lists(&self, client: &ServiceClient) -> Result<Vec<String>, WalletError> {
        let mut uris: Vec<String> = self
            .document_records()?
            .into_iter()
            .filter_map(|r| r.status_uri)
            .collect();
        uris.sort();
        uris.dedup();
        let held = self.cached_status_lists()?;
        let anchors = lock(&self.verifier).trust().clone();
        let mut revoked = Vec::new();
        for uri in uris {
            let bytes = match client.status_list(&uri) {
                Ok(b) => b,
                // A list of another service is not this client's to fetch.
                Err(ServiceError::Url(_)) => continue,
                Err(e) => return Err(service(e)),
            };
            let fresh = lists::verify_status_list(&bytes, &anchors, self.now())?;
            if fresh.list.uri != uri {
                return Err(WalletError::List(lists::ListError::Malformed(format!(
                    "asked for {uri}, got {}",
                    fresh.list.uri
                ))));
            }
            let current = held.iter().find(|h| h.list.uri == uri);
            if lists::is_newer_status_list(&fresh, current) {
                self.store.put(KIND_LIST, &status_id(&uri), &bytes)?;
                revoked.extend(self.apply_status_list(&fresh.list)?);
            }
        }
        Ok(revoked)
    }

    /// The cached lists' ages: the trust list's, and each status list's by URI.
    pub fn list_ages(&self) -> Result<ListAges, WalletError> {
        let now = self.now();
        let trust = self
            .cached_trust_list()?
            .map(|t| ListAge::of(t.issued_at, t.next_update, now));
        let status = self
            .cached_status_lists()?
            .into_iter()
            .map(|s| (s.list.uri.clone(), ListAge::of(s.issued_at, s.expires, now)))
            .collect();
        Ok((trust, status))
    }

    /// Who fetched what of this citizen's data through the service.
    pub fn online_shares(&self, client: &ServiceClient) -> Result<Vec<ShareEntry>, WalletError> {
        client.shares(&self.session()?).map_err(service)
    }
}

fn status_id(uri: &str) -> String {
    use sha2::Digest as _;
    format!(
        "status-{}",
        hex::encode(sha2::Sha256::digest(uri.as_bytes()))
    )
}

fn level_of(n: u8) -> AssuranceLevel {
    if n >= 2 {
        AssuranceLevel::Level2
    } else {
        AssuranceLevel::Level1
    }
}
