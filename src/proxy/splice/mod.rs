//! The draft and the splice (DESIGN §5). For a streamed chat that [`align::gate`] lets
//! through, the masked request leaves for the cloud at once while the local draft model
//! writes the reply's first words; whichever text exists first decides:
//!
//! - The cloud's first text came first, the draft was unconfident, or the upstream
//!   answered with an error: the draft is dropped and the reply is proxied as usual.
//! - The draft has a word: the proxy answers 200 with its own Chat Completions stream (it
//!   owns `id`, `created`, `model` and the role chunk) and streams the opener word by word.
//!   Once the opener is final it is masked with the request's vault. Then the cloud's text
//!   is buffered until it can be compared with the opener ([`align::overlap`]):
//!   - it repeats the opener: the overlap is dropped and the rest streams on, so the client
//!     reads exactly the cloud's own answer;
//!   - it does not: that stream is cancelled and a continuation request (the masked opener
//!     as the last message, in the upstream's dialect, [`align::continuation_body`]) is
//!     sent; its text streams on after the opener. With `draft.speculative` the
//!     continuation is sent as soon as the opener is final and the unused one cancelled.
//!
//! `finish_reason` and `usage` come from the cloud. Upstream failures after the opener has
//! started reach the client as an error event in the stream.

pub mod align;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{warn, Instrument};

use super::body::ProxyBody;
use super::error::ProxyError;
use super::pipeline::{self, Ctx, Responded};
use super::stream_unmask::{unmask_json_strings, StreamFormat, StreamRewriter};
use super::upstream::copy_end_to_end;
use super::State;
use crate::api::sse::{self, SseItem, SseParser};
use crate::draft::{Draft, Drafter, Stop, Turn};
use crate::privacy::Vault;
pub use align::gate;
use align::{continuation_body, joiner, overlap, Overlap, Prefill};

/// What the draft did for one request, for the audit record and the metrics. Holds no raw
/// text: the opener itself is never recorded, only its masked form inside the
/// continuation request (which is what left the machine).
#[derive(Debug, Clone, Default)]
pub struct DraftReport {
    pub stats: Option<Draft>,
    /// `matched`, `repaired`, `abandoned` (the cloud was first), `unconfident`, `busy` (every
    /// draft session was taken: the draft stepped aside), `format` (the reply began with a
    /// list marker or code, never drafted), `failed` (the draft model erred),
    /// `cloud_error` (the upstream failed after the opener).
    pub outcome: &'static str,
    /// From request received to the first opener word sent to the client.
    pub first_word_ms: Option<f64>,
    /// The prefill dialect of the continuation, when one was sent.
    pub continuation: Option<&'static str>,
    pub speculative: bool,
    /// The exact continuation body that left the machine (masked).
    pub continuation_request: Option<Value>,
}

impl DraftReport {
    /// The audit record's `draft` field.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "outcome": self.outcome,
            "first_word_ms": self.first_word_ms,
            "continuation": self.continuation,
            "speculative": self.speculative,
        });
        if let Some(stats) = &self.stats {
            v["model"] = serde_json::to_value(stats).expect("stats serialise");
        }
        if let Some(body) = &self.continuation_request {
            v["continuation_request"] = body.clone();
        }
        v
    }
}

/// What the blocking draft task reports.
enum DraftMsg {
    Word(String),
    Done(Result<Draft, String>),
}

/// An upstream request on a task of its own (so that the draft and the client are served
/// while it is on its way): its response headers, or the error, and when they came.
/// Dropping it aborts the request.
struct UpstreamTask(JoinHandle<(Result<Response<Incoming>, ProxyError>, Instant)>);

impl Future for UpstreamTask {
    type Output = (Result<Response<Incoming>, ProxyError>, Instant);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|_| {
                let err = ProxyError::internal("upstream task failed");
                (Err(err), Instant::now())
            })
        })
    }
}

