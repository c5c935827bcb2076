use super::*;
use serde_json::json;

use super::structural::{is_api_id, API_FIELDS};

/// Every visit but identifiers (which only the rules check).
fn visited(route: Route, body: Value) -> Vec<(String, TextKind)> {
    all_visits(route, body)
        .into_iter()
        .filter(|(_, k)| *k != TextKind::Identifier)
        .collect()
}

fn all_visits(route: Route, mut body: Value) -> Vec<(String, TextKind)> {
    let mut seen = Vec::new();
    visit_texts(route, &mut body, &mut |s, v| {
        seen.push((s.clone(), v.kind));
        Ok(())
    })
    .unwrap();
    seen
}

/// The texts read as text (identifiers, which only the rules check, left out).
fn strings(route: Route, body: Value) -> Vec<String> {
    visited(route, body)
        .into_iter()
        .filter(|(_, k)| *k != TextKind::Identifier)
        .map(|(s, _)| s)
        .collect()
}

fn identifiers(route: Route, body: Value) -> Vec<String> {
    all_visits(route, body)
        .into_iter()
        .filter(|(_, k)| *k == TextKind::Identifier)
        .map(|(s, _)| s)
        .collect()
}

fn paths(route: Route, mut body: Value) -> Vec<String> {
    let mut seen = Vec::new();
    visit_texts(route, &mut body, &mut |_, v| {
        seen.push(v.path.to_string());
        Ok(())
    })
    .unwrap();
    seen
}

fn authors(route: Route, mut body: Value) -> Vec<(String, Author)> {
    let mut seen = Vec::new();
    visit_texts(route, &mut body, &mut |s, v| {
        seen.push((s.clone(), v.author));
        Ok(())
    })
    .unwrap();
    seen
}

fn plain(s: &str) -> (String, TextKind) {
    (s.to_string(), TextKind::Plain)
}

#[test]
fn api_fields_are_sorted_for_binary_search() {
    assert!(API_FIELDS.windows(2).all(|w| w[0] < w[1]));
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
}

#[test]
fn chat_visits_every_text_and_only_roles_and_types_go_unread() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "name": "jane_roe", "content": [{"type": "text", "text": "part"}, {"type": "image_url", "image_url": {"url": "https://x.test/a.png?u=jane", "detail": "low"}}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc123", "type": "function", "function": {"name": "lookup", "arguments": "{\"a\":\"b\"}"}}]},
            {"role": "tool", "tool_call_id": "call_abc123", "content": "result"}
        ],
        "stop": ["Jane"],
        "safety_identifier": "jane@example.com"
    });
    assert_eq!(
        identifiers(Route::ChatCompletions, body.clone()),
        vec!["gpt-4o", "low", "call_abc123", "call_abc123"]
    );
    assert_eq!(
        visited(Route::ChatCompletions, body)
            .into_iter()
            .filter(|(_, k)| *k != TextKind::Identifier)
            .collect::<Vec<_>>(),
        vec![
            plain("sys"),
            plain("jane_roe"),
            plain("part"),
            plain("https://x.test/a.png?u=jane"),
            plain("lookup"),
            ("{\"a\":\"b\"}".into(), TextKind::Json),
            plain("result"),
            plain("Jane"),
            plain("jane@example.com"),
        ]
    );
}

#[test]
fn tools_and_schemas_are_text_keys_included() {
    let body = json!({"tools": [{"type": "function", "function": {
        "name": "find", "description": "Find Jane Roe",
        "parameters": {"type": "object", "properties": {"jane_email": {"type": "string", "enum": ["jane@x.com"], "default": "Roe"}}}
    }}]});
    let got = strings(Route::ChatCompletions, body);
    for want in ["find", "Find Jane Roe", "jane_email", "jane@x.com", "Roe"] {
        assert!(
            got.contains(&want.to_string()),
            "{want} not visited: {got:?}"
        );
    }
}

#[test]
fn unknown_fields_are_text_keys_and_values_at_any_depth() {
    let body =
        json!({"model": "m", "x_customer": {"Jane Roe": ["jane@x.com", 3, {"role": "Jane"}]}});
    assert_eq!(
        strings(Route::ChatCompletions, body),
        vec!["x_customer", "Jane Roe", "jane@x.com", "role", "Jane"]
    );
}

#[test]
fn structural_fields_of_the_wrong_shape_are_text() {
    let body = json!({"model": "jane@example.com", "messages": [
        {"role": "Jane Roe", "content": "c"},
        {"role": "tool", "tool_call_id": "jane.roe@example.com", "content": "r", "type": "Jane"}
    ]});
    assert_eq!(
        strings(Route::ChatCompletions, body),
        vec![
            "jane@example.com",
            "Jane Roe",
            "c",
            "jane.roe@example.com",
            "r",
            "Jane"
        ]
    );
}

