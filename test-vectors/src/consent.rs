//! Consent vectors (`consent/`): a relying party's signed request (`CR2:`) as a wallet must
//! judge it, an answer encrypted to the party (`CE1:`), and a consent grant (`CG1:`) with its
//! revocation (`CV1:`). `consent/manifest.json` lists each with its inputs and expected outcome.

use cancuoc_core::consent::{ConsentGrant, GrantRevocation};
use cancuoc_core::document::DocumentKind;
use cancuoc_core::fixtures::{CLINIC_ELEMENTS, DemoWorld, iaca_params};
use cancuoc_core::issuance::IssuingAuthority;
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::qr::encrypted;
use cancuoc_core::qr::sd_cwt::present_qr;
use cancuoc_core::qr::signed_request::SignedRequest;
use cancuoc_core::x509::{Certificate, CertificateParams, make_reader_certificate};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{Error, File, SEED, T0, tdate};

struct Party {
    key: PrivateKey,
    cert: Certificate,
}

fn party(
    ca: &IssuingAuthority,
    id: &str,
    org: &str,
    rng: &mut ChaCha20Rng,
) -> Result<Party, Error> {
    let key = PrivateKey::generate(rng);
    let cert = make_reader_certificate(
        ca.key(),
        ca.certificate(),
        &key.public_key(),
        &CertificateParams {
            country: "VN".into(),
            organization: Some(org.into()),
            common_name: id.into(),
            issuer_contact: "https://cancuoc.example.vn/parties".into(),
            crl_url: None,
            not_before: T0 - Duration::days(1),
            not_after: T0 + Duration::days(365),
        },
        rng,
    )?;
    Ok(Party { key, cert })
}

fn pem(k: &PrivateKey) -> Result<Vec<u8>, Error> {
    Ok(k.to_pkcs8_pem()
        .map_err(|_| Error::Missing("key"))?
        .as_bytes()
        .to_vec())
}

