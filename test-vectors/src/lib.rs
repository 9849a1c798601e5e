//! The deterministic test vectors: fixed keys, salts and time, so every implementation —
//! and this one after any change — can check itself against the same bytes.
//!
//! [`generate`] returns every file (path relative to `test-vectors/`, bytes) including
//! `manifest.json`, which lists each vector with its inputs and expected outcome. The
//! `generate-vectors` binary writes them; `tests/committed.rs` fails when the committed files
//! differ from what [`generate`] produces.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use cancuoc_core::cbor::{self, CborError};
use cancuoc_core::document::{DocumentKind, samples};
use cancuoc_core::fixtures::{self, CLINIC_ELEMENTS, DemoWorld};
use cancuoc_core::issuance::{CredentialValidity, IssueError, IssuingAuthority};
use cancuoc_core::mdoc::device_response::{DeviceAuth, DeviceResponse};
use cancuoc_core::mdoc::element::ElementValue;
use cancuoc_core::mdoc::issuer_signed::{IssuerSignedItem, IssuerSignedItemBytes};
use cancuoc_core::mdoc::session_transcript::{SessionTranscript, TranscriptError};
use cancuoc_core::presentation::{ElementRef, PresentationError, present, resolve_elements};
use cancuoc_core::x509::{CertificateError, CertificateParams};
use ciborium::value::Value;

mod consent;
mod lists;
mod qr;
use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};

/// The instant every vector is made at.
pub const T0: OffsetDateTime = datetime!(2026-11-23 08:00:00 UTC);
/// The seed of every key and salt.
pub const SEED: u64 = 20_261_123;
/// Size of the oversized vector (one byte past the verifier's limit).
pub const OVERSIZED_LEN: usize = cancuoc_core::cbor::Limits::RESPONSE.max_bytes + 1;

#[derive(Debug)]
pub enum Error {
    Issue(IssueError),
    Present(PresentationError),
    Cbor(CborError),
    Certificate(CertificateError),
    Transcript(TranscriptError),
    Missing(&'static str),
}

macro_rules! from {
    ($($v:ident($t:ty)),*) => {$(impl From<$t> for Error { fn from(e: $t) -> Self { Error::$v(e) } })*};
}
from!(
    Issue(IssueError),
    Present(PresentationError),
    Cbor(CborError),
    Certificate(CertificateError),
    Transcript(TranscriptError)
);

/// One output file.
pub type File = (String, Vec<u8>);

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CitizenIdentity => "citizen_identity",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::HealthInsurance => "health_insurance",
        DocumentKind::VehicleRegistration => "vehicle_registration",
    }
}

fn tdate(t: OffsetDateTime) -> String {
    cancuoc_core::time_fmt::tdate(t)
}

fn reject(
    name: &str,
    what: &str,
    response: &str,
    now: OffsetDateTime,
    check: &str,
    code: &str,
) -> serde_json::Value {
    json!({
        "name": name,
        "description": what,
        "response": response,
        "session_transcript": "mdoc/session-transcript.cbor",
        "trust": "trust/iaca.pem",
        "now": tdate(now),
        "expect": { "valid": false, "check": check, "code": code },
    })
}

