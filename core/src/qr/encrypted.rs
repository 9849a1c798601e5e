//! The encrypted answer to a request that carries an encryption key: the presentation's bytes
//! sealed to the relying party, so only it can read them from the screen.
//!
//! Wire form: `CE1:` + Base45 of a tagged COSE_Encrypt0 (RFC 9052 §5.2):
//! protected `{1: 3}` (A256GCM), unprotected `{-1: the sender's ephemeral P-256 COSE_Key,
//! 5: 12-byte IV}`. The content key is derived as ECDH-ES + HKDF-256 does (RFC 9053 §6.3.1):
//! HKDF-SHA-256 with no salt over the ECDH x-coordinate, info = the COSE_KDF_Context
//! `[3, [null, null, null], [null, null, null], [256, h'a10103']]`.

use ciborium::value::Value;
use coset::{
    CborSerializable, CoseEncrypt0, CoseEncrypt0Builder, HeaderBuilder, Label,
    TaggedCborSerializable, iana,
};
use rand_core::CryptoRng;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

use super::base45;
use super::claims::Item;
use super::sd_cwt::{compressed_cose_key, public_key_from_cose};
use crate::keys::{PrivateKey, PublicKey};

/// Prefix of an encrypted presentation QR.
pub const ENCRYPTED_PREFIX: &str = "CE1:";
/// The protected header `{1: 3}`, exactly.
const PROTECTED: [u8; 3] = [0xa1, 0x01, 0x03];
const IV_BYTES: usize = 12;
/// The most plaintext accepted after decryption (a QR holds less).
const MAX_PLAINTEXT: usize = 4096;

/// Why an encrypted presentation could not be opened.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EncryptedError {
    #[error("not an encrypted presentation: it must start with {ENCRYPTED_PREFIX}")]
    Prefix,
    #[error("malformed encrypted presentation: {0}")]
    Malformed(String),
    #[error("the presentation does not decrypt with this verifier's key")]
    Decrypt,
    #[error("the presentation is encrypted, and no decryption key was given")]
    NoKey,
}

fn kdf_info() -> Result<Vec<u8>, EncryptedError> {
    let context = Value::Array(vec![
        Value::Integer(3.into()),
        Value::Array(vec![Value::Null, Value::Null, Value::Null]),
        Value::Array(vec![Value::Null, Value::Null, Value::Null]),
        Value::Array(vec![
            Value::Integer(256.into()),
            Value::Bytes(PROTECTED.to_vec()),
        ]),
    ]);
    crate::cbor::encode(&context).map_err(|e| EncryptedError::Malformed(e.to_string()))
}

fn content_key(
    secret: &PrivateKey,
    public: &PublicKey,
) -> Result<Zeroizing<[u8; 32]>, EncryptedError> {
    let shared = p256::ecdh::diffie_hellman(
        secret.signing_key().as_nonzero_scalar(),
        public.verifying_key().as_affine(),
    );
    let prk =
        ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, &[]).extract(shared.raw_secret_bytes());
    let info = kdf_info()?;
    let info: [&[u8]; 1] = [&info];
    let mut key = Zeroizing::new([0u8; 32]);
    prk.expand(&info, ring::hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(key.as_mut()))
        .map_err(|_| EncryptedError::Decrypt)?;
    Ok(key)
}

fn aead(key: &[u8; 32]) -> Result<LessSafeKey, EncryptedError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| EncryptedError::Decrypt)
}

fn cose_key_value(key: &PublicKey) -> Result<Value, EncryptedError> {
    let bytes = super::claims::encode(&compressed_cose_key(key));
    crate::cbor::decode(&bytes, crate::cbor::Limits::NESTED)
        .map_err(|e| EncryptedError::Malformed(e.to_string()))
}

