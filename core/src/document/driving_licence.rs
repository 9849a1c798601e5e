//! The driver licence (Giấy phép lái xe) as the ISO/IEC 18013-5 mDL: docType
//! `org.iso.18013.5.1.mDL`, namespace `org.iso.18013.5.1`, with Vietnamese licence classes as
//! `vehicle_category_code`s in `driving_privileges`.

use serde::{Deserialize, Serialize};
use time::Date;

use super::identity::{country, spec, split_name};
use super::rules::{self, DocumentError, Rule, err};
use super::{ElementSpec, Sex, serde_fmt};
use crate::mdoc::element::ElementValue;

pub const DOC_TYPE: &str = "org.iso.18013.5.1.mDL";
pub const NS: &str = "org.iso.18013.5.1";

/// Licence classes of the Law on Road Traffic Order and Safety (2024, in force 2025-01-01),
/// followed by the classes of earlier licences still in circulation.
pub const LICENCE_CLASSES: &[&str] = &[
    "A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE",
    // issued before 2025 and valid until they expire
    "A2", "A3", "A4", "B2", "E", "FB2", "FC", "FD", "FE",
];

/// One licence class held, with its own dates where they differ from the licence's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrivingPrivilege {
    pub vehicle_category_code: String,
    #[serde(
        default,
        with = "serde_fmt::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub issue_date: Option<Date>,
    #[serde(
        default,
        with = "serde_fmt::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiry_date: Option<Date>,
}

/// A driver licence.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrivingLicence {
    /// Số GPLX: 12 digits.
    pub document_number: String,
    pub full_name: String,
    #[serde(with = "serde_fmt::date")]
    pub birth_date: Date,
    pub sex: Sex,
    pub nationality: String,
    pub resident_address: String,
    #[serde(with = "serde_fmt::date")]
    pub issue_date: Date,
    #[serde(with = "serde_fmt::date")]
    pub expiry_date: Date,
    pub issuing_authority: String,
    #[serde(with = "serde_fmt::base64_bytes")]
    pub portrait: Vec<u8>,
    pub driving_privileges: Vec<DrivingPrivilege>,
}

impl std::fmt::Debug for DrivingLicence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrivingLicence")
            .field("document_number", &crate::mask::pin(&self.document_number))
            .field("driving_privileges", &self.driving_privileges)
            .field("expiry_date", &self.expiry_date)
            .finish_non_exhaustive()
    }
}

pub const ELEMENTS: &[ElementSpec] = &[
    spec(NS, "family_name", "tstr", true, "Họ", "Family name", "TRẦN"),
    spec(
        NS,
        "given_name",
        "tstr",
        true,
        "Chữ đệm và tên",
        "Given names",
        "THỊ BÌNH",
    ),
    spec(
        NS,
        "birth_date",
        "full-date",
        true,
        "Ngày sinh",
        "Date of birth",
        "1985-09-02",
    ),
    spec(
        NS,
        "issue_date",
        "full-date",
        true,
        "Ngày cấp",
        "Date of issue",
        "2025-03-01",
    ),
    spec(
        NS,
        "expiry_date",
        "full-date",
        true,
        "Có giá trị đến",
        "Date of expiry",
        "2035-03-01",
    ),
    spec(
        NS,
        "issuing_country",
        "tstr (ISO 3166-1 alpha-2)",
        true,
        "Quốc gia cấp",
        "Issuing country",
        "VN",
    ),
    spec(
        NS,
        "issuing_authority",
        "tstr",
        true,
        "Cơ quan cấp",
        "Issuing authority",
        "Cục Cảnh sát giao thông",
    ),
    spec(
        NS,
        "document_number",
        "tstr (12 digits)",
        true,
        "Số GPLX",
        "Licence number",
        "790123456789",
    ),
    spec(
        NS,
        "portrait",
        "bstr (JPEG)",
        true,
        "Ảnh chân dung",
        "Portrait",
        "<JPEG>",
    ),
    spec(
        NS,
        "driving_privileges",
        "[+ {vehicle_category_code: tstr, ? issue_date: full-date, ? expiry_date: full-date}]",
        true,
        "Hạng",
        "Licence classes",
        "[{\"vehicle_category_code\": \"B\"}]",
    ),
    spec(
        NS,
        "un_distinguishing_sign",
        "tstr",
        true,
        "Ký hiệu quốc gia",
        "UN distinguishing sign",
        "VN",
    ),
    spec(
        NS,
        "sex",
        "uint (ISO/IEC 5218)",
        false,
        "Giới tính",
        "Sex",
        "2",
    ),
    spec(
        NS,
        "nationality",
        "tstr (ISO 3166-1 alpha-2)",
        false,
        "Quốc tịch",
        "Nationality",
        "VN",
    ),
    spec(
        NS,
        "resident_address",
        "tstr",
        false,
        "Nơi cư trú",
        "Resident address",
        "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
    ),
];

