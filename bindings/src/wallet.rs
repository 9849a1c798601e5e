//! The `Wallet` object across the FFI and the records its screens need: account, document
//! cards and details, the consent prompt and answer, grants, the activity log. Errors become a
//! few actionable [`WalletError`] variants, each with a stable code and a sentence to show.

use std::sync::Arc;

use cancuoc_core::account::{BiometricAssertion, GateError, Passcode};
use cancuoc_core::consent::Approval as CoreApproval;
use cancuoc_core::i18n::Lang;
use cancuoc_core::time_fmt::SystemClock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{self as core, WalletError as CoreError};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::Zeroizing;

use crate::convert::{from_unix, kind, matrix, unix, value};
use crate::keystore::{Foreign, KeyStore};
use crate::{DocumentKind, Language, QrMatrix};

/// What went wrong, in terms the app acts on. `reason` is the sentence to show (in the
/// wallet's language); `code` is stable for logic and analytics. No variant carries a secret.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum WalletError {
    /// Activate first (or the account is already activated).
    #[error("{reason}")]
    Account { code: String, reason: String },
    /// The account is locked or expired: nothing can be presented.
    #[error("{reason}")]
    AccountBlocked { code: String, reason: String },
    /// Ask for the passcode or biometrics.
    #[error("{reason}")]
    GateClosed { reason: String },
    #[error("{reason}")]
    WrongPasscode { attempts_left: u32, reason: String },
    #[error("{reason}")]
    LockedOut { until: String, reason: String },
    /// A level-1 account asked to hold a level-2 document.
    #[error("{reason}")]
    LevelTooLow { reason: String },
    /// The document cannot be added or shown (refused, expired, revoked, not found …).
    #[error("{reason}")]
    Document { code: String, reason: String },
    /// A relying party's request was refused (unsigned, expired, unknown party, malformed).
    #[error("{reason}")]
    RequestRefused { code: String, reason: String },
    /// The citizen's choice cannot be carried out (nothing chosen, not asked for).
    #[error("{reason}")]
    Consent { code: String, reason: String },
    /// The wallet's storage (wrong key, newer version, damaged) or the key store failed.
    #[error("{reason}")]
    Storage { code: String, reason: String },
    /// Bad input from the app (format of a passcode, a date, an id).
    #[error("{reason}")]
    Input { code: String, reason: String },
    /// The identity service could not be reached or refused (`code` says which: `offline`,
    /// `timeout`, `service_refused`, `no_session`, `list_refused`).
    #[error("{reason}")]
    Service { code: String, reason: String },
}

