//! The relying party's signed request (challenge mode and standing consent): who asks — proved
//! by its reader certificate (ISO/IEC 18013-5 Annex B.1.7) from the registry of relying
//! parties — for which document and elements, which of them it intends to keep, why, with a
//! fresh nonce, an expiry, optionally a key to encrypt the answer to and, for standing
//! consent, the date until which access is asked.
//!
//! Wire form: `CR2:` + Base45 of a COSE_Sign1 (ES256; the certificate in the protected
//! `x5chain`, label 33) whose payload is a strict CBOR map
//! `{1: party id, 2: document code, 3: [element keys], 4: nonce (16 bytes), 5: expiry,
//!   6: [retained element keys], 7: purpose, ?8: encryption COSE_Key, ?9: grant until}`.
//! The party id must be the certificate's common name. The unsigned `CR1:` request of the
//! QR channel stays the verifier's own record of what it asked; a wallet refuses it.

use ciborium::value::Value;
use coset::{CborSerializable, CoseSign1Builder, HeaderBuilder, iana};
use rand_core::CryptoRng;
use time::OffsetDateTime;

use super::base45;
use super::claims::{self, Item};
use super::profile::{self, REQUEST_PREFIX};
use super::request::{NONCE_BYTES, QrRequest, RequestError};
use super::sd_cwt::{compressed_cose_key, public_key_from_cose};
use crate::cbor::{self, Limits};
use crate::cose::{self, LABEL_X5CHAIN};
use crate::document::DocumentKind;
use crate::keys::{PrivateKey, PublicKey};
use crate::trust::TrustList;
use crate::x509::Certificate;

/// Prefix of a signed request QR.
pub const SIGNED_REQUEST_PREFIX: &str = "CR2:";
/// Longest purpose text, in characters.
pub const MAX_PURPOSE_CHARS: usize = 200;
/// The most characters a signed request may have (a version-40 QR holds 4,296).
pub const MAX_SIGNED_REQUEST_TEXT: usize = 4296;

/// A relying party's request, its signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Who (`verifier` is the party id), which document and elements, nonce and expiry.
    pub request: QrRequest,
    /// The requested elements the party intends to keep (the rest it only looks at).
    pub retain: Vec<String>,
    /// Why, in the party's words, as the citizen will read it.
    pub purpose: String,
    /// When present, the answer must be encrypted to this key.
    pub encryption_key: Option<PublicKey>,
    /// When present, the party asks for standing consent until this time.
    pub grant_until: Option<OffsetDateTime>,
    /// The party's reader certificate.
    pub certificate: Certificate,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignedRequestError {
    #[error("the request is not signed: a wallet answers only signed requests (CR2:)")]
    Unsigned,
    #[error("not a request QR: it must start with {SIGNED_REQUEST_PREFIX}")]
    Prefix,
    #[error("the request is {0} characters, more than a QR code holds")]
    TooLong(usize),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("the request's signature does not verify")]
    BadSignature,
    #[error("the requester's certificate is not a relying-party certificate: {0}")]
    NotRelyingParty(String),
    #[error("the requester {0:?} is not a registered relying party")]
    UnknownParty(String),
    #[error("the requester's certificate is not valid now: {0}")]
    CertificateValidity(String),
    #[error("the request names {named:?} but is signed by {certified:?}")]
    PartyMismatch { named: String, certified: String },
    #[error("the request expired at {0}")]
    Expired(String),
    #[error("the request asks for no element")]
    NothingRequested,
}

impl SignedRequestError {
    /// Stable machine-readable code (test vectors, apps).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsigned => "request_unsigned",
            Self::Prefix => "wrong_prefix",
            Self::TooLong(_) => "too_large",
            Self::Malformed(_) => "request_malformed",
            Self::BadSignature => "request_bad_signature",
            Self::NotRelyingParty(_) => "not_a_relying_party",
            Self::UnknownParty(_) => "request_unknown_party",
            Self::CertificateValidity(_) => "party_certificate_validity",
            Self::PartyMismatch { .. } => "party_mismatch",
            Self::Expired(_) => "request_expired",
            Self::NothingRequested => "nothing_requested",
        }
    }
}

impl From<RequestError> for SignedRequestError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Expired(t) => Self::Expired(t),
            other => Self::Malformed(other.to_string()),
        }
    }
}

fn malformed(what: &str) -> SignedRequestError {
    SignedRequestError::Malformed(what.to_owned())
}

fn element_keys(kind: DocumentKind, elements: &[String]) -> Vec<Item> {
    elements
        .iter()
        .filter_map(|e| profile::element_by_id(kind, e))
        .map(|e| Item::Int(e.key))
        .collect()
}

fn time_item(t: OffsetDateTime) -> Item {
    Item::Int(i128::from(t.unix_timestamp()))
}

