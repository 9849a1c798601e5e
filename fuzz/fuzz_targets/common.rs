//! Shared set-up of the fuzz targets: the committed test vectors' trust list, transcript and
//! valid presentations, so that mutations start from things that verify.
#![allow(dead_code)]

use cancuoc_core::mdoc::session_transcript::SessionTranscript;
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::Verifier;
use time::OffsetDateTime;

pub const IACA: &str = include_str!("../../test-vectors/trust/iaca.pem");
pub const DS: &str = include_str!("../../test-vectors/trust/ds.pem");
pub const TRANSCRIPT: &[u8] = include_bytes!("../../test-vectors/mdoc/session-transcript.cbor");
/// Full presentations of the four documents: every element their issuer signed.
pub const FULL_RESPONSES: [&[u8]; 4] = [
    include_bytes!("../../test-vectors/mdoc/valid/citizen_identity.cbor"),
    include_bytes!("../../test-vectors/mdoc/valid/driving_licence.cbor"),
    include_bytes!("../../test-vectors/mdoc/valid/health_insurance.cbor"),
    include_bytes!("../../test-vectors/mdoc/valid/vehicle_registration.cbor"),
];
pub const FULL_QRS: [&str; 4] = [
    include_str!("../../test-vectors/qr/valid-citizen_identity-static.txt"),
    include_str!("../../test-vectors/qr/valid-driving_licence-static.txt"),
    include_str!("../../test-vectors/qr/valid-health_insurance-static.txt"),
    include_str!("../../test-vectors/qr/valid-vehicle_registration-static.txt"),
];

pub fn verifier() -> Verifier {
    match TrustList::from_pem_texts([IACA, DS]) {
        Ok(t) => Verifier::new(t),
        Err(e) => panic!("test-vector trust list: {e}"),
    }
}

pub fn transcript() -> SessionTranscript {
    match SessionTranscript::from_bytes(TRANSCRIPT) {
        Ok(t) => t,
        Err(e) => panic!("test-vector transcript: {e}"),
    }
}

/// The vectors' verification time (T0 + 20 s).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_420_820).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
