//! The station's JSON request bodies (`POST /api/verify`, `POST /api/requests`) and what a verify
//! body leads to short of the log: scanner fixes, the chip-card parser or the QR verifier with
//! the request it names, and the verdict the page and the HIS read. Invariants: nothing panics,
//! every verdict names its result, and only a verified presentation is "verified".
#![no_main]

use std::sync::OnceLock;

use cancuoc_core::verifier::{QrVerifyRequest, Verifier};
use cancuoc_station::body::{self, RequestBody, VerifyBody};
use cancuoc_station::{challenge, chip_card, scan, verdict};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(common::verifier)
}

fuzz_target!(|data: &[u8]| {
    let _ = body::parse_json::<RequestBody>(data);
    let Ok(b) = body::parse_json::<VerifyBody>(data) else {
        return;
    };
    let now = common::now();
    let s = if b.normalize.unwrap_or(false) {
        scan::normalize(&b.text)
    } else {
        scan::exact(&b.text)
    };
    let v = if chip_card::looks_like_card(&s.text) {
        match chip_card::parse(&s.text, now.date()) {
            Ok(c) => verdict::card(&c),
            Err(e) => verdict::card_invalid(&e),
        }
    } else {
        let pending = b
            .request
            .as_deref()
            .and_then(|r| challenge::parse_request(r, now).ok());
        let mut req = QrVerifyRequest::new(now);
        req.challenge = pending.as_ref().map(challenge::Pending::challenge);
        match verifier().verify_qr_text(&s.text, &req) {
            Ok(d) => {
                let v = verdict::valid(&d, now, Some("01024"));
                assert_eq!(v.get("verified"), Some(&Value::Bool(true)));
                v
            }
            Err(e) => verdict::rejected(&e),
        }
    };
    let v = verdict::with_fixes(v, &s.fixes);
    let result = v.get("result").and_then(Value::as_str).unwrap_or("");
    assert!(
        matches!(result, "valid" | "rejected" | "unsigned_card"),
        "{result}"
    );
    if result != "valid" {
        assert_eq!(v.get("verified"), Some(&Value::Bool(false)));
    }
});
