//! Bounds on what one client, or everyone at once, can make the server do: entries per address,
//! phone and shop and campaign-wide (GCRA rate limits, 429 with `Retry-After`), concurrent
//! database reads and password hashes (503 with `Retry-After` past the bound, never a 500), and
//! where the client's address comes from.

use crate::error::AppError;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Entries allowed, as (per minute, burst). `None`: no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryQuotas {
    /// Per client address: a household or an office shares one.
    pub per_address: Option<(u32, u32)>,
    /// Per phone number: a shopper with a stack of receipts.
    pub per_phone: Option<(u32, u32)>,
    /// Per shop: a till's rush hour.
    pub per_shop: Option<(u32, u32)>,
    /// The whole campaign: a surge beyond what the real campaign can produce.
    pub campaign: Option<(u32, u32)>,
}

impl EntryQuotas {
    /// The defaults for a district campaign: a shopper enters a handful of receipts in a
    /// minute; one address (a family, an office behind NAT) a few dozen; a shop a few hundred;
    /// the campaign, 6,000 a minute (100 a second), far above a real peak.
    pub const DEFAULT: EntryQuotas = EntryQuotas {
        per_address: Some((30, 30)),
        per_phone: Some((10, 10)),
        per_shop: Some((300, 100)),
        campaign: Some((6_000, 1_000)),
    };
    /// No entry limits (tests and benchmarks that flood on purpose).
    pub const OFF: EntryQuotas = EntryQuotas {
        per_address: None,
        per_phone: None,
        per_shop: None,
        campaign: None,
    };
}

/// A hook for a challenge (a captcha, an SMS code) that lets a rate-limited shopper through.
/// The default has none: a limited request is refused with 429 and `Retry-After`. An
/// implementation reads its proof from the request's headers (e.g. `X-Fairdraw-Challenge`).
pub trait Challenge: Send + Sync + 'static {
    /// Whether the request proves a passed challenge for this limit.
    fn passed(&self, limit: &'static str, headers: &HeaderMap) -> bool;
}

/// No challenge: limits are limits.
#[derive(Debug, Default)]
pub struct NoChallenge;

impl Challenge for NoChallenge {
    fn passed(&self, _: &'static str, _: &HeaderMap) -> bool {
        false
    }
}

fn limiter(q: Option<(u32, u32)>) -> Option<DefaultKeyedRateLimiter<String>> {
    let (per_min, burst) = q?;
    let quota = Quota::per_minute(NonZeroU32::new(per_min.max(1))?)
        .allow_burst(NonZeroU32::new(burst.max(1))?);
    Some(RateLimiter::keyed(quota))
}

/// The server's bounds.
pub struct Limits {
    by_address: Option<DefaultKeyedRateLimiter<String>>,
    by_phone: Option<DefaultKeyedRateLimiter<String>>,
    by_shop: Option<DefaultKeyedRateLimiter<String>>,
    by_campaign: Option<DefaultKeyedRateLimiter<String>>,
    /// Concurrent database reads (each holds a pooled SQLite connection).
    pub reads: Semaphore,
    /// How long a read waits for a slot before 503.
    pub read_wait: Duration,
    /// Concurrent password hashes (argon2 takes about 20 MiB each).
    pub hashing: Semaphore,
    /// The header a trusted reverse proxy sets to the client's address (e.g. `x-real-ip`);
    /// without one, the socket's peer address.
    pub client_ip_header: Option<HeaderName>,
    /// What may let a limited request through.
    pub challenge: Box<dyn Challenge>,
    /// Ticket recovery tries per phone number (always on: a phone number plus a receipt
    /// number must not be guessable by trying).
    recover_by_phone: DefaultKeyedRateLimiter<String>,
    /// Ticket recovery tries per client address.
    recover_by_address: DefaultKeyedRateLimiter<String>,
}

/// Ticket recovery tries allowed per phone number: 5 an hour.
pub const RECOVER_PER_PHONE: (u32, u32) = (5, 5);
/// Ticket recovery tries allowed per client address: 20 an hour, 10 at once.
pub const RECOVER_PER_ADDRESS: (u32, u32) = (20, 10);

fn hourly((per_hour, burst): (u32, u32)) -> DefaultKeyedRateLimiter<String> {
    let one = NonZeroU32::MIN;
    let quota = Quota::with_period(Duration::from_secs(3600) / per_hour.max(1))
        .unwrap_or_else(|| Quota::per_hour(one))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(one));
    RateLimiter::keyed(quota)
}

