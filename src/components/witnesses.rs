//! "Witnessed by N of M": which of the rules' witnesses cosigned a draw's freeze and reveals, and
//! when by their own clocks, read from the campaign's journal with the core's own reading
//! (signatures checked here, SPEC.md §17.3). The verification checklist holds the checks; this
//! is what a room, a reporter or a notary reads at a glance.

use crate::api;
use crate::i18n::{Lang, china_time};
use fairdraw_core::hash::Hash32;
use fairdraw_core::journal::{Event, Witnessed, Witnessing};
use fairdraw_core::rules::CampaignRules;
use yew::prelude::*;

/// What [`WitnessList`] shows for one draw.
#[derive(Debug, Clone, PartialEq)]
pub struct WitnessView {
    /// The witnesses' names, in the rules' order.
    pub names: Vec<String>,
    /// The quorum.
    pub quorum: usize,
    /// When each witness first cosigned the draw's freeze (POSIX seconds), if the draw is
    /// frozen.
    pub freeze: Option<Vec<Option<u64>>>,
    /// Reveals of the draw cosigned by a quorum, and reveals in the journal.
    pub reveals: (usize, usize),
}

impl WitnessView {
    /// Reads a journal under the rules (None when the rules name no witness).
    pub fn of(
        rules: &CampaignRules,
        rules_hash: &Hash32,
        w: &Witnessing,
        draw: u32,
    ) -> Option<Result<Self, String>> {
        if rules.witnesses.is_empty() {
            return None;
        }
        Some(
            Witnessed::read(rules, rules_hash, w)
                .map(|w| {
                    let freeze = w
                        .find(draw, |e| matches!(e, Event::Freeze { .. }))
                        .next()
                        .map(|(i, _)| w.seen_by(i));
                    let reveals: Vec<usize> = w
                        .find(draw, |e| matches!(e, Event::Reveal { .. }))
                        .map(|(i, _)| i)
                        .collect();
                    let witnessed = reveals
                        .iter()
                        .filter(|i| w.quorum_time(**i).is_some())
                        .count();
                    WitnessView {
                        names: w.names.clone(),
                        quorum: w.quorum,
                        freeze,
                        reveals: (witnessed, reveals.len()),
                    }
                })
                .map_err(|e| e.to_string()),
        )
    }

    /// How many witnesses cosigned the freeze.
    pub fn freeze_count(&self) -> usize {
        self.freeze
            .as_ref()
            .map_or(0, |f| f.iter().flatten().count())
    }
}

/// Props of [`WitnessList`].
#[derive(Properties, PartialEq)]
pub struct WitnessListProps {
    /// The language.
    pub lang: Lang,
    /// The rules.
    pub rules: CampaignRules,
    /// Their hash (the anchor).
    pub rules_hash: Hash32,
    /// The journal and its cosigned checkpoints.
    pub witnessing: Option<Witnessing>,
    /// Which draw.
    pub draw: u32,
    /// The element id.
    #[prop_or(AttrValue::from("witnesses"))]
    pub id: AttrValue,
}

