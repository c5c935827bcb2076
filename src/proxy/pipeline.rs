//! A request's journey, as named phases carrying one [`Ctx`]:
//!
//! 1. [`admit`]: method, content type, body size limit → the raw body.
//! 2. [`decode`]: UTF-8 and JSON → a `serde_json::Value` (unknown fields kept, and masked
//!    like any other text).
//! 3. [`mask`]: the shape check, then every outgoing text (default deny: every string and key
//!    but the few structural ones) through the detectors, on the blocking pool → the
//!    masked body and the request's vault. A detector failure ends the request here with
//!    503: nothing is forwarded (fail closed).
//! 4. [`splice`]: for a streamed chat, the local draft model may write the reply's first
//!    words (at most `draft.budget_ms`); then the cloud gets one request, the continuation
//!    of those words, or, when the draft wrote none, the masked body as below.
//! 5. [`forward`]: the masked body to the upstream ([`Destination`]) → its response headers.
//! 6. [`respond`]: unmask the reply, whole ([`respond_whole`]) or streamed
//!    ([`respond_stream`], a task that rewrites SSE events as they arrive).
//! 7. [`audit`]: one record per request, once the reply is complete.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;
use tracing::{debug, debug_span, info, info_span, warn, Instrument, Span};

use super::body::ProxyBody;
use super::error::ProxyError;
use super::limits::BodyReservation;
use super::mask::{mask_body, MaskError, MaskPolicy};
use super::splice::{self, DraftReport};
use super::stream_unmask::{unmask_json_strings, StreamFormat, StreamRewriter};
use super::upstream::copy_end_to_end;
use super::State;
use crate::api::walk::{check_shape, WalkError};
use crate::api::Route;
use crate::audit::{AuditRecord, Timings};
use crate::metrics::RequestSample;
use crate::privacy::{EntityType, Vault};

/// Everything one request carries through the phases.
pub struct Ctx {
    pub id: String,
    pub route: Route,
    pub client: SocketAddr,
    pub started: Instant,
    pub model: Option<String>,
    pub stream: bool,
    pub vault: Arc<Vault>,
    pub entities: BTreeMap<EntityType, u32>,
    /// The exact body that left the machine (None until forwarded).
    pub masked_request: Option<Value>,
    /// What the audit log records instead, where binary media passed unread (its payload
    /// withheld); None = `masked_request`.
    pub audit_request: Option<Value>,
    pub mask_ms: f64,
    pub upstream_first_byte_ms: Option<f64>,
    pub status: u16,
    pub error: Option<String>,
    /// What the draft did (gated-in requests only).
    pub draft: Option<DraftReport>,
}

impl Ctx {
    /// A fresh context for a request that has just arrived.
    pub fn new(id: String, route: Route, client: SocketAddr) -> Ctx {
        Ctx {
            id,
            route,
            client,
            started: Instant::now(),
            model: None,
            stream: false,
            vault: Arc::new(Vault::new()),
            entities: BTreeMap::new(),
            masked_request: None,
            audit_request: None,
            mask_ms: 0.0,
            upstream_first_byte_ms: None,
            status: 0,
            error: None,
            draft: None,
        }
    }

    pub(super) fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1e3
    }
}

/// Runs a masking route from admission to the response headers. The body of a streamed
/// reply keeps flowing (and is audited) after this returns. Everything the request does runs
/// in a `request` span carrying its id and route (no request content), each phase in a
/// debug-level span of its own name.
pub async fn run(state: Arc<State>, req: Request<Incoming>, ctx: Ctx) -> Response<ProxyBody> {
    let span = info_span!("request", id = %ctx.id, route = ctx.route.as_str());
    phases(state, req, ctx).instrument(span).await
}