/// Every vector file and the manifest.
pub fn generate() -> Result<Vec<File>, Error> {
    let mut files: Vec<File> = Vec::new();
    let mut vectors = Vec::new();
    let world = DemoWorld::build(SEED, T0)?;
    let later = T0 + Duration::hours(1);

    files.push((
        "trust/iaca.pem".into(),
        world.authority.certificate().to_pem()?.into_bytes(),
    ));
    files.push((
        "issuer/ds.pem".into(),
        world.issuer.certificate().to_pem()?.into_bytes(),
    ));
    files.push((
        "holder/device-key.pem".into(),
        world
            .device_key
            .to_pkcs8_pem()
            .map_err(|_| Error::Missing("key"))?
            .as_bytes()
            .to_vec(),
    ));
    let transcript = SessionTranscript::oid4vp(
        "phongkham-anbinh.example.vn",
        "https://phongkham-anbinh.example.vn/tiep-don",
        "3f7a9c1e5b2d4f60",
        "a1b2c3d4e5f60718",
    )?;
    files.push((
        "mdoc/session-transcript.cbor".into(),
        transcript.tagged_bytes()?,
    ));
    let other_transcript = SessionTranscript::oid4vp(
        "nganhang.example.vn",
        "https://nganhang.example.vn/ekyc",
        "0000000000000000",
        "a1b2c3d4e5f60718",
    )?;
    files.push((
        "mdoc/session-transcript-other.cbor".into(),
        other_transcript.tagged_bytes()?,
    ));

    // Valid issuance and full presentation of each document.
    for (doc, cred) in &world.credentials {
        let name = kind_name(doc.kind());
        files.push((format!("mdoc/credential/{name}.cbor"), cred.to_bytes()?));
        let all: Vec<ElementRef> = cred
            .issuer_signed
            .items()
            .map(|(ns, i)| ElementRef::new(ns, &i.item.element_identifier))
            .collect();
        let resp = present(cred, &world.device_key, &all, &transcript)?.to_bytes()?;
        let path = format!("mdoc/valid/{name}.cbor");
        files.push((path.clone(), resp));
        let n: usize = doc.elements().iter().map(|(_, v)| v.len()).sum();
        vectors.push(json!({
            "name": format!("valid-{name}-full"),
            "description": format!("{} with every element disclosed", doc.kind().title_en()),
            "credential": format!("mdoc/credential/{name}.cbor"),
            "response": path,
            "session_transcript": "mdoc/session-transcript.cbor",
            "trust": "trust/iaca.pem",
            "now": tdate(later),
            "expect": { "valid": true, "doc_type": doc.doc_type(), "disclosed_count": n },
        }));
    }

    // The clinic presentation: the base of most negative vectors.
    let card = world
        .credential(DocumentKind::HealthInsurance)
        .ok_or(Error::Missing("card"))?;
    let clinic = present(
        card,
        &world.device_key,
        &resolve_elements(card, CLINIC_ELEMENTS)?,
        &transcript,
    )?;
    let clinic_bytes = clinic.to_bytes()?;
    files.push((
        "mdoc/valid/health_insurance-clinic.cbor".into(),
        clinic_bytes.clone(),
    ));
    vectors.push(json!({
        "name": "valid-health_insurance-clinic",
        "description": "Health insurance card at clinic reception: holder_name, birth_date, sex, card_code, valid_until, registered facility",
        "response": "mdoc/valid/health_insurance-clinic.cbor",
        "session_transcript": "mdoc/session-transcript.cbor",
        "trust": "trust/iaca.pem",
        "now": tdate(later),
        "expect": { "valid": true, "doc_type": card.doc_type, "disclosed": CLINIC_ELEMENTS },
    }));
    vectors.push(json!({
        "name": "revoked",
        "description": "The clinic presentation checked against a status list in which the card's index (2) is set",
        "response": "mdoc/valid/health_insurance-clinic.cbor",
        "session_transcript": "mdoc/session-transcript.cbor",
        "trust": "trust/iaca.pem",
        "now": tdate(later),
        "status_list": { "uri": fixtures::STATUS_URI, "bits_hex": "04" },
        "expect": { "valid": false, "check": "revocation", "code": "revoked" },
    }));

    let neg = |files: &mut Vec<File>,
               vectors: &mut Vec<serde_json::Value>,
               name: &str,
               what: &str,
               bytes: Vec<u8>,
               now: OffsetDateTime,
               check: &str,
               code: &str| {
        let path = format!("mdoc/negative/{name}.cbor");
        files.push((path.clone(), bytes));
        vectors.push(reject(name, what, &path, now, check, code));
    };

    // Tampered value: the card code changed, digest ID and salt kept.
    let mut r = clinic.clone();
    mutate_item(&mut r, "card_code", |item| {
        item.element_value = ElementValue::Text("DN4010999999999".into())
    })?;
    neg(
        &mut files,
        &mut vectors,
        "tampered-value",
        "card_code changed after signing",
        r.to_bytes()?,
        later,
        "value_digests",
        "digest_mismatch",
    );

    // Tampered issuer signature.
    let mut r = clinic.clone();
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    flip_last(&mut doc.issuer_signed.issuer_auth.signature);
    neg(
        &mut files,
        &mut vectors,
        "tampered-issuer-signature",
        "one bit of issuerAuth's signature flipped",
        r.to_bytes()?,
        later,
        "issuer_signature",
        "issuer_signature_invalid",
    );

    // Tampered device signature.
    let mut r = clinic.clone();
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    if let DeviceAuth::Signature(s) = &mut doc.device_signed.device_auth {
        flip_last(&mut s.signature);
    }
    neg(
        &mut files,
        &mut vectors,
        "tampered-device-signature",
        "one bit of deviceSignature flipped",
        r.to_bytes()?,
        later,
        "device_authentication",
        "device_signature_invalid",
    );

    // Unknown issuer: another authority, another name.
    let mut rng = world.rng.clone();
    let start = T0 - Duration::days(1);
    let stranger = IssuingAuthority::generate(
        &CertificateParams {
            common_name: "Unknown IACA".into(),
            ..fixtures::iaca_params(start)
        },
        &mut rng,
    )?;
    let stranger_ds = stranger.document_signer(
        &CertificateParams {
            common_name: "Unknown DS".into(),
            ..fixtures::ds_params(start)
        },
        &mut rng,
    )?;
    let validity = CredentialValidity {
        valid_from: T0,
        valid_until: T0 + Duration::days(90),
        expected_update: None,
    };
    let device_pub = world.device_key.public_key();
    let sample_card = cancuoc_core::document::Document::HealthInsurance(samples::health_card());
    let foreign = stranger_ds.issue(&sample_card, &device_pub, validity, None, T0, &mut rng)?;
    let r = present(
        &foreign,
        &world.device_key,
        &resolve_elements(&foreign, CLINIC_ELEMENTS)?,
        &transcript,
    )?;
    neg(
        &mut files,
        &mut vectors,
        "unknown-issuer",
        "signed by an IACA not in the trust list",
        r.to_bytes()?,
        later,
        "certificate_chain",
        "unknown_issuer",
    );

    // Expired DS certificate: DS valid 30 days, credential 90 days, verified on day 60.
    let short_ds = world.authority.document_signer(
        &CertificateParams {
            not_after: T0 + Duration::days(30),
            ..fixtures::ds_params(start)
        },
        &mut rng,
    )?;
    let cred = short_ds.issue(&sample_card, &device_pub, validity, None, T0, &mut rng)?;
    let r = present(
        &cred,
        &world.device_key,
        &resolve_elements(&cred, CLINIC_ELEMENTS)?,
        &transcript,
    )?;
    neg(
        &mut files,
        &mut vectors,
        "expired-ds-certificate",
        "the Document Signer certificate expired before the MSO did",
        r.to_bytes()?,
        T0 + Duration::days(60),
        "certificate_validity",
        "certificate_expired",
    );

    // Expired MSO: verified on day 120 of a 90-day credential (the DS is valid a year).
    neg(
        &mut files,
        &mut vectors,
        "expired-mso",
        "verified after the MSO's validUntil",
        clinic_bytes.clone(),
        T0 + Duration::days(120),
        "mso_validity",
        "mso_expired",
    );

    // Wrong session transcript: the response for the clinic replayed to a bank.
    files.push((
        "mdoc/negative/wrong-session-transcript.cbor".into(),
        clinic_bytes.clone(),
    ));
    vectors.push(json!({
        "name": "wrong-session-transcript",
        "description": "the clinic's response verified against another verifier's session",
        "response": "mdoc/negative/wrong-session-transcript.cbor",
        "session_transcript": "mdoc/session-transcript-other.cbor",
        "trust": "trust/iaca.pem",
        "now": tdate(later),
        "expect": { "valid": false, "check": "device_authentication", "code": "device_signature_invalid" },
    }));

    // Element not in the MSO: an extra item with a digest ID the issuer never signed.
    let mut r = clinic.clone();
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    let (_, items) = doc
        .issuer_signed
        .namespaces
        .first_mut()
        .ok_or(Error::Missing("ns"))?;
    items.push(IssuerSignedItemBytes::new(IssuerSignedItem {
        digest_id: 0x7fff_fffe,
        random: vec![0x5a; 32],
        element_identifier: "benefit_level".into(),
        element_value: ElementValue::Uint(1),
    })?);
    neg(
        &mut files,
        &mut vectors,
        "element-not-in-mso",
        "an element added whose digest ID the MSO does not hold",
        r.to_bytes()?,
        later,
        "value_digests",
        "digest_missing",
    );

    // Duplicate digest ID.
    let mut r = clinic.clone();
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    let (_, items) = doc
        .issuer_signed
        .namespaces
        .first_mut()
        .ok_or(Error::Missing("ns"))?;
    let first = items.first().cloned().ok_or(Error::Missing("item"))?;
    items.push(first);
    neg(
        &mut files,
        &mut vectors,
        "duplicate-digest-id",
        "the same IssuerSignedItem disclosed twice",
        r.to_bytes()?,
        later,
        "value_digests",
        "duplicate_digest_id",
    );

    // Truncated, garbage, deeply nested.
    neg(
        &mut files,
        &mut vectors,
        "truncated",
        "the clinic response cut in half",
        clinic_bytes
            .get(..clinic_bytes.len() / 2)
            .unwrap_or_default()
            .to_vec(),
        later,
        "decoding",
        "truncated",
    );
    neg(
        &mut files,
        &mut vectors,
        "garbage",
        "bytes that are not CBOR (a lone break code first)",
        b"\xff\xfe not an mdoc response".to_vec(),
        later,
        "decoding",
        "malformed_cbor",
    );
    let mut deep = vec![0x81u8; 200];
    deep.push(0x00);
    neg(
        &mut files,
        &mut vectors,
        "deeply-nested",
        "200 nested one-element arrays",
        deep,
        later,
        "decoding",
        "too_deep",
    );
    // Oversized in count: one namespace with 300 items.
    let mut r = clinic.clone();
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    let (_, items) = doc
        .issuer_signed
        .namespaces
        .first_mut()
        .ok_or(Error::Missing("ns"))?;
    let first = items.first().cloned().ok_or(Error::Missing("item"))?;
    items.resize(300, first);
    neg(
        &mut files,
        &mut vectors,
        "oversized-item-count",
        "300 items in one namespace (the limit is 256)",
        r.to_bytes()?,
        later,
        "structure",
        "malformed_structure",
    );

    // Oversized in bytes: generated, not committed (1 MiB + 1 zero bytes).
    vectors.push(json!({
        "name": "oversized-bytes",
        "description": "one byte more than the verifier accepts (1 MiB + 1), all zero; generate it rather than read a file",
        "response_generated": { "byte": 0, "length": OVERSIZED_LEN },
        "session_transcript": "mdoc/session-transcript.cbor",
        "trust": "trust/iaca.pem",
        "now": tdate(later),
        "expect": { "valid": false, "check": "decoding", "code": "too_large" },
    }));

    // ISO/IEC 18013-5 Annex D, committed by hand (see annex-d/README.md).
    vectors.push(json!({
        "name": "iso-18013-5-annex-d-mac-without-reader-key",
        "description": "The Annex D DeviceResponse (device MAC). Without the reader's ephemeral key the issuer side verifies and the device MAC is reported unverifiable, never passed",
        "response": "annex-d/device-response.cbor",
        "session_transcript": "annex-d/session-transcript.cbor",
        "trust": "annex-d/iaca.pem",
        "now": "2020-10-01T13:30:02Z",
        "expect": { "valid": false, "check": "device_authentication", "code": "device_mac_unverifiable" },
    }));
    vectors.push(json!({
        "name": "iso-18013-5-annex-d-mac",
        "description": "The Annex D DeviceResponse verified in full with the reader's ephemeral private key (EMacKey derivation)",
        "response": "annex-d/device-response.cbor",
        "session_transcript": "annex-d/session-transcript.cbor",
        "trust": "annex-d/iaca.pem",
        "reader_key": "annex-d/reader-key.pem",
        "now": "2020-10-01T13:30:02Z",
        "expect": { "valid": true, "doc_type": "org.iso.18013.5.1.mDL", "device_authentication": "mac" },
    }));

    let mut world = world;
    qr::generate(&mut world, &mut files, &mut vectors)?;
    consent::generate(&mut world, &mut files)?;
    lists::generate(&world, &mut files)?;

    let manifest = json!({
        "about": "cancuoc test vectors: ISO/IEC 18013-5 DeviceResponses and their expected verification outcome. Regenerate with: cargo run -p cancuoc-test-vectors --bin generate-vectors. Paths are relative to this directory; 'now' is the verification time.",
        "seed": SEED,
        "made_at": tdate(T0),
        "vectors": vectors,
    });
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|_| Error::Missing("json"))?;
    text.push('\n');
    files.push(("manifest.json".into(), text.into_bytes()));
    Ok(files)
}

fn flip_last(bytes: &mut [u8]) {
    if let Some(b) = bytes.last_mut() {
        *b ^= 0x01;
    }
}

/// Changes one disclosed item in place and re-encodes it (digest ID and salt kept).
fn mutate_item(
    r: &mut DeviceResponse,
    identifier: &str,
    f: impl FnOnce(&mut IssuerSignedItem),
) -> Result<(), Error> {
    let doc = r.documents.first_mut().ok_or(Error::Missing("doc"))?;
    let item = doc
        .issuer_signed
        .namespaces
        .iter_mut()
        .flat_map(|(_, items)| items.iter_mut())
        .find(|i| i.item.element_identifier == identifier)
        .ok_or(Error::Missing("item"))?;
    let mut changed = item.item.clone();
    f(&mut changed);
    *item = IssuerSignedItemBytes::new(changed)?;
    Ok(())
}

/// The CBOR value of a file, for tests.
pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
    cbor::decode(bytes, cbor::Limits::RESPONSE)
}
