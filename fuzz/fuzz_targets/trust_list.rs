//! Trust-list parsing: PEM text and DER certificates. Invariant: no panic; a certificate that
//! parses keeps its exact bytes.
#![no_main]

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
});
