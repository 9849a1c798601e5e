//! The whole story with the real wallet against the real service over HTTP on 127.0.0.1:
//! register → level-2 upgrade → activate → integrate the three documents → present (verified
//! offline with the service's signed lists) → change device (the old phone's new presentations
//! are rejected) → revoke a document (the new status list rejects it) → lock the account.
//! Runs on SQLite, and on PostgreSQL when `CANCUOC_TEST_POSTGRES` names a server (required
//! when `CI` is set).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use cancuoc_core::account::Passcode;
use cancuoc_core::document::{DocumentKind, Sex};
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::lists;
use cancuoc_core::service::{Registration, ServiceClient, ServiceConfig};
use cancuoc_core::time_fmt::{Clock, SystemClock};
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::{QrVerifyRequest, Verifier};
use cancuoc_core::wallet::{AccountStatus, AssuranceLevel, OnlineActivation, Wallet, WalletConfig};
use cancuoc_identity::seed::{self, DEMO_OFFICER_TOKEN, Seed};
use cancuoc_identity::store::{Store, Val, transact};
use cancuoc_identity::{Config, Service};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::Zeroizing;

const PID: &str = "001090012345";
const PASSWORD: &str = "Cancuoc@2026x";
const CLINIC: &[&str] = &["card_code", "holder_name", "valid_until"];

