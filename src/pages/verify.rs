//! The auditor's verifier: a record and its ledger, from this server or from files (chosen or
//! dropped), checked by the core in a Web Worker with a progress bar, so a 1,000,000-entry
//! ledger never freezes the page. The checklist shows each check with its detail.

use crate::components::checklist::Checklist;
use crate::components::witnesses::LiveWitnesses;
use crate::i18n::Lang;
use crate::state::{Source, VerifyAction, VerifyOutcome, VerifyState};
use crate::verify_job::WorkerMessage;
use crate::worker_client::{JobHandle, set, start_job};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

/// Props of [`VerifyPage`].
#[derive(Properties, PartialEq)]
pub struct VerifyPageProps {
    /// The language.
    pub lang: Lang,
    /// Load this campaign's draw from this server (and run at once).
    #[prop_or_default]
    pub server: Option<(AttrValue, u32)>,
}

/// The files chosen, and the running job.
#[derive(Default)]
struct Inputs {
    record: Option<File>,
    ledger: Option<File>,
    anchor: String,
    job: Option<JobHandle>,
}

/// The anchor to check against: `?anchor=` in the link (verify links and QR codes carry it),
/// else the rules hash a saved ticket's signed promise names for this campaign.
fn initial_anchor(campaign: Option<&str>) -> String {
    link_param("anchor")
        .or_else(|| {
            let id = campaign?;
            crate::state::saved_tickets()
                .into_iter()
                .find(|t| t.campaign_id == id)
                .and_then(|t| t.anchor)
        })
        .unwrap_or_default()
}

/// A parameter of this page's link (`?anchor=…&bundle=…`), percent-decoded.
fn link_param(name: &str) -> Option<String> {
    let query = web_sys::window()?.location().search().ok()?;
    let raw = query
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?;
    js_sys::decode_uri_component(raw)
        .ok()
        .map(String::from)
        .filter(|v| !v.is_empty())
}

/// A proof bundle published at an address of this site (`/verify?bundle=/…&anchor=…`): a
/// bundle is a static file, so an organizer may publish it beside the record on any web site
/// this page is served from. Only a same-site path is taken, so a link cannot make the page
/// fetch from elsewhere.
fn bundle_link() -> Option<String> {
    link_param("bundle").filter(|b| b.starts_with('/') && !b.starts_with("//"))
}

fn server_urls(campaign: &str, draw: u32) -> (String, String) {
    let base = format!("/api/campaigns/{campaign}/draws/{draw}");
    (format!("{base}/record"), format!("{base}/ledger"))
}

/// Starts the worker on the chosen inputs; its messages go to `state`.
fn start(
    inputs: &Rc<RefCell<Inputs>>,
    state: &UseReducerHandle<VerifyState>,
) -> Result<(), JsValue> {
    let msg = js_sys::Object::new();
    {
        let i = inputs.borrow();
        set(&msg, "anchor", &i.anchor.clone().into())?;
        for (key, file, source) in [
            ("record", &i.record, &state.record),
            ("ledger", &i.ledger, &state.ledger),
        ] {
            match (file, source) {
                (Some(f), Some(Source::File(..))) => set(&msg, key, f)?,
                (_, Some(Source::Server(url))) => set(&msg, &format!("{key}_url"), &url.into())?,
                _ => return Ok(()),
            };
        }
    }
    let to_state = state.dispatcher();
    let job = start_job(&msg, move |m| to_state.dispatch(VerifyAction::Worker(m)))?;
    state.dispatch(VerifyAction::Started);
    // Replacing a running job stops it.
    inputs.borrow_mut().job = Some(job);
    Ok(())
}

/// A light verification's outcome: the report and the worker's time, or why it could not run.
type LightOutcome = Result<(fairdraw_core::verify::Report, f64), String>;

/// Starts the worker on a proof bundle (`key` names the input: `bundle_url` for this server's
/// copy).
fn start_light(
    key: &str,
    value: &JsValue,
    anchor: &str,
    light: &UseStateHandle<Option<LightOutcome>>,
    job: &Rc<RefCell<Option<JobHandle>>>,
) {
    let msg = js_sys::Object::new();
    let done = light.clone();
    let started = set(&msg, "job", &"light".into())
        .and_then(|_| set(&msg, key, value))
        .and_then(|_| set(&msg, "anchor", &anchor.into()))
        .and_then(|_| {
            start_job(&msg, move |m| match m {
                WorkerMessage::LightReport { report, elapsed_ms } => {
                    done.set(Some(Ok((report, elapsed_ms))))
                }
                WorkerMessage::Error { message } => done.set(Some(Err(message))),
                _ => {}
            })
        });
    match started {
        Ok(h) => *job.borrow_mut() = Some(h),
        Err(e) => light.set(Some(Err(format!("worker: {e:?}")))),
    }
}

