//! Runs every vector of `test-vectors/lists/manifest.json` — the signed trust list, a signed
//! status list with one document revoked, and lists a reader must refuse — and checks each
//! outcome against the manifest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use cancuoc_core::lists::{verify_status_list, verify_trust_list};
use cancuoc_core::time_fmt::parse_rfc3339;
use cancuoc_core::trust::TrustList;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors")
}

#[test]
fn every_list_vector_has_its_expected_outcome() {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir().join("lists/manifest.json")).unwrap()).unwrap();
    let anchor = std::fs::read_to_string(dir().join(manifest["anchor"].as_str().unwrap())).unwrap();
    let anchors = TrustList::from_pem_texts([anchor.as_str()]).unwrap();
    let now = parse_rfc3339(manifest["now"].as_str().unwrap()).unwrap();
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 5);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(v["file"].as_str().unwrap())).unwrap();
        let expect = &v["expect"];
        let outcome = match v["kind"].as_str().unwrap() {
            "trust_list" => verify_trust_list(&bytes, &anchors, now).map(|t| {
                assert_eq!(expect["sequence"].as_u64(), Some(t.sequence), "{name}");
                assert_eq!(
                    expect["certificates"].as_u64(),
                    Some(t.certificates.len() as u64),
                    "{name}"
                );
            }),
            "status_list" => verify_status_list(&bytes, &anchors, now).map(|s| {
                assert_eq!(expect["uri"].as_str(), Some(s.list.uri.as_str()), "{name}");
                assert_eq!(expect["entries"].as_u64(), Some(s.list.entries()), "{name}");
                for i in expect["revoked"].as_array().unwrap() {
                    assert_eq!(s.list.is_revoked(i.as_u64().unwrap()), Some(true), "{name}");
                }
                for i in expect["not_revoked"].as_array().unwrap() {
                    assert_eq!(
                        s.list.is_revoked(i.as_u64().unwrap()),
                        Some(false),
                        "{name}"
                    );
                }
            }),
            other => panic!("{name}: unknown kind {other}"),
        };
        match (expect["valid"].as_bool().unwrap(), outcome) {
            (true, Ok(())) => {}
            (false, Err(e)) => assert_eq!(expect["code"].as_str(), Some(e.code()), "{name}: {e}"),
            (want, got) => panic!("{name}: expected valid={want}, got {got:?}"),
        }
    }
}
