//! Every text of a request body that leaves the machine, visited in a fixed order.
//!
//! The walker knows where each route keeps its prose: chat messages (string content and
//! text parts), tool-call arguments, tool results, Responses `input`/`instructions`,
//! embeddings `input`, completions `prompt`, Anthropic `system` and content blocks. Fields it
//! does not know are left alone and forwarded verbatim.

use std::cell::Cell;

use serde_json::Value;

use super::Route;

/// How a visited string is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Prose: mask it as it is.
    Plain,
    /// A string that holds JSON (tool-call arguments): mask the string values inside it.
    Json,
}

/// Who wrote a visited text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The client's side: system prompts, user turns, tool results, prompts, inputs.
    Client,
    /// The model: assistant turns and their tool calls, sent back as history.
    Model,
}

/// Calls `f` on every text of `body` that a request on `route` sends upstream, always in
/// the same order for the same body, with who wrote it.
pub fn visit_texts(
    route: Route,
    body: &mut Value,
    f: &mut dyn FnMut(&mut String, TextKind, Author),
) {
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    // Every text is the client's but those of assistant messages and function calls, where
    // the loops below say so for the one item they visit.
    let author = Cell::new(Author::Client);
    let f = &mut |s: &mut String, k: TextKind| f(s, k, author.get());
    match route {
        Route::ChatCompletions | Route::Messages => {
            if route == Route::Messages {
                content(obj.get_mut("system"), f);
            }
            if let Some(Value::Array(messages)) = obj.get_mut("messages") {
                for m in messages {
                    author.set(author_of(m));
                    chat_message(m, f);
                }
                author.set(Author::Client);
            }
            if let Some(prediction) = obj.get_mut("prediction") {
                content(prediction.get_mut("content"), f);
            }
        }
        Route::Completions => {
            strings_or_list(obj.get_mut("prompt"), f);
            strings_or_list(obj.get_mut("suffix"), f);
        }
        Route::Embeddings => strings_or_list(obj.get_mut("input"), f),
        Route::Responses => {
            strings_or_list(obj.get_mut("instructions"), f);
            match obj.get_mut("input") {
                Some(Value::String(s)) => f(s, TextKind::Plain),
                Some(Value::Array(items)) => {
                    for item in items {
                        author.set(author_of(item));
                        response_item(item, f);
                    }
                    author.set(Author::Client);
                }
                _ => {}
            }
        }
        Route::Models | Route::Health | Route::Metrics => return,
    }
    // End-user identifiers and metadata often hold an e-mail or a customer name.
    strings_or_list(obj.get_mut("user"), f);
    if let Some(metadata) = obj.get_mut("metadata") {
        string_leaves(metadata, f);
    }
}

/// The model wrote assistant messages and Responses function calls; the client the rest.
fn author_of(item: &Value) -> Author {
    let role = item.get("role").and_then(Value::as_str);
    let kind = item.get("type").and_then(Value::as_str);
    if role == Some("assistant") || kind == Some("function_call") {
        Author::Model
    } else {
        Author::Client
    }
}

fn chat_message(message: &mut Value, f: &mut dyn FnMut(&mut String, TextKind)) {
    content(message.get_mut("content"), f);
    if let Some(Value::Array(calls)) = message.get_mut("tool_calls") {
        for call in calls {
            arguments(call.get_mut("function"), f);
        }
    }
    arguments(message.get_mut("function_call"), f);
}

fn arguments(function: Option<&mut Value>, f: &mut dyn FnMut(&mut String, TextKind)) {
    if let Some(Value::String(args)) = function.and_then(|func| func.get_mut("arguments")) {
        f(args, TextKind::Json);
    }
}

/// A Responses `input` item: a message, a function call, or a function call's output.
fn response_item(item: &mut Value, f: &mut dyn FnMut(&mut String, TextKind)) {
    if let Value::String(s) = item {
        return f(s, TextKind::Plain);
    }
    content(item.get_mut("content"), f);
    if let Some(Value::String(args)) = item.get_mut("arguments") {
        f(args, TextKind::Json);
    }
    content(item.get_mut("output"), f);
}

/// Content as the three formats write it: a string, or a list of blocks whose prose sits in
/// `text` (text parts), `refusal`, `input` (Anthropic tool_use) or nested `content`
/// (Anthropic tool_result).
fn content(value: Option<&mut Value>, f: &mut dyn FnMut(&mut String, TextKind)) {
    match value {
        Some(Value::String(s)) => f(s, TextKind::Plain),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                if let Value::String(s) = block {
                    f(s, TextKind::Plain);
                    continue;
                }
                for key in ["text", "refusal"] {
                    if let Some(Value::String(s)) = block.get_mut(key) {
                        f(s, TextKind::Plain);
                    }
                }
                if let Some(input) = block.get_mut("input") {
                    string_leaves(input, f);
                }
                content(block.get_mut("content"), f);
            }
        }
        _ => {}
    }
}

