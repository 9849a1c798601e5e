//! The compact credential of the QR channel: a Selective Disclosure CBOR Web Token
//! (draft-ietf-spice-sd-cwt) issued with the mdoc, and the key-binding token (SD-KBT) the
//! holder signs to present it. docs/qr-profile.md describes the bytes; deviations from the
//! draft are listed there.
//!
//! Issuer: the claims of always-disclosed elements sit in the document map; each selectively
//! disclosable element becomes a salted disclosure `[salt, value, key]` whose SHA-256 is listed
//! under `simple(59)`; all disclosures travel in the unprotected `sd_claims` header.
//! Holder: keeps only the chosen disclosures and wraps the SD-CWT in an SD-KBT (`kcwt`) with
//! audience, time and, in challenge mode, the verifier's nonce, signed by the device key.

use ciborium::value::Value;
use coset::{AsCborValue, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, iana};
use rand_core::CryptoRng;
use time::OffsetDateTime;

use super::base45;
use super::claims::{self, Item};
use super::profile::{self, CLAIM_DOCUMENT, CLAIM_STATUS_INDEX, DOC_TYPE_KEY};
use super::request::QrRequest;
use crate::cbor;
use crate::document::{Document, DocumentKind};
use crate::issuance::{CredentialValidity, IssueError, Issuer};
use crate::keys::PublicKey;
use crate::presentation::{DeviceSigner, PresentationError};
use crate::x509::Certificate;

/// COSE header `kid`.
pub const HEADER_KID: i64 = 4;
/// COSE header `kcwt`: the SD-CWT inside the key-binding token.
pub const HEADER_KCWT: i64 = 13;
/// COSE header `typ` (RFC 9596).
pub const HEADER_TYP: i64 = 16;
/// `typ` of an SD-CWT: CoAP content format 293 (`application/sd-cwt`).
pub const TYP_SD_CWT: i64 = 293;
/// `typ` of an SD-KBT: CoAP content format 294 (`application/kb+cwt`).
pub const TYP_KB_CWT: i64 = 294;
/// SD-CWT unprotected header `sd_claims`: the salted disclosures (omitted when none).
pub const HEADER_SD_CLAIMS: i64 = 17;
/// SD-CWT protected header `sd_alg`: the disclosure hash algorithm; absent means SHA-256.
pub const HEADER_SD_ALG: i64 = 170;
/// `sd_alg` value: SHA-256 (COSE algorithm -16).
pub const SD_ALG_SHA256: i64 = -16;
/// Map key under which the hashes of redacted claims are listed: `simple(59)`.
pub const REDACTED_KEYS: u8 = 59;
pub const CLAIM_AUD: i128 = 3;
pub const CLAIM_EXP: i128 = 4;
pub const CLAIM_NBF: i128 = 5;
pub const CLAIM_IAT: i128 = 6;
pub const CLAIM_CNF: i128 = 8;
pub const CNF_COSE_KEY: i128 = 1;
pub const CLAIM_CNONCE: i128 = 39;
/// Audience of a static-mode presentation (no verifier known in advance).
pub const STATIC_AUDIENCE: &str = "static";
/// Bytes of salt in each disclosure.
pub const SALT_BYTES: usize = 16;
/// Bytes of the issuer key identifier: the start of SHA-256 over the DS certificate.
pub const KID_BYTES: usize = 8;

/// The `kid` a verifier resolves to a Document Signer certificate in its trust list.
pub fn issuer_kid(certificate: &Certificate) -> Vec<u8> {
    let d = ring::digest::digest(&ring::digest::SHA256, certificate.der());
    d.as_ref().get(..KID_BYTES).unwrap_or_default().to_vec()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// The holder's compact credential: an SD-CWT carrying every disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactCredential {
    pub kind: DocumentKind,
    pub sd_cwt: CoseSign1,
}

/// Why bytes are not a compact credential.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CompactCredentialError {
    #[error("decoding: {0}")]
    Decoding(#[from] cbor::CborError),
    #[error("not an SD-CWT: {0}")]
    Structure(String),
}

