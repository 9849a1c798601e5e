//! The platform's secure hardware as the core sees it: create a non-exportable P-256 key under
//! an alias, give its public key, sign with it, delete it, and keep the storage data key. The
//! phone shells implement [`KeyStore`] on Android Keystore (StrongBox where present) and the
//! Secure Enclave/Keychain; [`SoftwareKeyStore`] serves desktop, tests and the CLI.
//!
//! [`KeyStoreSigner`] makes any key store the [`DeviceSigner`] presentations are signed with,
//! so the device key never leaves the store.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::keys::{PrivateKey, PublicKey};
use crate::presentation::{DeviceSigner, SignError};

/// Why the key store could not do what was asked. Messages never hold key material.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyStoreError {
    #[error("no key under alias {0:?}")]
    NotFound(String),
    #[error("a key already exists under alias {0:?}")]
    AlreadyExists(String),
    #[error("alias {0:?} must be 1–64 characters from A–Z, a–z, 0–9, '.', '_', '-'")]
    BadAlias(String),
    #[error("the stored key under alias {0:?} is unreadable")]
    Corrupt(String),
    #[error("key store I/O failed: {0}")]
    Io(String),
    #[error("the platform key store failed: {0}")]
    Platform(String),
}

/// The 256-bit key that encrypts the wallet's storage. Kept on the heap (a move copies only
/// the pointer, so no stale copy is left on a stack), zeroized on drop, never printed.
pub struct DataKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

impl DataKey {
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut k = Zeroizing::new(vec![0u8; 32]);
        rng.fill_bytes(k.as_mut_slice());
        Self(k)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 32 {
            return None;
        }
        Some(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The raw key (32 bytes), for the cipher only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

/// Overwrites the stack below the caller with zeros: key material that callees copied into
/// their frames (key schedules, byte arrays moved by value) does not outlive the call. Best
/// effort — it covers 64 KiB, more than the frames of the cipher and signature code even in
/// debug builds.
#[inline(never)]
pub fn scrub_stack() {
    scrub_stack_bytes::<{ 64 * 1024 }>();
}

/// The same over `N` bytes: the store calls it after each use of its cipher, whose frames (the
/// AES round keys it works with) are small (4 KiB; 64 KiB in debug builds).
#[inline(never)]
pub fn scrub_stack_bytes<const N: usize>() {
    let mut area = [0u8; N];
    zeroize::Zeroize::zeroize(&mut area[..]);
    std::hint::black_box(&area);
}

/// Secure key storage provided by the platform.
pub trait KeyStore: Send + Sync {
    /// Creates a new non-exportable P-256 key under `alias`.
    fn create_key(&self, alias: &str) -> Result<PublicKey, KeyStoreError>;
    fn public_key(&self, alias: &str) -> Result<PublicKey, KeyStoreError>;
    /// ES256 signature (r ‖ s) over `message` with the key under `alias`.
    fn sign(&self, alias: &str, message: &[u8]) -> Result<[u8; 64], KeyStoreError>;
    fn delete_key(&self, alias: &str) -> Result<(), KeyStoreError>;
    /// Keeps the storage data key under `alias` (phones wrap it with a hardware key).
    fn store_data_key(&self, alias: &str, key: &DataKey) -> Result<(), KeyStoreError>;
    fn load_data_key(&self, alias: &str) -> Result<DataKey, KeyStoreError>;
}

/// Checks an alias: 1–64 characters from `A–Z a–z 0–9 . _ -`, not starting with '.'.
pub fn check_alias(alias: &str) -> Result<(), KeyStoreError> {
    let ok = (1..=64).contains(&alias.len())
        && !alias.starts_with('.')
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(KeyStoreError::BadAlias(alias.to_owned()))
    }
}

/// A key store in a directory readable only by its owner: one PKCS#8 file per signing key
/// (`<alias>.key`), one file per data key (`<alias>.datakey`), written atomically. A private key
/// is read for each signature and zeroized as soon as it is used.
pub struct SoftwareKeyStore {
    dir: PathBuf,
    rng: Mutex<Box<dyn CryptoRng + Send>>,
    write: Mutex<()>,
}

impl std::fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKeyStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(e: std::io::Error) -> KeyStoreError {
    KeyStoreError::Io(e.kind().to_string())
}

impl SoftwareKeyStore {
    /// Opens (creating if needed, mode 0700) the key directory; `rng` makes new keys.
    pub fn open(dir: &Path, rng: Box<dyn CryptoRng + Send>) -> Result<Self, KeyStoreError> {
        fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            rng: Mutex::new(rng),
            write: Mutex::new(()),
        })
    }

    fn path(&self, alias: &str, ext: &str) -> Result<PathBuf, KeyStoreError> {
        check_alias(alias)?;
        Ok(self.dir.join(format!("{alias}.{ext}")))
    }

    /// Writes `bytes` to `path` with mode 0600 via a temporary file and a rename, so a crash
    /// leaves the old file or the new one, never half of one.
    fn write_secret(&self, path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
        let tmp = path.with_extension("tmp");
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    fn load_key(&self, alias: &str) -> Result<PrivateKey, KeyStoreError> {
        let path = self.path(alias, "key")?;
        let pem = match fs::read_to_string(&path) {
            Ok(p) => Zeroizing::new(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyStoreError::NotFound(alias.to_owned()));
            }
            Err(e) => return Err(io(e)),
        };
        PrivateKey::from_pkcs8_pem(&pem).map_err(|_| KeyStoreError::Corrupt(alias.to_owned()))
    }
}