/// `prompt`/`input` of completions and embeddings: a string or a list of strings (token
/// arrays carry no text we can read and are left alone).
fn strings_or_list(value: Option<&mut Value>, f: &mut dyn FnMut(&mut String, TextKind)) {
    match value {
        Some(Value::String(s)) => f(s, TextKind::Plain),
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::String(s) = item {
                    f(s, TextKind::Plain);
                }
            }
        }
        _ => {}
    }
}

/// Every string value inside a JSON value, depth first, in document order.
pub fn string_leaves(value: &mut Value, f: &mut dyn FnMut(&mut String, TextKind)) {
    match value {
        Value::String(s) => f(s, TextKind::Plain),
        Value::Array(items) => items.iter_mut().for_each(|v| string_leaves(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| string_leaves(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn visited(route: Route, mut body: Value) -> Vec<(String, TextKind)> {
        let mut seen = Vec::new();
        visit_texts(route, &mut body, &mut |s, k, _| seen.push((s.clone(), k)));
        seen
    }

    fn authors(route: Route, mut body: Value) -> Vec<(String, Author)> {
        let mut seen = Vec::new();
        visit_texts(route, &mut body, &mut |s, _, a| seen.push((s.clone(), a)));
        seen
    }

    #[test]
    fn assistant_turns_and_their_tool_calls_are_the_models() {
        use Author::*;
        let chat = json!({"messages": [
            {"role": "system", "content": "s"},
            {"role": "assistant", "content": "a", "tool_calls": [{"function": {"arguments": "{}"}}]},
            {"role": "tool", "content": "t"}
        ]});
        assert_eq!(
            authors(Route::ChatCompletions, chat),
            vec![
                ("s".into(), Client),
                ("a".into(), Model),
                ("{}".into(), Model),
                ("t".into(), Client)
            ]
        );
        let responses = json!({"input": [
            {"role": "assistant", "content": "a"},
            {"type": "function_call", "arguments": "{}"},
            {"type": "function_call_output", "output": "o"}
        ]});
        assert_eq!(
            authors(Route::Responses, responses),
            vec![
                ("a".into(), Model),
                ("{}".into(), Model),
                ("o".into(), Client)
            ]
        );
        let messages = json!({"system": "s", "messages": [
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": [{"type": "text", "text": "a"}]}
        ]});
        assert_eq!(
            authors(Route::Messages, messages),
            vec![
                ("s".into(), Client),
                ("u".into(), Client),
                ("a".into(), Model)
            ]
        );
    }

    fn plain(s: &str) -> (String, TextKind) {
        (s.to_string(), TextKind::Plain)
    }

    #[test]
    fn chat_visits_strings_parts_tool_arguments_and_results() {
        let body = json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": [{"type": "text", "text": "part"}, {"type": "image_url", "image_url": {"url": "u"}}]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":\"b\"}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "result"}
            ]
        });
        assert_eq!(
            visited(Route::ChatCompletions, body),
            vec![
                plain("sys"),
                plain("part"),
                ("{\"a\":\"b\"}".into(), TextKind::Json),
                plain("result")
            ]
        );
    }

    #[test]
    fn responses_visit_instructions_messages_calls_and_outputs() {
        let body = json!({
            "instructions": "ins",
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c", "output": "out"}
            ]
        });
        assert_eq!(
            visited(Route::Responses, body),
            vec![
                plain("ins"),
                plain("hi"),
                ("{}".into(), TextKind::Json),
                plain("out")
            ]
        );
        assert_eq!(
            visited(Route::Responses, json!({"input": "just text"})),
            vec![plain("just text")]
        );
    }

    #[test]
    fn anthropic_visits_system_text_tool_use_and_tool_result() {
        let body = json!({
            "system": [{"type": "text", "text": "sys"}],
            "messages": [
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"city": "Paris", "n": 3}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "sunny"}]}]}
            ]
        });
        assert_eq!(
            visited(Route::Messages, body),
            vec![plain("sys"), plain("hello"), plain("Paris"), plain("sunny")]
        );
    }

    #[test]
    fn completions_and_embeddings_visit_prompts_but_not_token_arrays() {
        assert_eq!(
            visited(
                Route::Completions,
                json!({"prompt": ["a", "b"], "suffix": "s"})
            ),
            vec![plain("a"), plain("b"), plain("s")]
        );
        assert_eq!(
            visited(Route::Embeddings, json!({"input": [[1, 2, 3]]})),
            vec![]
        );
        assert_eq!(
            visited(Route::Embeddings, json!({"input": "e"})),
            vec![plain("e")]
        );
    }

    #[test]
    fn structural_fields_are_never_visited_but_user_and_metadata_are() {
        let body = json!({"model": "m", "user": "u", "metadata": {"k": "v"}, "messages": [{"role": "user", "name": "bob", "content": "c"}]});
        assert_eq!(
            visited(Route::ChatCompletions, body),
            vec![plain("c"), plain("u"), plain("v")]
        );
    }
}
