//! Criterion benchmarks of the three hot paths: issue one document, build a response,
//! verify a response (the clinic presentation of the health insurance card).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cancuoc_core::document::{Document, DocumentKind, samples};
use cancuoc_core::fixtures::{CLINIC_ELEMENTS, DemoWorld};
use cancuoc_core::issuance::CredentialValidity;
use cancuoc_core::mdoc::session_transcript::SessionTranscript;
use cancuoc_core::presentation::{present, resolve_elements};
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::{Verifier, VerifyRequest};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use time::{Duration, macros::datetime};

fn benches(c: &mut Criterion) {
    let now = datetime!(2026-11-23 08:00:00 UTC);
    let mut world = DemoWorld::build(1, now).unwrap();
    let doc = Document::HealthInsurance(samples::health_card());
    let device = world.device_key.public_key();
    let validity = CredentialValidity {
        valid_from: now,
        valid_until: now + Duration::days(90),
        expected_update: None,
    };
    c.bench_function("issue health insurance card", |b| {
        b.iter(|| {
            world
                .issuer
                .issue(
                    black_box(&doc),
                    &device,
                    validity,
                    None,
                    now,
                    &mut world.rng,
                )
                .unwrap()
        })
    });

    let transcript = SessionTranscript::oid4vp("clinic", "https://clinic/r", "n", "m").unwrap();
    let card = world
        .credential(DocumentKind::HealthInsurance)
        .unwrap()
        .clone();
    let elements = resolve_elements(&card, CLINIC_ELEMENTS).unwrap();
    c.bench_function("build clinic response", |b| {
        b.iter(|| {
            present(black_box(&card), &world.device_key, &elements, &transcript)
                .unwrap()
                .to_bytes()
                .unwrap()
        })
    });

    let response = present(&card, &world.device_key, &elements, &transcript)
        .unwrap()
        .to_bytes()
        .unwrap();
    let verifier =
        Verifier::new(TrustList::new(vec![world.authority.certificate().clone()]).unwrap());
    c.bench_function("verify clinic response", |b| {
        b.iter(|| {
            let req = VerifyRequest {
                response: black_box(&response),
                transcript: &transcript,
                now,
                status_lists: &[],
                reader_key: None,
            };
            verifier.verify_response(&req).unwrap()
        })
    });

    let mdl = world
        .credential(DocumentKind::DrivingLicence)
        .unwrap()
        .clone();
    let all: Vec<_> = mdl
        .issuer_signed
        .items()
        .map(|(ns, i)| cancuoc_core::presentation::ElementRef::new(ns, &i.item.element_identifier))
        .collect();
    let full = present(&mdl, &world.device_key, &all, &transcript)
        .unwrap()
        .to_bytes()
        .unwrap();
    c.bench_function("verify full mDL response", |b| {
        b.iter(|| {
            let req = VerifyRequest {
                response: black_box(&full),
                transcript: &transcript,
                now,
                status_lists: &[],
                reader_key: None,
            };
            verifier.verify_response(&req).unwrap()
        })
    });
}

criterion_group!(mdoc, benches);
criterion_main!(mdoc);