async fn phases(state: Arc<State>, req: Request<Incoming>, mut ctx: Ctx) -> Response<ProxyBody> {
    let result = async {
        let (parts, body, _held) = admit(&state, req).instrument(debug_span!("admit")).await?;
        let preparing = Preparing::enter(&state);
        let value = debug_span!("decode").in_scope(|| decode(&body))?;
        ctx.model = value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned);
        ctx.stream = value
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let draft = state
            .draft
            .clone()
            .and_then(|model| Some((model, splice::gate(ctx.route, &value)?)));
        // The destination first: a refused query string or path costs no masking.
        let dest = Destination::of(&state, &ctx, parts)?;
        let masked = mask(&state, &mut ctx, value)
            .instrument(debug_span!("mask"))
            .await?;
        if let Some((model, turns)) = draft {
            let alone = preparing.alone();
            let drafted = splice::respond(&state, model, &mut ctx, &dest, turns, alone)
                .instrument(debug_span!("draft"))
                .await?;
            if let Some(responded) = drafted {
                return Ok(responded);
            }
        }
        drop(preparing);
        let upstream = forward(&state, &mut ctx, &dest, masked)
            .instrument(debug_span!("forward"))
            .await?;
        respond(&state, &mut ctx, upstream)
            .instrument(debug_span!("respond"))
            .await
    }
    .await;
    match result {
        Ok(Responded::Whole(resp)) => {
            ctx.status = resp.status().as_u16();
            audit(&state, &ctx);
            resp
        }
        Ok(Responded::Streaming(resp)) => resp,
        Err(err) => {
            ctx.status = err.status.as_u16();
            ctx.error = Some(err.message.clone());
            audit(&state, &ctx);
            error_response(&err, ctx.route.is_anthropic(), &ctx.id)
        }
    }
}

/// Phase 1: method, content type, encoding and size limit; returns the head, the whole body,
/// and the body's share of the proxy-wide [`BodyBudget`](super::limits::BodyBudget), held
/// until the request is done. The body must arrive within `server.body_read_timeout_ms`.
async fn admit(
    state: &State,
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, Bytes, BodyReservation<'_>), ProxyError> {
    if req.method() != Method::POST {
        return Err(ProxyError::method_not_allowed("POST"));
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ProxyError::unsupported_media_type());
    }
    let encoded = req
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        return Err(ProxyError::unsupported_content_encoding());
    }
    let limit = state.config.server.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ProxyError::too_large(limit));
    }
    let mut reservation = state.body_budget.reserve();
    // A body that says how long it is takes its share up front: a request the proxy
    // cannot hold is refused before its bytes arrive.
    let declared = declared.unwrap_or(0) as usize;
    if !reservation.grow(declared) {
        return Err(ProxyError::busy());
    }
    let (parts, mut body) = req.into_parts();
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(state.config.server.body_read_timeout_ms);
    let mut buf = Vec::with_capacity(declared.min(limit));
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(ProxyError::body_timeout()),
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return Err(ProxyError::bad_request(
                    "body_read_error",
                    "could not read the request body",
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            return Err(ProxyError::too_large(limit));
        }
        let beyond_declared = (buf.len() + data.len()).saturating_sub(declared.max(buf.len()));
        if !reservation.grow(beyond_declared) {
            return Err(ProxyError::busy());
        }
        buf.extend_from_slice(&data);
    }
    debug!(bytes = buf.len(), "body admitted");
    Ok((parts, Bytes::from(buf), reservation))
}

