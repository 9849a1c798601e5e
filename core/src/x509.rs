//! X.509 certificates of the mdoc PKI: making the IACA root and the Document Signer (DS)
//! certificate as ISO/IEC 18013-5 Annex B profiles them, and reading and checking them on
//! the verifier's side (chain to a trusted IACA, validity, key usage, the mdoc DS extended
//! key usage).

use std::str::FromStr;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, Ia5String, OctetString};
use der::{Decode, Encode, EncodePem};
use rand_core::CryptoRng;
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::ext::ToExtension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
    IssuerAltName, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use crate::keys::{KeyError, PrivateKey, PublicKey, verify_ecdsa_sha256_der};

/// Extended key usage of an mdoc Document Signer certificate (ISO/IEC 18013-5 Annex B).
pub const OID_MDOC_DS_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");
/// Extended key usage of an mdoc reader authentication certificate (ISO/IEC 18013-5 Annex B.1.7):
/// what a relying party signs its requests with.
pub const OID_MDOC_READER_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.6");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Annex B: an IACA certificate is valid for at most 20 years.
pub const IACA_MAX_DAYS: i64 = 20 * 365 + 5;
/// Annex B: a Document Signer certificate is valid for at most 457 days.
pub const DS_MAX_DAYS: i64 = 457;

/// What was wrong with a certificate or a chain.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertificateError {
    #[error("not a DER X.509 certificate: {0}")]
    Der(String),
    #[error("no certificate in the PEM text")]
    NoPem,
    #[error("public key is not EC P-256")]
    NotP256,
    #[error("signature algorithm {0} is not ecdsa-with-SHA256")]
    UnsupportedSignatureAlgorithm(String),
    #[error("signature of {subject:?} does not verify with the key of {issuer:?}")]
    BadSignature { subject: String, issuer: String },
    #[error("{subject:?} is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("{subject:?} expired at {not_after}")]
    Expired { subject: String, not_after: String },
    #[error("no trusted IACA issued {issuer:?}")]
    UnknownIssuer { issuer: String },
    #[error("{subject:?} lacks {what}")]
    Profile { subject: String, what: &'static str },
    #[error("validity of {days} days exceeds the {max} days Annex B allows")]
    ValidityTooLong { days: i64, max: i64 },
    #[error("could not build the certificate: {0}")]
    Build(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<der::Error> for CertificateError {
    fn from(e: der::Error) -> Self {
        CertificateError::Der(e.to_string())
    }
}

/// Subject and validity of a certificate to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateParams {
    /// ISO 3166-1 alpha-2, "VN".
    pub country: String,
    pub organization: Option<String>,
    pub common_name: String,
    /// Contact of the issuing authority for IssuerAlternativeName (an https URL or an email).
    pub issuer_contact: String,
    /// Where the certificate revocation list is published.
    pub crl_url: Option<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

fn escape_rdn(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn name(params: &CertificateParams) -> Result<Name, CertificateError> {
    let mut s = format!("CN={}", escape_rdn(&params.common_name));
    if let Some(o) = &params.organization {
        s.push_str(&format!(",O={}", escape_rdn(o)));
    }
    s.push_str(&format!(",C={}", escape_rdn(&params.country)));
    Ok(Name::from_str(&s)?)
}

fn x509_time(t: OffsetDateTime) -> Result<Time, CertificateError> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| CertificateError::Build("time before 1970".into()))?;
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))?;
    Ok(Time::from(dt))
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, CertificateError> {
    // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    );
    Ok(OctetString::new(digest.as_ref())?)
}

fn contact_name(contact: &str) -> Result<GeneralName, CertificateError> {
    let ia5 = Ia5String::new(contact)?;
    Ok(if contact.contains('@') && !contact.contains("://") {
        GeneralName::Rfc822Name(ia5)
    } else {
        GeneralName::UniformResourceIdentifier(ia5)
    })
}

/// A profile that adds exactly the extensions we computed.
struct MdocProfile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for MdocProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn ext<T: const_oid::AssociatedOid + Encode>(
    critical: bool,
    value: &T,
    subject: &Name,
) -> Result<Extension, CertificateError> {
    Ok((critical, value).to_extension(subject, &[])?)
}

