//! fairdraw-server: campaigns, receipt intake, the signed append-only ledger and the draw
//! lifecycle, on SQLite. [`app`] builds the router; `main.rs` runs it.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod limits;
pub mod pg;
pub mod routes;
pub mod shell;
pub mod sql;
pub mod state;
pub mod store;
pub mod witnessing;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use routes::{organizer, public};
use state::AppState;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body: ample for rules with hundreds of merchants and for draw records.
pub const BODY_LIMIT: usize = 1 << 20;
/// Largest receipt submission.
pub const ENTRY_BODY_LIMIT: usize = 4 * 1024;

/// The Content-Security-Policy of everything served.
///
/// `connect-src` adds the two public drand relays, so the live draw screen can fetch the round
/// the rules name; nothing else leaves the origin. `img-src data:` shows the campaign's logo
/// and prize pictures, which the rules carry as data URLs (an SVG shown as an image runs no
/// script); `blob:` lets the shopper's photo of a receipt be read for its QR code, on the
/// phone; QR codes are inline SVG.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https://api.drand.sh https://drand.cloudflare.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The whole HTTP API (and the web app, when `state.dist` is set).
pub fn app(state: AppState) -> Router {
    let campaign = "/api/campaigns/{id}";
    let draw = "/api/campaigns/{id}/draws/{n}";
    let public_api = Router::new()
        .route("/api/server-key", get(public::server_key))
        .route("/api/health", get(public::health))
        .route("/api/campaigns", get(public::list_campaigns))
        .route(campaign, get(public::get_campaign))
        .route(
            &format!("{campaign}/entries"),
            post(public::submit_entry).layer(DefaultBodyLimit::max(ENTRY_BODY_LIMIT)),
        )
        .route(
            &format!("{campaign}/tickets/recover"),
            post(public::recover_tickets).layer(DefaultBodyLimit::max(ENTRY_BODY_LIMIT)),
        )
        .route(
            &format!("{campaign}/tickets/{{ticket}}"),
            get(public::ticket_status),
        )
        .route(&format!("{campaign}/witnesses"), get(public::witnesses))
        .route(
            &format!("{campaign}/journal/checkpoint"),
            get(public::journal_checkpoint),
        )
        .route(&format!("{draw}/ledger"), get(public::ledger))
        .route(&format!("{draw}/tree-head"), get(public::tree_head))
        .route(&format!("{draw}/checkpoint"), get(public::checkpoint))
        .route(&format!("{draw}/proof/{{index}}"), get(public::proof))
        .route(&format!("{draw}/consistency"), get(public::consistency))
        .route(&format!("{draw}/record"), get(public::record))
        .route(&format!("{draw}/bundle"), get(public::bundle))
        .route("/api/organizer/login", post(organizer::login))
        .route("/api/organizer/logout", post(organizer::logout));

    let ocampaign = "/api/organizer/campaigns/{id}";
    let odraw = "/api/organizer/campaigns/{id}/draws/{n}";
    let organizer_api = Router::new()
        .route("/api/organizer/session", get(organizer::session))
        .route("/api/organizer/audit", get(organizer::audit))
        .route(
            "/api/organizer/campaigns",
            get(organizer::list_campaigns).post(organizer::create_campaign),
        )
        .route(
            ocampaign,
            get(organizer::get_campaign).put(organizer::update_campaign),
        )
        .route(
            &format!("{ocampaign}/merchants"),
            post(organizer::import_merchants),
        )
        .route(&format!("{ocampaign}/open"), post(organizer::open_campaign))
        .route(
            &format!("{odraw}/commitments"),
            post(organizer::add_commitment),
        )
        .route(&format!("{odraw}/freeze"), post(organizer::freeze))
        .route(&format!("{odraw}/reveals"), post(organizer::add_reveal))
        .route(&format!("{odraw}/openings"), post(organizer::openings))
        .route(&format!("{odraw}/record"), post(organizer::submit_record))
        .route(&format!("{odraw}/publish"), post(organizer::publish))
        .route(&format!("{odraw}/forfeit"), post(organizer::forfeit))
        .route(&format!("{odraw}/contacts"), get(organizer::contacts))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_organizer,
        ));

    let mut router = public_api
        .merge(organizer_api)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(json_errors))
        .method_not_allowed_fallback(|| async {
            error::AppError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "不支持这种请求方法。",
                "Method not allowed.",
            )
        })
        .fallback(|| async { error::AppError::not_found("该地址", "address") });
    if let Some(dist) = state.dist.clone() {
        // Hashed assets never change; index.html always revalidates.
        // Client-side routes get index.html with the campaign in it (shell.rs).
        let shell_state = state.clone();
        let shell =
            axum::handler::HandlerWithoutStateExt::into_service(move |uri: axum::http::Uri| {
                let state = shell_state.clone();
                async move { shell::index(state, uri.path()).await }
            });
        let assets = ServeDir::new(&dist)
            .precompressed_gzip()
            .append_index_html_on_directories(false)
            .fallback(shell);
        router = router
            .fallback_service(assets)
            .layer(middleware::from_fn(cache_headers));
    }
    let h = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(h(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(h(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(h(header::REFERRER_POLICY, "no-referrer"))
        .layer(h(header::X_FRAME_OPTIONS, "DENY"))
        .layer(tower::util::option_layer(state.secure_cookies.then(|| {
            // Served over https (behind its proxy): browsers keep to https for a year.
            h(
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=31536000; includeSubDomains",
            )
        })))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Bounds on connections: how many at once, how long a client may take to send a request's
/// headers (also the idle time allowed between requests on a kept-alive connection), and how
/// long a request may take to be answered.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Open connections at most; past it, a connection gets 503 and is closed.
    pub max_connections: usize,
    /// Headers must arrive within this, from the moment the server waits for them.
    pub header_timeout: std::time::Duration,
    /// A response must be ready within this (408 otherwise). The freeze and the record wait
    /// for witnesses up to `--witness-timeout`, so this is longer.
    pub request_timeout: std::time::Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 4_096,
            header_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// Serves the app on `listener` until `shutdown` completes, with [`ConnLimits::default`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ConnLimits::default(), shutdown).await
}

/// The answer to a connection over the cap: written raw, then the connection is closed.
const OVER_CAPACITY: &str = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 155\r\n\r\n{\"code\":\"SERVER_BUSY\",\"message_zh\":\"服务器繁忙，请 1 秒后再试。\",\"message_en\":\"The server is busy; please try again in 1 s.\",\"retry_after_s\":1}";

/// Serves the app on `listener` until `shutdown` completes: HTTP/1.1 with keep-alive, client
/// addresses available to handlers, the bounds of `limits`, and a graceful end (requests in
/// flight finish, for at most 10 s).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;
    // The witness submitter runs beside the requests, never inside a shopper's.
    let submitter = tokio::spawn(witnessing::run(state.clone()));
    // Rate-limit state forgets clients whose allowance has refilled: memory follows recent
    // clients, not every address ever seen.
    let rl = state.limits.clone();
    let shrinker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            rl.shrink();
        }
    });
    let router = app(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(json_errors));
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors (or another transient failure): the connections
                    // open now still get answers; try again shortly rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(1),
                    stream.write_all(OVER_CAPACITY.as_bytes()),
                )
                .await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = router
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            tower::ServiceExt::oneshot(svc.clone(), req.map(axum::body::Body::new))
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    submitter.abort();
    shrinker.abort();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// Every API error is JSON (`{"code", "message_zh", "message_en"}`), also the ones made by
