//! Several servers on one PostgreSQL, with real processes and a real database started by the
//! test (`scripts/pg.sh`): servers killed with SIGKILL mid-load, the database stopped as a
//! power cut would stop it and restarted, the same receipt sent to every server at once. Every
//! acknowledged ticket must end up in the ledger exactly once at the index its promise names,
//! the indexes must have no gaps, every signed tree head any server published must be
//! consistent with every later one, and no request may get a 500.

use fairdraw_core::civil::CivilDate;
use fairdraw_core::hash::Hash32;
use fairdraw_core::merkle;
use fairdraw_core::tree_head::SignedTreeHead;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod process;
use process::{Server, kill};

const PASSWORD: &str = "cluster-test-organizer";
const CAMPAIGN: &str = "cluster";

/// A throwaway PostgreSQL from `scripts/pg.sh`, stopped and deleted when dropped.
struct Postgres {
    dir: String,
    url: String,
}

fn pg_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg.sh")
}

impl Postgres {
    fn start() -> Postgres {
        let out = Command::new(pg_script())
            .arg("start")
            .output()
            .expect("run scripts/pg.sh start");
        assert!(
            out.status.success(),
            "scripts/pg.sh start failed (run scripts/setup.sh): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let var = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("pg.sh printed no {name}: {text}"))
                .to_owned()
        };
        Postgres {
            dir: var("FAIRDRAW_PG_DIR"),
            url: var("FAIRDRAW_PG_URL"),
        }
    }

    fn run(&self, what: &str) {
        let ok = Command::new(pg_script())
            .args([what, &self.dir])
            .status()
            .expect("run scripts/pg.sh");
        assert!(ok.success(), "scripts/pg.sh {what} failed");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(pg_script()).args(["stop", &self.dir]).status();
    }
}

async fn start(data: &Path, database: &str) -> Server {
    process::start(data, Some(database), PASSWORD).await
}

fn today() -> CivilDate {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as u64;
    CivilDate::china_date_at(now).expect("today")
}

