//! Consent: what the citizen is asked ([`ConsentPrompt`]) and what they answer ([`Approval`]);
//! and standing consent — a [`ConsentGrant`] the wallet signs with the device key (grant id,
//! party, document, elements, purpose, issued, expires) for a relying party to show the
//! identity service, and the [`GrantRevocation`] that withdraws it. Checking a grant is the
//! verifier's job ([`crate::verifier::grant`]).
//!
//! Wire forms (Base45 text, so they travel as QR codes or in JSON):
//! - grant `CG1:` + COSE_Sign1 (ES256, protected `{1: -7}`), payload strict CBOR
//!   `{1: grant id (16 bytes), 2: party id, 3: document code, 4: [element keys], 5: purpose,
//!     6: issued, 7: expires, 8: subject (the citizen's account name), 9: device COSE_Key}`;
//! - revocation `CV1:` + COSE_Sign1 by the same key, payload `{1: grant id, 2: revoked at}`.

use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use time::OffsetDateTime;

use crate::cbor::{self, Limits};
use crate::cose;
use crate::document::DocumentKind;
use crate::keys::PublicKey;
use crate::presentation::{DeviceSigner, SignError};
use crate::qr::base45;
use crate::qr::claims::{self, Item};
use crate::qr::profile;
use crate::qr::sd_cwt::{compressed_cose_key, public_key_from_cose};

/// Prefix of a consent grant.
pub const GRANT_PREFIX: &str = "CG1:";
/// Prefix of a grant revocation.
pub const REVOCATION_PREFIX: &str = "CV1:";
/// Bytes of a grant id.
pub const GRANT_ID_BYTES: usize = 16;
/// Longest grant or revocation text accepted.
pub const MAX_GRANT_TEXT: usize = 4096;

/// One element as the consent screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptElement {
    pub identifier: String,
    pub label_vi: String,
    pub label_en: String,
    /// The party says it will keep this element.
    pub retain: bool,
    /// The wallet's credential holds it (an element it lacks cannot be shared).
    pub available: bool,
}

/// What the citizen sees before anything is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentPrompt {
    /// Answer with this id.
    pub id: String,
    /// The party's registered id (its certificate's common name).
    pub party_id: String,
    /// The organisation named in its certificate, if any.
    pub party_organization: Option<String>,
    /// Who certified it (the registry's CA).
    pub party_certified_by: String,
    pub document: DocumentKind,
    /// The wallet document that would answer.
    pub document_id: String,
    /// Whose document: the citizen's own, or a dependent child's name.
    pub holder_name: String,
    pub elements: Vec<PromptElement>,
    pub purpose: String,
    pub request_expires: OffsetDateTime,
    /// The answer will be encrypted to the party.
    pub encrypted: bool,
    /// Standing consent asked until this time (a grant), or a one-off presentation.
    pub standing_until: Option<OffsetDateTime>,
}

/// The citizen's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Everything asked for (that the wallet holds).
    All,
    /// Only these element identifiers (a subset of what was asked).
    Some(Vec<String>),
    /// Nothing: the request is declined and the refusal logged.
    Decline,
}

/// A signed standing consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGrant {
    pub id: [u8; GRANT_ID_BYTES],
    pub party: String,
    pub document: DocumentKind,
    pub elements: Vec<String>,
    pub purpose: String,
    pub issued: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// The citizen's account name (personal identification number).
    pub subject: String,
    /// The device key that signed it.
    pub device_key: PublicKey,
}

/// A signed withdrawal of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRevocation {
    pub grant_id: [u8; GRANT_ID_BYTES],
    pub revoked_at: OffsetDateTime,
}

/// Why a grant or revocation text could not be read or made.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GrantFormatError {
    #[error("not a consent grant: it must start with {0}")]
    Prefix(&'static str),
    #[error("the text is longer than {MAX_GRANT_TEXT} characters")]
    TooLong,
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error(transparent)]
    Sign(#[from] SignError),
}

fn malformed(what: &str) -> GrantFormatError {
    GrantFormatError::Malformed(what.to_owned())
}

fn time_item(t: OffsetDateTime) -> Item {
    Item::Int(i128::from(t.unix_timestamp()))
}

