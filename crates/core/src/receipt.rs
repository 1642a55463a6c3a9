//! Receipts: numbers, fapiao QR text, and the eligibility verdict (SPEC.md §4).
//!
//! [`validate`] is the single place that decides whether a receipt enters the draw. The browser
//! runs it as the shopper types and the server runs it again on submission, so both give the
//! same verdict with the same code and message.

use crate::civil::CivilDate;
use crate::hash::Hash32;
use crate::message::Coded;
use crate::money::{Fen, MoneyError, fullwidth_to_ascii};
use crate::phone::PhoneNumber;
use crate::rules::CampaignRules;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Fapiao type codes that appear in the QR text (`01,<type>,…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceType {
    /// 01 增值税专用发票 (special VAT invoice).
    Special,
    /// 04 增值税普通发票 (ordinary VAT invoice).
    Ordinary,
    /// 08 增值税电子专用发票.
    ElectronicSpecial,
    /// 10 增值税电子普通发票.
    ElectronicOrdinary,
    /// 11 卷式发票 (roll).
    Roll,
    /// 14 通行费发票 (toll).
    Toll,
    /// 31 数电票（增值税专用发票）, fully digital special.
    DigitalSpecial,
    /// 32 数电票（普通发票）, fully digital ordinary.
    DigitalOrdinary,
}

impl InvoiceType {
    /// From the two-digit code.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "01" => Self::Special,
            "04" => Self::Ordinary,
            "08" => Self::ElectronicSpecial,
            "10" => Self::ElectronicOrdinary,
            "11" => Self::Roll,
            "14" => Self::Toll,
            "31" => Self::DigitalSpecial,
            "32" => Self::DigitalOrdinary,
            _ => return None,
        })
    }

    /// Fully digital invoices (数电票): no invoice code, a 20-digit number, and a QR amount that
    /// includes tax.
    pub fn is_fully_digital(self) -> bool {
        matches!(self, Self::DigitalSpecial | Self::DigitalOrdinary)
    }
}

/// A receipt's identity, as typed or read from a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptNumber {
    /// A fully digital invoice: 20 digits.
    DigitalFapiao(String),
    /// An old-style invoice: 10- or 12-digit code and 8-digit number.
    ClassicFapiao {
        /// 发票代码.
        code: String,
        /// 发票号码.
        number: String,
    },
    /// A merchant's own receipt number (小票号): 4–40 of `A–Z 0–9`, after normalisation.
    MerchantReceipt(String),
}

impl ReceiptNumber {
    /// Parses what a shopper typed (SPEC.md §4.2). Full-width characters become ASCII and
    /// letters are upper-cased; then every ASCII character that is not a letter or digit
    /// (spaces, dashes, slashes, dots, any punctuation) is removed, and any other character
    /// makes the number malformed. Twenty digits are a fully digital invoice, or an old-style
    /// 12-digit code with its 8-digit number; 18 digits an old-style 10-digit code and number;
    /// 4–40 letters and digits otherwise the merchant's own receipt number.
    pub fn parse(input: &str) -> Result<Self, Rejection> {
        if input.chars().count() > 100 {
            return Err(Rejection::ReceiptMalformed);
        }
        let mut norm = String::with_capacity(input.len());
        for c in fullwidth_to_ascii(input).chars() {
            if c.is_ascii_alphanumeric() {
                norm.push(c.to_ascii_uppercase());
            } else if !(c.is_ascii() || c.is_whitespace()) {
                return Err(Rejection::ReceiptMalformed);
            }
        }
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if digits(&norm, 20) {
            return Ok(Self::DigitalFapiao(norm));
        }
        if digits(&norm, 18) {
            return Ok(Self::ClassicFapiao {
                code: norm[..10].into(),
                number: norm[10..].into(),
            });
        }
        if (4..=40).contains(&norm.len()) {
            Ok(Self::MerchantReceipt(norm))
        } else {
            Err(Rejection::ReceiptMalformed)
        }
    }

    /// The dedupe key (SPEC.md §4.2): letters and digits only, so every way of writing one
    /// receipt gives one key. An invoice is unique nationwide, so its key is its digits (code
    /// then number) and does not name the merchant; typed with or without a dash, or read from
    /// its QR code, an invoice has one key. A merchant's own receipt number is unique only at
    /// that merchant.
    pub fn dedupe_key(&self, merchant_id: &str) -> String {
        match self {
            Self::DigitalFapiao(n) => format!("fapiao:{n}"),
            Self::ClassicFapiao { code, number } => format!("fapiao:{code}{number}"),
            Self::MerchantReceipt(n) => format!("receipt:{merchant_id}:{n}"),
        }
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DigitalFapiao(n) | Self::MerchantReceipt(n) => f.write_str(n),
            Self::ClassicFapiao { code, number } => write!(f, "{code}-{number}"),
        }
    }
}

/// The fields of a fapiao QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FapiaoQr {
    /// The invoice type.
    pub invoice_type: InvoiceType,
    /// Code and number.
    pub number: ReceiptNumber,
    /// The amount in the QR text: before tax on old-style invoices, including tax on fully
    /// digital ones.
    pub amount: Fen,
    /// Whether [`FapiaoQr::amount`] includes tax.
    pub amount_includes_tax: bool,
    /// The invoice date.
    pub date: CivilDate,
    /// 校验码 (may be empty on fully digital invoices).
    pub check_code: String,
}

impl FapiaoQr {
    /// Parses `01,<type>,<code>,<number>,<amount>,<YYYYMMDD>,<check>,<crc>[,]`.
    pub fn parse(text: &str) -> Result<Self, Rejection> {
        let t = fullwidth_to_ascii(text);
        let t = t.trim();
        let t = t.strip_suffix(',').unwrap_or(t);
        let f: Vec<&str> = t.split(',').map(str::trim).collect();
        let bad = |why: &'static str| Rejection::QrMalformed { why };
        if f.len() != 8 {
            return Err(bad("expected 8 comma-separated fields"));
        }
        if f[0] != "01" {
            return Err(bad("the first field must be 01"));
        }
        let invoice_type = InvoiceType::from_code(f[1]).ok_or(bad("unknown invoice type"))?;
        let is_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let number = if invoice_type.is_fully_digital() {
            if !f[2].is_empty() {
                return Err(bad("a fully digital invoice has no invoice code"));
            }
            if !is_digits(f[3], 20) {
                return Err(bad("a fully digital invoice number has 20 digits"));
            }
            ReceiptNumber::DigitalFapiao(f[3].into())
        } else {
            if !(is_digits(f[2], 10) || is_digits(f[2], 12)) {
                return Err(bad("the invoice code has 10 or 12 digits"));
            }
            if !is_digits(f[3], 8) {
                return Err(bad("the invoice number has 8 digits"));
            }
            ReceiptNumber::ClassicFapiao {
                code: f[2].into(),
                number: f[3].into(),
            }
        };
        let amount_ok = !f[4].is_empty()
            && f[4].bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && f[4].bytes().filter(|b| *b == b'.').count() <= 1;
        if !amount_ok {
            return Err(bad("the amount is not a decimal number"));
        }
        let amount = Fen::parse(f[4]).map_err(|_| bad("the amount is not a valid amount"))?;
        if !is_digits(f[5], 8) {
            return Err(bad("the date is not YYYYMMDD"));
        }
        let date = CivilDate::parse(f[5]).map_err(|_| bad("the date does not exist"))?;
        if !f[6].bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("the check code is not alphanumeric"));
        }
        if f[7].is_empty() || !f[7].bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the last field is not a hex checksum"));
        }
        Ok(FapiaoQr {
            invoice_type,
            number,
            amount,
            amount_includes_tax: invoice_type.is_fully_digital(),
            date,
            check_code: f[6].into(),
        })
    }
}

/// The highest VAT rate in force (13%): an old-style QR's pre-tax amount times this bounds the
/// total a shopper can honestly claim.
pub const MAX_VAT_PERCENT: u64 = 13;

/// What a shopper submitted. Text fields are exactly as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptInput {
    /// The merchant id picked from the list.
    pub merchant_id: String,
    /// The receipt number, typed (empty when a QR is given).
    pub receipt_number: String,
    /// Fapiao QR text, if scanned or pasted (empty otherwise).
    pub qr: String,
    /// The receipt date as typed (may be empty with a QR).
    pub date: String,
    /// The amount paid, as typed (may be empty with a fully digital QR).
    pub amount: String,
    /// The shopper's phone number.
    pub phone: String,
}

/// The shopper's receipts already accepted, for the caps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonUsage {
    /// Accepted today (China time, day of entry).
    pub today: u32,
    /// Accepted over the campaign.
    pub campaign: u32,
    /// Accepted at this merchant.
    pub at_merchant: u32,
}

/// An eligible receipt, normalised, ready to become a ledger leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibleReceipt {
    /// The merchant id.
    pub merchant_id: String,
    /// The receipt's identity.
    pub receipt: ReceiptNumber,
    /// Its dedupe key (never published; only its keyed fingerprint is).
    pub dedupe_key: String,
    /// The amount paid.
    pub amount: Fen,
    /// The receipt date.
    pub date: CivilDate,
    /// Chances it earns.
    pub weight: u32,
    /// The draw it enters.
    pub draw_index: u32,
    /// The shopper's phone.
    pub phone: PhoneNumber,
}

/// Why a receipt does not enter the draw. Every variant has a stable code and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The amount could not be read.
    Amount(MoneyError),
    /// Above the rules' ceiling for one receipt.
    AboveMaximum {
        /// The ceiling.
        max: Fen,
    },
    /// The draw this receipt's date belongs to has stopped taking entries.
    DrawClosed {
        /// The draw's last entry day.
        end: CivilDate,
    },
    /// Below the threshold.
    BelowThreshold {
        /// The amount.
        amount: Fen,
        /// The threshold.
        threshold: Fen,
    },
    /// The date could not be read.
    DateMalformed,
    /// Before the campaign (or every draw) window.
    DateBeforeWindow {
        /// First day that counts.
        start: CivilDate,
    },
    /// After the campaign window, or in a gap between draws.
    DateAfterWindow {
        /// Last day that counts.
        end: CivilDate,
    },
    /// Later than today.
    DateInFuture,
    /// Not a participating merchant.
    MerchantUnknown,
    /// No receipt number, or not a well-formed one.
    ReceiptMalformed,
    /// The QR text is not a fapiao QR.
    QrMalformed {
        /// What is wrong, in English, for the detail line.
        why: &'static str,
    },
    /// The typed total does not fit the QR amount.
    QrAmountMismatch,
    /// The typed date differs from the QR date.
    QrDateMismatch,
    /// This receipt has been entered before.
    Duplicate,
    /// The phone number is malformed.
    Phone,
    /// The shopper's daily cap is reached.
    CapPerDay {
        /// The cap.
        cap: u32,
    },
    /// The shopper's campaign cap is reached.
    CapPerCampaign {
        /// The cap.
        cap: u32,
    },
    /// The shopper's cap at this merchant is reached.
    CapPerMerchant {
        /// The cap.
        cap: u32,
    },
    /// The shopper did not agree to publishing masked details.
    ConsentMissing,
}

impl Rejection {
    /// The input field the rejection concerns, for the form to highlight.
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            Self::Amount(_)
            | Self::BelowThreshold { .. }
            | Self::AboveMaximum { .. }
            | Self::QrAmountMismatch => "amount",
            Self::DrawClosed { .. } => "date",
            Self::DateMalformed
            | Self::DateBeforeWindow { .. }
            | Self::DateAfterWindow { .. }
            | Self::DateInFuture
            | Self::QrDateMismatch => "date",
            Self::MerchantUnknown => "merchant_id",
            Self::ReceiptMalformed | Self::Duplicate => "receipt_number",
            Self::QrMalformed { .. } => "qr",
            Self::Phone => "phone",
            Self::ConsentMissing => "consent",
            Self::CapPerDay { .. } | Self::CapPerCampaign { .. } | Self::CapPerMerchant { .. } => {
                return None;
            }
        })
    }
}

impl Coded for Rejection {
    fn code(&self) -> &'static str {
        match self {
            Self::Amount(e) => e.code(),
            Self::BelowThreshold { .. } => "BELOW_THRESHOLD",
            Self::AboveMaximum { .. } => "AMOUNT_ABOVE_MAXIMUM",
            Self::DrawClosed { .. } => "DRAW_CLOSED",
            Self::DateMalformed => "DATE_MALFORMED",
            Self::DateBeforeWindow { .. } => "DATE_BEFORE_WINDOW",
            Self::DateAfterWindow { .. } => "DATE_AFTER_WINDOW",
            Self::DateInFuture => "DATE_IN_FUTURE",
            Self::MerchantUnknown => "MERCHANT_UNKNOWN",
            Self::ReceiptMalformed => "RECEIPT_MALFORMED",
            Self::QrMalformed { .. } => "QR_MALFORMED",
            Self::QrAmountMismatch => "QR_AMOUNT_MISMATCH",
            Self::QrDateMismatch => "QR_DATE_MISMATCH",
            Self::Duplicate => "DUPLICATE_RECEIPT",
            Self::Phone => "PHONE_MALFORMED",
            Self::CapPerDay { .. } => "CAP_PER_DAY",
            Self::CapPerCampaign { .. } => "CAP_PER_CAMPAIGN",
            Self::CapPerMerchant { .. } => "CAP_PER_MERCHANT",
            Self::ConsentMissing => "CONSENT_MISSING",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Amount(e) => e.message_zh(),
            Self::BelowThreshold { amount, threshold } => {
                format!("消费金额 {amount} 元未达到 {threshold} 元，不能参与抽奖。")
            }
            Self::AboveMaximum { max } => {
                format!("单张小票金额超过本活动上限 {max} 元，请核对金额。")
            }
            Self::DrawClosed { end } => {
                format!("该日期所属的一期已于 {end} 截止登记，不能再参加。")
            }
            Self::DateMalformed => "消费日期格式不正确，请按 年-月-日 填写。".into(),
            Self::DateBeforeWindow { start } => {
                format!("活动从 {start} 开始，此前的消费不能参与。")
            }
            Self::DateAfterWindow { end } => format!("该日期不在活动期内（截至 {end}）。"),
            Self::DateInFuture => "消费日期不能晚于今天。".into(),
            Self::MerchantUnknown => "该商户不是本次活动的参与商户。".into(),
            Self::ReceiptMalformed => "小票号或发票号码格式不正确，请核对后重新填写。".into(),
            Self::QrMalformed { .. } => "无法识别发票二维码内容，请手动填写。".into(),
            Self::QrAmountMismatch => "填写的实付金额与发票二维码中的金额不符。".into(),
            Self::QrDateMismatch => "填写的日期与发票二维码中的开票日期不符。".into(),
            Self::Duplicate => "该小票（发票）已经登记过，不能重复参与。".into(),
            Self::Phone => crate::phone::PhoneError.message_zh(),
            Self::CapPerDay { cap } => format!("每人每天最多登记 {cap} 张小票，请明天再来。"),
            Self::CapPerCampaign { cap } => format!("每人在本次活动中最多登记 {cap} 张小票。"),
            Self::CapPerMerchant { cap } => format!("每人在同一商户最多登记 {cap} 张小票。"),
            Self::ConsentMissing => "请勾选同意公示规则（见表单下方说明）。".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Amount(e) => e.message_en(),
            Self::BelowThreshold { amount, threshold } => {
                format!("¥{amount} is below the ¥{threshold} needed to enter the draw.")
            }
            Self::AboveMaximum { max } => format!(
                "That is more than the ¥{max} this promotion accepts on one receipt; please check the amount."
            ),
            Self::DrawClosed { end } => {
                format!("Entries for the draw this receipt's date belongs to closed on {end}.")
            }
            Self::DateMalformed => "Enter the receipt date as YYYY-MM-DD.".into(),
            Self::DateBeforeWindow { start } => {
                format!("The promotion starts on {start}; earlier receipts do not count.")
            }
            Self::DateAfterWindow { end } => {
                format!("That date is outside the promotion (which runs to {end}).")
            }
            Self::DateInFuture => "The receipt date cannot be later than today.".into(),
            Self::MerchantUnknown => "That shop is not taking part in the promotion.".into(),
            Self::ReceiptMalformed => {
                "That receipt or invoice number is not valid; please check it.".into()
            }
            Self::QrMalformed { why } => {
                format!("That is not a fapiao QR code ({why}); please type the details.")
            }
            Self::QrAmountMismatch => {
                "The amount paid does not match the amount on the invoice QR code.".into()
            }
            Self::QrDateMismatch => "The date does not match the invoice QR code.".into(),
            Self::Duplicate => "This receipt has already been entered.".into(),
            Self::Phone => crate::phone::PhoneError.message_en(),
            Self::CapPerDay { cap } => {
                format!("You can enter at most {cap} receipts a day; please come back tomorrow.")
            }
            Self::CapPerCampaign { cap } => {
                format!("You can enter at most {cap} receipts in this promotion.")
            }
            Self::CapPerMerchant { cap } => {
                format!("You can enter at most {cap} receipts from the same shop.")
            }
            Self::ConsentMissing => {
                "Please agree to what is published (explained under the form).".into()
            }
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message_en())
    }
}

impl std::error::Error for Rejection {}

/// Validates a receipt's form and eligibility, without the state-dependent checks (duplicate
/// receipt, caps): what the browser can decide while the shopper types.
///
/// `today` is the China-time date now, supplied by the caller.
pub fn validate_form(
    rules: &CampaignRules,
    input: &ReceiptInput,
    today: CivilDate,
) -> Result<EligibleReceipt, Rejection> {
    if rules.merchant(input.merchant_id.trim()).is_none() {
        return Err(Rejection::MerchantUnknown);
    }
    let merchant_id = input.merchant_id.trim().to_owned();
    let typed_date = if input.date.trim().is_empty() {
        None
    } else {
        Some(
            CivilDate::parse(&fullwidth_to_ascii(&input.date))
                .map_err(|_| Rejection::DateMalformed)?,
        )
    };
    let typed_amount = if input.amount.trim().is_empty() {
        None
    } else {
        Some(Fen::parse(&input.amount).map_err(Rejection::Amount)?)
    };
    let (receipt, date, amount) = if input.qr.trim().is_empty() {
        let receipt = ReceiptNumber::parse(&input.receipt_number)?;
        let date = typed_date.ok_or(Rejection::DateMalformed)?;
        let amount = typed_amount.ok_or(Rejection::Amount(MoneyError::Empty))?;
        (receipt, date, amount)
    } else {
        let qr = FapiaoQr::parse(&input.qr)?;
        if typed_date.is_some_and(|d| d != qr.date) {
            return Err(Rejection::QrDateMismatch);
        }
        let amount = if qr.amount_includes_tax {
            match typed_amount {
                Some(a) if a != qr.amount => return Err(Rejection::QrAmountMismatch),
                _ => qr.amount,
            }
        } else {
            // Old-style QR amounts are before tax: the rule is on the amount paid, so the
            // shopper must type the total, and it must be what tax could add to the QR amount.
            let total = typed_amount.ok_or(Rejection::Amount(MoneyError::Empty))?;
            let most = qr.amount.0 * (100 + MAX_VAT_PERCENT);
            if total.0 < qr.amount.0 || total.0 * 100 > most + 100 {
                return Err(Rejection::QrAmountMismatch);
            }
            total
        };
        (qr.number, qr.date, amount)
    };
    let phone = PhoneNumber::parse(&input.phone).map_err(|_| Rejection::Phone)?;
    if amount < rules.threshold_fen {
        return Err(Rejection::BelowThreshold {
            amount,
            threshold: rules.threshold_fen,
        });
    }
    if amount > rules.max_amount_fen {
        return Err(Rejection::AboveMaximum {
            max: rules.max_amount_fen,
        });
    }
    if date > today {
        return Err(Rejection::DateInFuture);
    }
    if date < rules.entry_start {
        return Err(Rejection::DateBeforeWindow {
            start: rules.entry_start,
        });
    }
    let (draw_index, draw) = rules
        .draw_for_date(date)
        .ok_or(Rejection::DateAfterWindow {
            end: rules.draws.last().map_or(rules.entry_end, |d| d.entry_end),
        })?;
    // Entries are refused at and after the draw's close (the end of its last day, China time).
    if today > draw.entry_end {
        return Err(Rejection::DrawClosed {
            end: draw.entry_end,
        });
    }
    let dedupe_key = receipt.dedupe_key(&merchant_id);
    Ok(EligibleReceipt {
        merchant_id,
        receipt,
        dedupe_key,
        amount,
        date,
        weight: rules.weight_for(amount),
        draw_index,
        phone,
    })
}

/// Full validation: [`validate_form`], then duplicates (by the caller's knowledge of used dedupe
/// keys) and the per-person caps.
pub fn validate(
    rules: &CampaignRules,
    input: &ReceiptInput,
    today: CivilDate,
    already_used: impl FnOnce(&str) -> bool,
    usage: PersonUsage,
) -> Result<EligibleReceipt, Rejection> {
    let receipt = validate_form(rules, input, today)?;
    if already_used(&receipt.dedupe_key) {
        return Err(Rejection::Duplicate);
    }
    check_caps(rules, usage)?;
    Ok(receipt)
}

/// The per-person caps alone.
pub fn check_caps(rules: &CampaignRules, usage: PersonUsage) -> Result<(), Rejection> {
    let caps = &rules.caps;
    if let Some(cap) = caps.per_day.filter(|c| usage.today >= *c) {
        return Err(Rejection::CapPerDay { cap });
    }
    if let Some(cap) = caps.per_campaign.filter(|c| usage.campaign >= *c) {
        return Err(Rejection::CapPerCampaign { cap });
    }
    if let Some(cap) = caps.per_merchant.filter(|c| usage.at_merchant >= *c) {
        return Err(Rejection::CapPerMerchant { cap });
    }
    Ok(())
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8; 32], msg: &[u8]) -> Hash32 {
    // HMAC accepts keys of any length; a 32-byte key cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Hash32::default(),
    };
    mac.update(msg);
    Hash32(mac.finalize().into_bytes().into())
}

/// Domain tag of participant pseudonyms.
pub const PARTICIPANT_TAG: &str = "fairdraw/participant/v2";
/// Domain tag of receipt fingerprints.
pub const FINGERPRINT_TAG: &str = "fairdraw/receipt/v2";
/// Domain tag of the server's private per-campaign person key (never published).
pub const PERSON_TAG: &str = "fairdraw/person/v2";

/// The participant pseudonym of one draw (SPEC.md §4.5): HMAC-SHA256 under the server's
/// pseudonym key of the campaign id, the draw index and the normalised phone. One per person
/// and draw, so the public ledgers of two draws cannot be joined on it; without the key nobody
/// can test a guessed phone number against it.
pub fn participant_pseudonym(
    key: &[u8; 32],
    campaign_id: &str,
    draw_index: u32,
    phone: &PhoneNumber,
) -> Hash32 {
    let mut e = crate::encode::Encoder::with_tag(PARTICIPANT_TAG);
    e.str(campaign_id).u32(draw_index).str(phone.as_str());
    hmac(key, e.as_bytes())
}

/// The server's own key for a person across a whole campaign, for the per-campaign caps. It
/// stays in the server's database; the public ledger never shows it.
pub fn person_key(key: &[u8; 32], campaign_id: &str, phone: &PhoneNumber) -> Hash32 {
    let mut e = crate::encode::Encoder::with_tag(PERSON_TAG);
    e.str(campaign_id).str(phone.as_str());
    hmac(key, e.as_bytes())
}

/// The receipt fingerprint: HMAC-SHA256 under the server's pseudonym key of the dedupe key.
pub fn receipt_fingerprint(key: &[u8; 32], dedupe_key: &str) -> Hash32 {
    let mut e = crate::encode::Encoder::with_tag(FINGERPRINT_TAG);
    e.str(dedupe_key);
    hmac(key, e.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_rules;

    fn rules() -> CampaignRules {
        demo_rules([1; 32], CivilDate::parse("2026-12-10").expect("d"))
    }
    fn today() -> CivilDate {
        CivilDate::parse("2026-12-20").expect("d")
    }
    fn input(amount: &str) -> ReceiptInput {
        ReceiptInput {
            merchant_id: "M001".into(),
            receipt_number: "A2026-000123".into(),
            date: "2026-12-15".into(),
            amount: amount.into(),
            phone: "13812341234".into(),
            ..Default::default()
        }
    }

    #[test]
    fn real_fapiao_qr_strings() {
        let q = FapiaoQr::parse(
            "01,10,036001900111,09781653,17.70,20211017,81045826961248021535,134F,",
        )
        .expect("old-style");
        assert_eq!(q.invoice_type, InvoiceType::ElectronicOrdinary);
        assert_eq!(q.amount, Fen(1770));
        assert!(!q.amount_includes_tax);
        assert_eq!(q.number.dedupe_key("M1"), "fapiao:03600190011109781653");
        let q =
            FapiaoQr::parse("01,10,011001605111,80100798,64.9,20161018,85342965681116380258,BE2D")
                .expect("no trailing comma");
        assert_eq!(q.amount, Fen(6490));
        let q =
            FapiaoQr::parse("01,32,,24312000000136634917,0.01,20240514,,1DD6").expect("digital");
        assert!(q.amount_includes_tax);
        assert_eq!(
            q.number,
            ReceiptNumber::DigitalFapiao("24312000000136634917".into())
        );
        for bad in [
            "",
            "01,10,036001900111,09781653,17.70,20211017,81045826961248021535",
            "02,10,036001900111,09781653,17.70,20211017,8104582696124802153,134F",
            "01,99,036001900111,09781653,17.70,20211017,81045826961248021535,134F",
            "01,32,123,24312000000136634917,0.01,20240514,,1DD6",
            "01,10,036001900111,0978165,17.70,20211017,81045826961248021535,134F",
            "01,10,036001900111,09781653,-17.70,20211017,81045826961248021535,134F",
            "01,10,036001900111,09781653,17.70,20210230,81045826961248021535,134F",
        ] {
            assert!(
                matches!(FapiaoQr::parse(bad), Err(Rejection::QrMalformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn receipt_numbers_normalise() {
        assert_eq!(
            ReceiptNumber::parse(" ａ2026-000123 ").map(|r| r.dedupe_key("M001")),
            Ok("receipt:M001:A2026000123".into())
        );
        assert_eq!(
            ReceiptNumber::parse("2651 2000 0001 3663 4917").map(|r| r.dedupe_key("M001")),
            Ok("fapiao:26512000000136634917".into())
        );
        assert_eq!(
            ReceiptNumber::parse("036001900111-09781653").map(|r| r.dedupe_key("M9")),
            Ok("fapiao:03600190011109781653".into())
        );
        // Every separator goes: these are all one receipt (found by an outside check of v1).
        for same in [
            "DUPX-000777",
            "DUPX000777",
            "DUPX--000777",
            "-DUPX-000777",
            "DUPX-000777-",
            "dupx 000777",
            "ＤＵＰＸ－０００７７７",
            "DUPX/000777.",
        ] {
            assert_eq!(
                ReceiptNumber::parse(same).map(|r| r.dedupe_key("M001")),
                Ok("receipt:M001:DUPX000777".into()),
                "{same}"
            );
        }
        // An old-style invoice typed with or without its dash, or read from its QR code.
        let qr =
            FapiaoQr::parse("01,04,036001900111,09781653,100.00,20261212,12345,ABCD").expect("qr");
        for typed in [
            "036001900111-09781653",
            "03600190011109781653",
            "036001900111/09781653",
        ] {
            assert_eq!(
                ReceiptNumber::parse(typed).map(|r| r.dedupe_key("M001")),
                Ok(qr.number.dedupe_key("M002")),
                "{typed}"
            );
        }
        for bad in ["", "ab", "!!!!", "----", &"9".repeat(41), "小票123456"] {
            assert_eq!(
                ReceiptNumber::parse(bad),
                Err(Rejection::ReceiptMalformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn verdicts() {
        let r = rules();
        let ok = validate(
            &r,
            &input("500"),
            today(),
            |_| false,
            PersonUsage::default(),
        )
        .expect("eligible");
        assert_eq!((ok.amount, ok.weight, ok.draw_index), (Fen(50_000), 1, 0));
        let code = |i: &ReceiptInput| {
            validate(&r, i, today(), |_| false, PersonUsage::default()).map_err(|e| e.code())
        };
        assert_eq!(code(&input("499.99")).err(), Some("BELOW_THRESHOLD"));
        assert_eq!(code(&input("-1")).err(), Some("AMOUNT_NEGATIVE"));
        let mut i = input("500");
        i.date = "2026-12-21".into();
        assert_eq!(code(&i).err(), Some("DATE_IN_FUTURE"));
        i.date = "2026-12-09".into();
        assert_eq!(code(&i).err(), Some("DATE_BEFORE_WINDOW"));
        i.date = "2026-12-32".into();
        assert_eq!(code(&i).err(), Some("DATE_MALFORMED"));
        let mut i = input("500");
        i.merchant_id = "M999".into();
        assert_eq!(code(&i).err(), Some("MERCHANT_UNKNOWN"));
        let dup = validate(&r, &input("500"), today(), |_| true, PersonUsage::default());
        assert_eq!(dup.map_err(|e| e.code()).err(), Some("DUPLICATE_RECEIPT"));
        let capped = validate(
            &r,
            &input("500"),
            today(),
            |_| false,
            PersonUsage {
                today: 5,
                ..Default::default()
            },
        );
        assert_eq!(capped.map_err(|e| e.code()).err(), Some("CAP_PER_DAY"));
        let mut i = input("500");
        i.phone = "12345".into();
        assert_eq!(code(&i).err(), Some("PHONE_MALFORMED"));
        let e = Rejection::BelowThreshold {
            amount: Fen(49_999),
            threshold: Fen(50_000),
        };
        assert_eq!(
            e.message_zh(),
            "消费金额 499.99 元未达到 500.00 元，不能参与抽奖。"
        );
    }

    #[test]
    fn qr_amount_rules() {
        let r = rules();
        let mut i = input("");
        i.receipt_number.clear();
        // Fully digital: the QR amount includes tax and is the amount paid.
        i.qr = "01,32,,26512000000136634917,688.00,20261215,,1DD6".into();
        let ok = validate_form(&r, &i, today()).expect("digital QR alone is enough");
        assert_eq!(ok.amount, Fen(68_800));
        i.amount = "600".into();
        assert_eq!(
            validate_form(&r, &i, today()).map_err(|e| e.code()).err(),
            Some("QR_AMOUNT_MISMATCH")
        );
        // Old-style: pre-tax 450 cannot prove 500 paid; the shopper types the total.
        i.qr = "01,10,051001900111,09781653,450.00,20261215,81045826961248021535,134F".into();
        i.amount.clear();
        assert_eq!(
            validate_form(&r, &i, today()).map_err(|e| e.code()).err(),
            Some("AMOUNT_EMPTY")
        );
        i.amount = "508.50".into();
        assert_eq!(
            validate_form(&r, &i, today()).map(|e| e.amount),
            Ok(Fen(50_850))
        );
        i.amount = "600".into();
        assert_eq!(
            validate_form(&r, &i, today()).map_err(|e| e.code()).err(),
            Some("QR_AMOUNT_MISMATCH")
        );
        i.amount = "449".into();
        assert_eq!(
            validate_form(&r, &i, today()).map_err(|e| e.code()).err(),
            Some("QR_AMOUNT_MISMATCH")
        );
        i.amount = "508.50".into();
        i.date = "2026-12-16".into();
        assert_eq!(
            validate_form(&r, &i, today()).map_err(|e| e.code()).err(),
            Some("QR_DATE_MISMATCH")
        );
    }

    #[test]
    fn keyed_hashes_depend_on_key() {
        let p = PhoneNumber::parse("13812341234").expect("phone");
        let pseudonym = |key: u8, draw: u32| participant_pseudonym(&[key; 32], "c", draw, &p);
        assert_ne!(pseudonym(1, 0), pseudonym(2, 0));
        // One pseudonym per draw: two draws' ledgers cannot be joined on it.
        assert_ne!(pseudonym(1, 0), pseudonym(1, 1));
        assert_ne!(pseudonym(1, 0), receipt_fingerprint(&[1; 32], p.as_str()));
        assert_ne!(person_key(&[1; 32], "c", &p), pseudonym(1, 0));
    }
}
