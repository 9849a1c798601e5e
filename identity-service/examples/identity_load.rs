//! A load generator for the identity service on loopback: document issuance and list fetches.
//!
//! 1. Prepares accounts (not timed): registers up to `--accounts` citizens of the seed file the
//!    service was started with, raises them to level 2 with the officer token, and signs each in
//!    with a fresh device key.
//! 2. Issuance: N keep-alive HTTP/1.1 connections (hyper's client) each take the next prepared
//!    account and `POST /v1/documents` every kind that citizen has a record of, with a fresh
//!    `Idempotency-Key`, until the accounts or the time run out; documents issued per second.
//! 3. Lists: the same connections fetch `GET /v1/trust-list` and `GET /v1/status-lists/1` in
//!    turn for a fixed time; fetches per second.
//!
//! Both print throughput and latency percentiles (p50, p90, p99, max) and the count of
//! unexpected answers.
//!
//! `cargo run --release -p cancuoc-identity --example identity_load -- --url http://127.0.0.1:PORT
//!  --seed FILE [--accounts 4000] [--connections 32] [--seconds 10] [--officer-token T]`
//!
//! Start the service with the same seed file, and with `--pbkdf2-iterations 1000` so that the
//! preparation does not spend minutes hashing passwords (issuance does not touch them). It only
//! talks to the address given, which must be on this machine (127.0.0.0/8 or [::1]), and stops
//! by itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cancuoc_core::keys::PrivateKey;
use cancuoc_identity::seed::{self, Citizen, Seed};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const PASSWORD: &str = "Tải-thử-2026";

struct Args {
    addr: SocketAddr,
    seed: Seed,
    accounts: usize,
    connections: usize,
    seconds: u64,
    officer: String,
}

fn args() -> Result<Args, Failure> {
    let (mut url, mut seed_path, mut accounts, mut connections, mut seconds) =
        (None, None, 4000usize, 32usize, 10u64);
    let mut officer = seed::DEMO_OFFICER_TOKEN.to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--url" => url = Some(val()?),
            "--seed" => seed_path = Some(val()?),
            "--accounts" => accounts = val()?.parse()?,
            "--connections" => connections = val()?.parse()?,
            "--seconds" => seconds = val()?.parse()?,
            "--officer-token" => officer = val()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let url = url.ok_or("--url http://127.0.0.1:PORT is required")?;
    let host = url
        .strip_prefix("http://")
        .ok_or("--url must be http://")?
        .trim_end_matches('/');
    let addr: SocketAddr = host.parse()?;
    if !addr.ip().is_loopback() {
        return Err("the load generator only targets loopback addresses".into());
    }
    let seed = Seed::read(std::path::Path::new(
        &seed_path.ok_or("--seed FILE (the service's seed file) is required")?,
    ))?;
    if !(1..=1024).contains(&connections) || !(1..=300).contains(&seconds) {
        return Err("--connections 1–1024, --seconds 1–300".into());
    }
    Ok(Args {
        addr,
        seed,
        accounts,
        connections,
        seconds,
        officer,
    })
}

/// One keep-alive connection.
struct Conn {
    addr: SocketAddr,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Self, Failure> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self { addr, sender })
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Bytes), Failure> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(b)?)
            }
            None => Bytes::new(),
        };
        self.sender.ready().await?;
        let res = self.sender.send_request(req.body(Full::new(body))?).await?;
        let status = res.status().as_u16();
        Ok((status, res.into_body().collect().await?.to_bytes()))
    }
}

fn b64(bytes: &[u8]) -> String {
    cancuoc_identity::secrets::b64(bytes)
}

/// Registers, upgrades and signs in one citizen: its session and the kinds it has records of.
async fn prepare(
    conn: &mut Conn,
    c: &Citizen,
    officer: &str,
    n: u64,
) -> Result<(String, Vec<&'static str>), Failure> {
    let pid = c.personal_id();
    let phone = format!("09{}", pid.get(4..).unwrap_or("00000000"));
    let reg = json!({
        "personal_id": pid,
        "full_name": c.identity.full_name,
        "birth_date": cancuoc_core::time_fmt::date(c.identity.birth_date),
        "sex": c.identity.sex,
        "phone": phone,
        "email": format!("{pid}@load.example"),
        "password": PASSWORD,
    });
    let (s, b) = conn.send("POST", "/v1/accounts", &[], Some(&reg)).await?;
    if s != 201 && s != 409 {
        return Err(format!("register {s}: {}", String::from_utf8_lossy(&b)).into());
    }
    let auth = format!("Bearer {officer}");
    let (s, b) = conn
        .send(
            "POST",
            &format!("/v1/officer/accounts/{pid}/level2"),
            &[("authorization", &auth)],
            Some(&json!({ "method": "portrait", "reference": "load test" })),
        )
        .await?;
    if s != 200 {
        return Err(format!("level 2 {s}: {}", String::from_utf8_lossy(&b)).into());
    }
    let device = PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(n));
    let key = b64(&device.public_key().sec1());
    let signed_at = time::OffsetDateTime::now_utc().unix_timestamp();
    let msg = cancuoc_identity::accounts::proof_message(pid, &key, signed_at);
    let body = json!({
        "personal_id": pid, "password": PASSWORD, "device_key": key, "signed_at": signed_at,
        "proof": b64(&device.sign(msg.as_bytes())),
    });
    let (s, b) = conn.send("POST", "/v1/sessions", &[], Some(&body)).await?;
    if s != 201 {
        return Err(format!("session {s}: {}", String::from_utf8_lossy(&b)).into());
    }
    let v: Value = serde_json::from_slice(&b)?;
    let session = v
        .get("session")
        .and_then(Value::as_str)
        .ok_or("no session")?
        .to_owned();
    let mut kinds = vec!["citizen_identity"];
    if c.driving_licence.is_some() {
        kinds.push("driving_licence");
    }
    if c.health_insurance.is_some() {
        kinds.push("health_insurance");
    }
    if !c.vehicles.is_empty() {
        kinds.push("vehicle_registration");
    }
    Ok((session, kinds))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round();
    let i = (rank as usize).min(sorted.len() - 1);
    sorted.get(i).map_or(0.0, |v| f64::from(*v) / 1000.0)
}

