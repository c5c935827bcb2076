//! Masking latency percentiles on this machine: p50/p90/p99 of the tagger alone, the rules
//! alone and the whole mask phase, for 1 KB and 16 KB chat messages; then the tagger under
//! concurrent requests (do they queue behind one another?); then a conversation: the mask
//! phase of turn 1 and turn 20, with the detection cache as shipped and without it.
//!
//! The per-request figures mask the same body again and again, so they run with the
//! detection cache off: they measure the detectors on text they have not seen.
//!
//! `cargo bench --bench mask_latency -- [--iterations N]`

mod common;

use std::sync::Arc;
use std::time::Instant;

use veilgate::api::Route;
use veilgate::config::{Config, PrivacyConfig};
use veilgate::privacy::tagger::{Tagger, TaggerOptions};
use veilgate::privacy::{build_masker, Detector};
use veilgate::proxy::mask::{mask_body, MaskPolicy};

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
    let uncached = PrivacyConfig {
        detect_cache_entries: 0,
        ..defaults.clone()
    };
    let rules = build_masker(&PrivacyConfig {
        tagger: false,
        ..uncached.clone()
    })
    .unwrap();
    let full = build_masker(&uncached).unwrap();
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
            mask_body(
                &rules,
                Route::ChatCompletions,
                body.clone(),
                &MaskPolicy::default(),
            )
            .unwrap();
        });
        println!("rules only    {label:>5}  {}", percentiles(t));
        let t = time(iterations, || {
            mask_body(
                &full,
                Route::ChatCompletions,
                body.clone(),
                &MaskPolicy::default(),
            )
            .unwrap();
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
                        mask_body(
                            &full,
                            Route::ChatCompletions,
                            body.clone(),
                            &MaskPolicy::default(),
                        )
                        .unwrap();
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
    conversation(&build_masker(&defaults).unwrap(), &full, iterations / 6);
}

/// Clients resend the whole history every turn. Turn `k`'s body holds `k` user messages of
/// about 200 bytes (each new to the masker) and `k - 1` replies; with the cache the masker
/// has seen turns 1..k-1 as the earlier requests of the same chat, as it would in service.
fn conversation(
    cached: &veilgate::privacy::Masker,
    uncached: &veilgate::privacy::Masker,
    n: usize,
) {
    let body = |chat: usize, turns: usize| {
        let mut messages = vec![
            serde_json::json!({"role": "system", "content": "You are a helpful support assistant."}),
        ];
        for k in 1..=turns {
            let text = format!("Chat {chat}, turn {k}: {}", common::text(200));
            messages.push(serde_json::json!({"role": "user", "content": text}));
            if k < turns {
                let reply = format!("Reply {k} in chat {chat}: noted, I will follow up.");
                messages.push(serde_json::json!({"role": "assistant", "content": reply}));
            }
        }
        serde_json::json!({"model": "gpt-4o-mini", "messages": messages})
    };
    let mut chat = 0;
    for turn in [1, 20] {
        for (label, masker) in [("cache on", cached), ("cache off", uncached)] {
            let times: Vec<f64> = (0..n.max(5))
                .map(|_| {
                    chat += 1;
                    if label == "cache on" {
                        for earlier in 1..turn {
                            mask_body(
                                masker,
                                Route::ChatCompletions,
                                body(chat, earlier),
                                &MaskPolicy::default(),
                            )
                            .unwrap();
                        }
                    }
                    let this = body(chat, turn);
                    let t = Instant::now();
                    mask_body(masker, Route::ChatCompletions, this, &MaskPolicy::default())
                        .unwrap();
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            println!(
                "conversation turn {turn:>2}, {label:<9}  {}",
                percentiles(times)
            );
        }
    }
}
