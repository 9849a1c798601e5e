//! The wallet through its public API: every rule of the account, documents, presenting,
//! consent, grants and the log, with each refusal path.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::account::{BiometricAssertion, Passcode};
use crate::audit::{Channel, Outcome};
use crate::consent::{Approval, ConsentGrant};
use crate::document::DocumentKind;
use crate::fixtures::{CLINIC_ELEMENTS, DemoWorld, iaca_params};
use crate::issuance::{CredentialValidity, IssuingAuthority};
use crate::keys::PrivateKey;
use crate::keystore::SoftwareKeyStore;
use crate::mdoc::mso::StatusReference;
use crate::qr::signed_request::SignedRequest;
use crate::trust::{StatusList, TrustList};
use crate::verifier::grant::{GrantCheck, GrantError, verify_grant};
use crate::verifier::{QrVerifyRequest, VerifyError};
use crate::x509::{CertificateParams, make_reader_certificate};

const NOW: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);

/// A clock the test moves.
#[derive(Debug)]
pub(crate) struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// A registered relying party: the registry CA, the party's key and reader certificate.
pub(crate) struct Party {
    pub registry: TrustList,
    pub key: PrivateKey,
    pub certificate: crate::x509::Certificate,
}

pub(crate) fn party(name: &str, seed: u64) -> Party {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut ca_params = iaca_params(NOW - Duration::days(1));
    ca_params.common_name = "Cổng dữ liệu quốc gia — đăng ký bên khai thác".into();
    let ca = IssuingAuthority::generate(&ca_params, &mut rng).unwrap();
    let key = PrivateKey::generate(&mut rng);
    let params = CertificateParams {
        country: "VN".into(),
        organization: Some("Phòng khám Đa khoa An Bình".into()),
        common_name: name.into(),
        issuer_contact: "https://rp.example.vn".into(),
        crl_url: None,
        not_before: NOW - Duration::days(1),
        not_after: NOW + Duration::days(365),
    };
    let certificate = make_reader_certificate(
        ca.key(),
        ca.certificate(),
        &key.public_key(),
        &params,
        &mut rng,
    )
    .unwrap();
    Party {
        registry: TrustList::new(vec![ca.certificate().clone()]).unwrap(),
        key,
        certificate,
    }
}

pub(crate) struct Fixture {
    pub dir: PathBuf,
    pub world: DemoWorld,
    pub clock: Arc<TestClock>,
    pub keys: Arc<SoftwareKeyStore>,
    pub clinic: Party,
}

