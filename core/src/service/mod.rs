//! The wallet's side of the identity service (`identity-service/`, API in
//! docs/identity-service.md): the JSON shapes both sides exchange, the errors a call can end in,
//! and [`client::ServiceClient`], the blocking client the wallet and the CLI call. The wallet's
//! own flows over it (activate online, confirm a device change, sync) live in `wallet::sync`.

pub mod client;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::document::{DocumentKind, Sex};
use crate::i18n::Lang;

pub use client::{ServiceClient, ServiceConfig};

/// The status list a reader fetches: the service's first (QR credentials index into it).
pub const STATUS_LIST_PATH: &str = "/v1/status-lists/1";

/// The session token the service gives a bound device. A secret: never in `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub Zeroizing<String>);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Level-1 registration, as the citizen types it in the app.
#[derive(Clone, Serialize)]
pub struct Registration {
    pub personal_id: String,
    pub full_name: String,
    #[serde(with = "crate::wallet::records::date_serde")]
    pub birth_date: time::Date,
    pub sex: Sex,
    pub phone: String,
    pub email: String,
    /// Sent once over TLS; the service keeps only a slow hash.
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("personal_id", &crate::mask::pin(&self.personal_id))
            .finish_non_exhaustive()
    }
}

/// The account as the service knows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAccount {
    pub personal_id: String,
    pub full_name: String,
    #[serde(with = "crate::wallet::records::date_serde")]
    pub birth_date: time::Date,
    pub sex: Sex,
    pub level: u8,
    pub locked: bool,
    #[serde(default, with = "crate::wallet::records::opt_date_serde")]
    pub id_card_expiry: Option<time::Date>,
    /// Base64url of the bound device key (SEC1), if any.
    #[serde(default)]
    pub device_key: Option<String>,
}

impl std::fmt::Debug for RemoteAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAccount")
            .field("personal_id", &crate::mask::pin(&self.personal_id))
            .field("level", &self.level)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

/// How a session request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOutcome {
    /// This device is the account's device now.
    Active {
        session: SessionToken,
        account: RemoteAccount,
    },
    /// Another device is bound: a one-time code went to it; confirm with that code.
    ChangePending { change_id: String },
}

/// A message for this device (today: a device-change code for another phone).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
    pub text_vi: String,
    pub text_en: String,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A document the service issued to this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    pub id: String,
    pub kind: DocumentKind,
    pub status_uri: String,
    pub status_index: u64,
    pub valid_until: i64,
    /// Base64url of the mdoc credential's CBOR.
    pub credential: String,
    /// Base64url of its QR form (the compact credential), issued with it.
    #[serde(default)]
    pub compact_credential: Option<String>,
}

/// One online exchange of the citizen's data, as the service logged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareEntry {
    pub at: i64,
    pub channel: String,
    pub requester: String,
    pub requested: Vec<String>,
    pub shared: Vec<String>,
    pub outcome: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Which of the service's signed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Trust,
    Status,
}

impl ListKind {
    /// Its name on a screen.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Trust, Lang::Vi) => "Danh sách tin cậy",
            (Self::Trust, Lang::En) => "Trust list",
            (Self::Status, Lang::Vi) => "Danh sách thu hồi",
            (Self::Status, Lang::En) => "Status list",
        }
    }
}

impl std::fmt::Display for ListKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Trust => "trust list",
            Self::Status => "status list",
        })
    }
}

/// Why [`ServiceClient::verified_lists`] has no lists to give.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ListFetchError {
    #[error("{list}: {error}")]
    Service { list: ListKind, error: ServiceError },
    #[error("{list} refused: {error}")]
    Refused {
        list: ListKind,
        error: crate::lists::ListError,
    },
}

impl ListFetchError {
    /// The code of the service's error or of the list check.
    pub fn code(&self) -> &str {
        match self {
            Self::Service { error, .. } => error.code(),
            Self::Refused { error, .. } => error.code(),
        }
    }
}

/// The service's trust list and status list, fetched and verified, with the bytes they came
/// in (to cache: a reader without network keeps the last good ones).
#[derive(Debug, Clone)]
pub struct ServiceLists {
    pub trust: crate::lists::TrustListContent,
    pub trust_bytes: Vec<u8>,
    pub status: crate::lists::StatusListContent,
    pub status_bytes: Vec<u8>,
}

/// What went wrong talking to the service.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ServiceError {
    #[error("the identity service cannot be reached: {0}")]
    Offline(String),
    #[error("the identity service did not answer in time")]
    Timeout,
    #[error("the identity service refused ({status} {code}): {message_en}")]
    Rejected {
        status: u16,
        code: String,
        message_vi: String,
        message_en: String,
        /// A finer reason where the service gives one (e.g. the grant check's code).
        reason: Option<String>,
        /// Seconds to wait, when the service said (throttling).
        retry_after: Option<u64>,
    },
    #[error("the identity service's answer is not understood: {0}")]
    Malformed(String),
    #[error("invalid service address: {0}")]
    Url(String),
}

impl ServiceError {
    /// Stable machine-readable code: the service's own code for a refusal.
    pub fn code(&self) -> &str {
        match self {
            Self::Offline(_) => "offline",
            Self::Timeout => "timeout",
            Self::Rejected { code, .. } => code,
            Self::Malformed(_) => "malformed_answer",
            Self::Url(_) => "bad_url",
        }
    }

    /// Worth trying again later (the service or the network, not the request).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Offline(_) | Self::Timeout => true,
            Self::Rejected { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Self::Malformed(_) | Self::Url(_) => false,
        }
    }

    /// The words a screen shows.
    pub fn message(&self, lang: Lang) -> String {
        let t = |vi: &str, en: &str| match lang {
            Lang::Vi => vi.to_owned(),
            Lang::En => en.to_owned(),
        };
        match self {
            Self::Offline(_) => t(
                "Không kết nối được hệ thống định danh. Kiểm tra mạng và thử lại.",
                "Cannot reach the identity service. Check the connection and try again.",
            ),
            Self::Timeout => t(
                "Hệ thống định danh không phản hồi kịp. Vui lòng thử lại.",
                "The identity service did not answer in time. Please try again.",
            ),
            Self::Rejected {
                message_vi,
                message_en,
                ..
            } => match lang {
                Lang::Vi => message_vi.clone(),
                Lang::En => message_en.clone(),
            },
            Self::Malformed(_) | Self::Url(_) => t(
                "Đã có lỗi khi trao đổi với hệ thống định danh.",
                "Something went wrong talking to the identity service.",
            ),
        }
    }
}
