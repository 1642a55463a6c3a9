//! Results: masked winners and alternates of each published draw, forfeits applied, with a link
//! to verify the draw in this browser.

use crate::api::DrawView;
use crate::hooks::{Load, use_current_campaign, use_now};
use crate::i18n::Lang;
use crate::state::draw_state_text;
use yew::prelude::*;

/// Props of [`ResultsPage`].
#[derive(Properties, PartialEq)]
pub struct ResultsPageProps {
    /// The language.
    pub lang: Lang,
}

/// Every draw of the current campaign, with its results once published.
#[function_component(ResultsPage)]
pub fn results_page(props: &ResultsPageProps) -> Html {
    let l = props.lang;
    let campaign = use_current_campaign(0);
    let now = use_now(60_000);
    let c = match &*campaign {
        Load::Loading => {
            return html! { <p class="note" aria-busy="true">{ l.t("正在载入……", "Loading…") }</p> };
        }
        Load::Failed(e) => {
            return html! { <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p> };
        }
        Load::Ready(c) => c,
    };
    let draw = |d: &DrawView| {
        let Some(results) = &d.results else {
            return html! {
                <section class="result" data-draw={d.index.to_string()}>
                    <h3>{ &d.name }</h3>
                    <p class="note">{ draw_state_text(l, &d.state, now, d.entry_start.china_start_ms(), d.closes_at_ms) }</p>
                </section>
            };
        };
        html! {
            <section class="result" data-draw={d.index.to_string()}>
                <h3>{ &d.name }</h3>
                <table class="winners">
                    <caption>{ l.t("中奖名单（手机号已打码）", "Winners (masked numbers)") }</caption>
                    <thead><tr>
                        <th scope="col">{ l.t("名次", "Rank") }</th>
                        <th scope="col">{ l.t("手机号", "Mobile") }</th>
                        <th scope="col">{ l.t("奖品", "Prize") }</th>
                        <th scope="col">{ l.t("奖券", "Ticket") }</th>
                    </tr></thead>
                    <tbody>
                        { for results.prizes.iter().map(|p| html! {
                            <tr class="winner" data-prize={p.rank.to_string()}>
                                <td>{ p.rank + 1 }</td>
                                <td>{ for p.holders.iter().enumerate().map(|(k, h)| html! {
                                    <>
                                        if k > 0 { { " → " } }
                                        if h.forfeited {
                                            <s class="forfeited-holder" title={l.t("已弃奖", "forfeited")}>{ &h.phone_masked }</s>
                                        } else {
                                            <strong class="holder">{ &h.phone_masked }</strong>
                                        }
                                        if h.kind == "alternate" { { format!("（{} {}）", l.t("候补", "alternate"), h.rank + 1) } }
                                    </>
                                }) }</td>
                                <td>{ p.prize.clone().unwrap_or_default() }
                                    if p.holders.len() > 1 { <span class="note">{ l.t("（弃奖后由候补递补）", " (forfeited; an alternate stepped in)") }</span> }
                                </td>
                                <td><code>{ p.current().map(|h| h.ticket_id[..h.ticket_id.len().min(8)].to_owned()).unwrap_or_default() }</code></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <p><strong>{ l.t("候补：", "Alternates: ") }</strong></p>
                <ol class="alternates">
                    { for results.alternates.iter().map(|a| html! {
                        <li class={classes!("alternate", a.state.clone())}>
                            if a.state == "forfeited" { <s>{ &a.phone_masked }</s> } else { { &a.phone_masked } }
                            { match (a.state.as_str(), a.prize) {
                                ("holds", Some(p)) => format!("（{} {} {}）", l.t("已递补第", "now holds prize"), p + 1, l.t("名", "")),
                                ("forfeited", Some(p)) => format!("（{} {} {}）", l.t("递补第", "stepped in for prize"), p + 1, l.t("名后弃奖", "and forfeited")),
                                _ => String::new(),
                            } }
                        </li>
                    }) }
                </ol>
                <p><a href={c.verify_href(d.index)} class="button">
                    { l.t("在本机验证这次抽奖", "Verify this draw in this browser") }</a></p>
            </section>
        }
    };
    html! {
        <div class="page results">
            <h2>{ l.t("中奖结果", "Results") }</h2>
            { for c.draws.iter().map(draw) }
        </div>
    }
}
