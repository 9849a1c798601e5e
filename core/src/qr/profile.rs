//! The cancuoc QR profile (docs/qr-profile.md): which document elements the compact
//! credential carries, under which small integer keys, and which are always disclosed; and
//! the compact value forms (dates as RFC 8943 tag 100 day counts).

use time::{Date, OffsetDateTime};

use super::claims::Item;
use crate::document::DocumentKind;
use crate::document::{
    driving_licence as dl, health_insurance as hi, identity as id, vehicle_registration as vr,
};
use crate::mdoc::element::ElementValue;

/// Prefix of a presentation QR (version 1).
pub const PRESENTATION_PREFIX: &str = "CC1:";
/// Prefix of a verifier's request QR (version 1).
pub const REQUEST_PREFIX: &str = "CR1:";

/// Private-use CWT claim (below -65536) holding the document map.
pub const CLAIM_DOCUMENT: i128 = -65537;
/// Private-use CWT claim holding the revocation status index.
pub const CLAIM_STATUS_INDEX: i128 = -65538;
/// Key of the document type code inside the document map.
pub const DOC_TYPE_KEY: i128 = 0;

/// One element of the compact credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrElement {
    pub key: i128,
    pub namespace: &'static str,
    pub identifier: &'static str,
    /// Disclosed in every presentation (not selectively disclosable).
    pub always: bool,
}

const fn e(
    key: i128,
    namespace: &'static str,
    identifier: &'static str,
    always: bool,
) -> QrElement {
    QrElement {
        key,
        namespace,
        identifier,
        always,
    }
}

/// Document type codes in the compact credential.
pub fn doc_code(kind: DocumentKind) -> i128 {
    match kind {
        DocumentKind::CitizenIdentity => 1,
        DocumentKind::DrivingLicence => 2,
        DocumentKind::HealthInsurance => 3,
        DocumentKind::VehicleRegistration => 4,
    }
}

pub fn kind_of_code(code: i128) -> Option<DocumentKind> {
    DocumentKind::ALL.into_iter().find(|k| doc_code(*k) == code)
}

const CCCD: &[QrElement] = &[
    e(1, id::NS_PID, "personal_administrative_number", false),
    e(2, id::NS_VN, "full_name", false),
    e(3, id::NS_PID, "birth_date", false),
    e(4, id::NS_PID, "sex", false),
    e(5, id::NS_PID, "nationality", false),
    e(6, id::NS_VN, "ethnicity", false),
    e(7, id::NS_VN, "place_of_origin", false),
    e(8, id::NS_PID, "resident_address", false),
    e(9, id::NS_PID, "issuance_date", false),
    e(10, id::NS_PID, "expiry_date", true),
    e(11, id::NS_VN, "eid_assurance_level", false),
];

const MDL: &[QrElement] = &[
    e(1, dl::NS, "document_number", false),
    e(2, dl::NS, "family_name", false),
    e(3, dl::NS, "given_name", false),
    e(4, dl::NS, "birth_date", false),
    e(5, dl::NS, "issue_date", false),
    e(6, dl::NS, "expiry_date", true),
    e(7, dl::NS, "driving_privileges", false),
    e(8, dl::NS, "sex", false),
    e(9, dl::NS, "resident_address", false),
];

const BHYT: &[QrElement] = &[
    e(1, hi::NS, "card_code", true),
    e(2, hi::NS, "holder_name", false),
    e(3, hi::NS, "birth_date", false),
    e(4, hi::NS, "sex", false),
    e(5, hi::NS, "registered_facility_code", true),
    e(6, hi::NS, "registered_facility_name", true),
    e(7, hi::NS, "valid_from", true),
    e(8, hi::NS, "valid_until", true),
    e(9, hi::NS, "five_years_continuous_from", false),
];

const VEHICLE: &[QrElement] = &[
    e(1, vr::NS, "registration_number", true),
    e(2, vr::NS, "vehicle_identification_number", false),
    e(3, vr::NS, "vehicle_holder", false),
    e(4, vr::NS, "basic_vehicle_info", false),
    e(5, vr::NS_VN, "engine_number", false),
    e(6, vr::NS_VN, "vehicle_type", false),
    e(7, vr::NS_VN, "seats", false),
    e(8, vr::NS, "date_of_first_registration", false),
    e(9, vr::NS, "expiry_date", false),
];

/// The elements a kind's compact credential carries. Portraits stay out (too large for a QR;
/// the ISO mdoc carries them). The BHYT benefit level is the card code's third character and
/// its issuing authority is the signer, so neither is repeated.
pub fn elements(kind: DocumentKind) -> &'static [QrElement] {
    match kind {
        DocumentKind::CitizenIdentity => CCCD,
        DocumentKind::DrivingLicence => MDL,
        DocumentKind::HealthInsurance => BHYT,
        DocumentKind::VehicleRegistration => VEHICLE,
    }
}

