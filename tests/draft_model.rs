//! The shipped draft model through the engine, and the loader's checks.

use std::path::Path;

use veilgate::draft::opener::Grounding;
use veilgate::draft::{DraftModel, DraftOptions, Stop, Turn};

fn model(tweak: impl FnOnce(&mut DraftOptions)) -> DraftModel {
    let mut opts = DraftOptions::default();
    tweak(&mut opts);
    DraftModel::load(&opts).expect("the shipped draft model loads")
}

/// The engine's mechanics without the rules that decide whether an opener is worth showing
/// (grounding, the shortest fragment), which the test below checks on their own.
fn mechanics_only(o: &mut DraftOptions) {
    o.grounded = false;
    o.min_words = 1;
}

fn ask(m: &DraftModel, prompt: &str) -> (veilgate::draft::Draft, Vec<String>) {
    let mut words = Vec::new();
    let d = m
        .draft(&[Turn::new("user", prompt)], &mut |w| {
            words.push(w.to_owned());
            true
        })
        .unwrap();
    (d, words)
}

#[test]
fn the_shipped_model_drafts_whole_words_and_repeats_itself() {
    let m = model(|o| {
        o.start_threshold = 0.0;
        o.stop_threshold = 0.0;
        mechanics_only(o);
    });
    for prompt in [
        "What is the capital of France?",
        "Tell me about the history of Rome.",
        "Explain how a refrigerator works.",
    ] {
        let (d, words) = ask(&m, prompt);
        assert!(d.drafted, "{prompt}: nothing drafted ({:?})", d.stop);
        assert_eq!(
            words.concat(),
            d.text,
            "the words handed out are the opener"
        );
        assert_eq!(d.text.trim(), d.text, "an opener ends on a whole word");
        assert!(d.words >= 1 && d.words <= 6, "{} words", d.words);
        assert!(d.first_word_ms.is_some());
        assert!(d.tokens <= 24);
        assert_eq!(
            ask(&m, prompt).0.text,
            d.text,
            "greedy drafting is deterministic"
        );
    }
}

#[test]
fn the_shipped_model_asserts_nothing_the_user_did_not_say() {
    let m = model(|_| {});
    let prompts = [
        "What is the capital of Australia?",
        "What is the best way to answer an interview question?",
        "What is the difference between a guitar and bass?",
        "What is a secured loan?",
        "How are weather forecasts created?",
        "Why is the sky blue?",
        "How can I improve my sleep?",
        "Explain how a refrigerator works.",
    ];
    let mut drafted = 0;
    for prompt in prompts {
        let (d, _) = ask(&m, prompt);
        if !d.drafted {
            continue;
        }
        drafted += 1;
        let ground = Grounding::new([prompt]);
        for word in d.text.split_whitespace() {
            assert!(ground.holds(word), "{prompt:?} -> {:?}: {word:?}", d.text);
        }
        assert!(
            d.words >= 3 || matches!(d.stop, Stop::Sentence | Stop::Line | Stop::Eos),
            "{prompt:?} -> {:?}: a fragment",
            d.text
        );
    }
    assert!(drafted >= 3, "only {drafted} of {} drafted", prompts.len());
}

#[test]
fn unconfident_first_tokens_draft_nothing() {
    let m = model(|o| o.start_threshold = 1.01);
    let (d, words) = ask(&m, "What is the capital of France?");
    assert!(!d.drafted);
    assert_eq!(d.stop, Stop::Unconfident);
    assert!(words.is_empty() && d.text.is_empty());
}

#[test]
fn a_listener_that_goes_away_stops_the_draft() {
    let m = model(|o| {
        o.start_threshold = 0.0;
        o.stop_threshold = 0.0;
        mechanics_only(o);
    });
    let d = m
        .draft(
            &[Turn::new("user", "Tell me a long story about the sea.")],
            &mut |_| false,
        )
        .unwrap();
    assert_eq!(d.stop, Stop::Cancelled);
    assert!(!d.drafted);
}

#[test]
fn only_the_tail_of_a_long_conversation_is_read() {
    let m = model(|o| o.context_tokens = 128);
    let long = "word ".repeat(5_000);
    let turns: Vec<Turn> = (0..20)
        .flat_map(|_| {
            [
                Turn::new("user", long.as_str()),
                Turn::new("assistant", "ok"),
            ]
        })
        .chain([Turn::new("user", "And now?")])
        .collect();
    let d = m.draft(&turns, &mut |_| true).unwrap();
    assert!(d.prompt_tokens <= 128, "{} prompt tokens", d.prompt_tokens);
}

#[test]
fn a_model_without_a_key_value_cache_is_refused_clearly() {
    // The tagger is an ONNX model with the right tokenizer files next to it, but it is an
    // encoder: no past_key_values inputs.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("models/tagger/model.onnx"),
        dir.path().join("model.onnx"),
    )
    .unwrap();
    for f in ["tokenizer.json", "config.json", "tokenizer_config.json"] {
        std::fs::copy(root.join("models/draft").join(f), dir.path().join(f)).unwrap();
    }
    let opts = DraftOptions {
        model_dir: Some(dir.path().to_path_buf()),
        ..DraftOptions::default()
    };
    let err = format!("{:#}", DraftModel::load(&opts).err().expect("refused"));
    assert!(err.contains("does not fit a causal LM"), "{err}");
    assert!(err.contains("past_key_values"), "{err}");

    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let err = format!("{:#}", DraftModel::load(&opts).err().expect("refused"));
    assert!(err.contains("cannot read tokenizer.json"), "{err}");
}

#[test]
fn a_draft_that_finds_every_session_busy_steps_aside_at_once() {
    let m = model(|o| {
        o.sessions = 1;
        o.start_threshold = 0.0;
        o.stop_threshold = 0.0;
        mechanics_only(o);
    });
    let (holding, held) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let m = &m;
    std::thread::scope(|s| {
        let first = s.spawn(move || {
            // The sink runs while the draft holds its session: keep it there.
            m.draft(&[Turn::new("user", "Tell me about the sea.")], &mut |_| {
                let _ = holding.send(());
                let _ = released.recv();
                true
            })
            .unwrap()
        });
        held.recv().expect("the first draft wrote a word");
        let started = std::time::Instant::now();
        let (d, words) = ask(m, "What is the capital of France?");
        let waited = started.elapsed();
        drop(release);
        assert_eq!(d.stop, Stop::Busy);
        assert!(!d.drafted && words.is_empty() && d.tokens == 0);
        assert!(waited.as_millis() < 50, "stepped aside after {waited:?}");
        assert!(first.join().unwrap().drafted, "the first draft went on");
    });
    let (d, _) = ask(m, "What is the capital of France?");
    assert!(d.drafted, "with the session free again, drafting resumes");
}
