//! Plain-Rust state of the pages (no web-sys), so it is unit-tested natively.

use fairdraw_core::civil::CivilDate;
use fairdraw_core::ledger::Ledger;
use fairdraw_core::record::DrawRecord;
use fairdraw_core::rules::CampaignRules;
use fairdraw_core::verify::{Report, verify_record};
use std::rc::Rc;
use yew::Reducible;

/// The demo campaign's rules as the rules page shows them before a server is connected:
/// the server key is all zeros until a real server publishes its own.
pub fn demo_rules() -> CampaignRules {
    let start = CivilDate::new(2026, 12, 10).unwrap_or_else(|| unreachable!("valid date"));
    fairdraw_core::demo::demo_rules([0; 32], start)
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

/// The auditor's verify page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyState {
    /// The record's file name and text, once loaded.
    pub record: Option<(String, String)>,
    /// The ledger's file name and text, once loaded.
    pub ledger: Option<(String, String)>,
    /// The outcome of the last run.
    pub outcome: Option<VerifyOutcome>,
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
    /// A record file was loaded.
    RecordLoaded(String, String),
    /// A ledger file was loaded.
    LedgerLoaded(String, String),
    /// Run the checks.
    Run,
    /// Start again.
    Clear,
}

/// Parses both inputs and verifies; never panics.
pub fn run_verification(record_text: &str, ledger_text: &str) -> VerifyOutcome {
    let record: DrawRecord = match serde_json::from_str(record_text) {
        Ok(r) => r,
        Err(e) => return VerifyOutcome::InputError(format!("record: {e}")),
    };
    match Ledger::from_jsonl(ledger_text, |_| {}) {
        Ok(ledger) => VerifyOutcome::Report(verify_record(&record, &ledger)),
        Err(e) => VerifyOutcome::InputError(e.to_string()),
    }
}

impl Reducible for VerifyState {
    type Action = VerifyAction;

    fn reduce(self: Rc<Self>, action: VerifyAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            VerifyAction::RecordLoaded(name, text) => {
                next.record = Some((name, text));
                next.outcome = None;
            }
            VerifyAction::LedgerLoaded(name, text) => {
                next.ledger = Some((name, text));
                next.outcome = None;
            }
            VerifyAction::Run => {
                if let (Some((_, r)), Some((_, l))) = (&next.record, &next.ledger) {
                    next.outcome = Some(run_verification(r, l));
                }
            }
            VerifyAction::Clear => next = VerifyState::default(),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairdraw_core::hash::Hash32;

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
    fn verify_reducer_runs_only_with_both_files() {
        let (record, ledger) = fairdraw_core::demo::demo_draw(30, &Hash32([3; 32])).expect("demo");
        let record_text = serde_json::to_string(&record).expect("json");
        let state = Rc::new(VerifyState::default());
        let state = state.reduce(VerifyAction::RecordLoaded("r.json".into(), record_text));
        let state = state.reduce(VerifyAction::Run);
        assert_eq!(state.outcome, None);
        let state = state.reduce(VerifyAction::LedgerLoaded(
            "l.jsonl".into(),
            ledger.to_jsonl(),
        ));
        let state = state.reduce(VerifyAction::Run);
        match &state.outcome {
            Some(VerifyOutcome::Report(r)) => assert!(r.all_passed(), "{:?}", r.failed()),
            other => panic!("expected a report, got {other:?}"),
        }
        let state = state.reduce(VerifyAction::LedgerLoaded("l.jsonl".into(), "{".into()));
        let state = state.reduce(VerifyAction::Run);
        assert!(matches!(state.outcome, Some(VerifyOutcome::InputError(_))));
        assert_eq!(*state.reduce(VerifyAction::Clear), VerifyState::default());
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
    fn tickets_are_remembered_once_newest_first() {
        let t = |id: &str| SavedTicket {
            campaign_id: "c".into(),
            ticket_id: id.into(),
            draw_index: 0,
            leaf_index: 1,
            phone_masked: "138****1234".into(),
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

/// What this phone could check about a ticket the server reported on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCheck {
    /// The server's status (`waiting_for_freeze`, `in_frozen_ledger`, `won`, …).
    pub status: String,
    /// The signed promise verifies under the campaign's server key and names this leaf.
    pub promise_ok: bool,
    /// After the freeze: the tree head verifies and the inclusion proof leads to its root.
    pub in_frozen_ledger: Option<Result<(), String>>,
}

/// Checks a ticket status answer in the browser: the leaf hash is recomputed here from the
/// public leaf, not taken from the server, and every signature is checked against the key in
/// the campaign's rules.
pub fn check_ticket(server_key: &[u8; 32], v: &serde_json::Value) -> Result<TicketCheck, String> {
    use fairdraw_core::hash::Hash32;
    use fairdraw_core::ledger::Leaf;
    use fairdraw_core::tree_head::{SignedTreeHead, TicketPromise};
    use serde::Deserialize;
    let leaf = Leaf::deserialize(&v["leaf"]).map_err(|e| format!("leaf: {e}"))?;
    let leaf_hash = leaf.leaf_hash();
    let promise = TicketPromise::deserialize(&v["promise"]).map_err(|e| format!("promise: {e}"))?;
    let promise_ok = promise.verify(server_key).is_ok()
        && promise.leaf_hash == leaf_hash
        && promise.leaf_index == leaf.index;
    let in_frozen_ledger = if v["tree_head"].is_object() {
        let check = || -> Result<(), String> {
            let sth = SignedTreeHead::deserialize(&v["tree_head"])
                .map_err(|e| format!("tree head: {e}"))?;
            sth.verify(server_key).map_err(|e| e.to_string())?;
            let proof = Vec::<Hash32>::deserialize(&v["inclusion_proof"])
                .map_err(|e| format!("proof: {e}"))?;
            fairdraw_core::merkle::verify_inclusion(
                &leaf_hash,
                leaf.index,
                sth.head.tree_size,
                &proof,
                &sth.head.root,
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
    })
}

#[cfg(test)]
mod ticket_tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use fairdraw_core::merkle::inclusion_proof;
    use fairdraw_core::tree_head::{TicketPromise, TreeHead};
    use serde_json::json;

    #[test]
    fn a_ticket_is_checked_here_not_taken_on_trust() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let (_, ledger) =
            fairdraw_core::demo::demo_draw(9, &fairdraw_core::hash::Hash32([1; 32])).expect("demo");
        let leaf = ledger.leaves[4].clone();
        let promise = TicketPromise::sign(&key, "c", 0, 4, leaf.leaf_hash(), leaf.entered_at_ms);
        let sth = TreeHead {
            campaign_id: "c".into(),
            draw_index: 0,
            tree_size: 9,
            root: ledger.root(),
            timestamp_ms: 1,
        }
        .sign(&key);
        let proof = inclusion_proof(&ledger.hashes, 4).expect("proof");
        let answer = json!({ "status": "in_frozen_ledger", "leaf": leaf, "promise": promise, "tree_head": sth, "inclusion_proof": proof });
        let c = check_ticket(&public, &answer).expect("check");
        assert!(c.promise_ok);
        assert_eq!(c.in_frozen_ledger, Some(Ok(())));
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
