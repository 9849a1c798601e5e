//! The station over real HTTP on 127.0.0.1: every QR test vector posted to `/api/verify` gets its
//! expected verdict and reason; the log holds one entry per verification with the fields the
//! data-sharing rules ask for and finds an edited entry; the operator token, Host and Origin
//! guards; bodies too large, malformed or of the wrong type get 4xx JSON errors; the scanner's
//! quirks, the chip card's printed QR, challenge mode — the station's signed request answered
//! by a real wallet, encrypted to the station — and its absence without a relying-party
//! identity, webcam images, CSV, retention.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use cancuoc_core::consent::Approval;
use cancuoc_core::fixtures::DemoWorld;
use cancuoc_core::wallet::Answer;
use common::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use time::Duration;

fn qr_vectors() -> Vec<Value> {
    manifest()["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v.get("qr_text").is_some())
        .cloned()
        .collect()
}

fn read_vector(v: &Value) -> String {
    std::fs::read_to_string(vectors().join(v["qr_text"].as_str().unwrap())).unwrap()
}

#[tokio::test]
async fn every_qr_vector_gets_its_verdict_and_the_log_one_entry_each() {
    let data = tempfile::tempdir().unwrap();
    let clock = TestClock::at(made_at());
    let station = start(config(data.path(), clock.clone())).await;
    let vectors = qr_vectors();
    let negatives = vectors
        .iter()
        .filter(|v| v["expect"]["valid"] == false)
        .count();
    assert!(negatives >= 15, "only {negatives} negative QR vectors");
    for (i, v) in vectors.iter().enumerate() {
        let name = v["name"].as_str().unwrap();
        clock.set(cancuoc_core::time_fmt::parse_rfc3339(v["now"].as_str().unwrap()).unwrap());
        let mut body = json!({ "text": read_vector(v), "counter": "Quầy 2" });
        if let Some(r) = v.get("request") {
            body["request"] = r.clone();
        }
        let reply = post_json(station.addr, "/api/verify", &body).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        let r = reply.json();
        assert_eq!(r["log_seq"], json!(i + 1), "{name}");
        if v["expect"]["valid"] == true {
            assert_eq!(r["result"], "valid", "{name}: {r}");
            assert_eq!(r["verified"], true, "{name}");
            assert_eq!(r["document"]["doc_type"], v["expect"]["doc_type"], "{name}");
            assert_eq!(
                r["mode"],
                if v.get("request").is_some() {
                    "challenge"
                } else {
                    "static"
                },
                "{name}"
            );
        } else {
            assert_eq!(r["result"], "rejected", "{name}: {r}");
            assert_eq!(r["verified"], false, "{name}");
            assert_eq!(r["check"], v["expect"]["check"], "{name}: {r}");
            assert_eq!(r["code"], v["expect"]["code"], "{name}: {r}");
            assert!(!r["reason"]["vi"].as_str().unwrap().is_empty(), "{name}");
            assert!(!r["reason"]["en"].as_str().unwrap().is_empty(), "{name}");
        }
    }

    // One entry per verification, each with the exchange's fields.
    let log = get(station.addr, "/api/log?limit=1000").await.json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), vectors.len());
    assert_eq!(log["chain"]["problem"], Value::Null);
    for (e, v) in entries.iter().rev().zip(&vectors) {
        let name = v["name"].as_str().unwrap();
        assert_eq!(e["event"], "verification", "{name}");
        assert_eq!(e["time"], v["now"], "{name}");
        assert_eq!(e["channel"], "api", "{name}");
        assert_eq!(e["counter"], "Quầy 2", "{name}");
        assert_eq!(e["requester"], "phongkham-anbinh.example.vn", "{name}");
        if v["expect"]["valid"] == true {
            assert_eq!(e["outcome"], "valid", "{name}");
            assert_eq!(e["document"], v["expect"]["doc_type"], "{name}");
            assert!(!e["disclosed"].as_array().unwrap().is_empty(), "{name}");
            assert_eq!(
                e.get("values"),
                None,
                "values are kept only when configured"
            );
        } else {
            assert_eq!(e["outcome"], "rejected", "{name}");
            assert_eq!(e["code"], v["expect"]["code"], "{name}");
        }
        if v.get("request").is_some() {
            assert_eq!(e["mode"], "challenge", "{name}");
            assert!(!e["requested"].as_array().unwrap().is_empty(), "{name}");
        }
    }
    station.stop().await;
}

