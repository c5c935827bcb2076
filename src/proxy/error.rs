//! Errors as clients see them: an HTTP status and an OpenAI-shaped body
//! `{"error": {"message", "type", "param", "code"}}`. On the Anthropic route the body also
//! carries `"type": "error"`, so both SDK families read it natively.

use hyper::StatusCode;
use serde_json::json;

/// An error answered to the client. Messages never contain request content.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<String>,
    /// Seconds for a `retry-after` header (the proxy is busy, not the request wrong).
    pub retry_after: Option<u32>,
}

impl ProxyError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ProxyError {
            status,
            message: message.into(),
            kind,
            code: Some(code),
            param: None,
            retry_after: None,
        }
    }

    /// 400: the body is not what the route accepts.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ProxyError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message,
        )
    }

    /// 401: the local access token is missing or wrong.
    pub fn unauthorized() -> Self {
        ProxyError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            "missing or invalid veilgate access token (send it as Authorization: Bearer)",
        )
    }

    /// 404: a path veilgate does not serve.
    pub fn not_found(path: &str) -> Self {
        let shown: String = path.chars().take(100).collect();
        let hint = if crate::api::Route::from_path(&format!("/v1{path}")).is_some() {
            "; the API routes live under /v1: set the SDK's base URL to http://HOST:PORT/v1"
        } else {
            ""
        };
        ProxyError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "unknown_route",
            format!("veilgate does not serve {shown}{hint}"),
        )
    }

    /// 405: a known path with the wrong method.
    pub fn method_not_allowed(allowed: &str) -> Self {
        ProxyError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "method_not_allowed",
            format!("use {allowed} on this route"),
        )
    }

    /// 413: the body exceeds `server.max_body_bytes`.
    pub fn too_large(limit: usize) -> Self {
        ProxyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "request_too_large",
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }

    /// 503 with `retry-after`: the proxy holds as many request bodies as it may
    /// (`server.max_buffered_body_bytes`); the request itself may be fine.
    pub fn busy() -> Self {
        let mut err = ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "proxy_busy",
            "veilgate is holding as many request bodies as it may; retry shortly",
        );
        err.retry_after = Some(1);
        err
    }

    /// 408: the body did not arrive within `server.body_read_timeout_ms`.
    pub fn body_timeout() -> Self {
        ProxyError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request_error",
            "body_timeout",
            "the request body did not arrive in time (server.body_read_timeout_ms)",
        )
    }

    /// 413: more new text than the tagger reads for one request, and the configuration says
    /// to refuse rather than mask by the rules alone.
    pub fn over_budget(chars: usize, budget: usize) -> Self {
        ProxyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "text_over_budget",
            format!(
                "the request holds {chars} characters of new text, more than the {budget} the \
                 name detector reads for one request (privacy.tagger_max_chars); send less, or \
                 set privacy.over_budget = \"rules_only\""
            ),
        )
    }

    /// 415: not a JSON body.
    pub fn unsupported_media_type() -> Self {
        ProxyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request_error",
            "unsupported_media_type",
            "request body must be JSON (Content-Type: application/json)",
        )
    }

    /// 415: a compressed (or otherwise encoded) request body, which veilgate does not decode.
    pub fn unsupported_content_encoding() -> Self {
        ProxyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request_error",
            "unsupported_content_encoding",
            "request body must not be compressed (Content-Encoding: identity only)",
        )
    }

    /// 502: the upstream could not be reached or answered garbage.
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        ProxyError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "bad_gateway",
            message,
        )
    }

    /// 504: the upstream did not answer in time.
    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        ProxyError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_error",
            "upstream_timeout",
            message,
        )
    }

    /// 503: a detector failed, so nothing was forwarded (fail closed).
    pub fn detector_unavailable(message: impl Into<String>) -> Self {
        ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "privacy_filter_error",
            "detector_unavailable",
            message,
        )
    }

    /// 500: a bug in veilgate; nothing was forwarded.
    pub fn internal(message: impl Into<String>) -> Self {
        ProxyError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal_error",
            message,
        )
    }

    /// The JSON body; `anthropic` adds the top-level `"type": "error"` of that format.
    pub fn body(&self, anthropic: bool) -> Vec<u8> {
        let error = json!({
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        });
        let body = if anthropic {
            json!({"type": "error", "error": error})
        } else {
            json!({"error": error})
        };
        serde_json::to_vec(&body).expect("json values serialise")
    }
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_openai_shaped() {
        let v: serde_json::Value =
            serde_json::from_slice(&ProxyError::too_large(10).body(false)).unwrap();
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], "request_too_large");
        assert!(v["error"]["param"].is_null());
        assert!(v.get("type").is_none());
    }

    #[test]
    fn anthropic_body_also_has_top_level_type() {
        let v: serde_json::Value =
            serde_json::from_slice(&ProxyError::unauthorized().body(true)).unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["code"], "invalid_api_key");
    }
}