impl Fixture {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cancuoc-wallet-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let keys = Arc::new(
            SoftwareKeyStore::open(&dir.join("keys"), Box::new(ChaCha20Rng::seed_from_u64(11)))
                .unwrap(),
        );
        Self {
            dir,
            world: DemoWorld::build(7, NOW).unwrap(),
            clock: Arc::new(TestClock(Mutex::new(NOW))),
            keys,
            clinic: party("vn.clinic.anbinh", 21),
        }
    }

    pub fn config(&self) -> WalletConfig {
        let trust = TrustList::new(vec![
            self.world.authority.certificate().clone(),
            self.world.issuer.certificate().clone(),
        ])
        .unwrap();
        WalletConfig::new(trust, self.clinic.registry.clone())
    }

    pub fn open(&self) -> Result<Wallet, WalletError> {
        Wallet::open(
            &self.dir.join("wallet.db"),
            self.keys.clone(),
            self.clock.clone(),
            Box::new(ChaCha20Rng::seed_from_u64(99)),
            self.config(),
        )
    }

    /// The demo world's issuer issuing `kind` to `key` (both forms).
    pub fn issue(
        &mut self,
        kind: DocumentKind,
        key: &crate::keys::PublicKey,
        index: u64,
    ) -> (Vec<u8>, Vec<u8>) {
        let doc = crate::document::samples::all()
            .into_iter()
            .find(|d| d.kind() == kind)
            .unwrap();
        self.issue_doc(&doc, key, index)
    }

    pub fn issue_doc(
        &mut self,
        doc: &crate::document::Document,
        key: &crate::keys::PublicKey,
        index: u64,
    ) -> (Vec<u8>, Vec<u8>) {
        let validity = CredentialValidity {
            valid_from: NOW,
            valid_until: NOW + Duration::days(90),
            expected_update: None,
        };
        let status = StatusReference {
            index,
            uri: crate::fixtures::STATUS_URI.into(),
        };
        let rng = &mut self.world.rng;
        let mdoc = self
            .world
            .issuer
            .issue(doc, key, validity, Some(status), NOW, rng)
            .unwrap();
        let compact = self
            .world
            .issuer
            .issue_compact(doc, key, validity, Some(index), NOW, rng)
            .unwrap();
        (mdoc.to_bytes().unwrap(), compact.to_bytes().unwrap())
    }

    pub fn request(&self, kind: DocumentKind, elements: &[&str], retain: &[&str]) -> SignedRequest {
        let mut rng = ChaCha20Rng::seed_from_u64(self.clock.now().unix_timestamp() as u64);
        SignedRequest::new(
            self.clinic.certificate.clone(),
            kind,
            elements,
            retain,
            "Tiếp đón khám bệnh có BHYT",
            self.clock.now(),
            Duration::minutes(5),
            &mut rng,
        )
        .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn activation(level: AssuranceLevel) -> Activation {
    Activation {
        personal_id: "001090012345".into(),
        full_name: "NGUYỄN VĂN AN".into(),
        birth_date: date!(1990 - 05 - 01),
        level,
        id_card_expiry: None,
    }
}

pub(crate) fn pin() -> Passcode {
    Passcode::new("246810").unwrap()
}

/// An activated level-2 wallet holding the four documents.
pub(crate) fn full_wallet(f: &mut Fixture) -> Wallet {
    let w = f.open().unwrap();
    let account = w
        .activate(activation(AssuranceLevel::Level2), &pin())
        .unwrap();
    for (i, kind) in (0u64..).zip(DocumentKind::ALL) {
        let (mdoc, qr) = f.issue(kind, &account.device_key, i);
        w.add_document(&mdoc, Some(&qr), None).unwrap();
    }
    w
}

fn doc_id(w: &Wallet, kind: DocumentKind) -> String {
    w.documents()
        .unwrap()
        .into_iter()
        .find(|d| d.kind == kind)
        .unwrap()
        .id
}

fn verifier(f: &Fixture) -> Verifier {
    Verifier::new(f.config().issuer_trust)
}

#[test]
fn activation_creates_the_device_key_and_the_gate() {
    let f = Fixture::new("activate");
    let w = f.open().unwrap();
    assert!(w.account().unwrap().is_none());
    assert!(matches!(w.unlock(&pin()), Err(WalletError::NotActivated)));
    let a = w
        .activate(activation(AssuranceLevel::Level1), &pin())
        .unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(a.level, AssuranceLevel::Level1);
    assert!(a.password_change_due);
    assert!(w.is_unlocked());
    assert!(matches!(
        w.activate(activation(AssuranceLevel::Level1), &pin()),
        Err(WalletError::AlreadyActivated)
    ));
    let mut bad = activation(AssuranceLevel::Level1);
    bad.personal_id = "12345".into();
    // Reopen: the account is there, the gate starts shut.
    drop(w);
    let w = f.open().unwrap();
    assert_eq!(w.account().unwrap().unwrap().device_key, a.device_key);
    assert!(!w.is_unlocked());
    let g = Fixture::new("activate-bad");
    let w2 = g.open().unwrap();
    assert!(matches!(
        w2.activate(bad, &pin()),
        Err(WalletError::Input(_))
    ));
}

#[test]
fn the_gate_counts_wrong_passcodes_across_restarts_and_times_out() {
    let f = Fixture::new("gate");
    let w = f.open().unwrap();
    w.activate(activation(AssuranceLevel::Level2), &pin())
        .unwrap();
    w.lock();
    let wrong = Passcode::new("000000").unwrap();
    for remaining in [4, 3] {
        let e = w.unlock(&wrong).unwrap_err();
        assert_eq!(e.code(), "wrong_passcode");
        assert!(
            matches!(e, WalletError::Gate(GateError::Wrong { remaining: r }) if r == remaining)
        );
    }
    drop(w);
    // A restart does not reset the count.
    let w = f.open().unwrap();
    assert!(matches!(
        w.unlock(&wrong),
        Err(WalletError::Gate(GateError::Wrong { remaining: 2 }))
    ));
    w.unlock(&wrong).unwrap_err();
    let e = w.unlock(&wrong).unwrap_err();
    assert_eq!(e.code(), "locked_out");
    // Even the right passcode waits out the lock-out.
    assert_eq!(w.unlock(&pin()).unwrap_err().code(), "locked_out");
    f.clock.advance(Duration::seconds(31));
    w.unlock(&pin()).unwrap();
    assert!(w.is_unlocked());
    // Idle timeout.
    f.clock.advance(Duration::minutes(6));
    assert!(!w.is_unlocked());
    // Biometrics: fresh and verified only.
    let stale = BiometricAssertion {
        verified: true,
        at: f.clock.now() - Duration::minutes(2),
    };
    assert_eq!(
        w.unlock_biometric(stale).unwrap_err().code(),
        "biometric_refused"
    );
    w.unlock_biometric(BiometricAssertion {
        verified: true,
        at: f.clock.now(),
    })
    .unwrap();
    assert!(w.is_unlocked());
    // Change passcode.
    let new = Passcode::new("135790").unwrap();
    assert!(w.change_passcode(&wrong, &new).is_err());
    w.change_passcode(&pin(), &new).unwrap();
    w.lock();
    assert!(w.unlock(&pin()).is_err());
    w.unlock(&new).unwrap();
}

#[test]
fn password_policy_is_checked_where_a_password_is_set() {
    let f = Fixture::new("password");
    let w = f.open().unwrap();
    w.activate(activation(AssuranceLevel::Level2), &pin())
        .unwrap();
    w.set_password("short1!A").unwrap();
    assert!(!w.account().unwrap().unwrap().password_change_due);
    for bad in ["Ab1!", "abcdefg1!", "ABCDEFG1!", "Abcdefgh!", "Abcdefgh1"] {
        assert_eq!(
            w.set_password(bad).unwrap_err().code(),
            "password_policy",
            "{bad}"
        );
    }
    f.clock.advance(Duration::days(200));
    assert!(w.account().unwrap().unwrap().password_change_due);
}

#[test]
fn documents_are_verified_bound_to_the_device_and_level_2_only() {
    let mut f = Fixture::new("docs");
    let w = f.open().unwrap();
    let account = w
        .activate(activation(AssuranceLevel::Level1), &pin())
        .unwrap();
    // Level 1: the identity card yes, the others no — with a message that says what to do.
    let (mdoc, qr) = f.issue(DocumentKind::CitizenIdentity, &account.device_key, 0);
    let card = w.add_document(&mdoc, Some(&qr), None).unwrap();
    assert_eq!(card.holder_name, "NGUYỄN VĂN AN");
    assert_eq!(card.number, "001090012345");
    assert_eq!(card.status, DocumentStatus::Valid);
    assert!(card.has_qr);
    let (mdoc, qr) = f.issue(DocumentKind::HealthInsurance, &account.device_key, 2);
    let e = w.add_document(&mdoc, Some(&qr), None).unwrap_err();
    assert_eq!(e.code(), "level_too_low");
    assert!(e.message(Lang::Vi).contains("mức 2"));
    assert!(e.message(Lang::En).contains("level 2"));
    w.set_level(AssuranceLevel::Level2).unwrap();
    w.add_document(&mdoc, Some(&qr), None).unwrap();
    assert_eq!(
        w.add_document(&mdoc, Some(&qr), None).unwrap_err().code(),
        "duplicate_document"
    );
    // Bound to another key: refused.
    let stranger = PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(1)).public_key();
    let (mdoc2, qr2) = f.issue(DocumentKind::DrivingLicence, &stranger, 1);
    assert_eq!(
        w.add_document(&mdoc2, None, None).unwrap_err().code(),
        "wrong_device_key"
    );
    // The QR form of another document, or another key, is refused with the mdoc.
    let (mdoc3, _) = f.issue(DocumentKind::DrivingLicence, &account.device_key, 1);
    assert_eq!(
        w.add_document(&mdoc3, Some(&qr2), None).unwrap_err().code(),
        "wrong_device_key"
    );
    assert_eq!(
        w.add_document(&mdoc3, Some(&qr), None).unwrap_err().code(),
        "mismatched_forms"
    );
    // An untrusted issuer: refused.
    let other = DemoWorld::build(8, NOW).unwrap();
    let foreign = other
        .issuer
        .issue(
            &crate::document::samples::all()[1],
            &account.device_key,
            CredentialValidity {
                valid_from: NOW,
                valid_until: NOW + Duration::days(9),
                expected_update: None,
            },
            None,
            NOW,
            &mut ChaCha20Rng::seed_from_u64(3),
        )
        .unwrap();
    let e = w
        .add_document(&foreign.to_bytes().unwrap(), None, None)
        .unwrap_err();
    assert_eq!(e.code(), "document_refused");
    // Garbage.
    assert_eq!(
        w.add_document(b"\xa1", None, None).unwrap_err().code(),
        "document_refused"
    );
    // A tampered credential byte.
    let mut bad = mdoc3.clone();
    let n = bad.len() - 40;
    bad[n] ^= 1;
    assert!(w.add_document(&bad, None, None).is_err());
    // Listing, showing, removing.
    let docs = w.documents().unwrap();
    assert_eq!(docs.len(), 2);
    let detail = w.document(&docs[1].id).unwrap();
    assert!(
        detail
            .elements
            .iter()
            .any(|e| e.identifier == "card_code" && !e.label_vi.is_empty())
    );
    w.remove_document(&docs[1].id).unwrap();
    assert_eq!(w.documents().unwrap().len(), 1);
    assert_eq!(
        w.remove_document("nope").unwrap_err().code(),
        "no_such_document"
    );
    // A document without its QR form lists but cannot be shown as a QR.
    w.add_document(&mdoc3, None, None).unwrap();
    let id = doc_id(&w, DocumentKind::DrivingLicence);
    assert_eq!(
        w.present_qr(&id, &["family_name"]).unwrap_err().code(),
        "no_qr_form"
    );
}

