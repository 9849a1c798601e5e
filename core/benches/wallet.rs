//! Criterion benchmarks of the wallet on disk: open a wallet holding 50 documents and 10,000
//! log entries, present a static QR from an open wallet (passcode given; signing included),
//! answer a signed challenge request, and verify the 10,000-entry log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::sync::Arc;

use cancuoc_core::account::Passcode;
use cancuoc_core::consent::Approval;
use cancuoc_core::document::{Document, DocumentKind, samples};
use cancuoc_core::fixtures::{CLINIC_ELEMENTS, DemoWorld, iaca_params};
use cancuoc_core::issuance::{CredentialValidity, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::qr::signed_request::SignedRequest;
use cancuoc_core::time_fmt::FixedClock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{Activation, AssuranceLevel, Wallet, WalletConfig};
use cancuoc_core::x509::{CertificateParams, make_reader_certificate};
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::Duration;
use time::macros::datetime;

const DOCUMENTS: usize = 50;
const LOG_ENTRIES: usize = 10_000;

fn benches(c: &mut Criterion) {
    let now = datetime!(2026-11-23 08:00:00 UTC);
    let mut world = DemoWorld::build(1, now).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let ca = IssuingAuthority::generate(&iaca_params(now - Duration::days(1)), &mut rng).unwrap();
    let rp_key = PrivateKey::generate(&mut rng);
    let rp_cert = make_reader_certificate(
        ca.key(),
        ca.certificate(),
        &rp_key.public_key(),
        &CertificateParams {
            country: "VN".into(),
            organization: Some("Phòng khám".into()),
            common_name: "vn.clinic.bench".into(),
            issuer_contact: "https://rp.example.vn".into(),
            crl_url: None,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(300),
        },
        &mut rng,
    )
    .unwrap();
    let dir = tempfile_dir();
    let keys: Arc<SoftwareKeyStore> = Arc::new(
        SoftwareKeyStore::open(&dir.join("keys"), Box::new(ChaCha20Rng::seed_from_u64(3))).unwrap(),
    );
    let config = WalletConfig::new(
        TrustList::new(vec![
            world.authority.certificate().clone(),
            world.issuer.certificate().clone(),
        ])
        .unwrap(),
        TrustList::new(vec![ca.certificate().clone()]).unwrap(),
    );
    let clock = Arc::new(FixedClock(now));
    let open_at = |file: &str| {
        Wallet::open(
            &dir.join(file),
            keys.clone(),
            clock.clone(),
            Box::new(ChaCha20Rng::seed_from_u64(4)),
            config.clone(),
        )
        .unwrap()
    };
    let open = || open_at("wallet.db");
    let pin = Passcode::new("246810").unwrap();
    let wallet = open();
    let account = wallet
        .activate(
            Activation {
                personal_id: "001090012345".into(),
                full_name: "NGUYỄN VĂN AN".into(),
                birth_date: time::macros::date!(1990 - 05 - 01),
                level: AssuranceLevel::Level2,
                id_card_expiry: None,
            },
            &pin,
        )
        .unwrap();
    // 50 documents: the health insurance card and 49 vehicles.
    let validity = CredentialValidity {
        valid_from: now,
        valid_until: now + Duration::days(90),
        expected_update: None,
    };
    let all = samples::all();
    let mut docs: Vec<Document> = vec![
        all.iter()
            .find(|d| d.kind() == DocumentKind::HealthInsurance)
            .unwrap()
            .clone(),
    ];
    for i in 0..DOCUMENTS - 1 {
        let mut v = all
            .iter()
            .find(|d| d.kind() == DocumentKind::VehicleRegistration)
            .unwrap()
            .clone();
        if let Document::VehicleRegistration(r) = &mut v {
            r.plate_number = format!("30A-{:03}.{:02}", 100 + i, i % 100);
        }
        docs.push(v);
    }
    for d in &docs {
        let mdoc = world
            .issuer
            .issue(d, &account.device_key, validity, None, now, &mut world.rng)
            .unwrap();
        let qr = world
            .issuer
            .issue_compact(d, &account.device_key, validity, None, now, &mut world.rng)
            .unwrap();
        wallet
            .add_document(
                &mdoc.to_bytes().unwrap(),
                Some(&qr.to_bytes().unwrap()),
                None,
            )
            .unwrap();
    }
    let cards = wallet.documents().unwrap();
    assert_eq!(cards.len(), DOCUMENTS);
    let bhyt = cards
        .iter()
        .find(|d| d.kind == DocumentKind::HealthInsurance)
        .unwrap()
        .id
        .clone();
    for _ in 0..LOG_ENTRIES {
        wallet.present_qr(&bhyt, &["card_code"]).unwrap();
    }
    assert_eq!(wallet.verify_log().unwrap(), LOG_ENTRIES);
    drop(wallet);
    // A copy that keeps exactly 10,000 entries for the log check (presenting below adds more).
    std::fs::copy(dir.join("wallet.db"), dir.join("wallet-10k.db")).unwrap();

    c.bench_function("open wallet (50 documents, 10,000 log entries)", |b| {
        b.iter(|| black_box(open()))
    });
    c.bench_function("open wallet and list its 50 document cards", |b| {
        b.iter(|| black_box(open().documents().unwrap()))
    });
    let wallet = open();
    wallet.unlock(&pin).unwrap();
    // Presenting appends to the log; the log grows by the benchmark's iterations.
    c.bench_function("present clinic QR from an open wallet (sign + log)", |b| {
        b.iter(|| {
            wallet
                .present_qr(black_box(&bhyt), CLINIC_ELEMENTS)
                .unwrap()
        })
    });
    c.bench_function(
        "answer a signed challenge request (check + prompt + sign + log)",
        |b| {
            b.iter(|| {
                let req = SignedRequest::new(
                    rp_cert.clone(),
                    DocumentKind::HealthInsurance,
                    CLINIC_ELEMENTS,
                    &[],
                    "Tiếp đón",
                    now,
                    Duration::minutes(5),
                    &mut rng,
                )
                .unwrap();
                let text = req.sign(&rp_key).unwrap();
                let prompt = wallet.respond(&text, None).unwrap();
                wallet.answer(&prompt.id, Approval::All).unwrap()
            })
        },
    );
    drop(wallet);
    let wallet = open_at("wallet-10k.db");
    let n = wallet.verify_log().unwrap();
    c.bench_function(&format!("verify_log over {n} entries"), |b| {
        b.iter(|| wallet.verify_log().unwrap())
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cancuoc-bench-wallet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

criterion_group! {
    name = wallet;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(wallet);
