//! The verifier module: checks an ISO 18013-5 DeviceResponse offline against trusted IACA
//! roots, in this order — decoding and structure, certificate chain, certificate validity,
//! issuer signature (and the MSO it signs), every disclosed item's digest, the MSO validity
//! window, device authentication, revocation. The result lists the checks that passed and
//! the disclosed elements as typed values; a failure is a [`VerifyError`] that names the
//! first check that failed.
//!
//! QR presentations (the compact SD-CWT form) are verified by [`Verifier::verify_qr_text`] in
//! [`qr`], with the same result and error types.
//!
//! Inputs are bounded ([`crate::cbor::Limits::RESPONSE`], nesting depth, counts in
//! [`crate::mdoc::limits`]); nothing here panics on any input.

use time::OffsetDateTime;

use crate::cbor::{self, CborError, Limits};
use crate::cose::{self, CoseError};
use crate::document::DocumentKind;
use crate::keys::{PrivateKey, PublicKey};
use crate::mdoc::StructureError;
use crate::mdoc::device_response::{DeviceAuth, DeviceResponse, ResponseDocument};
use crate::mdoc::element::ElementValue;
use crate::mdoc::issuer_signed::{Credential, IssuerSigned};
use crate::mdoc::mso::{MobileSecurityObject, ValidityInfo};
use crate::mdoc::session_transcript::SessionTranscript;
use crate::trust::{StatusList, TrustList};
use crate::x509::{Certificate, CertificateError};

pub mod grant;
mod qr;
pub use qr::{Challenge, QrImageError, QrVerifyRequest};

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Decoding,
    Structure,
    CertificateChain,
    CertificateValidity,
    IssuerSignature,
    ValueDigests,
    MsoValidity,
    DeviceAuthentication,
    /// QR presentations: the key-binding token's time is within the accepted window.
    Freshness,
    /// QR challenge mode: the verifier's nonce and identity are bound.
    Challenge,
    Revocation,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decoding => "decoding",
            Self::Structure => "structure",
            Self::CertificateChain => "certificate_chain",
            Self::CertificateValidity => "certificate_validity",
            Self::IssuerSignature => "issuer_signature",
            Self::ValueDigests => "value_digests",
            Self::MsoValidity => "mso_validity",
            Self::DeviceAuthentication => "device_authentication",
            Self::Freshness => "freshness",
            Self::Challenge => "challenge",
            Self::Revocation => "revocation",
        }
    }
}

/// Why a response was rejected. [`VerifyError::check`] names the check, [`VerifyError::code`]
/// gives a stable machine-readable reason.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    #[error("decoding: {0}")]
    Decoding(CborError),
    #[error("structure: {0}")]
    Structure(StructureError),
    #[error("structure: the response holds no document")]
    NoDocuments,
    #[error("structure: the document discloses no issuer-signed element")]
    NothingDisclosed,
    #[error("structure: issuerAuth: {0}")]
    IssuerAuth(CoseError),
    #[error("certificate chain: {0}")]
    CertificateChain(CertificateError),
    #[error("certificate validity: {0}")]
    CertificateValidity(CertificateError),
    #[error("issuer signature: {0}")]
    IssuerSignature(CoseError),
    #[error("issuer signature: the signed MSO is malformed: {0}")]
    MsoMalformed(String),
    #[error("issuer signature: the MSO is for {mso:?}, the document says {document:?}")]
    DocTypeMismatch { document: String, mso: String },
    #[error("value digests: {namespace}/{identifier} does not match its digest in the MSO")]
    DigestMismatch {
        namespace: String,
        identifier: String,
    },
    #[error("value digests: {namespace}/{identifier} (digest ID {digest_id}) is not in the MSO")]
    DigestMissing {
        namespace: String,
        identifier: String,
        digest_id: u64,
    },
    #[error("value digests: digest ID {digest_id} appears twice in {namespace}")]
    DuplicateDigestId { namespace: String, digest_id: u64 },
    #[error("value digests: {namespace}/{identifier} is disclosed twice")]
    DuplicateElement {
        namespace: String,
        identifier: String,
    },
    #[error(
        "value digests: {namespace}/{identifier} has a random salt of {len} bytes (at least 16 required)"
    )]
    SaltTooShort {
        namespace: String,
        identifier: String,
        len: usize,
    },
    #[error("MSO validity: not valid before {valid_from}")]
    MsoNotYetValid { valid_from: String },
    #[error("MSO validity: expired at {valid_until}")]
    MsoExpired { valid_until: String },
    #[error("MSO validity: signed at {signed}, outside the Document Signer certificate's validity")]
    MsoSignedOutsideCertificate { signed: String },
    #[error("device authentication: the device signature does not verify: {0}")]
    DeviceSignature(CoseError),
    #[error(
        "device authentication: the response uses a device MAC, which needs the reader's ephemeral private key; not verified"
    )]
    DeviceMacUnverifiable,
    #[error("device authentication: the device MAC does not verify: {0}")]
    DeviceMac(CoseError),
    #[error("decoding: the text does not start with the presentation prefix CC1:")]
    QrPrefix,
    #[error("decoding: QR profile version {0} is not supported")]
    QrVersion(String),
    #[error("decoding: QR text of {len} characters exceeds {max}")]
    QrTooLong { len: usize, max: usize },
    #[error("decoding: {0}")]
    Base45(crate::qr::base45::Base45Error),
    #[error("decoding: the CBOR is not in its one canonical encoding")]
    NonCanonical,
    #[error("decoding: claims: {0}")]
    Claims(crate::qr::claims::StrictCborError),
    #[error("certificate chain: no trusted Document Signer has key id {kid}")]
    UnknownIssuerKey { kid: String },
    #[error("value digests: a disclosure is not one of the credential's redacted claims")]
    DisclosureNotInCredential,
    #[error("value digests: a disclosure or a claim appears twice")]
    DuplicateDisclosure,
    #[error("document validity: the credential expired at {valid_until}")]
    CredentialExpired { valid_until: String },
    #[error("document validity: the credential is not valid before {valid_from}")]
    CredentialNotYetValid { valid_from: String },
    #[error("device authentication: the key-binding signature does not verify: {0}")]
    KeyBinding(CoseError),
    #[error(
        "freshness: the presentation is {age_seconds} s old (at most {max_seconds} s accepted)"
    )]
    TooOld { age_seconds: i64, max_seconds: i64 },
    #[error("freshness: the presentation is dated {seconds} s in the future")]
    FromTheFuture { seconds: i64 },
    #[error("challenge: the request asked for {expected}, the presentation is {found}")]
    WrongDocument { expected: String, found: String },
    #[error("challenge: the presentation does not carry the nonce of this request")]
    WrongNonce,
    #[error("challenge: the presentation is addressed to {found:?}, not {expected:?}")]
    WrongAudience { expected: String, found: String },
    #[error("decoding: the presentation is encrypted to its verifier: {0}")]
    Encrypted(crate::qr::encrypted::EncryptedError),
    #[error("revocation: the document (status index {index}) is revoked")]
    Revoked { index: u64 },
    #[error("revocation: no status list covers index {index} at {uri}")]
    StatusUnknown { index: u64, uri: String },
}

