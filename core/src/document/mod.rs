//! The four documents a citizen holds — chip ID card (CCCD), driver licence, health insurance
//! card (BHYT) and vehicle registration — as typed, validated models, each mapped to its mdoc
//! docType, namespaces and data elements. The element catalogue ([`ElementSpec`]) is the one
//! source for issuance, display and `docs/data-elements.md`.

pub mod driving_licence;
pub mod health_insurance;
pub mod identity;
pub mod rules;
pub mod samples;
pub mod vehicle_registration;

use serde::{Deserialize, Serialize};

use crate::mdoc::element::ElementValue;
pub use driving_licence::{DrivingLicence, DrivingPrivilege};
pub use health_insurance::HealthInsuranceCard;
pub use identity::CitizenIdentity;
pub use rules::{DocumentError, Rule};
pub use vehicle_registration::VehicleRegistration;

/// Sex as ISO/IEC 5218 codes it (1 male, 2 female), the coding of both the mDL and the PID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn iso5218(self) -> u64 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }
    pub fn vietnamese(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// Which of the four documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    CitizenIdentity,
    DrivingLicence,
    HealthInsurance,
    VehicleRegistration,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::CitizenIdentity,
        DocumentKind::DrivingLicence,
        DocumentKind::HealthInsurance,
        DocumentKind::VehicleRegistration,
    ];

    pub fn doc_type(self) -> &'static str {
        match self {
            Self::CitizenIdentity => identity::DOC_TYPE,
            Self::DrivingLicence => driving_licence::DOC_TYPE,
            Self::HealthInsurance => health_insurance::DOC_TYPE,
            Self::VehicleRegistration => vehicle_registration::DOC_TYPE,
        }
    }

    pub fn from_doc_type(doc_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.doc_type() == doc_type)
    }

    /// The document's name as a Vietnamese citizen knows it.
    pub fn title_vi(self) -> &'static str {
        match self {
            Self::CitizenIdentity => "Căn cước công dân",
            Self::DrivingLicence => "Giấy phép lái xe",
            Self::HealthInsurance => "Thẻ bảo hiểm y tế",
            Self::VehicleRegistration => "Giấy chứng nhận đăng ký xe",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Self::CitizenIdentity => "Citizen identity card",
            Self::DrivingLicence => "Driver licence",
            Self::HealthInsurance => "Health insurance card",
            Self::VehicleRegistration => "Vehicle registration certificate",
        }
    }

    /// Every data element this document can carry.
    pub fn elements(self) -> &'static [ElementSpec] {
        match self {
            Self::CitizenIdentity => identity::ELEMENTS,
            Self::DrivingLicence => driving_licence::ELEMENTS,
            Self::HealthInsurance => health_insurance::ELEMENTS,
            Self::VehicleRegistration => vehicle_registration::ELEMENTS,
        }
    }

    /// The catalogue entry for an element.
    pub fn element(self, namespace: &str, identifier: &str) -> Option<&'static ElementSpec> {
        self.elements()
            .iter()
            .find(|e| e.namespace == namespace && e.identifier == identifier)
    }
}

/// One data element of a document type: where it lives, its CBOR type and whether the issuer
/// always includes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementSpec {
    pub namespace: &'static str,
    pub identifier: &'static str,
    /// CDDL type as ISO 18013-5 writes it.
    pub cbor_type: &'static str,
    pub mandatory: bool,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub example: &'static str,
}

/// A document the issuer can sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Document {
    CitizenIdentity(CitizenIdentity),
    DrivingLicence(DrivingLicence),
    HealthInsurance(HealthInsuranceCard),
    VehicleRegistration(VehicleRegistration),
}

/// Elements grouped by namespace, in catalogue order.
pub type NamespacedElements = Vec<(&'static str, Vec<(&'static str, ElementValue)>)>;

