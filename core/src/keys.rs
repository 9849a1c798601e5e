//! P-256 key material: the issuer's and the holder's signing keys and their public keys in
//! the forms the formats need (SEC1 point, COSE_Key, SPKI/PKCS#8 PEM).
//!
//! Signing uses `p256` with RFC 6979 deterministic nonces, so test vectors are reproducible;
//! verification uses `ring`, which is about five times faster. Private keys zeroize on drop
//! and never print.

use ciborium::value::Value;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey, signature::Signer};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::cbor::{map_get_int, untag24};

/// What was wrong with a key.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a P-256 private key in PKCS#8 PEM")]
    PrivateKeyPem,
    #[error("not a P-256 public key in SPKI PEM")]
    PublicKeyPem,
    #[error("not a valid P-256 point")]
    Point,
    #[error("COSE_Key is not an EC2 P-256 key: {0}")]
    CoseKey(&'static str),
    #[error("could not encode the key")]
    Encode,
}

/// A P-256 private key. Zeroized on drop; `Debug` shows only the public key.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PrivateKey(public: {})",
            hex::encode(self.public_key().sec1())
        )
    }
}

impl PrivateKey {
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(<SigningKey as p256::elliptic_curve::Generate>::generate_from_rng(rng))
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|_| KeyError::PrivateKeyPem)
    }

    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.0
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode)
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// ES256 signature as COSE carries it: r ‖ s, 64 bytes.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let sig: Signature = self.0.sign(message);
        let mut out = [0u8; 64];
        out.copy_from_slice(&sig.to_bytes());
        out
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

/// A P-256 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.sec1()))
    }
}

impl PublicKey {
    /// Uncompressed SEC1 point (0x04 ‖ x ‖ y, 65 bytes).
    pub fn sec1(&self) -> Vec<u8> {
        self.0.to_sec1_bytes().into_vec()
    }

    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::Point)
    }

    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode)
    }

    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_pem(pem)
            .map(Self)
            .map_err(|_| KeyError::PublicKeyPem)
    }

    /// COSE_Key (RFC 9053): {1: 2 (EC2), -1: 1 (P-256), -2: x, -3: y}.
    pub fn to_cose_key(&self) -> Value {
        let point = self.sec1();
        let x = point.get(1..33).unwrap_or_default().to_vec();
        let y = point.get(33..65).unwrap_or_default().to_vec();
        Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer(2.into())),
            (Value::Integer((-1).into()), Value::Integer(1.into())),
            (Value::Integer((-2).into()), Value::Bytes(x)),
            (Value::Integer((-3).into()), Value::Bytes(y)),
        ])
    }

    /// Reads an EC2 P-256 COSE_Key with both coordinates (also accepted tag-24 wrapped).
    pub fn from_cose_key(value: &Value) -> Result<Self, KeyError> {
        let map = match value {
            Value::Map(m) => m,
            other => {
                if let Some(inner) = untag24(other) {
                    let v = crate::cbor::decode(inner, crate::cbor::Limits::NESTED)
                        .map_err(|_| KeyError::CoseKey("not CBOR"))?;
                    return Self::from_cose_key(&v);
                }
                return Err(KeyError::CoseKey("not a map"));
            }
        };
        let int = |k| map_get_int(map, k).and_then(crate::cbor::as_u64);
        if int(1) != Some(2) {
            return Err(KeyError::CoseKey("kty is not EC2"));
        }
        if int(-1) != Some(1) {
            return Err(KeyError::CoseKey("crv is not P-256"));
        }
        let coord = |k| match map_get_int(map, k) {
            Some(Value::Bytes(b)) if b.len() == 32 => Ok(b.as_slice()),
            _ => Err(KeyError::CoseKey("x or y is not 32 bytes")),
        };
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(coord(-2)?);
        point.extend_from_slice(coord(-3)?);
        Self::from_sec1(&point)
    }

    /// Verifies an ES256 (r ‖ s) signature with `ring`.
    pub fn verify_es256(&self, message: &[u8], signature: &[u8]) -> bool {
        verify_es256_sec1(&self.sec1(), message, signature)
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

/// ES256 verification over a SEC1 point with `ring` (fixed-length r ‖ s signature).
pub fn verify_es256_sec1(point: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(message, signature)
        .is_ok()
}

/// ECDSA-with-SHA256 verification of a DER signature (X.509) with `ring`.
pub fn verify_ecdsa_sha256_der(point: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn sign_verify_and_encodings_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let key = PrivateKey::generate(&mut rng);
        let sig = key.sign(b"hello");
        assert_eq!(
            sig,
            key.sign(b"hello"),
            "RFC 6979 signatures are deterministic"
        );
        let public = key.public_key();
        assert!(public.verify_es256(b"hello", &sig));
        assert!(!public.verify_es256(b"hellO", &sig));
        assert_eq!(PublicKey::from_cose_key(&public.to_cose_key()), Ok(public));
        let pem = key.to_pkcs8_pem().unwrap();
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&pem).unwrap().public_key(),
            public
        );
        assert_eq!(
            PublicKey::from_spki_pem(&public.to_spki_pem().unwrap()),
            Ok(public)
        );
        assert!(!format!("{key:?}").contains(&hex::encode(key.0.to_bytes())));
    }

    #[test]
    fn refuses_bad_cose_keys() {
        let bad = Value::Map(vec![(Value::Integer(1.into()), Value::Integer(1.into()))]);
        assert_eq!(
            PublicKey::from_cose_key(&bad),
            Err(KeyError::CoseKey("kty is not EC2"))
        );
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let Value::Map(mut m) = PrivateKey::generate(&mut rng).public_key().to_cose_key() else {
            panic!()
        };
        m[2].1 = Value::Bytes(vec![0; 32]);
        assert_eq!(
            PublicKey::from_cose_key(&Value::Map(m)),
            Err(KeyError::Point)
        );
    }
}
