//! Credential import (mdoc and compact). Invariant: what parses re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = cancuoc_core::mdoc::issuer_signed::Credential::from_bytes(data) {
        let again = c.to_bytes().ok().and_then(|b| cancuoc_core::mdoc::issuer_signed::Credential::from_bytes(&b).ok());
        assert_eq!(again.as_ref(), Some(&c), "a credential survives its own encoding");
    }
    if let Ok(c) = cancuoc_core::qr::sd_cwt::CompactCredential::from_bytes(data) {
        let again = c.to_bytes().ok().and_then(|b| cancuoc_core::qr::sd_cwt::CompactCredential::from_bytes(&b).ok());
        assert_eq!(again.map(|a| a.kind), Some(c.kind));
    }
    let _ = cancuoc_core::mdoc::session_transcript::SessionTranscript::from_bytes(data);
});
