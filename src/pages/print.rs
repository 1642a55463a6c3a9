//! The draw record laid out for paper: what the notary files. Every input of the draw, the
//! seed, the winners and alternates, and a QR code of the public verify page.

use crate::components::qr::Qr;
use crate::components::witnesses::WitnessList;
use crate::hooks::use_campaign;
use crate::i18n::look;
use crate::pages::organizer::DrawPageProps;
use yew::prelude::*;

/// The printable record of one published draw.
#[function_component(PrintPage)]
pub fn print_page(props: &DrawPageProps) -> Html {
    let l = props.lang;
    let campaign = use_campaign(props.campaign.clone(), false, 0);
    let c = match campaign.or_page(l) {
        Ok(c) => c,
        Err(page) => return page,
    };
    let Some(r) = c.draws.get(props.draw as usize).and_then(|d| d.record()) else {
        return html! { <p class="fail">{ l.t("本期抽奖记录尚未公布。", "This draw's record is not published yet.") }</p> };
    };
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let url = format!(
        "{origin}/verify/{}/{}?anchor={}",
        c.id, props.draw, r.rules_hash
    );
    let f = &r.freeze.freeze;
    let rules = &r.rules;
    let draw = rules.draw(r.draw_index);
    let identity = rules.identity.as_ref();
    let short = |h: &str| {
        format!(
            "{}…{}",
            &h[..h.len().min(12)],
            &h[h.len().saturating_sub(6)..]
        )
    };
    let drawn_at = draw.and_then(|d| crate::state::drawn_at(&d.entropy));
    let party = |p: &str| look::party(rules, p, l);
    let prize = |name: &Option<String>| {
        name.as_deref()
            .map(|n| look::prize(rules, n, l))
            .unwrap_or_default()
    };
    let numbers_as_read: Vec<(String, String)> = match (
        draw.and_then(|d| d.entropy.public_numbers.as_ref()),
        &r.public_entropy.public_numbers,
    ) {
        (Some(spec), Some(p)) => spec
            .sources
            .iter()
            .zip(&p.values)
            .map(|(src, v)| {
                let shown = fairdraw_core::numbers::read_source(src, v)
                    .map(|g| fairdraw_core::numbers::display(src, &g))
                    .unwrap_or_else(|_| v.clone());
                (src.name.clone(), shown)
            })
            .collect(),
        _ => Vec::new(),
    };
    let fact =
        |k: &str, v: Html| html! { <tr><th scope="row">{ k.to_owned() }</th><td>{ v }</td></tr> };
    let full = |k: String, v: String| html! { <tr><th scope="row">{ k }</th><td class="mono">{ v }</td></tr> };
    let witnessed = r.witnessing.is_some() && !rules.witnesses.is_empty();
    html! {
        <div class="print legal" id="print-record">
            <crate::components::colors::CampaignColors rules={rules.clone()} />
            <div class="no-print"><button class="primary" onclick={Callback::from(|_| { if let Some(w) = web_sys::window() { let _ = w.print(); } })}>{ l.t("打印", "Print") }</button></div>
            <header class="print-head">
                if let Some(logo) = look::logo(rules) { <img class="logo" src={logo} alt="" /> }
                <div>
                    <p class="doc-kind">{ l.t("抽奖过程与结果记录（公证用）", "Record of the draw and its result (for the notary)") }</p>
                    <h1>{ format!("{} · {}", l.t(&rules.name_zh, &rules.name_en), draw.map(|d| d.name.clone()).unwrap_or_default()) }</h1>
                </div>
            </header>
            <table class="record facts-table">
                { fact(l.t("主办单位", "Organizer"), html! { { look::organizer(rules, l) } }) }
                if let Some(i) = identity.filter(|i| !i.notary_office.is_empty()) { { fact(l.t("公证机构", "Notary office"), html! { { i.notary_office.clone() } }) } }
                if let Some(i) = identity.filter(|i| !i.place.is_empty()) { { fact(l.t("开奖地点", "Place of the draw"), html! { { i.place.clone() } }) } }
                if let Some(t) = drawn_at.filter(|t| *t > 0) { { fact(l.t("开奖时间", "Time of the draw"), html! { { format!("{}{}", crate::i18n::china_time(t), l.t("（公开随机数产生之时）", " (when the public randomness was drawn)")) } }) } }
                { fact(l.t("名单冻结", "Ledger frozen"), html! { <>{ format!("{} · {} {}{} {}", crate::i18n::china_time(f.frozen_at_ms), f.tree_size, l.t("张奖券，总权重", "tickets, total weight"), "", f.total_weight) }<br/><span class="mono">{ format!("{} {}", l.t("默克尔根", "root"), short(&f.root.to_hex())) }</span></> }) }
                { fact(l.t("规则哈希（锚点）", "Rules hash (anchor)"), html! { <span class="mono" id="print-anchor">{ short(&r.rules_hash.to_hex()) }</span> }) }
                if witnessed {
                    { fact(l.t("见证", "Witnesses"), html! { <WitnessList lang={l} rules={rules.clone()} rules_hash={r.rules_hash} witnessing={r.witnessing.clone()} draw={r.draw_index} id={AttrValue::from("print-witnesses")} /> }) }
                }
                { fact(l.t("种子参与方", "Seed parties"), html! {
                    <ul class="plain">{ for f.commitments.iter().map(|cm| {
                        let revealed = r.reveals.iter().find(|rv| rv.party == cm.party).map(|rv| crate::i18n::china_time(rv.revealed_at_ms)).unwrap_or_default();
                        html! { <li>{ format!("{}：{} {}；{} {}", party(&cm.party), l.t("承诺于", "committed"), crate::i18n::china_time(cm.published_at_ms), l.t("揭示于", "revealed"), revealed) }</li> }
                    }) }</ul>
                }) }
                { for numbers_as_read.iter().map(|(name, shown)| fact(l.t("公开号码（如读入）", "Public numbers (as read)"), html! { <><span translate="no">{ name.clone() }</span><br/><strong class="numbers" id="print-numbers">{ shown.clone() }</strong></> })) }
                if let Some(dr) = &r.public_entropy.drand { { fact(l.t("drand 随机信标", "drand beacon"), html! { <span class="mono">{ format!("{} {} · {}", l.t("轮次", "round"), dr.round, short(&dr.randomness.to_hex())) }</span> }) } }
                { fact(l.t("种子", "Seed"), html! { <span class="mono">{ short(&r.seed.to_hex()) }</span> }) }
                { fact(l.t("抽奖算法", "Algorithm"), html! { <span class="mono">{ r.algorithm.clone() }</span> }) }
            </table>
            <h2>{ l.t("中奖者", "Winners") }</h2>
            <table class="record" id="print-winners">
                <thead><tr><th scope="col">{ l.t("名次", "Rank") }</th><th scope="col">{ l.t("奖品", "Prize") }</th><th scope="col">{ l.t("手机号", "Mobile") }</th><th scope="col">{ l.t("奖券序号", "Leaf") }</th><th scope="col">{ l.t("奖券号（前 16 位）", "Ticket (first 16)") }</th></tr></thead>
                <tbody>{ for r.winners.iter().map(|w| html! { <tr><td>{ w.rank + 1 }</td><td>{ prize(&w.prize) }</td><td>{ &w.phone_masked }</td><td>{ w.leaf_index }</td><td class="mono">{ &w.ticket_id.to_hex()[..16] }</td></tr> }) }</tbody>
            </table>
            <h2>{ l.t("候补（按顺序递补）", "Alternates (in order)") }</h2>
            <table class="record compact" id="print-alternates">
                <tbody>{ for r.alternates.iter().map(|w| html! { <tr><td>{ w.rank + 1 }</td><td>{ &w.phone_masked }</td><td>{ w.leaf_index }</td><td class="mono">{ &w.ticket_id.to_hex()[..16] }</td></tr> }) }</tbody>
            </table>
            <div class="verify-box">
                <Qr text={url.clone()} label={l.t("公开验证页面的二维码", "QR code of the public verify page")} />
                <div>
                    <p>{ l.t("任何人可扫码或用 fairdraw-verify 命令行工具逐位复核（完整数值见附录）：", "Anyone can re-check this bit for bit by scanning, or with the fairdraw-verify tool (full values in the appendix):") }</p>
                    <p class="mono small">{ url }</p>
                </div>
            </div>
            <div class="signature-lines" id="print-signatures">
                <div><p>{ l.t("主办单位代表（签字）：", "For the organizer (signature):") }</p><p class="line"></p><p>{ l.t("主办单位（盖章）", "Organizer's seal") }</p><div class="seal"></div></div>
                <div><p>{ l.t("公证员（签字）：", "Notary (signature):") }</p><p class="line"></p><p>{ l.t("公证处（盖章）", "Notary office's seal") }</p><div class="seal"></div></div>
                <p class="date-line">{ l.t("日期：______年____月____日", "Date: ____________") }</p>
            </div>
            <section class="appendix" id="print-appendix">
                <h2>{ l.t("附录：完整数值", "Appendix: full values") }</h2>
                <table class="record">
                    { full(l.t("规则哈希（锚点）", "Rules hash (the anchor)").into(), r.rules_hash.to_hex()) }
                    { full(l.t("默克尔根", "Merkle root").into(), f.root.to_hex()) }
                    { full(l.t("抽奖树根", "Draw-tree root").into(), f.draw_root.to_hex()) }
                    { full(l.t("服务器签名（冻结声明）", "Server signature (freeze)").into(), hex::encode(r.freeze.signature.as_slice())) }
                    { full(l.t("服务器公钥", "Server key").into(), hex::encode(rules.server_key)) }
                    { for f.commitments.iter().map(|cm| full(format!("{}{}", l.t("承诺 · ", "Commitment · "), party(&cm.party)), cm.commitment.to_hex())) }
                    { for r.reveals.iter().map(|rv| full(format!("{}{}", l.t("秘密 · ", "Secret · "), party(&rv.party)), hex::encode(rv.secret.0))) }
                    if let Some(p) = &r.public_entropy.public_numbers { { full(l.t("号码键串", "Key string").into(), p.key.clone()) } }
                    if let Some(dr) = &r.public_entropy.drand { { full(format!("drand {}", dr.round), dr.randomness.to_hex()) } }
                    { full(l.t("种子", "Seed").into(), r.seed.to_hex()) }
                    { for rules.witnesses.iter().map(|w| full(w.name.clone(), w.vkey.clone())) }
                    if witnessed { { full(l.t("见证日志公钥", "Journal vkey").into(), fairdraw_core::journal::journal_vkey_of(&r.rules_hash, rules)) } }
                    { for r.winners.iter().chain(&r.alternates).map(|w| full(format!("{} #{}", l.t("奖券", "Ticket"), w.leaf_index), w.ticket_id.to_hex())) }
                </table>
            </section>
        </div>
    }
}