impl VerifyError {
    /// The check that failed.
    pub fn check(&self) -> Check {
        use VerifyError as E;
        match self {
            E::Decoding(_)
            | E::QrPrefix
            | E::QrVersion(_)
            | E::QrTooLong { .. }
            | E::Base45(_)
            | E::NonCanonical
            | E::Claims(_)
            | E::Encrypted(_) => Check::Decoding,
            E::UnknownIssuerKey { .. } => Check::CertificateChain,
            E::DisclosureNotInCredential | E::DuplicateDisclosure => Check::ValueDigests,
            E::CredentialExpired { .. } | E::CredentialNotYetValid { .. } => Check::MsoValidity,
            E::KeyBinding(_) => Check::DeviceAuthentication,
            E::TooOld { .. } | E::FromTheFuture { .. } => Check::Freshness,
            E::WrongNonce | E::WrongAudience { .. } | E::WrongDocument { .. } => Check::Challenge,
            E::Structure(_) | E::NoDocuments | E::NothingDisclosed | E::IssuerAuth(_) => {
                Check::Structure
            }
            E::CertificateChain(_) => Check::CertificateChain,
            E::CertificateValidity(_) => Check::CertificateValidity,
            E::IssuerSignature(_) | E::MsoMalformed(_) | E::DocTypeMismatch { .. } => {
                Check::IssuerSignature
            }
            E::DigestMismatch { .. }
            | E::DigestMissing { .. }
            | E::DuplicateDigestId { .. }
            | E::DuplicateElement { .. }
            | E::SaltTooShort { .. } => Check::ValueDigests,
            E::MsoNotYetValid { .. }
            | E::MsoExpired { .. }
            | E::MsoSignedOutsideCertificate { .. } => Check::MsoValidity,
            E::DeviceSignature(_) | E::DeviceMacUnverifiable | E::DeviceMac(_) => {
                Check::DeviceAuthentication
            }
            E::Revoked { .. } | E::StatusUnknown { .. } => Check::Revocation,
        }
    }

