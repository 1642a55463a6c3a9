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
use crate::components::colors::CampaignColors;
use crate::components::qr::Qr;
use crate::components::witnesses::{LiveWitnesses, WitnessList};
use crate::hooks::{Load, use_campaign};
use crate::i18n::InLang;
use crate::i18n::{Lang, Said, look};
use crate::live::{Ceremony, LiveInputs, numbers_as_read, rolling_ticket, storage_key};
use crate::pages::organizer::DrawPageProps;
use crate::verify_job::{ConductJob, WorkerMessage};
use crate::worker_client::{JobHandle, set, start_job};
use fairdraw_core::draw::Selection;
use fairdraw_core::ledger::{Ledger, PhoneOpening};
use fairdraw_core::record::DrawRecord;
use fairdraw_core::seed::Reveal;
use gloo::file::callbacks::{FileReader, read_as_text};
use gloo::timers::callback::Interval;
use std::rc::Rc;
use web_sys::{DragEvent, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// How long a prize is shown alone before its numbers roll (ms).
const ANNOUNCE_MS: u64 = 1_500;
/// How long the numbers roll before the winner settles (ms).
const ROLL_MS: u64 = 2_500;
/// The show's tick: the rolling number repaints about 14 times a second.
const SHOW_TICK_MS: u32 = 70;

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
    let inputs = use_state(|| crate::storage::get::<LiveInputs>(&key).unwrap_or_default());
    let readers = use_mut_ref(Vec::<FileReader>::new);
    // The reveal show: one ticker for the page's life; the clock says how far the current
    // prize's sequence has run and whether it is paused.
    let show = use_state(|| None::<u64>);
    let held = use_state(|| false);
    let paused = use_state(|| false);
    let clock = use_mut_ref(ShowClock::default);
    let on_show_done = use_mut_ref(Callback::<()>::noop);
    let file_notes = use_state(Vec::<Option<(bool, Said)>>::new);
    {
        let (show, clock, done) = (show.clone(), clock.clone(), on_show_done.clone());
        use_effect_with((), move |_| {
            let ticker = Interval::new(SHOW_TICK_MS, move || {
                let finished = {
                    let mut c = clock.borrow_mut();
                    if !c.running || c.paused {
                        return;
                    }
                    c.elapsed += u64::from(SHOW_TICK_MS);
                    if c.elapsed >= ANNOUNCE_MS + ROLL_MS {
                        c.running = false;
                        c.elapsed = 0;
                        true
                    } else {
                        show.set(Some(c.elapsed));
                        false
                    }
                };
                if finished {
                    show.set(None);
                    let done = done.borrow().clone();
                    done.emit(());
                }
            });
            move || drop(ticker)
        });
    }
    let posting = use_state(|| Posting::Idle);
    let conducted = use_state(|| None::<Result<DrawRecord, String>>);
    let job = use_mut_ref(|| None::<JobHandle>);
    let Some(d) = c.draws.get(n as usize) else {
        return html! { <div class="live"><p class="fail">{ l.t("没有这一期。", "No such draw.") }</p></div> };
    };
    // Reveals the server has recorded (with its times): from the campaign, then as posted.
    let recorded = use_state(|| d.reveals.clone());
    let reveal_error = use_state(|| None::<ApiError>);
    let freeze = d.freeze().cloned();
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
    let Some(frozen) = d.freeze() else {
        return html! { <div class="live"><p class="big">{ l.t("本期名单尚未冻结。", "This draw's ledger is not frozen yet.") }</p></div> };
    };
    let ledger = &*props.ledger.0;
    let (verify_url, short_link) = verify_links(&c.id, n, &c.rules.hash().to_hex());
    // A published draw shows its published result, not a fresh ceremony.
    if let Some(r) = d.record().filter(|_| d.state == "published") {
        return html! {
            <div class="live locked" id="live-published">
                <CampaignColors rules={c.rules.clone()} />
                <LiveHead lang={l} rules={c.rules.clone()} draw_name={d.name.clone()} />
                <FinalBoard lang={l} rules={c.rules.clone()} record={r.clone()} draw_name={d.name.clone()}
                    url={verify_url.clone()} short={short_link.clone()}>
                    <p class="pass board-status" id="published-status">{ l.t("✓ 本期已开奖，结果已公布", "✓ Drawn; the result is published") }</p>
                </FinalBoard>
                <section class="live-facts after-board">
                    <WitnessList lang={l} rules={c.rules.clone()} rules_hash={r.rules_hash} witnessing={r.witnessing.clone()} draw={n} id={AttrValue::from("live-witnesses")} />
                    <HexLine lang={l} label_zh="种子" label_en="Seed" id="live-seed" hex={r.seed.to_hex()} />
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
            crate::storage::set(&key, &next);
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
    // A secret file, chosen or dropped on any party's slot, goes to its own party's slot.
    let read_file = {
        let (inputs, save, readers, notes) = (
            inputs.clone(),
            save.clone(),
            readers.clone(),
            file_notes.clone(),
        );
        let (rules, freeze) = (c.rules.clone(), frozen.clone());
        let ledger = ledger_rc.clone();
        Rc::new(move |k: usize, file: web_sys::File| {
            let (inputs, save, notes) = (inputs.clone(), save.clone(), notes.clone());
            let (rules, freeze, ledger) = (rules.clone(), freeze.clone(), ledger.clone());
            let reader = read_as_text(&gloo::file::File::from(file), move |text| {
                let ceremony = Ceremony {
                    rules: &rules,
                    draw_index: n,
                    ledger: &ledger,
                    freeze: &freeze,
                };
                let mut next = (*inputs).clone();
                let mut all = (*notes).clone();
                let parties = rules
                    .draw(n)
                    .map(|d| d.seed_parties.clone())
                    .unwrap_or_default();
                all.resize(parties.len().max(k + 1), None);
                match ceremony.place_file(&mut next, k, &text.unwrap_or_default()) {
                    Ok(placed) => {
                        let (zh, en) = ceremony.party_name(&parties[placed.slot]);
                        let (gzh, given_en) = ceremony.party_name(&parties[k]);
                        let said = if placed.moved {
                            Said::new(
                                format!("这是{zh}的秘密文件，已从{gzh}一栏移到{zh}一栏"),
                                format!(
                                    "this is {en}'s secret file: moved from {given_en}'s slot to {en}'s"
                                ),
                            )
                        } else {
                            Said::new(
                                format!("已载入{zh}的秘密文件"),
                                format!("{en}'s secret file loaded"),
                            )
                        };
                        all[k] = None;
                        all[placed.slot] = Some((true, said));
                        save(next);
                    }
                    Err(e) => all[k] = Some((false, e)),
                }
                notes.set(all);
            });
            readers.borrow_mut().push(reader);
        })
    };
    let load_reveal = |k: usize| {
        let read_file = read_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                read_file(k, file);
            }
            input.set_value("");
        })
    };
    let drop_reveal = |k: usize| {
        let read_file = read_file.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            {
                read_file(k, file);
            }
        })
    };
    let drag_over = Callback::from(|e: DragEvent| e.prevent_default());
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
    {
        let (inputs, save, held) = (inputs.clone(), save.clone(), held.clone());
        *on_show_done.borrow_mut() = Callback::from(move |_: ()| {
            let mut next = (*inputs).clone();
            next.revealed += 1;
            save(next);
            held.set(true);
        });
    }
    // One press runs one prize's sequence: the prize, the rolling numbers, the winner; after
    // the last prize, the board of all winners.
    let reveal_next = {
        let (inputs, save, clock, held, show) = (
            inputs.clone(),
            save.clone(),
            clock.clone(),
            held.clone(),
            show.clone(),
        );
        Callback::from(move |_: ()| {
            if !inputs.drawn || clock.borrow().running {
                return;
            }
            if inputs.revealed >= prizes {
                if !inputs.alternates_shown {
                    let mut next = (*inputs).clone();
                    next.alternates_shown = true;
                    save(next);
                    held.set(false);
                }
                return;
            }
            held.set(false);
            {
                let mut c = clock.borrow_mut();
                c.running = true;
                c.paused = false;
                c.elapsed = 0;
            }
            show.set(Some(0));
        })
    };
    let toggle_pause = {
        let (clock, paused) = (clock.clone(), paused.clone());
        Callback::from(move |_: ()| {
            let mut c = clock.borrow_mut();
            c.paused = !c.paused;
            paused.set(c.paused);
        })
    };
    let on_key = {
        let (reveal_next, toggle_pause) = (reveal_next.clone(), toggle_pause.clone());
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
            match e.key().as_str() {
                " " | "ArrowRight" | "PageDown" | "Enter" => {
                    e.prevent_default();
                    reveal_next.emit(());
                }
                // Clickers send "b" or "." for their blank-screen key: the pause.
                "p" | "P" | "b" | "B" | "." | "Pause" => {
                    e.prevent_default();
                    toggle_pause.emit(());
                }
                _ => {}
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
                        crate::storage::delete(&key);
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
    let on_pause_click = {
        let toggle_pause = toggle_pause.clone();
        Callback::from(move |_: MouseEvent| toggle_pause.emit(()))
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
            <p class="note">{ format!("{}{}", l.t("揭示截止：", "Reveal deadline: "), crate::i18n::china_time(d.reveal_deadline_ms)) }</p>
            if let Some(e) = &*reveal_error {
                <p class="fail" role="alert" id="reveal-error">{ l.t(&e.message_zh, &e.message_en) }</p>
            }
            <div class="reveals">
            { for parties.iter().enumerate().map(|(k, p)| {
                let status = &secrets[k];
                let at = recorded.iter().find(|r| &r.party == p).map(|r| r.revealed_at_ms);
                let name = look::party(&c.rules, p, l);
                let note = file_notes.get(k).cloned().flatten();
                html! {
                    <div class="reveal" data-party={p.clone()} ondragover={drag_over.clone()} ondrop={drop_reveal(k)}>
                        <label for={format!("reveal-{k}")}>{ name.clone() }</label>
                        <input id={format!("reveal-{k}")} class="mono" autocomplete="off" spellcheck="false" disabled={inputs_locked}
                            placeholder={l.t("输入 64 位秘密，或载入/拖入秘密文件", "type the 64-digit secret, or load or drop the secret file")}
                            value={inputs.reveals.get(k).cloned().unwrap_or_default()} oninput={set_reveal(k)} />
                        if !inputs_locked {
                            <label class="file-button" for={format!("reveal-file-{k}")}>{ l.t("载入秘密文件…", "Load the secret file…") }</label>
                            <input id={format!("reveal-file-{k}")} class="visually-hidden" type="file" accept=".json,application/json" onchange={load_reveal(k)} />
                            <span class="drop-hint">{ l.t("或把文件拖到这里", "or drop it here") }</span>
                        }
                        if let Some((ok, said)) = note {
                            <p class={if ok { "pass file-note" } else { "fail file-note" }} id={format!("reveal-file-note-{k}")}>{ said.in_lang(l).to_owned() }</p>
                        }
                        { match (status, at) {
                            (Ok(_), Some(t)) => html! { <p class="pass" id={format!("reveal-ok-{k}")}>{ format!("{} · {}{}", l.t("✓ 与承诺一致", "✓ matches the commitment"), l.t("服务器登记于 ", "recorded by the server at "), crate::i18n::china_time(t)) }</p> },
                            (Ok(_), None) => html! { <p class="note" aria-busy="true">{ l.t("✓ 与承诺一致，正在向服务器登记……", "✓ matches the commitment; recording with the server…") }</p> },
                            (Err(e), _) => html! { <p class="note">{ e.in_lang(l).to_owned() }</p> },
                        } }
                    </div>
                }
            }) }
            </div>
            <h2>{ l.t("2. 公开随机数", "2. Public randomness") }</h2>
            if let Some(spec) = &d.entropy.drand {
                <label for="drand-signature">{ format!("{} {}", l.t("drand 随机信标 quicknet 轮次", "drand quicknet round"), spec.round) }</label>
                <input id="drand-signature" class="mono" disabled={inputs_locked} value={inputs.drand_signature.clone()} oninput={set_drand} />
                <button onclick={fetch_drand} disabled={inputs_locked}>{ l.t("从 drand 网络获取", "Fetch from the drand network") }</button>
                if let Some(note) = &*drand_note { <p class="note">{ format!("{} {note}", l.t("无法获取，请手动粘贴签名：", "could not fetch; paste the signature by hand:")) }</p> }
            }
            if let Some(spec) = &d.entropy.public_numbers {
                { for spec.sources.iter().enumerate().map(|(k, s)| html! {
                    <>
                        <label for={format!("numbers-{k}")} translate="no" data-rules-text="true">{ &s.name }</label>
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
                Ok(e) => html! { <p class="pass" id="entropy-ok">{ format!("✓ {}{}", l.t("号码键串 ", "key string "), e.public_numbers.as_ref().map(|p| p.key.clone()).unwrap_or_else(|| l.t("签名格式正确（开奖时验证 BLS 签名）", "signature well formed (its BLS check runs at the draw)").to_owned())) }</p> },
                Err(e) => html! { <p class="note">{ e.in_lang(l).to_owned() }</p> },
            } }
            if !inputs_locked {
                <button id="run-draw" class="primary big-button" disabled={!ready} onclick={run}>{ l.t("3. 计算种子并开奖", "3. Compute the seed and draw") }</button>
            }
        </details>
    };
    let reduced_motion = web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches());
    let stage = match &record {
        None if inputs.drawn => {
            html! { <p class="big" aria-busy="true" id="drawing">{ l.t("正在计算种子和中奖者……", "Computing the seed and the winners…") }</p> }
        }
        None => html! {},
        Some(Err(e)) => {
            html! { <p class="fail" role="alert">{ format!("{}{e}", l.t("开奖计算失败：", "The draw failed: ")) }</p> }
        }
        Some(Ok(r)) if inputs.alternates_shown => {
            let status = match &*posting {
                Posting::Idle => {
                    html! { <button id="post-record" class="primary big-button tool" onclick={post}>{ l.t("提交抽奖记录并公布", "Post the record and publish") }</button> }
                }
                Posting::Busy => {
                    html! { <p class="big" aria-busy="true">{ l.t("正在提交……", "Posting…") }</p> }
                }
                Posting::Failed(e) => html! { <>
                    <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p>
                    <button id="post-record" class="primary tool" onclick={post}>{ l.t("重试", "Try again") }</button>
                </> },
                Posting::Done(url) => html! {
                    <p class="pass board-status" id="published" data-url={url.clone()}>{ l.t("✓ 已公布：请扫码在您自己的手机上核验", "✓ Published: scan to verify on your own phone") }</p>
                },
            };
            html! {
                <FinalBoard lang={l} rules={c.rules.clone()} record={r.clone()} draw_name={d.name.clone()}
                    url={verify_url.clone()} short={short_link.clone()}>{ status }</FinalBoard>
            }
        }
        Some(Ok(r)) => {
            let current = inputs.revealed;
            let spot_rank = if show.is_some() {
                Some(current)
            } else if *held && current > 0 {
                Some(current - 1)
            } else {
                None
            };
            let spotlight = spot_rank.and_then(|k| r.winners.get(k as usize).map(|w| (k, w))).map(|(k, w)| {
                let prize_rule = d.prizes.get(k as usize).map(|p| p.name.clone()).unwrap_or_default();
                let phase = match *show {
                    Some(t) if t < ANNOUNCE_MS => "announce",
                    Some(_) => "rolling",
                    None => "winner",
                };
                let number = match (phase, *show) {
                    ("winner", _) => w.phone_masked.clone(),
                    ("rolling", Some(t)) if !reduced_motion => rolling_ticket(ledger, t / u64::from(SHOW_TICK_MS) + u64::from(k) * 1000),
                    ("rolling", _) => "……".to_owned(),
                    _ => "？".to_owned(),
                };
                html! {
                    <div class="spotlight" id="spotlight" data-phase={phase} data-rank={k.to_string()} aria-live="polite">
                        <p class="spot-rank">{ format!("{}{}{}", l.t("第 ", "Prize "), k + 1, l.t(" 名", "")) }</p>
                        if let Some(img) = look::prize_image(&c.rules, &prize_rule) { <img class="spot-pic" src={img} alt="" /> }
                        <p class="spot-prize">{ look::prize(&c.rules, &prize_rule, l) }</p>
                        <p class={classes!("spot-phone", (phase == "rolling").then_some("rolling"))} aria-hidden={(phase != "winner").then_some("true")}>{ number }</p>
                        if *paused { <p class="paused" id="paused">{ l.t("已暂停（按 P 键继续）", "Paused (press P to go on)") }</p> }
                    </div>
                }
            });
            html! {
                <section class="stage" aria-live="polite">
                    <div class="stage-main">
                        { spotlight.unwrap_or_default() }
                        <ol class="prizes">
                            { for r.winners.iter().enumerate().map(|(k, w)| {
                                let k = k as u32;
                                let shown = k < inputs.revealed;
                                let prize_rule = d.prizes.get(k as usize).map(|p| p.name.clone()).unwrap_or_default();
                                html! {
                                    <li class={classes!("prize", shown.then_some("shown"), (show.is_some() && k == current).then_some("current"))} data-rank={k.to_string()}>
                                        if let Some(img) = look::prize_image(&c.rules, &prize_rule) { <img class="prize-pic" src={img} alt="" /> }
                                        <span class="prize-name">{ format!("{}{}{} · {}", l.t("第 ", "Prize "), k + 1, l.t(" 名", ""), look::prize(&c.rules, &prize_rule, l)) }</span>
                                        <span class="phone">{ if shown { w.phone_masked.clone() } else { "···".to_owned() } }</span>
                                        if shown { <span class="ticket-ref">{ format!("{}{}", l.t("奖券序号 ", "ticket #"), w.leaf_index) }</span> }
                                    </li>
                                }
                            }) }
                        </ol>
                        <div class="show-controls tool">
                            <button id="reveal-next" class="primary big-button" onclick={on_reveal_click} disabled={show.is_some()}>
                                { if inputs.revealed < prizes { l.t("揭晓下一位（空格键／翻页键）", "Reveal the next (space or PageDown)") } else { l.t("显示全部中奖者与候补", "Show all winners and the alternates") } }
                            </button>
                            <button id="pause" class="big-button" onclick={on_pause_click} disabled={show.is_none()} aria-pressed={(*paused).to_string()}>
                                { if *paused { l.t("继续", "Go on") } else { l.t("暂停", "Pause") } }
                            </button>
                        </div>
                    </div>
                    <VerifyPanel lang={l} url={verify_url.clone()} short={short_link.clone()} />
                </section>
            }
        }
    };
    let locked = inputs.drawn && matches!(record, Some(Ok(_)));
    html! {
        <div class={classes!("live", locked.then_some("locked"))} tabindex="0" onkeydown={on_key}>
            <CampaignColors rules={c.rules.clone()} />
            <LiveHead lang={l} rules={c.rules.clone()} draw_name={d.name.clone()}>
                <button class="small tool" onclick={fullscreen}>{ l.t("全屏", "Fullscreen") }</button>
            </LiveHead>
            <section class="live-facts">
                <p>{ l.t("冻结名单 ", "Frozen ledger: ") }<strong id="live-size">{ ledger.size() }</strong>{ l.t(" 张奖券", " tickets") }</p>
                <p id="live-sth" class={if ledger_ok { "pass" } else { "fail" }}>{
                    if ledger_ok { l.t("✓ 本机重算的名单与服务器签名的冻结声明一致", "✓ the ledger recomputed here matches the server's signed freeze") }
                    else { l.t("✗ 与签名的冻结记录不一致！", "✗ does NOT match the signed freeze!") }
                }</p>
                <LiveWitnesses lang={l} campaign={c.id.clone()} rules={c.rules.clone()} draw={n} id={AttrValue::from("live-witnesses")} />
                <HexLine lang={l} label_zh="默克尔根" label_en="Merkle root" id="live-root" hex={root.to_hex()} />
                if let Some(Ok(r)) = &record {
                    <HexLine lang={l} label_zh="种子" label_en="Seed" id="live-seed" hex={r.seed.to_hex()} />
                }
            </section>
            { stage }
            { controls }
        </div>
    }
}

/// The public verify link with its anchor (what the QR code holds), and the short form shown
/// beside it for typing.
fn verify_links(campaign: &str, n: u32, anchor: &str) -> (String, String) {
    let location = web_sys::window().map(|w| w.location());
    let origin = location
        .as_ref()
        .and_then(|l| l.origin().ok())
        .unwrap_or_default();
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    (
        format!("{origin}/verify/{campaign}/{n}?anchor={anchor}"),
        format!("{host}/verify/{campaign}/{n}"),
    )
}

/// How far the current prize's sequence has run.
#[derive(Default)]
struct ShowClock {
    running: bool,
    paused: bool,
    elapsed: u64,
}

#[derive(Properties, PartialEq)]
struct LiveHeadProps {
    lang: Lang,
    rules: fairdraw_core::rules::CampaignRules,
    draw_name: String,
    #[prop_or_default]
    children: Html,
}

/// The campaign's logo and name, and the draw.
#[function_component(LiveHead)]
fn live_head(props: &LiveHeadProps) -> Html {
    let l = props.lang;
    let r = &props.rules;
    html! {
        <header class="live-head">
            if let Some(logo) = look::logo(r) { <img class="logo" src={logo} alt="" /> }
            <h1>{ l.t(&r.name_zh, &r.name_en) }<span class="draw-name">{ format!(" · {}", props.draw_name) }</span></h1>
            <div class="live-tools">{ props.children.clone() }</div>
        </header>
    }
}

#[derive(Properties, PartialEq)]
struct HexLineProps {
    lang: Lang,
    label_zh: AttrValue,
    label_en: AttrValue,
    id: AttrValue,
    hex: String,
}

/// A hash, small: its first and last digits, the whole value one click away (for the notary).
#[function_component(HexLine)]
fn hex_line(props: &HexLineProps) -> Html {
    let h = &props.hex;
    let short = if h.len() > 16 {
        format!("{}…{}", &h[..8], &h[h.len() - 8..])
    } else {
        h.clone()
    };
    html! {
        <details class="hex-line">
            <summary>{ props.lang.t(&props.label_zh, &props.label_en) }{ " " }<code>{ short }</code></summary>
            <code id={props.id.clone()}>{ h.clone() }</code>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct VerifyPanelProps {
    lang: Lang,
    url: String,
    short: String,
}

/// The verify QR code and its short link, for the room's phones.
#[function_component(VerifyPanel)]
fn verify_panel(props: &VerifyPanelProps) -> Html {
    let l = props.lang;
    html! {
        <aside class="verify-panel">
            <Qr text={props.url.clone()} label={l.t("公开验证页面的二维码", "QR code of the public verify page")} id={AttrValue::from("verify-qr")} />
            <p class="scan">{ l.t("扫码在您自己的手机上核验", "Scan to verify on your own phone") }</p>
            <p class="short-link" id="verify-link">{ props.short.clone() }</p>
        </aside>
    }
}

#[derive(Properties, PartialEq)]
struct FinalBoardProps {
    lang: Lang,
    rules: fairdraw_core::rules::CampaignRules,
    record: DrawRecord,
    draw_name: String,
    url: String,
    short: String,
    #[prop_or_default]
    children: Html,
}

/// The last screen of the show, and what a published draw shows: every winner with the
/// prize, the alternates in order, and the verify QR code.
#[function_component(FinalBoard)]
fn final_board(props: &FinalBoardProps) -> Html {
    let l = props.lang;
    let r = &props.record;
    let rules = &props.rules;
    html! {
        <section class="stage final-board" id="final-board">
            <div class="stage-main">
                <h2 class="board-title">{ format!("{} · {}", props.draw_name, l.t("中奖名单", "the winners")) }</h2>
                <ol class="prizes">
                    { for r.winners.iter().map(|w| {
                        let prize = w.prize.clone().unwrap_or_default();
                        html! {
                            <li class="prize shown" data-rank={w.rank.to_string()}>
                                if let Some(img) = look::prize_image(rules, &prize) { <img class="prize-pic" src={img} alt="" /> }
                                <span class="prize-name">{ format!("{}{}{} · {}", l.t("第 ", "Prize "), w.rank + 1, l.t(" 名", ""), look::prize(rules, &prize, l)) }</span>
                                <span class="phone">{ &w.phone_masked }</span>
                                <span class="ticket-ref">{ format!("{}{}", l.t("奖券序号 ", "ticket #"), w.leaf_index) }</span>
                            </li>
                        }
                    }) }
                </ol>
                <div class="alternates" id="live-alternates">
                    <h3>{ l.t("候补（按顺序递补）", "Alternates (in order)") }</h3>
                    <ol>{ for r.alternates.iter().map(|a| html! { <li>{ &a.phone_masked }</li> }) }</ol>
                </div>
                { props.children.clone() }
            </div>
            <VerifyPanel lang={l} url={props.url.clone()} short={props.short.clone()} />
        </section>
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