fn time_of(item: &Item) -> Option<OffsetDateTime> {
    item.int()
        .and_then(|t| i64::try_from(t).ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
}

impl SignedRequest {
    /// Signs this request with the party's key; the certificate must be the key's.
    pub fn sign(&self, key: &PrivateKey) -> Result<String, SignedRequestError> {
        if self.certificate.public_key().ok().as_ref() != Some(&key.public_key()) {
            return Err(SignedRequestError::PartyMismatch {
                named: "the signing key".into(),
                certified: self.certificate.subject(),
            });
        }
        let kind = self.request.kind;
        for e in self.request.elements.iter().chain(&self.retain) {
            profile::element_by_id(kind, e)
                .ok_or_else(|| malformed(&format!("unknown element {e:?}")))?;
        }
        let mut map = vec![
            (Item::Int(1), Item::Text(self.request.verifier.clone())),
            (Item::Int(2), Item::Int(profile::doc_code(kind))),
            (
                Item::Int(3),
                Item::Array(element_keys(kind, &self.request.elements)),
            ),
            (Item::Int(4), Item::Bytes(self.request.nonce.clone())),
            (Item::Int(5), time_item(self.request.expires)),
            (Item::Int(6), Item::Array(element_keys(kind, &self.retain))),
            (Item::Int(7), Item::Text(self.purpose.clone())),
        ];
        if let Some(k) = &self.encryption_key {
            map.push((Item::Int(8), compressed_cose_key(k)));
        }
        if let Some(t) = self.grant_until {
            map.push((Item::Int(9), time_item(t)));
        }
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .value(LABEL_X5CHAIN, Value::Bytes(self.certificate.der().to_vec()))
            .build();
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(claims::encode(&Item::Map(map)))
            .create_signature(b"", |tbs| key.sign(tbs).to_vec())
            .build();
        let bytes = sign1
            .to_vec()
            .map_err(|e| SignedRequestError::Malformed(e.to_string()))?;
        Ok(format!("{SIGNED_REQUEST_PREFIX}{}", base45::encode(&bytes)))
    }

    /// Reads a request QR as a wallet must: signed by a relying party whose certificate chains
    /// to `registry`, naming that party, not expired at `now`, well formed.
    pub fn from_text(
        text: &str,
        registry: &TrustList,
        now: OffsetDateTime,
    ) -> Result<Self, SignedRequestError> {
        Self::read(text, Some(registry), now)
    }

    /// Reads a request the verifier made itself (its own record of what it asked, e.g. to
    /// check the answer's nonce): signature and certificate profile checked, the registry not
    /// consulted.
    pub fn from_own_text(text: &str, now: OffsetDateTime) -> Result<Self, SignedRequestError> {
        Self::read(text, None, now)
    }

    fn read(
        text: &str,
        registry: Option<&TrustList>,
        now: OffsetDateTime,
    ) -> Result<Self, SignedRequestError> {
        let text = text.trim_end_matches(['\r', '\n']);
        if text.starts_with(REQUEST_PREFIX) {
            return Err(SignedRequestError::Unsigned);
        }
        let body = text
            .strip_prefix(SIGNED_REQUEST_PREFIX)
            .ok_or(SignedRequestError::Prefix)?;
        if text.len() > MAX_SIGNED_REQUEST_TEXT {
            return Err(SignedRequestError::TooLong(text.len()));
        }
        let bytes = base45::decode(body).map_err(|e| malformed(&format!("not Base45: {e}")))?;
        let value = cbor::decode(&bytes, Limits::NESTED)
            .map_err(|e| malformed(&format!("not CBOR: {e}")))?;
        let sign1 =
            cose::parse_sign1(&value).map_err(|e| malformed(&format!("not COSE_Sign1: {e}")))?;
        if !sign1.unprotected.is_empty() {
            return Err(malformed("the unprotected header must be empty"));
        }
        // The certificate: protected x5chain, exactly one.
        let chain = cose::x5chain(&sign1).map_err(|e| malformed(&e.to_string()))?;
        let [der] = chain.as_slice() else {
            return Err(malformed(
                "x5chain must hold exactly the party's certificate",
            ));
        };
        let certificate = Certificate::from_der(der)
            .map_err(|e| SignedRequestError::NotRelyingParty(e.to_string()))?;
        certificate
            .check_reader_profile()
            .map_err(|e| SignedRequestError::NotRelyingParty(e.to_string()))?;
        let certified = certificate.common_name().unwrap_or_default();
        if let Some(registry) = registry {
            registry
                .issuer_of(&certificate)
                .map_err(|_| SignedRequestError::UnknownParty(certified.clone()))?;
        }
        certificate
            .check_validity(now)
            .map_err(|e| SignedRequestError::CertificateValidity(e.to_string()))?;
        let key = certificate
            .public_key()
            .map_err(|e| SignedRequestError::NotRelyingParty(e.to_string()))?;
        let payload = cose::verify_sign1_attached(&sign1, &key).map_err(|e| match e {
            cose::CoseError::BadSignature => SignedRequestError::BadSignature,
            other => malformed(&other.to_string()),
        })?;
        let parsed = Self::parse_payload(payload, certificate, now)?;
        if parsed.request.verifier != certified {
            return Err(SignedRequestError::PartyMismatch {
                named: parsed.request.verifier,
                certified,
            });
        }
        Ok(parsed)
    }

    fn parse_payload(
        payload: &[u8],
        certificate: Certificate,
        now: OffsetDateTime,
    ) -> Result<Self, SignedRequestError> {
        let item = claims::decode(payload).map_err(|e| malformed(&format!("payload: {e}")))?;
        let Item::Map(m) = &item else {
            return Err(malformed("payload is not a map"));
        };
        if m.iter().any(|(k, _)| !matches!(k.int(), Some(1..=9))) {
            return Err(malformed("payload has a key other than 1–9"));
        }
        let get = |k: i128| item.get(&Item::Int(k));
        let need = |k: i128, what: &str| get(k).ok_or_else(|| malformed(&format!("no {what}")));
        let verifier = match need(1, "party id")? {
            Item::Text(t) if !t.is_empty() && t.len() <= 200 => t.clone(),
            _ => return Err(malformed("party id is not text of 1–200 bytes")),
        };
        let kind = need(2, "document")?
            .int()
            .and_then(profile::kind_of_code)
            .ok_or_else(|| malformed("unknown document code"))?;
        let keys = |k: i128, what: &str| -> Result<Vec<String>, SignedRequestError> {
            match need(k, what)? {
                Item::Array(a) if a.len() <= 32 => {
                    let mut out: Vec<String> = Vec::new();
                    for key in a {
                        let el = key
                            .int()
                            .and_then(|k| profile::element_by_key(kind, k))
                            .ok_or_else(|| malformed(&format!("unknown element key in {what}")))?;
                        if out.iter().any(|o| o == el.identifier) {
                            return Err(malformed(&format!("an element repeats in {what}")));
                        }
                        out.push(el.identifier.to_owned());
                    }
                    Ok(out)
                }
                _ => Err(malformed(&format!(
                    "{what} is not an array of at most 32 keys"
                ))),
            }
        };
        let elements = keys(3, "elements")?;
        if elements.is_empty() {
            return Err(SignedRequestError::NothingRequested);
        }
        let retain = keys(6, "retained elements")?;
        if let Some(r) = retain.iter().find(|r| !elements.contains(r)) {
            return Err(malformed(&format!(
                "retains {r:?}, which it does not request"
            )));
        }
        let nonce = match need(4, "nonce")? {
            Item::Bytes(b) if b.len() == NONCE_BYTES => b.clone(),
            _ => return Err(malformed("nonce is not 16 bytes")),
        };
        let expires =
            time_of(need(5, "expiry")?).ok_or_else(|| malformed("expiry is not a time"))?;
        if now > expires {
            return Err(SignedRequestError::Expired(crate::time_fmt::tdate(expires)));
        }
        let purpose = match need(7, "purpose")? {
            Item::Text(t)
                if !t.trim().is_empty()
                    && t.chars().count() <= MAX_PURPOSE_CHARS
                    && !t.chars().any(char::is_control) =>
            {
                t.clone()
            }
            _ => {
                return Err(malformed("purpose is not 1–200 printable characters"));
            }
        };
        let encryption_key = get(8)
            .map(|k| {
                public_key_from_cose(k)
                    .ok_or_else(|| malformed("encryption key is not a P-256 COSE_Key"))
            })
            .transpose()?;
        let grant_until = get(9)
            .map(|t| time_of(t).ok_or_else(|| malformed("grant end is not a time")))
            .transpose()?;
        if grant_until.is_some_and(|g| g <= now) {
            return Err(malformed(
                "standing consent asked until a time already past",
            ));
        }
        Ok(Self {
            request: QrRequest {
                verifier,
                kind,
                elements,
                nonce,
                expires,
            },
            retain,
            purpose,
            encryption_key,
            grant_until,
            certificate,
        })
    }

    /// A fresh request from a relying party: random nonce, valid for `ttl`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        certificate: Certificate,
        kind: DocumentKind,
        elements: &[&str],
        retain: &[&str],
        purpose: &str,
        now: OffsetDateTime,
        ttl: time::Duration,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, SignedRequestError> {
        let party = certificate
            .common_name()
            .ok_or_else(|| SignedRequestError::NotRelyingParty("no common name".into()))?;
        let request = QrRequest::new(&party, kind, elements, now, ttl, rng)?;
        for r in retain {
            if !elements.contains(r) {
                return Err(malformed(&format!(
                    "retains {r:?}, which it does not request"
                )));
            }
        }
        Ok(Self {
            request,
            retain: retain.iter().map(|r| (*r).to_owned()).collect(),
            purpose: purpose.to_owned(),
            encryption_key: None,
            grant_until: None,
            certificate,
        })
    }
}
