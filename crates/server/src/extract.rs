//! A JSON body extractor whose rejections use the API's error shape.

use crate::error::AppError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

/// Like `axum::Json`, but a body that is too large, not JSON, or of the wrong shape (unknown
/// fields included) is answered with `{"code", "message_zh", "message_en"}`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "BODY_TOO_LARGE",
                    "提交的内容过大。",
                    "The request body is too large.",
                ),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "JSON_REQUIRED",
                    "请以 JSON 格式提交（Content-Type: application/json）。",
                    "Send JSON (Content-Type: application/json).",
                ),
                StatusCode::UNPROCESSABLE_ENTITY => AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "JSON_SHAPE",
                    format!("提交的字段不正确：{}", rejection.body_text()),
                    format!("Wrong fields: {}", rejection.body_text()),
                ),
                _ => AppError::bad_request("JSON_SYNTAX", rejection.body_text()),
            }),
        }
    }
}

/// The peer's socket address, when the server was started with connect info (never a
/// rejection: requests driven through the router in tests have none).
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}
