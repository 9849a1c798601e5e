//! DeviceResponse (ISO/IEC 18013-5 §8.3.2.1.2.2): the documents a holder returns, each with
//! its IssuerSigned subset and DeviceSigned (device namespaces and a device signature or MAC).

use ciborium::value::Value;
use coset::{CoseMac0, CoseSign1};

use super::issuer_signed::IssuerSigned;
use super::{StructureError, as_array, as_map, as_text, bad, field, limits, unique_keys};
use crate::cbor::{self, CborError, Limits, entry, tag24, untag24};

/// DeviceAuth: a signature (ECDSA) or a MAC (ECDH-derived session key).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceAuth {
    Signature(CoseSign1),
    Mac(CoseMac0),
}

/// DeviceSigned.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSigned {
    /// The encoded DeviceNameSpaces inside `DeviceNameSpacesBytes` (usually `{}`: `a0`).
    pub namespaces_encoded: Vec<u8>,
    pub device_auth: DeviceAuth,
}

/// One Document of a response.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseDocument {
    pub doc_type: String,
    pub issuer_signed: IssuerSigned,
    pub device_signed: DeviceSigned,
}

/// DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceResponse {
    pub version: String,
    pub documents: Vec<ResponseDocument>,
    pub status: u64,
}

/// Why bytes are not a DeviceResponse.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ResponseError {
    #[error("decoding: {0}")]
    Decoding(#[from] CborError),
    #[error("structure: {0}")]
    Structure(#[from] StructureError),
}

impl DeviceResponse {
    pub fn to_cbor(&self) -> Value {
        let docs = self
            .documents
            .iter()
            .map(|d| {
                let auth = match &d.device_signed.device_auth {
                    DeviceAuth::Signature(s) => entry("deviceSignature", crate::cose::to_value(s)),
                    DeviceAuth::Mac(m) => entry("deviceMac", crate::cose::to_value(m)),
                };
                Value::Map(vec![
                    entry("docType", Value::Text(d.doc_type.clone())),
                    entry("issuerSigned", d.issuer_signed.to_cbor()),
                    entry(
                        "deviceSigned",
                        Value::Map(vec![
                            entry(
                                "nameSpaces",
                                tag24(d.device_signed.namespaces_encoded.clone()),
                            ),
                            entry("deviceAuth", Value::Map(vec![auth])),
                        ]),
                    ),
                ])
            })
            .collect();
        Value::Map(vec![
            entry("version", Value::Text(self.version.clone())),
            entry("documents", Value::Array(docs)),
            entry("status", Value::Integer(self.status.into())),
        ])
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, CborError> {
        cbor::encode(&self.to_cbor())
    }

    /// Parses a DeviceResponse from outside bytes, within [`Limits::RESPONSE`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ResponseError> {
        let v = cbor::decode(bytes, Limits::RESPONSE)?;
        Ok(Self::from_cbor(&v)?)
    }

    pub fn from_cbor(v: &Value) -> Result<Self, StructureError> {
        const AT: &str = "DeviceResponse";
        let m = as_map(v, AT)?;
        unique_keys(m, AT)?;
        let version = as_text(field(m, "version", AT)?, "DeviceResponse.version")?.to_owned();
        if !version.starts_with("1.") {
            return Err(bad("DeviceResponse.version", "unsupported version"));
        }
        let status = cbor::as_u64(field(m, "status", AT)?)
            .ok_or_else(|| bad("DeviceResponse.status", "not an unsigned integer"))?;
        let docs = match cbor::map_get(m, "documents") {
            Some(d) => as_array(d, "DeviceResponse.documents")?,
            None => &[],
        };
        if docs.len() > limits::MAX_DOCUMENTS {
            return Err(bad("DeviceResponse.documents", "too many documents"));
        }
        let documents = docs
            .iter()
            .enumerate()
            .map(|(i, d)| parse_document(d, &format!("documents[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            version,
            documents,
            status,
        })
    }
}

fn parse_document(v: &Value, at: &str) -> Result<ResponseDocument, StructureError> {
    let m = as_map(v, at)?;
    unique_keys(m, at)?;
    let doc_type = as_text(field(m, "docType", at)?, at)?.to_owned();
    let issuer_signed =
        IssuerSigned::from_cbor(field(m, "issuerSigned", at)?, &format!("{at}.issuerSigned"))?;
    let at_ds = format!("{at}.deviceSigned");
    let ds = as_map(field(m, "deviceSigned", at)?, &at_ds)?;
    unique_keys(ds, &at_ds)?;
    let ns = field(ds, "nameSpaces", &at_ds)?;
    let namespaces_encoded = untag24(ns)
        .ok_or_else(|| {
            bad(
                format!("{at_ds}.nameSpaces"),
                "not a tag-24 DeviceNameSpacesBytes",
            )
        })?
        .to_vec();
    // DeviceNameSpaces must itself be a map.
    let inner = cbor::decode(&namespaces_encoded, Limits::NESTED)
        .map_err(|e| bad(format!("{at_ds}.nameSpaces"), e.to_string()))?;
    as_map(&inner, &format!("{at_ds}.nameSpaces"))?;
    let at_auth = format!("{at_ds}.deviceAuth");
    let auth = as_map(field(ds, "deviceAuth", &at_ds)?, &at_auth)?;
    let device_auth = match (
        cbor::map_get(auth, "deviceSignature"),
        cbor::map_get(auth, "deviceMac"),
    ) {
        (Some(s), None) => DeviceAuth::Signature(
            crate::cose::parse_sign1(s)
                .map_err(|e| bad(format!("{at_auth}.deviceSignature"), e.to_string()))?,
        ),
        (None, Some(mac)) => DeviceAuth::Mac(
            crate::cose::parse_mac0(mac)
                .map_err(|e| bad(format!("{at_auth}.deviceMac"), e.to_string()))?,
        ),
        _ => {
            return Err(bad(
                at_auth,
                "must hold exactly one of deviceSignature and deviceMac",
            ));
        }
    };
    Ok(ResponseDocument {
        doc_type,
        issuer_signed,
        device_signed: DeviceSigned {
            namespaces_encoded,
            device_auth,
        },
    })
}
