//! The signed lists a verifier and a wallet keep for offline use, as the identity service
//! publishes them: the trust list (the IACA and Document Signer certificates in force) and
//! revocation status lists (the IETF Token Status List in its CWT form: one bit per issued
//! document, ZLIB-compressed). Both are COSE_Sign1 (ES256) by a Document Signer whose
//! certificate, in `x5chain`, chains to an IACA the reader already trusts; a `typ` header names
//! which list it is, so neither can pass for the other or for an MSO.
//!
//! A list is not refused for its age: an offline counter keeps using the last one it has and
//! shows how old it is ([`ListAge`]). A list older than the one already held is refused by
//! [`is_newer`] callers, so a replayed old list cannot un-revoke a document.

use std::io::Read;

use ciborium::value::Value;
use coset::{CoseSign1Builder, HeaderBuilder, iana};
use time::{Duration, OffsetDateTime};

use crate::cbor::{self, CborError, Limits};
use crate::cose::{self, CoseError, LABEL_X5CHAIN};
use crate::issuance::Issuer;
use crate::trust::{StatusList, TrustList};
use crate::x509::{Certificate, CertificateError};

/// HTTP media type of the signed trust list.
pub const TRUST_LIST_MEDIA_TYPE: &str = "application/cose";
/// HTTP media type of a signed status list (IETF Token Status List, CWT form).
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+cwt";
/// The `typ` header (label 16) of the trust list.
pub const TRUST_LIST_TYP: &str = "application/vnd.cancuoc.trustlist+cwt";
/// The `typ` header of a status list, as the IETF draft names it.
pub const STATUS_LIST_TYP: &str = "application/statuslist+cwt";
/// Largest signed list accepted, in bytes.
pub const MAX_LIST_BYTES: usize = 1024 * 1024;
/// Largest decompressed status list accepted: 16 MiB, 134 million documents.
pub const MAX_STATUS_LIST_BYTES: usize = 16 * 1024 * 1024;
/// Most certificates in a trust list.
pub const MAX_TRUST_LIST_CERTIFICATES: usize = 256;
/// Tolerated clock difference between the service and the reader.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

const LABEL_TYP: i64 = 16;
// CWT claim keys (RFC 8392) and the status list claims of draft-ietf-oauth-status-list.
const CLAIM_SUB: i64 = 2;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_TTL: i64 = 65534;
const CLAIM_STATUS_LIST: i64 = 65533;

/// Why a list was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ListError {
    #[error("the list is {0} bytes, more than {MAX_LIST_BYTES}")]
    TooLarge(usize),
    #[error("the list is not CBOR: {0}")]
    Cbor(#[from] CborError),
    #[error("the list is not a signed COSE structure: {0}")]
    Cose(#[from] CoseError),
    #[error("this is not a {expected} (its type is {found:?})")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("malformed list: {0}")]
    Malformed(String),
    #[error("the list's signer is not trusted: {0}")]
    Untrusted(CertificateError),
    #[error("the list is dated {0}, in the future")]
    FromTheFuture(String),
    #[error("the status list does not decompress: {0}")]
    Compression(String),
    #[error("could not sign the list: {0}")]
    Sign(String),
}

impl ListError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::Cbor(_) | Self::Cose(CoseError::NotSign1(_)) => "malformed",
            Self::Cose(CoseError::BadSignature) => "bad_signature",
            Self::Cose(_) => "malformed",
            Self::WrongType { .. } => "wrong_type",
            Self::Malformed(_) => "malformed",
            Self::Untrusted(_) => "untrusted_signer",
            Self::FromTheFuture(_) => "from_the_future",
            Self::Compression(_) => "malformed",
            Self::Sign(_) => "sign",
        }
    }
}

/// What a trust list says: the certificates verifiers should trust, as of `issued_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustListContent {
    /// Grows with every new list; a reader keeps the highest it has seen.
    pub sequence: u64,
    pub issued_at: OffsetDateTime,
    /// When the service will publish the next one (readers warn after it).
    pub next_update: OffsetDateTime,
    /// IACA roots and Document Signer certificates.
    pub certificates: Vec<Certificate>,
}