#[test]
fn a_re_issue_replaces_the_document_and_a_status_list_revokes_it() {
    let mut f = Fixture::new("reissue");
    let w = full_wallet(&mut f);
    let key = w.account().unwrap().unwrap().device_key;
    let old = doc_id(&w, DocumentKind::HealthInsurance);
    let (mdoc, qr) = f.issue(DocumentKind::HealthInsurance, &key, 7);
    let card = w.add_document(&mdoc, Some(&qr), None).unwrap();
    assert_ne!(card.id, old);
    assert_eq!(w.documents().unwrap().len(), 4);
    let mut list = StatusList::with_capacity(crate::fixtures::STATUS_URI, 16);
    list.revoke(7);
    assert_eq!(w.apply_status_list(&list).unwrap(), vec![card.id.clone()]);
    assert_eq!(w.apply_status_list(&list).unwrap(), Vec::<String>::new());
    let now_card = w
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.id == card.id)
        .unwrap();
    assert_eq!(now_card.status, DocumentStatus::Revoked);
    assert_eq!(
        w.present_qr(&card.id, &["card_code"]).unwrap_err().code(),
        "document_revoked"
    );
    // Expiry.
    f.clock.advance(Duration::days(91));
    let id = doc_id(&w, DocumentKind::DrivingLicence);
    w.unlock(&pin()).unwrap();
    assert_eq!(
        w.present_qr(&id, &["family_name"]).unwrap_err().code(),
        "document_expired"
    );
}

