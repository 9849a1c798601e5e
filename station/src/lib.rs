//! cancuoc-station: the reception desk. One process serves a page for the counter's barcode
//! scanner and webcam and a local HTTP API for the clinic's software, verifies with the core's
//! [`Verifier`](cancuoc_core::verifier::Verifier) with no network, and logs every verification.
//!
//! - [`start`] / [`run`]: the server (axum on tokio), its periodic trust-list re-read and
//!   retention purge; `api` (private) holds the routes and the guard.
//! - [`chip_card`]: the chip ID card's printed, unsigned QR.
//! - [`scan`]: the keyboard-wedge scanner's quirks undone.
//! - [`challenge`]: the station's relying-party identity and its signed request QRs
//!   (challenge mode).
//! - [`verdict`]: what a receptionist and the HIS read about one scan.
//! - [`log`]: the hash-chained verification log in SQLite.
//! - [`trust_dir`]: the trust list on disk and its cache.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod api;
mod assets;
pub mod body;
pub mod challenge;
pub mod chip_card;
pub mod log;
pub mod scan;
pub mod service_lists;
pub mod trust_dir;
pub mod verdict;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use cancuoc_core::service::{ServiceClient, ServiceConfig};
use cancuoc_core::time_fmt::Clock;
use cancuoc_core::verifier::Verifier;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::Duration;
use tokio::sync::oneshot;

pub use api::{MAX_BODY, MAX_JSON};
pub use assets::OPENAPI;

/// How often the trust directory is looked at for changes.
const TRUST_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);
/// How often the retention purge runs.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// The shortest operator token accepted.
pub const MIN_TOKEN: usize = 16;

/// How a station runs.
pub struct Config {
    /// Directory of trusted certificates (`*.pem`): IACA roots and the Document Signers whose
    /// key ids QR codes name.
    pub trust_dir: PathBuf,
    /// Where the log (`log.db`), the trust-list cache and a generated operator token live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Required on every API call when set; generated when listening beyond loopback without one.
    pub token: Option<String>,
    /// The station's relying-party identity: the audience of its requests, the log's requester.
    /// With a [`Config::party`] it must be the party's id.
    pub verifier_id: String,
    /// The relying-party key and reader certificate that sign the station's requests and open
    /// the answers encrypted to it (`cancuoc party`). Without one there is no challenge mode:
    /// wallets answer only signed requests.
    pub party: Option<challenge::Party>,
    /// This facility's 5-digit health-insurance facility code: a card registered elsewhere is
    /// flagged.
    pub facility: Option<String>,
    /// Days a log entry is kept.
    pub retention_days: u32,
    /// Keep the disclosed values in the log, not only their names.
    pub log_values: bool,
    /// Age past which the trust list is flagged as stale.
    pub max_list_age: Duration,
    /// How old a static QR may be (60 s by default).
    pub max_qr_age: Duration,
    pub clock: Arc<dyn Clock>,
    /// Seed for request nonces and ids (tests); `None` draws from the OS.
    pub seed: Option<u64>,
    /// The identity service to refresh the trust and status lists from (`--service URL`).
    pub service: Option<String>,
    /// How often the lists are fetched from the service.
    pub service_refresh: std::time::Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("trust_dir", &self.trust_dir)
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("verifier_id", &self.verifier_id)
            .field("party", &self.party)
            .field("facility", &self.facility)
            .field("retention_days", &self.retention_days)
            .field("log_values", &self.log_values)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults for everything but where the trust list and the data live.
    pub fn new(trust_dir: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            trust_dir,
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8480)),
            token: None,
            verifier_id: "cancuoc-station.local".into(),
            party: None,
            facility: None,
            retention_days: 180,
            log_values: false,
            max_list_age: Duration::days(30),
            max_qr_age: Duration::seconds(60),
            clock: Arc::new(cancuoc_core::time_fmt::SystemClock),
            seed: None,
            service: None,
            service_refresh: std::time::Duration::from_secs(300),
        }
    }
}

/// Why a station cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("trust list: {0}")]
    Trust(#[from] trust_dir::TrustDirError),
    #[error("verification log: {0}")]
    Log(#[from] log::LogError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error("no OS randomness: {0}")]
    Random(String),
}

/// A station that is serving.
#[derive(Debug)]
pub struct Running {
    /// Where it listens (the port chosen when `listen` named port 0).
    pub addr: SocketAddr,
    /// The operator token API calls need, if any.
    pub token: Option<String>,
    /// Where a generated token was written.
    pub token_file: Option<PathBuf>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    background: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        self.background.abort();
        let _ = (&mut self.task).await;
    }

    /// Serves until the process is interrupted (Ctrl-C) or told to stop (SIGTERM).
    pub async fn until_interrupted(self) {
        stop_signal().await;
        self.stop().await;
    }
}