/// Seals `plaintext` to `recipient` with a fresh ephemeral key; returns the `CE1:` text.
pub fn seal(
    plaintext: &[u8],
    recipient: &PublicKey,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<String, EncryptedError> {
    let ephemeral = PrivateKey::generate(rng);
    let key = content_key(&ephemeral, recipient)?;
    let mut iv = [0u8; IV_BYTES];
    rng.fill_bytes(&mut iv);
    let cipher = aead(&key)?;
    let mut sealed = Err(EncryptedError::Decrypt);
    let encrypt0 = CoseEncrypt0Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::A256GCM)
                .build(),
        )
        .unprotected(
            HeaderBuilder::new()
                .value(-1, cose_key_value(&ephemeral.public_key())?)
                .iv(iv.to_vec())
                .build(),
        )
        .create_ciphertext(plaintext, b"", |pt, aad| {
            let mut buf = pt.to_vec();
            sealed = cipher
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(aad),
                    &mut buf,
                )
                .map_err(|_| EncryptedError::Decrypt);
            buf
        })
        .build();
    sealed?;
    let bytes = encrypt0
        .to_tagged_vec()
        .map_err(|e| EncryptedError::Malformed(e.to_string()))?;
    Ok(format!("{ENCRYPTED_PREFIX}{}", base45::encode(&bytes)))
}

/// Opens a `CE1:` text with the recipient's key; returns the presentation's bytes.
pub fn open(text: &str, key: &PrivateKey) -> Result<Vec<u8>, EncryptedError> {
    let malformed = |w: &str| EncryptedError::Malformed(w.to_owned());
    let body = text
        .strip_prefix(ENCRYPTED_PREFIX)
        .ok_or(EncryptedError::Prefix)?;
    let bytes = base45::decode(body).map_err(|e| malformed(&format!("not Base45: {e}")))?;
    // Bounded decode first; coset then reads the already-checked value.
    let value = crate::cbor::decode(&bytes, crate::cbor::Limits::NESTED)
        .map_err(|e| malformed(&format!("not CBOR: {e}")))?;
    let reencoded =
        crate::cbor::encode(&value).map_err(|e| malformed(&format!("not CBOR: {e}")))?;
    let encrypt0 = CoseEncrypt0::from_tagged_slice(&reencoded)
        .or_else(|_| CoseEncrypt0::from_slice(&reencoded))
        .map_err(|e| malformed(&format!("not COSE_Encrypt0: {e}")))?;
    if encrypt0.protected.original_data.as_deref() != Some(&PROTECTED[..]) {
        return Err(malformed(
            "protected header must be exactly {1: 3} (A256GCM)",
        ));
    }
    let unprotected = &encrypt0.unprotected;
    if unprotected.rest.len() != 1 || !unprotected.key_id.is_empty() {
        return Err(malformed(
            "unprotected header must hold the ephemeral key and the IV only",
        ));
    }
    let iv: [u8; IV_BYTES] = unprotected
        .iv
        .as_slice()
        .try_into()
        .map_err(|_| malformed("IV is not 12 bytes"))?;
    let ephemeral = unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(-1))
        .and_then(|(_, v)| crate::cbor::encode(v).ok())
        .and_then(|b| super::claims::decode(&b).ok())
        .as_ref()
        .and_then(|i: &Item| public_key_from_cose(i))
        .ok_or_else(|| malformed("ephemeral key is not a P-256 COSE_Key"))?;
    let ciphertext_len = encrypt0.ciphertext.as_ref().map_or(0, Vec::len);
    if ciphertext_len > MAX_PLAINTEXT + 16 {
        return Err(malformed("ciphertext too long"));
    }
    let cipher = aead(&*content_key(key, &ephemeral)?)?;
    encrypt0.decrypt_ciphertext(
        b"",
        || malformed("no ciphertext"),
        |ct, aad| {
            let mut buf = ct.to_vec();
            let plain = cipher
                .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
                .map_err(|_| EncryptedError::Decrypt)?;
            Ok(plain.to_vec())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn only_the_recipient_opens_it_and_a_changed_byte_fails() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let rp = PrivateKey::generate(&mut rng);
        let other = PrivateKey::generate(&mut rng);
        let text = seal(b"presentation bytes", &rp.public_key(), &mut rng).unwrap();
        assert!(text.starts_with(ENCRYPTED_PREFIX));
        assert_eq!(open(&text, &rp).unwrap(), b"presentation bytes");
        assert_eq!(open(&text, &other), Err(EncryptedError::Decrypt));
        // Change one ciphertext byte.
        let mut bytes = base45::decode(&text[4..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let changed = format!("{ENCRYPTED_PREFIX}{}", base45::encode(&bytes));
        assert_eq!(open(&changed, &rp), Err(EncryptedError::Decrypt));
        assert_eq!(open("CC1:xyz", &rp), Err(EncryptedError::Prefix));
        assert!(matches!(
            open("CE1:AB", &rp),
            Err(EncryptedError::Malformed(_))
        ));
    }
}
