//! The `cancuoc` command run as a process, the way a script or a person runs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cancuoc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cancuoc"))
        .args(args)
        .output()
        .expect("run cancuoc")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text_of(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn verify_exits_0_on_valid_and_1_on_every_negative_vector() {
    let dir = vectors();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut negatives = 0;
    for v in manifest["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        if v.get("status_list").is_some() {
            continue; // the CLI takes no status list yet; the core test covers it
        }
        if let Some(qr) = v.get("qr_text") {
            let text = std::fs::read_to_string(dir.join(qr.as_str().unwrap())).unwrap();
            let trust = dir.join(v["trust"].as_str().unwrap());
            let mut args = vec![
                "verify",
                "--json",
                "--trust",
                p(&trust),
                "--text",
                &text,
                "--now",
                v["now"].as_str().unwrap(),
            ];
            if let Some(r) = v.get("request") {
                args.extend(["--request", r.as_str().unwrap()]);
            }
            let out = cancuoc(&args);
            let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|_| panic!("{name}: {}", text_of(&out)));
            if v["expect"]["valid"].as_bool().unwrap() {
                assert_eq!(code(&out), 0, "{name}: {}", text_of(&out));
            } else {
                assert_eq!(code(&out), 1, "{name}: {}", text_of(&out));
                assert_eq!(json["code"], v["expect"]["code"], "{name}");
                negatives += 1;
            }
            continue;
        }
        let response = match v.get("response_generated") {
            Some(g) => {
                let f = tmp.path().join(format!("{name}.cbor"));
                std::fs::write(&f, vec![0u8; g["length"].as_u64().unwrap() as usize]).unwrap();
                f
            }
            None => dir.join(v["response"].as_str().unwrap()),
        };
        let mut args = vec![
            "verify".to_owned(),
            "--json".to_owned(),
            "--trust".to_owned(),
            p(&dir.join(v["trust"].as_str().unwrap())).to_owned(),
            "--response".to_owned(),
            p(&response).to_owned(),
            "--session-transcript".to_owned(),
            p(&dir.join(v["session_transcript"].as_str().unwrap())).to_owned(),
            "--now".to_owned(),
            v["now"].as_str().unwrap().to_owned(),
        ];
        if let Some(k) = v.get("reader_key") {
            args.push("--reader-key".into());
            args.push(p(&dir.join(k.as_str().unwrap())).to_owned());
        }
        let out = Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args(&args)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{name}: {}", text_of(&out)));
        if v["expect"]["valid"].as_bool().unwrap() {
            assert_eq!(code(&out), 0, "{name}: {}", text_of(&out));
            assert_eq!(json["valid"], true);
        } else {
            assert_eq!(code(&out), 1, "{name}: {}", text_of(&out));
            assert_eq!(json["code"], v["expect"]["code"], "{name}");
            assert_eq!(json["check"], v["expect"]["check"], "{name}");
            negatives += 1;
        }
    }
    assert!(negatives >= 30);
}

