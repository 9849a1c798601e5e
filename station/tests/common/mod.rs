//! Shared set-up of the station's HTTP tests: a station on 127.0.0.1 (port chosen by the OS)
//! with a clock the test moves, a small HTTP/1.1 client (hyper's) plus raw TCP for malformed
//! requests, and for challenge mode a relying party registered with a registry and a citizen's
//! real wallet (the core's `Wallet`) whose registry trusts it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cancuoc_core::account::Passcode;
use cancuoc_core::document::DocumentKind;
use cancuoc_core::fixtures::DemoWorld;
use cancuoc_core::issuance::{CredentialValidity, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::time_fmt::Clock;
use cancuoc_core::trust::TrustList;
use cancuoc_core::wallet::{Activation, AssuranceLevel, Wallet, WalletConfig};
use cancuoc_core::x509::{CertificateParams, make_reader_certificate};
use cancuoc_station::challenge::Party;
use cancuoc_station::{Config, Running};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A clock the test sets.
#[derive(Debug, Default)]
pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn at(t: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(t.unix_timestamp())))
    }
    pub fn set(&self, t: OffsetDateTime) {
        self.0.store(t.unix_timestamp(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn vectors() -> PathBuf {
    repo().join("test-vectors")
}

/// The vectors' manifest.
pub fn manifest() -> Value {
    let text = std::fs::read_to_string(vectors().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn made_at() -> OffsetDateTime {
    cancuoc_core::time_fmt::parse_rfc3339("2026-11-23T08:00:20Z").unwrap()
}

/// A config on 127.0.0.1:0 with the test vectors' trust list, a fresh data directory and the
/// given clock.
pub fn config(data: &Path, clock: Arc<TestClock>) -> Config {
    let mut c = Config::new(vectors().join("trust"), data.to_owned());
    c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    c.verifier_id = "phongkham-anbinh.example.vn".into();
    c.clock = clock;
    c.seed = Some(1);
    c
}

pub async fn start(config: Config) -> Running {
    cancuoc_station::start(config).await.unwrap()
}

/// One response: status, content type, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// Sends one request on a new connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

pub async fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Reply {
    send(
        addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, "GET", path, &[], Vec::new()).await
}

/// Writes raw bytes and reads whatever comes back until the server closes or 2 s pass.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A relying party `id` registered with a fresh registry (as `cancuoc party` does): the party,
/// and the registry as a wallet's trust list of relying parties.
pub fn register_party(id: &str, now: OffsetDateTime, seed: u64) -> (Party, TrustList) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut ca = cancuoc_core::fixtures::iaca_params(now - Duration::days(1));
    ca.common_name = "Cổng dữ liệu quốc gia — đăng ký bên khai thác".into();
    let registry = IssuingAuthority::generate(&ca, &mut rng).unwrap();
    let key = PrivateKey::generate(&mut rng);
    let params = CertificateParams {
        country: "VN".into(),
        organization: Some("Phòng khám Đa khoa An Bình".into()),
        common_name: id.into(),
        issuer_contact: "https://rp.example.vn".into(),
        crl_url: None,
        not_before: now - Duration::days(1),
        not_after: now + Duration::days(365),
    };
    let cert = make_reader_certificate(
        registry.key(),
        registry.certificate(),
        &key.public_key(),
        &params,
        &mut rng,
    )
    .unwrap();
    let list = TrustList::new(vec![registry.certificate().clone()]).unwrap();
    (Party::new(key, cert).unwrap(), list)
}

/// Writes a world's IACA and Document Signer as a station's trust directory.
pub fn trust_dir(world: &DemoWorld, dir: &Path) {
    std::fs::write(
        dir.join("iaca.pem"),
        world.authority.certificate().to_pem().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("ds.pem"),
        world.issuer.certificate().to_pem().unwrap(),
    )
    .unwrap();
}

pub const PASSCODE: &str = "246810";

/// A citizen's wallet in `dir` on the test's clock: opened with the world's issuer as its
/// issuer trust and `parties` as its registry of relying parties, activated, and holding the
/// health insurance card the world's issuer issued to its device key.
pub fn citizen_wallet(
    dir: &Path,
    world: &mut DemoWorld,
    parties: TrustList,
    clock: Arc<TestClock>,
) -> Wallet {
    let now = clock.now();
    let keys = SoftwareKeyStore::open(&dir.join("keys"), Box::new(ChaCha20Rng::seed_from_u64(31)))
        .unwrap();
    let issuers = TrustList::new(vec![
        world.authority.certificate().clone(),
        world.issuer.certificate().clone(),
    ])
    .unwrap();
    let wallet = Wallet::open(
        &dir.join("wallet.db"),
        Arc::new(keys),
        clock,
        Box::new(ChaCha20Rng::seed_from_u64(32)),
        WalletConfig::new(issuers, parties),
    )
    .unwrap();
    let account = wallet
        .activate(
            Activation {
                personal_id: "001090012345".into(),
                full_name: "NGUYỄN VĂN AN".into(),
                birth_date: time::macros::date!(1990 - 05 - 14),
                level: AssuranceLevel::Level2,
                id_card_expiry: None,
            },
            &Passcode::new(PASSCODE).unwrap(),
        )
        .unwrap();
    let card = cancuoc_core::document::samples::all()
        .into_iter()
        .find(|d| d.kind() == DocumentKind::HealthInsurance)
        .unwrap();
    let validity = CredentialValidity {
        valid_from: now - Duration::hours(1),
        valid_until: now + Duration::days(90),
        expected_update: None,
    };
    let issued_at = now - Duration::hours(1);
    let mdoc = world
        .issuer
        .issue(
            &card,
            &account.device_key,
            validity,
            None,
            issued_at,
            &mut world.rng,
        )
        .unwrap();
    let qr = world
        .issuer
        .issue_compact(
            &card,
            &account.device_key,
            validity,
            None,
            issued_at,
            &mut world.rng,
        )
        .unwrap();
    wallet
        .add_document(
            &mdoc.to_bytes().unwrap(),
            Some(&qr.to_bytes().unwrap()),
            None,
        )
        .unwrap();
    wallet
}
