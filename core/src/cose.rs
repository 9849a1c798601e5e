//! COSE (RFC 9052) as ISO 18013-5 uses it: COSE_Sign1 with ES256 for `issuerAuth` (payload
//! attached, DS certificate in `x5chain`, label 33) and for `deviceSignature` (payload
//! detached), and COSE_Mac0 with HMAC 256/256 for `deviceMac`.

use ciborium::value::Value;
use coset::{
    AsCborValue, CoseMac0, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, MacContext,
    RegisteredLabelWithPrivate, iana,
};

use crate::keys::{PrivateKey, PublicKey};

/// COSE header label of `x5chain` (RFC 9360).
pub const LABEL_X5CHAIN: i64 = 33;
/// The most certificates accepted in one `x5chain`.
pub const MAX_X5CHAIN: usize = 4;

/// What was wrong with a COSE structure.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CoseError {
    #[error("not a COSE_Sign1: {0}")]
    NotSign1(String),
    #[error("not a COSE_Mac0: {0}")]
    NotMac0(String),
    #[error("algorithm is not {expected}")]
    Algorithm { expected: &'static str },
    #[error("no x5chain header")]
    NoX5Chain,
    #[error("x5chain is not a certificate or an array of 1–{MAX_X5CHAIN} certificates")]
    BadX5Chain,
    #[error("payload is missing")]
    NoPayload,
    #[error("payload must be detached (null)")]
    PayloadNotDetached,
    #[error("signature does not verify")]
    BadSignature,
    #[error("MAC tag does not verify")]
    BadTag,
}

/// Signs `payload` into a COSE_Sign1 (ES256, `x5chain` in the unprotected header).
pub fn sign1_attached(payload: Vec<u8>, key: &PrivateKey, x5chain: &[Vec<u8>]) -> CoseSign1 {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .build();
    let chain = match x5chain {
        [one] => Value::Bytes(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::Bytes).collect()),
    };
    let unprotected = HeaderBuilder::new().value(LABEL_X5CHAIN, chain).build();
    CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(payload)
        .create_signature(b"", |tbs| key.sign(tbs).to_vec())
        .build()
}

/// Signs `detached_payload` into a COSE_Sign1 whose payload is null (ES256).
pub fn sign1_detached<E>(
    detached_payload: &[u8],
    signer: impl FnOnce(&[u8]) -> Result<[u8; 64], E>,
) -> Result<CoseSign1, E> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .try_create_detached_signature(detached_payload, b"", |tbs| signer(tbs).map(|s| s.to_vec()))
        .map(CoseSign1Builder::build)
}

/// Reads a COSE_Sign1 (untagged or tag 18).
pub fn parse_sign1(value: &Value) -> Result<CoseSign1, CoseError> {
    let value = match value {
        Value::Tag(18, inner) => inner.as_ref().clone(),
        other => other.clone(),
    };
    CoseSign1::from_cbor_value(value).map_err(|e| CoseError::NotSign1(e.to_string()))
}

/// Reads a COSE_Mac0 (untagged or tag 17).
pub fn parse_mac0(value: &Value) -> Result<CoseMac0, CoseError> {
    let value = match value {
        Value::Tag(17, inner) => inner.as_ref().clone(),
        other => other.clone(),
    };
    CoseMac0::from_cbor_value(value).map_err(|e| CoseError::NotMac0(e.to_string()))
}

fn is_alg(
    alg: &Option<RegisteredLabelWithPrivate<iana::Algorithm>>,
    want: iana::Algorithm,
) -> bool {
    matches!(alg, Some(RegisteredLabelWithPrivate::Assigned(a)) if *a == want)
}

/// The `x5chain` certificates (DER), leaf first, from the unprotected or protected header.
pub fn x5chain(sign1: &CoseSign1) -> Result<Vec<Vec<u8>>, CoseError> {
    let find = |h: &coset::Header| {
        h.rest
            .iter()
            .find(|(l, _)| *l == Label::Int(LABEL_X5CHAIN))
            .map(|(_, v)| v.clone())
    };
    let value = find(&sign1.unprotected)
        .or_else(|| find(&sign1.protected.header))
        .ok_or(CoseError::NoX5Chain)?;
    match value {
        Value::Bytes(b) => Ok(vec![b]),
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_X5CHAIN => items
            .into_iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(b),
                _ => Err(CoseError::BadX5Chain),
            })
            .collect(),
        _ => Err(CoseError::BadX5Chain),
    }
}

