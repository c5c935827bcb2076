//! Test harness: a scriptable fake upstream on 127.0.0.1 that records what it receives,
//! the proxy started in-process on an ephemeral port, and a small HTTP client.
#![allow(dead_code)]

pub mod serve;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use veilgate::config::Config;

/// One request the fake upstream received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The body as text (what left the machine).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("upstream got JSON")
    }
}

/// How the fake upstream answers one request.
pub enum Reply {
    /// A complete response.
    Whole {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// `text/event-stream`, one write per chunk (any bytes, even half a character),
    /// `delay` before each.
    Sse { chunks: Vec<Bytes>, delay: Duration },
    /// SSE chunks, then the connection breaks mid-stream.
    SseThenBreak { chunks: Vec<String> },
    /// SSE that never ends: `chunk` every `interval` until the reader goes away, which
    /// sets `gone`.
    SseForever {
        chunk: String,
        interval: Duration,
        gone: Arc<AtomicBool>,
    },
    /// 200 with this content type, one write per chunk (large bodies share their chunks).
    Chunked {
        content_type: &'static str,
        chunks: Vec<Bytes>,
    },
    /// `text/event-stream` like a cloud model thinking: the headers after `headers`, the
    /// first chunk `first` after that, the rest back to back.
    SseAfter {
        headers: Duration,
        first: Duration,
        chunks: Vec<String>,
    },
    /// Never answers.
    Stall,
    /// This reply, after a pause (a cloud that takes its time to answer at all).
    After(Duration, Box<Reply>),
}

impl Reply {
    /// `text/event-stream` with these chunks, sent back to back.
    pub fn sse(chunks: Vec<String>) -> Reply {
        Reply::Sse {
            chunks: chunks.into_iter().map(Bytes::from).collect(),
            delay: Duration::ZERO,
        }
    }

    /// A chat reply streamed `size` characters a chunk, 60 ms apart, whose connection stays
    /// open a moment after `[DONE]` (a comment follows it), as real upstreams' may.
    pub fn sse_lingering(content: &str, size: usize) -> Reply {
        let mut chunks: Vec<Bytes> = chat_sse(content, size)
            .into_iter()
            .map(Bytes::from)
            .collect();
        chunks.push(Bytes::from_static(b": upstream still open\n\n"));
        Reply::Sse {
            chunks,
            delay: Duration::from_millis(60),
        }
    }

