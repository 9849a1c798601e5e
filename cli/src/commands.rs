//! The subcommands: each reads its files, calls the core once, writes or prints the result.

use std::path::PathBuf;
use std::process::ExitCode;

use cancuoc_core::document::{Document, DocumentKind, samples};
use cancuoc_core::fixtures::{self, CLINIC_ELEMENTS, DemoWorld};
use cancuoc_core::i18n::Lang;
use cancuoc_core::issuance::{CredentialValidity, Issuer, IssuingAuthority};
use cancuoc_core::keys::PrivateKey;
use cancuoc_core::mdoc::issuer_signed::Credential;
use cancuoc_core::mdoc::mso::StatusReference;
use cancuoc_core::mdoc::session_transcript::SessionTranscript;
use cancuoc_core::presentation::{present as present_doc, resolve_elements};
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::{Verifier, VerifyRequest};
use cancuoc_core::x509::Certificate;
use clap::Args;
use time::Duration;

use crate::{CliError, display, files};

fn kind_file(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CitizenIdentity => "citizen_identity",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::HealthInsurance => "health_insurance",
        DocumentKind::VehicleRegistration => "vehicle_registration",
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo's files.
    #[arg(long, default_value = "demo-out")]
    out: PathBuf,
    /// Pretend it is this time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// Seed for reproducible keys and salts; default: OS randomness.
    #[arg(long)]
    seed: Option<u64>,
}

