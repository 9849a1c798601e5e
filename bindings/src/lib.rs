//! cancuoc-ffi: the one crate that crosses the FFI. A thin uniffi layer (proc-macros, library
//! mode) over `cancuoc-core`: the [`Wallet`] and [`Verifier`] objects, the records a screen
//! needs, the [`KeyStore`] the host app implements (Android Keystore, Secure Enclave), and
//! error enums that carry a stable code and a sentence to show.
//!
//! The surface is synchronous: calls that take time (opening, unlocking — PBKDF2 — presenting,
//! verifying) block the calling thread, so the shells call them off the UI thread. No panic
//! crosses the boundary: the core returns typed errors, and uniffi turns anything unexpected
//! into an internal error on the foreign side. Secrets that must cross (the passcode in, the
//! storage data key to the host's key store and back) are zeroized on the Rust side as soon
//! as they are used.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod convert;
mod keystore;
mod service;
mod verifier;
mod wallet;

pub use keystore::{KeyStore, KeyStoreError};
pub use service::{IdentityService, OnlineActivation, SyncReport};
pub use verifier::{GrantCheckOptions, VerificationError, Verifier, VerifyOptions};
pub use wallet::{Wallet, WalletError, WalletOptions};

uniffi::setup_scaffolding!();

/// The language of the sentences errors and prompts carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    Vietnamese,
    English,
}

impl From<Language> for cancuoc_core::i18n::Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::Vietnamese => Self::Vi,
            Language::English => Self::En,
        }
    }
}

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DocumentKind {
    CitizenIdentity,
    DrivingLicence,
    HealthInsurance,
    VehicleRegistration,
}

/// A QR code as modules for the screen to draw: `size` × `size`, row by row, true = dark.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrMatrix {
    pub size: u32,
    pub version: u32,
    pub modules: Vec<bool>,
}

/// The QR matrix of any text (a request QR on the station's screen, an answer on the phone).
#[uniffi::export]
pub fn qr_matrix(text: String) -> Result<QrMatrix, VerificationError> {
    convert::matrix(&text).map_err(|e| VerificationError::Input {
        reason: e.to_string(),
    })
}

/// The version of the core behind these bindings.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
