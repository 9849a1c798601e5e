//! The HTTP surface (the contract of docs/identity-service.md): the route table, the JSON and
//! bearer-token extraction, the lists with `ETag`/`Cache-Control`, and the one error shape
//! `{"error": {"code", "message", "message_en", "reason"?}}` every refusal takes. Handlers run
//! the business functions on tokio's blocking pool (the stores are synchronous). Bodies are
//! limited to [`MAX_BODY`]; no input panics.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use cancuoc_core::lists::{STATUS_LIST_MEDIA_TYPE, TRUST_LIST_MEDIA_TYPE};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Inner;
use crate::accounts::{self, AccountError, SignIn};
use crate::devices::{self, DeviceError};
use crate::documents::{self, DocumentsError};
use crate::lists::{self, ListError, Which};
use crate::parties::{self, PartyError};
use crate::secrets::Secret;
use crate::store::StoreError;

/// The largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// The OpenAPI 3.1 document of every endpoint.
pub const OPENAPI: &str = include_str!("../openapi.json");

type Shared = Arc<Inner>;

/// A refusal as the client sees it.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message_en: String,
    reason: Option<&'static str>,
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message_en: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message_en: message_en.into(),
            reason: None,
            retry_after: None,
        }
    }

    fn internal(what: &str) -> Self {
        eprintln!("cancuoc-identity: internal error: {what}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service failed; nothing was changed",
        )
    }
}

