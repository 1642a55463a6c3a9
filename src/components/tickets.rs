//! The tickets saved on this phone, each with a button that asks the server for its status;
//! the answers are checked in the worker (its bundle carries the signature and proof code):
//! the promise's signature, and after the freeze the signed tree head and inclusion proof.

use crate::api::{self, ApiError};
use crate::components::qr::Qr;
use crate::i18n::Lang;
use crate::state::{SavedTicket, TicketCheck};
use crate::verify_job::ShopperReply;
use crate::worker_client::{JobHandle, set, start_job};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// Props of [`TicketList`].
#[derive(Properties, PartialEq)]
pub struct TicketListProps {
    /// The tickets saved on this phone.
    pub tickets: Vec<SavedTicket>,
    /// The campaign's server key (from its rules), when the campaign is loaded.
    pub server_key: Option<[u8; 32]>,
    /// The language.
    pub lang: Lang,
}

type Checked = Result<TicketCheck, ApiError>;

/// Each ticket's last check, by ticket id.
#[derive(Default, PartialEq)]
struct Checks(HashMap<String, Checked>);

impl Reducible for Checks {
    type Action = Vec<(String, Checked)>;
    fn reduce(self: Rc<Self>, done: Self::Action) -> Rc<Self> {
        let mut next = self.0.clone();
        next.extend(done);
        Rc::new(Checks(next))
    }
}

/// Asks the server about `tickets`, all at once (a shopper may hold dozens), then has the
/// worker check every answer in one job; the results go to `checks`. The worker's handle is
/// kept in `jobs` until it answers.
fn check_tickets(
    tickets: Vec<SavedTicket>,
    key: [u8; 32],
    checks: UseReducerDispatcher<Checks>,
    jobs: Rc<std::cell::RefCell<HashMap<u32, JobHandle>>>,
    batch: u32,
) {
    type Answers = Vec<(String, Result<serde_json::Value, ApiError>)>;
    let answers: Rc<std::cell::RefCell<Answers>> = Rc::default();
    let expected = tickets.len();
    for t in tickets {
        let (answers, checks, jobs) = (answers.clone(), checks.clone(), jobs.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let path = format!("/api/campaigns/{}/tickets/{}", t.campaign_id, t.ticket_id);
            let answer = api::get(&path).await;
            let all = {
                let mut got = answers.borrow_mut();
                got.push((t.ticket_id, answer));
                (got.len() == expected).then(|| std::mem::take(&mut *got))
            };
            if let Some(all) = all {
                check_answers(all, key, checks, jobs, batch);
            }
        });
    }
}

/// The worker's job over the server's answers (the failed ones are reported as they are).
fn check_answers(
    asked: Vec<(String, Result<serde_json::Value, ApiError>)>,
    key: [u8; 32],
    checks: UseReducerDispatcher<Checks>,
    jobs: Rc<std::cell::RefCell<HashMap<u32, JobHandle>>>,
    batch: u32,
) {
    let mut ids = Vec::new();
    let mut answers = Vec::new();
    let mut failed = Vec::new();
    for (id, answer) in asked {
        match answer {
            Ok(v) => {
                ids.push(id);
                answers.push(v);
            }
            Err(e) => failed.push((id, Err(e))),
        }
    }
    checks.dispatch(failed);
    if ids.is_empty() {
        return;
    }
    let job = js_sys::Object::new();
    let posted = set(&job, "job", &JsValue::from_str("tickets"))
        .and_then(|()| set(&job, "key", &JsValue::from_str(&hex::encode(key))))
        .and_then(|()| {
            let text = serde_json::Value::Array(answers).to_string();
            set(&job, "answers", &JsValue::from_str(&text))
        });
    let on_reply = {
        let (checks, jobs, ids) = (checks.clone(), jobs.clone(), ids.clone());
        move |m: ShopperReply| {
            let done: Vec<(String, Checked)> = match m {
                ShopperReply::Tickets { checks } => ids
                    .iter()
                    .cloned()
                    .zip(
                        checks
                            .into_iter()
                            .map(|c| c.map_err(|e| ApiError::local("TICKET_UNREADABLE", e))),
                    )
                    .collect(),
                ShopperReply::Error { message } => ids
                    .iter()
                    .map(|id| (id.clone(), Err(ApiError::local("CHECKER_FAILED", &message))))
                    .collect(),
                ShopperReply::Ready | ShopperReply::Qr { .. } => return,
            };
            checks.dispatch(done);
            jobs.borrow_mut().remove(&batch);
        }
    };
    match posted.and_then(|()| start_job(&job, on_reply)) {
        Ok(handle) => {
            jobs.borrow_mut().insert(batch, handle);
        }
        Err(e) => checks.dispatch(
            ids.into_iter()
                .map(|id| (id, Err(ApiError::local("CHECKER_FAILED", format!("{e:?}")))))
                .collect(),
        ),
    }
}

