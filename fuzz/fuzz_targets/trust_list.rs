//! Trust-list parsing: PEM text and DER certificates, and the signed trust and status lists the
//! identity service publishes (`cancuoc_core::lists`). Invariants: no panic; a certificate that
//! parses keeps its exact bytes; a signed list that verifies stays within its bounds (at most
//! 256 certificates; a status list decompressed to at most 16 MiB, however it was compressed).
#![no_main]

mod common;

use cancuoc_core::lists::{verify_status_list, verify_trust_list};
use cancuoc_core::trust::TrustList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = cancuoc_core::x509::Certificate::from_der(data) {
        assert_eq!(c.der(), data);
        let _ = c.check_iaca_profile();
        let _ = c.check_document_signer_profile();
        let _ = c.public_key();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cancuoc_core::trust::TrustList::from_pem_texts([text]);
    }
    let Ok(anchors) = TrustList::from_pem_texts([common::IACA]) else {
        return;
    };
    let now = time::macros::datetime!(2026-11-23 08:01:00 UTC);
    if let Ok(t) = verify_trust_list(data, &anchors, now) {
        let _ = t.trust_list(&anchors);
        assert!(t.certificates.len() <= cancuoc_core::lists::MAX_TRUST_LIST_CERTIFICATES);
    }
    if let Ok(s) = verify_status_list(data, &anchors, now) {
        assert!(s.list.bytes().len() <= cancuoc_core::lists::MAX_STATUS_LIST_BYTES);
        let _ = s.list.is_revoked(u64::MAX);
    }
});
