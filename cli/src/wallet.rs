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
use cancuoc_core::document::Sex;
use cancuoc_core::i18n::Lang;
use cancuoc_core::keystore::SoftwareKeyStore;
use cancuoc_core::lists::ListAge;
use cancuoc_core::service::{Registration, ServiceClient, ServiceConfig};
use cancuoc_core::time_fmt::{self, Clock, FixedClock, SystemClock};
use cancuoc_core::wallet::{
    Activation, Answer, AssuranceLevel, DocumentCard, DocumentStatus, OnlineActivation, SyncReport,
    Wallet, WalletConfig, WalletError,
};
use clap::{Args, Subcommand};
use time::OffsetDateTime;
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
    /// The identity service (e.g. http://127.0.0.1:8700), for the online commands.
    #[arg(long, env = "CANCUOC_SERVICE")]
    service: Option<String>,
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
    /// Lock the account (lost phone): nothing can be presented. With `--service`, the
    /// identity service locks it too (password from CANCUOC_PASSWORD or standard input).
    LockAccount,
    /// Register a level-1 account with the identity service (password from CANCUOC_PASSWORD
    /// or standard input). Every field must match the population register.
    Register {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        birth_date: String,
        /// male or female.
        #[arg(long)]
        sex: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: String,
    },
    /// Activate this wallet through the identity service. If the account is active on
    /// another phone, that phone is sent a code: finish with `confirm-device`.
    ActivateOnline {
        #[arg(long)]
        id: String,
    },
    /// Finish moving the account to this phone with the code the old phone shows.
    ConfirmDevice {
        #[arg(long)]
        code: String,
    },
    /// Bring the wallet up to date: account, messages, documents, trust and status lists.
    Sync,
    /// Who fetched what of this citizen's data through the identity service.
    Shares,
}

fn service_url(url: &Option<String>) -> Result<&str, CliError> {
    url.as_deref().ok_or_else(|| {
        CliError::Usage("this command talks to the identity service: give --service URL".into())
    })
}

fn client(url: &str) -> Result<ServiceClient, CliError> {
    ServiceClient::new(ServiceConfig::new(url), &mut files::rng(None)?)
        .map_err(|e| CliError::Usage(e.to_string()))
}

/// A secret from the environment (scripts) or one line of standard input.
fn secret_line(var: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    if let Ok(v) = std::env::var(var) {
        return Ok(Zeroizing::new(v));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("reading the {what}: {e}")))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

fn age_text(age: &ListAge, lang: Lang) -> String {
    let hours = age.age.whole_hours();
    let mut text = if hours >= 1 {
        format!("{hours} {}", lang.pick("giờ trước", "h ago"))
    } else {
        format!(
            "{} {}",
            age.age.whole_minutes(),
            lang.pick("phút trước", "min ago")
        )
    };
    if age.stale {
        text.push_str(lang.pick(" — đã cũ, cần cập nhật", " — stale, refresh it"));
    }
    text
}

