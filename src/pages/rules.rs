//! The campaign's rules as the public reads them, with the rules hash computed in the browser.

use crate::api;
use crate::i18n::Lang;
use crate::state::{RulesCheck, check_rules_json, demo_rules};
use fairdraw_core::rules::{CampaignRules, EntriesPerReceipt};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Props of [`RulesPage`].
#[derive(Properties, PartialEq)]
pub struct RulesPageProps {
    /// The language.
    pub lang: Lang,
}

/// Shows the demo campaign's rules and their hash, and hashes any pasted rules.
#[function_component(RulesPage)]
pub fn rules_page(props: &RulesPageProps) -> Html {
    let l = props.lang;
    // The campaign the server runs; until it answers (or without a server), the built-in demo.
    let served = use_state(api::served_campaign);
    {
        let served = served.clone();
        use_effect_with((), move |_| {
            if served.is_some() {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(c) = api::current_campaign().await {
                    served.set(Some(c));
                }
            });
        });
    }
    let fallback = use_memo((), |_| demo_rules());
    let rules: &CampaignRules = served.as_ref().map_or(&*fallback, |c| &c.rules);
    // Computed here, in the browser, from the rules shown: not taken from the server.
    let hash = rules.hash().to_hex();
    let published = served.as_ref().and_then(|c| c.published_hash.clone());
    let pasted = use_state(String::new);
    let oninput = {
        let pasted = pasted.clone();
        Callback::from(move |e: InputEvent| {
            pasted.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
        })
    };
    let check = (!pasted.trim().is_empty()).then(|| check_rules_json(&pasted));
    let per_receipt = match rules.entries_per_receipt {
        EntriesPerReceipt::One => l
            .t(
                "每张合格小票 1 次抽奖机会",
                "one chance per eligible receipt",
            )
            .to_owned(),
        EntriesPerReceipt::PerThresholdMultiple { max } => format!(
            "{} {max}",
            l.t(
                "每满门槛一次，最多",
                "one chance per full threshold, at most"
            )
        ),
    };
    let cap =
        |c: Option<u32>| c.map_or_else(|| l.t("不限", "no limit").to_owned(), |v| v.to_string());
    html! {
        <div class="page rules">
            <h2>{ if l == Lang::Zh { &rules.name_zh } else { &rules.name_en } }</h2>
            <dl class="facts">
                <dt>{ l.t("参与门槛", "Threshold") }</dt>
                <dd id="threshold">{ format!("¥{}", rules.threshold_fen) }</dd>
                <dt>{ l.t("活动时间", "Dates") }</dt>
                <dd>{ format!("{} – {}", rules.entry_start, rules.entry_end) }</dd>
                <dt>{ l.t("抽奖机会", "Chances") }</dt>
                <dd>{ per_receipt }</dd>
                <dt>{ l.t("每人每天", "Per person per day") }</dt>
                <dd>{ cap(rules.caps.per_day) }</dd>
                <dt>{ l.t("每人全程", "Per person in total") }</dt>
                <dd>{ cap(rules.caps.per_campaign) }</dd>
            </dl>
            <h3>{ l.t("开奖安排", "Draws") }</h3>
            <ol class="draws">
                { for rules.draws.iter().map(|d| html! {
                    <li>
                        <strong>{ &d.name }</strong>
                        { format!(" {} – {} · ", d.entry_start, d.entry_end) }
                        { format!("{} {} · {} {}", d.prizes.len(), l.t("个奖品", "prizes"), d.alternates, l.t("名候补", "alternates")) }
                    </li>
                }) }
            </ol>
            <details>
                <summary>{ format!("{} ({})", l.t("参与商户", "Participating shops"), rules.merchants.len()) }</summary>
                <ul class="merchants">
                    { for rules.merchants.iter().map(|m| html! { <li><code>{ &m.id }</code>{ " " }{ &m.name }</li> }) }
                </ul>
            </details>
            <section class="evidence">
                <h3>{ l.t("规则指纹（SHA-256）", "Rules hash (SHA-256)") }</h3>
                <p class="hash" id="rules-hash">{ hash.as_str() }</p>
                { match published {
                    None => html! {},
                    Some(p) if p == hash => html! { <p class="pass" id="rules-hash-match">{ l.t("✓ 与服务器公布的指纹一致", "✓ Matches the hash the server publishes") }</p> },
                    Some(p) => html! { <p class="fail" id="rules-hash-match">{ format!("{} {p}", l.t("✗ 与服务器公布的指纹不一致：", "✗ Differs from the published hash:")) }</p> },
                } }
                <p class="note">{ l.t(
                    "此值由您的浏览器根据上面的规则现场计算。活动开始前公布的指纹与此一致，说明规则未被改动。",
                    "Your browser computed this from the rules above. If it equals the hash published before entries opened, the rules have not changed.") }</p>
            </section>
            <section class="paste">
                <label for="rules-json">{ l.t("粘贴任意活动规则 JSON，计算其指纹", "Paste any campaign rules JSON to hash it") }</label>
                <textarea id="rules-json" rows="4" {oninput} value={(*pasted).clone()} />
                { match check {
                    None => html! {},
                    Some(RulesCheck::Valid { hash }) => html! { <p class="pass" id="pasted-hash">{ format!("{} {hash}", l.t("有效，指纹", "Valid; hash")) }</p> },
                    Some(RulesCheck::Invalid { hash, problem }) => html! { <p class="fail" id="pasted-hash">{ format!("{} {hash} — {problem}", l.t("规则无法执行；指纹", "Rules cannot run; hash")) }</p> },
                    Some(RulesCheck::Unreadable(e)) => html! { <p class="fail" id="pasted-hash">{ format!("{}: {e}", l.t("不是规则 JSON", "Not rules JSON")) }</p> },
                } }
            </section>
        </div>
    }
}
