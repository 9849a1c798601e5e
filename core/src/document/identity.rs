//! The chip citizen identity card (thẻ Căn cước công dân, CCCD) as an mdoc.
//!
//! docType `vn.gov.bca.cccd.1`. Elements the EU PID rulebook already names live in its
//! namespace `eu.europa.ec.eudi.pid.1` (the pattern the mDL uses with its AAMVA domestic
//! namespace); what only a Vietnamese card has (full name in card order, ethnicity, place of
//! origin, eID assurance level) lives in `vn.gov.bca.cccd.1`.

use serde::{Deserialize, Serialize};
use time::Date;

use super::rules::{self, DocumentError, Rule, err};
use super::{ElementSpec, Sex, serde_fmt};
use crate::mdoc::element::ElementValue;

pub const DOC_TYPE: &str = "vn.gov.bca.cccd.1";
pub const NS_PID: &str = "eu.europa.ec.eudi.pid.1";
pub const NS_VN: &str = "vn.gov.bca.cccd.1";

/// A citizen identity card.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenIdentity {
    /// Số định danh cá nhân: 12 digits.
    pub personal_identification_number: String,
    /// Họ, chữ đệm và tên khai sinh, as printed ("NGUYỄN VĂN AN" or "Nguyễn Văn An").
    pub full_name: String,
    #[serde(with = "serde_fmt::date")]
    pub birth_date: Date,
    pub sex: Sex,
    /// ISO 3166-1 alpha-2, "VN" for Vietnamese citizens.
    pub nationality: String,
    /// Dân tộc, e.g. "Kinh".
    pub ethnicity: String,
    /// Quê quán.
    pub place_of_origin: String,
    /// Nơi thường trú.
    pub place_of_residence: String,
    #[serde(with = "serde_fmt::date")]
    pub issue_date: Date,
    #[serde(with = "serde_fmt::date")]
    pub expiry_date: Date,
    pub issuing_authority: String,
    /// JPEG portrait.
    #[serde(with = "serde_fmt::base64_bytes")]
    pub portrait: Vec<u8>,
    /// Mức độ tài khoản định danh điện tử: 1 or 2.
    pub eid_assurance_level: u8,
}

impl std::fmt::Debug for CitizenIdentity {
    // The full identification number and the portrait stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenIdentity")
            .field(
                "personal_identification_number",
                &crate::mask::pin(&self.personal_identification_number),
            )
            .field("issue_date", &self.issue_date)
            .field("expiry_date", &self.expiry_date)
            .finish_non_exhaustive()
    }
}