/// Phase 2: UTF-8 and JSON. Error messages give positions, never content.
fn decode(body: &[u8]) -> Result<Value, ProxyError> {
    if let Err(e) = std::str::from_utf8(body) {
        return Err(ProxyError::bad_request(
            "invalid_utf8",
            format!("request body is not valid UTF-8 (byte {})", e.valid_up_to()),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "ends early",
            _ => "is not valid JSON",
        };
        let nesting = e.to_string().contains("recursion limit");
        let what = if nesting {
            "is nested too deeply"
        } else {
            what
        };
        ProxyError::bad_request(
            "invalid_json",
            format!(
                "request body {what} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    if !value.is_object() {
        return Err(ProxyError::bad_request(
            "invalid_json",
            "request body must be a JSON object",
        ));
    }
    Ok(value)
}

/// Phase 3: checks the body's shape, then masks it on the blocking pool; returns the bytes
/// that will leave. A text field of the wrong JSON type, binary media the policy refuses, or
/// a failed detector ends the request here: nothing is forwarded.
async fn mask(state: &State, ctx: &mut Ctx, value: Value) -> Result<Bytes, ProxyError> {
    check_shape(ctx.route, &value).map_err(|e| refused("invalid_type", e))?;
    let masker = state.masker.clone();
    let route = ctx.route;
    // Report-only mode forwards the client's body as it is; the masking still runs, for the
    // log, the audit record and the metrics.
    let original = state.config.privacy.report_only.then(|| value.clone());
    let policy = MaskPolicy::from(&state.config.privacy);
    let start = Instant::now();
    let span = Span::current();
    let masked = tokio::task::spawn_blocking(move || {
        span.in_scope(|| mask_body(&masker, route, value, &policy))
    })
    .await
    .map_err(|_| ProxyError::internal("masking task failed; nothing was forwarded"))?
    .map_err(|e| match e {
        MaskError::Refused(e) => refused("binary_media_refused", e),
        MaskError::TokenIds(e) => refused("token_ids_refused", e),
        MaskError::OverBudget { chars, budget } => ProxyError::over_budget(chars, budget),
        MaskError::Blocked(kind) => {
            let mut err = ProxyError::bad_request(
                "blocked_entity",
                format!(
                    "the request holds a {kind} value, which privacy.types.{kind}.action = \
                     \"block\" refuses; nothing was forwarded"
                ),
            );
            err.param = Some(kind.to_string());
            err
        }
        MaskError::Detect(e) => {
            warn!(request_id = %ctx.id, detector = %e.detector, "detector failed; request refused");
            ProxyError::detector_unavailable(format!(
                "the {} detector failed, so the request was not forwarded",
                e.detector
            ))
        }
    })?;
    ctx.mask_ms = start.elapsed().as_secs_f64() * 1e3;
    ctx.entities = masked.outcome.counts();
    debug!(
        entities = ctx.entities.values().sum::<u32>(),
        mask_ms = ctx.mask_ms,
        "body masked"
    );
    // The audit log records what left, or in report-only mode what would have: never raw
    // values, and binary payloads withheld.
    if original.is_some() || !masked.binary.is_empty() {
        ctx.audit_request = Some(masked.for_audit(route));
    }
    if let Some(original) = original {
        info!(
            request_id = %ctx.id,
            would_mask = ctx.entities.values().sum::<u32>(),
            "privacy.report_only: forwarded unmasked"
        );
        let bytes = serde_json::to_vec(&original)
            .map_err(|_| ProxyError::internal("could not encode the body"))?;
        ctx.masked_request = Some(original);
        return Ok(Bytes::from(bytes));
    }
    let bytes = serde_json::to_vec(&masked.body)
        .map_err(|_| ProxyError::internal("could not encode the masked body"))?;
    ctx.vault = Arc::new(masked.vault);
    ctx.masked_request = Some(masked.body);
    Ok(Bytes::from(bytes))
}

/// A 400 for a body refused before masking, naming the field (a path that shows no key a
/// client made up).
fn refused(code: &'static str, e: WalkError) -> ProxyError {
    let mut err = ProxyError::bad_request(code, e.message);
    err.param = Some(e.path);
    err
}

/// Counts a request in [`State::preparing`](super::State) from admission until its upstream
/// request leaves (or the splice takes it over): the stretch in which it wants the CPU.
struct Preparing<'a>(&'a AtomicUsize);

impl Preparing<'_> {
    fn enter(state: &State) -> Preparing<'_> {
        state.preparing.fetch_add(1, Ordering::Relaxed);
        Preparing(&state.preparing)
    }

    /// Whether no other request is being masked or drafted for right now. The draft only
    /// starts then: on a machine busy with other requests a draft would slow their masking
    /// and wait for the CPU itself, so the cloud's own first words come sooner.
    fn alone(&self) -> bool {
        self.0.load(Ordering::Relaxed) <= 1
    }
}

