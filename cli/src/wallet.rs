//! `cancuoc wallet …`: a citizen's wallet on disk, driven from the command line so the whole
//! story runs as a script — init, activate, add, list, show, present, respond, grants, revoke,
//! log. The wallet directory holds `wallet.db` (the encrypted store), `keys/` (the software key
//! store, mode 0700), `trust/` (issuer certificates) and `parties/` (the relying-party
//! registry). Each command is its own process, so each disclosure asks for the passcode:
//! from `CANCUOC_PASSCODE` when set (scripts), otherwise one line of standard input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use cancuoc_core::account::Passcode;
use cancuoc_core::consent::{Approval, ConsentPrompt};
use cancuoc_core::document::DocumentKind;
use cancuoc_core::i18n::Lang;
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::time_fmt::{self, Clock, FixedClock, SystemClock};
use cancuoc_core::wallet::{
    Activation, Answer, AssuranceLevel, DocumentCard, DocumentStatus, Wallet, WalletConfig,
    WalletError,
};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::{CliError, files};

#[derive(Debug, Args)]
pub struct WalletArgs {
    /// The wallet's directory.
    #[arg(long, default_value = "wallet")]
    dir: PathBuf,
    /// Act as of this time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// Print results as JSON.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create the wallet: its store, key store, and the trust it starts with.
    Init {
        /// Issuer certificates (*.pem: IACA roots and Document Signers).
        #[arg(long)]
        trust: PathBuf,
        /// The registry of relying parties (*.pem CA certificates).
        #[arg(long)]
        parties: PathBuf,
    },
    /// Activate the account on this device: device key, passcode.
    Activate {
        /// Personal identification number (12 digits): the account's user name.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        birth_date: String,
        /// Assurance level: 1 (self-registered) or 2 (verified in person).
        #[arg(long, default_value_t = 2)]
        level: u8,
        /// Also write the device's public key (SPKI PEM) here, for the issuer.
        #[arg(long)]
        device_key_out: Option<PathBuf>,
    },
    /// Print the device's public key (SPKI PEM).
    DeviceKey,
    /// Add a document the issuer returned.
    Add {
        /// The mdoc credential (CBOR).
        #[arg(long)]
        mdoc: PathBuf,
        /// Its QR form (compact credential).
        #[arg(long)]
        qr: Option<PathBuf>,
        /// For a dependent child (their personal identification number).
        #[arg(long)]
        dependent: Option<String>,
    },
    /// Add a child under 14 to the account.
    AddDependent {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        birth_date: String,
    },
    /// The documents, as cards.
    List,
    /// One document in full.
    Show { id: String },
    /// Show a document as a static QR code with the chosen elements.
    Present {
        /// Document id (from `list`), or a kind: citizen_identity, driving_licence,
        /// health_insurance, vehicle_registration.
        document: String,
        #[arg(long, value_delimiter = ',')]
        elements: Vec<String>,
        /// Write the QR text here (and print it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the QR code as a PNG.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Answer a relying party's request QR: show the consent prompt, then answer it.
    Respond {
        /// The request QR text (CR2:…) or a file holding it.
        #[arg(long)]
        request: String,
        /// The citizen's answer: all, none, or element identifiers comma-separated.
        #[arg(long)]
        approve: String,
        /// Answer with a dependent child's document.
        #[arg(long)]
        dependent: Option<String>,
        /// Write the answer (presentation QR text or grant) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The consent grants.
    Grants,
    /// Revoke a consent grant.
    Revoke {
        grant: String,
        /// Write the signed revocation (CV1:…) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The activity log: every disclosure, refusal, grant and revocation.
    Log {
        /// Only this requester's entries.
        #[arg(long)]
        party: Option<String>,
        /// From this time (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Until this time (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// Check the log's chain first (exit 1 if it was tampered with).
        #[arg(long)]
        verify: bool,
    },
    /// Lock the account (lost phone): nothing can be presented.
    LockAccount,
}

fn wallet_err(e: WalletError, lang: Lang) -> CliError {
    CliError::Usage(format!("{} [{}] ({e})", e.message(lang), e.code()))
}

fn copy_pems(from: &Path, to: &Path) -> Result<usize, CliError> {
    std::fs::create_dir_all(to).map_err(|source| CliError::Io {
        path: to.to_owned(),
        source,
    })?;
    let mut n = 0;
    let entries: Vec<PathBuf> = if from.is_file() {
        vec![from.to_owned()]
    } else {
        std::fs::read_dir(from)
            .map_err(|source| CliError::Io {
                path: from.to_owned(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect()
    };
    for p in entries {
        if p.extension().is_some_and(|e| e == "pem")
            && !p.to_string_lossy().contains("-key")
            && let Some(name) = p.file_name()
        {
            files::write(&to.join(name), &files::read(&p)?)?;
            n += 1;
        }
    }
    Ok(n)
}

fn passcode() -> Result<Passcode, CliError> {
    let text = match std::env::var("CANCUOC_PASSCODE") {
        Ok(p) => Zeroizing::new(p),
        Err(_) => {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| CliError::Usage(format!("reading the passcode: {e}")))?;
            Zeroizing::new(line.trim().to_owned())
        }
    };
    Passcode::new(&text).map_err(|e| CliError::Usage(e.to_string()))
}

fn open(dir: &Path, now: Option<&str>) -> Result<Wallet, CliError> {
    let clock: Arc<dyn Clock> = match now {
        Some(n) => Arc::new(FixedClock(files::now(Some(n))?)),
        None => Arc::new(SystemClock),
    };
    let keys = SoftwareKeyStore::open(&dir.join("keys"), Box::new(files::rng(None)?))
        .map_err(|e| CliError::Usage(format!("key store: {e}")))?;
    let config = WalletConfig::new(
        files::trust_list(&dir.join("trust"))?,
        files::trust_list(&dir.join("parties"))?,
    );
    Wallet::open(
        &dir.join("wallet.db"),
        Arc::new(keys),
        clock,
        Box::new(files::rng(None)?),
        config,
    )
    .map_err(|e| CliError::Usage(format!("{}: {e}", dir.display())))
}

fn date_arg(s: &str, what: &str) -> Result<time::Date, CliError> {
    time_fmt::parse_date(s).ok_or_else(|| CliError::Usage(format!("{what} is not YYYY-MM-DD")))
}

fn status_text(s: DocumentStatus, lang: Lang) -> &'static str {
    match s {
        DocumentStatus::Valid => lang.pick("còn hiệu lực", "valid"),
        DocumentStatus::NotYetValid => lang.pick("chưa có hiệu lực", "not yet valid"),
        DocumentStatus::Expired => lang.pick("hết hạn", "expired"),
        DocumentStatus::Revoked => lang.pick("đã thu hồi", "revoked"),
    }
}

fn card_json(c: &DocumentCard) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "kind": c.kind,
        "doc_type": c.kind.doc_type(),
        "title": c.title_vi,
        "holder": c.holder_name,
        "dependent": c.dependent,
        "number": c.number,
        "issuer": c.issuer,
        "valid_from": time_fmt::tdate(c.valid_from),
        "valid_until": time_fmt::tdate(c.valid_until),
        "status": c.status,
        "qr": c.has_qr,
    })
}

fn print_prompt(p: &ConsentPrompt, lang: Lang) {
    println!(
        "{} {} ({})",
        lang.pick("Yêu cầu chia sẻ từ", "Request to share from"),
        p.party_organization.as_deref().unwrap_or(&p.party_id),
        p.party_id
    );
    println!("   {}: {}", lang.pick("Mục đích", "Purpose"), p.purpose);
    println!(
        "   {}: {} — {}",
        lang.pick("Giấy tờ", "Document"),
        lang.pick(p.document.title_vi(), p.document.title_en()),
        p.holder_name
    );
    for e in &p.elements {
        println!(
            "   [{}] {}{}",
            if e.available { "x" } else { " " },
            lang.pick_owned_str(&e.label_vi, &e.label_en),
            if e.retain {
                lang.pick(" (bên yêu cầu lưu lại)", " (they keep it)")
            } else {
                ""
            }
        );
    }
    if p.encrypted {
        println!(
            "   {}",
            lang.pick(
                "Câu trả lời được mã hóa cho bên yêu cầu.",
                "The answer is encrypted to the requester."
            )
        );
    }
    if let Some(until) = p.standing_until {
        println!(
            "   {}: {}",
            lang.pick("Ủy quyền truy cập đến", "Standing consent until"),
            time_fmt::tdate(until)
        );
    }
}

trait PickOwned {
    fn pick_owned_str<'a>(self, vi: &'a str, en: &'a str) -> &'a str;
}

impl PickOwned for Lang {
    fn pick_owned_str<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

fn write_out(out: Option<&Path>, text: &str) -> Result<(), CliError> {
    if let Some(p) = out {
        files::write(p, text.as_bytes())?;
    }
    Ok(())
}

pub fn run(a: WalletArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let dir = &a.dir;
    let now = a.now.as_deref();
    let err = |e: WalletError| wallet_err(e, lang);
    match a.command {
        WalletCommand::Init { trust, parties } => {
            let n = copy_pems(&trust, &dir.join("trust"))?;
            let m = copy_pems(&parties, &dir.join("parties"))?;
            let w = open(dir, now)?;
            drop(w);
            println!(
                "{} {} ({n} + {m} {})",
                lang.pick("Đã tạo ví tại", "Wallet created at"),
                dir.display(),
                lang.pick("chứng thư", "certificates")
            );
        }
        WalletCommand::Activate {
            id,
            name,
            birth_date,
            level,
            device_key_out,
        } => {
            let level = match level {
                1 => AssuranceLevel::Level1,
                2 => AssuranceLevel::Level2,
                _ => return Err(CliError::Usage("--level is 1 or 2".into())),
            };
            let w = open(dir, now)?;
            let account = w
                .activate(
                    Activation {
                        personal_id: id,
                        full_name: name,
                        birth_date: date_arg(&birth_date, "--birth-date")?,
                        level,
                        id_card_expiry: None,
                    },
                    &passcode()?,
                )
                .map_err(err)?;
            let pem = account.device_key.to_spki_pem()?;
            if let Some(p) = &device_key_out {
                files::write(p, pem.as_bytes())?;
            }
            println!(
                "{} {} — {} {}",
                lang.pick("Đã kích hoạt tài khoản", "Account activated:"),
                cancuoc_core::mask::pin(&account.personal_id),
                lang.pick("mức", "level"),
                account.level.number()
            );
        }
        WalletCommand::DeviceKey => {
            let w = open(dir, now)?;
            let account = w
                .account()
                .map_err(err)?
                .ok_or_else(|| err(WalletError::NotActivated))?;
            print!("{}", account.device_key.to_spki_pem()?);
        }
        WalletCommand::Add {
            mdoc,
            qr,
            dependent,
        } => {
            let w = open(dir, now)?;
            let qr_bytes = qr.as_deref().map(files::read).transpose()?;
            let card = w
                .add_document(
                    &files::read(&mdoc)?,
                    qr_bytes.as_deref(),
                    dependent.as_deref(),
                )
                .map_err(err)?;
            if a.json {
                println!("{}", card_json(&card));
            } else {
                println!(
                    "{} {} — {} [{}]",
                    lang.pick("Đã thêm", "Added"),
                    lang.pick(card.title_vi, card.title_en),
                    card.holder_name,
                    card.id
                );
            }
        }
        WalletCommand::AddDependent {
            id,
            name,
            birth_date,
        } => {
            let w = open(dir, now)?;
            let d = w
                .add_dependent(&id, &name, date_arg(&birth_date, "--birth-date")?)
                .map_err(err)?;
            println!(
                "{} {}",
                lang.pick("Đã thêm người phụ thuộc", "Dependent added:"),
                d.full_name
            );
        }
        WalletCommand::List => {
            let w = open(dir, now)?;
            let cards = w.documents().map_err(err)?;
            if a.json {
                println!(
                    "{}",
                    serde_json::Value::Array(cards.iter().map(card_json).collect())
                );
            } else {
                for c in &cards {
                    println!(
                        "{}  {:<34} {:<22} {:<16} {} {}",
                        c.id,
                        lang.pick(c.title_vi, c.title_en),
                        c.holder_name,
                        c.number,
                        status_text(c.status, lang),
                        time_fmt::date(c.valid_until.date())
                    );
                }
            }
        }
        WalletCommand::Show { id } => {
            let w = open(dir, now)?;
            let d = w.document(&id).map_err(err)?;
            if a.json {
                let elements: Vec<serde_json::Value> = d
                    .elements
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "namespace": e.namespace, "identifier": e.identifier,
                            "label": lang.pick(e.label_vi, e.label_en),
                            "value": e.value.to_json(), "selectable": e.selectable,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"card": card_json(&d.card), "elements": elements})
                );
            } else {
                println!(
                    "{} — {}",
                    lang.pick(d.card.title_vi, d.card.title_en),
                    status_text(d.card.status, lang)
                );
                for e in &d.elements {
                    println!(
                        "   {:<36} {}",
                        lang.pick(e.label_vi, e.label_en),
                        e.value.display()
                    );
                }
            }
        }
        WalletCommand::Present {
            document,
            elements,
            out,
            png,
        } => {
            let w = open(dir, now)?;
            let id = resolve_document(&w, &document).map_err(err)?;
            w.unlock(&passcode()?).map_err(err)?;
            let names: Vec<&str> = elements
                .iter()
                .map(String::as_str)
                .filter(|n| !n.is_empty())
                .collect();
            let qr = w.present_qr(&id, &names).map_err(err)?;
            write_out(out.as_deref(), &qr.text)?;
            if let Some(p) = &png {
                files::write(p, &cancuoc_core::qr::code::encode(&qr.text)?.to_png(6)?)?;
            }
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"text": qr.text, "disclosed": qr.disclosed,
                        "expires": time_fmt::tdate(qr.expires)})
                );
            } else {
                println!("{}", qr.text);
            }
        }
        WalletCommand::Respond {
            request,
            approve,
            dependent,
            out,
        } => {
            let w = open(dir, now)?;
            let text = if Path::new(&request).is_file() {
                files::read_text(Path::new(&request))?.trim().to_owned()
            } else {
                request
            };
            let prompt = match w.respond(&text, dependent.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{} [{}]", e.message(lang), e.code());
                    return Ok(ExitCode::from(1));
                }
            };
            if !a.json {
                print_prompt(&prompt, lang);
            }
            let approval = match approve.trim() {
                "all" => Approval::All,
                "none" | "" => Approval::Decline,
                list => Approval::Some(
                    list.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                ),
            };
            if approval != Approval::Decline {
                w.unlock(&passcode()?).map_err(err)?;
            }
            match w.answer(&prompt.id, approval).map_err(err)? {
                Answer::Declined => {
                    println!(
                        "{}",
                        lang.pick("Đã từ chối chia sẻ.", "Declined: nothing shared.")
                    );
                }
                Answer::Presentation(qr) => {
                    write_out(out.as_deref(), &qr.text)?;
                    if a.json {
                        println!(
                            "{}",
                            serde_json::json!({"text": qr.text, "disclosed": qr.disclosed})
                        );
                    } else {
                        println!("{}", qr.text);
                    }
                }
                Answer::Grant(g) => {
                    write_out(out.as_deref(), &g.text)?;
                    if a.json {
                        println!("{}", serde_json::json!({"grant": g.id, "text": g.text}));
                    } else {
                        println!(
                            "{} {} → {}",
                            lang.pick("Đã cấp ủy quyền", "Grant issued"),
                            g.id,
                            g.party
                        );
                        println!("{}", g.text);
                    }
                }
            }
        }
        WalletCommand::Grants => {
            let w = open(dir, now)?;
            let grants = w.grants().map_err(err)?;
            if a.json {
                let items: Vec<serde_json::Value> = grants
                    .iter()
                    .map(|g| {
                        serde_json::json!({
                            "id": g.id, "party": g.party, "document": g.document.doc_type(),
                            "elements": g.elements, "purpose": g.purpose,
                            "issued": time_fmt::tdate(g.issued), "expires": time_fmt::tdate(g.expires),
                            "revoked": g.revoked_at.map(time_fmt::tdate), "active": g.active,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else {
                for g in &grants {
                    println!(
                        "{}  {:<20} {:<10} {} {}",
                        g.id,
                        g.party,
                        if g.active {
                            lang.pick("hiệu lực", "active")
                        } else {
                            lang.pick("hết/thu hồi", "ended")
                        },
                        time_fmt::date(g.expires.date()),
                        g.elements.join(",")
                    );
                }
            }
        }
        WalletCommand::Revoke { grant, out } => {
            let w = open(dir, now)?;
            w.unlock(&passcode()?).map_err(err)?;
            let g = w.revoke_grant(&grant).map_err(err)?;
            let text = g.revocation.unwrap_or_default();
            write_out(out.as_deref(), &text)?;
            println!(
                "{} {}",
                lang.pick("Đã thu hồi ủy quyền", "Grant revoked:"),
                g.id
            );
            println!("{text}");
        }
        WalletCommand::Log {
            party,
            from,
            to,
            verify,
        } => {
            let w = open(dir, now)?;
            if verify {
                match w.verify_log() {
                    Ok(n) => eprintln!("{} ({n})", lang.pick("Nhật ký toàn vẹn", "Log verified")),
                    Err(e) => {
                        eprintln!(
                            "{} [{}] {e}",
                            lang.pick("Nhật ký đã bị sửa đổi!", "The log was tampered with!"),
                            e.code()
                        );
                        return Ok(ExitCode::from(1));
                    }
                }
            }
            let t = |s: Option<&String>| s.map(|s| files::now(Some(s))).transpose();
            let (from, to) = (t(from.as_ref())?, t(to.as_ref())?);
            if a.json {
                println!(
                    "{}",
                    w.export_log_json(party.as_deref(), from, to).map_err(err)?
                );
            } else {
                for (seq, e) in w.audit_log(party.as_deref(), from, to).map_err(err)? {
                    println!(
                        "{seq:>4} {} {:<13} {:<10} {:<20} {} → {}{}",
                        time_fmt::tdate(e.time),
                        serde_json::to_value(e.channel)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        serde_json::to_value(e.outcome)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        e.requester,
                        e.requested.join(","),
                        e.disclosed.join(","),
                        e.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    );
                }
            }
        }
        WalletCommand::LockAccount => {
            let w = open(dir, now)?;
            w.lock_account().map_err(err)?;
            println!("{}", lang.pick("Đã khóa tài khoản.", "Account locked."));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A document id, or a kind name meaning the citizen's own document of that kind.
fn resolve_document(w: &Wallet, arg: &str) -> Result<String, WalletError> {
    let kind = DocumentKind::ALL.into_iter().find(|k| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(|s| s == arg))
            .unwrap_or(false)
    });
    match kind {
        None => Ok(arg.to_owned()),
        Some(k) => w
            .documents()?
            .into_iter()
            .find(|d| d.kind == k && d.dependent.is_none())
            .map(|d| d.id)
            .ok_or_else(|| WalletError::NoSuchDocument(arg.to_owned())),
    }
}
