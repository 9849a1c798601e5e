//! Verification of a QR presentation (docs/qr-profile.md), in this order: prefix and version,
//! Base45, canonical CBOR, structure, issuer key lookup and chain, certificate validity, issuer
//! signature, disclosure digests, credential validity, key-binding signature, freshness, nonce
//! and audience (challenge mode), revocation.

use ciborium::value::Value;
use coset::{CoseSign1, Label};
use time::{Duration, OffsetDateTime};

use super::{
    Check, DeviceAuthMethod, DisclosedElement, IssuerInfo, RevocationStatus, VerifiedDocument,
    Verifier, VerifyError,
};
use crate::cbor::{self, Limits};
use crate::cose::{self, CoseError};
use crate::mdoc::bad;
use crate::mdoc::mso::ValidityInfo;
use crate::qr::claims::{self, Item};
use crate::qr::profile::{
    self, CLAIM_DOCUMENT, CLAIM_STATUS_INDEX, DOC_TYPE_KEY, PRESENTATION_PREFIX,
};
use crate::qr::request::QrRequest;
use crate::qr::sd_cwt::{
    self, CLAIM_AUD, CLAIM_CNF, CLAIM_CNONCE, CLAIM_EXP, CLAIM_IAT, CLAIM_NBF, CNF_COSE_KEY,
    CompactCredential, HEADER_KCWT, HEADER_SD_ALG, HEADER_SD_CLAIMS, HEADER_TYP, REDACTED_KEYS,
    SD_ALG_SHA256, STATIC_AUDIENCE, TYP_KB_CWT, TYP_SD_CWT,
};
use crate::trust::StatusList;

/// The most characters a QR code holds (version 40, alphanumeric, level L).
pub const MAX_QR_TEXT: usize = 4296;

/// What a challenge-mode presentation must carry: the verifier's identity as audience, its
/// nonce, and (when known) the document asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a> {
    pub audience: &'a str,
    pub nonce: &'a [u8],
    pub kind: Option<crate::document::DocumentKind>,
}

impl QrRequest {
    /// What a presentation answering this request must carry.
    pub fn challenge(&self) -> Challenge<'_> {
        Challenge {
            audience: &self.verifier,
            nonce: &self.nonce,
            kind: Some(self.kind),
        }
    }
}

/// What to verify a QR presentation against.
#[derive(Debug, Clone, Copy)]
pub struct QrVerifyRequest<'a> {
    pub now: OffsetDateTime,
    /// How old a presentation may be (the static QR's life on the phone): 60 s by default.
    pub max_age: Duration,
    /// Tolerated clock difference between phone and verifier: 30 s by default.
    pub clock_skew: Duration,
    /// The request this presentation must answer (challenge mode); `None` for static mode.
    pub challenge: Option<Challenge<'a>>,
    pub status_lists: &'a [StatusList],
    /// The relying party's key, to open answers encrypted to it (`CE1:`).
    pub decryption_key: Option<&'a crate::keys::PrivateKey>,
}

impl<'a> QrVerifyRequest<'a> {
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now,
            max_age: Duration::seconds(60),
            clock_skew: Duration::seconds(30),
            challenge: None,
            status_lists: &[],
            decryption_key: None,
        }
    }
}

fn structure(at: &str, problem: &str) -> VerifyError {
    VerifyError::Structure(bad(at, problem))
}

fn header_value(h: &coset::Header, label: i64) -> Option<&Value> {
    h.rest
        .iter()
        .find(|(l, _)| *l == Label::Int(label))
        .map(|(_, v)| v)
}