/// The stop request: Ctrl-C or, on Unix, SIGTERM (what `systemctl stop` and `docker stop`
/// send), so a stop ends with the requests in flight answered and the store closed. The
/// handlers are installed when this is called (inside the runtime), not when it is first
/// awaited: call it before saying the server is ready, or a stop sent in between kills it.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StationError + '_ {
    move |source| StationError::Io {
        path: path.to_owned(),
        source,
    }
}

fn seeded(seed: Option<u64>) -> Result<ChaCha20Rng, StationError> {
    if let Some(s) = seed {
        return Ok(ChaCha20Rng::seed_from_u64(s));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StationError::Random(e.to_string()))?;
    Ok(ChaCha20Rng::from_seed(bytes))
}

/// Writes a generated token readable by its owner only.
fn write_token(path: &Path, token: &str) -> Result<(), StationError> {
    std::fs::write(path, format!("{token}\n")).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    Ok(())
}

/// Opens the log and the trust list, binds, and serves in the background of the current tokio
/// runtime.
pub async fn start(config: Config) -> Result<Running, StationError> {
    let data = &config.data_dir;
    std::fs::create_dir_all(data).map_err(io(data))?;
    if config.verifier_id.is_empty() || config.verifier_id.len() > 200 {
        return Err(StationError::Config(
            "the station's identity (--verifier-id) must be 1–200 bytes".into(),
        ));
    }
    // A party certificate that is not valid now does not stop the station: scanning works
    // without it; the page and `/api/health` say why challenge mode is off.
    if let Some(p) = &config.party
        && p.id() != config.verifier_id
    {
        return Err(StationError::Config(format!(
            "the station's identity (--verifier-id {:?}) is not its party certificate's id {:?}",
            config.verifier_id,
            p.id()
        )));
    }
    if let Some(f) = &config.facility
        && !(f.len() == 5 && f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(StationError::Config(format!(
            "--facility {f:?} is not a 5-digit health-insurance facility code"
        )));
    }
    let mut rng = seeded(config.seed)?;
    let loopback = config.listen.ip().is_loopback();
    let (token, token_file) = match config.token.clone() {
        Some(t) if t.trim().len() < MIN_TOKEN || t.trim() != t => {
            return Err(StationError::Config(format!(
                "the operator token must be at least {MIN_TOKEN} characters, without surrounding spaces"
            )));
        }
        Some(t) => (Some(t), None),
        None if loopback => (None, None),
        None => {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            let t = hex::encode(b);
            let path = data.join("operator-token");
            write_token(&path, &t)?;
            (Some(t), Some(path))
        }
    };

    let cache_dir = data.join("trust-cache");
    let (loaded, fallback) = trust_dir::read_or_cached(&config.trust_dir, &cache_dir)?;
    let service = match &config.service {
        Some(url) => Some(Arc::new(
            ServiceClient::new(ServiceConfig::new(url), &mut rng)
                .map_err(|e| StationError::Config(format!("--service: {e}")))?,
        )),
        None => None,
    };
    let mut online = service_lists::load_cached(data, &loaded.list, config.clock.now());
    if let Some(client) = &service {
        let (c, d, roots, held, now) = (
            client.clone(),
            data.clone(),
            loaded.list.clone(),
            online.clone(),
            config.clock.now(),
        );
        online =
            tokio::task::spawn_blocking(move || service_lists::refresh(&c, &d, &roots, &held, now))
                .await
                .unwrap_or(online);
    }
    let log = log::Log::start(&data.join("log.db"))?;
    let now = config.clock.now();
    log.purge(now - Duration::days(i64::from(config.retention_days)), now)
        .await?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StationError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StationError::Bind {
        addr: config.listen,
        source,
    })?;

    let station = Arc::new(api::Station {
        verifier_id: config.verifier_id.clone(),
        party: config.party.clone(),
        facility: config.facility.clone(),
        log_values: config.log_values,
        max_qr_age: config.max_qr_age,
        max_list_age: config.max_list_age,
        token: token.clone(),
        loopback,
        port: addr.port(),
        verifier: RwLock::new(Arc::new(Verifier::new(online.trust_list(&loaded.list)))),
        status_lists: RwLock::new(Arc::new(online.status_lists())),
        online: Mutex::new(online),
        service: service.clone(),
        data_dir: data.clone(),
        trust: Mutex::new(api::TrustState {
            loaded,
            problem: fallback.map(|e| e.to_string()),
        }),
        pending: Mutex::new(challenge::PendingRequests::default()),
        log: log.clone(),
        clock: config.clock.clone(),
        rng: Mutex::new(rng),
    });

    let (tx, rx) = oneshot::channel::<()>();
    let app = api::router(station.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    let background = tokio::spawn(housekeeping(
        station,
        config.trust_dir,
        cache_dir,
        config.retention_days,
        config.service_refresh,
    ));
    Ok(Running {
        addr,
        token,
        token_file,
        shutdown: Some(tx),
        task,
        background,
    })
}

