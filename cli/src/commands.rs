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
use cancuoc_core::qr::code::{encode as qr_encode, read_image};
use cancuoc_core::qr::request::QrRequest;
use cancuoc_core::qr::sd_cwt::{CompactCredential, present_qr};
use cancuoc_core::qr::signed_request::{SIGNED_REQUEST_PREFIX, SignedRequest};
use cancuoc_core::trust::TrustList;
use cancuoc_core::verifier::{
    Challenge, QrVerifyRequest, VerifiedDocument, Verifier, VerifyError, VerifyRequest,
};
use cancuoc_core::x509::Certificate;
use clap::Args;
use time::Duration;

use crate::{CliError, display, files};

/// The document kind a command-line name stands for.
fn kind_by_name(name: &str) -> Result<DocumentKind, CliError> {
    DocumentKind::ALL.into_iter().find(|k| kind_file(*k) == name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown kind {name:?}: citizen_identity, driving_licence, health_insurance or vehicle_registration"
        ))
    })
}

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
    // QR codes name their signer by key id: verifiers also keep the DS certificate.
    files::write(
        &out.join("trust/ds.pem"),
        world.issuer.certificate().to_pem()?.as_bytes(),
    )?;
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
        if let Some(compact) = world.compact(doc.kind()) {
            files::write(
                &out.join(format!("holder/{}.sdcwt", kind_file(doc.kind()))),
                &compact.to_bytes()?,
            )?;
        }
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
    let verifier = Verifier::new(trust);
    match verifier.verify_response(&req) {
        Ok(docs) => {
            println!();
            for d in &docs {
                print!("{}", display::verified(d, lang));
            }
            println!();
        }
        Err(e) => {
            print!("{}", display::rejected(&e, lang));
            return Ok(ExitCode::from(1));
        }
    }

    // The QR channel: static mode.
    let verifier = Verifier::new(TrustList::new(vec![
        world.authority.certificate().clone(),
        world.issuer.certificate().clone(),
    ])?);
    let compact = world
        .compact(DocumentKind::HealthInsurance)
        .cloned()
        .ok_or_else(|| CliError::Usage("demo world has no compact health insurance card".into()))?;
    let asked = ["holder_name", "birth_date", "sex"];
    let text = present_qr(&compact, &world.device_key, &asked, None, now)?;
    let matrix = qr_encode(&text)?;
    files::write(&out.join("presentation.txt"), text.as_bytes())?;
    files::write(&out.join("presentation.png"), &matrix.to_png(6)?)?;
    files::write(&out.join("presentation.svg"), matrix.to_svg().as_bytes())?;
    say(
        "⑥ Mã QR tĩnh trên điện thoại (hết hạn sau 60 giây): lễ tân quét ảnh presentation.png",
        "⑥ Static QR on the phone (expires after 60 seconds): reception scans presentation.png",
    );
    println!(
        "   {} {}, {} {} (M) · presentation.txt, presentation.png",
        text.len(),
        lang.pick_owned("ký tự", "characters"),
        lang.pick_owned("phiên bản QR", "QR version"),
        matrix.version
    );
    let scanned = read_image(&files::read(&out.join("presentation.png"))?)
        .map_err(|e| CliError::Usage(format!("the demo could not read its own QR: {e}")))?;
    if scanned != text {
        return Err(CliError::Usage(
            "the QR read back differs from the text".into(),
        ));
    }
    let mut exit = ExitCode::SUCCESS;
    match verifier.verify_qr_text(&scanned, &QrVerifyRequest::new(now)) {
        Ok(d) => print!("\n{}\n", display::verified(&d, lang)),
        Err(e) => {
            print!("{}", display::rejected(&e, lang));
            exit = ExitCode::from(1);
        }
    }

    // Challenge mode through the citizen's wallet: the clinic shows a signed request, the
    // wallet asks the citizen, the answer is encrypted to the clinic.
    match demo_challenge(&mut world, &verifier, out, now, lang)? {
        true => {}
        false => exit = ExitCode::from(1),
    }
    println!(
        "{}: {}",
        lang.pick_owned("Tệp đã ghi vào", "Files written to"),
        out.display()
    );
    println!(
        "   cancuoc verify --trust {0}/trust --response {0}/device-response.cbor --session-transcript {0}/session-transcript.cbor",
        out.display()
    );
    println!(
        "   cancuoc verify --trust {0}/trust --image {0}/presentation.png --max-age 3600",
        out.display()
    );
    println!(
        "   cancuoc verify --trust {0}/trust --text \"$(cat {0}/answer.txt)\" --request {0}/request.txt --decrypt-key {0}/clinic/party-key.pem --max-age 3600",
        out.display()
    );
    println!(
        "   cancuoc wallet --dir {0}/wallet log --verify",
        out.display()
    );
    Ok(exit)
}

