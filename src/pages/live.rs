//! The live draw on a projector: fullscreen, 16:9, large type, high contrast. The frozen ledger
//! is loaded and its root recomputed here; the reveals are typed, pasted or loaded from the
//! saved files and checked against the commitments at once; the public entropy is fetched
//! (drand, when reachable) or typed; the core computes the seed and the draw in this browser
//! (in the Web Worker, whose bundle holds the selection and BLS code);
//! prizes are revealed one at a time (rolling masked numbers, about 14 repaints a second),
//! then the alternates. Everything entered is kept in localStorage until the record is
//! posted, so a reload mid-ceremony loses nothing. Posting shows a QR code of the public
//! verify page. The ledger is asked for with `?keep=1`, which tells the service worker to keep
//! a copy, so a reload with the network cut still has it.

use crate::api::{self, ApiError, CampaignView};
use crate::components::qr::Qr;
use crate::components::witnesses::{LiveWitnesses, WitnessList};
use crate::hooks::{Load, use_campaign};
use crate::i18n::Lang;
use crate::live::{Ceremony, LiveInputs, numbers_as_read, rolling_ticket, storage_key};
use crate::pages::organizer::DrawPageProps;
use crate::verify_job::{ConductJob, WorkerMessage};
use crate::worker_client::{JobHandle, set, start_job};
use fairdraw_core::draw::Selection;
use fairdraw_core::ledger::{Ledger, PhoneOpening};
use fairdraw_core::record::DrawRecord;
use fairdraw_core::seed::Reveal;
use gloo::file::callbacks::{FileReader, read_as_text};
use gloo::storage::{LocalStorage, Storage};
use gloo::timers::callback::{Interval, Timeout};
use std::rc::Rc;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// How long a prize rolls before it settles.
const ROLL_MS: u32 = 2_000;
/// Repaint interval of the rolling number.
const ROLL_TICK_MS: u32 = 70;

/// The ceremony screen.
#[function_component(LivePage)]
pub fn live_page(props: &DrawPageProps) -> Html {
    let l = props.lang;
    let campaign = use_campaign(props.campaign.clone(), true, 0);
    let ledger = use_state(|| Load::<Shared>::Loading);
    {
        let ledger = ledger.clone();
        use_effect_with((props.campaign.clone(), props.draw), move |(id, n)| {
            let url = format!("/api/campaigns/{id}/draws/{n}/ledger?keep=1");
            wasm_bindgen_futures::spawn_local(async move {
                let got = async {
                    let blob = api::get_blob(&url).await?;
                    let parsed = Ledger::from_jsonl(&api::blob_text(&blob).await?, |_| {})
                        .map_err(|e| ApiError::local("LEDGER_UNREADABLE", e))?;
                    Ok::<_, ApiError>(Shared(Rc::new(parsed), blob))
                };
                ledger.set(match got.await {
                    Ok(x) => Load::Ready(x),
                    Err(e) => Load::Failed(e),
                });
            });
        });
    }
    let (c, lg) = match (&*campaign, &*ledger) {
        (Load::Failed(e), _) | (_, Load::Failed(e)) => {
            return html! { <div class="live"><p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p></div> };
        }
        (Load::Ready(c), Load::Ready(lg)) => (c.clone(), lg.clone()),
        _ => {
            return html! { <div class="live"><p class="big" aria-busy="true">{ l.t("正在载入冻结名单……", "Loading the frozen ledger…") }</p></div> };
        }
    };
    html! { <Stage lang={l} campaign={c} ledger={lg} draw={props.draw} /> }
}

/// The loaded ledger, parsed, and its bytes as fetched (posted to the worker for the draw, so
/// it is not downloaded twice); compared by identity: it never changes once loaded.
#[derive(Clone)]
struct Shared(Rc<Ledger>, web_sys::Blob);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct StageProps {
    lang: Lang,
    campaign: CampaignView,
    ledger: Shared,
    draw: u32,
}

/// Where the posting of the record stands.
#[derive(Clone, PartialEq)]
enum Posting {
    Idle,
    Busy,
    Done(String),
    Failed(ApiError),
}

