//! The draft and the splice (DESIGN §5). For a streamed chat that [`align::gate`] lets
//! through, the local draft model writes the reply's first words while the request waits,
//! for at most `draft.budget_ms` from its arrival. Then exactly one request leaves for the
//! cloud:
//!
//! - The draft wrote nothing in time (unconfident, busy, a list or code ahead, failed, or
//!   the budget ran out first): the masked request, byte for byte as with the draft off,
//!   and its reply is proxied as usual (the cloud's status and headers included).
//! - The draft has a word: the proxy answers 200 with its own Chat Completions stream (it
//!   owns `id`, `created`, `model` and the role chunk) and streams the opener word by word.
//!   When the opener is final, or the budget runs out, it is masked with the request's
//!   vault and the continuation request (the masked opener as the last message, in the
//!   upstream's dialect, [`align::continuation_body`]) goes out in place of the plain one.
//!   Its text streams on after the opener; should it repeat the opener, the repeat is
//!   dropped.
//!
//! `finish_reason` and `usage` come from the cloud. Upstream failures after the opener has
//! started reach the client as an error event in the stream.

pub mod align;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::Response;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{warn, Instrument};

use super::body::ProxyBody;
use super::error::ProxyError;
use super::pipeline::{self, Ctx, Destination, Responded};
use super::stream_unmask::{unmask_json_strings, StreamFormat, StreamRewriter};
use super::State;
use crate::api::sse::{self, SseItem, SseParser};
use crate::draft::{Draft, Drafter, Stop, Turn};
use crate::privacy::Vault;
pub use align::gate;
use align::{continuation_body, joiner, overlap, Overlap};

/// What the draft did for one request, for the audit record and the metrics. Holds no raw
/// text: the opener itself is never recorded, only its masked form inside the
/// continuation request (which is what left the machine).
#[derive(Debug, Clone, Default)]
pub struct DraftReport {
    pub stats: Option<Draft>,
    /// `continued` (the opener went out and the cloud continued it), `unconfident`, `busy`
    /// (other requests were being masked or drafted for, or every draft session was taken:
    /// the draft stepped aside), `format` (the reply began with a list marker or code,
    /// never drafted), `late` (no word within the budget),
    /// `failed` (the draft model erred), `cloud_error` (the upstream failed after the
    /// opener), `unmaskable` (the opener could not be masked, so nothing was sent).
    pub outcome: &'static str,
    /// From request received to the first opener word sent to the client.
    pub first_word_ms: Option<f64>,
    /// The budget ran out before the draft finished: the opener is what it had written.
    pub cut_by_budget: bool,
    /// The prefill dialect of the continuation, when one was sent.
    pub continuation: Option<&'static str>,
    /// The exact continuation body that left the machine (masked).
    pub continuation_request: Option<Value>,
}

impl DraftReport {
    /// The audit record's `draft` field.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "outcome": self.outcome,
            "first_word_ms": self.first_word_ms,
            "cut_by_budget": self.cut_by_budget,
            "continuation": self.continuation,
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

/// Runs the draft for a gated request; see the module docs. `alone`: no other request is
/// being prepared, else the draft steps aside at once. `None` when the draft wrote nothing
/// in time (`ctx.draft` says why): the caller then sends the masked body as it would with
/// the draft off.
pub(super) async fn respond(
    state: &Arc<State>,
    model: Arc<dyn Drafter>,
    ctx: &mut Ctx,
    dest: &Destination,
    turns: Vec<Turn>,
    alone: bool,
) -> Result<Option<Responded>, ProxyError> {
    if !alone {
        // Other requests are being masked or drafted for: the draft steps aside, as when
        // its session is taken (pipeline::Preparing).
        ctx.draft = Some(DraftReport {
            outcome: "busy",
            ..DraftReport::default()
        });
        return Ok(None);
    }
    let deadline =
        Instant::from_std(ctx.started) + Duration::from_millis(state.config.draft.budget_ms);
    let cancel = Arc::new(AtomicBool::new(false));
    let mut words = start_draft(model, turns, cancel.clone());
    let mut report = DraftReport::default();
    let first = tokio::select! {
        msg = words.recv() => match msg {
            Some(DraftMsg::Word(first)) => Some(first),
            Some(DraftMsg::Done(Ok(stats))) => {
                report.outcome = not_drafted(&stats);
                report.stats = Some(stats);
                None
            }
            Some(DraftMsg::Done(Err(e))) => {
                warn!(request_id = %ctx.id, "draft model failed: {e}");
                report.outcome = "failed";
                None
            }
            None => {
                report.outcome = "failed"; // the draft task panicked
                None
            }
        },
        () = tokio::time::sleep_until(deadline) => {
            report.outcome = "late";
            None
        }
    };
    let Some(first) = first else {
        cancel.store(true, Ordering::Relaxed);
        ctx.draft = Some(report);
        return Ok(None);
    };
    let opener = Opener {
        first,
        words,
        cancel,
        deadline,
    };
    Ok(Some(Responded::Streaming(start_stream(
        state,
        ctx,
        opener,
        dest.clone(),
    ))))
}

/// Where the cloud's `text` starts after the opener and what joins it, once no more text
/// comes: all of it was a repeat of (part of) the opener, or it differs and is joined.
fn settle(text: &str, opener: &str) -> (usize, &'static str) {
    match overlap(text, opener) {
        Overlap::Differ => (0, joiner(opener, text, true).unwrap_or("")),
        _ => (text.len(), ""),
    }
}

/// The outcome of a draft that wrote nothing.
fn not_drafted(stats: &Draft) -> &'static str {
    match stats.stop {
        Stop::Busy => "busy",
        Stop::Format => "format",
        Stop::Ungrounded => "ungrounded",
        _ => "unconfident",
    }
}

