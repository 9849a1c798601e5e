//! Kills a wallet process mid-write, 200 times at random moments, and checks after each kill
//! that the reopened wallet is whole: it opens with its key, its log verifies, every grant on
//! record has exactly the one "granted" log entry that was written with it, every revocation
//! its "revoked" entry, and nothing that was there before is gone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use cancuoc_core::account::Passcode;
use cancuoc_core::audit::Outcome;
use cancuoc_core::consent::Approval;
use cancuoc_core::document::{DocumentKind, samples};
use cancuoc_core::fixtures::{DemoWorld, iaca_params};
use cancuoc_core::issuance::{CredentialValidity, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::qr::signed_request::SignedRequest;
use cancuoc_core::time_fmt::SystemClock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{Activation, Answer, AssuranceLevel, Wallet, WalletConfig};
use cancuoc_core::x509::{Certificate, CertificateParams, make_reader_certificate};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime};

const CHILD: &str = "CANCUOC_WALLET_KILL_CHILD";
const KILLS: usize = 200;

/// The same world in every process: issuer and bank derived from fixed seeds.
struct World {
    demo: DemoWorld,
    registry: TrustList,
    bank_key: PrivateKey,
    bank_cert: Certificate,
}

fn world() -> World {
    let now = OffsetDateTime::now_utc();
    let today = OffsetDateTime::new_utc(now.date(), time::Time::MIDNIGHT);
    let demo = DemoWorld::build(42, today).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    let ca = IssuingAuthority::generate(&iaca_params(today - Duration::days(1)), &mut rng).unwrap();
    let bank_key = PrivateKey::generate(&mut rng);
    let bank_cert = make_reader_certificate(
        ca.key(),
        ca.certificate(),
        &bank_key.public_key(),
        &CertificateParams {
            country: "VN".into(),
            organization: Some("Ngân hàng".into()),
            common_name: "vn.bank.kill".into(),
            issuer_contact: "https://bank.example.vn".into(),
            crl_url: None,
            not_before: today - Duration::days(1),
            not_after: today + Duration::days(30),
        },
        &mut rng,
    )
    .unwrap();
    World {
        registry: TrustList::new(vec![ca.certificate().clone()]).unwrap(),
        demo,
        bank_key,
        bank_cert,
    }
}

fn open(dir: &Path, w: &World, seed: u64) -> Wallet {
    let keys = SoftwareKeyStore::open(
        &dir.join("keys"),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
    )
    .unwrap();
    let trust = TrustList::new(vec![
        w.demo.authority.certificate().clone(),
        w.demo.issuer.certificate().clone(),
    ])
    .unwrap();
    Wallet::open(
        &dir.join("wallet.db"),
        Arc::new(keys),
        Arc::new(SystemClock),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        WalletConfig::new(trust, w.registry.clone()),
    )
    .unwrap()
}

fn pin() -> Passcode {
    Passcode::new("246810").unwrap()
}

/// The child: forever, a static presentation, a grant, and every other time a revocation.
#[test]
fn child_wallet_writer() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let dir = Path::new(&dir);
    let w = world();
    let wallet = open(dir, &w, std::process::id().into());
    wallet.unlock(&pin()).unwrap();
    let doc = wallet.documents().unwrap()[0].id.clone();
    let mut rng = ChaCha20Rng::seed_from_u64(std::process::id().into());
    for n in 0u64.. {
        wallet.present_qr(&doc, &["card_code"]).unwrap();
        let mut req = SignedRequest::new(
            w.bank_cert.clone(),
            DocumentKind::HealthInsurance,
            &["card_code", "holder_name"],
            &["card_code"],
            "Bảo hiểm",
            OffsetDateTime::now_utc(),
            Duration::minutes(5),
            &mut rng,
        )
        .unwrap();
        req.grant_until = Some(OffsetDateTime::now_utc() + Duration::days(10));
        let prompt = wallet
            .respond(&req.sign(&w.bank_key).unwrap(), None)
            .unwrap();
        let Answer::Grant(g) = wallet.answer(&prompt.id, Approval::All).unwrap() else {
            panic!("no grant");
        };
        if n % 2 == 0 {
            wallet.revoke_grant(&g.id).unwrap();
        }
    }
}

