//! What the wallet keeps in its encrypted store, one serde record per row: the account, the
//! gate's attempt count, documents, dependents and consent grants. These are storage shapes;
//! the screens get the types in [`super`].

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::document::DocumentKind;

pub const KIND_ACCOUNT: &str = "account";
pub const ID_ACCOUNT: &str = "self";
pub const ID_PASSCODE: &str = "passcode";
pub const ID_GATE: &str = "gate";
pub const KIND_DOCUMENT: &str = "document";
pub const KIND_DEPENDENT: &str = "dependent";
pub const KIND_GRANT: &str = "grant";

/// eID assurance level (Decree 59/2022): 1 self-registered and matched against the population
/// register; 2 verified in person (portrait or fingerprint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AssuranceLevel {
    #[serde(rename = "1")]
    Level1,
    #[serde(rename = "2")]
    Level2,
}

impl AssuranceLevel {
    pub fn number(self) -> u8 {
        match self {
            Self::Level1 => 1,
            Self::Level2 => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub personal_id: String,
    pub full_name: String,
    #[serde(with = "crate::wallet::records::date_serde")]
    pub birth_date: Date,
    pub level: AssuranceLevel,
    /// Locked by the citizen (lost phone) or by the identity service.
    pub locked: bool,
    /// The ID card's expiry: the account expires with it.
    #[serde(default, with = "crate::wallet::records::opt_date_serde")]
    pub id_card_expiry: Option<Date>,
    pub device_key_alias: String,
    #[serde(with = "time::serde::rfc3339")]
    pub activated: OffsetDateTime,
    /// When the account password was last set (the policy asks for a change every 6 months).
    #[serde(default, with = "crate::wallet::records::opt_date_serde")]
    pub password_changed: Option<Date>,
    /// The identity service moved the account to another phone and ended this one's session.
    #[serde(default)]
    pub signed_out: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRecord {
    pub failures: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    pub kind: DocumentKind,
    /// `None`: the citizen's own; otherwise the dependent's personal identification number.
    pub dependent: Option<String>,
    #[serde(with = "crate::wallet::records::b64")]
    pub mdoc: Vec<u8>,
    #[serde(default, with = "crate::wallet::records::opt_b64")]
    pub compact: Option<Vec<u8>>,
    pub holder_name: String,
    pub number: String,
    pub issuer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    pub status_index: Option<u64>,
    pub status_uri: Option<String>,
    pub revoked: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub added: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentRecord {
    pub personal_id: String,
    pub full_name: String,
    #[serde(with = "crate::wallet::records::date_serde")]
    pub birth_date: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub id: String,
    pub text: String,
    pub party: String,
    pub document: DocumentKind,
    pub document_id: String,
    pub elements: Vec<String>,
    pub retained: Vec<String>,
    pub purpose: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub revocation: Option<String>,
    /// The revocation reached the identity service (sent by `sync`).
    #[serde(default)]
    pub revocation_sent: bool,
}

pub mod date_serde {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time_fmt::date(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        crate::time_fmt::parse_date(&s).ok_or_else(|| D::Error::custom("not a YYYY-MM-DD date"))
    }
}

pub mod opt_date_serde {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&crate::time_fmt::date(*d)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                crate::time_fmt::parse_date(&s)
                    .ok_or_else(|| D::Error::custom("not a YYYY-MM-DD date"))
            })
            .transpose()
    }
}

pub mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        STANDARD
            .decode(String::deserialize(d)?)
            .map_err(D::Error::custom)
    }
}

pub mod opt_b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| STANDARD.decode(s).map_err(D::Error::custom))
            .transpose()
    }
}
