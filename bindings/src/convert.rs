//! Conversions from the core's types to the records that cross the FFI: times as Unix seconds,
//! element values as display text (and image bytes for a portrait), QR matrices as modules.

use cancuoc_core::document::DocumentKind as CoreKind;
use cancuoc_core::mdoc::element::ElementValue;
use cancuoc_core::qr::code::{QrEncodeError, encode};
use time::OffsetDateTime;

use crate::{DocumentKind, QrMatrix};

pub fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub fn from_unix(t: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t).ok()
}

pub fn kind(k: CoreKind) -> DocumentKind {
    match k {
        CoreKind::CitizenIdentity => DocumentKind::CitizenIdentity,
        CoreKind::DrivingLicence => DocumentKind::DrivingLicence,
        CoreKind::HealthInsurance => DocumentKind::HealthInsurance,
        CoreKind::VehicleRegistration => DocumentKind::VehicleRegistration,
    }
}

/// Display text, and the bytes when the value is an image (a JPEG portrait).
pub fn value(v: &ElementValue) -> (String, Option<Vec<u8>>) {
    match v {
        ElementValue::Bytes(b) if b.starts_with(&[0xFF, 0xD8]) => (v.display(), Some(b.clone())),
        other => (other.display(), None),
    }
}

pub fn matrix(text: &str) -> Result<QrMatrix, QrEncodeError> {
    let m = encode(text)?;
    Ok(QrMatrix {
        size: u32::try_from(m.size).unwrap_or(u32::MAX),
        version: u32::from(m.version),
        modules: m.modules,
    })
}
