//! The station's HTTP surface: the page and its assets, `POST /api/verify` (QR text as JSON, or
//! an image), `POST /api/requests`, `GET /api/log`, `GET /api/log.csv`, `GET /api/health`,
//! `GET /openapi.json` — challenge mode only with the station's relying-party identity
//! ([`crate::challenge::Party`]); and the guard in front of them — the Host check that keeps a
//! web page from reaching a loopback station through DNS rebinding, the Origin check on writes,
//! and the operator token every API call must carry when the station listens beyond loopback.
//! Every error is JSON `{"error": {"code", "message"}}` with a 4xx/5xx status; no input panics.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cancuoc_core::document::DocumentKind;
use cancuoc_core::qr::signed_request::SignedRequestError;
use cancuoc_core::time_fmt::Clock;
use cancuoc_core::verifier::{Check, QrVerifyRequest, Verifier, VerifyError};
use rand_chacha::ChaCha20Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::body::{BodyError, RequestBody, VerifyBody};
use crate::challenge::{self, ParseError, Party, Pending, PendingRequests, TakeError};
use crate::log::{self, Channel, Entry, Log, Mode, Outcome, Verification};
use crate::scan::{self, Scanned};
use crate::{assets, chip_card, trust_dir, verdict};
use cancuoc_core::qr::code::QrReadError;

/// The largest body accepted (a camera frame or photo).
pub const MAX_BODY: usize = 8 * 1024 * 1024;
pub use crate::body::MAX_JSON;
/// The longest counter name kept.
const MAX_COUNTER: usize = 64;

/// The trust list in use and where it came from.
#[derive(Debug)]
pub(crate) struct TrustState {
    pub loaded: trust_dir::Loaded,
    /// Why the source was not used (the cache served), or why the last reload failed.
    pub problem: Option<String>,
}

/// Everything the handlers share.
pub(crate) struct Station {
    pub verifier_id: String,
    pub party: Option<Party>,
    pub facility: Option<String>,
    pub log_values: bool,
    pub max_qr_age: Duration,
    pub max_list_age: Duration,
    pub token: Option<String>,
    pub loopback: bool,
    pub port: u16,
    pub verifier: RwLock<Arc<Verifier>>,
    /// The status lists revocation is checked against (from the identity service).
    pub status_lists: RwLock<Arc<Vec<cancuoc_core::trust::StatusList>>>,
    /// The identity service's lists as held, with their dates and the last fetch's problem.
    pub online: Mutex<crate::service_lists::OnlineLists>,
    pub service: Option<Arc<cancuoc_core::service::ServiceClient>>,
    pub data_dir: std::path::PathBuf,
    pub trust: Mutex<TrustState>,
    pub pending: Mutex<PendingRequests>,
    pub log: Log,
    pub clock: Arc<dyn Clock>,
    pub rng: Mutex<ChaCha20Rng>,
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("verifier_id", &self.verifier_id)
            .field("loopback", &self.loopback)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

type Shared = Arc<Station>;

/// A refusal: status, stable code, message (for IT), and for the ones a receptionist may see,
/// the reason in Vietnamese and English.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    reason: Option<(&'static str, &'static str)>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            reason: None,
        }
    }

    fn with_reason(mut self, vi: &'static str, en: &'static str) -> Self {
        self.reason = Some((vi, en));
        self
    }

    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some((vi, en)), Some(o)) = (self.reason, error.as_object_mut()) {
            o.insert("reason".into(), json!({ "vi": vi, "en": en }));
        }
        let mut r = (self.status, Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cancuoc station\""),
            );
        }
        r
    }
}

fn body_error(e: &BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {MAX_BODY} bytes"),
        )
    } else {
        ApiError::bad("body_unreadable", e.body_text())
    }
}