/// The element with this identifier (namespaces do not repeat identifiers within one kind).
pub fn element_by_id(kind: DocumentKind, identifier: &str) -> Option<&'static QrElement> {
    elements(kind).iter().find(|e| e.identifier == identifier)
}

pub fn element_by_key(kind: DocumentKind, key: i128) -> Option<&'static QrElement> {
    elements(kind).iter().find(|e| e.key == key)
}

/// RFC 8943 tag 100: days since 1970-01-01.
pub const TAG_DAYS: u64 = 100;

fn days(d: Date) -> i128 {
    i128::from(d.to_julian_day() - Date::from_julian_day(2_440_588).map_or(0, Date::to_julian_day))
}

fn from_days(n: i128) -> Option<Date> {
    let j = i32::try_from(n).ok()?.checked_add(2_440_588)?;
    Date::from_julian_day(j).ok()
}

/// The compact form of an element value.
pub fn to_item(v: &ElementValue) -> Item {
    match v {
        ElementValue::Text(s) => Item::Text(s.clone()),
        ElementValue::Uint(n) => Item::Int(i128::from(*n)),
        ElementValue::Bool(b) => Item::Bool(*b),
        ElementValue::Bytes(b) => Item::Bytes(b.clone()),
        ElementValue::FullDate(d) => Item::Tag(TAG_DAYS, Box::new(Item::Int(days(*d)))),
        ElementValue::DateTime(t) => {
            Item::Tag(1, Box::new(Item::Int(i128::from(t.unix_timestamp()))))
        }
        ElementValue::Array(a) => Item::Array(a.iter().map(to_item).collect()),
        ElementValue::Map(m) => Item::Map(
            m.iter()
                .map(|(k, v)| (Item::Text(k.clone()), to_item(v)))
                .collect(),
        ),
    }
}

/// The element value of a compact item.
pub fn from_item(item: &Item) -> Option<ElementValue> {
    Some(match item {
        Item::Text(s) => ElementValue::Text(s.clone()),
        Item::Int(i) => ElementValue::Uint(u64::try_from(*i).ok()?),
        Item::Bool(b) => ElementValue::Bool(*b),
        Item::Bytes(b) => ElementValue::Bytes(b.clone()),
        Item::Tag(TAG_DAYS, inner) => ElementValue::FullDate(from_days(inner.int()?)?),
        Item::Tag(1, inner) => ElementValue::DateTime(
            OffsetDateTime::from_unix_timestamp(i64::try_from(inner.int()?).ok()?).ok()?,
        ),
        Item::Array(a) => ElementValue::Array(a.iter().map(from_item).collect::<Option<_>>()?),
        Item::Map(m) => ElementValue::Map(
            m.iter()
                .map(|(k, v)| match k {
                    Item::Text(k) => Some((k.clone(), from_item(v)?)),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// The element tables of docs/qr-profile.md, rendered from [`elements`] (a test keeps the
/// document in step).
pub fn tables_markdown() -> String {
    let mut out = String::new();
    for kind in DocumentKind::ALL {
        out.push_str(&format!(
            "\n### {} — document code {}\n\n| key | element (namespace / identifier in the mdoc) | disclosed |\n|---|---|---|\n",
            kind.title_en(),
            doc_code(kind)
        ));
        for e in elements(kind) {
            let spec = kind.element(e.namespace, e.identifier);
            out.push_str(&format!(
                "| {} | `{}` / `{}` ({}) | {} |\n",
                e.key,
                e.namespace,
                e.identifier,
                spec.map_or("?", |s| s.cbor_type)
                    .replace('|', "\\|")
                    .replace("full-date", "tag 100 days"),
                if e.always { "always" } else { "selectively" }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn every_qr_element_is_in_the_catalogue_once() {
        for kind in DocumentKind::ALL {
            let els = elements(kind);
            for (i, el) in els.iter().enumerate() {
                assert!(
                    kind.element(el.namespace, el.identifier).is_some(),
                    "{kind:?} {}",
                    el.identifier
                );
                assert!(
                    els.iter()
                        .skip(i + 1)
                        .all(|o| o.key != el.key && o.identifier != el.identifier)
                );
                assert!(el.key > 0);
            }
        }
    }

    #[test]
    fn dates_are_day_counts() {
        assert_eq!(days(date!(1970 - 01 - 01)), 0);
        assert_eq!(days(date!(1990 - 05 - 14)), 7438);
        let v = ElementValue::FullDate(date!(2026 - 12 - 31));
        assert_eq!(from_item(&to_item(&v)), Some(v));
    }
}
