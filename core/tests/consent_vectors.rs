//! Runs every vector of `test-vectors/consent/manifest.json` — signed requests as a wallet
//! judges them, the encrypted answer, grants with and without their revocation — and checks
//! each outcome against the manifest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use cancuoc_core::keys::PrivateKey;
use cancuoc_core::qr::signed_request::SignedRequest;
use cancuoc_core::time_fmt::parse_rfc3339;
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::grant::{GrantCheck, verify_grant};
use cancuoc_core::verifier::{QrVerifyRequest, Verifier};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors")
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(dir().join(rel))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn every_consent_vector_has_its_expected_outcome() {
    let manifest: Value = serde_json::from_str(&text("consent/manifest.json")).unwrap();
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 12, "{} vectors", vectors.len());
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let now = parse_rfc3339(v["now"].as_str().unwrap()).unwrap();
        let expect = &v["expect"];
        let want_valid = expect["valid"].as_bool().unwrap();
        let input = text(v["text"].as_str().unwrap());
        match v["type"].as_str().unwrap() {
            "request" => {
                let registry =
                    TrustList::from_pem_texts([text(v["registry"].as_str().unwrap()).as_str()])
                        .unwrap();
                match SignedRequest::from_text(&input, &registry, now) {
                    Ok(r) => {
                        assert!(want_valid, "{name}: accepted");
                        assert_eq!(r.request.verifier, expect["party"], "{name}");
                        assert_eq!(r.purpose, expect["purpose"], "{name}");
                        let elements: Vec<Value> = r
                            .request
                            .elements
                            .iter()
                            .map(|e| e.as_str().into())
                            .collect();
                        assert_eq!(Value::from(elements), expect["elements"], "{name}");
                        let retain: Vec<Value> =
                            r.retain.iter().map(|e| e.as_str().into()).collect();
                        assert_eq!(Value::from(retain), expect["retain"], "{name}");
                    }
                    Err(e) => {
                        assert!(!want_valid, "{name}: refused: {e}");
                        assert_eq!(e.code(), expect["code"], "{name}: {e}");
                    }
                }
            }
            "encrypted_answer" => {
                let trust: Vec<String> = v["trust"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| text(t.as_str().unwrap()))
                    .collect();
                let verifier = Verifier::new(
                    TrustList::from_pem_texts(trust.iter().map(String::as_str)).unwrap(),
                );
                let request =
                    SignedRequest::from_own_text(&text(v["request"].as_str().unwrap()), now)
                        .unwrap();
                let key = PrivateKey::from_pkcs8_pem(&text(v["decryption_key"].as_str().unwrap()))
                    .unwrap();
                let mut req = QrVerifyRequest::new(now);
                req.challenge = Some(request.request.challenge());
                // Without the key it must not pass.
                assert_eq!(
                    verifier.verify_qr_text(&input, &req).unwrap_err().code(),
                    "encrypted_no_key",
                    "{name}"
                );
                req.decryption_key = Some(&key);
                let d = verifier.verify_qr_text(&input, &req).unwrap();
                assert!(want_valid);
                assert_eq!(d.doc_type, expect["doc_type"], "{name}");
            }
            "grant" => {
                let holder = PrivateKey::from_pkcs8_pem(&text(v["holder_key"].as_str().unwrap()))
                    .unwrap()
                    .public_key();
                let revocations: Vec<String> = v["revocations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| text(r.as_str().unwrap()))
                    .collect();
                let mut check = GrantCheck::new(now);
                check.holder_key = Some(&holder);
                check.party = v["party"].as_str();
                check.revocations = &revocations;
                match verify_grant(&input, &check) {
                    Ok(g) => {
                        assert!(want_valid, "{name}: accepted");
                        let elements: Vec<Value> =
                            g.elements.iter().map(|e| e.as_str().into()).collect();
                        assert_eq!(Value::from(elements), expect["elements"], "{name}");
                    }
                    Err(e) => {
                        assert!(!want_valid, "{name}: refused: {e}");
                        if let Some(code) = expect.get("code") {
                            assert_eq!(e.code(), code, "{name}: {e}");
                        }
                    }
                }
            }
            other => panic!("{name}: unknown type {other}"),
        }
    }
}
