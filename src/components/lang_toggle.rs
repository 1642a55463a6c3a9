//! The 中文 / English switch.

use crate::i18n::Lang;
use yew::prelude::*;

/// Props of [`LangToggle`].
#[derive(Properties, PartialEq)]
pub struct LangToggleProps {
    /// The current language.
    pub lang: Lang,
    /// Called with the other language.
    pub on_change: Callback<Lang>,
}

/// A button that switches between Chinese and English.
#[function_component(LangToggle)]
pub fn lang_toggle(props: &LangToggleProps) -> Html {
    let next = props.lang.toggled();
    let onclick = props.on_change.reform(move |_| next);
    html! {
        <button class="lang-toggle" {onclick} lang={props.lang.t("en", "zh-CN")} aria-label={props.lang.t("Switch to English", "切换到中文")}>
            { props.lang.t("English", "中文") }
        </button>
    }
}