    /// A stable reason code (used by the test-vector manifest and `--json`).
    pub fn code(&self) -> &'static str {
        use VerifyError as E;
        match self {
            E::Decoding(CborError::TooLarge { .. }) => "too_large",
            E::Decoding(CborError::TooDeep { .. }) => "too_deep",
            E::Decoding(CborError::Truncated) | E::Decoding(CborError::Empty) => "truncated",
            E::Decoding(_) => "malformed_cbor",
            E::QrPrefix => "wrong_prefix",
            E::QrVersion(_) => "unsupported_version",
            E::QrTooLong { .. } => "too_large",
            E::Base45(_) => "not_base45",
            E::NonCanonical => "non_canonical",
            E::Claims(crate::qr::claims::StrictCborError::TooDeep(_)) => "too_deep",
            E::Claims(_) => "malformed_cbor",
            E::Encrypted(crate::qr::encrypted::EncryptedError::NoKey) => "encrypted_no_key",
            E::Encrypted(crate::qr::encrypted::EncryptedError::Decrypt) => "decrypt_failed",
            E::Encrypted(_) => "malformed_encryption",
            E::UnknownIssuerKey { .. } => "unknown_issuer",
            E::DisclosureNotInCredential => "disclosure_not_in_credential",
            E::DuplicateDisclosure => "duplicate_disclosure",
            E::CredentialExpired { .. } => "credential_expired",
            E::CredentialNotYetValid { .. } => "credential_not_yet_valid",
            E::KeyBinding(_) => "key_binding_invalid",
            E::TooOld { .. } => "too_old",
            E::FromTheFuture { .. } => "from_the_future",
            E::WrongNonce => "wrong_nonce",
            E::WrongDocument { .. } => "wrong_document",
            E::WrongAudience { .. } => "wrong_audience",
            E::Structure(_) | E::IssuerAuth(_) => "malformed_structure",
            E::NoDocuments => "no_documents",
            E::NothingDisclosed => "nothing_disclosed",
            E::CertificateChain(CertificateError::UnknownIssuer { .. }) => "unknown_issuer",
            E::CertificateChain(CertificateError::Profile { .. }) => "certificate_profile",
            E::CertificateChain(_) => "certificate_chain_invalid",
            E::CertificateValidity(CertificateError::NotYetValid { .. }) => {
                "certificate_not_yet_valid"
            }
            E::CertificateValidity(_) => "certificate_expired",
            E::IssuerSignature(_) => "issuer_signature_invalid",
            E::MsoMalformed(_) => "mso_malformed",
            E::DocTypeMismatch { .. } => "doc_type_mismatch",
            E::DigestMismatch { .. } => "digest_mismatch",
            E::DigestMissing { .. } => "digest_missing",
            E::DuplicateDigestId { .. } => "duplicate_digest_id",
            E::DuplicateElement { .. } => "duplicate_element",
            E::SaltTooShort { .. } => "salt_too_short",
            E::MsoNotYetValid { .. } => "mso_not_yet_valid",
            E::MsoExpired { .. } => "mso_expired",
            E::MsoSignedOutsideCertificate { .. } => "mso_signed_outside_certificate",
            E::DeviceSignature(_) => "device_signature_invalid",
            E::DeviceMacUnverifiable => "device_mac_unverifiable",
            E::DeviceMac(_) => "device_mac_invalid",
            E::Revoked { .. } => "revoked",
            E::StatusUnknown { .. } => "status_unknown",
        }
    }
}

/// How the device proved possession of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceAuthMethod {
    /// ECDSA signature with the device key in the MSO: verified.
    Signature,
    /// MAC with a key derived from the device key and the reader's ephemeral key: verified.
    Mac,
    /// QR: the SD-CWT key-binding token signed with the credential's device key: verified.
    KeyBinding,
    /// A credential checked as issued (a wallet importing it): nobody presented it.
    NotPresented,
}

/// Revocation as far as it could be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// The status list says the document is valid.
    Valid { index: u64 },
    /// No status list was given.
    NotChecked,
    /// The document names no status list.
    NoStatusReference,
}

/// Who signed the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerInfo {
    pub common_name: Option<String>,
    pub country: Option<String>,
    pub subject: String,
    pub serial: String,
    /// The trusted IACA the chain ends at (the signer itself when pinned).
    pub root_subject: String,
    /// The Document Signer certificate is trusted directly rather than through an IACA.
    pub pinned: bool,
}

impl IssuerInfo {
    pub(crate) fn new(ds: &Certificate, root: &Certificate) -> Self {
        Self {
            common_name: ds.common_name(),
            country: ds.country(),
            subject: ds.subject(),
            serial: ds.serial_hex(),
            root_subject: root.subject(),
            pinned: root.der() == ds.der(),
        }
    }
}

/// One disclosed data element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedElement {
    pub namespace: String,
    pub identifier: String,
    pub value: ElementValue,
}

/// A document that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDocument {
    pub doc_type: String,
    pub kind: Option<DocumentKind>,
    pub issuer: IssuerInfo,
    pub disclosed: Vec<DisclosedElement>,
    pub validity: ValidityInfo,
    pub device_key: PublicKey,
    pub device_authentication: DeviceAuthMethod,
    pub revocation: RevocationStatus,
    /// The checks that ran and passed, in order.
    pub checks: Vec<Check>,
}

impl VerifiedDocument {
    /// The value of a disclosed element, by identifier.
    pub fn element(&self, identifier: &str) -> Option<&ElementValue> {
        self.disclosed
            .iter()
            .find(|e| e.identifier == identifier)
            .map(|e| &e.value)
    }

