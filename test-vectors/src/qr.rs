//! QR-channel vectors: valid static and challenge presentations of each document, and the
//! negative set — each a text file (`qr/…txt`) with its verification time, optional request and
//! expected outcome in the manifest.

use cancuoc_core::document::DocumentKind;
use cancuoc_core::fixtures::DemoWorld;
use cancuoc_core::issuance::{CredentialValidity, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::qr::{base45, profile, request::QrRequest, sd_cwt};
use cancuoc_core::x509::CertificateParams;
use ciborium::value::Value;
use coset::{AsCborValue, CoseSign1, Label};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::{Error, File, T0, tdate};

const ASKED: &[&str] = &["holder_name", "birth_date", "sex"];
const CLINIC: &str = "phongkham-anbinh.example.vn";

fn kbt_of(text: &str) -> Result<CoseSign1, Error> {
    let body = text
        .strip_prefix(profile::PRESENTATION_PREFIX)
        .ok_or(Error::Missing("prefix"))?;
    let bytes = base45::decode(body).map_err(|_| Error::Missing("base45"))?;
    let v = cancuoc_core::cbor::decode(&bytes, cancuoc_core::cbor::Limits::NESTED)?;
    CoseSign1::from_cbor_value(v).map_err(|_| Error::Missing("kbt"))
}

fn text_of(kbt: &CoseSign1) -> Result<String, Error> {
    let v = kbt
        .clone()
        .to_cbor_value()
        .map_err(|_| Error::Missing("kbt encode"))?;
    Ok(format!(
        "{}{}",
        profile::PRESENTATION_PREFIX,
        base45::encode(&cancuoc_core::cbor::encode(&v)?)
    ))
}

/// Rewrites the SD-CWT inside a presentation; with `resign`, the holder signs the KBT again (the
/// holder is the one who could tamper with disclosures).
fn rewrite(
    text: &str,
    f: impl FnOnce(&mut CoseSign1),
    resign: Option<&PrivateKey>,
) -> Result<String, Error> {
    let mut kbt = kbt_of(text)?;
    let slot = kbt
        .protected
        .header
        .rest
        .iter_mut()
        .find(|(l, _)| *l == Label::Int(sd_cwt::HEADER_KCWT))
        .ok_or(Error::Missing("kcwt"))?;
    let mut inner =
        CoseSign1::from_cbor_value(slot.1.clone()).map_err(|_| Error::Missing("sd-cwt"))?;
    f(&mut inner);
    slot.1 = inner
        .to_cbor_value()
        .map_err(|_| Error::Missing("sd-cwt encode"))?;
    kbt.protected.original_data = None;
    if let Some(key) = resign {
        let tbs = kbt.tbs_data(b"");
        kbt.signature = key.sign(&tbs).to_vec();
    }
    text_of(&kbt)
}

fn set_disclosures(sd: &mut CoseSign1, ds: Vec<Vec<u8>>) {
    sd.unprotected.rest = vec![(
        Label::Int(sd_cwt::HEADER_SD_CLAIMS),
        Value::Array(ds.into_iter().map(Value::Bytes).collect()),
    )];
}

struct Out<'a> {
    files: &'a mut Vec<File>,
    vectors: &'a mut Vec<serde_json::Value>,
}

impl Out<'_> {
    fn add(
        &mut self,
        name: &str,
        what: &str,
        text: String,
        now: OffsetDateTime,
        request: Option<&QrRequest>,
        expect: serde_json::Value,
    ) {
        let path = format!("qr/{name}.txt");
        self.files.push((path.clone(), text.into_bytes()));
        let mut v = json!({
            "name": format!("qr-{name}"),
            "description": what,
            "qr_text": path,
            "trust": "trust",
            "now": tdate(now),
            "expect": expect,
        });
        if let (Some(r), Some(obj)) = (request, v.as_object_mut()) {
            obj.insert("request".into(), json!(r.to_text()));
        }
        self.vectors.push(v);
    }
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &mut self,
        name: &str,
        what: &str,
        text: String,
        now: OffsetDateTime,
        request: Option<&QrRequest>,
        check: &str,
        code: &str,
    ) {
        self.add(
            name,
            what,
            text,
            now,
            request,
            json!({"valid": false, "check": check, "code": code}),
        );
    }
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CitizenIdentity => "citizen_identity",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::HealthInsurance => "health_insurance",
        DocumentKind::VehicleRegistration => "vehicle_registration",
    }
}