#[tokio::test]
async fn an_edited_log_entry_is_found() {
    let data = tempfile::tempdir().unwrap();
    let clock = TestClock::at(made_at());
    let station = start(config(data.path(), clock.clone())).await;
    let valid = std::fs::read_to_string(vectors().join("qr/valid-clinic-static.txt")).unwrap();
    let tampered =
        std::fs::read_to_string(vectors().join("qr/tampered-issuer-signature.txt")).unwrap();
    for text in [&valid, &tampered, &valid] {
        post_json(station.addr, "/api/verify", &json!({ "text": text })).await;
    }
    station.stop().await;
    assert_eq!(cancuoc_station::check_log(data.path()).unwrap().entries, 3);

    // The triggers refuse an edit outright…
    let db = rusqlite::Connection::open(data.path().join("log.db")).unwrap();
    assert!(
        db.execute(
            "UPDATE log SET entry = replace(entry, '\"rejected\"', '\"valid\"') WHERE seq = 2",
            []
        )
        .is_err()
    );
    // …and someone who drops them is found by the chain.
    db.execute_batch(
        "DROP TRIGGER log_append_only;
         UPDATE log SET entry = replace(entry, '\"rejected\"', '\"valid\"') WHERE seq = 2;",
    )
    .unwrap();
    drop(db);
    let err = cancuoc_station::check_log(data.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "verification log: entry 2 was edited or damaged"
    );

    // A station started on it says so.
    let station = start(config(data.path(), clock)).await;
    let health = get(station.addr, "/api/health").await.json();
    assert_eq!(health["status"], "warning");
    assert_eq!(health["log"]["problem"], "entry 2 was edited or damaged");
    assert!(
        health["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "log_chain_broken")
    );
    station.stop().await;
}

#[tokio::test]
async fn the_operator_token_host_and_origin_guards() {
    let data = tempfile::tempdir().unwrap();
    let mut c = config(data.path(), TestClock::at(made_at()));
    c.token = Some("correct-horse-battery-staple".into());
    let station = start(c).await;
    let addr = station.addr;
    let body = br#"{"text":"CC1:"}"#.to_vec();
    let ct = ("content-type", "application/json");

    let r = send(addr, "POST", "/api/verify", &[ct], body.clone()).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (401, Some("token_required"))
    );
    assert!(r.headers.contains_key("www-authenticate"));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct, ("authorization", "Bearer wrong-token-of-length")],
        body.clone(),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (401, Some("wrong_token"))
    );
    let r = send(addr, "GET", "/api/log", &[], vec![]).await;
    assert_eq!(r.status, 401);
    let r = send(addr, "GET", "/api/health", &[], vec![]).await;
    assert_eq!(r.status, 401);
    let ok = ("authorization", "Bearer correct-horse-battery-staple");
    let r = send(addr, "POST", "/api/verify", &[ct, ok], body.clone()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (200, Some("truncated"))
    );
    let r = send(
        addr,
        "GET",
        "/api/health",
        &[("x-operator-token", "correct-horse-battery-staple")],
        vec![],
    )
    .await;
    assert_eq!(
        (r.status, r.json()["station"]["token_required"].as_bool()),
        (200, Some(true))
    );
    // The page itself loads without the token (it asks for it).
    let r = get(addr, "/").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Quét mã QR"));
    assert!(
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'")
    );

    // A name that is not loopback (DNS rebinding) is refused before anything else.
    let raw_reply = raw(
        addr,
        b"GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(raw_reply.starts_with("HTTP/1.1 403"), "{raw_reply}");
    assert!(raw_reply.contains("wrong_host"));

    // A write from another web page's script is refused.
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct, ok, ("origin", "http://evil.example")],
        body.clone(),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (403, Some("cross_origin"))
    );
    let own = format!("http://{addr}");
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct, ok, ("origin", &own)],
        body,
    )
    .await;
    assert_eq!(r.status, 200);
    station.stop().await;

    // Too short a token is refused at start.
    let mut c = config(data.path(), TestClock::at(made_at()));
    c.token = Some("short".into());
    assert!(cancuoc_station::start(c).await.is_err());
}

