//! The audit log of disclosures: every disclosure, refusal, grant and revocation with the
//! fields the data-sharing rules ask for — time, channel, who asked, what was asked, what was
//! given, the outcome. Entries are sealed in the [`Store`] and chained: each carries
//! SHA-256(previous chain ‖ sequence number ‖ entry), and a sealed head records the last one,
//! so [`verify_log`] finds an edited, deleted, inserted or reordered entry.
//!
//! What it does not stop: someone holding the data key can rewrite the whole log, and a
//! rollback of the whole database file to an older copy is not detectable from inside it
//! (an anchor outside the device — the identity service — is needed for that).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::store::{Store, StoreError};

/// How the data left the wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    StaticQr,
    ChallengeQr,
    DeviceResponse,
    OnlineGrant,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Disclosed,
    Refused,
    Granted,
    Revoked,
    Failed,
}

/// One exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub channel: Channel,
    /// Who asked (a verifier identity, "static" when nobody was named).
    pub requester: String,
    /// docType of the document concerned.
    pub document: String,
    pub requested: Vec<String>,
    pub disclosed: Vec<String>,
    pub outcome: Outcome,
    /// Why, for refusals and failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When a parent shared a dependent child's document: the child's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// Whether the party said it would keep the data (challenge mode and grants).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained: Vec<String>,
}

/// Why the log does not verify or could not be written.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AuditError {
    #[error("entry {seq} was edited or damaged")]
    Edited { seq: i64 },
    #[error("entry {expected} is missing (found {found})")]
    Missing { expected: i64, found: i64 },
    #[error("the chain breaks at entry {seq}: an entry was removed, inserted or reordered")]
    ChainBroken { seq: i64 },
    #[error("the log ends at entry {found} but its head says {head}: entries were removed")]
    Truncated { found: i64, head: i64 },
    #[error("entry {seq} is not an audit entry")]
    Malformed { seq: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn link(previous: Option<&[u8]>, seq: i64, entry: &[u8]) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(previous.unwrap_or(&[0u8; 32]));
    ctx.update(&seq.to_be_bytes());
    ctx.update(entry);
    ctx.finish().as_ref().to_vec()
}

/// Appends an entry (one transaction); returns its sequence number.
pub fn record(store: &Store, entry: &AuditEntry) -> Result<i64, AuditError> {
    record_with(store, entry, &[], &[])
}

/// Appends an entry in the same transaction as the state change it records: the records in
/// `puts` are written and those in `deletes` removed with it, or nothing is.
pub fn record_with(
    store: &Store,
    entry: &AuditEntry,
    puts: &[(&str, &str, &[u8])],
    deletes: &[(&str, &str)],
) -> Result<i64, AuditError> {
    let bytes = serde_json::to_vec(entry).map_err(|_| AuditError::Malformed { seq: 0 })?;
    let chain = |prev: Option<&[u8]>, seq: i64| link(prev, seq, &bytes);
    store
        .transact(puts, deletes, Some((&bytes, &chain)))?
        .ok_or(AuditError::Malformed { seq: 0 })
}

/// Checks the whole log; returns the number of entries.
pub fn verify_log(store: &Store) -> Result<usize, AuditError> {
    let mut previous: Option<Vec<u8>> = None;
    let mut expected = 1;
    for (seq, entry, chain) in store.audit_rows()? {
        if seq != expected {
            return Err(AuditError::Missing {
                expected,
                found: seq,
            });
        }
        let entry = entry.map_err(|_| AuditError::Edited { seq })?;
        if link(previous.as_deref(), seq, &entry) != chain {
            return Err(AuditError::ChainBroken { seq });
        }
        previous = Some(chain);
        expected += 1;
    }
    let last = expected - 1;
    match store.audit_head()? {
        None if last == 0 => Ok(0),
        None => Err(AuditError::Truncated {
            found: last,
            head: 0,
        }),
        Some((head, chain)) if head == last && Some(&chain) == previous.as_ref() => {
            usize::try_from(last).map_err(|_| AuditError::Malformed { seq: last })
        }
        Some((head, _)) => Err(AuditError::Truncated { found: last, head }),
    }
}

