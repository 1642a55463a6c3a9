//! Plain-Rust state of the pages (no web-sys), so it is unit-tested natively.

use crate::i18n::Lang;
use crate::verify_job::WorkerMessage;
use fairdraw_core::civil::CivilDate;
use fairdraw_core::rules::CampaignRules;
use fairdraw_core::rules::Merchant;
use fairdraw_core::verify::Report;
use std::rc::Rc;
use yew::Reducible;

/// The demo campaign's rules as the rules page shows them before a server is connected:
/// the server key is all zeros until a real server publishes its own.
pub fn demo_rules() -> CampaignRules {
    let start = CivilDate::new(2026, 12, 10).unwrap_or_else(|| unreachable!("valid date"));
    fairdraw_core::demo::demo_rules([0; 32], start)
}

/// The demo rules with the demo's identity: where a new campaign's setup form starts.
pub fn demo_rules_with_identity() -> CampaignRules {
    let mut rules = demo_rules();
    rules.identity = Some(fairdraw_core::demo::demo_identity());
    rules
}

/// What the rules page shows for a pasted rules JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesCheck {
    /// Parsed and valid: the hash.
    Valid {
        /// The rules hash (hex).
        hash: String,
    },
    /// Parsed, but the rules cannot run.
    Invalid {
        /// The hash of what was given (hex).
        hash: String,
        /// The first problem.
        problem: String,
    },
    /// Not rules JSON at all.
    Unreadable(String),
}

/// Hashes and validates rules JSON as pasted.
pub fn check_rules_json(text: &str) -> RulesCheck {
    match serde_json::from_str::<CampaignRules>(text) {
        Err(e) => RulesCheck::Unreadable(e.to_string()),
        Ok(rules) => {
            let hash = rules.hash().to_hex();
            match rules.validate() {
                Ok(()) => RulesCheck::Valid { hash },
                Err(e) => RulesCheck::Invalid {
                    hash,
                    problem: e.to_string(),
                },
            }
        }
    }
}

/// Where one input of the verifier comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on this computer: its name and size in bytes.
    File(String, u64),
    /// This server.
    Server(String),
}

/// The auditor's verify page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyState {
    /// The record's source, once chosen.
    pub record: Option<Source>,
    /// The ledger's source, once chosen.
    pub ledger: Option<Source>,
    /// While the worker runs: bytes read, of how many, and leaves checked.
    pub progress: Option<(u64, u64, u64)>,
    /// The outcome of the last run.
    pub outcome: Option<VerifyOutcome>,
}

impl VerifyState {
    /// Both inputs chosen and nothing running.
    pub fn ready(&self) -> bool {
        self.record.is_some() && self.ledger.is_some() && self.progress.is_none()
    }

    /// Progress as a whole percentage.
    pub fn percent(&self) -> Option<u32> {
        self.progress.map(|(done, total, _)| {
            (done.min(total) * 100).checked_div(total).unwrap_or(100) as u32
        })
    }
}

/// A finished verification.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifyOutcome {
    /// The checklist.
    Report(Report),
    /// An input could not be parsed: which one, and why.
    InputError(String),
}

/// What happens on the verify page.
#[derive(Debug, Clone)]
pub enum VerifyAction {
    /// A record was chosen.
    Record(Source),
    /// A ledger was chosen.
    Ledger(Source),
    /// The worker started.
    Started,
    /// The worker said something.
    Worker(WorkerMessage),
    /// Start again.
    Clear,
}

impl Reducible for VerifyState {
    type Action = VerifyAction;

    fn reduce(self: Rc<Self>, action: VerifyAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            VerifyAction::Record(s) => {
                next.record = Some(s);
                next.outcome = None;
            }
            VerifyAction::Ledger(s) => {
                next.ledger = Some(s);
                next.outcome = None;
            }
            VerifyAction::Started => {
                next.progress = Some((0, 0, 0));
                next.outcome = None;
            }
            VerifyAction::Worker(WorkerMessage::Progress {
                done,
                total,
                leaves,
            }) => {
                if next.progress.is_some() {
                    next.progress = Some((done, total, leaves));
                }
            }
            VerifyAction::Worker(WorkerMessage::Report { report }) => {
                next.progress = None;
                next.outcome = Some(VerifyOutcome::Report(report));
            }
            VerifyAction::Worker(
                WorkerMessage::Selection { .. }
                | WorkerMessage::LightReport { .. }
                | WorkerMessage::Ready,
            ) => {}
            VerifyAction::Worker(WorkerMessage::Error { message }) => {
                next.progress = None;
                next.outcome = Some(VerifyOutcome::InputError(message));
            }
            VerifyAction::Clear => next = VerifyState::default(),
        }
        Rc::new(next)
    }
}