pub fn generate(
    world: &mut DemoWorld,
    files: &mut Vec<File>,
    vectors: &mut Vec<serde_json::Value>,
) -> Result<(), Error> {
    let mut out = Out { files, vectors };
    out.files.push((
        "trust/ds.pem".into(),
        world.issuer.certificate().to_pem()?.into_bytes(),
    ));
    let later = T0 + Duration::seconds(20);

    // Valid: every document, static with every optional element, challenge with the first two.
    for c in world.compact.clone() {
        let kind = c.kind;
        let held: Vec<i128> = c.disclosures().into_iter().map(|(_, k)| k).collect();
        let optional: Vec<&str> = profile::elements(kind)
            .iter()
            .filter(|e| !e.always && held.contains(&e.key))
            .map(|e| e.identifier)
            .collect();
        let text =
            cancuoc_core::qr::sd_cwt::present_qr(&c, &world.device_key, &optional, None, T0)?;
        let n = optional.len() + profile::elements(kind).iter().filter(|e| e.always).count();
        out.files.push((
            format!("qr/credential/{}.sdcwt", kind_name(kind)),
            c.to_bytes()?,
        ));
        out.add(
            &format!("valid-{}-static", kind_name(kind)),
            &format!("{}: static QR, every element disclosed", kind.title_en()),
            text,
            later,
            None,
            json!({"valid": true, "doc_type": kind.doc_type(), "disclosed_count": n}),
        );
        let asked: Vec<&str> = optional.iter().take(2).copied().collect();
        let req = QrRequest::new(
            "verifier.example.vn",
            kind,
            &asked,
            T0,
            Duration::minutes(5),
            &mut world.rng,
        )
        .map_err(|_| Error::Missing("request"))?;
        let text =
            cancuoc_core::qr::sd_cwt::present_qr(&c, &world.device_key, &asked, Some(&req), T0)?;
        let always = profile::elements(kind).iter().filter(|e| e.always).count();
        out.add(
            &format!("valid-{}-challenge", kind_name(kind)),
            &format!("{}: answer to a request for {}", kind.title_en(), asked.join(", ")),
            text,
            later,
            Some(&req),
            json!({"valid": true, "doc_type": kind.doc_type(), "disclosed_count": always + asked.len()}),
        );
    }

    let card = world
        .compact(DocumentKind::HealthInsurance)
        .cloned()
        .ok_or(Error::Missing("card"))?;
    let key = world.device_key.clone();
    let clinic = sd_cwt::present_qr(&card, &key, ASKED, None, T0)?;
    let png = cancuoc_core::qr::code::encode(&clinic)
        .map_err(|_| Error::Missing("qr"))?
        .to_png(4)
        .map_err(|_| Error::Missing("png"))?;
    out.files.push(("qr/valid-clinic-static.png".into(), png));
    out.add("valid-clinic-static", "the clinic presentation: card code, validity, facility always; name, birth date, sex asked", clinic.clone(), later, None, json!({"valid": true, "doc_type": card.kind.doc_type(), "disclosed_count": 8}));

    // Tampered disclosure: the holder changes the name in its disclosure and signs again.
    let ds = card.disclosures();
    let name_key = profile::element_by_id(card.kind, "holder_name")
        .map(|e| e.key)
        .ok_or(Error::Missing("name"))?;
    let forged: Vec<Vec<u8>> = ds
        .iter()
        .filter(|(_, k)| {
            ASKED
                .iter()
                .any(|a| profile::element_by_id(card.kind, a).map(|e| e.key) == Some(*k))
        })
        .map(|(d, k)| {
            if *k == name_key {
                let mut d = d.clone();
                if let Some(pos) = d.windows(3).position(|w| w == b"AN\x02")
                    && let Some(b) = d.get_mut(pos + 1)
                {
                    *b = b'M';
                }
                d
            } else {
                d.clone()
            }
        })
        .collect();
    let t = rewrite(&clinic, |sd| set_disclosures(sd, forged), Some(&key))?;
    out.reject(
        "tampered-disclosure",
        "holder_name changed in its disclosure (KBT signed again by the holder)",
        t,
        later,
        None,
        "value_digests",
        "disclosure_not_in_credential",
    );

    let t = rewrite(
        &clinic,
        |sd| {
            if let Some(b) = sd.signature.last_mut() {
                *b ^= 1
            }
        },
        Some(&key),
    )?;
    out.reject(
        "tampered-issuer-signature",
        "one bit of the SD-CWT signature flipped",
        t,
        later,
        None,
        "issuer_signature",
        "issuer_signature_invalid",
    );

    let mut kbt = kbt_of(&clinic)?;
    if let Some(b) = kbt.signature.last_mut() {
        *b ^= 1;
    }
    out.reject(
        "tampered-key-binding-signature",
        "one bit of the key-binding signature flipped",
        text_of(&kbt)?,
        later,
        None,
        "device_authentication",
        "key_binding_invalid",
    );

    // Unknown issuer key id: another authority's signer.
    let mut rng = world.rng.clone();
    let start = T0 - Duration::days(1);
    let stranger = IssuingAuthority::generate(
        &CertificateParams {
            common_name: "Unknown IACA".into(),
            ..cancuoc_core::fixtures::iaca_params(start)
        },
        &mut rng,
    )?;
    let sds = stranger.document_signer(&cancuoc_core::fixtures::ds_params(start), &mut rng)?;
    let validity = CredentialValidity {
        valid_from: T0,
        valid_until: T0 + Duration::days(90),
        expected_update: None,
    };
    let doc = cancuoc_core::document::Document::HealthInsurance(
        cancuoc_core::document::samples::health_card(),
    );
    let foreign = sds.issue_compact(&doc, &key.public_key(), validity, None, T0, &mut rng)?;
    out.reject(
        "unknown-issuer-key",
        "signed by a Document Signer whose key id is not in the trust list",
        sd_cwt::present_qr(&foreign, &key, ASKED, None, T0)?,
        later,
        None,
        "certificate_chain",
        "unknown_issuer",
    );

    let at = T0 + Duration::days(95);
    out.reject(
        "expired-credential",
        "presented and verified on day 95 of a 90-day credential",
        sd_cwt::present_qr(&card, &key, ASKED, None, at)?,
        at + Duration::seconds(5),
        None,
        "mso_validity",
        "credential_expired",
    );
    out.reject(
        "too-old",
        "a static QR verified 10 minutes after it was made (a screenshot)",
        clinic.clone(),
        T0 + Duration::minutes(10),
        None,
        "freshness",
        "too_old",
    );
    let ahead = sd_cwt::present_qr(&card, &key, ASKED, None, T0 + Duration::hours(1))?;
    out.reject(
        "from-the-future",
        "dated an hour ahead, verified 55 minutes before that",
        ahead,
        T0 + Duration::minutes(5),
        None,
        "freshness",
        "from_the_future",
    );

    let req = QrRequest::new(
        CLINIC,
        card.kind,
        ASKED,
        T0,
        Duration::minutes(5),
        &mut world.rng,
    )
    .map_err(|_| Error::Missing("request"))?;
    let other = QrRequest::new(
        CLINIC,
        card.kind,
        ASKED,
        T0,
        Duration::minutes(5),
        &mut world.rng,
    )
    .map_err(|_| Error::Missing("request"))?;
    let answer = sd_cwt::present_qr(&card, &key, ASKED, Some(&req), T0)?;
    out.add(
        "valid-clinic-challenge",
        "the clinic's request answered",
        answer.clone(),
        later,
        Some(&req),
        json!({"valid": true, "doc_type": card.kind.doc_type(), "disclosed_count": 8}),
    );
    out.reject(
        "wrong-nonce",
        "an answer to one request checked against another request of the same clinic",
        answer.clone(),
        later,
        Some(&other),
        "challenge",
        "wrong_nonce",
    );
    let elsewhere = QrRequest {
        verifier: "nhathuoc.example.vn".into(),
        ..req.clone()
    };
    out.reject(
        "wrong-audience",
        "an answer to the clinic checked by another verifier holding the same nonce",
        answer,
        later,
        Some(&elsewhere),
        "challenge",
        "wrong_audience",
    );

    // A disclosure from another issuance of the same card.
    let twin =
        world
            .issuer
            .issue_compact(&doc, &key.public_key(), validity, Some(2), T0, &mut rng)?;
    let mut mixed: Vec<Vec<u8>> = ds
        .iter()
        .filter(|(_, k)| {
            *k != name_key
                && ASKED
                    .iter()
                    .any(|a| profile::element_by_id(card.kind, a).map(|e| e.key) == Some(*k))
        })
        .map(|(d, _)| d.clone())
        .collect();
    mixed.extend(
        twin.disclosures()
            .into_iter()
            .filter(|(_, k)| *k == name_key)
            .map(|(d, _)| d),
    );
    let t = rewrite(&clinic, |sd| set_disclosures(sd, mixed), Some(&key))?;
    out.reject(
        "disclosure-not-in-credential",
        "holder_name's disclosure taken from another issuance of the card",
        t,
        later,
        None,
        "value_digests",
        "disclosure_not_in_credential",
    );

    let mut doubled: Vec<Vec<u8>> = ds
        .iter()
        .filter(|(_, k)| *k == name_key)
        .map(|(d, _)| d.clone())
        .collect();
    doubled.extend(doubled.clone());
    let t = rewrite(&clinic, |sd| set_disclosures(sd, doubled), Some(&key))?;
    out.reject(
        "duplicated-disclosure",
        "the same disclosure twice",
        t,
        later,
        None,
        "value_digests",
        "duplicate_disclosure",
    );

    let body = clinic
        .strip_prefix(profile::PRESENTATION_PREFIX)
        .unwrap_or_default();
    let half = body.get(..body.len() / 6 * 3).unwrap_or_default();
    out.reject(
        "truncated",
        "the QR text cut in half",
        format!("{}{half}", profile::PRESENTATION_PREFIX),
        later,
        None,
        "decoding",
        "truncated",
    );
    out.reject(
        "not-base45",
        "lower-case letters are not Base45",
        clinic.to_lowercase().replacen("cc1:", "CC1:", 1),
        later,
        None,
        "decoding",
        "not_base45",
    );
    out.reject(
        "wrong-prefix",
        "another scheme's prefix",
        clinic.replacen("CC1:", "HC1:", 1),
        later,
        None,
        "decoding",
        "wrong_prefix",
    );
    out.reject(
        "unsupported-version",
        "a version this verifier does not know",
        clinic.replacen("CC1:", "CC2:", 1),
        later,
        None,
        "decoding",
        "unsupported_version",
    );
    out.reject(
        "garbage",
        "Base45 of bytes that are not CBOR",
        format!(
            "{}{}",
            profile::PRESENTATION_PREFIX,
            base45::encode(b"\xff\xfe garbage, not a presentation")
        ),
        later,
        None,
        "decoding",
        "malformed_cbor",
    );
    out.reject(
        "oversized",
        "longer than any QR code holds (4,297 characters)",
        format!("{}{}", profile::PRESENTATION_PREFIX, "0".repeat(4293)),
        later,
        None,
        "decoding",
        "too_large",
    );
    let mut deep = vec![0x81u8; 200];
    deep.push(0);
    out.reject(
        "deeply-nested",
        "200 nested arrays",
        format!("{}{}", profile::PRESENTATION_PREFIX, base45::encode(&deep)),
        later,
        None,
        "decoding",
        "too_deep",
    );
    Ok(())
}
