//! The draw record laid out for paper: what the notary files. Every input of the draw, the
//! seed, the winners and alternates, and a QR code of the public verify page.

use crate::components::qr::Qr;
use crate::components::witnesses::WitnessList;
use crate::hooks::{Load, use_campaign};
use crate::pages::organizer::DrawPageProps;
use yew::prelude::*;

/// The printable record of one published draw.
#[function_component(PrintPage)]
pub fn print_page(props: &DrawPageProps) -> Html {
    let l = props.lang;
    let campaign = use_campaign(props.campaign.clone(), false, 0);
    let c = match &*campaign {
        Load::Loading => return html! { <p class="note">{ l.t("正在载入……", "Loading…") }</p> },
        Load::Failed(e) => {
            return html! { <p class="fail" role="alert">{ l.t(&e.message_zh, &e.message_en) }</p> };
        }
        Load::Ready(c) => c,
    };
    let Some(r) = c
        .draws
        .get(props.draw as usize)
        .and_then(|d| d.record.as_ref())
    else {
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
    let row = |k: &str, v: String| html! { <tr><th scope="row">{ k.to_owned() }</th><td class="mono">{ v }</td></tr> };
    html! {
        <div class="print" id="print-record">
            <div class="no-print"><button class="primary" onclick={Callback::from(|_| { if let Some(w) = web_sys::window() { let _ = w.print(); } })}>{ l.t("打印", "Print") }</button></div>
            <h1>{ format!("{} · {}", r.rules.name_zh, r.rules.draws.get(r.draw_index as usize).map(|d| d.name.clone()).unwrap_or_default()) }</h1>
            <p>{ &r.rules.organizer }</p>
            <table class="record">
                { row(l.t("规则哈希（锚点）", "Rules hash (the anchor)"), r.rules_hash.to_hex()) }
                { row(l.t("冻结名单条数", "Ledger size"), f.tree_size.to_string()) }
                { row(l.t("默克尔根", "Merkle root"), f.root.to_hex()) }
                { row(l.t("总权重", "Total weight"), f.total_weight.to_string()) }
                { row(l.t("抽奖树根", "Draw-tree root"), f.draw_root.to_hex()) }
                { row(l.t("冻结时间", "Frozen at"), crate::i18n::china_time(f.frozen_at_ms)) }
                { row(l.t("服务器签名", "Server signature"), hex::encode(r.freeze.signature.as_slice())) }
                { row(l.t("服务器公钥", "Server key"), hex::encode(r.rules.server_key)) }
                { for f.commitments.iter().map(|cm| row(&format!("{} {}", l.t("承诺", "Commitment"), cm.party), format!("{} · {}", cm.commitment, crate::i18n::china_time(cm.published_at_ms)))) }
                { for r.reveals.iter().map(|rv| row(&format!("{} {}", l.t("秘密", "Secret"), rv.party), format!("{} · {}", hex::encode(rv.secret.0), crate::i18n::china_time(rv.revealed_at_ms)))) }
                if let Some(p) = &r.public_entropy.public_numbers { { row(l.t("公开号码（如输入）", "Public numbers (as entered)"), p.values.join(" / ")) } }
                if let Some(p) = &r.public_entropy.public_numbers { { row(l.t("号码键串", "Key string"), p.key.clone()) } }
                if let Some(dr) = &r.public_entropy.drand { { row("drand", format!("{} · {}", dr.round, dr.randomness)) } }
                { row(l.t("种子", "Seed"), r.seed.to_hex()) }
                { row(l.t("算法", "Algorithm"), r.algorithm.clone()) }
            </table>
            if !r.rules.witnesses.is_empty() {
                <h2>{ l.t("见证方", "Witnesses") }</h2>
                <WitnessList lang={l} rules={r.rules.clone()} rules_hash={r.rules_hash} witnessing={r.witnessing.clone()} draw={r.draw_index} id={AttrValue::from("print-witnesses")} />
                <table class="record">
                    { for r.rules.witnesses.iter().map(|w| row(&w.name, w.vkey.clone())) }
                    { row(l.t("见证日志公钥", "Journal vkey"), fairdraw_core::journal::journal_vkey_of(&r.rules_hash, &r.rules)) }
                </table>
            }
            <h2>{ l.t("中奖者", "Winners") }</h2>
            <table class="record">
                <thead><tr><th scope="col">{ l.t("名次", "Rank") }</th><th scope="col">{ l.t("手机号", "Mobile") }</th><th scope="col">{ l.t("序号", "Leaf") }</th><th scope="col">{ l.t("奖券", "Ticket") }</th></tr></thead>
                <tbody>{ for r.winners.iter().map(|w| html! { <tr><td>{ w.rank + 1 }</td><td>{ &w.phone_masked }</td><td>{ w.leaf_index }</td><td class="mono">{ w.ticket_id.to_hex() }</td></tr> }) }</tbody>
            </table>
            <h2>{ l.t("候补", "Alternates") }</h2>
            <table class="record">
                <tbody>{ for r.alternates.iter().map(|w| html! { <tr><td>{ w.rank + 1 }</td><td>{ &w.phone_masked }</td><td>{ w.leaf_index }</td><td class="mono">{ w.ticket_id.to_hex() }</td></tr> }) }</tbody>
            </table>
            <div class="verify-box">
                <Qr text={url.clone()} label={l.t("公开验证页面的二维码", "QR code of the public verify page")} />
                <p>{ l.t("任何人可扫码或用 fairdraw-verify 命令行工具逐位复核：", "Anyone can re-check this bit for bit by scanning, or with the fairdraw-verify tool:") }</p>
                <p class="mono">{ url }</p>
            </div>
            <p class="signature-lines">{ l.t("公证员签字：__________　　日期：__________", "Notary: __________    Date: __________") }</p>
        </div>
    }
}