fn query_error(e: &QueryRejection) -> ApiError {
    ApiError::bad("bad_query", e.body_text())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn router(station: Shared) -> axum::Router {
    axum::Router::new()
        .route("/", get(assets::index))
        .route("/station.css", get(assets::css))
        .route("/station.js", get(assets::js))
        .route("/openapi.json", get(assets::openapi))
        .route("/api/health", get(health))
        .route("/api/verify", post(verify))
        .route("/api/requests", post(requests))
        .route("/api/log", get(log_json))
        .route("/api/log.csv", get(log_csv))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(station.clone(), guard))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(station)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page or API")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take that method",
    )
}

/// The hosts a loopback station answers to.
fn loopback_host(host: &str, port: u16) -> bool {
    let name = host
        .strip_suffix(&format!(":{port}"))
        .unwrap_or(host)
        .to_ascii_lowercase();
    matches!(name.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(a) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return a.strip_prefix("Bearer ").map(str::trim);
    }
    headers
        .get("x-operator-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

async fn guard(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if s.loopback && !loopback_host(host, s.port) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_host",
            "this station answers only to 127.0.0.1, localhost or [::1]",
        )
        .into_response();
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD)
        && let Some(origin) = headers.get(header::ORIGIN)
        && origin.to_str().ok() != Some(&format!("http://{host}"))
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "the station takes writes only from its own page or from software that sends no Origin",
        )
        .into_response();
    }
    if req.uri().path().starts_with("/api/")
        && let Some(token) = &s.token
    {
        match presented_token(headers) {
            Some(t) if cancuoc_core::secret::constant_time_eq(t.as_bytes(), token.as_bytes()) => {}
            Some(_) => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "wrong_token",
                    "the operator token is wrong",
                )
                .into_response();
            }
            None => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "token_required",
                    "this station needs the operator token: Authorization: Bearer <token>",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// `POST /api/verify` with an image body: the same options in the query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageQuery {
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    counter: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The counter name as the log keeps it: control characters dropped, trimmed, `None` when
/// nothing is left. Longer than [`MAX_COUNTER`] characters is refused, as the API documents.
fn counter(c: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(c) = c else { return Ok(None) };
    if c.chars().count() > MAX_COUNTER {
        return Err(ApiError::bad(
            "bad_counter",
            format!("counter: at most {MAX_COUNTER} characters"),
        ));
    }
    let kept: String = c.chars().filter(|ch| !ch.is_control()).collect();
    let kept = kept.trim();
    Ok((!kept.is_empty()).then(|| kept.to_owned()))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::body::parse_json(body).map_err(|e| match e {
        BodyError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            e.to_string(),
        ),
        BodyError::Malformed(m) => ApiError::bad("malformed_json", m),
    })
}

/// What one verification needs beyond the QR text.
struct Scan {
    channel: Channel,
    counter: Option<String>,
    request_id: Option<String>,
    request_text: Option<String>,
    normalize: bool,
}

