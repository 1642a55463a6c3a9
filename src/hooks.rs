//! Shared hooks: loading the campaign the pages show, and a ticking clock.

use crate::api::{self, ApiError, CampaignView};
use yew::prelude::*;

/// Something loaded from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    /// Not answered yet.
    Loading,
    /// The answer.
    Ready(T),
    /// The failure.
    Failed(ApiError),
}

impl<T> Load<T> {
    /// The value, or what the page shows instead while it loads or when it failed.
    pub fn or_page(&self, l: crate::i18n::Lang) -> Result<&T, Html> {
        match self {
            Load::Loading => Err(
                html! { <p class="note" aria-busy="true">{ l.t("正在载入……", "Loading…") }</p> },
            ),
            Load::Failed(e) => Err(
                html! { <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p> },
            ),
            Load::Ready(v) => Ok(v),
        }
    }

    /// The value, once ready.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(v) => Some(v),
            _ => None,
        }
    }
}

/// The current (first open) campaign; `refresh` increments reload it. The first page the app
/// shows starts from the campaign the server put into the page, without asking again.
#[hook]
pub fn use_current_campaign(refresh: u32) -> UseStateHandle<Load<CampaignView>> {
    let state = use_state(|| api::served_campaign().map_or(Load::Loading, Load::Ready));
    {
        let state = state.clone();
        use_effect_with(refresh, move |refresh| {
            if *refresh == 0 && matches!(*state, Load::Ready(_)) {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match api::current_campaign().await {
                    Ok(c) => Load::Ready(c),
                    Err(e) => Load::Failed(e),
                });
            });
        });
    }
    state
}

/// A campaign by id, from the public API or (for organizers, drafts too) the organizer API.
#[hook]
pub fn use_campaign(
    id: String,
    organizer: bool,
    refresh: u32,
) -> UseStateHandle<Load<CampaignView>> {
    let state = use_state(|| Load::Loading);
    {
        let state = state.clone();
        use_effect_with((id, organizer, refresh), move |(id, organizer, _)| {
            let (id, organizer) = (id.clone(), *organizer);
            wasm_bindgen_futures::spawn_local(async move {
                let got = if organizer {
                    api::organizer_campaign(&id).await
                } else {
                    api::campaign(&id).await
                };
                state.set(match got {
                    Ok(c) => Load::Ready(c),
                    Err(e) => Load::Failed(e),
                });
            });
        });
    }
    state
}

/// The time now (Unix ms), updated every `every_ms`.
#[hook]
pub fn use_now(every_ms: u32) -> u64 {
    let now = use_state(|| js_sys::Date::now() as u64);
    {
        let now = now.clone();
        use_effect_with(every_ms, move |every| {
            let tick = gloo::timers::callback::Interval::new(*every, move || {
                now.set(js_sys::Date::now() as u64);
            });
            move || drop(tick)
        });
    }
    *now
}

/// Puts the campaign's colours (its rules' identity) on the page while it is shown: CSS
/// custom properties on the root element, set through the CSSOM (an inline `style` attribute
/// would be refused by the Content-Security-Policy).
#[hook]
pub fn use_campaign_colors(rules: &fairdraw_core::rules::CampaignRules) {
    let colors = crate::i18n::look::colors(rules);
    use_effect_with(colors, |colors| {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
        if let Some(root) = &root {
            for (name, value) in colors {
                let _ = root.style().set_property(name, value);
            }
        }
        let names: Vec<&'static str> = colors.iter().map(|(n, _)| *n).collect();
        move || {
            if let Some(root) = root {
                for name in names {
                    let _ = root.style().remove_property(name);
                }
            }
        }
    });
}