#[tokio::test]
async fn bad_bodies_get_json_errors_and_the_station_keeps_serving() {
    let data = tempfile::tempdir().unwrap();
    let station = start(config(data.path(), TestClock::at(made_at()))).await;
    let addr = station.addr;
    let ct = ("content-type", "application/json");
    let code = |r: &Reply| {
        (
            r.status,
            r.json()["error"]["code"].as_str().unwrap().to_owned(),
        )
    };

    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct],
        vec![b'x'; cancuoc_station::MAX_BODY + 1],
    )
    .await;
    assert_eq!(code(&r), (413, "body_too_large".into()));
    let mut big = br#"{"text":""#.to_vec();
    big.extend(vec![b'A'; cancuoc_station::MAX_JSON]);
    big.extend(br#""}"#);
    let r = send(addr, "POST", "/api/verify", &[ct], big).await;
    assert_eq!(code(&r), (413, "body_too_large".into()));
    let r = send(addr, "POST", "/api/verify", &[ct], b"{\"text\": ".to_vec()).await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    let r = send(addr, "POST", "/api/verify", &[ct], b"[1,2,3]".to_vec()).await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct],
        br#"{"text":"CC1:","colour":"red"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct],
        br#"{"text":"CC1:","channel":"fax"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    let r = send(addr, "POST", "/api/verify", &[ct], vec![0xff, 0xfe, 0x00]).await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    let r = send(addr, "POST", "/api/verify", &[], b"CC1:".to_vec()).await;
    assert_eq!(code(&r), (415, "content_type_required".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[("content-type", "text/plain")],
        b"CC1:".to_vec(),
    )
    .await;
    assert_eq!(code(&r), (415, "unsupported_media_type".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[("content-type", "image/png")],
        vec![],
    )
    .await;
    assert_eq!(code(&r), (400, "empty_body".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify?colour=red",
        &[("content-type", "image/png")],
        vec![1],
    )
    .await;
    assert_eq!(code(&r), (400, "bad_query".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct],
        br#"{"text":"CC1:","request_id":"nope"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (404, "unknown_request".into()));
    let r = send(
        addr,
        "POST",
        "/api/verify",
        &[ct],
        br#"{"text":"CC1:","request":"CR1:XX"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "invalid_request".into()));
    let r = send(addr, "GET", "/api/verify", &[], vec![]).await;
    assert_eq!(code(&r), (405, "method_not_allowed".into()));
    let r = send(addr, "GET", "/api/nothing", &[], vec![]).await;
    assert_eq!(code(&r), (404, "not_found".into()));
    let r = send(addr, "GET", "/api/log?limit=lots", &[], vec![]).await;
    assert_eq!(code(&r), (400, "bad_query".into()));
    let r = send(addr, "GET", "/api/log?from=yesterday", &[], vec![]).await;
    assert_eq!(code(&r), (400, "bad_query".into()));
    let r = send(
        addr,
        "POST",
        "/api/requests",
        &[ct],
        br#"{"kind":"passport"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    // Without a relying-party identity there is no challenge mode (see the challenge tests).
    let r = send(
        addr,
        "POST",
        "/api/requests",
        &[ct],
        br#"{"elements":["holder_name"]}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (409, "challenge_unavailable".into()));
    // Not an image at all, but said to be one: refused, nothing logged.
    for bytes in [
        &b"\x89PNG\r\n\x1a\nnonsense"[..],
        b"\xff\xd8\xff\xe0 not a JPEG",
        br#"{"request_id": "d131eb062433667a"}"#,
    ] {
        let r = send(
            addr,
            "POST",
            "/api/verify",
            &[("content-type", "image/png")],
            bytes.to_vec(),
        )
        .await;
        assert_eq!(code(&r), (400, "bad_image".into()));
        assert!(r.json()["error"]["reason"]["vi"].as_str().is_some());
    }
    // What the OpenAPI document forbids is refused, not quietly fixed: a counter of 65
    // characters (in the query, whatever the body), a log page of 1,001, a null list.
    let long = "x".repeat(65);
    let r = send(
        addr,
        "POST",
        &format!("/api/verify?counter={long}"),
        &[ct],
        br#"{"text":"CC1:"}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "bad_counter".into()));
    let body = format!(r#"{{"text":"CC1:","counter":"{long}"}}"#);
    let r = send(addr, "POST", "/api/verify", &[ct], body.into_bytes()).await;
    assert_eq!(code(&r), (400, "bad_counter".into()));
    for q in ["limit=1001", "limit=0"] {
        let r = get(addr, &format!("/api/log?{q}")).await;
        assert_eq!(code(&r), (400, "bad_query".into()), "{q}");
    }
    let r = send(
        addr,
        "POST",
        "/api/requests",
        &[ct],
        br#"{"elements":null}"#.to_vec(),
    )
    .await;
    assert_eq!(code(&r), (400, "malformed_json".into()));
    // Malformed HTTP is answered by the HTTP layer; the station is still there.
    let reply = raw(
        addr,
        b"POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let reply = raw(addr, b"\x00\x01\x02 garbage\r\n\r\n").await;
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 400"),
        "{reply}"
    );
    // Only the text-bearing verifications were logged: none of the above.
    let log = get(addr, "/api/log").await.json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 0);
    let r = post_json(addr, "/api/verify", &json!({"text": "hello"})).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (200, Some("wrong_prefix"))
    );
    station.stop().await;
}

#[tokio::test]
async fn scanner_quirks_are_undone_for_the_scanner_channel_only() {
    let data = tempfile::tempdir().unwrap();
    let station = start(config(data.path(), TestClock::at(made_at()))).await;
    let valid = std::fs::read_to_string(vectors().join("qr/valid-clinic-static.txt")).unwrap();
    let inverted = valid.to_ascii_lowercase();
    // CapsLock-inverted, with the scanner's Enter: fixed for the scanner…
    let r = post_json(
        station.addr,
        "/api/verify",
        &json!({"text": format!("{inverted}\r\n"), "channel": "scanner"}),
    )
    .await
    .json();
    assert_eq!(r["result"], "valid", "{r}");
    assert_eq!(r["fixes"], json!(["trimmed", "caps_lock"]));
    // …but the API gets the core's exact verdict unless it asks.
    let r = post_json(station.addr, "/api/verify", &json!({"text": inverted}))
        .await
        .json();
    assert_eq!(r["code"], "wrong_prefix");
    let r = post_json(
        station.addr,
        "/api/verify",
        &json!({"text": format!("\t{valid}  \n"), "normalize": true}),
    )
    .await
    .json();
    assert_eq!(r["result"], "valid", "{r}");
    assert_eq!(r["fixes"], json!(["trimmed", "trailing_spaces"]));
    let log = get(station.addr, "/api/log").await.json();
    assert_eq!(log["entries"][2]["channel"], "scanner");
    station.stop().await;
}

const CARD: &str = "001090012345|123456789|Nguyễn Văn An|14051990|Nam|Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội|01042021";

#[tokio::test]
async fn the_chip_cards_printed_qr_is_unsigned_data() {
    let data = tempfile::tempdir().unwrap();
    let mut c = config(data.path(), TestClock::at(made_at()));
    c.log_values = true;
    let station = start(c).await;
    let r = post_json(
        station.addr,
        "/api/verify",
        &json!({"text": CARD, "channel": "scanner"}),
    )
    .await
    .json();
    assert_eq!(r["result"], "unsigned_card");
    assert_eq!(r["verified"], false);
    assert_eq!(r["headline"]["vi"], "Dữ liệu thẻ chưa ký");
    assert!(
        r["reason"]["vi"]
            .as_str()
            .unwrap()
            .contains("Đối chiếu với thẻ và ảnh")
    );
    assert_eq!(r["card"]["personal_number"], "001090012345");
    assert_eq!(r["card"]["province"], "Hà Nội");
    // CapsLock on the scanner.
    let inverted: String = CARD
        .chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().next().unwrap()
            } else {
                c.to_uppercase().next().unwrap()
            }
        })
        .collect();
    let r = post_json(
        station.addr,
        "/api/verify",
        &json!({"text": inverted, "channel": "scanner"}),
    )
    .await
    .json();
    assert_eq!(
        (r["result"].as_str(), r["card"]["full_name"].as_str()),
        (Some("unsigned_card"), Some("Nguyễn Văn An"))
    );
    // A number that does not match the birth year.
    let bad = CARD.replacen("001090", "001091", 1);
    let r = post_json(station.addr, "/api/verify", &json!({"text": bad}))
        .await
        .json();
    assert_eq!(
        (
            r["result"].as_str(),
            r["code"].as_str(),
            r["field"].as_str()
        ),
        (
            Some("rejected"),
            Some("card_birth_year_mismatch"),
            Some("personal_number")
        )
    );
    let log = get(station.addr, "/api/log").await.json();
    let e = &log["entries"];
    assert_eq!(
        (e[2]["mode"].as_str(), e[2]["outcome"].as_str()),
        (Some("card"), Some("unsigned_card"))
    );
    assert_eq!(
        e[2]["values"]["full_name"], "Nguyễn Văn An",
        "values kept when configured"
    );
    assert_eq!(e[0]["code"], "card_birth_year_mismatch");
    station.stop().await;
}

/// The page's answer field: the text the citizen's phone shows, posted with the request id.
async fn answer(addr: std::net::SocketAddr, text: &str, request_id: &Value) -> Value {
    post_json(
        addr,
        "/api/verify",
        &json!({"text": text, "request_id": request_id, "counter": "Quầy 1"}),
    )
    .await
    .json()
}

fn presentation(a: Answer) -> String {
    match a {
        Answer::Presentation(p) => p.text,
        other => panic!("not a presentation: {other:?}"),
    }
}

#[tokio::test]
async fn challenge_mode_a_real_wallet_answers_the_signed_request_once() {
    let now = made_at();
    let mut world = DemoWorld::build(5, now - Duration::hours(1)).unwrap();
    let trust = tempfile::tempdir().unwrap();
    trust_dir(&world, trust.path());
    let (party, registry) = register_party("phongkham-anbinh.example.vn", now, 41);
    let data = tempfile::tempdir().unwrap();
    let clock = TestClock::at(now);
    let mut c = config(data.path(), clock.clone());
    c.trust_dir = trust.path().to_owned();
    c.facility = Some("79001".into());
    c.party = Some(party.clone());
    let station = start(c).await;
    let addr = station.addr;

    // The citizen's wallet trusts the registry that certified the station.
    let home = tempfile::tempdir().unwrap();
    let wallet = citizen_wallet(home.path(), &mut world, registry, clock.clone());

    let r = send(addr, "POST", "/api/requests", &[], vec![]).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let req = r.json();
    let text = req["text"].as_str().unwrap();
    assert!(text.starts_with("CR2:"), "{text}");
    assert_eq!(req["elements"], json!(["holder_name", "birth_date", "sex"]));
    assert_eq!(req["purpose"], "Tiếp đón khám bệnh");
    assert_eq!(
        (req["encrypted"].as_bool(), req["retain"].clone()),
        (Some(true), json!([]))
    );
    assert_eq!(req["party"]["id"], "phongkham-anbinh.example.vn");
    assert!(req["svg"].as_str().unwrap().starts_with("<svg"));

    // What the citizen reads, then shares the name only.
    let prompt = wallet.respond(text, None).unwrap();
    assert_eq!(prompt.party_id, "phongkham-anbinh.example.vn");
    assert_eq!(
        prompt.party_organization.as_deref(),
        Some("Phòng khám Đa khoa An Bình")
    );
    assert_eq!(prompt.purpose, "Tiếp đón khám bệnh");
    assert!(prompt.encrypted);
    assert!(prompt.elements.iter().all(|e| !e.retain && e.available));
    let first = presentation(
        wallet
            .answer(&prompt.id, Approval::Some(vec!["holder_name".into()]))
            .unwrap(),
    );
    assert!(
        first.starts_with("CE1:"),
        "the answer is encrypted to the station"
    );

    // The phone's static QR is not an answer.
    let card = wallet.documents().unwrap().remove(0).id;
    let static_qr = wallet.present_qr(&card, &["holder_name"]).unwrap().text;
    let r = answer(addr, &static_qr, &req["id"]).await;
    assert_eq!(r["code"], "wrong_audience", "{r}");

    let r = answer(addr, &first, &req["id"]).await;
    assert_eq!(
        (r["result"].as_str(), r["mode"].as_str()),
        (Some("valid"), Some("challenge")),
        "{r}"
    );
    assert_eq!(r["warnings"][0]["code"], "other_facility");
    let shown: Vec<&str> = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        shown.contains(&"holder_name") && !shown.contains(&"birth_date"),
        "{shown:?}"
    );
    let first_id = req["id"].clone();
    // Used up.
    let r = post_json(
        addr,
        "/api/verify",
        &json!({"text": first, "request_id": first_id}),
    )
    .await;
    assert_eq!(r.status, 404);
    // Scanned without its request (the page not in challenge mode): told where to scan it.
    let r = post_json(addr, "/api/verify", &json!({"text": first}))
        .await
        .json();
    assert_eq!(r["code"], "wrong_audience");
    assert!(
        r["reason"]["vi"]
            .as_str()
            .unwrap()
            .contains("Yêu cầu từ điện thoại"),
        "{r}"
    );
    // An HIS that keeps the request text itself passes it instead of an id.
    let r = post_json(
        addr,
        "/api/verify",
        &json!({"text": first, "request": text}),
    )
    .await
    .json();
    assert_eq!(r["result"], "valid", "{r}");

    // The citizen declines the next one: nothing reaches the station.
    let req2 = post_json(
        addr,
        "/api/requests",
        &json!({"kind": "health_insurance", "elements": ["holder_name"]}),
    )
    .await
    .json();
    let prompt = wallet
        .respond(req2["text"].as_str().unwrap(), None)
        .unwrap();
    assert_eq!(
        wallet.answer(&prompt.id, Approval::Decline).unwrap(),
        Answer::Declined
    );
    // A request answered after it expired.
    let req3 = post_json(
        addr,
        "/api/requests",
        &json!({"kind": "health_insurance", "elements": ["birth_date"]}),
    )
    .await
    .json();
    let prompt = wallet
        .respond(req3["text"].as_str().unwrap(), None)
        .unwrap();
    let late = presentation(wallet.answer(&prompt.id, Approval::All).unwrap());
    clock.set(now + Duration::minutes(6));
    let r = answer(addr, &late, &req3["id"]).await;
    assert_eq!(
        (r["result"].as_str(), r["code"].as_str()),
        (Some("rejected"), Some("request_expired"))
    );
    // …and the wallet refuses the expired request itself.
    assert_eq!(
        wallet
            .respond(req3["text"].as_str().unwrap(), None)
            .unwrap_err()
            .code(),
        "request_expired"
    );
    clock.set(now);

    // Requests the station cannot make.
    let r = post_json(addr, "/api/requests", &json!({"elements": ["shoe_size"]})).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let r = post_json(addr, "/api/requests", &json!({"kind": "citizen_identity"})).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "a signed request asks for at least one element"
    );
    let h = get(addr, "/api/health").await.json();
    assert_eq!(h["challenge"]["available"], true);
    assert_eq!(h["challenge"]["party"]["id"], "phongkham-anbinh.example.vn");

    let log = get(addr, "/api/log").await.json();
    let entries = log["entries"].as_array().unwrap();
    // static QR, the answer, the answer without its request, via the HIS, the late answer.
    assert_eq!(entries.len(), 5, "{log}");
    let valid = &entries[3];
    assert_eq!(
        (valid["mode"].as_str(), valid["outcome"].as_str()),
        (Some("challenge"), Some("valid"))
    );
    assert_eq!(
        valid["requested"],
        json!(["holder_name", "birth_date", "sex"])
    );
    assert_eq!(valid["request_id"], first_id);
    assert_eq!(valid["counter"], "Quầy 1");
    // The five always-shown elements and the one the citizen chose.
    assert_eq!(valid["disclosed"].as_array().unwrap().len(), 6, "{valid}");
    assert_eq!(entries[0]["code"], "request_expired");
    station.stop().await;

    // The wallet refuses a request from a station its registry does not know.
    let (stranger, _) = register_party("phongkham-anbinh.example.vn", now, 42);
    let data = tempfile::tempdir().unwrap();
    let mut c = config(data.path(), clock.clone());
    c.party = Some(stranger);
    let station = start(c).await;
    let req = post_json(station.addr, "/api/requests", &json!({}))
        .await
        .json();
    let e = wallet
        .respond(req["text"].as_str().unwrap(), None)
        .unwrap_err();
    assert_eq!(e.code(), "request_unknown_party", "{e}");
    station.stop().await;
}

#[tokio::test]
async fn without_a_party_there_is_no_challenge_mode_and_scanning_still_works() {
    let now = made_at();
    let data = tempfile::tempdir().unwrap();
    let station = start(config(data.path(), TestClock::at(now))).await;
    let addr = station.addr;
    let r = send(addr, "POST", "/api/requests", &[], vec![]).await;
    assert_eq!(r.status, 409);
    let e = &r.json()["error"];
    assert_eq!(e["code"], "challenge_unavailable");
    assert!(
        e["reason"]["vi"].as_str().unwrap().contains("--party"),
        "{e}"
    );
    assert!(
        e["reason"]["en"].as_str().unwrap().contains("--party"),
        "{e}"
    );
    let h = get(addr, "/api/health").await.json();
    assert_eq!(h["challenge"]["available"], false);
    assert!(
        h["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "challenge_unavailable")
    );
    // An encrypted answer cannot be opened here, and says why.
    let (party, _) = register_party("phongkham-anbinh.example.vn", now, 43);
    let sealed = cancuoc_core::qr::encrypted::seal(
        b"x",
        &party.certificate().public_key().unwrap(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    let r = post_json(addr, "/api/verify", &json!({"text": sealed}))
        .await
        .json();
    assert_eq!(r["code"], "encrypted_no_key", "{r}");
    assert!(r["reason"]["vi"].as_str().unwrap().contains("--party"));
    // Scanning is unchanged.
    let valid = std::fs::read_to_string(vectors().join("qr/valid-clinic-static.txt")).unwrap();
    let r = post_json(addr, "/api/verify", &json!({"text": valid}))
        .await
        .json();
    assert_eq!(r["result"], "valid", "{r}");
    station.stop().await;

    // A party whose id is not the station's identity is refused at start.
    let mut c = config(data.path(), TestClock::at(now));
    c.party = Some(party);
    c.verifier_id = "another.example.vn".into();
    let e = cancuoc_station::start(c).await.unwrap_err();
    assert!(e.to_string().contains("another.example.vn"), "{e}");
}

#[tokio::test]
async fn webcam_images_csv_health_and_openapi() {
    let data = tempfile::tempdir().unwrap();
    let station = start(config(data.path(), TestClock::at(made_at()))).await;
    let png = std::fs::read(vectors().join("qr/valid-clinic-static.png")).unwrap();
    let r = send(
        station.addr,
        "POST",
        "/api/verify?channel=webcam&counter=Qu%E1%BA%A7y%201",
        &[("content-type", "image/png")],
        png,
    )
    .await
    .json();
    assert_eq!(r["result"], "valid", "{r}");
    let jpg = std::fs::read(vectors().join("qr/valid-clinic-static.jpg")).unwrap();
    let r = send(
        station.addr,
        "POST",
        "/api/verify",
        &[("content-type", "image/jpeg")],
        jpg,
    )
    .await
    .json();
    assert_eq!(r["result"], "valid", "{r}");

    let csv = get(station.addr, "/api/log.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}seq,time,event,channel,counter"));
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with(
            "1,2026-11-23T08:00:20Z,verification,webcam,Quầy 1,phongkham-anbinh.example.vn,static,"
        ),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",api,"));

    let h = get(station.addr, "/api/health").await.json();
    assert_eq!(h["trust_list"]["certificates"], 2);
    assert_eq!(h["log"]["entries"], 2);
    assert_eq!(h["station"]["verifier_id"], "phongkham-anbinh.example.vn");

    let spec = get(station.addr, "/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/api/verify",
        "/api/requests",
        "/api/log",
        "/api/log.csv",
        "/api/health",
        "/openapi.json",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} not in the OpenAPI document"
        );
        let method = if matches!(path, "/api/verify" | "/api/requests") {
            "post"
        } else {
            "get"
        };
        assert!(spec["paths"][path].get(method).is_some(), "{path} {method}");
    }
    for asset in ["/station.js", "/station.css"] {
        assert_eq!(get(station.addr, asset).await.status, 200);
    }
    station.stop().await;
}

