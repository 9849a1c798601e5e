//! ISO 18013-5 DeviceResponse verification. Invariant: whatever verifies discloses only
//! elements the issuer signed, with the values it signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

use cancuoc_core::verifier::{DisclosedElement, Verifier, VerifyRequest};
use cancuoc_core::mdoc::session_transcript::SessionTranscript;

struct Fixture {
    verifier: Verifier,
    transcript: SessionTranscript,
    signed: Vec<DisclosedElement>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let verifier = common::verifier();
        let transcript = common::transcript();
        let mut signed = Vec::new();
        for response in common::FULL_RESPONSES {
            let req = VerifyRequest { response, transcript: &transcript, now: common::now(), status_lists: &[], reader_key: None };
            match verifier.verify_response(&req) {
                Ok(d) => signed.extend(d.into_iter().flat_map(|d| d.disclosed)),
                Err(e) => panic!("the full vectors must verify: {e}"),
            }
        }
        Fixture { verifier, transcript, signed }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let req = VerifyRequest { response: data, transcript: &f.transcript, now: common::now(), status_lists: &[], reader_key: None };
    if let Ok(docs) = f.verifier.verify_response(&req) {
        for d in docs.iter().flat_map(|d| &d.disclosed) {
            assert!(f.signed.contains(d), "verified an element the issuer did not sign: {d:?}");
        }
    }
});
