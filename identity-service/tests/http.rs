//! The identity service over real HTTP on 127.0.0.1, each test against SQLite and against
//! PostgreSQL: registration and its refusals, the officer's level-2 upgrade, sessions and
//! throttling, the device change and its codes (wrong, replayed, expired, exhausted), document
//! integration (level, idempotency, re-issue), revocation in the next signed status list,
//! locking, relying parties and shares under consent grants, and hostile requests — each
//! refusal with its status and JSON error, and nothing changed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use cancuoc_core::consent::{ConsentGrant, GrantRevocation};
use cancuoc_core::document::DocumentKind;
use cancuoc_core::issuance::IssuingAuthority;
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::lists::{verify_status_list, verify_trust_list};
use cancuoc_core::mdoc::issuer_signed::Credential;
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::Verifier;
use cancuoc_core::x509::{self, CertificateParams};
use common::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use time::Duration;

both_stores!(
    registration,
    level2_upgrade,
    sessions_and_throttling,
    device_change,
    documents,
    revocation_reaches_the_status_list,
    lock_and_unlock,
    shares_under_grants,
    hostile_requests,
    concurrent_requests,
);

async fn registration(env: &Env) {
    let c = env.citizen(1);
    // Any mismatch with the register: the same generic refusal.
    let mut wrong_name = registration_body(&c);
    wrong_name["full_name"] = json!("NGUYỄN VĂN SAI");
    let mut wrong_birth = registration_body(&c);
    wrong_birth["birth_date"] = json!("1901-01-01");
    let mut wrong_sex = registration_body(&c);
    wrong_sex["sex"] = json!(if c.identity.sex == cancuoc_core::document::Sex::Male {
        "female"
    } else {
        "male"
    });
    let mut unknown = registration_body(&c);
    unknown["personal_id"] = json!("001090099999");
    let mut messages = Vec::new();
    for body in [&wrong_name, &wrong_birth, &wrong_sex, &unknown] {
        let r = env.post("/v1/accounts", None, body).await;
        r.refused(422, "registration_mismatch");
        messages.push(r.json()["error"].clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");

    let mut weak = registration_body(&c);
    weak["password"] = json!("password");
    env.post("/v1/accounts", None, &weak)
        .await
        .refused(422, "weak_password");
    let mut bad_phone = registration_body(&c);
    bad_phone["phone"] = json!("12345");
    env.post("/v1/accounts", None, &bad_phone)
        .await
        .refused(422, "invalid_phone");

    // Lower-case name with extra spaces matches; the phone's +84 form is the same number.
    let mut ok = registration_body(&c);
    ok["full_name"] = json!(format!("  {}  ", c.identity.full_name.to_lowercase()));
    let r = env.post("/v1/accounts", None, &ok).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "personal_id": c.personal_id(), "level": 1 })
    );
    env.post("/v1/accounts", None, &ok)
        .await
        .refused(409, "already_registered");

    // One phone serves one person.
    let other = env.citizen(2);
    let same_phone = common::registration(&other, &format!("+84{}", &phone_of(&c)[1..]));
    env.post("/v1/accounts", None, &same_phone)
        .await
        .refused(409, "phone_in_use");
    assert_eq!(env.register(&other).await.status, 201);

    // A retried registration with its Idempotency-Key gets the first answer.
    let third = env.citizen(3);
    let body = serde_json::to_vec(&common::registration(&third, &phone_of(&third))).unwrap();
    for _ in 0..2 {
        let r = env
            .send(
                "POST",
                "/v1/accounts",
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", "reg-1"),
                ],
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

fn registration_body(c: &cancuoc_identity::seed::Citizen) -> Value {
    common::registration(c, &phone_of(c))
}

async fn level2_upgrade(env: &Env) {
    let c = env.citizen(1);
    let (_, session) = env.ready(&c, false).await;
    let path = format!("/v1/officer/accounts/{}/level2", c.personal_id());
    let body = json!({ "method": "fingerprint", "reference": "Phiếu 2026-11-23/04" });
    env.post(&path, Some("not-the-officer-token"), &body)
        .await
        .refused(401, "invalid_officer");
    env.post(&path, None, &body)
        .await
        .refused(401, "invalid_officer");
    env.post(&path, Some(&session), &body)
        .await
        .refused(401, "invalid_officer");
    let a = env.get("/v1/account", Some(&session)).await.json();
    assert_eq!(a["level"], 1, "a refused upgrade changes nothing");
    env.post(
        "/v1/officer/accounts/001090099999/level2",
        Some(OFFICER),
        &body,
    )
    .await
    .refused(404, "no_account");
    env.post(
        &path,
        Some(OFFICER),
        &json!({ "method": "iris", "reference": "x" }),
    )
    .await
    .refused(400, "malformed_json");
    let r = env.post(&path, Some(OFFICER), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["level"], 2);
    assert_eq!(r.json()["level2_method"], "fingerprint");
    let a = env.get("/v1/account", Some(&session)).await.json();
    assert_eq!(a["level"], 2);
    assert_eq!(a["personal_id"], c.personal_id());
    assert_eq!(a["full_name"], c.identity.full_name);
    assert_eq!(a["locked"], false);
    assert_eq!(
        a["id_card_expiry"],
        cancuoc_core::time_fmt::date(c.identity.expiry_date)
    );
}

async fn sessions_and_throttling(env: &Env) {
    let c = env.citizen(1);
    assert_eq!(env.register(&c).await.status, 201);
    let device = new_device(11);
    let now = env.now().unix_timestamp();
    // A proof by another key, or too old, is refused before the password is looked at.
    let mut forged = session_body(c.personal_id(), PASSWORD, &device, now);
    forged["proof"] =
        session_body(c.personal_id(), PASSWORD, &new_device(12), now)["proof"].clone();
    env.post("/v1/sessions", None, &forged)
        .await
        .refused(400, "bad_proof");
    env.post(
        "/v1/sessions",
        None,
        &session_body(c.personal_id(), PASSWORD, &device, now - 600),
    )
    .await
    .refused(400, "bad_proof");
    for extreme in [i64::MIN, i64::MAX] {
        env.post(
            "/v1/sessions",
            None,
            &session_body(c.personal_id(), PASSWORD, &device, extreme),
        )
        .await
        .refused(400, "bad_proof");
    }
    // Unknown account and wrong password: the same answer.
    env.post(
        "/v1/sessions",
        None,
        &session_body("001090099999", PASSWORD, &device, now),
    )
    .await
    .refused(401, "invalid_credentials");
    for _ in 0..5 {
        env.post(
            "/v1/sessions",
            None,
            &session_body(c.personal_id(), "Sai-mật-khẩu-1", &device, now),
        )
        .await
        .refused(401, "invalid_credentials");
    }
    // Throttled now, even with the right password.
    let r = env.sign_in(&c, &device).await;
    r.refused(429, "throttled");
    let wait: i64 = r.header("retry-after").parse().unwrap();
    assert_eq!(wait, 30);
    env.clock.advance(Duration::seconds(31));
    // The sixth failure doubles the wait.
    env.post(
        "/v1/sessions",
        None,
        &session_body(
            c.personal_id(),
            "Sai-mật-khẩu-1",
            &device,
            env.now().unix_timestamp(),
        ),
    )
    .await
    .refused(401, "invalid_credentials");
    let r = env.sign_in(&c, &device).await;
    r.refused(429, "throttled");
    assert_eq!(r.header("retry-after"), "60");
    env.clock.advance(Duration::seconds(61));
    let r = env.sign_in(&c, &device).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    assert_eq!(j["status"], "active");
    assert_eq!(j["account"]["device_key"], b64(&device.public_key().sec1()));
    let session = j["session"].as_str().unwrap().to_owned();
    assert_eq!(env.get("/v1/account", Some(&session)).await.status, 200);
    // The same device signs in again: a second session, no device change.
    let r2 = env.sign_in(&c, &device).await;
    assert_eq!(r2.status, 201);
    env.get("/v1/account", Some("s_nonsense"))
        .await
        .refused(401, "invalid_session");
    env.get("/v1/account", None)
        .await
        .refused(401, "invalid_session");
    let out = env
        .send(
            "DELETE",
            "/v1/sessions/current",
            &[("authorization", &format!("Bearer {session}"))],
            Vec::new(),
        )
        .await;
    assert_eq!(out.status, 204);
    env.get("/v1/account", Some(&session))
        .await
        .refused(401, "session_ended");
    let other = r2.json()["session"].as_str().unwrap().to_owned();
    assert_eq!(env.get("/v1/account", Some(&other)).await.status, 200);
}

async fn device_change(env: &Env) {
    let c = env.citizen(0);
    let (old_device, old_session) = env.ready(&c, true).await;
    let docs = env
        .documents(
            &old_session,
            "k1",
            &["citizen_identity", "health_insurance"],
        )
        .await;
    assert_eq!(docs.status, 200, "{}", docs.text());
    let new_device = new_device(99);

    // A second phone: a change is pending and the old phone receives the code.
    let r = env.sign_in(&c, &new_device).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["status"], "device_change_pending");
    let change = r.json()["change_id"].as_str().unwrap().to_owned();
    let msgs = env.get("/v1/messages", Some(&old_session)).await.json();
    let m = &msgs["messages"][0];
    assert_eq!(m["kind"], "device_change_code");
    let code = m["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    assert!(m["text_vi"].as_str().unwrap().contains(&code));
    assert_eq!(
        m["expires_at"].as_i64().unwrap() - m["created_at"].as_i64().unwrap(),
        600
    );
    let confirm = format!("/v1/device-changes/{change}/confirm");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    env.post(&confirm, None, &json!({ "code": wrong }))
        .await
        .refused(401, "invalid_code");
    // Still bound to the old phone.
    assert_eq!(env.get("/v1/account", Some(&old_session)).await.status, 200);
    env.post(
        "/v1/device-changes/nonsense/confirm",
        None,
        &json!({ "code": code }),
    )
    .await
    .refused(404, "no_such_change");

    let r = env.post(&confirm, None, &json!({ "code": code })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let new_session = r.json()["session"].as_str().unwrap().to_owned();
    assert_eq!(
        r.json()["account"]["device_key"],
        b64(&new_device.public_key().sec1())
    );
    // Replayed: single use.
    env.post(&confirm, None, &json!({ "code": code }))
        .await
        .refused(410, "code_used");
    // The old phone is signed out and its key can never come back.
    env.get("/v1/account", Some(&old_session))
        .await
        .refused(401, "session_ended");
    env.sign_in(&c, &old_device)
        .await
        .refused(403, "device_key_revoked");
    // The new phone gets documents bound to its key.
    let fresh = env
        .documents(&new_session, "k2", &["citizen_identity"])
        .await
        .json();
    let cred = credential(&fresh["documents"][0]);
    assert_eq!(
        bound_key(env, &cred),
        new_device.public_key().sec1(),
        "re-issued to the new key"
    );

    // An expired code, and a change whose five tries are spent.
    let third = new_device_key(100);
    let r = env.sign_in(&c, &third).await;
    assert_eq!(r.status, 202);
    let expiring = r.json()["change_id"].as_str().unwrap().to_owned();
    let code2 = env.get("/v1/messages", Some(&new_session)).await.json()["messages"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    env.clock.advance(Duration::minutes(11));
    env.post(
        &format!("/v1/device-changes/{expiring}/confirm"),
        None,
        &json!({ "code": code2 }),
    )
    .await
    .refused(410, "code_expired");
    assert!(
        env.get("/v1/messages", Some(&new_session)).await.json()["messages"]
            .as_array()
            .unwrap()
            .is_empty(),
        "an expired code is no longer shown"
    );
    let r = env.sign_in(&c, &third).await;
    let spent = r.json()["change_id"].as_str().unwrap().to_owned();
    let code3 = env.get("/v1/messages", Some(&new_session)).await.json()["messages"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong3 = if code3 == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        env.post(
            &format!("/v1/device-changes/{spent}/confirm"),
            None,
            &json!({ "code": wrong3 }),
        )
        .await
        .refused(401, "invalid_code");
    }
    env.post(
        &format!("/v1/device-changes/{spent}/confirm"),
        None,
        &json!({ "code": code3 }),
    )
    .await
    .refused(410, "too_many_attempts");
    assert_eq!(env.get("/v1/account", Some(&new_session)).await.status, 200);
}

fn new_device_key(seed: u64) -> PrivateKey {
    new_device(seed)
}

fn credential(doc: &Value) -> Credential {
    let bytes = cancuoc_identity::secrets::from_b64(doc["credential"].as_str().unwrap()).unwrap();
    Credential::from_bytes(&bytes).unwrap()
}

/// The device key a credential is bound to, after verifying it against the service's IACA.
fn bound_key(env: &Env, cred: &Credential) -> Vec<u8> {
    Verifier::new(iaca(env))
        .verify_credential(cred, env.now())
        .unwrap()
        .device_key
        .sec1()
}

fn iaca(env: &Env) -> TrustList {
    TrustList::new(vec![env.service().inner().authority.iaca.clone()]).unwrap()
}

async fn documents(env: &Env) {
    let c = env.citizen(0);
    let (device, session) = env.ready(&c, false).await;
    // Level 1: only the identity card.
    env.documents(&session, "a", &["driving_licence"])
        .await
        .refused(403, "level_too_low");
    let r = env
        .send(
            "POST",
            "/v1/documents",
            &[
                ("content-type", "application/json"),
                ("authorization", &format!("Bearer {session}")),
            ],
            br#"{"kinds":["citizen_identity"]}"#.to_vec(),
        )
        .await;
    r.refused(400, "idempotency_key_required");
    let l1 = env.documents(&session, "a", &["citizen_identity"]).await;
    assert_eq!(l1.status, 200, "{}", l1.text());
    let l1 = l1.json();
    assert_eq!(l1["documents"].as_array().unwrap().len(), 1);

    // Level 2: all four; each verifies against the service's IACA and is bound to the device.
    assert_eq!(env.upgrade(&c).await.status, 200);
    let kinds = [
        "citizen_identity",
        "driving_licence",
        "health_insurance",
        "vehicle_registration",
    ];
    let first = env.documents(&session, "b", &kinds).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let docs = first.json()["documents"].as_array().unwrap().clone();
    assert_eq!(docs.len(), 4);
    let verifier = Verifier::new(iaca(env));
    for d in &docs {
        assert!(
            d["status_uri"]
                .as_str()
                .unwrap()
                .starts_with("http://identity.test/v1/status-lists/")
        );
        let cred = credential(d);
        let verified = verifier.verify_credential(&cred, env.now()).unwrap();
        assert_eq!(verified.device_key.sec1(), device.public_key().sec1());
        assert!(!verified.disclosed.is_empty());
        assert!(
            d["valid_until"].as_i64().unwrap()
                <= (env.now() + Duration::days(366)).unix_timestamp()
        );
        assert!(!d["compact_credential"].as_str().unwrap().is_empty());
    }
    // The level-1 identity card was replaced (its level is now 2).
    assert_ne!(docs[0]["id"], l1["documents"][0]["id"]);
    // The health card's record ends 2026-12-31: its credential does too.
    let bhyt = docs
        .iter()
        .find(|d| d["kind"] == "health_insurance")
        .unwrap();
    assert_eq!(bhyt["valid_until"], 1_798_761_600);

    // The same key: the same answer, byte for byte. A new key: the same documents (in force).
    let again = env.documents(&session, "b", &kinds).await;
    assert_eq!(again.body, first.body);
    let other_key = env.documents(&session, "c", &kinds).await.json();
    let ids = |v: &Value| {
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&other_key), ids(&first.json()));
    env.documents(&session, "b", &["citizen_identity"])
        .await
        .refused(422, "idempotency_key_reused");

    // A citizen without a licence.
    let nolicence = env.find(|c| c.driving_licence.is_none());
    let (_, s2) = env.ready(&nolicence, true).await;
    env.documents(&s2, "a", &["driving_licence", "citizen_identity"])
        .await
        .refused(404, "no_record");
    let r = env.documents(&s2, "a", &["citizen_identity"]).await;
    assert_eq!(
        r.status, 200,
        "a refused request changed nothing, and did not spend the key"
    );

    // 36 days later the health card expires within 30 days: re-issued? No: its record ends
    // then too, so a new one would not last longer. The rest stay as they are.
    env.clock.advance(Duration::days(36));
    let later = env.documents(&session, "d", &kinds).await.json();
    assert_eq!(ids(&later), ids(&first.json()));
    // 340 days on, the others are within 30 days of their year: re-issued.
    env.clock.set(t0() + Duration::days(340));
    let r = env
        .documents(&session, "e", &["citizen_identity", "driving_licence"])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let renewed = r.json();
    for d in renewed["documents"].as_array().unwrap() {
        assert!(!ids(&first.json()).contains(&d["id"].as_str().unwrap().to_owned()));
        assert_eq!(d["issued_at"], env.now().unix_timestamp());
    }
}

async fn revocation_reaches_the_status_list(env: &Env) {
    let c = env.citizen(0);
    let (_, session) = env.ready(&c, true).await;
    let docs = env
        .documents(&session, "k", &["citizen_identity", "driving_licence"])
        .await
        .json();
    let anchors = iaca(env);

    // The trust list: signed, the IACA and the Document Signer, cacheable.
    let t = env.get("/v1/trust-list", None).await;
    assert_eq!(t.status, 200);
    assert_eq!(t.header("content-type"), "application/cose");
    assert!(t.header("cache-control").contains("max-age"));
    let trust = verify_trust_list(&t.body, &anchors, env.now()).unwrap();
    assert_eq!(trust.certificates.len(), 2);
    let t2 = env.get("/v1/trust-list", None).await;
    assert_eq!(t2.body, t.body, "served from the cache");

    let licence = docs["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "driving_licence")
        .unwrap()
        .clone();
    let index = licence["status_index"].as_u64().unwrap();
    let path = licence["status_uri"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://identity.test")
        .to_owned();
    let s1 = env.get(&path, None).await;
    assert_eq!(s1.status, 200);
    assert_eq!(s1.header("content-type"), "application/statuslist+cwt");
    let etag = s1.header("etag");
    let list = verify_status_list(&s1.body, &anchors, env.now()).unwrap();
    assert_eq!(list.list.uri, licence["status_uri"]);
    assert!(list.list.entries() >= 1 << 17);
    assert_eq!(list.list.is_revoked(index), Some(false));
    let not_modified = env
        .send("GET", &path, &[("if-none-match", &etag)], Vec::new())
        .await;
    assert_eq!(not_modified.status, 304);

    // A wrong officer token revokes nothing.
    let revoke = format!(
        "/v1/officer/documents/{}/revoke",
        licence["id"].as_str().unwrap()
    );
    env.post(
        &revoke,
        Some("nope"),
        &json!({ "reason": "giấy phép bị tước" }),
    )
    .await
    .refused(401, "invalid_officer");
    let same = env.get(&path, None).await;
    assert_eq!(same.header("etag"), etag);
    env.post(
        "/v1/officer/documents/nonsense/revoke",
        Some(OFFICER),
        &json!({ "reason": "x" }),
    )
    .await
    .refused(404, "no_document");

    let r = env
        .post(
            &revoke,
            Some(OFFICER),
            &json!({ "reason": "giấy phép bị tước" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status_index"], index);
    let s2 = env.get(&path, None).await;
    assert_ne!(s2.header("etag"), etag);
    let list2 = verify_status_list(&s2.body, &anchors, env.now()).unwrap();
    assert_eq!(list2.list.is_revoked(index), Some(true));
    assert!(
        list2.issued_at > list.issued_at,
        "a later list replaces the earlier one"
    );
    let cccd = docs["documents"][0]["status_index"].as_u64().unwrap();
    assert_eq!(list2.list.is_revoked(cccd), Some(false));
    // The revoked licence's record is withdrawn: not issued again.
    env.documents(&session, "k2", &["driving_licence"])
        .await
        .refused(404, "no_record");
    let cccd_again = env
        .documents(&session, "k3", &["citizen_identity"])
        .await
        .json();
    assert_eq!(cccd_again["documents"][0]["id"], docs["documents"][0]["id"]);

    env.get("/v1/status-lists/99", None)
        .await
        .refused(404, "no_such_list");
    env.get("/v1/status-lists/0", None)
        .await
        .refused(404, "no_such_list");
    env.get("/v1/status-lists/x", None)
        .await
        .refused(404, "no_such_list");
}

async fn lock_and_unlock(env: &Env) {
    let c = env.citizen(0);
    let (device, session) = env.ready(&c, true).await;
    let docs = env
        .documents(&session, "k", &["citizen_identity", "health_insurance"])
        .await
        .json();
    let birth = cancuoc_core::time_fmt::date(c.identity.birth_date);
    env.post(
        "/v1/lock",
        None,
        &json!({ "personal_id": c.personal_id(), "password": PASSWORD, "birth_date": "2000-01-01" }),
    )
    .await
    .refused(401, "invalid_credentials");
    assert_eq!(env.get("/v1/account", Some(&session)).await.status, 200);
    let r = env
        .post(
            "/v1/lock",
            None,
            &json!({ "personal_id": c.personal_id(), "password": PASSWORD, "birth_date": birth }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({ "locked": true }));
    env.get("/v1/account", Some(&session))
        .await
        .refused(401, "session_ended");
    // Every document revoked.
    let anchors = iaca(env);
    let list = verify_status_list(
        &env.get("/v1/status-lists/1", None).await.body,
        &anchors,
        env.now(),
    )
    .unwrap();
    for d in docs["documents"].as_array().unwrap() {
        assert_eq!(
            list.list.is_revoked(d["status_index"].as_u64().unwrap()),
            Some(true)
        );
    }
    // A locked account signs in nowhere.
    env.sign_in(&c, &new_device(5))
        .await
        .refused(423, "account_locked");

    // The officer unlocks; the lost phone's key stays revoked; a new phone binds directly.
    let unlock = format!("/v1/officer/accounts/{}/unlock", c.personal_id());
    env.post(&unlock, Some("nope"), &json!({}))
        .await
        .refused(401, "invalid_officer");
    let r = env.post(&unlock, Some(OFFICER), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["locked"], false);
    assert_eq!(r.json()["device_key"], Value::Null);
    env.sign_in(&c, &device)
        .await
        .refused(403, "device_key_revoked");
    let phone2 = new_device(6);
    let r = env.sign_in(&c, &phone2).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let s2 = r.json()["session"].as_str().unwrap().to_owned();
    let reissued = env.documents(&s2, "k3", &["citizen_identity"]).await;
    assert_eq!(reissued.status, 200);
    assert_ne!(
        reissued.json()["documents"][0]["id"],
        docs["documents"][0]["id"]
    );

    // The officer's lock: the same effect.
    let lock = format!("/v1/officer/accounts/{}/lock", c.personal_id());
    let r = env.post(&lock, Some(OFFICER), &json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["locked"], true);
    env.get("/v1/account", Some(&s2))
        .await
        .refused(401, "session_ended");
}

/// A relying party's reader certificate from a registry CA made here.
fn reader_certificate(party: &str, seed: u64) -> String {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let start = t0() - Duration::days(1);
    let mut ca_params = cancuoc_core::fixtures::iaca_params(start);
    ca_params.common_name = "Registry of relying parties".into();
    let ca = IssuingAuthority::generate(&ca_params, &mut rng).unwrap();
    let rp = PrivateKey::generate(&mut rng);
    let params = CertificateParams {
        common_name: party.into(),
        organization: Some("Ngân hàng Ví dụ".into()),
        not_after: start + Duration::days(365),
        ..ca_params
    };
    x509::make_reader_certificate(
        ca.key(),
        ca.certificate(),
        &rp.public_key(),
        &params,
        &mut rng,
    )
    .unwrap()
    .to_pem()
    .unwrap()
}

fn grant(
    device: &PrivateKey,
    party: &str,
    subject: &str,
    elements: &[&str],
    issued: time::OffsetDateTime,
    days: i64,
    id: u8,
) -> String {
    ConsentGrant {
        id: [id; 16],
        party: party.into(),
        document: DocumentKind::CitizenIdentity,
        elements: elements.iter().map(|e| (*e).to_owned()).collect(),
        purpose: "Mở tài khoản thanh toán".into(),
        issued,
        expires: issued + Duration::days(days),
        subject: subject.into(),
        device_key: device.public_key(),
    }
    .sign(device)
    .unwrap()
}

async fn shares_under_grants(env: &Env) {
    let bank = "vn.bank.example";
    let pem = reader_certificate(bank, 1);
    let parties = "/v1/officer/relying-parties";
    env.post(parties, Some("nope"), &json!({ "certificate_pem": pem }))
        .await
        .refused(401, "invalid_officer");
    let ds_pem = env
        .service()
        .inner()
        .authority
        .issuer
        .certificate()
        .to_pem()
        .unwrap();
    env.post(
        parties,
        Some(OFFICER),
        &json!({ "certificate_pem": ds_pem }),
    )
    .await
    .refused(422, "bad_certificate");
    env.post(
        parties,
        Some(OFFICER),
        &json!({ "certificate_pem": "not a pem" }),
    )
    .await
    .refused(422, "bad_certificate");
    let r = env
        .post(parties, Some(OFFICER), &json!({ "certificate_pem": pem }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["party_id"], bank);
    let api_key = r.json()["api_key"].as_str().unwrap().to_owned();
    env.post(parties, Some(OFFICER), &json!({ "certificate_pem": pem }))
        .await
        .refused(409, "party_exists");
    let other_party = env
        .post(
            parties,
            Some(OFFICER),
            &json!({ "certificate_pem": reader_certificate("vn.other.example", 2) }),
        )
        .await
        .json()["api_key"]
        .as_str()
        .unwrap()
        .to_owned();

    let c = env.citizen(0);
    let (device, session) = env.ready(&c, true).await;
    let victim = env.citizen(1);
    let (victim_device, victim_session) = env.ready(&victim, true).await;
    let now = env.now();
    let g = grant(
        &device,
        bank,
        c.personal_id(),
        &["full_name", "birth_date", "resident_address"],
        now,
        30,
        1,
    );

    env.post("/v1/shares", Some("rp_wrong"), &json!({ "grant": g }))
        .await
        .refused(401, "invalid_api_key");
    let r = env
        .post(
            "/v1/shares",
            Some(&api_key),
            &json!({ "grant": g, "elements": ["full_name", "birth_date", "sex"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["document"], "citizen_identity");
    assert_eq!(
        j["elements"],
        json!({ "full_name": c.identity.full_name, "birth_date": "1990-05-14" }),
        "only what was granted and asked"
    );
    // The other party cannot use the bank's grant.
    let r = env
        .post("/v1/shares", Some(&other_party), &json!({ "grant": g }))
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "wrong_party");
    // A grant naming the victim but signed by this citizen's key: never the victim's data.
    let forged = grant(
        &device,
        bank,
        victim.personal_id(),
        &["full_name"],
        now,
        30,
        2,
    );
    let r = env
        .post("/v1/shares", Some(&api_key), &json!({ "grant": forged }))
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "wrong_holder_key");
    // The victim's own grant to the bank works, and answers with the victim's data only.
    let vg = grant(
        &victim_device,
        bank,
        victim.personal_id(),
        &["full_name"],
        now,
        30,
        3,
    );
    let r = env
        .post("/v1/shares", Some(&api_key), &json!({ "grant": vg }))
        .await;
    assert_eq!(r.json()["elements"]["full_name"], victim.identity.full_name);
    // Expired.
    let old = grant(
        &device,
        bank,
        c.personal_id(),
        &["full_name"],
        now - Duration::days(40),
        30,
        4,
    );
    let r = env
        .post("/v1/shares", Some(&api_key), &json!({ "grant": old }))
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "expired");
    // Malformed.
    let r = env
        .post(
            "/v1/shares",
            Some(&api_key),
            &json!({ "grant": "CG1:nonsense" }),
        )
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "malformed");

    // The citizen revokes the grant: refused from then on.
    let rv = GrantRevocation {
        grant_id: [1; 16],
        revoked_at: now,
    }
    .sign(&device)
    .unwrap();
    let by_other_key = GrantRevocation {
        grant_id: [1; 16],
        revoked_at: now,
    }
    .sign(&victim_device)
    .unwrap();
    env.post(
        "/v1/grants/revocations",
        Some(&session),
        &json!({ "revocation": by_other_key }),
    )
    .await
    .refused(400, "bad_revocation");
    let r = env
        .post(
            "/v1/grants/revocations",
            Some(&session),
            &json!({ "revocation": rv }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["grant_id"], hex::encode([1u8; 16]));
    let r = env
        .post("/v1/shares", Some(&api_key), &json!({ "grant": g }))
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "revoked");

    // The citizen's log: every exchange, newest first; the victim's log holds only theirs.
    let log = env.get("/v1/shares", Some(&session)).await.json();
    let entries = log["shares"].as_array().unwrap();
    let outcomes: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|e| (e["outcome"].as_str().unwrap(), e["reason"].as_str()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("refused", Some("revoked")),
            ("refused", Some("expired")),
            ("refused", Some("wrong_party")),
            ("shared", None),
        ]
    );
    let shared = &entries[3];
    assert_eq!(shared["channel"], "online");
    assert_eq!(shared["requester"], bank);
    assert_eq!(shared["document"], "citizen_identity");
    assert_eq!(
        shared["requested"],
        json!(["full_name", "birth_date", "sex"])
    );
    assert_eq!(
        shared["shared"],
        json!(["birth_date", "full_name"]),
        "in catalogue order"
    );
    assert_eq!(shared["at"], now.unix_timestamp());
    assert_eq!(shared["purpose"], "Mở tài khoản thanh toán");
    let vlog = env.get("/v1/shares", Some(&victim_session)).await.json();
    let ventries = vlog["shares"].as_array().unwrap();
    assert_eq!(ventries.len(), 2, "{vlog}");
    assert_eq!(ventries[1]["reason"], "wrong_holder_key");
    assert_eq!(ventries[0]["shared"], json!(["full_name"]));

    // After a device change, grants signed by the old key no longer hold.
    let g2 = grant(&device, bank, c.personal_id(), &["full_name"], now, 30, 5);
    let phone2 = new_device(77);
    let change = env.sign_in(&c, &phone2).await.json()["change_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = env.get("/v1/messages", Some(&session)).await.json()["messages"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        env.post(
            &format!("/v1/device-changes/{change}/confirm"),
            None,
            &json!({ "code": code })
        )
        .await
        .status,
        201
    );
    let r = env
        .post("/v1/shares", Some(&api_key), &json!({ "grant": g2 }))
        .await;
    r.refused(403, "grant_rejected");
    assert_eq!(r.json()["error"]["reason"], "wrong_holder_key");
}

async fn hostile_requests(env: &Env) {
    let h = env.get("/health", None).await.json();
    assert_eq!(h["status"], "ok");
    assert!(h["store"] == "sqlite" || h["store"] == "postgres");
    let doc: Value = env.get("/openapi.json", None).await.json();
    assert!(doc["paths"]["/v1/documents"]["post"].is_object());

    let c = env.citizen(1);
    let json_headers = [("content-type", "application/json")];
    env.send(
        "POST",
        "/v1/accounts",
        &json_headers,
        b"{\"personal_id\": ".to_vec(),
    )
    .await
    .refused(400, "malformed_json");
    env.send("POST", "/v1/accounts", &json_headers, b"[1,2,3]".to_vec())
        .await
        .refused(400, "malformed_json");
    env.send(
        "POST",
        "/v1/accounts",
        &json_headers,
        vec![0xff, 0xfe, 0x00],
    )
    .await
    .refused(400, "malformed_json");
    let mut big = common::registration(&c, &phone_of(&c));
    big["full_name"] = json!("A".repeat(70 * 1024));
    env.post("/v1/accounts", None, &big)
        .await
        .refused(413, "body_too_large");
    env.get("/v1/nothing-here", None)
        .await
        .refused(404, "not_found");
    env.send("PUT", "/v1/accounts", &[], Vec::new())
        .await
        .refused(405, "method_not_allowed");
    env.send("POST", "/v1/sessions", &json_headers, b"{}".to_vec())
        .await
        .refused(400, "malformed_json");
    env.send(
        "POST",
        "/v1/device-changes/x/confirm",
        &json_headers,
        br#"{"code": 123456}"#.to_vec(),
    )
    .await
    .refused(400, "malformed_json");
    // Nothing of the above registered anyone: the real registration is the first.
    let r = env.register(&c).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let (_, session) = {
        let device = new_device(3);
        let r = env.sign_in(&c, &device).await;
        (device, r.json()["session"].as_str().unwrap().to_owned())
    };
    let auth = format!("Bearer {session}");
    env.send(
        "POST",
        "/v1/documents",
        &[("authorization", &auth), ("idempotency-key", "z")],
        br#"{"kinds":["passport"]}"#.to_vec(),
    )
    .await
    .refused(400, "malformed_json");
    env.send(
        "POST",
        "/v1/documents",
        &[("authorization", &auth), ("idempotency-key", "z")],
        br#"{"kinds":[]}"#.to_vec(),
    )
    .await
    .refused(400, "no_kinds");
    let r = env.documents(&session, "z", &["citizen_identity"]).await;
    assert_eq!(
        r.status,
        200,
        "the refused requests did not spend the key: {}",
        r.text()
    );
}

/// Requests racing each other: the unique constraints hold the rules, nothing answers 5xx.
async fn concurrent_requests(env: &Env) {
    // Eight citizens register with one phone at once: exactly one gets it.
    let shared_phone = "0987654321";
    let mut tasks = Vec::new();
    for i in 1..=8 {
        let body = common::registration(&env.citizen(i), shared_phone);
        let addr = env.addr;
        tasks.push(tokio::spawn(async move {
            send(
                addr,
                "POST",
                "/v1/accounts",
                &[("content-type", "application/json")],
                serde_json::to_vec(&body).unwrap(),
            )
            .await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status != 201 {
            assert!(
                ["phone_in_use", "conflict"].contains(&r.code().as_str()),
                "{}",
                r.text()
            );
        }
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );

    // Eight phones sign in at once to an account with none bound: one is bound, the others
    // wait for its code or lost the race; the account has exactly that one device.
    let c = env.citizen(0);
    assert_eq!(env.register(&c).await.status, 201);
    let now = env.now().unix_timestamp();
    let mut tasks = Vec::new();
    for k in 0..8u64 {
        let device = new_device(1000 + k);
        let body = session_body(c.personal_id(), PASSWORD, &device, now);
        let addr = env.addr;
        tasks.push(tokio::spawn(async move {
            let r = send(
                addr,
                "POST",
                "/v1/sessions",
                &[("content-type", "application/json")],
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
            (b64(&device.public_key().sec1()), r)
        }));
    }
    let mut bound = Vec::new();
    let mut session = String::new();
    for t in tasks {
        let (key, r) = t.await.unwrap();
        match r.status {
            201 => {
                bound.push(key);
                session = r.json()["session"].as_str().unwrap().to_owned();
            }
            202 => {}
            _ => assert_eq!(r.code(), "conflict", "{}", r.text()),
        }
    }
    assert_eq!(bound.len(), 1, "one device bound");
    let account = env.get("/v1/account", Some(&session)).await.json();
    assert_eq!(account["device_key"], bound[0]);

    // The same Idempotency-Key eight times at once: one issuance, the same answer.
    assert_eq!(env.upgrade(&c).await.status, 200);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (addr, auth) = (env.addr, format!("Bearer {session}"));
        tasks.push(tokio::spawn(async move {
            send(
                addr,
                "POST",
                "/v1/documents",
                &[
                    ("content-type", "application/json"),
                    ("authorization", &auth),
                    ("idempotency-key", "same"),
                ],
                br#"{"kinds":["citizen_identity","health_insurance"]}"#.to_vec(),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => answers.push(r.body),
            _ => assert_eq!(r.code(), "conflict", "{}", r.text()),
        }
    }
    assert!(!answers.is_empty());
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "the same answer");
    let again = env
        .documents(&session, "same", &["citizen_identity", "health_insurance"])
        .await;
    assert_eq!(again.body, answers[0]);
}
