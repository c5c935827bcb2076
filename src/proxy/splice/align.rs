//! The text side of the splice, pure: which requests may be drafted, whether the cloud's
//! text repeats the opener, how a continuation joins it, and the continuation request for
//! each upstream dialect.

use serde_json::{json, Value};

use crate::api::Route;
use crate::draft::fit::fits;
use crate::draft::Turn;
use crate::privacy::everyday::is_common;

/// Below this `max_tokens` the opener would be a large share of the whole answer (or all
/// of it), and the client asked for a short one: such requests are not drafted.
pub const MIN_MAX_TOKENS: u64 = 32;

/// The conversation to draft from, when `body` is a request the draft may answer: a
/// streamed chat with one choice, no tools, no structured output or logprobs, no `stop`
/// sequences and no small `max_tokens` (an opener cannot honour them), whose last turn is
/// the user's, in English (the draft model's language), and does not fix the shape of the
/// answer ("Answer only yes or no", "Return only the code"). Everything else is proxied
/// untouched.
pub fn gate(route: Route, body: &Value) -> Option<Vec<Turn>> {
    if route != Route::ChatCompletions || body.get("stream") != Some(&Value::Bool(true)) {
        return None;
    }
    let present = |key: &str| body.get(key).is_some_and(|v| !v.is_null());
    if body.get("n").is_some_and(|n| n.as_u64() != Some(1))
        || [
            "tools",
            "tool_choice",
            "functions",
            "function_call",
            "response_format",
        ]
        .iter()
        .any(|k| present(k))
        || body
            .get("logprobs")
            .is_some_and(|v| v != &Value::Bool(false) && !v.is_null())
        || present("top_logprobs")
        || body
            .get("modalities")
            .and_then(Value::as_array)
            .is_some_and(|m| m.iter().any(|x| x != "text"))
        || body.get("stop").is_some_and(|s| match s {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        })
        || ["max_tokens", "max_completion_tokens"].iter().any(|k| {
            body.get(k)
                .and_then(Value::as_u64)
                .is_some_and(|n| n < MIN_MAX_TOKENS)
        })
    {
        return None;
    }
    let messages = body.get("messages")?.as_array()?;
    if messages.last()?.get("role")?.as_str()? != "user" {
        return None;
    }
    let turns: Vec<Turn> = messages
        .iter()
        .filter_map(|m| {
            let role = match m.get("role")?.as_str()? {
                "developer" | "system" => "system",
                r @ ("user" | "assistant") => r,
                _ => return None, // tool results: not conversation text
            };
            let content = text_of(m.get("content")?)?;
            Some(Turn::new(role, content))
        })
        .collect();
    let last = turns.last()?;
    (last.role == "user" && fits(&last.content)).then_some(turns)
}

/// A message's text: the string, or its text parts joined.
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// How the cloud's text so far relates to the opener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// Too short to tell: it agrees with the opener as far as it goes.
    Pending,
    /// It begins with the opener; the byte offset where the opener's words end in it.
    Match(usize),
    /// It says something else.
    Differ,
}

/// Compares `cloud` with `opener` regardless of case, with any run of whitespace counting
/// as one space and leading whitespace ignored.
pub fn overlap(cloud: &str, opener: &str) -> Overlap {
    let mut theirs = Normalised::new(cloud);
    for want in Normalised::new(opener) {
        match theirs.next() {
            None => return Overlap::Pending,
            Some(got) if got != want => return Overlap::Differ,
            Some(_) => {}
        }
    }
    Overlap::Match(theirs.position())
}

/// Characters lower-cased, whitespace runs as one `' '`, leading whitespace skipped.
struct Normalised<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    /// The rest of a multi-character lower case, and where its source character ends.
    lower: Option<(std::char::ToLowercase, usize)>,
    /// Byte offset in the source after the last character handed out.
    end: usize,
    len: usize,
    started: bool,
}