/// "3 天 4 小时 12 分" until a deadline, to the minute (seconds in the last minute).
pub fn countdown_text(l: Lang, ms_left: u64) -> String {
    let s = ms_left / 1000;
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    match l {
        Lang::Zh if s < 60 => format!("距截止还有 {s} 秒"),
        Lang::Zh => format!("距截止还有 {d} 天 {h} 小时 {m} 分"),
        Lang::En if s < 60 => format!("{s} s until entries close"),
        Lang::En => format!("{d} d {h} h {m} min until entries close"),
    }
}

/// A draw's state as the public reads it.
pub fn draw_state_text(
    l: Lang,
    state: &str,
    now_ms: u64,
    opens_at_ms: u64,
    closes_at_ms: u64,
) -> String {
    match state {
        "collecting" if now_ms < opens_at_ms => l.t("尚未开始", "Not open yet"),
        "collecting" if now_ms < closes_at_ms => l.t("登记中", "Open for entries"),
        "collecting" => l.t("登记已截止，待冻结名单", "Closed; ledger to be frozen"),
        "frozen" => l.t("名单已冻结，待开奖", "Ledger frozen; draw to come"),
        "drawn" => l.t("已开奖，待公布", "Drawn; to be published"),
        "published" => l.t("已开奖并公布", "Drawn and published"),
        "draft" => l.t("草稿", "Draft"),
        other => other,
    }
    .to_owned()
}

/// Does a merchant match the search text (name or id, ignoring spaces, the case of Latin
/// letters, and full-width forms a Chinese keyboard types, `ＫＦＣ` for `KFC`)?
pub fn merchant_matches(m: &Merchant, query: &str) -> bool {
    // Full-width ASCII (U+FF01–U+FF5E) to ASCII, then ASCII lower case: no Unicode case tables,
    // which weighed 15 KB gzipped in the shoppers' bundle.
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            })
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let q = fold(query);
    q.is_empty() || fold(&m.name).contains(&q) || fold(&m.id).contains(&q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_rules_are_valid_and_hash_like_the_core() {
        let rules = demo_rules();
        let text = serde_json::to_string(&rules).expect("json");
        assert_eq!(
            check_rules_json(&text),
            RulesCheck::Valid {
                hash: rules.hash().to_hex()
            }
        );
        assert!(matches!(check_rules_json("{"), RulesCheck::Unreadable(_)));
        let mut broken = rules;
        broken.draws.clear();
        let text = serde_json::to_string(&broken).expect("json");
        assert!(matches!(
            check_rules_json(&text),
            RulesCheck::Invalid { .. }
        ));
    }

    #[test]
    fn verify_reducer_follows_the_worker() {
        let state = Rc::new(VerifyState::default());
        let state = state.reduce(VerifyAction::Record(Source::File("r.json".into(), 10)));
        assert!(!state.ready());
        let state = state.reduce(VerifyAction::Ledger(Source::Server("/l".into())));
        assert!(state.ready());
        let state = state.reduce(VerifyAction::Started);
        assert!(!state.ready());
        let state = state.reduce(VerifyAction::Worker(WorkerMessage::Progress {
            done: 50,
            total: 200,
            leaves: 7,
        }));
        assert_eq!(state.percent(), Some(25));
        let report = Report::default();
        let state = state.reduce(VerifyAction::Worker(WorkerMessage::Report {
            report: report.clone(),
        }));
        assert_eq!(state.progress, None);
        assert_eq!(state.outcome, Some(VerifyOutcome::Report(report)));
        // A late progress message does not bring the bar back.
        let state = state.reduce(VerifyAction::Worker(WorkerMessage::Progress {
            done: 1,
            total: 2,
            leaves: 0,
        }));
        assert_eq!(state.progress, None);
        let state = state.reduce(VerifyAction::Started);
        let state = state.reduce(VerifyAction::Worker(WorkerMessage::Error {
            message: "ledger line 3: x".into(),
        }));
        assert!(
            matches!(&state.outcome, Some(VerifyOutcome::InputError(m)) if m.contains("line 3"))
        );
        assert_eq!(*state.reduce(VerifyAction::Clear), VerifyState::default());
    }

    #[test]
    fn countdown_and_search() {
        let ms = ((3 * 24 + 4) * 3600 + 12 * 60 + 30) * 1000;
        assert_eq!(countdown_text(Lang::Zh, ms), "距截止还有 3 天 4 小时 12 分");
        assert_eq!(countdown_text(Lang::En, 59_999), "59 s until entries close");
        assert_eq!(draw_state_text(Lang::Zh, "collecting", 0, 1, 2), "尚未开始");
        assert_eq!(draw_state_text(Lang::Zh, "collecting", 1, 1, 2), "登记中");
        assert_eq!(
            draw_state_text(Lang::En, "collecting", 2, 1, 2),
            "Closed; ledger to be frozen"
        );
        let m = Merchant {
            id: "M007".into(),
            name: "通川百货 Tongchuan".into(),
        };
        assert!(merchant_matches(&m, ""));
        assert!(merchant_matches(&m, "百货"));
        assert!(merchant_matches(&m, "m00 7"));
        assert!(merchant_matches(&m, "TONGCHUAN"));
        // As a Chinese keyboard in full-width mode types them.
        assert!(merchant_matches(&m, "ｍ００７"));
        assert!(merchant_matches(&m, "ＴＯＮＧＣＨＵＡＮ"));
        assert!(!merchant_matches(&m, "超市"));
    }
}

