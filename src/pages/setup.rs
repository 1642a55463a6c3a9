//! A new campaign: the form starts from the demo rules, the core validates as the organizer
//! types, and the server validates again (and sets its own key) when it is saved as a draft.

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::i18n::InLang;
use crate::i18n::Lang;
use crate::i18n::Said;
use crate::setup_form::{DrawForm, SetupForm, picture_data_url};
use crate::state::demo_rules_with_identity;
use serde_json::json;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`SetupPage`].
#[derive(Properties, PartialEq)]
pub struct SetupPageProps {
    /// The language.
    pub lang: Lang,
}

type Edit = fn(&mut SetupForm, String);
type DrawEdit = fn(&mut DrawForm, String);
/// Where a chosen picture goes in the form.
type PutPicture = Rc<dyn Fn(&mut SetupForm, String)>;

/// The setup form.
#[function_component(SetupPage)]
pub fn setup_page(props: &SetupPageProps) -> Html {
    let l = props.lang;
    let form = use_state(|| {
        let mut f = SetupForm::from_rules(&demo_rules_with_identity());
        f.id = "new-campaign".into();
        f
    });
    let error = use_state(|| None::<ApiError>);
    let navigator = use_navigator();
    let checked = form.to_rules();
    // What typing into one of the form's fields does: that field of the form changes.
    let edits = |edit: Edit| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut f = (*form).clone();
            edit(
                &mut f,
                e.target_unchecked_into::<HtmlInputElement>().value(),
            );
            form.set(f);
        })
    };
    let field = |id: &'static str, label: &'static str, value: &str, edit: Edit| {
        let oninput = edits(edit);
        html! { <><label for={id}>{ label }</label><input id={id} value={value.to_owned()} {oninput} /></> }
    };
    let draw_field = |k: usize,
                      name: &'static str,
                      label: &'static str,
                      value: &str,
                      edit: DrawEdit| {
        let form = form.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let mut f = (*form).clone();
            if let Some(d) = f.draws.get_mut(k) {
                edit(d, e.target_unchecked_into::<HtmlInputElement>().value());
            }
            form.set(f);
        });
        let id = format!("draw-{k}-{name}");
        html! { <><label for={id.clone()}>{ label }</label><input id={id} value={value.to_owned()} {oninput} /></> }
    };
    let on_merchants = {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut f = (*form).clone();
            f.merchants_csv = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            form.set(f);
        })
    };
    let add_draw = {
        let form = form.clone();
        Callback::from(move |_| {
            let mut f = (*form).clone();
            let last = f.draws.last().cloned().unwrap_or_default();
            f.draws.push(DrawForm {
                name: format!("{} +1", last.name),
                ..last
            });
            form.set(f);
        })
    };
    let remove_draw = |k: usize| {
        let form = form.clone();
        Callback::from(move |_| {
            let mut f = (*form).clone();
            if f.draws.len() > 1 {
                f.draws.remove(k);
            }
            form.set(f);
        })
    };
    let toggle_drand = |k: usize| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut f = (*form).clone();
            if let Some(d) = f.draws.get_mut(k) {
                d.drand = e.target_unchecked_into::<HtmlInputElement>().checked();
            }
            form.set(f);
        })
    };
    let on_save = {
        let rules = checked.clone().ok();
        let error = error.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(rules) = rules.clone() else { return };
            let (error, navigator) = (error.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::org_post("/api/organizer/campaigns", &json!(rules)).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Organizer);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    // A picture (logo or prize) chosen from a file: read here, carried by the rules as a
    // data URL; refused with the reason when it is not an image or too large.
    let picture_error = use_state(|| None::<Said>);
    let readers = use_mut_ref(Vec::<gloo::file::callbacks::FileReader>::new);
    let pick_picture = |put: PutPicture| {
        let (form, readers, picture_error) = (form.clone(), readers.clone(), picture_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let mime = file.type_();
            let (form, picture_error, put) = (form.clone(), picture_error.clone(), put.clone());
            let file = gloo::file::File::from(file);
            let reader = gloo::file::callbacks::read_as_bytes(&file, move |bytes| {
                let url = bytes
                    .map_err(|e| {
                        Said::new(
                            format!("无法读取文件：{e}"),
                            format!("cannot read the file: {e}"),
                        )
                    })
                    .and_then(|b| picture_data_url(&mime, &b));
                match url {
                    Ok(url) => {
                        let mut f = (*form).clone();
                        put(&mut f, url);
                        form.set(f);
                        picture_error.set(None);
                    }
                    Err(e) => picture_error.set(Some(e)),
                }
            });
            readers.borrow_mut().push(reader);
        })
    };
    let pick_prize_picture = |k: usize| {
        pick_picture(Rc::new(move |f: &mut SetupForm, url| {
            if let Some(d) = f.draws.get_mut(k) {
                d.prize_image = url;
            }
        }))
    };
    let color = |id: &'static str, label: &'static str, value: &str, edit: Edit| {
        let oninput = edits(edit);
        html! { <span class="color-field"><label for={id}>{ label }</label><input id={id} type="color" value={value.to_owned()} {oninput} /></span> }
    };
    let f = &*form;
    html! {
        <form class="page setup" onsubmit={on_save}>
            <h2>{ l.t("新建活动（草稿）", "New campaign (draft)") }</h2>
            <p class="note">{ l.t("活动开始前可以修改；开始后规则固定，其哈希公开。", "Editable until opened; then the rules are fixed and their hash is public.") }</p>
            { field("setup-id", l.t("活动编号（字母、数字、- 和 _）", "Id (letters, digits, - and _)"), &f.id, |f, v| f.id = v) }
            { field("setup-name-zh", l.t("中文名称", "Chinese name"), &f.name_zh, |f, v| f.name_zh = v) }
            { field("setup-name-en", l.t("英文名称", "English name"), &f.name_en, |f, v| f.name_en = v) }
            { field("setup-organizer", l.t("主办单位", "Organizer"), &f.organizer, |f, v| f.organizer = v) }
            { field("setup-threshold", l.t("单笔消费门槛（元）", "Threshold per receipt (yuan)"), &f.threshold, |f, v| f.threshold = v) }
            { field("setup-per-day", l.t("每人每天最多小票数（空为不限）", "Receipts per person per day (empty: no cap)"), &f.per_day, |f, v| f.per_day = v) }
            { field("setup-per-campaign", l.t("每人活动期间最多小票数", "Receipts per person in all"), &f.per_campaign, |f, v| f.per_campaign = v) }
            { field("setup-per-merchant", l.t("每人在同一商户最多小票数", "Receipts per person at one shop"), &f.per_merchant, |f, v| f.per_merchant = v) }
            { field("setup-parties", l.t("种子参与方（逗号分隔）", "Seed parties (comma separated)"), &f.parties, |f, v| f.parties = v) }
            <fieldset class="draw-form identity-form">
                <legend>{ l.t("活动形象（大屏、首页和公证记录使用，随规则一起公布）", "Identity (big screen, home page and the notary's record; published with the rules)") }</legend>
                { field("setup-organizer-en", l.t("主办单位英文名", "Organizer in English"), &f.organizer_en, |f, v| f.organizer_en = v) }
                { field("setup-notary-office", l.t("公证机构", "Notary office"), &f.notary_office, |f, v| f.notary_office = v) }
                { field("setup-place", l.t("开奖地点", "Where the draws are held"), &f.place, |f, v| f.place = v) }
                { field("setup-party-names-zh", l.t("种子参与方的中文称呼（逗号分隔，与上面顺序一致）", "Seed parties' Chinese names (comma separated, same order)"), &f.party_names_zh, |f, v| f.party_names_zh = v) }
                { field("setup-party-names-en", l.t("种子参与方的英文称呼", "Seed parties' English names"), &f.party_names_en, |f, v| f.party_names_en = v) }
                <div class="colors">
                    { color("setup-primary", l.t("主色", "Main colour"), &f.primary_color, |f, v| f.primary_color = v) }
                    { color("setup-accent", l.t("强调色（大屏上的中奖号码）", "Accent (the winner on the big screen)"), &f.accent_color, |f, v| f.accent_color = v) }
                </div>
                <label for="setup-logo">{ l.t("标志（SVG、PNG、JPEG 或 WebP，不超过 48 KB）", "Logo (SVG, PNG, JPEG or WebP, at most 48 KB)") }</label>
                if !f.logo.is_empty() { <img class="setup-logo" src={f.logo.clone()} alt={l.t("当前标志", "the logo now")} /> }
                <input id="setup-logo" type="file" accept="image/svg+xml,image/png,image/jpeg,image/webp" onchange={pick_picture(Rc::new(|f: &mut SetupForm, url| f.logo = url))} />
                if let Some(e) = &*picture_error { <p class="fail" role="alert" id="picture-error">{ e.in_lang(l).to_owned() }</p> }
            </fieldset>
            <label for="setup-merchants">{ l.t("参与商户（CSV：编号,名称）", "Shops (CSV: id,name)") }</label>
            <textarea id="setup-merchants" rows="6" value={f.merchants_csv.clone()} oninput={on_merchants} />
            { for f.draws.iter().enumerate().map(|(k, d)| html! {
                <fieldset class="draw-form">
                    <legend>{ format!("{} {}", l.t("第", "Draw"), k + 1) }</legend>
                    { draw_field(k, "name", l.t("名称", "Name"), &d.name, |d, v| d.name = v) }
                    { draw_field(k, "start", l.t("登记开始日", "First day"), &d.start, |d, v| d.start = v) }
                    { draw_field(k, "end", l.t("登记截止日", "Last day"), &d.end, |d, v| d.end = v) }
                    { draw_field(k, "prize", l.t("奖品", "Prize"), &d.prize, |d, v| d.prize = v) }
                    { draw_field(k, "prize-zh", l.t("奖品在屏幕上的中文名（空为同上）", "Prize on screens, in Chinese (empty: as above)"), &d.prize_zh, |d, v| d.prize_zh = v) }
                    { draw_field(k, "prize-en", l.t("奖品英文名", "Prize in English"), &d.prize_en, |d, v| d.prize_en = v) }
                    <label for={format!("draw-{k}-prize-image")}>{ l.t("奖品图片（SVG、PNG、JPEG 或 WebP）", "Prize picture (SVG, PNG, JPEG or WebP)") }</label>
                    if !d.prize_image.is_empty() { <img class="setup-prize" src={d.prize_image.clone()} alt={l.t("当前奖品图片", "the prize picture now")} /> }
                    <input id={format!("draw-{k}-prize-image")} type="file" accept="image/svg+xml,image/png,image/jpeg,image/webp" onchange={pick_prize_picture(k)} />
                    { draw_field(k, "prizes", l.t("奖品数量", "How many"), &d.prizes, |d, v| d.prizes = v) }
                    { draw_field(k, "alternates", l.t("候补人数", "Alternates"), &d.alternates, |d, v| d.alternates = v) }
                    <label class="consent"><input type="checkbox" checked={d.drand} onchange={toggle_drand(k)} />
                        { l.t(" 使用 drand 公开随机信标（截止后一小时的轮次）", " Use the drand beacon (the round an hour after close)") }</label>
                    if !d.drand {
                        { draw_field(k, "numbers", l.t("公开号码来源", "Public numbers source"), &d.numbers_source, |d, v| d.numbers_source = v) }
                    }
                    <button type="button" class="small" onclick={remove_draw(k)} disabled={f.draws.len() < 2}>{ l.t("删除这一期", "Remove this draw") }</button>
                </fieldset>
            }) }
            <button type="button" onclick={add_draw}>{ l.t("增加一期", "Add a draw") }</button>
            { match &checked {
                Ok(r) => html! { <p class="pass" id="setup-verdict">{ format!("{} {}", l.t("✓ 规则有效，哈希", "✓ Valid rules, hash"), r.hash()) }</p> },
                Err(e) => html! { <p class="fail" role="status" id="setup-verdict">{ e }</p> },
            } }
            if let Some(e) = &*error { <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p> }
            <button class="primary" type="submit" disabled={checked.is_err()}>{ l.t("保存草稿", "Save the draft") }</button>
            <Link<Route> to={Route::Organizer}>{ l.t("取消", "Cancel") }</Link<Route>>
        </form>
    }
}
