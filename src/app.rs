//! The app shell: routes (yew-router), header with the language toggle, and the shopper nav.
//! The live draw screen and the print view take the whole page, without the shell.

use crate::components::lang_toggle::LangToggle;
use crate::i18n::Lang;
use crate::pages::enter::EnterPage;
use crate::pages::home::HomePage;
use crate::pages::results::ResultsPage;
use crate::pages::rules::RulesPage;
use yew::prelude::*;
use yew_router::prelude::*;

const LANG_KEY: &str = "fairdraw.lang";

/// Every page's address.
#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    /// Campaign home.
    #[at("/")]
    Home,
    /// The receipt form and the tickets on this phone.
    #[at("/enter")]
    Enter,
    /// Winners and alternates of each published draw.
    #[at("/results")]
    Results,
    /// The rules and their hash.
    #[at("/rules")]
    Rules,
    /// The auditor's verifier, from files.
    #[at("/verify")]
    Verify,
    /// The auditor's verifier, loading a published draw from this server.
    #[at("/verify/:campaign/:draw")]
    VerifyDraw {
        /// Campaign id.
        campaign: String,
        /// Draw index.
        draw: u32,
    },
    /// Organizer login and console.
    #[at("/organizer")]
    Organizer,
    /// New campaign.
    #[at("/organizer/setup")]
    Setup,
    /// Seed ceremony for one party.
    #[at("/organizer/:campaign/:draw/ceremony")]
    Ceremony {
        /// Campaign id.
        campaign: String,
        /// Draw index.
        draw: u32,
    },
    /// The live draw on the projector.
    #[at("/organizer/:campaign/:draw/live")]
    Live {
        /// Campaign id.
        campaign: String,
        /// Draw index.
        draw: u32,
    },
    /// Forfeits and prize-claim export.
    #[at("/organizer/:campaign/:draw/winners")]
    Winners {
        /// Campaign id.
        campaign: String,
        /// Draw index.
        draw: u32,
    },
    /// Printable posters, one per shop, whose QR code chooses the shop.
    #[at("/organizer/:campaign/posters")]
    Posters {
        /// Campaign id.
        campaign: String,
    },
    /// The draw record, for the notary's file.
    #[at("/print/:campaign/:draw")]
    Print {
        /// Campaign id.
        campaign: String,
        /// Draw index.
        draw: u32,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Which pages a bundle holds: the shopper's bundle the shoppers' pages only, the verifier's
/// bundle those and the verifier, the organizer's bundle every page. A route the bundle lacks
/// is loaded from the server (whose HTML for a verifier's or an organizer's address loads that
/// bundle).
pub type Pages = fn(&Route, Lang) -> Option<Html>;

/// The shopper's app (the main bundle): the public pages.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <Shell pages={public_page as Pages} />
        </BrowserRouter>
    }
}

/// The verifier's app (its own bundle, loaded for `/verify…`): the shoppers' pages and the
/// verifier, whose record and proof checks stay out of the bundle every shopper downloads.
#[function_component(VerifyApp)]
pub fn verify_app() -> Html {
    html! {
        <BrowserRouter>
            <Shell pages={verify_page as Pages} />
        </BrowserRouter>
    }
}

/// The organizer's app (its own bundle, loaded for `/organizer…` and `/print/…`): every page.
#[function_component(OrganizerApp)]
pub fn organizer_app() -> Html {
    html! {
        <BrowserRouter>
            <Shell pages={any_page as Pages} />
        </BrowserRouter>
    }
}

fn public_page(route: &Route, l: Lang) -> Option<Html> {
    Some(match route.clone() {
        Route::Home => html! { <HomePage lang={l} /> },
        Route::Enter => html! { <EnterPage lang={l} /> },
        Route::Results => html! { <ResultsPage lang={l} /> },
        Route::Rules => html! { <RulesPage lang={l} /> },
        Route::NotFound => html! {
            <div class="page">
                <h2>{ l.t("找不到这个页面", "Page not found") }</h2>
                <Link<Route> to={Route::Home}>{ l.t("返回首页", "Back to the campaign") }</Link<Route>>
            </div>
        },
        _ => return None,
    })
}