#[test]
fn killing_the_wallet_mid_write_never_leaves_it_between_states() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("cancuoc-wallet-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let mut w = world();
    {
        let wallet = open(&tmp, &w, 1);
        let account = wallet
            .activate(
                Activation {
                    personal_id: "001090012345".into(),
                    full_name: "NGUYỄN VĂN AN".into(),
                    birth_date: time::macros::date!(1990 - 05 - 01),
                    level: AssuranceLevel::Level2,
                    id_card_expiry: None,
                },
                &pin(),
            )
            .unwrap();
        let doc = samples::all()
            .into_iter()
            .find(|d| d.kind() == DocumentKind::HealthInsurance)
            .unwrap();
        let now = OffsetDateTime::now_utc();
        let validity = CredentialValidity {
            valid_from: now - Duration::hours(1),
            valid_until: now + Duration::days(30),
            expected_update: None,
        };
        let rng = &mut w.demo.rng;
        let mdoc = w
            .demo
            .issuer
            .issue(&doc, &account.device_key, validity, None, now, rng)
            .unwrap();
        let qr = w
            .demo
            .issuer
            .issue_compact(&doc, &account.device_key, validity, None, now, rng)
            .unwrap();
        wallet
            .add_document(
                &mdoc.to_bytes().unwrap(),
                Some(&qr.to_bytes().unwrap()),
                None,
            )
            .unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (mut last_entries, mut last_grants) = (0usize, 0usize);
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_wallet_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Opening and unlocking (PBKDF2) takes a while; kill anywhere in the writes after.
        std::thread::sleep(StdDuration::from_millis(
            150 + u64::from(rng.next_u32() % 150),
        ));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let wallet = open(&tmp, &w, 1000 + round as u64);
        let entries = wallet
            .verify_log()
            .unwrap_or_else(|e| panic!("round {round}: log: {e}"));
        let log = wallet.audit_log(None, None, None).unwrap();
        let grants = wallet.grants().unwrap();
        let granted = log
            .iter()
            .filter(|(_, e)| e.outcome == Outcome::Granted)
            .count();
        let revoked_entries = log
            .iter()
            .filter(|(_, e)| e.outcome == Outcome::Revoked)
            .count();
        let revoked = grants.iter().filter(|g| g.revoked_at.is_some()).count();
        assert_eq!(
            granted,
            grants.len(),
            "round {round}: a grant without its entry"
        );
        assert_eq!(
            revoked_entries, revoked,
            "round {round}: a revocation without its entry"
        );
        let mut per_grant: std::collections::HashMap<&str, usize> = Default::default();
        for (_, e) in &log {
            if let Some(id) = e
                .reason
                .as_deref()
                .and_then(|r| r.strip_prefix("grant "))
                .and_then(|r| r.split(' ').next())
            {
                *per_grant.entry(id).or_default() += 1;
            }
        }
        assert_eq!(
            per_grant.len(),
            grants.len(),
            "round {round}: entries name unknown grants"
        );
        for g in &grants {
            let n = per_grant.get(g.id.as_str()).copied().unwrap_or(0);
            let want = if g.revoked_at.is_some() { 2 } else { 1 };
            assert_eq!(n, want, "round {round}: grant {} has {n} entries", g.id);
        }
        assert!(entries >= last_entries, "round {round}: the log shrank");
        assert!(
            grants.len() >= last_grants,
            "round {round}: a grant vanished"
        );
        assert_eq!(wallet.documents().unwrap().len(), 1, "round {round}");
        last_entries = entries;
        last_grants = grants.len();
    }
    assert!(last_grants > 0, "the children never wrote");
    eprintln!("{KILLS} kills: {last_entries} log entries, {last_grants} grants, all whole");
    let _ = std::fs::remove_dir_all(&tmp);
}
