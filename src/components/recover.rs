//! Finding tickets again on a new phone (or after WeChat cleared its storage): the phone
//! number plus one receipt number the shopper entered. The server answers the same way
//! whether or not the pair exists, and limits tries.

use crate::api::{self, ApiError};
use crate::i18n::Lang;
use crate::state::{SavedTicket, TICKETS_KEY, remember_ticket};
use serde_json::json;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`Recover`].
#[derive(Properties, PartialEq)]
pub struct RecoverProps {
    /// The language.
    pub lang: Lang,
    /// The campaign, once loaded.
    pub campaign: Option<String>,
    /// Called with the tickets on this device after some were found.
    pub on_found: Callback<Vec<SavedTicket>>,
}

/// Tickets from the server's answer.
pub fn tickets_of(campaign: &str, v: &serde_json::Value) -> Vec<SavedTicket> {
    v["tickets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some(SavedTicket {
                        campaign_id: campaign.to_owned(),
                        ticket_id: t["ticket_id"].as_str()?.to_owned(),
                        draw_index: u32::try_from(t["draw_index"].as_u64()?).ok()?,
                        leaf_index: t["leaf_index"].as_u64()?,
                        phone_masked: t["phone_masked"].as_str()?.to_owned(),
                        anchor: t["rules_hash"].as_str().map(str::to_owned),
                        shop: t["shop"].as_str().unwrap_or_default().to_owned(),
                        amount: t["amount"].as_str().unwrap_or_default().to_owned(),
                        date: t["date"].as_str().unwrap_or_default().to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// "换了手机？找回奖券": a disclosure with the two fields.
#[function_component(Recover)]
pub fn recover(props: &RecoverProps) -> Html {
    let l = props.lang;
    let phone = use_state(String::new);
    let receipt = use_state(String::new);
    let answer = use_state(|| None::<Result<usize, ApiError>>);
    let busy = use_state(|| false);
    let on = |s: &UseStateHandle<String>| {
        let s = s.clone();
        Callback::from(move |e: InputEvent| {
            s.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let submit = {
        let (phone, receipt, answer, busy) =
            (phone.clone(), receipt.clone(), answer.clone(), busy.clone());
        let (campaign, on_found) = (props.campaign.clone(), props.on_found.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(id) = campaign.clone() else { return };
            let body = json!({ "phone": *phone, "receipt_number": *receipt });
            let (answer, busy, on_found) = (answer.clone(), busy.clone(), on_found.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let got = api::post(&format!("/api/campaigns/{id}/tickets/recover"), &body)
                    .await
                    .map(|v| tickets_of(&id, &v));
                if let Ok(found) = &got {
                    if !found.is_empty() {
                        let mut list = crate::storage::get::<Vec<SavedTicket>>(TICKETS_KEY)
                            .unwrap_or_default();
                        for t in found.iter().rev() {
                            if !list.iter().any(|x| x.ticket_id == t.ticket_id) {
                                list = remember_ticket(list, t.clone());
                            }
                        }
                        crate::storage::set(TICKETS_KEY, &list);
                        on_found.emit(list);
                    }
                }
                answer.set(Some(got.map(|f| f.len())));
                busy.set(false);
            });
        })
    };
    html! {
        <details class="recover" id="recover">
            <summary>{ l.t("换了手机或清了缓存？找回奖券", "New phone, or storage cleared? Find your tickets") }</summary>
            <form onsubmit={submit}>
                <p class="note">{ l.t("输入登记时用的手机号，和您登记过的任意一张小票的号码（或发票号码）。", "Type the mobile number you entered with, and the number of any receipt (or invoice) you entered.") }</p>
                <label for="recover-phone">{ l.t("手机号", "Mobile number") }</label>
                <input id="recover-phone" type="tel" inputmode="tel" autocomplete="tel" value={(*phone).clone()} oninput={on(&phone)} />
                <label for="recover-receipt">{ l.t("一张小票的号码", "One receipt's number") }</label>
                <input id="recover-receipt" autocomplete="off" value={(*receipt).clone()} oninput={on(&receipt)} />
                <button id="recover-submit" class="big-touch" type="submit" disabled={*busy || props.campaign.is_none() || phone.trim().is_empty() || receipt.trim().is_empty()}>{ l.t("找回", "Find them") }</button>
                { match &*answer {
                    None => html! {},
                    Some(Ok(0)) => html! { <p class="note" id="recover-result">{ l.t("没有找到。请核对手机号和小票号；每个号码每小时最多尝试 5 次。", "None found. Check the number and the receipt; each number may try 5 times an hour.") }</p> },
                    Some(Ok(n)) => html! { <p class="pass" id="recover-result">{ format!("{}{n}{}", l.t("已找回 ", "Found "), l.t(" 张奖券，已保存在本机。", " tickets, now kept on this phone.")) }</p> },
                    Some(Err(e)) => html! { <p class="fail" role="alert" id="recover-result" data-code={e.code.clone()}>{ l.t(&e.message_zh, &e.message_en) }</p> },
                } }
            </form>
        </details>
    }
}