impl Document {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::CitizenIdentity(_) => DocumentKind::CitizenIdentity,
            Self::DrivingLicence(_) => DocumentKind::DrivingLicence,
            Self::HealthInsurance(_) => DocumentKind::HealthInsurance,
            Self::VehicleRegistration(_) => DocumentKind::VehicleRegistration,
        }
    }

    pub fn doc_type(&self) -> &'static str {
        self.kind().doc_type()
    }

    /// Checks every rule of the document; the first broken one is returned.
    pub fn validate(&self) -> Result<(), DocumentError> {
        match self {
            Self::CitizenIdentity(d) => d.validate(),
            Self::DrivingLicence(d) => d.validate(),
            Self::HealthInsurance(d) => d.validate(),
            Self::VehicleRegistration(d) => d.validate(),
        }
    }

    /// The data elements to sign, grouped by namespace in catalogue order.
    pub fn elements(&self) -> NamespacedElements {
        let flat = match self {
            Self::CitizenIdentity(d) => d.elements(),
            Self::DrivingLicence(d) => d.elements(),
            Self::HealthInsurance(d) => d.elements(),
            Self::VehicleRegistration(d) => d.elements(),
        };
        group(self.kind(), flat)
    }

    /// The holder's name as a card shows it.
    pub fn holder_name(&self) -> &str {
        match self {
            Self::CitizenIdentity(d) => &d.full_name,
            Self::DrivingLicence(d) => &d.full_name,
            Self::HealthInsurance(d) => &d.holder_name,
            Self::VehicleRegistration(d) => &d.owner_name,
        }
    }
}

/// Places each (identifier, value) in its catalogue namespace, keeping catalogue order.
fn group(kind: DocumentKind, flat: Vec<(&'static str, ElementValue)>) -> NamespacedElements {
    let mut out: NamespacedElements = Vec::new();
    for spec in kind.elements() {
        let Some((_, value)) = flat.iter().find(|(id, _)| *id == spec.identifier) else {
            continue;
        };
        match out.iter_mut().find(|(ns, _)| *ns == spec.namespace) {
            Some((_, items)) => items.push((spec.identifier, value.clone())),
            None => out.push((spec.namespace, vec![(spec.identifier, value.clone())])),
        }
    }
    out
}

/// Serde helpers for the JSON form of documents: dates as "YYYY-MM-DD", bytes as base64.
pub(crate) mod serde_fmt {
    pub mod date {
        use serde::{Deserialize, Deserializer, Serializer, de::Error};
        use time::Date;

        pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&crate::time_fmt::date(*d))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
            let s = String::deserialize(d)?;
            crate::time_fmt::parse_date(&s)
                .ok_or_else(|| D::Error::custom(format!("{s:?} is not a date YYYY-MM-DD")))
        }
    }
    pub mod opt_date {
        use serde::{Deserialize, Deserializer, Serializer, de::Error};
        use time::Date;

        pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_str(&crate::time_fmt::date(*d)),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(s) => crate::time_fmt::parse_date(&s)
                    .map(Some)
                    .ok_or_else(|| D::Error::custom(format!("{s:?} is not a date YYYY-MM-DD"))),
            }
        }
    }
    pub mod base64_bytes {
        use base64::Engine as _;
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            let s = String::deserialize(d)?;
            base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| D::Error::custom(format!("not base64: {e}")))
        }
    }
}

/// `docs/data-elements.md`, rendered from the catalogue (a test keeps the file in step).
pub fn data_elements_markdown() -> String {
    let mut out = String::from(
        "# Data elements\n\n\
         Generated from `cancuoc_core::document::DocumentKind::elements()` — the same table issuance,\n\
         display and verification use. `core/tests/docs.rs` fails when this file differs from the code;\n\
         regenerate with `CANCUOC_WRITE_DOCS=1 cargo test -p cancuoc-core --test docs`.\n\n\
         Identifiers follow existing standards where one exists: ISO/IEC 18013-5 for the driver licence,\n\
         ISO/IEC 7367 for the vehicle registration, the EU PID rulebook for the identity elements it names;\n\
         Vietnamese namespaces (`vn.gov.…`) hold what those lack. Types are CDDL as ISO/IEC 18013-5 writes\n\
         them: `full-date` is tag 1004 text `YYYY-MM-DD`, `tdate` is tag 0 RFC 3339 text.\n\n\
         Mandatory means the issuer always includes the element; the holder still chooses what to disclose.\n\n\
         The EU health-insurance attestation (EHIC, docType `eu.europa.ec.eudi.ehic.1`) names\n\
         `document_id`, `social_security_pin`, `starting_date`, `ending_date` and `competent_institution`\n\
         for a cross-border entitlement card. The BHYT card is a different document — its registered\n\
         health facility, benefit level and five-year date have no EHIC counterpart, and a clinic needs\n\
         them read as BHYT semantics — so it keeps its own docType and namespace (`vn.gov.bhxh.bhyt.1`);\n\
         an EHIC-shaped attestation could later be derived from it (card code → `document_id`, social\n\
         insurance number → `social_security_pin`, validity → `starting_date`/`ending_date`).\n",
    );
    for kind in DocumentKind::ALL {
        let mut namespaces: Vec<&str> = Vec::new();
        for e in kind.elements() {
            if !namespaces.contains(&e.namespace) {
                namespaces.push(e.namespace);
            }
        }
        out.push_str(&format!(
            "\n## {} ({})\n\ndocType `{}`; namespaces {}.\n\n",
            kind.title_en(),
            kind.title_vi(),
            kind.doc_type(),
            namespaces
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str("| namespace | element | type | mandatory | label (vi) | example |\n|---|---|---|---|---|---|\n");
        for e in kind.elements() {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | `{}` |\n",
                e.namespace,
                e.identifier,
                e.cbor_type.replace('|', "\\|"),
                if e.mandatory { "yes" } else { "no" },
                e.label_vi,
                e.example.replace('|', "\\|"),
            ));
        }
    }
    out.push_str(VALIDATION_RULES);
    out
}

