//! The HTTP proxy: listener, routing, the request pipeline, the upstream client.
//!
//! [`Server::bind`] compiles everything expensive once (rules, models, the TLS client and
//! acceptor, the access token) into a shared read-only [`State`]; [`Server::run`] accepts
//! HTTP/1.1 and HTTP/2 connections, plain or TLS ([`tls`]), checks the local access token
//! ([`auth`]) and hands each masking request to [`pipeline::run`].

pub mod auth;
pub mod body;
pub mod demo;
pub mod error;
pub mod limits;
pub mod mask;
pub mod pipeline;
pub mod splice;
pub mod stream_unmask;
pub mod tls;
pub mod upstream;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::api::Route;
use crate::audit::AuditLog;
use crate::config::Config;
use crate::draft::{DraftModel, DraftOptions, Drafter};
use crate::metrics::{Metrics, RequestSample};
use crate::privacy::Masker;
use auth::AccessToken;
use body::ProxyBody;
use error::ProxyError;
use limits::{Admitted, BodyBudget, Connections, SlotGuard, Throttled};
use pipeline::{error_response, json_response, Ctx};
use upstream::Upstream;

/// What every request shares, built once at start-up and read-only afterwards.
pub struct State {
    pub config: Config,
    pub masker: Arc<Masker>,
    pub upstream: Upstream,
    pub audit: Option<AuditLog>,
    pub metrics: Metrics,
    /// TLS for the listener (`server.tls_cert`/`tls_key`); `None` = plain HTTP.
    pub tls: Option<TlsAcceptor>,
    /// The local access token (`server.access_token_env`/`_file`); `None` = open.
    pub access_token: Option<AccessToken>,
    /// The draft model, when `draft` is enabled.
    pub draft: Option<Arc<dyn Drafter>>,
    /// How continuation requests carry the opener (`upstream.prefill`, parsed once).
    pub prefill: splice::align::Prefill,
    /// Requests between admission and their upstream request: the ones that want the CPU
    /// now, for masking or the draft ([`pipeline::Preparing`]).
    preparing: AtomicUsize,
    ids: RequestIds,
    /// Open client connections (`server.max_connections`).
    pub connections: Arc<Connections>,
    /// Request body bytes buffered across requests (`server.max_buffered_body_bytes`).
    pub body_budget: BodyBudget,
    /// Log lines about refused connections and failed accepts, at most one per 10 s each.
    refused_log: Throttled,
    accept_log: Throttled,
}

impl State {
    /// Loads rules and models, builds the upstream client, opens the audit log. Any problem
    /// is a start-up error: veilgate never runs without a detector it was asked for.
    pub fn new(config: Config) -> anyhow::Result<State> {
        let masker = crate::privacy::build_masker(&config.privacy)?;
        State::with_masker(config, masker)
    }

    /// Like [`State::new`] with detectors built by the caller (embedding, tests).
    pub fn with_masker(config: Config, masker: Masker) -> anyhow::Result<State> {
        let tls = tls::acceptor(&config.server)?;
        let access_token = AccessToken::from_config(&config.server)?;
        let mut upstream = Upstream::new(&config.upstream)?;
        // The client authenticated to veilgate with the local token: that credential is
        // veilgate's, never the cloud's.
        upstream.forward_client_credentials = access_token.is_none();
        let prefill = splice::align::Prefill::parse(config.upstream.prefill.as_deref())
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        let draft = if config.draft.is_enabled() {
            let opts =
                DraftOptions::from_config(&config.draft, config.privacy.onnxruntime.as_deref());
            Some(Arc::new(DraftModel::load(&opts)?) as Arc<dyn Drafter>)
        } else {
            None
        };
        let audit = AuditLog::open(&config.audit)?;
        Ok(State {
            masker: Arc::new(masker),
            upstream,
            audit,
            metrics: Metrics::default(),
            tls,
            access_token,
            draft,
            prefill,
            preparing: AtomicUsize::new(0),
            ids: RequestIds::new(),
            connections: Arc::new(Connections::new(config.server.max_connections)),
            body_budget: BodyBudget::new(config.server.max_buffered_body_bytes),
            refused_log: Throttled::new(LOG_EVERY),
            accept_log: Throttled::new(LOG_EVERY),
            config,
        })
    }
}

