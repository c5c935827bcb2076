//! Masking latency: the whole mask phase (decode, detect, rewrite, encode) of chat bodies of
//! about 1 KB and 16 KB, as the proxy runs it per request.
//!
//! `cargo bench --bench mask`

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};
use veilgate::api::Route;
use veilgate::proxy::mask::mask_body;

/// Prose an assistant user might send, with a few structured values every ~400 bytes.
/// Written for this bench; nothing comes from the evaluation sets.
const PARAGRAPHS: [&str; 4] = [
    "Hi, I need help drafting a reply to a customer who wrote in about a delayed shipment. \
     They were polite but frustrated, and I want to apologise without promising a date we cannot keep. ",
    "For context, their account email is sam.porter@bridges-mail.com and they paid with card \
     5500 0000 0000 0004 last Tuesday; the order is still marked as processing in our dashboard. ",
    "Please keep the tone warm and brief, mention that our logistics team is on it, and offer \
     a ten percent voucher for the next order. Avoid legal language and keep it under 150 words. ",
    "If they need to reach us, the support line is +44 20 7946 0958 and refunds go to IBAN \
     GB82 WEST 1234 5698 7654 32 once approved by finance, usually within five working days. ",
];

fn chat_body(bytes: usize) -> Value {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
        i += 1;
    }
    text.truncate(text.floor_char_boundary(bytes));
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": text}
    ]})
}

fn bench(c: &mut Criterion) {
    let masker = veilgate::privacy::rules::load(None)
        .expect("embedded rules")
        .into_masker();
    let mut group = c.benchmark_group("mask_phase_rules");
    for (label, size) in [("1KB", 1024), ("16KB", 16 * 1024)] {
        let raw = serde_json::to_vec(&chat_body(size)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(label), &raw, |b, raw| {
            b.iter(|| {
                let value: Value = serde_json::from_slice(black_box(raw)).unwrap();
                let masked = mask_body(&masker, Route::ChatCompletions, value).unwrap();
                black_box(serde_json::to_vec(&masked.body).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
