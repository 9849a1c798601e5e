//! The QR printed on the back of the chip citizen identity card (CCCD gắn chip): unsigned,
//! pipe-separated text that anyone can print —
//! `12-digit ID|9-digit old ID (may be empty)|full name|DDMMYYYY|Nam/Nữ|address|DDMMYYYY`.
//! [`parse`] checks its shape, that the dates are real, and that the personal identification
//! number's structure (province, century/sex digit, birth year) agrees with the birth date
//! and sex. Passing these checks proves nothing about who printed it: the station shows it as
//! unsigned card data, never as verified.

use cancuoc_core::document::Sex;
use cancuoc_core::document::identity::century_and_sex;
use cancuoc_core::document::rules::province;
use time::{Date, Month};

/// The most characters a card QR is read from (a version-40 QR holds 2,953 bytes).
pub const MAX_CARD_TEXT: usize = 2953;

/// The longest full name and address accepted.
const MAX_NAME: usize = 100;
const MAX_ADDRESS: usize = 300;

/// One of the card QR's seven fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    PersonalNumber,
    OldIdNumber,
    FullName,
    BirthDate,
    Sex,
    Address,
    IssueDate,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonalNumber => "personal_number",
            Self::OldIdNumber => "old_id_number",
            Self::FullName => "full_name",
            Self::BirthDate => "birth_date",
            Self::Sex => "sex",
            Self::Address => "address",
            Self::IssueDate => "issue_date",
        }
    }

    /// The field's name on screen.
    pub fn label(self, vi: bool) -> &'static str {
        let (v, e) = match self {
            Self::PersonalNumber => ("Số định danh cá nhân", "Personal identification number"),
            Self::OldIdNumber => ("Số CMND cũ", "Old ID number"),
            Self::FullName => ("Họ và tên", "Full name"),
            Self::BirthDate => ("Ngày sinh", "Date of birth"),
            Self::Sex => ("Giới tính", "Sex"),
            Self::Address => ("Nơi thường trú", "Permanent address"),
            Self::IssueDate => ("Ngày cấp", "Date of issue"),
        };
        if vi { v } else { e }
    }
}

/// Why text is not a valid chip-card QR. Every variant names the field and what is wrong.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ChipCardError {
    #[error("the card QR is {len} characters; at most {MAX_CARD_TEXT} are accepted")]
    TooLong { len: usize },
    #[error("the card QR has {found} fields separated by '|'; it must have 7")]
    FieldCount { found: usize },
    #[error("{}: is empty", field.as_str())]
    Empty { field: Field },
    #[error("{}: {found:?} is not {expected}", field.as_str())]
    Format {
        field: Field,
        expected: &'static str,
        found: String,
    },
    #[error("personal_number: province code {0} does not exist")]
    UnknownProvince(String),
    #[error(
        "personal_number: its 4th digit {digit} means a {coded_sex} born {century}–{}, but the card says a {sex} born {year}",
        century + 99
    )]
    CenturySexMismatch {
        digit: char,
        coded_sex: &'static str,
        century: i32,
        sex: &'static str,
        year: i32,
    },
    #[error("personal_number: birth-year digits {digits} do not match the birth year {year}")]
    BirthYearMismatch { digits: String, year: i32 },
    #[error("{}: {found:?} is not a real date (DDMMYYYY)", field.as_str())]
    NotADate { field: Field, found: String },
    #[error("issue_date {issued} is before the birth date {born}")]
    IssuedBeforeBirth { issued: String, born: String },
    #[error("{}: {date} is in the future", field.as_str())]
    InTheFuture { field: Field, date: String },
}

