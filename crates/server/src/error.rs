//! The one error type of the HTTP API: a status, a stable code, Chinese and English messages,
//! and the field it concerns. Internal causes are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fairdraw_core::message::Coded;
use serde_json::json;

/// An API error: `{"code", "message_zh", "message_en", "field"?}` with a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Chinese message.
    pub message_zh: String,
    /// English message.
    pub message_en: String,
    /// The input field, where one is at fault.
    pub field: Option<&'static str>,
    /// Seconds after which a retry may succeed (429, 503): sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl AppError {
    /// An error with both messages.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AppError {
            status,
            code,
            message_zh: zh.into(),
            message_en: en.into(),
            field: None,
            retry_after: None,
        }
    }

    /// The same error, telling the client when to retry (`Retry-After`, and `retry_after_s` in
    /// the body).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 503: the server is at its bound for this kind of work; retry shortly.
    pub fn busy(code: &'static str, seconds: u64) -> Self {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            format!("服务器繁忙，请 {seconds} 秒后再试。"),
            format!("The server is busy; please try again in {seconds} s."),
        )
        .retry_after(seconds)
    }

    /// 503: the database could not be reached or the write was not committed; nothing was
    /// stored, and a retry shortly may succeed.
    pub fn unavailable() -> Self {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "STORE_UNAVAILABLE",
            "暂时无法保存，请稍后再试（本次提交未保存）。",
            "Could not be saved just now; please try again (nothing was stored).",
        )
        .retry_after(2)
    }

    /// The same error, naming a field.
    pub fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// A coded core outcome with a status.
    pub fn coded(status: StatusCode, c: &impl Coded) -> Self {
        AppError::new(status, c.code(), c.message_zh(), c.message_en())
    }

    /// 404.
    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        AppError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("找不到{what_zh}。"),
            format!("No such {what_en}."),
        )
    }

    /// 409 for a lifecycle step out of order.
    pub fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::new(StatusCode::CONFLICT, code, zh, en)
    }

    /// 400 for a request that does not parse.
    pub fn bad_request(code: &'static str, detail: impl std::fmt::Display) -> Self {
        AppError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("请求格式不正确：{detail}"),
            format!("Malformed request: {detail}"),
        )
    }

    /// 500: the cause is logged here, and the client sees only that something failed.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "服务器出错，请稍后再试。",
            "Server error; please try again.",
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message_zh": self.message_zh, "message_en": self.message_en });
        if let Some(f) = self.field {
            body["field"] = json!(f);
        }
        if let Some(s) = self.retry_after {
            body["retry_after_s"] = json!(s);
            return (
                self.status,
                [(axum::http::header::RETRY_AFTER, s.to_string())],
                Json(body),
            )
                .into_response();
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::sql::Error> for AppError {
    /// The database out of reach (down, restarting, every connection busy) is 503 with a
    /// retry; anything else it says is a 500.
    fn from(e: crate::sql::Error) -> Self {
        if e.is_unavailable() {
            tracing::warn!(%e, "database unavailable");
            AppError::unavailable()
        } else {
            AppError::internal(e)
        }
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, AppError>;
