//! What the station answers about one scan, for the page and for the clinic's software alike:
//! the verdict, the reason in plain Vietnamese and English, the fields a receptionist needs in
//! the order they need them (for the health insurance card: card code, name, birth date, sex,
//! benefit level, validity, registered facility), warnings (the card expires within 30 days, the
//! patient is registered at another facility), and the document and issuer it was. The chip
//! card's printed QR is answered as unsigned data, never as verified.

use cancuoc_core::document::DocumentKind;
use cancuoc_core::i18n::{self, Lang};
use cancuoc_core::mdoc::element::ElementValue;
use cancuoc_core::verifier::{VerifiedDocument, VerifyError};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::chip_card::{ChipCard, ChipCardError, Field};
use crate::scan::Fix;

/// The warning horizon for a health insurance card about to expire.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Vietnam's time zone: what "today" means at the counter.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

fn both(vi: &str, en: &str) -> Value {
    json!({ "vi": vi, "en": en })
}

fn date_vi(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// One line of what the receptionist reads.
fn field(id: &str, label_vi: &str, label_en: &str, vi: String, en: String) -> Value {
    let mut f = json!({ "id": id, "label": both(label_vi, label_en), "value": vi });
    if en != vi
        && let Some(o) = f.as_object_mut()
    {
        o.insert("value_en".into(), Value::String(en));
    }
    f
}

fn value_text(id: &str, v: &ElementValue) -> (String, String) {
    match (id, v) {
        ("sex", ElementValue::Uint(1)) => ("Nam".into(), "Male".into()),
        ("sex", ElementValue::Uint(2)) => ("Nữ".into(), "Female".into()),
        (_, ElementValue::FullDate(d)) => (date_vi(*d), cancuoc_core::time_fmt::date(*d)),
        _ => (v.display(), v.display()),
    }
}

fn label(kind: Option<DocumentKind>, id: &str) -> (String, String) {
    kind.and_then(|k| k.elements().iter().find(|e| e.identifier == id))
        .map_or_else(
            || (id.to_owned(), id.to_owned()),
            |s| (s.label_vi.to_owned(), s.label_en.to_owned()),
        )
}

/// The BHYT benefit level (mức hưởng), the card code's third character, and what it pays.
fn benefit_level(card_code: &str) -> Option<(char, &'static str)> {
    let c = card_code.chars().nth(2)?;
    let share = match c {
        '1' | '2' | '5' => "100%",
        '3' => "95%",
        '4' => "80%",
        _ => return None,
    };
    Some((c, share))
}

fn date_of(doc: &VerifiedDocument, id: &str) -> Option<Date> {
    match doc.element(id) {
        Some(ElementValue::FullDate(d)) => Some(*d),
        _ => None,
    }
}

fn text_of<'a>(doc: &'a VerifiedDocument, id: &str) -> Option<&'a str> {
    doc.element(id).and_then(ElementValue::as_text)
}