pub const ELEMENTS: &[ElementSpec] = &[
    spec(
        NS_PID,
        "family_name",
        "tstr",
        true,
        "Họ",
        "Family name",
        "NGUYỄN",
    ),
    spec(
        NS_PID,
        "given_name",
        "tstr",
        true,
        "Chữ đệm và tên",
        "Given names",
        "VĂN AN",
    ),
    spec(
        NS_PID,
        "birth_date",
        "full-date",
        true,
        "Ngày sinh",
        "Date of birth",
        "1990-05-14",
    ),
    spec(
        NS_PID,
        "sex",
        "uint (ISO/IEC 5218: 1 male, 2 female)",
        true,
        "Giới tính",
        "Sex",
        "1",
    ),
    spec(
        NS_PID,
        "nationality",
        "[+ tstr] (ISO 3166-1 alpha-2 codes, the PID rulebook's nationalities)",
        true,
        "Quốc tịch",
        "Nationality",
        "VN",
    ),
    spec(
        NS_PID,
        "resident_address",
        "tstr",
        true,
        "Nơi thường trú",
        "Place of residence",
        "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    ),
    spec(
        NS_PID,
        "personal_administrative_number",
        "tstr (12 digits)",
        true,
        "Số định danh cá nhân",
        "Personal identification number",
        "001090012345",
    ),
    spec(
        NS_PID,
        "issuance_date",
        "full-date",
        true,
        "Ngày cấp",
        "Date of issue",
        "2021-04-01",
    ),
    spec(
        NS_PID,
        "expiry_date",
        "full-date",
        true,
        "Có giá trị đến",
        "Date of expiry",
        "2030-05-14",
    ),
    spec(
        NS_PID,
        "issuing_authority",
        "tstr",
        true,
        "Nơi cấp",
        "Issuing authority",
        "Bộ Công an",
    ),
    spec(
        NS_PID,
        "issuing_country",
        "tstr (ISO 3166-1 alpha-2)",
        true,
        "Quốc gia cấp",
        "Issuing country",
        "VN",
    ),
    spec(
        NS_PID,
        "portrait",
        "bstr (JPEG)",
        true,
        "Ảnh chân dung",
        "Portrait",
        "<JPEG>",
    ),
    spec(
        NS_VN,
        "full_name",
        "tstr",
        true,
        "Họ, chữ đệm và tên",
        "Full name",
        "NGUYỄN VĂN AN",
    ),
    spec(
        NS_VN,
        "ethnicity",
        "tstr",
        true,
        "Dân tộc",
        "Ethnicity",
        "Kinh",
    ),
    spec(
        NS_VN,
        "place_of_origin",
        "tstr",
        true,
        "Quê quán",
        "Place of origin",
        "Nam Định",
    ),
    spec(
        NS_VN,
        "eid_assurance_level",
        "uint (1 or 2)",
        true,
        "Mức độ định danh điện tử",
        "eID assurance level",
        "2",
    ),
];

#[allow(clippy::too_many_arguments)]
pub(crate) const fn spec(
    namespace: &'static str,
    identifier: &'static str,
    cbor_type: &'static str,
    mandatory: bool,
    label_vi: &'static str,
    label_en: &'static str,
    example: &'static str,
) -> ElementSpec {
    ElementSpec {
        namespace,
        identifier,
        cbor_type,
        mandatory,
        label_vi,
        label_en,
        example,
    }
}

/// The century and sex a CCCD number's fourth digit encodes: 0/1 for 1900–1999 (male/female),
/// 2/3 for 2000–2099, 4/5 for 2100–2199, 6/7 for 2200–2299, 8/9 for 2300–2399.
pub fn century_and_sex(digit: u8) -> (i32, Sex) {
    let century = 1900 + i32::from(digit / 2) * 100;
    let sex = if digit.is_multiple_of(2) {
        Sex::Male
    } else {
        Sex::Female
    };
    (century, sex)
}

/// Checks the structure of a 12-digit personal identification number against the holder's
/// birth date and sex: province code, century/sex digit, two-digit birth year.
pub fn check_identification_number(
    element: &'static str,
    number: &str,
    birth_date: Date,
    sex: Sex,
) -> Result<(), DocumentError> {
    if !rules::digits(number, 12) {
        return Err(err(
            element,
            Rule::Format {
                expected: "12 digits",
            },
        ));
    }
    let province = number.get(0..3).unwrap_or_default();
    if rules::province(province).is_none() {
        return Err(err(element, Rule::UnknownProvince(province.to_owned())));
    }
    let digit = number.as_bytes().get(3).map_or(0, |b| b - b'0');
    let (century, coded_sex) = century_and_sex(digit);
    let year = birth_date.year();
    if coded_sex != sex || year.div_euclid(100) * 100 != century {
        return Err(err(
            element,
            Rule::CenturySexMismatch {
                digit: char::from(b'0' + digit),
                says: format!("{:?} born {}–{}", coded_sex, century, century + 99),
                actual: format!("{:?} born {}", sex, year),
            },
        ));
    }
    let yy = number.get(4..6).unwrap_or_default();
    if yy != format!("{:02}", year.rem_euclid(100)) {
        return Err(err(
            element,
            Rule::BirthYearMismatch {
                digits: yy.to_owned(),
                birth_date: crate::time_fmt::date(birth_date),
            },
        ));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2 shape: two upper-case ASCII letters.
pub(crate) fn country(element: &'static str, value: &str) -> Result<(), DocumentError> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(err(
            element,
            Rule::Format {
                expected: "an ISO 3166-1 alpha-2 code such as VN",
            },
        ))
    }
}

/// Splits a Vietnamese full name into family name (first word) and given names (the rest).
pub fn split_name(full_name: &str) -> (&str, &str) {
    match full_name.split_once(' ') {
        Some((family, given)) => (family, given.trim_start()),
        None => (full_name, ""),
    }
}

impl CitizenIdentity {
    pub fn validate(&self) -> Result<(), DocumentError> {
        rules::text("full_name", &self.full_name, 100)?;
        if !self.full_name.contains(' ') {
            return Err(err(
                "full_name",
                Rule::Format {
                    expected: "family name and given name separated by a space",
                },
            ));
        }
        check_identification_number(
            "personal_administrative_number",
            &self.personal_identification_number,
            self.birth_date,
            self.sex,
        )?;
        country("nationality", &self.nationality)?;
        rules::text("ethnicity", &self.ethnicity, 50)?;
        rules::text("place_of_origin", &self.place_of_origin, 200)?;
        rules::text("resident_address", &self.place_of_residence, 200)?;
        rules::text("issuing_authority", &self.issuing_authority, 100)?;
        rules::not_before(
            "issuance_date",
            self.issue_date,
            "birth_date",
            self.birth_date,
        )?;
        rules::not_before(
            "expiry_date",
            self.expiry_date,
            "issuance_date",
            self.issue_date,
        )?;
        rules::jpeg("portrait", &self.portrait)?;
        if !(1..=2).contains(&self.eid_assurance_level) {
            return Err(err(
                "eid_assurance_level",
                Rule::OutOfRange { min: 1, max: 2 },
            ));
        }
        Ok(())
    }

