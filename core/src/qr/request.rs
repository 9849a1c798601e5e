//! The verifier's request QR (challenge mode): who asks, for which document and elements, with
//! a fresh nonce. `CR1:` + Base45 of a strict CBOR map
//! `{1: verifier id, 2: document code, 3: [element keys], 4: nonce (16 bytes), 5: expiry}`.

use rand_core::CryptoRng;
use time::OffsetDateTime;

use super::base45::{self, Base45Error};
use super::claims::{self, Item, StrictCborError};
use super::profile::{self, REQUEST_PREFIX};
use crate::document::DocumentKind;

/// Bytes of a request nonce.
pub const NONCE_BYTES: usize = 16;

/// A verifier's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrRequest {
    /// The verifier's identity (its relying-party identifier); the presentation's audience.
    pub verifier: String,
    pub kind: DocumentKind,
    /// Selectively disclosable elements asked for, by identifier.
    pub elements: Vec<String>,
    pub nonce: Vec<u8>,
    pub expires: OffsetDateTime,
}

/// Why text is not a request QR.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RequestError {
    #[error("not a request QR: it must start with {REQUEST_PREFIX}")]
    Prefix,
    #[error("not Base45: {0}")]
    Base45(#[from] Base45Error),
    #[error("not strict CBOR: {0}")]
    Cbor(#[from] StrictCborError),
    #[error("malformed request: {0}")]
    Structure(&'static str),
    #[error("unknown element {0:?} for this document")]
    UnknownElement(String),
    #[error("the request expired at {0}")]
    Expired(String),
}

impl QrRequest {
    /// A new request with a random nonce, valid for `ttl`.
    pub fn new(
        verifier: &str,
        kind: DocumentKind,
        elements: &[&str],
        now: OffsetDateTime,
        ttl: time::Duration,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, RequestError> {
        for e in elements {
            profile::element_by_id(kind, e)
                .ok_or_else(|| RequestError::UnknownElement((*e).to_owned()))?;
        }
        let mut nonce = vec![0u8; NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        Ok(Self {
            verifier: verifier.to_owned(),
            kind,
            elements: elements.iter().map(|e| (*e).to_owned()).collect(),
            nonce,
            expires: crate::time_fmt::whole_seconds(now + ttl),
        })
    }

    pub fn to_text(&self) -> String {
        let keys = self
            .elements
            .iter()
            .filter_map(|e| profile::element_by_id(self.kind, e))
            .map(|e| Item::Int(e.key))
            .collect();
        let item = Item::Map(vec![
            (Item::Int(1), Item::Text(self.verifier.clone())),
            (Item::Int(2), Item::Int(profile::doc_code(self.kind))),
            (Item::Int(3), Item::Array(keys)),
            (Item::Int(4), Item::Bytes(self.nonce.clone())),
            (
                Item::Int(5),
                Item::Int(i128::from(self.expires.unix_timestamp())),
            ),
        ]);
        format!("{REQUEST_PREFIX}{}", base45::encode(&claims::encode(&item)))
    }

    /// Parses a request QR strictly; `now` refuses an expired one.
    pub fn from_text(text: &str, now: OffsetDateTime) -> Result<Self, RequestError> {
        let body = text
            .strip_prefix(REQUEST_PREFIX)
            .ok_or(RequestError::Prefix)?;
        if body.len() > 2000 {
            return Err(RequestError::Structure("too long"));
        }
        let item = claims::decode(&base45::decode(body)?)?;
        let Item::Map(m) = &item else {
            return Err(RequestError::Structure("not a map"));
        };
        if m.len() != 5 {
            return Err(RequestError::Structure("expected exactly keys 1–5"));
        }
        let get = |k| {
            item.get(&Item::Int(k))
                .ok_or(RequestError::Structure("missing key"))
        };
        let verifier = match get(1)? {
            Item::Text(t) if !t.is_empty() && t.len() <= 200 => t.clone(),
            _ => {
                return Err(RequestError::Structure(
                    "verifier is not text of 1–200 bytes",
                ));
            }
        };
        let kind = get(2)?
            .int()
            .and_then(profile::kind_of_code)
            .ok_or(RequestError::Structure("unknown document code"))?;
        let elements = match get(3)? {
            Item::Array(a) if a.len() <= 32 => a
                .iter()
                .map(|k| {
                    k.int()
                        .and_then(|k| profile::element_by_key(kind, k))
                        .map(|e| e.identifier.to_owned())
                        .ok_or(RequestError::Structure("unknown element key"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(RequestError::Structure(
                    "elements is not an array of at most 32 keys",
                ));
            }
        };
        let nonce = match get(4)? {
            Item::Bytes(b) if b.len() == NONCE_BYTES => b.clone(),
            _ => return Err(RequestError::Structure("nonce is not 16 bytes")),
        };
        let expires = get(5)?
            .int()
            .and_then(|t| i64::try_from(t).ok())
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .ok_or(RequestError::Structure("expiry is not a time"))?;
        if now > expires {
            return Err(RequestError::Expired(crate::time_fmt::tdate(expires)));
        }
        Ok(Self {
            verifier,
            kind,
            elements,
            nonce,
            expires,
        })
    }
}