#[tokio::test]
async fn retention_purges_and_the_chain_still_verifies() {
    let data = tempfile::tempdir().unwrap();
    let clock = TestClock::at(made_at());
    let mut c = config(data.path(), clock.clone());
    c.retention_days = 1;
    let station = start(c).await;
    for _ in 0..3 {
        post_json(station.addr, "/api/verify", &json!({"text": "CC1:"})).await;
    }
    station.stop().await;
    clock.set(made_at() + Duration::days(2));
    let mut c = config(data.path(), clock.clone());
    c.retention_days = 1;
    let station = start(c).await;
    post_json(station.addr, "/api/verify", &json!({"text": "CC1:"})).await;
    let log = get(station.addr, "/api/log").await.json();
    let e = log["entries"].as_array().unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(
        (
            e[1]["event"].as_str(),
            e[1]["purged_count"].as_u64(),
            e[1]["purged_through"].as_i64()
        ),
        (Some("purge"), Some(3), Some(3))
    );
    assert_eq!(e[0]["seq"], 5);
    assert_eq!(log["chain"]["problem"], Value::Null);
    assert_eq!(log["chain"]["base_seq"], 3);
    station.stop().await;
    assert_eq!(cancuoc_station::check_log(data.path()).unwrap().entries, 2);
}