#[function_component(Stage)]
fn stage(props: &StageProps) -> Html {
    let l = props.lang;
    let c = &props.campaign;
    let n = props.draw;
    let key = storage_key(&c.id, n);
    let inputs = use_state(|| LocalStorage::get::<LiveInputs>(&key).unwrap_or_default());
    let rolling = use_state(|| None::<u64>);
    let timers = use_mut_ref(|| None::<(Interval, Timeout)>);
    let readers = use_mut_ref(Vec::<FileReader>::new);
    let posting = use_state(|| Posting::Idle);
    let conducted = use_state(|| None::<Result<DrawRecord, String>>);
    let job = use_mut_ref(|| None::<JobHandle>);
    let Some(d) = c.draws.get(n as usize) else {
        return html! { <div class="live"><p class="fail">{ l.t("没有这一期。", "No such draw.") }</p></div> };
    };
    // Reveals the server has recorded (with its times): from the campaign, then as posted.
    let recorded = use_state(|| d.reveals.clone());
    let reveal_error = use_state(|| None::<ApiError>);
    let freeze = d.freeze.clone();
    let ledger_rc = props.ledger.0.clone();
    // Each secret that opens its commitment goes to the server at once: the reveal's time is
    // the server's, and it must come before the deadline and before the public numbers exist.
    let pending: Vec<(String, String)> = match &freeze {
        None => Vec::new(),
        Some(f) => {
            let ceremony = Ceremony {
                rules: &c.rules,
                draw_index: n,
                ledger: &ledger_rc,
                freeze: f,
            };
            let parties = c
                .rules
                .draw(n)
                .map(|d| d.seed_parties.clone())
                .unwrap_or_default();
            ceremony
                .secrets(&inputs)
                .into_iter()
                .zip(parties)
                .filter(|(_, p)| !recorded.iter().any(|r| &r.party == p))
                .filter_map(|(s, p)| s.ok().map(|s| (p, hex::encode(s.0))))
                .collect()
        }
    };
    {
        let (recorded, reveal_error) = (recorded.clone(), reveal_error.clone());
        let base = format!("/api/organizer/campaigns/{}/draws/{n}", c.id);
        use_effect_with(pending, move |pending| {
            let pending = pending.clone();
            if !pending.is_empty() {
                wasm_bindgen_futures::spawn_local(async move {
                    let mut got: Vec<Reveal> = (*recorded).clone();
                    for (party, secret) in pending {
                        let body = serde_json::json!({ "party": party, "secret": secret });
                        match api::org_post(&format!("{base}/reveals"), &body).await {
                            Ok(v) => match serde_json::from_value::<Reveal>(v) {
                                Ok(r) => {
                                    got.retain(|x| x.party != r.party);
                                    got.push(r);
                                    reveal_error.set(None);
                                }
                                Err(e) => {
                                    reveal_error.set(Some(ApiError::local("REVEAL_UNREADABLE", e)))
                                }
                            },
                            Err(e) => reveal_error.set(Some(e)),
                        }
                    }
                    recorded.set(got);
                });
            }
        });
    }
    {
        let (conducted, job) = (conducted.clone(), job.clone());
        let ask = inputs
            .drawn
            .then(|| {
                freeze.clone().map(|freeze| ConductJob {
                    rules: c.rules.clone(),
                    draw_index: n,
                    freeze,
                    reveals: (*recorded).clone(),
                    inputs: (*inputs).clone(),
                })
            })
            .flatten();
        let blob = props.ledger.1.clone();
        let ledger = ledger_rc.clone();
        let campaign = c.id.clone();
        use_effect_with(ask, move |ask| {
            if let Some(ask) = ask {
                let msg = js_sys::Object::new();
                let job_for_record = ask.clone();
                let started = set(&msg, "job", &"conduct".into())
                    .and_then(|_| {
                        set(
                            &msg,
                            "conduct",
                            &serde_json::to_string(ask).unwrap_or_default().into(),
                        )
                    })
                    .and_then(|_| set(&msg, "ledger", &blob))
                    .and_then(|_| {
                        let done = conducted.clone();
                        start_job(&msg, move |m| match m {
                            WorkerMessage::Selection {
                                seed,
                                winners,
                                alternates,
                                draws_used,
                            } => {
                                let selection = Selection {
                                    winners,
                                    alternates,
                                    draws_used,
                                };
                                let (done, job, ledger, campaign) = (
                                    done.clone(),
                                    job_for_record.clone(),
                                    ledger.clone(),
                                    campaign.clone(),
                                );
                                wasm_bindgen_futures::spawn_local(async move {
                                    done.set(Some(
                                        finish_record(&campaign, &job, &ledger, seed, &selection)
                                            .await,
                                    ));
                                });
                            }
                            WorkerMessage::Error { message } => done.set(Some(Err(message))),
                            _ => {}
                        })
                    });
                match started {
                    Ok(h) => *job.borrow_mut() = Some(h),
                    Err(e) => conducted.set(Some(Err(format!("worker: {e:?}")))),
                }
            } else {
                conducted.set(None);
            }
        });
    }
    let drand_note = use_state(|| None::<String>);
    // Once per ledger and freeze, not on every repaint of the rolling numbers: a root over a
    // large ledger costs milliseconds, and the animation repaints 14 times a second.
    let root = *use_memo(props.ledger.clone(), |l| l.0.root());
    let freeze_ok = *use_memo((freeze.clone(), c.rules.server_key), |(f, key)| {
        f.as_ref().is_some_and(|f| f.verify(key).is_ok())
    });
    let Some(frozen) = &d.freeze else {
        return html! { <div class="live"><p class="big">{ l.t("本期名单尚未冻结。", "This draw's ledger is not frozen yet.") }</p></div> };
    };
    let ledger = &*props.ledger.0;
    // A published draw shows its published result, not a fresh ceremony.
    if let Some(r) = d.record.as_ref().filter(|_| d.state == "published") {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let url = format!("{origin}/verify/{}/{n}?anchor={}", c.id, r.rules_hash);
        return html! {
            <div class="live" id="live-published">
                <header class="live-head">
                    <h1>{ format!("{} · {}", l.t(&c.rules.name_zh, &c.rules.name_en), d.name) }</h1>
                </header>
                <p class="big pass">{ l.t("本期已开奖，结果已公布。", "This draw has been drawn and its result published.") }</p>
                <section class="stage">
                    <p class="seed">{ l.t("种子 ", "Seed ") }<code id="live-seed">{ r.seed.to_hex() }</code></p>
                    <ol class="prizes">
                        { for r.winners.iter().map(|w| html! {
                            <li class="prize shown" data-rank={w.rank.to_string()}>
                                <span class="prize-name">{ format!("{} {} · {}", l.t("第", "Prize"), w.rank + 1, w.prize.clone().unwrap_or_default()) }</span>
                                <span class="phone">{ &w.phone_masked }</span>
                            </li>
                        }) }
                    </ol>
                    <div class="alternates">
                        <h3>{ l.t("候补（按顺序递补）", "Alternates (in order)") }</h3>
                        <ol>{ for r.alternates.iter().map(|a| html! { <li>{ &a.phone_masked }</li> }) }</ol>
                    </div>
                    <WitnessList lang={l} rules={c.rules.clone()} rules_hash={r.rules_hash} witnessing={r.witnessing.clone()} draw={n} id={AttrValue::from("live-witnesses")} />
                    <div class="published">
                        <p class="big">{ l.t("扫码在您自己的手机上验证：", "Scan to verify on your own phone:") }</p>
                        <Qr text={url.clone()} label={l.t("公开验证页面的二维码", "QR code of the public verify page")} id={AttrValue::from("verify-qr")} />
                        <p class="mono">{ url }</p>
                    </div>
                </section>
            </div>
        };
    }
    let ledger_ok = freeze_ok
        && frozen.freeze.rules_hash == c.rules.hash()
        && ledger.size() == frozen.freeze.tree_size
        && root == frozen.freeze.root;
    let ceremony = Ceremony {
        rules: &c.rules,
        draw_index: n,
        ledger,
        freeze: frozen,
    };
    let secrets = ceremony.secrets(&inputs);
    let all_recorded = ceremony.recorded(&recorded).is_ok();
    // The draw itself runs in the worker (its bundle holds the selection and BLS code).
    let record = conducted.as_ref().filter(|_| inputs.drawn);
    let save = {
        let inputs = inputs.clone();
        let key = key.clone();
        move |next: LiveInputs| {
            // Storage may be unavailable; the ceremony goes on, only a reload would lose it.
            let _ = LocalStorage::set(&key, &next);
            inputs.set(next);
        }
    };
    let set_reveal = |k: usize| {
        let (inputs, save) = (inputs.clone(), save.clone());
        Callback::from(move |e: InputEvent| {
            let mut next = (*inputs).clone();
            next.set_reveal(k, e.target_unchecked_into::<HtmlInputElement>().value());
            save(next);
        })
    };
    let load_reveal = |k: usize| {
        let (inputs, save, readers) = (inputs.clone(), save.clone(), readers.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let (inputs, save) = (inputs.clone(), save.clone());
            let reader = read_as_text(&gloo::file::File::from(file), move |text| {
                let mut next = (*inputs).clone();
                next.set_reveal(k, text.unwrap_or_default());
                save(next);
            });
            readers.borrow_mut().push(reader);
        })
    };
    let set_number = |k: usize| {
        let (inputs, save) = (inputs.clone(), save.clone());
        Callback::from(move |e: InputEvent| {
            let mut next = (*inputs).clone();
            next.set_numbers(k, e.target_unchecked_into::<HtmlInputElement>().value());
            save(next);
        })
    };
    let set_drand = {
        let (inputs, save) = (inputs.clone(), save.clone());
        Callback::from(move |e: InputEvent| {
            let mut next = (*inputs).clone();
            next.drand_signature = e.target_unchecked_into::<HtmlInputElement>().value();
            save(next);
        })
    };
    let fetch_drand = {
        let (inputs, save, note) = (inputs.clone(), save.clone(), drand_note.clone());
        let spec = d.entropy.drand.clone();
        Callback::from(move |_| {
            let Some(spec) = spec.clone() else { return };
            let (inputs, save, note) = (inputs.clone(), save.clone(), note.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!(
                    "https://api.drand.sh/{}/public/{}",
                    spec.chain_hash, spec.round
                );
                match api::get(&url).await {
                    Ok(v) => {
                        let mut next = (*inputs).clone();
                        next.drand_signature =
                            v["signature"].as_str().unwrap_or_default().to_owned();
                        save(next);
                        note.set(None);
                    }
                    Err(e) => note.set(Some(format!("{}: {}", "drand", e.message_en))),
                }
            });
        })
    };
    let entropy_check = crate::live::entropy_form(&d.entropy, &inputs);
    let numbers_read = numbers_as_read(&d.entropy, &inputs);
    let ready = ledger_ok && all_recorded && entropy_check.is_ok();
    let run = {
        let (inputs, save) = (inputs.clone(), save.clone());
        Callback::from(move |_| {
            let mut next = (*inputs).clone();
            next.drawn = true;
            save(next);
        })
    };
    let prizes = d.prizes.len() as u32;
    let reveal_next = {
        let (inputs, save, rolling, timers) = (
            inputs.clone(),
            save.clone(),
            rolling.clone(),
            timers.clone(),
        );
        Callback::from(move |_: ()| {
            if rolling.is_some() || !inputs.drawn {
                return;
            }
            if inputs.revealed >= prizes {
                if !inputs.alternates_shown {
                    let mut next = (*inputs).clone();
                    next.alternates_shown = true;
                    save(next);
                }
                return;
            }
            rolling.set(Some(0));
            let tick_state = rolling.clone();
            let mut tick = 0u64;
            let interval = Interval::new(ROLL_TICK_MS, move || {
                tick += 1;
                tick_state.set(Some(tick));
            });
            let (inputs, save, rolling, timers2) = (
                inputs.clone(),
                save.clone(),
                rolling.clone(),
                timers.clone(),
            );
            let timeout = Timeout::new(ROLL_MS, move || {
                timers2.borrow_mut().take();
                rolling.set(None);
                let mut next = (*inputs).clone();
                next.revealed += 1;
                save(next);
            });
            *timers.borrow_mut() = Some((interval, timeout));
        })
    };
    let on_key = {
        let reveal_next = reveal_next.clone();
        Callback::from(move |e: KeyboardEvent| {
            // Keys typed into a field belong to the field: a space in the public numbers is a
            // separator, not "reveal the next prize".
            let in_field = e
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                .is_some_and(|el| {
                    matches!(
                        el.tag_name().as_str(),
                        "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON"
                    )
                });
            if in_field {
                return;
            }
            if matches!(e.key().as_str(), " " | "ArrowRight" | "PageDown") {
                e.prevent_default();
                reveal_next.emit(());
            }
        })
    };
    let fullscreen = Callback::from(|_| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = el.request_fullscreen();
        }
    });
    let post = {
        let (posting, key) = (posting.clone(), key.clone());
        let record = record.and_then(|r| r.as_ref().ok()).cloned();
        let (id, state) = (c.id.clone(), d.state.clone());
        let anchor = c.rules.hash().to_hex();
        Callback::from(move |_| {
            let Some(record) = record.clone() else { return };
            let (posting, key, id, state, anchor) = (
                posting.clone(),
                key.clone(),
                id.clone(),
                state.clone(),
                anchor.clone(),
            );
            posting.set(Posting::Busy);
            wasm_bindgen_futures::spawn_local(async move {
                let base = format!("/api/organizer/campaigns/{id}/draws/{n}");
                let mut result = Ok(serde_json::Value::Null);
                if state != "drawn" {
                    result =
                        api::org_post(&format!("{base}/record"), &serde_json::json!(record)).await;
                }
                if result.is_ok() {
                    result =
                        api::org_post(&format!("{base}/publish"), &serde_json::json!({})).await;
                }
                match result {
                    Ok(_) => {
                        LocalStorage::delete(&key);
                        let origin = web_sys::window()
                            .and_then(|w| w.location().origin().ok())
                            .unwrap_or_default();
                        // The link carries the anchor, so a phone checks against it.
                        posting.set(Posting::Done(format!(
                            "{origin}/verify/{id}/{n}?anchor={anchor}"
                        )));
                    }
                    Err(e) => posting.set(Posting::Failed(e)),
                }
            });
        })
    };
    let on_reveal_click = {
        let reveal_next = reveal_next.clone();
        Callback::from(move |_: MouseEvent| reveal_next.emit(()))
    };

    let parties = c
        .rules
        .draw(n)
        .map(|d| d.seed_parties.clone())
        .unwrap_or_default();
    let inputs_locked = inputs.drawn;
    let controls = html! {
        <details class="live-inputs" open={!inputs_locked} aria-label={l.t("开奖输入", "Draw inputs")}>
            <summary>{ if inputs_locked { l.t("开奖输入（已锁定，展开查看）", "Draw inputs (locked; open to see)") } else { l.t("开奖输入", "Draw inputs") } }</summary>
            <h2>{ l.t("1. 种子秘密揭示", "1. Seed secrets revealed") }</h2>
            <p class="note">{ format!("{} {}", l.t("揭示截止：", "Reveal deadline: "), crate::i18n::china_time(d.reveal_deadline_ms)) }</p>
            if let Some(e) = &*reveal_error {
                <p class="fail" role="alert" id="reveal-error">{ l.t(&e.message_zh, &e.message_en) }</p>
            }
            { for parties.iter().enumerate().map(|(k, p)| {
                let status = &secrets[k];
                let at = recorded.iter().find(|r| &r.party == p).map(|r| r.revealed_at_ms);
                html! {
                    <div class="reveal" data-party={p.clone()}>
                        <label for={format!("reveal-{k}")}>{ format!("{} {p}", l.t("参与方", "Party")) }</label>
                        <input id={format!("reveal-{k}")} class="mono" autocomplete="off" spellcheck="false" disabled={inputs_locked}
                            value={inputs.reveals.get(k).cloned().unwrap_or_default()} oninput={set_reveal(k)} />
                        <label class="file" for={format!("reveal-file-{k}")}>{ l.t("或载入秘密文件", "or load the secret file") }</label>
                        <input id={format!("reveal-file-{k}")} type="file" accept=".json" disabled={inputs_locked} onchange={load_reveal(k)} />
                        { match (status, at) {
                            (Ok(_), Some(t)) => html! { <p class="pass" id={format!("reveal-ok-{k}")}>{ format!("{} · {} {}", l.t("✓ 与承诺一致", "✓ matches the commitment"), l.t("服务器登记于", "recorded by the server at"), crate::i18n::china_time(t)) }</p> },
                            (Ok(_), None) => html! { <p class="note" aria-busy="true">{ l.t("✓ 与承诺一致，正在向服务器登记……", "✓ matches the commitment; recording with the server…") }</p> },
                            (Err(e), _) => html! { <p class="note">{ e }</p> },
                        } }
                    </div>
                }
            }) }
            <h2>{ l.t("2. 公开随机数", "2. Public randomness") }</h2>
            if let Some(spec) = &d.entropy.drand {
                <label for="drand-signature">{ format!("drand quicknet {} {}", l.t("轮次", "round"), spec.round) }</label>
                <input id="drand-signature" class="mono" disabled={inputs_locked} value={inputs.drand_signature.clone()} oninput={set_drand} />
                <button onclick={fetch_drand} disabled={inputs_locked}>{ l.t("从 drand 网络获取", "Fetch from the drand network") }</button>
                if let Some(note) = &*drand_note { <p class="note">{ format!("{note} — {}", l.t("请手动粘贴签名", "paste the signature by hand")) }</p> }
            }
            if let Some(spec) = &d.entropy.public_numbers {
                { for spec.sources.iter().enumerate().map(|(k, s)| html! {
                    <>
                        <label for={format!("numbers-{k}")}>{ &s.name }</label>
                        <input id={format!("numbers-{k}")} class="mono" disabled={inputs_locked} inputmode="numeric"
                            value={inputs.numbers.get(k).cloned().unwrap_or_default()} oninput={set_number(k)} />
                        { match numbers_read.get(k) {
                            Some(Ok((count, shown))) => html! { <p class="pass" id={format!("numbers-read-{k}")}>{ format!("{count} {}{shown}", l.t("个号码：", " numbers: ")) }</p> },
                            Some(Err((zh, en))) if inputs.numbers.get(k).is_some_and(|t| !t.trim().is_empty()) =>
                                html! { <p class="note" id={format!("numbers-read-{k}")}>{ l.t(zh, en) }</p> },
                            _ => html! {},
                        } }
                    </>
                }) }
            }
            { match &entropy_check {
                Ok(e) => html! { <p class="pass" id="entropy-ok">{ format!("✓ {}", e.public_numbers.as_ref().map(|p| p.key.clone()).unwrap_or_else(|| l.t("签名格式正确（开奖时验证 BLS 签名）", "signature well formed (its BLS check runs at the draw)").to_owned())) }</p> },
                Err(e) => html! { <p class="note">{ e }</p> },
            } }
            if !inputs_locked {
                <button id="run-draw" class="primary big-button" disabled={!ready} onclick={run}>{ l.t("3. 计算种子并开奖", "3. Compute the seed and draw") }</button>
            }
        </details>
    };
    let stage = match &record {
        None => html! {},
        Some(Err(e)) => html! { <p class="fail" role="alert">{ e }</p> },
        Some(Ok(r)) => html! {
            <section class="stage" aria-live="polite">
                <p class="seed">{ l.t("种子 ", "Seed ") }<code id="live-seed">{ r.seed.to_hex() }</code></p>
                <ol class="prizes">
                    { for r.winners.iter().enumerate().map(|(k, w)| {
                        let k = k as u32;
                        let shown = k < inputs.revealed;
                        let rolling_now = !shown && k == inputs.revealed && rolling.is_some();
                        html! {
                            <li class={classes!("prize", shown.then_some("shown"), rolling_now.then_some("rolling"))} data-rank={k.to_string()}>
                                <span class="prize-name">{ format!("{} {} · {}", l.t("第", "Prize"), k + 1, w.prize.clone().unwrap_or_default()) }</span>
                                <span class="phone" aria-hidden={rolling_now.then_some("true")}>{
                                    if shown { w.phone_masked.clone() }
                                    else if rolling_now { rolling_ticket(ledger, rolling.unwrap_or(0) + u64::from(k) * 1000) }
                                    else { "···".to_owned() }
                                }</span>
                                if shown { <code class="ticket-ref">{ format!("#{} {}", w.leaf_index, &w.ticket_id.to_hex()[..8]) }</code> }
                            </li>
                        }
                    }) }
                </ol>
                if inputs.alternates_shown {
                    <div class="alternates" id="live-alternates">
                        <h3>{ l.t("候补（按顺序递补）", "Alternates (in order)") }</h3>
                        <ol>{ for r.alternates.iter().map(|a| html! { <li>{ &a.phone_masked }</li> }) }</ol>
                    </div>
                }
                if !inputs.alternates_shown {
                    <button id="reveal-next" class="primary big-button" onclick={on_reveal_click} disabled={rolling.is_some()}>
                        { if inputs.revealed < prizes { l.t("揭晓下一位（空格键）", "Reveal the next (space bar)") } else { l.t("显示候补名单", "Show the alternates") } }
                    </button>
                } else {
                    { match &*posting {
                        Posting::Idle => html! { <button id="post-record" class="primary big-button" onclick={post}>{ l.t("提交抽奖记录并公布", "Post the record and publish") }</button> },
                        Posting::Busy => html! { <p class="big" aria-busy="true">{ l.t("正在提交……", "Posting…") }</p> },
                        Posting::Failed(e) => html! { <>
                            <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p>
                            <button id="post-record" class="primary" onclick={post}>{ l.t("重试", "Try again") }</button>
                        </> },
                        Posting::Done(url) => html! {
                            <div class="published" id="published">
                                <p class="big">{ l.t("已公布。扫码在您自己的手机上验证：", "Published. Scan to verify on your own phone:") }</p>
                                <Qr text={url.clone()} label={l.t("公开验证页面的二维码", "QR code of the public verify page")} id={AttrValue::from("verify-qr")} />
                                <p class="mono">{ url }</p>
                            </div>
                        },
                    } }
                }
            </section>
        },
    };
    html! {
        <div class="live" tabindex="0" onkeydown={on_key}>
            <header class="live-head">
                <h1>{ format!("{} · {}", l.t(&c.rules.name_zh, &c.rules.name_en), d.name) }</h1>
                <button class="small" onclick={fullscreen}>{ l.t("全屏", "Fullscreen") }</button>
            </header>
            <section class="ledger-facts">
                <p>{ l.t("冻结名单：", "Frozen ledger: ") }<strong id="live-size">{ ledger.size() }</strong>{ l.t(" 张奖券", " tickets") }</p>
                <p>{ l.t("本机计算的默克尔根：", "Merkle root computed here: ") }<code id="live-root">{ root.to_hex() }</code></p>
                <p id="live-sth" class={if ledger_ok { "pass" } else { "fail" }}>{
                    if ledger_ok { l.t("✓ 与服务器签名的冻结声明一致", "✓ matches the server's signed freeze") }
                    else { l.t("✗ 与签名的冻结记录不一致！", "✗ does NOT match the signed freeze!") }
                }</p>
                <LiveWitnesses lang={l} campaign={c.id.clone()} rules={c.rules.clone()} draw={n} id={AttrValue::from("live-witnesses")} />
            </section>
            { controls }
            { stage }
        </div>
    }
}

