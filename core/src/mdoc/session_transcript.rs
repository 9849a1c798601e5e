//! SessionTranscript (ISO/IEC 18013-5 §9.1.5.1) and DeviceAuthentication (§9.1.3.4): what
//! binds a device signature to one session with one verifier.
//!
//! The transcript is kept as the exact bytes both sides agreed on and spliced unchanged into
//! DeviceAuthentication, so a signature never depends on how either side re-encodes it.

use ciborium::value::Value;

use crate::cbor::{self, CborError, Limits, tag24, untag24};

/// Why bytes are not a session transcript.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TranscriptError {
    #[error("decoding: {0}")]
    Decoding(#[from] CborError),
    #[error(
        "not a SessionTranscript: expected an array of 3 items (DeviceEngagementBytes, EReaderKeyBytes, Handover)"
    )]
    Shape,
}

/// A SessionTranscript, held as its encoding (without the tag-24 wrapper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTranscript {
    encoded: Vec<u8>,
}

impl SessionTranscript {
    /// Reads `SessionTranscriptBytes` (`#6.24(bstr .cbor SessionTranscript)`) or a bare
    /// SessionTranscript array.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TranscriptError> {
        let v = cbor::decode(bytes, Limits::NESTED)?;
        let encoded = match untag24(&v) {
            Some(inner) => {
                let inner_v = cbor::decode(inner, Limits::NESTED)?;
                check_shape(&inner_v)?;
                inner.to_vec()
            }
            None => {
                check_shape(&v)?;
                bytes.to_vec()
            }
        };
        Ok(Self { encoded })
    }

    /// From a SessionTranscript value.
    pub fn from_value(value: &Value) -> Result<Self, TranscriptError> {
        check_shape(value)?;
        Ok(Self {
            encoded: cbor::encode(value)?,
        })
    }

    /// The ISO/IEC 18013-7 (Annex B) OpenID4VP transcript:
    /// `[null, null, [SHA-256([client_id, mdoc_nonce]), SHA-256([response_uri, mdoc_nonce]), nonce]]`.
    pub fn oid4vp(
        client_id: &str,
        response_uri: &str,
        nonce: &str,
        mdoc_generated_nonce: &str,
    ) -> Result<Self, TranscriptError> {
        let hash = |a: &str| -> Result<Value, CborError> {
            let enc = cbor::encode(&Value::Array(vec![
                Value::Text(a.to_owned()),
                Value::Text(mdoc_generated_nonce.to_owned()),
            ]))?;
            Ok(Value::Bytes(
                ring::digest::digest(&ring::digest::SHA256, &enc)
                    .as_ref()
                    .to_vec(),
            ))
        };
        Self::from_value(&Value::Array(vec![
            Value::Null,
            Value::Null,
            Value::Array(vec![
                hash(client_id)?,
                hash(response_uri)?,
                Value::Text(nonce.to_owned()),
            ]),
        ]))
    }

    /// The SessionTranscript encoding.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// `SessionTranscriptBytes`: the tag-24-wrapped form exchanged in files and used as the
    /// HKDF salt input for session keys.
    pub fn tagged_bytes(&self) -> Result<Vec<u8>, CborError> {
        cbor::encode(&tag24(self.encoded.clone()))
    }

    /// `DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
    /// DocType, DeviceNameSpacesBytes])`, with the transcript spliced in as received.
    pub fn device_authentication_bytes(
        &self,
        doc_type: &str,
        device_namespaces_encoded: &[u8],
    ) -> Result<Vec<u8>, CborError> {
        let mut inner = vec![0x84];
        inner.extend(cbor::encode(&Value::Text("DeviceAuthentication".into()))?);
        inner.extend_from_slice(&self.encoded);
        inner.extend(cbor::encode(&Value::Text(doc_type.to_owned()))?);
        inner.extend(cbor::encode(&tag24(device_namespaces_encoded.to_vec()))?);
        cbor::encode(&tag24(inner))
    }
}

fn check_shape(v: &Value) -> Result<(), TranscriptError> {
    match v {
        Value::Array(a) if a.len() == 3 => Ok(()),
        _ => Err(TranscriptError::Shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_tagged_and_bare_and_splices_exactly() {
        let st = SessionTranscript::oid4vp("clinic", "https://clinic/r", "n", "m").unwrap();
        let tagged = st.tagged_bytes().unwrap();
        assert_eq!(SessionTranscript::from_bytes(&tagged).unwrap(), st);
        assert_eq!(SessionTranscript::from_bytes(st.encoded()).unwrap(), st);
        let da = st.device_authentication_bytes("doc", &[0xa0]).unwrap();
        // It decodes to the 4-array with our transcript inside.
        let v = cbor::decode(&da, Limits::NESTED).unwrap();
        let inner = cbor::decode(untag24(&v).unwrap(), Limits::NESTED).unwrap();
        let Value::Array(items) = inner else { panic!() };
        assert_eq!(items.len(), 4);
        assert_eq!(cbor::encode(&items[1]).unwrap(), st.encoded());
        assert_eq!(
            SessionTranscript::from_bytes(&[0x82, 0xf6, 0xf6]),
            Err(TranscriptError::Shape)
        );
        assert!(matches!(
            SessionTranscript::from_bytes(b"\xff"),
            Err(TranscriptError::Decoding(_))
        ));
    }
}
