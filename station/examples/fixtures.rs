//! Fresh QR texts for the browser tests and demonstrations of the station, made at the time
//! given (default: now) from two demo worlds:
//! `cargo run -p cancuoc-station --example fixtures -- --out DIR [--now RFC3339]`.
//!
//! Writes `DIR/trust/*.pem` (both worlds' IACA and Document Signer) and `DIR/fixtures.json`:
//! the time, and the texts — a valid clinic QR, the same with the holder's name altered
//! (tampered), a card whose 90-day credential ended days ago (expired), the valid text as a
//! scanner with CapsLock on types it, a QR made ten minutes ago (too old), and the chip ID card's
//! printed QR — and `DIR/valid.y4m`, the valid QR as a camera frame for Chromium's fake webcam.
//! Start the station with `--now` set to the same time so nothing expires mid-test.

use std::path::PathBuf;

use cancuoc_core::document::DocumentKind;
use cancuoc_core::fixtures::DemoWorld;
use cancuoc_core::qr::base45;
use cancuoc_core::qr::sd_cwt::present_qr;
use time::{Duration, OffsetDateTime};

const CARD: &str = "001090012345|123456789|Nguyễn Văn An|14051990|Nam|Số 12 Phố Tràng Tiền, Phường Hoàn Kiếm, TP. Hà Nội|01042021";
const CLINIC: &[&str] = &["holder_name", "birth_date", "sex"];

type Failure = Box<dyn std::error::Error>;

fn clinic_qr(world: &DemoWorld, at: OffsetDateTime) -> Result<String, Failure> {
    let compact = world
        .compact(DocumentKind::HealthInsurance)
        .ok_or("no health insurance card in the demo world")?;
    Ok(present_qr(compact, &world.device_key, CLINIC, None, at)?)
}

/// The holder's name changed by one letter inside its disclosure: the signatures stay, the
/// disclosure's hash no longer matches.
fn tampered(text: &str) -> Result<String, Failure> {
    let body = text.strip_prefix("CC1:").ok_or("not a CC1 text")?;
    let mut bytes = base45::decode(body)?;
    let at = bytes
        .windows(4)
        .position(|w| w == b"NGUY")
        .ok_or("the holder's name is not in the presentation")?;
    if let Some(b) = bytes.get_mut(at) {
        *b = b'M';
    }
    Ok(format!("CC1:{}", base45::encode(&bytes)))
}

/// One 640×480 frame (YUV 4:2:0, grey) with the QR code in the middle: what Chromium's
/// `--use-file-for-fake-video-capture` plays in a loop as the webcam.
fn camera_frame(text: &str) -> Result<Vec<u8>, Failure> {
    const W: usize = 640;
    const H: usize = 480;
    let (size, gray) = cancuoc_core::qr::code::encode(text)?.to_gray(4, 4);
    if size > H {
        return Err("the QR code does not fit the frame".into());
    }
    let mut y = vec![255u8; W * H];
    let (left, top) = ((W - size) / 2, (H - size) / 2);
    for row in 0..size {
        let from = gray
            .get(row * size..(row + 1) * size)
            .ok_or("short QR image")?;
        let at = (top + row) * W + left;
        y.get_mut(at..at + size)
            .ok_or("frame too small")?
            .copy_from_slice(from);
    }
    let mut out = format!("YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    out.extend(y);
    out.extend(vec![128u8; W * H / 2]);
    Ok(out)
}

fn main() -> Result<(), Failure> {
    let mut out = None;
    let mut now = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--now" => {
                let t = args.next().ok_or("--now needs a time")?;
                now = Some(
                    cancuoc_core::time_fmt::parse_rfc3339(&t)
                        .ok_or("--now is not an RFC 3339 time")?,
                );
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let out = out.ok_or("usage: fixtures --out DIR [--now RFC3339]")?;
    let now = cancuoc_core::time_fmt::whole_seconds(now.unwrap_or_else(OffsetDateTime::now_utc));

    // A world whose credentials were issued an hour ago, and one whose ended five days ago.
    let current = DemoWorld::build(11, now - Duration::hours(1))?;
    let lapsed = DemoWorld::build(12, now - Duration::days(95))?;
    let trust = out.join("trust");
    std::fs::create_dir_all(&trust)?;
    for (name, w) in [("current", &current), ("lapsed", &lapsed)] {
        std::fs::write(
            trust.join(format!("{name}-iaca.pem")),
            w.authority.certificate().to_pem()?,
        )?;
        std::fs::write(
            trust.join(format!("{name}-ds.pem")),
            w.issuer.certificate().to_pem()?,
        )?;
    }
    let valid = clinic_qr(&current, now)?;
    let fixtures = serde_json::json!({
        "now": cancuoc_core::time_fmt::tdate(now),
        "trust": trust.display().to_string(),
        "valid": valid,
        "tampered": tampered(&valid)?,
        "expired": clinic_qr(&lapsed, now)?,
        "caps_lock": valid.to_ascii_lowercase(),
        "too_old": clinic_qr(&current, now - Duration::minutes(10))?,
        "card": CARD,
    });
    std::fs::write(out.join("valid.y4m"), camera_frame(&valid)?)?;
    std::fs::write(
        out.join("fixtures.json"),
        serde_json::to_string_pretty(&fixtures)?,
    )?;
    println!("{}", out.join("fixtures.json").display());
    Ok(())
}
