//! Everyday words are not people or places: ordinary assistant prompts with no personal
//! data (coding, translation, maths, writing; tests/data/ordinary_prompts.txt) go through
//! the shipped masker, rules and tagger, and the share that reaches the cloud unchanged is
//! measured against the bar (98 %). Prompts that change are printed with what was masked,
//! so a failure says exactly which words the detectors took for names.

use veilgate::config::PrivacyConfig;
use veilgate::privacy::{build_masker, Vault};

const BAR: f64 = 0.98;

#[test]
fn ordinary_prompts_reach_the_cloud_unchanged() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ordinary_prompts.txt"
    );
    let prompts: Vec<String> = std::fs::read_to_string(path)
        .expect("tests/data/ordinary_prompts.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(
        prompts.len() >= 200,
        "the set has {} prompts",
        prompts.len()
    );
    let masker = build_masker(&PrivacyConfig::default()).expect("rules and tagger load");
    let mut changed = Vec::new();
    for prompt in &prompts {
        let mut text = prompt.clone();
        masker
            .mask(&mut [&mut text], &mut Vault::new())
            .expect("masking works");
        if text != *prompt {
            changed.push(text);
        }
    }
    let unchanged = 1.0 - changed.len() as f64 / prompts.len() as f64;
    println!(
        "ordinary prompts unchanged: {}/{} = {:.1} %",
        prompts.len() - changed.len(),
        prompts.len(),
        unchanged * 100.0
    );
    for text in &changed {
        println!("  changed: {text}");
    }
    assert!(
        unchanged >= BAR,
        "{:.1} % unchanged, bar {:.0} %",
        unchanged * 100.0,
        BAR * 100.0
    );
}
