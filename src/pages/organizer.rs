//! The organizer's console: login; each campaign with its draws (open a draft, import
//! merchants, commitments, freeze, links to the live draw, winners and print view); the seed
//! ceremony; winner management.

use crate::api::{self, ApiError, CampaignView, DrawView};
use crate::app::Route;
use crate::components::qr::Qr;
use crate::components::witnesses::WitnessStatus;
use crate::hooks::{Load, use_campaign, use_now};
use crate::i18n::Lang;
use crate::live::secret_file;
use crate::state::draw_state_text;
use fairdraw_core::seed::{SeedSecret, commitment};
use gloo::file::callbacks::{FileReader, read_as_text};
use serde_json::json;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of the organizer pages that show one draw.
#[derive(Properties, PartialEq)]
pub struct DrawPageProps {
    /// The language.
    pub lang: Lang,
    /// Campaign id.
    pub campaign: String,
    /// Draw index.
    pub draw: u32,
}

/// Props of [`OrganizerPage`].
#[derive(Properties, PartialEq)]
pub struct OrganizerPageProps {
    /// The language.
    pub lang: Lang,
}

fn error_line(l: Lang, e: &ApiError) -> Html {
    html! { <p class="fail" role="alert" data-code={e.code.clone()}>{ l.t(&e.message_zh, &e.message_en) }</p> }
}

/// After an organizer action: clear the error and reload the view, or show the error. `true` on
/// success.
pub fn settle(
    result: Result<serde_json::Value, ApiError>,
    error: &UseStateHandle<Option<ApiError>>,
    refresh: &UseStateHandle<u32>,
) -> bool {
    match result {
        Ok(_) => {
            error.set(None);
            refresh.set(**refresh + 1);
            true
        }
        Err(e) => {
            error.set(Some(e));
            false
        }
    }
}

/// The campaign and its draw `n` once loaded, or what to show instead (loading, the error, or
/// "no such draw").
fn loaded_draw(
    l: Lang,
    campaign: &Load<CampaignView>,
    n: u32,
) -> Result<(&CampaignView, &DrawView), Html> {
    match campaign {
        Load::Loading => Err(html! { <p class="note">{ l.t("正在载入……", "Loading…") }</p> }),
        Load::Failed(e) => Err(error_line(l, e)),
        Load::Ready(c) => {
            c.draws.get(n as usize).map(|d| (c, d)).ok_or_else(
                || html! { <p class="fail">{ l.t("没有这一期。", "No such draw.") }</p> },
            )
        }
    }
}