    pub(crate) fn elements(&self) -> Vec<(&'static str, ElementValue)> {
        let (family, given) = split_name(&self.full_name);
        use ElementValue as V;
        vec![
            ("family_name", V::Text(family.to_owned())),
            ("given_name", V::Text(given.to_owned())),
            ("birth_date", V::FullDate(self.birth_date)),
            ("sex", V::Uint(self.sex.iso5218())),
            (
                "nationality",
                V::Array(vec![V::Text(self.nationality.clone())]),
            ),
            ("resident_address", V::Text(self.place_of_residence.clone())),
            (
                "personal_administrative_number",
                V::Text(self.personal_identification_number.clone()),
            ),
            ("issuance_date", V::FullDate(self.issue_date)),
            ("expiry_date", V::FullDate(self.expiry_date)),
            ("issuing_authority", V::Text(self.issuing_authority.clone())),
            ("issuing_country", V::Text("VN".to_owned())),
            ("portrait", V::Bytes(self.portrait.clone())),
            ("full_name", V::Text(self.full_name.clone())),
            ("ethnicity", V::Text(self.ethnicity.clone())),
            ("place_of_origin", V::Text(self.place_of_origin.clone())),
            (
                "eid_assurance_level",
                V::Uint(u64::from(self.eid_assurance_level)),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::samples;
    use time::macros::date;

    #[test]
    fn identification_number_structure() {
        let d = date!(1990 - 05 - 14);
        assert_eq!(
            check_identification_number("n", "001090012345", d, Sex::Male),
            Ok(())
        );
        assert_eq!(
            check_identification_number("n", "001190012345", d, Sex::Female),
            Ok(())
        );
        assert_eq!(
            check_identification_number("n", "079305012345", date!(2005 - 01 - 02), Sex::Female),
            Ok(())
        );
        // wrong sex digit
        assert!(matches!(
            check_identification_number("n", "001190012345", d, Sex::Male),
            Err(DocumentError {
                rule: Rule::CenturySexMismatch { .. },
                ..
            })
        ));
        // wrong century
        assert!(matches!(
            check_identification_number("n", "001290012345", d, Sex::Male),
            Err(DocumentError {
                rule: Rule::CenturySexMismatch { .. },
                ..
            })
        ));
        // wrong year
        assert!(matches!(
            check_identification_number("n", "001091012345", d, Sex::Male),
            Err(DocumentError {
                rule: Rule::BirthYearMismatch { .. },
                ..
            })
        ));
        // unknown province 003
        assert_eq!(
            check_identification_number("n", "003090012345", d, Sex::Male),
            Err(err("n", Rule::UnknownProvince("003".into())))
        );
        for bad in ["00109001234", "0010900123456", "00109001234a", ""] {
            assert_eq!(
                check_identification_number("n", bad, d, Sex::Male),
                Err(err(
                    "n",
                    Rule::Format {
                        expected: "12 digits"
                    }
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_invalid_cards_naming_the_element() {
        let mut c = samples::identity();
        c.expiry_date = date!(2020 - 01 - 01);
        assert_eq!(c.validate().unwrap_err().element, "expiry_date");
        let mut c = samples::identity();
        c.portrait = b"GIF89a".to_vec();
        assert_eq!(c.validate().unwrap_err(), err("portrait", Rule::NotJpeg));
        let mut c = samples::identity();
        c.eid_assurance_level = 3;
        assert_eq!(c.validate().unwrap_err().element, "eid_assurance_level");
        let mut c = samples::identity();
        c.nationality = "Vietnam".into();
        assert_eq!(c.validate().unwrap_err().element, "nationality");
        let c = samples::identity();
        assert!(!format!("{c:?}").contains(&c.personal_identification_number));
    }

    #[test]
    fn splits_vietnamese_names() {
        assert_eq!(split_name("Nguyễn Văn An"), ("Nguyễn", "Văn An"));
        assert_eq!(split_name("Lê Thị Hồng Nhung"), ("Lê", "Thị Hồng Nhung"));
    }
}
