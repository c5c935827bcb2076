//! The draft's fit rules measured (src/draft/fit.rs): prompts that fix the form of the
//! answer and prompts in other languages are gated out, ordinary English prompts are not.
//! Sets: tests/data/constrained_prompts.txt and other_language_prompts.txt (written for this
//! test), and the prompts of ../shared/data/draft/draft_heldout.jsonl (real Dolly and OASST1
//! prompts, English, never used to write the rules). Each figure is printed; the bars are
//! the ones the README quotes.

use veilgate::draft::fit::{constrains_form, looks_english};

fn lines(name: &str) -> Vec<String> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn share(items: &[String], f: impl Fn(&str) -> bool) -> f64 {
    items.iter().filter(|p| f(p)).count() as f64 / items.len() as f64
}

#[test]
fn prompts_that_fix_the_form_of_the_answer_are_not_drafted() {
    let constrained = lines("constrained_prompts.txt");
    let recall = share(&constrained, constrains_form);
    println!(
        "constrained prompts gated out: {:.1} % of {}",
        recall * 100.0,
        constrained.len()
    );
    for p in constrained.iter().filter(|p| !constrains_form(p)) {
        println!("  missed: {p}");
    }
    assert!(recall >= 0.95, "{recall}");
}

#[test]
fn prompts_in_other_languages_are_not_drafted() {
    let foreign = lines("other_language_prompts.txt");
    let rejected = share(&foreign, |p| !looks_english(p));
    println!(
        "other-language prompts gated out: {:.1} % of {}",
        rejected * 100.0,
        foreign.len()
    );
    for p in foreign.iter().filter(|p| looks_english(p)) {
        println!("  read as English: {p}");
    }
    assert!(rejected >= 0.95, "{rejected}");
}

#[test]
fn ordinary_english_prompts_are_still_drafted() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/draft/draft_heldout.jsonl"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("skipped: {path} is not there");
        return;
    };
    let prompts: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["prompt"].as_str().map(str::to_owned))
        .collect();
    assert!(prompts.len() >= 500);
    let english = share(&prompts, looks_english);
    let free = share(&prompts, |p| !constrains_form(p));
    println!(
        "held-out English prompts: read as English {:.1} %, form left free {:.1} % (of {})",
        english * 100.0,
        free * 100.0,
        prompts.len()
    );
    assert!(english >= 0.97, "{english}");
    assert!(free >= 0.90, "{free}");
}