/// The Vietnamese sentence for each code.
fn vietnamese(code: &str) -> &'static str {
    match code {
        "weak_password" => {
            "Mật khẩu phải có ít nhất 8 ký tự, gồm chữ hoa, chữ thường, chữ số và ký tự đặc biệt."
        }
        "registration_mismatch" => "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư.",
        "already_registered" => "Công dân này đã có tài khoản định danh điện tử.",
        "phone_in_use" => "Số điện thoại này đã được dùng cho tài khoản khác.",
        "invalid_phone" => "Số điện thoại không hợp lệ.",
        "invalid_email" => "Địa chỉ thư điện tử không hợp lệ.",
        "invalid_credentials" => "Số định danh hoặc mật khẩu không đúng.",
        "throttled" => "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau.",
        "account_locked" => "Tài khoản đang bị khóa.",
        "bad_proof" => "Chữ ký của thiết bị không hợp lệ hoặc đồng hồ thiết bị bị lệch.",
        "device_key_revoked" => "Khóa thiết bị này đã bị thu hồi.",
        "device_key_in_use" => "Khóa thiết bị này đang gắn với tài khoản khác.",
        "session_ended" => "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.",
        "invalid_session" => "Bạn chưa đăng nhập.",
        "invalid_officer" => "Thông tin xác thực cán bộ không hợp lệ.",
        "no_account" => "Không có tài khoản với số định danh này.",
        "invalid_field" => "Dữ liệu gửi lên không hợp lệ.",
        "no_such_change" => "Không tìm thấy yêu cầu đổi thiết bị.",
        "invalid_code" => "Mã xác nhận không đúng.",
        "code_expired" => "Mã xác nhận đã hết hạn.",
        "code_used" => "Mã xác nhận đã được sử dụng.",
        "too_many_attempts" => {
            "Nhập sai mã quá nhiều lần. Vui lòng đăng nhập lại trên thiết bị mới."
        }
        "level_too_low" => "Cần tài khoản định danh điện tử mức độ 2.",
        "no_record" => "Không có dữ liệu giấy tờ này trong cơ sở dữ liệu chuyên ngành.",
        "idempotency_key_required" => "Thiếu tiêu đề Idempotency-Key.",
        "idempotency_key_reused" => "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
        "no_kinds" => "Cần chọn ít nhất một loại giấy tờ.",
        "no_document" => "Không tìm thấy giấy tờ.",
        "no_such_list" => "Không có danh sách trạng thái này.",
        "bad_certificate" => "Chứng thư số không phải chứng thư của bên sử dụng dữ liệu hợp lệ.",
        "party_exists" => "Bên sử dụng dữ liệu này đã được đăng ký.",
        "invalid_api_key" => "Khóa truy cập của bên sử dụng dữ liệu không hợp lệ.",
        "grant_rejected" => "Sự đồng ý của công dân không cho phép yêu cầu này.",
        "bad_revocation" => "Văn bản rút lại sự đồng ý không hợp lệ.",
        "malformed_json" => "Nội dung yêu cầu không phải JSON hợp lệ.",
        "body_too_large" => "Nội dung yêu cầu quá lớn.",
        "not_found" => "Không tìm thấy địa chỉ này.",
        "method_not_allowed" => "Địa chỉ này không nhận phương thức đó.",
        "conflict" => "Yêu cầu xung đột với một yêu cầu khác đồng thời. Vui lòng thử lại.",
        _ => "Dịch vụ gặp lỗi; không có gì bị thay đổi.",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "code": self.code,
            "message": vietnamese(self.code),
            "message_en": self.message_en,
        });
        if let (Some(r), Some(map)) = (self.reason, error.as_object_mut()) {
            map.insert("reason".into(), Value::from(r));
        }
        let mut res = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.max(1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cancuoc identity\""),
            );
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "a concurrent request changed the same data; try again",
            ),
            other => Self::internal(&other.to_string()),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        use AccountError as E;
        let (status, code) = match &e {
            E::WeakPassword(_) => (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
            E::RegistrationMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "registration_mismatch"),
            E::AlreadyRegistered => (StatusCode::CONFLICT, "already_registered"),
            E::PhoneInUse => (StatusCode::CONFLICT, "phone_in_use"),
            E::InvalidPhone => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone"),
            E::InvalidEmail => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_email"),
            E::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            E::Throttled { retry_after } => {
                let mut a = Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", e.to_string());
                a.retry_after = Some(*retry_after);
                return a;
            }
            E::Locked => (StatusCode::LOCKED, "account_locked"),
            E::BadProof(_) => (StatusCode::BAD_REQUEST, "bad_proof"),
            E::DeviceKeyRevoked => (StatusCode::FORBIDDEN, "device_key_revoked"),
            E::DeviceKeyInUse => (StatusCode::CONFLICT, "device_key_in_use"),
            E::SessionEnded => (StatusCode::UNAUTHORIZED, "session_ended"),
            E::InvalidSession => (StatusCode::UNAUTHORIZED, "invalid_session"),
            E::InvalidOfficer => (StatusCode::UNAUTHORIZED, "invalid_officer"),
            E::NoAccount => (StatusCode::NOT_FOUND, "no_account"),
            E::BadField(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            E::Store(s) => return s.clone().into(),
        };
        Self::new(status, code, e.to_string())
    }
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        use DeviceError as E;
        let (status, code) = match &e {
            E::NoSuchChange => (StatusCode::NOT_FOUND, "no_such_change"),
            E::InvalidCode { .. } => (StatusCode::UNAUTHORIZED, "invalid_code"),
            E::CodeExpired => (StatusCode::GONE, "code_expired"),
            E::CodeUsed => (StatusCode::GONE, "code_used"),
            E::TooManyAttempts => (StatusCode::GONE, "too_many_attempts"),
            E::Account(_) | E::Store(_) => {
                return match e {
                    E::Account(a) => a.into(),
                    E::Store(s) => s.into(),
                    _ => Self::internal("unreachable"),
                };
            }
        };
        Self::new(status, code, e.to_string())
    }
}