    /// 200 with a JSON body.
    pub fn json(body: Value) -> Reply {
        Reply::Whole {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A fake LLM API on 127.0.0.1 with an ephemeral port.
pub struct FakeUpstream {
    pub addr: SocketAddr,
    pub recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeUpstream {
    /// Starts it; `handler` decides each reply from the recorded request.
    pub async fn start(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> FakeUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let rec = recorded.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, rec) = (handler.clone(), rec.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (handler, rec) = (handler.clone(), rec.clone());
                        async move { Ok::<_, Infallible>(answer(req, &*handler, &rec).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeUpstream { addr, recorded }
    }

    /// The base URL to configure as `upstream.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }

    /// The last request received.
    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("upstream received a request")
    }
}

async fn answer(
    req: Request<Incoming>,
    handler: &Handler,
    rec: &Mutex<Vec<Recorded>>,
) -> Response<FakeBody> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body,
    };
    rec.lock().unwrap().push(recorded.clone());
    let (tx, rx) = mpsc::channel(16);
    let sse = vec![("content-type", "text/event-stream".to_string())];
    let mut reply = handler(&recorded);
    while let Reply::After(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    let (status, headers) = match reply {
        Reply::Whole {
            status,
            headers,
            body,
        } => {
            tokio::spawn(async move {
                let _ = tx.send(Ok(Bytes::from(body))).await;
            });
            (status, headers)
        }
        Reply::Sse { chunks, delay } => {
            tokio::spawn(async move {
                for c in chunks {
                    tokio::time::sleep(delay).await;
                    if tx.send(Ok(c)).await.is_err() {
                        return;
                    }
                }
            });
            (200, sse)
        }
        Reply::SseThenBreak { chunks } => {
            tokio::spawn(async move {
                for c in chunks {
                    let _ = tx.send(Ok(Bytes::from(c))).await;
                }
                // Let the chunks reach the wire before the connection breaks.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let _ = tx
                    .send(Err(std::io::Error::other("connection reset")))
                    .await;
            });
            (200, sse)
        }
        Reply::SseForever {
            chunk,
            interval,
            gone,
        } => {
            tokio::spawn(async move {
                loop {
                    if tx.send(Ok(Bytes::from(chunk.clone()))).await.is_err() {
                        gone.store(true, Ordering::SeqCst);
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            });
            (200, sse)
        }
        Reply::Chunked {
            content_type,
            chunks,
        } => {
            tokio::spawn(async move {
                for c in chunks {
                    if tx.send(Ok(c)).await.is_err() {
                        return;
                    }
                }
            });
            (200, vec![("content-type", content_type.to_string())])
        }
        Reply::SseAfter {
            headers,
            first,
            chunks,
        } => {
            tokio::time::sleep(headers).await;
            tokio::spawn(async move {
                tokio::time::sleep(first).await;
                for c in chunks {
                    if tx.send(Ok(Bytes::from(c))).await.is_err() {
                        return;
                    }
                }
            });
            (200, sse)
        }
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            (200, sse)
        }
        Reply::After(..) => unreachable!("unwrapped above"),
    };
    let mut resp = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (k, v) in headers {
        resp = resp.header(k, v);
    }
    resp.body(FakeBody(rx)).unwrap()
}

/// The fake's response body: chunks from a task, an error to break the connection.
pub struct FakeBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl Body for FakeBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|c| c.map(|r| r.map(Frame::data)))
    }
}

/// A running proxy and what a test needs to talk to it.
pub struct Proxy {
    pub addr: SocketAddr,
    pub audit_path: std::path::PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// Starts veilgate on 127.0.0.1:0 in front of `upstream`, audit log on, after `tweak`.
    pub async fn start(upstream: &FakeUpstream, tweak: impl FnOnce(&mut Config)) -> Proxy {
        Proxy::start_with(upstream, tweak, None).await
    }

    /// Like [`Proxy::start`], with detectors built by the test.
    pub async fn start_with(
        upstream: &FakeUpstream,
        tweak: impl FnOnce(&mut Config),
        masker: Option<veilgate::privacy::Masker>,
    ) -> Proxy {
        Proxy::start_full(upstream, tweak, masker, None).await
    }

    /// Like [`Proxy::start`], drafting openers with `drafter` instead of the model.
    pub async fn start_drafting(
        upstream: &FakeUpstream,
        tweak: impl FnOnce(&mut Config),
        drafter: Arc<dyn veilgate::draft::Drafter>,
    ) -> Proxy {
        Proxy::start_full(upstream, tweak, None, Some(drafter)).await
    }

    /// Starts veilgate; the draft is off unless `tweak` turns it on or `drafter` is given,
    /// so that tests of other things see plain proxying.
    pub async fn start_full(
        upstream: &FakeUpstream,
        tweak: impl FnOnce(&mut Config),
        masker: Option<veilgate::privacy::Masker>,
        drafter: Option<Arc<dyn veilgate::draft::Drafter>>,
    ) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let audit_path = dir.path().join("audit.jsonl");
        let mut cfg = Config::default();
        cfg.server.listen = "127.0.0.1:0".into();
        cfg.server.shutdown_grace_ms = 2_000;
        cfg.upstream.base_url = upstream.base_url();
        cfg.upstream.anthropic_base_url = upstream.base_url();
        cfg.audit.path = Some(audit_path.clone());
        cfg.draft.enabled = Some(false);
        tweak(&mut cfg);
        let state = match masker {
            Some(m) => veilgate::proxy::State::with_masker(cfg, m),
            None => veilgate::proxy::State::new(cfg),
        };
        let mut state = state.expect("proxy starts");
        if drafter.is_some() {
            state.draft = drafter;
        }
        let server = veilgate::proxy::Server::bind_state(state)
            .await
            .expect("proxy binds");
        let addr = server.local_addr();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Proxy {
            addr,
            audit_path,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: dir,
        }
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops it gracefully (flushing the audit log) and waits. The returned directory holds
    /// the audit log; it is deleted when dropped.
    pub async fn stop(mut self) -> tempfile::TempDir {
        let _ = self.shutdown.take().unwrap().send(());
        let handle = self.handle.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), handle)
            .await
            .expect("proxy stops within its grace period")
            .unwrap()
            .unwrap();
        tempfile::TempDir::new()
            .map(|empty| std::mem::replace(&mut self._dir, empty))
            .unwrap()
    }
}

/// A plain HTTP client for the proxy.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A finished response.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("JSON body, got {:?}", self.text()))
    }
}