    pub fn to_json(&self) -> serde_json::Value {
        let disclosed: serde_json::Map<String, serde_json::Value> = self
            .disclosed
            .iter()
            .map(|e| {
                (
                    format!("{}/{}", e.namespace, e.identifier),
                    e.value.to_json(),
                )
            })
            .collect();
        serde_json::json!({
            "doc_type": self.doc_type,
            "title": self.kind.map(|k| k.title_en()),
            "issuer": {
                "common_name": self.issuer.common_name,
                "country": self.issuer.country,
                "subject": self.issuer.subject,
                "serial": self.issuer.serial,
                "root": self.issuer.root_subject,
                "pinned": self.issuer.pinned,
            },
            "valid_from": crate::time_fmt::tdate(self.validity.valid_from),
            "valid_until": crate::time_fmt::tdate(self.validity.valid_until),
            "signed": crate::time_fmt::tdate(self.validity.signed),
            "device_authentication": self.device_authentication,
            "revocation": match &self.revocation {
                RevocationStatus::Valid { index } => serde_json::json!({"status": "valid", "index": index}),
                RevocationStatus::NotChecked => serde_json::json!({"status": "not_checked"}),
                RevocationStatus::NoStatusReference => serde_json::json!({"status": "no_status_reference"}),
            },
            "checks_passed": self.checks,
            "disclosed": disclosed,
        })
    }
}

/// What to verify a response against.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    pub response: &'a [u8],
    pub transcript: &'a SessionTranscript,
    pub now: OffsetDateTime,
    /// Revocation status lists; empty means revocation is not checked.
    pub status_lists: &'a [StatusList],
    /// The reader's ephemeral private key, needed only for responses with a device MAC.
    pub reader_key: Option<&'a PrivateKey>,
}

/// How many verified Document Signer certificates a verifier remembers.
const CHAIN_CACHE_SIZE: usize = 64;

/// A Document Signer certificate whose chain to a trusted root has been verified.
#[derive(Debug, Clone)]
struct VerifiedChain {
    der_digest: [u8; 32],
    ds: Certificate,
    root: usize,
}

/// The offline verifier. It remembers the Document Signer certificates whose chain it has
/// verified (a counter sees the same few signers all day), so each later response costs two
/// signature checks instead of three; validity periods are still checked every time.
#[derive(Debug)]
pub struct Verifier {
    trust: TrustList,
    chains: std::sync::Mutex<Vec<VerifiedChain>>,
}

impl Clone for Verifier {
    fn clone(&self) -> Self {
        Self::new(self.trust.clone())
    }
}

impl Verifier {
    pub fn new(trust: TrustList) -> Self {
        Self {
            trust,
            chains: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The Document Signer certificate and the root it chains to, from the cache or verified now.
    /// The chain and validity checks both presentation forms share: the Document Signer, the
    /// trusted root it chains to, and its key.
    pub(crate) fn trusted_signer(
        &self,
        leaf_der: &[u8],
        now: OffsetDateTime,
        checks: &mut Vec<Check>,
    ) -> Result<(Certificate, &Certificate, PublicKey), VerifyError> {
        let (ds, root) = self.document_signer(leaf_der)?;
        checks.push(Check::CertificateChain);
        root.check_validity(now)
            .map_err(VerifyError::CertificateValidity)?;
        ds.check_validity(now)
            .map_err(VerifyError::CertificateValidity)?;
        checks.push(Check::CertificateValidity);
        let key = ds.public_key().map_err(VerifyError::CertificateChain)?;
        Ok((ds, root, key))
    }

    fn document_signer(&self, leaf_der: &[u8]) -> Result<(Certificate, &Certificate), VerifyError> {
        let mut der_digest = [0u8; 32];
        der_digest.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, leaf_der).as_ref());
        let cached = {
            let chains = self
                .chains
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            chains.iter().find(|c| c.der_digest == der_digest).cloned()
        };
        if let Some(c) = cached
            && let Some(root) = self.trust.roots().get(c.root)
        {
            return Ok((c.ds, root));
        }
        let ds = Certificate::from_der(leaf_der).map_err(VerifyError::CertificateChain)?;
        let root = self
            .trust
            .issuer_of(&ds)
            .map_err(VerifyError::CertificateChain)?;
        ds.check_document_signer_profile()
            .map_err(VerifyError::CertificateChain)?;
        if ds.country().is_none() || ds.country() != root.country() {
            return Err(VerifyError::CertificateChain(CertificateError::Profile {
                subject: ds.subject(),
                what: "the same country as its IACA",
            }));
        }
        if let Some(index) = self
            .trust
            .roots()
            .iter()
            .position(|r| std::ptr::eq(r, root))
        {
            let mut chains = self
                .chains
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if chains.len() >= CHAIN_CACHE_SIZE {
                chains.remove(0);
            }
            chains.push(VerifiedChain {
                der_digest,
                ds: ds.clone(),
                root: index,
            });
        }
        Ok((ds, root))
    }

    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// Verifies every document of a DeviceResponse.
    pub fn verify_response(
        &self,
        req: &VerifyRequest<'_>,
    ) -> Result<Vec<VerifiedDocument>, VerifyError> {
        let value = cbor::decode(req.response, Limits::RESPONSE).map_err(VerifyError::Decoding)?;
        let response = DeviceResponse::from_cbor(&value).map_err(VerifyError::Structure)?;
        if response.documents.is_empty() {
            return Err(VerifyError::NoDocuments);
        }
        response
            .documents
            .iter()
            .map(|doc| self.verify_document(doc, req))
            .collect()
    }