fn time_of(item: Option<&Item>, at: &str) -> Result<OffsetDateTime, VerifyError> {
    item.and_then(Item::int)
        .and_then(|t| i64::try_from(t).ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or_else(|| structure(at, "missing or not a time"))
}

impl Verifier {
    /// Verifies the text of a QR presentation.
    pub fn verify_qr_text(
        &self,
        text: &str,
        req: &QrVerifyRequest<'_>,
    ) -> Result<VerifiedDocument, VerifyError> {
        // 1. Prefix and version.
        if text.len() > MAX_QR_TEXT {
            return Err(VerifyError::QrTooLong {
                len: text.len(),
                max: MAX_QR_TEXT,
            });
        }
        if text.starts_with(crate::qr::encrypted::ENCRYPTED_PREFIX) {
            use crate::qr::encrypted::{self, EncryptedError};
            let key = req
                .decryption_key
                .ok_or(VerifyError::Encrypted(EncryptedError::NoKey))?;
            let bytes = encrypted::open(text, key).map_err(VerifyError::Encrypted)?;
            return self.verify_qr_bytes(&bytes, req);
        }
        let body = match text.strip_prefix(PRESENTATION_PREFIX) {
            Some(b) => b,
            None => {
                let version = text
                    .strip_prefix("CC")
                    .and_then(|r| r.split_once(':'))
                    .map(|(v, _)| v);
                return Err(match version {
                    Some(v)
                        if !v.is_empty()
                            && v.len() <= 3
                            && v.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        VerifyError::QrVersion(v.to_owned())
                    }
                    _ => VerifyError::QrPrefix,
                });
            }
        };
        // 2. Base45, CBOR in its canonical encoding.
        let bytes = crate::qr::base45::decode(body).map_err(VerifyError::Base45)?;
        self.verify_qr_bytes(&bytes, req)
    }

    /// Verifies the bytes of a QR presentation (after Base45, or after decryption).
    fn verify_qr_bytes(
        &self,
        bytes: &[u8],
        req: &QrVerifyRequest<'_>,
    ) -> Result<VerifiedDocument, VerifyError> {
        let bytes = bytes.to_vec();
        let value = cbor::decode(&bytes, Limits::NESTED).map_err(VerifyError::Decoding)?;
        if cbor::encode(&value).ok().as_deref() != Some(bytes.as_slice()) {
            return Err(VerifyError::NonCanonical);
        }
        let mut checks = vec![Check::Decoding];

        // 3. Structure: SD-KBT ⊃ SD-CWT ⊃ claims.
        let kbt = cose::parse_sign1(&value).map_err(VerifyError::IssuerAuth)?;
        if !kbt.unprotected.is_empty() {
            return Err(structure("SD-KBT.unprotected", "must be empty"));
        }
        if header_value(&kbt.protected.header, HEADER_TYP).and_then(cbor::as_i64)
            != Some(TYP_KB_CWT)
        {
            return Err(structure("SD-KBT.typ", "must be 294 (application/kb+cwt)"));
        }
        let kcwt = header_value(&kbt.protected.header, HEADER_KCWT)
            .ok_or_else(|| structure("SD-KBT", "no kcwt header"))?;
        let sd_cwt = cose::parse_sign1(kcwt).map_err(VerifyError::IssuerAuth)?;
        check_sd_cwt_headers(&sd_cwt)?;
        let kbt_claims = strict_claims(kbt.payload.as_deref())?;
        let IssuedSdCwt {
            ds,
            root,
            kind,
            disclosed,
            device_key,
            valid_from,
            valid_until,
            signed,
            cwt_claims,
        } = self.verify_sd_cwt(&sd_cwt, req.now, req.clock_skew, &mut checks)?;

        // 8. Key binding: the device key of the credential signed the SD-KBT.
        if !matches!(
            &kbt.protected.header.alg,
            Some(coset::RegisteredLabelWithPrivate::Assigned(
                coset::iana::Algorithm::ES256
            ))
        ) {
            return Err(VerifyError::KeyBinding(CoseError::Algorithm {
                expected: "ES256",
            }));
        }
        cose::verify_sign1_attached(&kbt, &device_key).map_err(VerifyError::KeyBinding)?;
        checks.push(Check::DeviceAuthentication);

        // 9. Freshness, and the draft's ordering of the two tokens' times.
        let iat = time_of(kbt_claims.get(&Item::Int(CLAIM_IAT)), "SD-KBT.iat")?;
        if signed < valid_from || signed >= valid_until || valid_from >= valid_until {
            return Err(structure("SD-CWT", "nbf ≤ iat < exp does not hold"));
        }
        if iat < signed {
            return Err(structure("SD-KBT.iat", "earlier than the credential's iat"));
        }
        if iat >= valid_until {
            return Err(VerifyError::CredentialExpired {
                valid_until: crate::time_fmt::tdate(valid_until),
            });
        }
        if iat > req.now + req.clock_skew {
            return Err(VerifyError::FromTheFuture {
                seconds: (iat - req.now).whole_seconds(),
            });
        }
        let age = req.now - iat;
        if age > req.max_age + req.clock_skew {
            return Err(VerifyError::TooOld {
                age_seconds: age.whole_seconds(),
                max_seconds: req.max_age.whole_seconds(),
            });
        }
        checks.push(Check::Freshness);

        // 10. Audience and nonce.
        let aud = match kbt_claims.get(&Item::Int(CLAIM_AUD)) {
            Some(Item::Text(a)) => a.clone(),
            _ => return Err(structure("SD-KBT.aud", "missing or not text")),
        };
        let cnonce = match kbt_claims.get(&Item::Int(CLAIM_CNONCE)) {
            None => None,
            Some(Item::Bytes(n)) => Some(n.clone()),
            Some(_) => return Err(structure("SD-KBT.cnonce", "not bytes")),
        };
        let expected_aud = req.challenge.map_or(STATIC_AUDIENCE, |c| c.audience);
        if aud != expected_aud {
            return Err(VerifyError::WrongAudience {
                expected: expected_aud.to_owned(),
                found: aud,
            });
        }
        match (req.challenge, cnonce) {
            (None, None) => {}
            (Some(c), Some(n)) if crate::secret::constant_time_eq(c.nonce, &n) => {
                if let Some(k) = c.kind.filter(|k| *k != kind) {
                    return Err(VerifyError::WrongDocument {
                        expected: k.doc_type().to_owned(),
                        found: kind.doc_type().to_owned(),
                    });
                }
                checks.push(Check::Challenge);
            }
            _ => return Err(VerifyError::WrongNonce),
        }

        // 11. Revocation.
        let revocation = match (
            cwt_claims.get(&Item::Int(CLAIM_STATUS_INDEX)),
            req.status_lists,
        ) {
            (_, []) => RevocationStatus::NotChecked,
            (None, _) => RevocationStatus::NoStatusReference,
            (Some(i), lists) => {
                let index = i
                    .int()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or_else(|| structure("SD-CWT.status", "not an index"))?;
                let [list] = lists else {
                    return Err(VerifyError::StatusUnknown {
                        index,
                        uri: "(several lists; the QR names none)".into(),
                    });
                };
                match list.is_revoked(index) {
                    Some(false) => {
                        checks.push(Check::Revocation);
                        RevocationStatus::Valid { index }
                    }
                    Some(true) => return Err(VerifyError::Revoked { index }),
                    None => {
                        return Err(VerifyError::StatusUnknown {
                            index,
                            uri: list.uri.clone(),
                        });
                    }
                }
            }
        };

        Ok(VerifiedDocument {
            doc_type: kind.doc_type().to_owned(),
            kind: Some(kind),
            issuer: IssuerInfo::new(&ds, root),
            disclosed,
            validity: ValidityInfo {
                signed,
                valid_from,
                valid_until,
                expected_update: None,
            },
            device_key,
            device_authentication: DeviceAuthMethod::KeyBinding,
            revocation,
            checks,
        })
    }

    /// Reads the QR code in a PNG or JPEG image and verifies it.
    pub fn verify_qr_image(
        &self,
        image: &[u8],
        req: &QrVerifyRequest<'_>,
    ) -> Result<VerifiedDocument, QrImageError> {
        let text = crate::qr::code::read_image(image)?;
        Ok(self.verify_qr_text(&text, req)?)
    }

    /// Reads the QR code in an 8-bit grayscale camera frame and verifies it.
    pub fn verify_qr_frame(
        &self,
        width: usize,
        height: usize,
        pixels: &[u8],
        req: &QrVerifyRequest<'_>,
    ) -> Result<VerifiedDocument, QrImageError> {
        let text = crate::qr::code::read_gray(width, height, pixels)?;
        Ok(self.verify_qr_text(&text, req)?)
    }
}