const VALIDATION_RULES: &str = "
## Validation rules

An invalid value is refused before signing with a `DocumentError { element, rule }` naming the element
and the broken rule.

- **Personal identification number** (12 digits): digits 1–3 a province code in use (the 63 codes,
  `001` Hà Nội … `096` Cà Mau); digit 4 the century and sex — 0/1 born 1900–1999 male/female, 2/3
  2000–2099, 4/5 2100–2199, 6/7 2200–2299, 8/9 2300–2399 — which must agree with `birth_date` and
  `sex`; digits 5–6 the last two digits of the birth year.
- **BHYT card code** (15 characters): a known 2-letter beneficiary group (`DN`, `HX`, `TE`, …), a
  benefit-level digit 1–5 equal to `benefit_level`, a 2-digit province code in use, a 10-digit social
  insurance number. The registered facility code is 5 digits starting with a province code.
- **VIN**: 17 characters from 0–9 and A–Z without I, O, Q; the 10th (model year) not U, Z or 0; the
  9th is checked as the ISO 3779 / 49 CFR 565 check digit for North-American manufacturer codes
  (first character 1–5), where it is mandatory.
- **Plate**: 2-digit locality code ≥ 11, a series of 1–2 letters and an optional digit, then 4–6
  digits, written with optional `-`, space and `.` separators (`30A-123.45`, `29B1-123.45`).
- **Licence classes**: the classes of the 2024 Law on Road Traffic Order and Safety (A1, A, B1, B, C1,
  C, D1, D2, D, BE, C1E, CE, D1E, D2E, DE) and those of earlier licences still valid (A2, A3, A4, B2,
  E, FB2, FC, FD, FE).
- **Dates** run forward: issue after birth, expiry after issue, valid-until after valid-from.
- **Text**: non-empty, bounded length, no control characters, no surrounding spaces.
- **Portrait**: a JPEG (SOI … EOI) of at most 200 KiB.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_validates_and_covers_the_catalogue() {
        for doc in samples::all() {
            doc.validate().unwrap();
            let kind = doc.kind();
            let produced: Vec<(&str, &str)> = doc
                .elements()
                .iter()
                .flat_map(|(ns, items)| items.iter().map(move |(id, _)| (*ns, *id)))
                .collect();
            for spec in kind.elements() {
                if spec.mandatory {
                    assert!(
                        produced.contains(&(spec.namespace, spec.identifier)),
                        "{:?} misses mandatory {}",
                        kind,
                        spec.identifier
                    );
                }
            }
            assert_eq!(
                produced.len(),
                doc.elements().iter().map(|(_, v)| v.len()).sum::<usize>()
            );
            // JSON round trip (the CLI's input form).
            let json = serde_json::to_string(&doc).unwrap();
            let back: Document = serde_json::from_str(&json).unwrap();
            assert_eq!(back, doc);
        }
    }

    #[test]
    fn catalogue_identifiers_are_unique_per_document() {
        for kind in DocumentKind::ALL {
            let mut ids: Vec<_> = kind
                .elements()
                .iter()
                .map(|e| (e.namespace, e.identifier))
                .collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{kind:?}");
            assert_eq!(DocumentKind::from_doc_type(kind.doc_type()), Some(kind));
        }
    }
}