fn describe(l: Lang, s: &Option<Source>) -> Html {
    match s {
        None => Html::default(),
        Some(Source::File(name, size)) => html! { { format!("{name} · {} KB", size / 1024) } },
        Some(Source::Server(url)) => {
            html! { <>{ l.t("来自本服务器：", "from this server: ") }<code>{ url.clone() }</code></> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct VerifyWitnessesProps {
    lang: Lang,
    campaign: String,
    draw: u32,
}

/// Who witnessed this draw, under the campaign's rules (the checklist's `freeze.witnessed` and
/// `reveal.<i>.witnessed` are the checks; this names the witnesses and their times).
#[function_component(VerifyWitnesses)]
fn verify_witnesses(props: &VerifyWitnessesProps) -> Html {
    let campaign = crate::hooks::use_campaign(props.campaign.clone(), false, 0);
    match &*campaign {
        crate::hooks::Load::Ready(c) => html! {
            <LiveWitnesses lang={props.lang} campaign={c.id.clone()} rules={c.rules.clone()} draw={props.draw} id={AttrValue::from("verify-witnesses")} />
        },
        _ => html! {},
    }
}

/// Loads a record and ledger and shows the checklist.
#[function_component(VerifyPage)]
pub fn verify_page(props: &VerifyPageProps) -> Html {
    let l = props.lang;
    let state = use_reducer(VerifyState::default);
    let campaign = props.server.as_ref().map(|(c, _)| c.to_string());
    let inputs = use_mut_ref(|| Inputs {
        anchor: initial_anchor(campaign.as_deref()),
        ..Inputs::default()
    });
    let on_anchor = {
        let inputs = inputs.clone();
        Callback::from(move |e: InputEvent| {
            inputs.borrow_mut().anchor = e.target_unchecked_into::<HtmlInputElement>().value();
        })
    };
    // From this server: choose both inputs and run once.
    {
        let state = state.clone();
        let inputs = inputs.clone();
        use_effect_with(props.server.clone(), move |server| {
            if let Some((campaign, draw)) = server {
                let (record, ledger) = server_urls(campaign, *draw);
                state.dispatch(VerifyAction::Record(Source::Server(record)));
                state.dispatch(VerifyAction::Ledger(Source::Server(ledger)));
                inputs.borrow_mut().record = None;
                inputs.borrow_mut().ledger = None;
            }
        });
    }
    // A published draw from this server: the light verification first — its proof bundle, a
    // few kilobytes — with the full audit of the whole ledger one tap away.
    let light = use_state(|| None::<LightOutcome>);
    let light_job = use_mut_ref(|| None::<JobHandle>);
    let bundle_url = use_memo(props.server.clone(), |server| match server {
        Some((campaign, draw)) => Some(format!("/api/campaigns/{campaign}/draws/{draw}/bundle")),
        None => bundle_link(),
    });
    {
        let (light, light_job, inputs) = (light.clone(), light_job.clone(), inputs.clone());
        use_effect_with(bundle_url.clone(), move |url| {
            if let Some(url) = url.as_ref() {
                let anchor = inputs.borrow().anchor.clone();
                start_light("bundle_url", &url.into(), &anchor, &light, &light_job);
            }
        });
    }
    // Puts a file in the ledger slot or the record slot: the slot its first bytes say, so two
    // swapped files are named and each goes where it belongs.
    let swapped = use_state(|| None::<(String, bool)>);
    let put_file = {
        let state = state.clone();
        let inputs = inputs.clone();
        let swapped = swapped.clone();
        move |file: File, ledger_slot: bool| {
            let (state, inputs, swapped) = (state.clone(), inputs.clone(), swapped.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let head = file.slice_with_f64_and_f64(0.0, 65_536.0).ok();
                let start = match head {
                    Some(b) => crate::api::blob_text(&b).await.unwrap_or_default(),
                    None => String::new(),
                };
                let to_ledger = match crate::verify_job::file_kind(&start) {
                    crate::verify_job::FileKind::Ledger => true,
                    crate::verify_job::FileKind::Record => false,
                    crate::verify_job::FileKind::Unknown => ledger_slot,
                };
                swapped.set((to_ledger != ledger_slot).then(|| (file.name(), to_ledger)));
                let source = Source::File(file.name(), file.size() as u64);
                let mut i = inputs.borrow_mut();
                if to_ledger {
                    i.ledger = Some(file);
                    state.dispatch(VerifyAction::Ledger(source));
                } else {
                    i.record = Some(file);
                    state.dispatch(VerifyAction::Record(source));
                }
            });
        }
    };
    // A dropped file: a ledger is JSON lines, a record one JSON object; names usually say which.
    let take_file = {
        let put_file = put_file.clone();
        move |file: File| {
            let is_ledger = file.name().ends_with(".jsonl") || file.name().ends_with(".txt");
            put_file(file, is_ledger);
        }
    };
    let on_file = |ledger_slot: bool| {
        let put_file = put_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                put_file(file, ledger_slot);
            }
        })
    };
    let dragging = use_state(|| false);
    let on_drop = {
        let dragging = dragging.clone();
        let take_file = take_file.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
                for k in 0..files.length() {
                    if let Some(f) = files.get(k) {
                        take_file(f);
                    }
                }
            }
        })
    };
    let on_drag_over = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_drag_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let run = {
        let state = state.clone();
        let inputs = inputs.clone();
        Callback::from(move |_| {
            if let Err(e) = start(&inputs, &state) {
                state.dispatch(VerifyAction::Worker(WorkerMessage::Error {
                    message: format!("worker: {e:?}"),
                }));
            }
        })
    };
    let full_audit = {
        let (state, inputs) = (state.clone(), inputs.clone());
        Callback::from(move |_| {
            if let Err(e) = start(&inputs, &state) {
                state.dispatch(VerifyAction::Worker(WorkerMessage::Error {
                    message: format!("worker: {e:?}"),
                }));
            }
        })
    };
    let verdict = match (bundle_url.as_ref(), &*light) {
        (None, _) => html! {},
        (Some(_), None) => {
            html! { <p class="big" aria-busy="true" id="light-verdict">{ l.t("正在您的手机上核验本期开奖……", "Verifying this draw on your phone…") }</p> }
        }
        (_, Some(Err(e))) if e.contains("HTTP 404") => html! {
            <p class="big note" id="light-verdict">{ l.t("本期尚未公布。", "This draw has not been published yet.") }</p>
        },
        (Some(_), Some(Err(e))) => {
            html! { <p class="fail" role="alert" id="light-verdict">{ format!("{}: {e}", l.t("无法核验", "Cannot verify")) }</p> }
        }
        (_, Some(Ok((report, elapsed_ms)))) => {
            let winners: Vec<String> = report
                .checks
                .iter()
                .filter(|c| c.id.starts_with("winner.") && c.ok)
                .filter_map(|c| Some(c.detail.split_once('(')?.1.split_once(')')?.0.to_owned()))
                .collect();
            html! {
                <section class="light" id="light" data-elapsed-ms={format!("{elapsed_ms:.1}")}>
                    if report.all_passed() {
                        <p class="big pass" id="light-verdict">{ l.t("✓ 本期开奖已在您的手机上独立核验", "✓ This draw has been verified independently on your phone") }</p>
                        <p>{ format!("{}{}", l.t("中奖号码：", "Winners: "), winners.join(l.t("、", ", "))) }</p>
                    } else {
                        <p class="big fail" id="light-verdict">{ l.t("✗ 核验未通过：见下方清单", "✗ Verification failed: see the list below") }</p>
                    }
                    if let Some((campaign, draw)) = props.server.clone() {
                        <VerifyWitnesses lang={l} campaign={campaign.to_string()} draw={draw} />
                    }
                    <details open={!report.all_passed()}>
                        <summary>{ l.t("逐项核验清单", "Every check") }</summary>
                        <Checklist report={report.clone()} lang={l} summary_id={AttrValue::from("light-summary")} />
                    </details>
                    <p class="note">{ l.t("手机核验用几千字节的证明包检查每位中奖者；完整核验会下载并重算整份名单。",
                        "The phone check proves every winner from a proof bundle of a few kilobytes; the full audit downloads and recomputes the whole ledger.") }</p>
                    if props.server.is_some() {
                        <button id="full-audit" class="primary" disabled={!state.ready()} onclick={full_audit}>{ l.t("完整核验（下载全部名单）", "Full audit (downloads the whole ledger)") }</button>
                    } else {
                        <p class="note">{ l.t("完整核验：在下方载入这期的抽奖记录和参与名单。", "For the full audit, load this draw's record and ledger below.") }</p>
                    }
                </section>
            }
        }
    };
    html! {
        <div class="page verify">
            <h2>{ l.t("验证一次抽奖", "Verify a draw") }</h2>
            { verdict }
            <p class="note">{ l.t(
                "载入抽奖记录（JSON）和冻结的参与名单（JSONL）。所有计算都在您的浏览器里完成，与命令行工具 fairdraw-verify 结果逐位一致。",
                "Load the draw record (JSON) and the frozen ledger (JSONL). Everything runs in your browser and gives the same result, bit for bit, as the fairdraw-verify command-line tool.") }</p>
            <div class={classes!("dropzone", dragging.then_some("over"))} ondrop={on_drop} ondragover={on_drag_over} ondragleave={on_drag_leave}>
                <p>{ l.t("把两个文件拖到这里，或逐个选择：", "Drop both files here, or choose them one by one:") }</p>
                <div class="field">
                    <label for="record-file">{ l.t("抽奖记录", "Draw record") }</label>
                    <input id="record-file" type="file" accept=".json,application/json" onchange={on_file(false)} />
                    <span class="loaded" id="record-source">{ describe(l, &state.record) }</span>
                </div>
                if let Some((name, to_ledger)) = &*swapped {
                    <p class="note" id="swapped-note" role="status">{ if *to_ledger {
                        format!("{} {name} {}", l.t("文件", "The file"), l.t("是参与名单，不是抽奖记录：已放到“参与名单”一栏。", "is a ledger, not a draw record: it was put in the ledger slot."))
                    } else {
                        format!("{} {name} {}", l.t("文件", "The file"), l.t("是抽奖记录，不是参与名单：已放到“抽奖记录”一栏。", "is a draw record, not a ledger: it was put in the record slot."))
                    } }</p>
                }
                <div class="field">
                    <label for="ledger-file">{ l.t("参与名单", "Ledger") }</label>
                    <input id="ledger-file" type="file" accept=".jsonl,.txt" onchange={on_file(true)} />
                    <span class="loaded" id="ledger-source">{ describe(l, &state.ledger) }</span>
                </div>
            </div>
            <div class="field">
                <label for="anchor">{ l.t("公布的规则哈希（锚点）", "Published rules hash (the anchor)") }</label>
                <input id="anchor" class="mono" autocomplete="off" spellcheck="false" value={inputs.borrow().anchor.clone()} oninput={on_anchor}
                    placeholder={l.t("海报、报纸或公证文件上印的 64 位十六进制数", "the 64 hex digits on the posters, in the newspaper or in the notary's file")} />
                <p class="note">{ l.t("记录中的一切都要与开始登记前公布的这个哈希相连；没有它，一份记录只能证明它自身前后一致。",
                    "Everything in the record must chain from this hash, published before entries opened; without it a record proves only that it agrees with itself.") }</p>
            </div>
            <button id="run-verify" class="primary" disabled={!state.ready()} onclick={run}>{ l.t("开始验证", "Verify") }</button>
            if let (Some(p), Some((_, _, leaves))) = (state.percent(), state.progress) {
                <div class="progress" aria-live="polite">
                    <label for="verify-progress">{ format!("{} {leaves} {}", l.t("已核对", "Checked"), l.t("条", "entries")) }</label>
                    <progress id="verify-progress" max="100" value={p.to_string()}>{ format!("{p}%") }</progress>
                </div>
            }
            { match &state.outcome {
                None => html! {},
                Some(VerifyOutcome::Report(report)) => html! { <Checklist report={report.clone()} lang={l} /> },
                Some(VerifyOutcome::InputError(e)) => html! { <p class="fail" role="alert" id="verify-error">{ format!("{}: {e}", l.t("无法读取输入", "Cannot read the input")) }</p> },
            } }
        </div>
    }
}
