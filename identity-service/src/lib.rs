//! cancuoc-identity: the identity service the wallet syncs with — accounts at assurance levels
//! 1 and 2, one device at a time, documents issued from the sector records with the core's
//! [`Issuer`](cancuoc_core::issuance::Issuer), the signed trust and status lists verifiers
//! keep offline, and online data sharing under a citizen's consent grant.
//!
//! - [`Service`]: the state the handlers share; [`Service::router`] and [`serve`].
//! - [`store`]: the one storage trait and its SQLite and PostgreSQL backends.
//! - [`seed`]: the population register, sector records and officers from the seed file.
//! - [`authority`]: the IACA, the Document Signer and the code secret, kept in the store.
//! - [`accounts`], [`devices`], [`documents`], [`lists`], [`parties`]: the business rules,
//!   each a set of functions running in one store transaction.
//! - `api` (private): the HTTP surface, its errors and the OpenAPI document.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod accounts;
mod api;
pub mod authority;
pub mod devices;
pub mod documents;
pub mod lists;
pub mod parties;
pub mod secrets;
pub mod seed;
pub mod store;

use std::sync::{Arc, Mutex, PoisonError};

use cancuoc_core::time_fmt::Clock;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::OffsetDateTime;

pub use api::{MAX_BODY, OPENAPI};
use authority::{Authority, AuthorityError};
use store::Store;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address clients reach the service at: status list URIs are `{public_url}/v1/status-lists/{n}`.
    pub public_url: String,
    /// PBKDF2 iterations for new password hashes (310,000 in production; tests use fewer).
    pub pbkdf2_iterations: u32,
    /// Entries per status list (2^17 by default: 16 KiB of bits).
    pub status_list_size: u64,
}

impl Config {
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            pbkdf2_iterations: cancuoc_core::account::PBKDF2_ITERATIONS,
            status_list_size: 1 << 17,
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Seed(#[from] seed::SeedError),
    #[error("cannot listen: {0}")]
    Listen(String),
}

/// Everything the handlers share.
pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    rng: Mutex<ChaCha20Rng>,
    pub authority: Authority,
    pub lists: lists::Lists,
    pub status_bits: documents::StatusBits,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("config", &self.config)
            .field("store", &self.store.kind())
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// A generator of its own for one request, seeded from the service's (held only briefly).
    pub fn rng(&self) -> ChaCha20Rng {
        let mut seed = [0u8; 32];
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .fill_bytes(&mut seed);
        ChaCha20Rng::from_seed(seed)
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// The identity service.
#[derive(Debug, Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl Service {
    /// Opens the service on `store`: loads (or on first start creates) its keys. Load the seed
    /// with [`seed::load`] first.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        mut rng: ChaCha20Rng,
    ) -> Result<Self, StartError> {
        let authority = Authority::load_or_create(store.as_ref(), clock.now(), &mut rng)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                store,
                clock,
                rng: Mutex::new(rng),
                authority,
                lists: lists::Lists::default(),
                status_bits: documents::StatusBits::default(),
            }),
        })
    }

    pub fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The HTTP routes.
    pub fn router(&self) -> axum::Router {
        api::router(self.inner.clone())
    }

    /// Serves on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// A random generator seeded from the operating system.
pub fn os_rng() -> Result<ChaCha20Rng, StartError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| StartError::Listen(format!("no OS randomness: {e}")))?;
    Ok(ChaCha20Rng::from_seed(seed))
}
