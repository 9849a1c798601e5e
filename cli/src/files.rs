//! File I/O for the CLI: reading inputs, writing outputs (private keys readable only by their
//! owner), and the OS randomness and clock the commands pass into the core.

use std::path::{Path, PathBuf};

use cancuoc_core::keys::{PrivateKey, PublicKey};
use cancuoc_core::trust::TrustList;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::OffsetDateTime;

use crate::CliError;

pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

pub fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes a private key with mode 0600.
pub fn write_private_key(path: &Path, key: &PrivateKey) -> Result<(), CliError> {
    let pem = key.to_pkcs8_pem()?;
    write(path, pem.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| CliError::Io {
                path: path.to_owned(),
                source,
            },
        )?;
    }
    Ok(())
}

pub fn read_private_key(path: &Path) -> Result<PrivateKey, CliError> {
    let pem = zeroize::Zeroizing::new(read_text(path)?);
    PrivateKey::from_pkcs8_pem(&pem).map_err(|e| CliError::Input {
        path: path.to_owned(),
        problem: e.to_string(),
    })
}

pub fn read_public_key(path: &Path) -> Result<PublicKey, CliError> {
    PublicKey::from_spki_pem(&read_text(path)?).map_err(|e| CliError::Input {
        path: path.to_owned(),
        problem: e.to_string(),
    })
}

/// Every `*.pem` certificate in a directory (or the one file named).
pub fn trust_list(dir: &Path) -> Result<TrustList, CliError> {
    let mut files: Vec<PathBuf> = if dir.is_file() {
        vec![dir.to_owned()]
    } else {
        std::fs::read_dir(dir)
            .map_err(|source| CliError::Io {
                path: dir.to_owned(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pem"))
            .collect()
    };
    files.sort();
    if files.is_empty() {
        return Err(CliError::Input {
            path: dir.to_owned(),
            problem: "no .pem certificate found".into(),
        });
    }
    let texts = files
        .iter()
        .map(|f| read_text(f))
        .collect::<Result<Vec<_>, _>>()?;
    TrustList::from_pem_texts(texts.iter().map(String::as_str)).map_err(|e| CliError::Input {
        path: dir.to_owned(),
        problem: e.to_string(),
    })
}

/// A CSPRNG seeded from the operating system, or from `seed` for reproducible runs.
pub fn rng(seed: Option<u64>) -> Result<ChaCha20Rng, CliError> {
    if let Some(s) = seed {
        return Ok(ChaCha20Rng::seed_from_u64(s));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Usage(format!("no OS randomness: {e}")))?;
    Ok(ChaCha20Rng::from_seed(bytes))
}

/// `--now` or the system clock.
pub fn now(arg: Option<&str>) -> Result<OffsetDateTime, CliError> {
    match arg {
        None => Ok(cancuoc_core::time_fmt::whole_seconds(
            OffsetDateTime::now_utc(),
        )),
        Some(s) => cancuoc_core::time_fmt::parse_rfc3339(s).ok_or_else(|| {
            CliError::Usage(format!(
                "--now {s:?} is not an RFC 3339 date-time such as 2026-11-23T08:00:00Z"
            ))
        }),
    }
}
