//! Shared set-up of the station's HTTP tests: a station on 127.0.0.1 (port chosen by the OS)
//! with a clock the test moves, and a small HTTP/1.1 client (hyper's) plus raw TCP for
//! malformed requests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cancuoc_core::time_fmt::Clock;
use cancuoc_station::{Config, Running};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;
use time::OffsetDateTime;
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
