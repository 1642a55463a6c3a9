//! `fairdraw-server --data DIR [--database postgres://…] --listen ADDR [--demo]`.
#![forbid(unsafe_code)]

use clap::Parser;
use fairdraw_server::state::{AppState, SystemClock, write_secret};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// mimalloc: the request path allocates many small, short-lived objects (JSON, headers, rows);
/// glibc's malloc and free were about a tenth of the server's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "fairdraw-server",
    version,
    about = "fairdraw: campaigns, receipts, the signed ledger and the draw"
)]
struct Args {
    /// Data directory: the server's keys and, without --database, the SQLite file.
    #[arg(long, default_value = "./fairdraw-data")]
    data: PathBuf,
    /// A PostgreSQL database instead of the SQLite file (`postgres://user:pass@host:5432/db`,
    /// migrated at start). Several servers may share one; each needs the same keys in its
    /// --data folder (the database refuses a server with others).
    #[arg(long, env = "FAIRDRAW_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create the demo campaign if it is absent: a first draw frozen and ready for the live draw
    /// (its seed secrets in DATA/demo-secrets/), a second open today, synthetic entries in both.
    #[arg(long)]
    demo: bool,
    /// Synthetic entries in the demo's frozen first draw (rehearse the ceremony, or load-test,
    /// at the real campaign's scale).
    #[arg(long, default_value_t = fairdraw_server::demo::DEMO_ENTRIES)]
    demo_entries: u64,
    /// The organizer password, used only at first start. Without it, one is generated and
    /// written to DATA/organizer-password (readable by the owner only).
    #[arg(long, env = "FAIRDRAW_ORGANIZER_PASSWORD", hide_env_values = true)]
    organizer_password: Option<String>,
    /// The built web app to serve (Trunk's dist/).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Mark cookies Secure and send HSTS. The default unless the server listens on loopback
    /// only: anywhere else it is meant to sit behind https.
    #[arg(long)]
    secure_cookies: bool,
    /// Set a new organizer password and end every session, then exit: the recovery path when
    /// the password is lost or guessers keep the login backing off. The new password is
    /// FAIRDRAW_ORGANIZER_PASSWORD, or a generated one written to DATA/organizer-password.
    #[arg(long)]
    reset_organizer_password: bool,
    /// Copy the data folder into the new folder DIR, check the copy, print what it holds and
    /// exit: the database as one moment saw it (safe while a server runs on DATA: the copy does
    /// not hold up its writes) and the server's keys. To restore, start a server with
    /// `--data DIR`. The copy holds phone numbers and the signing key: keep it as safe as DATA.
    #[arg(long, value_name = "DIR")]
    backup_to: Option<PathBuf>,
    /// Plain http on a network address (a LAN trial): cookies not marked Secure, no HSTS.
    #[arg(long, conflicts_with = "secure_cookies")]
    insecure_cookies: bool,
    /// A witness's address, by the key name in its vkey: `--witness
    /// notary.example/witness=http://10.0.0.7:7380`. Repeat for each witness the rules name.
    #[arg(long = "witness", value_name = "KEY_NAME=URL")]
    witnesses: Vec<String>,
    /// How long the freeze and the record wait for the witnesses' quorum, in seconds.
    #[arg(long, default_value_t = 20)]
    witness_timeout: u64,
    /// The header a trusted reverse proxy sets to the client's address (e.g. `x-real-ip`, or
    /// `x-forwarded-for`, whose last value is used). Without it, the socket's peer address: never
    /// trust a forwarding header the server did not get from its own proxy.
    #[arg(long)]
    client_ip_header: Option<String>,
    /// Open connections at most (default: 4,096, or fewer if the open-file limit is lower).
    #[arg(long)]
    max_connections: Option<usize>,
    /// Seconds a client has to send a request's headers (and a kept-alive connection may sit
    /// idle).
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Entries a minute per client address, per phone, per shop and campaign-wide (0: no
    /// limit), as `ADDRESS,PHONE,SHOP,CAMPAIGN`.
    #[arg(long, default_value = "30,10,300,6000")]
    entry_limits: String,
}

/// `ADDRESS,PHONE,SHOP,CAMPAIGN` entries a minute (0: off) into quotas, each with the default
/// burst capped at its rate.
fn entry_quotas(text: &str) -> Result<fairdraw_server::limits::EntryQuotas, String> {
    let d = fairdraw_server::limits::EntryQuotas::DEFAULT;
    let n: Vec<u32> = text
        .split(',')
        .map(|x| x.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--entry-limits {text}: four whole numbers, e.g. 30,10,300,6000"))?;
    let [a, p, s, c] = n[..] else {
        return Err(format!(
            "--entry-limits {text}: four numbers (address, phone, shop, campaign)"
        ));
    };
    let q = |per_min: u32, default: Option<(u32, u32)>| {
        (per_min > 0).then(|| (per_min, default.map_or(per_min, |(_, b)| b.min(per_min))))
    };
    Ok(fairdraw_server::limits::EntryQuotas {
        per_address: q(a, d.per_address),
        per_phone: q(p, d.per_phone),
        per_shop: q(s, d.per_shop),
        campaign: q(c, d.campaign),
    })
}

/// Threads for blocking work (SQLite reads, file reads of ledger downloads). Tokio's default
/// of 512 let a burst of downloads spread the allocator over hundreds of threads' heaps, each
/// keeping its pages: hundreds of MB after the burst. The reads are bounded to 32 at a time
/// anyway (`limits::READS`).
const BLOCKING_THREADS: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(out) = args.backup_to.clone() {
        if args.database.is_some() {
            eprintln!(
                "--backup-to 只备份 SQLite 数据；PostgreSQL 请用 pg_basebackup 或流复制，并另行备份 signing.key 与 pseudonym.key。\n\
                 --backup-to copies the SQLite store; back PostgreSQL up with pg_basebackup or a streaming replica, and the two key files beside it."
            );
            std::process::exit(2);
        }
        // Before the store opens: another process (the running server) may own DATA.
        let data = args.data.clone();
        let copy =
            match tokio::task::spawn_blocking(move || fairdraw_server::backup::backup(&data, &out))
                .await?
            {
                Ok(copy) => copy,
                Err(e) => {
                    eprintln!("备份失败 backup failed: {e}");
                    std::process::exit(1);
                }
            };
        println!(
            "backup written and checked: {} ({} entries)",
            copy.dir.display(),
            copy.entries
        );
        for (campaign, draw, size, root) in &copy.ledgers {
            println!("{campaign} draw {draw}: {size} entries, root {root}");
        }
        return Ok(());
    }
    std::fs::create_dir_all(&args.data)?;
    let opened = AppState::open_with(&args.data, args.database.as_deref(), Arc::new(SystemClock));
    let mut state = match opened {
        Ok(state) => state,
        Err(e) => {
            eprintln!("无法打开数据 cannot open the data: {e}");
            std::process::exit(1);
        }
    };
    state.secure_cookies =
        args.secure_cookies || (!args.insecure_cookies && !args.listen.ip().is_loopback());
    let mut limits = fairdraw_server::limits::Limits::new(entry_quotas(&args.entry_limits)?);
    if let Some(h) = &args.client_ip_header {
        limits.client_ip_header = Some(
            h.parse()
                .map_err(|_| format!("--client-ip-header {h}: not a header name"))?,
        );
    }
    state.limits = Arc::new(limits);
    for w in &args.witnesses {
        let Some((name, url)) = w.split_once('=') else {
            return Err(format!("--witness {w}: expected KEY_NAME=URL").into());
        };
        state.witnesses.set_url(name, url);
    }
    if let Ok(mut t) = state.witnesses.timeout.write() {
        *t = std::time::Duration::from_secs(args.witness_timeout);
    }
    state.dist = args
        .dist
        .join("index.html")
        .exists()
        .then_some(args.dist.clone());
    let password = match args.organizer_password {
        Some(p) => p,
        None => {
            let file = args.data.join("organizer-password");
            match std::fs::read_to_string(&file) {
                Ok(p) => p.trim().to_owned(),
                Err(_) => {
                    let p = hex::encode(&fairdraw_server::state::random_32()?[..12]);
                    write_secret(&file, &p)?;
                    p
                }
            }
        }
    };
    if args.reset_organizer_password {
        let file = args.data.join("organizer-password");
        let fresh = match std::env::var("FAIRDRAW_ORGANIZER_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                let p = hex::encode(&fairdraw_server::state::random_32()?[..12]);
                let _ = std::fs::remove_file(&file);
                write_secret(&file, &p)?;
                p
            }
        };
        state.reset_organizer(&fresh)?;
        tracing::info!(file = %file.display(), "organizer password reset, every session ended (if generated, the new password is in this file)");
        return Ok(());
    }
    if state.ensure_organizer(&password)? {
        tracing::info!(file = %args.data.join("organizer-password").display(), "organizer password set (if generated, it is in this file)");
    }
    if args.demo {
        let secrets = args.data.join("demo-secrets");
        match fairdraw_server::demo::ensure_demo_sized(&state, &secrets, args.demo_entries).await {
            Ok(Some(id)) => tracing::info!(
                %id,
                secrets = %secrets.display(),
                "demo campaign created: draw 1 is frozen and ready for the live draw with the two seed secret files in this folder"
            ),
            Ok(None) => tracing::info!("demo campaign already present"),
            Err(e) => tracing::error!(code = e.code, "demo campaign not created"),
        }
    }
    match &state.dist {
        Some(d) => tracing::info!(dist = %d.display(), "serving the web app"),
        None => tracing::warn!(dist = %args.dist.display(), "no built web app there; API only"),
    }
    // Each connection is a descriptor: raise the soft limit to the hard one where allowed, and
    // keep the connection cap below it, so the server refuses cleanly instead of failing.
    let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1_024);
    let cap = usize::try_from(nofile.saturating_sub(256))
        .unwrap_or(usize::MAX)
        .clamp(16, 4_096);
    let conn = fairdraw_server::ConnLimits {
        max_connections: args.max_connections.unwrap_or(cap),
        header_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
        request_timeout: std::time::Duration::from_secs(60.max(args.witness_timeout + 30)),
    };
    tracing::info!(
        open_files = nofile,
        max_connections = conn.max_connections,
        header_timeout_s = args.header_timeout,
        "connection limits"
    );
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(addr = %args.listen, public_key = %hex::encode(state.keys.signing.verifying_key().to_bytes()), "listening");
    fairdraw_server::serve_with(listener, state, conn, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
