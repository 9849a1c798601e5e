//! The vehicle registration certificate (Giấy chứng nhận đăng ký xe) as an ISO/IEC 7367
//! mVRC: docType `org.iso.7367.1.mVRC`, namespace `org.iso.7367.1` for the elements the
//! standard names, `vn.gov.bca.vr.1` for the Vietnamese vehicle type and seat count.

use serde::{Deserialize, Serialize};
use time::Date;

use super::identity::spec;
use super::rules::{self, DocumentError, Rule, err};
use super::{ElementSpec, serde_fmt};
use crate::mdoc::element::ElementValue;

pub const DOC_TYPE: &str = "org.iso.7367.1.mVRC";
pub const NS: &str = "org.iso.7367.1";
pub const NS_VN: &str = "vn.gov.bca.vr.1";

/// A vehicle registration certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleRegistration {
    /// Biển số, e.g. "30A-123.45" (car) or "29B1-123.45" (motorcycle).
    pub plate_number: String,
    pub owner_name: String,
    pub owner_address: String,
    pub make: String,
    pub model: String,
    pub colour: String,
    /// Số khung: the 17-character VIN.
    pub vin: String,
    /// Số máy.
    pub engine_number: String,
    /// Loại xe, e.g. "Ô tô con", "Xe mô tô".
    pub vehicle_type: String,
    pub seats: u8,
    #[serde(with = "serde_fmt::date")]
    pub first_registration_date: Date,
    #[serde(with = "serde_fmt::date")]
    pub issue_date: Date,
    #[serde(
        default,
        with = "serde_fmt::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiry_date: Option<Date>,
    pub issuing_authority: String,
}

pub const ELEMENTS: &[ElementSpec] = &[
    spec(
        NS,
        "registration_number",
        "tstr",
        true,
        "Biển số",
        "Registration (plate) number",
        "30A-123.45",
    ),
    spec(
        NS,
        "issue_date",
        "full-date",
        true,
        "Ngày đăng ký",
        "Date of issue",
        "2024-06-10",
    ),
    spec(
        NS,
        "expiry_date",
        "full-date",
        false,
        "Có giá trị đến",
        "Date of expiry",
        "2034-06-10",
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
        "Phòng CSGT Công an TP. Hà Nội",
    ),
    spec(
        NS,
        "date_of_first_registration",
        "full-date",
        true,
        "Ngày đăng ký lần đầu",
        "Date of first registration",
        "2024-06-10",
    ),
    spec(
        NS,
        "vehicle_identification_number",
        "tstr (17-character VIN)",
        true,
        "Số khung",
        "VIN (chassis number)",
        "RLHGM6650R0012345",
    ),
    spec(
        NS,
        "vehicle_holder",
        "{family_name_unicode: tstr, given_name_unicode: tstr, resident_address: tstr}",
        true,
        "Chủ xe",
        "Vehicle holder",
        "{\"family_name_unicode\": \"NGUYỄN\", \"given_name_unicode\": \"VĂN AN\", \"resident_address\": \"…\"}",
    ),
    spec(
        NS,
        "basic_vehicle_info",
        "{make: tstr, commercial_name: tstr, colours: tstr}",
        true,
        "Nhãn hiệu, số loại, màu sơn",
        "Make, model, colours",
        "{\"make\": \"HONDA\", \"commercial_name\": \"CITY\", \"colours\": \"Trắng\"}",
    ),
    spec(
        NS_VN,
        "engine_number",
        "tstr",
        true,
        "Số máy",
        "Engine number",
        "L15ZF1234567",
    ),
    spec(
        NS_VN,
        "vehicle_type",
        "tstr",
        true,
        "Loại xe",
        "Vehicle type",
        "Ô tô con",
    ),
    spec(NS_VN, "seats", "uint", true, "Số chỗ ngồi", "Seats", "5"),
];

/// Checks a Vietnamese plate: 2-digit locality code, a series of 1–2 letters and an optional
/// digit, then 4 or 5 digits, written with optional '-', ' ' and '.' separators.
pub fn check_plate(plate: &str) -> Result<(), DocumentError> {
    const E: &str = "registration_number";
    let bad = || {
        err(
            E,
            Rule::Format {
                expected: "a plate such as 30A-123.45 or 29B1-123.45",
            },
        )
    };
    if plate.len() > 14 || !plate.is_ascii() {
        return Err(bad());
    }
    let compact: Vec<u8> = plate
        .bytes()
        .filter(|b| !matches!(b, b'-' | b' ' | b'.'))
        .collect();
    let locality = compact.get(0..2).ok_or_else(bad)?;
    if !locality.iter().all(u8::is_ascii_digit) || locality < b"11".as_slice() {
        return Err(bad());
    }
    let rest = compact.get(2..).unwrap_or_default();
    let letters = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) {
        return Err(bad());
    }
    let tail = rest.get(letters..).unwrap_or_default();
    if !tail.iter().all(u8::is_ascii_digit) || !(4..=6).contains(&tail.len()) {
        return Err(bad());
    }
    Ok(())
}

/// Transliteration values of ISO 3779 / 49 CFR 565 for the check digit.
fn vin_value(c: u8) -> Option<u32> {
    Some(match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => return None,
    })
}

