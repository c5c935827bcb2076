//! The `veilgate` command: `serve`, `mask`, `draft`, `health`, `audit verify|show`.

use std::io::{BufReader, IsTerminal, Write};
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
        /// TOML configuration file (or $VEILGATE_CONFIG); without one the embedded defaults
        /// apply.
        #[arg(long, env = "VEILGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on, e.g. 127.0.0.1:8787 (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
        /// Upstream base URL of the OpenAI-format routes, e.g. https://api.openai.com/v1
        /// (overrides upstream.base_url; /v1/messages keeps upstream.anthropic_base_url, see
        /// --anthropic-upstream); `demo`: a built-in loopback upstream for every route that
        /// quotes back the masked text it received.
        #[arg(long)]
        upstream: Option<String>,
        /// Upstream base URL of the Anthropic route /v1/messages, e.g.
        /// https://api.anthropic.com/v1 (overrides upstream.anthropic_base_url).
        #[arg(long)]
        anthropic_upstream: Option<String>,
    },
    /// Mask stdin and print the masked text and the entities found, as JSON.
    Mask {
        #[arg(long, env = "VEILGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Read one {"id","text"} object per line; write one result per line.
        #[arg(long)]
        jsonl: bool,
    },
    /// Probe a running proxy's GET /healthz: exit 0 when it answers 200, 1 otherwise
    /// (container health checks; slim images have no curl).
    Health {
        #[arg(long, env = "VEILGATE_CONFIG")]
        config: Option<PathBuf>,
        /// URL to probe; default: /healthz on 127.0.0.1 at server.listen's port (https when
        /// server.tls_cert is set).
        #[arg(long)]
        url: Option<String>,
        /// Extra CA (PEM) to trust for an https URL, e.g. certs/dev/ca.pem.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
    /// Draft the opening words of a reply to the prompt on stdin, with timings, as JSON.
    Draft {
        #[arg(long, env = "VEILGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Read one {"id","prompt"} object per line; write one result per line.
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
    /// Check the keyed hash chain and the anchor; exit 1 and name the first break if any.
    Verify {
        file: PathBuf,
        /// Chain key file; default: audit.chain_key_file of the configuration, else
        /// LOG.chain.key beside the log (LOG: FILE, or for a rotated FILE = LOG.N, LOG).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Anchor file; default: LOG.anchor beside the log.
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// FILE continues a rotated file that is not beside it, so its first record need not
        /// start the chain (it must still be where an anchored file starts).
        #[arg(long)]
        rotated: bool,
        /// Configuration naming audit.chain_key_file (or $VEILGATE_CONFIG).
        #[arg(long, env = "VEILGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Print the records readably.
    Show { file: PathBuf },
}

/// Logs to stderr at `VEILGATE_LOG` (default `info`). Below `info`, only veilgate's own
/// targets are written: other crates' debug and trace output can quote what they process
/// (the tokenizer logs every character it normalises, so a request could be rebuilt from a
/// trace log), and veilgate's own logs never hold request text at any level.
fn init_logging() {
    use tracing_subscriber::filter::{filter_fn, FilterExt};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let level = tracing_subscriber::EnvFilter::try_from_env("VEILGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ours_or_quiet = filter_fn(|meta| {
        let target = meta.target();
        let ours = target == "veilgate" || target.starts_with("veilgate::");
        ours || (*meta.level() <= tracing::Level::INFO && !target.starts_with("tokenizers"))
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, and never under NO_COLOR: a log file or a
        // collector gets plain text.
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_filter(ours_or_quiet.and(level));
    tracing_subscriber::registry().with(layer).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    veilgate::panic_hook::install();
    match run(cli) {
        Ok(code) => code,
        // A reader that stopped early (`veilgate audit show | head`) is not an error.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("veilgate: {}", report(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause said once: an error whose message
/// already quotes its source (an OS error's text) does not get it repeated.
fn report(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            config,
            listen,
            upstream,
            anthropic_upstream,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            if let Some(listen) = listen {
                cfg.server.listen = listen;
            }
            let demo = upstream.as_deref() == Some("demo");
            if let Some(upstream) = upstream.filter(|_| !demo) {
                cfg.upstream.base_url = upstream;
            }
            if let Some(anthropic) = anthropic_upstream {
                cfg.upstream.anthropic_base_url = anthropic;
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
        Command::Health { config, url, ca } => {
            let cfg = Config::load(config.as_deref())?;
            let url = match url {
                Some(url) => url,
                None => default_health_url(&cfg.server)?,
            };
            health(&url, ca)
        }
        Command::Draft { config, jsonl } => {
            let cfg = Config::load(config.as_deref())?;
            let opts = veilgate::draft::DraftOptions::from_config(
                &cfg.draft,
                cfg.privacy.onnxruntime.as_deref(),
            );
            let model = veilgate::draft::DraftModel::load(&opts)?;
            let stdin = std::io::stdin();
            let mut input = BufReader::new(stdin.lock());
            let stdout = std::io::stdout();
            let mut output = std::io::BufWriter::new(stdout.lock());
            veilgate::draft_cli::run(&model, jsonl, &mut input, &mut output)?;
            output.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action:
                AuditAction::Verify {
                    file,
                    key,
                    anchor,
                    rotated,
                    config,
                },
        } => {
            let key_file = match key {
                Some(key) => Some(key),
                None => Config::load(config.as_deref())?.audit.chain_key_file,
            };
            let opts = veilgate::audit::VerifyOptions {
                key_file,
                anchor_file: anchor,
                rotated,
            };
            let report = veilgate::audit::verify_with(&file, &opts)?;
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

/// Threads of the async runtime's blocking pool.
const BLOCKING_THREADS: usize = 32;

fn serve(mut cfg: Config, demo: bool) -> anyhow::Result<()> {
    // The blocking pool runs the mask phase (a request waits there for its tagger batch) and
    // drafts. Unbounded, 500 concurrent streams grew it to 450 threads and 130 MB of stacks
    // and allocator arenas; bounded, requests queue for a thread instead, and a tagger call
    // still batches the windows of up to this many requests.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
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

/// `/healthz` on the loopback address at `server.listen`'s port.
fn default_health_url(server: &veilgate::config::ServerConfig) -> anyhow::Result<String> {
    let addr: std::net::SocketAddr = server.listen.parse().with_context(|| {
        format!(
            "server.listen {:?} is not IP:PORT; pass --url",
            server.listen
        )
    })?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let scheme = if server.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}:{}/healthz", addr.port()))
}

/// GET `url` with the proxy's own client (rustls, Mozilla roots plus `ca`), 5 s at most.
fn health(url: &str, ca: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use veilgate::config::UpstreamConfig;
    let client = veilgate::proxy::upstream::Upstream::new(&UpstreamConfig {
        ca_file: ca,
        connect_timeout_ms: 3_000,
        first_byte_timeout_ms: 5_000,
        ..UpstreamConfig::default()
    })?;
    let uri: hyper::Uri = url
        .parse()
        .with_context(|| format!("{url:?} is not a URL"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let request = hyper::Request::get(uri)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .context("cannot build the request")?;
    match runtime.block_on(client.send(request)) {
        Ok(resp) if resp.status() == hyper::StatusCode::OK => {
            println!("ok: {url}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(resp) => {
            eprintln!("veilgate health: {url} answered {}", resp.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            // The client's words are about "the upstream"; here the peer is the proxy.
            let reason = e.message.replace("upstream", "the proxy");
            eprintln!("veilgate health: no answer from the proxy at {url}: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
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