impl DrivingLicence {
    pub fn validate(&self) -> Result<(), DocumentError> {
        if !rules::digits(&self.document_number, 12) {
            return Err(err(
                "document_number",
                Rule::Format {
                    expected: "12 digits",
                },
            ));
        }
        rules::text("family_name", &self.full_name, 100)?;
        if !self.full_name.contains(' ') {
            return Err(err("given_name", Rule::Empty));
        }
        country("nationality", &self.nationality)?;
        rules::text("resident_address", &self.resident_address, 200)?;
        rules::text("issuing_authority", &self.issuing_authority, 100)?;
        rules::not_before("issue_date", self.issue_date, "birth_date", self.birth_date)?;
        rules::not_before(
            "expiry_date",
            self.expiry_date,
            "issue_date",
            self.issue_date,
        )?;
        rules::jpeg("portrait", &self.portrait)?;
        if self.driving_privileges.is_empty() {
            return Err(err("driving_privileges", Rule::Empty));
        }
        for p in &self.driving_privileges {
            if !LICENCE_CLASSES.contains(&p.vehicle_category_code.as_str()) {
                return Err(err(
                    "driving_privileges",
                    Rule::UnknownCode(p.vehicle_category_code.clone()),
                ));
            }
            if let (Some(i), Some(e)) = (p.issue_date, p.expiry_date) {
                rules::not_before("driving_privileges", e, "issue_date", i)?;
            }
        }
        Ok(())
    }

    pub(crate) fn elements(&self) -> Vec<(&'static str, ElementValue)> {
        use ElementValue as V;
        let (family, given) = split_name(&self.full_name);
        let privileges = self
            .driving_privileges
            .iter()
            .map(|p| {
                let mut m = vec![(
                    "vehicle_category_code".to_owned(),
                    V::Text(p.vehicle_category_code.clone()),
                )];
                if let Some(d) = p.issue_date {
                    m.push(("issue_date".to_owned(), V::FullDate(d)));
                }
                if let Some(d) = p.expiry_date {
                    m.push(("expiry_date".to_owned(), V::FullDate(d)));
                }
                V::Map(m)
            })
            .collect();
        vec![
            ("family_name", V::Text(family.to_owned())),
            ("given_name", V::Text(given.to_owned())),
            ("birth_date", V::FullDate(self.birth_date)),
            ("issue_date", V::FullDate(self.issue_date)),
            ("expiry_date", V::FullDate(self.expiry_date)),
            ("issuing_country", V::Text("VN".to_owned())),
            ("issuing_authority", V::Text(self.issuing_authority.clone())),
            ("document_number", V::Text(self.document_number.clone())),
            ("portrait", V::Bytes(self.portrait.clone())),
            ("driving_privileges", V::Array(privileges)),
            ("un_distinguishing_sign", V::Text("VN".to_owned())),
            ("sex", V::Uint(self.sex.iso5218())),
            ("nationality", V::Text(self.nationality.clone())),
            ("resident_address", V::Text(self.resident_address.clone())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::samples;

    #[test]
    fn refuses_unknown_class_and_bad_number() {
        let mut l = samples::licence();
        l.driving_privileges[0].vehicle_category_code = "Z9".into();
        assert_eq!(
            l.validate(),
            Err(err("driving_privileges", Rule::UnknownCode("Z9".into())))
        );
        let mut l = samples::licence();
        l.document_number = "79012345678X".into();
        assert_eq!(l.validate().unwrap_err().element, "document_number");
        let mut l = samples::licence();
        l.driving_privileges.clear();
        assert_eq!(l.validate(), Err(err("driving_privileges", Rule::Empty)));
    }
}
