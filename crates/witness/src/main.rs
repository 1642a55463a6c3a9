//! `fairdraw-witness`: run a C2SP tlog-witness for fairdraw draws (or any C2SP log).
//!
//! ```text
//! fairdraw-witness vkey --data DIR [--name NAME]
//! fairdraw-witness serve --data DIR --listen ADDR --log VKEY [--log VKEY …]
//! ```

use clap::{Parser, Subcommand};
use fairdraw_witness::{Log, Witness, load_or_create_key, router};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "fairdraw-witness",
    version,
    about = "A C2SP tlog-witness: cosigns checkpoints only when consistent with the last one it cosigned"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print this witness's cosigner vkey (C2SP vkey, signature type 0x04), creating its key
    /// in DIR (mode 0600) on first use. Give the vkey to the organizer for the rules.
    Vkey {
        /// The witness's data folder (key and state).
        #[arg(long)]
        data: PathBuf,
        /// The key name, on first use (a schema-less URL, e.g. notary.example/witness).
        #[arg(long)]
        name: Option<String>,
    },
    /// Serve `POST /add-checkpoint` for the given logs.
    Serve {
        /// The witness's data folder (key and state).
        #[arg(long)]
        data: PathBuf,
        /// The address to listen on, e.g. 127.0.0.1:7380.
        #[arg(long)]
        listen: String,
        /// A log's signed-note vkey (type 0x01); its key name is the log's origin. Repeat for
        /// each log.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
        /// The key name, on first use.
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fairdraw-witness: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Vkey { data, name } => {
            let id = load_or_create_key(&data, name.as_deref())?;
            println!("{}", id.vkey());
            Ok(())
        }
        Command::Serve {
            data,
            listen,
            logs,
            name,
        } => {
            let id = load_or_create_key(&data, name.as_deref())?;
            let logs = logs
                .iter()
                .map(|v| Log::from_vkey(v))
                .collect::<Result<Vec<_>, _>>()?;
            let w = Witness::open(&data, id, &logs)?;
            eprintln!("fairdraw-witness: {}", w.vkey());
            for l in &logs {
                eprintln!("fairdraw-witness: log {}", l.origin);
            }
            let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|e| format!("{listen}: {e}"))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                // The address line is what scripts wait for.
                println!("listening on http://{addr}");
                axum::serve(listener, router(Arc::new(w)))
                    .with_graceful_shutdown(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await
                    .map_err(|e| e.to_string())
            })
        }
    }
}