impl CompactCredential {
    pub fn to_bytes(&self) -> Result<Vec<u8>, cbor::CborError> {
        cbor::encode(&crate::cose::to_value(&self.sd_cwt))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CompactCredentialError> {
        let v = cbor::decode(bytes, cbor::Limits::NESTED)?;
        let sd_cwt = crate::cose::parse_sign1(&v)
            .map_err(|e| CompactCredentialError::Structure(e.to_string()))?;
        let payload = sd_cwt
            .payload
            .as_deref()
            .ok_or(CompactCredentialError::Structure("no payload".into()))?;
        let claims = claims::decode(payload)
            .map_err(|e| CompactCredentialError::Structure(e.to_string()))?;
        let kind = claims
            .get(&Item::Int(CLAIM_DOCUMENT))
            .and_then(|d| d.get(&Item::Int(DOC_TYPE_KEY)))
            .and_then(Item::int)
            .and_then(profile::kind_of_code)
            .ok_or(CompactCredentialError::Structure(
                "no known document type".into(),
            ))?;
        Ok(Self { kind, sd_cwt })
    }

    /// The disclosures, as the encoded bytes and the element key each discloses.
    pub fn disclosures(&self) -> Vec<(Vec<u8>, i128)> {
        sd_claims(&self.sd_cwt)
            .into_iter()
            .filter_map(|d| {
                let key = match claims::decode(&d).ok()? {
                    Item::Array(a) => a.get(2).and_then(Item::int)?,
                    _ => return None,
                };
                Some((d, key))
            })
            .collect()
    }
}

/// An unprotected header with `sd_claims`, or an empty one when there is nothing to disclose
/// (the draft forbids an empty `sd_claims`).
fn sd_claims_header(disclosures: Vec<Vec<u8>>) -> coset::Header {
    if disclosures.is_empty() {
        return coset::Header::default();
    }
    HeaderBuilder::new()
        .value(
            HEADER_SD_CLAIMS,
            Value::Array(disclosures.into_iter().map(Value::Bytes).collect()),
        )
        .build()
}

/// The `sd_claims` of an SD-CWT's unprotected header (empty when absent or malformed).
pub fn sd_claims(sd_cwt: &CoseSign1) -> Vec<Vec<u8>> {
    sd_cwt
        .unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(HEADER_SD_CLAIMS))
        .and_then(|(_, v)| match v {
            Value::Array(a) => a
                .iter()
                .map(|d| match d {
                    Value::Bytes(b) => Some(b.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        })
        .unwrap_or_default()
}

fn timestamp(t: OffsetDateTime) -> Item {
    Item::Int(i128::from(t.unix_timestamp()))
}

impl Issuer {
    /// Issues the compact credential of `document` to `device_key`, alongside its mdoc (same
    /// validity, same status index, same Document Signer).
    pub fn issue_compact(
        &self,
        document: &Document,
        device_key: &PublicKey,
        validity: CredentialValidity,
        status_index: Option<u64>,
        now: OffsetDateTime,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<CompactCredential, IssueError> {
        document.validate()?;
        if validity.valid_until <= validity.valid_from {
            return Err(IssueError::EmptyValidity);
        }
        let kind = document.kind();
        let values: Vec<(&str, &str, crate::mdoc::element::ElementValue)> = document
            .elements()
            .into_iter()
            .flat_map(|(ns, items)| items.into_iter().map(move |(id, v)| (ns, id, v)))
            .collect();
        let mut doc_map = vec![(Item::Int(DOC_TYPE_KEY), Item::Int(profile::doc_code(kind)))];
        let mut hashes: Vec<Vec<u8>> = Vec::new();
        let mut disclosures: Vec<Vec<u8>> = Vec::new();
        for el in profile::elements(kind) {
            let Some((_, _, value)) = values
                .iter()
                .find(|(ns, id, _)| *ns == el.namespace && *id == el.identifier)
            else {
                continue;
            };
            let item = profile::to_item(value);
            if el.always {
                doc_map.push((Item::Int(el.key), item));
            } else {
                let mut salt = vec![0u8; SALT_BYTES];
                rng.fill_bytes(&mut salt);
                let disclosure = claims::encode(&Item::Array(vec![
                    Item::Bytes(salt),
                    item,
                    Item::Int(el.key),
                ]));
                hashes.push(sha256(&disclosure));
                disclosures.push(disclosure);
            }
        }
        // Sorted hashes reveal nothing about which element each one stands for.
        hashes.sort();
        doc_map.push((
            Item::Simple(REDACTED_KEYS),
            Item::Array(hashes.into_iter().map(Item::Bytes).collect()),
        ));
        let mut payload = vec![
            (Item::Int(CLAIM_EXP), timestamp(validity.valid_until)),
            (Item::Int(CLAIM_NBF), timestamp(validity.valid_from)),
            (Item::Int(CLAIM_IAT), timestamp(now)),
            (
                Item::Int(CLAIM_CNF),
                Item::Map(vec![(
                    Item::Int(CNF_COSE_KEY),
                    compressed_cose_key(device_key),
                )]),
            ),
            (Item::Int(CLAIM_DOCUMENT), Item::Map(doc_map)),
        ];
        if let Some(i) = status_index {
            payload.push((Item::Int(CLAIM_STATUS_INDEX), Item::Int(i128::from(i))));
        }
        // sd_alg is left out: SHA-256 is the draft's default.
        let mut protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .value(HEADER_TYP, Value::Integer(TYP_SD_CWT.into()))
            .build();
        protected.key_id = issuer_kid(self.certificate());
        let unprotected = sd_claims_header(disclosures);
        let key = self.key();
        let sd_cwt = CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .payload(claims::encode(&Item::Map(payload)))
            .create_signature(b"", |tbs| key.sign(tbs).to_vec())
            .build();
        Ok(CompactCredential { kind, sd_cwt })
    }
}

/// COSE_Key with a compressed point: {1: 2, -1: 1, -2: x, -3: sign of y} (RFC 9053 §7.1.1).
pub fn compressed_cose_key(key: &PublicKey) -> Item {
    let point = key.sec1();
    let x = point.get(1..33).unwrap_or_default().to_vec();
    let y_odd = point.last().is_some_and(|b| b & 1 == 1);
    Item::Map(vec![
        (Item::Int(1), Item::Int(2)),
        (Item::Int(-1), Item::Int(1)),
        (Item::Int(-2), Item::Bytes(x)),
        (Item::Int(-3), Item::Bool(y_odd)),
    ])
}

/// Reads a compressed or uncompressed EC2 P-256 COSE_Key.
pub fn public_key_from_cose(item: &Item) -> Option<PublicKey> {
    if item.get(&Item::Int(1))?.int()? != 2 || item.get(&Item::Int(-1))?.int()? != 1 {
        return None;
    }
    let x = match item.get(&Item::Int(-2))? {
        Item::Bytes(x) if x.len() == 32 => x,
        _ => return None,
    };
    let mut point = Vec::with_capacity(65);
    match item.get(&Item::Int(-3))? {
        Item::Bool(odd) => point.push(if *odd { 0x03 } else { 0x02 }),
        Item::Bytes(y) if y.len() == 32 => point.push(0x04),
        _ => return None,
    }
    point.extend_from_slice(x);
    if let Item::Bytes(y) = item.get(&Item::Int(-3))? {
        point.extend_from_slice(y);
    }
    PublicKey::from_sec1(&point).ok()
}

/// Builds the QR text of a presentation: the SD-CWT with the disclosures of `elements` (bare
/// identifiers; always-disclosed ones are implied) inside an SD-KBT signed by the device key.
/// Static mode when `request` is `None`, challenge mode otherwise.
pub fn present_qr(
    credential: &CompactCredential,
    signer: &dyn DeviceSigner,
    elements: &[&str],
    request: Option<&QrRequest>,
    now: OffsetDateTime,
) -> Result<String, PresentationError> {
    let available = credential.disclosures();
    let mut chosen: Vec<Vec<u8>> = Vec::new();
    for name in elements {
        let el = profile::element_by_id(credential.kind, name)
            .ok_or_else(|| PresentationError::UnknownElement((*name).to_owned()))?;
        if el.always {
            continue;
        }
        let (d, _) = available
            .iter()
            .find(|(_, k)| *k == el.key)
            .ok_or_else(|| PresentationError::ElementNotInCredential {
                namespace: el.namespace.to_owned(),
                identifier: el.identifier.to_owned(),
            })?;
        if !chosen.contains(d) {
            chosen.push(d.clone());
        }
    }
    // Keep the issuer's order, so the same choice always gives the same bytes.
    chosen.sort_by_key(|d| available.iter().position(|(a, _)| a == d));
    let mut presented = credential.sd_cwt.clone();
    presented.unprotected = sd_claims_header(chosen);
    check_binding(credential, signer)?;
    let kcwt = presented
        .to_cbor_value()
        .map_err(|e| PresentationError::Mso(e.to_string()))?;
    let mut kbt_claims = vec![
        (
            Item::Int(CLAIM_AUD),
            Item::Text(
                request
                    .map_or(STATIC_AUDIENCE, |r| r.verifier.as_str())
                    .to_owned(),
            ),
        ),
        (Item::Int(CLAIM_IAT), timestamp(now)),
    ];
    if let Some(r) = request {
        kbt_claims.push((Item::Int(CLAIM_CNONCE), Item::Bytes(r.nonce.clone())));
    }
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .value(HEADER_TYP, Value::Integer(TYP_KB_CWT.into()))
        .value(HEADER_KCWT, kcwt)
        .build();
    let kbt = CoseSign1Builder::new()
        .protected(protected)
        .payload(claims::encode(&Item::Map(kbt_claims)))
        .try_create_signature(b"", |tbs| signer.sign_es256(tbs).map(|s| s.to_vec()))?
        .build();
    let bytes = cbor::encode(&crate::cose::to_value(&kbt))?;
    Ok(format!(
        "{}{}",
        profile::PRESENTATION_PREFIX,
        base45::encode(&bytes)
    ))
}

/// The credential must be bound to the signer's key.
fn check_binding(
    credential: &CompactCredential,
    signer: &dyn DeviceSigner,
) -> Result<(), PresentationError> {
    let payload = credential.sd_cwt.payload.as_deref().unwrap_or_default();
    let bound = claims::decode(payload).ok().and_then(|c| {
        c.get(&Item::Int(CLAIM_CNF))?
            .get(&Item::Int(CNF_COSE_KEY))
            .and_then(public_key_from_cose)
    });
    if bound != Some(signer.public_key()?) {
        return Err(PresentationError::WrongDeviceKey);
    }
    Ok(())
}