impl<'a> Normalised<'a> {
    fn new(text: &'a str) -> Self {
        Normalised {
            chars: text.char_indices().peekable(),
            lower: None,
            end: 0,
            len: text.len(),
            started: false,
        }
    }

    fn position(&self) -> usize {
        self.end
    }
}

impl Iterator for Normalised<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some((lower, end)) = &mut self.lower {
            if let Some(c) = lower.next() {
                self.end = *end;
                return Some(c);
            }
            self.lower = None;
        }
        loop {
            let (_, c) = self.chars.next()?;
            let mut end = self.chars.peek().map_or(self.len, |&(j, _)| j);
            if !c.is_whitespace() {
                self.started = true;
                self.lower = Some((c.to_lowercase(), end));
                return self.next();
            }
            while self.chars.peek().is_some_and(|&(_, d)| d.is_whitespace()) {
                self.chars.next();
                end = self.chars.peek().map_or(self.len, |&(j, _)| j);
            }
            if self.started {
                self.end = end;
                return Some(' ');
            }
        }
    }
}

/// What goes between the opener and a continuation that does not start with it. Usually a
/// space when a word would otherwise be glued to the opener's last word, else nothing. When
/// the cloud visibly restarted instead of continuing (the opener stops mid-sentence and the
/// cloud begins with a capitalised everyday word: "The most" + "Regular exercise…"), an
/// ellipsis, so that the opener reads as broken off and the cloud's sentence as a new one
/// ("The most… Regular exercise…"); a name ("… is" + "Canberra.") continues as usual. None
/// while the continuation's first word is not whole yet and more text may come (`ended`
/// false): the caller holds the text until it is.
pub fn joiner(opener: &str, continuation: &str, ended: bool) -> Option<&'static str> {
    let lead = continuation.trim_start();
    let mid_sentence = !opener
        .trim_end()
        .ends_with(['.', '!', '?', ':', ';', '\u{2026}']);
    if mid_sentence && lead.starts_with(char::is_uppercase) {
        let first: String = lead
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '\'' | '\u{2019}'))
            .collect();
        if first.len() == lead.len() && !ended {
            return None;
        }
        let word = first.to_lowercase().replace('\u{2019}', "'");
        if word != "i" && !word.starts_with("i'") && is_common(&word) {
            let spaced = continuation.starts_with(char::is_whitespace);
            return Some(if spaced { "\u{2026}" } else { "\u{2026} " });
        }
    }
    let opener_open = opener.chars().last().is_some_and(|c| !c.is_whitespace());
    let starts_word = continuation
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '(' | '"' | '\'' | '“' | '*' | '-'));
    Some(if opener_open && starts_word { " " } else { "" })
}

/// How the upstream takes the opener in a continuation request (`upstream.prefill`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    /// vLLM: a final assistant message, `continue_final_message: true`,
    /// `add_generation_prompt: false`.
    Vllm,
    /// Mistral: a final assistant message with `prefix: true`.
    Mistral,
    /// DeepSeek (chat prefix completion, beta endpoint): as Mistral.
    Deepseek,
    /// Anthropic's OpenAI-compatible endpoint: a final assistant message, trailing
    /// whitespace removed (Anthropic rejects it).
    Anthropic,
    /// llama.cpp server: a final assistant message is continued as is.
    Llamacpp,
    /// Any other upstream: a final user message with the continuator instruction.
    Instruction,
}

