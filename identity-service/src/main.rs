//! The `cancuoc-identity` command: loads the seed file into the store (SQLite in `--data DIR`
//! by default, or PostgreSQL with `--database URL`), opens or creates the signing keys, and
//! serves the HTTP API until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use cancuoc_core::time_fmt::SystemClock;
use cancuoc_identity::seed::{self, Seed};
use cancuoc_identity::store::Store;
use cancuoc_identity::store::postgres::{DEFAULT_POOL, PostgresStore};
use cancuoc_identity::store::sqlite::SqliteStore;
use cancuoc_identity::{Config, Service, StartError, os_rng};
use clap::Parser;

/// The cancuoc identity service: accounts, one device at a time, document integration,
/// signed trust and status lists, online sharing under consent.
#[derive(Debug, Parser)]
#[command(name = "cancuoc-identity", version)]
struct Args {
    /// The seed file: population register, sector records, officers.
    #[arg(long)]
    seed: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// SQLite data directory (holds identity.sqlite and its keys).
    #[arg(long, default_value = "identity-data", conflicts_with = "database")]
    data: PathBuf,
    /// A PostgreSQL URL instead of SQLite (postgres://user:password@host/db).
    #[arg(long)]
    database: Option<String>,
    /// With --database: work inside this schema (created if missing) instead of the
    /// connection's default (lower-case letters, digits, `_`).
    #[arg(long, requires = "database")]
    schema: Option<String>,
    /// The URL clients reach this service at (status list URIs); default http://LISTEN.
    #[arg(long)]
    public_url: Option<String>,
    /// PBKDF2 iterations for new password hashes.
    #[arg(long, default_value_t = cancuoc_core::account::PBKDF2_ITERATIONS)]
    pbkdf2_iterations: u32,
    /// Write the IACA certificate (PEM) here at start: the root wallets and counters are
    /// provisioned with, against which they check the signed trust and status lists.
    #[arg(long)]
    iaca_out: Option<PathBuf>,
}

async fn run(args: Args) -> Result<(), StartError> {
    let seed = Seed::read(&args.seed)?;
    let store: Arc<dyn Store> = match &args.database {
        Some(url) => {
            let (url, schema) = (url.clone(), args.schema.clone());
            Arc::new(
                tokio::task::spawn_blocking(move || {
                    PostgresStore::connect(&url, schema.as_deref(), DEFAULT_POOL)
                })
                .await
                .map_err(|e| StartError::Listen(e.to_string()))??,
            )
        }
        None => Arc::new(SqliteStore::open_dir(&args.data)?),
    };
    let mut config = Config::new(
        args.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen)),
    );
    config.pbkdf2_iterations = args.pbkdf2_iterations.max(1);
    // The stores are synchronous (the PostgreSQL client drives its own runtime): set-up runs
    // on the blocking pool, as every request does.
    let (s, count) = (store.clone(), seed.citizens.len());
    let service = tokio::task::spawn_blocking(move || {
        seed::load(s.as_ref(), &seed)?;
        Service::new(config, s, Arc::new(SystemClock), os_rng()?)
    })
    .await
    .map_err(|e| StartError::Listen(e.to_string()))??;
    if let Some(path) = &args.iaca_out {
        let pem = service
            .inner()
            .authority
            .trust_certificates()
            .into_iter()
            .filter(|c| c.check_iaca_profile().is_ok())
            .map(|c| c.to_pem())
            .collect::<Result<String, _>>()
            .map_err(|e| StartError::Listen(format!("IACA certificate: {e}")))?;
        std::fs::write(path, pem)
            .map_err(|e| StartError::Listen(format!("{}: {e}", path.display())))?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| StartError::Listen(format!("{}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| StartError::Listen(e.to_string()))?;
    let stop = stop_signal();
    eprintln!(
        "cancuoc-identity: {count} citizens, {} store, listening on http://{local}",
        store.kind()
    );
    service
        .serve(listener, stop)
        .await
        .map_err(|e| StartError::Listen(e.to_string()))
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

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cancuoc-identity: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cancuoc-identity: {e}");
            ExitCode::FAILURE
        }
    }
}
