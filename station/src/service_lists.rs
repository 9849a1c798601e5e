//! Lists from the identity service (`--service URL`): the signed trust list and the status
//! list QR credentials index into, fetched at start and every few minutes, checked against the
//! roots of `--trust` (the station trusts nothing the service says that those roots did not
//! sign), cached in the data directory so a station without network keeps the last good ones,
//! never replaced by older ones, and dated for the page and `/api/health`.

use std::path::{Path, PathBuf};

use cancuoc_core::lists::{self, ListAge, StatusListContent, TrustListContent};
use cancuoc_core::service::ServiceClient;
use cancuoc_core::trust::{StatusList, TrustList};
use time::OffsetDateTime;

const TRUST_FILE: &str = "trust-list.cose";
const STATUS_FILE: &str = "status-list.cwt";

/// What the station holds from the service.
#[derive(Debug, Clone, Default)]
pub struct OnlineLists {
    pub trust: Option<TrustListContent>,
    pub status: Option<StatusListContent>,
    /// The last successful fetch.
    pub fetched: Option<OffsetDateTime>,
    /// Why the last fetch failed (the cached lists are in use).
    pub problem: Option<String>,
}

impl OnlineLists {
    /// The trust to verify with: the roots, and what the service's trust list adds to them.
    pub fn trust_list(&self, roots: &TrustList) -> TrustList {
        match &self.trust {
            Some(t) => t.trust_list(roots),
            None => roots.clone(),
        }
    }

    /// The status lists revocation is checked against (none before the first fetch).
    pub fn status_lists(&self) -> Vec<StatusList> {
        self.status.iter().map(|s| s.list.clone()).collect()
    }

    pub fn trust_age(&self, now: OffsetDateTime) -> Option<ListAge> {
        self.trust
            .as_ref()
            .map(|t| ListAge::of(t.issued_at, t.next_update, now))
    }

    pub fn status_age(&self, now: OffsetDateTime) -> Option<ListAge> {
        self.status
            .as_ref()
            .map(|s| ListAge::of(s.issued_at, s.expires, now))
    }
}

fn dir(data: &Path) -> PathBuf {
    data.join("service-lists")
}

/// The lists cached by an earlier run, as far as they still verify against `roots`.
pub fn load_cached(data: &Path, roots: &TrustList, now: OffsetDateTime) -> OnlineLists {
    let d = dir(data);
    let trust = std::fs::read(d.join(TRUST_FILE))
        .ok()
        .and_then(|b| lists::verify_trust_list(&b, roots, now).ok());
    let anchors = trust
        .as_ref()
        .map_or_else(|| roots.clone(), |t| t.trust_list(roots));
    let status = std::fs::read(d.join(STATUS_FILE))
        .ok()
        .and_then(|b| lists::verify_status_list(&b, &anchors, now).ok());
    OnlineLists {
        trust,
        status,
        fetched: None,
        problem: None,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Fetches both lists (blocking: call it off the async threads), checks them and keeps each
/// that is not older than the one held. On any failure the held lists stay, with the problem.
pub fn refresh(
    client: &ServiceClient,
    data: &Path,
    roots: &TrustList,
    held: &OnlineLists,
    now: OffsetDateTime,
) -> OnlineLists {
    let mut next = held.clone();
    match fetch(client, data, roots, held, now, &mut next) {
        Ok(()) => {
            next.fetched = Some(now);
            next.problem = None;
        }
        Err(problem) => next.problem = Some(problem),
    }
    next
}

fn fetch(
    client: &ServiceClient,
    data: &Path,
    roots: &TrustList,
    held: &OnlineLists,
    now: OffsetDateTime,
    next: &mut OnlineLists,
) -> Result<(), String> {
    let d = dir(data);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    let got = client
        .verified_lists(roots, held.trust.as_ref(), now)
        .map_err(|e| format!("{e} [{}]", e.code()))?;
    if lists::is_newer_trust_list(&got.trust, held.trust.as_ref()) {
        write(&d.join(TRUST_FILE), &got.trust_bytes)?;
        next.trust = Some(got.trust);
    }
    if lists::is_newer_status_list(&got.status, held.status.as_ref()) {
        write(&d.join(STATUS_FILE), &got.status_bytes)?;
        next.status = Some(got.status);
    }
    Ok(())
}
