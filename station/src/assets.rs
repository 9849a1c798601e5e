//! The page and its assets, compiled into the binary (`include_str!`): no CDN, no build step,
//! nothing for the clinic to install. The Content-Security-Policy lets the page talk only to
//! its own station.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../assets/index.html");
const CSS: &str = include_str!("../assets/station.css");
const JS: &str = include_str!("../assets/station.js");
/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("../assets/openapi.json");

/// Scripts, styles, fetches and images from the station itself only; the camera's stream.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

pub async fn openapi() -> Response {
    asset("application/json", OPENAPI)
}
