//! Challenge mode: the station shows a request QR, the citizen's phone answers it, and the
//! answer is checked against the request's audience, nonce and document, once.
//!
//! The request is the wallet's signed request (`CR2:`, [`SignedRequest`]): the station signs
//! it with its relying-party key, and the reader certificate it carries — issued by the registry
//! of relying parties the wallets trust (`cancuoc party`) — names the station; it asks for the
//! clinic's elements, with a purpose in Vietnamese ([`CLINIC_PURPOSE`]), keeps nothing
//! (`retain` empty), lives [`REQUEST_TTL`], and asks for the answer encrypted to the party's
//! key, so the phone answers with a `CE1:` text only this station opens. Wallets refuse the
//! unsigned `CR1:` request, so without a [`Party`] a station has no challenge mode.
//!
//! [`make_request`] builds the request; [`parse_request`] reads one an HIS made itself (a
//! `CR2:` — its signature and certificate profile checked — or a `CR1:`, the verifier's own
//! record of what it asked). The pending-request store and the verification path work on
//! [`Pending`]: audience, nonce, document and elements, which any request form carries.

use std::collections::VecDeque;

use cancuoc_core::document::DocumentKind;
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::qr::request::{QrRequest, RequestError};
use cancuoc_core::qr::signed_request::{SIGNED_REQUEST_PREFIX, SignedRequest, SignedRequestError};
use cancuoc_core::verifier::Challenge;
use cancuoc_core::x509::Certificate;
use rand_core::CryptoRng;
use time::{Duration, OffsetDateTime};

/// How long a request QR stays answerable.
pub const REQUEST_TTL: Duration = Duration::minutes(5);
/// How many unanswered requests a station keeps (oldest dropped first).
pub const MAX_PENDING: usize = 1024;
/// What clinic reception asks of a health insurance card in challenge mode: the elements the
/// citizen chooses to show (card code, validity and facility are always shown).
pub const CLINIC_REQUEST: &[&str] = &["holder_name", "birth_date", "sex"];
/// Why the station asks, as the citizen reads it in the app.
pub const CLINIC_PURPOSE: &str = "Tiếp đón khám bệnh";

/// Why a relying-party identity cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PartyError {
    #[error("the party certificate is not a relying-party (reader) certificate: {0}")]
    NotReader(String),
    #[error("the party certificate has no common name (the party id)")]
    NoPartyId,
    #[error("the party key is not the key of the party certificate")]
    KeyMismatch,
}

/// The station's relying-party identity: its reader certificate and the key that signs its
/// requests and opens the answers encrypted to it. `Debug` never shows the key.
#[derive(Clone)]
pub struct Party {
    id: String,
    key: PrivateKey,
    certificate: Certificate,
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Party")
            .field("id", &self.id)
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl Party {
    /// A party from its key and reader certificate: the certificate must have the reader
    /// profile (ISO 18013-5 Annex B.1.7), a common name, and be the key's.
    pub fn new(key: PrivateKey, certificate: Certificate) -> Result<Self, PartyError> {
        certificate
            .check_reader_profile()
            .map_err(|e| PartyError::NotReader(e.to_string()))?;
        let id = certificate.common_name().ok_or(PartyError::NoPartyId)?;
        if certificate.public_key().ok().as_ref() != Some(&key.public_key()) {
            return Err(PartyError::KeyMismatch);
        }
        Ok(Self {
            id,
            key,
            certificate,
        })
    }

    /// The party id: the certificate's common name, the audience of the station's requests.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The organisation the certificate names, as the citizen reads it.
    pub fn organization(&self) -> Option<String> {
        self.certificate
            .subject()
            .split(',')
            .find_map(|part| part.trim().strip_prefix("O="))
            .map(str::to_owned)
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The key that opens the answers encrypted to this party.
    pub(crate) fn key(&self) -> &PrivateKey {
        &self.key
    }
}

/// A request the station made and has not yet seen answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The station's handle for it (hex, random), returned to the page or the HIS.
    pub id: String,
    /// The QR text the phone scans.
    pub text: String,
    pub audience: String,
    pub nonce: Vec<u8>,
    pub kind: DocumentKind,
    pub elements: Vec<String>,
    pub expires: OffsetDateTime,
    /// Why, as the citizen reads it (signed requests).
    pub purpose: Option<String>,
    /// The answer must come encrypted (`CE1:`).
    pub encrypted: bool,
}

impl Pending {
    pub fn challenge(&self) -> Challenge<'_> {
        Challenge {
            audience: &self.audience,
            nonce: &self.nonce,
            kind: Some(self.kind),
        }
    }
}

