//! What a person reads in the terminal: the receptionist's view of a verified document and the
//! plain-words rejection, in Vietnamese by default or English, and the `--json` forms.

use cancuoc_core::document::DocumentKind;
use cancuoc_core::i18n::{self, Lang};
use cancuoc_core::mdoc::element::ElementValue;
use cancuoc_core::verifier::{VerifiedDocument, VerifyError};

fn label(kind: Option<DocumentKind>, ns: &str, id: &str, lang: Lang) -> String {
    kind.and_then(|k| k.element(ns, id))
        .map(|s| lang.pick(s.label_vi, s.label_en).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

fn value(id: &str, v: &ElementValue, lang: Lang) -> String {
    match (id, v) {
        ("sex", ElementValue::Uint(1)) => lang.pick("Nam", "Male").to_owned(),
        ("sex", ElementValue::Uint(2)) => lang.pick("Nữ", "Female").to_owned(),
        _ => v.display(),
    }
}

/// The receptionist's view of one verified document.
pub fn verified(doc: &VerifiedDocument, lang: Lang) -> String {
    let mut out = String::new();
    let title = doc.kind.map_or(doc.doc_type.as_str(), |k| {
        lang.pick(k.title_vi(), k.title_en())
    });
    out.push_str(&format!(
        "✅ {} — {}\n",
        i18n::verdict(true, lang).to_uppercase(),
        title
    ));
    out.push_str(&format!(
        "   {}: {} · {}\n",
        lang.pick("Cơ quan ký", "Signed by"),
        doc.issuer.common_name.as_deref().unwrap_or("?"),
        doc.issuer.country.as_deref().unwrap_or("?"),
    ));
    out.push_str(&format!(
        "   {}: {} → {}\n\n",
        lang.pick("Hiệu lực", "Valid"),
        cancuoc_core::time_fmt::tdate(doc.validity.valid_from),
        cancuoc_core::time_fmt::tdate(doc.validity.valid_until),
    ));
    let rows: Vec<(String, String)> = doc
        .disclosed
        .iter()
        .map(|e| {
            (
                label(doc.kind, &e.namespace, &e.identifier, lang),
                value(&e.identifier, &e.value, lang),
            )
        })
        .collect();
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (l, v) in rows {
        let pad = width.saturating_sub(l.chars().count());
        out.push_str(&format!("   {l}{} {v}\n", " ".repeat(pad + 1)));
    }
    let checks: Vec<&str> = doc
        .checks
        .iter()
        .map(|c| i18n::check_label(*c, lang))
        .collect();
    out.push_str(&format!(
        "\n   {}: {}\n",
        lang.pick("Đã kiểm tra", "Checked"),
        checks.join(", ")
    ));
    out
}

/// The rejection, in plain words, then the technical reason.
pub fn rejected(error: &VerifyError, lang: Lang) -> String {
    format!(
        "❌ {} — {}\n   {}: {} ({})\n   {}\n",
        i18n::verdict(false, lang).to_uppercase(),
        i18n::rejection_reason(error, lang),
        lang.pick("Bước kiểm tra không đạt", "Failed check"),
        i18n::check_label(error.check(), lang),
        error.code(),
        error,
    )
}

pub fn verified_json(docs: &[VerifiedDocument]) -> serde_json::Value {
    serde_json::json!({
        "valid": true,
        "documents": docs.iter().map(VerifiedDocument::to_json).collect::<Vec<_>>(),
    })
}

pub fn rejected_json(error: &VerifyError, lang: Lang) -> serde_json::Value {
    serde_json::json!({
        "valid": false,
        "check": error.check(),
        "code": error.code(),
        "error": error.to_string(),
        "reason": i18n::rejection_reason(error, lang),
    })
}