/// The shopper's receipt form, as typed: the core's input, plus consent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryForm {
    /// The fields the core validates.
    pub input: fairdraw_core::receipt::ReceiptInput,
    /// Consent to publishing masked details.
    pub consent: bool,
}

impl EntryForm {
    /// Fills the fields from pasted fapiao QR text, which then governs the check. A fully
    /// digital invoice's amount includes tax and fills the amount; an old-style one's is before
    /// tax, so the amount is left for the shopper to type (what they paid). Unreadable text
    /// changes nothing and says why.
    pub fn apply_qr(&mut self, text: &str) -> Result<(), fairdraw_core::receipt::Rejection> {
        let qr = fairdraw_core::receipt::FapiaoQr::parse(text)?;
        self.input.qr = text.trim().to_owned();
        self.input.receipt_number = qr.number.to_string();
        self.input.date = qr.date.to_string();
        self.input.amount = if qr.amount_includes_tax {
            qr.amount.to_string()
        } else {
            String::new()
        };
        Ok(())
    }

    /// Forgets the pasted QR text (the typed fields stay).
    pub fn clear_qr(&mut self) {
        self.input.qr.clear();
    }

    /// The verdict while typing, from the same core function the server runs: nothing until an
    /// amount is typed; then the amount alone; then, once every field is filled, the full check.
    pub fn live_verdict(
        &self,
        rules: &CampaignRules,
        today: CivilDate,
    ) -> Option<Result<fairdraw_core::receipt::EligibleReceipt, fairdraw_core::receipt::Rejection>>
    {
        use fairdraw_core::receipt::Rejection;
        let i = &self.input;
        let has_number = !i.receipt_number.trim().is_empty() || !i.qr.trim().is_empty();
        let complete = !i.merchant_id.is_empty() && has_number && !i.phone.trim().is_empty();
        if complete {
            return Some(fairdraw_core::receipt::validate_form(rules, i, today));
        }
        if i.amount.trim().is_empty() {
            return None;
        }
        match fairdraw_core::money::Fen::parse(&i.amount) {
            Err(e) => Some(Err(Rejection::Amount(e))),
            Ok(amount) if amount < rules.threshold_fen => Some(Err(Rejection::BelowThreshold {
                amount,
                threshold: rules.threshold_fen,
            })),
            Ok(_) => None,
        }
    }
}

/// A ticket kept on this phone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedTicket {
    /// Campaign id.
    pub campaign_id: String,
    /// Ticket id (hex).
    pub ticket_id: String,
    /// Draw index.
    pub draw_index: u32,
    /// Leaf index.
    pub leaf_index: u64,
    /// Masked phone, to tell tickets apart.
    pub phone_masked: String,
    /// The rules hash the ticket's signed promise names: the anchor its draw is verified
    /// against.
    #[serde(default)]
    pub anchor: Option<String>,
    /// The shop's name, as entered (for the list of tickets).
    #[serde(default)]
    pub shop: String,
    /// The amount, as the core read it (`688.00`).
    #[serde(default)]
    pub amount: String,
    /// The receipt's date (`2026-12-15`).
    #[serde(default)]
    pub date: String,
}

