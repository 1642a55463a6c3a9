//! The shopper's receipt form: the core validates as they type (the same function the server
//! runs), the server's answer appears in the same place, and tickets are kept on the phone.

use crate::api::{self, ApiError};
use crate::components::qr::Qr;
use crate::components::ticket_row::TicketRow;
use crate::i18n::Lang;
use crate::state::{EntryForm, SavedTicket, demo_rules, merchant_matches, remember_ticket};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::message::Coded;
use fairdraw_core::rules::CampaignRules;
use gloo::storage::{LocalStorage, Storage};
use serde_json::json;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::state::TICKETS_KEY;

/// Props of [`EnterPage`].
#[derive(Properties, PartialEq)]
pub struct EnterPageProps {
    /// The language.
    pub lang: Lang,
}

fn today() -> CivilDate {
    CivilDate::china_date_at(js_sys::Date::now() as u64).unwrap_or_else(|| {
        CivilDate::new(2026, 12, 10).unwrap_or_else(|| unreachable!("valid date"))
    })
}

/// Which field an input edits.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Receipt,
    Date,
    Amount,
    Phone,
}

/// The form, its verdict, and the tickets on this phone.
#[function_component(EnterPage)]
pub fn enter_page(props: &EnterPageProps) -> Html {
    let l = props.lang;
    let campaign = use_state(|| None::<(String, CampaignRules)>);
    let offline = use_state(|| false);
    {
        let campaign = campaign.clone();
        let offline = offline.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::current_campaign().await {
                    Ok(c) => campaign.set(Some((c.id.clone(), c.rules))),
                    Err(_) => offline.set(true),
                }
            });
        });
    }
    let form = use_state(EntryForm::default);
    // The ticket, and whether it was stored before (a repeated submission of the same form).
    let outcome = use_state(|| None::<Result<(SavedTicket, bool), ApiError>>);
    let tickets =
        use_state(|| LocalStorage::get::<Vec<SavedTicket>>(TICKETS_KEY).unwrap_or_default());
    let busy = use_state(|| false);

    let fallback = use_memo((), |_| demo_rules());
    let rules: &CampaignRules = campaign.as_ref().map_or(&*fallback, |(_, r)| r);
    let verdict = form.live_verdict(rules, today());

    let edit = |field: Field| {
        let form = form.clone();
        let outcome = outcome.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            let mut f = (*form).clone();
            match field {
                Field::Receipt => f.input.receipt_number = v,
                Field::Date => f.input.date = v,
                Field::Amount => f.input.amount = v,
                Field::Phone => f.input.phone = v,
            }
            form.set(f);
            outcome.set(None);
        })
    };
    let on_merchant = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut f = (*form).clone();
            f.input.merchant_id = e.target_unchecked_into::<HtmlSelectElement>().value();
            form.set(f);
        })
    };
    let merchant_query = use_state(String::new);
    let on_merchant_search = {
        let q = merchant_query.clone();
        Callback::from(move |e: InputEvent| {
            q.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let qr_text = use_state(String::new);
    let qr_error = use_state(|| None::<fairdraw_core::receipt::Rejection>);
    let on_qr_input = {
        let qr_text = qr_text.clone();
        Callback::from(move |e: InputEvent| {
            qr_text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_qr_apply = {
        let form = form.clone();
        let qr_text = qr_text.clone();
        let qr_error = qr_error.clone();
        let outcome = outcome.clone();
        Callback::from(move |_: MouseEvent| {
            let mut f = (*form).clone();
            match f.apply_qr(&qr_text) {
                Ok(()) => {
                    form.set(f);
                    qr_error.set(None);
                }
                Err(e) => qr_error.set(Some(e)),
            }
            outcome.set(None);
        })
    };
    let on_qr_clear = {
        let form = form.clone();
        let qr_text = qr_text.clone();
        Callback::from(move |_: MouseEvent| {
            let mut f = (*form).clone();
            f.clear_qr();
            form.set(f);
            qr_text.set(String::new());
        })
    };
    let on_consent = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut f = (*form).clone();
            f.consent = e.target_unchecked_into::<HtmlInputElement>().checked();
            form.set(f);
        })
    };
    let on_submit = {
        let form = form.clone();
        let campaign = campaign.clone();
        let outcome = outcome.clone();
        let tickets = tickets.clone();
        let busy = busy.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some((id, _)) = (*campaign).clone() else {
                return;
            };
            let f = (*form).clone();
            let outcome = outcome.clone();
            let tickets = tickets.clone();
            let busy = busy.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let i = &f.input;
                let body = json!({ "merchant_id": i.merchant_id, "receipt_number": i.receipt_number, "qr": i.qr,
                    "date": i.date, "amount": i.amount, "phone": i.phone, "consent": f.consent });
                let result = api::post_once(&format!("/api/campaigns/{id}/entries"), &body)
                    .await
                    .map(|t| {
                        (
                            t["replayed"] == true,
                            SavedTicket {
                                campaign_id: id.clone(),
                                ticket_id: t["ticket_id"].as_str().unwrap_or_default().to_owned(),
                                draw_index: t["draw_index"].as_u64().unwrap_or(0) as u32,
                                leaf_index: t["leaf_index"].as_u64().unwrap_or(0),
                                phone_masked: t["phone_opening"]["phone_masked"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                anchor: t["promise"]["rules_hash"].as_str().map(str::to_owned),
                            },
                        )
                    })
                    .map(|(replayed, t)| (t, replayed));
                if let Ok((t, _)) = &result {
                    let list = remember_ticket((*tickets).clone(), t.clone());
                    // Storage may be full or disabled; the ticket is still shown.
                    let _ = LocalStorage::set(TICKETS_KEY, &list);
                    tickets.set(list);
                }
                outcome.set(Some(result));
                busy.set(false);
            });
        })
    };

    let live = match (&*outcome, &verdict) {
        (Some(Ok((t, replayed))), _) => html! {
            <div class="pass ticket" role="status" id="entry-result">
                <p><strong>{ if *replayed {
                    l.t("这张小票已经登记过，这是它的奖券：", "This receipt was already entered; here is its ticket:")
                } else {
                    l.t("登记成功！您的奖券：", "Entered! Your ticket:")
                } }</strong></p>
                <p class="hash" id="ticket-id">{ &t.ticket_id }</p>
                <Qr text={t.ticket_id.clone()} label={l.t("奖券二维码", "Ticket QR code")} id={AttrValue::from("ticket-qr")} />
                <p>{ format!("{} {} · {} {}", l.t("第", "Draw"), t.draw_index + 1, l.t("序号", "leaf"), t.leaf_index) }</p>
            </div>
        },
        (Some(Err(e)), _) => html! {
            <p class="fail" role="alert" id="entry-result" data-code={e.code.clone()}>{ l.t(&e.message_zh, &e.message_en) }</p>
        },
        (None, Some(Err(r))) => html! {
            <p class="fail" role="status" id="entry-result" data-code={r.code()}>{ l.t(&r.message_zh(), &r.message_en()) }</p>
        },
        (None, Some(Ok(r))) => html! {
            <p class="pass" role="status" id="entry-result" data-code="ELIGIBLE">
                { format!("{} ¥{} · {} {}", l.t("符合条件", "Eligible"), r.amount, r.weight, l.t("次抽奖机会", "chance(s)")) }
            </p>
        },
        (None, None) => {
            html! { <p class="note" id="entry-result">{ l.t("填写后即时显示是否符合条件。", "You will see at once whether it qualifies.") }</p> }
        }
    };
    let server_key = campaign.as_ref().map(|(_, r)| r.server_key);
    let can_submit = campaign.is_some() && matches!(verdict, Some(Ok(_))) && form.consent && !*busy;
    html! {
        <div class="page enter">
            <h2>{ l.t("登记消费小票", "Enter a receipt") }</h2>
            if *offline {
                <p class="note" id="offline">{ l.t("未连接到服务器：可以检查小票是否符合条件，但暂时无法提交。", "Not connected to the server: you can check a receipt, but not submit it yet.") }</p>
            }
            <form onsubmit={on_submit}>
                <label for="merchant-filter">{ l.t("查找商户", "Find the shop") }</label>
                <input id="merchant-filter" type="search" value={(*merchant_query).clone()} oninput={on_merchant_search}
                    placeholder={l.t("输入名称或编号筛选", "type a name or number to filter")} />
                <label for="merchant">{ l.t("商户", "Shop") }</label>
                <select id="merchant" onchange={on_merchant}>
                    <option value="" selected={form.input.merchant_id.is_empty()}>{ l.t("请选择商户", "Choose the shop") }</option>
                    { for rules.merchants.iter()
                        .filter(|m| m.id == form.input.merchant_id || merchant_matches(m, &merchant_query))
                        .map(|m| html! { <option value={m.id.clone()} selected={form.input.merchant_id == m.id}>{ format!("{} {}", m.id, m.name) }</option> }) }
                </select>
                <details class="qr-paste" open={!form.input.qr.is_empty()}>
                    <summary>{ l.t("粘贴发票二维码内容自动填写", "Paste the invoice QR text to fill in") }</summary>
                    <label for="qr-text">{ l.t("发票二维码文本", "Invoice QR text") }</label>
                    <textarea id="qr-text" rows="2" value={(*qr_text).clone()} oninput={on_qr_input}
                        placeholder="01,32,,2651…,688.00,20261215,,1DD6" />
                    <button type="button" id="qr-apply" onclick={on_qr_apply}>{ l.t("识别并填写", "Read and fill in") }</button>
                    if !form.input.qr.is_empty() {
                        <button type="button" id="qr-clear" onclick={on_qr_clear}>{ l.t("不用二维码", "Stop using the QR") }</button>
                        <p class="note" id="qr-status">{ l.t("已按二维码填写；以二维码为准核对。", "Filled from the QR code, which the check now follows.") }</p>
                    }
                    if let Some(e) = &*qr_error {
                        <p class="fail" role="alert" id="qr-error" data-code={e.code()}>{ l.t(&e.message_zh(), &e.message_en()) }</p>
                    }
                </details>
                <label for="receipt">{ l.t("小票号或发票号码", "Receipt or invoice number") }</label>
                <input id="receipt" autocomplete="off" value={form.input.receipt_number.clone()} oninput={edit(Field::Receipt)} />
                <label for="date">{ l.t("消费日期", "Date") }</label>
                <input id="date" type="date" value={form.input.date.clone()} oninput={edit(Field::Date)} />
                <label for="amount">{ l.t("实付金额（元）", "Amount paid (yuan)") }</label>
                <input id="amount" inputmode="decimal" value={form.input.amount.clone()} oninput={edit(Field::Amount)} />
                <label for="phone">{ l.t("手机号", "Mobile number") }</label>
                <input id="phone" type="tel" autocomplete="tel" value={form.input.phone.clone()} oninput={edit(Field::Phone)} />
                <label class="consent">
                    <input id="consent" type="checkbox" checked={form.consent} onchange={on_consent} />
                    { l.t(" 同意公示：本张小票的商户、金额、日期、登记时间和一个仅用于本期抽奖的匿名编号（不含手机号）；只有中奖或候补时，才公示打码后的手机号（如 138****1234）",
                        " I agree to the publication of this receipt's shop, amount, date and time of entry under an anonymous code used for this draw only (no phone number); my masked number (e.g. 138****1234) is published only if I win or am an alternate") }
                </label>
                { live }
                <button id="submit-entry" class="primary" type="submit" disabled={!can_submit}>{ l.t("提交", "Submit") }</button>
            </form>
            if !tickets.is_empty() {
                <section class="my-tickets">
                    <h3>{ l.t("我的奖券（保存在本机）", "My tickets (kept on this phone)") }</h3>
                    <ul>{ for tickets.iter().map(|t| html! { <TicketRow key={t.ticket_id.clone()} ticket={t.clone()} server_key={server_key} lang={l} /> }) }</ul>
                </section>
            }
        </div>
    }
}