impl From<DocumentsError> for ApiError {
    fn from(e: DocumentsError) -> Self {
        use DocumentsError as E;
        let (status, code) = match &e {
            E::LevelTooLow(_) => (StatusCode::FORBIDDEN, "level_too_low"),
            E::NoRecord(_) => (StatusCode::NOT_FOUND, "no_record"),
            E::IdempotencyKeyRequired => (StatusCode::BAD_REQUEST, "idempotency_key_required"),
            E::IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            E::NoKinds => (StatusCode::BAD_REQUEST, "no_kinds"),
            E::NoDocument => (StatusCode::NOT_FOUND, "no_document"),
            E::Issue(i) => return Self::internal(&format!("issuing: {i}")),
            E::Account(_) | E::Store(_) => {
                return match e {
                    E::Account(a) => a.into(),
                    E::Store(s) => s.into(),
                    _ => Self::internal("unreachable"),
                };
            }
        };
        Self::new(status, code, e.to_string())
    }
}

impl From<ListError> for ApiError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::NoSuchList(_) => {
                Self::new(StatusCode::NOT_FOUND, "no_such_list", e.to_string())
            }
            ListError::Sign(s) => Self::internal(&format!("signing a list: {s}")),
            ListError::Store(s) => s.into(),
        }
    }
}

impl From<PartyError> for ApiError {
    fn from(e: PartyError) -> Self {
        use PartyError as E;
        let (status, code) = match &e {
            E::BadCertificate(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_certificate"),
            E::PartyExists => (StatusCode::CONFLICT, "party_exists"),
            E::InvalidApiKey => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
            E::GrantRejected(_) => (StatusCode::FORBIDDEN, "grant_rejected"),
            E::NoRecord => (StatusCode::NOT_FOUND, "no_record"),
            E::BadRevocation(_) => (StatusCode::BAD_REQUEST, "bad_revocation"),
            E::Account(_) | E::Store(_) => {
                return match e {
                    E::Account(a) => a.into(),
                    E::Store(s) => s.into(),
                    _ => Self::internal("unreachable"),
                };
            }
        };
        let mut a = Self::new(status, code, e.to_string());
        a.reason = e.reason();
        a
    }
}

/// The route table: (method, path, handler). The OpenAPI test walks it.
pub(crate) fn routes() -> Vec<(&'static str, &'static str, MethodRouter<Shared>)> {
    vec![
        ("get", "/health", get(health)),
        ("get", "/openapi.json", get(openapi)),
        ("get", "/v1/trust-list", get(trust_list)),
        ("get", "/v1/status-lists/{n}", get(status_list)),
        ("post", "/v1/accounts", post(register)),
        ("post", "/v1/sessions", post(sign_in)),
        ("delete", "/v1/sessions/current", delete(sign_out)),
        (
            "post",
            "/v1/device-changes/{change_id}/confirm",
            post(confirm_change),
        ),
        ("get", "/v1/account", get(account)),
        ("get", "/v1/messages", get(messages)),
        ("post", "/v1/documents", post(integrate)),
        ("post", "/v1/lock", post(lock)),
        ("get", "/v1/shares", get(shares_log)),
        ("post", "/v1/shares", post(share)),
        ("post", "/v1/grants/revocations", post(revoke_grant)),
        (
            "post",
            "/v1/officer/accounts/{personal_id}/level2",
            post(officer_level2),
        ),
        (
            "post",
            "/v1/officer/accounts/{personal_id}/lock",
            post(officer_lock),
        ),
        (
            "post",
            "/v1/officer/accounts/{personal_id}/unlock",
            post(officer_unlock),
        ),
        (
            "post",
            "/v1/officer/documents/{id}/revoke",
            post(officer_revoke),
        ),
        ("post", "/v1/officer/relying-parties", post(officer_party)),
    ]
}

pub(crate) fn router(svc: Shared) -> axum::Router {
    let mut r = axum::Router::new();
    for (_, path, handler) in routes() {
        r = r.route(path, handler);
    }
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(svc)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take that method",
    )
}

/// Runs a business function on the blocking pool.
async fn blocking<T, E>(
    svc: Shared,
    f: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || f(&svc).map_err(Into::into))
        .await
        .map_err(|e| ApiError::internal(&format!("a worker failed: {e}")))?
}