/// Builds the station's request QR: signed by `party`, asking for `elements` of `kind` for
/// [`CLINIC_PURPOSE`], retaining nothing, the answer encrypted to the party's key.
pub fn make_request(
    party: &Party,
    kind: DocumentKind,
    elements: &[&str],
    now: OffsetDateTime,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Pending, SignedRequestError> {
    if elements.is_empty() {
        return Err(SignedRequestError::NothingRequested);
    }
    // A wallet refuses a request whose certificate is not valid now: say so here instead.
    party
        .certificate
        .check_validity(now)
        .map_err(|e| SignedRequestError::CertificateValidity(e.to_string()))?;
    let mut request = SignedRequest::new(
        party.certificate.clone(),
        kind,
        elements,
        &[],
        CLINIC_PURPOSE,
        now,
        REQUEST_TTL,
        rng,
    )?;
    request.encryption_key = Some(party.key.public_key());
    let text = request.sign(&party.key)?;
    let mut id = [0u8; 8];
    rng.fill_bytes(&mut id);
    Ok(signed_pending(hex::encode(id), text, request))
}

/// Why a request QR given with an answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the request expired at {0}")]
    Expired(String),
    #[error(transparent)]
    Signed(SignedRequestError),
    #[error(transparent)]
    Unsigned(RequestError),
}

/// Reads a request QR made elsewhere (an HIS that makes its own), refusing an expired one: a
/// signed `CR2:` (signature and reader-certificate profile checked; it is the asker's own
/// record, so the registry is not consulted), or an unsigned `CR1:` — no wallet answers that
/// one, but it records a nonce and an audience as well.
pub fn parse_request(text: &str, now: OffsetDateTime) -> Result<Pending, ParseError> {
    let text = text.trim();
    if text.starts_with(SIGNED_REQUEST_PREFIX) {
        return match SignedRequest::from_own_text(text, now) {
            Ok(r) => Ok(signed_pending(String::new(), text.to_owned(), r)),
            Err(SignedRequestError::Expired(t)) => Err(ParseError::Expired(t)),
            Err(e) => Err(ParseError::Signed(e)),
        };
    }
    match QrRequest::from_text(text, now) {
        Ok(r) => Ok(Pending {
            id: String::new(),
            text: r.to_text(),
            audience: r.verifier,
            nonce: r.nonce,
            kind: r.kind,
            elements: r.elements,
            expires: r.expires,
            purpose: None,
            encrypted: false,
        }),
        Err(RequestError::Expired(t)) => Err(ParseError::Expired(t)),
        Err(e) => Err(ParseError::Unsigned(e)),
    }
}

fn signed_pending(id: String, text: String, r: SignedRequest) -> Pending {
    Pending {
        id,
        text,
        audience: r.request.verifier,
        nonce: r.request.nonce,
        kind: r.request.kind,
        elements: r.request.elements,
        expires: r.request.expires,
        purpose: Some(r.purpose),
        encrypted: r.encryption_key.is_some(),
    }
}

/// Why an answer's request cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TakeError {
    #[error("no request {0:?} is pending at this station")]
    Unknown(String),
    #[error("request {id} expired at {expired}")]
    Expired { id: String, expired: String },
}

/// The requests waiting for an answer.
#[derive(Debug, Default)]
pub struct PendingRequests {
    queue: VecDeque<Pending>,
}

impl PendingRequests {
    pub fn insert(&mut self, p: Pending, now: OffsetDateTime) {
        self.queue.retain(|q| q.expires >= now);
        while self.queue.len() >= MAX_PENDING {
            self.queue.pop_front();
        }
        self.queue.push_back(p);
    }

