//! The `veilgate` command: `serve`, `mask`, `audit verify|show`.

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use veilgate::config::Config;

#[derive(Parser)]
#[command(
    name = "veilgate",
    version,
    about = "Local privacy proxy for cloud LLM APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy (OpenAI-compatible base URL http://LISTEN/v1).
    Serve {
        /// TOML configuration file; without one the embedded defaults apply.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on, e.g. 127.0.0.1:8787 (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
        /// Upstream base URL, e.g. https://api.openai.com/v1 (overrides upstream.base_url);
        /// `demo`: a built-in loopback upstream that quotes back the masked text it received.
        #[arg(long)]
        upstream: Option<String>,
    },
    /// Mask stdin and print the masked text and the entities found, as JSON.
    Mask {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Read one {"id","text"} object per line; write one result per line.
        #[arg(long)]
        jsonl: bool,
    },
    /// Check or print an audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Check the hash chain; exit 1 and name the first break if there is one.
    Verify { file: PathBuf },
    /// Print the records readably.
    Show { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VEILGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("veilgate: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            config,
            listen,
            upstream,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            if let Some(listen) = listen {
                cfg.server.listen = listen;
            }
            let demo = upstream.as_deref() == Some("demo");
            if let Some(upstream) = upstream.filter(|_| !demo) {
                cfg.upstream.base_url = upstream;
            }
            serve(cfg, demo)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Mask { config, jsonl } => {
            let cfg = Config::load(config.as_deref())?;
            let masker = veilgate::privacy::build_masker(&cfg.privacy)?;
            let stdin = std::io::stdin();
            let mut input = BufReader::new(stdin.lock());
            let stdout = std::io::stdout();
            let mut output = std::io::BufWriter::new(stdout.lock());
            veilgate::mask_cli::run(&masker, jsonl, &mut input, &mut output)?;
            output.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action: AuditAction::Verify { file },
        } => {
            let report = veilgate::audit::verify(&file)?;
            println!("{report}");
            Ok(if report.first_break.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Audit {
            action: AuditAction::Show { file },
        } => {
            let stdout = std::io::stdout();
            veilgate::audit::show(&file, &mut stdout.lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(mut cfg: Config, demo: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        if demo {
            let addr = veilgate::proxy::demo::spawn().await?;
            cfg.upstream.base_url = format!("http://{addr}/v1");
            cfg.upstream.anthropic_base_url = cfg.upstream.base_url.clone();
            tracing::warn!(
                "demo mode: the upstream is built in on {addr} and quotes back the masked text it receives; nothing leaves this machine"
            );
        }
        let server = veilgate::proxy::Server::bind(cfg).await?;
        server.run(shutdown_signal()).await
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
