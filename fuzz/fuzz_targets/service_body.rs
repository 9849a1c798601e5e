//! The identity service's request bodies, through its real router (in-memory SQLite, the
//! shipped seed): the first byte picks an endpoint, the rest is the body. Invariants: nothing
//! panics; no input gets a 5xx; every refusal is the JSON error shape with a code; a body the
//! service takes for a registration or a lock never leaves a half-made account.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cancuoc_core::time_fmt::FixedClock;
use cancuoc_identity::seed::{self, DEMO_OFFICER_TOKEN};
use cancuoc_identity::store::sqlite::SqliteStore;
use cancuoc_identity::{Config, Service};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let store = Arc::new(SqliteStore::in_memory().unwrap_or_else(|e| panic!("store: {e}")));
        seed::load(store.as_ref(), &seed::shipped()).unwrap_or_else(|e| panic!("seed: {e}"));
        let mut config = Config::new("http://127.0.0.1:8700");
        config.pbkdf2_iterations = 2;
        let now = time::macros::datetime!(2026-11-23 08:00:00 UTC);
        let service = Service::new(
            config,
            store,
            Arc::new(FixedClock(now)),
            ChaCha20Rng::seed_from_u64(1),
        )
        .unwrap_or_else(|e| panic!("service: {e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        World {
            rt,
            router: service.router(),
        }
    })
}

const ROUTES: [(&str, bool); 9] = [
    ("/v1/accounts", false),
    ("/v1/sessions", false),
    ("/v1/device-changes/abc123/confirm", false),
    ("/v1/lock", false),
    ("/v1/shares", false),
    ("/v1/officer/accounts/001090012345/level2", true),
    ("/v1/officer/accounts/001090012345/lock", true),
    ("/v1/officer/documents/abc/revoke", true),
    ("/v1/officer/relying-parties", true),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let Some(&(path, officer)) = ROUTES.get(usize::from(pick) % ROUTES.len()) else {
        return;
    };
    let w = world();
    let mut req = Request::post(path).header("content-type", "application/json");
    if officer {
        req = req.header("authorization", format!("Bearer {DEMO_OFFICER_TOKEN}"));
    }
    let Ok(req) = req.body(Body::from(body.to_vec())) else {
        return;
    };
    let (status, bytes) = w.rt.block_on(async {
        let resp = match w.router.clone().oneshot(req).await {
            Ok(r) => r,
            Err(e) => match e {},
        };
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (status, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{path}: {status} for {:?}",
        String::from_utf8_lossy(body)
    );
    if status.is_client_error() && status != StatusCode::METHOD_NOT_ALLOWED {
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{path}: {status} without a JSON body"));
        assert!(
            v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{path}: {status} {v}"
        );
    }
});