/// Checks a VIN: 17 characters from 0–9 and A–Z without I, O, Q; the model-year character
/// (10th) is not U, Z or 0; the check digit (9th) is verified for North-American WMIs
/// (first character 1–5), where it is mandatory — other regions do not require one.
pub fn check_vin(vin: &str) -> Result<(), DocumentError> {
    const E: &str = "vehicle_identification_number";
    let bytes = vin.as_bytes();
    if bytes.len() != 17 {
        return Err(err(
            E,
            Rule::Format {
                expected: "17 characters",
            },
        ));
    }
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let mut sum = 0u32;
    for (c, w) in bytes.iter().zip(WEIGHTS) {
        let v = vin_value(*c).ok_or_else(|| {
            err(
                E,
                Rule::Format {
                    expected: "digits and capital letters other than I, O, Q",
                },
            )
        })?;
        sum += v * w;
    }
    if matches!(bytes.get(9), Some(b'U' | b'Z' | b'0')) {
        return Err(err(
            E,
            Rule::Format {
                expected: "a model-year character (10th) other than U, Z, 0",
            },
        ));
    }
    if matches!(bytes.first(), Some(b'1'..=b'5')) {
        let expected = match sum % 11 {
            10 => 'X',
            n => char::from(b'0' + u8::try_from(n).unwrap_or(0)),
        };
        let found = bytes.get(8).map_or('?', |b| char::from(*b));
        if found != expected {
            return Err(err(E, Rule::CheckDigit { expected, found }));
        }
    }
    Ok(())
}

impl VehicleRegistration {
    pub fn validate(&self) -> Result<(), DocumentError> {
        check_plate(&self.plate_number)?;
        rules::text("vehicle_holder", &self.owner_name, 100)?;
        rules::text("vehicle_holder", &self.owner_address, 200)?;
        rules::text("basic_vehicle_info", &self.make, 50)?;
        rules::text("basic_vehicle_info", &self.model, 50)?;
        rules::text("basic_vehicle_info", &self.colour, 30)?;
        check_vin(&self.vin)?;
        let engine_ok = (5..=20).contains(&self.engine_number.len())
            && self
                .engine_number
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !engine_ok {
            return Err(err(
                "engine_number",
                Rule::Format {
                    expected: "5–20 capital letters, digits or '-'",
                },
            ));
        }
        rules::text("vehicle_type", &self.vehicle_type, 50)?;
        if !(1..=100).contains(&self.seats) {
            return Err(err("seats", Rule::OutOfRange { min: 1, max: 100 }));
        }
        rules::text("issuing_authority", &self.issuing_authority, 100)?;
        rules::not_before(
            "issue_date",
            self.issue_date,
            "date_of_first_registration",
            self.first_registration_date,
        )?;
        if let Some(e) = self.expiry_date {
            rules::not_before("expiry_date", e, "issue_date", self.issue_date)?;
        }
        Ok(())
    }

    pub(crate) fn elements(&self) -> Vec<(&'static str, ElementValue)> {
        use ElementValue as V;
        let t = |k: &str, v: &str| (k.to_owned(), V::Text(v.to_owned()));
        let (family, given) = super::identity::split_name(&self.owner_name);
        let mut v = vec![
            ("registration_number", V::Text(self.plate_number.clone())),
            ("issue_date", V::FullDate(self.issue_date)),
        ];
        if let Some(e) = self.expiry_date {
            v.push(("expiry_date", V::FullDate(e)));
        }
        v.extend([
            ("issuing_country", V::Text("VN".to_owned())),
            ("issuing_authority", V::Text(self.issuing_authority.clone())),
            (
                "date_of_first_registration",
                V::FullDate(self.first_registration_date),
            ),
            ("vehicle_identification_number", V::Text(self.vin.clone())),
            (
                "vehicle_holder",
                V::Map(vec![
                    t("family_name_unicode", family),
                    t("given_name_unicode", given),
                    t("resident_address", &self.owner_address),
                ]),
            ),
            (
                "basic_vehicle_info",
                V::Map(vec![
                    t("make", &self.make),
                    t("commercial_name", &self.model),
                    t("colours", &self.colour),
                ]),
            ),
            ("engine_number", V::Text(self.engine_number.clone())),
            ("vehicle_type", V::Text(self.vehicle_type.clone())),
            ("seats", V::Uint(u64::from(self.seats))),
        ]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::samples;

    #[test]
    fn plates() {
        for ok in [
            "30A-123.45",
            "51G-12345",
            "29B1-123.45",
            "29-B1 123.45",
            "30A-1234",
        ] {
            assert_eq!(check_plate(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "3A-123.45",
            "05A-123.45",
            "30-123.45",
            "30ABC-123.45",
            "30A-12",
            "30A-12a45",
            "30Ă-123.45",
        ] {
            assert!(check_plate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vins() {
        assert_eq!(check_vin("1M8GDM9AXKP042788"), Ok(())); // the classic 49 CFR 565 example
        assert_eq!(
            check_vin("1M8GDM9A1KP042788"),
            Err(err(
                "vehicle_identification_number",
                Rule::CheckDigit {
                    expected: 'X',
                    found: '1'
                }
            ))
        );
        assert_eq!(check_vin("RLHGM6650R0012345"), Ok(())); // Vietnamese WMI: no check digit rule
        assert!(check_vin("RLHGM6650R001234").is_err());
        assert!(check_vin("RLHGM6650R001234O").is_err());
        assert!(check_vin("RLHGM6650U0012345").is_err());
    }

    #[test]
    fn registration_rules() {
        let mut r = samples::vehicle();
        r.seats = 0;
        assert_eq!(
            r.validate(),
            Err(err("seats", Rule::OutOfRange { min: 1, max: 100 }))
        );
        let mut r = samples::vehicle();
        r.engine_number = "l15".into();
        assert_eq!(r.validate().unwrap_err().element, "engine_number");
    }
}