/// After the worker's selection: the phone openings of exactly the placed leaves, from the
/// server, and the record assembled (each opening checked against its leaf's commitment).
async fn finish_record(
    campaign: &str,
    job: &ConductJob,
    ledger: &Ledger,
    seed: fairdraw_core::hash::Hash32,
    selection: &Selection,
) -> Result<DrawRecord, String> {
    let placed: Vec<u64> = selection.placed();
    let url = format!(
        "/api/organizer/campaigns/{campaign}/draws/{}/openings",
        job.draw_index
    );
    let v = api::org_post(&url, &serde_json::json!({ "leaves": placed }))
        .await
        .map_err(|e| e.message_en)?;
    let openings: Vec<(u64, PhoneOpening)> = v["openings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    let leaf = o["leaf_index"].as_u64()?;
                    let opening = serde_json::from_value::<PhoneOpening>(serde_json::json!({
                        "phone_masked": o["phone_masked"], "phone_salt": o["phone_salt"] }))
                    .ok()?;
                    Some((leaf, opening))
                })
                .collect()
        })
        .unwrap_or_default();
    let ceremony = Ceremony {
        rules: &job.rules,
        draw_index: job.draw_index,
        ledger,
        freeze: &job.freeze,
    };
    ceremony.assemble(&job.reveals, &job.inputs, seed, selection, &openings)
}
