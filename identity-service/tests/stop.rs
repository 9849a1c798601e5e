//! Stopping the service the way a service manager does (SIGTERM: `systemctl stop`, `docker
//! stop`) ends it cleanly, exit code 0, and it starts again on the same data.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(data: &std::path::Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cancuoc-identity"))
        .arg("--seed")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/seed/citizens.json"))
        .args(["--listen", "127.0.0.1:0", "--pbkdf2-iterations", "1000"])
        .arg("--data")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("cancuoc-identity exited before listening")
            .unwrap();
        if let Some((_, a)) = line.split_once("listening on http://") {
            break a.trim().parse().unwrap();
        }
    };
    (child, addr)
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

/// Sends SIGTERM and waits for the exit (a hang guard, not a speed check).
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cancuoc-identity still running a minute after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_the_service_cleanly_and_it_starts_again() {
    let data = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let (mut child, addr) = start(data.path());
        // Round 0 stops it after a request, round 1 the moment it says it listens.
        if round == 0 {
            let reply = get(addr, "/v1/trust-list");
            assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        }
        let status = terminate(&mut child);
        // Killed by the signal, the status has no code; a clean stop exits 0.
        assert_eq!(status.code(), Some(0), "round {round}: {status}");
    }
}