fn check_days(params: &CertificateParams, max: i64) -> Result<(), CertificateError> {
    let days = (params.not_after - params.not_before).whole_days();
    if params.not_after <= params.not_before {
        return Err(CertificateError::Build(
            "not_after is not after not_before".into(),
        ));
    }
    if days > max {
        return Err(CertificateError::ValidityTooLong { days, max });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn build(
    subject: Name,
    issuer: Name,
    subject_key: &PublicKey,
    signer: &PrivateKey,
    params: &CertificateParams,
    extensions: Vec<Extension>,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Certificate, CertificateError> {
    let spki = SubjectPublicKeyInfoOwned::from_key(subject_key.verifying_key())
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    let validity = Validity::new(x509_time(params.not_before)?, x509_time(params.not_after)?);
    // Annex B: a positive serial with at least 63 bits from a CSPRNG.
    let serial = SerialNumber::generate(rng);
    let profile = MdocProfile {
        subject,
        issuer,
        extensions,
    };
    let builder = CertificateBuilder::new(profile, serial, validity, spki)
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    let cert = builder
        .build::<_, p256::ecdsa::DerSignature>(signer.signing_key())
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    Certificate::from_der(&cert.to_der()?)
}

/// Makes a self-signed IACA root certificate (Annex B.1.2): basicConstraints CA with
/// pathLen 0 (critical), keyUsage keyCertSign + cRLSign (critical), subjectKeyIdentifier,
/// issuerAlternativeName, optional cRLDistributionPoints.
pub fn make_iaca(
    key: &PrivateKey,
    params: &CertificateParams,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Certificate, CertificateError> {
    check_days(params, IACA_MAX_DAYS)?;
    let subject = name(params)?;
    let public = key.public_key();
    let spki = SubjectPublicKeyInfoOwned::from_key(public.verifying_key())
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    let mut exts = vec![
        ext(
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
            &subject,
        )?,
        ext(
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            &subject,
        )?,
        ext(false, &SubjectKeyIdentifier(key_id(&spki)?), &subject)?,
        ext(
            false,
            &IssuerAltName(vec![contact_name(&params.issuer_contact)?]),
            &subject,
        )?,
    ];
    if let Some(url) = &params.crl_url {
        exts.push(crl_dp(url, &subject)?);
    }
    build(subject.clone(), subject, &public, key, params, exts, rng)
}

fn crl_dp(url: &str, subject: &Name) -> Result<Extension, CertificateError> {
    let dp = DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::UniformResourceIdentifier(Ia5String::new(url)?),
        ])),
        reasons: None,
        crl_issuer: None,
    };
    ext(false, &CrlDistributionPoints(vec![dp]), subject)
}