impl SavedTicket {
    /// The ticket's short code for people: its first 16 hex digits, upper case, in groups of
    /// four (`9F3A 0C12 77B0 4E19`); the QR code carries the whole id.
    pub fn short_code(&self) -> String {
        short_code(&self.ticket_id)
    }
}

/// See [`SavedTicket::short_code`].
pub fn short_code(ticket_id: &str) -> String {
    let head: Vec<char> = ticket_id.chars().take(16).collect();
    head.chunks(4)
        .map(|c| c.iter().collect::<String>().to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// When a draw happens: when its last public input exists (the lottery numbers, or the drand
/// round); `None` when the rules name neither.
pub fn drawn_at(e: &fairdraw_core::rules::EntropySpec) -> Option<u64> {
    let numbers = e
        .public_numbers
        .as_ref()
        .and_then(|p| p.sources.iter().map(|s| s.drawn_at_ms).max());
    let drand = e
        .drand
        .as_ref()
        .map(|x| fairdraw_core::entropy::quicknet_round_time_ms(x.round));
    numbers.max(drand)
}

/// localStorage key of the phone number remembered after the first entry on this device.
pub const PHONE_KEY: &str = "fairdraw.phone";

/// The form field a rejection is about (the element id), so its message sits under it.
pub fn field_of(code: &str) -> &'static str {
    match code {
        c if c.starts_with("AMOUNT_") => "amount",
        "BELOW_THRESHOLD" | "QR_AMOUNT_MISMATCH" => "amount",
        c if c.starts_with("DATE_") => "date",
        "DRAW_CLOSED" | "QR_DATE_MISMATCH" => "date",
        "MERCHANT_UNKNOWN" | "CAP_PER_MERCHANT" => "shop",
        "RECEIPT_MALFORMED" | "DUPLICATE_RECEIPT" | "QR_MALFORMED" => "receipt",
        "PHONE_MALFORMED" | "CAP_PER_DAY" | "CAP_PER_CAMPAIGN" => "phone",
        "CONSENT_MISSING" => "consent",
        _ => "",
    }
}

/// Why the submit button is not enabled yet, always said beside it; `None` when it is.
pub fn submit_blocker(
    form: &EntryForm,
    connected: bool,
    verdict_ok: Option<bool>,
) -> Option<crate::i18n::Said> {
    use crate::i18n::Said;
    let i = &form.input;
    let missing = |zh: &str, en: &str| Some(Said::new(zh, en));
    if !connected {
        return missing("正在连接服务器……", "Connecting to the server…");
    }
    if i.merchant_id.is_empty() {
        return missing("请选择商户", "Choose the shop");
    }
    if i.receipt_number.trim().is_empty() && i.qr.trim().is_empty() {
        return missing(
            "请扫描发票二维码，或填写小票号",
            "Scan the invoice QR code, or type the receipt number",
        );
    }
    if i.amount.trim().is_empty() {
        return missing("请填写实付金额", "Type the amount paid");
    }
    if i.phone.trim().is_empty() {
        return missing("请填写手机号", "Type your mobile number");
    }
    if verdict_ok == Some(false) {
        return missing(
            "请先改正标红的一项",
            "Correct the field marked in red first",
        );
    }
    if !form.consent {
        return missing("请勾选同意公示", "Tick the consent box");
    }
    None
}

/// localStorage key of the shopper's saved tickets.
pub const TICKETS_KEY: &str = "fairdraw.tickets";

/// The tickets saved on this device (none where storage is unavailable).
pub fn saved_tickets() -> Vec<SavedTicket> {
    crate::storage::get::<Vec<SavedTicket>>(TICKETS_KEY).unwrap_or_default()
}

/// Adds a ticket to the saved list (newest first, no repeats).
pub fn remember_ticket(mut list: Vec<SavedTicket>, t: SavedTicket) -> Vec<SavedTicket> {
    list.retain(|x| x.ticket_id != t.ticket_id);
    list.insert(0, t);
    list
}

#[cfg(test)]
mod entry_tests {
    use super::*;

    #[test]
    fn errors_sit_under_their_fields_and_the_blocker_is_named() {
        assert_eq!(field_of("AMOUNT_MALFORMED"), "amount");
        assert_eq!(field_of("BELOW_THRESHOLD"), "amount");
        assert_eq!(field_of("DATE_IN_FUTURE"), "date");
        assert_eq!(field_of("DUPLICATE_RECEIPT"), "receipt");
        assert_eq!(field_of("CAP_PER_DAY"), "phone");
        assert_eq!(field_of("MERCHANT_UNKNOWN"), "shop");
        let mut f = EntryForm::default();
        assert!(submit_blocker(&f, false, None).is_some_and(|s| s.zh.contains("连接")));
        assert!(submit_blocker(&f, true, None).is_some_and(|s| s.zh.contains("商户")));
        f.input.merchant_id = "M001".into();
        f.input.qr = "01,32,,…".into();
        f.input.amount = "688".into();
        f.input.phone = "13800138000".into();
        assert!(submit_blocker(&f, true, Some(false)).is_some_and(|s| s.zh.contains("标红")));
        assert!(submit_blocker(&f, true, Some(true)).is_some_and(|s| s.zh.contains("勾选")));
        f.consent = true;
        assert_eq!(submit_blocker(&f, true, Some(true)), None);
        assert_eq!(short_code("9f3a0c1277b04e19aaaa"), "9F3A 0C12 77B0 4E19");
    }

    fn today() -> CivilDate {
        CivilDate::parse("2026-12-20").expect("date")
    }

    #[test]
    fn live_verdict_speaks_as_soon_as_it_can() {
        let rules = demo_rules();
        let mut f = EntryForm::default();
        assert_eq!(f.live_verdict(&rules, today()), None);
        f.input.amount = "499.99".into();
        let e = f
            .live_verdict(&rules, today())
            .and_then(Result::err)
            .expect("rejection");
        assert_eq!(fairdraw_core::Coded::code(&e), "BELOW_THRESHOLD");
        f.input.amount = "500".into();
        assert_eq!(f.live_verdict(&rules, today()), None);
        f.input.merchant_id = "M001".into();
        f.input.receipt_number = "A-0001".into();
        f.input.date = "2026-12-15".into();
        f.input.phone = "13812341234".into();
        assert!(matches!(f.live_verdict(&rules, today()), Some(Ok(_))));
    }

    #[test]
    fn pasted_qr_fills_the_form() {
        let rules = demo_rules();
        let mut f = EntryForm::default();
        f.apply_qr("01,32,,26512000000136634917,688.00,20261215,,1DD6")
            .expect("fully digital");
        assert_eq!(f.input.receipt_number, "26512000000136634917");
        assert_eq!(f.input.date, "2026-12-15");
        assert_eq!(f.input.amount, "688.00");
        f.input.merchant_id = "M002".into();
        f.input.phone = "13812341234".into();
        assert!(matches!(f.live_verdict(&rules, today()), Some(Ok(_))));
        // Old style: the QR amount is before tax, so the shopper types what they paid.
        let mut f = EntryForm::default();
        f.apply_qr("01,10,036001900111,09781653,517.70,20261217,81045826961248021535,134F,")
            .expect("old style");
        assert_eq!(f.input.receipt_number, "036001900111-09781653");
        assert_eq!(f.input.amount, "");
        // Nonsense changes nothing.
        let before = f.clone();
        assert!(f.apply_qr("hello").is_err());
        assert_eq!(f, before);
        f.clear_qr();
        assert!(f.input.qr.is_empty());
    }

    #[test]
    fn tickets_are_remembered_once_newest_first() {
        let t = |id: &str| SavedTicket {
            anchor: None,
            campaign_id: "c".into(),
            ticket_id: id.into(),
            draw_index: 0,
            leaf_index: 1,
            phone_masked: "138****1234".into(),
            shop: String::new(),
            amount: String::new(),
            date: String::new(),
        };
        let list = remember_ticket(vec![t("a"), t("b")], t("b"));
        assert_eq!(
            list.iter()
                .map(|x| x.ticket_id.as_str())
                .collect::<Vec<_>>(),
            vec!["b", "a"]
        );
    }
}

/// What this phone could check about a ticket the server reported on (in the worker: the
/// signature and proof code stays out of the shoppers' bundle).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketCheck {
    /// The server's status (`waiting_for_freeze`, `in_frozen_ledger`, `won`, …).
    pub status: String,
    /// The signed promise verifies under the campaign's server key and names this leaf.
    pub promise_ok: bool,
    /// After the freeze: the tree head verifies and the inclusion proof leads to its root.
    pub in_frozen_ledger: Option<Result<(), String>>,
    /// The rules hash the signed promise names: the anchor to verify the draw against.
    pub anchor: String,
}