/// The draft under way: its first word, the words to come, and until when they may come.
struct Opener {
    first: String,
    words: mpsc::UnboundedReceiver<DraftMsg>,
    /// Stops the draft at its next word.
    cancel: Arc<AtomicBool>,
    deadline: Instant,
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
/// stream.
struct Chunks {
    id: String,
    created: u64,
    model: Value,
}

impl Chunks {
    fn new(ctx: &Ctx) -> Chunks {
        Chunks {
            id: format!("chatcmpl-{}", ctx.id),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            model: ctx.model.clone().map_or(Value::Null, Value::String),
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

    /// Writes a cloud chunk under the proxy's id, without its role (the proxy sent it). A
    /// chunk left with nothing to say is dropped.
    fn write(&self, mut chunk: Value, out: &mut Vec<u8>) {
        if self.adopt(&mut chunk) {
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
    opener: Opener,
    dest: Destination,
) -> Response<ProxyBody> {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut ctx = std::mem::replace(ctx, Ctx::new(ctx.id.clone(), ctx.route, ctx.client));
    ctx.status = 200;
    ctx.draft = Some(DraftReport::default());
    let id = ctx.id.clone();
    let state = state.clone();
    state.metrics.stream_delta(1);
    tokio::spawn(
        async move {
            let cancel = opener.cancel.clone();
            let mut splice = Splice {
                state: &state,
                chunks: Chunks::new(&ctx),
                ctx: &mut ctx,
                tx: &tx,
                opener: String::new(),
                dest,
            };
            let result = tokio::select! {
                r = splice.run(opener) => r,
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
    /// Where the continuation goes.
    dest: Destination,
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

    /// Sends one piece of the opener to the client.
    async fn say(&mut self, word: String) -> Result<(), Ended> {
        let mut out = Vec::new();
        self.chunks.content(&word, &mut out);
        self.opener.push_str(&word);
        self.emit(out).await
    }

    async fn run(&mut self, opener: Opener) -> Result<(), Ended> {
        let Opener {
            first,
            mut words,
            cancel,
            deadline,
        } = opener;
        // 1. The opener, word by word, under the proxy's own stream, until it is final or
        //    the budget runs out.
        self.report().first_word_ms = Some(self.ctx.elapsed_ms());
        let mut out = Vec::new();
        self.chunks.role(&mut out);
        self.chunks.content(&first, &mut out);
        self.opener = first;
        self.emit(out).await?;
        loop {
            tokio::select! {
                biased;
                msg = words.recv() => match msg {
                    Some(DraftMsg::Word(w)) => self.say(w).await?,
                    Some(DraftMsg::Done(Ok(stats))) => self.report().stats = Some(stats),
                    Some(DraftMsg::Done(Err(e))) => {
                        warn!(request_id = %self.ctx.id, "draft model failed mid-opener: {e}")
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => {
                    cancel.store(true, Ordering::Relaxed);
                    self.report().cut_by_budget = true;
                    break;
                }
            }
        }
        drop(words);
        // 2. The opener as it may leave the machine. Should masking fail, nothing leaves.
        let masked = match self.mask_opener().await {
            Ok(masked) => masked,
            Err(e) => {
                self.report().outcome = "unmaskable";
                return self.fail(e).await;
            }
        };
        // 3. The one request to the cloud: the conversation with the opener as its reply's
        //    beginning, in the upstream's dialect.
        let body = continuation_body(
            self.ctx.masked_request.as_ref().unwrap_or(&Value::Null),
            &masked,
            self.state.prefill,
        );
        let dialect = self.state.prefill.as_str();
        let report = self.report();
        report.outcome = "continued";
        report.continuation = Some(dialect);
        report.continuation_request = Some(body.clone());
        let resp = match self.send(&body).await {
            Ok(resp) => resp,
            Err(e) => {
                self.report().outcome = "cloud_error";
                return self.fail(e).await;
            }
        };
        let vault = self.ctx.vault.clone(); // with the opener's values, if it had new ones
        let mut cont = match self.stream_or_error(resp, &vault).await {
            Ok(cont) => cont,
            Err(e) => {
                self.report().outcome = "cloud_error";
                return self.fail(e).await;
            }
        };
        self.join_continuation(&mut cont).await?;
        self.pass_through(cont).await
    }

    /// Sends the continuation upstream.
    async fn send(&mut self, body: &Value) -> Result<Response<Incoming>, ProxyError> {
        let bytes = Bytes::from(serde_json::to_vec(body).expect("json values serialise"));
        pipeline::forward(self.state, self.ctx, &self.dest, bytes).await
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
        if pipeline::is_event_stream(&resp) {
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

    /// Starts the continuation's text after the opener: a repeated opener is dropped, a
    /// space goes between words, and a visible restart gets an ellipsis ([`joiner`]).
    async fn join_continuation(&mut self, cont: &mut CloudStream) -> Result<(), Ended> {
        let mut text = String::new();
        let mut held = Vec::new();
        loop {
            let (end, glue) = match cont.next().await {
                Some(Cloud::Chunk(chunk)) if chunk.get("error").is_none() => {
                    text.push_str(content_of(&chunk).unwrap_or(""));
                    held.push(chunk);
                    match overlap(&text, &self.opener) {
                        Overlap::Pending => continue,
                        Overlap::Match(end) => (end, ""),
                        Overlap::Differ => match joiner(&self.opener, &text, false) {
                            Some(glue) => (0, glue),
                            None => continue,
                        },
                    }
                }
                Some(Cloud::Raw(raw)) => {
                    self.emit(raw).await?;
                    continue;
                }
                Some(other) => {
                    cont.queue.push_front(other);
                    settle(&text, &self.opener)
                }
                None => settle(&text, &self.opener),
            };
            let rest = &text[end..];
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
