//! Organizer login: argon2 password hash, session cookies, CSRF header, rate-limited attempts.

use crate::error::{ApiResult, AppError};
use crate::state::{AppState, random_32};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use fairdraw_core::hash::Hash32;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "fairdraw_session";
/// Header every state-changing organizer call must carry (a cross-site form cannot set it).
pub const CSRF_HEADER: &str = "x-fairdraw-csrf";
/// Session lifetime: 12 hours.
pub const SESSION_MS: u64 = 12 * 3600 * 1000;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt_bytes = random_32().map_err(AppError::internal)?;
    let salt = SaltString::encode_b64(&salt_bytes[..16]).map_err(AppError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The session token from the cookie header.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Stored form of a session token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Hash32::sha256(token.as_bytes()).0.to_vec()
}

/// Whether the request carries a live session.
pub fn has_session(state: &AppState, headers: &HeaderMap) -> ApiResult<bool> {
    let Some(token) = session_token(headers) else {
        return Ok(false);
    };
    let now = state.now_ms() as i64;
    let found = state.store.read_session(&token_hash(&token), now)?;
    Ok(found)
}

/// Middleware for organizer routes: a session, and the CSRF header on anything but GET.
pub async fn require_organizer(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let headers = req.headers().clone();
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    let checked = tokio::task::spawn_blocking(move || has_session(&state, &headers)).await;
    match checked {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            return axum::response::IntoResponse::into_response(AppError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_REQUIRED",
                "请先以组织方身份登录。",
                "Log in as the organizer first.",
            ));
        }
        Ok(Err(e)) => return axum::response::IntoResponse::into_response(e),
        Err(e) => return axum::response::IntoResponse::into_response(AppError::internal(e)),
    }
    if !is_read && req.headers().get(CSRF_HEADER).is_none() {
        return axum::response::IntoResponse::into_response(AppError::new(
            StatusCode::FORBIDDEN,
            "CSRF_HEADER_MISSING",
            "请求缺少防跨站伪造标头。",
            "The request lacks the anti-CSRF header.",
        ));
    }
    next.run(req).await
}

impl crate::store::Store {
    /// Whether a session with this token hash is live.
    pub fn read_session(&self, hash: &[u8], now_ms: i64) -> Result<bool, AppError> {
        Ok(self.read(|c| crate::db::session_live(c, hash, now_ms as u64))?)
    }
}