/// A QR image could not be read, or what it held did not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum QrImageError {
    #[error("reading the QR code: {0}")]
    Read(#[from] crate::qr::code::QrReadError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// What the issuer's SD-CWT says, its signature and disclosures checked.
struct IssuedSdCwt<'t> {
    ds: crate::x509::Certificate,
    root: &'t crate::x509::Certificate,
    kind: crate::document::DocumentKind,
    disclosed: Vec<DisclosedElement>,
    device_key: crate::keys::PublicKey,
    valid_from: OffsetDateTime,
    valid_until: OffsetDateTime,
    signed: OffsetDateTime,
    cwt_claims: Item,
}

impl Verifier {
    /// Checks a compact credential as issued, as a wallet must before accepting it: issuer key
    /// and chain, issuer signature, every disclosure it carries, validity. Nobody presented
    /// it, so `device_authentication` is [`DeviceAuthMethod::NotPresented`].
    pub fn verify_compact_credential(
        &self,
        credential: &CompactCredential,
        now: OffsetDateTime,
    ) -> Result<VerifiedDocument, VerifyError> {
        let mut checks = vec![Check::Decoding];
        check_sd_cwt_headers(&credential.sd_cwt)?;
        let issued = self.verify_sd_cwt(&credential.sd_cwt, now, Duration::ZERO, &mut checks)?;
        if issued.kind != credential.kind {
            return Err(structure(
                "SD-CWT.document",
                "not the kind the credential says",
            ));
        }
        let revocation = match issued.cwt_claims.get(&Item::Int(CLAIM_STATUS_INDEX)) {
            Some(_) => RevocationStatus::NotChecked,
            None => RevocationStatus::NoStatusReference,
        };
        Ok(VerifiedDocument {
            doc_type: issued.kind.doc_type().to_owned(),
            kind: Some(issued.kind),
            issuer: IssuerInfo::new(&issued.ds, issued.root),
            disclosed: issued.disclosed,
            validity: ValidityInfo {
                signed: issued.signed,
                valid_from: issued.valid_from,
                valid_until: issued.valid_until,
                expected_update: None,
            },
            device_key: issued.device_key,
            device_authentication: DeviceAuthMethod::NotPresented,
            revocation,
            checks,
        })
    }