impl Prefill {
    /// The dialect named by `upstream.prefill`; unset or `none` = the instruction.
    pub fn parse(name: Option<&str>) -> Result<Prefill, String> {
        Ok(match name.map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "none" | "instruction") => Prefill::Instruction,
            Some("vllm") => Prefill::Vllm,
            Some("mistral") => Prefill::Mistral,
            Some("deepseek") => Prefill::Deepseek,
            Some("anthropic") => Prefill::Anthropic,
            Some("llamacpp" | "llama.cpp") => Prefill::Llamacpp,
            Some(other) => {
                return Err(format!(
                    "upstream.prefill = {other:?}: expected vllm, mistral, deepseek, anthropic, \
                     llamacpp or none"
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Prefill::Vllm => "vllm",
            Prefill::Mistral => "mistral",
            Prefill::Deepseek => "deepseek",
            Prefill::Anthropic => "anthropic",
            Prefill::Llamacpp => "llamacpp",
            Prefill::Instruction => "instruction",
        }
    }
}

/// The continuator: what an upstream without prefill is told when the opener was not what
/// it would have said.
pub const CONTINUATOR: &str = "Your reply to my last message has already begun with the \
words quoted below, and I can already see them. Write only what comes next: continue from \
exactly where they stop, and never repeat them. If they began the reply wrongly, bridge in \
one short clause, then answer properly.\n\nYour reply so far: ";

/// The continuation request: the masked request whose last message carries the masked
/// opener, in the upstream's dialect.
pub fn continuation_body(masked_request: &Value, masked_opener: &str, prefill: Prefill) -> Value {
    let mut body = masked_request.clone();
    let message = match prefill {
        Prefill::Vllm | Prefill::Llamacpp => json!({"role": "assistant", "content": masked_opener}),
        Prefill::Mistral | Prefill::Deepseek => {
            json!({"role": "assistant", "content": masked_opener, "prefix": true})
        }
        Prefill::Anthropic => json!({"role": "assistant", "content": masked_opener.trim_end()}),
        Prefill::Instruction => json!({
            "role": "user",
            "content": format!("{CONTINUATOR}\u{ab}{masked_opener}\u{bb}"),
        }),
    };
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        messages.push(message);
    }
    if prefill == Prefill::Vllm {
        body["continue_final_message"] = Value::Bool(true);
        body["add_generation_prompt"] = Value::Bool(false);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(extra: Value) -> Value {
        let mut body = json!({
            "model": "m",
            "stream": true,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi"}]}
            ]
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    #[test]
    fn only_plain_streamed_chats_are_drafted() {
        let turns = gate(Route::ChatCompletions, &chat(json!({}))).unwrap();
        assert_eq!(
            turns,
            vec![Turn::new("system", "Be brief."), Turn::new("user", "Hi")]
        );
        for fine in [
            json!({"n": 1, "logprobs": false}),
            json!({"stop": null}),
            json!({"stop": []}),
            json!({"max_tokens": 500}),
        ] {
            assert!(
                gate(Route::ChatCompletions, &chat(fine.clone())).is_some(),
                "{fine}"
            );
        }
        for extra in [
            json!({"stream": false}),
            json!({"n": 2}),
            json!({"tools": [{"type": "function"}]}),
            json!({"tool_choice": "auto"}),
            json!({"response_format": {"type": "json_object"}}),
            json!({"logprobs": true}),
            json!({"top_logprobs": 2}),
            json!({"modalities": ["text", "audio"]}),
            json!({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}),
            json!({"stop": ["are"]}),
            json!({"stop": "\n"}),
            json!({"max_tokens": 1}),
            json!({"max_completion_tokens": 20}),
            json!({"messages": [{"role": "user", "content": "Answer only yes or no: is it?"}]}),
            json!({"messages": [{"role": "user", "content": "Wie koche ich ein Ei?"}]}),
        ] {
            assert!(
                gate(Route::ChatCompletions, &chat(extra.clone())).is_none(),
                "{extra}"
            );
        }
        assert!(gate(Route::Responses, &chat(json!({}))).is_none());
    }

    #[test]
    fn overlap_ignores_case_and_whitespace() {
        assert_eq!(overlap("Sure! Here", "Sure! Here are"), Overlap::Pending);
        assert_eq!(
            overlap("sure!  here are the steps", "Sure! Here are"),
            Overlap::Match(15)
        );
        assert_eq!(&"sure!  here are the steps"[15..], " the steps");
        assert_eq!(
            overlap("\n Sure! Here are", "Sure! Here are"),
            Overlap::Match(16)
        );
        assert_eq!(overlap("Certainly", "Sure! Here are"), Overlap::Differ);
        assert_eq!(overlap("Sure, here", "Sure! Here are"), Overlap::Differ);
        assert_eq!(overlap("", "Sure"), Overlap::Pending);
        // Multi-character lower cases and non-ASCII text.
        assert_eq!(
            overlap("İstanbul est belle", "i̇stanbul est"),
            Overlap::Match(13)
        );
        assert_eq!(overlap("Ça va bien", "ça va"), Overlap::Match(6));
    }

    #[test]
    fn joiner_adds_a_space_only_between_words() {
        let join = |opener, cloud| joiner(opener, cloud, true).unwrap();
        assert_eq!(join("Sure! Here are", "the steps"), " ");
        assert_eq!(join("Sure! Here are", " the steps"), "");
        assert_eq!(join("The capital is Paris", ". It"), "");
        assert_eq!(join("Sure!", "\nHere"), "");
    }

    #[test]
    fn a_cloud_that_restarts_mid_sentence_is_joined_with_an_ellipsis() {
        let join = |opener, cloud| joiner(opener, cloud, true).unwrap();
        assert_eq!(join("The most", "Regular exercise helps."), "\u{2026} ");
        assert_eq!(join("The most", " Regular exercise"), "\u{2026}");
        assert_eq!(
            join("The capital of Australia is", "The capital city of"),
            "\u{2026} "
        );
        // Names and "I" continue the sentence; after a full stop a capital is no restart.
        assert_eq!(join("The capital of Australia is", "Canberra."), " ");
        assert_eq!(join("The capital of Australia is", " Canberra."), "");
        assert_eq!(join("Honestly,", "I think so"), " ");
        assert_eq!(join("Sure.", "Regular exercise"), " ");
        // The first word must be whole before it can be judged.
        assert_eq!(joiner("The most", "Reg", false), None);
        assert_eq!(joiner("The most", "Regular ", false), Some("\u{2026} "));
        assert_eq!(joiner("The most", "Reg", true), Some(" "));
    }

    #[test]
    fn continuation_requests_carry_the_opener_in_each_dialect() {
        let req = chat(json!({}));
        let last = |p: Prefill| {
            let body = continuation_body(&req, "Hello [PERSON_1], ", p);
            (
                body["messages"].as_array().unwrap().last().unwrap().clone(),
                body,
            )
        };
        let (m, body) = last(Prefill::Vllm);
        assert_eq!(
            m,
            json!({"role": "assistant", "content": "Hello [PERSON_1], "})
        );
        assert_eq!(body["continue_final_message"], true);
        assert_eq!(body["add_generation_prompt"], false);
        for p in [Prefill::Mistral, Prefill::Deepseek] {
            let (m, body) = last(p);
            assert_eq!(m["prefix"], true);
            assert!(body.get("continue_final_message").is_none());
        }
        assert_eq!(last(Prefill::Anthropic).0["content"], "Hello [PERSON_1],");
        assert_eq!(last(Prefill::Llamacpp).0["role"], "assistant");
        let (m, _) = last(Prefill::Instruction);
        assert_eq!(m["role"], "user");
        assert!(m["content"].as_str().unwrap().contains("never repeat them"));
        assert!(m["content"]
            .as_str()
            .unwrap()
            .ends_with("\u{ab}Hello [PERSON_1], \u{bb}"));
        // The original messages are kept, in order.
        assert_eq!(
            continuation_body(&req, "x", Prefill::Vllm)["messages"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert!(Prefill::parse(Some("vLLM")).is_ok());
        assert!(Prefill::parse(Some("openai"))
            .unwrap_err()
            .contains("expected"));
    }
}
