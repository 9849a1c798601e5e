//! The verifier's request QR. Invariant: a request that parses re-encodes to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = cancuoc_core::qr::request::QrRequest::from_text(text, common::now()) {
        assert_eq!(r.to_text(), text, "a request has one text form");
    }
});
