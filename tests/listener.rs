//! The listener: TLS (HTTP/1.1 and HTTP/2 by ALPN) with a CA made at test time, start-up
//! refusals for bad certificates and keys, and the optional local access token.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Version};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};

/// A throwaway CA and a server certificate for localhost and 127.0.0.1 signed by it, as
/// PEM files in a temporary directory.
struct TestPki {
    dir: tempfile::TempDir,
}

impl TestPki {
    fn new() -> TestPki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "veilgate test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
        TestPki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A hyper-rustls client trusting only `ca`, speaking HTTP/1.1 or HTTP/2 (ALPN).
fn tls_client(
    ca: &Path,
    h2: bool,
) -> Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).unwrap();
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only();
    let connector = if h2 {
        builder.enable_http2().build()
    } else {
        builder.enable_http1().build()
    };
    let mut client = Client::builder(TokioExecutor::new());
    client.http2_only(h2);
    client.build(connector)
}

async fn echo_upstream() -> FakeUpstream {
    FakeUpstream::start(|r| {
        let body = r.json();
        Reply::json(chat_completion(&format!("You said: {}", chat_text(&body))))
    })
    .await
}

fn chat(content: &str) -> Value {
    json!({"model": "gpt-test", "messages": [{"role": "user", "content": content}]})
}

fn rules_only(c: &mut veilgate::config::Config) {
    c.privacy.tagger = false;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_masks_over_http1_and_h2() {
    let pki = TestPki::new();
    let upstream = echo_upstream().await;
    let proxy = Proxy::start(&upstream, |c| {
        rules_only(c);
        c.server.tls_cert = Some(pki.path("server.pem"));
        c.server.tls_key = Some(pki.path("server.key"));
    })
    .await;
    let url = format!(
        "https://localhost:{}/v1/chat/completions",
        proxy.addr.port()
    );
    for (h2, version) in [(false, Version::HTTP_11), (true, Version::HTTP_2)] {
        let req = Request::post(&url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(chat(&pii_message()).to_string())))
            .unwrap();
        let resp = tokio::time::timeout(
            Duration::from_secs(10),
            tls_client(&pki.path("ca.pem"), h2).request(req),
        )
        .await
        .unwrap()
        .expect("TLS request succeeds");
        assert_eq!(resp.version(), version);
        assert_eq!(resp.status(), 200);
        let body: Value =
            serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let content = body["choices"][0]["message"]["content"].as_str().unwrap();
        assert_round_trip(&upstream.last().text(), content);
    }
    // Plain HTTP to the TLS port fails, and the listener keeps serving TLS afterwards.
    let plain = client()
        .request(
            Request::get(format!("http://127.0.0.1:{}/healthz", proxy.addr.port()))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));
    let health = tls_client(&pki.path("ca.pem"), false)
        .request(
            Request::get(format!("https://127.0.0.1:{}/healthz", proxy.addr.port()))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .expect("IP SAN verifies");
    assert_eq!(health.status(), 200);
    proxy.stop().await;
}

