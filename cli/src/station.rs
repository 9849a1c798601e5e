//! `cancuoc station`: the reception desk — a local server with the page for the counter's
//! scanner and webcam and the API for the clinic's software (crate `cancuoc-station`).
//! `--check-log` verifies the verification log's chain instead of serving. `--party DIR` gives
//! it the relying-party identity `cancuoc party` made, which challenge mode needs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use cancuoc_core::i18n::Lang;
use cancuoc_core::x509::Certificate;
use cancuoc_station::challenge::Party;
use clap::Args;

use crate::{CliError, files};

#[derive(Debug, Args)]
pub struct StationArgs {
    /// Directory of trusted certificates (*.pem): IACA roots and the Document Signers whose key
    /// ids QR codes name. Re-read when it changes; a copy is kept under --data.
    #[arg(long)]
    trust: PathBuf,
    /// Address to listen on. Anything but loopback requires the operator token on every API
    /// call (generated into DATA/operator-token when --token is not given).
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    /// Directory for the verification log (log.db), the trust-list cache and a generated token.
    #[arg(long, default_value = "station-data")]
    data: PathBuf,
    /// The operator token (at least 16 characters); also read from CANCUOC_STATION_TOKEN.
    #[arg(long)]
    token: Option<String>,
    /// The station's relying-party identity (party.pem and party-key.pem, from `cancuoc party
    /// --out DIR`): it signs the request QRs of challenge mode (CR2:) and opens the answers
    /// encrypted to it (CE1:). Without it challenge mode is off; scanning works.
    #[arg(long)]
    party: Option<PathBuf>,
    /// The identity service (http://…): its signed trust list and status list are fetched at
    /// start and every 5 minutes, checked against --trust, and cached for offline use.
    #[arg(long)]
    service: Option<String>,
    /// The station's identity: the audience of its requests, "who asked" in the log. Default:
    /// the party id of --party, else cancuoc-station.local.
    #[arg(long)]
    verifier_id: Option<String>,
    /// This facility's 5-digit health-insurance code: cards registered elsewhere are flagged.
    #[arg(long)]
    facility: Option<String>,
    /// Days a log entry is kept before the retention purge removes it.
    #[arg(long, default_value_t = 180)]
    retention_days: u32,
    /// Keep the disclosed values in the log, not only the element names.
    #[arg(long)]
    log_values: bool,
    /// Days after which the trust list is shown as stale.
    #[arg(long, default_value_t = 30)]
    max_list_age_days: u32,
    /// How old a static QR may be, in seconds.
    #[arg(long, default_value_t = 60)]
    max_age: i64,
    /// Verify the log's chain in --data and exit (0 intact, 1 broken).
    #[arg(long)]
    check_log: bool,
    /// Run with the clock stopped at this time (RFC 3339) — for tests and demonstrations.
    #[arg(long, hide = true)]
    now: Option<String>,
    /// Seed request nonces (tests).
    #[arg(long, hide = true)]
    seed: Option<u64>,
}

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

/// The directory `cancuoc party --out DIR` wrote: `party.pem` and `party-key.pem`.
fn read_party(dir: &Path) -> Result<Party, CliError> {
    let cert_path = dir.join("party.pem");
    let certificate = Certificate::from_pem(&files::read_text(&cert_path)?)
        .map_err(|e| CliError::Input {
            path: cert_path.clone(),
            problem: e.to_string(),
        })?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Input {
            path: cert_path.clone(),
            problem: "no certificate".into(),
        })?;
    let key = files::read_private_key(&dir.join("party-key.pem"))?;
    Party::new(key, certificate).map_err(|e| CliError::Input {
        path: cert_path,
        problem: e.to_string(),
    })
}

pub fn run(a: StationArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let say = |vi: &str, en: &str| match lang {
        Lang::Vi => vi.to_owned(),
        Lang::En => en.to_owned(),
    };
    if a.check_log {
        return match cancuoc_station::check_log(&a.data) {
            Ok(s) => {
                println!(
                    "{}: {} {} · head {} {}",
                    say("Nhật ký toàn vẹn", "Log intact"),
                    s.entries,
                    say("mục", "entries"),
                    s.head_seq,
                    s.head_chain
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(cancuoc_station::StationError::Log(e)) => {
                println!(
                    "{}: {e}",
                    say("Nhật ký đã bị sửa đổi", "The log was tampered with")
                );
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(usage(e)),
        };
    }
    let mut config = cancuoc_station::Config::new(a.trust, a.data);
    config.listen = a.listen;
    config.token = a
        .token
        .or_else(|| std::env::var("CANCUOC_STATION_TOKEN").ok());
    let party = a.party.as_deref().map(read_party).transpose()?;
    config.verifier_id = match (a.verifier_id, &party) {
        (Some(id), _) => id,
        (None, Some(p)) => p.id().to_owned(),
        (None, None) => config.verifier_id,
    };
    config.facility = a.facility;
    config.retention_days = a.retention_days;
    config.log_values = a.log_values;
    config.max_list_age = time::Duration::days(i64::from(a.max_list_age_days));
    if !(1..=3600).contains(&a.max_age) {
        return Err(usage("--max-age must be 1–3600 seconds"));
    }
    config.max_qr_age = time::Duration::seconds(a.max_age);
    config.seed = a.seed;
    config.service = a.service;
    if a.now.is_some() {
        config.clock = Arc::new(cancuoc_core::time_fmt::FixedClock(files::now(
            a.now.as_deref(),
        )?));
    }
    let challenge = match &party {
        None => say(
            "Chế độ yêu cầu từ điện thoại: tắt (cần --party, danh tính bên khai thác do `cancuoc party` tạo)",
            "Request from the phone: off (needs --party, the relying-party identity `cancuoc party` makes)",
        ),
        Some(p) => match p.certificate().check_validity(config.clock.now()) {
            Ok(()) => format!(
                "{} {}",
                say(
                    "Chế độ yêu cầu từ điện thoại: bật, yêu cầu ký bởi",
                    "Request from the phone: on, requests signed by"
                ),
                p.id()
            ),
            Err(e) => format!(
                "{} ({e})",
                say(
                    "Chế độ yêu cầu từ điện thoại: tắt — chứng thư bên khai thác không còn hiệu lực",
                    "Request from the phone: off — the relying-party certificate is not valid now"
                )
            ),
        },
    };
    config.party = party;
    cancuoc_station::run(config, |running| {
        println!(
            "{} {}",
            say("Trạm kiểm tra đang chạy:", "Station running:"),
            running.url()
        );
        println!("{challenge}");
        if let Some(path) = &running.token_file {
            println!(
                "{} {}",
                say(
                    "Mã vận hành (mọi lệnh gọi API cần mã này) đã ghi vào",
                    "Operator token (every API call needs it) written to"
                ),
                path.display()
            );
        } else if running.token.is_some() {
            println!(
                "{}",
                say(
                    "Mọi lệnh gọi API cần mã vận hành.",
                    "Every API call needs the operator token."
                )
            );
        }
        println!("{}", say("Dừng: Ctrl-C", "Stop: Ctrl-C"));
    })
    .map_err(usage)?;
    Ok(ExitCode::SUCCESS)
}
