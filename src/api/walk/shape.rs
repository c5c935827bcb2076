//! The shape check: text fields of a JSON type the API does not define are refused, by path.

use serde_json::Value;

use super::{Path, WalkError};
use crate::api::Route;

/// Refuses a body whose text fields have a JSON type the route's API does not define, naming
/// the field. Such a body is never forwarded: the walker would read it, but a proxy should not
/// guess what a client meant by `content: {…}`.
pub fn check_shape(route: Route, body: &Value) -> Result<(), WalkError> {
    let root = Path::ROOT;
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let field = |key: &'static str| (obj.get(key), root.key(key));
    match route {
        Route::ChatCompletions | Route::Messages => {
            if route == Route::Messages {
                let (v, p) = field("system");
                content(v, &p)?;
                let (v, p) = field("stop_sequences");
                expect(v, &p, &[Ty::Array(&Ty::String)], "an array of strings")?;
            } else {
                let (v, p) = field("stop");
                expect(v, &p, &[Ty::String, Ty::Array(&Ty::String)], STRINGS)?;
            }
            let (messages, p) = field("messages");
            expect(
                messages,
                &p,
                &[Ty::Array(&Ty::Object)],
                "an array of message objects",
            )?;
            for (i, m) in list(messages).iter().enumerate() {
                message(m, &p.index(i))?;
            }
            if let Some(prediction) = obj.get("prediction") {
                let p = root.key("prediction");
                content(prediction.get("content"), &p.key("content"))?;
            }
        }
        Route::Completions => {
            let (v, p) = field("prompt");
            expect(v, &p, &[Ty::String, Ty::Array(&Ty::Any)], STRINGS)?;
            let (v, p) = field("suffix");
            expect(v, &p, &[Ty::String], "a string")?;
        }
        Route::Embeddings => {
            let (v, p) = field("input");
            expect(v, &p, &[Ty::String, Ty::Array(&Ty::Any)], STRINGS)?;
        }
        Route::Responses => {
            let (v, p) = field("instructions");
            expect(v, &p, &[Ty::String], "a string")?;
            let (input, p) = field("input");
            objects_or_strings(input, &p, "items", |item, p| {
                message(item, p)?;
                let (v, q) = (item.get("output"), p.key("output"));
                let parts = [Ty::String, Ty::Array(&Ty::Object)];
                expect(v, &q, &parts, "a string or an array of parts")
            })?;
        }
        Route::Models | Route::Health | Route::Metrics => {}
    }
    let (v, p) = field("user");
    expect(v, &p, &[Ty::String], "a string")?;
    let (v, p) = field("metadata");
    expect(v, &p, &[Ty::Object], "an object")
}

const STRINGS: &str = "a string or an array of strings";

/// One message (chat, Anthropic) or Responses item: its content and its tool calls.
fn message(m: &Value, p: &Path) -> Result<(), WalkError> {
    content(m.get("content"), &p.key("content"))?;
    let (v, q) = (m.get("name"), p.key("name"));
    expect(v, &q, &[Ty::String], "a string")?;
    let (calls, q) = (m.get("tool_calls"), p.key("tool_calls"));
    expect(
        calls,
        &q,
        &[Ty::Array(&Ty::Object)],
        "an array of tool call objects",
    )?;
    for (i, call) in list(calls).iter().enumerate() {
        let q = q.index(i);
        function(call.get("function"), &q.key("function"))?;
    }
    function(m.get("function_call"), &p.key("function_call"))?;
    let (v, q) = (m.get("arguments"), p.key("arguments"));
    expect(v, &q, &[Ty::String], "a string of JSON")
}

/// A tool call's `function`: `arguments` must be a string holding JSON.
fn function(f: Option<&Value>, p: &Path) -> Result<(), WalkError> {
    expect(f, p, &[Ty::Object], "an object")?;
    let Some(f) = f else { return Ok(()) };
    let (v, q) = (f.get("arguments"), p.key("arguments"));
    expect(v, &q, &[Ty::String], "a string of JSON")
}

/// Content: a string, or an array of parts whose `text` is a string; nested `content`
/// (Anthropic tool results) the same.
fn content(v: Option<&Value>, p: &Path) -> Result<(), WalkError> {
    objects_or_strings(v, p, "content parts", |part, q| {
        let (t, r) = (part.get("text"), q.key("text"));
        expect(t, &r, &[Ty::String], "a string")?;
        content(part.get("content"), &q.key("content"))
    })
}

/// A string, or an array of strings and objects (content parts, Responses items); `each`
/// checks every object.
fn objects_or_strings(
    v: Option<&Value>,
    p: &Path,
    what: &str,
    mut each: impl FnMut(&Value, &Path) -> Result<(), WalkError>,
) -> Result<(), WalkError> {
    let expected = format!("a string or an array of {what}");
    expect(v, p, &[Ty::String, Ty::Array(&Ty::Any)], &expected)?;
    for (i, item) in list(v).iter().enumerate() {
        let q = p.index(i);
        let expected = format!("a string or an object (one of the {what})");
        expect(Some(item), &q, &[Ty::String, Ty::Object], &expected)?;
        if item.is_object() {
            each(item, &q)?;
        }
    }
    Ok(())
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A JSON type a field may have.
enum Ty {
    Any,
    String,
    Object,
    Array(&'static Ty),
}

impl Ty {
    fn admits(&self, v: &Value) -> bool {
        match (self, v) {
            (Ty::Any, _) => true,
            (Ty::String, Value::String(_)) | (Ty::Object, Value::Object(_)) => true,
            (Ty::Array(item), Value::Array(items)) => items.iter().all(|v| item.admits(v)),
            _ => false,
        }
    }
}

/// `v` absent, null, or one of `types`; else an error naming the path and `expected`.
fn expect(v: Option<&Value>, p: &Path, types: &[Ty], expected: &str) -> Result<(), WalkError> {
    match v {
        None | Some(Value::Null) => Ok(()),
        Some(v) if types.iter().any(|t| t.admits(v)) => Ok(()),
        Some(v) => Err(WalkError {
            path: p.to_string(),
            message: format!("{p} must be {expected}, not {}", type_name(v)),
        }),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array of other things",
        Value::Object(_) => "an object",
    }
}