#[test]
fn static_qr_is_gated_logged_and_verifies() {
    let mut f = Fixture::new("static");
    let w = full_wallet(&mut f);
    let id = doc_id(&w, DocumentKind::HealthInsurance);
    let qr = w.present_qr(&id, CLINIC_ELEMENTS).unwrap();
    assert_eq!(qr.expires, NOW + Duration::seconds(60));
    let v = verifier(&f)
        .verify_qr_text(&qr.text, &QrVerifyRequest::new(NOW))
        .unwrap();
    let mut got: Vec<&str> = v.disclosed.iter().map(|d| d.identifier.as_str()).collect();
    got.sort();
    let mut want: Vec<&str> = qr.disclosed.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(got, want);
    // Gate shut: nothing is disclosed, nothing is logged as disclosed.
    w.lock();
    assert_eq!(
        w.present_qr(&id, CLINIC_ELEMENTS).unwrap_err().code(),
        "gate_closed"
    );
    // Locked account: nothing at all.
    w.unlock(&pin()).unwrap();
    w.lock_account().unwrap();
    w.unlock(&pin()).unwrap();
    assert_eq!(
        w.present_qr(&id, CLINIC_ELEMENTS).unwrap_err().code(),
        "account_locked"
    );
    w.unlock_account().unwrap();
    w.unlock(&pin()).unwrap();
    w.present_qr(&id, &["holder_name"]).unwrap();
    let log = w.audit_log(None, None, None).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|(_, e)| e.channel == Channel::StaticQr
        && e.outcome == Outcome::Disclosed
        && e.requester == "static"));
    assert_eq!(w.verify_log().unwrap(), 2);
}