/// The health insurance card's fields in the receptionist's order, and its warnings.
fn health_card(
    doc: &VerifiedDocument,
    today: Date,
    facility: Option<&str>,
) -> (Vec<Value>, Vec<Value>) {
    let kind = doc.kind;
    let mut fields = Vec::new();
    let push = |fields: &mut Vec<Value>, id: &str| {
        if let Some(v) = doc.element(id) {
            let (lv, le) = label(kind, id);
            let (vv, ve) = value_text(id, v);
            fields.push(field(id, &lv, &le, vv, ve));
        }
    };
    for id in ["card_code", "holder_name", "birth_date", "sex"] {
        push(&mut fields, id);
    }
    if let Some((level, share)) = text_of(doc, "card_code").and_then(benefit_level) {
        fields.push(field(
            "benefit_level",
            "Mức hưởng",
            "Benefit level",
            format!("{level} ({share})"),
            format!("{level} ({share})"),
        ));
    }
    for id in ["valid_from", "valid_until", "five_years_continuous_from"] {
        push(&mut fields, id);
    }
    let code = text_of(doc, "registered_facility_code");
    let name = text_of(doc, "registered_facility_name");
    if code.is_some() || name.is_some() {
        let v = [code, name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        fields.push(field(
            "registered_facility",
            "Nơi đăng ký KCB ban đầu",
            "Registered primary care facility",
            v.clone(),
            v,
        ));
    }

    let mut warnings = Vec::new();
    if let Some(until) = date_of(doc, "valid_until") {
        let days = (until - today).whole_days();
        if days < 0 {
            warnings.push(json!({
                "code": "card_expired",
                "vi": format!("Thẻ BHYT đã hết hạn ngày {}", date_vi(until)),
                "en": format!("The health insurance card expired on {}", cancuoc_core::time_fmt::date(until)),
            }));
        } else if days <= EXPIRY_WARNING_DAYS {
            warnings.push(json!({
                "code": "card_expires_soon",
                "vi": format!("Thẻ BHYT hết hạn sau {days} ngày ({})", date_vi(until)),
                "en": format!("The health insurance card expires in {days} days ({})", cancuoc_core::time_fmt::date(until)),
            }));
        }
    }
    if let Some(from) = date_of(doc, "valid_from").filter(|f| *f > today) {
        warnings.push(json!({
            "code": "card_not_yet_valid",
            "vi": format!("Thẻ BHYT có giá trị từ ngày {}", date_vi(from)),
            "en": format!("The health insurance card is valid from {}", cancuoc_core::time_fmt::date(from)),
        }));
    }
    if let (Some(ours), Some(theirs)) = (facility, code)
        && ours != theirs
    {
        let at = [Some(theirs), name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        warnings.push(json!({
            "code": "other_facility",
            "vi": format!("Người bệnh đăng ký KCB ban đầu tại cơ sở khác: {at}"),
            "en": format!("The patient is registered for primary care at another facility: {at}"),
        }));
    }
    (fields, warnings)
}

/// The answer for a presentation that verified.
pub fn valid(doc: &VerifiedDocument, now: OffsetDateTime, facility: Option<&str>) -> Value {
    let today = now.to_offset(VIETNAM).date();
    let (fields, warnings) = if doc.kind == Some(DocumentKind::HealthInsurance) {
        health_card(doc, today, facility)
    } else {
        let fields = doc
            .disclosed
            .iter()
            .map(|e| {
                let (lv, le) = label(doc.kind, &e.identifier);
                let (vv, ve) = value_text(&e.identifier, &e.value);
                field(&e.identifier, &lv, &le, vv, ve)
            })
            .collect();
        (fields, Vec::new())
    };
    let title = doc.kind.map_or_else(
        || both(&doc.doc_type, &doc.doc_type),
        |k| both(k.title_vi(), k.title_en()),
    );
    let issuer = format!(
        "{} · {}",
        doc.issuer.common_name.as_deref().unwrap_or("?"),
        doc.issuer.country.as_deref().unwrap_or("?")
    );
    let checks: Vec<Value> = doc
        .checks
        .iter()
        .map(|c| {
            both(
                i18n::check_label(*c, Lang::Vi),
                i18n::check_label(*c, Lang::En),
            )
        })
        .collect();
    json!({
        "result": "valid",
        "verified": true,
        "valid": true,
        "headline": both(i18n::verdict(true, Lang::Vi), i18n::verdict(true, Lang::En)),
        "title": title,
        "issuer": issuer,
        "fields": fields,
        "warnings": warnings,
        "checks": checks,
        "document": doc.to_json(),
    })
}

/// The counter's words where the core's general ones do not say what to do: the encrypted
/// answers of challenge mode.
fn station_reason(e: &VerifyError) -> Option<Value> {
    match e.code() {
        "encrypted_no_key" => Some(both(
            "Mã trả lời đã được mã hóa, nhưng trạm chưa có khóa bên khai thác (--party) để mở",
            "The answer is encrypted, and this station has no relying-party key (--party) to open it",
        )),
        "decrypt_failed" => Some(both(
            "Mã trả lời được mã hóa cho một nơi kiểm tra khác",
            "The answer is encrypted to another verifier",
        )),
        _ => None,
    }
}

/// The answer for a presentation that did not verify.
pub fn rejected(e: &VerifyError) -> Value {
    let reason = station_reason(e).unwrap_or_else(|| {
        both(
            i18n::rejection_reason(e, Lang::Vi),
            i18n::rejection_reason(e, Lang::En),
        )
    });
    json!({
        "result": "rejected",
        "verified": false,
        "valid": false,
        "headline": both(i18n::verdict(false, Lang::Vi), i18n::verdict(false, Lang::En)),
        "reason": reason,
        "check": e.check(),
        "code": e.code(),
        "failed_check": both(i18n::check_label(e.check(), Lang::Vi), i18n::check_label(e.check(), Lang::En)),
        "error": e.to_string(),
    })
}

/// An answer made for one of this station's requests, scanned without naming a pending request
/// (used already, or the page was not in challenge mode): rejected, with what happened.
pub fn answer_without_request(e: &VerifyError) -> Value {
    let mut v = rejected(e);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "reason".into(),
            both(
                "Mã trả lời này không gắn với yêu cầu nào đang chờ: yêu cầu đã được dùng, hoặc trang không ở chế độ «Yêu cầu từ điện thoại»",
                "This answer goes with no pending request: the request was used already, or the page is not in “Request from the phone” mode",
            ),
        );
    }
    v
}

