//! Validation rules shared by the document models: text fields, Vietnamese province codes,
//! the chip ID card's 12-digit number, dates and JPEG portraits. Each failure is a
//! [`DocumentError`] naming the element and the rule it broke.

use time::Date;

use crate::time_fmt;

/// A document field that broke a rule.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{element}: {rule}")]
pub struct DocumentError {
    /// The data element identifier.
    pub element: &'static str,
    pub rule: Rule,
}

/// The rule a value broke.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Rule {
    #[error("must not be empty")]
    Empty,
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    #[error("contains a control character or leading/trailing space")]
    BadCharacters,
    #[error("must be {expected}")]
    Format { expected: &'static str },
    #[error("province code {0} does not exist")]
    UnknownProvince(String),
    #[error("century/sex digit {digit} says {says}, but the holder is {actual}")]
    CenturySexMismatch {
        digit: char,
        says: String,
        actual: String,
    },
    #[error("birth-year digits {digits} do not match birth date {birth_date}")]
    BirthYearMismatch { digits: String, birth_date: String },
    #[error("must be on or after {other} ({other_value})")]
    NotAfter {
        other: &'static str,
        other_value: String,
    },
    #[error("{0:?} is not a known code")]
    UnknownCode(String),
    #[error("must be between {min} and {max}")]
    OutOfRange { min: u64, max: u64 },
    #[error("does not agree with {other}")]
    Mismatch { other: &'static str },
    #[error("check digit is {found}, expected {expected}")]
    CheckDigit { expected: char, found: char },
    #[error("is not a JPEG image")]
    NotJpeg,
    #[error("image of {len} bytes exceeds {max} bytes")]
    ImageTooLarge { len: usize, max: usize },
}

pub(crate) fn err(element: &'static str, rule: Rule) -> DocumentError {
    DocumentError { element, rule }
}

/// A non-empty single-line text of at most `max` characters, without surrounding spaces.
pub(crate) fn text(element: &'static str, value: &str, max: usize) -> Result<(), DocumentError> {
    if value.is_empty() {
        return Err(err(element, Rule::Empty));
    }
    if value.chars().count() > max {
        return Err(err(element, Rule::TooLong { max }));
    }
    if value.chars().any(char::is_control) || value.trim() != value {
        return Err(err(element, Rule::BadCharacters));
    }
    Ok(())
}

/// Exactly `len` ASCII digits.
pub(crate) fn digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// `later` must not be before `earlier`.
pub(crate) fn not_before(
    element: &'static str,
    later: Date,
    other: &'static str,
    earlier: Date,
) -> Result<(), DocumentError> {
    if later < earlier {
        return Err(err(
            element,
            Rule::NotAfter {
                other,
                other_value: time_fmt::date(earlier),
            },
        ));
    }
    Ok(())
}

/// Largest portrait accepted (ISO 18013-5 sets no limit; an ID photo is a few kilobytes).
pub const MAX_PORTRAIT_BYTES: usize = 200 * 1024;

/// A JPEG: starts with SOI + a marker, ends with EOI.
pub(crate) fn jpeg(element: &'static str, bytes: &[u8]) -> Result<(), DocumentError> {
    if bytes.len() > MAX_PORTRAIT_BYTES {
        return Err(err(
            element,
            Rule::ImageTooLarge {
                len: bytes.len(),
                max: MAX_PORTRAIT_BYTES,
            },
        ));
    }
    if bytes.len() < 4 || !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || !bytes.ends_with(&[0xFF, 0xD9])
    {
        return Err(err(element, Rule::NotJpeg));
    }
    Ok(())
}

/// The 63 provincial codes in use on chip ID cards (3 digits) — the administrative unit codes
/// of the provinces and centrally-run cities as they stood when the current card numbers were
/// assigned. Health-insurance card codes use the same codes' last two digits.
pub const PROVINCES: &[(&str, &str)] = &[
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// The province name for a 3-digit code.
pub fn province(code3: &str) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(c, _)| *c == code3)
        .map(|(_, name)| *name)
}

/// The province name for a 2-digit code (the 3-digit code without its leading 0).
pub fn province2(code2: &str) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(c, _)| c.get(1..) == Some(code2))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_are_63_and_unique() {
        assert_eq!(PROVINCES.len(), 63);
        let mut codes: Vec<_> = PROVINCES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 63);
        assert_eq!(province("079"), Some("Hồ Chí Minh"));
        assert_eq!(province2("01"), Some("Hà Nội"));
        assert_eq!(province("003"), None);
    }

    #[test]
    fn text_rules() {
        assert_eq!(text("x", "", 5), Err(err("x", Rule::Empty)));
        assert_eq!(
            text("x", "abcdef", 5),
            Err(err("x", Rule::TooLong { max: 5 }))
        );
        assert_eq!(text("x", " a", 5), Err(err("x", Rule::BadCharacters)));
        assert_eq!(text("x", "a\nb", 5), Err(err("x", Rule::BadCharacters)));
        assert_eq!(text("x", "Nguyễn", 6), Ok(()));
    }

    #[test]
    fn jpeg_rule() {
        assert_eq!(
            jpeg("portrait", &[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9]),
            Ok(())
        );
        assert_eq!(
            jpeg("portrait", b"\x89PNG...."),
            Err(err("portrait", Rule::NotJpeg))
        );
    }
}