impl TicketCheck {
    /// Whether the ticket's draw has been drawn and published (its status says how it went).
    pub fn draw_published(&self) -> bool {
        matches!(
            self.status.as_str(),
            "won" | "forfeited" | "alternate" | "not_selected"
        )
    }
}

/// Checks a ticket status answer in the browser: the leaf hash is recomputed here from the
/// public leaf, not taken from the server, and every signature is checked against the key in
/// the campaign's rules.
pub fn check_ticket(server_key: &[u8; 32], v: &serde_json::Value) -> Result<TicketCheck, String> {
    use fairdraw_core::freeze::SignedFreeze;
    use fairdraw_core::hash::Hash32;
    use fairdraw_core::ledger::Leaf;
    use fairdraw_core::tree_head::TicketPromise;
    use serde::Deserialize;
    let leaf = Leaf::deserialize(&v["leaf"]).map_err(|e| format!("leaf: {e}"))?;
    let leaf_hash = leaf.leaf_hash();
    let promise = TicketPromise::deserialize(&v["promise"]).map_err(|e| format!("promise: {e}"))?;
    let promise_ok = promise.verify(server_key).is_ok()
        && promise.leaf_hash == leaf_hash
        && promise.leaf_index == leaf.index;
    let in_frozen_ledger = if v["freeze"].is_object() {
        let check = || -> Result<(), String> {
            let f = SignedFreeze::deserialize(&v["freeze"]).map_err(|e| format!("freeze: {e}"))?;
            f.verify(server_key).map_err(|e| e.to_string())?;
            if f.freeze.rules_hash != promise.rules_hash {
                return Err("the freeze names other rules than the ticket's promise".into());
            }
            let proof = Vec::<Hash32>::deserialize(&v["inclusion_proof"])
                .map_err(|e| format!("proof: {e}"))?;
            fairdraw_core::merkle::verify_inclusion(
                &leaf_hash,
                leaf.index,
                f.freeze.tree_size,
                &proof,
                &f.freeze.root,
            )
            .map_err(|e| e.to_string())
        };
        Some(check())
    } else {
        None
    };
    Ok(TicketCheck {
        status: v["status"].as_str().unwrap_or_default().to_owned(),
        promise_ok,
        in_frozen_ledger,
        anchor: promise.rules_hash.to_hex(),
    })
}