    /// Checks what the issuer signed, as a wallet must before it accepts a credential: the
    /// Document Signer chain, the issuer signature, every item's digest and the validity period.
    /// There is no device authentication here (the holder is not presenting);
    /// `device_authentication` says [`DeviceAuthMethod::NotPresented`].
    pub fn verify_credential(
        &self,
        credential: &Credential,
        now: OffsetDateTime,
    ) -> Result<VerifiedDocument, VerifyError> {
        let mut checks = vec![Check::Decoding, Check::Structure];
        let (ds, root, mso, disclosed) = self.verify_issuer_signed(
            &credential.doc_type,
            &credential.issuer_signed,
            now,
            &mut checks,
        )?;
        Ok(VerifiedDocument {
            kind: DocumentKind::from_doc_type(&credential.doc_type),
            doc_type: credential.doc_type.clone(),
            issuer: IssuerInfo::new(&ds, root),
            disclosed,
            validity: mso.validity,
            device_key: mso.device_key,
            device_authentication: DeviceAuthMethod::NotPresented,
            revocation: match mso.status {
                Some(_) => RevocationStatus::NotChecked,
                None => RevocationStatus::NoStatusReference,
            },
            checks,
        })
    }

    /// The issuer's part of a document: chain, signature over the MSO, digests, validity.
    fn verify_issuer_signed(
        &self,
        doc_type: &str,
        issuer_signed: &IssuerSigned,
        now: OffsetDateTime,
        checks: &mut Vec<Check>,
    ) -> Result<
        (
            Certificate,
            &Certificate,
            MobileSecurityObject,
            Vec<DisclosedElement>,
        ),
        VerifyError,
    > {
        if issuer_signed.items().next().is_none() {
            return Err(VerifyError::NothingDisclosed);
        }
        let issuer_auth = &issuer_signed.issuer_auth;

        // Certificate chain: the leaf of x5chain must be a Document Signer issued by a trusted IACA.
        let chain = cose::x5chain(issuer_auth).map_err(VerifyError::IssuerAuth)?;
        let leaf_der = chain
            .first()
            .ok_or(VerifyError::IssuerAuth(CoseError::NoX5Chain))?;
        let (ds, root, ds_key) = self.trusted_signer(leaf_der, now, checks)?;

        // Issuer signature over MobileSecurityObjectBytes.
        let payload = cose::verify_sign1_attached(issuer_auth, &ds_key)
            .map_err(VerifyError::IssuerSignature)?;
        let mso = parse_mso(payload)?;
        if mso.doc_type != doc_type {
            return Err(VerifyError::DocTypeMismatch {
                document: doc_type.to_owned(),
                mso: mso.doc_type,
            });
        }
        checks.push(Check::IssuerSignature);

        let disclosed = check_digests(issuer_signed, &mso)?;
        checks.push(Check::ValueDigests);

        let v = &mso.validity;
        if now < v.valid_from {
            return Err(VerifyError::MsoNotYetValid {
                valid_from: crate::time_fmt::tdate(v.valid_from),
            });
        }
        if now > v.valid_until {
            return Err(VerifyError::MsoExpired {
                valid_until: crate::time_fmt::tdate(v.valid_until),
            });
        }
        if v.signed < ds.not_before() || v.signed > ds.not_after() {
            return Err(VerifyError::MsoSignedOutsideCertificate {
                signed: crate::time_fmt::tdate(v.signed),
            });
        }
        checks.push(Check::MsoValidity);
        Ok((ds, root, mso, disclosed))
    }

