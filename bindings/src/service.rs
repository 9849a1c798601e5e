//! The identity service from the app: an [`IdentityService`] object (the core's blocking
//! client: time-outs, retries, idempotency keys) and the wallet's online calls — register,
//! activate online, confirm a device change, sync — with the records a screen shows. Every
//! call blocks on the network: the shells make them off the UI thread.

use std::sync::Arc;
use std::time::Duration;

use cancuoc_core::i18n::Lang;
use cancuoc_core::service::{self as core, ServiceConfig};
use cancuoc_core::wallet::{self as cw, WalletError as CoreError};
use zeroize::Zeroizing;

use crate::wallet::{
    AccountInfo, AccountStatus, AssuranceLevel, DocumentCard, Wallet, WalletError, account_status,
    card, map_error, passcode,
};
use crate::{DocumentKind, Language};

/// The identity service the wallet syncs with.
#[derive(uniffi::Object)]
pub struct IdentityService {
    inner: core::ServiceClient,
    lang: Lang,
}

impl std::fmt::Debug for IdentityService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityService")
    }
}

/// Level-1 registration as the citizen types it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Registration {
    pub personal_id: String,
    pub full_name: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// true for female, false for male (ISO/IEC 5218 2 / 1).
    pub female: bool,
    pub phone: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registration(…)")
    }
}

/// How an online activation ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum OnlineActivation {
    Activated {
        account: AccountInfo,
    },
    /// The account is active on another phone: a code was sent there. Ask for it, then call
    /// `confirm_device_change`.
    CodeSentToOldDevice,
}

/// A message for this phone (a device-change code another phone is waiting for).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServiceMessage {
    pub id: String,
    pub kind: String,
    /// The one-time code to show the citizen.
    pub code: Option<String>,
    /// The sentence to show, in the service's language choice.
    pub text: String,
    pub expires_unix: Option<i64>,
}

impl std::fmt::Debug for ServiceMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceMessage")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// How old a cached list is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListAge {
    /// "trust" or the status list's URI.
    pub list: String,
    pub issued_unix: i64,
    pub age_seconds: i64,
    /// Past its next update: show a warning and sync.
    pub stale: bool,
}

/// A document the service issued that the wallet refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefusedDocument {
    pub kind: DocumentKind,
    pub code: String,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    pub status: AccountStatus,
    pub level: AssuranceLevel,
    pub messages: Vec<ServiceMessage>,
    pub documents_added: Vec<DocumentCard>,
    pub documents_refused: Vec<RefusedDocument>,
    pub documents_revoked: Vec<String>,
    pub lists: Vec<ListAge>,
}

fn list_age(list: String, a: cancuoc_core::lists::ListAge) -> ListAge {
    ListAge {
        list,
        issued_unix: a.issued_at.unix_timestamp(),
        age_seconds: a.age.whole_seconds(),
        stale: a.stale,
    }
}

#[uniffi::export]
impl IdentityService {
    /// A client for the service at `base_url` (https://… in production), giving up on one
    /// attempt after `timeout_seconds` and retrying transient failures 3 times.
    #[uniffi::constructor]
    pub fn new(
        base_url: String,
        timeout_seconds: u32,
        language: Language,
    ) -> Result<Arc<Self>, WalletError> {
        let lang: Lang = language.into();
        let mut config = ServiceConfig::new(&base_url);
        config.timeout = Duration::from_secs(u64::from(timeout_seconds.clamp(1, 120)));
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| WalletError::Storage {
            code: "no_randomness".into(),
            reason: e.to_string(),
        })?;
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed(*seed);
        let inner = core::ServiceClient::new(config, &mut rng)
            .map_err(|e| map_error(CoreError::Service(e), lang))?;
        Ok(Arc::new(Self { inner, lang }))
    }

    /// Level-1 registration, matched against the population register (a mismatch is refused
    /// without saying which field).
    pub fn register(&self, registration: Registration) -> Result<(), WalletError> {
        let r = core::Registration {
            birth_date: cancuoc_core::time_fmt::parse_date(&registration.birth_date).ok_or_else(
                || WalletError::Input {
                    code: "input".into(),
                    reason: self
                        .lang
                        .pick("Ngày sinh không hợp lệ.", "Invalid birth date.")
                        .into(),
                },
            )?,
            personal_id: registration.personal_id,
            full_name: registration.full_name,
            sex: if registration.female {
                cancuoc_core::document::Sex::Female
            } else {
                cancuoc_core::document::Sex::Male
            },
            phone: registration.phone,
            email: registration.email,
            password: Zeroizing::new(registration.password),
        };
        self.inner
            .register(&r)
            .map_err(|e| map_error(CoreError::Service(e), self.lang))
    }
}

#[uniffi::export]
impl Wallet {
    /// Activates this phone through the identity service with the account password; the
    /// device key is made in the host key store and proven to the service.
    pub fn activate_online(
        &self,
        service: Arc<IdentityService>,
        personal_id: String,
        password: String,
        passcode: String,
    ) -> Result<OnlineActivation, WalletError> {
        let password = Zeroizing::new(password);
        let code = self::passcode(passcode, self.lang)?;
        match self
            .inner
            .activate_online(&service.inner, &personal_id, &password, &code)
            .map_err(|e| self.err(e))?
        {
            cw::OnlineActivation::Activated(_) => Ok(OnlineActivation::Activated {
                account: self
                    .account()?
                    .ok_or_else(|| self.err(CoreError::NotActivated))?,
            }),
            cw::OnlineActivation::CodeSentToOldDevice => Ok(OnlineActivation::CodeSentToOldDevice),
        }
    }

    /// Finishes moving the account to this phone with the code the old phone shows.
    pub fn confirm_device_change(
        &self,
        service: Arc<IdentityService>,
        code: String,
        passcode: String,
    ) -> Result<AccountInfo, WalletError> {
        let pass = self::passcode(passcode, self.lang)?;
        self.inner
            .confirm_device_change(&service.inner, &code, &pass)
            .map_err(|e| self.err(e))?;
        self.account()?
            .ok_or_else(|| self.err(CoreError::NotActivated))
    }

    /// Brings the wallet up to date: account level and lock, messages, documents, the trust
    /// and status lists. A phone signed out by a device change learns it here.
    pub fn sync(&self, service: Arc<IdentityService>) -> Result<SyncReport, WalletError> {
        let r = self.inner.sync(&service.inner).map_err(|e| self.err(e))?;
        let mut lists = Vec::new();
        if let Some(a) = r.trust_list {
            lists.push(list_age("trust".into(), a));
        }
        lists.extend(r.status_lists.into_iter().map(|(u, a)| list_age(u, a)));
        Ok(SyncReport {
            status: account_status(r.status),
            level: match r.level {
                cw::AssuranceLevel::Level1 => AssuranceLevel::Level1,
                cw::AssuranceLevel::Level2 => AssuranceLevel::Level2,
            },
            messages: r
                .messages
                .into_iter()
                .map(|m| ServiceMessage {
                    text: match self.lang {
                        Lang::Vi => m.text_vi,
                        Lang::En => m.text_en,
                    },
                    id: m.id,
                    kind: m.kind,
                    code: m.code,
                    expires_unix: m.expires_at,
                })
                .collect(),
            documents_added: r
                .documents_added
                .into_iter()
                .map(|c| card(c, self.lang))
                .collect(),
            documents_refused: r
                .documents_refused
                .into_iter()
                .map(|d| RefusedDocument {
                    kind: crate::convert::kind(d.kind),
                    code: d.code,
                })
                .collect(),
            documents_revoked: r.documents_revoked,
            lists,
        })
    }
}
