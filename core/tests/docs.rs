//! Keeps `docs/data-elements.md` identical to what the element catalogue renders.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

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

/// The element tables in docs/qr-profile.md are the ones the code uses.
#[test]
fn qr_profile_tables_match_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/qr-profile.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let tables = cancuoc_core::qr::profile::tables_markdown();
    let (begin, end) = (
        "<!-- BEGIN GENERATED TABLES -->\n",
        "<!-- END GENERATED TABLES -->",
    );
    if std::env::var_os("CANCUOC_WRITE_DOCS").is_some()
        && let (Some(b), Some(e)) = (doc.find(begin), doc.find(end))
    {
        let updated = format!("{}{}{}{}", &doc[..b + begin.len()], tables, "\n", &doc[e..]);
        std::fs::write(&path, updated).ok();
    }
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        doc.contains(&format!("{begin}{tables}\n{end}")),
        "docs/qr-profile.md tables are stale: run CANCUOC_WRITE_DOCS=1 cargo test -p cancuoc-core --test docs"
    );
}
