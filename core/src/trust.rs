//! What a verifier trusts, offline: the IACA root certificates of the issuing authorities,
//! and (optionally) a revocation status list — one bit per issued document, set when revoked,
//! as the IETF Token Status List lays it out.

use crate::x509::{Certificate, CertificateError};

/// The trusted IACA roots, and any Document Signer certificates trusted directly ("pinned":
/// for a signer whose IACA is not published, such as the ISO 18013-5 Annex D example).
#[derive(Debug, Clone, Default)]
pub struct TrustList {
    roots: Vec<Certificate>,
}

impl TrustList {
    /// Trusts each certificate as an IACA root or — when it has the Annex B Document Signer
    /// profile — as a pinned signer; anything else is refused.
    pub fn new(roots: Vec<Certificate>) -> Result<Self, CertificateError> {
        for r in &roots {
            if r.check_iaca_profile().is_err() {
                r.check_document_signer_profile()?;
            }
        }
        Ok(Self { roots })
    }

    /// Every certificate in the PEM texts.
    pub fn from_pem_texts<'a>(
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, CertificateError> {
        let mut roots = Vec::new();
        for t in texts {
            roots.extend(Certificate::from_pem(t)?);
        }
        Self::new(roots)
    }

    /// True when `leaf` itself is pinned (the same DER bytes).
    pub fn is_pinned(&self, leaf: &Certificate) -> bool {
        self.roots
            .iter()
            .any(|r| r.der() == leaf.der() && !r.is_ca())
    }

    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The root that issued `leaf` (names match and the signature verifies).
    pub fn issuer_of(&self, leaf: &Certificate) -> Result<&Certificate, CertificateError> {
        let mut last = None;
        for root in self.roots.iter().filter(|r| r.is_ca()) {
            match leaf.verify_issued_by(root) {
                Ok(()) => return Ok(root),
                Err(CertificateError::UnknownIssuer { .. }) => {}
                Err(e) => last = Some(e),
            }
        }
        // No trusted IACA issued it: trusted only if pinned itself.
        if let Some(pinned) = self
            .roots
            .iter()
            .find(|r| r.der() == leaf.der() && !r.is_ca())
        {
            return Ok(pinned);
        }
        Err(last.unwrap_or(CertificateError::UnknownIssuer {
            issuer: leaf.issuer(),
        }))
    }
}

/// A revocation status list: bit `idx` set means the document at `idx` is revoked.
/// Bits are numbered from the least significant bit of the first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    pub uri: String,
    bits: Vec<u8>,
}

impl StatusList {
    pub fn new(uri: impl Into<String>, bits: Vec<u8>) -> Self {
        Self {
            uri: uri.into(),
            bits,
        }
    }

    /// An all-valid list with room for `len` documents.
    pub fn with_capacity(uri: impl Into<String>, len: usize) -> Self {
        Self::new(uri, vec![0; len.div_ceil(8)])
    }

    /// The list's bytes, bit `i` at byte `i / 8`, bit `i % 8` from the least significant.
    pub fn bytes(&self) -> &[u8] {
        &self.bits
    }

    /// How many entries the list holds (its bytes × 8).
    pub fn entries(&self) -> u64 {
        u64::try_from(self.bits.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(8)
    }

    pub fn revoke(&mut self, index: u64) {
        let (byte, bit) = position(index);
        if let Some(b) = usize::try_from(byte)
            .ok()
            .and_then(|i| self.bits.get_mut(i))
        {
            *b |= 1 << bit;
        }
    }

    /// `None` when the index lies beyond the list.
    pub fn is_revoked(&self, index: u64) -> Option<bool> {
        let (byte, bit) = position(index);
        usize::try_from(byte)
            .ok()
            .and_then(|i| self.bits.get(i))
            .map(|b| b & (1 << bit) != 0)
    }
}

fn position(index: u64) -> (u64, u32) {
    (index / 8, u32::try_from(index % 8).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_a_document_signer_only_by_its_exact_bytes() {
        let now = time::macros::datetime!(2026-11-23 08:00:00 UTC);
        let a = crate::fixtures::DemoWorld::build(1, now).unwrap();
        let b = crate::fixtures::DemoWorld::build(2, now).unwrap();
        let pinned = TrustList::new(vec![a.issuer.certificate().clone()]).unwrap();
        assert!(pinned.is_pinned(a.issuer.certificate()));
        assert_eq!(
            pinned.issuer_of(a.issuer.certificate()).unwrap().der(),
            a.issuer.certificate().der()
        );
        // Another signer with the same name is not trusted through the pin.
        assert!(pinned.issuer_of(b.issuer.certificate()).is_err());
        let roots = TrustList::new(vec![a.authority.certificate().clone()]).unwrap();
        assert!(!roots.is_pinned(a.issuer.certificate()));
    }

    #[test]
    fn status_bits() {
        let mut l = StatusList::with_capacity("u", 20);
        assert_eq!(l.is_revoked(9), Some(false));
        l.revoke(9);
        assert_eq!(l.is_revoked(9), Some(true));
        assert_eq!(l.is_revoked(8), Some(false));
        assert_eq!(l.is_revoked(24), None);
        l.revoke(1000); // beyond the list: ignored, never a panic
    }
}