/// The start-up error for a configuration, as the user reads it.
fn startup_error(tweak: impl FnOnce(&mut veilgate::config::Config)) -> String {
    let mut cfg = veilgate::config::Config::default();
    cfg.privacy.tagger = false;
    tweak(&mut cfg);
    match veilgate::proxy::State::new(cfg) {
        Ok(_) => panic!("veilgate started with a bad configuration"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn bad_or_missing_certificates_and_keys_refuse_to_start_naming_the_file() {
    let pki = TestPki::new();
    let garbage = pki.path("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let other_key = pki.path("other.key");
    std::fs::write(&other_key, KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let missing = pki.path("missing.pem");
    let cases: [(PathBuf, PathBuf, &Path); 4] = [
        (missing.clone(), pki.path("server.key"), &missing),
        (garbage.clone(), pki.path("server.key"), &garbage),
        (pki.path("server.pem"), garbage.clone(), &garbage),
        (pki.path("server.pem"), other_key.clone(), &other_key),
    ];
    for (cert, key, named) in cases {
        let err = startup_error(|c| {
            c.server.tls_cert = Some(cert);
            c.server.tls_key = Some(key);
        });
        assert!(err.contains(&named.display().to_string()), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "{err}");
    }
    let err = startup_error(|c| c.server.tls_cert = Some(pki.path("server.pem")));
    assert!(err.contains("server.tls_key"), "{err}");
}

const TOKEN: &str = "vg-local-token-5f1e";

/// POSTs `body` with the given headers (none of the defaults of [`post_json`]).
async fn post_with(proxy: &Proxy, path: &str, headers: &[(&str, &str)], body: &Value) -> Answer {
    let mut req = Request::post(proxy.url(path)).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req.body(Full::new(Bytes::from(body.to_string()))).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_guards_every_route_but_healthz() {
    std::env::set_var("VEILGATE_TEST_LOCAL_TOKEN", TOKEN);
    let upstream = echo_upstream().await;
    let proxy = Proxy::start(&upstream, |c| {
        rules_only(c);
        c.server.access_token_env = Some("VEILGATE_TEST_LOCAL_TOKEN".into());
    })
    .await;
    let denied: [&[(&str, &str)]; 4] = [
        &[],
        &[("authorization", "Bearer wrong-token")],
        &[("authorization", "Bearer vg-local-token-5f1")],
        &[("x-api-key", TOKEN)], // x-api-key is for the Anthropic route only
    ];
    for headers in denied {
        let answer = post_with(
            &proxy,
            "/v1/chat/completions",
            headers,
            &chat(&pii_message()),
        )
        .await;
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(answer.json()["error"]["code"], "invalid_api_key");
    }
    for path in ["/metrics", "/v1/models", "/v1/nowhere"] {
        let answer = send(Request::get(proxy.url(path)).body(Full::default()).unwrap()).await;
        assert_eq!(answer.status, 401, "{path}");
    }
    assert!(upstream.requests().is_empty(), "nothing is forwarded");
    let health = send(
        Request::get(proxy.url("/healthz"))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(health.status, 200);

    let bearer = format!("Bearer {TOKEN}");
    let answer = post_with(
        &proxy,
        "/v1/chat/completions",
        &[("authorization", &bearer)],
        &chat(&pii_message()),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let got = upstream.last();
    assert!(
        !got.headers.contains_key("authorization"),
        "the token stays local"
    );
    assert!(!got.text().contains(TOKEN));
    let metrics = send(
        Request::get(proxy.url("/metrics"))
            .header("authorization", &bearer)
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(metrics.status, 200);

    let message =
        json!({"model": "c", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]});
    let answer = post_with(&proxy, "/v1/messages", &[("x-api-key", TOKEN)], &message).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(!upstream.last().headers.contains_key("x-api-key"));
    let answer = post_with(&proxy, "/v1/messages", &[("x-api-key", "nope")], &message).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["type"], "error");

    // Refusals are counted and audited like any request, and nothing of them is forwarded.
    let metrics = send(
        Request::get(proxy.url("/metrics"))
            .header("authorization", &bearer)
            .body(Full::default())
            .unwrap(),
    )
    .await
    .text();
    for line in [
        r#"veilgate_requests_total{route="chat.completions",status="401"} 4"#,
        r#"veilgate_requests_total{route="metrics",status="401"} 1"#,
        r#"veilgate_requests_total{route="models",status="401"} 1"#,
        r#"veilgate_requests_total{route="unknown",status="401"} 1"#,
        r#"veilgate_requests_total{route="messages",status="401"} 1"#,
        r#"veilgate_requests_total{route="healthz",status="200"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let dir = proxy.stop().await;
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let refused: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["status"] == 401)
        .collect();
    assert_eq!(refused.len(), 8, "every refusal has its record");
    for r in &refused {
        assert_eq!(r["error"], "invalid_api_key");
        assert!(r["masked_request"].is_null(), "nothing left the machine");
    }
    for original in originals() {
        assert!(!audit.contains(original));
    }
    assert!(!audit.contains(TOKEN) && !audit.contains("wrong-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_the_proxy_key_goes_upstream_never_the_clients() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    std::env::set_var("VEILGATE_TEST_LISTENER_UPSTREAM_KEY", "sk-proxy-held");
    let upstream = echo_upstream().await;
    let proxy = Proxy::start(&upstream, |c| {
        rules_only(c);
        c.server.access_token_file = Some(token_file.clone());
        c.upstream.api_key_env = Some("VEILGATE_TEST_LISTENER_UPSTREAM_KEY".into());
    })
    .await;
    let bearer = format!("Bearer {TOKEN}");
    let answer = post_with(
        &proxy,
        "/v1/chat/completions",
        &[("authorization", &bearer)],
        &chat("hello"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        upstream.last().headers["authorization"],
        "Bearer sk-proxy-held"
    );
    proxy.stop().await;
}

#[test]
fn an_unset_token_variable_refuses_to_start() {
    let err =
        startup_error(|c| c.server.access_token_env = Some("VEILGATE_TEST_TOKEN_NEVER_SET".into()));
    assert!(err.contains("VEILGATE_TEST_TOKEN_NEVER_SET"), "{err}");
}
