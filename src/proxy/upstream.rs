//! The forward phase: one pooled HTTP client (HTTP/1.1, HTTP/2 by ALPN, rustls with the
//! Mozilla roots plus an optional extra CA bundle) and the mapping of client requests onto
//! upstream URLs and headers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::error::ProxyError;
use crate::api::{is_model_id, Route};
use crate::config::UpstreamConfig;

/// Headers that describe one hop, or that the proxy sets itself, never copied across.
const HOP_BY_HOP: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The client headers the upstream APIs need, the only ones forwarded: credentials, account
/// scoping, API versions and betas, and the SDKs' idempotency key. Everything else (custom
/// `X-User-Email` headers, SDK telemetry, cookies, `User-Agent`) is dropped, since a header
/// cannot be masked without breaking what it means.
const FORWARDED_REQUEST_HEADERS: [&str; 10] = [
    "accept",
    "authorization",
    "x-api-key",
    "api-key",
    "openai-organization",
    "openai-project",
    "openai-beta",
    "anthropic-version",
    "anthropic-beta",
    "idempotency-key",
];

/// Whether `value` of the forwarded header `name` has the shape the API defines for it; a
/// header is text that leaves unmasked, so anything else (a name, a key put in `OpenAI-Project`)
/// is refused. Credentials go to the API that issued them and are not judged.
fn header_shape_ok(name: &str, value: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    let token = |prefix: &str| {
        v.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty()
                && rest.len() <= 64
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    let list = |extra: &[u8]| {
        v.split(',').all(|t| {
            let t = t.trim();
            !t.is_empty()
                && t.len() <= 64
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
        })
    };
    match name {
        "authorization" | "x-api-key" | "api-key" => true,
        "openai-organization" => token("org-"),
        "openai-project" => token("proj_"),
        "openai-beta" => list(b"-_.="),
        "anthropic-version" => is_api_date(v),
        "anthropic-beta" => list(b"-"),
        "idempotency-key" => ends_with_uuid(v),
        "accept" => list(b"/*+.-; ="),
        _ => false,
    }
}

/// `YYYY-MM-DD`, optionally followed by `-preview` or another lower-case suffix (API versions).
fn is_api_date(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    let rest = &v[10.min(v.len())..];
    date && (rest.is_empty()
        || rest.strip_prefix('-').is_some_and(|s| {
            !s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_lowercase())
        }))
}

/// A value ending in a UUID (`stainless-python-retry-1b2c…`, the SDKs' idempotency keys).
fn ends_with_uuid(v: &str) -> bool {
    v.len() <= 128
        && v.len() >= 36
        && v[..v.len() - 36]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && v[v.len() - 36..].bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Refuses client headers the upstream would get (of [`FORWARDED_REQUEST_HEADERS`]) whose
/// value is not of the API's shape, naming the header.
pub fn check_forwarded_headers(headers: &HeaderMap) -> Result<(), ProxyError> {
    for name in FORWARDED_REQUEST_HEADERS {
        if headers
            .get_all(name)
            .iter()
            .any(|v| !header_shape_ok(name, v.as_bytes()))
        {
            return Err(ProxyError::bad_request(
                "invalid_header",
                format!(
                    "the {name} header is not of the form the API defines; veilgate forwards \
                     headers only in that form, since it cannot mask them"
                ),
            ));
        }
    }
    Ok(())
}

/// Query parameters forwarded on the API routes (Azure's `api-version`, the Anthropic SDK's
/// `beta=true`), each with the shape its value must have; any other parameter is refused.
fn allowed_query_param(name: &str, value: &str) -> bool {
    match name {
        "api-version" => is_api_date(value),
        "beta" => value == "true",
        _ => false,
    }
}

/// The upstream path of a route (the client's own spelling, trailing slash and all, is not
/// reused); for `GET /v1/models/{id}` the id is checked to be a model id first.
fn upstream_path(route: Route, client_path: &str) -> Result<String, ProxyError> {
    Ok(match route {
        Route::ChatCompletions => "/chat/completions".into(),
        Route::Completions => "/completions".into(),
        Route::Responses => "/responses".into(),
        Route::Embeddings => "/embeddings".into(),
        Route::Messages => "/messages".into(),
        Route::Models => {
            let id = client_path
                .strip_prefix("/v1/models")
                .unwrap_or("")
                .trim_start_matches('/');
            if id.is_empty() {
                "/models".into()
            } else if is_model_id(id) {
                format!("/models/{id}")
            } else {
                return Err(ProxyError::bad_request(
                    "invalid_model_id",
                    "the model id in the path may hold only letters, digits and . _ : - \
                     (and / between non-empty segments other than . and ..)",
                ));
            }
        }
        Route::Health | Route::Metrics => {
            return Err(ProxyError::internal("a local route has no upstream"))
        }
    })
}

/// The upstream API: where requests go and the client that takes them there.
pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    openai_base: String,
    anthropic_base: String,
    api_key: Option<String>,
    /// Sent as `x-api-key` on the Anthropic route only; the OpenAI key never goes there.
    anthropic_api_key: Option<String>,
    first_byte_timeout: Duration,
    /// Send the client's `Authorization`/`x-api-key` on when the proxy has no key of its
    /// own. False when the client authenticated with the local access token.
    pub forward_client_credentials: bool,
}

