//! The JSON bodies the API takes, strictly: unknown fields refused, at most [`MAX_JSON`] bytes.
//! Public so the fuzzer reaches them without a server.

use cancuoc_core::document::DocumentKind;
use serde::Deserialize;

use crate::log::Channel;

/// The largest JSON body accepted (a QR holds at most 4,296 characters).
pub const MAX_JSON: usize = 64 * 1024;

/// Why a body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("a JSON body is at most {max} bytes")]
    TooLarge { max: usize },
    #[error("{0}")]
    Malformed(String),
}

/// Parses a JSON body into one of the API's request types.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    if body.len() > MAX_JSON {
        return Err(BodyError::TooLarge { max: MAX_JSON });
    }
    // serde reads a struct from a JSON array too (`[]` would be a body with every field
    // left out); the API's bodies are objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyError::Malformed("the body is not a JSON object".into()));
    }
    serde_json::from_slice(body).map_err(|e| BodyError::Malformed(e.to_string()))
}

/// For optional fields: absent means "not given", and `null` is refused like any other value of
/// the wrong type (the API's documents say what each field holds; none is nullable).
fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `POST /api/verify` as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The QR text: `CC1:…`, an answer encrypted to the station (`CE1:…`), or the chip card's
    /// pipe-separated text.
    pub text: String,
    #[serde(default, deserialize_with = "not_null")]
    pub channel: Option<Channel>,
    #[serde(default, deserialize_with = "not_null")]
    pub counter: Option<String>,
    /// A request this station made (`POST /api/requests`).
    #[serde(default, deserialize_with = "not_null")]
    pub request_id: Option<String>,
    /// A request QR made elsewhere, the answer's nonce and audience to check against: signed
    /// (`CR2:…`) or the asker's unsigned record (`CR1:…`).
    #[serde(default, deserialize_with = "not_null")]
    pub request: Option<String>,
    /// Undo scanner quirks (trailing Enter/Tab, whitespace, CapsLock); default: only for the
    /// scanner channel.
    #[serde(default, deserialize_with = "not_null")]
    pub normalize: Option<bool>,
}

/// `POST /api/requests`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[serde(default, deserialize_with = "not_null")]
    pub kind: Option<DocumentKind>,
    #[serde(default, deserialize_with = "not_null")]
    pub elements: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_defaults_and_null_is_refused() {
        let b: RequestBody = parse_json(b"{}").unwrap();
        assert!(b.kind.is_none() && b.elements.is_none());
        let b: RequestBody = parse_json(br#"{"elements":["holder_name"]}"#).unwrap();
        assert_eq!(b.elements, Some(vec!["holder_name".to_owned()]));
        for body in [
            &b"[]"[..],
            b" [\"CC1:X\"]",
            b"",
            br#"{"elements":null}"#,
            br#"{"kind":null}"#,
            br#"{"elements":[],"x":1}"#,
        ] {
            assert!(matches!(
                parse_json::<RequestBody>(body),
                Err(BodyError::Malformed(_))
            ));
        }
        let v: VerifyBody =
            parse_json(r#"{"text":"CC1:X","counter":"Quầy 3"}"#.as_bytes()).unwrap();
        assert_eq!(v.counter.as_deref(), Some("Quầy 3"));
        for field in ["channel", "counter", "request_id", "request", "normalize"] {
            let body = format!(r#"{{"text":"CC1:X","{field}":null}}"#);
            assert!(
                matches!(
                    parse_json::<VerifyBody>(body.as_bytes()),
                    Err(BodyError::Malformed(_))
                ),
                "{field}: null"
            );
        }
    }
}