fn flip_char(text: &str, from_end: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = chars.len().saturating_sub(from_end);
    if let Some(c) = chars.get_mut(i) {
        *c = if *c == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

/// Adds the consent vectors to `files`, with their own manifest.
pub fn generate(world: &mut DemoWorld, files: &mut Vec<File>) -> Result<(), Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(SEED + 7);
    let mut vectors: Vec<Value> = Vec::new();
    let mut ca_params = iaca_params(T0 - Duration::days(1));
    ca_params.common_name = "cancuoc demo relying-party registry".into();
    let registry = IssuingAuthority::generate(&ca_params, &mut rng)?;
    let mut rogue_params = ca_params.clone();
    rogue_params.common_name = "an unknown registry".into();
    let rogue_registry = IssuingAuthority::generate(&rogue_params, &mut rng)?;
    let clinic = party(
        &registry,
        "vn.clinic.anbinh",
        "Phòng khám Đa khoa An Bình",
        &mut rng,
    )?;
    let rogue = party(
        &rogue_registry,
        "vn.clinic.anbinh",
        "Phòng khám Đa khoa An Bình",
        &mut rng,
    )?;
    files.push((
        "consent/registry.pem".into(),
        registry.certificate().to_pem()?.into_bytes(),
    ));
    files.push((
        "consent/party.pem".into(),
        clinic.cert.to_pem()?.into_bytes(),
    ));
    files.push(("consent/party-key.pem".into(), pem(&clinic.key)?));
    let later = T0 + Duration::minutes(1);

    let make = |rng: &mut ChaCha20Rng, cert: &Certificate| {
        SignedRequest::new(
            cert.clone(),
            DocumentKind::HealthInsurance,
            CLINIC_ELEMENTS,
            &["card_code", "holder_name"],
            "Tiếp đón khám bệnh có BHYT",
            T0,
            Duration::minutes(5),
            rng,
        )
        .map_err(|_| Error::Missing("request"))
    };
    let mut request =
        |name: &str, description: &str, text: String, now: OffsetDateTime, expect: Value| -> () {
            let path = format!("consent/{name}.txt");
            files.push((path.clone(), text.into_bytes()));
            vectors.push(json!({
                "name": name, "type": "request", "description": description,
                "text": path, "registry": "consent/registry.pem", "now": tdate(now),
                "expect": expect,
            }));
        };
    let valid = make(&mut rng, &clinic.cert)?;
    let valid_text = valid
        .sign(&clinic.key)
        .map_err(|_| Error::Missing("sign"))?;
    request(
        "request-valid",
        "the clinic's signed request for the reception elements, keeping card code and name",
        valid_text.clone(),
        later,
        json!({"valid": true, "party": "vn.clinic.anbinh", "elements": CLINIC_ELEMENTS,
               "retain": ["card_code", "holder_name"], "purpose": "Tiếp đón khám bệnh có BHYT"}),
    );
    request(
        "request-expired",
        "the same request six minutes later (it lived five)",
        valid_text.clone(),
        T0 + Duration::minutes(6),
        json!({"valid": false, "code": "request_expired"}),
    );
    request(
        "request-unsigned",
        "the unsigned CR1 form of the same request: a wallet answers only signed requests",
        valid.request.to_text(),
        later,
        json!({"valid": false, "code": "request_unsigned"}),
    );
    let rogue_req = make(&mut rng, &rogue.cert)?;
    request(
        "request-unknown-party",
        "signed by a party whose certificate comes from a registry the wallet does not trust",
        rogue_req
            .sign(&rogue.key)
            .map_err(|_| Error::Missing("sign"))?,
        later,
        json!({"valid": false, "code": "request_unknown_party"}),
    );
    request(
        "request-tampered-signature",
        "the valid request with one character of its signature changed",
        flip_char(&valid_text, 3),
        later,
        json!({"valid": false, "code": "request_bad_signature"}),
    );
    let mut lying = valid.clone();
    lying.request.verifier = "vn.bank.other".into();
    request(
        "request-party-mismatch",
        "signed by the clinic but naming another party",
        lying
            .sign(&clinic.key)
            .map_err(|_| Error::Missing("sign"))?,
        later,
        json!({"valid": false, "code": "party_mismatch"}),
    );

    // An answer encrypted to the clinic: the clinic QR presentation bound to the request.
    let card = world
        .compact(DocumentKind::HealthInsurance)
        .ok_or(Error::Missing("compact"))?;
    let answer = present_qr(
        card,
        &world.device_key,
        &["card_code", "holder_name"],
        Some(&valid.request),
        later,
    )?;
    let body = answer
        .strip_prefix("CC1:")
        .and_then(|b| cancuoc_core::qr::base45::decode(b).ok())
        .ok_or(Error::Missing("answer"))?;
    let sealed = encrypted::seal(&body, &clinic.key.public_key(), &mut rng)
        .map_err(|_| Error::Missing("seal"))?;
    files.push(("consent/answer-encrypted.txt".into(), sealed.into_bytes()));
    vectors.push(json!({
        "name": "answer-encrypted",
        "type": "encrypted_answer",
        "description": "the clinic QR answer (card code, holder name) to request-valid, encrypted to the clinic's key; verify with consent/party-key.pem, the request and trust/",
        "text": "consent/answer-encrypted.txt", "decryption_key": "consent/party-key.pem",
        "request": "consent/request-valid.txt", "trust": ["trust/iaca.pem", "issuer/ds.pem"],
        "now": tdate(later),
        "expect": {"valid": true, "doc_type": DocumentKind::HealthInsurance.doc_type()},
    }));

    // A grant to the clinic for a year, and its revocation.
    let grant = ConsentGrant {
        id: [0x5a; 16],
        party: "vn.clinic.anbinh".into(),
        document: DocumentKind::HealthInsurance,
        elements: vec!["card_code".into(), "holder_name".into()],
        purpose: "Khám chữa bệnh định kỳ".into(),
        issued: T0,
        expires: T0 + Duration::days(365),
        subject: "001090012345".into(),
        device_key: world.device_key.public_key(),
    };
    let grant_text = grant
        .sign(&world.device_key)
        .map_err(|_| Error::Missing("grant"))?;
    let revocation = GrantRevocation {
        grant_id: grant.id,
        revoked_at: T0 + Duration::days(30),
    }
    .sign(&world.device_key)
    .map_err(|_| Error::Missing("revocation"))?;
    files.push(("consent/grant.txt".into(), grant_text.clone().into_bytes()));
    files.push((
        "consent/grant-revocation.txt".into(),
        revocation.into_bytes(),
    ));
    files.push((
        "consent/grant-tampered.txt".into(),
        flip_char(&grant_text, 10).into_bytes(),
    ));
    let grant_vector = |name: &str,
                        description: &str,
                        text: &str,
                        now: OffsetDateTime,
                        revocations: &[&str],
                        party: &str,
                        expect: Value| {
        json!({
            "name": name, "type": "grant", "description": description, "text": text,
            "holder_key": "holder/device-key.pem", "party": party,
            "revocations": revocations, "now": tdate(now), "expect": expect,
        })
    };
    vectors.push(grant_vector(
        "grant-valid",
        "a year's standing consent to the clinic for card code and holder name",
        "consent/grant.txt",
        T0 + Duration::days(1),
        &[],
        "vn.clinic.anbinh",
        json!({"valid": true, "elements": ["card_code", "holder_name"]}),
    ));
    vectors.push(grant_vector(
        "grant-revoked",
        "the same grant with the citizen's signed revocation known to the checker",
        "consent/grant.txt",
        T0 + Duration::days(31),
        &["consent/grant-revocation.txt"],
        "vn.clinic.anbinh",
        json!({"valid": false, "code": "revoked"}),
    ));
    vectors.push(grant_vector(
        "grant-expired",
        "the grant checked after its end",
        "consent/grant.txt",
        T0 + Duration::days(400),
        &[],
        "vn.clinic.anbinh",
        json!({"valid": false, "code": "expired"}),
    ));
    vectors.push(grant_vector(
        "grant-wrong-party",
        "the grant presented by a party it was not given to",
        "consent/grant.txt",
        T0 + Duration::days(1),
        &[],
        "vn.bank.other",
        json!({"valid": false, "code": "wrong_party"}),
    ));
    vectors.push(grant_vector(
        "grant-tampered",
        "the grant with one character changed",
        "consent/grant-tampered.txt",
        T0 + Duration::days(1),
        &[],
        "vn.clinic.anbinh",
        json!({"valid": false}),
    ));

    let manifest = json!({
        "about": "cancuoc consent vectors: signed relying-party requests (CR2) as a wallet judges them against consent/registry.pem, an encrypted answer (CE1), consent grants (CG1) and revocations (CV1). Paths are relative to test-vectors/; 'now' is the checking time. holder/device-key.pem is the private key: its public half is the holder key.",
        "seed": SEED,
        "made_at": tdate(T0),
        "vectors": vectors,
    });
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|_| Error::Missing("json"))?;
    text.push('\n');
    files.push(("consent/manifest.json".into(), text.into_bytes()));
    Ok(())
}
