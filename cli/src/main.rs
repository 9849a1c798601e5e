//! `cancuoc`: the command line of the cancuoc core — a demo of the whole story, the
//! verifier, and the issuer and holder steps one by one for scripts.
//!
//! Exit codes: 0 success (for `verify`: valid), 1 rejected, 2 usage or I/O error.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod commands;
mod display;
mod files;
mod station;
mod wallet;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Everything that stops a command before it reaches a verdict (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Input { path: PathBuf, problem: String },
    #[error("{0}")]
    Usage(String),
    #[error("key: {0}")]
    Key(#[from] cancuoc_core::keys::KeyError),
    #[error("certificate: {0}")]
    Certificate(#[from] cancuoc_core::x509::CertificateError),
    #[error("issuance: {0}")]
    Issue(#[from] cancuoc_core::issuance::IssueError),
    #[error("presentation: {0}")]
    Presentation(#[from] cancuoc_core::presentation::PresentationError),
    #[error("encoding: {0}")]
    Cbor(#[from] cancuoc_core::cbor::CborError),
    #[error("QR code: {0}")]
    Qr(#[from] cancuoc_core::qr::code::QrEncodeError),
    #[error("session transcript: {0}")]
    Transcript(#[from] cancuoc_core::mdoc::session_transcript::TranscriptError),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Vi,
    En,
}

impl From<LangArg> for cancuoc_core::i18n::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Vi => Self::Vi,
            LangArg::En => Self::En,
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "cancuoc",
    version,
    about = "cancuoc — citizen digital-ID wallet core: issue, present and verify ISO 18013-5 documents"
)]
struct Cli {
    /// Language of what is shown to people (Vietnamese by default).
    #[arg(long, global = true, value_enum, default_value = "vi")]
    lang: LangArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole story on built-in sample data: issue four documents, present the health
    /// insurance card at clinic reception, verify it.
    Demo(commands::DemoArgs),
    /// Verify a DeviceResponse or a QR presentation against trusted certificates
    /// (exit 0 valid, 1 rejected, 2 usage or I/O error).
    Verify(commands::VerifyArgs),
    /// Create an IACA and a Document Signer (keys and certificates) in a directory.
    Pki(commands::PkiArgs),
    /// Create a P-256 key pair (the holder's device key).
    Keygen(commands::KeygenArgs),
    /// Print a sample document as JSON (input for `issue`).
    Sample(commands::SampleArgs),
    /// Issue a document (JSON) to a holder's public key as an mdoc credential (CBOR).
    Issue(commands::IssueArgs),
    /// Make a SessionTranscript for a verifier (OpenID4VP handover, ISO 18013-7).
    Transcript(commands::TranscriptArgs),
    /// Present chosen elements of a credential: a signed DeviceResponse (CBOR) or a QR code.
    Present(commands::PresentArgs),
    /// Make a verifier's request QR (challenge mode); signed (CR2) with --sign-key.
    Request(commands::RequestArgs),
    /// Register a relying party: a reader certificate from the registry wallets trust.
    Party(commands::PartyArgs),
    /// A citizen's wallet on disk: init, activate, add, list, present, respond, grants,
    /// revoke, log.
    Wallet(wallet::WalletArgs),
    /// The reception desk: a local page for the counter's scanner and webcam, and an API for
    /// the clinic's software; every verification logged.
    Station(station::StationArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.into();
    let result = match cli.command {
        Command::Demo(a) => commands::demo(a, lang),
        Command::Verify(a) => commands::verify(a, lang),
        Command::Pki(a) => commands::pki(a),
        Command::Keygen(a) => commands::keygen(a),
        Command::Sample(a) => commands::sample(a),
        Command::Issue(a) => commands::issue(a),
        Command::Transcript(a) => commands::transcript(a),
        Command::Present(a) => commands::present(a),
        Command::Request(a) => commands::request(a),
        Command::Party(a) => commands::party(a),
        Command::Wallet(a) => wallet::run(a, lang),
        Command::Station(a) => station::run(a, lang),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cancuoc: {e}");
            ExitCode::from(2)
        }
    }
}