impl Drop for Preparing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where a request's upstream twin goes: the route's URL on the upstream, and the client's
/// headers (filtered and completed by [`Upstream::request`](super::upstream::Upstream)).
#[derive(Clone)]
pub(super) struct Destination {
    uri: hyper::Uri,
    headers: HeaderMap,
}

impl Destination {
    pub(super) fn of(
        state: &State,
        ctx: &Ctx,
        parts: hyper::http::request::Parts,
    ) -> Result<Destination, ProxyError> {
        super::upstream::check_forwarded_headers(&parts.headers)?;
        Ok(Destination {
            uri: state.upstream.url_for(ctx.route, &parts.uri)?,
            headers: parts.headers,
        })
    }
}

/// Phase 5: sends `body` upstream; the arrival of its response headers is noted in the
/// timings. The plain path and the draft's continuation both leave through here.
pub(super) async fn forward(
    state: &State,
    ctx: &mut Ctx,
    dest: &Destination,
    body: Bytes,
) -> Result<Response<Incoming>, ProxyError> {
    let req = state.upstream.request(
        ctx.route,
        Method::POST,
        dest.uri.clone(),
        &dest.headers,
        body,
    );
    let resp = state.upstream.send(req).await?;
    ctx.upstream_first_byte_ms = Some(ctx.elapsed_ms());
    debug!(status = resp.status().as_u16(), "upstream answered");
    Ok(resp)
}

/// A successful reply whose body is a server-sent event stream.
pub(super) fn is_event_stream(resp: &Response<Incoming>) -> bool {
    resp.status().is_success()
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// What [`respond`] produced: a complete reply, or one whose body is still streaming.
pub(super) enum Responded {
    Whole(Response<ProxyBody>),
    Streaming(Response<ProxyBody>),
}

/// Phase 6: unmask the upstream's reply for the client.
pub(super) async fn respond(
    state: &Arc<State>,
    ctx: &mut Ctx,
    upstream: Response<Incoming>,
) -> Result<Responded, ProxyError> {
    if let Some(enc) = upstream.headers().get(header::CONTENT_ENCODING) {
        if enc.as_bytes() != b"identity" {
            return Err(ProxyError::bad_gateway(
                "upstream sent a compressed body despite Accept-Encoding: identity",
            ));
        }
    }
    if is_event_stream(&upstream) {
        Ok(Responded::Streaming(respond_stream(state, ctx, upstream)))
    } else {
        respond_whole(state, ctx, upstream)
            .await
            .map(Responded::Whole)
    }
}

/// A non-streamed reply (or an upstream error, passed through with its status): read it
/// whole, put the real values back into every string, send it on.
pub(super) async fn respond_whole(
    state: &State,
    ctx: &Ctx,
    upstream: Response<Incoming>,
) -> Result<Response<ProxyBody>, ProxyError> {
    let (parts, body) = upstream.into_parts();
    let limit = state.config.upstream.max_response_bytes;
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ProxyError::bad_gateway(format!("upstream response exceeds {limit} bytes"))
            } else {
                ProxyError::bad_gateway("upstream connection failed while sending the response")
            }
        })?
        .to_bytes();
    let body = unmask_whole(&ctx.vault, bytes);
    let mut resp = Response::new(ProxyBody::full(body));
    *resp.status_mut() = parts.status;
    copy_end_to_end(&parts.headers, resp.headers_mut());
    resp.headers_mut().remove(header::CONTENT_ENCODING);
    set_request_id(resp.headers_mut(), &ctx.id);
    Ok(resp)
}

