//! Checking a citizen's standing consent before acting on it: the grant is signed by the
//! citizen's device key, names the party asking, is in force now, and has not been revoked.
//! Whoever checks — the identity service answering a bank, a bank's own system — runs this.

use time::{Duration, OffsetDateTime};

use crate::consent::{ConsentGrant, GrantFormatError, GrantRevocation};
use crate::keys::PublicKey;

/// What to check a grant against.
#[derive(Debug, Clone, Copy)]
pub struct GrantCheck<'a> {
    pub now: OffsetDateTime,
    /// The citizen's device key as the checker knows it (the identity service's record, or
    /// the key of a presentation it verified). `None` trusts the key the grant names — only
    /// for a first look, never for release of data.
    pub holder_key: Option<&'a PublicKey>,
    /// The party that must be named (the one presenting the grant).
    pub party: Option<&'a str>,
    /// Revocations known to the checker (`CV1:` texts). Those signed by another key than the
    /// grant's are someone else's and are skipped; a malformed one is an error.
    pub revocations: &'a [String],
    /// Tolerated clock difference.
    pub clock_skew: Duration,
}

impl<'a> GrantCheck<'a> {
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now,
            holder_key: None,
            party: None,
            revocations: &[],
            clock_skew: Duration::seconds(30),
        }
    }
}

/// Why a grant does not hold.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GrantError {
    #[error("not a valid grant: {0}")]
    Format(#[from] GrantFormatError),
    #[error("the grant is signed by a key that is not the citizen's device key")]
    WrongHolderKey,
    #[error("the grant was given to {granted:?}, not {presenter:?}")]
    WrongParty { granted: String, presenter: String },
    #[error("the grant is not in force before {0}")]
    NotYetValid(String),
    #[error("the grant expired at {0}")]
    Expired(String),
    #[error("the citizen revoked this grant at {0}")]
    Revoked(String),
    #[error("a revocation does not read: {0}")]
    BadRevocation(GrantFormatError),
}

impl GrantError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Format(GrantFormatError::BadSignature) => "bad_signature",
            Self::Format(_) => "malformed",
            Self::WrongHolderKey => "wrong_holder_key",
            Self::WrongParty { .. } => "wrong_party",
            Self::NotYetValid(_) => "not_yet_valid",
            Self::Expired(_) => "expired",
            Self::Revoked(_) => "revoked",
            Self::BadRevocation(_) => "bad_revocation",
        }
    }
}

/// Checks a grant text; returns the grant when it holds.
pub fn verify_grant(text: &str, check: &GrantCheck<'_>) -> Result<ConsentGrant, GrantError> {
    let grant = ConsentGrant::from_text(text)?;
    if check.holder_key.is_some_and(|k| *k != grant.device_key) {
        return Err(GrantError::WrongHolderKey);
    }
    if let Some(p) = check.party.filter(|p| *p != grant.party) {
        return Err(GrantError::WrongParty {
            granted: grant.party,
            presenter: p.to_owned(),
        });
    }
    for r in check.revocations {
        // A revocation signed by another key is another citizen's: it says nothing here.
        let revocation = match GrantRevocation::from_text(r, &grant.device_key) {
            Ok(rv) => rv,
            Err(GrantFormatError::BadSignature) => continue,
            Err(e) => return Err(GrantError::BadRevocation(e)),
        };
        if revocation.grant_id == grant.id {
            return Err(GrantError::Revoked(crate::time_fmt::tdate(
                revocation.revoked_at,
            )));
        }
    }
    if check.now + check.clock_skew < grant.issued {
        return Err(GrantError::NotYetValid(crate::time_fmt::tdate(
            grant.issued,
        )));
    }
    if check.now - check.clock_skew > grant.expires {
        return Err(GrantError::Expired(crate::time_fmt::tdate(grant.expires)));
    }
    Ok(grant)
}