impl Upstream {
    /// Builds the client once at start-up. A missing key variable or a bad CA file is an
    /// error here, not on the first request.
    pub fn new(cfg: &UpstreamConfig) -> anyhow::Result<Upstream> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(ca) = &cfg.ca_file {
            let certs = CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("upstream.ca_file {}", ca.display()))?;
            for cert in certs {
                let cert = cert.with_context(|| format!("upstream.ca_file {}", ca.display()))?;
                roots.add(cert).with_context(|| {
                    format!("upstream.ca_file {}: bad certificate", ca.display())
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_millis(cfg.connect_timeout_ms)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        let key_from = |setting: &str, var: &Option<String>| -> anyhow::Result<Option<String>> {
            match var {
                Some(var) => Ok(Some(std::env::var(var).with_context(|| {
                    format!("upstream.{setting} names {var}, which is not set")
                })?)),
                None => Ok(None),
            }
        };
        let api_key = key_from("api_key_env", &cfg.api_key_env)?;
        let anthropic_api_key = key_from("anthropic_api_key_env", &cfg.anthropic_api_key_env)?;
        for base in [&cfg.base_url, &cfg.anthropic_base_url] {
            base.parse::<Uri>()
                .ok()
                .filter(|u| u.scheme().is_some() && u.authority().is_some())
                .with_context(|| format!("upstream base URL {base:?} is not an absolute URL"))?;
        }
        Ok(Upstream {
            client,
            openai_base: cfg.base_url.trim_end_matches('/').to_string(),
            anthropic_base: cfg.anthropic_base_url.trim_end_matches('/').to_string(),
            api_key,
            anthropic_api_key,
            first_byte_timeout: Duration::from_millis(cfg.first_byte_timeout_ms),
            forward_client_credentials: true,
        })
    }

    /// The upstream URL for a client request on `route`: the route's own path on the base
    /// URL, and of the client's query string only the parameters the APIs define
    /// ([`allowed_query_param`]); any other parameter is refused (a query string is text
    /// that would leave unmasked).
    pub fn url_for(&self, route: Route, client: &Uri) -> Result<Uri, ProxyError> {
        let base = if route.is_anthropic() {
            &self.anthropic_base
        } else {
            &self.openai_base
        };
        let path = upstream_path(route, client.path())?;
        let mut query = String::new();
        for pair in client
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !allowed_query_param(name, value) {
                return Err(ProxyError::bad_request(
                    "query_not_allowed",
                    "veilgate forwards no query parameters but api-version and beta=true; \
                     send everything else in the JSON body, where it is masked",
                ));
            }
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(pair);
        }
        format!("{base}{path}{query}").parse().map_err(|_| {
            ProxyError::bad_request("invalid_path", "request path is not a valid URL path")
        })
    }

    /// The upstream request: the client headers the APIs need ([`FORWARDED_REQUEST_HEADERS`];
    /// credentials only when [`Upstream::forward_client_credentials`]), the proxy's key for
    /// the route if one is configured, identity encoding (so the reply can be unmasked), and
    /// `body`.
    pub fn request(
        &self,
        route: Route,
        method: Method,
        uri: Uri,
        client_headers: &HeaderMap,
        body: Bytes,
    ) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        for name in FORWARDED_REQUEST_HEADERS {
            for value in client_headers.get_all(name) {
                headers.append(name, value.clone());
            }
        }
        if method == Method::POST {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        let proxy_key = if route.is_anthropic() {
            &self.anthropic_api_key
        } else {
            &self.api_key
        };
        if proxy_key.is_some() || !self.forward_client_credentials {
            headers.remove(header::AUTHORIZATION);
            headers.remove("x-api-key");
            headers.remove("api-key");
        }
        if let Some(key) = proxy_key {
            let (name, value) = if route.is_anthropic() {
                (HeaderName::from_static("x-api-key"), key.clone())
            } else {
                (header::AUTHORIZATION, format!("Bearer {key}"))
            };
            if let Ok(mut value) = HeaderValue::from_str(&value) {
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        }
        req
    }

    /// Sends `req` and waits for the response headers, at most `first_byte_timeout`.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, ProxyError> {
        match tokio::time::timeout(self.first_byte_timeout, self.client.request(req)).await {
            Err(_) => Err(ProxyError::gateway_timeout(format!(
                "upstream sent no response within {} ms",
                self.first_byte_timeout.as_millis()
            ))),
            Ok(Err(e)) => Err(ProxyError::bad_gateway(upstream_failure(&e))),
            Ok(Ok(resp)) => Ok(resp),
        }
    }
}

/// Copies every header except hop-by-hop ones (the fixed list and those `Connection:` names)
/// and veilgate's own.
pub fn copy_end_to_end(from: &HeaderMap, to: &mut HeaderMap) {
    let named: Vec<String> = from
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    for (name, value) in from {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || n.starts_with("x-veilgate-") || named.iter().any(|h| h == n) {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
}

/// A short reason for a failed upstream call, without URLs or headers.
fn upstream_failure(e: &hyper_util::client::legacy::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut reason = if e.is_connect() {
        "could not connect to upstream"
    } else {
        "upstream request failed"
    }
    .to_string();
    while let Some(s) = source {
        if s.source().is_none() {
            reason = format!("{reason}: {s}");
        }
        source = s.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_not_copied() {
        let mut from = HeaderMap::new();
        from.insert("connection", HeaderValue::from_static("keep-alive, X-Hop"));
        from.insert("x-hop", HeaderValue::from_static("1"));
        from.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        from.insert("retry-after", HeaderValue::from_static("3"));
        let mut to = HeaderMap::new();
        copy_end_to_end(&from, &mut to);
        assert_eq!(to.len(), 1);
        assert_eq!(to["retry-after"], "3");
    }

    #[test]
    fn forwarded_headers_and_api_versions_must_have_the_apis_shape() {
        assert!(is_api_date("2024-10-21"));
        assert!(is_api_date("2024-02-15-preview"));
        assert!(!is_api_date("536-22-8417"));
        assert!(!is_api_date("AKIA4HZQ7XK2M9PLR3TB"));
        assert!(header_shape_ok("openai-organization", b"org-AbC123"));
        assert!(!header_shape_ok(
            "openai-organization",
            b"AKIA4HZQ7XK2M9PLR3TB"
        ));
        assert!(!header_shape_ok(
            "openai-project",
            b"proj_jane.roe@example-mail.com"
        ));
        assert!(header_shape_ok(
            "anthropic-beta",
            b"prompt-caching-2024-07-31, files-api-2025-04-14"
        ));
        assert!(!header_shape_ok("anthropic-beta", b"AKIA4HZQ7XK2M9PLR3TB"));
        assert!(header_shape_ok(
            "idempotency-key",
            b"stainless-python-retry-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
        ));
        assert!(!header_shape_ok("idempotency-key", b"AKIA4HZQ7XK2M9PLR3TB"));
        assert!(header_shape_ok("accept", b"application/json"));
        assert!(header_shape_ok("accept", b"text/event-stream"));
    }

    #[test]
    fn model_ids_may_not_climb_or_escape() {
        assert!(is_model_id("gpt-4o-mini"));
        assert!(is_model_id("ft:gpt-4o:org::abc123"));
        assert!(is_model_id("accounts/x/models/y"));
        for bad in ["..", "a/../b", "a//b", "x%2F", "jane@x.io", "a b", "/x"] {
            assert!(!is_model_id(bad), "{bad}");
        }
    }
}
