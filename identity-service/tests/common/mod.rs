//! Shared set-up of the identity service's HTTP tests: the service on 127.0.0.1 (port chosen by
//! the OS) over a fresh SQLite file or a fresh PostgreSQL schema (from `CANCUOC_TEST_POSTGRES`;
//! skipped with a notice when unset, a failure when `CI` is set), a clock the test moves, a
//! small HTTP/1.1 client (hyper's), and the citizen-side helpers: device keys, session proofs,
//! registration bodies.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cancuoc_core::keys::PrivateKey;
use cancuoc_core::time_fmt::Clock;
use cancuoc_identity::seed::{self, Citizen, Seed};
use cancuoc_identity::store::Store;
use cancuoc_identity::store::postgres::PostgresStore;
use cancuoc_identity::store::sqlite::SqliteStore;
use cancuoc_identity::{Config, Service};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// The tests' start: the benchmark day.
pub fn t0() -> OffsetDateTime {
    cancuoc_core::time_fmt::parse_rfc3339("2026-11-23T08:00:00Z").unwrap()
}

pub const PASSWORD: &str = "Mật-khẩu-2026";
pub const OFFICER: &str = seed::DEMO_OFFICER_TOKEN;

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
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.whole_seconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running service.
pub struct Env {
    pub addr: SocketAddr,
    pub service: Option<Service>,
    pub clock: Arc<TestClock>,
    pub seed: Seed,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// Whether this backend runs here: PostgreSQL needs `CANCUOC_TEST_POSTGRES`; under CI its
/// absence is a failure, not a skip.
fn postgres_url() -> Option<String> {
    match std::env::var("CANCUOC_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but CANCUOC_TEST_POSTGRES is not: the PostgreSQL half of the identity \
                 service tests must run in CI (.ci/run starts PostgreSQL and exports it)"
            );
            // Past the test harness's capture (which takes eprintln!), so it shows in the run.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: CANCUOC_TEST_POSTGRES is not set; the PostgreSQL half of this test is skipped"
            );
            None
        }
    }
}