/// Makes a Document Signer certificate (Annex B.1.4) for `ds_key`, signed by the IACA:
/// authorityKeyIdentifier, subjectKeyIdentifier, keyUsage digitalSignature (critical),
/// extKeyUsage 1.0.18013.5.1.2 (critical), issuerAlternativeName, optional CRL distribution
/// point. The DS country must be the IACA's.
pub fn make_document_signer(
    iaca_key: &PrivateKey,
    iaca: &Certificate,
    ds_key: &PublicKey,
    params: &CertificateParams,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Certificate, CertificateError> {
    check_days(params, DS_MAX_DAYS)?;
    if iaca.country().as_deref() != Some(params.country.as_str()) {
        return Err(CertificateError::Build(
            "the Document Signer's country must be the IACA's".into(),
        ));
    }
    let subject = name(params)?;
    let issuer = iaca.inner.tbs_certificate().subject().clone();
    let spki = SubjectPublicKeyInfoOwned::from_key(ds_key.verifying_key())
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    let iaca_spki = iaca.inner.tbs_certificate().subject_public_key_info();
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_id(iaca_spki)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let mut exts = vec![
        ext(false, &aki, &subject)?,
        ext(false, &SubjectKeyIdentifier(key_id(&spki)?), &subject)?,
        ext(
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
            &subject,
        )?,
        ext(true, &ExtendedKeyUsage(vec![OID_MDOC_DS_EKU]), &subject)?,
        ext(
            false,
            &IssuerAltName(vec![contact_name(&params.issuer_contact)?]),
            &subject,
        )?,
    ];
    if let Some(url) = &params.crl_url {
        exts.push(crl_dp(url, &subject)?);
    }
    build(subject, issuer, ds_key, iaca_key, params, exts, rng)
}

/// Makes a relying party's reader authentication certificate (Annex B.1.7) for `rp_key`,
/// signed by the registry's CA (made like an IACA): authorityKeyIdentifier,
/// subjectKeyIdentifier, keyUsage digitalSignature (critical), extKeyUsage 1.0.18013.5.1.6
/// (critical). Kept small on purpose: it travels inside the request QR. The common name is the
/// party's identifier that its requests name.
pub fn make_reader_certificate(
    ca_key: &PrivateKey,
    ca: &Certificate,
    rp_key: &PublicKey,
    params: &CertificateParams,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Certificate, CertificateError> {
    check_days(params, DS_MAX_DAYS)?;
    let subject = name(params)?;
    let issuer = ca.inner.tbs_certificate().subject().clone();
    let spki = SubjectPublicKeyInfoOwned::from_key(rp_key.verifying_key())
        .map_err(|e| CertificateError::Build(e.to_string()))?;
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_id(
            ca.inner.tbs_certificate().subject_public_key_info(),
        )?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let exts = vec![
        ext(false, &aki, &subject)?,
        ext(false, &SubjectKeyIdentifier(key_id(&spki)?), &subject)?,
        ext(
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
            &subject,
        )?,
        ext(true, &ExtendedKeyUsage(vec![OID_MDOC_READER_EKU]), &subject)?,
    ];
    build(subject, issuer, rp_key, ca_key, params, exts, rng)
}

/// A parsed certificate that keeps its exact DER bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: Vec<u8>,
    inner: x509_cert::Certificate,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("serial", &self.serial_hex())
            .finish()
    }
}

impl Certificate {
    /// Parses one DER certificate; the whole input must be the certificate.
    pub fn from_der(bytes: &[u8]) -> Result<Self, CertificateError> {
        let inner = x509_cert::Certificate::from_der(bytes)?;
        let outer = AnyRef::from_der(bytes)?;
        let mut reader = der::SliceReader::new(outer.value())?;
        let tbs = AnyRef::decode(&mut reader)?.to_der()?;
        Ok(Self {
            der: bytes.to_vec(),
            tbs,
            inner,
        })
    }

