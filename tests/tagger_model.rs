//! The committed tagger (models/tagger, embedded in the binary) on fixed sentences written
//! for this test and for the model card (models/tagger/examples.jsonl; none come from the
//! evaluation sets): it finds the names it must, tells "Washington" the person from the
//! place by context, and finds nothing in plain sentences.

use serde_json::Value;
use veilgate::privacy::tagger::{Tagger, TaggerOptions};
use veilgate::privacy::{Detector, Span};

fn examples() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/tagger/examples.jsonl");
    std::fs::read_to_string(path)
        .expect("models/tagger/examples.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an example is JSON"))
        .collect()
}

fn found(tagger: &Tagger, text: &str) -> Vec<(String, String)> {
    let mut out = vec![Vec::<Span>::new()];
    tagger.detect(&[text], &mut out).unwrap();
    let mut got: Vec<(String, String)> = out[0]
        .iter()
        .map(|s| {
            (
                text[s.start..s.end].to_string(),
                s.kind.as_str().to_string(),
            )
        })
        .collect();
    got.sort();
    got
}

/// What `found` gives, plus each score's bits: a batch must not move a score at all.
fn found_exactly(tagger: &Tagger, text: &str) -> Vec<(String, String, u32)> {
    let mut out = vec![Vec::<Span>::new()];
    tagger.detect(&[text], &mut out).unwrap();
    let mut got: Vec<_> = out[0]
        .iter()
        .map(|s| {
            let kind = s.kind.as_str().to_string();
            (text[s.start..s.end].to_string(), kind, s.score.to_bits())
        })
        .collect();
    got.sort();
    got
}

fn expected(example: &Value) -> Vec<(String, String)> {
    let mut want: Vec<(String, String)> = example["entities"]
        .as_array()
        .expect("entities list")
        .iter()
        .map(|e| {
            (
                e["text"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    want.sort();
    want
}

#[test]
fn the_shipped_model_gets_its_must_pass_sentences_right() {
    let tagger = Tagger::load(&TaggerOptions::default()).expect("the embedded tagger loads");
    let examples = examples();
    let must: Vec<&Value> = examples.iter().filter(|e| e["must_pass"] == true).collect();
    assert!(must.len() >= 10, "at least ten must-pass sentences");
    assert!(
        must.iter().any(|e| expected(e).is_empty()),
        "plain sentences are among them"
    );
    let mut failures = Vec::new();
    for e in must {
        let text = e["text"].as_str().unwrap();
        let (got, want) = (found(&tagger, text), expected(e));
        if got != want {
            failures.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn washington_is_a_person_or_a_place_by_context() {
    let tagger = Tagger::load(&TaggerOptions::default()).expect("the embedded tagger loads");
    let person = found(&tagger, "Washington signed the bill after a long debate.");
    assert_eq!(
        person,
        vec![("Washington".to_string(), "PERSON".to_string())]
    );
    let place = found(&tagger, "She moved to Washington last year for a new job.");
    assert_eq!(
        place,
        vec![("Washington".to_string(), "LOCATION".to_string())]
    );
}

#[test]
fn concurrent_requests_share_model_calls_and_find_what_they_would_alone() {
    let tagger = Tagger::load(&TaggerOptions::default()).unwrap();
    let texts: Vec<String> = examples()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    let alone: Vec<_> = texts.iter().map(|t| found_exactly(&tagger, t)).collect();
    let before = tagger.calls();
    let rounds = 3;
    for _ in 0..rounds {
        let start = std::sync::Barrier::new(texts.len());
        let together: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .iter()
                .map(|t| {
                    let (tagger, start) = (&tagger, &start);
                    s.spawn(move || {
                        start.wait();
                        found_exactly(tagger, t)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            together, alone,
            "batched with others, a text gets the same entities with the same scores"
        );
    }
    let after = tagger.calls();
    let windows = after.windows - before.windows;
    let calls = after.calls - before.calls;
    assert_eq!(
        windows,
        (rounds * texts.len()) as u64,
        "one window per sentence"
    );
    assert!(
        calls < windows,
        "{windows} windows from {} threads at once took {calls} model calls",
        texts.len()
    );
}
