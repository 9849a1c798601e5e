//! The wallet: the one object the phone app calls. It owns the citizen's account (assurance
//! level, status, the device key), the disclosure gate (passcode, biometrics, idle timeout),
//! the documents and dependents, consent prompts and grants, and the audit log — all in the
//! encrypted [`Store`] under a data key the platform's [`KeyStore`] keeps.
//!
//! One path through the data: every disclosure goes gate → document checks → presentation
//! signed in the key store → audit entry written (same transaction as any state change) →
//! only then is the QR text handed back. A refusal is logged the same way.
//!
//! - [`documents`]: adding (verified against the trust list and bound to the device key),
//!   listing, showing, removing, status lists.
//! - [`presenting`]: static QR, challenge requests and consent answers, standing grants.

mod documents;
mod presenting;
pub mod records;
mod sync;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, Rng as _, SeedableRng};
use time::{Date, Duration, OffsetDateTime};

use crate::account::{
    self, BiometricAssertion, Gate, GateError, Passcode, PasscodeHash, PasswordError,
};
use crate::audit::{self, AuditEntry, AuditError};
use crate::consent::GrantFormatError;
use crate::i18n::Lang;
use crate::keys::PublicKey;
use crate::keystore::{DataKey, KeyStore, KeyStoreError};
use crate::presentation::PresentationError;
use crate::qr::signed_request::SignedRequestError;
use crate::store::{Store, StoreError};
use crate::time_fmt::Clock;
use crate::trust::TrustList;
use crate::verifier::{Verifier, VerifyError};

pub use documents::{DocumentCard, DocumentDetail, DocumentStatus, ElementView};
pub use presenting::{Answer, GrantInfo, PresentedQr};
pub use records::AssuranceLevel;
use records::{
    AccountRecord, DependentRecord, GateRecord, ID_ACCOUNT, ID_GATE, ID_PASSCODE, KIND_ACCOUNT,
    KIND_DEPENDENT,
};
pub use sync::{ListAges, OnlineActivation, RefusedDocument, SyncReport};

/// The key store alias of the storage data key.
pub const DATA_KEY_ALIAS: &str = "cancuoc.storage";
/// Children under this age are dependents on a parent's account.
pub const DEPENDENT_MAX_AGE: u8 = 14;
/// The account password must be changed at least this often (Decree 59/2022).
pub const PASSWORD_MAX_AGE_MONTHS: u8 = 6;

/// What the wallet is opened with besides its file and platform services.
#[derive(Debug, Clone)]
pub struct WalletConfig {
    /// IACA roots and Document Signers the wallet accepts documents from.
    pub issuer_trust: TrustList,
    /// The registry of relying parties: CAs whose reader certificates the wallet answers.
    pub relying_parties: TrustList,
    /// After this long without use the passcode is asked again.
    pub idle_timeout: Duration,
    /// How long a static QR is good for once shown (verifiers accept 60 s by default).
    pub static_qr_lifetime: Duration,
}

impl WalletConfig {
    pub fn new(issuer_trust: TrustList, relying_parties: TrustList) -> Self {
        Self {
            issuer_trust,
            relying_parties,
            idle_timeout: Duration::minutes(5),
            static_qr_lifetime: Duration::seconds(60),
        }
    }
}

/// Account status as the app shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Locked (lost phone, or by the identity service): nothing can be presented.
    Locked,
    /// The ID card expired, and the account with it.
    Expired,
    /// The account moved to another phone: this one was signed out and presents nothing.
    SignedOut,
}

/// The citizen's account as a screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The personal identification number: the account's user name.
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: Date,
    pub level: AssuranceLevel,
    pub status: AccountStatus,
    pub id_card_expiry: Option<Date>,
    /// The public half of the device key every presentation is signed with.
    pub device_key: PublicKey,
    pub activated: OffsetDateTime,
    /// True when the account password is older than six months (or was never set here).
    pub password_change_due: bool,
}

/// What activation needs (from the identity service, or typed in for a local wallet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: Date,
    pub level: AssuranceLevel,
    pub id_card_expiry: Option<Date>,
}