    /// Parses every certificate in a PEM text.
    pub fn from_pem(text: &str) -> Result<Vec<Self>, CertificateError> {
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(CertificateError::NoPem);
        }
        let certs = x509_cert::Certificate::load_pem_chain(text.as_bytes())?;
        if certs.is_empty() {
            return Err(CertificateError::NoPem);
        }
        certs.iter().map(|c| Self::from_der(&c.to_der()?)).collect()
    }

    pub fn to_pem(&self) -> Result<String, CertificateError> {
        Ok(self.inner.to_pem(der::pem::LineEnding::LF)?)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.inner.tbs_certificate().subject().to_string()
    }

    pub fn issuer(&self) -> String {
        self.inner.tbs_certificate().issuer().to_string()
    }

    pub fn common_name(&self) -> Option<String> {
        self.inner
            .tbs_certificate()
            .subject()
            .common_name()
            .ok()
            .flatten()
            .map(|d| d.value().into_owned())
    }

    pub fn country(&self) -> Option<String> {
        self.inner
            .tbs_certificate()
            .subject()
            .country()
            .ok()
            .flatten()
            .map(|c| c.to_string())
    }

    pub fn serial_hex(&self) -> String {
        hex::encode(self.inner.tbs_certificate().serial_number().as_bytes())
    }

    pub fn not_before(&self) -> OffsetDateTime {
        unix(
            self.inner
                .tbs_certificate()
                .validity()
                .not_before
                .to_unix_duration(),
        )
    }

    pub fn not_after(&self) -> OffsetDateTime {
        unix(
            self.inner
                .tbs_certificate()
                .validity()
                .not_after
                .to_unix_duration(),
        )
    }

    /// The subject's P-256 public key.
    pub fn public_key(&self) -> Result<PublicKey, CertificateError> {
        let spki = self.inner.tbs_certificate().subject_public_key_info();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if spki.algorithm.oid != OID_EC_PUBLIC_KEY || curve != Some(OID_P256) {
            return Err(CertificateError::NotP256);
        }
        Ok(PublicKey::from_sec1(spki.subject_public_key.raw_bytes())?)
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&Extension> {
        self.inner
            .tbs_certificate()
            .extensions()
            .and_then(|exts| exts.iter().find(|e| e.extn_id == oid))
    }

    /// basicConstraints cA.
    pub fn is_ca(&self) -> bool {
        self.extension(OID_BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|bc| bc.ca)
    }

    fn key_usage(&self) -> Option<KeyUsage> {
        self.extension(OID_KEY_USAGE)
            .and_then(|e| KeyUsage::from_der(e.extn_value.as_bytes()).ok())
    }

    fn has_ext_key_usage(&self, oid: ObjectIdentifier) -> bool {
        self.extension(OID_EXT_KEY_USAGE)
            .and_then(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|eku| eku.0.contains(&oid))
    }

    /// Checks that `issuer` signed this certificate (ecdsa-with-SHA256) and names match.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), CertificateError> {
        if self.inner.tbs_certificate().issuer() != issuer.inner.tbs_certificate().subject() {
            return Err(CertificateError::UnknownIssuer {
                issuer: self.issuer(),
            });
        }
        let alg = &self.inner.signature_algorithm().oid;
        if *alg != OID_ECDSA_SHA256 {
            return Err(CertificateError::UnsupportedSignatureAlgorithm(
                alg.to_string(),
            ));
        }
        let key = issuer.public_key()?;
        let sig = self.inner.signature().raw_bytes();
        if !verify_ecdsa_sha256_der(&key.sec1(), &self.tbs, sig) {
            return Err(CertificateError::BadSignature {
                subject: self.subject(),
                issuer: issuer.subject(),
            });
        }
        Ok(())
    }

    /// Checks `not_before <= now <= not_after`.
    pub fn check_validity(&self, now: OffsetDateTime) -> Result<(), CertificateError> {
        if now < self.not_before() {
            return Err(CertificateError::NotYetValid {
                subject: self.subject(),
                not_before: crate::time_fmt::tdate(self.not_before()),
            });
        }
        if now > self.not_after() {
            return Err(CertificateError::Expired {
                subject: self.subject(),
                not_after: crate::time_fmt::tdate(self.not_after()),
            });
        }
        Ok(())
    }

    /// The Annex B requirements a verifier relies on for an IACA: a CA allowed to sign
    /// certificates.
    pub fn check_iaca_profile(&self) -> Result<(), CertificateError> {
        let profile = |what| CertificateError::Profile {
            subject: self.subject(),
            what,
        };
        if !self.is_ca() {
            return Err(profile("basicConstraints cA"));
        }
        if !self
            .key_usage()
            .is_some_and(|ku| ku.0.contains(KeyUsages::KeyCertSign))
        {
            return Err(profile("keyUsage keyCertSign"));
        }
        Ok(())
    }

    /// The Annex B.1.7 requirements for a reader (relying party) certificate: not a CA,
    /// keyUsage digitalSignature, extKeyUsage 1.0.18013.5.1.6.
    pub fn check_reader_profile(&self) -> Result<(), CertificateError> {
        self.check_end_entity_profile(
            OID_MDOC_READER_EKU,
            "extKeyUsage 1.0.18013.5.1.6 (mdoc reader authentication)",
        )
    }

    /// The Annex B requirements for a Document Signer: not a CA, keyUsage digitalSignature,
    /// extKeyUsage 1.0.18013.5.1.2.
    pub fn check_document_signer_profile(&self) -> Result<(), CertificateError> {
        self.check_end_entity_profile(
            OID_MDOC_DS_EKU,
            "extKeyUsage 1.0.18013.5.1.2 (mdoc Document Signer)",
        )
    }

    /// An end-entity certificate for one purpose: not a CA, keyUsage digitalSignature, the
    /// extended key usage `eku`.
    fn check_end_entity_profile(
        &self,
        eku: ObjectIdentifier,
        eku_name: &'static str,
    ) -> Result<(), CertificateError> {
        let profile = |what| CertificateError::Profile {
            subject: self.subject(),
            what,
        };
        if self.is_ca() {
            return Err(profile("an end-entity basicConstraints (it is a CA)"));
        }
        if !self
            .key_usage()
            .is_some_and(|ku| ku.0.contains(KeyUsages::DigitalSignature))
        {
            return Err(profile("keyUsage digitalSignature"));
        }
        if !self.has_ext_key_usage(eku) {
            return Err(profile(eku_name));
        }
        Ok(())
    }
}

