//! fairdraw-server: campaigns, receipt intake, the signed append-only ledger and the draw
//! lifecycle, on SQLite. [`app`] builds the router; `main.rs` runs it.
#![forbid(unsafe_code)]

pub mod auth;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod limits;
pub mod routes;
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
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body: ample for rules with hundreds of merchants and for draw records.
pub const BODY_LIMIT: usize = 1 << 20;
/// Largest receipt submission.
pub const ENTRY_BODY_LIMIT: usize = 4 * 1024;

/// The Content-Security-Policy of everything served.
///
/// `connect-src` adds the two public drand relays, so the live draw screen can fetch the round
/// the rules name; nothing else leaves the origin. `img-src data:` is not needed (QR codes are
/// inline SVG).
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https://api.drand.sh https://drand.cloudflare.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The whole HTTP API (and the web app, when `state.dist` is set).
pub fn app(state: AppState) -> Router {
    let campaign = "/api/campaigns/{id}";
    let draw = "/api/campaigns/{id}/draws/{n}";
    let public_api = Router::new()
        .route("/api/server-key", get(public::server_key))
        .route("/api/campaigns", get(public::list_campaigns))
        .route(campaign, get(public::get_campaign))
        .route(
            &format!("{campaign}/entries"),
            post(public::submit_entry).layer(DefaultBodyLimit::max(ENTRY_BODY_LIMIT)),
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
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    if let Some(dist) = state.dist.clone() {
        // Hashed assets never change; index.html always revalidates.
        let assets = ServeDir::new(&dist)
            .precompressed_gzip()
            .fallback(ServeFile::new(dist.join("index.html")));
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
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes (client addresses available to
/// handlers, for the login rate limit).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The witness submitter runs beside the requests, never inside a shopper's.
    let submitter = tokio::spawn(witnessing::run(state.clone()));
    // Rate-limit state forgets clients whose allowance has refilled: memory follows recent
    // clients, not every address ever seen.
    let limits = state.limits.clone();
    let shrinker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            limits.shrink();
        }
    });
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    submitter.abort();
    shrinker.abort();
    served
}

async fn cache_headers(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
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