/// "✓ 冻结声明由 2/2 家见证方见证", each witness with its time.
#[function_component(WitnessList)]
pub fn witness_list(props: &WitnessListProps) -> Html {
    let l = props.lang;
    // Signatures are checked once per journal, not on every repaint of the live screen.
    let view = use_memo((props.witnessing.clone(), props.draw, props.rules_hash), {
        let rules = props.rules.clone();
        move |(w, draw, hash)| {
            w.as_ref()
                .and_then(|w| WitnessView::of(&rules, hash, w, *draw))
        }
    });
    if props.rules.witnesses.is_empty() {
        return html! {};
    }
    let names = props
        .rules
        .witnesses
        .iter()
        .map(|w| w.name.clone())
        .collect::<Vec<_>>();
    let q = props.rules.witness_quorum;
    let m = names.len();
    let body = match &*view {
        None => html! {
            <p class="note">{ format!("{}{}{}", l.t("见证方：", "Witnesses: "), names.join(l.t("、", ", ")), l.t("（见证记录载入中）", " (loading the journal)")) }</p>
        },
        Some(Err(e)) => html! {
            <p class="fail">{ format!("{}{e}", l.t("✗ 见证记录无法验证：", "✗ The witness journal does not verify: ")) }</p>
        },
        Some(Ok(v)) => {
            let n = v.freeze_count();
            let headline = match &v.freeze {
                None => {
                    html! { <p class="note witness-headline">{ format!("{} {m} {}（{} {q}）。{}", l.t("本活动由", "This campaign is witnessed by"), l.t("家见证方见证", "independent witnesses"), l.t("法定", "quorum"), l.t("本期尚未冻结。", "This draw is not frozen yet.")) }</p> }
                }
                Some(_) if n >= v.quorum => html! {
                    <p class="pass witness-headline">{ format!("✓ {} {n}/{m} {}（{} {q}）", l.t("冻结声明由", "The freeze was witnessed by"), l.t("家见证方见证", "witnesses"), l.t("法定", "quorum")) }</p>
                },
                Some(_) => html! {
                    <p class="note witness-headline">{ format!("{} {n}/{m}（{} {q}）", l.t("冻结声明等待见证方联署：", "The freeze awaits the witnesses' cosignatures:"), l.t("法定", "quorum")) }</p>
                },
            };
            let times: Vec<Option<u64>> = v.freeze.clone().unwrap_or_else(|| vec![None; m]);
            html! { <>
                { headline }
                <ul class="witness-list">
                    { for names.iter().zip(times).map(|(name, t)| html! {
                        <li class={if t.is_some() { "pass" } else { "note" }}>
                            <strong>{ name.clone() }</strong>
                            { " · " }
                            { match t {
                                Some(t) => format!("{}{}", l.t("联署于 ", "cosigned "), china_time(t * 1000)),
                                None if v.freeze.is_some() => l.t("尚未联署", "not yet cosigned").to_owned(),
                                None => String::new(),
                            } }
                        </li>
                    }) }
                </ul>
                if v.reveals.1 > 0 {
                    <p class={if v.reveals.0 == v.reveals.1 { "pass" } else { "note" }}>{ format!("{} {}/{}", l.t("已见证的种子揭示：", "Reveals witnessed:"), v.reveals.0, v.reveals.1) }</p>
                }
            </> }
        }
    };
    html! { <section class="witnesses" id={props.id.clone()} data-count={view.as_ref().as_ref().and_then(|v| v.as_ref().ok()).map(|v| v.freeze_count().to_string()).unwrap_or_default()}>{ body }</section> }
}

/// The journal as the server publishes it (`GET /api/campaigns/<id>/witnesses`).
pub async fn fetch(campaign: &str) -> Result<(Witnessing, serde_json::Value), api::ApiError> {
    let v = api::get(&format!("/api/campaigns/{campaign}/witnesses")).await?;
    let w: Witnessing = serde_json::from_value(v["witnessing"].clone())
        .map_err(|e| api::ApiError::local("JOURNAL_UNREADABLE", e))?;
    Ok((w, v))
}

/// Props of [`LiveWitnesses`].
#[derive(Properties, PartialEq)]
pub struct LiveWitnessesProps {
    /// The language.
    pub lang: Lang,
    /// The campaign.
    pub campaign: String,
    /// Its rules.
    pub rules: CampaignRules,
    /// Which draw.
    pub draw: u32,
    /// The element id.
    #[prop_or(AttrValue::from("witnesses"))]
    pub id: AttrValue,
}