/// Parses a JSON body: 413 past the limit, 400 when it is not the expected JSON.
fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {MAX_BODY} bytes"),
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        // serde's message names the field and position, never the value.
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

/// An empty body, or `{}`.
fn no_body(body: Result<Bytes, BytesRejection>) -> Result<(), ApiError> {
    let bytes = body.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {MAX_BODY} bytes"),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    json_body::<serde_json::Map<String, Value>>(Ok(bytes)).map(|_| ())
}

fn bearer(headers: &HeaderMap) -> Option<Secret> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(|t| Secret::new(t.trim()))
        .filter(|t| !t.expose().is_empty())
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn citizen_token(headers: &HeaderMap) -> Result<Secret, ApiError> {
    bearer(headers).ok_or_else(|| AccountError::InvalidSession.into())
}

fn officer_token(headers: &HeaderMap) -> Result<Secret, ApiError> {
    bearer(headers).ok_or_else(|| AccountError::InvalidOfficer.into())
}

async fn health(State(s): State<Shared>) -> Json<Value> {
    Json(json!({ "status": "ok", "store": s.store.kind() }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn serve_list(
    s: Shared,
    which: Which,
    headers: HeaderMap,
    media_type: &'static str,
) -> Result<Response, ApiError> {
    let signed = match s.lists.fresh(which, s.now()) {
        Some(l) => l,
        None => blocking(s.clone(), move |svc| svc.lists.get(svc, which)).await?,
    };
    let etag = HeaderValue::from_str(&signed.etag)
        .map_err(|_| ApiError::internal("an ETag that is not a header value"))?;
    let cache = HeaderValue::from_str(&format!("public, max-age={}", lists::MAX_AGE_SECONDS))
        .map_err(|_| ApiError::internal("cache header"))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == signed.etag || t.trim() == "*")
        });
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        signed.bytes.clone(),
    )
        .into_response())
}

async fn trust_list(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    serve_list(s, Which::Trust, headers, TRUST_LIST_MEDIA_TYPE).await
}

async fn status_list(
    State(s): State<Shared>,
    Path(n): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let n: u64 = n
        .parse()
        .map_err(|_| ApiError::from(ListError::NoSuchList(0)))?;
    if n == 0 {
        return Err(ListError::NoSuchList(0).into());
    }
    serve_list(s, Which::Status(n), headers, STATUS_LIST_MEDIA_TYPE).await
}

async fn register(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let r: accounts::Registration = json_body(body)?;
    let key = idempotency_key(&headers);
    let v = blocking(s, move |svc| accounts::register(svc, &r, key.as_deref())).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "personal_id": v.personal_id, "level": v.level })),
    )
        .into_response())
}

async fn sign_in(
    State(s): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let r: accounts::SessionRequest = json_body(body)?;
    match blocking(s, move |svc| accounts::sign_in(svc, &r)).await? {
        SignIn::Active { session, account } => Ok((
            StatusCode::CREATED,
            Json(json!({ "status": "active", "session": session.expose(), "account": account })),
        )
            .into_response()),
        SignIn::ChangePending {
            change_id,
            expires_at,
        } => Ok((
            StatusCode::ACCEPTED,
            Json(json!({
                "status": "device_change_pending",
                "change_id": change_id,
                "expires_at": expires_at,
            })),
        )
            .into_response()),
    }
}

async fn sign_out(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = citizen_token(&headers)?;
    blocking(s, move |svc| accounts::sign_out(svc, token.expose())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn confirm_change(
    State(s): State<Shared>,
    Path(change_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let r: devices::ConfirmRequest = json_body(body)?;
    let (session, account) =
        blocking(s, move |svc| devices::confirm(svc, &change_id, &r.code)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "status": "active", "session": session.expose(), "account": account })),
    )
        .into_response())
}

async fn account(State(s): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let token = citizen_token(&headers)?;
    let v = blocking(s, move |svc| accounts::account(svc, token.expose())).await?;
    Ok(Json(json!(v)))
}