    /// The request with this id, still pending; it stays pending until [`Self::answered`].
    pub fn get(&self, id: &str, now: OffsetDateTime) -> Result<Pending, TakeError> {
        let p = self
            .queue
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| TakeError::Unknown(id.chars().take(40).collect()))?;
        if p.expires < now {
            return Err(TakeError::Expired {
                id: p.id.clone(),
                expired: cancuoc_core::time_fmt::tdate(p.expires),
            });
        }
        Ok(p.clone())
    }

    /// A request answered by a valid presentation is used up: the same answer is not accepted twice.
    pub fn answered(&mut self, id: &str) {
        self.queue.retain(|p| p.id != id);
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancuoc_core::issuance::IssuingAuthority;
    use cancuoc_core::trust::TrustList;
    use cancuoc_core::x509::{CertificateParams, make_reader_certificate};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    /// A registry of relying parties and a clinic registered with it.
    fn party(seed: u64) -> (Party, TrustList) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut ca = cancuoc_core::fixtures::iaca_params(NOW - Duration::days(1));
        ca.common_name = "relying-party registry".into();
        let registry = IssuingAuthority::generate(&ca, &mut rng).unwrap();
        let key = PrivateKey::generate(&mut rng);
        let params = CertificateParams {
            country: "VN".into(),
            organization: Some("Phòng khám Đa khoa An Bình".into()),
            common_name: "phongkham.example.vn".into(),
            issuer_contact: "https://rp.example.vn".into(),
            crl_url: None,
            not_before: NOW - Duration::days(1),
            not_after: NOW + Duration::days(30),
        };
        let cert = make_reader_certificate(
            registry.key(),
            registry.certificate(),
            &key.public_key(),
            &params,
            &mut rng,
        )
        .unwrap();
        let list = TrustList::new(vec![registry.certificate().clone()]).unwrap();
        (Party::new(key, cert).unwrap(), list)
    }

    #[test]
    fn a_party_needs_a_reader_certificate_with_its_key() {
        let (p, registry) = party(3);
        assert_eq!(p.id(), "phongkham.example.vn");
        assert_eq!(
            p.organization().as_deref(),
            Some("Phòng khám Đa khoa An Bình")
        );
        assert!(!format!("{p:?}").contains("PrivateKey"));
        let other = PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(4));
        assert!(matches!(
            Party::new(other, p.certificate().clone()),
            Err(PartyError::KeyMismatch)
        ));
        // A CA certificate is no reader certificate.
        let ca = registry.roots().first().unwrap().clone();
        assert!(matches!(
            Party::new(p.key().clone(), ca),
            Err(PartyError::NotReader(_))
        ));
    }

    #[test]
    fn a_signed_request_round_trips_asks_for_encryption_and_names_its_challenge() {
        let (p, registry) = party(5);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let req = make_request(
            &p,
            DocumentKind::HealthInsurance,
            CLINIC_REQUEST,
            NOW,
            &mut rng,
        )
        .unwrap();
        assert!(req.text.starts_with("CR2:"));
        assert_eq!(req.id.len(), 16);
        assert_eq!(req.audience, "phongkham.example.vn");
        assert_eq!(req.purpose.as_deref(), Some(CLINIC_PURPOSE));
        assert!(req.encrypted);
        // What a wallet reads: signed by a registered party, encrypted to its key, keeps nothing.
        let signed = SignedRequest::from_text(&req.text, &registry, NOW).unwrap();
        assert_eq!(signed.request.nonce, req.nonce);
        assert_eq!(signed.request.elements, CLINIC_REQUEST);
        assert!(signed.retain.is_empty());
        assert_eq!(signed.purpose, "Tiếp đón khám bệnh");
        assert_eq!(signed.encryption_key, Some(p.key().public_key()));
        assert!(signed.grant_until.is_none());

        let back = parse_request(&req.text, NOW).unwrap();
        assert_eq!(
            (back.nonce.as_slice(), back.id.as_str()),
            (req.nonce.as_slice(), "")
        );
        assert_eq!(req.challenge().kind, Some(DocumentKind::HealthInsurance));
        assert!(matches!(
            parse_request(&req.text, NOW + Duration::minutes(6)),
            Err(ParseError::Expired(_))
        ));
        assert!(matches!(
            parse_request("CR2:AB", NOW),
            Err(ParseError::Signed(_))
        ));
        assert!(matches!(
            make_request(&p, DocumentKind::HealthInsurance, &["nope"], NOW, &mut rng),
            Err(SignedRequestError::Malformed(_))
        ));
        assert_eq!(
            make_request(&p, DocumentKind::HealthInsurance, &[], NOW, &mut rng),
            Err(SignedRequestError::NothingRequested)
        );
        assert!(matches!(
            make_request(
                &p,
                DocumentKind::HealthInsurance,
                CLINIC_REQUEST,
                NOW + Duration::days(31),
                &mut rng
            ),
            Err(SignedRequestError::CertificateValidity(_))
        ));
    }

    #[test]
    fn an_unsigned_request_is_still_read_as_the_askers_record() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let r = QrRequest::new(
            "his.example.vn",
            DocumentKind::HealthInsurance,
            &["holder_name"],
            NOW,
            REQUEST_TTL,
            &mut rng,
        )
        .unwrap();
        let p = parse_request(&r.to_text(), NOW).unwrap();
        assert_eq!(
            (p.audience.as_str(), p.encrypted),
            ("his.example.vn", false)
        );
        assert!(matches!(
            parse_request(&r.to_text(), NOW + Duration::minutes(6)),
            Err(ParseError::Expired(_))
        ));
        assert!(matches!(
            parse_request("CR1:XX", NOW),
            Err(ParseError::Unsigned(_))
        ));
    }

    #[test]
    fn pending_requests_expire_are_used_once_and_are_bounded() {
        // The store does not care how a request was made: no signing needed here.
        let make = |i: usize| Pending {
            id: format!("{i:016x}"),
            text: String::new(),
            audience: "v".into(),
            nonce: vec![0; 16],
            kind: DocumentKind::HealthInsurance,
            elements: vec!["sex".into()],
            expires: NOW + REQUEST_TTL,
            purpose: None,
            encrypted: true,
        };
        let mut store = PendingRequests::default();
        let p = make(usize::MAX);
        store.insert(p.clone(), NOW);
        assert_eq!(store.get(&p.id, NOW).unwrap(), p);
        assert!(matches!(
            store.get(&p.id, NOW + Duration::minutes(6)),
            Err(TakeError::Expired { .. })
        ));
        store.answered(&p.id);
        assert_eq!(store.get(&p.id, NOW), Err(TakeError::Unknown(p.id.clone())));
        for i in 0..MAX_PENDING + 10 {
            store.insert(make(i), NOW);
        }
        assert_eq!(store.len(), MAX_PENDING);
    }
}