/// Concurrent reads by default: a few per core keeps SQLite busy without a connection per
/// request.
pub const READS: usize = 32;
/// Concurrent password hashes.
pub const HASHES: usize = 2;

impl Limits {
    /// Limits with these entry quotas and the default bounds.
    pub fn new(q: EntryQuotas) -> Self {
        Self {
            by_address: limiter(q.per_address),
            by_phone: limiter(q.per_phone),
            by_shop: limiter(q.per_shop),
            by_campaign: limiter(q.campaign),
            reads: Semaphore::new(READS),
            read_wait: Duration::from_secs(2),
            hashing: Semaphore::new(HASHES),
            client_ip_header: None,
            challenge: Box::new(NoChallenge),
            recover_by_phone: hourly(RECOVER_PER_PHONE),
            recover_by_address: hourly(RECOVER_PER_ADDRESS),
        }
    }

    /// Checks a ticket recovery against its limits, per address first (so one address cannot
    /// lock another's phone out by trying it), then per phone.
    pub fn check_recovery(
        &self,
        campaign: &str,
        client: Option<IpAddr>,
        phone: &str,
    ) -> Result<(), AppError> {
        let client = client.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        for (limiter, key, what) in [
            (
                &self.recover_by_address,
                format!("{campaign}/{client}"),
                "recover_address",
            ),
            (
                &self.recover_by_phone,
                format!("{campaign}/{phone}"),
                "recover_phone",
            ),
        ] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(rate_limited(what, wait));
            }
        }
        Ok(())
    }

    /// The client's address: from the trusted proxy header when one is configured (its last
    /// value, the one the proxy added), else the peer address.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        match &self.client_ip_header {
            Some(h) => headers
                .get_all(h)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|v| v.trim().parse().ok()),
            None => peer.map(|a| a.ip()),
        }
    }

    /// Checks an entry against every limit (the campaign's last, so a refused client does not
    /// use up everyone's share); the first refusal is a 429 saying which limit and when to
    /// retry.
    pub fn check_entry(
        &self,
        headers: &HeaderMap,
        campaign: &str,
        client: Option<IpAddr>,
        phone: &str,
        shop: &str,
    ) -> Result<(), AppError> {
        let client = client.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let checks: [(
            &Option<DefaultKeyedRateLimiter<String>>,
            String,
            &'static str,
        ); 4] = [
            (&self.by_phone, format!("{campaign}/{phone}"), "phone"),
            (&self.by_address, format!("{campaign}/{client}"), "address"),
            (&self.by_shop, format!("{campaign}/{shop}"), "shop"),
            (&self.by_campaign, campaign.to_owned(), "campaign"),
        ];
        for (limiter, key, what) in checks {
            let Some(l) = limiter else { continue };
            if let Err(not_until) = l.check_key(&key) {
                if self.challenge.passed(what, headers) {
                    continue;
                }
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(rate_limited(what, wait));
            }
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully refilled (memory stays bounded by recent clients).
    pub fn shrink(&self) {
        for l in [
            &self.by_address,
            &self.by_phone,
            &self.by_shop,
            &self.by_campaign,
        ]
        .into_iter()
        .flatten()
        .chain([&self.recover_by_phone, &self.recover_by_address])
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

fn rate_limited(what: &'static str, wait: Duration) -> AppError {
    let s = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let (zh, en) = match what {
        "phone" => (
            "这个手机号刚刚提交了较多小票。",
            "This phone number has just entered many receipts.",
        ),
        "address" => (
            "您所在的网络刚刚提交了较多小票。",
            "Many receipts have just been entered from your network.",
        ),
        "shop" => (
            "这家商户的小票刚刚提交较多。",
            "Many receipts from this shop have just been entered.",
        ),
        "recover_phone" | "recover_address" => {
            return AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("找回奖券的尝试太多，请 {} 分钟后再试。", s.div_ceil(60)),
                format!(
                    "Too many tries to find tickets; please try again in {} min.",
                    s.div_ceil(60)
                ),
            )
            .retry_after(s);
        }
        _ => (
            "登记人数较多，系统正在排队。",
            "Many people are entering right now.",
        ),
    };
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("{zh}请 {s} 秒后再提交；小票在登记期内都可登记，稍后提交不影响中奖机会。"),
        format!("{en} Please try again in {s} s; receipts can be entered any time before the draw closes, and entering later does not lower your chances."),
    )
    .retry_after(s)
}
