//! Credential import into the wallet (mdoc and compact), as `Wallet::add_document` runs it:
//! parse, then the issuer checks. Invariants: what parses re-encodes to the same bytes; what
//! passes the issuer checks is the document it claims to be.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static VERIFIER: std::sync::OnceLock<cancuoc_core::verifier::Verifier> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let verifier = VERIFIER.get_or_init(common::verifier);
    if let Ok(c) = cancuoc_core::mdoc::issuer_signed::Credential::from_bytes(data) {
        if let Ok(v) = verifier.verify_credential(&c, common::now()) {
            assert_eq!(v.doc_type, c.doc_type, "the checked document is the one given");
        }
        let again = c.to_bytes().ok().and_then(|b| cancuoc_core::mdoc::issuer_signed::Credential::from_bytes(&b).ok());
        assert_eq!(again.as_ref(), Some(&c), "a credential survives its own encoding");
    }
    if let Ok(c) = cancuoc_core::qr::sd_cwt::CompactCredential::from_bytes(data) {
        let _ = verifier.verify_compact_credential(&c, common::now());
        let again = c.to_bytes().ok().and_then(|b| cancuoc_core::qr::sd_cwt::CompactCredential::from_bytes(&b).ok());
        assert_eq!(again.map(|a| a.kind), Some(c.kind));
    }
    let _ = cancuoc_core::mdoc::session_transcript::SessionTranscript::from_bytes(data);
});
