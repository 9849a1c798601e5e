//! Presentation: the holder builds an ISO 18013-5 DeviceResponse that discloses only the
//! elements the citizen picked, signed with the device key over DeviceAuthentication for the
//! verifier's SessionTranscript. The device key is reached through [`DeviceSigner`], so a
//! phone's secure hardware can sign without the key ever leaving it.

use ciborium::value::Value;

use crate::cbor::{self, CborError, Limits};
use crate::keys::{PrivateKey, PublicKey};
use crate::mdoc::device_response::{DeviceAuth, DeviceResponse, DeviceSigned, ResponseDocument};
use crate::mdoc::issuer_signed::{Credential, IssuerSigned};
use crate::mdoc::mso::MobileSecurityObject;
use crate::mdoc::session_transcript::SessionTranscript;

/// The signing key failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignError {
    #[error("the key store could not sign: {0}")]
    KeyStore(String),
}

/// Whatever holds the device key: the software key here, Android Keystore or the Secure
/// Enclave behind the bindings.
pub trait DeviceSigner {
    fn public_key(&self) -> Result<PublicKey, SignError>;
    /// ES256 over `message`: r ‖ s.
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], SignError>;
}

impl DeviceSigner for PrivateKey {
    fn public_key(&self) -> Result<PublicKey, SignError> {
        Ok(PrivateKey::public_key(self))
    }
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        Ok(self.sign(message))
    }
}

/// One data element, by namespace and identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementRef {
    pub namespace: String,
    pub identifier: String,
}

impl ElementRef {
    pub fn new(namespace: &str, identifier: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            identifier: identifier.to_owned(),
        }
    }
}

/// Why a presentation could not be built.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PresentationError {
    #[error("no element selected")]
    NothingSelected,
    #[error("the credential has no element {namespace}/{identifier}")]
    ElementNotInCredential {
        namespace: String,
        identifier: String,
    },
    #[error("the credential has no element named {0:?}")]
    UnknownElement(String),
    #[error("the credential is not bound to this device key")]
    WrongDeviceKey,
    #[error("the credential's MSO cannot be read: {0}")]
    Mso(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("encoding: {0}")]
    Encode(#[from] CborError),
}

/// Resolves bare element identifiers ("card_code") or "namespace/identifier" against the
/// credential's namespaces.
pub fn resolve_elements(
    credential: &Credential,
    names: &[&str],
) -> Result<Vec<ElementRef>, PresentationError> {
    names
        .iter()
        .map(|name| {
            if let Some((ns, id)) = name.rsplit_once('/') {
                return Ok(ElementRef::new(ns, id));
            }
            credential
                .issuer_signed
                .items()
                .find(|(_, i)| i.item.element_identifier == *name)
                .map(|(ns, _)| ElementRef::new(ns, name))
                .ok_or_else(|| PresentationError::UnknownElement((*name).to_owned()))
        })
        .collect()
}

/// The MSO inside a credential's `issuerAuth` (not verified: this is the holder's own copy).
pub fn credential_mso(credential: &Credential) -> Result<MobileSecurityObject, PresentationError> {
    let payload = credential
        .issuer_signed
        .issuer_auth
        .payload
        .as_deref()
        .ok_or_else(|| PresentationError::Mso("no payload".into()))?;
    let tagged = cbor::decode(payload, Limits::RESPONSE)
        .map_err(|e| PresentationError::Mso(e.to_string()))?;
    let inner = cbor::untag24(&tagged)
        .ok_or_else(|| PresentationError::Mso("payload is not tag 24".into()))?;
    let v =
        cbor::decode(inner, Limits::RESPONSE).map_err(|e| PresentationError::Mso(e.to_string()))?;
    MobileSecurityObject::from_cbor(&v).map_err(|e| PresentationError::Mso(e.to_string()))
}

/// Builds a DeviceResponse with one document disclosing exactly `elements`.
pub fn present(
    credential: &Credential,
    signer: &dyn DeviceSigner,
    elements: &[ElementRef],
    transcript: &SessionTranscript,
) -> Result<DeviceResponse, PresentationError> {
    if elements.is_empty() {
        return Err(PresentationError::NothingSelected);
    }
    if credential_mso(credential)?.device_key != signer.public_key()? {
        return Err(PresentationError::WrongDeviceKey);
    }
    let mut namespaces: Vec<(String, Vec<_>)> = Vec::new();
    for wanted in elements {
        let found = credential
            .issuer_signed
            .items()
            .find(|(ns, i)| {
                *ns == wanted.namespace && i.item.element_identifier == wanted.identifier
            })
            .map(|(_, i)| i.clone())
            .ok_or_else(|| PresentationError::ElementNotInCredential {
                namespace: wanted.namespace.clone(),
                identifier: wanted.identifier.clone(),
            })?;
        match namespaces
            .iter_mut()
            .find(|(ns, _)| *ns == wanted.namespace)
        {
            Some((_, items)) => {
                if !items.contains(&found) {
                    items.push(found);
                }
            }
            None => namespaces.push((wanted.namespace.clone(), vec![found])),
        }
    }
    let device_namespaces = cbor::encode(&Value::Map(vec![]))?;
    let auth_bytes =
        transcript.device_authentication_bytes(&credential.doc_type, &device_namespaces)?;
    let signature = crate::cose::sign1_detached(&auth_bytes, |m| signer.sign_es256(m))?;
    Ok(DeviceResponse {
        version: "1.0".into(),
        documents: vec![ResponseDocument {
            doc_type: credential.doc_type.clone(),
            issuer_signed: IssuerSigned {
                namespaces,
                issuer_auth: credential.issuer_signed.issuer_auth.clone(),
            },
            device_signed: DeviceSigned {
                namespaces_encoded: device_namespaces,
                device_auth: DeviceAuth::Signature(signature),
            },
        }],
        status: 0,
    })
}