/// A child under 14 on the citizen's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: Date,
    /// Still under 14 today (a parent may present for them).
    pub minor: bool,
}

/// Everything that can go wrong, in terms a UI can act on; [`WalletError::message`] gives
/// the words to show. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("the wallet has no account yet: activate it first")]
    NotActivated,
    #[error("the wallet already has an account")]
    AlreadyActivated,
    #[error("the account is locked")]
    AccountLocked,
    #[error("the account expired with the ID card on {0}")]
    AccountExpired(String),
    #[error("unlock with the passcode or biometrics first")]
    GateClosed,
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(
        "a level-{have} account cannot hold the {document}: verify the account to level 2 in person first"
    )]
    LevelTooLow { have: u8, document: &'static str },
    #[error("no document {0}")]
    NoSuchDocument(String),
    #[error("no dependent {0}")]
    NoSuchDependent(String),
    #[error("no pending request {0}: scan it again")]
    NoSuchRequest(String),
    #[error("no grant {0}")]
    NoSuchGrant(String),
    #[error("the grant {0} is already revoked")]
    GrantAlreadyRevoked(String),
    #[error("the document was refused: {0}")]
    DocumentRefused(VerifyError),
    #[error("the document is bound to another device key than this wallet's")]
    WrongDeviceKey,
    #[error("the QR form of the document does not match its mdoc: {0}")]
    MismatchedForms(&'static str),
    #[error("the document is already in the wallet as {0}")]
    Duplicate(String),
    #[error("the document was revoked by its issuer")]
    DocumentRevoked,
    #[error("the document expired on {0}")]
    DocumentExpired(String),
    #[error("the document has no QR form: ask the issuer to re-issue it")]
    NoQrForm,
    #[error("{0} is {1} years old: a dependent must be under 14")]
    NotADependentAge(String, u8),
    #[error("{0} is now 14 or older and needs an account of their own")]
    DependentCameOfAge(String),
    #[error("a {0} cannot be held for a dependent child")]
    NotForDependents(&'static str),
    #[error("the document belongs to {found}, not to {expected}")]
    WrongHolder { expected: String, found: String },
    #[error("the request was refused: {0}")]
    RequestRefused(#[from] SignedRequestError),
    #[error("no document in the wallet answers a request for the {0}")]
    NoDocumentForRequest(&'static str),
    #[error("element {0:?} was not asked for")]
    NotRequested(String),
    #[error("nothing to share: no requested element was approved")]
    NothingApproved,
    #[error("could not build the presentation: {0}")]
    Presentation(#[from] PresentationError),
    #[error("could not encrypt the answer: {0}")]
    Encryption(String),
    #[error("grant: {0}")]
    Grant(#[from] GrantFormatError),
    #[error("the key store failed: {0}")]
    KeyStore(#[from] KeyStoreError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("audit log: {0}")]
    Audit(#[from] AuditError),
    #[error("a stored record is unreadable: {0}")]
    Record(String),
    #[error("{0}")]
    Input(String),
    #[error("identity service: {0}")]
    Service(#[from] crate::service::ServiceError),
    #[error("this wallet has no session with the identity service: activate it online first")]
    NoSession,
    #[error("this phone was signed out: the account is active on another device")]
    SignedOut,
    #[error("a list from the identity service was refused: {0}")]
    List(#[from] crate::lists::ListError),
}

impl WalletError {
    /// Stable machine-readable code for apps and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotActivated => "not_activated",
            Self::AlreadyActivated => "already_activated",
            Self::AccountLocked => "account_locked",
            Self::AccountExpired(_) => "account_expired",
            Self::GateClosed => "gate_closed",
            Self::Gate(GateError::Wrong { .. }) => "wrong_passcode",
            Self::Gate(GateError::LockedOut { .. }) => "locked_out",
            Self::Gate(GateError::Format) => "passcode_format",
            Self::Gate(GateError::Biometric) => "biometric_refused",
            Self::Password(_) => "password_policy",
            Self::LevelTooLow { .. } => "level_too_low",
            Self::NoSuchDocument(_) => "no_such_document",
            Self::NoSuchDependent(_) => "no_such_dependent",
            Self::NoSuchRequest(_) => "no_such_request",
            Self::NoSuchGrant(_) => "no_such_grant",
            Self::GrantAlreadyRevoked(_) => "grant_already_revoked",
            Self::DocumentRefused(_) => "document_refused",
            Self::WrongDeviceKey => "wrong_device_key",
            Self::MismatchedForms(_) => "mismatched_forms",
            Self::Duplicate(_) => "duplicate_document",
            Self::DocumentRevoked => "document_revoked",
            Self::DocumentExpired(_) => "document_expired",
            Self::NoQrForm => "no_qr_form",
            Self::NotADependentAge(..) => "not_a_dependent_age",
            Self::DependentCameOfAge(_) => "dependent_came_of_age",
            Self::NotForDependents(_) => "not_for_dependents",
            Self::WrongHolder { .. } => "wrong_holder",
            Self::RequestRefused(e) => e.code(),
            Self::NoDocumentForRequest(_) => "no_document_for_request",
            Self::NotRequested(_) => "not_requested",
            Self::NothingApproved => "nothing_approved",
            Self::Presentation(PresentationError::Sign(_))
            | Self::Grant(GrantFormatError::Sign(_)) => "key_store",
            Self::Presentation(_) => "presentation_failed",
            Self::Encryption(_) => "encryption_failed",
            Self::Grant(_) => "grant_malformed",
            Self::KeyStore(_) => "key_store",
            Self::Store(StoreError::WrongKey) => "wrong_data_key",
            Self::Store(StoreError::NewerSchema { .. }) => "newer_schema",
            Self::Store(StoreError::Corrupt(_) | StoreError::Tampered { .. }) => "corrupt",
            Self::Store(_) => "storage",
            Self::Audit(_) => "audit_log",
            Self::Record(_) => "corrupt",
            Self::Input(_) => "input",
            Self::Service(crate::service::ServiceError::Offline(_)) => "offline",
            Self::Service(crate::service::ServiceError::Timeout) => "timeout",
            Self::Service(crate::service::ServiceError::Rejected { .. }) => "service_refused",
            Self::Service(_) => "service_error",
            Self::NoSession => "no_session",
            Self::SignedOut => "signed_out",
            Self::List(_) => "list_refused",
        }
    }

    /// What to tell the citizen, in their language.
    pub fn message(&self, lang: Lang) -> String {
        let t = |vi: &'static str, en: &'static str| lang.pick(vi, en).to_owned();
        match self {
            Self::NotActivated => t("Ví chưa được kích hoạt.", "The wallet is not activated."),
            Self::AlreadyActivated => t(
                "Ví đã được kích hoạt trên thiết bị này.",
                "The wallet is already activated on this device.",
            ),
            Self::AccountLocked => t(
                "Tài khoản định danh điện tử đang bị khóa.",
                "The electronic identification account is locked.",
            ),
            Self::AccountExpired(d) => match lang {
                Lang::Vi => format!("Tài khoản hết hiệu lực cùng thẻ căn cước ngày {d}."),
                Lang::En => format!("The account expired with the ID card on {d}."),
            },
            Self::GateClosed => t(
                "Hãy nhập mã PIN hoặc xác thực sinh trắc học.",
                "Enter your passcode or use biometrics.",
            ),
            Self::Gate(GateError::Wrong { remaining }) => match lang {
                Lang::Vi => format!("Mã PIN không đúng. Còn {remaining} lần thử."),
                Lang::En => format!("Wrong passcode. {remaining} attempts left."),
            },
            Self::Gate(GateError::LockedOut { until }) => match lang {
                Lang::Vi => format!("Nhập sai quá nhiều lần. Thử lại sau {until}."),
                Lang::En => format!("Too many wrong passcodes. Try again after {until}."),
            },
            Self::Gate(GateError::Format) => t(
                "Mã PIN gồm đúng 6 chữ số.",
                "The passcode is exactly 6 digits.",
            ),
            Self::Gate(GateError::Biometric) => t(
                "Xác thực sinh trắc học không thành công.",
                "Biometric check failed.",
            ),
            Self::Password(_) => t(
                "Mật khẩu phải có ít nhất 8 ký tự, gồm chữ hoa, chữ thường, chữ số và ký tự đặc biệt.",
                "The password needs 8 or more characters with upper and lower case, a digit and a special character.",
            ),
            Self::LevelTooLow { document, .. } => match lang {
                Lang::Vi => format!(
                    "Tài khoản mức 1 chưa thể tích hợp {document}. Hãy đến cơ quan Công an để xác thực tài khoản mức 2."
                ),
                Lang::En => format!(
                    "A level-1 account cannot hold the {document}. Visit a police office to verify your account to level 2."
                ),
            },
            Self::DocumentRefused(_) | Self::WrongDeviceKey | Self::MismatchedForms(_) => t(
                "Giấy tờ không hợp lệ hoặc không thuộc về thiết bị này.",
                "The document is not valid or not bound to this device.",
            ),
            Self::DocumentRevoked => t(
                "Giấy tờ đã bị cơ quan cấp thu hồi.",
                "The document was revoked by its issuer.",
            ),
            Self::DocumentExpired(d) => match lang {
                Lang::Vi => format!("Giấy tờ đã hết hạn ngày {d}."),
                Lang::En => format!("The document expired on {d}."),
            },
            Self::RequestRefused(SignedRequestError::Unsigned) => t(
                "Yêu cầu không có chữ ký của bên yêu cầu: không chia sẻ.",
                "The request is not signed by the requester: nothing shared.",
            ),
            Self::RequestRefused(SignedRequestError::Expired(_)) => t(
                "Yêu cầu đã hết hạn. Hãy quét mã mới.",
                "The request has expired. Scan a new one.",
            ),
            Self::RequestRefused(SignedRequestError::UnknownParty(_)) => t(
                "Bên yêu cầu chưa được đăng ký: không chia sẻ.",
                "The requester is not a registered party: nothing shared.",
            ),
            Self::RequestRefused(_) => {
                t("Mã yêu cầu không hợp lệ.", "The request code is not valid.")
            }
            Self::NoDocumentForRequest(_) => t(
                "Ví không có giấy tờ được yêu cầu.",
                "The wallet holds no document of the kind requested.",
            ),
            Self::Presentation(
                PresentationError::UnknownElement(_)
                | PresentationError::ElementNotInCredential { .. },
            )
            | Self::NotRequested(_) => t(
                "Giấy tờ không có thông tin được chọn, hoặc thông tin đó không được yêu cầu.",
                "The document does not hold a chosen element, or it was not asked for.",
            ),
            Self::NothingApproved => t(
                "Bạn chưa chọn thông tin nào để chia sẻ.",
                "You chose nothing to share.",
            ),
            Self::NotADependentAge(..) | Self::DependentCameOfAge(_) => t(
                "Chỉ trẻ em dưới 14 tuổi được gắn với tài khoản của cha, mẹ.",
                "Only children under 14 can be added to a parent's account.",
            ),
            Self::Presentation(PresentationError::Sign(_))
            | Self::Grant(GrantFormatError::Sign(_))
            | Self::KeyStore(_) => t(
                "Không dùng được khóa bảo mật của thiết bị. Hãy xác thực lại và thử lại.",
                "The device's secure key could not be used. Authenticate again and retry.",
            ),
            Self::Store(StoreError::WrongKey) => t(
                "Không mở được dữ liệu ví trên thiết bị này.",
                "The wallet data cannot be opened on this device.",
            ),
            Self::Store(StoreError::NewerSchema { .. }) => t(
                "Dữ liệu ví được tạo bởi phiên bản mới hơn. Hãy cập nhật ứng dụng.",
                "The wallet data was written by a newer version. Update the app.",
            ),
            Self::Store(StoreError::Corrupt(_) | StoreError::Tampered { .. }) => {
                t("Dữ liệu ví bị hỏng.", "The wallet data is damaged.")
            }
            Self::Service(e) => e.message(lang),
            Self::NoSession => t(
                "Ví chưa kết nối với hệ thống định danh. Hãy kích hoạt trực tuyến.",
                "The wallet is not connected to the identity service. Activate it online.",
            ),
            Self::SignedOut => t(
                "Tài khoản đã được kích hoạt trên thiết bị khác. Thiết bị này đã bị đăng xuất.",
                "The account was activated on another device. This phone was signed out.",
            ),
            Self::List(_) => t(
                "Danh sách tin cậy hoặc danh sách thu hồi không hợp lệ; đang dùng bản đã lưu.",
                "The trust or revocation list was not valid; the saved one is still used.",
            ),
            _ => t(
                "Đã có lỗi xảy ra. Vui lòng thử lại.",
                "Something went wrong. Please try again.",
            ),
        }
    }
}

/// The wallet. `Send + Sync`: calls may come from any thread; each takes the locks it needs.
pub struct Wallet {
    store: Store,
    key_store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    rng: Mutex<ChaCha20Rng>,
    config: WalletConfig,
    /// Rebuilt when a newer trust list arrives (`sync`).
    verifier: Mutex<Verifier>,
    gate: Mutex<Option<Gate>>,
    pending: Mutex<Vec<presenting::Pending>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, WalletError> {
    serde_json::to_vec(value).map_err(|e| WalletError::Record(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WalletError> {
    serde_json::from_slice(bytes).map_err(|e| WalletError::Record(e.to_string()))
}

/// A new data key, in a frame of its own so that `scrub_stack` reaches what the RNG left.
#[inline(never)]
fn new_data_key(rng: &mut (dyn CryptoRng + Send)) -> DataKey {
    let key = DataKey::generate(rng);
    // Push the key's bytes out of the RNG's buffer too.
    let mut spill = zeroize::Zeroizing::new([0u8; 512]);
    rng.fill_bytes(spill.as_mut_slice());
    key
}

/// Whole years between `birth` and `today`.
pub fn age_on(birth: Date, today: Date) -> u8 {
    let mut years = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    u8::try_from(years.max(0)).unwrap_or(u8::MAX)
}

impl Wallet {
    /// Opens the wallet at `path`, creating it (and its data key) on first use. A database of
    /// a newer schema, a damaged file or a data key that does not open it is a typed error,
    /// and nothing on disk is changed. `rng` seeds every random choice the wallet makes.
    pub fn open(
        path: &Path,
        key_store: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
        mut rng: Box<dyn CryptoRng + Send>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        let data_key = match key_store.load_data_key(DATA_KEY_ALIAS) {
            Ok(k) => k,
            Err(KeyStoreError::NotFound(_)) if !path.exists() => {
                let k = new_data_key(&mut *rng);
                // The RNG computed the key's bytes in its frames: wipe them.
                crate::keystore::scrub_stack();
                key_store.store_data_key(DATA_KEY_ALIAS, &k)?;
                k
            }
            // The file exists but its key is gone: opening would only fail, so say why.
            Err(KeyStoreError::NotFound(_)) => return Err(StoreError::WrongKey.into()),
            Err(e) => return Err(e.into()),
        };
        let store_rng = ChaCha20Rng::from_rng(&mut *rng);
        let store = Store::open(path, &data_key, Box::new(store_rng))?;
        let wallet = Self {
            store,
            key_store,
            clock,
            rng: Mutex::new(ChaCha20Rng::from_rng(&mut *rng)),
            verifier: Mutex::new(Verifier::new(config.issuer_trust.clone())),
            config,
            gate: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
        };
        *lock(&wallet.gate) = wallet.load_gate()?;
        wallet.load_cached_trust()?;
        // Everything below this frame (the store's key schedule being built, the key store's
        // reads) is dead now: wipe it.
        crate::keystore::scrub_stack();
        Ok(wallet)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn load_gate(&self) -> Result<Option<Gate>, WalletError> {
        let Some(hash) = self.store.get(KIND_ACCOUNT, ID_PASSCODE)? else {
            return Ok(None);
        };
        let hash = PasscodeHash::from_bytes(&hash)
            .ok_or_else(|| WalletError::Record("passcode hash".into()))?;
        let state: GateRecord = match self.store.get(KIND_ACCOUNT, ID_GATE)? {
            Some(b) => from_json(&b)?,
            None => GateRecord {
                failures: 0,
                locked_until: None,
            },
        };
        Ok(Some(Gate::restore(
            hash,
            self.config.idle_timeout,
            state.failures,
            state.locked_until,
        )))
    }

    fn account_record(&self) -> Result<AccountRecord, WalletError> {
        let bytes = self
            .store
            .get(KIND_ACCOUNT, ID_ACCOUNT)?
            .ok_or(WalletError::NotActivated)?;
        from_json(&bytes)
    }

    fn status_of(&self, a: &AccountRecord, today: Date) -> AccountStatus {
        if a.signed_out {
            AccountStatus::SignedOut
        } else if a.locked {
            AccountStatus::Locked
        } else if a.id_card_expiry.is_some_and(|e| e < today) {
            AccountStatus::Expired
        } else {
            AccountStatus::Active
        }
    }

    /// The account, or `None` before activation.
    pub fn account(&self) -> Result<Option<AccountInfo>, WalletError> {
        let a = match self.account_record() {
            Ok(a) => a,
            Err(WalletError::NotActivated) => return Ok(None),
            Err(e) => return Err(e),
        };
        let today = self.now().date();
        Ok(Some(AccountInfo {
            status: self.status_of(&a, today),
            device_key: self.key_store.public_key(&a.device_key_alias)?,
            password_change_due: a
                .password_changed
                .is_none_or(|d| account::check_password_age(d, today).is_err()),
            personal_id: a.personal_id,
            full_name: a.full_name,
            birth_date: a.birth_date,
            level: a.level,
            id_card_expiry: a.id_card_expiry,
            activated: a.activated,
        }))
    }

    /// Activates the wallet on this device: creates the device key in the key store, keeps the
    /// account and the passcode's slow hash, and opens the gate.
    pub fn activate(
        &self,
        activation: Activation,
        passcode: &Passcode,
    ) -> Result<AccountInfo, WalletError> {
        if self.store.get(KIND_ACCOUNT, ID_ACCOUNT)?.is_some() {
            return Err(WalletError::AlreadyActivated);
        }
        let p = &activation.personal_id;
        if p.len() != 12 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WalletError::Input(
                "the personal identification number is 12 digits".into(),
            ));
        }
        if activation.full_name.trim().is_empty() || activation.full_name.chars().count() > 100 {
            return Err(WalletError::Input(
                "the full name is 1–100 characters".into(),
            ));
        }
        let alias = self.new_device_alias();
        self.key_store.create_key(&alias)?;
        let record = AccountRecord {
            personal_id: activation.personal_id,
            full_name: activation.full_name,
            birth_date: activation.birth_date,
            level: activation.level,
            locked: false,
            id_card_expiry: activation.id_card_expiry,
            device_key_alias: alias,
            activated: self.now(),
            password_changed: None,
            signed_out: false,
        };
        self.install_account(record, passcode, &[], &[])
    }

    /// A fresh key-store alias for a device key.
    fn new_device_alias(&self) -> String {
        let mut tag = [0u8; 8];
        lock(&self.rng).fill_bytes(&mut tag);
        format!("cancuoc.device.{}", hex::encode(tag))
    }

    /// Writes the account (whose device key already exists), the passcode's slow hash, a fresh
    /// gate and `extra` records in one transaction, deleting `deletes`, and opens the gate. On
    /// failure the device key is deleted: no orphan key outlives a failed activation.
    fn install_account(
        &self,
        record: AccountRecord,
        passcode: &Passcode,
        extra: &[(&str, &str, &[u8])],
        deletes: &[(&str, &str)],
    ) -> Result<AccountInfo, WalletError> {
        let hash = PasscodeHash::new(passcode, &mut *lock(&self.rng));
        let alias = record.device_key_alias.clone();
        let gate_state = to_json(&GateRecord {
            failures: 0,
            locked_until: None,
        })?;
        let account = to_json(&record)?;
        let hash_bytes = hash.to_bytes();
        let mut puts: Vec<(&str, &str, &[u8])> = vec![
            (KIND_ACCOUNT, ID_ACCOUNT, &account),
            (KIND_ACCOUNT, ID_PASSCODE, &hash_bytes),
            (KIND_ACCOUNT, ID_GATE, &gate_state),
        ];
        puts.extend_from_slice(extra);
        if let Err(e) = self.store.transact_records(&puts, deletes) {
            let _ = self.key_store.delete_key(&alias);
            return Err(e.into());
        }
        let mut gate = Gate::new(hash, self.config.idle_timeout);
        gate.unlock(passcode, self.now())?;
        *lock(&self.gate) = Some(gate);
        self.account()?.ok_or(WalletError::NotActivated)
    }

    /// Sets the assurance level the identity service reports (level 2 after the in-person
    /// check).
    pub fn set_level(&self, level: AssuranceLevel) -> Result<(), WalletError> {
        let mut a = self.account_record()?;
        a.level = level;
        Ok(self.store.put(KIND_ACCOUNT, ID_ACCOUNT, &to_json(&a)?)?)
    }

    /// Locks the account (lost phone, or the identity service says so): nothing can be
    /// presented until it is unlocked.
    pub fn lock_account(&self) -> Result<(), WalletError> {
        self.set_locked(true)
    }

    /// Lifts an account lock (after the identity service has restored the account).
    pub fn unlock_account(&self) -> Result<(), WalletError> {
        self.set_locked(false)
    }

    fn set_locked(&self, locked: bool) -> Result<(), WalletError> {
        let mut a = self.account_record()?;
        a.locked = locked;
        self.store.put(KIND_ACCOUNT, ID_ACCOUNT, &to_json(&a)?)?;
        if locked {
            self.lock();
        }
        Ok(())
    }

    /// Checks a new account password against the regulation's policy and records when it
    /// was set (the password itself is the identity service's to keep).
    pub fn set_password(&self, password: &str) -> Result<(), WalletError> {
        account::check_password(password)?;
        let mut a = self.account_record()?;
        a.password_changed = Some(self.now().date());
        Ok(self.store.put(KIND_ACCOUNT, ID_ACCOUNT, &to_json(&a)?)?)
    }

    fn with_gate<T>(&self, f: impl FnOnce(&mut Gate) -> T) -> Result<T, WalletError> {
        let mut gate = lock(&self.gate);
        let gate = gate.as_mut().ok_or(WalletError::NotActivated)?;
        Ok(f(gate))
    }

    fn save_attempts(&self, gate: &Gate) -> Result<(), WalletError> {
        let (failures, locked_until) = gate.attempts();
        let record = GateRecord {
            failures,
            locked_until,
        };
        Ok(self.store.put(KIND_ACCOUNT, ID_GATE, &to_json(&record)?)?)
    }

    /// Opens the gate with the passcode. Wrong attempts are counted on disk, so quitting the
    /// app does not reset them.
    pub fn unlock(&self, passcode: &Passcode) -> Result<(), WalletError> {
        let now = self.now();
        let mut guard = lock(&self.gate);
        let gate = guard.as_mut().ok_or(WalletError::NotActivated)?;
        let before = gate.attempts();
        let result = gate.unlock(passcode, now);
        if gate.attempts() != before {
            self.save_attempts(gate)?;
        }
        Ok(result?)
    }

    /// Opens the gate with the platform's biometric assertion.
    pub fn unlock_biometric(&self, assertion: BiometricAssertion) -> Result<(), WalletError> {
        let now = self.now();
        self.with_gate(|g| g.unlock_biometric(assertion, now))?
            .map_err(WalletError::from)
    }

    /// Shuts the gate (the app went to the background, or the citizen asked).
    pub fn lock(&self) {
        if let Some(g) = lock(&self.gate).as_mut() {
            g.lock();
        }
    }

    /// Whether the gate is open now.
    pub fn is_unlocked(&self) -> bool {
        let now = self.now();
        lock(&self.gate).as_ref().is_some_and(|g| g.is_open(now))
    }

    /// Changes the passcode (the old one must be right).
    pub fn change_passcode(&self, old: &Passcode, new: &Passcode) -> Result<(), WalletError> {
        self.unlock(old)?;
        let hash = PasscodeHash::new(new, &mut *lock(&self.rng));
        self.store
            .put(KIND_ACCOUNT, ID_PASSCODE, &hash.to_bytes())?;
        let mut gate = Gate::new(hash, self.config.idle_timeout);
        gate.unlock(new, self.now())?;
        *lock(&self.gate) = Some(gate);
        Ok(())
    }

    /// The account must be active and the gate open: the check before every disclosure.
    fn require_disclosure_allowed(&self) -> Result<AccountRecord, WalletError> {
        let a = self.account_record()?;
        match self.status_of(&a, self.now().date()) {
            AccountStatus::Active => {}
            AccountStatus::Locked => return Err(WalletError::AccountLocked),
            AccountStatus::SignedOut => return Err(WalletError::SignedOut),
            AccountStatus::Expired => {
                return Err(WalletError::AccountExpired(
                    a.id_card_expiry
                        .map(crate::time_fmt::date)
                        .unwrap_or_default(),
                ));
            }
        }
        let now = self.now();
        if !self.with_gate(|g| g.pass(now))? {
            return Err(WalletError::GateClosed);
        }
        Ok(a)
    }

    /// Adds a child under 14 to the account.
    pub fn add_dependent(
        &self,
        personal_id: &str,
        full_name: &str,
        birth_date: Date,
    ) -> Result<Dependent, WalletError> {
        self.account_record()?;
        if personal_id.len() != 12 || !personal_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WalletError::Input(
                "the personal identification number is 12 digits".into(),
            ));
        }
        let age = age_on(birth_date, self.now().date());
        if age >= DEPENDENT_MAX_AGE {
            return Err(WalletError::NotADependentAge(full_name.to_owned(), age));
        }
        let record = DependentRecord {
            personal_id: personal_id.to_owned(),
            full_name: full_name.to_owned(),
            birth_date,
        };
        self.store
            .put(KIND_DEPENDENT, personal_id, &to_json(&record)?)?;
        Ok(self.dependent_view(record))
    }

    fn dependent_view(&self, r: DependentRecord) -> Dependent {
        Dependent {
            minor: age_on(r.birth_date, self.now().date()) < DEPENDENT_MAX_AGE,
            personal_id: r.personal_id,
            full_name: r.full_name,
            birth_date: r.birth_date,
        }
    }

    fn dependent_record(&self, personal_id: &str) -> Result<DependentRecord, WalletError> {
        let bytes = self
            .store
            .get(KIND_DEPENDENT, personal_id)?
            .ok_or_else(|| WalletError::NoSuchDependent(crate::mask::pin(personal_id)))?;
        from_json(&bytes)
    }

    pub fn dependents(&self) -> Result<Vec<Dependent>, WalletError> {
        self.store
            .list(KIND_DEPENDENT)?
            .into_iter()
            .map(|(_, b)| Ok(self.dependent_view(from_json(&b)?)))
            .collect()
    }

    /// The audit log, optionally only one requester's entries and within [from, to].
    pub fn audit_log(
        &self,
        requester: Option<&str>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<(i64, AuditEntry)>, WalletError> {
        Ok(audit::entries(&self.store, requester, from, to)?)
    }

    /// Checks the whole log's chain; returns the number of entries.
    pub fn verify_log(&self) -> Result<usize, WalletError> {
        Ok(audit::verify_log(&self.store)?)
    }

    /// The log (filtered) as JSON for the citizen to keep.
    pub fn export_log_json(
        &self,
        requester: Option<&str>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<String, WalletError> {
        let entries = self.audit_log(requester, from, to)?;
        let items: Vec<serde_json::Value> = entries
            .into_iter()
            .map(|(seq, e)| {
                let mut v = serde_json::to_value(e).unwrap_or(serde_json::Value::Null);
                if let Some(m) = v.as_object_mut() {
                    m.insert("seq".into(), seq.into());
                }
                v
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({
            "exported": crate::time_fmt::tdate(self.now()),
            "entries": items,
        }))
        .map_err(|e| WalletError::Record(e.to_string()))
    }

    /// Writes an audit entry (with any state change in the same transaction).
    fn log(
        &self,
        entry: &AuditEntry,
        puts: &[(&str, &str, &[u8])],
        deletes: &[(&str, &str)],
    ) -> Result<i64, WalletError> {
        Ok(audit::record_with(&self.store, entry, puts, deletes)?)
    }
}

#[cfg(test)]
mod tests;
