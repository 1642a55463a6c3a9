//! One saved ticket, with a button that asks the server for its status and checks the answer
//! here: the promise's signature, and after the freeze the signed tree head and inclusion proof.

use crate::api::{self, ApiError};
use crate::components::qr::Qr;
use crate::i18n::Lang;
use crate::state::{SavedTicket, TicketCheck, check_ticket};
use yew::prelude::*;

/// Props of [`TicketRow`].
#[derive(Properties, PartialEq)]
pub struct TicketRowProps {
    /// The ticket.
    pub ticket: SavedTicket,
    /// The campaign's server key (from its rules), when the campaign is loaded.
    pub server_key: Option<[u8; 32]>,
    /// The language.
    pub lang: Lang,
}

fn status_text(l: Lang, status: &str) -> String {
    match status {
        "waiting_for_freeze" => l.t(
            "已登记，等待本期截止冻结",
            "Entered; waiting for this draw's freeze",
        ),
        "in_frozen_ledger" => l.t(
            "已在冻结名单中，等待开奖",
            "In the frozen ledger; waiting for the draw",
        ),
        "won" => l.t("恭喜中奖！", "Congratulations, you won!"),
        "forfeited" => l.t("已弃奖（未按时领奖）", "Forfeited (not claimed in time)"),
        "alternate" => l.t("候补", "Alternate"),
        "not_selected" => l.t("未中奖", "Not selected"),
        other => other,
    }
    .to_owned()
}

/// A saved ticket and its checked status.
#[function_component(TicketRow)]
pub fn ticket_row(props: &TicketRowProps) -> Html {
    let l = props.lang;
    let result = use_state(|| None::<Result<TicketCheck, ApiError>>);
    let check = {
        let result = result.clone();
        let t = props.ticket.clone();
        let key = props.server_key;
        Callback::from(move |_: ()| {
            let result = result.clone();
            let t = t.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::get(&format!(
                    "/api/campaigns/{}/tickets/{}",
                    t.campaign_id, t.ticket_id
                ))
                .await;
                result.set(Some(answer.and_then(|v| {
                    let key = key.ok_or_else(|| {
                        ApiError::local("CAMPAIGN_NOT_LOADED", "campaign not loaded")
                    })?;
                    check_ticket(&key, &v).map_err(|e| ApiError::local("TICKET_UNREADABLE", e))
                })));
            });
        })
    };
    // Each ticket says where it stands as soon as the campaign's key is known (its promise and
    // proofs checked here); the button asks again.
    {
        let check = check.clone();
        use_effect_with(props.server_key.is_some(), move |ready| {
            if *ready {
                check.emit(());
            }
        });
    }
    let onclick = check.reform(|_: MouseEvent| ());
    let t = &props.ticket;
    html! {
        <li class="ticket-row">
            <p class="ticket-line">
                if !t.shop.is_empty() { <strong>{ &t.shop }</strong>{ format!(" · ¥{} · {} · ", t.amount, t.date) } }
                { format!("{} · ", t.phone_masked) }<code class="ticket-code">{ t.short_code() }</code>
            </p>
            <button class="small big-touch" {onclick} disabled={props.server_key.is_none()}>{ l.t("查询状态", "Check its status") }</button>
            <details class="ticket-qr">
                <summary>{ l.t("二维码", "QR code") }</summary>
                <Qr text={t.ticket_id.clone()} label={l.t("奖券二维码", "Ticket QR code")} />
                <p class="hash">{ &t.ticket_id }</p>
            </details>
            { match &*result {
                None => html! {},
                Some(Err(e)) => html! { <p class="fail">{ l.t(&e.message_zh, &e.message_en) }</p> },
                Some(Ok(c)) => html! { <>
                    <p class="status" data-status={c.status.clone()}>
                        <strong>{ status_text(l, &c.status) }</strong>
                        { if c.promise_ok { l.t(" · 服务器签名的登记凭证已在本机验证", " · the server's signed promise verified here") }
                          else { l.t(" · 警告：登记凭证验证失败", " · WARNING: the promise does not verify") } }
                        { match &c.in_frozen_ledger {
                            None => html! {},
                            Some(Ok(())) => html! { <span class="pass">{ l.t(" · 已验证：在冻结名单中", " · verified: in the frozen ledger") }</span> },
                            Some(Err(e)) => html! { <span class="fail">{ format!("{} {e}", l.t(" · 警告：名单证明验证失败：", " · WARNING: ledger proof fails:")) }</span> },
                        } }
                    </p>
                    if c.draw_published() {
                        <p><a class="button small verify-draw" href={format!("/verify/{}/{}?anchor={}", t.campaign_id, t.draw_index, c.anchor)}>
                            { l.t("在手机上核验本期开奖", "Verify this draw on your phone") }</a></p>
                    }
                </> },
            } }
        </li>
    }
}