fn unix(d: Duration) -> OffsetDateTime {
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::datetime;

    pub(crate) fn params(cn: &str, days: i64) -> CertificateParams {
        let nb = datetime!(2026-01-01 00:00:00 UTC);
        CertificateParams {
            country: "VN".into(),
            organization: Some("Bộ Công an".into()),
            common_name: cn.into(),
            issuer_contact: "https://example.gov.vn/iaca".into(),
            crl_url: Some("https://example.gov.vn/iaca.crl".into()),
            not_before: nb,
            not_after: nb + time::Duration::days(days),
        }
    }

    #[test]
    fn iaca_and_ds_follow_annex_b_and_chain() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let iaca_key = PrivateKey::generate(&mut rng);
        let iaca = make_iaca(&iaca_key, &params("cancuoc IACA, test", 3650), &mut rng).unwrap();
        assert_eq!(iaca.common_name().as_deref(), Some("cancuoc IACA, test"));
        assert_eq!(iaca.country().as_deref(), Some("VN"));
        iaca.check_iaca_profile().unwrap();
        iaca.verify_issued_by(&iaca).unwrap();
        let ds_key = PrivateKey::generate(&mut rng);
        let ds = make_document_signer(
            &iaca_key,
            &iaca,
            &ds_key.public_key(),
            &params("DS", 365),
            &mut rng,
        )
        .unwrap();
        ds.check_document_signer_profile().unwrap();
        ds.verify_issued_by(&iaca).unwrap();
        assert_eq!(ds.public_key().unwrap(), ds_key.public_key());
        assert!(ds.check_document_signer_profile().is_ok());
        assert!(iaca.check_document_signer_profile().is_err());
        assert!(ds.check_iaca_profile().is_err());
        // The DS does not verify under a different root.
        let other = make_iaca(
            &PrivateKey::generate(&mut rng),
            &params("cancuoc IACA, test", 3650),
            &mut rng,
        )
        .unwrap();
        assert!(matches!(
            ds.verify_issued_by(&other),
            Err(CertificateError::BadSignature { .. })
        ));
        // PEM round trip keeps the exact bytes.
        let pem = ds.to_pem().unwrap();
        assert_eq!(Certificate::from_pem(&pem).unwrap()[0].der(), ds.der());
        // Validity.
        assert!(
            ds.check_validity(datetime!(2026-06-01 00:00:00 UTC))
                .is_ok()
        );
        assert!(matches!(
            ds.check_validity(datetime!(2027-06-01 00:00:00 UTC)),
            Err(CertificateError::Expired { .. })
        ));
        assert!(matches!(
            ds.check_validity(datetime!(2025-06-01 00:00:00 UTC)),
            Err(CertificateError::NotYetValid { .. })
        ));
    }

    #[test]
    fn refuses_over_long_validity_and_bad_der() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let key = PrivateKey::generate(&mut rng);
        assert!(matches!(
            make_iaca(&key, &params("x", 30 * 365), &mut rng),
            Err(CertificateError::ValidityTooLong { .. })
        ));
        let iaca = make_iaca(&key, &params("x", 365), &mut rng).unwrap();
        assert!(matches!(
            make_document_signer(&key, &iaca, &key.public_key(), &params("y", 500), &mut rng),
            Err(CertificateError::ValidityTooLong { .. })
        ));
        let mut der = iaca.der().to_vec();
        der.truncate(der.len() - 1);
        assert!(matches!(
            Certificate::from_der(&der),
            Err(CertificateError::Der(_))
        ));
        assert!(matches!(
            Certificate::from_der(b"garbage"),
            Err(CertificateError::Der(_))
        ));
        assert_eq!(
            Certificate::from_pem("no pem here"),
            Err(CertificateError::NoPem)
        );
    }
}
