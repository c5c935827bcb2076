//! What is kept and what is masked, as a user configures it: public places stay, a person
//! has one placeholder however they are named, and `[privacy.types.*]` keeps, blocks, redacts
//! or reports. Runs the shipped tagger and rules against a recording upstream.

mod common;

use common::*;
use serde_json::{json, Value};
use veilgate::privacy::policy::{Action, TypePolicy};

fn ask(content: &str) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": content}]})
}

async fn echo() -> FakeUpstream {
    FakeUpstream::start(|r| {
        Reply::json(chat_completion(&format!("echo: {}", chat_text(&r.json()))))
    })
    .await
}

fn reply(answer: &Answer) -> String {
    answer.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_about_public_knowledge_leave_unchanged_but_personal_context_does_not() {
    let upstream = echo().await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    for q in [
        "What is the capital of Australia?",
        "Plan three days in Barcelona for a family with kids.",
        "Which countries border Germany?",
        "Who was Marie Curie?",
        "Who painted the Mona Lisa?",
        "What happened at the Battle of Waterloo?",
    ] {
        assert_eq!(
            post_json(&proxy, "/v1/chat/completions", &ask(q))
                .await
                .status,
            200
        );
        assert_eq!(chat_text(&upstream.last().json()), q);
    }
    let signature = "Regards, Jane Roe, Berlin, +49 171 1234567";
    post_json(&proxy, "/v1/chat/completions", &ask(signature)).await;
    let sent = chat_text(&upstream.last().json());
    assert!(!sent.contains("Berlin") && !sent.contains("Jane"), "{sent}");
    // A public figure's name on someone in the writer's life is that person's.
    let note = "My colleague Marie Curie wants the quarterly report by Friday.";
    post_json(&proxy, "/v1/chat/completions", &ask(note)).await;
    let sent = chat_text(&upstream.last().json());
    assert!(!sent.contains("Curie"), "{sent}");
    proxy.stop().await;
    // keep_public = false: every place is masked.
    let proxy = Proxy::start(&upstream, |c| c.privacy.keep_public = false).await;
    post_json(
        &proxy,
        "/v1/chat/completions",
        &ask("Which countries border Germany?"),
    )
    .await;
    let sent = chat_text(&upstream.last().json());
    assert!(!sent.contains("Germany"), "{sent}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_named_several_ways_is_one_placeholder_and_comes_back_whole() {
    let upstream = echo().await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "Siobhan Murphy asked for the report."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Please reply to Siobhan and copy the Murphy family."}
    ]});
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let sent = upstream.last().json();
    let texts: Vec<String> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts[0], "[PERSON_1] asked for the report.");
    assert_eq!(
        texts[2],
        "Please reply to [PERSON_1] and copy the [PERSON_1] family."
    );
    // A partial name comes back as the full name.
    assert!(
        reply(&answer).contains("Siobhan Murphy"),
        "{}",
        reply(&answer)
    );
    proxy.stop().await;
}

fn policy(action: Action) -> TypePolicy {
    TypePolicy {
        action,
        ..TypePolicy::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_type_policies_keep_allow_deny_block_and_redact() {
    let upstream = echo().await;
    let proxy = Proxy::start(&upstream, |c| {
        let t = &mut c.privacy.types;
        t.insert("EMAIL".into(), policy(Action::Keep));
        t.insert("US_SSN".into(), policy(Action::Block));
        t.insert("SECRET".into(), policy(Action::Redact));
        t.insert(
            "ORGANIZATION".into(),
            TypePolicy {
                deny: vec!["Project Falcon".into()],
                ..TypePolicy::default()
            },
        );
    })
    .await;
    let answer = post_json(
        &proxy,
        "/v1/chat/completions",
        &ask(&format!(
            "Mail {EMAIL} about project falcon, key AKIA4HZQ7XK2M9PLR3TB"
        )),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let sent = chat_text(&upstream.last().json());
    assert_eq!(
        sent,
        format!("Mail {EMAIL} about [ORGANIZATION_1], key [REDACTED]")
    );
    // The redacted key is not put back; the masked term is.
    assert_eq!(
        reply(&answer),
        format!("echo: Mail {EMAIL} about project falcon, key [REDACTED]")
    );
    let forwarded = upstream.requests().len();
    let answer = post_json(
        &proxy,
        "/v1/chat/completions",
        &ask("my SSN is 536-22-8417"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"]["code"], "blocked_entity");
    assert_eq!(answer.json()["error"]["param"], "US_SSN");
    assert!(!answer.text().contains("536-22-8417"));
    assert_eq!(upstream.requests().len(), forwarded, "nothing forwarded");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_forwards_unchanged_and_audits_what_would_have_been_masked() {
    let upstream = echo().await;
    let proxy = Proxy::start(&upstream, |c| c.privacy.report_only = true).await;
    let text = format!("Mail {EMAIL} today");
    post_json(&proxy, "/v1/chat/completions", &ask(&text)).await;
    assert_eq!(chat_text(&upstream.last().json()), text);
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["entities"]["EMAIL"], 1);
    assert!(!record.to_string().contains(EMAIL), "{record}");
}

#[test]
fn unknown_types_in_the_policy_stop_start_up_naming_them() {
    let mut cfg = veilgate::config::Config::default();
    cfg.privacy
        .types
        .insert("NAME".into(), policy(Action::Keep));
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("privacy.types.NAME"), "{err}");
}