pub fn demo(a: DemoArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let now = files::now(a.now.as_deref())?;
    let seed = match a.seed {
        Some(s) => s,
        None => rand_core::Rng::next_u64(&mut files::rng(None)?),
    };
    let mut world = DemoWorld::build(seed, now)?;
    let out = &a.out;
    let say = |vi: &str, en: &str| println!("{}", lang.pick_owned(vi, en));

    say(
        "① Cơ quan cấp: tạo IACA và Document Signer",
        "① Issuing authority: IACA and Document Signer created",
    );
    let iaca_pem = world.authority.certificate().to_pem()?;
    files::write(&out.join("trust/iaca.pem"), iaca_pem.as_bytes())?;
    files::write(&out.join("issuer/iaca.pem"), iaca_pem.as_bytes())?;
    files::write_private_key(&out.join("issuer/iaca-key.pem"), world.authority.key())?;
    files::write(
        &out.join("issuer/ds.pem"),
        world.issuer.certificate().to_pem()?.as_bytes(),
    )?;
    files::write_private_key(&out.join("issuer/ds-key.pem"), world.issuer.key())?;
    println!("   {}", world.authority.certificate().subject());

    say(
        "② Cấp 4 giấy tờ vào ví của công dân NGUYỄN VĂN AN",
        "② Four documents issued to citizen NGUYỄN VĂN AN's wallet",
    );
    files::write_private_key(&out.join("holder/device-key.pem"), &world.device_key)?;
    files::write(
        &out.join("holder/device-key.pub.pem"),
        world.device_key.public_key().to_spki_pem()?.as_bytes(),
    )?;
    for (doc, cred) in &world.credentials {
        let bytes = cred.to_bytes()?;
        files::write(
            &out.join(format!("holder/{}.cbor", kind_file(doc.kind()))),
            &bytes,
        )?;
        println!(
            "   {:<34} {:>6} B  {}",
            lang.pick(doc.kind().title_vi(), doc.kind().title_en()),
            bytes.len(),
            doc.doc_type()
        );
    }

    say(
        "③ Quầy tiếp đón phòng khám mở phiên kiểm tra",
        "③ Clinic reception opens a verification session",
    );
    let mut nonce = [0u8; 16];
    rand_core::Rng::fill_bytes(&mut world.rng, &mut nonce);
    let mut mdoc_nonce = [0u8; 16];
    rand_core::Rng::fill_bytes(&mut world.rng, &mut mdoc_nonce);
    let transcript = SessionTranscript::oid4vp(
        "phongkham-anbinh.example.vn",
        "https://phongkham-anbinh.example.vn/tiep-don",
        &hex(&nonce),
        &hex(&mdoc_nonce),
    )?;
    files::write(
        &out.join("session-transcript.cbor"),
        &transcript.tagged_bytes()?,
    )?;

    say(
        "④ Công dân đồng ý trình thẻ BHYT: chỉ 7 trường cần cho tiếp đón",
        "④ The citizen consents to show the health insurance card: only the 7 fields reception needs",
    );
    let card = world
        .credential(DocumentKind::HealthInsurance)
        .ok_or_else(|| CliError::Usage("demo world has no health insurance card".into()))?;
    let elements = resolve_elements(card, CLINIC_ELEMENTS)?;
    let response = present_doc(card, &world.device_key, &elements, &transcript)?.to_bytes()?;
    files::write(&out.join("device-response.cbor"), &response)?;
    println!(
        "   device-response.cbor: {} B → {}",
        response.len(),
        CLINIC_ELEMENTS.join(", ")
    );

    say(
        "⑤ Lễ tân xác minh (ngoại tuyến, theo chứng thư IACA)",
        "⑤ The receptionist verifies (offline, against the IACA certificate)",
    );
    let trust = TrustList::new(vec![world.authority.certificate().clone()])?;
    let req = VerifyRequest {
        response: &response,
        transcript: &transcript,
        now,
        status_lists: &[],
        reader_key: None,
    };
    match Verifier::new(trust).verify_response(&req) {
        Ok(docs) => {
            println!();
            for d in &docs {
                print!("{}", display::verified(d, lang));
            }
            println!();
            println!(
                "{}: {}",
                lang.pick_owned("Tệp đã ghi vào", "Files written to"),
                out.display()
            );
            println!(
                "   cancuoc verify --trust {0}/trust --response {0}/device-response.cbor --session-transcript {0}/session-transcript.cbor",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            print!("{}", display::rejected(&e, lang));
            Ok(ExitCode::from(1))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

trait PickOwned {
    fn pick_owned(self, vi: &str, en: &str) -> String;
}

impl PickOwned for Lang {
    fn pick_owned(self, vi: &str, en: &str) -> String {
        match self {
            Lang::Vi => vi.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Directory of trusted IACA certificates (*.pem), or one PEM file.
    #[arg(long)]
    trust: PathBuf,
    /// The DeviceResponse (CBOR).
    #[arg(long)]
    response: PathBuf,
    /// SessionTranscriptBytes (tag 24) or a bare SessionTranscript (CBOR).
    #[arg(long)]
    session_transcript: PathBuf,
    /// Verify as of this time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// The reader's ephemeral private key (PKCS#8 PEM), for responses authenticated by MAC.
    #[arg(long)]
    reader_key: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn verify(a: VerifyArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let trust = files::trust_list(&a.trust)?;
    let response = files::read(&a.response)?;
    let transcript =
        SessionTranscript::from_bytes(&files::read(&a.session_transcript)?).map_err(|e| {
            CliError::Input {
                path: a.session_transcript.clone(),
                problem: e.to_string(),
            }
        })?;
    let now = files::now(a.now.as_deref())?;
    let reader_key = a
        .reader_key
        .as_deref()
        .map(files::read_private_key)
        .transpose()?;
    let req = VerifyRequest {
        response: &response,
        transcript: &transcript,
        now,
        status_lists: &[],
        reader_key: reader_key.as_ref(),
    };
    match Verifier::new(trust).verify_response(&req) {
        Ok(docs) => {
            if a.json {
                println!("{}", display::verified_json(&docs));
            } else {
                for d in &docs {
                    print!("{}", display::verified(d, lang));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                println!("{}", display::rejected_json(&e, lang));
            } else {
                print!("{}", display::rejected(&e, lang));
            }
            Ok(ExitCode::from(1))
        }
    }
}

#[derive(Debug, Args)]
pub struct PkiArgs {
    /// Directory to write iaca.pem, iaca-key.pem, ds.pem, ds-key.pem into.
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    now: Option<String>,
    #[arg(long)]
    seed: Option<u64>,
}

pub fn pki(a: PkiArgs) -> Result<ExitCode, CliError> {
    let now = files::now(a.now.as_deref())?;
    let mut rng = files::rng(a.seed)?;
    let start = now - Duration::days(1);
    let authority = IssuingAuthority::generate(&fixtures::iaca_params(start), &mut rng)?;
    let issuer = authority.document_signer(&fixtures::ds_params(start), &mut rng)?;
    files::write(
        &a.out.join("iaca.pem"),
        authority.certificate().to_pem()?.as_bytes(),
    )?;
    files::write_private_key(&a.out.join("iaca-key.pem"), authority.key())?;
    files::write(
        &a.out.join("ds.pem"),
        issuer.certificate().to_pem()?.as_bytes(),
    )?;
    files::write_private_key(&a.out.join("ds-key.pem"), issuer.key())?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Private key file (PKCS#8 PEM, mode 0600); the public key goes to the same name with .pub.pem.
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    seed: Option<u64>,
}

pub fn keygen(a: KeygenArgs) -> Result<ExitCode, CliError> {
    let key = PrivateKey::generate(&mut files::rng(a.seed)?);
    files::write_private_key(&a.out, &key)?;
    let public = a.out.with_extension("pub.pem");
    files::write(&public, key.public_key().to_spki_pem()?.as_bytes())?;
    println!("{}", public.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// citizen_identity, driving_licence, health_insurance or vehicle_registration.
    kind: String,
}

pub fn sample(a: SampleArgs) -> Result<ExitCode, CliError> {
    let doc = samples::all()
        .into_iter()
        .find(|d| kind_file(d.kind()) == a.kind)
        .ok_or_else(|| CliError::Usage(format!("unknown kind {:?}", a.kind)))?;
    let json = serde_json::to_string_pretty(&doc).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Directory holding ds.pem and ds-key.pem (from `cancuoc pki`).
    #[arg(long)]
    pki: PathBuf,
    /// The document as JSON (see `cancuoc sample`).
    #[arg(long)]
    document: PathBuf,
    /// The holder's public device key (SPKI PEM).
    #[arg(long)]
    holder_key: PathBuf,
    /// Output credential (CBOR).
    #[arg(long)]
    out: PathBuf,
    /// Days the credential is valid from now.
    #[arg(long, default_value_t = 90)]
    valid_days: i64,
    /// Index in the revocation status list.
    #[arg(long)]
    status_index: Option<u64>,
    #[arg(long, default_value = fixtures::STATUS_URI)]
    status_uri: String,
    #[arg(long)]
    now: Option<String>,
    #[arg(long)]
    seed: Option<u64>,
}

pub fn issue(a: IssueArgs) -> Result<ExitCode, CliError> {
    let now = files::now(a.now.as_deref())?;
    let ds_cert = Certificate::from_pem(&files::read_text(&a.pki.join("ds.pem"))?)?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Usage("ds.pem holds no certificate".into()))?;
    let issuer = Issuer::new(files::read_private_key(&a.pki.join("ds-key.pem"))?, ds_cert)?;
    let doc: Document =
        serde_json::from_slice(&files::read(&a.document)?).map_err(|e| CliError::Input {
            path: a.document.clone(),
            problem: e.to_string(),
        })?;
    let holder = files::read_public_key(&a.holder_key)?;
    if !(1..=3650).contains(&a.valid_days) {
        return Err(CliError::Usage("--valid-days must be 1–3650".into()));
    }
    let validity = CredentialValidity {
        valid_from: now,
        valid_until: now + Duration::days(a.valid_days),
        expected_update: None,
    };
    let status = a.status_index.map(|index| StatusReference {
        index,
        uri: a.status_uri.clone(),
    });
    let cred = issuer.issue(
        &doc,
        &holder,
        validity,
        status,
        now,
        &mut files::rng(a.seed)?,
    )?;
    files::write(&a.out, &cred.to_bytes()?)?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct TranscriptArgs {
    /// The verifier's identifier (client_id).
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    response_uri: String,
    /// The verifier's nonce.
    #[arg(long)]
    nonce: String,
    /// The wallet's nonce; default: random.
    #[arg(long)]
    mdoc_nonce: Option<String>,
    #[arg(long)]
    out: PathBuf,
}

pub fn transcript(a: TranscriptArgs) -> Result<ExitCode, CliError> {
    let mdoc_nonce = match a.mdoc_nonce {
        Some(n) => n,
        None => {
            let mut b = [0u8; 16];
            rand_core::Rng::fill_bytes(&mut files::rng(None)?, &mut b);
            hex(&b)
        }
    };
    let t = SessionTranscript::oid4vp(&a.client_id, &a.response_uri, &a.nonce, &mdoc_nonce)?;
    files::write(&a.out, &t.tagged_bytes()?)?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct PresentArgs {
    /// The credential (CBOR, from `cancuoc issue`).
    #[arg(long)]
    credential: PathBuf,
    /// The holder's private device key (PKCS#8 PEM).
    #[arg(long)]
    device_key: PathBuf,
    /// Elements to disclose: identifiers (card_code) or namespace/identifier, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    elements: Vec<String>,
    /// The verifier's session transcript (from `cancuoc transcript`).
    #[arg(long)]
    session_transcript: PathBuf,
    /// Output DeviceResponse (CBOR).
    #[arg(long)]
    out: PathBuf,
}

pub fn present(a: PresentArgs) -> Result<ExitCode, CliError> {
    let cred =
        Credential::from_bytes(&files::read(&a.credential)?).map_err(|e| CliError::Input {
            path: a.credential.clone(),
            problem: e.to_string(),
        })?;
    let key = files::read_private_key(&a.device_key)?;
    let transcript =
        SessionTranscript::from_bytes(&files::read(&a.session_transcript)?).map_err(|e| {
            CliError::Input {
                path: a.session_transcript.clone(),
                problem: e.to_string(),
            }
        })?;
    let names: Vec<&str> = a.elements.iter().map(String::as_str).collect();
    let elements = resolve_elements(&cred, &names)?;
    let response = present_doc(&cred, &key, &elements, &transcript)?.to_bytes()?;
    files::write(&a.out, &response)?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