impl TrustListContent {
    /// The trust list to verify documents with: `anchors`, every IACA listed here, and every
    /// listed Document Signer that one of those IACAs issued (a QR credential names its signer
    /// only by key id, so the signer must be known beforehand).
    pub fn trust_list(&self, anchors: &TrustList) -> TrustList {
        let mut roots = anchors.roots().to_vec();
        for c in &self.certificates {
            if c.check_iaca_profile().is_ok() && !roots.iter().any(|r| r.der() == c.der()) {
                roots.push(c.clone());
            }
        }
        let Ok(with_iacas) = TrustList::new(roots.clone()) else {
            return anchors.clone();
        };
        for c in &self.certificates {
            if c.check_document_signer_profile().is_ok()
                && with_iacas.issuer_of(c).is_ok()
                && !roots.iter().any(|r| r.der() == c.der())
            {
                roots.push(c.clone());
            }
        }
        TrustList::new(roots).unwrap_or(with_iacas)
    }
}

/// What a status list says, as of `issued_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListContent {
    /// The bits, under the URI the MSOs' status references name.
    pub list: StatusList,
    pub issued_at: OffsetDateTime,
    /// After this the list is stale: readers warn and fetch a new one.
    pub expires: OffsetDateTime,
}

/// How old a list is, for the warning a counter or an app shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListAge {
    pub issued_at: OffsetDateTime,
    pub age: Duration,
    /// Past its `next_update` / `exp`.
    pub stale: bool,
}

impl ListAge {
    pub fn of(issued_at: OffsetDateTime, fresh_until: OffsetDateTime, now: OffsetDateTime) -> Self {
        Self {
            issued_at,
            age: (now - issued_at).max(Duration::ZERO),
            stale: now > fresh_until,
        }
    }
}

fn unix(t: OffsetDateTime) -> Value {
    Value::Integer(t.unix_timestamp().into())
}

fn time_of(v: Option<&Value>, what: &str) -> Result<OffsetDateTime, ListError> {
    v.and_then(cbor::as_i64)
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| ListError::Malformed(format!("{what} is not a time")))
}

fn sign(payload: Vec<u8>, typ: &str, signer: &Issuer) -> Result<Vec<u8>, ListError> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .value(LABEL_TYP, Value::Text(typ.to_owned()))
        .build();
    let unprotected = HeaderBuilder::new()
        .value(
            LABEL_X5CHAIN,
            Value::Bytes(signer.certificate().der().to_vec()),
        )
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(payload)
        .create_signature(b"", |tbs| signer.key().sign(tbs).to_vec())
        .build();
    let tagged = Value::Tag(18, Box::new(cose::to_value(&sign1)));
    cbor::encode(&tagged).map_err(|e| ListError::Sign(e.to_string()))
}

/// Checks the envelope: size, COSE_Sign1, `typ`, a Document Signer chaining to `anchors` and
/// valid when the list says it was made, and the signature. Returns the payload's map.
fn open(
    bytes: &[u8],
    typ: &'static str,
    anchors: &TrustList,
) -> Result<(Vec<(Value, Value)>, Certificate), ListError> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(ListError::TooLarge(bytes.len()));
    }
    let value = cbor::decode(
        bytes,
        Limits {
            max_bytes: MAX_LIST_BYTES,
            max_depth: 8,
        },
    )?;
    let sign1 = cose::parse_sign1(&value)?;
    let found = sign1
        .protected
        .header
        .rest
        .iter()
        .find(|(l, _)| *l == coset::Label::Int(LABEL_TYP))
        .map(|(_, v)| match v {
            Value::Text(t) => t.clone(),
            _ => "(not text)".to_owned(),
        })
        .unwrap_or_else(|| "(none)".to_owned());
    if found != typ {
        return Err(ListError::WrongType {
            expected: typ,
            found,
        });
    }
    let chain = cose::x5chain(&sign1)?;
    let leaf_der = chain.first().ok_or(CoseError::NoX5Chain)?;
    let signer = Certificate::from_der(leaf_der).map_err(ListError::Untrusted)?;
    signer
        .check_document_signer_profile()
        .map_err(ListError::Untrusted)?;
    anchors.issuer_of(&signer).map_err(ListError::Untrusted)?;
    let key = signer.public_key().map_err(ListError::Untrusted)?;
    let payload = cose::verify_sign1_attached(&sign1, &key)?;
    let claims = cbor::decode(payload, Limits::NESTED)?;
    match claims {
        Value::Map(m) => Ok((m, signer)),
        _ => Err(ListError::Malformed("the payload is not a map".into())),
    }
}

