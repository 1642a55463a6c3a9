//! A printable A5 poster for each participating shop: the campaign's name and logo, 满500元,
//! the shop's name, and a QR code of `/enter?shop=ID`, whose link chooses the shop on the
//! shopper's phone. Printed from the organizer console, one poster a page.

use crate::components::qr::Qr;
use crate::hooks::use_campaign;
use crate::i18n::{Lang, look};
use yew::prelude::*;

/// Props of [`PostersPage`].
#[derive(Properties, PartialEq)]
pub struct PostersProps {
    /// The language.
    pub lang: Lang,
    /// The campaign.
    pub campaign: String,
}

/// Every shop's poster, each on its own A5 page.
#[function_component(PostersPage)]
pub fn posters_page(props: &PostersProps) -> Html {
    let l = props.lang;
    let campaign = use_campaign(props.campaign.clone(), false, 0);
    let c = match campaign.or_page(l) {
        Ok(c) => c,
        Err(page) => return page,
    };
    let r = &c.rules;
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let prize = r
        .draws
        .first()
        .and_then(|d| d.prizes.first())
        .map(|p| p.name.clone());
    let cars: usize = r.draws.iter().map(|d| d.prizes.len()).sum();
    html! {
        <div class="posters">
            <crate::components::colors::CampaignColors rules={r.clone()} />
            <div class="no-print poster-tools">
                <p>{ format!("{} {} {}", l.t("共", ""), r.merchants.len(), l.t("张海报，每家商户一张（A5）。", "posters, one per shop (A5).")) }</p>
                <button class="primary" onclick={Callback::from(|_| { if let Some(w) = web_sys::window() { let _ = w.print(); } })}>{ l.t("打印全部海报", "Print every poster") }</button>
            </div>
            { for r.merchants.iter().map(|m| {
                let url = format!("{origin}/enter?shop={}", m.id);
                html! {
                    <section class="poster" data-shop={m.id.clone()}>
                        <header>
                            if let Some(logo) = look::logo(r) { <img class="logo" src={logo} alt="" /> }
                            <h2>{ &r.name_zh }</h2>
                        </header>
                        <p class="poster-offer">{ format!("单笔消费满 {} 元，扫码登记小票", r.threshold_fen.to_string().trim_end_matches(".00")) }</p>
                        <p class="poster-prize">{ format!("抽 {cars} 辆汽车") }
                            if let Some(p) = &prize { if let Some(img) = look::prize_image(r, p) { <img src={img} alt="" /> } }</p>
                        <Qr text={url.clone()} label={format!("{} {}", m.name, l.t("的登记链接", "entry link"))} />
                        <p class="poster-shop">{ &m.name }</p>
                        <p class="poster-note">{ format!("{} · {}", look::organizer(r, Lang::Zh), l.t("微信或手机浏览器扫码即可", "scan with WeChat or any phone browser")) }</p>
                        <p class="poster-url">{ url }</p>
                    </section>
                }
            }) }
        </div>
    }
}
