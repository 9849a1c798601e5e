//! The strict CBOR of QR claims and Base45. Invariants: decode → encode gives back the input
//! (one encoding only), for both.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = cancuoc_core::qr::claims::decode(data) {
        assert_eq!(cancuoc_core::qr::claims::encode(&item), data, "strict CBOR has one encoding");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = cancuoc_core::qr::base45::decode(text) {
            assert_eq!(cancuoc_core::qr::base45::encode(&bytes), text, "Base45 has one encoding");
        }
    }
});