impl KeyStore for SoftwareKeyStore {
    fn create_key(&self, alias: &str) -> Result<PublicKey, KeyStoreError> {
        let path = self.path(alias, "key")?;
        let _guard = self
            .write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if path.exists() {
            return Err(KeyStoreError::AlreadyExists(alias.to_owned()));
        }
        let key = {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            PrivateKey::generate(&mut **rng)
        };
        let pem = key
            .to_pkcs8_pem()
            .map_err(|_| KeyStoreError::Corrupt(alias.to_owned()))?;
        self.write_secret(&path, pem.as_bytes())?;
        Ok(key.public_key())
    }

    fn public_key(&self, alias: &str) -> Result<PublicKey, KeyStoreError> {
        Ok(self.load_key(alias)?.public_key())
    }

    fn sign(&self, alias: &str, message: &[u8]) -> Result<[u8; 64], KeyStoreError> {
        Ok(self.load_key(alias)?.sign(message))
    }

    fn delete_key(&self, alias: &str) -> Result<(), KeyStoreError> {
        let path = self.path(alias, "key")?;
        let _guard = self
            .write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeyStoreError::NotFound(alias.to_owned()))
            }
            Err(e) => Err(io(e)),
        }
    }

    fn store_data_key(&self, alias: &str, key: &DataKey) -> Result<(), KeyStoreError> {
        let path = self.path(alias, "datakey")?;
        let _guard = self
            .write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.write_secret(&path, key.expose())
    }

    fn load_data_key(&self, alias: &str) -> Result<DataKey, KeyStoreError> {
        let path = self.path(alias, "datakey")?;
        let bytes = match fs::read(&path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyStoreError::NotFound(alias.to_owned()));
            }
            Err(e) => return Err(io(e)),
        };
        DataKey::from_bytes(&bytes).ok_or_else(|| KeyStoreError::Corrupt(alias.to_owned()))
    }
}

/// A key in a [`KeyStore`] as the [`DeviceSigner`] of presentations.
pub struct KeyStoreSigner<'a> {
    pub store: &'a dyn KeyStore,
    pub alias: String,
}

impl std::fmt::Debug for KeyStoreSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStoreSigner")
            .field("alias", &self.alias)
            .finish_non_exhaustive()
    }
}

