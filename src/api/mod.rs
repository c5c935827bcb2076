//! Wire formats of the OpenAI and Anthropic APIs: which routes exist, which fields of their
//! bodies carry text that leaves the machine, and the Server-Sent Events framing.

pub mod sse;
pub mod walk;

/// The routes veilgate serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    ChatCompletions,
    Completions,
    Responses,
    Embeddings,
    /// Anthropic `POST /v1/messages`.
    Messages,
    /// `GET /v1/models` and `GET /v1/models/{id}`, passed through.
    Models,
    Health,
    Metrics,
}

impl Route {
    /// The route for a request path (query string excluded), if veilgate serves it.
    pub fn from_path(path: &str) -> Option<Route> {
        let path = path.strip_suffix('/').unwrap_or(path);
        Some(match path {
            "/v1/chat/completions" => Route::ChatCompletions,
            "/v1/completions" => Route::Completions,
            "/v1/responses" => Route::Responses,
            "/v1/embeddings" => Route::Embeddings,
            "/v1/messages" => Route::Messages,
            "/v1/models" => Route::Models,
            "/healthz" => Route::Health,
            "/metrics" => Route::Metrics,
            p if p.starts_with("/v1/models/") && !p[11..].is_empty() => Route::Models,
            _ => return None,
        })
    }

    /// A short label for logs, metrics and the audit record.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::ChatCompletions => "chat.completions",
            Route::Completions => "completions",
            Route::Responses => "responses",
            Route::Embeddings => "embeddings",
            Route::Messages => "messages",
            Route::Models => "models",
            Route::Health => "healthz",
            Route::Metrics => "metrics",
        }
    }

    /// True for the routes whose JSON body is masked and forwarded (POST).
    pub fn carries_text(self) -> bool {
        matches!(
            self,
            Route::ChatCompletions
                | Route::Completions
                | Route::Responses
                | Route::Embeddings
                | Route::Messages
        )
    }

    /// True for the Anthropic format (its own upstream, headers and error shape).
    pub fn is_anthropic(self) -> bool {
        self == Route::Messages
    }
}

/// A model id, as a body's `model` or a `/v1/models/{id}` path holds it: `gpt-4o-mini`,
/// `ft:gpt-4o:org::abc`, `accounts/x/models/y`. Letters, digits and `. _ : -`, with `/` only
/// between segments that are neither empty nor `.` or `..`; no spaces, `@` or escapes.
pub fn is_model_id(id: &str) -> bool {
    id.len() <= 256
        && id.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(
            Route::from_path("/v1/chat/completions"),
            Some(Route::ChatCompletions)
        );
        assert_eq!(
            Route::from_path("/v1/chat/completions/"),
            Some(Route::ChatCompletions)
        );
        assert_eq!(Route::from_path("/v1/models/gpt-4o"), Some(Route::Models));
        assert_eq!(Route::from_path("/v1/models/"), Some(Route::Models));
        assert_eq!(Route::from_path("/v1/files"), None);
        assert_eq!(Route::from_path("/v1/chat"), None);
    }
}