    fn verify_document(
        &self,
        doc: &ResponseDocument,
        req: &VerifyRequest<'_>,
    ) -> Result<VerifiedDocument, VerifyError> {
        let mut checks = vec![Check::Decoding, Check::Structure];
        let (ds, root, mso, disclosed) =
            self.verify_issuer_signed(&doc.doc_type, &doc.issuer_signed, req.now, &mut checks)?;

        let device_authentication = check_device_auth(doc, &mso.device_key, req)?;
        checks.push(Check::DeviceAuthentication);

        let revocation = match (&mso.status, req.status_lists.is_empty()) {
            (_, true) => RevocationStatus::NotChecked,
            (None, false) => RevocationStatus::NoStatusReference,
            (Some(s), false) => {
                let list = req.status_lists.iter().find(|l| l.uri == s.uri);
                match list.and_then(|l| l.is_revoked(s.index)) {
                    Some(false) => RevocationStatus::Valid { index: s.index },
                    Some(true) => return Err(VerifyError::Revoked { index: s.index }),
                    None => {
                        return Err(VerifyError::StatusUnknown {
                            index: s.index,
                            uri: s.uri.clone(),
                        });
                    }
                }
            }
        };
        if matches!(revocation, RevocationStatus::Valid { .. }) {
            checks.push(Check::Revocation);
        }

        Ok(VerifiedDocument {
            kind: DocumentKind::from_doc_type(&doc.doc_type),
            doc_type: doc.doc_type.clone(),
            issuer: IssuerInfo::new(&ds, root),
            disclosed,
            validity: mso.validity,
            device_key: mso.device_key,
            device_authentication,
            revocation,
            checks,
        })
    }
}

fn parse_mso(payload: &[u8]) -> Result<MobileSecurityObject, VerifyError> {
    let malformed = |e: String| VerifyError::MsoMalformed(e);
    let tagged = cbor::decode(payload, Limits::RESPONSE).map_err(|e| malformed(e.to_string()))?;
    let inner = cbor::untag24(&tagged)
        .ok_or_else(|| malformed("payload is not MobileSecurityObjectBytes (tag 24)".into()))?;
    let v = cbor::decode(inner, Limits::RESPONSE).map_err(|e| malformed(e.to_string()))?;
    MobileSecurityObject::from_cbor(&v).map_err(|e| malformed(e.to_string()))
}

fn check_digests(
    issuer_signed: &IssuerSigned,
    mso: &MobileSecurityObject,
) -> Result<Vec<DisclosedElement>, VerifyError> {
    let mut disclosed: Vec<DisclosedElement> = Vec::new();
    let mut seen_ids: Vec<(&str, u64)> = Vec::new();
    for (ns, item) in issuer_signed.items() {
        let it = &item.item;
        if seen_ids.contains(&(ns, it.digest_id)) {
            return Err(VerifyError::DuplicateDigestId {
                namespace: ns.to_owned(),
                digest_id: it.digest_id,
            });
        }
        seen_ids.push((ns, it.digest_id));
        if disclosed
            .iter()
            .any(|d| d.namespace == ns && d.identifier == it.element_identifier)
        {
            return Err(VerifyError::DuplicateElement {
                namespace: ns.to_owned(),
                identifier: it.element_identifier.clone(),
            });
        }
        if it.random.len() < 16 {
            return Err(VerifyError::SaltTooShort {
                namespace: ns.to_owned(),
                identifier: it.element_identifier.clone(),
                len: it.random.len(),
            });
        }
        let expected = mso
            .digest(ns, it.digest_id)
            .ok_or_else(|| VerifyError::DigestMissing {
                namespace: ns.to_owned(),
                identifier: it.element_identifier.clone(),
                digest_id: it.digest_id,
            })?;
        let input = item.digest_input().map_err(VerifyError::Decoding)?;
        let actual = mso.digest_algorithm.digest(&input);
        if !crate::secret::constant_time_eq(&actual, expected) {
            return Err(VerifyError::DigestMismatch {
                namespace: ns.to_owned(),
                identifier: it.element_identifier.clone(),
            });
        }
        disclosed.push(DisclosedElement {
            namespace: ns.to_owned(),
            identifier: it.element_identifier.clone(),
            value: it.element_value.clone(),
        });
    }
    Ok(disclosed)
}

fn check_device_auth(
    doc: &ResponseDocument,
    device_key: &PublicKey,
    req: &VerifyRequest<'_>,
) -> Result<DeviceAuthMethod, VerifyError> {
    let auth_bytes = req
        .transcript
        .device_authentication_bytes(&doc.doc_type, &doc.device_signed.namespaces_encoded)
        .map_err(VerifyError::Decoding)?;
    match &doc.device_signed.device_auth {
        DeviceAuth::Signature(sig) => {
            cose::verify_sign1_detached(sig, &auth_bytes, device_key)
                .map_err(VerifyError::DeviceSignature)?;
            Ok(DeviceAuthMethod::Signature)
        }
        DeviceAuth::Mac(mac) => {
            let reader_key = req.reader_key.ok_or(VerifyError::DeviceMacUnverifiable)?;
            let transcript_bytes = req
                .transcript
                .tagged_bytes()
                .map_err(VerifyError::Decoding)?;
            let key = emac_key(reader_key, device_key, &transcript_bytes);
            cose::verify_mac0_detached(mac, &auth_bytes, key.as_slice())
                .map_err(VerifyError::DeviceMac)?;
            Ok(DeviceAuthMethod::Mac)
        }
    }
}

