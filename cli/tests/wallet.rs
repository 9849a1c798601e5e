//! `cancuoc wallet …` as a citizen's script runs it: the whole story (scripts/wallet-story),
//! and the refusals a person meets on the way, with their exit codes and Vietnamese messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cancuoc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cancuoc"))
        .args(args)
        .env("CANCUOC_PASSCODE", "246810")
        .output()
        .expect("run cancuoc")
}

fn ok(args: &[&str]) -> String {
    let o = cancuoc(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "cancuoc {args:?} failed: {text}");
    text
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn the_whole_story_runs_as_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(root().join("scripts/wallet-story"))
        .arg(dir.path())
        .env("CANCUOC", env!("CARGO_BIN_EXE_cancuoc"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("wallet story: OK"), "{text}");
    assert!(text.contains("Log verified (5)"), "{text}");
    assert!(text.contains("[revoked]"), "{text}");
    assert!(text.contains("[request_unsigned]"), "{text}");
}

#[test]
fn a_level_1_account_is_told_to_verify_in_person_and_a_wrong_passcode_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&["pki", "--out", p(&d.join("issuer"))]);
    ok(&[
        "party",
        "--id",
        "vn.clinic.test",
        "--organization",
        "Phòng khám",
        "--out",
        p(&d.join("clinic")),
    ]);
    let wallet = d.join("wallet");
    ok(&[
        "wallet",
        "--dir",
        p(&wallet),
        "init",
        "--trust",
        p(&d.join("issuer")),
        "--parties",
        p(&d.join("clinic/registry.pem")),
    ]);
    ok(&[
        "wallet",
        "--dir",
        p(&wallet),
        "activate",
        "--id",
        "001090012345",
        "--name",
        "NGUYỄN VĂN AN",
        "--birth-date",
        "1990-05-01",
        "--level",
        "1",
        "--device-key-out",
        p(&d.join("device.pub.pem")),
    ]);
    let sample = ok(&["sample", "health_insurance"]);
    std::fs::write(d.join("bhyt.json"), sample).unwrap();
    ok(&[
        "issue",
        "--pki",
        p(&d.join("issuer")),
        "--document",
        p(&d.join("bhyt.json")),
        "--holder-key",
        p(&d.join("device.pub.pem")),
        "--out",
        p(&d.join("bhyt.cbor")),
    ]);
    let o = cancuoc(&[
        "wallet",
        "--dir",
        p(&wallet),
        "add",
        "--mdoc",
        p(&d.join("bhyt.cbor")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mức 2") && err.contains("level_too_low"),
        "{err}"
    );
    // The identity card is allowed at level 1.
    let sample = ok(&["sample", "citizen_identity"]);
    std::fs::write(d.join("cccd.json"), sample).unwrap();
    ok(&[
        "issue",
        "--pki",
        p(&d.join("issuer")),
        "--document",
        p(&d.join("cccd.json")),
        "--holder-key",
        p(&d.join("device.pub.pem")),
        "--out",
        p(&d.join("cccd.cbor")),
        "--qr-out",
        p(&d.join("cccd.sdcwt")),
    ]);
    ok(&[
        "wallet",
        "--dir",
        p(&wallet),
        "add",
        "--mdoc",
        p(&d.join("cccd.cbor")),
        "--qr",
        p(&d.join("cccd.sdcwt")),
    ]);
    // A wrong passcode is refused, with the attempts left, and counted across processes.
    for left in ["4", "3"] {
        let o = Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args([
                "wallet",
                "--dir",
                p(&wallet),
                "present",
                "citizen_identity",
                "--elements",
                "full_name",
            ])
            .env("CANCUOC_PASSCODE", "111111")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("Còn {left} lần thử")) && err.contains("wrong_passcode"),
            "{err}"
        );
    }
    let qr = ok(&[
        "wallet",
        "--dir",
        p(&wallet),
        "present",
        "citizen_identity",
        "--elements",
        "full_name",
    ]);
    assert!(qr.starts_with("CC1:"), "{qr}");
    let log = ok(&["wallet", "--dir", p(&wallet), "log", "--verify"]);
    assert!(log.contains("(1)"), "{log}");
}