/// Saves `text` as a download named `name` (a Blob URL clicked through a temporary link).
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        if let Ok(a) = doc.create_element("a") {
            let a: web_sys::HtmlAnchorElement = a.unchecked_into();
            a.set_href(&url);
            a.set_download(name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Login, then the console.
#[function_component(OrganizerPage)]
pub fn organizer_page(props: &OrganizerPageProps) -> Html {
    let l = props.lang;
    let session = use_state(|| None::<bool>);
    {
        let session = session.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                session.set(Some(api::get("/api/organizer/session").await.is_ok()));
            });
        });
    }
    let on_in = {
        let session = session.clone();
        Callback::from(move |ok: bool| session.set(Some(ok)))
    };
    match *session {
        None => {
            html! { <p class="note" aria-busy="true">{ l.t("正在检查登录……", "Checking the session…") }</p> }
        }
        Some(false) => html! { <Login lang={l} on_done={on_in} /> },
        Some(true) => {
            html! { <Console lang={l} on_logout={Callback::from(move |_| session.set(Some(false)))} /> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct LoginProps {
    lang: Lang,
    on_done: Callback<bool>,
}

#[function_component(Login)]
fn login(props: &LoginProps) -> Html {
    let l = props.lang;
    let password = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let oninput = {
        let password = password.clone();
        Callback::from(move |e: InputEvent| {
            password.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let onsubmit = {
        let password = password.clone();
        let error = error.clone();
        let done = props.on_done.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = json!({ "password": *password });
            let error = error.clone();
            let done = done.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::post("/api/organizer/login", &body).await {
                    Ok(_) => done.emit(true),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <form class="page login" {onsubmit}>
            <h2>{ l.t("组织方登录", "Organizer login") }</h2>
            <label for="password">{ l.t("密码", "Password") }</label>
            <input id="password" type="password" autocomplete="current-password" value={(*password).clone()} {oninput} />
            if let Some(e) = &*error { { error_line(l, e) } }
            <button id="login" class="primary" type="submit">{ l.t("登录", "Log in") }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct ConsoleProps {
    lang: Lang,
    on_logout: Callback<()>,
}

#[function_component(Console)]
fn console(props: &ConsoleProps) -> Html {
    let l = props.lang;
    let list = use_state(|| Load::<Vec<String>>::Loading);
    let audit = use_state(|| None::<(bool, usize)>);
    {
        let list = list.clone();
        let audit = audit.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(match api::get("/api/organizer/campaigns").await {
                    Ok(v) => Load::Ready(
                        v["campaigns"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                    Err(e) => Load::Failed(e),
                });
                if let Ok(v) = api::get("/api/organizer/audit").await {
                    audit.set(Some((
                        v["chain_ok"].as_bool().unwrap_or(false),
                        v["entries"].as_array().map_or(0, Vec::len),
                    )));
                }
            });
        });
    }
    let logout = {
        let done = props.on_logout.clone();
        Callback::from(move |_| {
            let done = done.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = api::org_post("/api/organizer/logout", &json!({})).await;
                done.emit(());
            });
        })
    };
    html! {
        <div class="page console">
            <div class="row">
                <h2>{ l.t("组织方控制台", "Organizer console") }</h2>
                <button id="logout" class="small" onclick={logout}>{ l.t("退出登录", "Log out") }</button>
            </div>
            if let Some((ok, n)) = *audit {
                <p class={if ok { "note" } else { "fail" }} id="audit-status">{ format!("{} {n} {}", l.t("操作日志", "Audit log:"),
                    if ok { l.t("条，哈希链完整", "entries, hash chain intact") } else { l.t("条，哈希链损坏！", "entries, hash chain BROKEN") }) }</p>
            }
            <Link<Route> to={Route::Setup} classes="button">{ l.t("新建活动", "New campaign") }</Link<Route>>
            { match &*list {
                Load::Loading => html! { <p class="note">{ l.t("正在载入……", "Loading…") }</p> },
                Load::Failed(e) => error_line(l, e),
                Load::Ready(ids) => html! { <>{ for ids.iter().map(|id| html! { <CampaignPanel key={id.clone()} lang={l} id={id.clone()} /> }) }</> },
            } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PanelProps {
    lang: Lang,
    id: String,
}

#[function_component(CampaignPanel)]
fn campaign_panel(props: &PanelProps) -> Html {
    let l = props.lang;
    let refresh = use_state(|| 0u32);
    let campaign = use_campaign(props.id.clone(), true, *refresh);
    let error = use_state(|| None::<ApiError>);
    let readers = use_mut_ref(Vec::<FileReader>::new);
    let now = use_now(30_000);
    let act = {
        let refresh = refresh.clone();
        let error = error.clone();
        move |path: String| {
            let refresh = refresh.clone();
            let error = error.clone();
            Callback::from(move |_: MouseEvent| {
                let (path, refresh, error) = (path.clone(), refresh.clone(), error.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    settle(api::org_post(&path, &json!({})).await, &error, &refresh);
                });
            })
        }
    };
    let on_csv = {
        let refresh = refresh.clone();
        let error = error.clone();
        let id = props.id.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let (refresh, error, id) = (refresh.clone(), error.clone(), id.clone());
            let reader = read_as_text(&gloo::file::File::from(file), move |text| {
                let text = text.unwrap_or_default();
                wasm_bindgen_futures::spawn_local(async move {
                    let path = format!("/api/organizer/campaigns/{id}/merchants");
                    settle(api::post_text(&path, text).await, &error, &refresh);
                });
            });
            readers.borrow_mut().push(reader);
        })
    };
    let c: &CampaignView = match &*campaign {
        Load::Loading => {
            return html! { <section class="panel"><p class="note">{ &props.id }</p></section> };
        }
        Load::Failed(e) => return html! { <section class="panel">{ error_line(l, e) }</section> },
        Load::Ready(c) => c,
    };
    let base = format!("/api/organizer/campaigns/{}", c.id);
    // The freeze is signed at once; whether the witnesses' quorum came in time is in its answer.
    let freeze_act = |path: String| {
        let (refresh, error) = (refresh.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (path, refresh, error) = (path.clone(), refresh.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let got = api::org_post(&path, &json!({})).await;
                let late = got.as_ref().ok().and_then(|v| {
                    (v["witnessed"]["ok"] == false).then(|| ApiError {
                        status: 200,
                        code: v["witnessed"]["code"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        message_zh: format!(
                            "{}{}",
                            "名单已冻结并签名。",
                            v["witnessed"]["message_zh"].as_str().unwrap_or_default()
                        ),
                        message_en: format!(
                            "{}{}",
                            "The ledger is frozen and signed. ",
                            v["witnessed"]["message_en"].as_str().unwrap_or_default()
                        ),
                    })
                });
                if settle(got, &error, &refresh) && late.is_some() {
                    error.set(late);
                }
            });
        })
    };
    let draw_row = |d: &DrawView| {
        let committed = |p: &str| d.commitments.iter().any(|c| c.party == p);
        let all_committed = d.seed_parties.iter().all(|p| committed(p));
        let route = |f: fn(String, u32) -> Route| f(c.id.clone(), d.index);
        html! {
            <li class="draw" data-draw={d.index.to_string()} data-state={d.state.clone()}>
                <div class="draw-head">
                    <strong>{ &d.name }</strong>
                    <span class="badge" id={format!("draw-state-{}", d.index)}>{ draw_state_text(l, &d.state, now, d.entry_start.china_start_ms(), d.closes_at_ms) }</span>
                </div>
                <p>{ format!("{} {} — {} · {} {}", l.t("登记", "Entries"), d.entry_start, d.entry_end, d.entries, l.t("张奖券", "tickets")) }</p>
                <p>{ l.t("种子承诺：", "Seed commitments: ") }
                    { for d.seed_parties.iter().map(|p| html! {
                        <span class={classes!("party", if committed(p) { "pass" } else { "fail" })}>{ format!("{} {p} ", if committed(p) { "✓" } else { "✗" }) }</span>
                    }) }
                    if d.state == "collecting" && !all_committed && c.state == "open" {
                        <Link<Route> to={route(|campaign, draw| Route::Ceremony { campaign, draw })} classes="button small">{ l.t("种子仪式", "Seed ceremony") }</Link<Route>>
                    }
                </p>
                if let Some(f) = d.freeze() {
                    <p class="sth">{ l.t("已签名冻结：", "Signed freeze: ") }
                        <code id={format!("sth-{}", d.index)}>{ format!("{} {} · root {}", f.freeze.tree_size, l.t("条", "entries"), f.freeze.root) }</code></p>
                }
                <div class="actions">
                    if d.state == "collecting" && c.state == "open" {
                        <button class="freeze" onclick={freeze_act(format!("{base}/draws/{}/freeze", d.index))}>{ l.t("冻结名单并签名", "Freeze and sign the ledger") }</button>
                    }
                    if d.state == "frozen" || d.state == "drawn" {
                        <Link<Route> to={route(|campaign, draw| Route::Live { campaign, draw })} classes="button primary live-link">{ l.t("现场开奖", "Live draw") }</Link<Route>>
                    }
                    if d.state == "drawn" {
                        <button class="publish" onclick={act(format!("{base}/draws/{}/publish", d.index))}>{ l.t("公布结果", "Publish") }</button>
                    }
                    if d.state == "drawn" || d.state == "published" {
                        <Link<Route> to={route(|campaign, draw| Route::Winners { campaign, draw })} classes="button">{ l.t("中奖管理", "Winners") }</Link<Route>>
                        <Link<Route> to={route(|campaign, draw| Route::Print { campaign, draw })} classes="button">{ l.t("打印记录", "Print record") }</Link<Route>>
                    }
                </div>
            </li>
        }
    };
    html! {
        <section class="panel" data-campaign={c.id.clone()}>
            <h3>{ l.t(&c.rules.name_zh, &c.rules.name_en) }<span class="badge">{ if c.state == "open" { l.t("进行中", "open") } else { l.t("草稿", "draft") } }</span></h3>
            <p class="note">{ format!("{} · {} {}", c.id, c.rules.merchants.len(), l.t("家商户", "shops")) }</p>
            if let Some(e) = &*error { { error_line(l, e) } }
            if c.state == "draft" {
                <label for={format!("csv-{}", c.id)}>{ l.t("导入商户 CSV（编号,名称）", "Import shops from CSV (id,name)") }</label>
                <input id={format!("csv-{}", c.id)} type="file" accept=".csv,text/csv" onchange={on_csv} />
                <button class="primary open-campaign" onclick={act(format!("{base}/open"))}>{ l.t("开始活动（规则从此固定）", "Open (the rules are then fixed)") }</button>
            }
            <p><a class="button posters-link" href={format!("/organizer/{}/posters", c.id)}>{ l.t("打印商户海报（每家一张，扫码即选好商户）", "Print shop posters (one per shop; the QR code chooses the shop)") }</a></p>
            <ol class="draws">{ for c.draws.iter().map(draw_row) }</ol>
            if c.state == "open" {
                <WitnessStatus lang={l} campaign={c.id.clone()} />
            }
        </section>
    }
}

/// A 32-byte secret from the browser's cryptographic generator.
fn fresh_secret() -> Option<SeedSecret> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; 32];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(SeedSecret(bytes))
}

/// The seed ceremony for one party: the secret is made here, saved by its holder (file and
/// printable sheet), and only its commitment goes to the server.
#[function_component(CeremonyPage)]
pub fn ceremony_page(props: &DrawPageProps) -> Html {
    let l = props.lang;
    let refresh = use_state(|| 0u32);
    let campaign = use_campaign(props.campaign.clone(), true, *refresh);
    let party = use_state(String::new);
    let secret = use_state(|| None::<SeedSecret>);
    let saved = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let done = use_state(|| None::<String>);
    let (c, d) = match loaded_draw(l, &campaign, props.draw) {
        Ok(cd) => cd,
        Err(page) => return page,
    };
    let waiting: Vec<String> = d
        .seed_parties
        .iter()
        .filter(|p| !d.commitments.iter().any(|c| &c.party == *p))
        .cloned()
        .collect();
    let chosen = if waiting.contains(&*party) {
        (*party).clone()
    } else {
        waiting.first().cloned().unwrap_or_default()
    };
    let rules_hash = c.rules.hash();
    let commit = secret
        .as_ref()
        .map(|s| commitment(&rules_hash, props.draw, &chosen, s));
    let on_party = {
        let party = party.clone();
        let secret = secret.clone();
        let saved = saved.clone();
        Callback::from(move |e: Event| {
            party.set(e.target_unchecked_into::<HtmlSelectElement>().value());
            secret.set(None);
            saved.set(false);
        })
    };
    let on_make = {
        let secret = secret.clone();
        let saved = saved.clone();
        Callback::from(move |_| {
            secret.set(fresh_secret());
            saved.set(false);
        })
    };
    let on_save = {
        let secret = secret.clone();
        let saved = saved.clone();
        let rules = c.rules.clone();
        let (draw, chosen) = (props.draw, chosen.clone());
        Callback::from(move |_| {
            if let Some(s) = &*secret {
                let name = format!(
                    "fairdraw-secret-{}-draw{}-{}.json",
                    rules.id,
                    draw + 1,
                    chosen
                );
                download(
                    &name,
                    "application/json",
                    &secret_file(&rules, draw, &chosen, s),
                );
                saved.set(true);
            }
        })
    };
    let on_print = {
        let saved = saved.clone();
        Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.print();
            }
            saved.set(true);
        })
    };
    let on_commit = {
        let error = error.clone();
        let done = done.clone();
        let refresh = refresh.clone();
        let secret = secret.clone();
        let path = format!(
            "/api/organizer/campaigns/{}/draws/{}/commitments",
            c.id, props.draw
        );
        let (chosen, commit) = (chosen.clone(), commit);
        Callback::from(move |_| {
            let Some(commit) = commit else { return };
            let body = json!({ "party": chosen, "commitment": commit });
            let (error, done, refresh, secret, path, chosen) = (
                error.clone(),
                done.clone(),
                refresh.clone(),
                secret.clone(),
                path.clone(),
                chosen.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                if settle(api::org_post(&path, &body).await, &error, &refresh) {
                    done.set(Some(chosen));
                    // The secret leaves this page: its holder has the file or the sheet.
                    secret.set(None);
                }
            });
        })
    };
    html! {
        <div class="page ceremony">
            <h2>{ format!("{} · {}", l.t("种子仪式", "Seed ceremony"), d.name) }</h2>
            <p class="note">{ l.t(
                "秘密在本浏览器中用密码学随机数生成，只把它的承诺（哈希）发送给服务器。请先保存秘密文件或打印秘密单，再提交承诺。开奖时需要出示秘密。",
                "The secret is made in this browser by its cryptographic generator; only its commitment (a hash) goes to the server. Save the secret file or print the sheet before committing: the secret is needed at the draw.") }</p>
            if let Some(p) = &*done {
                <p class="pass" role="status" id="commit-done">{ format!("{} {p}", l.t("已记录承诺：", "Commitment recorded for")) }</p>
            }
            if waiting.is_empty() {
                <p class="pass" id="all-committed">{ l.t("所有种子参与方都已提交承诺。", "Every seed party has committed.") }</p>
                <Link<Route> to={Route::Organizer} classes="button">{ l.t("返回控制台", "Back to the console") }</Link<Route>>
            } else {
                <label for="party">{ l.t("种子参与方", "Seed party") }</label>
                <select id="party" onchange={on_party}>
                    { for waiting.iter().map(|p| html! { <option value={p.clone()} selected={*p == chosen}>{ p }</option> }) }
                </select>
                <button id="make-secret" class="primary" onclick={on_make}>{ l.t("生成秘密", "Make a secret") }</button>
                if let (Some(s), Some(cm)) = (&*secret, commit) {
                    <section class="secret-sheet" aria-label={l.t("秘密单", "Secret sheet")}>
                        <h3>{ format!("{} · {} · {} · {}", c.rules.name_zh, d.name, l.t("种子秘密", "seed secret"), chosen) }</h3>
                        <p>{ l.t("秘密（开奖时出示，之前不得公开）：", "Secret (reveal at the draw, never before):") }</p>
                        <p class="hash" id="secret-hex">{ hex::encode(s.0) }</p>
                        <Qr text={hex::encode(s.0)} label={l.t("秘密的二维码", "QR code of the secret")} />
                        <p>{ l.t("承诺：", "Commitment:") }</p>
                        <p class="hash" id="commitment-hex">{ cm.to_hex() }</p>
                        <p class="note">{ format!("{} {}", l.t("规则哈希", "Rules hash"), rules_hash) }</p>
                    </section>
                    <div class="actions no-print">
                        <button id="save-secret" onclick={on_save}>{ l.t("保存秘密文件", "Save the secret file") }</button>
                        <button id="print-secret" onclick={on_print}>{ l.t("打印秘密单", "Print the sheet") }</button>
                        <button id="send-commitment" class="primary" disabled={!*saved} onclick={on_commit}>{ l.t("提交承诺", "Send the commitment") }</button>
                    </div>
                }
                if let Some(e) = &*error { { error_line(l, e) } }
            }
        </div>
    }
}

