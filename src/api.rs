//! Calls to fairdraw-server. Every request goes through [`request`], which maps failures to one
//! typed, renderable error carrying the server's stable code and both messages.

use fairdraw_core::rules::CampaignRules;
use gloo::net::http::{Request, Response};
use serde::Deserialize;
use serde_json::Value;

/// An API failure, as the server described it (or as the network did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (0 when the server was not reached).
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub message_zh: String,
    /// English message.
    pub message_en: String,
}

impl ApiError {
    /// A failure found in the browser (an answer that does not check out), not by the server.
    pub fn local(code: &str, e: impl std::fmt::Display) -> Self {
        ApiError {
            status: 0,
            code: code.into(),
            message_zh: format!("本机校验失败：{e}"),
            message_en: format!("Check failed here: {e}"),
        }
    }

    fn network(e: impl std::fmt::Display) -> Self {
        ApiError {
            status: 0,
            code: "NETWORK".into(),
            message_zh: format!("无法连接服务器：{e}"),
            message_en: format!("Cannot reach the server: {e}"),
        }
    }
}

async fn finish(resp: Result<Response, gloo::net::Error>) -> Result<Value, ApiError> {
    let resp = resp.map_err(ApiError::network)?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    Err(ApiError {
        status,
        code: if body["code"].is_string() {
            text("code")
        } else {
            format!("HTTP_{status}")
        },
        message_zh: text("message_zh"),
        message_en: text("message_en"),
    })
}

/// `GET` a JSON document.
pub async fn get(path: &str) -> Result<Value, ApiError> {
    finish(Request::get(path).send().await).await
}

/// `POST` a JSON body.
pub async fn post(path: &str, body: &Value) -> Result<Value, ApiError> {
    let req = Request::post(path).json(body).map_err(ApiError::network)?;
    finish(req.send().await).await
}

/// A campaign as the server publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Its id.
    pub id: String,
    /// Its rules.
    pub rules: CampaignRules,
    /// The rules hash the server publishes (the browser recomputes it to compare).
    pub published_hash: Option<String>,
}

/// The first open campaign.
pub async fn current_campaign() -> Result<Campaign, ApiError> {
    let list = get("/api/campaigns").await?;
    let id = list["campaigns"][0]["id"]
        .as_str()
        .ok_or_else(|| ApiError::network("no open campaign"))?
        .to_owned();
    let view = get(&format!("/api/campaigns/{id}")).await?;
    let rules = CampaignRules::deserialize(&view["rules"]).map_err(ApiError::network)?;
    let published_hash = view["rules_hash"].as_str().map(str::to_owned);
    Ok(Campaign {
        id,
        rules,
        published_hash,
    })
}
