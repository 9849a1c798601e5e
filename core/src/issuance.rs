//! Issuance: the IACA (root of an issuing authority), its Document Signers, and the one
//! [`Issuer`] through which every mdoc is signed — the CLI, the tests, the test vectors and
//! the identity service all issue here. Time and randomness are passed in.

use rand_core::CryptoRng;
use time::OffsetDateTime;

use crate::cbor::{self, CborError};
use crate::document::{Document, DocumentError};
use crate::keys::{PrivateKey, PublicKey};
use crate::mdoc::issuer_signed::{
    Credential, IssuerSigned, IssuerSignedItem, IssuerSignedItemBytes,
};
use crate::mdoc::mso::{DigestAlgorithm, MobileSecurityObject, StatusReference, ValidityInfo};
use crate::time_fmt::whole_seconds;
use crate::x509::{self, Certificate, CertificateError, CertificateParams};

/// Bytes of random salt in each IssuerSignedItem (ISO 18013-5 asks for at least 16).
pub const SALT_BYTES: usize = 32;

/// Why issuance failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum IssueError {
    #[error("invalid document: {0}")]
    Document(#[from] DocumentError),
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
    #[error("the Document Signer key does not match its certificate")]
    KeyMismatch,
    #[error("validity window is empty: valid_until is not after valid_from")]
    EmptyValidity,
    #[error("the Document Signer certificate is not valid at signing time {0}")]
    SignerNotValid(String),
    #[error("encoding: {0}")]
    Encode(#[from] CborError),
}

/// An issuing authority's root: the IACA key and certificate.
#[derive(Debug)]
pub struct IssuingAuthority {
    key: PrivateKey,
    certificate: Certificate,
}

impl IssuingAuthority {
    /// Creates a new IACA key and self-signed certificate.
    pub fn generate(
        params: &CertificateParams,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, IssueError> {
        let key = PrivateKey::generate(rng);
        let certificate = x509::make_iaca(&key, params, rng)?;
        Ok(Self { key, certificate })
    }

    /// Loads an existing IACA.
    pub fn from_parts(key: PrivateKey, certificate: Certificate) -> Result<Self, IssueError> {
        if certificate.public_key()? != key.public_key() {
            return Err(IssueError::KeyMismatch);
        }
        certificate.check_iaca_profile()?;
        Ok(Self { key, certificate })
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Creates a Document Signer key and certificate under this IACA, ready to issue.
    pub fn document_signer(
        &self,
        params: &CertificateParams,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Issuer, IssueError> {
        let key = PrivateKey::generate(rng);
        let certificate = x509::make_document_signer(
            &self.key,
            &self.certificate,
            &key.public_key(),
            params,
            rng,
        )?;
        Issuer::new(key, certificate)
    }
}

/// The validity a credential is issued with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialValidity {
    pub valid_from: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub expected_update: Option<OffsetDateTime>,
}

/// A Document Signer: signs MSOs.
#[derive(Debug)]
pub struct Issuer {
    key: PrivateKey,
    certificate: Certificate,
}

impl Issuer {
    pub fn new(key: PrivateKey, certificate: Certificate) -> Result<Self, IssueError> {
        if certificate.public_key()? != key.public_key() {
            return Err(IssueError::KeyMismatch);
        }
        certificate.check_document_signer_profile()?;
        Ok(Self { key, certificate })
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Issues `document` to the holder's `device_key`: validates it, salts each element with
    /// [`SALT_BYTES`] random bytes under a random unique digest ID, builds the MSO with SHA-256
    /// value digests and signs it (ES256, DS certificate in `x5chain`).
    pub fn issue(
        &self,
        document: &Document,
        device_key: &PublicKey,
        validity: CredentialValidity,
        status: Option<StatusReference>,
        now: OffsetDateTime,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Credential, IssueError> {
        document.validate()?;
        if validity.valid_until <= validity.valid_from {
            return Err(IssueError::EmptyValidity);
        }
        let signed = whole_seconds(now);
        self.certificate
            .check_validity(signed)
            .map_err(|_| IssueError::SignerNotValid(crate::time_fmt::tdate(signed)))?;

        let alg = DigestAlgorithm::Sha256;
        let elements = document.elements();
        let total: usize = elements.iter().map(|(_, items)| items.len()).sum();
        let mut ids = unique_digest_ids(total, rng);
        let mut namespaces = Vec::with_capacity(elements.len());
        let mut value_digests = Vec::with_capacity(elements.len());
        for (ns, items) in elements {
            let mut signed_items = Vec::with_capacity(items.len());
            let mut digests = Vec::with_capacity(items.len());
            for (identifier, value) in items {
                let mut random = vec![0u8; SALT_BYTES];
                rng.fill_bytes(&mut random);
                let item = IssuerSignedItemBytes::new(IssuerSignedItem {
                    digest_id: ids.pop().unwrap_or_default(),
                    random,
                    element_identifier: identifier.to_owned(),
                    element_value: value,
                })?;
                digests.push((item.item.digest_id, alg.digest(&item.digest_input()?)));
                signed_items.push(item);
            }
            namespaces.push((ns.to_owned(), signed_items));
            value_digests.push((ns.to_owned(), digests));
        }
        let mso = MobileSecurityObject {
            digest_algorithm: alg,
            value_digests,
            device_key: *device_key,
            doc_type: document.doc_type().to_owned(),
            validity: ValidityInfo {
                signed,
                valid_from: whole_seconds(validity.valid_from),
                valid_until: whole_seconds(validity.valid_until),
                expected_update: validity.expected_update.map(whole_seconds),
            },
            status,
        };
        let issuer_auth = self.sign_mso(&mso)?;
        Ok(Credential {
            doc_type: document.doc_type().to_owned(),
            issuer_signed: IssuerSigned {
                namespaces,
                issuer_auth,
            },
        })
    }

    /// Signs an MSO: payload `MobileSecurityObjectBytes = #6.24(bstr .cbor MSO)`.
    pub fn sign_mso(&self, mso: &MobileSecurityObject) -> Result<coset::CoseSign1, IssueError> {
        let payload = cbor::encode(&cbor::tag24(cbor::encode(&mso.to_cbor())?))?;
        Ok(crate::cose::sign1_attached(
            payload,
            &self.key,
            &[self.certificate.der().to_vec()],
        ))
    }
}

/// `n` distinct digest IDs below 2^31 in random order, so that IDs reveal neither the
/// number nor the order of elements.
fn unique_digest_ids(n: usize, rng: &mut (impl CryptoRng + ?Sized)) -> Vec<u64> {
    let mut ids: Vec<u64> = Vec::with_capacity(n);
    while ids.len() < n {
        let id = u64::from(rng.next_u32() >> 1);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}
