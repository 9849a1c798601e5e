//! A deterministic demo world — an IACA, a Document Signer, one citizen's device key and the
//! four documents issued to it — from a seed and a clock reading. The CLI demo, the test
//! vectors, the benchmarks and the tests all stand on it, so they agree byte for byte.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};

use crate::document::{self, Document};
use crate::issuance::{CredentialValidity, IssueError, Issuer, IssuingAuthority};
use crate::keys::PrivateKey;
use crate::mdoc::issuer_signed::Credential;
use crate::mdoc::mso::StatusReference;
use crate::qr::sd_cwt::CompactCredential;
use crate::x509::CertificateParams;

/// What clinic reception asks of a health insurance card.
pub const CLINIC_ELEMENTS: &[&str] = &[
    "holder_name",
    "birth_date",
    "sex",
    "card_code",
    "valid_until",
    "registered_facility_code",
    "registered_facility_name",
];

/// Where the demo authority publishes revocation status.
pub const STATUS_URI: &str = "https://cancuoc.example.vn/status/1";

/// IACA parameters of the demo authority, valid 10 years from `not_before`.
pub fn iaca_params(not_before: OffsetDateTime) -> CertificateParams {
    CertificateParams {
        country: "VN".into(),
        organization: Some("Bộ Công an".into()),
        common_name: "cancuoc demo IACA".into(),
        issuer_contact: "https://cancuoc.example.vn/iaca".into(),
        crl_url: Some("https://cancuoc.example.vn/iaca.crl".into()),
        not_before,
        not_after: not_before + Duration::days(3650),
    }
}

/// Document Signer parameters, valid one year from `not_before`.
pub fn ds_params(not_before: OffsetDateTime) -> CertificateParams {
    CertificateParams {
        common_name: "cancuoc demo Document Signer".into(),
        not_after: not_before + Duration::days(365),
        ..iaca_params(not_before)
    }
}

/// The demo world.
#[derive(Debug)]
pub struct DemoWorld {
    pub authority: IssuingAuthority,
    pub issuer: Issuer,
    pub device_key: PrivateKey,
    /// The four documents and their credentials, in [`document::samples::all`] order.
    pub credentials: Vec<(Document, Credential)>,
    /// The compact (QR) credentials issued with them, same order.
    pub compact: Vec<CompactCredential>,
    pub rng: ChaCha20Rng,
}

impl DemoWorld {
    /// Builds the world at `now` from `seed`: certificates start a day before `now`,
    /// credentials are valid from `now` for 90 days and carry status indexes 0–3.
    pub fn build(seed: u64, now: OffsetDateTime) -> Result<Self, IssueError> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let start = now - Duration::days(1);
        let authority = IssuingAuthority::generate(&iaca_params(start), &mut rng)?;
        let issuer = authority.document_signer(&ds_params(start), &mut rng)?;
        let device_key = PrivateKey::generate(&mut rng);
        let validity = CredentialValidity {
            valid_from: now,
            valid_until: now + Duration::days(90),
            expected_update: Some(now + Duration::days(60)),
        };
        let mut credentials = Vec::new();
        let mut compact = Vec::new();
        for (i, doc) in (0u64..).zip(document::samples::all()) {
            let status = StatusReference {
                index: i,
                uri: STATUS_URI.into(),
            };
            let public = device_key.public_key();
            let cred = issuer.issue(&doc, &public, validity, Some(status), now, &mut rng)?;
            compact.push(issuer.issue_compact(&doc, &public, validity, Some(i), now, &mut rng)?);
            credentials.push((doc, cred));
        }
        Ok(Self {
            authority,
            issuer,
            device_key,
            credentials,
            compact,
            rng,
        })
    }

    /// The compact credential of one document kind.
    pub fn compact(&self, kind: document::DocumentKind) -> Option<&CompactCredential> {
        self.compact.iter().find(|c| c.kind == kind)
    }

    /// The credential of one document kind.
    pub fn credential(&self, kind: document::DocumentKind) -> Option<&Credential> {
        self.credentials
            .iter()
            .find(|(d, _)| d.kind() == kind)
            .map(|(_, c)| c)
    }
}
