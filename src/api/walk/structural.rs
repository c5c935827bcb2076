//! The reviewed list of what in a request body is not prose: API field names, the API's own
//! role and type tags, identifiers of their usual shape, and the fields whose values are the
//! client's own data. Everything not named here is text.

use serde_json::Value;

use super::TextKind;

/// Whether the known field `key` holds the client's own data, where nothing is structural:
/// metadata maps, JSON schemas (property names are the client's words), template variables,
/// tool inputs and arguments given as objects.
pub(super) fn is_free_form(key: &str, value: &Value) -> bool {
    FREE_FORM.contains(&key) || (matches!(key, "input" | "arguments") && value.is_object())
}

const FREE_FORM: &[&str] = &[
    "metadata",
    "parameters",
    "input_schema",
    "schema",
    "variables",
    "logit_bias",
    "attributes",
    "headers",
    "filters",
    "env",
];

/// What the value at the known field `key` is: a role or type tag the API defines
/// (`Some(None)`, not a text at all), an identifier (`Some(Some(Identifier))`: model ids, ids
/// the API issues, enum values, of their shape), or text like any other (`None`).
pub(super) fn structural(key: &str, value: &Value) -> Option<Option<TextKind>> {
    let (check, kind): (fn(&str) -> bool, _) = match key {
        "role" => (|s| ROLES.contains(&s), None),
        "type" => (|s| TYPE_TAGS.contains(&s), None),
        "model" => (crate::api::is_model_id, Some(TextKind::Identifier)),
        "id"
        | "tool_call_id"
        | "call_id"
        | "tool_use_id"
        | "previous_response_id"
        | "file_id"
        | "item_id"
        | "response_id"
        | "container_id"
        | "vector_store_ids" => (is_api_id, Some(TextKind::Identifier)),
        "detail"
        | "format"
        | "encoding_format"
        | "reasoning_effort"
        | "effort"
        | "service_tier"
        | "truncation"
        | "verbosity"
        | "search_context_size"
        | "voice"
        | "media_type"
        | "tool_choice"
        | "summary"
        | "include"
        | "modalities"
        | "status"
        | "generate_summary"
        | "ttl"
        | "object"
        | "mode" => (is_enum_value, Some(TextKind::Identifier)),
        _ => return None,
    };
    let fits = match value {
        Value::String(s) => check(s),
        Value::Array(items) => items.iter().all(|v| v.as_str().is_some_and(check)),
        _ => false,
    };
    fits.then_some(kind)
}

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// The `type` tags of the OpenAI and Anthropic request formats.
const TYPE_TAGS: &[&str] = &[
    "text",
    "image_url",
    "input_audio",
    "file",
    "refusal",
    "function",
    "custom",
    "grammar",
    "json_schema",
    "json_object",
    "content",
    "message",
    "input_text",
    "input_image",
    "input_file",
    "output_text",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "reasoning",
    "summary_text",
    "reasoning_text",
    "item_reference",
    "file_search",
    "file_search_call",
    "web_search",
    "web_search_preview",
    "web_search_call",
    "computer_use_preview",
    "computer_call",
    "computer_call_output",
    "code_interpreter",
    "code_interpreter_call",
    "image_generation",
    "image_generation_call",
    "local_shell",
    "local_shell_call",
    "local_shell_call_output",
    "exec",
    "mcp",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "approximate",
    "auto",
    "any",
    "none",
    "tool",
    "tool_use",
    "tool_result",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "base64",
    "url",
    "enabled",
    "disabled",
    "ephemeral",
    "server_tool_use",
    "web_search_tool_result",
    "char_location",
    "page_location",
    "content_block_location",
];

/// An id the API issues: a short lower-case prefix, `_` or `-`, then base62-ish characters
/// with at least one digit (`call_abc123`, `toolu_01A…`, `resp_67cc…`, `file-abc123`).
pub(super) fn is_api_id(s: &str) -> bool {
    let Some(sep) = s.find(['_', '-']) else {
        return false;
    };
    let (prefix, tail) = (&s[..sep], &s[sep + 1..]);
    (2..=12).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && (3..=200).contains(&tail.len())
        && tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && tail.bytes().any(|b| b.is_ascii_digit())
}

/// An enum value: a short lower-case token (`high`, `auto`, `image/png`, `wav`).
pub(super) fn is_enum_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._/+-".contains(&b))
}

/// Whether `key` is a field name of the OpenAI or Anthropic request formats: such keys are
/// the API's words, never a client's data. Any other key is text.
pub fn is_api_field(key: &str) -> bool {
    API_FIELDS.binary_search(&key).is_ok()
}

/// Field names of the request bodies of every route, sorted (checked by a test).
pub(super) const API_FIELDS: &[&str] = &[
    "action",
    "allowed_tools",
    "annotations",
    "approximate",
    "arguments",
    "attributes",
    "audio",
    "background",
    "best_of",
    "budget_tokens",
    "cache_control",
    "call_id",
    "citations",
    "city",
    "command",
    "container",
    "container_id",
    "content",
    "context",
    "conversation",
    "country",
    "custom",
    "data",
    "description",
    "detail",
    "dimensions",
    "disable_parallel_tool_use",
    "echo",
    "effort",
    "enabled",
    "encoding_format",
    "encrypted_content",
    "env",
    "file",
    "file_data",
    "file_id",
    "file_url",
    "filename",
    "filters",
    "format",
    "frequency_penalty",
    "function",
    "function_call",
    "functions",
    "generate_summary",
    "headers",
    "id",
    "image_url",
    "include",
    "include_obfuscation",
    "include_usage",
    "input",
    "input_audio",
    "input_schema",
    "instructions",
    "is_error",
    "item_id",
    "json_schema",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_num_results",
    "max_output_tokens",
    "max_tokens",
    "max_tool_calls",
    "media_type",
    "messages",
    "metadata",
    "modalities",
    "mode",
    "model",
    "n",
    "name",
    "object",
    "output",
    "parallel_tool_calls",
    "parameters",
    "prediction",
    "presence_penalty",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "queries",
    "reasoning",
    "reasoning_effort",
    "refusal",
    "region",
    "require_approval",
    "response_format",
    "response_id",
    "results",
    "role",
    "safety_identifier",
    "schema",
    "search_context_size",
    "seed",
    "server_label",
    "server_url",
    "service_tier",
    "signature",
    "source",
    "status",
    "stop",
    "stop_sequences",
    "store",
    "stream",
    "stream_options",
    "strict",
    "suffix",
    "summary",
    "system",
    "temperature",
    "text",
    "thinking",
    "timeout_ms",
    "timezone",
    "title",
    "tool_call_id",
    "tool_calls",
    "tool_choice",
    "tool_use_id",
    "tools",
    "top_k",
    "top_logprobs",
    "top_p",
    "truncation",
    "ttl",
    "type",
    "url",
    "user",
    "user_id",
    "user_location",
    "vector_store_ids",
    "verbosity",
    "version",
    "voice",
    "web_search_options",
    "working_directory",
];