    /// Steps 3–7 of QR verification on the issuer's SD-CWT.
    fn verify_sd_cwt(
        &self,
        sd_cwt: &CoseSign1,
        now: OffsetDateTime,
        clock_skew: Duration,
        checks: &mut Vec<Check>,
    ) -> Result<IssuedSdCwt<'_>, VerifyError> {
        let cwt_claims = strict_claims(sd_cwt.payload.as_deref())?;
        let document = cwt_claims
            .get(&Item::Int(CLAIM_DOCUMENT))
            .ok_or_else(|| structure("SD-CWT", "no document claim"))?;
        let kind = document
            .get(&Item::Int(DOC_TYPE_KEY))
            .and_then(Item::int)
            .and_then(profile::kind_of_code)
            .ok_or_else(|| structure("SD-CWT.document", "unknown document type"))?;
        let device_key = cwt_claims
            .get(&Item::Int(CLAIM_CNF))
            .and_then(|c| c.get(&Item::Int(CNF_COSE_KEY)))
            .and_then(sd_cwt::public_key_from_cose)
            .ok_or_else(|| structure("SD-CWT.cnf", "not a P-256 COSE_Key"))?;
        checks.push(Check::Structure);

        // 4. Issuer key lookup and chain.
        let kid = &sd_cwt.protected.header.key_id;
        let ds_der = self
            .trust()
            .roots()
            .iter()
            .find(|c| !c.is_ca() && sd_cwt::issuer_kid(c) == *kid)
            .map(|c| c.der().to_vec())
            .ok_or_else(|| VerifyError::UnknownIssuerKey {
                kid: hex::encode(kid),
            })?;
        let (ds, root, ds_key) = self.trusted_signer(&ds_der, now, checks)?;

