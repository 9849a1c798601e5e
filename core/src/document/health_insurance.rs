//! The health insurance card (thẻ bảo hiểm y tế, BHYT) issued by Vietnam Social Security
//! (BHXH) as an mdoc: docType and namespace `vn.gov.bhxh.bhyt.1`.
//!
//! The 15-character card code is: 2-letter beneficiary group, 1 benefit-level digit (1–5),
//! 2-digit province code, 10-digit social insurance number — e.g. `DN4010123456789`.

use serde::{Deserialize, Serialize};
use time::Date;

use super::identity::spec;
use super::rules::{self, DocumentError, Rule, err};
use super::{ElementSpec, Sex, serde_fmt};
use crate::mdoc::element::ElementValue;

pub const DOC_TYPE: &str = "vn.gov.bhxh.bhyt.1";
pub const NS: &str = "vn.gov.bhxh.bhyt.1";

/// Beneficiary group codes (mã đối tượng) printed as the first two letters of the card code.
pub const BENEFICIARY_GROUPS: &[&str] = &[
    "DN", "HX", "CH", "NN", "TK", "HC", "XK", "CA", "HT", "TB", "NO", "CT", "XB", "TN", "CS", "XN",
    "MS", "HD", "TE", "CC", "CK", "CB", "KC", "HN", "DT", "DK", "XD", "BT", "HS", "SV", "GB", "GD",
    "TQ", "TA", "TY", "HG", "LS", "PV", "CN", "OK", "QN", "CY", "XV", "TS", "TC",
];

/// A health insurance card.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthInsuranceCard {
    /// Mã thẻ: 15 characters.
    pub card_code: String,
    pub holder_name: String,
    #[serde(with = "serde_fmt::date")]
    pub birth_date: Date,
    pub sex: Sex,
    /// Mức hưởng: 1–5, the card code's third character.
    pub benefit_level: u8,
    /// Nơi đăng ký KCB ban đầu: 5 digits, the first two the province.
    pub registered_facility_code: String,
    pub registered_facility_name: String,
    #[serde(with = "serde_fmt::date")]
    pub valid_from: Date,
    #[serde(with = "serde_fmt::date")]
    pub valid_until: Date,
    /// Thời điểm đủ 5 năm liên tục.
    #[serde(
        default,
        with = "serde_fmt::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub five_years_continuous_from: Option<Date>,
}

impl std::fmt::Debug for HealthInsuranceCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthInsuranceCard")
            .field("card_code", &crate::mask::pin(&self.card_code))
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

pub const ELEMENTS: &[ElementSpec] = &[
    spec(
        NS,
        "card_code",
        "tstr (15 characters)",
        true,
        "Mã thẻ",
        "Card code",
        "DN4010123456789",
    ),
    spec(
        NS,
        "holder_name",
        "tstr",
        true,
        "Họ và tên",
        "Holder name",
        "NGUYỄN VĂN AN",
    ),
    spec(
        NS,
        "birth_date",
        "full-date",
        true,
        "Ngày sinh",
        "Date of birth",
        "1990-05-14",
    ),
    spec(
        NS,
        "sex",
        "uint (ISO/IEC 5218)",
        true,
        "Giới tính",
        "Sex",
        "1",
    ),
    spec(
        NS,
        "benefit_level",
        "uint (1–5)",
        true,
        "Mức hưởng",
        "Benefit level",
        "4",
    ),
    spec(
        NS,
        "registered_facility_code",
        "tstr (5 digits)",
        true,
        "Mã nơi đăng ký KCB ban đầu",
        "Registered facility code",
        "01024",
    ),
    spec(
        NS,
        "registered_facility_name",
        "tstr",
        true,
        "Nơi đăng ký KCB ban đầu",
        "Registered health facility",
        "Bệnh viện Đa khoa Xanh Pôn",
    ),
    spec(
        NS,
        "valid_from",
        "full-date",
        true,
        "Giá trị sử dụng từ",
        "Valid from",
        "2026-01-01",
    ),
    spec(
        NS,
        "valid_until",
        "full-date",
        true,
        "Giá trị sử dụng đến",
        "Valid until",
        "2026-12-31",
    ),
    spec(
        NS,
        "five_years_continuous_from",
        "full-date",
        false,
        "Thời điểm đủ 5 năm liên tục",
        "Five continuous years reached",
        "2028-01-01",
    ),
    spec(
        NS,
        "issuing_authority",
        "tstr",
        true,
        "Cơ quan cấp",
        "Issuing authority",
        "Bảo hiểm xã hội Việt Nam",
    ),
];