/// Installs the verifier and status lists for the current roots and service lists.
fn install(station: &api::Station) {
    let roots = station
        .trust
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .loaded
        .list
        .clone();
    let online = station
        .online
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    *station
        .verifier
        .write()
        .unwrap_or_else(PoisonError::into_inner) =
        Arc::new(Verifier::new(online.trust_list(&roots)));
    *station
        .status_lists
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Arc::new(online.status_lists());
}

/// Fetches the service's lists once (on the blocking pool) and installs what is new.
async fn refresh_lists(station: &Arc<api::Station>) {
    let Some(client) = station.service.clone() else {
        return;
    };
    let roots = station
        .trust
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .loaded
        .list
        .clone();
    let held = station
        .online
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let (data, now) = (station.data_dir.clone(), station.clock.now());
    let Ok(next) = tokio::task::spawn_blocking(move || {
        service_lists::refresh(&client, &data, &roots, &held, now)
    })
    .await
    else {
        return;
    };
    *station
        .online
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = next;
    install(station);
}

/// Re-reads the trust list when its directory changes; refreshes the identity service's lists;
/// purges the log past its retention.
async fn housekeeping(
    station: Arc<api::Station>,
    source: PathBuf,
    cache_dir: PathBuf,
    retention_days: u32,
    service_refresh: std::time::Duration,
) {
    let mut seen = trust_dir::newest(&source);
    let mut trust_tick = tokio::time::interval(TRUST_RECHECK);
    let mut purge_tick = tokio::time::interval(PURGE_EVERY);
    let mut service_tick =
        tokio::time::interval(service_refresh.max(std::time::Duration::from_millis(100)));
    trust_tick.tick().await;
    purge_tick.tick().await;
    service_tick.tick().await;
    loop {
        tokio::select! {
            _ = service_tick.tick() => refresh_lists(&station).await,
            _ = trust_tick.tick() => {
                let now_seen = trust_dir::newest(&source);
                if now_seen == seen {
                    continue;
                }
                seen = now_seen;
                let result = trust_dir::read_or_cached(&source, &cache_dir);
                {
                    let mut state = station.trust.lock().unwrap_or_else(PoisonError::into_inner);
                    match result {
                        Ok((loaded, fallback)) => {
                            state.loaded = loaded;
                            state.problem = fallback.map(|e| e.to_string());
                        }
                        Err(e) => state.problem = Some(e.to_string()),
                    }
                }
                install(&station);
            }
            _ = purge_tick.tick() => {
                let now = station.clock.now();
                let _ = station
                    .log
                    .purge(now - Duration::days(i64::from(retention_days)), now)
                    .await;
            }
        }
    }
}

/// Runs a station on its own runtime until Ctrl-C or SIGTERM; `ready` is told where it listens.
pub fn run(config: Config, ready: impl FnOnce(&Running)) -> Result<(), StationError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| StationError::Io {
            path: PathBuf::from("(tokio runtime)"),
            source,
        })?;
    runtime.block_on(async move {
        let stop = stop_signal();
        let running = start(config).await?;
        ready(&running);
        stop.await;
        running.stop().await;
        Ok(())
    })
}

/// Checks the verification log's chain in a data directory without starting a station.
pub fn check_log(data_dir: &Path) -> Result<log::Status, StationError> {
    let path = data_dir.join("log.db");
    if !path.is_file() {
        return Err(StationError::Io {
            path,
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    Ok(log::LogDb::open(&path)?.verify()?)
}
