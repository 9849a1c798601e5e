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
    serde_json::from_slice(body).map_err(|e| BodyError::Malformed(e.to_string()))
}

/// `POST /api/verify` as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The QR text: `CC1:…`, an answer encrypted to the station (`CE1:…`), or the chip card's
    /// pipe-separated text.
    pub text: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub counter: Option<String>,
    /// A request this station made (`POST /api/requests`).
    #[serde(default)]
    pub request_id: Option<String>,
    /// A request QR made elsewhere, the answer's nonce and audience to check against: signed
    /// (`CR2:…`) or the asker's unsigned record (`CR1:…`).
    #[serde(default)]
    pub request: Option<String>,
    /// Undo scanner quirks (trailing Enter/Tab, whitespace, CapsLock); default: only for the
    /// scanner channel.
    #[serde(default)]
    pub normalize: Option<bool>,
}

/// `POST /api/requests`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[serde(default)]
    pub kind: Option<DocumentKind>,
    #[serde(default)]
    pub elements: Option<Vec<String>>,
}