fn print_sync(r: &SyncReport, json: bool, lang: Lang) {
    if json {
        let v = serde_json::json!({
            "status": r.status,
            "level": r.level.number(),
            "messages": r.messages,
            "documents_added": r.documents_added.iter().map(card_json).collect::<Vec<_>>(),
            "documents_refused": r.documents_refused.iter().map(|d| serde_json::json!({"kind": d.kind, "code": d.code})).collect::<Vec<_>>(),
            "documents_revoked": r.documents_revoked,
            "grant_withdrawals_sent": r.grant_withdrawals_sent,
            "trust_list_age_seconds": r.trust_list.map(|a| a.age.whole_seconds()),
            "status_lists": r.status_lists.iter().map(|(u, a)| serde_json::json!({"uri": u, "age_seconds": a.age.whole_seconds(), "stale": a.stale})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    println!(
        "{}: {:?}, {} {}",
        lang.pick("Tài khoản", "Account"),
        r.status,
        lang.pick("mức", "level"),
        r.level.number()
    );
    for m in &r.messages {
        println!("✉ {}", lang.pick_owned_str(&m.text_vi, &m.text_en));
    }
    for c in &r.documents_added {
        println!(
            "+ {} — {}",
            lang.pick(c.kind.title_vi(), c.kind.title_en()),
            c.number
        );
    }
    for d in &r.documents_refused {
        println!(
            "! {} [{}]",
            lang.pick(d.kind.title_vi(), d.kind.title_en()),
            d.code
        );
    }
    for id in &r.documents_revoked {
        println!("✗ {id} {}", lang.pick("đã bị thu hồi", "was revoked"));
    }
    if let Some(a) = &r.trust_list {
        println!(
            "{}: {}",
            lang.pick("Danh sách tin cậy", "Trust list"),
            age_text(a, lang)
        );
    }
    for (uri, a) in &r.status_lists {
        println!(
            "{} {uri}: {}",
            lang.pick("Danh sách thu hồi", "Status list"),
            age_text(a, lang)
        );
    }
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
            if let Some(url) = &a.service {
                let account = w
                    .account()
                    .map_err(err)?
                    .ok_or_else(|| err(WalletError::NotActivated))?;
                let password = secret_line("CANCUOC_PASSWORD", "password")?;
                client(url)?
                    .lock_account(&account.personal_id, &password, account.birth_date)
                    .map_err(|e| err(e.into()))?;
            }
            w.lock_account().map_err(err)?;
            println!("{}", lang.pick("Đã khóa tài khoản.", "Account locked."));
        }
        WalletCommand::Register {
            id,
            name,
            birth_date,
            sex,
            phone,
            email,
        } => {
            let sex = match sex.as_str() {
                "male" | "nam" | "Nam" => Sex::Male,
                "female" | "nu" | "nữ" | "Nữ" => Sex::Female,
                _ => return Err(CliError::Usage("--sex is male or female".into())),
            };
            let registration = Registration {
                personal_id: id,
                full_name: name,
                birth_date: date_arg(&birth_date, "--birth-date")?,
                sex,
                phone,
                email,
                password: secret_line("CANCUOC_PASSWORD", "password")?,
            };
            client(service_url(&a.service)?)?
                .register(&registration)
                .map_err(|e| err(e.into()))?;
            println!(
                "{}",
                lang.pick(
                    "Đã đăng ký tài khoản định danh mức 1.",
                    "Level-1 account registered."
                )
            );
        }
        WalletCommand::ActivateOnline { id } => {
            let c = client(service_url(&a.service)?)?;
            let password = secret_line("CANCUOC_PASSWORD", "password")?;
            let passcode = passcode()?;
            let w = open(dir, now)?;
            match w
                .activate_online(&c, &id, &password, &passcode)
                .map_err(err)?
            {
                OnlineActivation::Activated(info) => println!(
                    "{} {} ({} {})",
                    lang.pick("Đã kích hoạt tài khoản", "Account activated:"),
                    cancuoc_core::mask::pin(&info.personal_id),
                    lang.pick("mức", "level"),
                    info.level.number()
                ),
                OnlineActivation::CodeSentToOldDevice => println!(
                    "{}",
                    lang.pick(
                        "Tài khoản đang dùng trên thiết bị khác. Mã xác nhận đã được gửi tới thiết bị đó; nhập mã bằng `confirm-device --code …`.",
                        "The account is active on another device. A confirmation code was sent there; enter it with `confirm-device --code …`."
                    )
                ),
            }
        }
        WalletCommand::ConfirmDevice { code } => {
            let c = client(service_url(&a.service)?)?;
            let passcode = passcode()?;
            let w = open(dir, now)?;
            let info = w.confirm_device_change(&c, &code, &passcode).map_err(err)?;
            println!(
                "{} {}",
                lang.pick(
                    "Đã chuyển tài khoản sang thiết bị này:",
                    "The account moved to this device:"
                ),
                cancuoc_core::mask::pin(&info.personal_id)
            );
        }
        WalletCommand::Sync => {
            let c = client(service_url(&a.service)?)?;
            let w = open(dir, now)?;
            let r = w.sync(&c).map_err(err)?;
            print_sync(&r, a.json, lang);
        }
        WalletCommand::Shares => {
            let c = client(service_url(&a.service)?)?;
            let w = open(dir, now)?;
            let shares = w.online_shares(&c).map_err(err)?;
            if a.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&shares).unwrap_or_default()
                );
            } else {
                for s in &shares {
                    println!(
                        "{}  {}  {}  {}: {}",
                        OffsetDateTime::from_unix_timestamp(s.at)
                            .map(time_fmt::tdate)
                            .unwrap_or_default(),
                        s.requester,
                        s.outcome,
                        lang.pick("đã chia sẻ", "shared"),
                        s.shared.join(", ")
                    );
                }
            }
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