#[test]
fn metadata_and_user_are_text_but_model_and_enums_are_not() {
    let body = json!({"model": "m", "user": "u", "metadata": {"customer": "v", "type": "Jane"}, "reasoning_effort": "low", "messages": [{"role": "user", "content": "c"}]});
    assert_eq!(
        strings(Route::ChatCompletions, body),
        vec!["u", "customer", "v", "type", "Jane", "c"]
    );
}

#[test]
fn data_urls_and_base64_sources_are_marked() {
    let body = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"filename": "cv.pdf", "file_data": "JVBER"}}
    ]}]});
    assert_eq!(
        visited(Route::ChatCompletions, body),
        vec![
            ("data:image/png;base64,AAAA".into(), TextKind::DataUrl),
            ("AAAA".into(), TextKind::Base64(Some(MediaType::Binary))),
            plain("cv.pdf"),
            ("JVBER".into(), TextKind::Base64(None)),
        ]
    );
    let anthropic = json!({"messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"}, "title": "CV of Jane"},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Jane's notes"}}
    ]}]});
    assert_eq!(
        visited(Route::Messages, anthropic),
        vec![
            ("JVBER".into(), TextKind::Base64(Some(MediaType::Binary))),
            plain("CV of Jane"),
            plain("Jane's notes"),
        ]
    );
}

#[test]
fn paths_name_api_fields_and_hide_client_keys() {
    let body = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "t"}]}], "metadata": {"jane@x.com": "v"}});
    assert_eq!(
        paths(Route::ChatCompletions, body),
        vec!["messages[0].content[0].text", "metadata.*", "metadata.*"]
    );
}

#[test]
fn keys_a_visitor_changes_are_renamed_in_place() {
    let mut body = json!({"metadata": {"a": 1, "Jane": 2, "z": 3}});
    visit_texts(Route::ChatCompletions, &mut body, &mut |s, _| {
        if s == "Jane" {
            *s = "[PERSON_1]".into();
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(
        body.to_string(),
        r#"{"metadata":{"a":1,"[PERSON_1]":2,"z":3}}"#
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
        visited(Route::Embeddings, json!({"input": [["nested", "x"]]})),
        vec![plain("nested"), plain("x")]
    );
}

#[test]
fn anthropic_visits_system_tool_use_input_keys_and_results() {
    let body = json!({
        "system": [{"type": "text", "text": "sys"}],
        "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01abc", "name": "f", "input": {"city": "Paris", "n": 3}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01abc", "content": [{"type": "text", "text": "sunny"}]}]}
        ],
        "stop_sequences": ["Jane"]
    });
    assert_eq!(
        strings(Route::Messages, body),
        vec!["sys", "f", "city", "Paris", "n", "sunny", "Jane"]
    );
}

#[test]
fn shape_errors_name_the_field() {
    let cases = [
        (
            Route::ChatCompletions,
            json!({"messages": "hi"}),
            "messages",
        ),
        (
            Route::ChatCompletions,
            json!({"messages": [{"role": "user", "content": {"text": "x"}}]}),
            "messages[0].content",
        ),
        (
            Route::ChatCompletions,
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": ["x"]}]}]}),
            "messages[0].content[0].text",
        ),
        (
            Route::ChatCompletions,
            json!({"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": {"a": "b"}}}]}]}),
            "messages[0].tool_calls[0].function.arguments",
        ),
        (
            Route::ChatCompletions,
            json!({"messages": [{"role": "assistant", "tool_calls": {"a": 1}}]}),
            "messages[0].tool_calls",
        ),
        (Route::Responses, json!({"input": {"text": "x"}}), "input"),
        (
            Route::Completions,
            json!({"prompt": {"text": "x"}}),
            "prompt",
        ),
        (Route::Embeddings, json!({"input": {"text": "x"}}), "input"),
        (Route::Messages, json!({"system": {"text": "x"}}), "system"),
        (Route::ChatCompletions, json!({"metadata": "x"}), "metadata"),
    ];
    for (route, body, path) in cases {
        let err = check_shape(route, &body).expect_err(path);
        assert_eq!(err.path, path);
        assert!(err.message.starts_with(path), "{}", err.message);
    }
    let fine = json!({"messages": [
        {"role": "user", "content": [{"type": "text", "text": "x"}]},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    ], "stop": "x", "user": "u", "metadata": {"k": "v"}});
    assert_eq!(check_shape(Route::ChatCompletions, &fine), Ok(()));
}

#[test]
fn ids_the_api_issues_are_structural_others_are_text() {
    assert!(is_api_id("call_abc123"));
    assert!(is_api_id("toolu_01A09q90qw90lq917835lq9"));
    assert!(is_api_id("file-abc123"));
    assert!(!is_api_id("jane.roe@example.com"));
    assert!(!is_api_id("call_janeroe"));
    assert!(!is_api_id("Jane_Roe1"));
}