async fn verify(
    State(s): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<ImageQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|e| body_error(&e))?;
    // The query is for image bodies, but what it holds is checked whatever the body.
    let Query(q) = query.map_err(|e| query_error(&e))?;
    let query_counter = counter(q.counter)?;
    let ct = content_type(&headers);
    let (text, scan) = match ct.as_str() {
        "application/json" => {
            let b: VerifyBody = parse_json(&body)?;
            let channel = b.channel.unwrap_or(Channel::Api);
            let scan = Scan {
                channel,
                counter: counter(b.counter)?,
                request_id: b.request_id,
                request_text: b.request,
                normalize: b.normalize.unwrap_or(channel == Channel::Scanner),
            };
            (b.text, scan)
        }
        "image/png" | "image/jpeg" => {
            if body.is_empty() {
                return Err(ApiError::bad("empty_body", "the image is empty"));
            }
            let image = body.clone();
            let read =
                tokio::task::spawn_blocking(move || cancuoc_core::qr::code::read_image(&image))
                    .await
                    .map_err(|_| {
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "reader_failed",
                            "the QR reader stopped",
                        )
                    })?;
            let text = match read {
                Ok(t) => t,
                // Not a picture at all: the client sent the wrong bytes.
                Err(
                    e @ (QrReadError::UnknownFormat
                    | QrReadError::Image(_)
                    | QrReadError::TooLarge { .. }
                    | QrReadError::BadDimensions { .. }
                    | QrReadError::FrameSize { .. }),
                ) => {
                    return Err(ApiError::bad("bad_image", e.to_string()).with_reason(
                        "Dữ liệu gửi lên không phải ảnh PNG hoặc JPEG đọc được",
                        "The body is not a readable PNG or JPEG image",
                    ));
                }
                // A picture with no code in it: nothing was presented, nothing is logged.
                Err(e) => return Ok(Json(verdict::no_code(&e.to_string()))),
            };
            let scan = Scan {
                channel: q.channel.unwrap_or(Channel::Api),
                counter: query_counter,
                request_id: q.request_id,
                request_text: None,
                normalize: false,
            };
            (text, scan)
        }
        "" => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type_required",
                "send application/json ({\"text\": …}) or an image/png or image/jpeg body",
            ));
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "{other:?}: send application/json ({{\"text\": …}}) or an image/png or image/jpeg body"
                ),
            ));
        }
    };
    check(&s, &text, scan).await.map(Json)
}