#[test]
fn the_account_expires_with_the_id_card() {
    let mut f = Fixture::new("expiry");
    let w = full_wallet(&mut f);
    let expiry = w.account().unwrap().unwrap().id_card_expiry.unwrap();
    let id = doc_id(&w, DocumentKind::HealthInsurance);
    let days = (expiry - NOW.date()).whole_days() + 1;
    f.clock.advance(Duration::days(days));
    w.unlock(&pin()).unwrap();
    assert_eq!(w.account().unwrap().unwrap().status, AccountStatus::Expired);
    assert_eq!(
        w.present_qr(&id, &["card_code"]).unwrap_err().code(),
        "account_expired"
    );
}

#[test]
fn challenge_mode_prompts_then_answers_a_subset_bound_to_the_nonce() {
    let mut f = Fixture::new("challenge");
    let w = full_wallet(&mut f);
    let req = f.request(
        DocumentKind::HealthInsurance,
        CLINIC_ELEMENTS,
        &["card_code"],
    );
    let text = req.sign(&f.clinic.key).unwrap();
    w.lock();
    // The prompt can be read before unlocking; the answer cannot.
    let prompt = w.respond(&text, None).unwrap();
    assert_eq!(prompt.party_id, "vn.clinic.anbinh");
    assert_eq!(
        prompt.party_organization.as_deref(),
        Some("Phòng khám Đa khoa An Bình")
    );
    assert_eq!(prompt.purpose, "Tiếp đón khám bệnh có BHYT");
    assert_eq!(prompt.elements.len(), CLINIC_ELEMENTS.len());
    assert!(prompt.elements.iter().all(|e| e.available));
    assert!(
        prompt
            .elements
            .iter()
            .find(|e| e.identifier == "card_code")
            .unwrap()
            .retain
    );
    assert!(!prompt.encrypted);
    let subset = vec!["card_code".to_string(), "holder_name".to_string()];
    let e = w
        .answer(&prompt.id, Approval::Some(subset.clone()))
        .unwrap_err();
    assert_eq!(e.code(), "gate_closed");
    w.unlock(&pin()).unwrap();
    // Elements not asked for cannot be slipped in.
    let e = w
        .answer(
            &prompt.id,
            Approval::Some(vec!["benefit_level".into(), "portrait".into()]),
        )
        .unwrap_err();
    assert_eq!(e.code(), "not_requested");
    let Answer::Presentation(qr) = w.answer(&prompt.id, Approval::Some(subset)).unwrap() else {
        panic!("expected a presentation");
    };
    // The prompt is used up.
    assert_eq!(
        w.answer(&prompt.id, Approval::All).unwrap_err().code(),
        "no_such_request"
    );
    let mut vreq = QrVerifyRequest::new(NOW);
    vreq.challenge = Some(req.request.challenge());
    let v = verifier(&f).verify_qr_text(&qr.text, &vreq).unwrap();
    assert!(v.element("card_code").is_some());
    assert!(v.element("holder_name").is_some());
    assert!(v.element("benefit_level").is_none());
    // Another request's nonce does not accept it.
    let other = f.request(DocumentKind::HealthInsurance, CLINIC_ELEMENTS, &[]);
    let mut other = other;
    other.request.nonce = vec![9; 16];
    vreq.challenge = Some(other.request.challenge());
    assert_eq!(
        verifier(&f).verify_qr_text(&qr.text, &vreq).unwrap_err(),
        VerifyError::WrongNonce
    );
    let log = w.audit_log(Some("vn.clinic.anbinh"), None, None).unwrap();
    assert_eq!(log.len(), 1);
    let (_, e) = &log[0];
    assert_eq!(e.channel, Channel::ChallengeQr);
    assert_eq!(e.requested.len(), CLINIC_ELEMENTS.len());
    assert_eq!(e.retained, vec!["card_code".to_string()]);
    assert!(e.disclosed.contains(&"card_code".to_string()));
    assert!(!e.disclosed.contains(&"benefit_level".to_string()));
}