/// Unmasks a whole body: every string of a JSON document, or the text of anything else.
fn unmask_whole(vault: &Vault, bytes: Bytes) -> Bytes {
    if vault.is_empty() {
        return bytes;
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) {
        unmask_json_strings(vault, &mut value);
        return Bytes::from(serde_json::to_vec(&value).expect("json values serialise"));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Bytes::from(vault.unmask(text).into_owned()),
        Err(_) => bytes,
    }
}

/// A streamed reply: a task reads the upstream's SSE, rewrites each event with the real
/// values and sends it on. The client going away drops the channel, which ends the task and
/// with it the upstream request. An upstream that dies or stalls gets the client a
/// well-formed error event of the route's format.
fn respond_stream(
    state: &Arc<State>,
    ctx: &mut Ctx,
    upstream: Response<Incoming>,
) -> Response<ProxyBody> {
    let (parts, mut body) = upstream.into_parts();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let format = match ctx.route {
        Route::Messages => StreamFormat::Anthropic,
        Route::Responses => StreamFormat::Responses,
        Route::Completions => StreamFormat::Completions,
        _ => StreamFormat::ChatCompletions,
    };
    let mut rewriter = StreamRewriter::new(format, ctx.vault.clone());
    let idle = Duration::from_millis(state.config.upstream.idle_timeout_ms);
    // The task owns the context from here on: it audits the request when the stream ends.
    let mut task_ctx = std::mem::replace(ctx, Ctx::new(ctx.id.clone(), ctx.route, ctx.client));
    let id = task_ctx.id.clone();
    task_ctx.status = parts.status.as_u16();
    let state = state.clone();
    state.metrics.stream_delta(1);
    tokio::spawn(
        async move {
            let mut out = Vec::new();
            // Once the terminal event is on its way the reply is complete, even if the client
            // then hangs up (the OpenAI SDKs stop reading at `[DONE]`). The upstream is still
            // read to its end while the client stays, so its connection can be reused.
            let gone =
                |rewriter: &StreamRewriter| (!rewriter.ended()).then_some("client disconnected");
            let outcome = loop {
                let frame = tokio::select! {
                    _ = tx.closed() => break gone(&rewriter),
                    frame = tokio::time::timeout(idle, body.frame()) => frame,
                };
                let failure = match frame {
                    Err(_) => Some("upstream stalled mid-stream"),
                    Ok(Some(Err(_))) => Some("upstream connection lost mid-stream"),
                    Ok(None) => match rewriter.finish(&mut out) {
                        Ok(()) => {
                            let _ = tx.send(Bytes::from(std::mem::take(&mut out))).await;
                            break None;
                        }
                        Err(_) => Some("upstream sent a malformed event stream"),
                    },
                    Ok(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => rewriter
                            .push(&data, &mut out)
                            .err()
                            .map(|_| "upstream sent a malformed event stream"),
                        Err(_) => None, // trailers carry no text
                    },
                };
                if let Some(reason) = failure {
                    rewriter.fail(reason, &mut out);
                    let _ = tx.send(Bytes::from(std::mem::take(&mut out))).await;
                    break Some(reason);
                }
                if !out.is_empty()
                    && tx
                        .send(Bytes::from(std::mem::take(&mut out)))
                        .await
                        .is_err()
                {
                    break gone(&rewriter);
                }
            };
            drop(body); // cancels the upstream request if it is still running
            task_ctx.error = outcome.map(str::to_owned);
            state.metrics.stream_delta(-1);
            audit(&state, &task_ctx);
        }
        .in_current_span(),
    );
    let mut resp = Response::new(ProxyBody::Stream(rx));
    *resp.status_mut() = parts.status;
    copy_end_to_end(&parts.headers, resp.headers_mut());
    resp.headers_mut().remove(header::CONTENT_ENCODING);
    set_request_id(resp.headers_mut(), &id);
    resp
}

