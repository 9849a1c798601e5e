//! The station's trust list on disk: read from `--trust DIR` (every `*.pem`, as the CLI reads
//! it), copied into the data directory's cache after each good read so the station starts with
//! no network and even when the source is gone, re-read when the source changes, and dated —
//! the age the page and `/api/health` show is the time since its newest file was written.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cancuoc_core::trust::TrustList;
use time::OffsetDateTime;

/// Why no trust list could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustDirError {
    #[error("{path}: {problem}")]
    Io { path: PathBuf, problem: String },
    #[error("{path}: no .pem certificate found")]
    Empty { path: PathBuf },
    #[error("{path}: {problem}")]
    Certificates { path: PathBuf, problem: String },
}

/// A trust list as read, with where and when it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub list: TrustList,
    /// The directory actually read (the source, or the cache).
    pub from: PathBuf,
    pub files: Vec<PathBuf>,
    /// When its newest file was written.
    pub updated: OffsetDateTime,
}

fn io(path: &Path, e: &std::io::Error) -> TrustDirError {
    TrustDirError::Io {
        path: path.to_owned(),
        problem: e.to_string(),
    }
}

/// The `*.pem` files of a directory (or the one file named), sorted.
fn pem_files(dir: &Path) -> Result<Vec<PathBuf>, TrustDirError> {
    let mut files: Vec<PathBuf> = if dir.is_file() {
        vec![dir.to_owned()]
    } else {
        std::fs::read_dir(dir)
            .map_err(|e| io(dir, &e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pem"))
            .collect()
    };
    files.sort();
    if files.is_empty() {
        return Err(TrustDirError::Empty {
            path: dir.to_owned(),
        });
    }
    Ok(files)
}

/// When the newest `*.pem` of `dir` was written (to notice a change without reading them).
pub fn newest(dir: &Path) -> Option<SystemTime> {
    pem_files(dir)
        .ok()?
        .iter()
        .filter_map(|f| f.metadata().and_then(|m| m.modified()).ok())
        .max()
}

/// Reads every certificate in `dir`.
pub fn read(dir: &Path) -> Result<Loaded, TrustDirError> {
    let files = pem_files(dir)?;
    let mut texts = Vec::with_capacity(files.len());
    for f in &files {
        texts.push(std::fs::read_to_string(f).map_err(|e| io(f, &e))?);
    }
    let list = TrustList::from_pem_texts(texts.iter().map(String::as_str)).map_err(|e| {
        TrustDirError::Certificates {
            path: dir.to_owned(),
            problem: e.to_string(),
        }
    })?;
    let updated = newest(dir).map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from);
    Ok(Loaded {
        list,
        from: dir.to_owned(),
        files,
        updated,
    })
}

/// Copies a good read into the cache directory (replacing what was there).
pub fn cache(loaded: &Loaded, cache_dir: &Path) -> Result<(), TrustDirError> {
    if loaded.from == cache_dir {
        return Ok(());
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| io(cache_dir, &e))?;
    if let Ok(old) = pem_files(cache_dir) {
        for f in old {
            std::fs::remove_file(&f).map_err(|e| io(&f, &e))?;
        }
    }
    for f in &loaded.files {
        let name = f
            .file_name()
            .map_or_else(|| "trust.pem".into(), PathBuf::from);
        let to = cache_dir.join(name);
        std::fs::copy(f, &to).map_err(|e| io(&to, &e))?;
        // Keep the source's date: the cache is as old as what it copies.
        if let Ok(t) = f.metadata().and_then(|m| m.modified())
            && let Ok(file) = std::fs::File::options().write(true).open(&to)
        {
            let _ = file.set_modified(t);
        }
    }
    Ok(())
}

/// Reads the source, falling back to the cache when the source cannot be read.
/// Returns the list and, when the cache was used, why the source was not.
pub fn read_or_cached(
    source: &Path,
    cache_dir: &Path,
) -> Result<(Loaded, Option<TrustDirError>), TrustDirError> {
    match read(source) {
        Ok(l) => {
            cache(&l, cache_dir)?;
            Ok((l, None))
        }
        Err(e) => match read(cache_dir) {
            Ok(l) => Ok((l, Some(e))),
            Err(_) => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IACA: &str = include_str!("../../test-vectors/trust/iaca.pem");
    const DS: &str = include_str!("../../test-vectors/trust/ds.pem");

    #[test]
    fn reads_caches_and_falls_back() {
        let src = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let cache_dir = data.path().join("trust-cache");
        std::fs::write(src.path().join("iaca.pem"), IACA).unwrap();
        std::fs::write(src.path().join("ds.pem"), DS).unwrap();
        std::fs::write(src.path().join("notes.txt"), "ignored").unwrap();
        let (l, fallback) = read_or_cached(src.path(), &cache_dir).unwrap();
        assert_eq!((l.list.roots().len(), fallback), (2, None));
        assert_eq!(pem_files(&cache_dir).unwrap().len(), 2);

        // The source is gone: the cache serves, and says why.
        let gone = src.path().join("missing");
        let (l, fallback) = read_or_cached(&gone, &cache_dir).unwrap();
        assert_eq!(l.from, cache_dir);
        assert!(matches!(fallback, Some(TrustDirError::Io { .. })));

        // Neither: the source's error.
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_or_cached(empty.path(), &empty.path().join("c")),
            Err(TrustDirError::Empty { .. })
        ));
        std::fs::write(empty.path().join("bad.pem"), "not a certificate").unwrap();
        assert!(matches!(
            read(empty.path()),
            Err(TrustDirError::Certificates { .. })
        ));
    }
}
