//! Disclosure from the wallet: the static QR, the challenge (a relying party's signed request
//! → [`ConsentPrompt`] → the citizen's [`Approval`] → a presentation bound to the nonce,
//! encrypted when asked, or a standing [`crate::consent::ConsentGrant`]), and the grants list
//! with revocation. Each path checks the account and the gate, signs in the key store, writes
//! its audit entry, and only then returns what leaves the phone.

use rand_core::Rng as _;
use time::OffsetDateTime;

use super::records::{DocumentRecord, GrantRecord, KIND_GRANT};
use super::{Wallet, WalletError, from_json, lock, to_json};
use crate::audit::{AuditEntry, Channel, Outcome};
use crate::consent::{
    Approval, ConsentGrant, ConsentPrompt, GRANT_ID_BYTES, GrantRevocation, PromptElement,
};
use crate::document::DocumentKind;
use crate::keystore::KeyStoreSigner;
use crate::qr::profile;
use crate::qr::sd_cwt::{CompactCredential, STATIC_AUDIENCE, present_qr};
use crate::qr::signed_request::SignedRequest;

/// A QR presentation ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedQr {
    /// The QR text (`CC1:` or, encrypted, `CE1:`).
    pub text: String,
    /// What a verifier will see (identifiers).
    pub disclosed: Vec<String>,
    /// After this a verifier refuses it as too old: show a countdown, then hide it.
    pub expires: OffsetDateTime,
}

/// The result of answering a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A presentation for the party's screen.
    Presentation(PresentedQr),
    /// A standing consent for the party (`CG1:` text).
    Grant(GrantInfo),
    /// The citizen declined; the refusal is logged.
    Declined,
}

/// A consent grant as the grants screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantInfo {
    pub id: String,
    /// The signed grant (`CG1:`) to hand to the party.
    pub text: String,
    pub party: String,
    pub document: DocumentKind,
    pub elements: Vec<String>,
    pub purpose: String,
    pub issued: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// The signed revocation (`CV1:`) once revoked, for the identity service and the party.
    pub revocation: Option<String>,
    /// In force now.
    pub active: bool,
}

/// A checked request waiting for the citizen's answer.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    id: String,
    request: SignedRequest,
    document_id: String,
    prompt: ConsentPrompt,
}

/// The most requests kept waiting for an answer.
const MAX_PENDING: usize = 8;