fn verify_page(route: &Route, l: Lang) -> Option<Html> {
    use crate::pages::verify::VerifyPage;
    Some(match route.clone() {
        Route::Verify => html! { <VerifyPage lang={l} /> },
        Route::VerifyDraw { campaign, draw } => {
            html! { <VerifyPage lang={l} server={Some((AttrValue::from(campaign), draw))} /> }
        }
        other => return public_page(&other, l),
    })
}

fn any_page(route: &Route, l: Lang) -> Option<Html> {
    use crate::pages::live::LivePage;
    use crate::pages::organizer::{CeremonyPage, OrganizerPage, WinnersPage};
    use crate::pages::print::PrintPage;
    use crate::pages::setup::SetupPage;
    Some(match route.clone() {
        Route::Organizer => html! { <OrganizerPage lang={l} /> },
        Route::Setup => html! { <SetupPage lang={l} /> },
        Route::Ceremony { campaign, draw } => {
            html! { <CeremonyPage lang={l} campaign={campaign} draw={draw} /> }
        }
        Route::Live { campaign, draw } => {
            html! { <LivePage lang={l} campaign={campaign} draw={draw} /> }
        }
        Route::Winners { campaign, draw } => {
            html! { <WinnersPage lang={l} campaign={campaign} draw={draw} /> }
        }
        Route::Print { campaign, draw } => {
            html! { <PrintPage lang={l} campaign={campaign} draw={draw} /> }
        }
        Route::Posters { campaign } => {
            html! { <crate::pages::posters::PostersPage lang={l} campaign={campaign} /> }
        }
        other => return verify_page(&other, l),
    })
}

/// A page this bundle does not hold: the server's page for that address, loaded whole.
fn elsewhere(l: Lang) -> Html {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    if let Some(w) = web_sys::window() {
        // Once: the server answers an organizer's address with the organizer's bundle.
        let key = format!("fairdraw.reload.{path}");
        let storage = w.session_storage().ok().flatten();
        let tried = storage
            .as_ref()
            .and_then(|s| s.get_item(&key).ok().flatten())
            .is_some();
        if let Some(s) = &storage {
            if tried {
                // Reloaded and still here (offline, say): the link, and a reload next time.
                let _ = s.remove_item(&key);
            } else {
                let _ = s.set_item(&key, "1");
                let _ = w.location().reload();
            }
        }
    }
    html! {
        <div class="page">
            <p class="note" aria-busy="true">{ l.t("正在打开……", "Opening…") }</p>
            <a href={path}>{ l.t("打开", "Open") }</a>
        </div>
    }
}

/// The campaign's names (Chinese, English) from the served page's `application-name`.
fn served_campaign_name() -> Option<(String, String)> {
    let meta = web_sys::window()?
        .document()?
        .query_selector("meta[name=application-name]")
        .ok()??;
    let zh = meta
        .get_attribute("content")
        .filter(|s| !s.trim().is_empty())?;
    Some((zh, meta.get_attribute("data-en").unwrap_or_default()))
}

/// A page's name for the window title.
fn page_title(route: &Route, l: Lang) -> &'static str {
    match route {
        Route::Home => l.t("活动", "Campaign"),
        Route::Enter => l.t("登记小票", "Enter a receipt"),
        Route::Results => l.t("中奖结果", "Results"),
        Route::Rules => l.t("规则与哈希", "Rules and hash"),
        Route::Verify | Route::VerifyDraw { .. } => l.t("验证抽奖", "Verify a draw"),
        Route::Organizer | Route::Setup => l.t("组织方", "Organizer"),
        Route::Ceremony { .. } => l.t("种子仪式", "Seed ceremony"),
        Route::Live { .. } => l.t("现场开奖", "Live draw"),
        Route::Winners { .. } => l.t("中奖管理", "Winners"),
        Route::Print { .. } => l.t("抽奖记录", "Draw record"),
        Route::Posters { .. } => l.t("商户海报", "Shop posters"),
        Route::NotFound => l.t("找不到这个页面", "Page not found"),
    }
}

