//! cancuoc-core: the shared core of the cancuoc citizen digital-ID wallet.
//!
//! - [`document`]: the four documents (CCCD, driver licence, BHYT card, vehicle registration)
//!   as validated models and their mdoc element catalogue.
//! - [`mdoc`]: ISO/IEC 18013-5 structures — IssuerSignedItem, MSO, DeviceResponse,
//!   SessionTranscript.
//! - [`cose`], [`x509`], [`keys`]: the signatures and the PKI beneath them.
//! - [`issuance`]: the one [`issuance::Issuer`] every issuing path goes through.
//! - [`presentation`]: the holder building a DeviceResponse with only the chosen elements.
//! - [`verifier`]: offline verification of a response against trusted IACA roots.
//! - [`wallet`]: the citizen's wallet — account, gate, documents, consent, grants, audit log —
//!   over [`store`] (encrypted SQLite), [`keystore`], [`consent`] and [`audit`].
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod account;
pub mod audit;
pub mod cbor;
pub mod consent;
pub mod cose;
pub mod document;
pub mod fixtures;
pub mod i18n;
pub mod issuance;
pub mod keys;
pub mod keystore;
pub mod lists;
pub mod mask;
pub mod mdoc;
pub mod presentation;
pub mod qr;
pub mod secret;
pub mod service;
pub mod store;
pub mod time_fmt;
pub mod trust;
pub mod verifier;
pub mod wallet;
pub mod x509;