/// Checks a 15-character BHYT card code and returns its benefit-level digit.
pub fn check_card_code(code: &str) -> Result<u8, DocumentError> {
    const E: &str = "card_code";
    if code.len() != 15 || !code.is_ascii() {
        return Err(err(
            E,
            Rule::Format {
                expected: "15 characters: group (2 letters), benefit level, province (2 digits), social insurance number (10 digits)",
            },
        ));
    }
    let group = code.get(0..2).unwrap_or_default();
    if !BENEFICIARY_GROUPS.contains(&group) {
        return Err(err(E, Rule::UnknownCode(group.to_owned())));
    }
    let level = code.as_bytes().get(2).copied().unwrap_or(0);
    if !(b'1'..=b'5').contains(&level) {
        return Err(err(
            E,
            Rule::Format {
                expected: "a benefit-level digit 1–5 as the third character",
            },
        ));
    }
    let province = code.get(3..5).unwrap_or_default();
    if !rules::digits(province, 2) || rules::province2(province).is_none() {
        return Err(err(E, Rule::UnknownProvince(province.to_owned())));
    }
    if !rules::digits(code.get(5..).unwrap_or_default(), 10) {
        return Err(err(
            E,
            Rule::Format {
                expected: "a 10-digit social insurance number as the last 10 characters",
            },
        ));
    }
    Ok(level - b'0')
}

impl HealthInsuranceCard {
    pub fn validate(&self) -> Result<(), DocumentError> {
        let level = check_card_code(&self.card_code)?;
        if !(1..=5).contains(&self.benefit_level) {
            return Err(err("benefit_level", Rule::OutOfRange { min: 1, max: 5 }));
        }
        if level != self.benefit_level {
            return Err(err("benefit_level", Rule::Mismatch { other: "card_code" }));
        }
        rules::text("holder_name", &self.holder_name, 100)?;
        let fc = &self.registered_facility_code;
        if !rules::digits(fc, 5) {
            return Err(err(
                "registered_facility_code",
                Rule::Format {
                    expected: "5 digits",
                },
            ));
        }
        let fc_province = fc.get(0..2).unwrap_or_default();
        if rules::province2(fc_province).is_none() {
            return Err(err(
                "registered_facility_code",
                Rule::UnknownProvince(fc_province.to_owned()),
            ));
        }
        rules::text(
            "registered_facility_name",
            &self.registered_facility_name,
            200,
        )?;
        rules::not_before("valid_from", self.valid_from, "birth_date", self.birth_date)?;
        rules::not_before(
            "valid_until",
            self.valid_until,
            "valid_from",
            self.valid_from,
        )?;
        if let Some(d) = self.five_years_continuous_from {
            rules::not_before(
                "five_years_continuous_from",
                d,
                "birth_date",
                self.birth_date,
            )?;
        }
        Ok(())
    }

    pub(crate) fn elements(&self) -> Vec<(&'static str, ElementValue)> {
        use ElementValue as V;
        let mut v = vec![
            ("card_code", V::Text(self.card_code.clone())),
            ("holder_name", V::Text(self.holder_name.clone())),
            ("birth_date", V::FullDate(self.birth_date)),
            ("sex", V::Uint(self.sex.iso5218())),
            ("benefit_level", V::Uint(u64::from(self.benefit_level))),
            (
                "registered_facility_code",
                V::Text(self.registered_facility_code.clone()),
            ),
            (
                "registered_facility_name",
                V::Text(self.registered_facility_name.clone()),
            ),
            ("valid_from", V::FullDate(self.valid_from)),
            ("valid_until", V::FullDate(self.valid_until)),
        ];
        if let Some(d) = self.five_years_continuous_from {
            v.push(("five_years_continuous_from", V::FullDate(d)));
        }
        v.push((
            "issuing_authority",
            V::Text("Bảo hiểm xã hội Việt Nam".to_owned()),
        ));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::samples;

    #[test]
    fn card_code_parts() {
        assert_eq!(check_card_code("DN4010123456789"), Ok(4));
        assert_eq!(check_card_code("TE1790123456789"), Ok(1));
        assert_eq!(
            check_card_code("ZZ4010123456789").unwrap_err().rule,
            Rule::UnknownCode("ZZ".into())
        );
        assert!(matches!(
            check_card_code("DN6010123456789").unwrap_err().rule,
            Rule::Format { .. }
        ));
        assert_eq!(
            check_card_code("DN4030123456789").unwrap_err().rule,
            Rule::UnknownProvince("03".into())
        );
        assert!(matches!(
            check_card_code("DN401012345678X").unwrap_err().rule,
            Rule::Format { .. }
        ));
        assert!(matches!(
            check_card_code("DN401012345678").unwrap_err().rule,
            Rule::Format { .. }
        ));
        assert!(matches!(
            check_card_code("DN40101234567ễ").unwrap_err().rule,
            Rule::Format { .. }
        ));
    }

    #[test]
    fn benefit_level_must_agree_with_code() {
        let mut c = samples::health_card();
        c.benefit_level = 3;
        assert_eq!(
            c.validate(),
            Err(err("benefit_level", Rule::Mismatch { other: "card_code" }))
        );
        let mut c = samples::health_card();
        c.registered_facility_code = "03024".into();
        assert_eq!(
            c.validate().unwrap_err().element,
            "registered_facility_code"
        );
        let mut c = samples::health_card();
        c.valid_until = c.valid_from.previous_day().unwrap();
        assert_eq!(c.validate().unwrap_err().element, "valid_until");
    }
}