impl Drop for UpstreamTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the splice for a gated request whose masked body is `body`; see the module docs.
pub(super) async fn respond(
    state: &Arc<State>,
    model: Arc<dyn Drafter>,
    ctx: &mut Ctx,
    parts: &hyper::http::request::Parts,
    turns: Vec<Turn>,
    body: Bytes,
) -> Result<Responded, ProxyError> {
    let prefill = state.prefill;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = state.upstream.url_for(ctx.route, path)?;
    let headers = parts.headers.clone();
    let mut task = send(state, ctx, uri.clone(), &headers, body);
    let cancel = Arc::new(AtomicBool::new(false));
    let mut words = start_draft(model, turns, cancel.clone());
    let mut report = DraftReport::default();
    let start = tokio::select! {
        msg = words.recv() => match msg {
            Some(DraftMsg::Word(first)) => Start::Opener(first, task),
            Some(DraftMsg::Done(Ok(stats))) => {
                report.outcome = not_drafted(&stats);
                report.stats = Some(stats);
                Start::Plain(task)
            }
            Some(DraftMsg::Done(Err(e))) => {
                warn!(request_id = %ctx.id, "draft model failed: {e}");
                report.outcome = "failed";
                Start::Plain(task)
            }
            None => {
                report.outcome = "failed"; // the draft task panicked
                Start::Plain(task)
            }
        },
        joined = &mut task => {
            let resp = joined_response(joined, ctx)?;
            if is_stream(&resp) {
                Start::Cloud(resp)
            } else {
                cancel.store(true, Ordering::Relaxed);
                report.outcome = "abandoned";
                ctx.draft = Some(report);
                return pipeline::respond(state, ctx, resp).await;
            }
        }
    };
    if let Start::Plain(task) = start {
        ctx.draft = Some(report);
        let resp = joined_response(task.await, ctx)?;
        return pipeline::respond(state, ctx, resp).await;
    }
    let up = Upstream {
        uri,
        headers,
        prefill,
    };
    Ok(Responded::Streaming(start_stream(
        state, ctx, start, words, up, cancel,
    )))
}

/// The outcome of a draft that wrote nothing.
fn not_drafted(stats: &Draft) -> &'static str {
    match stats.stop {
        Stop::Busy => "busy",
        Stop::Format => "format",
        _ => "unconfident",
    }
}

/// How the reply starts.
enum Start {
    /// The draft's first word exists; the upstream's answer is still on its way.
    Opener(String, UpstreamTask),
    /// The upstream answered with a stream first; the draft may still win the first word.
    Cloud(Response<Incoming>),
    /// No draft: plain proxying.
    Plain(UpstreamTask),
}

