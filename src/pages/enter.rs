//! The shopper's receipt form, made for a phone: the shop from the poster's link (or found by
//! name), the invoice read from its QR code by the camera or a photo, the date today, the phone
//! remembered on this device; the core validates as they go (the same function the server
//! runs) and each problem sits under its field. A successful entry gives way to the ticket,
//! and tickets are kept on the phone.

use crate::api::{self, ApiError};
use crate::components::qr::Qr;
use crate::components::recover::Recover;
use crate::components::scanner::Scanner;
use crate::components::tickets::TicketList;
use crate::i18n::InLang;
use crate::i18n::Lang;
use crate::state::{
    EntryForm, PHONE_KEY, SavedTicket, demo_rules, field_of, merchant_matches, remember_ticket,
    submit_blocker,
};
use fairdraw_core::civil::CivilDate;
use fairdraw_core::message::Coded;
use fairdraw_core::rules::CampaignRules;
use serde_json::json;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
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

/// The `shop` of a poster's link (`/enter?shop=M003`).
fn shop_from_link() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("shop").filter(|s| !s.is_empty())
}

/// Which field an input edits.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Receipt,
    Date,
    Amount,
    Phone,
}

/// A fresh form: today's date, and the phone remembered on this device.
fn fresh_form(shop: String) -> EntryForm {
    let mut f = EntryForm::default();
    f.input.merchant_id = shop;
    f.input.date = today().to_string();
    f.input.phone = crate::storage::get::<String>(PHONE_KEY).unwrap_or_default();
    f
}