/// Verifies one scan, logs it, and answers.
async fn check(s: &Station, text: &str, scan: Scan) -> Result<Value, ApiError> {
    let now = s.clock.now();
    let mut entry = Verification {
        time: now,
        channel: scan.channel,
        counter: scan.counter.clone(),
        requester: s.verifier_id.clone(),
        mode: Mode::Static,
        request_id: None,
        requested: Vec::new(),
        document: None,
        issuer: None,
        outcome: Outcome::Rejected,
        check: None,
        code: None,
        disclosed: Vec::new(),
        values: None,
    };

    // The request this answers, if any.
    // (The lock is taken and released before any await.)
    let stored = scan
        .request_id
        .as_deref()
        .map(|id| lock(&s.pending).get(id, now));
    let pending: Option<Pending> = match (&scan.request_id, &scan.request_text) {
        (Some(id), _) => match stored.unwrap_or_else(|| Err(TakeError::Unknown(id.clone()))) {
            Ok(p) => Some(p),
            Err(TakeError::Unknown(_)) => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_request",
                    format!(
                        "no request {:?} is pending at this station",
                        id.chars().take(40).collect::<String>()
                    ),
                )
                .with_reason(
                    "Yêu cầu này không còn chờ trả lời (đã được dùng) — tạo yêu cầu mới",
                    "This request is no longer waiting for an answer (it was used) — make a new one",
                ));
            }
            Err(e @ TakeError::Expired { .. }) => {
                entry.mode = Mode::Challenge;
                entry.request_id = Some(id.clone());
                return finish(
                    s,
                    entry,
                    verdict::request_unusable("request_expired", &e.to_string()),
                    Some("request_expired"),
                    &[],
                )
                .await;
            }
        },
        (None, Some(r)) => match challenge::parse_request(r, now) {
            Ok(p) => Some(p),
            Err(e @ ParseError::Expired(_)) => {
                entry.mode = Mode::Challenge;
                return finish(
                    s,
                    entry,
                    verdict::request_unusable("request_expired", &e.to_string()),
                    Some("request_expired"),
                    &[],
                )
                .await;
            }
            Err(e) => return Err(ApiError::bad("invalid_request", format!("request: {e}"))),
        },
        (None, None) => None,
    };
    if let Some(p) = &pending {
        entry.mode = Mode::Challenge;
        entry.request_id = Some(p.id.clone()).filter(|i| !i.is_empty());
        entry.requested = p.elements.clone();
    }

    let scanned = if scan.normalize {
        scan::normalize(text)
    } else {
        scan::exact(text)
    };

    if chip_card::looks_like_card(&scanned.text) {
        entry.mode = Mode::Card;
        let today = now.to_offset(verdict::VIETNAM).date();
        let answer = match chip_card::parse(&scanned.text, today) {
            Ok(c) => {
                entry.outcome = Outcome::UnsignedCard;
                entry.document = Some("chip_card_printed_qr".into());
                entry.disclosed = [
                    "personal_number",
                    "old_id_number",
                    "full_name",
                    "birth_date",
                    "sex",
                    "address",
                    "issue_date",
                ]
                .into_iter()
                .filter(|f| *f != "old_id_number" || c.old_id_number.is_some())
                .map(String::from)
                .collect();
                let v = verdict::card(&c);
                if s.log_values {
                    entry.values = v.get("card").and_then(Value::as_object).cloned();
                }
                v
            }
            Err(e) => {
                entry.check = Some("chip_card".into());
                entry.code = Some(e.code().into());
                verdict::card_invalid(&e)
            }
        };
        return finish(s, entry, answer, None, &scanned.fixes).await;
    }

    let verifier = s
        .verifier
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let status_lists = s
        .status_lists
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let run = |sc: &Scanned| {
        let mut req = QrVerifyRequest::new(now);
        req.max_age = s.max_qr_age;
        req.status_lists = status_lists.as_slice();
        req.challenge = pending.as_ref().map(Pending::challenge);
        // Answers to the station's requests come encrypted to its party key (`CE1:`).
        req.decryption_key = s.party.as_ref().map(Party::key);
        verifier.verify_qr_text(&sc.text, &req)
    };
    let mut used = scanned.clone();
    let mut result = run(&scanned);
    if let Err(e) = &result
        && e.check() == Check::Decoding
        && let Some(retry) = scanned.without_trailing_spaces()
    {
        let second = run(&retry);
        if second.is_ok() {
            result = second;
            used = retry;
        }
    }
    let answer = match result {
        Ok(doc) => {
            entry.outcome = Outcome::Valid;
            entry.document = Some(doc.doc_type.clone());
            entry.issuer = doc.issuer.common_name.clone();
            entry.disclosed = doc.disclosed.iter().map(|e| e.identifier.clone()).collect();
            if s.log_values {
                entry.values = Some(
                    doc.disclosed
                        .iter()
                        .map(|e| (e.identifier.clone(), e.value.to_json()))
                        .collect(),
                );
            }
            if let Some(p) = &pending
                && !p.id.is_empty()
            {
                lock(&s.pending).answered(&p.id);
            }
            verdict::valid(&doc, now, s.facility.as_deref())
        }
        Err(e) => {
            entry.check = Some(e.check().as_str().to_owned());
            entry.code = Some(e.code().to_owned());
            match &e {
                // An answer to one of this station's requests, sent without the request.
                VerifyError::WrongAudience { found, .. }
                    if pending.is_none() && *found == s.verifier_id =>
                {
                    verdict::answer_without_request(&e)
                }
                _ => verdict::rejected(&e),
            }
        }
    };
    finish(s, entry, answer, None, &used.fixes).await
}

/// Logs the verification and adds what the answer needs from the log.
async fn finish(
    s: &Station,
    mut entry: Verification,
    answer: Value,
    code: Option<&str>,
    fixes: &[scan::Fix],
) -> Result<Value, ApiError> {
    if let Some(c) = code {
        entry.check = Some("challenge".into());
        entry.code = Some(c.into());
    }
    let mode = entry.mode;
    let time = entry.time;
    let seq = s
        .log
        .append(Entry::Verification(entry))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "log_write_failed",
                format!("the verification could not be logged, so it is not shown: {e}"),
            )
        })?;
    let mut answer = verdict::with_fixes(answer, fixes);
    if let Some(o) = answer.as_object_mut() {
        o.insert("mode".into(), json!(mode));
        o.insert("log_seq".into(), json!(seq));
        o.insert(
            "checked_at".into(),
            json!(cancuoc_core::time_fmt::tdate(time)),
        );
    }
    Ok(answer)
}

