//! Criterion benchmarks of the QR channel: verify the clinic presentation from its text, read
//! and verify it from a 1280×720 grayscale camera frame, render it to PNG, build it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use cancuoc_core::document::DocumentKind;
use cancuoc_core::fixtures::DemoWorld;
use cancuoc_core::qr::code;
use cancuoc_core::qr::sd_cwt::present_qr;
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::{QrVerifyRequest, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use time::macros::datetime;

fn benches(c: &mut Criterion) {
    let now = datetime!(2026-11-23 08:00:00 UTC);
    let w = DemoWorld::build(1, now).unwrap();
    let verifier = Verifier::new(
        TrustList::new(vec![
            w.authority.certificate().clone(),
            w.issuer.certificate().clone(),
        ])
        .unwrap(),
    );
    let card = w.compact(DocumentKind::HealthInsurance).unwrap();
    let asked = ["holder_name", "birth_date", "sex"];
    let text = present_qr(card, &w.device_key, &asked, None, now).unwrap();
    let req = QrVerifyRequest::new(now);

    c.bench_function("build clinic QR text", |b| {
        b.iter(|| present_qr(black_box(card), &w.device_key, &asked, None, now).unwrap())
    });
    c.bench_function("verify clinic QR text", |b| {
        b.iter(|| verifier.verify_qr_text(black_box(&text), &req).unwrap())
    });
    let matrix = code::encode(&text).unwrap();
    c.bench_function("render clinic QR to PNG (6 px/module)", |b| {
        b.iter(|| code::encode(black_box(&text)).unwrap().to_png(6).unwrap())
    });

    // The code at 5 px/module inside a textured 1280×720 frame, as a phone camera sees it.
    let (side, gray) = matrix.to_gray(5, 4);
    let (fw, fh) = (1280usize, 720usize);
    let mut frame: Vec<u8> = (0..fw * fh)
        .map(|i| 110 + ((i / fw + i % fw) % 40) as u8)
        .collect();
    let (ox, oy) = ((fw - side) / 3, (fh - side) / 2);
    for y in 0..side {
        frame[(oy + y) * fw + ox..(oy + y) * fw + ox + side]
            .copy_from_slice(&gray[y * side..(y + 1) * side]);
    }
    c.bench_function("read and verify clinic QR from a 1280x720 frame", |b| {
        b.iter(|| {
            verifier
                .verify_qr_frame(fw, fh, black_box(&frame), &req)
                .unwrap()
        })
    });
}

criterion_group!(qr, benches);
criterion_main!(qr);