impl DeviceSigner for KeyStoreSigner<'_> {
    fn public_key(&self) -> Result<PublicKey, SignError> {
        self.store
            .public_key(&self.alias)
            .map_err(|e| SignError::KeyStore(e.to_string()))
    }
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        self.store
            .sign(&self.alias, message)
            .map_err(|e| SignError::KeyStore(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn store(dir: &Path) -> SoftwareKeyStore {
        SoftwareKeyStore::open(dir, Box::new(ChaCha20Rng::seed_from_u64(9))).unwrap()
    }

    #[test]
    fn keys_live_and_die_under_their_alias() {
        let tmp = std::env::temp_dir().join(format!("cancuoc-ks-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let ks = store(&tmp);
        let public = ks.create_key("device").unwrap();
        assert_eq!(
            ks.create_key("device"),
            Err(KeyStoreError::AlreadyExists("device".into()))
        );
        assert_eq!(ks.public_key("device").unwrap(), public);
        let sig = ks.sign("device", b"m").unwrap();
        assert!(public.verify_es256(b"m", &sig));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tmp.join("device.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0);
            assert_eq!(fs::metadata(&tmp).unwrap().permissions().mode() & 0o077, 0);
        }
        // A presentation signer over the store.
        let signer = KeyStoreSigner {
            store: &ks,
            alias: "device".into(),
        };
        assert_eq!(DeviceSigner::public_key(&signer).unwrap(), public);
        ks.delete_key("device").unwrap();
        assert_eq!(
            ks.sign("device", b"m"),
            Err(KeyStoreError::NotFound("device".into()))
        );
        assert!(signer.sign_es256(b"m").is_err());
        assert_eq!(
            ks.delete_key("device"),
            Err(KeyStoreError::NotFound("device".into()))
        );
        for bad in ["", "../x", ".hidden", "a/b", &"x".repeat(65), "khóa"] {
            assert_eq!(
                ks.create_key(bad),
                Err(KeyStoreError::BadAlias(bad.to_owned()))
            );
        }
        // Data keys round trip; a corrupted one is refused.
        let dk = DataKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
        ks.store_data_key("storage", &dk).unwrap();
        assert_eq!(ks.load_data_key("storage").unwrap().expose(), dk.expose());
        fs::write(tmp.join("storage.datakey"), b"short").unwrap();
        assert_eq!(
            ks.load_data_key("storage").unwrap_err(),
            KeyStoreError::Corrupt("storage".into())
        );
        fs::write(tmp.join("broken.key"), b"not pem").unwrap();
        assert_eq!(
            ks.sign("broken", b"m"),
            Err(KeyStoreError::Corrupt("broken".into()))
        );
        assert!(!format!("{dk:?}").contains(&hex::encode(dk.expose())));
        let _ = fs::remove_dir_all(&tmp);
    }

    #[test]
    fn presentations_sign_through_the_store() {
        use crate::document::DocumentKind;
        use crate::fixtures::{CLINIC_ELEMENTS, DemoWorld};
        let now = time::macros::datetime!(2026-11-23 08:00:00 UTC);
        let tmp = std::env::temp_dir().join(format!("cancuoc-ks2-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let ks = store(&tmp);
        let public = ks.create_key("device").unwrap();
        let w = DemoWorld::build(3, now).unwrap();
        let doc =
            crate::document::Document::HealthInsurance(crate::document::samples::health_card());
        let validity = crate::issuance::CredentialValidity {
            valid_from: now,
            valid_until: now + time::Duration::days(30),
            expected_update: None,
        };
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let cred = w
            .issuer
            .issue(&doc, &public, validity, None, now, &mut rng)
            .unwrap();
        let signer = KeyStoreSigner {
            store: &ks,
            alias: "device".into(),
        };
        let st =
            crate::mdoc::session_transcript::SessionTranscript::oid4vp("c", "r", "n", "m").unwrap();
        let els = crate::presentation::resolve_elements(&cred, CLINIC_ELEMENTS).unwrap();
        let resp = crate::presentation::present(&cred, &signer, &els, &st)
            .unwrap()
            .to_bytes()
            .unwrap();
        let v = crate::verifier::Verifier::new(
            crate::trust::TrustList::new(vec![w.authority.certificate().clone()]).unwrap(),
        );
        let req = crate::verifier::VerifyRequest {
            response: &resp,
            transcript: &st,
            now,
            status_lists: &[],
            reader_key: None,
        };
        assert_eq!(
            v.verify_response(&req).unwrap()[0].kind,
            Some(DocumentKind::HealthInsurance)
        );
        let _ = fs::remove_dir_all(&tmp);
    }
}
