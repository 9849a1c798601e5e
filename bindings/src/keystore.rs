//! The platform's secure hardware as a foreign trait the host app implements — Android
//! Keystore (StrongBox where present) or the Secure Enclave and Keychain — and its adapter to
//! the core's `KeyStore`. Keys never cross: the core sends the bytes to sign and gets the
//! signature back. The storage data key does cross, once per open, for the host to wrap with a
//! hardware key; the Rust copy is zeroized after use.

use std::sync::Arc;

use cancuoc_core::keys::PublicKey;
use cancuoc_core::keystore::{self as core_ks, DataKey};
use zeroize::Zeroizing;

/// What the host's key store reports.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyStoreError {
    #[error("no key under alias {alias}")]
    NotFound { alias: String },
    #[error("a key already exists under alias {alias}")]
    AlreadyExists { alias: String },
    #[error("the platform key store failed: {reason}")]
    Platform { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Platform { reason: e.reason }
    }
}

/// Secure key storage provided by the host app.
#[uniffi::export(with_foreign)]
pub trait KeyStore: Send + Sync {
    /// Creates a non-exportable P-256 key under `alias`; returns its public key (SEC1, 65 or
    /// 33 bytes).
    fn create_key(&self, alias: String) -> Result<Vec<u8>, KeyStoreError>;
    /// The public key (SEC1) of the key under `alias`.
    fn public_key(&self, alias: String) -> Result<Vec<u8>, KeyStoreError>;
    /// An ECDSA P-256 / SHA-256 signature over `message`, raw r ‖ s (64 bytes) or DER.
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, KeyStoreError>;
    fn delete_key(&self, alias: String) -> Result<(), KeyStoreError>;
    /// Keeps the 32-byte storage data key under `alias`, wrapped by a hardware key.
    fn store_data_key(&self, alias: String, key: Vec<u8>) -> Result<(), KeyStoreError>;
    /// Returns the data key stored under `alias` (unwrapped).
    fn load_data_key(&self, alias: String) -> Result<Vec<u8>, KeyStoreError>;
}

/// The host's key store as the core's.
pub(crate) struct Foreign(pub Arc<dyn KeyStore>);

fn to_core(e: KeyStoreError) -> core_ks::KeyStoreError {
    match e {
        KeyStoreError::NotFound { alias } => core_ks::KeyStoreError::NotFound(alias),
        KeyStoreError::AlreadyExists { alias } => core_ks::KeyStoreError::AlreadyExists(alias),
        KeyStoreError::Platform { reason } => core_ks::KeyStoreError::Platform(reason),
    }
}

fn public(bytes: &[u8]) -> Result<PublicKey, core_ks::KeyStoreError> {
    PublicKey::from_sec1(bytes)
        .map_err(|_| core_ks::KeyStoreError::Platform("the public key is not P-256 SEC1".into()))
}

/// Raw r ‖ s from either raw or DER (Android Keystore and the Secure Enclave return DER).
fn raw_signature(sig: &[u8]) -> Result<[u8; 64], core_ks::KeyStoreError> {
    if let Ok(raw) = <[u8; 64]>::try_from(sig) {
        return Ok(raw);
    }
    let bad = || core_ks::KeyStoreError::Platform("the signature is neither r‖s nor DER".into());
    let parsed = p256_der(sig).ok_or_else(bad)?;
    Ok(parsed)
}

/// Parses a DER ECDSA-Sig-Value {r INTEGER, s INTEGER} into r ‖ s.
fn p256_der(der: &[u8]) -> Option<[u8; 64]> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&len, body) = rest.split_first()?;
    if usize::from(len) != body.len() || len >= 0x80 {
        return None;
    }
    let mut out = [0u8; 64];
    let mut body = body;
    for half in 0..2 {
        let (&t, r) = body.split_first()?;
        let (&l, r) = r.split_first()?;
        if t != 0x02 || l == 0 || l > 33 {
            return None;
        }
        let (int, r) = r.split_at_checked(usize::from(l))?;
        let int = if int.len() == 33 {
            if int.first() != Some(&0) {
                return None;
            }
            int.get(1..)?
        } else {
            int
        };
        let start = half * 32 + (32 - int.len());
        out.get_mut(start..start + int.len())?.copy_from_slice(int);
        body = r;
    }
    body.is_empty().then_some(out)
}

impl core_ks::KeyStore for Foreign {
    fn create_key(&self, alias: &str) -> Result<PublicKey, core_ks::KeyStoreError> {
        core_ks::check_alias(alias)?;
        public(&self.0.create_key(alias.to_owned()).map_err(to_core)?)
    }
    fn public_key(&self, alias: &str) -> Result<PublicKey, core_ks::KeyStoreError> {
        public(&self.0.public_key(alias.to_owned()).map_err(to_core)?)
    }
    fn sign(&self, alias: &str, message: &[u8]) -> Result<[u8; 64], core_ks::KeyStoreError> {
        raw_signature(
            &self
                .0
                .sign(alias.to_owned(), message.to_vec())
                .map_err(to_core)?,
        )
    }
    fn delete_key(&self, alias: &str) -> Result<(), core_ks::KeyStoreError> {
        self.0.delete_key(alias.to_owned()).map_err(to_core)
    }
    fn store_data_key(&self, alias: &str, key: &DataKey) -> Result<(), core_ks::KeyStoreError> {
        self.0
            .store_data_key(alias.to_owned(), key.expose().to_vec())
            .map_err(to_core)
    }
    fn load_data_key(&self, alias: &str) -> Result<DataKey, core_ks::KeyStoreError> {
        let bytes = Zeroizing::new(self.0.load_data_key(alias.to_owned()).map_err(to_core)?);
        DataKey::from_bytes(&bytes).ok_or_else(|| core_ks::KeyStoreError::Corrupt(alias.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_raw_signatures_both_read() {
        let raw = [7u8; 64];
        assert_eq!(raw_signature(&raw).unwrap(), raw);
        // r = 0x00ff.. (33 bytes with a leading zero), s = 0x01 (short).
        let mut der = vec![0x30, 0, 0x02, 33, 0x00];
        der.extend([0xff; 32]);
        der.extend([0x02, 1, 0x01]);
        der[1] = (der.len() - 2) as u8;
        let sig = raw_signature(&der).unwrap();
        assert_eq!(&sig[..32], &[0xff; 32]);
        assert_eq!(sig[63], 1);
        assert_eq!(&sig[32..63], &[0; 31]);
        assert!(raw_signature(&[0x30, 2, 0x02, 0]).is_err());
        assert!(raw_signature(b"").is_err());
    }
}
