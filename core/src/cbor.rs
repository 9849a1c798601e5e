//! Bounded CBOR decoding and encoding, and the small helpers every mdoc structure needs:
//! tag-24 wrapping ("encoded CBOR data item"), map look-ups by text or integer key.
//!
//! All outside bytes enter through [`decode`], which caps the input size and nesting depth
//! and refuses trailing bytes, so no input can make a parser recurse or allocate without bound.

use ciborium::value::Value;

/// Tag 24: "encoded CBOR data item" (RFC 8949 §3.4.5.1), used for every `…Bytes` in ISO 18013-5.
pub const TAG_ENCODED_CBOR: u64 = 24;
/// Tag 1004: RFC 8943 `full-date` ("YYYY-MM-DD").
pub const TAG_FULL_DATE: u64 = 1004;
/// Tag 0: RFC 3339 date-time (`tdate`).
pub const TAG_DATE_TIME: u64 = 0;

/// Limits applied to a decode of outside bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays, maps and tags accepted.
    pub max_depth: usize,
}

impl Limits {
    /// Limits for a whole DeviceResponse or credential: room for a portrait and a certificate chain.
    pub const RESPONSE: Limits = Limits {
        max_bytes: 1024 * 1024,
        max_depth: 16,
    };
    /// Limits for a nested structure already inside a checked envelope.
    pub const NESTED: Limits = Limits {
        max_bytes: 1024 * 1024,
        max_depth: 16,
    };
}

/// What was wrong with a CBOR input.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CborError {
    #[error("input is empty")]
    Empty,
    #[error("input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("nesting deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("malformed CBOR at byte {offset}")]
    Syntax { offset: usize },
    #[error("input ends before the CBOR item is complete")]
    Truncated,
    #[error("invalid CBOR item: {0}")]
    Semantic(String),
    #[error("{count} bytes follow the CBOR item")]
    TrailingBytes { count: usize },
    #[error("could not encode CBOR: {0}")]
    Encode(String),
}

/// Decodes exactly one CBOR item from `bytes` within `limits`.
pub fn decode(bytes: &[u8], limits: Limits) -> Result<Value, CborError> {
    if bytes.is_empty() {
        return Err(CborError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(CborError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader_with_recursion_limit(&mut reader, limits.max_depth).map_err(
            |e| match e {
                ciborium::de::Error::Io(_) => CborError::Truncated,
                ciborium::de::Error::Syntax(offset) => CborError::Syntax { offset },
                ciborium::de::Error::Semantic(_, msg) => CborError::Semantic(msg),
                ciborium::de::Error::RecursionLimitExceeded => CborError::TooDeep {
                    max: limits.max_depth,
                },
            },
        )?;
    if !reader.is_empty() {
        return Err(CborError::TrailingBytes {
            count: reader.len(),
        });
    }
    Ok(value)
}

/// Encodes a value with definite lengths and shortest-form integers (the map order is the
/// caller's: every structure in this crate builds its maps in a fixed order).
pub fn encode(value: &Value) -> Result<Vec<u8>, CborError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).map_err(|e| CborError::Encode(e.to_string()))?;
    Ok(out)
}

/// `#6.24(bstr .cbor item)`: wraps already-encoded bytes in tag 24.
pub fn tag24(encoded: Vec<u8>) -> Value {
    Value::Tag(TAG_ENCODED_CBOR, Box::new(Value::Bytes(encoded)))
}

/// The bytes inside a tag-24 item, if `value` is one.
pub fn untag24(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Tag(TAG_ENCODED_CBOR, inner) => match inner.as_ref() {
            Value::Bytes(b) => Some(b.as_slice()),
            _ => None,
        },
        _ => None,
    }
}

/// Looks up a text key in a CBOR map.
pub fn map_get<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}

/// Looks up an integer key in a CBOR map.
pub fn map_get_int(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == i128::from(key)))
        .map(|(_, v)| v)
}

/// Text-keyed map entry.
pub fn entry(key: &str, value: Value) -> (Value, Value) {
    (Value::Text(key.to_owned()), value)
}

/// The value as an i64, if it is an integer that fits.
pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

/// The value as a u64, if it is a non-negative integer that fits.
pub fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(i) => u64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_trailing_bytes_truncation_and_depth() {
        assert_eq!(
            decode(&[0x01, 0x02], Limits::RESPONSE),
            Err(CborError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            decode(&[0x82, 0x01], Limits::RESPONSE),
            Err(CborError::Truncated)
        );
        assert_eq!(decode(&[], Limits::RESPONSE), Err(CborError::Empty));
        let deep = vec![0x81u8; 100];
        assert_eq!(
            decode(&deep, Limits::RESPONSE),
            Err(CborError::TooDeep { max: 16 })
        );
        let big = vec![0u8; Limits::RESPONSE.max_bytes + 1];
        assert!(matches!(
            decode(&big, Limits::RESPONSE),
            Err(CborError::TooLarge { .. })
        ));
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        // A byte string claiming 2^62 bytes, an array claiming 2^62 items.
        let bstr = [0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00];
        assert_eq!(decode(&bstr, Limits::RESPONSE), Err(CborError::Truncated));
        let arr = [0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00];
        assert_eq!(decode(&arr, Limits::RESPONSE), Err(CborError::Truncated));
    }

    #[test]
    fn tag24_round_trips() {
        let inner = encode(&Value::Text("x".into())).unwrap_or_default();
        let wrapped = tag24(inner.clone());
        assert_eq!(untag24(&wrapped), Some(inner.as_slice()));
        assert_eq!(untag24(&Value::Bytes(inner)), None);
    }
}