impl ChipCardError {
    /// A stable machine-readable code (the API's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "card_too_long",
            Self::FieldCount { .. } => "card_field_count",
            Self::Empty { .. } => "card_field_empty",
            Self::Format { .. } => "card_field_format",
            Self::UnknownProvince(_) => "card_unknown_province",
            Self::CenturySexMismatch { .. } => "card_century_sex_mismatch",
            Self::BirthYearMismatch { .. } => "card_birth_year_mismatch",
            Self::NotADate { .. } => "card_not_a_date",
            Self::IssuedBeforeBirth { .. } => "card_issued_before_birth",
            Self::InTheFuture { .. } => "card_date_in_future",
        }
    }

    /// The field at fault, when one is.
    pub fn field(&self) -> Option<Field> {
        match self {
            Self::TooLong { .. } | Self::FieldCount { .. } => None,
            Self::Empty { field }
            | Self::Format { field, .. }
            | Self::NotADate { field, .. }
            | Self::InTheFuture { field, .. } => Some(*field),
            Self::UnknownProvince(_)
            | Self::CenturySexMismatch { .. }
            | Self::BirthYearMismatch { .. } => Some(Field::PersonalNumber),
            Self::IssuedBeforeBirth { .. } => Some(Field::IssueDate),
        }
    }

    /// What a receptionist reads.
    pub fn reason(&self, vi: bool) -> String {
        let pick = |v: &str, e: &str| if vi { v.to_owned() } else { e.to_owned() };
        match self {
            Self::TooLong { .. } | Self::FieldCount { .. } => pick(
                "Mã QR trên thẻ căn cước không đúng định dạng",
                "The ID card's QR code is not in the card format",
            ),
            Self::UnknownProvince(code) => {
                if vi {
                    format!("Số định danh có mã tỉnh {code} không tồn tại")
                } else {
                    format!("The ID number's province code {code} does not exist")
                }
            }
            Self::CenturySexMismatch { .. } => pick(
                "Số định danh không khớp với giới tính hoặc năm sinh trên thẻ",
                "The ID number does not match the sex or birth year on the card",
            ),
            Self::BirthYearMismatch { .. } => pick(
                "Số định danh không khớp với năm sinh trên thẻ",
                "The ID number does not match the birth year on the card",
            ),
            Self::IssuedBeforeBirth { .. } => pick(
                "Ngày cấp thẻ trước ngày sinh",
                "The card's issue date is before the birth date",
            ),
            Self::Empty { field }
            | Self::Format { field, .. }
            | Self::NotADate { field, .. }
            | Self::InTheFuture { field, .. } => {
                if vi {
                    format!(
                        "Trường “{}” trên mã QR của thẻ không hợp lệ",
                        field.label(true)
                    )
                } else {
                    format!("The card QR's “{}” field is not valid", field.label(false))
                }
            }
        }
    }
}

/// The card data, as printed. Nothing here is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipCard {
    pub personal_number: String,
    pub old_id_number: Option<String>,
    pub full_name: String,
    pub birth_date: Date,
    pub sex: Sex,
    pub address: String,
    pub issue_date: Date,
    /// Where the birth was registered: the province the number's first three digits name.
    pub province: &'static str,
}

/// Whether text looks like the card QR rather than a cancuoc presentation: Base45 has no `|`.
pub fn looks_like_card(text: &str) -> bool {
    text.contains('|')
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn date(field: Field, s: &str) -> Result<Date, ChipCardError> {
    let not_a_date = || ChipCardError::NotADate {
        field,
        found: s.to_owned(),
    };
    if !digits(s, 8) {
        return Err(not_a_date());
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u16>().ok());
    let (Some(d), Some(m), Some(y)) = (num(0..2), num(2..4), num(4..8)) else {
        return Err(not_a_date());
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(not_a_date)?;
    let day = u8::try_from(d).map_err(|_| not_a_date())?;
    if y < 1900 {
        return Err(not_a_date());
    }
    Date::from_calendar_date(i32::from(y), month, day).map_err(|_| not_a_date())
}

fn text(field: Field, s: &str, max: usize) -> Result<String, ChipCardError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ChipCardError::Empty { field });
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(ChipCardError::Format {
            field,
            expected: "printable text of reasonable length",
            found: t.chars().take(40).collect(),
        });
    }
    Ok(t.to_owned())
}