fn check_dates(
    signer: &Certificate,
    issued_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), ListError> {
    if issued_at > now + CLOCK_SKEW {
        return Err(ListError::FromTheFuture(crate::time_fmt::tdate(issued_at)));
    }
    signer
        .check_validity(issued_at)
        .map_err(ListError::Untrusted)
}

/// Signs a trust list with a Document Signer of the service's IACA.
pub fn sign_trust_list(content: &TrustListContent, signer: &Issuer) -> Result<Vec<u8>, ListError> {
    let certificates = content
        .certificates
        .iter()
        .map(|c| Value::Bytes(c.der().to_vec()))
        .collect();
    let claims = Value::Map(vec![
        cbor::entry("sequence", Value::Integer(content.sequence.into())),
        cbor::entry("issued_at", unix(content.issued_at)),
        cbor::entry("next_update", unix(content.next_update)),
        cbor::entry("certificates", Value::Array(certificates)),
    ]);
    let payload = cbor::encode(&claims).map_err(|e| ListError::Sign(e.to_string()))?;
    sign(payload, TRUST_LIST_TYP, signer)
}

/// Reads and checks a signed trust list against the anchors the reader was provisioned with.
pub fn verify_trust_list(
    bytes: &[u8],
    anchors: &TrustList,
    now: OffsetDateTime,
) -> Result<TrustListContent, ListError> {
    let (claims, signer) = open(bytes, TRUST_LIST_TYP, anchors)?;
    let sequence = cbor::map_get(&claims, "sequence")
        .and_then(cbor::as_u64)
        .ok_or_else(|| ListError::Malformed("sequence is not a number".into()))?;
    let issued_at = time_of(cbor::map_get(&claims, "issued_at"), "issued_at")?;
    let next_update = time_of(cbor::map_get(&claims, "next_update"), "next_update")?;
    check_dates(&signer, issued_at, now)?;
    let Some(Value::Array(items)) = cbor::map_get(&claims, "certificates") else {
        return Err(ListError::Malformed("certificates is not an array".into()));
    };
    if items.len() > MAX_TRUST_LIST_CERTIFICATES {
        return Err(ListError::Malformed(format!(
            "{} certificates, more than {MAX_TRUST_LIST_CERTIFICATES}",
            items.len()
        )));
    }
    let certificates = items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Bytes(der) => Certificate::from_der(der)
                .map_err(|e| ListError::Malformed(format!("certificate {i}: {e}"))),
            _ => Err(ListError::Malformed(format!(
                "certificate {i} is not a byte string"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TrustListContent {
        sequence,
        issued_at,
        next_update,
        certificates,
    })
}

/// Signs a status list (IETF Token Status List, CWT form, one bit per document).
pub fn sign_status_list(
    content: &StatusListContent,
    signer: &Issuer,
) -> Result<Vec<u8>, ListError> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, content.list.bytes())
        .map_err(|e| ListError::Sign(e.to_string()))?;
    let lst = z.finish().map_err(|e| ListError::Sign(e.to_string()))?;
    let ttl = (content.expires - content.issued_at).whole_seconds().max(0);
    let claims = Value::Map(vec![
        (
            Value::Integer(CLAIM_SUB.into()),
            Value::Text(content.list.uri.clone()),
        ),
        (Value::Integer(CLAIM_IAT.into()), unix(content.issued_at)),
        (Value::Integer(CLAIM_EXP.into()), unix(content.expires)),
        (Value::Integer(CLAIM_TTL.into()), Value::Integer(ttl.into())),
        (
            Value::Integer(CLAIM_STATUS_LIST.into()),
            Value::Map(vec![
                cbor::entry("bits", Value::Integer(1.into())),
                cbor::entry("lst", Value::Bytes(lst)),
            ]),
        ),
    ]);
    let payload = cbor::encode(&claims).map_err(|e| ListError::Sign(e.to_string()))?;
    sign(payload, STATUS_LIST_TYP, signer)
}