/// Winners of a drawn draw: forfeit (the next alternate steps in), prize-claim export, print.
#[function_component(WinnersPage)]
pub fn winners_page(props: &DrawPageProps) -> Html {
    let l = props.lang;
    let refresh = use_state(|| 0u32);
    let campaign = use_campaign(props.campaign.clone(), false, *refresh);
    let error = use_state(|| None::<ApiError>);
    let (c, d) = match loaded_draw(l, &campaign, props.draw) {
        Ok(cd) => cd,
        Err(page) => return page,
    };
    let base = format!("/api/organizer/campaigns/{}/draws/{}", c.id, d.index);
    let forfeit = |rank: u32, holder: String| {
        let (refresh, error, path) = (refresh.clone(), error.clone(), format!("{base}/forfeit"));
        Callback::from(move |_| {
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message("确认登记弃奖？候补将依次递补。 Mark as forfeited? The next alternate steps in.").ok())
                .unwrap_or(false);
            if !confirmed {
                return;
            }
            let (refresh, error, path, holder) =
                (refresh.clone(), error.clone(), path.clone(), holder.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // Naming the holder: a second click cannot forfeit the alternate who stepped in.
                settle(
                    api::org_post(&path, &json!({ "rank": rank, "ticket_id": holder })).await,
                    &error,
                    &refresh,
                );
            });
        })
    };
    html! {
        <div class="page winners-admin">
            <h2>{ format!("{} · {}", l.t("中奖管理", "Winners"), d.name) }</h2>
            if let Some(e) = &*error { { error_line(l, e) } }
            { match &d.results {
                None => html! { <p class="note">{ l.t("结果公布后在此管理。", "Manage winners here once the results are published.") }</p> },
                Some(r) => html! {
                    <table class="winners">
                        <thead><tr>
                            <th scope="col">{ l.t("名次", "Rank") }</th><th scope="col">{ l.t("手机号", "Mobile") }</th>
                            <th scope="col">{ l.t("状态", "Status") }</th><th scope="col"><span class="visually-hidden">{ l.t("操作", "Action") }</span></th>
                        </tr></thead>
                        <tbody>{ for r.prizes.iter().map(|p| html! {
                            <tr data-prize={p.rank.to_string()}>
                                <td>{ p.rank + 1 }</td>
                                <td>{ p.holders.iter().map(|h| h.phone_masked.clone()).collect::<Vec<_>>().join(" → ") }</td>
                                <td>{ match p.current() {
                                    Some(h) if h.kind == "alternate" => format!("{} {}（{} {}）", l.t("已弃奖，递补：", "forfeited; now"), h.phone_masked, l.t("候补", "alternate"), h.rank + 1),
                                    Some(_) => l.t("待领奖", "to claim").to_owned(),
                                    None => l.t("已弃奖，无候补", "forfeited; no alternate left").to_owned(),
                                } }</td>
                                <td>if let Some(h) = p.current() {
                                    <button class="small forfeit" onclick={forfeit(p.rank, h.ticket_id.clone())}>{ l.t("当前得主弃奖", "Current holder forfeits") }</button>
                                }</td>
                            </tr>
                        }) }</tbody>
                    </table>
                },
            } }
            <p class="actions">
                <a class="button" href={format!("{base}/contacts")} download="contacts.csv">{ l.t("导出领奖联系信息（CSV）", "Export prize-claim contacts (CSV)") }</a>
                <Link<Route> to={Route::Print { campaign: c.id.clone(), draw: d.index }} classes="button">{ l.t("打印记录", "Print record") }</Link<Route>>
            </p>
        </div>
    }
}