async fn messages(State(s): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let token = citizen_token(&headers)?;
    let m = blocking(s, move |svc| devices::messages(svc, token.expose())).await?;
    Ok(Json(json!({ "messages": m })))
}

async fn integrate(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = citizen_token(&headers)?;
    let r: documents::DocumentsRequest = json_body(body)?;
    let key = idempotency_key(&headers);
    let answer = blocking(s, move |svc| {
        documents::integrate(svc, token.expose(), key.as_deref(), &r)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
}

async fn lock(
    State(s): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let r: accounts::LockRequest = json_body(body)?;
    blocking(s, move |svc| accounts::lock_by_citizen(svc, &r)).await?;
    Ok(Json(json!({ "locked": true })))
}

async fn shares_log(State(s): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let token = citizen_token(&headers)?;
    let list = blocking(s, move |svc| parties::list(svc, token.expose())).await?;
    Ok(Json(json!({ "shares": list })))
}

async fn share(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let key = bearer(&headers).ok_or_else(|| ApiError::from(PartyError::InvalidApiKey))?;
    let r: parties::ShareRequest = json_body(body)?;
    let shared = blocking(s, move |svc| parties::share(svc, key.expose(), &r)).await?;
    Ok(Json(json!(shared)))
}

async fn revoke_grant(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = citizen_token(&headers)?;
    let r: parties::RevocationRequest = json_body(body)?;
    let rec = blocking(s, move |svc| parties::revoke_grant(svc, token.expose(), &r)).await?;
    Ok(Json(json!(rec)))
}

async fn officer_level2(
    State(s): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = officer_token(&headers)?;
    let r: accounts::Level2Request = json_body(body)?;
    let v = blocking(s, move |svc| {
        accounts::upgrade(svc, token.expose(), &pid, &r)
    })
    .await?;
    Ok(Json(json!(v)))
}

async fn officer_set_lock(
    s: Shared,
    pid: String,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    locked: bool,
) -> Result<Json<Value>, ApiError> {
    let token = officer_token(&headers)?;
    no_body(body)?;
    let v = blocking(s, move |svc| {
        accounts::set_locked_by_officer(svc, token.expose(), &pid, locked)
    })
    .await?;
    Ok(Json(json!(v)))
}

async fn officer_lock(
    State(s): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    officer_set_lock(s, pid, headers, body, true).await
}

async fn officer_unlock(
    State(s): State<Shared>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    officer_set_lock(s, pid, headers, body, false).await
}

async fn officer_revoke(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let token = officer_token(&headers)?;
    let r: documents::RevokeRequest = json_body(body)?;
    let v = blocking(s, move |svc| {
        documents::revoke(svc, token.expose(), &id, &r.reason)
    })
    .await?;
    Ok(Json(json!(v)))
}

async fn officer_party(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = officer_token(&headers)?;
    let r: parties::PartyRequest = json_body(body)?;
    let v = blocking(s, move |svc| parties::register(svc, token.expose(), &r)).await?;
    Ok((StatusCode::CREATED, Json(json!(v))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap().get(..3), Some("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        let routes = routes();
        for (method, path, _) in &routes {
            let op = &paths
                .get(*path)
                .unwrap_or_else(|| panic!("{path} is not in openapi.json"))[*method];
            assert!(op.is_object(), "{method} {path} is not in openapi.json");
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
        }
        // And nothing documented that the router does not serve.
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "delete", "put", "patch"].contains(&method.as_str()) {
                    assert!(
                        routes.iter().any(|(m, p, _)| m == method && p == path),
                        "{method} {path} is documented but not routed"
                    );
                }
            }
        }
    }

    #[test]
    fn every_code_has_a_vietnamese_message() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
            ["code"]["enum"]
            .as_array()
            .unwrap();
        for c in codes {
            let c = c.as_str().unwrap();
            if c == "internal" {
                continue;
            }
            assert_ne!(
                vietnamese(c),
                vietnamese("internal"),
                "{c} has no Vietnamese message"
            );
        }
    }
}
