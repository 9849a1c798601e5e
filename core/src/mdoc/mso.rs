//! The MobileSecurityObject (ISO/IEC 18013-5 §9.1.2.4): value digests per namespace, the
//! holder's device key, the docType, the validity window, and — following the IETF Token
//! Status List's mdoc binding — where the document's revocation status is published.

use ciborium::value::Value;
use time::OffsetDateTime;

use super::{StructureError, as_map, as_text, bad, field, limits, unique_keys};
use crate::cbor::{self, TAG_DATE_TIME, entry};
use crate::keys::PublicKey;
use crate::time_fmt;

/// The digest algorithms ISO 18013-5 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|a| a.name() == s)
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }
}

/// ValidityInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityInfo {
    pub signed: OffsetDateTime,
    pub valid_from: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub expected_update: Option<OffsetDateTime>,
}

/// Where the document's status bit lives: `{"status_list": {"idx": uint, "uri": tstr}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReference {
    pub index: u64,
    pub uri: String,
}

/// namespace → [(digestID, digest)].
pub type ValueDigests = Vec<(String, Vec<(u64, Vec<u8>)>)>;

/// The MSO.
#[derive(Debug, Clone, PartialEq)]
pub struct MobileSecurityObject {
    pub digest_algorithm: DigestAlgorithm,
    pub value_digests: ValueDigests,
    pub device_key: PublicKey,
    pub doc_type: String,
    pub validity: ValidityInfo,
    pub status: Option<StatusReference>,
}

fn tdate(t: OffsetDateTime) -> Value {
    Value::Tag(TAG_DATE_TIME, Box::new(Value::Text(time_fmt::tdate(t))))
}

fn parse_tdate(v: &Value, at: &str) -> Result<OffsetDateTime, StructureError> {
    match v {
        Value::Tag(TAG_DATE_TIME, inner) => match inner.as_ref() {
            Value::Text(s) => {
                time_fmt::parse_rfc3339(s).ok_or_else(|| bad(at, "not an RFC 3339 date-time"))
            }
            _ => Err(bad(at, "tdate is not text")),
        },
        _ => Err(bad(at, "expected a tdate (tag 0)")),
    }
}

impl MobileSecurityObject {
    pub fn to_cbor(&self) -> Value {
        let digests = self
            .value_digests
            .iter()
            .map(|(ns, ds)| {
                (
                    Value::Text(ns.clone()),
                    Value::Map(
                        ds.iter()
                            .map(|(id, d)| (Value::Integer((*id).into()), Value::Bytes(d.clone())))
                            .collect(),
                    ),
                )
            })
            .collect();
        let mut validity = vec![
            entry("signed", tdate(self.validity.signed)),
            entry("validFrom", tdate(self.validity.valid_from)),
            entry("validUntil", tdate(self.validity.valid_until)),
        ];
        if let Some(t) = self.validity.expected_update {
            validity.push(entry("expectedUpdate", tdate(t)));
        }
        let mut m = vec![
            entry("version", Value::Text("1.0".into())),
            entry(
                "digestAlgorithm",
                Value::Text(self.digest_algorithm.name().into()),
            ),
            entry("valueDigests", Value::Map(digests)),
            entry(
                "deviceKeyInfo",
                Value::Map(vec![entry("deviceKey", self.device_key.to_cose_key())]),
            ),
            entry("docType", Value::Text(self.doc_type.clone())),
            entry("validityInfo", Value::Map(validity)),
        ];
        if let Some(s) = &self.status {
            m.push(entry(
                "status",
                Value::Map(vec![entry(
                    "status_list",
                    Value::Map(vec![
                        entry("idx", Value::Integer(s.index.into())),
                        entry("uri", Value::Text(s.uri.clone())),
                    ]),
                )]),
            ));
        }
        Value::Map(m)
    }