impl Wallet {
    fn signer(&self, alias: &str) -> KeyStoreSigner<'_> {
        KeyStoreSigner {
            store: self.key_store.as_ref(),
            alias: alias.to_owned(),
        }
    }

    /// The document must be presentable now; returns its QR form.
    fn presentable(
        &self,
        r: &DocumentRecord,
        now: OffsetDateTime,
    ) -> Result<CompactCredential, WalletError> {
        match Self::status(r, now) {
            super::DocumentStatus::Valid => {}
            super::DocumentStatus::Revoked => return Err(WalletError::DocumentRevoked),
            super::DocumentStatus::Expired | super::DocumentStatus::NotYetValid => {
                return Err(WalletError::DocumentExpired(crate::time_fmt::tdate(
                    r.valid_until,
                )));
            }
        }
        if let Some(child) = &r.dependent {
            let dep = self.dependent_record(child)?;
            if super::age_on(dep.birth_date, now.date()) >= super::DEPENDENT_MAX_AGE {
                return Err(WalletError::DependentCameOfAge(dep.full_name));
            }
        }
        let bytes = r.compact.as_deref().ok_or(WalletError::NoQrForm)?;
        CompactCredential::from_bytes(bytes)
            .map_err(|e| WalletError::Record(format!("document {}: {e}", r.id)))
    }

    fn on_behalf_of(&self, r: &DocumentRecord) -> Option<String> {
        r.dependent.as_ref().map(|_| r.holder_name.clone())
    }

    /// The elements a presentation of `kind` will show for `chosen`: the chosen ones plus
    /// those always shown with the document type.
    fn disclosed_for(kind: DocumentKind, chosen: &[String]) -> Vec<String> {
        profile::elements(kind)
            .iter()
            .filter(|e| e.always || chosen.iter().any(|c| c == e.identifier))
            .map(|e| e.identifier.to_owned())
            .collect()
    }

    /// The static QR of `document_id` disclosing `elements` (identifiers), for anyone who
    /// scans it within its lifetime. Behind the gate; logged.
    pub fn present_qr(
        &self,
        document_id: &str,
        elements: &[&str],
    ) -> Result<PresentedQr, WalletError> {
        let account = self.require_disclosure_allowed()?;
        let now = self.now();
        let r = self.document_record(document_id)?;
        let compact = self.presentable(&r, now)?;
        if elements.is_empty() {
            return Err(WalletError::NothingApproved);
        }
        let signer = self.signer(&account.device_key_alias);
        let text = present_qr(&compact, &signer, elements, None, now)?;
        let chosen: Vec<String> = elements.iter().map(|e| (*e).to_owned()).collect();
        let disclosed = Self::disclosed_for(r.kind, &chosen);
        self.log(
            &AuditEntry {
                time: now,
                channel: Channel::StaticQr,
                requester: STATIC_AUDIENCE.into(),
                document: r.kind.doc_type().into(),
                requested: chosen,
                disclosed: disclosed.clone(),
                outcome: Outcome::Disclosed,
                reason: None,
                on_behalf_of: self.on_behalf_of(&r),
                retained: vec![],
            },
            &[],
            &[],
        )?;
        Ok(PresentedQr {
            text,
            disclosed,
            expires: now + self.config.static_qr_lifetime,
        })
    }

    /// Reads a relying party's request QR and returns what to ask the citizen. A request that
    /// is unsigned, expired, from an unregistered party or malformed is refused — and the
    /// refusal logged. `dependent` answers with a dependent child's document instead.
    pub fn respond(
        &self,
        request_text: &str,
        dependent: Option<&str>,
    ) -> Result<ConsentPrompt, WalletError> {
        let now = self.now();
        self.account_record()?;
        let request =
            match SignedRequest::from_text(request_text, &self.config.relying_parties, now) {
                Ok(r) => r,
                Err(e) => {
                    let err = WalletError::RequestRefused(e);
                    self.log_refusal("unknown", "", &[], &err.to_string())?;
                    return Err(err);
                }
            };
        let kind = request.request.kind;
        let chosen = self
            .document_records()?
            .into_iter()
            .filter(|d| d.kind == kind && d.dependent.as_deref() == dependent)
            .max_by_key(|d| {
                (
                    Self::status(d, now) == super::DocumentStatus::Valid,
                    d.added,
                )
            });
        let Some(doc) = chosen else {
            let err = WalletError::NoDocumentForRequest(kind.title_en());
            self.log_refusal(
                &request.request.verifier,
                kind.doc_type(),
                &request.request.elements,
                &err.to_string(),
            )?;
            return Err(err);
        };
        let available: Vec<String> = doc
            .compact
            .as_deref()
            .and_then(|b| CompactCredential::from_bytes(b).ok())
            .map(|c| {
                c.disclosures()
                    .iter()
                    .filter_map(|(_, key)| profile::element_by_key(kind, *key))
                    .map(|e| e.identifier.to_owned())
                    .chain(
                        profile::elements(kind)
                            .iter()
                            .filter(|e| e.always)
                            .map(|e| e.identifier.to_owned()),
                    )
                    .collect()
            })
            .unwrap_or_default();
        let elements = request
            .request
            .elements
            .iter()
            .map(|id| {
                let spec = profile::element_by_id(kind, id)
                    .and_then(|q| kind.element(q.namespace, q.identifier));
                PromptElement {
                    identifier: id.clone(),
                    label_vi: spec.map_or(id.as_str(), |s| s.label_vi).to_owned(),
                    label_en: spec.map_or(id.as_str(), |s| s.label_en).to_owned(),
                    retain: request.retain.contains(id),
                    available: available.contains(id),
                }
            })
            .collect();
        let id = hex::encode(&request.request.nonce);
        let certified_by = request.certificate.issuer();
        let prompt = ConsentPrompt {
            id: id.clone(),
            party_id: request.request.verifier.clone(),
            party_organization: organization(&request.certificate.subject()),
            party_certified_by: certified_by,
            document: kind,
            document_id: doc.id.clone(),
            holder_name: doc.holder_name.clone(),
            elements,
            purpose: request.purpose.clone(),
            request_expires: request.request.expires,
            encrypted: request.encryption_key.is_some(),
            standing_until: request.grant_until,
        };
        let mut pending = lock(&self.pending);
        pending.retain(|p| p.id != id && p.request.request.expires >= now);
        if pending.len() >= MAX_PENDING {
            pending.remove(0);
        }
        pending.push(Pending {
            id,
            request,
            document_id: doc.id,
            prompt: prompt.clone(),
        });
        Ok(prompt)
    }

    fn log_refusal(
        &self,
        requester: &str,
        document: &str,
        requested: &[String],
        reason: &str,
    ) -> Result<(), WalletError> {
        self.log(
            &AuditEntry {
                time: self.now(),
                channel: Channel::ChallengeQr,
                requester: requester.into(),
                document: document.into(),
                requested: requested.to_vec(),
                disclosed: vec![],
                outcome: Outcome::Refused,
                reason: Some(reason.into()),
                on_behalf_of: None,
                retained: vec![],
            },
            &[],
            &[],
        )
        .map(|_| ())
    }

    /// Answers a prompt with the citizen's choice. Declining logs a refusal. Approving (all or
    /// some of what was asked) needs the gate open and gives a presentation bound to the
    /// request's nonce and party — encrypted when the request carries a key — or, when the
    /// party asked for standing consent, a signed grant.
    pub fn answer(&self, prompt_id: &str, approval: Approval) -> Result<Answer, WalletError> {
        let now = self.now();
        let pending = {
            let mut all = lock(&self.pending);
            let i = all
                .iter()
                .position(|p| p.id == prompt_id)
                .ok_or_else(|| WalletError::NoSuchRequest(prompt_id.to_owned()))?;
            all.remove(i)
        };
        let req = &pending.request;
        let kind = req.request.kind;
        let channel = if req.grant_until.is_some() {
            Channel::OnlineGrant
        } else {
            Channel::ChallengeQr
        };
        let chosen: Vec<String> = match &approval {
            Approval::Decline => {
                self.log(
                    &AuditEntry {
                        time: now,
                        channel,
                        requester: req.request.verifier.clone(),
                        document: kind.doc_type().into(),
                        requested: req.request.elements.clone(),
                        disclosed: vec![],
                        outcome: Outcome::Refused,
                        reason: Some("declined by the citizen".into()),
                        on_behalf_of: None,
                        retained: vec![],
                    },
                    &[],
                    &[],
                )?;
                return Ok(Answer::Declined);
            }
            Approval::All => pending
                .prompt
                .elements
                .iter()
                .filter(|e| e.available)
                .map(|e| e.identifier.clone())
                .collect(),
            Approval::Some(ids) => {
                if let Some(x) = ids.iter().find(|i| !req.request.elements.contains(i)) {
                    // Put it back: the citizen may choose again.
                    lock(&self.pending).push(pending.clone());
                    return Err(WalletError::NotRequested(x.clone()));
                }
                ids.clone()
            }
        };
        if chosen.is_empty() {
            lock(&self.pending).push(pending.clone());
            return Err(WalletError::NothingApproved);
        }
        if now > req.request.expires {
            let err = WalletError::RequestRefused(
                crate::qr::signed_request::SignedRequestError::Expired(crate::time_fmt::tdate(
                    req.request.expires,
                )),
            );
            self.log_refusal(
                &req.request.verifier,
                kind.doc_type(),
                &req.request.elements,
                &err.to_string(),
            )?;
            return Err(err);
        }
        let account = match self.require_disclosure_allowed() {
            Ok(a) => a,
            Err(e) => {
                // The gate may open in a moment: keep the request.
                lock(&self.pending).push(pending.clone());
                return Err(e);
            }
        };
        let r = self.document_record(&pending.document_id)?;
        let compact = self.presentable(&r, now)?;
        let retained: Vec<String> = req
            .retain
            .iter()
            .filter(|e| chosen.contains(e))
            .cloned()
            .collect();
        let signer = self.signer(&account.device_key_alias);
        if let Some(until) = req.grant_until {
            let mut id = [0u8; GRANT_ID_BYTES];
            lock(&self.rng).fill_bytes(&mut id);
            let grant = ConsentGrant {
                id,
                party: req.request.verifier.clone(),
                document: kind,
                elements: chosen.clone(),
                purpose: req.purpose.clone(),
                issued: crate::time_fmt::whole_seconds(now),
                expires: until,
                subject: account.personal_id.clone(),
                device_key: self.key_store.public_key(&account.device_key_alias)?,
            };
            let text = grant.sign(&signer)?;
            let record = GrantRecord {
                id: grant.id_hex(),
                text,
                party: grant.party.clone(),
                document: kind,
                document_id: r.id.clone(),
                elements: chosen.clone(),
                retained: retained.clone(),
                purpose: grant.purpose.clone(),
                issued: grant.issued,
                expires: grant.expires,
                revoked_at: None,
                revocation: None,
                revocation_sent: false,
            };
            let bytes = to_json(&record)?;
            self.log(
                &AuditEntry {
                    time: now,
                    channel: Channel::OnlineGrant,
                    requester: grant.party.clone(),
                    document: kind.doc_type().into(),
                    requested: req.request.elements.clone(),
                    disclosed: chosen,
                    outcome: Outcome::Granted,
                    reason: Some(format!(
                        "grant {} until {}",
                        record.id,
                        crate::time_fmt::tdate(until)
                    )),
                    on_behalf_of: self.on_behalf_of(&r),
                    retained,
                },
                &[(KIND_GRANT, record.id.as_str(), &bytes)],
                &[],
            )?;
            return Ok(Answer::Grant(grant_info(record, now)));
        }
        let names: Vec<&str> = chosen.iter().map(String::as_str).collect();
        let mut text = present_qr(&compact, &signer, &names, Some(&req.request), now)?;
        if let Some(key) = &req.encryption_key {
            let body = text
                .strip_prefix(profile::PRESENTATION_PREFIX)
                .and_then(|b| crate::qr::base45::decode(b).ok())
                .ok_or_else(|| WalletError::Encryption("presentation text".into()))?;
            text = crate::qr::encrypted::seal(&body, key, &mut *lock(&self.rng))
                .map_err(|e| WalletError::Encryption(e.to_string()))?;
        }
        let disclosed = Self::disclosed_for(kind, &chosen);
        self.log(
            &AuditEntry {
                time: now,
                channel: Channel::ChallengeQr,
                requester: req.request.verifier.clone(),
                document: kind.doc_type().into(),
                requested: req.request.elements.clone(),
                disclosed: disclosed.clone(),
                outcome: Outcome::Disclosed,
                reason: None,
                on_behalf_of: self.on_behalf_of(&r),
                retained,
            },
            &[],
            &[],
        )?;
        Ok(Answer::Presentation(PresentedQr {
            text,
            disclosed,
            expires: now + self.config.static_qr_lifetime,
        }))
    }

    /// Every grant, newest first.
    pub fn grants(&self) -> Result<Vec<GrantInfo>, WalletError> {
        let now = self.now();
        let mut out: Vec<GrantInfo> = self
            .store
            .list(KIND_GRANT)?
            .into_iter()
            .map(|(_, b)| from_json::<GrantRecord>(&b).map(|r| grant_info(r, now)))
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|g| std::cmp::Reverse(g.issued));
        Ok(out)
    }

    /// Revokes a grant: signs the revocation (for the identity service and the party), marks
    /// the grant and logs it, in one transaction. Behind the gate.
    pub fn revoke_grant(&self, grant_id: &str) -> Result<GrantInfo, WalletError> {
        let account = self.require_disclosure_allowed()?;
        let now = self.now();
        let bytes = self
            .store
            .get(KIND_GRANT, grant_id)?
            .ok_or_else(|| WalletError::NoSuchGrant(grant_id.to_owned()))?;
        let mut record: GrantRecord = from_json(&bytes)?;
        if record.revoked_at.is_some() {
            return Err(WalletError::GrantAlreadyRevoked(grant_id.to_owned()));
        }
        let id: [u8; GRANT_ID_BYTES] = hex::decode(&record.id)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| WalletError::Record("grant id".into()))?;
        let revoked_at = crate::time_fmt::whole_seconds(now);
        let revocation = GrantRevocation {
            grant_id: id,
            revoked_at,
        }
        .sign(&self.signer(&account.device_key_alias))?;
        record.revoked_at = Some(revoked_at);
        record.revocation = Some(revocation);
        let bytes = to_json(&record)?;
        self.log(
            &AuditEntry {
                time: now,
                channel: Channel::OnlineGrant,
                requester: record.party.clone(),
                document: record.document.doc_type().into(),
                requested: vec![],
                disclosed: vec![],
                outcome: Outcome::Revoked,
                reason: Some(format!("grant {} revoked by the citizen", record.id)),
                on_behalf_of: None,
                retained: vec![],
            },
            &[(KIND_GRANT, record.id.as_str(), &bytes)],
            &[],
        )?;
        Ok(grant_info(record, now))
    }
}

fn grant_info(r: GrantRecord, now: OffsetDateTime) -> GrantInfo {
    GrantInfo {
        active: r.revoked_at.is_none() && now >= r.issued && now <= r.expires,
        id: r.id,
        text: r.text,
        party: r.party,
        document: r.document,
        elements: r.elements,
        purpose: r.purpose,
        issued: r.issued,
        expires: r.expires,
        revoked_at: r.revoked_at,
        revocation: r.revocation,
    }
}

/// The O= of an RFC 4514 subject, if any.
fn organization(subject: &str) -> Option<String> {
    subject
        .split(',')
        .find_map(|part| part.trim().strip_prefix("O="))
        .map(str::to_owned)
}
