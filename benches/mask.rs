//! Masking latency (criterion): the tagger alone on messages of about 1 KB and 16 KB, and
//! the whole mask phase (decode, detect, rewrite, encode) of chat bodies of those sizes,
//! rules only and rules + tagger, as the proxy runs it per request. Percentiles:
//! `cargo bench --bench mask_latency`.
//!
//! `cargo bench --bench mask`

mod common;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::Value;
use veilgate::api::Route;
use veilgate::config::{Config, PrivacyConfig};
use veilgate::privacy::tagger::{Tagger, TaggerOptions};
use veilgate::privacy::{build_masker, Detector};
use veilgate::proxy::mask::{mask_body, MaskPolicy};

fn bench(c: &mut Criterion) {
    let privacy = Config::load(None).expect("configuration").privacy;
    let tagger = Tagger::load(&TaggerOptions {
        model_dir: privacy.tagger_model.clone(),
        onnxruntime: privacy.onnxruntime.clone(),
        threads: privacy.tagger_threads,
        sessions: privacy.tagger_sessions,
        min_score: privacy.tagger_min_score,
        ..TaggerOptions::default()
    })
    .expect("tagger loads");
    let mut g = c.benchmark_group("tagger_alone");
    g.sample_size(20);
    for (label, size) in [("1KB", 1024), ("16KB", 16 * 1024)] {
        let text = common::text(size);
        g.bench_with_input(BenchmarkId::from_parameter(label), &text, |b, text| {
            b.iter(|| {
                let mut out = vec![Vec::new()];
                tagger
                    .detect(&[black_box(text.as_str())], &mut out)
                    .unwrap();
                black_box(out)
            })
        });
    }
    g.finish();
    for (group, tagger) in [("mask_phase_rules", false), ("mask_phase_full", true)] {
        // The configuration a user would run with (VEILGATE__PRIVACY__… variables apply).
        let privacy = Config::load(None).expect("configuration").privacy;
        // The same body again and again: the detection cache off, so that every iteration
        // runs the detectors as a new text would.
        let masker = build_masker(&PrivacyConfig {
            tagger,
            detect_cache_entries: 0,
            ..privacy
        })
        .expect("detectors load");
        let mut g = c.benchmark_group(group);
        if tagger {
            g.sample_size(20);
        }
        for (label, size) in [("1KB", 1024), ("16KB", 16 * 1024)] {
            let raw = serde_json::to_vec(&common::chat_body(size)).unwrap();
            g.bench_with_input(BenchmarkId::from_parameter(label), &raw, |b, raw| {
                b.iter(|| {
                    let value: Value = serde_json::from_slice(black_box(raw)).unwrap();
                    let masked = mask_body(
                        &masker,
                        Route::ChatCompletions,
                        value,
                        &MaskPolicy::default(),
                    )
                    .unwrap();
                    black_box(serde_json::to_vec(&masked.body).unwrap())
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