/// The answer for an answer to a request the station cannot use (expired, or unknown).
pub fn request_unusable(code: &str, error: &str) -> Value {
    let reason = match code {
        "request_expired" => both(
            "Yêu cầu đã hết hạn — tạo yêu cầu mới và để công dân quét lại",
            "The request has expired — make a new one and let the citizen scan it again",
        ),
        _ => both("Mã yêu cầu không hợp lệ", "The request is not valid"),
    };
    json!({
        "result": "rejected",
        "verified": false,
        "valid": false,
        "headline": both(i18n::verdict(false, Lang::Vi), i18n::verdict(false, Lang::En)),
        "reason": reason,
        "check": "challenge",
        "code": code,
        "failed_check": both(i18n::check_label(cancuoc_core::verifier::Check::Challenge, Lang::Vi), i18n::check_label(cancuoc_core::verifier::Check::Challenge, Lang::En)),
        "error": error,
    })
}

/// The chip card's printed QR, read: unsigned, shown as such.
pub fn card(c: &ChipCard) -> Value {
    let sex = match c.sex {
        cancuoc_core::document::Sex::Male => ("Nam", "Male"),
        cancuoc_core::document::Sex::Female => ("Nữ", "Female"),
    };
    let f = |fl: Field, vi: String, en: String| {
        field(fl.as_str(), fl.label(true), fl.label(false), vi, en)
    };
    let mut fields = vec![
        f(
            Field::PersonalNumber,
            c.personal_number.clone(),
            c.personal_number.clone(),
        ),
        f(Field::FullName, c.full_name.clone(), c.full_name.clone()),
        f(
            Field::BirthDate,
            date_vi(c.birth_date),
            cancuoc_core::time_fmt::date(c.birth_date),
        ),
        f(Field::Sex, sex.0.into(), sex.1.into()),
        f(Field::Address, c.address.clone(), c.address.clone()),
        f(
            Field::IssueDate,
            date_vi(c.issue_date),
            cancuoc_core::time_fmt::date(c.issue_date),
        ),
    ];
    if let Some(old) = &c.old_id_number {
        fields.insert(1, f(Field::OldIdNumber, old.clone(), old.clone()));
    }
    fields.push(field(
        "birth_registration_province",
        "Tỉnh đăng ký khai sinh (theo số định danh)",
        "Province of birth registration (from the ID number)",
        c.province.to_owned(),
        c.province.to_owned(),
    ));
    json!({
        "result": "unsigned_card",
        "verified": false,
        "valid": Value::Null,
        "headline": both("Dữ liệu thẻ chưa ký", "Unsigned card data"),
        "reason": both(
            "Mã QR in trên thẻ căn cước không có chữ ký — ai cũng in được. Đối chiếu với thẻ và ảnh trên thẻ.",
            "The QR printed on the ID card is not signed — anyone can print one. Compare with the card and its photo.",
        ),
        "title": both("Thẻ căn cước (mã QR in trên thẻ)", "Citizen identity card (printed QR)"),
        "fields": fields,
        "warnings": [],
        "card": {
            "personal_number": c.personal_number,
            "old_id_number": c.old_id_number,
            "full_name": c.full_name,
            "birth_date": cancuoc_core::time_fmt::date(c.birth_date),
            "sex": sex.1.to_lowercase(),
            "address": c.address,
            "issue_date": cancuoc_core::time_fmt::date(c.issue_date),
            "province": c.province,
        },
    })
}

/// Card text that is not a valid card QR.
pub fn card_invalid(e: &ChipCardError) -> Value {
    json!({
        "result": "rejected",
        "verified": false,
        "valid": false,
        "headline": both(i18n::verdict(false, Lang::Vi), i18n::verdict(false, Lang::En)),
        "reason": both(&e.reason(true), &e.reason(false)),
        "check": "chip_card",
        "code": e.code(),
        "field": e.field().map(Field::as_str),
        "failed_check": both("mã QR trên thẻ căn cước", "ID card QR"),
        "error": e.to_string(),
    })
}

/// An image in which no QR code could be read (not a verification: nothing is logged).
pub fn no_code(error: &str) -> Value {
    json!({
        "result": "no_code",
        "verified": false,
        "valid": false,
        "headline": both("Không đọc được mã QR", "No QR code read"),
        "reason": both(
            "Không tìm thấy mã QR trong ảnh — giữ mã QR thẳng, đủ sáng, trong khung hình",
            "No QR code found in the image — hold the code straight, well lit, inside the frame",
        ),
        "error": error,
    })
}

