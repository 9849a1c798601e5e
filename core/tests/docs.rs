//! Keeps `docs/data-elements.md` identical to what the element catalogue renders.

#[test]
fn data_elements_doc_matches_the_catalogue() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/data-elements.md");
    let rendered = cancuoc_core::document::data_elements_markdown();
    if std::env::var_os("CANCUOC_WRITE_DOCS").is_some() {
        std::fs::write(&path, &rendered).ok();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/data-elements.md is stale: run CANCUOC_WRITE_DOCS=1 cargo test -p cancuoc-core --test docs"
    );
}