fn time_of(item: Option<&Item>, what: &str) -> Result<OffsetDateTime, GrantFormatError> {
    item.and_then(Item::int)
        .and_then(|t| i64::try_from(t).ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or_else(|| malformed(&format!("{what} is not a time")))
}

fn grant_id(item: Option<&Item>) -> Result<[u8; GRANT_ID_BYTES], GrantFormatError> {
    match item {
        Some(Item::Bytes(b)) => b
            .as_slice()
            .try_into()
            .map_err(|_| malformed("grant id is not 16 bytes")),
        _ => Err(malformed("no grant id")),
    }
}

fn sign(
    prefix: &str,
    payload: &Item,
    signer: &dyn DeviceSigner,
) -> Result<String, GrantFormatError> {
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .payload(claims::encode(payload))
        .try_create_signature(b"", |tbs| signer.sign_es256(tbs).map(|s| s.to_vec()))?
        .build();
    let bytes = sign1
        .to_vec()
        .map_err(|e| GrantFormatError::Malformed(e.to_string()))?;
    Ok(format!("{prefix}{}", base45::encode(&bytes)))
}

/// Decodes `prefix` + Base45 COSE_Sign1 with an empty unprotected header; returns it and its
/// strict-CBOR payload (the signature is not yet checked).
fn open(text: &str, prefix: &'static str) -> Result<(CoseSign1, Item), GrantFormatError> {
    let text = text.trim();
    let body = text
        .strip_prefix(prefix)
        .ok_or(GrantFormatError::Prefix(prefix))?;
    if text.len() > MAX_GRANT_TEXT {
        return Err(GrantFormatError::TooLong);
    }
    let bytes = base45::decode(body).map_err(|e| malformed(&format!("not Base45: {e}")))?;
    let value =
        cbor::decode(&bytes, Limits::NESTED).map_err(|e| malformed(&format!("not CBOR: {e}")))?;
    let sign1 =
        cose::parse_sign1(&value).map_err(|e| malformed(&format!("not COSE_Sign1: {e}")))?;
    if !sign1.unprotected.is_empty() {
        return Err(malformed("the unprotected header must be empty"));
    }
    let payload = claims::decode(sign1.payload.as_deref().unwrap_or_default())
        .map_err(|e| malformed(&format!("payload: {e}")))?;
    Ok((sign1, payload))
}

fn check_signature(sign1: &CoseSign1, key: &PublicKey) -> Result<(), GrantFormatError> {
    cose::verify_sign1_attached(sign1, key)
        .map(|_| ())
        .map_err(|e| match e {
            cose::CoseError::BadSignature => GrantFormatError::BadSignature,
            other => malformed(&other.to_string()),
        })
}

impl ConsentGrant {
    /// Signs the grant with the device key; the key must be `device_key`.
    pub fn sign(&self, signer: &dyn DeviceSigner) -> Result<String, GrantFormatError> {
        if signer.public_key()? != self.device_key {
            return Err(malformed("the signer is not the grant's device key"));
        }
        let keys = self
            .elements
            .iter()
            .map(|e| {
                profile::element_by_id(self.document, e)
                    .map(|el| Item::Int(el.key))
                    .ok_or_else(|| malformed(&format!("unknown element {e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let payload = Item::Map(vec![
            (Item::Int(1), Item::Bytes(self.id.to_vec())),
            (Item::Int(2), Item::Text(self.party.clone())),
            (Item::Int(3), Item::Int(profile::doc_code(self.document))),
            (Item::Int(4), Item::Array(keys)),
            (Item::Int(5), Item::Text(self.purpose.clone())),
            (Item::Int(6), time_item(self.issued)),
            (Item::Int(7), time_item(self.expires)),
            (Item::Int(8), Item::Text(self.subject.clone())),
            (Item::Int(9), compressed_cose_key(&self.device_key)),
        ]);
        sign(GRANT_PREFIX, &payload, signer)
    }

    /// Reads a grant and checks that its own device key signed it. Whether that key is the
    /// citizen's, and whether the grant still holds, is [`crate::verifier::grant`]'s check.
    pub fn from_text(text: &str) -> Result<Self, GrantFormatError> {
        let (sign1, p) = open(text, GRANT_PREFIX)?;
        let Item::Map(m) = &p else {
            return Err(malformed("payload is not a map"));
        };
        if m.len() != 9 || m.iter().any(|(k, _)| !matches!(k.int(), Some(1..=9))) {
            return Err(malformed("payload must have exactly keys 1–9"));
        }
        let get = |k: i128| p.get(&Item::Int(k));
        let text_of = |k: i128, what: &str| match get(k) {
            Some(Item::Text(t)) if !t.is_empty() && t.chars().count() <= 200 => Ok(t.clone()),
            _ => Err(malformed(&format!(
                "{what} is not text of 1–200 characters"
            ))),
        };
        let document = get(3)
            .and_then(Item::int)
            .and_then(profile::kind_of_code)
            .ok_or_else(|| malformed("unknown document code"))?;
        let elements = match get(4) {
            Some(Item::Array(a)) if !a.is_empty() && a.len() <= 32 => a
                .iter()
                .map(|k| {
                    k.int()
                        .and_then(|k| profile::element_by_key(document, k))
                        .map(|e| e.identifier.to_owned())
                        .ok_or_else(|| malformed("unknown element key"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(malformed("elements is not an array of 1–32 keys")),
        };
        let device_key = get(9)
            .and_then(public_key_from_cose)
            .ok_or_else(|| malformed("device key is not a P-256 COSE_Key"))?;
        let grant = Self {
            id: grant_id(get(1))?,
            party: text_of(2, "party")?,
            document,
            elements,
            purpose: text_of(5, "purpose")?,
            issued: time_of(get(6), "issued")?,
            expires: time_of(get(7), "expires")?,
            subject: text_of(8, "subject")?,
            device_key,
        };
        if grant.expires <= grant.issued {
            return Err(malformed("expires before it is issued"));
        }
        check_signature(&sign1, &grant.device_key)?;
        Ok(grant)
    }

    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }
}

impl GrantRevocation {
    pub fn sign(&self, signer: &dyn DeviceSigner) -> Result<String, GrantFormatError> {
        let payload = Item::Map(vec![
            (Item::Int(1), Item::Bytes(self.grant_id.to_vec())),
            (Item::Int(2), time_item(self.revoked_at)),
        ]);
        sign(REVOCATION_PREFIX, &payload, signer)
    }

    /// Reads a revocation and checks it was signed by `device_key` (the grant's).
    pub fn from_text(text: &str, device_key: &PublicKey) -> Result<Self, GrantFormatError> {
        let (sign1, p) = open(text, REVOCATION_PREFIX)?;
        let Item::Map(m) = &p else {
            return Err(malformed("payload is not a map"));
        };
        if m.len() != 2 {
            return Err(malformed("payload must have exactly keys 1 and 2"));
        }
        let revocation = Self {
            grant_id: grant_id(p.get(&Item::Int(1)))?,
            revoked_at: time_of(p.get(&Item::Int(2)), "revoked at")?,
        };
        check_signature(&sign1, device_key)?;
        Ok(revocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PrivateKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::datetime;

    #[test]
    fn grants_and_revocations_round_trip_and_refuse_changes() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let key = PrivateKey::generate(&mut rng);
        let grant = ConsentGrant {
            id: [7; 16],
            party: "vn.bank.example".into(),
            document: DocumentKind::CitizenIdentity,
            elements: vec!["full_name".into(), "birth_date".into()],
            purpose: "Mở tài khoản".into(),
            issued: datetime!(2026-11-23 08:00:00 UTC),
            expires: datetime!(2027-11-23 08:00:00 UTC),
            subject: "001090001234".into(),
            device_key: key.public_key(),
        };
        let text = grant.sign(&key).unwrap();
        assert_eq!(ConsentGrant::from_text(&text).unwrap(), grant);
        // Signed by another key than the one it names.
        let other = PrivateKey::generate(&mut rng);
        assert!(grant.sign(&other).is_err());
        // Any changed character is refused, never accepted as a different grant.
        for i in GRANT_PREFIX.len()..text.len() {
            let mut b = text.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(b).unwrap();
            if changed != text {
                assert!(ConsentGrant::from_text(&changed).is_err(), "char {i}");
            }
        }
        let rev = GrantRevocation {
            grant_id: grant.id,
            revoked_at: datetime!(2026-12-01 08:00:00 UTC),
        };
        let rtext = rev.sign(&key).unwrap();
        assert_eq!(
            GrantRevocation::from_text(&rtext, &key.public_key()).unwrap(),
            rev
        );
        assert_eq!(
            GrantRevocation::from_text(&rtext, &other.public_key()),
            Err(GrantFormatError::BadSignature)
        );
        assert_eq!(
            ConsentGrant::from_text(&rtext),
            Err(GrantFormatError::Prefix(GRANT_PREFIX))
        );
    }
}
