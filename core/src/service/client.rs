//! The blocking client of the identity service: `reqwest` on a tokio runtime of its own, a
//! timeout on every call, retries with exponential back-off on transient failures, and an
//! `Idempotency-Key` on every POST so that a retried request never has a second effect. A call
//! made from inside another tokio runtime (the reception station, a test) runs on a scoped
//! thread instead of blocking that runtime.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand_core::{CryptoRng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::{
    IssuedDocument, ListFetchError, ListKind, Message, Registration, RemoteAccount, ServiceError,
    ServiceLists, SessionOutcome, SessionToken, ShareEntry,
};
use crate::document::DocumentKind;
use crate::keys::PublicKey;

/// Largest answer read from the service (a list or a batch of documents with portraits).
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Where the service is and how patient to be with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// `http://127.0.0.1:8700` or `https://…`, without a trailing slash.
    pub base_url: String,
    /// For each attempt.
    pub timeout: Duration,
    /// Further attempts after the first, on transient failures.
    pub retries: u32,
    /// The first back-off; it doubles with each retry.
    pub backoff: Duration,
}

impl ServiceConfig {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// The message a device signs to prove it holds the key it asks a session for.
pub fn session_proof_message(personal_id: &str, device_key_b64: &str, signed_at: i64) -> Vec<u8> {
    format!("cancuoc-session-v1|{personal_id}|{device_key_b64}|{signed_at}").into_bytes()
}

/// The client. Cheap to share behind an `Arc`; every method blocks until the answer.
pub struct ServiceClient {
    config: ServiceConfig,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    rng: std::sync::Mutex<rand_chacha::ChaCha20Rng>,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

struct Call<'a> {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    bearer: Option<&'a str>,
    /// Set for POSTs: the same key on every attempt of this call.
    idempotency_key: Option<String>,
}

/// An answer: status and (bounded) body.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl ServiceClient {
    /// A client for `config`; `rng` makes the idempotency keys.
    pub fn new(
        config: ServiceConfig,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, ServiceError> {
        let url = reqwest::Url::parse(&config.base_url)
            .map_err(|e| ServiceError::Url(format!("{}: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ServiceError::Url(format!(
                "{}: only http and https",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("cancuoc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ServiceError::Url(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ServiceError::Offline(format!("no runtime: {e}")))?;
        Ok(Self {
            config,
            http,
            runtime,
            rng: std::sync::Mutex::new(rand_chacha::ChaCha20Rng::from_rng(rng)),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn idempotency_key(&self) -> String {
        let mut bytes = [0u8; 16];
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rand_core::Rng::fill_bytes(&mut *rng, &mut bytes);
        hex::encode(bytes)
    }

    /// Runs `fut` to completion on this client's runtime, on a scoped thread when the caller
    /// is itself inside a tokio runtime (blocking it there would panic).
    fn block_on<T: Send>(&self, fut: impl Future<Output = T> + Send) -> T {
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                let joined = s.spawn(|| self.runtime.block_on(fut)).join();
                match joined {
                    Ok(v) => v,
                    Err(p) => std::panic::resume_unwind(p),
                }
            })
        } else {
            self.runtime.block_on(fut)
        }
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<Answer, ServiceError> {
        let url = format!("{}{}", self.config.base_url, call.path);
        let mut req = self.http.request(call.method.clone(), &url);
        if let Some(b) = call.bearer {
            req = req.bearer_auth(b);
        }
        if let Some(k) = &call.idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        if let Some(body) = &call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut resp = req.send().await.map_err(transport_error)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ServiceError::Malformed(format!(
                    "the answer is longer than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            Ok(Answer { status, body })
        } else {
            Err(refusal(status, &body, retry_after))
        }
    }

    /// One call with retries: transient failures are tried again after a doubling back-off.
    /// A POST is retried only because it carries an idempotency key; a request that may have
    /// reached the service without one is never sent twice.
    fn call(&self, call: Call<'_>) -> Result<Answer, ServiceError> {
        self.block_on(async {
            let mut wait = self.config.backoff;
            let mut attempt = 0;
            loop {
                match self.attempt(&call).await {
                    Ok(a) => return Ok(a),
                    Err(e) if attempt < self.config.retries && retryable(&call, &e) => {
                        let pause = match &e {
                            ServiceError::Rejected {
                                retry_after: Some(s),
                                ..
                            } => Duration::from_secs(*s).min(Duration::from_secs(30)),
                            _ => wait,
                        };
                        tokio::time::sleep(pause).await;
                        wait = wait.saturating_mul(2);
                        attempt += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }

    fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        bearer: Option<&str>,
    ) -> Result<T, ServiceError> {
        let a = self.call(Call {
            method: Method::GET,
            path: path.to_owned(),
            body: None,
            bearer,
            idempotency_key: None,
        })?;
        parse(&a.body)
    }

    fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        bearer: Option<&str>,
    ) -> Result<Answer, ServiceError> {
        let body = serde_json::to_vec(body).map_err(|e| ServiceError::Malformed(e.to_string()))?;
        self.call(Call {
            method: Method::POST,
            path: path.to_owned(),
            body: Some(body),
            bearer,
            idempotency_key: Some(self.idempotency_key()),
        })
    }

    /// Level-1 registration, matched against the population register.
    pub fn register(&self, registration: &Registration) -> Result<(), ServiceError> {
        self.post("/v1/accounts", registration, None).map(drop)
    }

    /// Asks for a session for `device_key`; `sign` signs the proof with that key (r ‖ s).
    pub fn start_session<E>(
        &self,
        personal_id: &str,
        password: &str,
        device_key: &PublicKey,
        signed_at: i64,
        sign: impl FnOnce(&[u8]) -> Result<[u8; 64], E>,
    ) -> Result<Result<SessionOutcome, ServiceError>, E> {
        let key = B64.encode(device_key.sec1());
        let proof = sign(&session_proof_message(personal_id, &key, signed_at))?;
        let body = json!({
            "personal_id": personal_id,
            "password": password,
            "device_key": key,
            "signed_at": signed_at,
            "proof": B64.encode(proof),
        });
        let answer = self.post("/v1/sessions", &body, None);
        // The JSON held the password: wipe it.
        let mut body = body;
        if let Some(Value::String(p)) = body.get_mut("password") {
            zeroize::Zeroize::zeroize(p);
        }
        Ok(answer.and_then(|a| session_outcome(a.status, &a.body)))
    }

    /// Confirms a device change with the code shown on the old device.
    pub fn confirm_device_change(
        &self,
        change_id: &str,
        code: &str,
    ) -> Result<SessionOutcome, ServiceError> {
        let path = format!("/v1/device-changes/{}/confirm", path_segment(change_id)?);
        let a = self.post(&path, &json!({ "code": code }), None)?;
        session_outcome(a.status, &a.body)
    }

    pub fn account(&self, session: &SessionToken) -> Result<RemoteAccount, ServiceError> {
        self.get_json("/v1/account", Some(session.expose()))
    }

    pub fn messages(&self, session: &SessionToken) -> Result<Vec<Message>, ServiceError> {
        #[derive(serde::Deserialize)]
        struct Messages {
            messages: Vec<Message>,
        }
        let m: Messages = self.get_json("/v1/messages", Some(session.expose()))?;
        Ok(m.messages)
    }

    /// The in-force documents of `kinds` bound to this device (issued where needed).
    pub fn documents(
        &self,
        session: &SessionToken,
        kinds: &[DocumentKind],
    ) -> Result<Vec<IssuedDocument>, ServiceError> {
        #[derive(serde::Deserialize)]
        struct Documents {
            documents: Vec<IssuedDocument>,
        }
        let a = self.post(
            "/v1/documents",
            &json!({ "kinds": kinds }),
            Some(session.expose()),
        )?;
        let d: Documents = parse(&a.body)?;
        Ok(d.documents)
    }

    /// The signed trust list's bytes (verify with `lists::verify_trust_list`).
    pub fn trust_list(&self) -> Result<Vec<u8>, ServiceError> {
        self.get_bytes("/v1/trust-list")
    }

    /// What a reader (the station, `cancuoc verify --service`) takes from the service: the
    /// signed trust list, checked against the `roots` the reader was provisioned with, and the
    /// status list, checked against the Document Signers that trust list pins. `held` is the
    /// trust list the reader already has: when the fetched one is not newer, the status list is
    /// checked against the held one (a reader never trusts an older list). Whether to keep
    /// either list is the caller's (`lists::is_newer_*`).
    pub fn verified_lists(
        &self,
        roots: &crate::trust::TrustList,
        held: Option<&crate::lists::TrustListContent>,
        now: time::OffsetDateTime,
    ) -> Result<ServiceLists, ListFetchError> {
        use crate::lists;
        let trust_bytes = self.trust_list().map_err(|error| ListFetchError::Service {
            list: ListKind::Trust,
            error,
        })?;
        let trust = lists::verify_trust_list(&trust_bytes, roots, now).map_err(|error| {
            ListFetchError::Refused {
                list: ListKind::Trust,
                error,
            }
        })?;
        let anchors = match held {
            Some(h) if !lists::is_newer_trust_list(&trust, Some(h)) => h.trust_list(roots),
            _ => trust.trust_list(roots),
        };
        let uri = format!("{}{}", self.base_url(), super::STATUS_LIST_PATH);
        let status_bytes = self
            .status_list(&uri)
            .map_err(|error| ListFetchError::Service {
                list: ListKind::Status,
                error,
            })?;
        let status = lists::verify_status_list(&status_bytes, &anchors, now).map_err(|error| {
            ListFetchError::Refused {
                list: ListKind::Status,
                error,
            }
        })?;
        Ok(ServiceLists {
            trust,
            trust_bytes,
            status,
            status_bytes,
        })
    }

    /// A signed status list's bytes, by the URI an MSO names. Only a URI under this service
    /// is fetched.
    pub fn status_list(&self, uri: &str) -> Result<Vec<u8>, ServiceError> {
        let path = uri
            .strip_prefix(&self.config.base_url)
            .filter(|p| p.starts_with("/v1/status-lists/"))
            .ok_or_else(|| {
                ServiceError::Url(format!("{uri} is not a status list of this service"))
            })?;
        self.get_bytes(path)
    }

    fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ServiceError> {
        self.call(Call {
            method: Method::GET,
            path: path.to_owned(),
            body: None,
            bearer: None,
            idempotency_key: None,
        })
        .map(|a| a.body)
    }

    /// Locks the account without a session (the phone is lost).
    pub fn lock_account(
        &self,
        personal_id: &str,
        password: &str,
        birth_date: time::Date,
    ) -> Result<(), ServiceError> {
        let body = json!({
            "personal_id": personal_id,
            "password": Zeroizing::new(password.to_owned()).as_str(),
            "birth_date": crate::time_fmt::date(birth_date),
        });
        self.post("/v1/lock", &body, None).map(drop)
    }

    /// Who fetched what of this citizen's data online.
    pub fn shares(&self, session: &SessionToken) -> Result<Vec<ShareEntry>, ServiceError> {
        #[derive(serde::Deserialize)]
        struct Shares {
            shares: Vec<ShareEntry>,
        }
        let s: Shares = self.get_json("/v1/shares", Some(session.expose()))?;
        Ok(s.shares)
    }

    /// Tells the service the citizen withdrew a grant (`CV1:` text).
    pub fn revoke_grant(
        &self,
        session: &SessionToken,
        revocation: &str,
    ) -> Result<(), ServiceError> {
        self.post(
            "/v1/grants/revocations",
            &json!({ "revocation": revocation }),
            Some(session.expose()),
        )
        .map(drop)
    }

    /// Ends this device's session.
    pub fn sign_out(&self, session: &SessionToken) -> Result<(), ServiceError> {
        self.call(Call {
            method: Method::DELETE,
            path: "/v1/sessions/current".into(),
            body: None,
            bearer: Some(session.expose()),
            idempotency_key: None,
        })
        .map(drop)
    }
}

fn retryable(call: &Call<'_>, e: &ServiceError) -> bool {
    let safe = call.method == Method::GET
        || call.method == Method::DELETE
        || call.idempotency_key.is_some();
    safe && e.is_transient()
}

fn transport_error(e: reqwest::Error) -> ServiceError {
    if e.is_timeout() {
        ServiceError::Timeout
    } else if e.is_connect() || e.is_request() {
        ServiceError::Offline(e.without_url().to_string())
    } else if e.is_body() || e.is_decode() {
        ServiceError::Malformed(e.without_url().to_string())
    } else {
        ServiceError::Offline(e.without_url().to_string())
    }
}

fn refusal(status: StatusCode, body: &[u8], retry_after: Option<u64>) -> ServiceError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let e = v.get("error");
    let text = |k: &str| {
        e.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    ServiceError::Rejected {
        status: status.as_u16(),
        code: text("code").unwrap_or_else(|| format!("http_{}", status.as_u16())),
        message_vi: text("message").unwrap_or_else(|| {
            format!(
                "Hệ thống định danh từ chối yêu cầu (mã {}).",
                status.as_u16()
            )
        }),
        message_en: text("message_en").unwrap_or_else(|| {
            format!(
                "The identity service refused the request ({}).",
                status.as_u16()
            )
        }),
        reason: text("reason"),
        retry_after,
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body).map_err(|e| ServiceError::Malformed(e.to_string()))
}

fn session_outcome(status: StatusCode, body: &[u8]) -> Result<SessionOutcome, ServiceError> {
    #[derive(serde::Deserialize)]
    struct Raw {
        status: String,
        #[serde(default)]
        session: Option<Zeroizing<String>>,
        #[serde(default)]
        account: Option<RemoteAccount>,
        #[serde(default)]
        change_id: Option<String>,
    }
    let raw: Raw = parse(body)?;
    match (raw.status.as_str(), raw.session, raw.account, raw.change_id) {
        ("active", Some(session), Some(account), _) => Ok(SessionOutcome::Active {
            session: SessionToken(session),
            account,
        }),
        ("device_change_pending", _, _, Some(change_id)) => {
            Ok(SessionOutcome::ChangePending { change_id })
        }
        (other, ..) => Err(ServiceError::Malformed(format!(
            "session answer {} with status {other:?}",
            status.as_u16()
        ))),
    }
}

/// An id placed in a URL path: letters, digits, `-` and `_` only.
fn path_segment(id: &str) -> Result<&str, ServiceError> {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(ServiceError::Url(format!("{id:?} is not an id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;

    fn client(url: &str) -> ServiceClient {
        let mut cfg = ServiceConfig::new(url);
        cfg.timeout = Duration::from_millis(500);
        cfg.retries = 2;
        cfg.backoff = Duration::from_millis(10);
        ServiceClient::new(cfg, &mut ChaCha20Rng::seed_from_u64(1)).unwrap()
    }

    #[test]
    fn offline_is_a_clear_transient_error() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = client(&format!("http://127.0.0.1:{port}"));
        let err = c.trust_list().unwrap_err();
        assert_eq!(err.code(), "offline", "{err:?}");
        assert!(err.is_transient());
        assert!(err.message(crate::i18n::Lang::Vi).contains("Không kết nối"));
    }

    #[test]
    fn refuses_bad_addresses_and_foreign_status_lists() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(ServiceClient::new(ServiceConfig::new("ftp://x"), &mut rng).is_err());
        assert!(ServiceClient::new(ServiceConfig::new("not a url"), &mut rng).is_err());
        let c = client("http://127.0.0.1:9");
        assert_eq!(
            c.status_list("https://elsewhere.example/v1/status-lists/1")
                .unwrap_err()
                .code(),
            "bad_url"
        );
        assert_eq!(
            c.confirm_device_change("../x", "123456")
                .unwrap_err()
                .code(),
            "bad_url"
        );
    }

    #[test]
    fn reads_the_services_error_shape() {
        let e = refusal(
            StatusCode::FORBIDDEN,
            r#"{"error":{"code":"grant_rejected","message":"Từ chối","message_en":"Refused","reason":"expired"}}"#.as_bytes(),
            None,
        );
        assert_eq!(e.code(), "grant_rejected");
        assert!(!e.is_transient());
        assert!(matches!(e, ServiceError::Rejected { reason: Some(ref r), .. } if r == "expired"));
        let e = refusal(StatusCode::SERVICE_UNAVAILABLE, b"<html>", Some(2));
        assert_eq!(e.code(), "http_503");
        assert!(e.is_transient());
    }
}
