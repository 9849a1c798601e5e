//! ISO/IEC 18013-5 mdoc data structures, one file each as the standard names them:
//! [`element`] (data element values), [`issuer_signed`] (IssuerSignedItem, IssuerSigned and
//! the holder's stored [`issuer_signed::Credential`]), [`mso`] (MobileSecurityObject),
//! [`device_response`] (DeviceResponse, DeviceSigned) and [`session_transcript`]
//! (SessionTranscript, DeviceAuthentication).

pub mod device_response;
pub mod element;
pub mod issuer_signed;
pub mod mso;
pub mod session_transcript;

use ciborium::value::Value;

/// A structure that does not have the shape ISO 18013-5 gives it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{at}: {problem}")]
pub struct StructureError {
    /// Where in the structure, e.g. "documents[0].issuerSigned.nameSpaces".
    pub at: String,
    pub problem: String,
}

pub(crate) fn bad(at: impl Into<String>, problem: impl Into<String>) -> StructureError {
    StructureError {
        at: at.into(),
        problem: problem.into(),
    }
}

pub(crate) fn as_map<'a>(v: &'a Value, at: &str) -> Result<&'a [(Value, Value)], StructureError> {
    match v {
        Value::Map(m) => Ok(m),
        _ => Err(bad(at, "expected a map")),
    }
}

pub(crate) fn as_array<'a>(v: &'a Value, at: &str) -> Result<&'a [Value], StructureError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(bad(at, "expected an array")),
    }
}

pub(crate) fn as_text<'a>(v: &'a Value, at: &str) -> Result<&'a str, StructureError> {
    match v {
        Value::Text(t) => Ok(t),
        _ => Err(bad(at, "expected text")),
    }
}

pub(crate) fn field<'a>(
    map: &'a [(Value, Value)],
    key: &str,
    at: &str,
) -> Result<&'a Value, StructureError> {
    crate::cbor::map_get(map, key).ok_or_else(|| bad(at, format!("missing \"{key}\"")))
}

/// Refuses a map with two equal keys (ISO 18013-5 maps have unique keys; a duplicate
/// is a way to show one value to one parser and another to the next).
pub(crate) fn unique_keys(map: &[(Value, Value)], at: &str) -> Result<(), StructureError> {
    for (i, (k, _)) in map.iter().enumerate() {
        if map.iter().skip(i + 1).any(|(k2, _)| k2 == k) {
            return Err(bad(at, "duplicate map key"));
        }
    }
    Ok(())
}

/// Bounds on what one response may contain.
pub mod limits {
    pub const MAX_DOCUMENTS: usize = 8;
    pub const MAX_NAMESPACES: usize = 16;
    pub const MAX_ELEMENTS_PER_NAMESPACE: usize = 256;
}