/// Starts the service on the shipped seed.
pub async fn start(backend: Backend) -> Option<Env> {
    let clock = TestClock::at(t0());
    let seed = seed::shipped();
    let (store, postgres, dir): (Arc<dyn Store>, _, _) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data");
            let store = tokio::task::spawn_blocking(move || SqliteStore::open_dir(&path))
                .await
                .unwrap()
                .unwrap();
            (Arc::new(store), None, Some(dir))
        }
        Backend::Postgres => {
            let url = postgres_url()?;
            let mut r = [0u8; 8];
            getrandom::fill(&mut r).unwrap();
            let schema = format!("t_{}", hex::encode(r));
            let (u, s) = (url.clone(), schema.clone());
            let store =
                tokio::task::spawn_blocking(move || PostgresStore::connect(&u, Some(&s), 2))
                    .await
                    .unwrap()
                    .unwrap();
            (Arc::new(store), Some((url, schema)), None)
        }
    };
    let mut config = Config::new("http://identity.test");
    config.pbkdf2_iterations = 1000;
    config.status_list_size = 1 << 17;
    let (s2, seed2, clock2) = (store.clone(), seed.clone(), clock.clone());
    let service = tokio::task::spawn_blocking(move || {
        seed::load(s2.as_ref(), &seed2).unwrap();
        Service::new(config, s2, clock2, ChaCha20Rng::seed_from_u64(7)).unwrap()
    })
    .await
    .unwrap();
    drop(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = service.clone();
    let task = tokio::spawn(async move {
        server
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Some(Env {
        addr,
        service: Some(service),
        clock,
        seed,
        stop: Some(tx),
        task: Some(task),
        postgres,
        _dir: dir,
    })
}

impl Drop for Env {
    // A test that panicked never reached `stop`: its PostgreSQL schema is dropped here, on a
    // plain thread (the synchronous client must not run on the runtime's thread).
    fn drop(&mut self) {
        if let Some((url, schema)) = self.postgres.take() {
            let _ = std::thread::spawn(move || PostgresStore::drop_schema(&url, &schema)).join();
        }
    }
}

impl Env {
    pub fn service(&self) -> &Service {
        self.service.as_ref().unwrap()
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Stops the server and drops the PostgreSQL schema.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
        let service = self.service.take();
        tokio::task::spawn_blocking(move || drop(service))
            .await
            .unwrap();
        if let Some((url, schema)) = self.postgres.take() {
            tokio::task::spawn_blocking(move || PostgresStore::drop_schema(&url, &schema))
                .await
                .unwrap()
                .unwrap();
        }
    }

    pub fn citizen(&self, i: usize) -> Citizen {
        self.seed.citizens[i].clone()
    }

    /// The first citizen (from index 1) matching `f`.
    pub fn find(&self, f: impl Fn(&Citizen) -> bool) -> Citizen {
        self.seed.citizens[1..]
            .iter()
            .find(|c| f(c))
            .unwrap()
            .clone()
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        send(self.addr, method, path, headers, body).await
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
        let auth = bearer.map(|b| format!("Bearer {b}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.send("POST", path, &headers, serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        let auth = bearer.map(|b| format!("Bearer {b}"));
        let mut headers = vec![];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.send("GET", path, &headers, Vec::new()).await
    }

    pub async fn documents(&self, session: &str, key: &str, kinds: &[&str]) -> Reply {
        let auth = format!("Bearer {session}");
        self.send(
            "POST",
            "/v1/documents",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
                ("idempotency-key", key),
            ],
            serde_json::to_vec(&json!({ "kinds": kinds })).unwrap(),
        )
        .await
    }

    /// Registers a citizen with a phone derived from the personal id.
    pub async fn register(&self, c: &Citizen) -> Reply {
        self.post("/v1/accounts", None, &registration(c, &phone_of(c)))
            .await
    }

    pub async fn upgrade(&self, c: &Citizen) -> Reply {
        self.post(
            &format!("/v1/officer/accounts/{}/level2", c.personal_id()),
            Some(OFFICER),
            &json!({ "method": "portrait", "reference": "Trạm tiếp dân Hoàn Kiếm, hồ sơ 17" }),
        )
        .await
    }

    /// Signs in with `device`: the reply (201 active or 202 change pending).
    pub async fn sign_in(&self, c: &Citizen, device: &PrivateKey) -> Reply {
        self.post(
            "/v1/sessions",
            None,
            &session_body(
                c.personal_id(),
                PASSWORD,
                device,
                self.now().unix_timestamp(),
            ),
        )
        .await
    }

    /// Registered, level 2, signed in on a new device: (device key, session token).
    pub async fn ready(&self, c: &Citizen, level2: bool) -> (PrivateKey, String) {
        assert_eq!(self.register(c).await.status, 201);
        if level2 {
            assert_eq!(self.upgrade(c).await.status, 200);
        }
        let device = new_device(
            c.personal_id().len() as u64 + self.now().unix_timestamp() as u64 + rand_u64(),
        );
        let r = self.sign_in(c, &device).await;
        assert_eq!(r.status, 201, "{}", r.text());
        (device, r.json()["session"].as_str().unwrap().to_owned())
    }
}

fn rand_u64() -> u64 {
    let mut r = [0u8; 8];
    getrandom::fill(&mut r).unwrap();
    u64::from_le_bytes(r)
}

/// A phone number derived from the personal id.
pub fn phone_of(c: &Citizen) -> String {
    format!("09{}", &c.personal_id()[4..])
}

pub fn registration(c: &Citizen, phone: &str) -> Value {
    json!({
        "personal_id": c.personal_id(),
        "full_name": c.identity.full_name,
        "birth_date": cancuoc_core::time_fmt::date(c.identity.birth_date),
        "sex": c.identity.sex,
        "phone": phone,
        "email": format!("{}@example.vn", c.personal_id()),
        "password": PASSWORD,
    })
}

pub fn new_device(seed: u64) -> PrivateKey {
    PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

pub fn b64(bytes: &[u8]) -> String {
    cancuoc_identity::secrets::b64(bytes)
}

pub fn session_body(pid: &str, password: &str, device: &PrivateKey, signed_at: i64) -> Value {
    let key = b64(&device.public_key().sec1());
    let msg = cancuoc_identity::accounts::proof_message(pid, &key, signed_at);
    json!({
        "personal_id": pid,
        "password": password,
        "device_key": key,
        "signed_at": signed_at,
        "proof": b64(&device.sign(msg.as_bytes())),
    })
}

/// One response: status, headers, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
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
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
    /// Asserts the status and the JSON error code (with both messages present).
    pub fn refused(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let j = self.json();
        assert_eq!(j["error"]["code"], code, "{j}");
        assert!(!j["error"]["message"].as_str().unwrap().is_empty());
        assert!(!j["error"]["message_en"].as_str().unwrap().is_empty());
        assert!(self.header("content-type").starts_with("application/json"));
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
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Runs an async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(env) = $crate::common::start($crate::common::Backend::Sqlite).await {
                        super::$name(&env).await;
                        env.stop().await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(env) = $crate::common::start($crate::common::Backend::Postgres).await {
                        super::$name(&env).await;
                        env.stop().await;
                    }
                }
            }
        )*
    };
}