/// The form, its verdict, the ticket once entered, and the tickets on this phone.
#[function_component(EnterPage)]
pub fn enter_page(props: &EnterPageProps) -> Html {
    let l = props.lang;
    // The campaign served with the page (a poster's link lands here), else the server's.
    let campaign = use_state(|| api::served_campaign().map(|c| (c.id, c.rules)));
    let offline = use_state(|| false);
    let from_poster = use_state(shop_from_link);
    {
        let campaign = campaign.clone();
        let offline = offline.clone();
        use_effect_with((), move |_| {
            if campaign.is_some() {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                match api::current_campaign().await {
                    Ok(c) => campaign.set(Some((c.id.clone(), c.rules))),
                    Err(_) => offline.set(true),
                }
            });
        });
    }
    let form = use_state(|| fresh_form(shop_from_link().unwrap_or_default()));
    // The ticket, and whether it was stored before (a repeated submission of the same form).
    let outcome = use_state(|| None::<Result<(SavedTicket, bool), ApiError>>);
    let tickets =
        use_state(|| crate::storage::get::<Vec<SavedTicket>>(TICKETS_KEY).unwrap_or_default());
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
    // The shop: found by typing part of its name; the poster's link chose it already.
    let shop_query = use_state(String::new);
    let shop_open = use_state(|| false);
    let on_shop_search = {
        let (q, open) = (shop_query.clone(), shop_open.clone());
        Callback::from(move |e: InputEvent| {
            q.set(e.target_unchecked_into::<HtmlInputElement>().value());
            open.set(true);
        })
    };
    let choose_shop = |id: String| {
        let (form, q, open, outcome) = (
            form.clone(),
            shop_query.clone(),
            shop_open.clone(),
            outcome.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let mut f = (*form).clone();
            f.input.merchant_id = id.clone();
            form.set(f);
            q.set(String::new());
            open.set(false);
            outcome.set(None);
        })
    };
    let change_shop = {
        let (form, open, from_poster) = (form.clone(), shop_open.clone(), from_poster.clone());
        Callback::from(move |_: MouseEvent| {
            let mut f = (*form).clone();
            f.input.merchant_id.clear();
            form.set(f);
            open.set(true);
            from_poster.set(None);
        })
    };
    // A QR code read by the camera or from a photo (or typed by a scanner gun).
    let qr_error = use_state(|| None::<fairdraw_core::receipt::Rejection>);
    let apply_qr = {
        let (form, qr_error, outcome) = (form.clone(), qr_error.clone(), outcome.clone());
        Callback::from(move |text: String| {
            let mut f = (*form).clone();
            match f.apply_qr(&text) {
                Ok(()) => {
                    form.set(f);
                    qr_error.set(None);
                }
                Err(e) => qr_error.set(Some(e)),
            }
            outcome.set(None);
        })
    };
    let qr_text = use_state(String::new);
    let on_qr_input = {
        let qr_text = qr_text.clone();
        Callback::from(move |e: InputEvent| {
            qr_text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_qr_apply = {
        let (apply_qr, qr_text) = (apply_qr.clone(), qr_text.clone());
        Callback::from(move |_: MouseEvent| apply_qr.emit((*qr_text).clone()))
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
    let forget_phone = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            crate::storage::delete(PHONE_KEY);
            let mut f = (*form).clone();
            f.input.phone.clear();
            form.set(f);
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
            let Some((id, rules)) = (*campaign).clone() else {
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
                let read = fairdraw_core::receipt::validate_form(&rules, i, today()).ok();
                let result = api::post_once(&format!("/api/campaigns/{id}/entries"), &body)
                    .await
                    .map(|t| {
                        let ticket = SavedTicket {
                            campaign_id: id.clone(),
                            ticket_id: t["ticket_id"].as_str().unwrap_or_default().to_owned(),
                            draw_index: t["draw_index"].as_u64().unwrap_or(0) as u32,
                            leaf_index: t["leaf_index"].as_u64().unwrap_or(0),
                            phone_masked: t["phone_opening"]["phone_masked"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                            anchor: t["promise"]["rules_hash"].as_str().map(str::to_owned),
                            shop: rules
                                .merchant(&i.merchant_id)
                                .map(|m| m.name.clone())
                                .unwrap_or_default(),
                            amount: read
                                .as_ref()
                                .map(|r| r.amount.to_string())
                                .unwrap_or_default(),
                            date: read
                                .as_ref()
                                .map(|r| r.date.to_string())
                                .unwrap_or_default(),
                        };
                        (ticket, t["replayed"] == true)
                    });
                if let Ok((t, _)) = &result {
                    let list = remember_ticket((*tickets).clone(), t.clone());
                    // Storage may be full or disabled; the ticket is still shown.
                    crate::storage::set(TICKETS_KEY, &list);
                    crate::storage::set(PHONE_KEY, &i.phone);
                    tickets.set(list);
                }
                outcome.set(Some(result));
                busy.set(false);
            });
        })
    };
    let enter_another = {
        let (form, outcome, qr_text, from_poster) = (
            form.clone(),
            outcome.clone(),
            qr_text.clone(),
            from_poster.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            // The shop of a poster stays (the next receipt is likely from the same shop).
            form.set(fresh_form((*from_poster).clone().unwrap_or_default()));
            outcome.set(None);
            qr_text.set(String::new());
        })
    };

    let server_key = campaign.as_ref().map(|(_, r)| r.server_key);
    let on_found = {
        let tickets = tickets.clone();
        Callback::from(move |list: Vec<SavedTicket>| tickets.set(list))
    };
    let my_tickets = html! {
        <>
            if !tickets.is_empty() {
                <section class="my-tickets">
                    <h3>{ l.t("我的奖券（保存在本机）", "My tickets (kept on this phone)") }</h3>
                    <TicketList tickets={(*tickets).clone()} server_key={server_key} lang={l} />
                </section>
            }
            <Recover lang={l} campaign={campaign.as_ref().map(|(id, _)| id.clone())} on_found={on_found} />
        </>
    };

    // Entered: the ticket takes the first screen.
    if let Some(Ok((t, replayed))) = &*outcome {
        let draw = rules.draw(t.draw_index);
        let drawn_at = draw.and_then(|d| crate::state::drawn_at(&d.entropy));
        let organizer = crate::i18n::look::organizer(rules, l);
        return html! {
            <div class="page enter">
                <section class="success" id="entry-success" role="status">
                    <p class="big pass" id="entry-result">{ if *replayed {
                        l.t("这张小票已经登记过，这是它的奖券：", "This receipt was already entered; here is its ticket:")
                    } else {
                        l.t("登记成功", "Entered")
                    } }</p>
                    <dl class="facts">
                        <dt>{ l.t("抽奖", "Draw") }</dt>
                        <dd id="success-draw">{ draw.map(|d| d.name.clone()).unwrap_or_default() }
                            if let Some(at) = drawn_at { { format!(" · {}{}", l.t("开奖 ", "drawn "), crate::i18n::china_time(at)) } }</dd>
                        <dt>{ l.t("商户", "Shop") }</dt><dd id="success-shop">{ &t.shop }</dd>
                        <dt>{ l.t("金额", "Amount") }</dt><dd id="success-amount">{ format!("¥{}", t.amount) }</dd>
                        <dt>{ l.t("日期", "Date") }</dt><dd id="success-date">{ &t.date }</dd>
                        <dt>{ l.t("手机", "Mobile") }</dt><dd>{ &t.phone_masked }</dd>
                        <dt>{ l.t("奖券码", "Ticket code") }</dt><dd class="ticket-code" id="ticket-code">{ t.short_code() }</dd>
                    </dl>
                    <Qr text={t.ticket_id.clone()} label={l.t("奖券二维码（含完整奖券号）", "Ticket QR code (the full ticket id)")} id={AttrValue::from("ticket-qr")} />
                    <p class="hash" id="ticket-id">{ &t.ticket_id }</p>
                    <p class="note">{ format!("{}{organizer}{}", l.t("开奖后，中奖和候补的打码手机号在“中奖结果”公布，", "After the draw, the masked numbers of winners and alternates are published under Results, and "), l.t(" 会打电话通知中奖者；领奖时请带上登记用的手机和这张小票的原件。奖券保存在本机，换手机后可用手机号和小票号找回。", " phones the winners; bring the phone you entered with and this original receipt to claim. Tickets are kept on this phone; on a new phone, find them again with your number and a receipt number.")) }</p>
                    <button id="enter-another" class="primary big-touch" onclick={enter_another}>{ l.t("再登记一张", "Enter another receipt") }</button>
                </section>
                { my_tickets }
            </div>
        };
    }

    // Each problem sits under the field it is about; the live verdict, and the server's answer.
    let (message, bad_field) = match (&*outcome, &verdict) {
        (Some(Err(e)), _) => (
            html! { <p class="fail" role="alert" id="entry-result" data-code={e.code.clone()}>{ l.t(&e.message_zh, &e.message_en) }</p> },
            field_of(&e.code),
        ),
        (None, Some(Err(r))) => (
            html! { <p class="fail" role="status" id="entry-result" data-code={r.code()}>{ l.t(&r.message_zh(), &r.message_en()) }</p> },
            field_of(r.code()),
        ),
        (None, Some(Ok(r))) => (
            html! { <p class="pass" role="status" id="entry-result" data-code="ELIGIBLE">
                { format!("{} ¥{} · {} {}", l.t("符合条件", "Eligible"), r.amount, r.weight, l.t("次抽奖机会", "chance(s)")) }
            </p> },
            "",
        ),
        _ => (
            html! { <p class="note" id="entry-result">{ l.t("填写后即时显示是否符合条件。", "You will see at once whether it qualifies.") }</p> },
            "",
        ),
    };
    let under = |field: &str| -> Html {
        if bad_field == field {
            message.clone()
        } else {
            Html::default()
        }
    };
    let invalid = |field: &str| (bad_field == field).then_some("true");
    let described = |field: &str| (bad_field == field).then_some("entry-result");
    let verdict_ok = verdict.as_ref().map(Result::is_ok);
    let blocker = submit_blocker(&form, campaign.is_some(), verdict_ok);
    let can_submit = blocker.is_none() && !*busy;
    let shop = rules.merchant(&form.input.merchant_id).cloned();
    let matches: Vec<_> = rules
        .merchants
        .iter()
        .filter(|m| merchant_matches(m, &shop_query))
        .take(8)
        .collect();
    let window = rules
        .draw_for_date(today())
        .map(|(_, d)| d.entry_start)
        .unwrap_or(rules.entry_start);
    html! {
        <div class="page enter">
            <h2>{ l.t("登记消费小票", "Enter a receipt") }</h2>
            if *offline {
                <p class="note" id="offline">{ l.t("未连接到服务器：可以检查小票是否符合条件，但暂时无法提交。", "Not connected to the server: you can check a receipt, but not submit it yet.") }</p>
            }
            <form onsubmit={on_submit} novalidate=true>
                <div class={classes!("field", "shop-field", (bad_field == "shop").then_some("invalid"))}>
                    <label for="shop">{ l.t("商户", "Shop") }</label>
                    if let Some(m) = &shop {
                        <p class="chosen-shop" id="chosen-shop">
                            <strong>{ &m.name }</strong>
                            if from_poster.is_some() { <span class="badge">{ l.t("来自商户海报", "from the shop's poster") }</span> }
                            <button type="button" class="link-button" id="change-shop" onclick={change_shop}>{ l.t("更换", "Change") }</button>
                        </p>
                    } else {
                        <input id="shop" type="search" role="combobox" autocomplete="off" aria-autocomplete="list"
                            aria-expanded={(*shop_open).to_string()} aria-controls="shop-options"
                            aria-invalid={invalid("shop")} aria-describedby={described("shop")}
                            value={(*shop_query).clone()} oninput={on_shop_search}
                            placeholder={l.t("输入商户名称中的几个字", "type part of the shop's name")} />
                        <ul id="shop-options" class="shop-options" role="listbox">
                            { for matches.iter().map(|m| html! {
                                <li role="option" aria-selected="false"><button type="button" class="shop-option" data-id={m.id.clone()} onclick={choose_shop(m.id.clone())}>{ &m.name }</button></li>
                            }) }
                            if matches.is_empty() { <li class="note">{ l.t("没有这个名字的参与商户", "No participating shop by that name") }</li> }
                        </ul>
                    }
                    { under("shop") }
                </div>
                <Scanner lang={l} on_text={apply_qr.clone()} />
                if let Some(e) = &*qr_error {
                    <p class="fail" role="alert" id="qr-error" data-code={e.code()}>{ l.t("这不是发票的二维码：", "This is not an invoice's QR code: ") }{ l.t(&e.message_zh(), &e.message_en()) }</p>
                }
                if !form.input.qr.is_empty() {
                    <p class="pass" id="qr-status">{ l.t("✓ 已按发票二维码填写；以二维码为准核对。", "✓ Filled from the invoice's QR code, which the check now follows.") }
                        <button type="button" class="link-button" id="qr-clear" onclick={on_qr_clear}>{ l.t("不用二维码", "Stop using the QR") }</button></p>
                }
                <div class={classes!("field", (bad_field == "receipt").then_some("invalid"))}>
                    <label for="receipt">{ l.t("小票号或发票号码", "Receipt or invoice number") }</label>
                    <input id="receipt" autocomplete="off" value={form.input.receipt_number.clone()} oninput={edit(Field::Receipt)}
                        aria-invalid={invalid("receipt")} aria-describedby={described("receipt")} />
                    { under("receipt") }
                </div>
                <div class={classes!("field", (bad_field == "date").then_some("invalid"))}>
                    <label for="date">{ l.t("消费日期", "Date") }</label>
                    <input id="date" type="date" value={form.input.date.clone()} oninput={edit(Field::Date)}
                        min={window.to_string()} max={today().to_string()}
                        aria-invalid={invalid("date")} aria-describedby={described("date")} />
                    { under("date") }
                </div>
                <div class={classes!("field", (bad_field == "amount").then_some("invalid"))}>
                    <label for="amount">{ l.t("实付金额（元）", "Amount paid (yuan)") }</label>
                    <input id="amount" inputmode="decimal" autocomplete="off" value={form.input.amount.clone()} oninput={edit(Field::Amount)}
                        placeholder={format!("≥ {}", rules.threshold_fen)}
                        aria-invalid={invalid("amount")} aria-describedby={described("amount")} />
                    { under("amount") }
                </div>
                <div class={classes!("field", (bad_field == "phone").then_some("invalid"))}>
                    <label for="phone">{ l.t("手机号", "Mobile number") }</label>
                    <input id="phone" type="tel" inputmode="tel" autocomplete="tel" value={form.input.phone.clone()} oninput={edit(Field::Phone)}
                        aria-invalid={invalid("phone")} aria-describedby={described("phone")} />
                    if !form.input.phone.is_empty() && crate::storage::get::<String>(PHONE_KEY).as_deref() == Some(form.input.phone.as_str()) {
                        <p class="note" id="phone-remembered">{ l.t("本机已记住这个号码。", "This phone remembers this number. ") }
                            <button type="button" class="link-button" id="forget-phone" onclick={forget_phone}>{ l.t("忘记它", "Forget it") }</button></p>
                    }
                    { under("phone") }
                </div>
                <label class="consent">
                    <input id="consent" type="checkbox" checked={form.consent} onchange={on_consent} />
                    { l.t(" 同意公示：本张小票的商户、金额、日期、登记时间和一个仅用于本期抽奖的匿名编号（不含手机号）；只有中奖或候补时，才公示打码后的手机号（如 138****1234）",
                        " I agree to the publication of this receipt's shop, amount, date and time of entry under an anonymous code used for this draw only (no phone number); my masked number (e.g. 138****1234) is published only if I win or am an alternate") }
                </label>
                if bad_field.is_empty() { { message.clone() } }
                <button id="submit-entry" class="primary big-touch" type="submit" disabled={!can_submit} aria-describedby="submit-why">{ if *busy { l.t("正在提交……", "Submitting…") } else { l.t("提交", "Submit") } }</button>
                <p class="note" id="submit-why" aria-live="polite">{ blocker.map(|b| b.in_lang(l).to_owned()).unwrap_or_default() }</p>
                <details class="qr-paste" open={!qr_text.is_empty()}>
                    <summary>{ l.t("用扫码枪或粘贴二维码内容", "Use a scanner gun, or paste the QR text") }</summary>
                    <label for="qr-text">{ l.t("发票二维码文本", "Invoice QR text") }</label>
                    <textarea id="qr-text" rows="2" value={(*qr_text).clone()} oninput={on_qr_input}
                        placeholder="01,32,,2651…,688.00,20261215,,1DD6" />
                    <button type="button" id="qr-apply" onclick={on_qr_apply}>{ l.t("识别并填写", "Read and fill in") }</button>
                </details>
            </form>
            { my_tickets }
        </div>
    }
}