/// Step ⑦ of the demo: a wallet on disk, a registered clinic, a signed request answered with
/// the citizen's choice, encrypted to the clinic, verified, logged.
fn demo_challenge(
    world: &mut DemoWorld,
    verifier: &Verifier,
    out: &std::path::Path,
    now: time::OffsetDateTime,
    lang: Lang,
) -> Result<bool, CliError> {
    use cancuoc_core::account::Passcode;
    use cancuoc_core::consent::Approval;
    use cancuoc_core::keystore::SoftwareKeyStore;
    use cancuoc_core::wallet::{Activation, Answer, AssuranceLevel, Wallet, WalletConfig};
    use std::sync::Arc;

    let say = |vi: &str, en: &str| println!("{}", lang.pick_owned(vi, en));
    let wallet_err = |e: cancuoc_core::wallet::WalletError| {
        CliError::Usage(format!("{} [{}]", e.message(lang), e.code()))
    };
    // The clinic, registered with the registry of relying parties.
    let mut registry_params = fixtures::iaca_params(now - Duration::days(1));
    registry_params.common_name = "cancuoc demo relying-party registry".into();
    let registry = IssuingAuthority::generate(&registry_params, &mut world.rng)?;
    let clinic_key = PrivateKey::generate(&mut world.rng);
    let clinic_cert = cancuoc_core::x509::make_reader_certificate(
        registry.key(),
        registry.certificate(),
        &clinic_key.public_key(),
        &cancuoc_core::x509::CertificateParams {
            country: "VN".into(),
            organization: Some("Phòng khám Đa khoa An Bình".into()),
            common_name: "vn.clinic.anbinh".into(),
            issuer_contact: "https://cancuoc.example.vn/parties".into(),
            crl_url: None,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(365),
        },
        &mut world.rng,
    )?;
    files::write(
        &out.join("clinic/registry.pem"),
        registry.certificate().to_pem()?.as_bytes(),
    )?;
    files::write(
        &out.join("clinic/party.pem"),
        clinic_cert.to_pem()?.as_bytes(),
    )?;
    files::write_private_key(&out.join("clinic/party-key.pem"), &clinic_key)?;

    // The citizen's wallet: activated, the health insurance card integrated.
    let wallet_dir = out.join("wallet");
    if wallet_dir.exists() {
        std::fs::remove_dir_all(&wallet_dir).map_err(|source| CliError::Io {
            path: wallet_dir.clone(),
            source,
        })?;
    }
    let keys = SoftwareKeyStore::open(&wallet_dir.join("keys"), Box::new(files::rng(None)?))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let issuer_trust = TrustList::new(vec![
        world.authority.certificate().clone(),
        world.issuer.certificate().clone(),
    ])?;
    let parties = TrustList::new(vec![registry.certificate().clone()])?;
    for (name, list) in [("trust", &issuer_trust), ("parties", &parties)] {
        for (i, c) in list.roots().iter().enumerate() {
            files::write(
                &wallet_dir.join(format!("{name}/{i}.pem")),
                c.to_pem()?.as_bytes(),
            )?;
        }
    }
    let wallet = Wallet::open(
        &wallet_dir.join("wallet.db"),
        Arc::new(keys),
        Arc::new(cancuoc_core::time_fmt::FixedClock(now)),
        Box::new(files::rng(None)?),
        WalletConfig::new(issuer_trust, parties),
    )
    .map_err(wallet_err)?;
    let passcode = Passcode::new("246810").map_err(|e| CliError::Usage(e.to_string()))?;
    let account = wallet
        .activate(
            Activation {
                personal_id: "001090012345".into(),
                full_name: "NGUYỄN VĂN AN".into(),
                birth_date: time::macros::date!(1990 - 05 - 14),
                level: AssuranceLevel::Level2,
                id_card_expiry: None,
            },
            &passcode,
        )
        .map_err(wallet_err)?;
    let card = samples::all()
        .into_iter()
        .find(|d| d.kind() == DocumentKind::HealthInsurance)
        .ok_or_else(|| CliError::Usage("no sample card".into()))?;
    let validity = CredentialValidity {
        valid_from: now,
        valid_until: now + Duration::days(90),
        expected_update: None,
    };
    let mdoc = world.issuer.issue(
        &card,
        &account.device_key,
        validity,
        None,
        now,
        &mut world.rng,
    )?;
    let qr = world.issuer.issue_compact(
        &card,
        &account.device_key,
        validity,
        None,
        now,
        &mut world.rng,
    )?;
    wallet
        .add_document(&mdoc.to_bytes()?, Some(&qr.to_bytes()?), None)
        .map_err(wallet_err)?;

    // The clinic's signed request, encrypted answers asked for.
    let mut request = SignedRequest::new(
        clinic_cert,
        DocumentKind::HealthInsurance,
        CLINIC_ELEMENTS,
        &["card_code", "holder_name"],
        "Tiếp đón khám bệnh có BHYT",
        now,
        Duration::minutes(5),
        &mut world.rng,
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    request.encryption_key = Some(clinic_key.public_key());
    let request_text = request
        .sign(&clinic_key)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    files::write(&out.join("request.txt"), request_text.as_bytes())?;
    files::write(
        &out.join("request.png"),
        &qr_encode(&request_text)?.to_png(6)?,
    )?;
    say(
        "⑦ Chế độ yêu cầu: quầy hiển thị mã yêu cầu có chữ ký (request.png); ví hỏi ý kiến công dân",
        "⑦ Challenge mode: the counter shows a signed request (request.png); the wallet asks the citizen",
    );
    let prompt = wallet.respond(&request_text, None).map_err(wallet_err)?;
    println!(
        "   {} {} — {}",
        lang.pick_owned("Bên yêu cầu:", "Requester:"),
        prompt
            .party_organization
            .as_deref()
            .unwrap_or(&prompt.party_id),
        prompt.purpose
    );
    for e in &prompt.elements {
        println!(
            "   · {}{}",
            lang.pick_owned(&e.label_vi, &e.label_en),
            if e.retain {
                lang.pick_owned(" (lưu lại)", " (kept)")
            } else {
                String::new()
            }
        );
    }
    let chosen = ["card_code", "holder_name", "valid_until"];
    println!(
        "   {} {}",
        lang.pick_owned("Công dân đồng ý chia sẻ:", "The citizen agrees to share:"),
        chosen.join(", ")
    );
    let answer = wallet
        .answer(
            &prompt.id,
            Approval::Some(chosen.iter().map(|c| (*c).to_owned()).collect()),
        )
        .map_err(wallet_err)?;
    let Answer::Presentation(answer) = answer else {
        return Err(CliError::Usage("the wallet gave no presentation".into()));
    };
    files::write(&out.join("answer.txt"), answer.text.as_bytes())?;
    println!(
        "   {} ({} {})",
        lang.pick_owned(
            "Câu trả lời được mã hóa cho phòng khám",
            "The answer is encrypted to the clinic"
        ),
        answer.text.len(),
        lang.pick_owned("ký tự", "characters")
    );
    let own = SignedRequest::from_own_text(&request_text, now)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let req = QrVerifyRequest {
        challenge: Some(own.request.challenge()),
        decryption_key: Some(&clinic_key),
        ..QrVerifyRequest::new(now)
    };
    let ok = match verifier.verify_qr_text(&answer.text, &req) {
        Ok(d) => {
            print!("\n{}\n", display::verified(&d, lang));
            true
        }
        Err(e) => {
            print!("{}", display::rejected(&e, lang));
            false
        }
    };
    say("⑧ Nhật ký chia sẻ trong ví", "⑧ The wallet's sharing log");
    for (seq, e) in wallet.audit_log(None, None, None).map_err(wallet_err)? {
        println!(
            "   {seq}. {} {} → {}",
            cancuoc_core::time_fmt::tdate(e.time),
            e.requester,
            e.disclosed.join(", ")
        );
    }
    let n = wallet.verify_log().map_err(wallet_err)?;
    println!(
        "   {} ({n})",
        lang.pick_owned("Nhật ký toàn vẹn", "Log verified")
    );
    Ok(ok)
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
#[command(group(clap::ArgGroup::new("input").required(true).args(["response", "image", "text", "grant"])))]
pub struct VerifyArgs {
    /// Directory of trusted certificates (*.pem): IACA roots, and the Document Signers whose
    /// key ids QR codes name.
    #[arg(long)]
    trust: PathBuf,
    /// An ISO 18013-5 DeviceResponse (CBOR).
    #[arg(long, requires = "session_transcript")]
    response: Option<PathBuf>,
    /// SessionTranscriptBytes (tag 24) or a bare SessionTranscript (CBOR), with --response.
    #[arg(long)]
    session_transcript: Option<PathBuf>,
    /// A QR code image (PNG or JPEG).
    #[arg(long)]
    image: Option<PathBuf>,
    /// The text of a QR code (CC1:…).
    #[arg(long)]
    text: Option<String>,
    /// Challenge mode: the nonce of the request this QR answers (hex), with --audience.
    #[arg(long, requires = "audience")]
    nonce: Option<String>,
    /// Challenge mode: the verifier identity the request named.
    #[arg(long, requires = "nonce")]
    audience: Option<String>,
    /// Challenge mode: the request QR text (CR1:… or the signed CR2:…) instead of --nonce and
    /// --audience.
    #[arg(long, conflicts_with_all = ["nonce", "audience"])]
    request: Option<String>,
    /// The relying party's private key (PKCS#8 PEM), to open an answer encrypted to it (CE1:…).
    #[arg(long)]
    decrypt_key: Option<PathBuf>,
    /// A consent grant (CG1:… text, or a file holding it) to check instead of a presentation.
    #[arg(long)]
    grant: Option<String>,
    /// With --grant: the citizen's device key as known to the checker (SPKI PEM).
    #[arg(long, requires = "grant")]
    holder_key: Option<PathBuf>,
    /// With --grant: the party presenting it (the grant must name it).
    #[arg(long, requires = "grant")]
    party: Option<String>,
    /// With --grant: revocations known to the checker (CV1:… text or files), repeatable.
    #[arg(long, requires = "grant")]
    revocation: Vec<String>,
    /// Fetch the identity service's signed trust list and status list (checked against the
    /// roots in --trust) and check revocation with them.
    #[arg(long)]
    service: Option<String>,
    /// How old a QR presentation may be, in seconds.
    #[arg(long, default_value_t = 60)]
    max_age: i64,
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

fn report(result: Result<Vec<VerifiedDocument>, VerifyError>, json: bool, lang: Lang) -> ExitCode {
    match result {
        Ok(docs) => {
            if json {
                println!("{}", display::verified_json(&docs));
            } else {
                for d in &docs {
                    print!("{}", display::verified(d, lang));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!("{}", display::rejected_json(&e, lang));
            } else {
                print!("{}", display::rejected(&e, lang));
            }
            ExitCode::from(1)
        }
    }
}

/// A text argument that may name a file holding the text.
fn text_or_file(arg: &str) -> Result<String, CliError> {
    let path = std::path::Path::new(arg);
    if arg.len() < 4096 && !arg.contains(':') && path.is_file() {
        Ok(files::read_text(path)?.trim().to_owned())
    } else {
        Ok(arg.trim().to_owned())
    }
}

fn verify_grant_cmd(a: &VerifyArgs, grant: &str, lang: Lang) -> Result<ExitCode, CliError> {
    use cancuoc_core::verifier::grant::{GrantCheck, verify_grant};
    let now = files::now(a.now.as_deref())?;
    let text = text_or_file(grant)?;
    let holder = a
        .holder_key
        .as_deref()
        .map(files::read_public_key)
        .transpose()?;
    let revocations = a
        .revocation
        .iter()
        .map(|r| text_or_file(r))
        .collect::<Result<Vec<_>, _>>()?;
    let mut check = GrantCheck::new(now);
    check.holder_key = holder.as_ref();
    check.party = a.party.as_deref();
    check.revocations = &revocations;
    match verify_grant(&text, &check) {
        Ok(g) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "valid": true,
                        "grant": g.id_hex(),
                        "party": g.party,
                        "document": g.document.doc_type(),
                        "elements": g.elements,
                        "purpose": g.purpose,
                        "issued": cancuoc_core::time_fmt::tdate(g.issued),
                        "expires": cancuoc_core::time_fmt::tdate(g.expires),
                        "holder_key_checked": holder.is_some(),
                    })
                );
            } else {
                println!(
                    "{} — {}",
                    lang.pick("✅ Ủy quyền còn hiệu lực", "✅ Grant in force"),
                    g.party
                );
                println!(
                    "   {}: {}",
                    lang.pick("Thông tin", "Elements"),
                    g.elements.join(", ")
                );
                println!("   {}: {}", lang.pick("Mục đích", "Purpose"), g.purpose);
                println!(
                    "   {}: {}",
                    lang.pick("Hết hạn", "Expires"),
                    cancuoc_core::time_fmt::tdate(g.expires)
                );
                if holder.is_none() {
                    println!(
                        "   {}",
                        lang.pick(
                            "⚠ Chưa đối chiếu khóa thiết bị của công dân (--holder-key).",
                            "⚠ The citizen's device key was not checked (--holder-key)."
                        )
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"valid": false, "code": e.code(), "reason": e.to_string()})
                );
            } else {
                println!(
                    "{} [{}] {e}",
                    lang.pick("❌ Ủy quyền không hợp lệ", "❌ Grant not valid"),
                    e.code()
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}

pub fn verify(a: VerifyArgs, lang: Lang) -> Result<ExitCode, CliError> {
    if let Some(grant) = &a.grant {
        return verify_grant_cmd(&a, grant, lang);
    }
    let now = files::now(a.now.as_deref())?;
    let anchors = files::trust_list(&a.trust)?;
    let (verifier, status_lists) = match &a.service {
        Some(url) => online_lists(url, anchors, now, lang)?,
        None => (Verifier::new(anchors), Vec::new()),
    };
    let status_lists = status_lists.as_slice();
    if let (Some(response), Some(st)) = (&a.response, &a.session_transcript) {
        let response = files::read(response)?;
        let transcript =
            SessionTranscript::from_bytes(&files::read(st)?).map_err(|e| CliError::Input {
                path: st.clone(),
                problem: e.to_string(),
            })?;
        let reader_key = a
            .reader_key
            .as_deref()
            .map(files::read_private_key)
            .transpose()?;
        let req = VerifyRequest {
            response: &response,
            transcript: &transcript,
            now,
            status_lists,
            reader_key: reader_key.as_ref(),
        };
        return Ok(report(verifier.verify_response(&req), a.json, lang));
    }
    let text = match (&a.text, &a.image) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) => match read_image(&files::read(path)?) {
            Ok(t) => t,
            Err(e) => {
                return Err(CliError::Input {
                    path: path.clone(),
                    problem: e.to_string(),
                });
            }
        },
        (None, None) => return Err(CliError::Usage("give --response, --image or --text".into())),
    };
    let request = parse_request(a.request.as_deref(), now)?;
    let decrypt_key = a
        .decrypt_key
        .as_deref()
        .map(files::read_private_key)
        .transpose()?;
    let nonce = a
        .nonce
        .as_deref()
        .map(|n| hex_decode(n).ok_or_else(|| CliError::Usage("--nonce is not hex".into())))
        .transpose()?;
    let challenge = match (&request, &nonce, &a.audience) {
        (Some(r), _, _) => Some(r.challenge()),
        (None, Some(n), Some(aud)) => Some(Challenge {
            audience: aud,
            nonce: n,
            kind: None,
        }),
        _ => None,
    };
    let mut req = QrVerifyRequest::new(now);
    req.max_age = Duration::seconds(a.max_age);
    req.challenge = challenge;
    req.decryption_key = decrypt_key.as_ref();
    req.status_lists = status_lists;
    let result = verifier.verify_qr_text(&text, &req).map(|d| vec![d]);
    Ok(report(result, a.json, lang))
}

