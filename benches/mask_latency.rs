//! Masking latency percentiles on this machine: p50/p90/p99 of the tagger alone, the rules
//! alone and the whole mask phase, for 1 KB and 16 KB chat messages; then the tagger under
//! concurrent requests (do they queue behind one another?).
//!
//! `cargo bench --bench mask_latency -- [--iterations N]`

mod common;

use std::sync::Arc;
use std::time::Instant;

use veilgate::api::Route;
use veilgate::config::{Config, PrivacyConfig};
use veilgate::privacy::tagger::{Tagger, TaggerOptions};
use veilgate::privacy::{build_masker, Detector};
use veilgate::proxy::mask::mask_body;

fn percentiles(mut us: Vec<f64>) -> String {
    us.sort_by(f64::total_cmp);
    let p = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize] / 1000.0;
    format!(
        "p50 {:7.3} ms   p90 {:7.3} ms   p99 {:7.3} ms",
        p(0.5),
        p(0.9),
        p(0.99)
    )
}

fn time(iterations: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..iterations.min(20) {
        f();
    }
    (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let iterations = argv
        .iter()
        .position(|a| a == "--iterations")
        .and_then(|i| argv.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    // The configuration a user would run with (VEILGATE__PRIVACY__… variables apply).
    let defaults = Config::load(None).expect("configuration").privacy;
    let tagger = Arc::new(
        Tagger::load(&TaggerOptions {
            model_dir: defaults.tagger_model.clone(),
            threads: defaults.tagger_threads,
            sessions: defaults.tagger_sessions,
            ..TaggerOptions::default()
        })
        .expect("tagger loads"),
    );
    let rules = build_masker(&PrivacyConfig {
        tagger: false,
        ..defaults.clone()
    })
    .unwrap();
    let full = build_masker(&defaults).unwrap();
    println!(
        "{iterations} iterations each; tagger: {} threads x {} sessions",
        defaults.tagger_threads, defaults.tagger_sessions
    );
    for (label, size) in [("1KB", 1024), ("16KB", 16 * 1024)] {
        let text = common::text(size);
        let body = common::chat_body(size);
        let t = time(iterations, || {
            let mut out = vec![Vec::new()];
            tagger.detect(&[&text], &mut out).unwrap();
        });
        println!("tagger alone  {label:>5}  {}", percentiles(t));
        let t = time(iterations, || {
            mask_body(&rules, Route::ChatCompletions, body.clone()).unwrap();
        });
        println!("rules only    {label:>5}  {}", percentiles(t));
        let t = time(iterations, || {
            mask_body(&full, Route::ChatCompletions, body.clone()).unwrap();
        });
        println!("full masking  {label:>5}  {}", percentiles(t));
    }
    // Concurrency: N threads each masking 1 KB back to back; per-request latency and total rate.
    let body = common::chat_body(1024);
    let full = Arc::new(full);
    for threads in [1, 2, 4] {
        let start = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (full, body) = (full.clone(), body.clone());
                std::thread::spawn(move || {
                    time(iterations / 2, || {
                        mask_body(&full, Route::ChatCompletions, body.clone()).unwrap();
                    })
                })
            })
            .collect();
        let all: Vec<f64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let rate = all.len() as f64 / start.elapsed().as_secs_f64();
        println!(
            "full 1KB, {threads} concurrent  {}   {rate:7.0} req/s",
            percentiles(all)
        );
    }
}