/// EMacKey (ISO 18013-5 §9.1.3.5): HKDF-SHA-256 over the ECDH secret of the reader's
/// ephemeral key and the device key, salt SHA-256(SessionTranscriptBytes), info "EMacKey".
fn emac_key(
    reader_key: &PrivateKey,
    device_key: &PublicKey,
    transcript_bytes: &[u8],
) -> zeroize::Zeroizing<[u8; 32]> {
    let shared = p256::ecdh::diffie_hellman(
        reader_key.signing_key().as_nonzero_scalar(),
        device_key.verifying_key().as_affine(),
    );
    let salt_digest = ring::digest::digest(&ring::digest::SHA256, transcript_bytes);
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt_digest.as_ref());
    let prk = salt.extract(shared.raw_secret_bytes());
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    let info: [&[u8]; 1] = [b"EMacKey"];
    if let Ok(okm) = prk.expand(&info, ring::hkdf::HKDF_SHA256) {
        // Filling 32 bytes from HKDF-SHA256 cannot fail; on the impossible failure the
        // all-zero key makes the MAC check fail closed.
        let _ = okm.fill(out.as_mut());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;
    use crate::fixtures::{CLINIC_ELEMENTS, DemoWorld, STATUS_URI};
    use crate::presentation::{PresentationError, present, resolve_elements};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    fn setup() -> (DemoWorld, Verifier, SessionTranscript, Vec<u8>) {
        let world = DemoWorld::build(42, NOW).unwrap();
        let verifier =
            Verifier::new(TrustList::new(vec![world.authority.certificate().clone()]).unwrap());
        let transcript = SessionTranscript::oid4vp(
            "phongkham.example.vn",
            "https://phongkham.example.vn/r",
            "n-1",
            "m-1",
        )
        .unwrap();
        let card = world.credential(DocumentKind::HealthInsurance).unwrap();
        let elements = resolve_elements(card, CLINIC_ELEMENTS).unwrap();
        let response = present(card, &world.device_key, &elements, &transcript)
            .unwrap()
            .to_bytes()
            .unwrap();
        (world, verifier, transcript, response)
    }

    fn req<'a>(
        response: &'a [u8],
        transcript: &'a SessionTranscript,
        now: OffsetDateTime,
    ) -> VerifyRequest<'a> {
        VerifyRequest {
            response,
            transcript,
            now,
            status_lists: &[],
            reader_key: None,
        }
    }

    #[test]
    fn clinic_presentation_verifies_with_exactly_the_chosen_elements() {
        let (_w, verifier, transcript, response) = setup();
        let docs = verifier
            .verify_response(&req(&response, &transcript, NOW + time::Duration::hours(1)))
            .unwrap();
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        assert_eq!(d.kind, Some(DocumentKind::HealthInsurance));
        let mut ids: Vec<_> = d.disclosed.iter().map(|e| e.identifier.as_str()).collect();
        ids.sort_unstable();
        let mut want = CLINIC_ELEMENTS.to_vec();
        want.sort_unstable();
        assert_eq!(ids, want);
        assert_eq!(
            d.element("card_code"),
            Some(&ElementValue::Text("DN4010123456789".into()))
        );
        assert_eq!(d.device_authentication, DeviceAuthMethod::Signature);
        assert_eq!(d.revocation, RevocationStatus::NotChecked);
        assert_eq!(
            d.checks,
            vec![
                Check::Decoding,
                Check::Structure,
                Check::CertificateChain,
                Check::CertificateValidity,
                Check::IssuerSignature,
                Check::ValueDigests,
                Check::MsoValidity,
                Check::DeviceAuthentication
            ]
        );
        assert_eq!(
            d.issuer.common_name.as_deref(),
            Some("cancuoc demo Document Signer")
        );
    }

    #[test]
    fn revocation_from_the_status_list() {
        let (_w, verifier, transcript, response) = setup();
        let mut list = StatusList::with_capacity(STATUS_URI, 64);
        let lists = [list.clone()];
        let r = VerifyRequest {
            status_lists: &lists,
            ..req(&response, &transcript, NOW)
        };
        let d = verifier.verify_response(&r).unwrap();
        assert_eq!(d[0].revocation, RevocationStatus::Valid { index: 2 });
        assert_eq!(d[0].checks.last(), Some(&Check::Revocation));
        list.revoke(2);
        let lists = [list];
        let r = VerifyRequest {
            status_lists: &lists,
            ..req(&response, &transcript, NOW)
        };
        assert_eq!(
            verifier.verify_response(&r),
            Err(VerifyError::Revoked { index: 2 })
        );
        let other = [StatusList::with_capacity("https://elsewhere", 8)];
        let r = VerifyRequest {
            status_lists: &other,
            ..req(&response, &transcript, NOW)
        };
        assert_eq!(
            verifier.verify_response(&r).unwrap_err().code(),
            "status_unknown"
        );
    }

    #[test]
    fn time_and_transcript_and_trust_are_enforced() {
        let (_w, verifier, transcript, response) = setup();
        let e = verifier
            .verify_response(&req(&response, &transcript, NOW + time::Duration::days(91)))
            .unwrap_err();
        assert_eq!(e.code(), "mso_expired");
        let e = verifier
            .verify_response(&req(&response, &transcript, NOW - time::Duration::hours(1)))
            .unwrap_err();
        assert_eq!(e.code(), "mso_not_yet_valid");
        let e = verifier
            .verify_response(&req(
                &response,
                &transcript,
                NOW + time::Duration::days(400),
            ))
            .unwrap_err();
        assert_eq!(
            (e.check(), e.code()),
            (Check::CertificateValidity, "certificate_expired")
        );
        let other =
            SessionTranscript::oid4vp("bank.example.vn", "https://bank/r", "n-1", "m-1").unwrap();
        let e = verifier
            .verify_response(&req(&response, &other, NOW))
            .unwrap_err();
        assert_eq!(e.code(), "device_signature_invalid");
        // Another authority with the same name: its key did not sign the DS certificate.
        let stranger = DemoWorld::build(43, NOW).unwrap();
        let v2 =
            Verifier::new(TrustList::new(vec![stranger.authority.certificate().clone()]).unwrap());
        let e = v2
            .verify_response(&req(&response, &transcript, NOW))
            .unwrap_err();
        assert_eq!(
            (e.check(), e.code()),
            (Check::CertificateChain, "certificate_chain_invalid")
        );
        // An authority by another name: unknown issuer.
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(5);
        let params = crate::x509::CertificateParams {
            common_name: "Other IACA".into(),
            ..crate::fixtures::iaca_params(NOW - time::Duration::days(1))
        };
        let other = crate::issuance::IssuingAuthority::generate(&params, &mut rng).unwrap();
        let v3 = Verifier::new(TrustList::new(vec![other.certificate().clone()]).unwrap());
        let e = v3
            .verify_response(&req(&response, &transcript, NOW))
            .unwrap_err();
        assert_eq!(
            (e.check(), e.code()),
            (Check::CertificateChain, "unknown_issuer")
        );
    }

    #[test]
    fn the_holder_cannot_present_with_another_key_or_unknown_elements() {
        let (w, _v, transcript, _r) = setup();
        let card = w.credential(DocumentKind::HealthInsurance).unwrap();
        let stranger = DemoWorld::build(44, NOW).unwrap();
        let els = resolve_elements(card, &["card_code"]).unwrap();
        assert_eq!(
            present(card, &stranger.device_key, &els, &transcript).unwrap_err(),
            PresentationError::WrongDeviceKey
        );
        assert_eq!(
            resolve_elements(card, &["portrait"]).unwrap_err(),
            PresentationError::UnknownElement("portrait".into())
        );
        assert_eq!(
            present(card, &w.device_key, &[], &transcript).unwrap_err(),
            PresentationError::NothingSelected
        );
    }

    #[test]
    fn every_document_kind_round_trips_in_full() {
        let (w, verifier, transcript, _r) = setup();
        for (doc, cred) in &w.credentials {
            let all: Vec<_> = cred
                .issuer_signed
                .items()
                .map(|(ns, i)| crate::presentation::ElementRef::new(ns, &i.item.element_identifier))
                .collect();
            let resp = present(cred, &w.device_key, &all, &transcript)
                .unwrap()
                .to_bytes()
                .unwrap();
            let d = verifier
                .verify_response(&req(&resp, &transcript, NOW))
                .unwrap();
            assert_eq!(d[0].kind, Some(doc.kind()));
            let expected: usize = doc.elements().iter().map(|(_, v)| v.len()).sum();
            assert_eq!(d[0].disclosed.len(), expected);
            // Credential storage round trip keeps every byte.
            let bytes = cred.to_bytes().unwrap();
            assert_eq!(
                crate::mdoc::issuer_signed::Credential::from_bytes(&bytes)
                    .unwrap()
                    .to_bytes()
                    .unwrap(),
                bytes
            );
        }
    }

    #[test]
    fn no_input_prefix_or_bit_flip_panics() {
        let (_w, verifier, transcript, response) = setup();
        for len in (0..response.len()).step_by(7) {
            assert!(
                verifier
                    .verify_response(&req(&response[..len], &transcript, NOW))
                    .is_err()
            );
        }
        for i in (0..response.len()).step_by(3) {
            let mut r = response.clone();
            r[i] ^= 0x01;
            // Either rejected, or (a flip in an unsigned, undigested byte such as a CBOR
            // header that still decodes to the same values) accepted with the same elements.
            if let Ok(d) = verifier.verify_response(&req(&r, &transcript, NOW)) {
                let orig = verifier
                    .verify_response(&req(&response, &transcript, NOW))
                    .unwrap();
                assert_eq!(d[0].disclosed, orig[0].disclosed, "byte {i}");
            }
        }
    }
}
