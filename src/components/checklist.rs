//! The verification checklist: one line per check, pass or fail, with its detail.

use crate::i18n::Lang;
use fairdraw_core::verify::Report;
use yew::prelude::*;

/// Props of [`Checklist`].
#[derive(Properties, PartialEq)]
pub struct ChecklistProps {
    /// The report to show.
    pub report: Report,
    /// The language.
    pub lang: Lang,
    /// The id of the summary line (two checklists can share a page).
    #[prop_or(AttrValue::from("verify-summary"))]
    pub summary_id: AttrValue,
}

/// Shows a verification report.
#[function_component(Checklist)]
pub fn checklist(props: &ChecklistProps) -> Html {
    let l = props.lang;
    let failed = props.report.failed().len();
    let total = props.report.checks.len();
    let summary = if props.report.all_passed() {
        format!("{} ({total})", l.t("全部检查通过", "All checks passed"))
    } else {
        format!(
            "{failed} {} / {total}",
            l.t("项检查未通过", "checks failed")
        )
    };
    html! {
        <section class="checklist" aria-live="polite">
            <p class={classes!("summary", if failed == 0 { "pass" } else { "fail" })} id={props.summary_id.clone()}>{ summary }</p>
            <ul>
                { for props.report.checks.iter().map(|c| html! {
                    <li class={if c.ok { "pass" } else { "fail" }} data-check={c.id.clone()}>
                        <span class="mark" aria-hidden="true">{ if c.ok { "✓" } else { "✗" } }</span>
                        <span class="visually-hidden">{ if c.ok { l.t("通过", "pass") } else { l.t("未通过", "FAIL") } }</span>
                        <code>{ &c.id }</code>
                        <span class="detail">{ if l == Lang::Zh && !c.detail_zh.is_empty() { &c.detail_zh } else { &c.detail } }</span>
                    </li>
                }) }
            </ul>
        </section>
    }
}
