//! Challenge mode: the station shows a request QR (its relying-party identity, the elements
//! clinic reception needs, a fresh nonce); the citizen's phone answers it; the answer is checked
//! against the request's audience, nonce and document, once.
//!
//! Today the request is the core's unsigned `CR1:` [`QrRequest`]. [`make_request`] is the one
//! place that builds it: when the wallet's signed request object (`CR2:`) lands, only that
//! function (and [`parse_request`]) change; the pending-request store and the verification path
//! work on [`Pending`], which carries what any request form must: audience, nonce, document.

use std::collections::VecDeque;

use cancuoc_core::document::DocumentKind;
use cancuoc_core::qr::request::{QrRequest, RequestError};
use cancuoc_core::verifier::Challenge;
use rand_core::CryptoRng;
use time::{Duration, OffsetDateTime};

/// How long a request QR stays answerable.
pub const REQUEST_TTL: Duration = Duration::minutes(5);
/// How many unanswered requests a station keeps (oldest dropped first).
pub const MAX_PENDING: usize = 1024;
/// What clinic reception asks of a health insurance card in challenge mode: the elements the
/// citizen chooses to show (card code, validity and facility are always shown).
pub const CLINIC_REQUEST: &[&str] = &["holder_name", "birth_date", "sex"];

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

/// Builds a request QR. The one function to change for the signed request object.
pub fn make_request(
    verifier_id: &str,
    kind: DocumentKind,
    elements: &[&str],
    now: OffsetDateTime,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Pending, RequestError> {
    let request = QrRequest::new(verifier_id, kind, elements, now, REQUEST_TTL, rng)?;
    let mut id = [0u8; 8];
    rng.fill_bytes(&mut id);
    Ok(pending(hex::encode(id), request))
}

/// Reads a request QR made elsewhere (an HIS that makes its own), refusing an expired one.
pub fn parse_request(text: &str, now: OffsetDateTime) -> Result<Pending, RequestError> {
    let request = QrRequest::from_text(text.trim(), now)?;
    Ok(pending(String::new(), request))
}

fn pending(id: String, request: QrRequest) -> Pending {
    Pending {
        id,
        text: request.to_text(),
        audience: request.verifier,
        nonce: request.nonce,
        kind: request.kind,
        elements: request.elements,
        expires: request.expires,
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
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

    #[test]
    fn a_request_round_trips_and_names_its_challenge() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let p = make_request(
            "phongkham.example.vn",
            DocumentKind::HealthInsurance,
            CLINIC_REQUEST,
            NOW,
            &mut rng,
        )
        .unwrap();
        assert!(p.text.starts_with("CR1:"));
        assert_eq!(p.id.len(), 16);
        let back = parse_request(&p.text, NOW).unwrap();
        assert_eq!(back.nonce, p.nonce);
        assert_eq!(back.audience, "phongkham.example.vn");
        assert_eq!(p.challenge().kind, Some(DocumentKind::HealthInsurance));
        assert!(matches!(
            parse_request(&p.text, NOW + Duration::minutes(6)),
            Err(RequestError::Expired(_))
        ));
        assert!(
            make_request("x", DocumentKind::HealthInsurance, &["nope"], NOW, &mut rng).is_err()
        );
    }

    #[test]
    fn pending_requests_expire_are_used_once_and_are_bounded() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let mut store = PendingRequests::default();
        let p = make_request("v", DocumentKind::HealthInsurance, &[], NOW, &mut rng).unwrap();
        store.insert(p.clone(), NOW);
        assert_eq!(store.get(&p.id, NOW).unwrap(), p);
        assert!(matches!(
            store.get(&p.id, NOW + Duration::minutes(6)),
            Err(TakeError::Expired { .. })
        ));
        store.answered(&p.id);
        assert_eq!(store.get(&p.id, NOW), Err(TakeError::Unknown(p.id.clone())));
        for _ in 0..MAX_PENDING + 10 {
            let q = make_request("v", DocumentKind::HealthInsurance, &[], NOW, &mut rng).unwrap();
            store.insert(q, NOW);
        }
        assert_eq!(store.len(), MAX_PENDING);
    }
}