/// A bound listener with its state, ready to serve.
pub struct Server {
    state: Arc<State>,
    listener: TcpListener,
}

impl Server {
    /// Builds the state and binds `server.listen`.
    pub async fn bind(config: Config) -> anyhow::Result<Server> {
        Server::bind_state(State::new(config)?).await
    }

    /// Binds `server.listen` for a state built by the caller.
    pub async fn bind_state(state: State) -> anyhow::Result<Server> {
        let listen = state.config.server.listen.clone();
        let state = Arc::new(state);
        let listener = TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        Ok(Server { state, listener })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests
    /// finish within `server.shutdown_grace_ms`, and flushes the audit log.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Server { state, listener } = self;
        let scheme = if state.tls.is_some() { "https" } else { "http" };
        info!(
            "veilgate listening on {scheme}://{}",
            listener.local_addr()?
        );
        let on = |yes: bool| if yes { "on" } else { "off" };
        let privacy = &state.config.privacy;
        info!(
            "upstream {} (Anthropic: {}); detectors: {}; public places kept: {}; binary media: \
             {}; draft: {}; audit: {}{}",
            state.config.upstream.base_url,
            state.config.upstream.anthropic_base_url,
            state.masker.detector_names().join(", "),
            on(privacy.keep_public),
            format!("{:?}", privacy.binary_media).to_lowercase(),
            on(state.draft.is_some()),
            state
                .config
                .audit
                .path
                .as_ref()
                .map_or("off".to_string(), |p| p.display().to_string()),
            if privacy.report_only {
                "; REPORT-ONLY: requests leave unmasked"
            } else {
                ""
            }
        );
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, client) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        if let Some(more) = state.accept_log.due() {
                            warn!("accept failed: {e} ({more} more since the last such line)");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some((slot, how)) = state.connections.admit() else {
                // Every connection is busy with a request: turn this one away at once.
                if let Some(more) = state.refused_log.due() {
                    warn!(
                        "{} connections open and all busy (server.max_connections): \
                         closing new ones ({more} more since the last such line)",
                        state.connections.max()
                    );
                }
                drop(stream);
                continue;
            };
            if how == Admitted::Evicted {
                if let Some(more) = state.refused_log.due() {
                    info!(
                        "{} connections open (server.max_connections): closing the oldest \
                         idle one for each new one ({more} more since the last such line)",
                        state.connections.max()
                    );
                }
            }
            let _ = stream.set_nodelay(true);
            let (state, watcher) = (state.clone(), graceful.watcher());
            tokio::spawn(async move {
                let first_byte = Duration::from_millis(state.config.server.header_read_timeout_ms);
                match state.tls.clone() {
                    None => {
                        // A client that connects and says nothing holds no place for long.
                        let mut byte = [0u8; 1];
                        match tokio::time::timeout(first_byte, stream.peek(&mut byte)).await {
                            Ok(Ok(n)) if n > 0 => {
                                serve_connection(state, stream, client, watcher, slot).await
                            }
                            _ => debug!("connection from {client} sent nothing"),
                        }
                    }
                    Some(tls) => {
                        let handshake = TLS_HANDSHAKE.min(first_byte);
                        match tokio::time::timeout(handshake, tls.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                serve_connection(state, stream, client, watcher, slot).await
                            }
                            Ok(Err(e)) => debug!("TLS handshake with {client} failed: {e}"),
                            Err(_) => debug!("TLS handshake with {client} timed out"),
                        }
                    }
                }
            });
        }
        drop(listener);
        let grace = Duration::from_millis(state.config.server.shutdown_grace_ms);
        info!(
            "shutting down; waiting up to {} ms for in-flight requests",
            grace.as_millis()
        );
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            warn!("grace period over; closing remaining connections");
        }
        if let Some(audit) = &state.audit {
            if let Err(e) = audit.flush() {
                warn!("audit log not flushed: {e}");
            }
        }
        Ok(())
    }
}

/// Longest a client may take to complete the TLS handshake.
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);

