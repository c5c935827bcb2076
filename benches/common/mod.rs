//! Shared by the benches: a runtime builder, a fake upstream, and chat requests an assistant
//! user might send,
//! with names, places and a few structured values. Written for the benches; nothing comes
//! from the evaluation sets.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// What [`json_upstream`] answers to every request.
pub const REPLY: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}"#;

/// A minimal upstream on loopback: every request gets the same small chat completion.
pub async fn json_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let mut resp =
                            Response::new(Full::new(Bytes::from_static(REPLY.as_bytes())));
                        resp.headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, Infallible>(resp)
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

pub const PARAGRAPHS: [&str; 4] = [
    "Hi, I need help drafting a reply to Samantha Porter, a customer in Leeds who wrote in about a delayed \
     shipment. She was polite but frustrated, and I want to apologise without promising a date we cannot keep. ",
    "For context, her account email is sam.porter@bridges-mail.com and she paid with card \
     5500 0000 0000 0004 last Tuesday; the order from Northwind Traders is still marked as processing. ",
    "Please keep the tone warm and brief, mention that Daniel Okafor from our logistics team is on it, and \
     offer a ten percent voucher for the next order. Avoid legal language and keep it under 150 words. ",
    "If she needs to reach us, the support line is +44 20 7946 0958 and refunds go to IBAN \
     GB82 WEST 1234 5698 7654 32 once approved by finance in Manchester, usually within five working days. ",
];

/// The text of a message of about `bytes` bytes.
pub fn text(bytes: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
        i += 1;
    }
    text.truncate(text.floor_char_boundary(bytes));
    text
}

/// A chat request whose user message is about `bytes` bytes.
pub fn chat_body(bytes: usize) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": text(bytes)}
    ]})
}

/// A multi-threaded tokio runtime with `threads` workers (one per role in the load benches:
/// upstream, proxy, load generator).
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}
