//! The QR channel: the compact SD-CWT credential and its key-bound presentation
//! ([`sd_cwt`]), the profile of claims per document ([`profile`]), the strict CBOR of its
//! claims ([`claims`]), the verifier's request QR ([`request`]) and the relying party's signed
//! request ([`signed_request`]), the answer encrypted to the party ([`encrypted`]), Base45 text
//! ([`base45`]) and QR codes rendered and read ([`code`]). Verification lives in
//! [`crate::verifier`].

pub mod base45;
pub mod claims;
pub mod code;
pub mod encrypted;
pub mod profile;
pub mod request;
pub mod sd_cwt;
pub mod signed_request;
