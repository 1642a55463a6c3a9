//! The web app's HTML, with the campaign in it: a shopper on a slow network reads the
//! campaign (its name, organizer, the cars, the threshold, the entry windows and the next
//! draw) before the wasm arrives, and a link shared in WeChat shows the campaign's card (Open
//! Graph). The app then takes the page over.

use crate::error::{ApiResult, AppError};
use crate::state::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fairdraw_core::rules::CampaignRules;

/// What Trunk's `index.html` shows until the app loads; the campaign goes in its place.
const BOOT_MARKER: &str = "<p>正在载入… Loading…</p>";

/// HTML-escapes text for an element or a double-quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The one-line description of a campaign, for search results and share cards.
pub fn description(r: &CampaignRules) -> String {
    let cars: usize = r.draws.iter().map(|d| d.prizes.len()).sum();
    format!(
        "单笔消费满 {} 元，登记小票参与抽奖，共 {cars} 个大奖；{} 至 {}，{} 期开奖，过程公开、人人可验证。",
        r.threshold_fen.to_string().trim_end_matches(".00"),
        r.entry_start,
        r.entry_end,
        r.draws.len()
    )
}

/// The page with `r` in it: title, description and Open Graph tags in the head, and the
/// campaign's summary where the app will render.
pub fn render(index: &str, r: &CampaignRules, now_ms: u64) -> String {
    let title = esc(&r.name_zh);
    let desc = esc(&description(r));
    // `application-name` also tells the app's header the campaign's name in both languages,
    // without another request.
    let head = format!(
        "<meta name=\"application-name\" content=\"{title}\" data-en=\"{}\" />\n    \
         <meta name=\"description\" content=\"{desc}\" />\n    \
         <meta property=\"og:type\" content=\"website\" />\n    \
         <meta property=\"og:title\" content=\"{title}\" />\n    \
         <meta property=\"og:description\" content=\"{desc}\" />\n    \
         <meta property=\"og:site_name\" content=\"{}\" />\n  </head>",
        esc(&r.name_en),
        esc(&r.organizer)
    );
    let cars: usize = r.draws.iter().map(|d| d.prizes.len()).sum();
    let next = r
        .draws
        .iter()
        .find(|d| d.closes_at_ms() > now_ms)
        .or(r.draws.last());
    let mut boot = format!(
        "<h1 class=\"boot-campaign\">{title}</h1>\n      <p class=\"boot-org\">{}</p>\n      \
         <p class=\"boot-offer\">{cars} 辆汽车等您来拿 · 单笔消费满 ¥{} 即可登记</p>\n      \
         <p>活动时间 {} — {}</p>\n",
        esc(&r.organizer),
        r.threshold_fen,
        r.entry_start,
        r.entry_end
    );
    if let Some(d) = next {
        boot.push_str(&format!(
            "      <p>{}：登记至 {}</p>\n",
            esc(&d.name),
            d.entry_end
        ));
    }
    boot.push_str("      <p class=\"boot-loading\">正在载入… Loading…</p>");
    index
        .replacen(
            "<title>公平抽奖 fairdraw</title>",
            &format!("<title>{title} · 公平抽奖</title>"),
            1,
        )
        .replacen("</head>", &head, 1)
        .replacen(BOOT_MARKER, &boot, 1)
}

/// Whether `path` is one of the organizer's pages, which the organizer's bundle serves.
pub fn is_organizer_path(path: &str) -> bool {
    path == "/organizer" || path.starts_with("/organizer/") || path.starts_with("/print/")
}

/// Whether `path` is one of the verifier's pages, which the verifier's bundle serves.
pub fn is_verify_path(path: &str) -> bool {
    path == "/verify" || path.starts_with("/verify/")
}

/// The organizer's app, built apart from the shoppers' (scripts/build-web.sh).
pub const ORGANIZER_APP: &str = "organizer-app";

/// The verifier's app, built apart from the shoppers' (scripts/build-web.sh).
pub const VERIFY_APP: &str = "verify-app";

/// `GET` of any page of the web app: for the organizer's pages the organizer's bundle
/// (`organizer-app/index.html`), as it is; for the verifier's the verifier's
/// (`verify-app/index.html`), else `index.html`, with the first open campaign in it (as is when
/// there is none).
pub async fn index(state: AppState, path: &str) -> ApiResult<Response> {
    let Some(dist) = state.dist.clone() else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    // An app's own folder (`/verify-app/`, which the service worker caches) is its page too.
    let own = |app: &str| path.strip_prefix('/').and_then(|p| p.strip_prefix(app)) == Some("/");
    let app = if is_organizer_path(path) || own(ORGANIZER_APP) {
        Some(ORGANIZER_APP)
    } else if is_verify_path(path) || own(VERIFY_APP) {
        Some(VERIFY_APP)
    } else {
        None
    };
    let file = match app.map(|a| dist.join(a).join("index.html")) {
        Some(p) if tokio::fs::try_exists(&p).await.unwrap_or(false) => p,
        _ => dist.join("index.html"),
    };
    if app == Some(ORGANIZER_APP) {
        let page = tokio::fs::read_to_string(&file)
            .await
            .map_err(AppError::internal)?;
        return Ok(html(page));
    }
    served_page(&state, &file).await.map(html)
}

