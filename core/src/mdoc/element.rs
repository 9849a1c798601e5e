//! Data element values as ISO 18013-5 carries them (`tstr`, `uint`, `bool`, `bstr`,
//! `full-date` tag 1004, `tdate` tag 0, arrays and maps), and their conversion to and from CBOR
//! and to JSON for display.

use ciborium::value::Value;
use time::{Date, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::cbor::{TAG_DATE_TIME, TAG_FULL_DATE};
use crate::time_fmt;

/// The deepest element value accepted (driving_privileges is three levels deep).
const MAX_ELEMENT_DEPTH: usize = 8;

/// A data element value.
#[derive(Clone, PartialEq, Eq)]
pub enum ElementValue {
    Text(String),
    Uint(u64),
    Bool(bool),
    Bytes(Vec<u8>),
    /// `full-date` (#6.1004 tstr).
    FullDate(Date),
    /// `tdate` (#6.0 tstr), UTC, whole seconds.
    DateTime(OffsetDateTime),
    Array(Vec<ElementValue>),
    /// A map with text keys, in the order the issuer wrote it.
    Map(Vec<(String, ElementValue)>),
}

impl std::fmt::Debug for ElementValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Uint(n) => write!(f, "{n}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Self::FullDate(d) => write!(f, "{}", time_fmt::date(*d)),
            Self::DateTime(t) => write!(f, "{}", time_fmt::tdate(*t)),
            Self::Array(a) => f.debug_list().entries(a).finish(),
            Self::Map(m) => f
                .debug_map()
                .entries(m.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

/// Why a CBOR value is not an element value.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ElementValueError {
    #[error("unsupported CBOR type {0}")]
    UnsupportedType(&'static str),
    #[error("negative integer")]
    Negative,
    #[error("invalid full-date {0:?}")]
    BadFullDate(String),
    #[error("invalid tdate {0:?}")]
    BadDateTime(String),
    #[error("unsupported tag {0}")]
    UnsupportedTag(u64),
    #[error("map key is not text")]
    NonTextKey,
    #[error("nested deeper than {MAX_ELEMENT_DEPTH} levels")]
    TooDeep,
}

impl ElementValue {
    /// The CBOR form.
    pub fn to_cbor(&self) -> Value {
        match self {
            Self::Text(s) => Value::Text(s.clone()),
            Self::Uint(n) => Value::Integer((*n).into()),
            Self::Bool(b) => Value::Bool(*b),
            Self::Bytes(b) => Value::Bytes(b.clone()),
            Self::FullDate(d) => {
                Value::Tag(TAG_FULL_DATE, Box::new(Value::Text(time_fmt::date(*d))))
            }
            Self::DateTime(t) => {
                Value::Tag(TAG_DATE_TIME, Box::new(Value::Text(time_fmt::tdate(*t))))
            }
            Self::Array(a) => Value::Array(a.iter().map(Self::to_cbor).collect()),
            Self::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (Value::Text(k.clone()), v.to_cbor()))
                    .collect(),
            ),
        }
    }

    /// Reads a CBOR value. Untagged text that looks like a date stays text: only the tags
    /// decide what is a date.
    pub fn from_cbor(value: &Value) -> Result<Self, ElementValueError> {
        Self::from_cbor_at(value, 0)
    }

    fn from_cbor_at(value: &Value, depth: usize) -> Result<Self, ElementValueError> {
        if depth > MAX_ELEMENT_DEPTH {
            return Err(ElementValueError::TooDeep);
        }
        Ok(match value {
            Value::Text(s) => Self::Text(s.clone()),
            Value::Integer(i) => {
                Self::Uint(u64::try_from(i128::from(*i)).map_err(|_| ElementValueError::Negative)?)
            }
            Value::Bool(b) => Self::Bool(*b),
            Value::Bytes(b) => Self::Bytes(b.clone()),
            Value::Tag(TAG_FULL_DATE, inner) => match inner.as_ref() {
                Value::Text(s) => Self::FullDate(
                    time_fmt::parse_date(s)
                        .ok_or_else(|| ElementValueError::BadFullDate(s.clone()))?,
                ),
                _ => return Err(ElementValueError::BadFullDate("not text".into())),
            },
            Value::Tag(TAG_DATE_TIME, inner) => match inner.as_ref() {
                Value::Text(s) => Self::DateTime(
                    OffsetDateTime::parse(s, &Rfc3339)
                        .map_err(|_| ElementValueError::BadDateTime(s.clone()))?,
                ),
                _ => return Err(ElementValueError::BadDateTime("not text".into())),
            },
            Value::Tag(tag, _) => return Err(ElementValueError::UnsupportedTag(*tag)),
            Value::Array(a) => Self::Array(
                a.iter()
                    .map(|v| Self::from_cbor_at(v, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => Self::Map(
                m.iter()
                    .map(|(k, v)| match k {
                        Value::Text(k) => Ok((k.clone(), Self::from_cbor_at(v, depth + 1)?)),
                        _ => Err(ElementValueError::NonTextKey),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Float(_) => return Err(ElementValueError::UnsupportedType("float")),
            Value::Null => return Err(ElementValueError::UnsupportedType("null")),
            _ => return Err(ElementValueError::UnsupportedType("other")),
        })
    }

    /// A JSON rendering for `--json` output and apps: dates as ISO strings, bytes as
    /// `{"bytes": len, "base64": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine as _;
        match self {
            Self::Text(s) => serde_json::Value::String(s.clone()),
            Self::Uint(n) => serde_json::Value::from(*n),
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Bytes(b) => serde_json::json!({
                "bytes": b.len(),
                "base64": base64::engine::general_purpose::STANDARD.encode(b),
            }),
            Self::FullDate(d) => serde_json::Value::String(time_fmt::date(*d)),
            Self::DateTime(t) => serde_json::Value::String(time_fmt::tdate(*t)),
            Self::Array(a) => serde_json::Value::Array(a.iter().map(Self::to_json).collect()),
            Self::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// A one-line human rendering (what a receptionist reads).
    pub fn display(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Uint(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Bytes(b) if b.starts_with(&[0xFF, 0xD8]) => format!("[JPEG, {} bytes]", b.len()),
            Self::Bytes(b) => format!("[{} bytes]", b.len()),
            Self::FullDate(d) => time_fmt::date(*d),
            Self::DateTime(t) => time_fmt::tdate(*t),
            Self::Array(a) => a.iter().map(Self::display).collect::<Vec<_>>().join("; "),
            Self::Map(m) => m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.display()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn dates_round_trip_through_their_tags() {
        for v in [
            ElementValue::FullDate(date!(1990 - 05 - 01)),
            ElementValue::DateTime(datetime!(2026-11-23 08:00:00 UTC)),
            ElementValue::Array(vec![ElementValue::Map(vec![(
                "vehicle_category_code".into(),
                ElementValue::Text("B".into()),
            )])]),
        ] {
            assert_eq!(ElementValue::from_cbor(&v.to_cbor()), Ok(v));
        }
        let cbor = ElementValue::FullDate(date!(1990 - 05 - 01)).to_cbor();
        assert_eq!(
            crate::cbor::encode(&cbor).unwrap(),
            hex::decode("d903ec6a313939302d30352d3031").unwrap()
        );
    }

    #[test]
    fn refuses_what_is_not_an_element() {
        assert_eq!(
            ElementValue::from_cbor(&Value::Integer((-1).into())),
            Err(ElementValueError::Negative)
        );
        assert!(matches!(
            ElementValue::from_cbor(&Value::Tag(
                TAG_FULL_DATE,
                Box::new(Value::Text("1990-13-01".into()))
            )),
            Err(ElementValueError::BadFullDate(_))
        ));
        let mut deep = Value::Bool(true);
        for _ in 0..20 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(
            ElementValue::from_cbor(&deep),
            Err(ElementValueError::TooDeep)
        );
    }
}
