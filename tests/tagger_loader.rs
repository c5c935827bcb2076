//! The tagger loader with hand-built lookup models (tests/fixtures, made by
//! make_tagger_fixtures.py): it takes Hugging Face-shaped exports, maps their labels, windows
//! long texts, and refuses models that do not fit with an error that says why.

use std::path::PathBuf;

use veilgate::privacy::tagger::{Tagger, TaggerOptions};
use veilgate::privacy::{Detector, EntityType, Span};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> anyhow::Result<Tagger> {
    Tagger::load(&TaggerOptions {
        model_dir: Some(fixture(name)),
        ..TaggerOptions::default()
    })
}

fn found(tagger: &Tagger, text: &str) -> Vec<(String, EntityType)> {
    let mut out = vec![Vec::<Span>::new()];
    tagger.detect(&[text], &mut out).unwrap();
    out[0]
        .iter()
        .map(|s| (text[s.start..s.end].to_string(), s.kind))
        .collect()
}

#[test]
fn a_token_classifier_export_finds_its_entities() {
    let tagger = load("tagger_ok").unwrap();
    assert_eq!(
        found(&tagger, "Ada Lovelace met the cat in Paris."),
        vec![
            ("Ada Lovelace".into(), EntityType::Person),
            ("Paris".into(), EntityType::Location)
        ]
    );
    assert_eq!(found(&tagger, "the cat met the cat."), vec![]);
}

#[test]
fn token_type_ids_are_fed_when_the_model_wants_them() {
    let tagger = load("tagger_with_token_types").unwrap();
    assert_eq!(
        found(&tagger, "met in Paris"),
        vec![("Paris".into(), EntityType::Location)]
    );
}

#[test]
fn texts_longer_than_the_window_are_tagged_in_overlapping_windows() {
    // The fixture's window is 16 tokens; this text is ~90.
    let tagger = load("tagger_ok").unwrap();
    let text = "the cat met Ada Lovelace in Paris, ".repeat(10);
    let got = found(&tagger, &text);
    assert_eq!(
        got.iter().filter(|(_, k)| *k == EntityType::Person).count(),
        10,
        "{got:?}"
    );
    assert_eq!(
        got.iter()
            .filter(|(_, k)| *k == EntityType::Location)
            .count(),
        10,
        "{got:?}"
    );
}

#[test]
fn a_batch_of_texts_keeps_each_texts_findings_apart() {
    let tagger = load("tagger_ok").unwrap();
    let mut out = vec![Vec::new(), Vec::new(), Vec::new()];
    tagger
        .detect(&["Paris", "12345", "Ada met the cat"], &mut out)
        .unwrap();
    assert_eq!(out[0].len(), 1);
    assert!(out[1].is_empty());
    assert_eq!(
        (out[2][0].start, out[2][0].end, out[2][0].kind),
        (0, 3, EntityType::Person)
    );
}

#[test]
fn models_that_do_not_fit_are_refused_with_the_reason() {
    for (name, says) in [
        ("tagger_no_mask", "attention_mask"),
        ("tagger_extra_input", "pixel_values"),
        ("tagger_rank2_output", "rank 2"),
        (
            "tagger_label_mismatch",
            "3 classes but config.json names 5 labels",
        ),
    ] {
        let err = format!(
            "{:#}",
            load(name).err().unwrap_or_else(|| panic!("{name} loaded"))
        );
        assert!(err.contains(says), "{name}: {err}");
        assert!(
            err.contains(name),
            "the error names the model directory: {err}"
        );
    }
}

#[test]
fn missing_or_corrupt_files_are_refused() {
    let err = format!("{:#}", load("no_such_model").err().unwrap());
    assert!(
        err.contains("no_such_model") && err.contains("model.onnx"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    for f in ["tokenizer.json", "config.json"] {
        std::fs::copy(fixture("tagger_ok").join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("model.onnx"), b"not an onnx model").unwrap();
    let err = format!(
        "{:#}",
        Tagger::load(&TaggerOptions {
            model_dir: Some(dir.path().into()),
            ..Default::default()
        })
        .err()
        .unwrap()
    );
    assert!(err.contains("not a loadable ONNX model"), "{err}");
}