/// How often a repeated warning (refused connections, failed accepts) may be logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 or HTTP/2 (by preface; ALPN under TLS) on one accepted connection, until
/// it ends or is evicted to make room for another ([`Connections`]). HTTP/1.1 request heads
/// must arrive within `server.header_read_timeout_ms`.
async fn serve_connection<S>(
    state: Arc<State>,
    stream: S,
    client: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
    slot: SlotGuard,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = Duration::from_millis(state.config.server.header_read_timeout_ms);
    let served = slot.slot.clone();
    let service = hyper::service::service_fn(move |req| {
        served.served();
        let state = state.clone();
        async move { Ok::<_, Infallible>(dispatch(state, req, client).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::select! {
        ended = watcher.watch(conn.into_owned()) => {
            if let Err(e) = ended {
                debug!("connection from {client} ended: {e}");
            }
        }
        _ = slot.slot.evicted() => debug!("connection from {client} closed to make room"),
    }
}

/// Routes one request. With a local access token, everything but `/healthz` needs it, unknown
/// paths included (an unauthenticated caller learns nothing about the routes).
async fn dispatch(
    state: Arc<State>,
    req: Request<Incoming>,
    client: SocketAddr,
) -> Response<ProxyBody> {
    let route = Route::from_path(req.uri().path());
    let name = route.map_or("unknown", Route::as_str);
    let anthropic = route.is_some_and(Route::is_anthropic);
    if let Some(token) = &state.access_token {
        if route != Some(Route::Health) && !token.admits(req.headers(), anthropic) {
            let err = ProxyError::unauthorized();
            return pipeline::refuse(&state, state.ids.next(), name, client, err, anthropic);
        }
    }
    let Some(route) = route else {
        let err = ProxyError::not_found(req.uri().path());
        return pipeline::refuse(&state, state.ids.next(), name, client, err, false);
    };
    let local = matches!(route, Route::Health | Route::Metrics);
    if local && req.method() != Method::GET {
        let err = ProxyError::method_not_allowed("GET");
        return pipeline::refuse(&state, state.ids.next(), name, client, err, false);
    }
    if local {
        state.metrics.observe(&RequestSample::local(name, 200));
    }
    let ctx = Ctx::new(state.ids.next(), route, client);
    match route {
        Route::Health => json_response(StatusCode::OK, &json!({"status": "ok"})),
        Route::Metrics => {
            let mut resp = Response::new(ProxyBody::full(state.metrics.render()));
            resp.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            resp
        }
        Route::Models => models(&state, req, ctx).await,
        _ => pipeline::run(state, req, ctx).await,
    }
}

/// `GET /v1/models[/{id}]`: passed through (no body to mask), counted and audited.
async fn models(state: &State, req: Request<Incoming>, mut ctx: Ctx) -> Response<ProxyBody> {
    if req.method() != Method::GET {
        let err = ProxyError::method_not_allowed("GET");
        return pipeline::refuse(state, ctx.id, ctx.route.as_str(), ctx.client, err, false);
    }
    let result = async {
        upstream::check_forwarded_headers(req.headers())?;
        let uri = state.upstream.url_for(ctx.route, req.uri())?;
        let up = state.upstream.request(
            ctx.route,
            Method::GET,
            uri,
            req.headers(),
            bytes::Bytes::new(),
        );
        let resp = state.upstream.send(up).await?;
        pipeline::respond_whole(state, &ctx, resp).await
    }
    .await;
    let resp = result.unwrap_or_else(|e| {
        ctx.error = Some(e.message.clone());
        error_response(&e, false, &ctx.id)
    });
    ctx.status = resp.status().as_u16();
    pipeline::audit(state, &ctx);
    resp
}

/// Request ids: a random per-process prefix and a counter, so ids are unique across
/// restarts without a random draw per request.
struct RequestIds {
    prefix: u32,
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        let mut bytes = [0u8; 4];
        getrandom::getrandom(&mut bytes).expect("the OS has a random source");
        RequestIds {
            prefix: u32::from_le_bytes(bytes),
            counter: AtomicU64::new(1),
        }
    }

    fn next(&self) -> String {
        format!(
            "vg-{:08x}-{:06}",
            self.prefix,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }
}