/// The saved tickets: each says where it stands as soon as the campaign's key is known (all
/// checked in one worker job); each row's button asks again for its ticket.
#[function_component(TicketList)]
pub fn ticket_list(props: &TicketListProps) -> Html {
    let checks = use_reducer(Checks::default);
    let jobs = use_mut_ref(HashMap::<u32, JobHandle>::new);
    let batches = use_mut_ref(|| 0u32);
    {
        // Leaving the page stops any worker still checking.
        let jobs = jobs.clone();
        use_effect_with((), move |_| move || jobs.borrow_mut().clear());
    }
    let check = {
        let (dispatcher, jobs, key) = (checks.dispatcher(), jobs.clone(), props.server_key);
        Callback::from(move |tickets: Vec<SavedTicket>| {
            let Some(key) = key else { return };
            let batch = {
                let mut n = batches.borrow_mut();
                *n += 1;
                *n
            };
            check_tickets(tickets, key, dispatcher.clone(), jobs.clone(), batch);
        })
    };
    {
        // When the key arrives, and for each ticket saved since: the ones not checked yet.
        let (check, tickets, checked) = (check.clone(), props.tickets.clone(), checks.clone());
        let ids: Vec<String> = tickets.iter().map(|t| t.ticket_id.clone()).collect();
        use_effect_with((props.server_key.is_some(), ids), move |(ready, _)| {
            let fresh: Vec<SavedTicket> = tickets
                .into_iter()
                .filter(|t| !checked.0.contains_key(&t.ticket_id))
                .collect();
            if *ready && !fresh.is_empty() {
                check.emit(fresh);
            }
        });
    }
    let l = props.lang;
    html! {
        <ul>{ for props.tickets.iter().map(|t| {
            let one = t.clone();
            html! {
                <TicketRow key={t.ticket_id.clone()} ticket={t.clone()} lang={l}
                    ready={props.server_key.is_some()}
                    result={checks.0.get(&t.ticket_id).cloned()}
                    on_check={check.reform(move |_: ()| vec![one.clone()])} />
            }
        }) }</ul>
    }
}

/// Props of [`TicketRow`].
#[derive(Properties, PartialEq)]
struct TicketRowProps {
    ticket: SavedTicket,
    /// The campaign is loaded: its status can be checked.
    ready: bool,
    /// The last check, if any.
    result: Option<Checked>,
    on_check: Callback<()>,
    lang: Lang,
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
fn ticket_row(props: &TicketRowProps) -> Html {
    let l = props.lang;
    let onclick = props.on_check.reform(|_: MouseEvent| ());
    let t = &props.ticket;
    html! {
        <li class="ticket-row">
            <p class="ticket-line">
                if !t.shop.is_empty() { <strong>{ &t.shop }</strong>{ format!(" · ¥{} · {} · ", t.amount, t.date) } }
                { format!("{} · ", t.phone_masked) }<code class="ticket-code">{ t.short_code() }</code>
            </p>
            <button class="small big-touch" {onclick} disabled={!props.ready}>{ l.t("查询状态", "Check its status") }</button>
            <details class="ticket-qr">
                <summary>{ l.t("二维码", "QR code") }</summary>
                <Qr text={t.ticket_id.clone()} label={l.t("奖券二维码", "Ticket QR code")} />
                <p class="hash">{ &t.ticket_id }</p>
            </details>
            { match &props.result {
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