fn is_stream(resp: &Response<Incoming>) -> bool {
    resp.status().is_success()
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Where continuation requests go.
struct Upstream {
    uri: hyper::Uri,
    headers: HeaderMap,
    prefill: Prefill,
}

/// Sends a masked body upstream.
fn send(
    state: &Arc<State>,
    ctx: &Ctx,
    uri: hyper::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> UpstreamTask {
    let req: Request<Full<Bytes>> =
        state
            .upstream
            .request(ctx.route, Method::POST, uri, headers, body);
    let state = state.clone();
    UpstreamTask(tokio::spawn(
        async move {
            let result = state.upstream.send(req).await;
            (result, Instant::now())
        }
        .in_current_span(),
    ))
}

/// The upstream's response, its arrival noted in the request's timings.
fn joined_response(
    (result, at): (Result<Response<Incoming>, ProxyError>, Instant),
    ctx: &mut Ctx,
) -> Result<Response<Incoming>, ProxyError> {
    let resp = result?;
    ctx.upstream_first_byte_ms = Some(at.duration_since(ctx.started).as_secs_f64() * 1e3);
    Ok(resp)
}

/// Runs the draft on the blocking pool; its words arrive on the returned channel as they
/// become whole, then its statistics. Setting `cancel` stops it at the next word.
fn start_draft(
    model: Arc<dyn Drafter>,
    turns: Vec<Turn>,
    cancel: Arc<AtomicBool>,
) -> mpsc::UnboundedReceiver<DraftMsg> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::task::spawn_blocking(move || {
        let result = model.draft(&turns, &mut |word| {
            !cancel.load(Ordering::Relaxed) && tx.send(DraftMsg::Word(word.to_owned())).is_ok()
        });
        let _ = tx.send(DraftMsg::Done(result));
    });
    rx
}

/// The proxy's own Chat Completions chunks: one id, creation time and model for the whole
/// stream, whichever upstream stream the text comes from.
struct Chunks {
    id: String,
    created: u64,
    model: Value,
    /// False until the draft's first word is sent: before, the cloud's chunks go out as
    /// they came.
    own: bool,
}

impl Chunks {
    fn new(ctx: &Ctx) -> Chunks {
        Chunks {
            id: format!("chatcmpl-{}", ctx.id),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            model: ctx.model.clone().map_or(Value::Null, Value::String),
            own: false,
        }
    }

    fn delta(&self, delta: Value, out: &mut Vec<u8>) {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}],
        });
        sse::write_event(out, None, &chunk.to_string());
    }

    fn role(&self, out: &mut Vec<u8>) {
        self.delta(json!({"role": "assistant", "content": ""}), out);
    }

    fn content(&self, text: &str, out: &mut Vec<u8>) {
        if !text.is_empty() {
            self.delta(json!({ "content": text }), out);
        }
    }

    /// Writes a cloud chunk: under the proxy's id without its role (the proxy sent it) once
    /// the stream is the proxy's; as it came before. A chunk left with nothing to say is
    /// dropped.
    fn write(&self, mut chunk: Value, out: &mut Vec<u8>) {
        if !self.own || self.adopt(&mut chunk) {
            sse::write_event(out, None, &chunk.to_string());
        }
    }

    fn adopt(&self, chunk: &mut Value) -> bool {
        let Some(obj) = chunk.as_object_mut() else {
            return true;
        };
        if obj.contains_key("error") {
            return true;
        }
        obj.insert("id".into(), Value::String(self.id.clone()));
        obj.insert("created".into(), self.created.into());
        if !self.model.is_null() && !obj.contains_key("model") {
            obj.insert("model".into(), self.model.clone());
        }
        let mut says_something = obj.get("usage").is_some_and(|u| !u.is_null());
        if let Some(Value::Array(choices)) = obj.get_mut("choices") {
            for choice in choices {
                if let Some(Value::Object(delta)) = choice.get_mut("delta") {
                    delta.remove("role");
                    says_something |= delta
                        .iter()
                        .any(|(k, v)| !(v.is_null() || k == "content" && v == ""));
                }
                says_something |= choice.get("finish_reason").is_some_and(|f| !f.is_null());
            }
        }
        says_something
    }

    /// An error event in the shape the OpenAI SDKs raise on.
    fn error(&self, err: &ProxyError, out: &mut Vec<u8>) {
        sse::write_event(out, None, &String::from_utf8_lossy(&err.body(false)));
    }
}

/// A chunk's `choices[0].delta.content`.
fn content_of(chunk: &Value) -> Option<&str> {
    chunk
        .get("choices")?
        .get(0)?
        .get("delta")?
        .get("content")?
        .as_str()
}

/// Removes a chunk's content (its text was sent in another chunk).
fn strip_content(chunk: &mut Value) {
    if let Some(Value::Object(delta)) = chunk
        .get_mut("choices")
        .and_then(|c| c.get_mut(0))
        .and_then(|c| c.get_mut("delta"))
    {
        delta.remove("content");
    }
}

/// One upstream SSE reply, unmasked and parsed back into chunks.
struct CloudStream {
    body: Incoming,
    rewriter: StreamRewriter,
    parser: SseParser,
    queue: VecDeque<Cloud>,
    ended: bool,
    idle: Duration,
}

/// What a [`CloudStream`] yields.
enum Cloud {
    /// A chunk, unmasked.
    Chunk(Value),
    /// `data: [DONE]`.
    Done,
    /// Anything else (a comment, a named or non-JSON event), forwarded as is.
    Raw(Vec<u8>),
    /// The stream failed; the bytes are a well-formed error event for the client.
    Failed(&'static str, Vec<u8>),
}

impl CloudStream {
    fn new(body: Incoming, vault: Arc<Vault>, idle: Duration) -> CloudStream {
        CloudStream {
            body,
            rewriter: StreamRewriter::new(StreamFormat::ChatCompletions, vault),
            parser: SseParser::default(),
            queue: VecDeque::new(),
            ended: false,
            idle,
        }
    }