        // 5. Issuer signature.
        cose::verify_sign1_attached(sd_cwt, &ds_key).map_err(VerifyError::IssuerSignature)?;
        checks.push(Check::IssuerSignature);

        // 6. Disclosures against the redacted hashes; the always-disclosed claims.
        let disclosed = disclosed_elements(kind, document, &sd_cwt::sd_claims(sd_cwt))?;
        checks.push(Check::ValueDigests);

        // 7. Credential validity.
        let valid_until = time_of(cwt_claims.get(&Item::Int(CLAIM_EXP)), "SD-CWT.exp")?;
        let valid_from = time_of(cwt_claims.get(&Item::Int(CLAIM_NBF)), "SD-CWT.nbf")?;
        let signed = time_of(cwt_claims.get(&Item::Int(CLAIM_IAT)), "SD-CWT.iat")?;
        if now + clock_skew < valid_from {
            return Err(VerifyError::CredentialNotYetValid {
                valid_from: crate::time_fmt::tdate(valid_from),
            });
        }
        if now - clock_skew > valid_until {
            return Err(VerifyError::CredentialExpired {
                valid_until: crate::time_fmt::tdate(valid_until),
            });
        }
        checks.push(Check::MsoValidity);

        Ok(IssuedSdCwt {
            ds,
            root,
            kind,
            disclosed,
            device_key,
            valid_from,
            valid_until,
            signed,
            cwt_claims,
        })
    }
}

fn strict_claims(payload: Option<&[u8]>) -> Result<Item, VerifyError> {
    let p = payload.ok_or_else(|| structure("payload", "missing"))?;
    let item = claims::decode(p).map_err(VerifyError::Claims)?;
    match item {
        Item::Map(_) => Ok(item),
        _ => Err(structure("payload", "claims are not a map")),
    }
}

fn check_sd_cwt_headers(sd_cwt: &CoseSign1) -> Result<(), VerifyError> {
    let h = &sd_cwt.protected.header;
    let alg_ok = matches!(
        &h.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            coset::iana::Algorithm::ES256
        ))
    );
    if !alg_ok {
        return Err(VerifyError::IssuerSignature(CoseError::Algorithm {
            expected: "ES256",
        }));
    }
    if header_value(h, HEADER_TYP).and_then(cbor::as_i64) != Some(TYP_SD_CWT) {
        return Err(structure("SD-CWT.typ", "must be 293 (application/sd-cwt)"));
    }
    if let Some(alg) = header_value(h, HEADER_SD_ALG)
        && cbor::as_i64(alg) != Some(SD_ALG_SHA256)
    {
        return Err(structure(
            "SD-CWT.sd_alg",
            "must be SHA-256 (-16) when present",
        ));
    }

    if h.key_id.len() != sd_cwt::KID_BYTES {
        return Err(structure("SD-CWT.kid", "must be 8 bytes"));
    }
    let u = &sd_cwt.unprotected;
    if u.is_empty() {
        return Ok(()); // nothing disclosed: sd_claims is omitted
    }
    let only_sd_claims = u.rest.len() == 1
        && u.alg.is_none()
        && u.key_id.is_empty()
        && u.content_type.is_none()
        && u.crit.is_empty()
        && u.iv.is_empty()
        && u.partial_iv.is_empty()
        && u.counter_signatures.is_empty();
    match header_value(u, HEADER_SD_CLAIMS) {
        Some(Value::Array(a))
            if only_sd_claims
                && !a.is_empty()
                && a.iter().all(|d| matches!(d, Value::Bytes(_))) =>
        {
            Ok(())
        }
        _ => Err(structure(
            "SD-CWT.unprotected",
            "must hold only sd_claims, a non-empty array of byte strings",
        )),
    }
}