    pub fn from_cbor(v: &Value) -> Result<Self, StructureError> {
        const AT: &str = "MSO";
        let m = as_map(v, AT)?;
        unique_keys(m, AT)?;
        if as_text(field(m, "version", AT)?, "MSO.version")? != "1.0" {
            return Err(bad("MSO.version", "unsupported version"));
        }
        let alg_name = as_text(field(m, "digestAlgorithm", AT)?, "MSO.digestAlgorithm")?;
        let digest_algorithm = DigestAlgorithm::from_name(alg_name)
            .ok_or_else(|| bad("MSO.digestAlgorithm", format!("unsupported {alg_name:?}")))?;
        let vd = as_map(field(m, "valueDigests", AT)?, "MSO.valueDigests")?;
        unique_keys(vd, "MSO.valueDigests")?;
        if vd.len() > limits::MAX_NAMESPACES {
            return Err(bad("MSO.valueDigests", "too many namespaces"));
        }
        let mut value_digests = Vec::new();
        for (ns, ds) in vd {
            let ns = as_text(ns, "MSO.valueDigests")?.to_owned();
            let at = format!("MSO.valueDigests.{ns}");
            let ds = as_map(ds, &at)?;
            unique_keys(ds, &at)?;
            if ds.len() > limits::MAX_ELEMENTS_PER_NAMESPACE {
                return Err(bad(at, "too many digests"));
            }
            let digests = ds
                .iter()
                .map(|(id, d)| {
                    let id = cbor::as_u64(id)
                        .ok_or_else(|| bad(&at, "digestID is not an unsigned integer"))?;
                    match d {
                        Value::Bytes(b) => Ok((id, b.clone())),
                        _ => Err(bad(&at, "digest is not a byte string")),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            value_digests.push((ns, digests));
        }
        let dki = as_map(field(m, "deviceKeyInfo", AT)?, "MSO.deviceKeyInfo")?;
        let device_key = PublicKey::from_cose_key(field(dki, "deviceKey", "MSO.deviceKeyInfo")?)
            .map_err(|e| bad("MSO.deviceKeyInfo.deviceKey", e.to_string()))?;
        let doc_type = as_text(field(m, "docType", AT)?, "MSO.docType")?.to_owned();
        let vi = as_map(field(m, "validityInfo", AT)?, "MSO.validityInfo")?;
        let validity = ValidityInfo {
            signed: parse_tdate(
                field(vi, "signed", "MSO.validityInfo")?,
                "MSO.validityInfo.signed",
            )?,
            valid_from: parse_tdate(
                field(vi, "validFrom", "MSO.validityInfo")?,
                "MSO.validityInfo.validFrom",
            )?,
            valid_until: parse_tdate(
                field(vi, "validUntil", "MSO.validityInfo")?,
                "MSO.validityInfo.validUntil",
            )?,
            expected_update: cbor::map_get(vi, "expectedUpdate")
                .map(|v| parse_tdate(v, "MSO.validityInfo.expectedUpdate"))
                .transpose()?,
        };
        let status = match cbor::map_get(m, "status") {
            None => None,
            Some(s) => {
                let s = as_map(s, "MSO.status")?;
                let sl = as_map(
                    field(s, "status_list", "MSO.status")?,
                    "MSO.status.status_list",
                )?;
                Some(StatusReference {
                    index: cbor::as_u64(field(sl, "idx", "MSO.status.status_list")?).ok_or_else(
                        || bad("MSO.status.status_list.idx", "not an unsigned integer"),
                    )?,
                    uri: as_text(
                        field(sl, "uri", "MSO.status.status_list")?,
                        "MSO.status.status_list.uri",
                    )?
                    .to_owned(),
                })
            }
        };
        Ok(Self {
            digest_algorithm,
            value_digests,
            device_key,
            doc_type,
            validity,
            status,
        })
    }

    /// The digest the MSO holds for (namespace, digestID).
    pub fn digest(&self, namespace: &str, digest_id: u64) -> Option<&[u8]> {
        self.value_digests
            .iter()
            .find(|(ns, _)| ns == namespace)
            .and_then(|(_, ds)| ds.iter().find(|(id, _)| *id == digest_id))
            .map(|(_, d)| d.as_slice())
    }
}
