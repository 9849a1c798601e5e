//! A load generator for `POST /api/verify` on loopback: N keep-alive HTTP/1.1 connections
//! (hyper's client) post the same QR text for a fixed time, then it prints throughput and
//! latency percentiles, and how many answers were not the expected verdict.
//!
//! `cargo run --release -p cancuoc-station --example station_load -- --url http://127.0.0.1:PORT
//!  --text-file qr.txt [--connections 32] [--seconds 10] [--expect valid] [--token T]`
//!
//! It only talks to the address given, which must be on this machine (127.0.0.0/8 or [::1]),
//! and stops by itself.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

type Failure = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    addr: SocketAddr,
    text: String,
    connections: usize,
    seconds: u64,
    expect: String,
    token: Option<String>,
}

fn args() -> Result<Args, Failure> {
    let (mut url, mut file, mut connections, mut seconds, mut expect, mut token) =
        (None, None, 32, 10, "valid".to_owned(), None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--url" => url = Some(val()?),
            "--text-file" => file = Some(val()?),
            "--connections" => connections = val()?.parse()?,
            "--seconds" => seconds = val()?.parse()?,
            "--expect" => expect = val()?,
            "--token" => token = Some(val()?),
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
    let text = std::fs::read_to_string(file.ok_or("--text-file is required")?)?;
    if !(1..=1024).contains(&connections) || !(1..=300).contains(&seconds) {
        return Err("--connections 1–1024, --seconds 1–300".into());
    }
    Ok(Args {
        addr,
        text: text.trim().to_owned(),
        connections,
        seconds,
        expect,
        token,
    })
}

/// One connection's loop: latencies in microseconds and the count of unexpected answers.
async fn connection(
    addr: SocketAddr,
    body: Bytes,
    token: Option<String>,
    expect: String,
    until: Instant,
) -> Result<(Vec<u32>, u64), Failure> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let needle = format!("\"result\":\"{expect}\"");
    let mut latencies = Vec::new();
    let mut unexpected = 0u64;
    while Instant::now() < until {
        let mut req = hyper::Request::post("/api/verify")
            .header("host", addr.to_string())
            .header("content-type", "application/json");
        if let Some(t) = &token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Full::new(body.clone()))?;
        let start = Instant::now();
        sender.ready().await?;
        let res = sender.send_request(req).await?;
        let ok = res.status().is_success();
        let bytes = res.into_body().collect().await?.to_bytes();
        latencies.push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
        let found = std::str::from_utf8(&bytes).is_ok_and(|s| s.contains(&needle));
        if !ok || !found {
            unexpected += 1;
        }
    }
    Ok((latencies, unexpected))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round();
    let i = (rank as usize).min(sorted.len() - 1);
    sorted.get(i).map_or(0.0, |v| f64::from(*v) / 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let a = args()?;
    let body = Bytes::from(serde_json::to_vec(&serde_json::json!({ "text": a.text }))?);
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        tasks.push(tokio::spawn(connection(
            a.addr,
            body.clone(),
            a.token.clone(),
            a.expect.clone(),
            until,
        )));
    }
    let mut all = Vec::new();
    let mut unexpected = 0;
    for t in tasks {
        let (l, u) = t.await??;
        all.extend(l);
        unexpected += u;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    println!(
        "{} requests in {:.1} s over {} connections: {:.0} verifications/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; unexpected answers {}",
        all.len(),
        elapsed,
        a.connections,
        all.len() as f64 / elapsed,
        percentile(&all, 50.0),
        percentile(&all, 90.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0),
        unexpected
    );
    Ok(())
}
