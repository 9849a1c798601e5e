//! `cancuoc station` stopped the way a service manager does (SIGTERM) ends cleanly, exit code
//! 0, its log closed.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigterm_stops_the_station_cleanly() {
    // After a request, and the moment it says it is running.
    for ask_first in [true, false] {
        stop_once(ask_first);
    }
}

fn stop_once(ask_first: bool) {
    let data = tempfile::tempdir().unwrap();
    let trust = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/trust");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cancuoc"))
        .arg("station")
        .arg("--trust")
        .arg(&trust)
        .arg("--data")
        .arg(data.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the station exited before listening")
            .unwrap();
        if let Some(i) = line.find("http://") {
            break line[i..].trim().to_owned();
        }
    };
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    if ask_first {
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }

    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // A hang guard, not a speed check.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the station is still running a minute after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Killed by the signal, the status has no code; a clean stop exits 0.
    assert_eq!(status.code(), Some(0), "{status}");
}
