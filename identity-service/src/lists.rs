//! What verifiers keep offline: the signed trust list (IACA and Document Signer certificates)
//! and the signed status lists (`cancuoc_core::lists`), served from an in-memory cache. A
//! revocation in this process bumps a generation that makes the next fetch rebuild; other
//! processes on the same database are noticed through the store's revocation counter, read at
//! most every [`DB_CHECK`]. Lists are also re-signed before they go stale. A fetch in the
//! steady state takes a read lock and clones a reference-counted buffer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::body::Bytes;
use cancuoc_core::lists::{
    ListError as CoreListError, StatusListContent, TrustListContent, sign_status_list,
    sign_trust_list,
};
use cancuoc_core::trust::StatusList;
use time::{Duration, OffsetDateTime};

use crate::Inner;
use crate::store::{self, StoreError, Val};

/// How often the store is asked whether another process revoked something.
pub const DB_CHECK: std::time::Duration = std::time::Duration::from_secs(2);
/// A status list's lifetime (its `exp`); it is re-signed after half of it.
pub const STATUS_LIFETIME: Duration = Duration::hours(24);
/// The trust list's `next_update`; it is re-signed after half of it.
pub const TRUST_LIFETIME: Duration = Duration::hours(24);
/// What HTTP caches may keep a list for.
pub const MAX_AGE_SECONDS: u32 = 60;

/// Why a list could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("there is no status list {0}")]
    NoSuchList(u64),
    #[error("signing the list failed: {0}")]
    Sign(#[from] CoreListError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signed list ready to serve.
#[derive(Debug, Clone)]
pub struct Signed {
    pub bytes: Bytes,
    pub etag: String,
    pub issued_at: OffsetDateTime,
    /// Re-sign after this.
    pub refresh_after: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Cached {
    trust: Option<Arc<Signed>>,
    status: HashMap<u64, Arc<Signed>>,
    /// The store's revocation counter the status lists were built at.
    db_revocations: i64,
}

/// The list cache.
#[derive(Debug)]
pub struct Lists {
    /// Bumped by every revocation in this process.
    generation: AtomicU64,
    /// The generation the cache was last checked against the store at.
    checked_generation: AtomicU64,
    /// When that was, in milliseconds since `epoch`.
    checked_at_ms: AtomicU64,
    epoch: std::time::Instant,
    cached: RwLock<Cached>,
    /// One rebuild at a time; holds each list's last `issued_at` (kept increasing).
    rebuild: Mutex<HashMap<u64, OffsetDateTime>>,
}

impl Default for Lists {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(1),
            checked_generation: AtomicU64::new(0),
            checked_at_ms: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
            cached: RwLock::new(Cached::default()),
            rebuild: Mutex::new(HashMap::new()),
        }
    }
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Trust,
    Status(u64),
}