fn sex_name(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

/// Parses and checks the card QR. `today` refuses dates in the future.
pub fn parse(input: &str, today: Date) -> Result<ChipCard, ChipCardError> {
    if input.len() > MAX_CARD_TEXT {
        return Err(ChipCardError::TooLong { len: input.len() });
    }
    let fields: Vec<&str> = input.split('|').collect();
    let [number, old, name, birth, sex, address, issued] = fields.as_slice() else {
        return Err(ChipCardError::FieldCount {
            found: fields.len(),
        });
    };
    let number = number.trim();
    if !digits(number, 12) {
        return Err(ChipCardError::Format {
            field: Field::PersonalNumber,
            expected: "12 digits",
            found: number.chars().take(20).collect(),
        });
    }
    let old = old.trim();
    let old_id_number = match old {
        "" => None,
        o if digits(o, 9) => Some(o.to_owned()),
        o => {
            return Err(ChipCardError::Format {
                field: Field::OldIdNumber,
                expected: "9 digits or empty",
                found: o.chars().take(20).collect(),
            });
        }
    };
    let full_name = text(Field::FullName, name, MAX_NAME)?;
    let birth_date = date(Field::BirthDate, birth.trim())?;
    let sex = match sex.trim() {
        "Nam" => Sex::Male,
        // "Nữ" precomposed, or "u" + combining horn + combining tilde as some keyboards type it.
        "Nữ" | "Nu\u{31b}\u{303}" => Sex::Female,
        other => {
            return Err(ChipCardError::Format {
                field: Field::Sex,
                expected: "Nam or Nữ",
                found: other.chars().take(20).collect(),
            });
        }
    };
    let address = text(Field::Address, address, MAX_ADDRESS)?;
    let issue_date = date(Field::IssueDate, issued.trim())?;

    let province_code = number.get(0..3).unwrap_or_default();
    let province = province(province_code)
        .ok_or_else(|| ChipCardError::UnknownProvince(province_code.into()))?;
    let digit = number
        .as_bytes()
        .get(3)
        .map_or(0, |b| b.saturating_sub(b'0'));
    let (century, coded_sex) = century_and_sex(digit);
    let year = birth_date.year();
    if coded_sex != sex || year.div_euclid(100) * 100 != century {
        return Err(ChipCardError::CenturySexMismatch {
            digit: char::from(b'0' + digit),
            coded_sex: sex_name(coded_sex),
            century,
            sex: sex_name(sex),
            year,
        });
    }
    let yy = number.get(4..6).unwrap_or_default();
    if yy != format!("{:02}", year.rem_euclid(100)) {
        return Err(ChipCardError::BirthYearMismatch {
            digits: yy.to_owned(),
            year,
        });
    }
    if birth_date > today {
        return Err(ChipCardError::InTheFuture {
            field: Field::BirthDate,
            date: cancuoc_core::time_fmt::date(birth_date),
        });
    }
    if issue_date > today {
        return Err(ChipCardError::InTheFuture {
            field: Field::IssueDate,
            date: cancuoc_core::time_fmt::date(issue_date),
        });
    }
    if issue_date < birth_date {
        return Err(ChipCardError::IssuedBeforeBirth {
            issued: cancuoc_core::time_fmt::date(issue_date),
            born: cancuoc_core::time_fmt::date(birth_date),
        });
    }
    Ok(ChipCard {
        personal_number: number.to_owned(),
        old_id_number,
        full_name,
        birth_date,
        sex,
        address,
        issue_date,
        province,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);
    const CARD: &str = "001090012345|123456789|Nguyễn Văn An|14051990|Nam|Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội|01042021";

    fn with(field: usize, value: &str) -> String {
        let mut f: Vec<&str> = CARD.split('|').collect();
        f[field] = value;
        f.join("|")
    }

    #[test]
    fn parses_the_printed_card() {
        let c = parse(CARD, TODAY).unwrap();
        assert_eq!(c.personal_number, "001090012345");
        assert_eq!(c.old_id_number.as_deref(), Some("123456789"));
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.birth_date, date!(1990 - 05 - 14));
        assert_eq!(c.sex, Sex::Male);
        assert_eq!(c.issue_date, date!(2021 - 04 - 01));
        assert_eq!(c.province, "Hà Nội");
        // The old ID may be empty.
        assert_eq!(parse(&with(1, ""), TODAY).unwrap().old_id_number, None);
    }

    #[test]
    fn women_and_the_2000s() {
        // 3 = female born 2000–2099; 079 = Hồ Chí Minh.
        let c = parse(
            "079305001234||Trần Thị Bình|02022005|Nữ|Quận 1, TP. Hồ Chí Minh|10102022",
            TODAY,
        )
        .unwrap();
        assert_eq!(c.sex, Sex::Female);
        assert_eq!(c.province, "Hồ Chí Minh");
        // The decomposed spelling some keyboards produce.
        let decomposed = "079305001234||Trần Thị Bình|02022005|Nu\u{31b}\u{303}|Quận 1|10102022";
        assert_eq!(parse(decomposed, TODAY).unwrap().sex, Sex::Female);
    }

    #[test]
    fn names_what_is_wrong() {
        assert_eq!(
            parse("001090012345|x", TODAY),
            Err(ChipCardError::FieldCount { found: 2 })
        );
        assert_eq!(
            parse(&format!("{CARD}|extra"), TODAY),
            Err(ChipCardError::FieldCount { found: 8 })
        );
        assert!(matches!(
            parse(&with(0, "00109001234"), TODAY),
            Err(ChipCardError::Format {
                field: Field::PersonalNumber,
                ..
            })
        ));
        assert!(matches!(
            parse(&with(1, "12345"), TODAY),
            Err(ChipCardError::Format {
                field: Field::OldIdNumber,
                ..
            })
        ));
        assert_eq!(
            parse(&with(2, "  "), TODAY),
            Err(ChipCardError::Empty {
                field: Field::FullName
            })
        );
        assert_eq!(
            parse(&with(3, "31021990"), TODAY),
            Err(ChipCardError::NotADate {
                field: Field::BirthDate,
                found: "31021990".into()
            })
        );
        assert!(matches!(
            parse(&with(3, "1990-05-14"), TODAY),
            Err(ChipCardError::NotADate { .. })
        ));
        assert!(matches!(
            parse(&with(4, "Male"), TODAY),
            Err(ChipCardError::Format {
                field: Field::Sex,
                ..
            })
        ));
        assert_eq!(
            parse(&with(5, ""), TODAY),
            Err(ChipCardError::Empty {
                field: Field::Address
            })
        );
        assert_eq!(
            parse(&with(6, "29022023"), TODAY),
            Err(ChipCardError::NotADate {
                field: Field::IssueDate,
                found: "29022023".into()
            })
        );
    }

    #[test]
    fn the_number_must_agree_with_birth_date_and_sex() {
        // 003 is not a province code.
        assert_eq!(
            parse(&with(0, "003090012345"), TODAY),
            Err(ChipCardError::UnknownProvince("003".into()))
        );
        // 1 = female, but the card says Nam.
        assert!(matches!(
            parse(&with(0, "001190012345"), TODAY),
            Err(ChipCardError::CenturySexMismatch {
                digit: '1',
                year: 1990,
                ..
            })
        ));
        // 2 = male born in the 2000s, but born 1990.
        assert!(matches!(
            parse(&with(0, "001290012345"), TODAY),
            Err(ChipCardError::CenturySexMismatch { century: 2000, .. })
        ));
        // Birth-year digits 91 for someone born 1990.
        assert_eq!(
            parse(&with(0, "001091012345"), TODAY),
            Err(ChipCardError::BirthYearMismatch {
                digits: "91".into(),
                year: 1990
            })
        );
        // Born 2005 with a number saying 1900s.
        let e = parse(
            "079005001234||Trần Văn Bình|02022005|Nam|Quận 1|10102022",
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.code(), "card_century_sex_mismatch");
        assert_eq!(e.field(), Some(Field::PersonalNumber));
        assert!(e.to_string().contains("born 1900–1999"), "{e}");
    }

    #[test]
    fn dates_in_order_and_not_in_the_future() {
        assert!(matches!(
            parse(&with(6, "01041989"), TODAY),
            Err(ChipCardError::IssuedBeforeBirth { .. })
        ));
        assert_eq!(
            parse(&with(6, "24112026"), TODAY),
            Err(ChipCardError::InTheFuture {
                field: Field::IssueDate,
                date: "2026-11-24".into()
            })
        );
    }

    #[test]
    fn reasons_in_both_languages() {
        let e = parse(&with(3, "99999999"), TODAY).unwrap_err();
        assert!(e.reason(true).contains("Ngày sinh"));
        assert!(e.reason(false).contains("Date of birth"));
        assert!(looks_like_card(CARD));
        assert!(!looks_like_card("CC1:ABC"));
        assert!(matches!(
            parse(&"9".repeat(MAX_CARD_TEXT + 1), TODAY),
            Err(ChipCardError::TooLong { .. })
        ));
    }
}