/// The entries, optionally only those of one requester and within [from, to].
pub fn entries(
    store: &Store,
    requester: Option<&str>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Result<Vec<(i64, AuditEntry)>, AuditError> {
    let mut out = Vec::new();
    for (seq, entry, _) in store.audit_rows()? {
        let bytes = entry.map_err(|_| AuditError::Edited { seq })?;
        let e: AuditEntry =
            serde_json::from_slice(&bytes).map_err(|_| AuditError::Malformed { seq })?;
        let keep = requester.is_none_or(|r| e.requester == r)
            && from.is_none_or(|f| e.time >= f)
            && to.is_none_or(|t| e.time <= t);
        if keep {
            out.push((seq, e));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::DataKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::macros::datetime;

    /// A store in a temporary directory, removed after the store closes.
    struct Opened {
        store: Store,
        _dir: tempfile::TempDir,
    }

    impl std::ops::Deref for Opened {
        type Target = Store;
        fn deref(&self) -> &Store {
            &self.store
        }
    }

    fn open(name: &str) -> Opened {
        let dir = tempfile::Builder::new()
            .prefix(&format!("cancuoc-audit-{name}-"))
            .tempdir()
            .unwrap();
        let key = DataKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
        let store = Store::open(
            &dir.path().join("w.db"),
            &key,
            Box::new(ChaCha20Rng::seed_from_u64(2)),
        )
        .unwrap();
        Opened { store, _dir: dir }
    }

    fn entry(i: i64, requester: &str) -> AuditEntry {
        AuditEntry {
            time: datetime!(2026-11-23 08:00:00 UTC) + time::Duration::minutes(i),
            channel: Channel::StaticQr,
            requester: requester.into(),
            document: "vn.gov.bhxh.bhyt.1".into(),
            requested: vec!["holder_name".into()],
            disclosed: vec!["holder_name".into(), "card_code".into()],
            outcome: Outcome::Disclosed,
            reason: None,
            on_behalf_of: None,
            retained: vec![],
        }
    }

    fn filled(name: &str) -> Opened {
        let s = open(name);
        assert_eq!(verify_log(&s), Ok(0));
        for i in 1..=5 {
            assert_eq!(
                record(&s, &entry(i, if i % 2 == 0 { "bank" } else { "clinic" })),
                Ok(i)
            );
        }
        assert_eq!(verify_log(&s), Ok(5));
        s
    }

    #[test]
    fn filters_by_party_and_period() {
        let s = filled("filter");
        assert_eq!(entries(&s, Some("bank"), None, None).unwrap().len(), 2);
        let from = datetime!(2026-11-23 08:03:00 UTC);
        assert_eq!(entries(&s, None, Some(from), None).unwrap().len(), 3);
        assert_eq!(
            entries(&s, Some("clinic"), Some(from), Some(from))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn finds_edits_deletions_insertions_and_reordering() {
        let s = filled("edit");
        s.raw()
            .execute(
                "UPDATE audit SET sealed = (SELECT sealed FROM audit WHERE seq = 2) WHERE seq = 3",
                [],
            )
            .unwrap();
        assert_eq!(verify_log(&s), Err(AuditError::Edited { seq: 3 }));

        let s = filled("delete-middle");
        s.raw()
            .execute("DELETE FROM audit WHERE seq = 2", [])
            .unwrap();
        assert_eq!(
            verify_log(&s),
            Err(AuditError::Missing {
                expected: 2,
                found: 3
            })
        );

        let s = filled("delete-tail");
        s.raw()
            .execute("DELETE FROM audit WHERE seq = 5", [])
            .unwrap();
        assert_eq!(
            verify_log(&s),
            Err(AuditError::Truncated { found: 4, head: 5 })
        );

        let s = filled("swap-chain");
        s.raw()
            .execute_batch(
                "UPDATE audit SET chain = (SELECT chain FROM audit WHERE seq = 1) WHERE seq = 2;",
            )
            .unwrap();
        assert_eq!(verify_log(&s), Err(AuditError::ChainBroken { seq: 2 }));

        // Reordering: renumbering rows breaks their sealing (the seq is bound into each seal).
        let s = filled("reorder");
        s.raw()
            .execute_batch("UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 100;")
            .unwrap();
        assert!(matches!(verify_log(&s), Err(AuditError::Edited { seq: 2 })));
    }
}