fn disclosed_elements(
    kind: crate::document::DocumentKind,
    document: &Item,
    disclosures: &[Vec<u8>],
) -> Result<Vec<DisclosedElement>, VerifyError> {
    let Item::Map(entries) = document else {
        return Err(structure("SD-CWT.document", "not a map"));
    };
    let hashes: Vec<&[u8]> = match document.get(&Item::Simple(REDACTED_KEYS)) {
        Some(Item::Array(a)) => a
            .iter()
            .map(|h| match h {
                Item::Bytes(b) if b.len() == 32 => Ok(b.as_slice()),
                _ => Err(structure(
                    "SD-CWT.document.redacted",
                    "hash is not 32 bytes",
                )),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(_) => return Err(structure("SD-CWT.document.redacted", "not an array")),
    };
    let mut out: Vec<DisclosedElement> = Vec::new();
    let push = |el: &profile::QrElement,
                value: &Item,
                out: &mut Vec<DisclosedElement>|
     -> Result<(), VerifyError> {
        if out.iter().any(|d| d.identifier == el.identifier) {
            return Err(VerifyError::DuplicateDisclosure);
        }
        let value = profile::from_item(value)
            .ok_or_else(|| structure(el.identifier, "value of an unsupported type"))?;
        out.push(DisclosedElement {
            namespace: el.namespace.to_owned(),
            identifier: el.identifier.to_owned(),
            value,
        });
        Ok(())
    };
    for (k, v) in entries {
        match k {
            Item::Int(DOC_TYPE_KEY) | Item::Simple(REDACTED_KEYS) => {}
            Item::Int(key) => {
                let el = profile::element_by_key(kind, *key)
                    .filter(|e| e.always)
                    .ok_or_else(|| {
                        structure(
                            "SD-CWT.document",
                            "claim not in the profile as always disclosed",
                        )
                    })?;
                push(el, v, &mut out)?;
            }
            _ => return Err(structure("SD-CWT.document", "unexpected key")),
        }
    }
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for d in disclosures {
        let digest = ring::digest::digest(&ring::digest::SHA256, d)
            .as_ref()
            .to_vec();
        if seen.contains(&digest) {
            return Err(VerifyError::DuplicateDisclosure);
        }
        if !hashes
            .iter()
            .any(|h| crate::secret::constant_time_eq(h, &digest))
        {
            return Err(VerifyError::DisclosureNotInCredential);
        }
        seen.push(digest);
        let parts = match claims::decode(d).map_err(VerifyError::Claims)? {
            Item::Array(a) if a.len() == 3 => a,
            _ => return Err(structure("disclosure", "not [salt, value, key]")),
        };
        let (salt, value, key) = match parts.as_slice() {
            [Item::Bytes(s), v, Item::Int(k)] => (s, v, *k),
            _ => return Err(structure("disclosure", "not [salt, value, key]")),
        };
        if salt.len() < 16 {
            return Err(structure("disclosure", "salt shorter than 16 bytes"));
        }
        let el = profile::element_by_key(kind, key)
            .filter(|e| !e.always)
            .ok_or_else(|| {
                structure("disclosure", "key is not a selectively disclosable element")
            })?;
        push(el, value, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;
    use crate::fixtures::DemoWorld;
    use crate::qr::sd_cwt::present_qr;
    use crate::trust::TrustList;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);
    const ASKED: &[&str] = &["holder_name", "birth_date", "sex"];

    fn setup() -> (DemoWorld, Verifier) {
        let w = DemoWorld::build(42, NOW).unwrap();
        let trust = TrustList::new(vec![
            w.authority.certificate().clone(),
            w.issuer.certificate().clone(),
        ])
        .unwrap();
        (w, Verifier::new(trust))
    }

    #[test]
    fn static_clinic_qr_verifies_and_fits_version_20() {
        let (w, v) = setup();
        let card = w.compact(DocumentKind::HealthInsurance).unwrap();
        let text = present_qr(card, &w.device_key, ASKED, None, NOW).unwrap();
        let m = crate::qr::code::encode(&text).unwrap();
        assert!(
            m.version <= 20,
            "version {} for {} characters",
            m.version,
            text.len()
        );
        let d = v
            .verify_qr_text(&text, &QrVerifyRequest::new(NOW + Duration::seconds(10)))
            .unwrap();
        let mut ids: Vec<&str> = d.disclosed.iter().map(|e| e.identifier.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "birth_date",
                "card_code",
                "holder_name",
                "registered_facility_code",
                "registered_facility_name",
                "sex",
                "valid_from",
                "valid_until"
            ]
        );
        assert_eq!(d.device_authentication, DeviceAuthMethod::KeyBinding);
        assert_eq!(d.device_key, w.device_key.public_key());
        assert!(d.checks.contains(&Check::Freshness) && !d.checks.contains(&Check::Challenge));
        // The issuer's root is the IACA, not a pin.
        assert!(!d.issuer.pinned);
        // Without the optional elements only the always-disclosed ones remain.
        let minimal = present_qr(card, &w.device_key, &[], None, NOW).unwrap();
        let d = v
            .verify_qr_text(&minimal, &QrVerifyRequest::new(NOW))
            .unwrap();
        assert_eq!(d.disclosed.len(), 5);
        // Read back from a PNG.
        let png = m.to_png(4).unwrap();
        assert_eq!(
            v.verify_qr_image(&png, &QrVerifyRequest::new(NOW))
                .unwrap()
                .disclosed
                .len(),
            8
        );
    }

    #[test]
    fn reads_the_committed_png_and_jpeg_and_a_camera_frame() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors");
        let trust: Vec<String> = ["trust/iaca.pem", "trust/ds.pem"]
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
            .collect();
        let v = Verifier::new(TrustList::from_pem_texts(trust.iter().map(String::as_str)).unwrap());
        let req = QrVerifyRequest::new(NOW + Duration::seconds(20));
        let text = std::fs::read_to_string(dir.join("qr/valid-clinic-static.txt")).unwrap();
        for image in ["qr/valid-clinic-static.png", "qr/valid-clinic-static.jpg"] {
            let bytes = std::fs::read(dir.join(image)).unwrap();
            assert_eq!(
                crate::qr::code::read_image(&bytes).unwrap(),
                text,
                "{image}"
            );
            assert_eq!(
                v.verify_qr_image(&bytes, &req).unwrap().disclosed.len(),
                8,
                "{image}"
            );
        }
        // A raw grayscale frame with the code off-centre.
        let m = crate::qr::code::encode(&text).unwrap();
        let (side, gray) = m.to_gray(4, 4);
        let (fw, fh) = (640usize, 480usize);
        let mut frame = vec![128u8; fw * fh];
        for y in 0..side {
            frame[(40 + y) * fw + 100..(40 + y) * fw + 100 + side]
                .copy_from_slice(&gray[y * side..(y + 1) * side]);
        }
        assert_eq!(
            v.verify_qr_frame(fw, fh, &frame, &req)
                .unwrap()
                .disclosed
                .len(),
            8
        );
        assert!(matches!(
            v.verify_qr_frame(fw, fh, &frame[1..], &req),
            Err(QrImageError::Read(_))
        ));
    }

    #[test]
    fn challenge_mode_binds_nonce_and_audience() {
        let (mut w, v) = setup();
        let req = QrRequest::new(
            "phongkham-anbinh.example.vn",
            DocumentKind::HealthInsurance,
            ASKED,
            NOW,
            Duration::minutes(5),
            &mut w.rng,
        )
        .unwrap();
        let req2 = QrRequest::new(
            "phongkham-anbinh.example.vn",
            DocumentKind::HealthInsurance,
            ASKED,
            NOW,
            Duration::minutes(5),
            &mut w.rng,
        )
        .unwrap();
        let parsed = QrRequest::from_text(&req.to_text(), NOW).unwrap();
        assert_eq!(parsed, req);
        let card = w.compact(DocumentKind::HealthInsurance).unwrap();
        let text = present_qr(card, &w.device_key, &["holder_name"], Some(&parsed), NOW).unwrap();
        let ok = QrVerifyRequest {
            challenge: Some(req.challenge()),
            ..QrVerifyRequest::new(NOW)
        };
        let d = v.verify_qr_text(&text, &ok).unwrap();
        assert!(d.checks.contains(&Check::Challenge));
        let other = QrVerifyRequest {
            challenge: Some(req2.challenge()),
            ..QrVerifyRequest::new(NOW)
        };
        assert_eq!(
            v.verify_qr_text(&text, &other).unwrap_err().code(),
            "wrong_nonce"
        );
        assert_eq!(
            v.verify_qr_text(&text, &QrVerifyRequest::new(NOW))
                .unwrap_err()
                .code(),
            "wrong_audience"
        );
        let static_text = present_qr(card, &w.device_key, &[], None, NOW).unwrap();
        assert_eq!(
            v.verify_qr_text(&static_text, &ok).unwrap_err().code(),
            "wrong_audience"
        );
        assert!(matches!(
            QrRequest::from_text(&req.to_text(), NOW + Duration::minutes(6)),
            Err(crate::qr::request::RequestError::Expired(_))
        ));
    }

    #[test]
    fn time_windows() {
        let (w, v) = setup();
        let card = w.compact(DocumentKind::HealthInsurance).unwrap();
        let text = present_qr(card, &w.device_key, ASKED, None, NOW).unwrap();
        assert_eq!(
            v.verify_qr_text(&text, &QrVerifyRequest::new(NOW + Duration::seconds(91)))
                .unwrap_err()
                .code(),
            "too_old"
        );
        assert!(
            v.verify_qr_text(&text, &QrVerifyRequest::new(NOW + Duration::seconds(89)))
                .is_ok()
        );
        let ahead = present_qr(card, &w.device_key, ASKED, None, NOW + Duration::hours(1)).unwrap();
        let before = NOW + Duration::hours(1) - Duration::seconds(31);
        assert_eq!(
            v.verify_qr_text(&ahead, &QrVerifyRequest::new(before))
                .unwrap_err()
                .code(),
            "from_the_future"
        );
        assert_eq!(
            v.verify_qr_text(&text, &QrVerifyRequest::new(NOW - Duration::seconds(31)))
                .unwrap_err()
                .code(),
            "credential_not_yet_valid"
        );
        let later = present_qr(card, &w.device_key, ASKED, None, NOW + Duration::days(95)).unwrap();
        assert_eq!(
            v.verify_qr_text(&later, &QrVerifyRequest::new(NOW + Duration::days(95)))
                .unwrap_err()
                .code(),
            "credential_expired"
        );
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        let (w, v) = setup();
        let card = w.compact(DocumentKind::HealthInsurance).unwrap();
        let text = present_qr(card, &w.device_key, ASKED, None, NOW).unwrap();
        let req = QrVerifyRequest::new(NOW);
        let mut tried = 0;
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            for &c in crate::qr::base45::ALPHABET.iter() {
                let c = char::from(c);
                if c == chars[i] {
                    continue;
                }
                let mut changed = chars.clone();
                changed[i] = c;
                let changed: String = changed.into_iter().collect();
                assert!(
                    v.verify_qr_text(&changed, &req).is_err(),
                    "position {i} → {c:?} accepted"
                );
                tried += 1;
            }
        }
        assert!(tried > 30_000);
    }
}