struct Running {
    url: String,
    iaca: cancuoc_core::x509::Certificate,
    store: Arc<dyn Store>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start(store: Arc<dyn Store>) -> Running {
    let seed_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/citizens.json");
    seed::load(store.as_ref(), &Seed::read(&seed_file).unwrap()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::new(&url);
    config.pbkdf2_iterations = 1_000;
    let service = Service::new(
        config,
        store.clone(),
        Arc::new(SystemClock),
        ChaCha20Rng::seed_from_u64(7),
    )
    .unwrap();
    let iaca = service
        .inner()
        .authority
        .trust_certificates()
        .into_iter()
        .find(|c| c.check_iaca_profile().is_ok())
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            service
                .serve(l, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
    });
    Running {
        url,
        iaca,
        store,
        shutdown: Some(tx),
        thread: Some(thread),
    }
}

/// An officer's call (the app has no officer API): plain HTTP/1.1 over a socket.
fn officer_post(url: &str, path: &str, body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {DEMO_OFFICER_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn client(url: &str) -> ServiceClient {
    let mut cfg = ServiceConfig::new(url);
    cfg.retries = 1;
    ServiceClient::new(cfg, &mut ChaCha20Rng::seed_from_u64(3)).unwrap()
}

fn wallet(dir: &Path, iaca: &cancuoc_core::x509::Certificate, seed: u64) -> Wallet {
    let keys = SoftwareKeyStore::open(
        &dir.join("keys"),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
    )
    .unwrap();
    let config = WalletConfig::new(
        TrustList::new(vec![iaca.clone()]).unwrap(),
        TrustList::default(),
    );
    Wallet::open(
        &dir.join("wallet.db"),
        Arc::new(keys),
        Arc::new(SystemClock),
        Box::new(ChaCha20Rng::seed_from_u64(seed + 100)),
        config,
    )
    .unwrap()
}

fn passcode() -> Passcode {
    Passcode::new("246810").unwrap()
}

/// A reception desk verifying a static QR offline with the service's latest status list.
fn verify_at_counter(svc: &Running, c: &ServiceClient, qr_text: &str) -> Result<(), String> {
    let now = SystemClock.now();
    let anchors = TrustList::new(vec![svc.iaca.clone()]).unwrap();
    let trust = lists::verify_trust_list(&c.trust_list().unwrap(), &anchors, now).unwrap();
    let verifier = Verifier::new(trust.trust_list(&anchors));
    let status = lists::verify_status_list(
        &c.status_list(&format!("{}/v1/status-lists/1", svc.url))
            .unwrap(),
        &anchors,
        now,
    )
    .unwrap();
    let mut req = QrVerifyRequest::new(now);
    let lists = [status.list];
    req.status_lists = &lists;
    verifier
        .verify_qr_text(qr_text, &req)
        .map(drop)
        .map_err(|e| e.code().to_owned())
}

fn document_id_at_service(store: &dyn Store, kind: &str) -> String {
    transact(store, |tx| {
        tx.query_one(
            "SELECT id FROM documents WHERE personal_id = ?1 AND kind = ?2 \
             AND superseded_at IS NULL AND revoked_at IS NULL",
            &[Val::from(PID), Val::from(kind)],
        )?
        .text(0)
    })
    .unwrap()
}

fn the_story(svc: Running) {
    let c = client(&svc.url);
    let tmp = tempfile::tempdir().unwrap();

    // Register at level 1: a mismatch with the population register is refused generically.
    let mut reg = Registration {
        personal_id: PID.into(),
        full_name: "NGUYỄN VĂN AN".into(),
        birth_date: time::macros::date!(1990 - 05 - 14),
        sex: Sex::Female,
        phone: "0912345678".into(),
        email: "an@example.vn".into(),
        password: Zeroizing::new(PASSWORD.into()),
    };
    assert_eq!(
        c.register(&reg).unwrap_err().code(),
        "registration_mismatch"
    );
    reg.sex = Sex::Male;
    c.register(&reg).unwrap();

    // Activate phone 1: first device, bound at once; level 1 holds only the ID card.
    let phone1 = wallet(&tmp.path().join("phone1"), &svc.iaca, 1);
    let OnlineActivation::Activated(info) = phone1
        .activate_online(&c, PID, PASSWORD, &passcode())
        .unwrap()
    else {
        panic!("the first device is bound at once");
    };
    assert_eq!(info.level, AssuranceLevel::Level1);
    let report = phone1.sync(&c).unwrap();
    assert_eq!(report.documents_added.len(), 1, "{report:?}");
    assert_eq!(
        report.documents_added[0].kind,
        DocumentKind::CitizenIdentity
    );
    assert!(report.trust_list.is_some());

    // The officer verifies the citizen in person: level 2, then the three sector documents.
    let (status, body) = officer_post(
        &svc.url,
        &format!("/v1/officer/accounts/{PID}/level2"),
        r#"{"method":"portrait","reference":"CA Hoàn Kiếm, quầy 3"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let report = phone1.sync(&c).unwrap();
    assert_eq!(report.level, AssuranceLevel::Level2);
    let mut kinds: Vec<DocumentKind> = report.documents_added.iter().map(|d| d.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert!(
        kinds.contains(&DocumentKind::DrivingLicence)
            && kinds.contains(&DocumentKind::HealthInsurance)
            && kinds.contains(&DocumentKind::VehicleRegistration),
        "{report:?}"
    );
    assert!(report.documents_refused.is_empty(), "{report:?}");
    // A second sync issues nothing new.
    assert!(phone1.sync(&c).unwrap().documents_added.is_empty());

    // Present the health insurance card at a clinic: valid offline with the service's lists.
    let bhyt = phone1
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.kind == DocumentKind::HealthInsurance)
        .unwrap();
    let qr = phone1.present_qr(&bhyt.id, CLINIC).unwrap();
    verify_at_counter(&svc, &c, &qr.text).unwrap();

    // Phone 2: the account is on phone 1, so a code goes there; phone 1 reads it on sync.
    let phone2 = wallet(&tmp.path().join("phone2"), &svc.iaca, 2);
    assert_eq!(
        phone2
            .activate_online(&c, PID, PASSWORD, &passcode())
            .unwrap(),
        OnlineActivation::CodeSentToOldDevice
    );
    let messages = phone1.sync(&c).unwrap().messages;
    let code = messages
        .iter()
        .find_map(|m| m.code.clone())
        .expect("phone 1 is shown the code");
    // A wrong code is refused and changes nothing.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        phone2
            .confirm_device_change(&c, wrong, &passcode())
            .unwrap_err()
            .code(),
        "service_refused"
    );
    phone2
        .confirm_device_change(&c, &code, &passcode())
        .unwrap();
    // The code cannot be used twice.
    assert!(c.confirm_device_change("anything", &code).is_err());

    // Phone 1 was signed out: what it presents now is revoked at the counter…
    let stale = phone1.present_qr(&bhyt.id, CLINIC).unwrap();
    assert_eq!(
        verify_at_counter(&svc, &c, &stale.text).unwrap_err(),
        "revoked"
    );
    // …and once it syncs it knows, and presents nothing.
    let report = phone1.sync(&c).unwrap();
    assert_eq!(report.status, AccountStatus::SignedOut);
    assert_eq!(
        phone1.present_qr(&bhyt.id, CLINIC).unwrap_err().code(),
        "signed_out"
    );

    // Phone 2 gets the documents re-issued to its key, and they verify.
    let report = phone2.sync(&c).unwrap();
    assert_eq!(report.documents_added.len(), 4, "{report:?}");
    let bhyt2 = phone2
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.kind == DocumentKind::HealthInsurance)
        .unwrap();
    phone2.unlock(&passcode()).unwrap();
    let qr2 = phone2.present_qr(&bhyt2.id, CLINIC).unwrap();
    verify_at_counter(&svc, &c, &qr2.text).unwrap();

    // The insurer revokes the card: the next status list rejects it, and the wallet marks it.
    let doc_id = document_id_at_service(svc.store.as_ref(), "health_insurance");
    let (status, body) = officer_post(
        &svc.url,
        &format!("/v1/officer/documents/{doc_id}/revoke"),
        r#"{"reason":"thẻ bị thu hồi"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        verify_at_counter(&svc, &c, &qr2.text).unwrap_err(),
        "revoked"
    );
    let report = phone2.sync(&c).unwrap();
    assert_eq!(report.documents_revoked, vec![bhyt2.id.clone()]);
    // A card the insurer withdrew is not quietly issued again.
    assert!(report.documents_added.is_empty(), "{report:?}");
    assert_eq!(
        phone2.present_qr(&bhyt2.id, CLINIC).unwrap_err().code(),
        "document_revoked"
    );

    // The phone is lost: the citizen locks the account with the password and birth date.
    assert_eq!(
        c.lock_account(PID, "wrong-password-1A!", reg.birth_date)
            .unwrap_err()
            .code(),
        "invalid_credentials"
    );
    c.lock_account(PID, PASSWORD, reg.birth_date).unwrap();
    let licence = phone2
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.kind == DocumentKind::DrivingLicence)
        .unwrap();
    phone2.unlock(&passcode()).unwrap();
    let before_sync = phone2.present_qr(&licence.id, &["family_name"]).unwrap();
    assert_eq!(
        verify_at_counter(&svc, &c, &before_sync.text).unwrap_err(),
        "revoked"
    );
    // The session ended with the lock: the phone is signed out and presents nothing.
    let report = phone2.sync(&c).unwrap();
    assert!(
        matches!(
            report.status,
            AccountStatus::SignedOut | AccountStatus::Locked
        ),
        "{report:?}"
    );
    assert!(phone2.present_qr(&licence.id, &["family_name"]).is_err());
}

#[test]
fn the_citizens_story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = cancuoc_identity::store::sqlite::SqliteStore::open_dir(dir.path()).unwrap();
    the_story(start(Arc::new(store)));
}

#[test]
fn the_citizens_story_on_postgresql() {
    let Ok(url) = std::env::var("CANCUOC_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must test PostgreSQL: set CANCUOC_TEST_POSTGRES"
        );
        eprintln!("CANCUOC_TEST_POSTGRES is not set: the PostgreSQL half is skipped");
        return;
    };
    let schema = format!("wallet_flow_{}", std::process::id());
    let store =
        cancuoc_identity::store::postgres::PostgresStore::connect(&url, Some(&schema), 4).unwrap();
    the_story(start(Arc::new(store)));
    cancuoc_identity::store::postgres::PostgresStore::drop_schema(&url, &schema).unwrap();
}