#[test]
fn demo_runs_and_its_files_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let o = cancuoc(&["demo", "--out", p(&out), "--seed", "9"]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let t = text_of(&o);
    assert!(t.contains("HỢP LỆ — Thẻ bảo hiểm y tế"), "{t}");
    assert!(t.contains("DN4010123456789"));
    assert!(
        !t.contains("001090012345"),
        "the ID number is not part of the clinic presentation"
    );
    for f in [
        "device-response.cbor",
        "session-transcript.cbor",
        "trust/iaca.pem",
        "holder/health_insurance.cbor",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("holder/device-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "private keys are readable only by their owner"
        );
    }
    let o = cancuoc(&[
        "verify",
        "--lang",
        "en",
        "--trust",
        p(&out.join("trust")),
        "--response",
        p(&out.join("device-response.cbor")),
        "--session-transcript",
        p(&out.join("session-transcript.cbor")),
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    assert!(text_of(&o).contains("VALID — Health insurance card"));
    assert!(text_of(&o).contains("Registered health facility"));
}

#[test]
fn the_flow_scripts_step_by_step() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let now = "2026-11-23T08:00:00Z";
    assert_eq!(
        code(&cancuoc(&[
            "pki",
            "--out",
            p(&d.join("pki")),
            "--now",
            now,
            "--seed",
            "1"
        ])),
        0
    );
    assert_eq!(
        code(&cancuoc(&[
            "keygen",
            "--out",
            p(&d.join("holder.pem")),
            "--seed",
            "2"
        ])),
        0
    );
    let o = cancuoc(&["sample", "vehicle_registration"]);
    assert_eq!(code(&o), 0);
    std::fs::write(d.join("doc.json"), &o.stdout).unwrap();
    let o = cancuoc(&[
        "issue",
        "--pki",
        p(&d.join("pki")),
        "--document",
        p(&d.join("doc.json")),
        "--holder-key",
        p(&d.join("holder.pub.pem")),
        "--out",
        p(&d.join("cred.cbor")),
        "--now",
        now,
        "--seed",
        "3",
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let o = cancuoc(&[
        "transcript",
        "--client-id",
        "csgt.example.vn",
        "--response-uri",
        "https://csgt.example.vn/r",
        "--nonce",
        "abc",
        "--mdoc-nonce",
        "def",
        "--out",
        p(&d.join("st.cbor")),
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let o = cancuoc(&[
        "present",
        "--credential",
        p(&d.join("cred.cbor")),
        "--device-key",
        p(&d.join("holder.pem")),
        "--elements",
        "registration_number,vehicle_identification_number,vehicle_holder",
        "--session-transcript",
        p(&d.join("st.cbor")),
        "--out",
        p(&d.join("resp.cbor")),
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let verify = |st: &Path| {
        cancuoc(&[
            "verify",
            "--json",
            "--trust",
            p(&d.join("pki/iaca.pem")),
            "--response",
            p(&d.join("resp.cbor")),
            "--session-transcript",
            p(st),
            "--now",
            "2026-11-24T08:00:00Z",
        ])
    };
    let o = verify(&d.join("st.cbor"));
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let disclosed = json["documents"][0]["disclosed"].as_object().unwrap();
    assert_eq!(disclosed.len(), 3);
    assert_eq!(
        disclosed["org.iso.7367.1/registration_number"],
        "30A-123.45"
    );
    // Another verifier's session: rejected.
    assert_eq!(
        code(&cancuoc(&[
            "transcript",
            "--client-id",
            "other",
            "--response-uri",
            "https://other/r",
            "--nonce",
            "abc",
            "--mdoc-nonce",
            "def",
            "--out",
            p(&d.join("st2.cbor")),
        ])),
        0
    );
    let o = verify(&d.join("st2.cbor"));
    assert_eq!(code(&o), 1, "{}", text_of(&o));
}

#[test]
fn usage_and_input_errors_exit_2_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = cancuoc(&[
        "verify",
        "--trust",
        p(&d.join("none")),
        "--response",
        "x",
        "--session-transcript",
        "y",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text_of(&o).contains("none"), "{}", text_of(&o));
    let o = cancuoc(&["verify"]);
    assert_eq!(code(&o), 2);
    let dir = vectors();
    let o = cancuoc(&[
        "verify",
        "--trust",
        p(&dir.join("trust")),
        "--response",
        p(&dir.join("mdoc/valid/health_insurance-clinic.cbor")),
        "--session-transcript",
        p(&dir.join("mdoc/valid/health_insurance-clinic.cbor")),
    ]);
    assert_eq!(
        code(&o),
        2,
        "a response is not a session transcript: {}",
        text_of(&o)
    );
    let o = cancuoc(&["demo", "--out", p(d), "--now", "yesterday"]);
    assert_eq!(code(&o), 2);
    assert!(text_of(&o).contains("RFC 3339"));
    // An invalid document is refused naming the element and the rule.
    assert_eq!(
        code(&cancuoc(&[
            "pki",
            "--out",
            p(&d.join("pki")),
            "--seed",
            "1"
        ])),
        0
    );
    assert_eq!(code(&cancuoc(&["keygen", "--out", p(&d.join("h.pem"))])), 0);
    let sample = cancuoc(&["sample", "health_insurance"]);
    let bad = String::from_utf8(sample.stdout)
        .unwrap()
        .replace("DN4010123456789", "ZZ4010123456789");
    std::fs::write(d.join("bad.json"), bad).unwrap();
    let o = cancuoc(&[
        "issue",
        "--pki",
        p(&d.join("pki")),
        "--document",
        p(&d.join("bad.json")),
        "--holder-key",
        p(&d.join("h.pub.pem")),
        "--out",
        p(&d.join("c.cbor")),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        text_of(&o).contains("card_code: \"ZZ\" is not a known code"),
        "{}",
        text_of(&o)
    );
}

#[test]
fn station_refuses_a_party_directory_it_cannot_use_before_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let trust = vectors().join("trust");
    let station = |party: &Path, extra: &[&str]| {
        let data = d.join("data");
        let mut args = vec![
            "station",
            "--trust",
            p(&trust),
            "--data",
            p(&data),
            "--listen",
            "127.0.0.1:0",
            "--party",
            p(party),
        ];
        args.extend_from_slice(extra);
        cancuoc(&args)
    };
    let o = station(&d.join("none"), &[]);
    assert_eq!(code(&o), 2, "{}", text_of(&o));
    assert!(text_of(&o).contains("party.pem"), "{}", text_of(&o));
    // A Document Signer's certificate and key are no relying-party identity.
    assert_eq!(
        code(&cancuoc(&[
            "pki",
            "--out",
            p(&d.join("pki")),
            "--seed",
            "2"
        ])),
        0
    );
    let ds = d.join("ds-as-party");
    std::fs::create_dir_all(&ds).unwrap();
    std::fs::copy(d.join("pki/ds.pem"), ds.join("party.pem")).unwrap();
    std::fs::copy(d.join("pki/ds-key.pem"), ds.join("party-key.pem")).unwrap();
    let o = station(&ds, &[]);
    assert_eq!(code(&o), 2, "{}", text_of(&o));
    assert!(
        text_of(&o).contains("not a relying-party (reader) certificate"),
        "{}",
        text_of(&o)
    );
    // The party's id is the station's identity; another --verifier-id is refused.
    let party = d.join("party");
    let o = cancuoc(&[
        "party",
        "--id",
        "vn.clinic.anbinh",
        "--organization",
        "Phòng khám Đa khoa An Bình",
        "--out",
        p(&party),
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let o = station(&party, &["--verifier-id", "another.example.vn"]);
    assert_eq!(code(&o), 2, "{}", text_of(&o));
    assert!(text_of(&o).contains("vn.clinic.anbinh"), "{}", text_of(&o));
}

#[test]
fn qr_image_and_changed_characters() {
    let dir = vectors();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    assert_eq!(
        code(&cancuoc(&["demo", "--out", p(&out), "--seed", "4"])),
        0
    );
    let trust = out.join("trust");
    let o = cancuoc(&[
        "verify",
        "--trust",
        p(&trust),
        "--image",
        p(&out.join("presentation.png")),
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["documents"][0]["device_authentication"], "key_binding");
    let text = std::fs::read_to_string(out.join("presentation.txt")).unwrap();
    assert_eq!(
        code(&cancuoc(&["verify", "--trust", p(&trust), "--text", &text])),
        0
    );
    // A sample of single-character changes, each through the whole command (the core test
    // tries every position with every other character).
    let chars: Vec<char> = text.chars().collect();
    for i in (0..chars.len()).step_by(61) {
        let mut c = chars.clone();
        c[i] = if c[i] == 'A' { 'B' } else { 'A' };
        let changed: String = c.into_iter().collect();
        let o = cancuoc(&["verify", "--trust", p(&trust), "--text", &changed]);
        assert_eq!(code(&o), 1, "position {i}: {}", text_of(&o));
    }
    // The demo wallet's answer to the clinic's signed request is encrypted to the clinic: it
    // verifies only with the clinic's key and against that request.
    let answer = std::fs::read_to_string(out.join("answer.txt")).unwrap();
    assert!(answer.starts_with("CE1:"), "{answer}");
    let request = std::fs::read_to_string(out.join("request.txt")).unwrap();
    assert!(request.starts_with("CR2:"), "{request}");
    let key = out.join("clinic/party-key.pem");
    let o = cancuoc(&[
        "verify",
        "--trust",
        p(&trust),
        "--text",
        &answer,
        "--request",
        &request,
        "--decrypt-key",
        p(&key),
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let disclosed = json["documents"][0]["disclosed"].as_object().unwrap();
    assert!(disclosed.keys().any(|k| k.ends_with("/card_code")));
    assert!(
        !disclosed.keys().any(|k| k.ends_with("/birth_date")),
        "not approved"
    );
    for args in [
        vec!["--text", answer.as_str(), "--request", request.as_str()],
        vec!["--text", answer.as_str(), "--decrypt-key", p(&key)],
    ] {
        let mut all = vec!["verify", "--trust", p(&trust)];
        all.extend(args);
        assert_eq!(code(&cancuoc(&all)), 1, "{all:?}");
    }
    let o = cancuoc(&["wallet", "--dir", p(&out.join("wallet")), "log", "--verify"]);
    assert_eq!(code(&o), 0, "{}", text_of(&o));
    // A PNG that holds no QR code is an input error.
    let o = cancuoc(&[
        "verify",
        "--trust",
        p(&trust),
        "--image",
        p(&dir.join("../core/src/document/portrait.jpg")),
    ]);
    assert_eq!(code(&o), 2, "{}", text_of(&o));
}