/// Reads and checks a signed status list.
pub fn verify_status_list(
    bytes: &[u8],
    anchors: &TrustList,
    now: OffsetDateTime,
) -> Result<StatusListContent, ListError> {
    let (claims, signer) = open(bytes, STATUS_LIST_TYP, anchors)?;
    let uri = match cbor::map_get_int(&claims, CLAIM_SUB) {
        Some(Value::Text(t)) if !t.is_empty() && t.len() <= 512 => t.clone(),
        _ => {
            return Err(ListError::Malformed(
                "sub (the list's URI) is missing".into(),
            ));
        }
    };
    let issued_at = time_of(cbor::map_get_int(&claims, CLAIM_IAT), "iat")?;
    let expires = time_of(cbor::map_get_int(&claims, CLAIM_EXP), "exp")?;
    check_dates(&signer, issued_at, now)?;
    let Some(Value::Map(status)) = cbor::map_get_int(&claims, CLAIM_STATUS_LIST) else {
        return Err(ListError::Malformed("status_list is missing".into()));
    };
    if cbor::map_get(status, "bits").and_then(cbor::as_u64) != Some(1) {
        return Err(ListError::Malformed(
            "only one bit per document (bits = 1) is understood".into(),
        ));
    }
    let Some(Value::Bytes(lst)) = cbor::map_get(status, "lst") else {
        return Err(ListError::Malformed("lst is not a byte string".into()));
    };
    let mut bits = Vec::new();
    let limit = u64::try_from(MAX_STATUS_LIST_BYTES).unwrap_or(u64::MAX);
    flate2::read::ZlibDecoder::new(lst.as_slice())
        .take(limit + 1)
        .read_to_end(&mut bits)
        .map_err(|e| ListError::Compression(e.to_string()))?;
    if bits.len() > MAX_STATUS_LIST_BYTES {
        return Err(ListError::Compression(format!(
            "more than {MAX_STATUS_LIST_BYTES} bytes once decompressed"
        )));
    }
    Ok(StatusListContent {
        list: StatusList::new(uri, bits),
        issued_at,
        expires,
    })
}

/// True when `candidate` may replace `held`: a later trust list by sequence number.
pub fn is_newer_trust_list(candidate: &TrustListContent, held: Option<&TrustListContent>) -> bool {
    held.is_none_or(|h| candidate.sequence > h.sequence)
}