/// Phase 7: one audit record, one log line and the metrics of a request; none holds raw
/// values.
pub(super) fn audit(state: &State, ctx: &Ctx) {
    let total_ms = ctx.elapsed_ms();
    state.metrics.observe(&RequestSample {
        route: ctx.route.as_str(),
        status: ctx.status,
        entities: &ctx.entities,
        mask_ms: ctx.masked_request.is_some().then_some(ctx.mask_ms),
        upstream_first_byte_ms: ctx.upstream_first_byte_ms,
        draft: ctx.draft.as_ref().map(|d| (d.outcome, d.first_word_ms)),
    });
    info!(
        request_id = %ctx.id,
        route = ctx.route.as_str(),
        status = ctx.status,
        entities = ctx.entities.values().sum::<u32>(),
        mask_ms = format_args!("{:.2}", ctx.mask_ms),
        total_ms = format_args!("{total_ms:.1}"),
        error = ctx.error.as_deref().unwrap_or(""),
        "request done"
    );
    let Some(log) = &state.audit else { return };
    let placeholders = ctx
        .vault
        .entries()
        .iter()
        .map(|e| (e.placeholder.clone(), log.digest(&e.value)))
        .collect();
    let mut record = AuditRecord::new(&ctx.id, ctx.route.as_str(), ctx.client.to_string());
    record.model = ctx.model.clone();
    record.status = ctx.status;
    record.entities = ctx
        .entities
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), *v))
        .collect();
    record.masked_request = ctx
        .audit_request
        .as_ref()
        .or(ctx.masked_request.as_ref())
        .cloned()
        .unwrap_or(Value::Null);
    record.placeholders = placeholders;
    record.timings = Timings {
        mask_ms: ctx.mask_ms,
        draft_first_token_ms: ctx.draft.as_ref().and_then(|d| d.first_word_ms),
        upstream_first_byte_ms: ctx.upstream_first_byte_ms,
        total_ms,
    };
    record.draft = ctx.draft.as_ref().map(DraftReport::to_json);
    record.error = ctx.error.clone();
    if let Err(e) = log.append(record) {
        warn!(request_id = %ctx.id, "audit record not written: {e}");
    }
}

/// Answers a request refused before the pipeline (no access token, no such route, a wrong
/// method) with `err`, counted, logged and audited like any other, nothing forwarded. The
/// record names the error by its code only: a path the client made up may hold anything.
pub(super) fn refuse(
    state: &State,
    id: String,
    route: &'static str,
    client: SocketAddr,
    err: ProxyError,
    anthropic: bool,
) -> Response<ProxyBody> {
    let status = err.status.as_u16();
    state.metrics.observe(&RequestSample::local(route, status));
    let code = err.code.unwrap_or(err.kind);
    info!(request_id = %id, route, status, error = code, "request refused");
    if let Some(log) = &state.audit {
        let mut record = AuditRecord::new(&id, route, client.to_string());
        record.status = status;
        record.error = Some(code.to_owned());
        if let Err(e) = log.append(record) {
            warn!(request_id = %id, "audit record not written: {e}");
        }
    }
    error_response(&err, anthropic, &id)
}

/// An error as the client sees it, tagged with the request's id like every answer.
pub fn error_response(err: &ProxyError, anthropic: bool, id: &str) -> Response<ProxyBody> {
    let mut resp = Response::new(ProxyBody::full(err.body(anthropic)));
    *resp.status_mut() = err.status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = err.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    set_request_id(resp.headers_mut(), id);
    resp
}

/// Tags a response with veilgate's request id (the upstream's own id header is kept too).
pub fn set_request_id(headers: &mut HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert("x-veilgate-request-id", v);
    }
}

/// A plain JSON response.
pub fn json_response(status: StatusCode, body: &Value) -> Response<ProxyBody> {
    let mut resp = Response::new(ProxyBody::full(
        serde_json::to_vec(body).expect("json values serialise"),
    ));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