/// Sends a request and reads the whole response (10 s at most).
pub async fn send(req: Request<Full<Bytes>>) -> Answer {
    let fut = async {
        let resp = client().request(req).await.expect("proxy answers");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("whole body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("no hang")
}

/// POSTs a JSON body to the proxy.
pub async fn post_json(proxy: &Proxy, path: &str, body: &Value) -> Answer {
    send(
        Request::post(proxy.url(path))
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-test-client-key")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap(),
    )
    .await
}

/// Fake personal data the rules find, and that must never reach the upstream.
pub const EMAIL: &str = "jane.roe@example-mail.com";
pub const CARD: &str = "4111 1111 1111 1111";
pub const IBAN: &str = "DE89 3704 0044 0532 0130 00";

/// A user message carrying every value of [`originals`].
pub fn pii_message() -> String {
    format!("Please email {EMAIL} about card {CARD} and refund IBAN {IBAN} today.")
}

pub fn originals() -> [&'static str; 3] {
    [EMAIL, CARD, IBAN]
}

/// Asserts the upstream saw none of the originals and the client got them all back.
pub fn assert_round_trip(upstream_saw: &str, client_got: &str) {
    for v in originals() {
        assert!(
            !upstream_saw.contains(v),
            "upstream received an original value"
        );
        assert!(
            client_got.contains(v),
            "client did not get an original back: {client_got}"
        );
    }
    for tag in ["[EMAIL_1]", "[CREDIT_CARD_1]", "[IBAN_1]"] {
        assert!(
            upstream_saw.contains(tag),
            "upstream lacks {tag}: {upstream_saw}"
        );
        assert!(
            !client_got.contains(tag),
            "client sees placeholder {tag}: {client_got}"
        );
    }
}

/// All user-visible text of a chat request, joined (what the echo upstream quotes back).
pub fn chat_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Chat Completions response whose message is `content`.
pub fn chat_completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
    })
}

/// `content` as Chat Completions SSE chunks of `size` characters, then `[DONE]`.
pub fn chat_sse(content: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = content.chars().collect();
    let mut events = vec![sse_data(
        &json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}),
    )];
    for piece in chars.chunks(size.max(1)) {
        let text: String = piece.iter().collect();
        events.push(sse_data(
            &json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]}),
        ));
    }
    events.push(sse_data(
        &json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ));
    events.push("data: [DONE]\n\n".to_string());
    events
}

/// One `data:` event.
pub fn sse_data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_payloads(body: &str) -> Vec<String> {
    body.split("\n\n")
        .flat_map(|event| {
            event
                .lines()
                .filter_map(|l| l.strip_prefix("data: ").map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The concatenated `delta.content` of a Chat Completions SSE body.
pub fn chat_stream_text(body: &str) -> String {
    sse_payloads(body)
        .iter()
        .filter(|p| p.as_str() != "[DONE]")
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .flat_map(|v| {
            v["choices"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c["delta"]["content"].as_str().map(str::to_owned))
        })
        .collect()
}

/// The audit records a stopped proxy wrote, in order.
pub fn audit_records(dir: &tempfile::TempDir) -> Vec<Value> {
    std::fs::read_to_string(dir.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Posts a streamed chat and reads it the way the OpenAI SDKs do: up to `data: [DONE]`,
/// then hangs up without waiting for the end of the body. Returns what was read.
pub async fn read_until_done(proxy: &Proxy, body: &Value) -> String {
    let req = Request::post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = client().request(req).await.unwrap();
    let mut body = resp.into_body();
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame.unwrap().data_ref() {
            read.extend_from_slice(data);
        }
        if String::from_utf8_lossy(&read).contains("data: [DONE]") {
            break;
        }
    }
    String::from_utf8(read).unwrap()
}
