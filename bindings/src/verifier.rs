//! The `Verifier` object across the FFI: QR presentations from their text or a camera frame,
//! encrypted answers with the party's key, challenge requests, and consent grants. A rejection
//! is a [`VerificationError::Rejected`] naming the failed check, a stable code and the reason
//! in plain words.

use std::sync::Arc;

use cancuoc_core::i18n::{Lang, rejection_reason};
use cancuoc_core::keys::{PrivateKey, PublicKey};
use cancuoc_core::qr::request::QrRequest;
use cancuoc_core::qr::signed_request::{SIGNED_REQUEST_PREFIX, SignedRequest};
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::grant::{GrantCheck, verify_grant};
use cancuoc_core::verifier::{self as core, QrVerifyRequest, VerifiedDocument};
use zeroize::Zeroizing;

use crate::convert::{from_unix, kind, unix, value};
use crate::{DocumentKind, Language};

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum VerificationError {
    /// The presentation (or grant) was checked and refused.
    #[error("{reason}")]
    Rejected {
        check: String,
        code: String,
        reason: String,
    },
    /// The input could not be used at all (no QR in the image, bad key, bad options).
    #[error("{reason}")]
    Input { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DisclosedElement {
    pub namespace: String,
    pub identifier: String,
    pub label: String,
    pub value: String,
    pub image: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedPresentation {
    pub doc_type: String,
    pub kind: Option<DocumentKind>,
    pub title: String,
    pub issuer: String,
    pub issuer_country: Option<String>,
    pub valid_from_unix: i64,
    pub valid_until_unix: i64,
    pub elements: Vec<DisclosedElement>,
    /// The checks that ran and passed, in order.
    pub checks: Vec<String>,
}

/// What to check against.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifyOptions {
    /// Verify as of this time (Unix seconds); `None` for now.
    pub now_unix: Option<i64>,
    /// How old a static QR may be; 60 by default.
    pub max_age_seconds: u32,
    /// Challenge mode: this verifier's own request (`CR1:` or `CR2:`).
    pub request: Option<String>,
    /// The party's private key (PKCS#8 PEM) to open an encrypted answer (`CE1:`).
    pub decryption_key_pem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GrantCheckOptions {
    pub now_unix: Option<i64>,
    /// The citizen's device key as the checker knows it (SEC1).
    pub holder_public_key: Option<Vec<u8>>,
    /// The party presenting the grant.
    pub party: Option<String>,
    /// Revocations (`CV1:`) known to the checker.
    pub revocations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckedGrant {
    pub id: String,
    pub party: String,
    pub document: DocumentKind,
    pub elements: Vec<String>,
    pub purpose: String,
    pub subject: String,
    pub issued_unix: i64,
    pub expires_unix: i64,
}

#[derive(uniffi::Object)]
pub struct Verifier {
    inner: core::Verifier,
    lang: Lang,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier")
    }
}

fn input(message: impl Into<String>) -> VerificationError {
    VerificationError::Input {
        reason: message.into(),
    }
}

fn now(t: Option<i64>) -> Result<time::OffsetDateTime, VerificationError> {
    match t {
        None => Ok(time::OffsetDateTime::now_utc()),
        Some(t) => from_unix(t).ok_or_else(|| input("now_unix is out of range")),
    }
}

#[uniffi::export]
impl Verifier {
    /// A verifier trusting the issuer certificates in `trust_pem` (IACA roots and the Document
    /// Signers QR codes name by key id).
    #[uniffi::constructor]
    pub fn new(trust_pem: String, language: Language) -> Result<Arc<Self>, VerificationError> {
        let trust = TrustList::from_pem_texts([trust_pem.as_str()])
            .map_err(|e| input(format!("trust list: {e}")))?;
        Ok(Arc::new(Self {
            inner: core::Verifier::new(trust),
            lang: language.into(),
        }))
    }

    /// Verifies the text of a QR presentation.
    pub fn verify_qr_text(
        &self,
        text: String,
        options: VerifyOptions,
    ) -> Result<VerifiedPresentation, VerificationError> {
        self.verify(|v, req| v.verify_qr_text(&text, req), &options)
    }

    /// Reads the QR code in a grayscale camera frame (`width` × `height`, one byte a pixel)
    /// and verifies it.
    pub fn verify_qr_frame(
        &self,
        width: u32,
        height: u32,
        pixels: Vec<u8>,
        options: VerifyOptions,
    ) -> Result<VerifiedPresentation, VerificationError> {
        let (w, h) = (width as usize, height as usize);
        if w.checked_mul(h) != Some(pixels.len()) {
            return Err(input("the frame is not width × height bytes"));
        }
        let text =
            cancuoc_core::qr::code::read_gray(w, h, &pixels).map_err(|e| input(e.to_string()))?;
        self.verify_qr_text(text, options)
    }

    /// Checks a consent grant (`CG1:`).
    pub fn verify_grant(
        &self,
        text: String,
        options: GrantCheckOptions,
    ) -> Result<CheckedGrant, VerificationError> {
        let holder = options
            .holder_public_key
            .as_deref()
            .map(PublicKey::from_sec1)
            .transpose()
            .map_err(|e| input(e.to_string()))?;
        let mut check = GrantCheck::new(now(options.now_unix)?);
        check.holder_key = holder.as_ref();
        check.party = options.party.as_deref();
        check.revocations = &options.revocations;
        let g = verify_grant(&text, &check).map_err(|e| VerificationError::Rejected {
            check: "grant".into(),
            code: e.code().into(),
            reason: e.to_string(),
        })?;
        Ok(CheckedGrant {
            id: g.id_hex(),
            party: g.party,
            document: kind(g.document),
            elements: g.elements,
            purpose: g.purpose,
            subject: g.subject,
            issued_unix: unix(g.issued),
            expires_unix: unix(g.expires),
        })
    }
}

impl Verifier {
    fn verify(
        &self,
        run: impl FnOnce(
            &core::Verifier,
            &QrVerifyRequest<'_>,
        ) -> Result<VerifiedDocument, core::VerifyError>,
        options: &VerifyOptions,
    ) -> Result<VerifiedPresentation, VerificationError> {
        let now = now(options.now_unix)?;
        let request = options
            .request
            .as_deref()
            .map(|r| {
                if r.starts_with(SIGNED_REQUEST_PREFIX) {
                    SignedRequest::from_own_text(r, now)
                        .map(|s| s.request)
                        .map_err(|e| input(format!("request: {e}")))
                } else {
                    QrRequest::from_text(r, now).map_err(|e| input(format!("request: {e}")))
                }
            })
            .transpose()?;
        let key = options
            .decryption_key_pem
            .as_ref()
            .map(|pem| {
                let pem = Zeroizing::new(pem.clone());
                PrivateKey::from_pkcs8_pem(&pem).map_err(|e| input(format!("decryption key: {e}")))
            })
            .transpose()?;
        let mut req = QrVerifyRequest::new(now);
        req.max_age = time::Duration::seconds(i64::from(options.max_age_seconds));
        req.challenge = request.as_ref().map(QrRequest::challenge);
        req.decryption_key = key.as_ref();
        let d = run(&self.inner, &req).map_err(|e| VerificationError::Rejected {
            check: e.check().as_str().into(),
            code: e.code().into(),
            reason: rejection_reason(&e, self.lang).to_owned(),
        })?;
        let lang = self.lang;
        Ok(VerifiedPresentation {
            title: d
                .kind
                .map(|k| lang.pick(k.title_vi(), k.title_en()).to_owned())
                .unwrap_or_else(|| d.doc_type.clone()),
            kind: d.kind.map(kind),
            issuer: d
                .issuer
                .common_name
                .clone()
                .unwrap_or_else(|| d.issuer.subject.clone()),
            issuer_country: d.issuer.country.clone(),
            valid_from_unix: unix(d.validity.valid_from),
            valid_until_unix: unix(d.validity.valid_until),
            elements: d
                .disclosed
                .iter()
                .map(|e| {
                    let (text, image) = value(&e.value);
                    let label = d
                        .kind
                        .and_then(|k| k.element(&e.namespace, &e.identifier))
                        .map(|s| lang.pick(s.label_vi, s.label_en).to_owned())
                        .unwrap_or_else(|| e.identifier.clone());
                    DisclosedElement {
                        namespace: e.namespace.clone(),
                        identifier: e.identifier.clone(),
                        label,
                        value: text,
                        image,
                    }
                })
                .collect(),
            checks: d.checks.iter().map(|c| c.as_str().to_owned()).collect(),
            doc_type: d.doc_type,
        })
    }
}