    /// The next item; None once the stream has ended.
    async fn next(&mut self) -> Option<Cloud> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            self.pull().await;
        }
    }

    /// Reads until the stream has said something (text, an error, its end), keeping what it
    /// read queued. Cancel-safe: nothing read is lost if the wait is abandoned.
    async fn first_text(&mut self) {
        let said = |c: &Cloud| match c {
            Cloud::Chunk(v) => {
                v.get("error").is_some() || content_of(v).is_some_and(|t| !t.is_empty())
            }
            Cloud::Done | Cloud::Failed(..) => true,
            Cloud::Raw(_) => false,
        };
        while !self.ended && !self.queue.iter().any(said) {
            self.pull().await;
        }
    }

    /// Reads one frame from the upstream and queues what it completes.
    async fn pull(&mut self) {
        let mut out = Vec::new();
        const MALFORMED: &str = "upstream sent a malformed event stream";
        let failure = match tokio::time::timeout(self.idle, self.body.frame()).await {
            Err(_) => Some("upstream stalled mid-stream"),
            Ok(Some(Err(_))) => Some("upstream connection lost mid-stream"),
            Ok(None) => {
                self.ended = true;
                self.rewriter.finish(&mut out).err().map(|_| MALFORMED)
            }
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => self.rewriter.push(&data, &mut out).err().map(|_| MALFORMED),
                Err(_) => None, // trailers carry no text
            },
        };
        let mut items = Vec::new();
        let failure =
            failure.or_else(|| self.parser.push(&out, &mut items).err().map(|_| MALFORMED));
        if let Some(reason) = failure {
            self.ended = true;
            let mut event = Vec::new();
            self.rewriter.fail(reason, &mut event);
            self.queue.push_back(Cloud::Failed(reason, event));
            return;
        }
        for item in items {
            self.queue.push_back(match item {
                SseItem::Event(ev) if ev.data == "[DONE]" => Cloud::Done,
                SseItem::Event(ev) => match serde_json::from_str(&ev.data) {
                    Ok(v) if ev.event.is_none() => Cloud::Chunk(v),
                    _ => {
                        let mut raw = Vec::new();
                        ev.write_to(&mut raw);
                        Cloud::Raw(raw)
                    }
                },
                SseItem::Comment(c) => {
                    let mut raw = Vec::new();
                    sse::write_comment(&mut raw, &c);
                    Cloud::Raw(raw)
                }
            });
        }
    }
}

/// Why a spliced stream ended early.
struct Ended(String);

/// What ends a spliced stream with an error event: an error of the proxy's own, or the
/// upstream's error object (unmasked, with its HTTP status added), which keeps the cloud's
/// type and code for the client. Once the opener has gone out under a 200, an event is the
/// only place left for them.
enum Failure {
    Proxy(ProxyError),
    Upstream(Value),
}

impl From<ProxyError> for Failure {
    fn from(err: ProxyError) -> Failure {
        Failure::Proxy(err)
    }
}

/// Answers the client with a stream now and runs the rest of the splice on a task that owns
/// the request from here on.
fn start_stream(
    state: &Arc<State>,
    ctx: &mut Ctx,
    start: Start,
    words: mpsc::UnboundedReceiver<DraftMsg>,
    upstream: Upstream,
    cancel: Arc<AtomicBool>,
) -> Response<ProxyBody> {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    // The cloud's headers came first: the client gets them (its request id, rate limits).
    let cloud_headers = match &start {
        Start::Cloud(resp) => Some(resp.headers().clone()),
        _ => None,
    };
    let mut ctx = std::mem::replace(ctx, Ctx::new(ctx.id.clone(), ctx.route, ctx.client));
    ctx.status = 200;
    ctx.draft = Some(DraftReport {
        speculative: state.config.draft.speculative,
        ..Default::default()
    });
    let id = ctx.id.clone();
    let state = state.clone();
    state.metrics.stream_delta(1);
    tokio::spawn(
        async move {
            let mut splice = Splice {
                state: &state,
                chunks: Chunks::new(&ctx),
                ctx: &mut ctx,
                tx: &tx,
                opener: String::new(),
                upstream,
            };
            let result = tokio::select! {
                r = splice.run(start, words) => r,
                _ = tx.closed() => Err(Ended("client disconnected".into())),
            };
            cancel.store(true, Ordering::Relaxed);
            if let Err(Ended(reason)) = result {
                ctx.error = Some(reason);
            }
            state.metrics.stream_delta(-1);
            pipeline::audit(&state, &ctx);
        }
        .in_current_span(),
    );
    let mut resp = Response::new(ProxyBody::Stream(rx));
    let headers = resp.headers_mut();
    if let Some(cloud) = cloud_headers {
        copy_end_to_end(&cloud, headers);
        headers.remove(header::CONTENT_ENCODING);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    pipeline::set_request_id(headers, &id);
    resp
}

/// The running splice of one request.
struct Splice<'a> {
    state: &'a Arc<State>,
    ctx: &'a mut Ctx,
    tx: &'a mpsc::Sender<Bytes>,
    chunks: Chunks,
    /// The opener as the client has seen it (raw).
    opener: String,
    upstream: Upstream,
}