#[test]
fn an_encrypted_answer_opens_only_with_the_party_key() {
    let mut f = Fixture::new("encrypted");
    let w = full_wallet(&mut f);
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let enc = PrivateKey::generate(&mut rng);
    let mut req = f.request(DocumentKind::HealthInsurance, CLINIC_ELEMENTS, &[]);
    req.encryption_key = Some(enc.public_key());
    let prompt = w.respond(&req.sign(&f.clinic.key).unwrap(), None).unwrap();
    assert!(prompt.encrypted);
    let Answer::Presentation(qr) = w.answer(&prompt.id, Approval::All).unwrap() else {
        panic!("expected a presentation");
    };
    assert!(qr.text.starts_with("CE1:"));
    let mut vreq = QrVerifyRequest::new(NOW);
    vreq.challenge = Some(req.request.challenge());
    // Without the key: a clear error, not a pass.
    assert_eq!(
        verifier(&f)
            .verify_qr_text(&qr.text, &vreq)
            .unwrap_err()
            .code(),
        "encrypted_no_key"
    );
    let wrong = PrivateKey::generate(&mut rng);
    vreq.decryption_key = Some(&wrong);
    assert_eq!(
        verifier(&f)
            .verify_qr_text(&qr.text, &vreq)
            .unwrap_err()
            .code(),
        "decrypt_failed"
    );
    vreq.decryption_key = Some(&enc);
    let v = verifier(&f).verify_qr_text(&qr.text, &vreq).unwrap();
    assert!(v.element("card_code").is_some());
}

#[test]
fn bad_requests_are_refused_and_the_refusal_logged() {
    let mut f = Fixture::new("refusals");
    let w = full_wallet(&mut f);
    let req = f.request(DocumentKind::HealthInsurance, CLINIC_ELEMENTS, &[]);
    let signed = req.sign(&f.clinic.key).unwrap();
    // Unsigned (the QR channel's CR1).
    let e = w.respond(&req.request.to_text(), None).unwrap_err();
    assert_eq!(e.code(), "request_unsigned");
    // Unknown party: a party certified by another registry.
    let rogue = party("vn.clinic.anbinh", 99);
    let mut rreq = req.clone();
    rreq.certificate = rogue.certificate.clone();
    let e = w
        .respond(&rreq.sign(&rogue.key).unwrap(), None)
        .unwrap_err();
    assert_eq!(e.code(), "request_unknown_party");
    // A party naming itself as another.
    let mut lying = req.clone();
    lying.request.verifier = "vn.bank.other".into();
    let e = w
        .respond(&lying.sign(&f.clinic.key).unwrap(), None)
        .unwrap_err();
    assert_eq!(e.code(), "party_mismatch");
    // Tampered signature: flip a character near the end.
    let mut chars: Vec<char> = signed.chars().collect();
    let n = chars.len() - 3;
    chars[n] = if chars[n] == '0' { '1' } else { '0' };
    let tampered: String = chars.into_iter().collect();
    assert!(w.respond(&tampered, None).is_err());
    // Malformed.
    assert_eq!(
        w.respond("CR2:%%%", None).unwrap_err().code(),
        "request_malformed"
    );
    assert_eq!(w.respond("hello", None).unwrap_err().code(), "wrong_prefix");
    // Expired.
    f.clock.advance(Duration::minutes(6));
    assert_eq!(
        w.respond(&signed, None).unwrap_err().code(),
        "request_expired"
    );
    let log = w.audit_log(None, None, None).unwrap();
    assert_eq!(log.len(), 7);
    assert!(
        log.iter()
            .all(|(_, e)| e.outcome == Outcome::Refused && e.reason.is_some())
    );
    // Declining is logged too.
    let req = f.request(DocumentKind::HealthInsurance, CLINIC_ELEMENTS, &[]);
    let prompt = w.respond(&req.sign(&f.clinic.key).unwrap(), None).unwrap();
    assert_eq!(
        w.answer(&prompt.id, Approval::Decline).unwrap(),
        Answer::Declined
    );
    let (_, last) = w.audit_log(None, None, None).unwrap().pop().unwrap();
    assert_eq!(last.reason.as_deref(), Some("declined by the citizen"));
    assert_eq!(w.verify_log().unwrap(), 8);
}

