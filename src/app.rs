//! The app shell: header with the language toggle, and the page switch.

use crate::components::lang_toggle::LangToggle;
use crate::i18n::Lang;
use crate::pages::enter::EnterPage;
use crate::pages::rules::RulesPage;
use crate::pages::verify::VerifyPage;
use gloo::storage::{LocalStorage, Storage};
use yew::prelude::*;

const LANG_KEY: &str = "fairdraw.lang";

/// Which page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The campaign rules and their hash.
    Rules,
    /// The shopper's receipt form.
    Enter,
    /// The auditor's verifier.
    Verify,
}

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let lang = use_state(|| {
        LocalStorage::get::<String>(LANG_KEY)
            .map(|c| Lang::from_code(&c))
            .unwrap_or_default()
    });
    let page = use_state(|| Page::Rules);
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |next: Lang| {
            // Storage can be full or disabled (private mode); the toggle still works.
            let _ = LocalStorage::set(LANG_KEY, next.code());
            lang.set(next);
        })
    };
    let l = *lang;
    let tab = |p: Page, zh: &'static str, en: &'static str| {
        let page = page.clone();
        let current = *page == p;
        html! {
            <button class={classes!("tab", current.then_some("active"))} aria-current={current.then_some("page")}
                onclick={Callback::from(move |_| page.set(p))}>{ l.t(zh, en) }</button>
        }
    };
    html! {
        <div class="app" lang={if l == Lang::Zh { "zh-CN" } else { "en" }}>
            <header class="top">
                <h1>{ l.t("公平抽奖 fairdraw", "fairdraw") }</h1>
                <LangToggle lang={l} on_change={on_lang} />
            </header>
            <nav class="tabs" aria-label={l.t("页面", "Pages")}>
                { tab(Page::Rules, "活动规则", "Rules") }
                { tab(Page::Enter, "登记小票", "Enter a receipt") }
                { tab(Page::Verify, "验证抽奖", "Verify a draw") }
            </nav>
            <main>
                { match *page {
                    Page::Rules => html! { <RulesPage lang={l} /> },
                    Page::Enter => html! { <EnterPage lang={l} /> },
                    Page::Verify => html! { <VerifyPage lang={l} /> },
                } }
            </main>
        </div>
    }
}
