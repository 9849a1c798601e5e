//! Runs every vector of `test-vectors/manifest.json` through the verifier and checks the
//! expected outcome: valid with the expected document, or rejected by the expected check with
//! the expected code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use cancuoc_core::keys::PrivateKey;
use cancuoc_core::mdoc::session_transcript::SessionTranscript;
use cancuoc_core::time_fmt::parse_rfc3339;
use cancuoc_core::trust::{StatusList, TrustList};
use cancuoc_core::verifier::{Verifier, VerifyRequest};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors")
}

/// A trust list from a PEM file or from every PEM file in a directory.
fn trust(rel: &str) -> TrustList {
    let path = dir().join(rel);
    let mut texts = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries
            .into_iter()
            .filter(|e| e.extension().is_some_and(|x| x == "pem"))
        {
            texts.push(std::fs::read_to_string(e).unwrap());
        }
    } else {
        texts.push(std::fs::read_to_string(path).unwrap());
    }
    TrustList::from_pem_texts(texts.iter().map(String::as_str)).unwrap()
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_vector_has_its_expected_outcome() {
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20);
    let mut rejected = 0;
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        if v.get("qr_text").is_some() {
            if check_qr_vector(v) {
                rejected += 1;
            }
            continue;
        }
        let response = match v.get("response_generated") {
            Some(g) => {
                vec![g["byte"].as_u64().unwrap() as u8; g["length"].as_u64().unwrap() as usize]
            }
            None => read(v["response"].as_str().unwrap()),
        };
        let transcript =
            SessionTranscript::from_bytes(&read(v["session_transcript"].as_str().unwrap()))
                .unwrap();
        let verifier = Verifier::new(trust(v["trust"].as_str().unwrap()));
        let now = parse_rfc3339(v["now"].as_str().unwrap()).unwrap();
        let lists: Vec<StatusList> = v
            .get("status_list")
            .map(|s| {
                vec![StatusList::new(
                    s["uri"].as_str().unwrap(),
                    hex::decode(s["bits_hex"].as_str().unwrap()).unwrap(),
                )]
            })
            .unwrap_or_default();
        let reader_key = v.get("reader_key").map(|p| {
            PrivateKey::from_pkcs8_pem(&String::from_utf8(read(p.as_str().unwrap())).unwrap())
                .unwrap()
        });
        let req = VerifyRequest {
            response: &response,
            transcript: &transcript,
            now,
            status_lists: &lists,
            reader_key: reader_key.as_ref(),
        };
        let result = verifier.verify_response(&req);
        let expect = &v["expect"];
        if expect["valid"].as_bool().unwrap() {
            let docs = result.unwrap_or_else(|e| panic!("{name}: expected valid, got {e}"));
            assert_eq!(
                docs[0].doc_type,
                expect["doc_type"].as_str().unwrap(),
                "{name}"
            );
            if let Some(n) = expect.get("disclosed_count") {
                assert_eq!(
                    docs[0].disclosed.len() as u64,
                    n.as_u64().unwrap(),
                    "{name}"
                );
            }
            if let Some(list) = expect.get("disclosed") {
                let mut want: Vec<&str> = list
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                let mut got: Vec<&str> = docs[0]
                    .disclosed
                    .iter()
                    .map(|d| d.identifier.as_str())
                    .collect();
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "{name}");
            }
            if let Some(m) = expect.get("device_authentication") {
                assert_eq!(
                    serde_json::to_value(docs[0].device_authentication).unwrap(),
                    *m,
                    "{name}"
                );
            }
        } else {
            let e = result
                .err()
                .unwrap_or_else(|| panic!("{name}: expected a rejection, got valid"));
            assert_eq!(
                e.check().as_str(),
                expect["check"].as_str().unwrap(),
                "{name}: {e}"
            );
            assert_eq!(e.code(), expect["code"].as_str().unwrap(), "{name}: {e}");
            rejected += 1;
        }
    }
    assert!(rejected >= 30, "negative set too small: {rejected}");
}

/// The bytes we emit survive a decode and a re-encode unchanged: definite lengths,
/// shortest-form integers, maps in a fixed order, every signed structure inside tag 24.
#[test]
fn valid_responses_and_credentials_re_encode_to_the_same_bytes() {
    use cancuoc_core::mdoc::device_response::DeviceResponse;
    use cancuoc_core::mdoc::issuer_signed::Credential;
    let mut n = 0;
    for entry in std::fs::read_dir(dir().join("mdoc/valid")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert_eq!(
            DeviceResponse::from_bytes(&bytes)
                .unwrap()
                .to_bytes()
                .unwrap(),
            bytes
        );
        let generic =
            cancuoc_core::cbor::decode(&bytes, cancuoc_core::cbor::Limits::RESPONSE).unwrap();
        assert_eq!(cancuoc_core::cbor::encode(&generic).unwrap(), bytes);
        n += 1;
    }
    for entry in std::fs::read_dir(dir().join("mdoc/credential")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert_eq!(
            Credential::from_bytes(&bytes).unwrap().to_bytes().unwrap(),
            bytes
        );
        n += 1;
    }
    assert_eq!(n, 9);
}

/// Runs one QR vector; true when it was (as expected) rejected.
fn check_qr_vector(v: &Value) -> bool {
    use cancuoc_core::qr::request::QrRequest;
    use cancuoc_core::verifier::QrVerifyRequest;
    let name = v["name"].as_str().unwrap();
    let text = String::from_utf8(read(v["qr_text"].as_str().unwrap())).unwrap();
    let verifier = Verifier::new(trust(v["trust"].as_str().unwrap()));
    let now = parse_rfc3339(v["now"].as_str().unwrap()).unwrap();
    let request = v
        .get("request")
        .map(|r| QrRequest::from_text(r.as_str().unwrap(), now).unwrap());
    let mut req = QrVerifyRequest::new(now);
    req.challenge = request.as_ref().map(QrRequest::challenge);
    let result = verifier.verify_qr_text(&text, &req);
    let expect = &v["expect"];
    if expect["valid"].as_bool().unwrap() {
        let d = result.unwrap_or_else(|e| panic!("{name}: expected valid, got {e}"));
        assert_eq!(d.doc_type, expect["doc_type"].as_str().unwrap(), "{name}");
        assert_eq!(
            d.disclosed.len() as u64,
            expect["disclosed_count"].as_u64().unwrap(),
            "{name}"
        );
        false
    } else {
        let e = result
            .err()
            .unwrap_or_else(|| panic!("{name}: expected a rejection, got valid"));
        assert_eq!(
            e.check().as_str(),
            expect["check"].as_str().unwrap(),
            "{name}: {e}"
        );
        assert_eq!(e.code(), expect["code"].as_str().unwrap(), "{name}: {e}");
        true
    }
}