/// The pages last served with the campaign in them (by file, with when they were made, server
/// ms), and a count of the organizer's writes: a page made before a write is never kept after
/// it, so a page served after a freeze or a publication shows it.
#[derive(Debug, Default)]
pub struct Served {
    writes: u64,
    pages: std::collections::HashMap<std::path::PathBuf, (u64, String)>,
}

impl Served {
    /// Forgets the pages: the organizer changed something.
    pub fn changed(&mut self) {
        self.writes += 1;
        self.pages.clear();
    }
}

/// How long a served page is reused.
const SERVED_FOR_MS: u64 = 1_000;

/// The page in `file` with the first open campaign in it (as is when none is open), made at
/// most once a [`SERVED_FOR_MS`] however many views come: the file, the campaign list and the
/// campaign's answer (`GET /api/campaigns/{id}`) are not read again for every view.
async fn served_page(state: &AppState, file: &std::path::Path) -> ApiResult<String> {
    let now = state.now_ms();
    let writes = {
        let served = state.served_pages.lock().map_err(AppError::internal)?;
        if let Some((at, page)) = served.pages.get(file) {
            if now.saturating_sub(*at) < SERVED_FOR_MS {
                return Ok(page.clone());
            }
        }
        served.writes
    };
    let mut page = tokio::fs::read_to_string(file)
        .await
        .map_err(AppError::internal)?;
    // The first open campaign, as `/api/campaigns` lists them.
    let ids = crate::routes::public::read(state, crate::db::campaign_ids).await?;
    for id in ids {
        if let Ok(row) = state.campaign_cached(&id).await {
            if row.state == "open" {
                let data = crate::routes::public::campaign_json(state, &id, false)
                    .await?
                    .to_string();
                page = with_campaign_data(&render(&page, &row.rules, now), &data);
                break;
            }
        }
    }
    if let Ok(mut served) = state.served_pages.lock() {
        if served.writes == writes {
            served.pages.insert(file.to_owned(), (now, page.clone()));
        }
    }
    Ok(page)
}

/// The page with the campaign's API answer in it (`<script type="application/json"
/// id="fairdraw-campaign">`, data the browser does not run), so the app's first render shows
/// the campaign instead of a loading line and two requests. `<` is written `\u003c`, so no
/// text in the rules can end the element.
pub fn with_campaign_data(page: &str, json: &str) -> String {
    let data = json.replace('<', "\\u003c");
    page.replacen(
        "</body>",
        &format!(
            "<script type=\"application/json\" id=\"fairdraw-campaign\">{data}</script>\n  </body>"
        ),
        1,
    )
}

fn html(page: String) -> Response {
    let mut resp = page.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_campaign_is_in_the_page_escaped() {
        let mut r = fairdraw_core::demo::demo_rules(
            [0; 32],
            fairdraw_core::civil::CivilDate::new(2026, 12, 10).expect("date"),
        );
        r.name_zh = "爱达州<script>alert(1)</script>".into();
        let index = "<html><head><title>公平抽奖 fairdraw</title></head><body><div id=\"boot\"><p>正在载入… Loading…</p></div></body></html>";
        let page = render(index, &r, 0);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("爱达州&lt;script&gt;"));
        assert!(page.contains("og:title"));
        assert!(page.contains("<meta name=\"application-name\" content=\"爱达州&lt;script&gt;"));
        assert!(page.contains("6 辆汽车等您来拿 · 单笔消费满 ¥500.00"));
        assert!(page.contains("第一期：登记至 2026-12-31"));
        assert_eq!(
            render("<html>no markers</html>", &r, 0),
            "<html>no markers</html>"
        );
        assert!(
            is_organizer_path("/organizer") && is_organizer_path("/organizer/dazhou-2026/0/live")
        );
        assert!(
            is_organizer_path("/print/dazhou-2026/1") && !is_organizer_path("/organizers-guide")
        );
        assert!(!is_organizer_path("/enter"));
        assert!(is_verify_path("/verify") && is_verify_path("/verify/dazhou-2026/1"));
        assert!(!is_verify_path("/verifying") && !is_verify_path("/enter"));
        // The campaign's answer rides in the page as data; nothing in it can close the element.
        let json = serde_json::json!({ "name": "</script><script>alert(1)</script>" }).to_string();
        let page = with_campaign_data("<html><body><p>x</p></body></html>", &json);
        assert!(!page.contains("</script><script>alert"), "{page}");
        let inner = page
            .split("id=\"fairdraw-campaign\">")
            .nth(1)
            .and_then(|t| t.split("</script>").next())
            .expect("the data element");
        let back: serde_json::Value = serde_json::from_str(inner).expect("still JSON");
        assert_eq!(back["name"], "</script><script>alert(1)</script>");
    }
}