/// True when `candidate` may replace `held`: another list, or the same list (URI) issued no
/// earlier. Times are whole seconds, so a revocation in the same second as the held list gives
/// a list with the same time; bits are only ever set, so accepting it loses nothing.
pub fn is_newer_status_list(
    candidate: &StatusListContent,
    held: Option<&StatusListContent>,
) -> bool {
    held.is_none_or(|h| candidate.list.uri != h.list.uri || candidate.issued_at >= h.issued_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{DemoWorld, STATUS_URI};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    fn world() -> DemoWorld {
        DemoWorld::build(7, NOW).unwrap()
    }

    fn anchors(w: &DemoWorld) -> TrustList {
        TrustList::new(vec![w.authority.certificate().clone()]).unwrap()
    }

    fn status(w: &DemoWorld, revoked: &[u64]) -> Vec<u8> {
        let mut list = StatusList::with_capacity(STATUS_URI, 1 << 17);
        for i in revoked {
            list.revoke(*i);
        }
        sign_status_list(
            &StatusListContent {
                list,
                issued_at: NOW,
                expires: NOW + Duration::hours(24),
            },
            &w.issuer,
        )
        .unwrap()
    }

    #[test]
    fn a_status_list_round_trips_and_stays_small() {
        let w = world();
        let bytes = status(&w, &[3, 70_000]);
        // 131,072 documents, two revoked: the ZLIB'd bits are a few hundred bytes.
        assert!(bytes.len() < 1500, "{} bytes", bytes.len());
        let read = verify_status_list(&bytes, &anchors(&w), NOW).unwrap();
        assert_eq!(read.list.uri, STATUS_URI);
        assert_eq!(read.list.entries(), 1 << 17);
        assert_eq!(read.list.is_revoked(3), Some(true));
        assert_eq!(read.list.is_revoked(70_000), Some(true));
        assert_eq!(read.list.is_revoked(4), Some(false));
        assert_eq!(read.expires, NOW + Duration::hours(24));
    }

    #[test]
    fn a_trust_list_round_trips_and_extends_the_anchors() {
        let w = world();
        let other = DemoWorld::build(8, NOW).unwrap();
        let content = TrustListContent {
            sequence: 4,
            issued_at: NOW,
            next_update: NOW + Duration::days(1),
            certificates: vec![
                w.authority.certificate().clone(),
                w.issuer.certificate().clone(),
                other.authority.certificate().clone(),
            ],
        };
        let bytes = sign_trust_list(&content, &w.issuer).unwrap();
        let read = verify_trust_list(&bytes, &anchors(&w), NOW).unwrap();
        assert_eq!(read, content);
        let trust = read.trust_list(&anchors(&w));
        assert!(trust.issuer_of(other.issuer.certificate()).is_ok());
        assert!(anchors(&w).issuer_of(other.issuer.certificate()).is_err());
        // Listed signers of a trusted IACA are known by key id (for QR credentials).
        assert!(trust.is_pinned(w.issuer.certificate()));
        assert!(!trust.is_pinned(other.issuer.certificate()));
        assert!(is_newer_trust_list(&read, None));
        assert!(!is_newer_trust_list(&read, Some(&read)));
    }

    #[test]
    fn refuses_another_authority_a_swapped_type_and_tampering() {
        let w = world();
        let other = DemoWorld::build(8, NOW).unwrap();
        let bytes = status(&w, &[1]);
        assert!(matches!(
            verify_status_list(&bytes, &anchors(&other), NOW),
            Err(ListError::Untrusted(_))
        ));
        assert!(matches!(
            verify_trust_list(&bytes, &anchors(&w), NOW),
            Err(ListError::WrongType { .. })
        ));
        // An issued credential (an MSO signed by the same Document Signer) is not a list.
        let mso = w
            .credential(crate::document::DocumentKind::HealthInsurance)
            .unwrap();
        let sign1 = cbor::encode(&cose::to_value(&mso.issuer_signed.issuer_auth)).unwrap();
        assert!(matches!(
            verify_status_list(&sign1, &anchors(&w), NOW),
            Err(ListError::WrongType { .. })
        ));
        // Flip a bit in the signed payload.
        let mut tampered = bytes.clone();
        let at = tampered.len() - 80;
        tampered[at] ^= 1;
        let err = verify_status_list(&tampered, &anchors(&w), NOW).unwrap_err();
        assert!(
            matches!(err.code(), "bad_signature" | "malformed"),
            "{err:?}"
        );
        assert!(matches!(
            verify_status_list(&bytes, &anchors(&w), NOW - Duration::hours(1)),
            Err(ListError::FromTheFuture(_))
        ));
        for junk in [&b""[..], b"\xa0", &[0xff; 10]] {
            assert!(verify_status_list(junk, &anchors(&w), NOW).is_err());
        }
    }

    #[test]
    fn an_older_status_list_does_not_replace_a_newer_one() {
        let w = world();
        let new = verify_status_list(&status(&w, &[5]), &anchors(&w), NOW).unwrap();
        let mut old = new.clone();
        old.issued_at = NOW - Duration::hours(1);
        assert!(!is_newer_status_list(&old, Some(&new)));
        assert!(is_newer_status_list(&new, Some(&old)));
        assert!(is_newer_status_list(&new, Some(&new)));
        let age = ListAge::of(new.issued_at, new.expires, NOW + Duration::hours(25));
        assert!(age.stale);
        assert_eq!(age.age, Duration::hours(25));
    }
}