/// [`WitnessList`] over the server's journal, fetched again every few seconds (reveals are
/// cosigned during the ceremony).
#[function_component(LiveWitnesses)]
pub fn live_witnesses(props: &LiveWitnessesProps) -> Html {
    let journal = use_state(|| None::<Witnessing>);
    let tick = crate::hooks::use_now(3_000);
    {
        let journal = journal.clone();
        let named = !props.rules.witnesses.is_empty();
        use_effect_with((props.campaign.clone(), tick / 3_000), move |(id, _)| {
            let id = id.clone();
            if named {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok((w, _)) = fetch(&id).await
                        && journal.as_ref() != Some(&w)
                    {
                        journal.set(Some(w));
                    }
                });
            }
        });
    }
    let hash = use_memo(props.rules.clone(), |r| r.hash());
    html! {
        <WitnessList lang={props.lang} rules={props.rules.clone()} rules_hash={*hash} witnessing={(*journal).clone()} draw={props.draw} id={props.id.clone()} />
    }
}

/// Props of [`WitnessStatus`].
#[derive(Properties, PartialEq)]
pub struct WitnessStatusProps {
    /// The language.
    pub lang: Lang,
    /// The campaign.
    pub campaign: String,
}

/// The organizer's view of each witness: how much of the journal it has cosigned, when, and
/// the last error (a witness that is down shows here long before the freeze needs it).
#[function_component(WitnessStatus)]
pub fn witness_status(props: &WitnessStatusProps) -> Html {
    let l = props.lang;
    let state = use_state(|| None::<Result<serde_json::Value, api::ApiError>>);
    let tick = crate::hooks::use_now(3_000);
    {
        let state = state.clone();
        use_effect_with((props.campaign.clone(), tick / 3_000), move |(id, _)| {
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let got = fetch(&id).await.map(|(_, v)| v);
                if state.as_ref().map(|s| s.as_ref().ok()) != Some(got.as_ref().ok()) {
                    state.set(Some(got));
                }
            });
        });
    }
    let v = match &*state {
        None => return html! {},
        Some(Err(e)) => return html! { <p class="note">{ l.t(&e.message_zh, &e.message_en) }</p> },
        Some(Ok(v)) => v,
    };
    let ws = v["witnesses"].as_array().cloned().unwrap_or_default();
    if ws.is_empty() {
        return html! { <p class="note" id="witness-status">{ l.t("规则未指定见证方：各项时间以服务器时钟为准。", "The rules name no witnesses: every time is the server's clock.") }</p> };
    }
    let size = v["witnessing"]["journal"].as_array().map_or(0, Vec::len) as u64;
    html! {
        <section class="witness-status" id="witness-status">
            <h3>{ format!("{}（{} {}）", l.t("见证方", "Witnesses"), l.t("法定", "quorum"), v["quorum"]) }</h3>
            <table class="record">
                <thead><tr>
                    <th scope="col">{ l.t("见证方", "Witness") }</th>
                    <th scope="col">{ l.t("已联署", "Cosigned") }</th>
                    <th scope="col">{ l.t("最近联署时间", "Last cosigned") }</th>
                    <th scope="col">{ l.t("状态", "State") }</th>
                </tr></thead>
                <tbody>
                    { for ws.iter().enumerate().map(|(i, w)| {
                        let cos = w["cosigned_size"].as_u64().unwrap_or(0);
                        let err = l.t(w["error_zh"].as_str().unwrap_or_default(), w["error_en"].as_str().unwrap_or_default()).to_owned();
                        let ok = err.is_empty() && cos >= size;
                        html! {
                            <tr id={format!("witness-row-{i}")} class={if ok { "pass" } else { "fail" }}>
                                <td>{ w["name"].as_str().unwrap_or_default().to_owned() }</td>
                                <td>{ format!("{cos} / {size}") }</td>
                                <td>{ w["cosigned_time"].as_u64().map(|t| china_time(t * 1000)).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ if !err.is_empty() { err } else if ok { l.t("✓ 已跟上", "✓ up to date").to_owned() } else { l.t("正在提交……", "Submitting…").to_owned() } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="note mono">{ format!("{} {}", l.t("日志公钥（交给见证方）：", "Journal vkey (for the witnesses):"), v["log_vkey"].as_str().unwrap_or_default()) }</p>
        </section>
    }
}
