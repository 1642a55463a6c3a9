//! Campaign home: prizes, threshold, dates, the draw schedule with a countdown, the
//! participating merchants with search, and, discreetly, the rules hash, the commitments and
//! a link to verify each published draw.

use crate::api::{CampaignView, DrawView};
use crate::app::Route;
use crate::hooks::{Load, use_current_campaign, use_now};
use crate::i18n::Lang;
use crate::state::{countdown_text, draw_state_text, merchant_matches};
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`HomePage`].
#[derive(Properties, PartialEq)]
pub struct HomePageProps {
    /// The language.
    pub lang: Lang,
}

/// The campaign the server runs.
#[function_component(HomePage)]
pub fn home_page(props: &HomePageProps) -> Html {
    let l = props.lang;
    let campaign = use_current_campaign(0);
    match &*campaign {
        Load::Loading => {
            html! { <p class="note" aria-busy="true">{ l.t("正在载入活动……", "Loading the campaign…") }</p> }
        }
        Load::Failed(e) => html! {
            <div class="page">
                <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p>
                <p class="note">{ l.t("仍可打开“验证抽奖”核对已下载的抽奖记录。", "You can still check a downloaded draw record under “Verify a draw”.") }</p>
            </div>
        },
        Load::Ready(c) => html! { <CampaignHome lang={l} campaign={c.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct CampaignHomeProps {
    lang: Lang,
    campaign: CampaignView,
}

#[function_component(CampaignHome)]
fn campaign_home(props: &CampaignHomeProps) -> Html {
    let l = props.lang;
    let c = &props.campaign;
    let r = &c.rules;
    let now = use_now(1000);
    use_effect_with((), |_| {
        // For the first-render figure in BENCHMARKS.md: the campaign, rendered by the app.
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("fairdraw-campaign-rendered");
        }
    });
    let query = use_state(String::new);
    let on_search = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            query.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let prizes: usize = r.draws.iter().map(|d| d.prizes.len()).sum();
    let shown: Vec<_> = r
        .merchants
        .iter()
        .filter(|m| merchant_matches(m, &query))
        .collect();
    let draw_row = |d: &DrawView| {
        let open_now = d.state == "collecting"
            && (d.entry_start.china_start_ms()..d.closes_at_ms).contains(&now);
        html! {
            <li class="draw" data-draw={d.index.to_string()}>
                <div class="draw-head">
                    <strong>{ &d.name }</strong>
                    <span class="badge">{ draw_state_text(l, &d.state, now, d.entry_start.china_start_ms(), d.closes_at_ms) }</span>
                </div>
                <p>{ format!("{} {} — {} · {} {} · {} {}", l.t("登记", "Entries"), d.entry_start, d.entry_end,
                    d.prizes.len(), l.t("个大奖", "prize(s)"), d.entries, l.t("张奖券", "ticket(s) so far")) }</p>
                if let Some(at) = crate::state::drawn_at(&d.entropy) {
                    <p class="draw-when" id={format!("draw-when-{}", d.index)}>{ format!("{}{}", l.t("开奖：", "Drawn: "), crate::i18n::china_time(at)) }
                        if let Some(place) = r.identity.as_ref().map(|i| i.place.clone()).filter(|p| !p.is_empty()) { { format!(" · {place}") } }
                    </p>
                }
                if open_now {
                    <p class="countdown" id={format!("countdown-{}", d.index)}>{ countdown_text(l, d.closes_at_ms.saturating_sub(now)) }</p>
                }
                if d.results.is_some() {
                    <p>
                        <Link<Route> to={Route::Results}>{ l.t("查看中奖名单", "See the winners") }</Link<Route>>
                        { " · " }
                        <a href={c.verify_href(d.index)}>{ l.t("验证本期", "Verify this draw") }</a>
                    </p>
                }
            </li>
        }
    };
    html! {
        <div class="page home">
            <crate::components::colors::CampaignColors rules={r.clone()} />
            <div class="campaign-title">
                if let Some(logo) = crate::i18n::look::logo(r) { <img class="logo" src={logo} alt="" /> }
                <div>
                    <h2 id="campaign-name">{ l.t(&r.name_zh, &r.name_en) }</h2>
                    <p class="note">{ crate::i18n::look::organizer(r, l) }</p>
                </div>
            </div>
            <section class="hero">
                if let Some(img) = r.draws.first().and_then(|d| d.prizes.first()).and_then(|p| crate::i18n::look::prize_image(r, &p.name)) {
                    <img class="hero-prize" src={img} alt="" />
                }
                <p class="big">{ format!("{} {}", prizes, l.t("辆汽车等您来拿", "cars to be won")) }</p>
                <p>{ format!("{} ¥{} {}", l.t("在参与商户单笔消费满", "Spend"), r.threshold_fen, l.t("即可登记参与抽奖", "or more in one receipt at a participating shop to enter")) }</p>
                <p>{ format!("{} {} — {}", l.t("活动时间", "Campaign"), r.entry_start, r.entry_end) }</p>
                <Link<Route> to={Route::Enter} classes="button primary">{ l.t("登记小票", "Enter a receipt") }</Link<Route>>
            </section>
            <section>
                <h3>{ l.t("开奖安排", "Draw schedule") }</h3>
                <ol class="draws">{ for c.draws.iter().map(draw_row) }</ol>
            </section>
            <section>
                <h3>{ format!("{} ({})", l.t("参与商户", "Participating shops"), r.merchants.len()) }</h3>
                <label for="merchant-search">{ l.t("搜索商户", "Search shops") }</label>
                <input id="merchant-search" type="search" value={(*query).clone()} oninput={on_search}
                    placeholder={l.t("名称或编号", "name or number")} />
                <ul class="merchants" id="merchant-list">
                    { for shown.iter().map(|m| html! { <li>{ format!("{} {}", m.id, m.name) }</li> }) }
                </ul>
                if shown.is_empty() {
                    <p class="note">{ l.t("没有匹配的商户。", "No shop matches.") }</p>
                }
            </section>
            <details class="evidence">
                <summary>{ l.t("公证与验证信息", "Evidence for auditors") }</summary>
                <p>{ l.t("规则哈希（锚点，开始登记前公布；与海报、报纸上印的对照）：", "Rules hash (the anchor, published before entries opened; compare it with the posters and the newspaper): ") }<code id="home-rules-hash">{ c.published_hash.clone().unwrap_or_default() }</code></p>
                <ul>
                    { for c.draws.iter().flat_map(|d| d.commitments.iter().map(move |cm| html! {
                        <li><code>{ format!("{} · {} · {}", d.name, cm.party, cm.commitment) }</code></li>
                    })) }
                </ul>
                <p>
                    <Link<Route> to={Route::Rules}>{ l.t("在本机重新计算规则哈希", "Recompute the rules hash here") }</Link<Route>>
                    { " · " }
                    <Link<Route> to={Route::Verify}>{ l.t("验证抽奖", "Verify a draw") }</Link<Route>>
                </p>
            </details>
        </div>
    }
}
