//! The station with the identity service (`--service`): the real service on 127.0.0.1 issues
//! a citizen's health card to a real wallet; the station verifies the card's QR with the
//! service's signed lists, sees the insurer's revocation at its next refresh, and — with the
//! service gone — keeps using the lists it cached, across a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use cancuoc_core::account::Passcode;
use cancuoc_core::document::{DocumentKind, Sex};
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::service::{Registration, ServiceClient, ServiceConfig};
use cancuoc_core::time_fmt::SystemClock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{Wallet, WalletConfig};
use cancuoc_identity::seed::{self, DEMO_OFFICER_TOKEN, Seed};
use cancuoc_identity::store::sqlite::SqliteStore;
use cancuoc_identity::store::{Val, transact};
use cancuoc_identity::{Config as ServiceSettings, Service};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;
use zeroize::Zeroizing;

const PID: &str = "001090012345";
const PASSWORD: &str = "Cancuoc@2026x";

fn officer_post(addr: &str, path: &str, body: &str) -> u16 {
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
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn verify(addr: std::net::SocketAddr, text: &str) -> serde_json::Value {
    common::post_json(
        addr,
        "/api/verify",
        &json!({ "text": text, "channel": "api" }),
    )
    .await
    .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_from_the_identity_service_revoke_and_survive_going_offline() {
    // The identity service, in this process, on its own port.
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_dir(&tmp.path().join("service")).unwrap());
    let seed_file = common::repo().join("identity-service/seed/citizens.json");
    seed::load(store.as_ref(), &Seed::read(&seed_file).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let url = format!("http://{addr}");
    let mut settings = ServiceSettings::new(&url);
    settings.pbkdf2_iterations = 1_000;
    let service = Service::new(
        settings,
        store.clone(),
        Arc::new(SystemClock),
        ChaCha20Rng::seed_from_u64(9),
    )
    .unwrap();
    let iaca = service
        .inner()
        .authority
        .trust_certificates()
        .into_iter()
        .find(|c| c.check_iaca_profile().is_ok())
        .unwrap();
    let (stop_service, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(service.serve(listener, async {
        let _ = stopped.await;
    }));

    // A citizen registers, activates, is verified in person and syncs: the health card.
    let (u, i, a) = (url.clone(), iaca.clone(), addr.clone());
    let (wallet, qr) = tokio::task::spawn_blocking(move || {
        let client =
            ServiceClient::new(ServiceConfig::new(&u), &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
        client
            .register(&Registration {
                personal_id: PID.into(),
                full_name: "NGUYỄN VĂN AN".into(),
                birth_date: time::macros::date!(1990 - 05 - 14),
                sex: Sex::Male,
                phone: "0912345678".into(),
                email: "an@example.vn".into(),
                password: Zeroizing::new(PASSWORD.into()),
            })
            .unwrap();
        let dir = tempfile::tempdir().unwrap().keep();
        let keys =
            SoftwareKeyStore::open(&dir.join("keys"), Box::new(ChaCha20Rng::seed_from_u64(3)))
                .unwrap();
        let wallet = Wallet::open(
            &dir.join("wallet.db"),
            Arc::new(keys),
            Arc::new(SystemClock),
            Box::new(ChaCha20Rng::seed_from_u64(4)),
            WalletConfig::new(TrustList::new(vec![i]).unwrap(), TrustList::default()),
        )
        .unwrap();
        let passcode = Passcode::new(common::PASSCODE).unwrap();
        wallet
            .activate_online(&client, PID, PASSWORD, &passcode)
            .unwrap();
        assert_eq!(
            officer_post(
                &a,
                &format!("/v1/officer/accounts/{PID}/level2"),
                r#"{"method":"fingerprint","reference":"quầy 1"}"#
            ),
            200
        );
        wallet.sync(&client).unwrap();
        let card = wallet
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| d.kind == DocumentKind::HealthInsurance)
            .unwrap();
        let qr = wallet
            .present_qr(&card.id, &["card_code", "holder_name", "valid_until"])
            .unwrap();
        (wallet, qr.text)
    })
    .await
    .unwrap();

    // The station trusts only the IACA; the service's trust list adds its Document Signer.
    let trust = tmp.path().join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::write(trust.join("iaca.pem"), iaca.to_pem().unwrap()).unwrap();
    let data = tmp.path().join("station");
    let mut config = cancuoc_station::Config::new(trust.clone(), data.clone());
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.service = Some(url.clone());
    config.service_refresh = Duration::from_millis(300);
    let station = common::start(config).await;
    let health = common::get(station.addr, "/api/health").await.json();
    assert_eq!(health["status_list"]["present"], true, "{health}");
    assert_eq!(health["service"]["trust_list"]["present"], true, "{health}");
    let v = verify(station.addr, &qr).await;
    assert_eq!(v["valid"], true, "{v}");

    // The insurer withdraws the card: the station's next refresh rejects it.
    let doc_id = transact(store.as_ref(), |tx| {
        tx.query_one(
            "SELECT id FROM documents WHERE personal_id = ?1 AND kind = 'health_insurance' \
             AND revoked_at IS NULL",
            &[Val::from(PID)],
        )?
        .text(0)
    })
    .unwrap();
    let a = addr.clone();
    let status = tokio::task::spawn_blocking(move || {
        officer_post(
            &a,
            &format!("/v1/officer/documents/{doc_id}/revoke"),
            r#"{"reason":"thẻ bị thu hồi"}"#,
        )
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    let mut rejected = serde_json::Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        rejected = verify(station.addr, &qr).await;
        if rejected["valid"] == false {
            break;
        }
    }
    assert_eq!(rejected["valid"], false, "{rejected}");
    assert_eq!(rejected["code"], "revoked", "{rejected}");

    // The service goes away: the station says so and keeps the lists it has.
    let _ = stop_service.send(());
    let _ = served.await;
    let mut health = serde_json::Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        health = common::get(station.addr, "/api/health").await.json();
        if health["service"]["problem"].is_string() {
            break;
        }
    }
    assert!(health["service"]["problem"].is_string(), "{health}");
    let codes: Vec<String> = health["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str().map(str::to_owned))
        .collect();
    assert!(
        codes.contains(&"service_unreachable".to_owned()),
        "{codes:?}"
    );
    assert_eq!(verify(station.addr, &qr).await["code"], "revoked");
    station.stop().await;

    // A restart with no service: the cached lists still revoke the card.
    let mut config = cancuoc_station::Config::new(trust, data);
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.service = Some(url);
    let again = common::start(config).await;
    let v = verify(again.addr, &qr).await;
    assert_eq!(v["code"], "revoked", "{v}");
    again.stop().await;
    drop(wallet);
}