#[test]
fn grants_are_signed_listed_revoked_and_then_rejected() {
    let mut f = Fixture::new("grants");
    let w = full_wallet(&mut f);
    let bank = party("vn.bank.vietcom", 31);
    let mut cfg = f.config();
    cfg.relying_parties = TrustList::new(vec![
        f.clinic.registry.roots()[0].clone(),
        bank.registry.roots()[0].clone(),
    ])
    .unwrap();
    drop(w);
    let w = Wallet::open(
        &f.dir.join("wallet.db"),
        f.keys.clone(),
        f.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(5)),
        cfg,
    )
    .unwrap();
    w.unlock(&pin()).unwrap();
    let mut req = SignedRequest::new(
        bank.certificate.clone(),
        DocumentKind::CitizenIdentity,
        &["full_name", "birth_date", "personal_administrative_number"],
        &["full_name", "birth_date", "personal_administrative_number"],
        "eKYC mở tài khoản",
        NOW,
        Duration::minutes(5),
        &mut ChaCha20Rng::seed_from_u64(8),
    )
    .unwrap();
    req.grant_until = Some(NOW + Duration::days(365));
    let prompt = w.respond(&req.sign(&bank.key).unwrap(), None).unwrap();
    assert_eq!(prompt.standing_until, Some(NOW + Duration::days(365)));
    let Answer::Grant(g) = w.answer(&prompt.id, Approval::All).unwrap() else {
        panic!("expected a grant");
    };
    assert!(g.active);
    let holder = w.account().unwrap().unwrap().device_key;
    let mut check = GrantCheck::new(NOW + Duration::days(1));
    check.holder_key = Some(&holder);
    check.party = Some("vn.bank.vietcom");
    let grant: ConsentGrant = verify_grant(&g.text, &check).unwrap();
    assert_eq!(grant.subject, "001090012345");
    assert_eq!(grant.elements.len(), 3);
    // Wrong party, wrong key, expired.
    let mut other = check;
    other.party = Some("vn.bank.other");
    assert_eq!(
        verify_grant(&g.text, &other).unwrap_err().code(),
        "wrong_party"
    );
    let stranger = PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(4)).public_key();
    let mut other = check;
    other.holder_key = Some(&stranger);
    assert_eq!(
        verify_grant(&g.text, &other).unwrap_err().code(),
        "wrong_holder_key"
    );
    let mut other = check;
    other.now = NOW + Duration::days(400);
    assert_eq!(verify_grant(&g.text, &other).unwrap_err().code(), "expired");
    // Revoke.
    assert_eq!(w.grants().unwrap().len(), 1);
    w.lock();
    assert_eq!(w.revoke_grant(&g.id).unwrap_err().code(), "gate_closed");
    w.unlock(&pin()).unwrap();
    let revoked = w.revoke_grant(&g.id).unwrap();
    assert!(!revoked.active);
    assert_eq!(
        w.revoke_grant(&g.id).unwrap_err().code(),
        "grant_already_revoked"
    );
    let revocations = vec![revoked.revocation.clone().unwrap()];
    let mut after = check;
    after.revocations = &revocations;
    assert!(matches!(
        verify_grant(&g.text, &after),
        Err(GrantError::Revoked(_))
    ));
    assert!(!w.grants().unwrap()[0].active);
    let log = w.audit_log(Some("vn.bank.vietcom"), None, None).unwrap();
    let outcomes: Vec<Outcome> = log.iter().map(|(_, e)| e.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::Granted, Outcome::Revoked]);
    assert!(log.iter().all(|(_, e)| e.channel == Channel::OnlineGrant));
}

#[test]
fn a_parent_presents_a_dependent_child_s_documents() {
    let mut f = Fixture::new("dependents");
    let w = full_wallet(&mut f);
    let key = w.account().unwrap().unwrap().device_key;
    assert_eq!(
        w.add_dependent("001215000111", "NGUYỄN VĂN LỚN", date!(2010 - 01 - 01))
            .unwrap_err()
            .code(),
        "not_a_dependent_age"
    );
    let child = w
        .add_dependent("001218000222", "NGUYỄN THỊ BÉ", date!(2018 - 03 - 04))
        .unwrap();
    assert!(child.minor);
    let mut card = crate::document::samples::all()
        .into_iter()
        .find(|d| d.kind() == DocumentKind::HealthInsurance)
        .unwrap();
    if let crate::document::Document::HealthInsurance(h) = &mut card {
        h.holder_name = "NGUYỄN THỊ BÉ".into();
        h.birth_date = date!(2018 - 03 - 04);
        h.card_code = "TE1010123456789".into();
        h.benefit_level = 1;
    }
    let (mdoc, qr) = f.issue_doc(&card, &key, 9);
    let added = w
        .add_document(&mdoc, Some(&qr), Some("001218000222"))
        .unwrap();
    assert_eq!(added.dependent.as_deref(), Some("001218000222"));
    // A licence cannot be a child's.
    let (dl, _) = f.issue(DocumentKind::DrivingLicence, &key, 10);
    assert_eq!(
        w.add_document(&dl, None, Some("001218000222"))
            .unwrap_err()
            .code(),
        "not_for_dependents"
    );
    assert_eq!(
        w.add_document(&dl, None, Some("000000000000"))
            .unwrap_err()
            .code(),
        "no_such_dependent"
    );
    // The parent presents it; the log says on whose behalf.
    w.present_qr(&added.id, &["card_code", "holder_name"])
        .unwrap();
    let (_, e) = w.audit_log(None, None, None).unwrap().pop().unwrap();
    assert_eq!(e.on_behalf_of.as_deref(), Some("NGUYỄN THỊ BÉ"));
    // A challenge for the child's card.
    let req = f.request(DocumentKind::HealthInsurance, &["card_code"], &[]);
    let prompt = w
        .respond(&req.sign(&f.clinic.key).unwrap(), Some("001218000222"))
        .unwrap();
    assert_eq!(prompt.document_id, added.id);
    assert_eq!(prompt.holder_name, "NGUYỄN THỊ BÉ");
    // At 14 the child needs an account of their own.
    f.clock.advance(Duration::days(365 * 9));
    assert!(!w.dependents().unwrap()[0].minor);
}