impl Splice<'_> {
    async fn emit(&self, bytes: Vec<u8>) -> Result<(), Ended> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Bytes::from(bytes))
            .await
            .map_err(|_| Ended("client disconnected".into()))
    }

    fn report(&mut self) -> &mut DraftReport {
        self.ctx.draft.get_or_insert_with(DraftReport::default)
    }

    fn idle(&self) -> Duration {
        Duration::from_millis(self.state.config.upstream.idle_timeout_ms)
    }

    /// Sends `failure` as the stream's last event.
    async fn fail(&mut self, failure: impl Into<Failure>) -> Result<(), Ended> {
        let mut out = Vec::new();
        let reason = match failure.into() {
            Failure::Proxy(err) => {
                self.chunks.error(&err, &mut out);
                err.message
            }
            Failure::Upstream(error) => {
                let status = error["status"].as_u64().unwrap_or(0);
                sse::write_event(&mut out, None, &json!({ "error": error }).to_string());
                format!("upstream answered {status} after the opener")
            }
        };
        self.emit(out).await?;
        Err(Ended(reason))
    }

    /// The opener's first word goes out under the proxy's own stream.
    async fn open(&mut self, first: String) -> Result<(), Ended> {
        self.report().first_word_ms = Some(self.ctx.elapsed_ms());
        self.chunks.own = true;
        let mut out = Vec::new();
        self.chunks.role(&mut out);
        self.chunks.content(&first, &mut out);
        self.opener = first;
        self.emit(out).await
    }

    async fn run(
        &mut self,
        start: Start,
        mut words: mpsc::UnboundedReceiver<DraftMsg>,
    ) -> Result<(), Ended> {
        let vault = self.ctx.vault.clone();
        // 1. The first text: the draft's first word, or (when the upstream's stream began
        //    first) whichever of it and the cloud's first text comes first.
        let (first_cloud, task) = match start {
            Start::Opener(first, task) => {
                self.open(first).await?;
                (None, Some(task))
            }
            Start::Cloud(resp) => {
                let mut cloud = CloudStream::new(resp.into_body(), vault.clone(), self.idle());
                let first = tokio::select! {
                    msg = words.recv() => match msg {
                        Some(DraftMsg::Word(first)) => Some(first),
                        Some(DraftMsg::Done(Ok(stats))) => {
                            self.report().stats = Some(stats);
                            None
                        }
                        Some(DraftMsg::Done(Err(e))) => {
                            warn!(request_id = %self.ctx.id, "draft model failed: {e}");
                            self.report().outcome = "failed";
                            None
                        }
                        None => None,
                    },
                    () = cloud.first_text() => None,
                };
                let Some(first) = first else {
                    drop(words); // stops the draft at its next word
                    let report = self.report();
                    if report.outcome.is_empty() {
                        report.outcome = report.stats.as_ref().map_or("abandoned", not_drafted);
                    }
                    return self.pass_through(cloud).await;
                };
                self.open(first).await?;
                (Some(cloud), None)
            }
            Start::Plain(_) => unreachable!("plain replies are not spliced"),
        };
        // 2. The rest of the opener.
        while let Some(msg) = words.recv().await {
            match msg {
                DraftMsg::Word(w) => {
                    let mut out = Vec::new();
                    self.chunks.content(&w, &mut out);
                    self.opener.push_str(&w);
                    self.emit(out).await?;
                }
                DraftMsg::Done(Ok(stats)) => self.report().stats = Some(stats),
                DraftMsg::Done(Err(e)) => {
                    warn!(request_id = %self.ctx.id, "draft model failed mid-opener: {e}")
                }
            }
        }
        // 3. The opener as it may leave the machine. Should masking fail, no continuation
        //    can be sent; a cloud reply that repeats the opener can still be used.
        let masked_opener = self.mask_opener().await;
        let continuation = masked_opener.as_ref().ok().map(|masked| {
            continuation_body(
                self.ctx.masked_request.as_ref().unwrap_or(&Value::Null),
                masked,
                self.upstream.prefill,
            )
        });
        let mut speculative = match (&continuation, self.state.config.draft.speculative) {
            (Some(body), true) => Some(self.send_continuation(body)),
            _ => None,
        };
        // 4. The cloud's first answer: does it repeat the opener?
        let cloud = match (first_cloud, task) {
            (Some(cloud), _) => Ok(cloud),
            (None, Some(task)) => match joined_response(task.await, self.ctx) {
                Ok(resp) => self.stream_or_error(resp, &vault).await,
                Err(e) => Err(e.into()),
            },
            (None, None) => unreachable!("one of the two is set"),
        };
        let mut cloud = match cloud {
            Ok(cloud) => cloud,
            Err(e) => {
                drop(speculative.take());
                self.report().outcome = "cloud_error";
                return self.fail(e).await;
            }
        };
        if self.align(&mut cloud).await? {
            drop(speculative.take()); // cancels the continuation
            self.report().outcome = "matched";
            return self.pass_through(cloud).await;
        }
        drop(cloud); // cancels the first upstream request

        // 5. It does not: continue from the opener.
        let Some(body) = continuation else {
            self.report().outcome = "cloud_error";
            let err = masked_opener
                .err()
                .unwrap_or_else(|| ProxyError::internal("the opener could not be masked"));
            return self.fail(err).await;
        };
        let task = match speculative.take() {
            Some(task) => task,
            None => self.send_continuation(&body),
        };
        let prefill = self.upstream.prefill.as_str();
        let report = self.report();
        report.outcome = "repaired";
        report.continuation = Some(prefill);
        report.continuation_request = Some(body);
        let resp = match task.await.0 {
            Ok(resp) => resp,
            Err(e) => return self.fail(e).await,
        };
        let vault = self.ctx.vault.clone(); // with the opener's values, if it had new ones
        let mut cont = match self.stream_or_error(resp, &vault).await {
            Ok(cont) => cont,
            Err(e) => return self.fail(e).await,
        };
        self.join_continuation(&mut cont).await?;
        self.pass_through(cont).await
    }

    fn send_continuation(&self, body: &Value) -> UpstreamTask {
        let bytes = Bytes::from(serde_json::to_vec(body).expect("json values serialise"));
        let up = &self.upstream;
        send(self.state, self.ctx, up.uri.clone(), &up.headers, bytes)
    }

    /// Masks the opener with (a copy of) the request's vault, on the blocking pool, so that
    /// its values get the request's placeholders; the copy, with any new values, becomes
    /// the request's vault.
    async fn mask_opener(&mut self) -> Result<String, ProxyError> {
        let mut vault = Vault::clone(&self.ctx.vault);
        let masker = self.state.masker.clone();
        let mut text = self.opener.clone();
        let (vault, result) = tokio::task::spawn_blocking(move || {
            let result = masker.mask(&mut [&mut text], &mut vault).map(|_| text);
            (vault, result)
        })
        .await
        .map_err(|_| ProxyError::internal("masking task failed"))?;
        let masked = result.map_err(|e| {
            ProxyError::detector_unavailable(format!(
                "the {} detector failed, so the opener was not sent upstream",
                e.detector
            ))
        })?;
        self.ctx.vault = Arc::new(vault);
        Ok(masked)
    }

    /// A streamed upstream reply, or the error to end the client's stream with.
    async fn stream_or_error(
        &self,
        resp: Response<Incoming>,
        vault: &Arc<Vault>,
    ) -> Result<CloudStream, Failure> {
        if is_stream(&resp) {
            return Ok(CloudStream::new(
                resp.into_body(),
                vault.clone(),
                self.idle(),
            ));
        }
        // An upstream error (a 429, a 500, …): its own error object, unmasked, becomes the
        // stream's error event, so the client reads the cloud's type, code and message.
        let status = resp.status();
        let limit = self.state.config.upstream.max_response_bytes;
        let bytes = Limited::new(resp.into_body(), limit)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut v) if v.get("error").is_some_and(Value::is_object) => {
                unmask_json_strings(vault, &mut v);
                let mut error = v["error"].take();
                error["status"] = status.as_u16().into();
                Err(Failure::Upstream(error))
            }
            _ => {
                let mut err = ProxyError::bad_gateway(format!("upstream answered {status}"));
                if !status.is_success() {
                    err.status = status;
                }
                Err(Failure::Proxy(err))
            }
        }
    }

    /// Reads the cloud's text until it can be compared with the opener. On a match, sends
    /// what follows the overlap and returns true; on a mismatch sends nothing.
    async fn align(&mut self, cloud: &mut CloudStream) -> Result<bool, Ended> {
        let mut text = String::new();
        let mut held = Vec::new();
        loop {
            match cloud.next().await {
                Some(Cloud::Chunk(chunk)) => {
                    if chunk.get("error").is_some() {
                        let mut out = Vec::new();
                        sse::write_event(&mut out, None, &chunk.to_string());
                        self.emit(out).await?;
                        self.report().outcome = "cloud_error";
                        return Err(Ended("upstream sent an error event".into()));
                    }
                    text.push_str(content_of(&chunk).unwrap_or(""));
                    held.push(chunk);
                    match overlap(&text, &self.opener) {
                        Overlap::Pending => {}
                        Overlap::Differ => return Ok(false),
                        Overlap::Match(end) => {
                            self.release(&text[end..], held).await?;
                            return Ok(true);
                        }
                    }
                }
                Some(Cloud::Raw(raw)) => self.emit(raw).await?,
                // The cloud's whole answer was shorter than the opener.
                Some(Cloud::Done) | None => return Ok(false),
                Some(Cloud::Failed(reason, event)) => {
                    self.emit(event).await?;
                    self.report().outcome = "cloud_error";
                    return Err(Ended(reason.into()));
                }
            }
        }
    }

    /// Sends `text` as one chunk, then the held chunks' other news (finish, usage).
    async fn release(&mut self, text: &str, held: Vec<Value>) -> Result<(), Ended> {
        let mut out = Vec::new();
        self.chunks.content(text, &mut out);
        for mut chunk in held {
            strip_content(&mut chunk);
            self.chunks.write(chunk, &mut out);
        }
        self.emit(out).await
    }

    /// Starts the continuation's text after the opener: a repeated opener is dropped, and a
    /// space goes between words.
    async fn join_continuation(&mut self, cont: &mut CloudStream) -> Result<(), Ended> {
        let mut text = String::new();
        let mut held = Vec::new();
        loop {
            let end = match cont.next().await {
                Some(Cloud::Chunk(chunk)) if chunk.get("error").is_none() => {
                    text.push_str(content_of(&chunk).unwrap_or(""));
                    held.push(chunk);
                    match overlap(&text, &self.opener) {
                        Overlap::Pending => continue,
                        Overlap::Match(end) => end,
                        Overlap::Differ => 0,
                    }
                }
                Some(Cloud::Raw(raw)) => {
                    self.emit(raw).await?;
                    continue;
                }
                Some(other) => {
                    cont.queue.push_front(other);
                    text.len()
                }
                None => text.len(),
            };
            let rest = &text[end..];
            let glue = if end == 0 {
                joiner(&self.opener, rest)
            } else {
                ""
            };
            return self.release(&format!("{glue}{rest}"), held).await;
        }
    }

    /// Streams the rest of a cloud reply.
    async fn pass_through(&mut self, mut cloud: CloudStream) -> Result<(), Ended> {
        while let Some(item) = cloud.next().await {
            let mut out = Vec::new();
            match item {
                Cloud::Chunk(chunk) => self.chunks.write(chunk, &mut out),
                Cloud::Done => {
                    // The reply is complete once `[DONE]` is on its way, whatever the
                    // client or the upstream do next.
                    sse::write_event(&mut out, None, "[DONE]");
                    return self.emit(out).await;
                }
                Cloud::Raw(raw) => out = raw,
                Cloud::Failed(reason, event) => {
                    self.emit(event).await?;
                    return Err(Ended(reason.into()));
                }
            }
            self.emit(out).await?;
        }
        Ok(())
    }
}
