//! Kills a process in the middle of writing to the wallet store, many times, and checks that
//! every reopened store is as it was before or after each write — never between: a batch of
//! records lands whole or not at all, and the audit log always verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cancuoc_core::audit::{self, AuditEntry, Channel, Outcome};
use cancuoc_core::keystore::DataKey;
use cancuoc_core::store::Store;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

const CHILD: &str = "CANCUOC_KILL_CHILD_DB";
const KILLS: usize = 60;

fn key() -> DataKey {
    DataKey::generate(&mut ChaCha20Rng::seed_from_u64(5))
}

fn open(path: &Path, seed: u64) -> Store {
    Store::open(path, &key(), Box::new(ChaCha20Rng::seed_from_u64(seed))).unwrap()
}

/// The child: forever, write a batch (three items and the counter that names them) and an
/// audit entry.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let store = open(Path::new(&path), std::process::id().into());
    let start = read_counter(&store);
    for n in start + 1.. {
        let value = n.to_string();
        let ids = [format!("a{n}"), format!("b{n}"), format!("c{n}")];
        let mut batch: Vec<(&str, &str, &[u8])> = ids
            .iter()
            .map(|id| ("item", id.as_str(), value.as_bytes()))
            .collect();
        batch.push(("meta", "counter", value.as_bytes()));
        store.put_batch(&batch).unwrap();
        let entry = AuditEntry {
            time: time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(n as i64),
            channel: Channel::StaticQr,
            requester: "test".into(),
            document: "vn.gov.bhxh.bhyt.1".into(),
            requested: vec![],
            disclosed: vec![value.clone()],
            outcome: Outcome::Disclosed,
            reason: None,
            on_behalf_of: None,
            retained: vec![],
        };
        audit::record(&store, &entry).unwrap();
    }
}

fn read_counter(store: &Store) -> u64 {
    store
        .get("meta", "counter")
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap().parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn killing_a_writer_never_leaves_half_a_write() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("cancuoc-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("wallet.db");
    drop(open(&db, 1)); // create it once, so children race only on writes
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let mut last = 0;
    let mut last_gap = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD, &db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + u64::from(rng.next_u32() % 60)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let store = open(&db, 100 + round as u64);
        let counter = read_counter(&store);
        assert!(
            counter >= last,
            "round {round}: the counter went back from {last} to {counter}"
        );
        let items = store.list("item").unwrap();
        assert_eq!(
            items.len() as u64,
            3 * counter,
            "round {round}: a batch landed in part"
        );
        for (id, value) in &items {
            assert_eq!(
                id[1..],
                *String::from_utf8(value.clone()).unwrap(),
                "round {round}"
            );
        }
        let entries = audit::verify_log(&store).unwrap_or_else(|e| panic!("round {round}: {e}"));
        // The audit entry follows its batch in a second transaction: a kill between the two
        // leaves one batch without its entry, so the gap grows by at most one a round.
        let gap = counter
            .checked_sub(entries as u64)
            .unwrap_or_else(|| panic!("round {round}: more entries than batches"));
        assert!(
            gap <= last_gap + 1,
            "round {round}: gap {gap} after {last_gap}"
        );
        last_gap = gap;
        last = counter;
    }
    assert!(last > 0, "the children never wrote");
    let _ = std::fs::remove_dir_all(&dir);
}
