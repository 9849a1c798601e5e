//! The service's secrets and how they are kept: account passwords as PBKDF2-HMAC-SHA256
//! (`ring::pbkdf2`, constant-time verification), bearer tokens (sessions, officers, relying
//! parties) drawn at random and stored only as SHA-256, and the device-change codes — derived
//! from a server secret with HMAC so the database keeps only their hash. Secrets live in
//! `Zeroizing` buffers and never print.

use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand_core::CryptoRng;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Bytes of random in a bearer token.
const TOKEN_BYTES: usize = 32;
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;

/// A secret text from a request (password, code, token): wiped on drop, never printed.
#[derive(Clone, Default)]
pub struct Secret(pub Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self(Zeroizing::new(s)))
    }
}

/// A new bearer token (base64url of 32 random bytes, with a prefix naming its use).
pub fn new_token(prefix: &str, rng: &mut (impl CryptoRng + ?Sized)) -> Secret {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    rng.fill_bytes(bytes.as_mut());
    Secret::new(format!("{prefix}{}", B64.encode(bytes.as_ref())))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub use cancuoc_core::secret::constant_time_eq;

fn iterations(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64url).
pub fn hash_password(password: &str, rounds: u32, rng: &mut (impl CryptoRng + ?Sized)) -> String {
    let mut salt = [0u8; SALT_BYTES];
    rng.fill_bytes(&mut salt);
    let mut out = [0u8; HASH_BYTES];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations(rounds),
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!(
        "pbkdf2-sha256${rounds}${}${}",
        B64.encode(salt),
        B64.encode(out)
    )
}

/// Checks a password against its stored hash (constant time); a malformed hash never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(n), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Ok(n), Ok(salt), Ok(hash)) = (n.parse::<u32>(), B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    ring::pbkdf2::verify(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations(n),
        &salt,
        password.as_bytes(),
        &hash,
    )
    .is_ok()
}

/// The 6-digit code of a device change: HMAC-SHA256(secret, change id), reduced to 6 digits.
pub fn change_code(secret: &[u8], change_id: &str) -> Secret {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, change_id.as_bytes());
    let mut first = [0u8; 4];
    for (d, s) in first.iter_mut().zip(tag.as_ref()) {
        *d = *s;
    }
    Secret::new(format!("{:06}", u32::from_be_bytes(first) % 1_000_000))
}

/// What the database keeps of a code: SHA-256 over the change id and the code.
pub fn code_hash(change_id: &str, code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(change_id.as_bytes());
    h.update(b"|");
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

/// Base64url without padding (the wire form of binary fields).
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Reads base64url without padding.
pub fn from_b64(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.as_bytes()).ok()
}

/// A random id (base64url of 16 bytes).
pub fn new_id(rng: &mut (impl CryptoRng + ?Sized)) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn passwords_verify_and_differ_by_salt() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let a = hash_password("Mật-khẩu-1", 1000, &mut rng);
        let b = hash_password("Mật-khẩu-1", 1000, &mut rng);
        assert_ne!(a, b);
        assert!(verify_password(&a, "Mật-khẩu-1"));
        assert!(!verify_password(&a, "Mật-khẩu-2"));
        assert!(!verify_password("garbage", "x"));
        assert!(!verify_password("pbkdf2-sha256$0$$", ""));
    }

    #[test]
    fn codes_are_six_digits_and_secrets_do_not_print() {
        let c = change_code(b"secret", "abc");
        assert_eq!(c.expose().len(), 6);
        assert!(c.expose().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(format!("{c:?}"), "Secret(…)");
        assert_ne!(code_hash("abc", c.expose()), code_hash("abd", c.expose()));
    }
}
