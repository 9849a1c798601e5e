//! QR presentation verification, static and challenge mode. Invariant: whatever verifies
//! discloses only elements the issuer signed, with the values it signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

use cancuoc_core::verifier::{Challenge, DisclosedElement, QrVerifyRequest, Verifier};

fn fixture() -> &'static (Verifier, Vec<DisclosedElement>) {
    static F: OnceLock<(Verifier, Vec<DisclosedElement>)> = OnceLock::new();
    F.get_or_init(|| {
        let v = common::verifier();
        let mut signed = Vec::new();
        for qr in common::FULL_QRS {
            match v.verify_qr_text(qr, &QrVerifyRequest::new(common::now())) {
                Ok(d) => signed.extend(d.disclosed),
                Err(e) => panic!("the full QR vectors must verify: {e}"),
            }
        }
        (v, signed)
    })
}

fuzz_target!(|data: &[u8]| {
    let (v, signed) = fixture();
    let Ok(text) = std::str::from_utf8(data) else { return };
    let nonce = [7u8; 16];
    for challenge in [None, Some(Challenge { audience: "phongkham-anbinh.example.vn", nonce: &nonce, kind: None })] {
        let req = QrVerifyRequest { challenge, ..QrVerifyRequest::new(common::now()) };
        if let Ok(d) = v.verify_qr_text(text, &req) {
            for e in &d.disclosed {
                assert!(signed.contains(e), "verified an element the issuer did not sign: {e:?}");
            }
        }
    }
});
