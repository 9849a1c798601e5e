//! Fails when regenerating the vectors would change a committed file.
#![allow(clippy::panic, clippy::unwrap_used)]

#[test]
fn committed_vectors_are_what_the_generator_makes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = cancuoc_test_vectors::generate().unwrap_or_else(|e| panic!("generate: {e:?}"));
    assert!(
        files.len() > 20,
        "expected the full set, got {}",
        files.len()
    );
    let mut stale = Vec::new();
    for (rel, bytes) in &files {
        if std::fs::read(dir.join(rel)).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(rel.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "regenerating would change {stale:?}: run `cargo run -p cancuoc-test-vectors --bin generate-vectors` and commit"
    );
}

#[test]
fn generation_is_deterministic() {
    let a = cancuoc_test_vectors::generate().unwrap_or_else(|e| panic!("{e:?}"));
    let b = cancuoc_test_vectors::generate().unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(a, b);
}