fn summary(what: &str, unit: &str, count: usize, latencies: &mut [u32], secs: f64, bad: u64) {
    latencies.sort_unstable();
    println!(
        "{what}: {count} {unit} in {secs:.1} s = {:.0} {unit}/s ({} requests); latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; unexpected answers {bad}",
        count as f64 / secs,
        latencies.len(),
        percentile(latencies, 50.0),
        percentile(latencies, 90.0),
        percentile(latencies, 99.0),
        percentile(latencies, 100.0),
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let a = args()?;
    let citizens: Vec<Citizen> = a.seed.citizens.iter().take(a.accounts).cloned().collect();
    let started = Instant::now();

    // 1. Accounts, 8 at a time.
    let next = Arc::new(AtomicUsize::new(0));
    let citizens = Arc::new(citizens);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (next, citizens, officer, addr) =
            (next.clone(), citizens.clone(), a.officer.clone(), a.addr);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut ready = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(c) = citizens.get(i) else { break };
                ready.push(prepare(&mut conn, c, &officer, i as u64 + 1).await?);
            }
            Ok::<_, Failure>(ready)
        }));
    }
    let mut prepared = Vec::new();
    for t in tasks {
        prepared.extend(t.await??);
    }
    eprintln!(
        "prepared {} level-2 accounts with a bound device in {:.1} s",
        prepared.len(),
        started.elapsed().as_secs_f64()
    );

    // 2. Issuance.
    let prepared = Arc::new(prepared);
    let next = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let (next, prepared, addr) = (next.clone(), prepared.clone(), a.addr);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let (mut latencies, mut issued, mut bad) = (Vec::new(), 0usize, 0u64);
            while Instant::now() < until {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((session, kinds)) = prepared.get(i) else {
                    break;
                };
                let auth = format!("Bearer {session}");
                let key = format!("load-{i}");
                let t = Instant::now();
                let (s, b) = conn
                    .send(
                        "POST",
                        "/v1/documents",
                        &[("authorization", &auth), ("idempotency-key", &key)],
                        Some(&json!({ "kinds": kinds })),
                    )
                    .await?;
                latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                let n = serde_json::from_slice::<Value>(&b)
                    .ok()
                    .and_then(|v| v.get("documents").and_then(Value::as_array).map(Vec::len))
                    .unwrap_or(0);
                if s != 200 || n == 0 {
                    bad += 1;
                }
                issued += n;
            }
            Ok::<_, Failure>((latencies, issued, bad))
        }));
    }
    let (mut all, mut issued, mut bad) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, n, b) = t.await??;
        all.extend(l);
        issued += n;
        bad += b;
    }
    let secs = began.elapsed().as_secs_f64();
    summary(
        &format!("POST /v1/documents over {} connections", a.connections),
        "documents issued",
        issued,
        &mut all,
        secs,
        bad,
    );

    // 3. Lists.
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..a.connections {
        let addr = a.addr;
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let (mut latencies, mut bad) = (Vec::new(), 0u64);
            let mut flip = k % 2 == 0;
            while Instant::now() < until {
                let path = if flip {
                    "/v1/trust-list"
                } else {
                    "/v1/status-lists/1"
                };
                flip = !flip;
                let t = Instant::now();
                let (s, b) = conn.send("GET", path, &[], None).await?;
                latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                if s != 200 || b.is_empty() {
                    bad += 1;
                }
            }
            Ok::<_, Failure>((latencies, bad))
        }));
    }
    let (mut all, mut bad) = (Vec::new(), 0);
    for t in tasks {
        let (l, b) = t.await??;
        all.extend(l);
        bad += b;
    }
    let secs = began.elapsed().as_secs_f64();
    let n = all.len();
    summary(
        &format!(
            "GET /v1/trust-list and /v1/status-lists/1 over {} connections",
            a.connections
        ),
        "fetches",
        n,
        &mut all,
        secs,
        bad,
    );
    Ok(())
}
