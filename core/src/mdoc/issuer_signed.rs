//! IssuerSignedItem (one data element with its digest ID and random salt), IssuerSigned
//! (the items by namespace plus `issuerAuth`), and [`Credential`]: what a holder stores —
//! the docType with the whole IssuerSigned, from which it presents any subset.

use ciborium::value::Value;
use coset::CoseSign1;

use super::element::ElementValue;
use super::{StructureError, as_array, as_map, as_text, bad, field, limits, unique_keys};
use crate::cbor::{self, Limits, entry, tag24, untag24};

/// An IssuerSignedItem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSignedItem {
    pub digest_id: u64,
    pub random: Vec<u8>,
    pub element_identifier: String,
    pub element_value: ElementValue,
}

impl IssuerSignedItem {
    pub fn to_cbor(&self) -> Value {
        Value::Map(vec![
            entry("digestID", Value::Integer(self.digest_id.into())),
            entry("random", Value::Bytes(self.random.clone())),
            entry(
                "elementIdentifier",
                Value::Text(self.element_identifier.clone()),
            ),
            entry("elementValue", self.element_value.to_cbor()),
        ])
    }

    fn from_cbor(v: &Value, at: &str) -> Result<Self, StructureError> {
        let m = as_map(v, at)?;
        unique_keys(m, at)?;
        let digest_id = cbor::as_u64(field(m, "digestID", at)?)
            .ok_or_else(|| bad(at, "digestID is not an unsigned integer"))?;
        let random = match field(m, "random", at)? {
            Value::Bytes(b) => b.clone(),
            _ => return Err(bad(at, "random is not a byte string")),
        };
        let element_identifier = as_text(field(m, "elementIdentifier", at)?, at)?.to_owned();
        let element_value = ElementValue::from_cbor(field(m, "elementValue", at)?)
            .map_err(|e| bad(format!("{at}.{element_identifier}"), e.to_string()))?;
        Ok(Self {
            digest_id,
            random,
            element_identifier,
            element_value,
        })
    }
}

/// An IssuerSignedItem together with the exact bytes the issuer digested
/// (`IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSignedItemBytes {
    pub item: IssuerSignedItem,
    /// The encoded IssuerSignedItem inside the tag-24 byte string.
    pub encoded: Vec<u8>,
}

impl IssuerSignedItemBytes {
    pub fn new(item: IssuerSignedItem) -> Result<Self, cbor::CborError> {
        let encoded = cbor::encode(&item.to_cbor())?;
        Ok(Self { item, encoded })
    }

    /// The tagged form as it appears in the structure.
    pub fn to_cbor(&self) -> Value {
        tag24(self.encoded.clone())
    }

    /// The bytes the value digest is computed over: the encoding of the tag-24 item.
    pub fn digest_input(&self) -> Result<Vec<u8>, cbor::CborError> {
        cbor::encode(&self.to_cbor())
    }

    fn from_cbor(v: &Value, at: &str) -> Result<Self, StructureError> {
        let encoded = untag24(v).ok_or_else(|| bad(at, "not a tag-24 IssuerSignedItemBytes"))?;
        let inner = cbor::decode(encoded, Limits::NESTED).map_err(|e| bad(at, e.to_string()))?;
        Ok(Self {
            item: IssuerSignedItem::from_cbor(&inner, at)?,
            encoded: encoded.to_vec(),
        })
    }
}

/// IssuerSigned: `{ ? "nameSpaces": IssuerNameSpaces, "issuerAuth": COSE_Sign1 }`.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSigned {
    pub namespaces: Vec<(String, Vec<IssuerSignedItemBytes>)>,
    pub issuer_auth: CoseSign1,
}

impl IssuerSigned {
    pub fn to_cbor(&self) -> Value {
        let ns = self
            .namespaces
            .iter()
            .map(|(ns, items)| {
                (
                    Value::Text(ns.clone()),
                    Value::Array(items.iter().map(IssuerSignedItemBytes::to_cbor).collect()),
                )
            })
            .collect();
        Value::Map(vec![
            entry("nameSpaces", Value::Map(ns)),
            entry("issuerAuth", crate::cose::to_value(&self.issuer_auth)),
        ])
    }

    pub fn from_cbor(v: &Value, at: &str) -> Result<Self, StructureError> {
        let m = as_map(v, at)?;
        unique_keys(m, at)?;
        let issuer_auth = crate::cose::parse_sign1(field(m, "issuerAuth", at)?)
            .map_err(|e| bad(format!("{at}.issuerAuth"), e.to_string()))?;
        let mut namespaces = Vec::new();
        if let Some(ns_value) = cbor::map_get(m, "nameSpaces") {
            let at_ns = format!("{at}.nameSpaces");
            let ns_map = as_map(ns_value, &at_ns)?;
            unique_keys(ns_map, &at_ns)?;
            if ns_map.len() > limits::MAX_NAMESPACES {
                return Err(bad(at_ns, "too many namespaces"));
            }
            for (k, items) in ns_map {
                let ns = as_text(k, &at_ns)?.to_owned();
                let at_items = format!("{at_ns}.{ns}");
                let items = as_array(items, &at_items)?;
                if items.is_empty() || items.len() > limits::MAX_ELEMENTS_PER_NAMESPACE {
                    return Err(bad(at_items, "namespace must hold 1–256 items"));
                }
                let parsed = items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| {
                        IssuerSignedItemBytes::from_cbor(it, &format!("{at_items}[{i}]"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                namespaces.push((ns, parsed));
            }
        }
        Ok(Self {
            namespaces,
            issuer_auth,
        })
    }

    /// Every item, with its namespace.
    pub fn items(&self) -> impl Iterator<Item = (&str, &IssuerSignedItemBytes)> {
        self.namespaces
            .iter()
            .flat_map(|(ns, items)| items.iter().map(move |i| (ns.as_str(), i)))
    }
}

/// What a holder keeps of an issued document: `{ "docType": tstr, "issuerSigned": IssuerSigned }`
/// (the shape of a DeviceResponse Document without `deviceSigned`).
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub doc_type: String,
    pub issuer_signed: IssuerSigned,
}

impl Credential {
    pub fn to_cbor(&self) -> Value {
        Value::Map(vec![
            entry("docType", Value::Text(self.doc_type.clone())),
            entry("issuerSigned", self.issuer_signed.to_cbor()),
        ])
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, cbor::CborError> {
        cbor::encode(&self.to_cbor())
    }

    /// Parses a stored or imported credential.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CredentialError> {
        let v = cbor::decode(bytes, Limits::RESPONSE)?;
        let m = as_map(&v, "credential")?;
        unique_keys(m, "credential")?;
        Ok(Self {
            doc_type: as_text(field(m, "docType", "credential")?, "credential.docType")?.to_owned(),
            issuer_signed: IssuerSigned::from_cbor(
                field(m, "issuerSigned", "credential")?,
                "credential.issuerSigned",
            )?,
        })
    }
}

/// Why bytes are not a credential.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CredentialError {
    #[error("decoding: {0}")]
    Decoding(#[from] cbor::CborError),
    #[error("structure: {0}")]
    Structure(#[from] StructureError),
}