async fn requests(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body.map_err(|e| body_error(&e))?;
    let b: RequestBody = if body.iter().all(u8::is_ascii_whitespace) {
        RequestBody::default()
    } else if content_type(&headers) == "application/json" {
        parse_json(&body)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json or no body",
        ));
    };
    let Some(party) = &s.party else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "challenge_unavailable",
            "this station has no relying-party identity (cancuoc station --party DIR); wallets answer only signed requests, so challenge mode is off",
        )
        .with_reason(CHALLENGE_OFF.0, CHALLENGE_OFF.1));
    };
    let kind = b.kind.unwrap_or(DocumentKind::HealthInsurance);
    let elements: Vec<String> = match b.elements {
        Some(e) => e,
        None if kind == DocumentKind::HealthInsurance => challenge::CLINIC_REQUEST
            .iter()
            .map(|e| (*e).to_owned())
            .collect(),
        None => Vec::new(),
    };
    if elements.len() > 32 {
        return Err(ApiError::bad("too_many_elements", "at most 32 elements"));
    }
    let refs: Vec<&str> = elements.iter().map(String::as_str).collect();
    let now = s.clock.now();
    let p = {
        let mut rng = lock(&s.rng);
        challenge::make_request(party, kind, &refs, now, &mut *rng).map_err(|e| match e {
            SignedRequestError::CertificateValidity(_) => ApiError::new(
                StatusCode::CONFLICT,
                "party_certificate_invalid",
                e.to_string(),
            )
            .with_reason(PARTY_CERTIFICATE_INVALID.0, PARTY_CERTIFICATE_INVALID.1),
            _ => ApiError::bad("invalid_request", e.to_string()),
        })?
    };
    let svg = cancuoc_core::qr::code::encode(&p.text)
        .map(|m| m.to_svg())
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "qr_encode_failed",
                e.to_string(),
            )
        })?;
    let answer = json!({
        "id": p.id,
        "text": p.text,
        "svg": svg,
        "verifier": p.audience,
        "party": { "id": party.id(), "organization": party.organization() },
        "kind": p.kind,
        "elements": p.elements,
        "purpose": p.purpose,
        "retain": [],
        "encrypted": p.encrypted,
        "expires": cancuoc_core::time_fmt::tdate(p.expires),
    });
    lock(&s.pending).insert(p, now);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Why challenge mode is off, for the page.
const CHALLENGE_OFF: (&str, &str) = (
    "Chưa dùng được chế độ yêu cầu từ điện thoại: trạm chưa có danh tính bên khai thác (cancuoc station --party)",
    "Request from the phone is unavailable: this station has no relying-party identity (cancuoc station --party)",
);
const PARTY_CERTIFICATE_INVALID: (&str, &str) = (
    "Chưa dùng được chế độ yêu cầu từ điện thoại: chứng thư bên khai thác của trạm đã hết hạn hoặc chưa có hiệu lực",
    "Request from the phone is unavailable: the station's relying-party certificate has expired or is not yet valid",
);

/// Whether challenge mode works now, and as whom.
fn challenge_state(
    s: &Station,
    now: OffsetDateTime,
) -> (Value, Option<(&'static str, &'static str)>) {
    let Some(p) = &s.party else {
        return (
            json!({ "available": false, "party": null, "problem": "no_party" }),
            Some(CHALLENGE_OFF),
        );
    };
    let cert = p.certificate();
    let problem = cert.check_validity(now).err().map(|e| e.to_string());
    let off = problem.is_some().then_some(PARTY_CERTIFICATE_INVALID);
    (
        json!({
            "available": problem.is_none(),
            "party": { "id": p.id(), "organization": p.organization() },
            "certified_by": cert.issuer(),
            "certificate_expires": cancuoc_core::time_fmt::tdate(cert.not_after()),
            "problem": problem,
        }),
        off,
    )
}