#[derive(Properties)]
struct ShellProps {
    pages: Pages,
}

impl PartialEq for ShellProps {
    fn eq(&self, other: &Self) -> bool {
        // Each app passes one function for its life; comparing addresses is enough here.
        std::ptr::fn_addr_eq(self.pages, other.pages)
    }
}

/// Header, nav and the routed page.
#[function_component(Shell)]
fn shell(props: &ShellProps) -> Html {
    let pages = props.pages;
    let page = |route: &Route, l: Lang| pages(route, l).unwrap_or_else(|| elsewhere(l));
    let lang = use_state(|| {
        crate::storage::get::<String>(LANG_KEY)
            .map(|c| Lang::from_code(&c))
            .unwrap_or_default()
    });
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |next: Lang| {
            // Storage can be full or disabled (private mode); the toggle still works.
            crate::storage::set(LANG_KEY, next.code());
            lang.set(next);
        })
    };
    use_effect_with((), |_| {
        // For the first-render figure in BENCHMARKS.md.
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("fairdraw-app-rendered");
        }
    });
    // The campaign's name as the server put it in the page (`application-name`): the header
    // and the window title say whose draw this is; without it, the product's name.
    let campaign = use_memo((), |_| served_campaign_name());
    let l = *lang;
    let lang_attr = if l == Lang::Zh { "zh-CN" } else { "en" };
    let name: String = match &*campaign {
        Some((zh, en)) => l.t(zh, if en.is_empty() { zh } else { en }).to_owned(),
        None => l.t("公平抽奖", "fairdraw").to_owned(),
    };
    // The document says its language and the page it shows (a shared link, the tab list).
    use_effect_with((route.clone(), l, name.clone()), move |(route, l, name)| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", lang_attr);
            }
            doc.set_title(&format!("{} · {name}", page_title(route, *l)));
        }
    });
    // The projector and the printer get the page alone.
    if matches!(
        route,
        Route::Live { .. } | Route::Print { .. } | Route::Posters { .. }
    ) {
        return html! {
            <div class="bare" lang={lang_attr}>
                <div class="bare-lang"><LangToggle lang={l} on_change={on_lang} /></div>
                { page(&route, l) }
            </div>
        };
    }
    let tab = |to: Route, zh: &'static str, en: &'static str| {
        let current =
            route == to || matches!((&route, &to), (Route::VerifyDraw { .. }, Route::Verify));
        html! {
            <Link<Route> to={to} classes={classes!("tab", current.then_some("active"))}>{ l.t(zh, en) }</Link<Route>>
        }
    };
    let organizer = matches!(
        route,
        Route::Organizer | Route::Setup | Route::Ceremony { .. } | Route::Winners { .. }
    );
    html! {
        <div class="app" lang={lang_attr}>
            <header class="top">
                <h1 id="site-name"><Link<Route> to={Route::Home}>{ if campaign.is_some() { name.clone() } else { l.t("公平抽奖 fairdraw", "fairdraw").to_owned() } }</Link<Route>></h1>
                <LangToggle lang={l} on_change={on_lang} />
            </header>
            if organizer {
                <nav class="tabs" aria-label={l.t("页面", "Pages")}>
                    { tab(Route::Organizer, "组织方控制台", "Organizer console") }
                    { tab(Route::Home, "返回公众页面", "Public pages") }
                </nav>
            } else {
                <nav class="tabs" aria-label={l.t("页面", "Pages")}>
                    { tab(Route::Home, "活动", "Campaign") }
                    { tab(Route::Enter, "登记小票", "Enter") }
                    { tab(Route::Results, "中奖结果", "Results") }
                    { tab(Route::Verify, "验证抽奖", "Verify") }
                </nav>
            }
            <main>{ page(&route, l) }</main>
            <footer class="foot">
                <Link<Route> to={Route::Rules}>{ l.t("规则与哈希", "Rules and hash") }</Link<Route>>
                { " · " }
                <a href="/organizer">{ l.t("组织方", "Organizer") }</a>
            </footer>
        </div>
    }
}