/// Verifies an ES256 COSE_Sign1 with an attached payload and returns the payload.
pub fn verify_sign1_attached<'a>(
    sign1: &'a CoseSign1,
    key: &PublicKey,
) -> Result<&'a [u8], CoseError> {
    if !is_alg(&sign1.protected.header.alg, iana::Algorithm::ES256) {
        return Err(CoseError::Algorithm { expected: "ES256" });
    }
    let payload = sign1.payload.as_deref().ok_or(CoseError::NoPayload)?;
    sign1.verify_signature(b"", |sig, tbs| {
        if key.verify_es256(tbs, sig) {
            Ok(())
        } else {
            Err(CoseError::BadSignature)
        }
    })?;
    Ok(payload)
}

/// Verifies an ES256 COSE_Sign1 whose payload is detached.
pub fn verify_sign1_detached(
    sign1: &CoseSign1,
    payload: &[u8],
    key: &PublicKey,
) -> Result<(), CoseError> {
    if !is_alg(&sign1.protected.header.alg, iana::Algorithm::ES256) {
        return Err(CoseError::Algorithm { expected: "ES256" });
    }
    if sign1.payload.is_some() {
        return Err(CoseError::PayloadNotDetached);
    }
    sign1.verify_detached_signature(payload, b"", |sig, tbs| {
        if key.verify_es256(tbs, sig) {
            Ok(())
        } else {
            Err(CoseError::BadSignature)
        }
    })
}

/// Verifies a COSE_Mac0 (HMAC 256/256) whose payload is detached, with `key` (32 bytes).
pub fn verify_mac0_detached(mac0: &CoseMac0, payload: &[u8], key: &[u8]) -> Result<(), CoseError> {
    if !is_alg(&mac0.protected.header.alg, iana::Algorithm::HMAC_256_256) {
        return Err(CoseError::Algorithm {
            expected: "HMAC 256/256",
        });
    }
    if mac0.payload.is_some() {
        return Err(CoseError::PayloadNotDetached);
    }
    let data =
        coset::mac_structure_data(MacContext::CoseMac0, mac0.protected.clone(), b"", payload);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::verify(&key, &data, &mac0.tag).map_err(|_| CoseError::BadTag)
}

/// The CBOR value of a COSE structure (never fails for structures this crate built).
pub fn to_value<T: AsCborValue + Clone>(item: &T) -> Value {
    item.clone().to_cbor_value().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn attached_and_detached_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let key = PrivateKey::generate(&mut rng);
        let s = sign1_attached(b"payload".to_vec(), &key, &[vec![1, 2, 3]]);
        let parsed = parse_sign1(&to_value(&s)).unwrap();
        assert_eq!(
            verify_sign1_attached(&parsed, &key.public_key()).unwrap(),
            b"payload"
        );
        assert_eq!(x5chain(&parsed).unwrap(), vec![vec![1, 2, 3]]);
        let other = PrivateKey::generate(&mut rng);
        assert_eq!(
            verify_sign1_attached(&parsed, &other.public_key()),
            Err(CoseError::BadSignature)
        );

        let d = sign1_detached(b"detached", |m| Ok::<_, ()>(key.sign(m))).unwrap();
        let parsed = parse_sign1(&to_value(&d)).unwrap();
        assert_eq!(
            verify_sign1_detached(&parsed, b"detached", &key.public_key()),
            Ok(())
        );
        assert_eq!(
            verify_sign1_detached(&parsed, b"detacheD", &key.public_key()),
            Err(CoseError::BadSignature)
        );
        assert_eq!(x5chain(&parsed), Err(CoseError::NoX5Chain));
    }

    #[test]
    fn refuses_non_cose() {
        assert!(matches!(
            parse_sign1(&Value::Array(vec![])),
            Err(CoseError::NotSign1(_))
        ));
        assert!(matches!(
            parse_sign1(&Value::Text("x".into())),
            Err(CoseError::NotSign1(_))
        ));
    }
}