/// `GET /api/log` and `/api/log.csv` filters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn time_param(name: &str, v: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    v.map(|t| {
        cancuoc_core::time_fmt::parse_rfc3339(t).ok_or_else(|| {
            ApiError::bad(
                "bad_query",
                format!("{name}: {t:?} is not an RFC 3339 time such as 2026-11-23T08:00:00Z"),
            )
        })
    })
    .transpose()
}

/// The page size of `GET /api/log`: 100 unless asked, 1 to 1,000 as the API documents.
fn log_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(100),
        Some(n @ 1..=1000) => Ok(n),
        Some(n) => Err(ApiError::bad(
            "bad_query",
            format!("limit: {n} is not between 1 and 1000"),
        )),
    }
}

fn log_error(e: &log::LogError) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "log_unavailable",
        e.to_string(),
    )
}

async fn log_json(
    State(s): State<Shared>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| query_error(&e))?;
    let filter = log::Filter {
        before: q.before,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        limit: Some(log_limit(q.limit)?),
    };
    let rows = s.log.rows(filter).await.map_err(|e| log_error(&e))?;
    let status = s.log.status().await.map_err(|e| log_error(&e))?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.entry).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("seq".into(), json!(r.seq));
                o.insert("chain".into(), json!(hex::encode(r.chain)));
            }
            v
        })
        .collect();
    Ok(Json(json!({ "entries": entries, "chain": status })))
}

async fn log_csv(
    State(s): State<Shared>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| query_error(&e))?;
    let filter = log::Filter {
        before: q.before,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        limit: None,
    };
    let rows = s.log.rows(filter).await.map_err(|e| log_error(&e))?;
    // A byte-order mark so spreadsheet programs read the Vietnamese as UTF-8.
    let csv = format!("\u{feff}{}", log::to_csv(&rows));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cancuoc-station-log.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