/// The identity service's trust list and its first status list (the one QR credentials index
/// into), each verified against `anchors`; their age printed to standard error.
fn online_lists(
    url: &str,
    anchors: cancuoc_core::trust::TrustList,
    now: time::OffsetDateTime,
    lang: Lang,
) -> Result<(Verifier, Vec<cancuoc_core::trust::StatusList>), CliError> {
    use cancuoc_core::lists::ListAge;
    use cancuoc_core::service::{ListFetchError, ListKind, ServiceClient, ServiceConfig};
    let client = ServiceClient::new(ServiceConfig::new(url), &mut files::rng(None)?)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let got = client
        .verified_lists(&anchors, None, now)
        .map_err(|e| match &e {
            ListFetchError::Service { list, error } => CliError::Usage(format!(
                "{}: {} [{}]",
                list.name(lang),
                error.message(lang),
                e.code()
            )),
            ListFetchError::Refused { .. } => CliError::Usage(format!("{e} [{}]", e.code())),
        })?;
    for (list, issued, fresh_until) in [
        (ListKind::Trust, got.trust.issued_at, got.trust.next_update),
        (ListKind::Status, got.status.issued_at, got.status.expires),
    ] {
        let age = ListAge::of(issued, fresh_until, now);
        eprintln!(
            "{}: {} {}{}",
            list.name(lang),
            lang.pick("cập nhật", "issued"),
            cancuoc_core::time_fmt::tdate(issued),
            if age.stale {
                lang.pick(" (đã cũ)", " (stale)")
            } else {
                ""
            }
        );
    }
    Ok((
        Verifier::new(got.trust.trust_list(&anchors)),
        vec![got.status.list],
    ))
}