#[test]
fn open_refuses_a_wrong_key_a_newer_schema_and_a_damaged_file_without_writing() {
    let mut f = Fixture::new("open");
    let w = full_wallet(&mut f);
    drop(w);
    let db = f.dir.join("wallet.db");
    // Wrong data key.
    let other_keys = Arc::new(
        SoftwareKeyStore::open(
            &f.dir.join("other-keys"),
            Box::new(ChaCha20Rng::seed_from_u64(2)),
        )
        .unwrap(),
    );
    other_keys
        .store_data_key(
            DATA_KEY_ALIAS,
            &DataKey::generate(&mut ChaCha20Rng::seed_from_u64(3)),
        )
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let e = Wallet::open(
        &db,
        other_keys.clone(),
        f.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        f.config(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "wrong_data_key");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    // The data key gone from the key store.
    let empty = Arc::new(
        SoftwareKeyStore::open(
            &f.dir.join("empty-keys"),
            Box::new(ChaCha20Rng::seed_from_u64(2)),
        )
        .unwrap(),
    );
    let e = Wallet::open(
        &db,
        empty,
        f.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        f.config(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "wrong_data_key");
    // Newer schema.
    let newer = f.dir.join("newer.db");
    std::fs::copy(&db, &newer).unwrap();
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&newer).unwrap();
    let e = Wallet::open(
        &newer,
        f.keys.clone(),
        f.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        f.config(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "newer_schema");
    assert_eq!(std::fs::read(&newer).unwrap(), before);
    // Damaged file.
    let damaged = f.dir.join("damaged.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(100) {
        *b = 0x5a;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let e = Wallet::open(
        &damaged,
        f.keys.clone(),
        f.clock.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        f.config(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "corrupt");
    assert_eq!(std::fs::read(&damaged).unwrap(), bytes);
}

#[test]
fn a_tampered_log_is_found_and_the_export_is_json() {
    let mut f = Fixture::new("log");
    let w = full_wallet(&mut f);
    let id = doc_id(&w, DocumentKind::HealthInsurance);
    for _ in 0..3 {
        w.present_qr(&id, &["card_code"]).unwrap();
        f.clock.advance(Duration::minutes(1));
    }
    let json: serde_json::Value =
        serde_json::from_str(&w.export_log_json(None, None, None).unwrap()).unwrap();
    assert_eq!(json["entries"].as_array().unwrap().len(), 3);
    assert_eq!(json["entries"][0]["channel"], "static_qr");
    // Period filter.
    let later = w
        .audit_log(None, Some(NOW + Duration::seconds(30)), None)
        .unwrap();
    assert_eq!(later.len(), 2);
    // Delete the middle entry behind the wallet's back.
    w.store
        .raw()
        .execute("DELETE FROM audit WHERE seq = 2", [])
        .unwrap();
    assert_eq!(w.verify_log().unwrap_err().code(), "audit_log");
}

#[test]
fn nothing_secret_reaches_debug_output_or_errors() {
    let mut f = Fixture::new("secrets");
    let w = full_wallet(&mut f);
    let debug = format!("{w:?} {:?} {:?}", pin(), w.account().unwrap());
    assert!(!debug.contains("246810"));
    let wrong = Passcode::new("000000").unwrap();
    let e = w.unlock(&wrong).unwrap_err();
    for text in [
        e.to_string(),
        format!("{e:?}"),
        e.message(Lang::Vi),
        e.message(Lang::En),
    ] {
        assert!(
            !text.contains("000000") && !text.contains("246810"),
            "{text}"
        );
    }
}

#[allow(dead_code)]
fn _path(p: &Path) -> &Path {
    p
}