async fn health(State(s): State<Shared>) -> Result<Json<Value>, ApiError> {
    let now = s.clock.now();
    let trust = {
        let t = lock(&s.trust);
        let age = (now - t.loaded.updated).max(Duration::ZERO);
        json!({
            "certificates": t.loaded.list.roots().len(),
            "read_from": t.loaded.from.display().to_string(),
            "updated": cancuoc_core::time_fmt::tdate(t.loaded.updated),
            "age_seconds": age.whole_seconds(),
            "max_age_seconds": s.max_list_age.whole_seconds(),
            "stale": age > s.max_list_age,
            "problem": t.problem,
        })
    };
    let log = s.log.status().await.map_err(|e| log_error(&e))?;
    let stale = trust.get("stale").and_then(Value::as_bool).unwrap_or(false);
    let mut warnings = Vec::new();
    if stale {
        warnings.push(json!({
            "code": "trust_list_stale",
            "vi": "Danh sách tin cậy đã cũ — cập nhật từ cơ quan cấp",
            "en": "The trust list is old — update it from the issuing authority",
        }));
    }
    if trust.get("problem").is_some_and(Value::is_string) {
        warnings.push(json!({
            "code": "trust_list_problem",
            "vi": "Không đọc được danh sách tin cậy mới — đang dùng bản đã lưu",
            "en": "The trust list source could not be read — using the saved copy",
        }));
    }
    if log.problem.is_some() {
        warnings.push(json!({
            "code": "log_chain_broken",
            "vi": "Nhật ký kiểm tra đã bị sửa đổi",
            "en": "The verification log has been tampered with",
        }));
    }
    let (challenge, challenge_off) = challenge_state(&s, now);
    if let Some((vi, en)) = challenge_off {
        warnings.push(json!({ "code": "challenge_unavailable", "vi": vi, "en": en }));
    }
    let online = lock(&s.online).clone();
    let age_json = |a: Option<cancuoc_core::lists::ListAge>| match a {
        Some(a) => json!({
            "present": true,
            "issued": cancuoc_core::time_fmt::tdate(a.issued_at),
            "age_seconds": a.age.whole_seconds(),
            "stale": a.stale,
        }),
        None => json!({ "present": false }),
    };
    let status_age = online.status_age(now);
    match status_age {
        None => warnings.push(json!({
            "code": "revocation_not_checked",
            "vi": "Chưa có danh sách thu hồi: không kiểm tra được giấy tờ bị thu hồi",
            "en": "No status list yet: revocation is not checked",
        })),
        Some(a) if a.stale => warnings.push(json!({
            "code": "status_list_stale",
            "vi": "Danh sách thu hồi đã cũ — kết nối hệ thống định danh để cập nhật",
            "en": "The status list is old — connect to the identity service to refresh it",
        })),
        Some(_) => {}
    }
    if online.problem.is_some() {
        warnings.push(json!({
            "code": "service_unreachable",
            "vi": "Không cập nhật được từ hệ thống định danh — đang dùng danh sách đã lưu",
            "en": "Could not refresh from the identity service — using the saved lists",
        }));
    }
    let service = json!({
        "configured": s.service.is_some(),
        "url": s.service.as_ref().map(|c| c.base_url().to_owned()),
        "last_fetch": online.fetched.map(cancuoc_core::time_fmt::tdate),
        "problem": online.problem,
        "trust_list": age_json(online.trust_age(now)),
    });
    Ok(Json(json!({
        "status": if stale || log.problem.is_some() { "warning" } else { "ok" },
        "time": cancuoc_core::time_fmt::tdate(now),
        "station": {
            "verifier_id": s.verifier_id,
            "facility": s.facility,
            "version": env!("CARGO_PKG_VERSION"),
            "token_required": s.token.is_some(),
            "max_qr_age_seconds": s.max_qr_age.whole_seconds(),
        },
        "trust_list": trust,
        "status_list": age_json(status_age),
        "service": service,
        "challenge": challenge,
        "log": log,
        "pending_requests": lock(&s.pending).len(),
        "warnings": warnings,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(loopback_host("127.0.0.1:8080", 8080));
        assert!(loopback_host("localhost:8080", 8080));
        assert!(loopback_host("[::1]:8080", 8080));
        assert!(loopback_host("LOCALHOST", 8080));
        assert!(!loopback_host("attacker.example:8080", 8080));
        assert!(!loopback_host("127.0.0.1.attacker.example:8080", 8080));
        assert!(!loopback_host("127.0.0.1:9090", 8080));
        assert!(!loopback_host("", 8080));
    }

    #[test]
    fn tokens_compare_whole() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  t0k "),
        );
        assert_eq!(presented_token(&h), Some("t0k"));
        let mut h = HeaderMap::new();
        h.insert("x-operator-token", HeaderValue::from_static("t1"));
        assert_eq!(presented_token(&h), Some("t1"));
    }

    #[test]
    fn counter_names_are_cleaned_and_bounded() {
        assert_eq!(
            counter(Some(" Quầy 3\n".into())).unwrap(),
            Some("Quầy 3".into())
        );
        assert_eq!(counter(Some("   ".into())).unwrap(), None);
        assert_eq!(counter(None).unwrap(), None);
        // 64 characters (not bytes) is the most: "ầ" is three bytes.
        let longest = "ầ".repeat(MAX_COUNTER);
        assert_eq!(counter(Some(longest.clone())).unwrap(), Some(longest));
        let e = counter(Some("x".repeat(MAX_COUNTER + 1))).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "bad_counter");
    }

    #[test]
    fn log_pages_are_1_to_1000() {
        assert_eq!(log_limit(None).unwrap(), 100);
        assert_eq!(log_limit(Some(1)).unwrap(), 1);
        assert_eq!(log_limit(Some(1000)).unwrap(), 1000);
        for n in [0, 1001, usize::MAX] {
            assert_eq!(log_limit(Some(n)).unwrap_err().code, "bad_query");
        }
    }
}