#[cfg(test)]
mod ticket_tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use fairdraw_core::freeze::Freeze;
    use fairdraw_core::merkle::inclusion_proof;
    use fairdraw_core::tree_head::TicketPromise;
    use serde_json::json;

    #[test]
    fn a_ticket_is_checked_here_not_taken_on_trust() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let (_, ledger) =
            fairdraw_core::demo::demo_draw(9, &fairdraw_core::hash::Hash32([1; 32])).expect("demo");
        let leaf = ledger.leaves[4].clone();
        let rules_hash = fairdraw_core::hash::Hash32([3; 32]);
        let promise = TicketPromise::sign(
            &key,
            rules_hash,
            "c",
            0,
            4,
            leaf.leaf_hash(),
            leaf.entered_at_ms,
        );
        let freeze = Freeze::of_leaves(rules_hash, "c", 0, ledger.weighted(), vec![], 1)
            .expect("freeze")
            .sign(&key);
        let proof = inclusion_proof(&ledger.hashes, 4).expect("proof");
        let answer = json!({ "status": "in_frozen_ledger", "leaf": leaf, "promise": promise, "freeze": freeze, "inclusion_proof": proof });
        let c = check_ticket(&public, &answer).expect("check");
        assert!(c.promise_ok);
        assert_eq!(c.in_frozen_ledger, Some(Ok(())));
        assert_eq!(
            c.anchor,
            rules_hash.to_hex(),
            "the promise names the anchor"
        );
        assert!(!c.draw_published());
        // A server that swaps in another leaf, or proves against another root, is caught here.
        let mut other = answer.clone();
        other["leaf"] = json!(ledger.leaves[5]);
        let c = check_ticket(&public, &other).expect("check");
        assert!(!c.promise_ok);
        assert!(matches!(c.in_frozen_ledger, Some(Err(_))));
        // Another key: nothing verifies.
        let c = check_ticket(&[9; 32], &answer).expect("check");
        assert!(!c.promise_ok && matches!(c.in_frozen_ledger, Some(Err(_))));
    }
}