pub(crate) fn map_error(e: CoreError, lang: Lang) -> WalletError {
    let code = e.code().to_owned();
    let reason = e.message(lang);
    match e {
        CoreError::NotActivated | CoreError::AlreadyActivated => {
            WalletError::Account { code, reason }
        }
        CoreError::AccountLocked | CoreError::AccountExpired(_) | CoreError::SignedOut => {
            WalletError::AccountBlocked { code, reason }
        }
        CoreError::GateClosed => WalletError::GateClosed { reason },
        CoreError::Gate(GateError::Wrong { remaining }) => WalletError::WrongPasscode {
            attempts_left: remaining,
            reason,
        },
        CoreError::Gate(GateError::LockedOut { until }) => WalletError::LockedOut { until, reason },
        CoreError::Gate(_) | CoreError::Password(_) | CoreError::Input(_) => {
            WalletError::Input { code, reason }
        }
        CoreError::LevelTooLow { .. } => WalletError::LevelTooLow { reason },
        CoreError::Service(_) | CoreError::NoSession | CoreError::List(_) => {
            WalletError::Service { code, reason }
        }
        CoreError::RequestRefused(_) | CoreError::NoSuchRequest(_) => {
            WalletError::RequestRefused { code, reason }
        }
        CoreError::NotRequested(_) | CoreError::NothingApproved => {
            WalletError::Consent { code, reason }
        }
        CoreError::KeyStore(_)
        | CoreError::Presentation(cancuoc_core::presentation::PresentationError::Sign(_))
        | CoreError::Grant(cancuoc_core::consent::GrantFormatError::Sign(_))
        | CoreError::Store(_)
        | CoreError::Audit(_)
        | CoreError::Record(_) => WalletError::Storage { code, reason },
        _ => WalletError::Document { code, reason },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AssuranceLevel {
    Level1,
    Level2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AccountStatus {
    Active,
    Locked,
    Expired,
    /// The account moved to another phone; this one was signed out.
    SignedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountInfo {
    pub personal_id: String,
    pub full_name: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub level: AssuranceLevel,
    pub status: AccountStatus,
    pub id_card_expiry: Option<String>,
    /// SEC1 public key of the device key.
    pub device_public_key: Vec<u8>,
    /// The device key as SPKI PEM (for the issuer).
    pub device_public_key_pem: String,
    pub activated_unix: i64,
    pub password_change_due: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Activation {
    pub personal_id: String,
    pub full_name: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub level: AssuranceLevel,
    pub id_card_expiry: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DocumentStatus {
    Valid,
    NotYetValid,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentCard {
    pub id: String,
    pub kind: DocumentKind,
    pub title: String,
    pub holder_name: String,
    pub dependent: Option<String>,
    pub number: String,
    pub issuer: String,
    pub valid_from_unix: i64,
    pub valid_until_unix: i64,
    pub status: DocumentStatus,
    pub has_qr: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ElementView {
    pub identifier: String,
    pub label: String,
    pub value: String,
    /// The bytes of an image value (the portrait, JPEG).
    pub image: Option<Vec<u8>>,
    pub selectable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentDetail {
    pub card: DocumentCard,
    pub elements: Vec<ElementView>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PresentedQr {
    pub text: String,
    pub matrix: QrMatrix,
    pub disclosed: Vec<String>,
    /// Hide the code after this (a countdown on screen).
    pub expires_unix: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PromptElement {
    pub identifier: String,
    pub label: String,
    pub retain: bool,
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentPrompt {
    pub id: String,
    pub party_id: String,
    pub party_name: String,
    pub certified_by: String,
    pub document: DocumentKind,
    pub document_id: String,
    pub holder_name: String,
    pub elements: Vec<PromptElement>,
    pub purpose: String,
    pub request_expires_unix: i64,
    pub encrypted: bool,
    pub standing_until_unix: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Approval {
    All,
    Some { elements: Vec<String> },
    Decline,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GrantInfo {
    pub id: String,
    pub text: String,
    pub party: String,
    pub document: DocumentKind,
    pub elements: Vec<String>,
    pub purpose: String,
    pub issued_unix: i64,
    pub expires_unix: i64,
    pub revoked_unix: Option<i64>,
    pub revocation: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Answer {
    Presentation { qr: PresentedQr },
    Grant { grant: GrantInfo },
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditEntry {
    pub seq: i64,
    pub time_unix: i64,
    /// static_qr, challenge_qr, device_response, online_grant.
    pub channel: String,
    pub requester: String,
    pub document: String,
    pub requested: Vec<String>,
    pub disclosed: Vec<String>,
    pub retained: Vec<String>,
    /// disclosed, refused, granted, revoked, failed.
    pub outcome: String,
    pub reason: Option<String>,
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Dependent {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: String,
    pub minor: bool,
}

/// How the wallet is opened besides its file and key store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletOptions {
    /// PEM text of the issuer certificates (IACA roots and Document Signers).
    pub issuer_trust_pem: String,
    /// PEM text of the relying-party registry CA certificates.
    pub relying_parties_pem: String,
    pub language: Language,
    /// Seconds without use before the passcode is asked again.
    pub idle_timeout_seconds: u32,
}

#[derive(uniffi::Object)]
pub struct Wallet {
    pub(crate) inner: core::Wallet,
    pub(crate) lang: Lang,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wallet")
    }
}

fn input(reason: String) -> WalletError {
    WalletError::Input {
        code: "input".into(),
        reason,
    }
}

fn date(s: &str, lang: Lang) -> Result<time::Date, WalletError> {
    cancuoc_core::time_fmt::parse_date(s).ok_or_else(|| {
        input(
            lang.pick("Ngày phải có dạng NNNN-TT-NN.", "Dates are YYYY-MM-DD.")
                .to_owned(),
        )
    })
}

pub(crate) fn passcode(text: String, lang: Lang) -> Result<Passcode, WalletError> {
    let text = Zeroizing::new(text);
    Passcode::new(&text).map_err(|e| map_error(CoreError::Gate(e), lang))
}

fn os_rng() -> Result<ChaCha20Rng, WalletError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| WalletError::Storage {
        code: "no_randomness".into(),
        reason: e.to_string(),
    })?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

pub(crate) fn card(c: core::DocumentCard, lang: Lang) -> DocumentCard {
    DocumentCard {
        id: c.id,
        kind: kind(c.kind),
        title: lang.pick(c.title_vi, c.title_en).to_owned(),
        holder_name: c.holder_name,
        dependent: c.dependent,
        number: c.number,
        issuer: c.issuer,
        valid_from_unix: unix(c.valid_from),
        valid_until_unix: unix(c.valid_until),
        status: match c.status {
            core::DocumentStatus::Valid => DocumentStatus::Valid,
            core::DocumentStatus::NotYetValid => DocumentStatus::NotYetValid,
            core::DocumentStatus::Expired => DocumentStatus::Expired,
            core::DocumentStatus::Revoked => DocumentStatus::Revoked,
        },
        has_qr: c.has_qr,
    }
}

fn grant(g: core::GrantInfo) -> GrantInfo {
    GrantInfo {
        id: g.id,
        text: g.text,
        party: g.party,
        document: kind(g.document),
        elements: g.elements,
        purpose: g.purpose,
        issued_unix: unix(g.issued),
        expires_unix: unix(g.expires),
        revoked_unix: g.revoked_at.map(unix),
        revocation: g.revocation,
        active: g.active,
    }
}

fn presented(q: core::PresentedQr) -> Result<PresentedQr, WalletError> {
    Ok(PresentedQr {
        matrix: matrix(&q.text).map_err(|e| WalletError::Document {
            code: "qr_too_long".into(),
            reason: e.to_string(),
        })?,
        text: q.text,
        disclosed: q.disclosed,
        expires_unix: unix(q.expires),
    })
}

fn name_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet at `path`. Blocks: call off the UI thread.
    #[uniffi::constructor]
    pub fn open(
        path: String,
        key_store: Arc<dyn KeyStore>,
        options: WalletOptions,
    ) -> Result<Arc<Self>, WalletError> {
        let lang: Lang = options.language.into();
        let trust = |pem: &str| {
            TrustList::from_pem_texts([pem]).map_err(|e| WalletError::Input {
                code: "trust_list".into(),
                reason: e.to_string(),
            })
        };
        let mut config = core::WalletConfig::new(
            trust(&options.issuer_trust_pem)?,
            trust(&options.relying_parties_pem)?,
        );
        config.idle_timeout = time::Duration::seconds(i64::from(options.idle_timeout_seconds));
        let inner = core::Wallet::open(
            std::path::Path::new(&path),
            Arc::new(Foreign(key_store)),
            Arc::new(SystemClock),
            Box::new(os_rng()?),
            config,
        )
        .map_err(|e| map_error(e, lang))?;
        Ok(Arc::new(Self { inner, lang }))
    }

    pub fn account(&self) -> Result<Option<AccountInfo>, WalletError> {
        let Some(a) = self.inner.account().map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        Ok(Some(AccountInfo {
            personal_id: a.personal_id,
            full_name: a.full_name,
            birth_date: cancuoc_core::time_fmt::date(a.birth_date),
            level: match a.level {
                core::AssuranceLevel::Level1 => AssuranceLevel::Level1,
                core::AssuranceLevel::Level2 => AssuranceLevel::Level2,
            },
            status: account_status(a.status),
            id_card_expiry: a.id_card_expiry.map(cancuoc_core::time_fmt::date),
            device_public_key_pem: a.device_key.to_spki_pem().unwrap_or_default(),
            device_public_key: a.device_key.sec1(),
            activated_unix: unix(a.activated),
            password_change_due: a.password_change_due,
        }))
    }

    /// Activates the account on this device: creates the device key, sets the passcode.
    pub fn activate(
        &self,
        activation: Activation,
        passcode: String,
    ) -> Result<AccountInfo, WalletError> {
        let code = self::passcode(passcode, self.lang)?;
        let a = core::Activation {
            personal_id: activation.personal_id,
            full_name: activation.full_name,
            birth_date: date(&activation.birth_date, self.lang)?,
            level: level(activation.level),
            id_card_expiry: activation
                .id_card_expiry
                .map(|d| date(&d, self.lang))
                .transpose()?,
        };
        self.inner.activate(a, &code).map_err(|e| self.err(e))?;
        self.account()?
            .ok_or_else(|| self.err(CoreError::NotActivated))
    }

    /// Opens the gate with the passcode (PBKDF2: blocks ~0.1–0.3 s).
    pub fn unlock(&self, passcode: String) -> Result<(), WalletError> {
        let code = self::passcode(passcode, self.lang)?;
        self.inner.unlock(&code).map_err(|e| self.err(e))
    }

    /// Changes the passcode (the old one must be right; PBKDF2 twice: blocks).
    pub fn change_passcode(&self, old: String, new: String) -> Result<(), WalletError> {
        let old = self::passcode(old, self.lang)?;
        let new = self::passcode(new, self.lang)?;
        self.inner
            .change_passcode(&old, &new)
            .map_err(|e| self.err(e))
    }

    /// Opens the gate with the platform's biometric result, `at_unix` when it was given.
    pub fn unlock_biometric(&self, verified: bool, at_unix: i64) -> Result<(), WalletError> {
        let at = from_unix(at_unix).ok_or_else(|| input("bad time".into()))?;
        self.inner
            .unlock_biometric(BiometricAssertion { verified, at })
            .map_err(|e| self.err(e))
    }

    pub fn lock(&self) {
        self.inner.lock();
    }

    pub fn is_unlocked(&self) -> bool {
        self.inner.is_unlocked()
    }

    pub fn set_level(&self, level: AssuranceLevel) -> Result<(), WalletError> {
        self.inner
            .set_level(self::level(level))
            .map_err(|e| self.err(e))
    }

    pub fn lock_account(&self) -> Result<(), WalletError> {
        self.inner.lock_account().map_err(|e| self.err(e))
    }

    pub fn set_password(&self, password: String) -> Result<(), WalletError> {
        let password = Zeroizing::new(password);
        self.inner.set_password(&password).map_err(|e| self.err(e))
    }

    pub fn add_dependent(
        &self,
        personal_id: String,
        full_name: String,
        birth_date: String,
    ) -> Result<Dependent, WalletError> {
        let d = self
            .inner
            .add_dependent(&personal_id, &full_name, date(&birth_date, self.lang)?)
            .map_err(|e| self.err(e))?;
        Ok(dependent(d))
    }

    pub fn dependents(&self) -> Result<Vec<Dependent>, WalletError> {
        Ok(self
            .inner
            .dependents()
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(dependent)
            .collect())
    }

    /// Adds an issued document (mdoc and, when given, its QR form).
    pub fn add_document(
        &self,
        mdoc: Vec<u8>,
        qr: Option<Vec<u8>>,
        dependent: Option<String>,
    ) -> Result<DocumentCard, WalletError> {
        let c = self
            .inner
            .add_document(&mdoc, qr.as_deref(), dependent.as_deref())
            .map_err(|e| self.err(e))?;
        Ok(card(c, self.lang))
    }

    pub fn documents(&self) -> Result<Vec<DocumentCard>, WalletError> {
        Ok(self
            .inner
            .documents()
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(|c| card(c, self.lang))
            .collect())
    }

    pub fn document(&self, id: String) -> Result<DocumentDetail, WalletError> {
        let d = self.inner.document(&id).map_err(|e| self.err(e))?;
        Ok(DocumentDetail {
            card: card(d.card, self.lang),
            elements: d
                .elements
                .into_iter()
                .map(|e| {
                    let (text, image) = value(&e.value);
                    ElementView {
                        identifier: e.identifier,
                        label: self.lang.pick(e.label_vi, e.label_en).to_owned(),
                        value: text,
                        image,
                        selectable: e.selectable,
                    }
                })
                .collect(),
        })
    }

    pub fn remove_document(&self, id: String) -> Result<(), WalletError> {
        self.inner.remove_document(&id).map_err(|e| self.err(e))
    }

    /// The static QR of a document with the chosen elements. Behind the gate; logged.
    pub fn present_qr(
        &self,
        document_id: String,
        elements: Vec<String>,
    ) -> Result<PresentedQr, WalletError> {
        let names: Vec<&str> = elements.iter().map(String::as_str).collect();
        let q = self
            .inner
            .present_qr(&document_id, &names)
            .map_err(|e| self.err(e))?;
        presented(q)
    }

    /// Reads a relying party's request QR; returns the consent prompt (refusals are logged).
    pub fn respond(
        &self,
        request: String,
        dependent: Option<String>,
    ) -> Result<ConsentPrompt, WalletError> {
        let p = self
            .inner
            .respond(&request, dependent.as_deref())
            .map_err(|e| self.err(e))?;
        let lang = self.lang;
        Ok(ConsentPrompt {
            id: p.id,
            party_name: p.party_organization.unwrap_or_else(|| p.party_id.clone()),
            party_id: p.party_id,
            certified_by: p.party_certified_by,
            document: kind(p.document),
            document_id: p.document_id,
            holder_name: p.holder_name,
            elements: p
                .elements
                .into_iter()
                .map(|e| PromptElement {
                    label: match lang {
                        Lang::Vi => e.label_vi,
                        Lang::En => e.label_en,
                    },
                    identifier: e.identifier,
                    retain: e.retain,
                    available: e.available,
                })
                .collect(),
            purpose: p.purpose,
            request_expires_unix: unix(p.request_expires),
            encrypted: p.encrypted,
            standing_until_unix: p.standing_until.map(unix),
        })
    }

    /// The citizen's answer to a prompt.
    pub fn answer(&self, prompt_id: String, approval: Approval) -> Result<Answer, WalletError> {
        let approval = match approval {
            Approval::All => CoreApproval::All,
            Approval::Some { elements } => CoreApproval::Some(elements),
            Approval::Decline => CoreApproval::Decline,
        };
        match self
            .inner
            .answer(&prompt_id, approval)
            .map_err(|e| self.err(e))?
        {
            core::Answer::Presentation(q) => Ok(Answer::Presentation { qr: presented(q)? }),
            core::Answer::Grant(g) => Ok(Answer::Grant { grant: grant(g) }),
            core::Answer::Declined => Ok(Answer::Declined),
        }
    }

    pub fn grants(&self) -> Result<Vec<GrantInfo>, WalletError> {
        Ok(self
            .inner
            .grants()
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(grant)
            .collect())
    }

    /// Revokes a grant; the result carries the signed revocation for the service and party.
    pub fn revoke_grant(&self, grant_id: String) -> Result<GrantInfo, WalletError> {
        Ok(grant(
            self.inner
                .revoke_grant(&grant_id)
                .map_err(|e| self.err(e))?,
        ))
    }

    /// The activity log, optionally one requester's and within [from, to] (Unix seconds).
    pub fn audit_log(
        &self,
        requester: Option<String>,
        from_unix: Option<i64>,
        to_unix: Option<i64>,
    ) -> Result<Vec<AuditEntry>, WalletError> {
        let entries = self
            .inner
            .audit_log(
                requester.as_deref(),
                from_unix.and_then(crate::convert::from_unix),
                to_unix.and_then(crate::convert::from_unix),
            )
            .map_err(|e| self.err(e))?;
        Ok(entries
            .into_iter()
            .map(|(seq, e)| AuditEntry {
                seq,
                time_unix: unix(e.time),
                channel: name_of(e.channel),
                requester: e.requester,
                document: e.document,
                requested: e.requested,
                disclosed: e.disclosed,
                retained: e.retained,
                outcome: name_of(e.outcome),
                reason: e.reason,
                on_behalf_of: e.on_behalf_of,
            })
            .collect())
    }

    /// Checks the log's chain; the number of entries.
    pub fn verify_log(&self) -> Result<u64, WalletError> {
        self.inner
            .verify_log()
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// The log as JSON for the citizen to keep.
    pub fn export_log_json(&self) -> Result<String, WalletError> {
        self.inner
            .export_log_json(None, None, None)
            .map_err(|e| self.err(e))
    }
}

pub(crate) fn account_status(s: core::AccountStatus) -> AccountStatus {
    match s {
        core::AccountStatus::Active => AccountStatus::Active,
        core::AccountStatus::Locked => AccountStatus::Locked,
        core::AccountStatus::Expired => AccountStatus::Expired,
        core::AccountStatus::SignedOut => AccountStatus::SignedOut,
    }
}

fn level(l: AssuranceLevel) -> core::AssuranceLevel {
    match l {
        AssuranceLevel::Level1 => core::AssuranceLevel::Level1,
        AssuranceLevel::Level2 => core::AssuranceLevel::Level2,
    }
}

fn dependent(d: core::Dependent) -> Dependent {
    Dependent {
        personal_id: d.personal_id,
        full_name: d.full_name,
        birth_date: cancuoc_core::time_fmt::date(d.birth_date),
        minor: d.minor,
    }
}

impl Wallet {
    pub(crate) fn err(&self, e: CoreError) -> WalletError {
        map_error(e, self.lang)
    }
}