/// Adds the scanner corrections made, if any.
pub fn with_fixes(mut v: Value, fixes: &[Fix]) -> Value {
    if !fixes.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.insert("fixes".into(), json!(fixes));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancuoc_core::fixtures::DemoWorld;
    use cancuoc_core::qr::sd_cwt::present_qr;
    use cancuoc_core::trust::TrustList;
    use cancuoc_core::verifier::{QrVerifyRequest, Verifier};
    use time::macros::datetime;

    fn clinic(now: OffsetDateTime) -> VerifiedDocument {
        let w = DemoWorld::build(1, now).unwrap();
        let compact = w.compact(DocumentKind::HealthInsurance).unwrap();
        let text = present_qr(
            compact,
            &w.device_key,
            &["holder_name", "birth_date", "sex"],
            None,
            now,
        )
        .unwrap();
        let v = Verifier::new(
            TrustList::new(vec![
                w.authority.certificate().clone(),
                w.issuer.certificate().clone(),
            ])
            .unwrap(),
        );
        v.verify_qr_text(&text, &QrVerifyRequest::new(now)).unwrap()
    }

    fn ids(v: &Value) -> Vec<&str> {
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn the_health_card_in_the_receptionists_order() {
        let now = datetime!(2026-11-23 08:00:00 UTC);
        let v = valid(&clinic(now), now, Some("01024"));
        assert_eq!(
            ids(&v),
            [
                "card_code",
                "holder_name",
                "birth_date",
                "sex",
                "benefit_level",
                "valid_from",
                "valid_until",
                "registered_facility"
            ]
        );
        let f = &v["fields"];
        assert_eq!(f[2]["value"], "14/05/1990");
        assert_eq!(f[2]["value_en"], "1990-05-14");
        assert_eq!(f[3]["value"], "Nam");
        assert_eq!(f[4]["value"], "4 (80%)");
        assert_eq!(f[7]["value"], "01024 — Bệnh viện Đa khoa Xanh Pôn");
        assert_eq!(v["warnings"], json!([]));
        assert_eq!(v["headline"]["vi"], "Hợp lệ");
        assert_eq!(v["title"]["vi"], "Thẻ bảo hiểm y tế");
    }

    #[test]
    fn warns_of_expiry_and_another_facility() {
        // The card is valid until 2026-12-31: 21 days left on 2026-12-10 (Vietnam time).
        let now = datetime!(2026-12-10 08:00:00 UTC);
        let v = valid(&clinic(now), now, Some("79001"));
        let codes: Vec<&str> = v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["card_expires_soon", "other_facility"]);
        assert!(v["warnings"][0]["vi"].as_str().unwrap().contains("21 ngày"));
        assert!(v["warnings"][1]["vi"].as_str().unwrap().contains("01024"));
        // 30 days before is still a warning; 31 is not.
        let now = datetime!(2026-12-01 08:00:00 UTC);
        assert_eq!(
            valid(&clinic(now), now, None)["warnings"][0]["code"],
            "card_expires_soon"
        );
        let now = datetime!(2026-11-30 08:00:00 UTC);
        assert_eq!(valid(&clinic(now), now, None)["warnings"], json!([]));
    }

    #[test]
    fn encrypted_answers_are_explained_for_the_counter() {
        use cancuoc_core::qr::encrypted::EncryptedError;
        let v = rejected(&VerifyError::Encrypted(EncryptedError::NoKey));
        assert_eq!(v["code"], "encrypted_no_key");
        assert!(v["reason"]["vi"].as_str().unwrap().contains("--party"));
        let v = rejected(&VerifyError::Encrypted(EncryptedError::Decrypt));
        assert_eq!(
            v["reason"]["en"],
            "The answer is encrypted to another verifier"
        );
        let v = answer_without_request(&VerifyError::WrongAudience {
            expected: "*".into(),
            found: "phongkham.example.vn".into(),
        });
        assert_eq!(v["code"], "wrong_audience");
        assert!(
            v["reason"]["vi"]
                .as_str()
                .unwrap()
                .contains("Yêu cầu từ điện thoại")
        );
    }

    #[test]
    fn benefit_levels() {
        assert_eq!(benefit_level("DN4010123456789"), Some(('4', "80%")));
        assert_eq!(benefit_level("TE1010123456789"), Some(('1', "100%")));
        assert_eq!(benefit_level("HT3010123456789"), Some(('3', "95%")));
        assert_eq!(benefit_level("DN9"), None);
        assert_eq!(benefit_level("D"), None);
    }
}