/// layers rather than handlers (a body over the limit, a request that timed out); the status
/// and `Retry-After` are kept.
pub async fn json_errors(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (code, zh, en) = match status.as_u16() {
        408 => (
            "REQUEST_TIMEOUT",
            "请求处理超时，请重试。".to_owned(),
            "The request took too long; please retry.".to_owned(),
        ),
        413 => (
            "BODY_TOO_LARGE",
            "提交的内容过大。".to_owned(),
            "The request body is too large.".to_owned(),
        ),
        415 => (
            "JSON_REQUIRED",
            "请以 JSON 格式提交（Content-Type: application/json）。".to_owned(),
            "Send JSON (Content-Type: application/json).".to_owned(),
        ),
        s => (
            "HTTP_ERROR",
            format!("请求未能完成（HTTP {s}）。"),
            format!("The request could not be completed (HTTP {s})."),
        ),
    };
    let mut e = error::AppError::new(status, code, zh, en);
    e.retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    axum::response::IntoResponse::into_response(e)
}

async fn cache_headers(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    // The web app's fallback (index.html, for its client-side routes) must not answer an API
    // address or a missing hashed asset: the first is a JSON 404, the second a 404 that is not
    // cached for a year as that asset.
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html && (path.starts_with("/api/") || (is_hashed_asset(&path) && !path.ends_with(".html"))) {
        let mut r = axum::response::IntoResponse::into_response(error::AppError::not_found(
            "该地址",
            "address",
        ));
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    if path.starts_with("/api/") {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if is_hashed_asset(&path) {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    resp
}

/// Trunk names built assets `name-<16 hex>.ext` (or `…_bg.wasm`).
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("").trim_end_matches("_bg");
    stem.rsplit('-')
        .next()
        .is_some_and(|h| h.len() >= 15 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_assets() {
        assert!(super::is_hashed_asset(
            "/fairdraw-web-547a1821681a92e_bg.wasm"
        ));
        assert!(super::is_hashed_asset("/style-85c3bd3bd6a1b636.css"));
        assert!(!super::is_hashed_asset("/index.html"));
        assert!(!super::is_hashed_asset("/verify"));
    }
}
