//! The auditor's verifier: load a draw record and its ledger, re-run every check in the browser.

use crate::components::checklist::Checklist;
use crate::i18n::Lang;
use crate::state::{VerifyAction, VerifyOutcome, VerifyState};
use gloo::file::callbacks::{FileReader, read_as_text};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`VerifyPage`].
#[derive(Properties, PartialEq)]
pub struct VerifyPageProps {
    /// The language.
    pub lang: Lang,
}

/// Which input a file goes to.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Record,
    Ledger,
}

/// Loads files and shows the checklist.
#[function_component(VerifyPage)]
pub fn verify_page(props: &VerifyPageProps) -> Html {
    let l = props.lang;
    let state = use_reducer(VerifyState::default);
    // Readers must live until they finish; keep them here.
    let readers = use_mut_ref(Vec::<FileReader>::new);
    let on_file = |slot: Slot| {
        let state = state.clone();
        let readers = readers.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let file = gloo::file::File::from(file);
            let name = file.name();
            let state = state.clone();
            let reader = read_as_text(&file, move |text| {
                let text = text.unwrap_or_default();
                state.dispatch(match slot {
                    Slot::Record => VerifyAction::RecordLoaded(name, text),
                    Slot::Ledger => VerifyAction::LedgerLoaded(name, text),
                });
            });
            readers.borrow_mut().push(reader);
        })
    };
    let run = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(VerifyAction::Run))
    };
    let ready = state.record.is_some() && state.ledger.is_some();
    let loaded = |s: &Option<(String, String)>| {
        s.as_ref()
            .map(|(n, t)| format!("{n} · {} KB", t.len() / 1024))
    };
    html! {
        <div class="page verify">
            <h2>{ l.t("验证一次抽奖", "Verify a draw") }</h2>
            <p class="note">{ l.t(
                "载入抽奖记录（JSON）和冻结的参与名单（JSONL）。所有计算都在您的浏览器里完成，与命令行工具 fairdraw-verify 结果逐位一致。",
                "Load the draw record (JSON) and the frozen ledger (JSONL). Everything runs in your browser and gives the same result, bit for bit, as the fairdraw-verify command-line tool.") }</p>
            <div class="field">
                <label for="record-file">{ l.t("抽奖记录", "Draw record") }</label>
                <input id="record-file" type="file" accept=".json,application/json" onchange={on_file(Slot::Record)} />
                <span class="loaded">{ loaded(&state.record).unwrap_or_default() }</span>
            </div>
            <div class="field">
                <label for="ledger-file">{ l.t("参与名单", "Ledger") }</label>
                <input id="ledger-file" type="file" accept=".jsonl,.txt" onchange={on_file(Slot::Ledger)} />
                <span class="loaded">{ loaded(&state.ledger).unwrap_or_default() }</span>
            </div>
            <button id="run-verify" class="primary" disabled={!ready} onclick={run}>{ l.t("开始验证", "Verify") }</button>
            { match &state.outcome {
                None => html! {},
                Some(VerifyOutcome::Report(report)) => html! { <Checklist report={report.clone()} lang={l} /> },
                Some(VerifyOutcome::InputError(e)) => html! { <p class="fail" role="alert">{ format!("{}: {e}", l.t("无法读取输入", "Cannot read the input")) }</p> },
            } }
        </div>
    }
}