/// A `--request` argument: the verifier's own request QR text (CR1, or CR2 signed by it), or a
/// file holding it.
fn parse_request(
    text: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<Option<QrRequest>, CliError> {
    text.map(|r| {
        let r = text_or_file(r)?;
        if r.starts_with(SIGNED_REQUEST_PREFIX) {
            return SignedRequest::from_own_text(&r, now)
                .map(|s| s.request)
                .map_err(|e| CliError::Usage(format!("--request: {e}")));
        }
        QrRequest::from_text(&r, now).map_err(|e| CliError::Usage(format!("--request: {e}")))
    })
    .transpose()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
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
    let kind = kind_by_name(&a.kind)?;
    let doc = samples::all()
        .into_iter()
        .find(|d| d.kind() == kind)
        .ok_or_else(|| CliError::Usage(format!("no sample of {:?}", a.kind)))?;
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
    /// Also issue the compact credential for QR presentations (SD-CWT) to this file.
    #[arg(long)]
    qr_out: Option<PathBuf>,
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
    let mut rng = files::rng(a.seed)?;
    let cred = issuer.issue(&doc, &holder, validity, status, now, &mut rng)?;
    files::write(&a.out, &cred.to_bytes()?)?;
    if let Some(qr_out) = &a.qr_out {
        let compact =
            issuer.issue_compact(&doc, &holder, validity, a.status_index, now, &mut rng)?;
        files::write(qr_out, &compact.to_bytes()?)?;
    }
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
    /// The credential: an mdoc (CBOR, from `cancuoc issue --out`), or with --qr a compact
    /// credential (from `cancuoc issue --qr-out`).
    #[arg(long)]
    credential: PathBuf,
    /// The holder's private device key (PKCS#8 PEM).
    #[arg(long)]
    device_key: PathBuf,
    /// Elements to disclose: identifiers (card_code) or namespace/identifier, comma-separated.
    /// With --qr, the always-disclosed elements come without asking and this may be empty.
    #[arg(long, value_delimiter = ',')]
    elements: Vec<String>,
    /// The verifier's session transcript (from `cancuoc transcript`), for an mdoc response.
    #[arg(long, required_unless_present = "qr")]
    session_transcript: Option<PathBuf>,
    /// Present as a QR code (SD-CWT): static mode, or challenge mode with --request.
    #[arg(long)]
    qr: bool,
    /// Challenge mode: the verifier's request QR text (CR1:…).
    #[arg(long, requires = "qr")]
    request: Option<String>,
    /// Also write the QR code as a PNG.
    #[arg(long, requires = "qr")]
    png: Option<PathBuf>,
    /// Present as of this time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// Output: the DeviceResponse (CBOR), or with --qr the QR text.
    #[arg(long)]
    out: PathBuf,
}

pub fn present(a: PresentArgs) -> Result<ExitCode, CliError> {
    let key = files::read_private_key(&a.device_key)?;
    let names: Vec<&str> = a
        .elements
        .iter()
        .map(String::as_str)
        .filter(|n| !n.is_empty())
        .collect();
    let bytes = files::read(&a.credential)?;
    let input = |e: String| CliError::Input {
        path: a.credential.clone(),
        problem: e,
    };
    if a.qr {
        let now = files::now(a.now.as_deref())?;
        let cred = CompactCredential::from_bytes(&bytes).map_err(|e| input(e.to_string()))?;
        let request = parse_request(a.request.as_deref(), now)?;
        if let Some(r) = &request
            && r.kind != cred.kind
        {
            return Err(CliError::Usage(format!(
                "the request asks for {}, the credential is {}",
                r.kind.doc_type(),
                cred.kind.doc_type()
            )));
        }
        let text = present_qr(&cred, &key, &names, request.as_ref(), now)?;
        files::write(&a.out, text.as_bytes())?;
        if let Some(png) = &a.png {
            files::write(png, &qr_encode(&text)?.to_png(6)?)?;
        }
        println!("{}", a.out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let st = a.session_transcript.as_ref().ok_or_else(|| {
        CliError::Usage("--session-transcript is needed for an mdoc response".into())
    })?;
    let cred = Credential::from_bytes(&bytes).map_err(|e| input(e.to_string()))?;
    let transcript =
        SessionTranscript::from_bytes(&files::read(st)?).map_err(|e| CliError::Input {
            path: st.clone(),
            problem: e.to_string(),
        })?;
    let elements = resolve_elements(&cred, &names)?;
    let response = present_doc(&cred, &key, &elements, &transcript)?.to_bytes()?;
    files::write(&a.out, &response)?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The verifier's identity (relying-party identifier).
    #[arg(long)]
    verifier: String,
    /// citizen_identity, driving_licence, health_insurance or vehicle_registration.
    #[arg(long)]
    kind: String,
    /// Selectively disclosable elements asked for, comma-separated.
    #[arg(long, value_delimiter = ',')]
    elements: Vec<String>,
    /// How long the request stays valid, in seconds.
    #[arg(long, default_value_t = 300)]
    ttl: i64,
    #[arg(long)]
    now: Option<String>,
    /// Output: the request QR text.
    #[arg(long)]
    out: PathBuf,
    /// Also write the request QR code as a PNG.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Sign the request (CR2:, what wallets answer) with the relying party's key (PKCS#8 PEM);
    /// needs --certificate. The party id is the certificate's common name.
    #[arg(long, requires = "certificate")]
    sign_key: Option<PathBuf>,
    /// The relying party's reader certificate (PEM, from `cancuoc party`).
    #[arg(long, requires = "sign_key")]
    certificate: Option<PathBuf>,
    /// Signed request: elements the party intends to keep, comma-separated.
    #[arg(long, value_delimiter = ',', requires = "sign_key")]
    retain: Vec<String>,
    /// Signed request: why the party asks, as the citizen will read it.
    #[arg(long, requires = "sign_key")]
    purpose: Option<String>,
    /// Signed request: ask for the answer encrypted to this public key (SPKI PEM).
    #[arg(long, requires = "sign_key")]
    encrypt_to: Option<PathBuf>,
    /// Signed request: ask for standing consent for this many days (a grant).
    #[arg(long, requires = "sign_key")]
    grant_days: Option<i64>,
}

fn signed_request(
    a: &RequestArgs,
    kind: DocumentKind,
    names: &[&str],
    now: time::OffsetDateTime,
) -> Result<String, CliError> {
    let (Some(key), Some(cert)) = (&a.sign_key, &a.certificate) else {
        return Err(CliError::Usage("--sign-key needs --certificate".into()));
    };
    let key = files::read_private_key(key)?;
    let certificate = Certificate::from_pem(&files::read_text(cert)?)?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Input {
            path: cert.clone(),
            problem: "no certificate".into(),
        })?;
    let retain: Vec<&str> = a
        .retain
        .iter()
        .map(String::as_str)
        .filter(|n| !n.is_empty())
        .collect();
    let purpose = a.purpose.as_deref().unwrap_or("Xác minh thông tin");
    let mut req = SignedRequest::new(
        certificate,
        kind,
        names,
        &retain,
        purpose,
        now,
        Duration::seconds(a.ttl),
        &mut files::rng(None)?,
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    if req.request.verifier != a.verifier {
        return Err(CliError::Usage(format!(
            "--verifier {:?} is not the certificate's party id {:?}",
            a.verifier, req.request.verifier
        )));
    }
    req.encryption_key = a
        .encrypt_to
        .as_deref()
        .map(files::read_public_key)
        .transpose()?;
    if let Some(days) = a.grant_days {
        if !(1..=3650).contains(&days) {
            return Err(CliError::Usage("--grant-days must be 1–3650".into()));
        }
        req.grant_until = Some(now + Duration::days(days));
    }
    req.sign(&key).map_err(|e| CliError::Usage(e.to_string()))
}

pub fn request(a: RequestArgs) -> Result<ExitCode, CliError> {
    let kind = kind_by_name(&a.kind)?;
    let now = files::now(a.now.as_deref())?;
    let names: Vec<&str> = a
        .elements
        .iter()
        .map(String::as_str)
        .filter(|n| !n.is_empty())
        .collect();
    if !(1..=86_400).contains(&a.ttl) {
        return Err(CliError::Usage("--ttl must be 1–86400 seconds".into()));
    }
    let text = if a.sign_key.is_some() {
        signed_request(&a, kind, &names, now)?
    } else {
        QrRequest::new(
            &a.verifier,
            kind,
            &names,
            now,
            Duration::seconds(a.ttl),
            &mut files::rng(None)?,
        )
        .map_err(|e| CliError::Usage(e.to_string()))?
        .to_text()
    };
    files::write(&a.out, text.as_bytes())?;
    if let Some(png) = &a.png {
        files::write(png, &qr_encode(&text)?.to_png(6)?)?;
    }
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct PartyArgs {
    /// The party's registered id (its certificate's common name), e.g. vn.clinic.anbinh.
    #[arg(long)]
    id: String,
    /// The organisation's name as citizens will read it.
    #[arg(long)]
    organization: String,
    /// Directory to write party.pem and party-key.pem into; the registry CA (registry.pem,
    /// registry-key.pem) is made there too unless --registry names an existing one.
    #[arg(long)]
    out: PathBuf,
    /// Directory of an existing registry (registry.pem, registry-key.pem).
    #[arg(long)]
    registry: Option<PathBuf>,
    /// Days the party certificate is valid.
    #[arg(long, default_value_t = 365)]
    valid_days: i64,
    #[arg(long)]
    now: Option<String>,
    #[arg(long)]
    seed: Option<u64>,
}

/// Registers a relying party: a reader certificate (ISO 18013-5 Annex B.1.7) from the registry
/// of relying parties that wallets trust.
pub fn party(a: PartyArgs) -> Result<ExitCode, CliError> {
    let now = files::now(a.now.as_deref())?;
    let mut rng = files::rng(a.seed)?;
    if !(1..=457).contains(&a.valid_days) {
        return Err(CliError::Usage("--valid-days must be 1–457".into()));
    }
    let registry = match &a.registry {
        Some(dir) => {
            let cert = Certificate::from_pem(&files::read_text(&dir.join("registry.pem"))?)?
                .into_iter()
                .next()
                .ok_or_else(|| CliError::Usage("registry.pem holds no certificate".into()))?;
            IssuingAuthority::from_parts(
                files::read_private_key(&dir.join("registry-key.pem"))?,
                cert,
            )?
        }
        None => {
            let mut params = fixtures::iaca_params(now - Duration::days(1));
            params.common_name = "Cancuoc relying-party registry (demo)".into();
            let ca = IssuingAuthority::generate(&params, &mut rng)?;
            files::write(
                &a.out.join("registry.pem"),
                ca.certificate().to_pem()?.as_bytes(),
            )?;
            files::write_private_key(&a.out.join("registry-key.pem"), ca.key())?;
            ca
        }
    };
    let key = PrivateKey::generate(&mut rng);
    let params = cancuoc_core::x509::CertificateParams {
        country: "VN".into(),
        organization: Some(a.organization.clone()),
        common_name: a.id.clone(),
        issuer_contact: "https://cancuoc.example.vn/parties".into(),
        crl_url: None,
        not_before: now - Duration::minutes(5),
        not_after: now + Duration::days(a.valid_days),
    };
    let cert = cancuoc_core::x509::make_reader_certificate(
        registry.key(),
        registry.certificate(),
        &key.public_key(),
        &params,
        &mut rng,
    )?;
    files::write(&a.out.join("party.pem"), cert.to_pem()?.as_bytes())?;
    files::write_private_key(&a.out.join("party-key.pem"), &key)?;
    files::write(
        &a.out.join("party.pub.pem"),
        key.public_key().to_spki_pem()?.as_bytes(),
    )?;
    println!("{}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