/// Three data folders with the same keys (the first server's), a database, and a campaign
/// open today without caps, created through the first server.
async fn cluster(name: &str, pg: &Postgres) -> (Vec<PathBuf>, reqwest::Client) {
    let root = std::env::temp_dir().join(format!("fairdraw-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dirs: Vec<PathBuf> = (0..3).map(|i| root.join(format!("s{i}"))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let first = start(&dirs[0], &pg.url).await;
    for d in &dirs[1..] {
        for key in ["signing.key", "pseudonym.key"] {
            std::fs::copy(dirs[0].join(key), d.join(key)).expect("copy key");
        }
    }
    let (client, _) = process::open_campaign(&first.base, PASSWORD, CAMPAIGN, false).await;
    (dirs, client)
}

fn entry(n: u64) -> Value {
    json!({ "merchant_id": "M001", "receipt_number": format!("K-{n:08}"), "date": today().to_string(),
        "amount": "520", "phone": format!("136{:08}", n % 100_000_000), "consent": true })
}

/// What the shoppers saw: acknowledged tickets (id → leaf index), answers by status.
#[derive(Default)]
struct Seen {
    acked: BTreeMap<String, u64>,
    statuses: BTreeMap<u16, u64>,
}

/// Shoppers submitting to whichever server is up: `workers` loops, each sending its receipts
/// in turn to the servers in `bases` (read afresh before each send: a restarted server has a
/// new address), with an idempotency key, so a receipt whose answer was lost is sent again
/// (to the next server) and gets its ticket back. Runs until `stop` is set.
fn shoppers(
    workers: u64,
    bases: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicU64>,
    first_receipt: u64,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::new();
    (0..workers)
        .map(|w| {
            let (client, bases, seen, stop) =
                (client.clone(), bases.clone(), seen.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = first_receipt + w * 1_000_000;
                let mut turn = w as usize;
                while stop.load(Ordering::SeqCst) == 0 {
                    n += 1;
                    // Until the receipt has its ticket, or a definite refusal.
                    for _attempt in 0..200 {
                        if stop.load(Ordering::SeqCst) != 0 {
                            break;
                        }
                        turn += 1;
                        let base = {
                            let b = bases.lock().expect("lock");
                            b[turn % b.len()].clone()
                        };
                        let sent = client
                            .post(format!("{base}/api/campaigns/{CAMPAIGN}/entries"))
                            .header("idempotency-key", format!("k{n}"))
                            .json(&entry(n))
                            .timeout(Duration::from_secs(30))
                            .send()
                            .await;
                        let Ok(r) = sent else {
                            // The server died or is restarting: the next one.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        };
                        let status = r.status().as_u16();
                        *seen
                            .lock()
                            .expect("lock")
                            .statuses
                            .entry(status)
                            .or_default() += 1;
                        match status {
                            200 | 201 => {
                                let v: Value = r.json().await.expect("json");
                                let t = v["ticket_id"].as_str().expect("ticket").to_owned();
                                let i = v["leaf_index"].as_u64().expect("index");
                                let mut s = seen.lock().expect("lock");
                                if let Some(prev) = s.acked.insert(t.clone(), i) {
                                    assert_eq!(prev, i, "ticket {t} answered at two indexes");
                                }
                                break;
                            }
                            503 => {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            other => panic!(
                                "receipt {n}: {other} {}",
                                r.text().await.unwrap_or_default()
                            ),
                        }
                    }
                }
            })
        })
        .collect()
}

/// The server that is the sequencer now (asked through `GET /api/health`; one always is within
/// a second).
async fn sequencer(client: &reqwest::Client, servers: &[Server]) -> usize {
    for _ in 0..100 {
        for (i, s) in servers.iter().enumerate() {
            let h = get_json(client, &format!("{}/api/health", s.base)).await;
            if h["sequencer"] == json!(true) {
                return i;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no server is the sequencer");
}

/// Three servers running on one database, and shoppers sending entries to them.
struct Load {
    bases: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// A server on each data folder, and 12 shoppers sending to them.
    async fn start(dirs: &[PathBuf], pg: &Postgres) -> (Vec<Server>, Load) {
        let mut servers = Vec::new();
        for d in dirs {
            servers.push(start(d, &pg.url).await);
        }
        let bases = Arc::new(Mutex::new(
            servers.iter().map(|s| s.base.clone()).collect::<Vec<_>>(),
        ));
        let (seen, stop): (Arc<Mutex<Seen>>, Arc<AtomicU64>) = Default::default();
        let tasks = shoppers(12, bases.clone(), seen.clone(), stop.clone(), 0);
        let load = Load {
            bases,
            seen,
            stop,
            tasks,
        };
        (servers, load)
    }

    /// Tickets acknowledged so far.
    fn acked(&self) -> usize {
        self.seen.lock().expect("lock").acked.len()
    }

    /// Server `i` was restarted at `base`.
    fn moved(&self, i: usize, base: &str) {
        self.bases.lock().expect("lock")[i] = base.to_owned();
    }

    /// Stops the shoppers: what they saw (never a 500), and the servers' addresses.
    async fn finish(self) -> (Seen, Vec<String>) {
        self.stop.store(1, Ordering::SeqCst);
        for t in self.tasks {
            t.await.expect("shopper");
        }
        let seen = Arc::try_unwrap(self.seen)
            .ok()
            .expect("shoppers done")
            .into_inner()
            .expect("lock");
        assert!(
            !seen.statuses.contains_key(&500),
            "a 500: {:?}",
            seen.statuses
        );
        let bases = self.bases.lock().expect("lock").clone();
        (seen, bases)
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let r = client.get(url).send().await.expect("get");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.expect("json")
}

async fn tree_head(client: &reqwest::Client, base: &str) -> SignedTreeHead {
    let v = get_json(
        client,
        &format!("{base}/api/campaigns/{CAMPAIGN}/draws/0/tree-head"),
    )
    .await;
    serde_json::from_value(v["signed_tree_head"].clone()).expect("sth")
}

/// The ledger as one server serves it: every acknowledged ticket once, at its index, indexes
/// without gaps; every head consistent with the largest, by the server's own proofs, and
/// every server's tree the same.
async fn check_ledger(
    client: &reqwest::Client,
    bases: &[String],
    acked: &BTreeMap<String, u64>,
    heads: &[SignedTreeHead],
) {
    let ledger = process::ledger(client, &bases[0], CAMPAIGN, 0).await;
    let mut at: BTreeMap<String, u64> = BTreeMap::new();
    for leaf in &ledger.leaves {
        let t = leaf.ticket_id.to_hex();
        assert!(
            at.insert(t.clone(), leaf.index).is_none(),
            "ticket {t} twice"
        );
    }
    for (t, i) in acked {
        assert_eq!(at.get(t), Some(i), "acknowledged ticket {t} not at {i}");
    }
    let now = tree_head(client, &bases[0]).await;
    assert_eq!(now.head.root, ledger.root());
    for base in &bases[1..] {
        let other = tree_head(client, base).await;
        assert_eq!(
            (other.head.tree_size, other.head.root),
            (now.head.tree_size, now.head.root),
            "{base} serves another tree"
        );
    }
    for h in heads {
        if h.head.tree_size == 0 || h.head.tree_size == now.head.tree_size {
            assert!(h.head.tree_size == 0 || h.head.root == now.head.root);
            continue;
        }
        let c = get_json(
            client,
            &format!(
                "{}/api/campaigns/{CAMPAIGN}/draws/0/consistency?from={}&to={}",
                bases[0], h.head.tree_size, now.head.tree_size
            ),
        )
        .await;
        let proof: Vec<Hash32> = serde_json::from_value(c["proof"].clone()).expect("proof");
        merkle::verify_consistency(
            h.head.tree_size,
            now.head.tree_size,
            &h.head.root,
            &now.head.root,
            &proof,
        )
        .unwrap_or_else(|e| panic!("head at {} is not extended: {e}", h.head.tree_size));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_with_the_sequencer_killed_repeatedly_lose_nothing() {
    let pg = Postgres::start();
    let (dirs, client) = cluster("kill", &pg).await;
    let (mut servers, load) = Load::start(&dirs, &pg).await;
    let mut heads = Vec::new();
    let mut longest_gap = Duration::ZERO;
    const KILLS: usize = 9;
    for round in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(150 + (round as u64 * 97) % 400)).await;
        // Kill the sequencer (the server holding the leader lock), mid-load; even rounds, a
        // server that only accepts, too.
        let victim = if round % 3 == 2 {
            (sequencer(&client, &servers).await + 1) % servers.len()
        } else {
            sequencer(&client, &servers).await
        };
        let live = (victim + 1) % servers.len();
        heads.push(tree_head(&client, &servers[live].base).await);
        let before = load.acked();
        let killed = std::time::Instant::now();
        kill(&mut servers[victim]);
        // Another server takes over and entries are placed again, before the victim is back.
        while load.acked() < before + 20 {
            assert!(
                killed.elapsed() < Duration::from_secs(5),
                "round {round}: no entry placed within 5 s of killing server {victim}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        longest_gap = longest_gap.max(killed.elapsed());
        servers[victim] = start(&dirs[victim], &pg.url).await;
        load.moved(victim, &servers[victim].base);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (seen, bases) = load.finish().await;
    assert!(
        seen.acked.len() > 100,
        "too few acknowledged: {:?}",
        seen.statuses
    );
    check_ledger(&client, &bases, &seen.acked, &heads).await;
    eprintln!(
        "cluster: {KILLS} servers killed with SIGKILL (6 of them the sequencer), {} tickets acknowledged, all in the ledger once; at most {} ms from a kill to 20 more tickets; answers {:?}",
        seen.acked.len(),
        longest_gap.as_millis(),
        seen.statuses
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_crashed_and_restarted_mid_load_loses_nothing_and_answers_503() {
    let pg = Postgres::start();
    let (dirs, client) = cluster("pgcrash", &pg).await;
    let (servers, load) = Load::start(&dirs, &pg).await;
    let mut heads = Vec::new();
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        heads.push(tree_head(&client, &servers[0].base).await);
        let before = load.acked();
        pg.run("crash");
        // Meanwhile every server says the database is out of reach: 503, not 500.
        for s in &servers {
            let r = client
                .get(format!("{}/api/health", s.base))
                .send()
                .await
                .expect("health");
            assert_eq!(r.status().as_u16(), 503, "{}", s.base);
        }
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        pg.run("restart");
        // The servers reconnect by themselves: entries are acknowledged again.
        let mut resumed = false;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if load.acked() > before + 50 {
                resumed = true;
                break;
            }
        }
        assert!(resumed, "no entry acknowledged after PostgreSQL restarted");
    }
    let (seen, bases) = load.finish().await;
    check_ledger(&client, &bases, &seen.acked, &heads).await;
    eprintln!(
        "cluster: PostgreSQL crashed twice mid-load, {} tickets acknowledged, all in the ledger once; answers {:?}",
        seen.acked.len(),
        seen.statuses
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_receipt_sent_to_three_servers_at_once_makes_one_entry() {
    let pg = Postgres::start();
    let (dirs, client) = cluster("dup", &pg).await;
    let mut servers = Vec::new();
    for d in &dirs {
        servers.push(start(d, &pg.url).await);
    }
    for n in 0..30u64 {
        let sends = servers.iter().map(|s| {
            let (client, url) = (
                client.clone(),
                format!("{}/api/campaigns/{CAMPAIGN}/entries", s.base),
            );
            async move {
                let r = client.post(url).json(&entry(n)).send().await.expect("send");
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.expect("json"))
            }
        });
        let answers = futures_util::future::join_all(sends).await;
        let created = answers.iter().filter(|(s, _)| *s == 201).count();
        assert_eq!(created, 1, "receipt {n}: {answers:?}");
        for (s, v) in &answers {
            if *s != 201 {
                assert_eq!((*s, v["code"].as_str()), (409, Some("DUPLICATE_RECEIPT")));
            }
        }
    }
    let head = tree_head(&client, &servers[2].base).await;
    assert_eq!(head.head.tree_size, 30);
}