impl Lists {
    /// Marks the status lists out of date (called after a revocation commits).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The cached list when nothing says it is out of date: no store access.
    pub fn fresh(&self, which: Which, now: OffsetDateTime) -> Option<Arc<Signed>> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        let entry = match which {
            Which::Trust => cached.trust.clone()?,
            Which::Status(n) => {
                if self.checked_generation.load(Ordering::SeqCst)
                    != self.generation.load(Ordering::SeqCst)
                {
                    return None;
                }
                let checked = self.checked_at_ms.load(Ordering::SeqCst);
                if self.elapsed_ms().saturating_sub(checked) > DB_CHECK.as_millis() as u64 {
                    return None;
                }
                cached.status.get(&n)?.clone()
            }
        };
        (now < entry.refresh_after).then_some(entry)
    }

    /// Checks the store and (re)builds the list if needed. Blocking: call from the blocking pool.
    pub fn get(&self, svc: &Inner, which: Which) -> Result<Arc<Signed>, ListError> {
        let mut last_issued = self.rebuild.lock().unwrap_or_else(PoisonError::into_inner);
        let now = svc.now();
        if let Some(s) = self.fresh(which, now) {
            return Ok(s);
        }
        match which {
            Which::Trust => {
                let sequence = store::transact(svc.store(), |tx| {
                    tx.query_one(
                        "INSERT INTO counters (name, value) VALUES ('trust_sequence', 1) \
                         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
                        &[],
                    )?
                    .int(0)
                })?;
                let content = TrustListContent {
                    sequence: u64::try_from(sequence).unwrap_or(0),
                    issued_at: now,
                    next_update: now + TRUST_LIFETIME,
                    certificates: svc.authority.trust_certificates(),
                };
                let bytes = sign_trust_list(&content, &svc.authority.issuer)?;
                let signed = Arc::new(Signed {
                    bytes: Bytes::from(bytes),
                    etag: format!("\"trust-{sequence}\""),
                    issued_at: now,
                    refresh_after: now + TRUST_LIFETIME / 2,
                });
                self.cached
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .trust = Some(signed.clone());
                Ok(signed)
            }
            Which::Status(n) => {
                // Read the generation before the store, so a revocation committed meanwhile
                // leaves the cache marked out of date.
                let generation = self.generation.load(Ordering::SeqCst);
                let size = svc.config.status_list_size.max(8);
                let (revocations, next, revoked) = store::transact(svc.store(), |tx| {
                    let count = |tx: &mut dyn store::Tx, name: &str| -> Result<i64, StoreError> {
                        Ok(tx
                            .query_opt(
                                "SELECT value FROM counters WHERE name = ?1",
                                &[Val::from(name)],
                            )?
                            .map(|r| r.int(0))
                            .transpose()?
                            .unwrap_or(0))
                    };
                    let revocations = count(tx, "revocations")?;
                    let next = count(tx, "status_next")?;
                    let revoked = tx
                        .query(
                            "SELECT status_index FROM documents WHERE status_list = ?1 AND revoked_at IS NOT NULL",
                            &[Val::from(n)],
                        )?
                        .iter()
                        .map(|r| r.int(0))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok::<_, StoreError>((revocations, next, revoked))
                })?;
                let lists = u64::try_from(next).unwrap_or(0).div_ceil(size).max(1);
                if n == 0 || n > lists {
                    return Err(ListError::NoSuchList(n));
                }
                {
                    let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
                    if cached.db_revocations != revocations {
                        cached.status.clear();
                        cached.db_revocations = revocations;
                    }
                    self.checked_generation.store(generation, Ordering::SeqCst);
                    self.checked_at_ms
                        .store(self.elapsed_ms(), Ordering::SeqCst);
                    if let Some(s) = cached.status.get(&n)
                        && now < s.refresh_after
                    {
                        return Ok(s.clone());
                    }
                }
                let uri = crate::documents::status_uri(svc, n);
                let mut list =
                    StatusList::with_capacity(uri, usize::try_from(size).unwrap_or(1 << 17));
                for i in revoked {
                    list.revoke(u64::try_from(i).unwrap_or(u64::MAX));
                }
                // Readers keep the later of two lists: never issue one dated no later than the last.
                let issued_at = match last_issued.get(&n) {
                    Some(prev) if *prev >= now => *prev + Duration::seconds(1),
                    _ => now,
                };
                last_issued.insert(n, issued_at);
                let content = StatusListContent {
                    list,
                    issued_at,
                    expires: issued_at + STATUS_LIFETIME,
                };
                let bytes = sign_status_list(&content, &svc.authority.issuer)?;
                let signed = Arc::new(Signed {
                    bytes: Bytes::from(bytes),
                    etag: format!("\"status-{n}-{}\"", issued_at.unix_timestamp()),
                    issued_at,
                    refresh_after: now + STATUS_LIFETIME / 2,
                });
                self.cached
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .status
                    .insert(n, signed.clone());
                Ok(signed)
            }
        }
    }
}
