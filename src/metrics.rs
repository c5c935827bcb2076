//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! Counters and histograms are plain atomics updated once per request (from the audit
//! phase), so the hot path takes no lock but the one for the (route, status) table. No
//! label ever carries request content: only route names, status codes and entity types.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::privacy::EntityType;

/// Upper bounds of the latency buckets, in seconds.
const MASK_BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];
const UPSTREAM_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
const DRAFT_BUCKETS: [f64; 10] = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0];
/// What became of a draft (see `proxy::splice::DraftReport::outcome`).
const DRAFT_OUTCOMES: [&str; 9] = [
    "continued",
    "unconfident",
    "busy",
    "format",
    "ungrounded",
    "late",
    "failed",
    "cloud_error",
    "unmaskable",
];

/// A fixed-bucket histogram of seconds.
struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| seconds <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
        );
    }
}

/// Everything `/metrics` reports.
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    entities: Vec<AtomicU64>,
    mask: Histogram,
    upstream_first_byte: Histogram,
    draft_first_word: Histogram,
    draft_outcomes: Vec<AtomicU64>,
    active_streams: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            entities: EntityType::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            mask: Histogram::new(&MASK_BUCKETS),
            upstream_first_byte: Histogram::new(&UPSTREAM_BUCKETS),
            draft_first_word: Histogram::new(&DRAFT_BUCKETS),
            draft_outcomes: DRAFT_OUTCOMES.iter().map(|_| AtomicU64::new(0)).collect(),
            active_streams: AtomicI64::new(0),
        }
    }
}

/// What one finished request contributes.
pub struct RequestSample<'a> {
    pub route: &'static str,
    pub status: u16,
    pub entities: &'a BTreeMap<EntityType, u32>,
    /// None when the request never reached the mask phase.
    pub mask_ms: Option<f64>,
    pub upstream_first_byte_ms: Option<f64>,
    /// The draft's outcome and its first word's time to the client, when one ran.
    pub draft: Option<(&'static str, Option<f64>)>,
}

impl RequestSample<'static> {
    /// A request that masked nothing and went nowhere: a local route, or one refused before
    /// the pipeline.
    pub fn local(route: &'static str, status: u16) -> Self {
        static NONE: BTreeMap<EntityType, u32> = BTreeMap::new();
        RequestSample {
            route,
            status,
            entities: &NONE,
            mask_ms: None,
            upstream_first_byte_ms: None,
            draft: None,
        }
    }
}

impl Metrics {
    /// Counts one finished request.
    pub fn observe(&self, s: &RequestSample<'_>) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((s.route, s.status))
            .or_insert(0) += 1;
        for (kind, n) in s.entities {
            let i = EntityType::ALL
                .iter()
                .position(|k| k == kind)
                .expect("ALL lists every type");
            self.entities[i].fetch_add(u64::from(*n), Ordering::Relaxed);
        }
        if let Some(ms) = s.mask_ms {
            self.mask.observe(ms / 1e3);
        }
        if let Some(ms) = s.upstream_first_byte_ms {
            self.upstream_first_byte.observe(ms / 1e3);
        }
        if let Some((outcome, first_word_ms)) = s.draft {
            if let Some(i) = DRAFT_OUTCOMES.iter().position(|o| *o == outcome) {
                self.draft_outcomes[i].fetch_add(1, Ordering::Relaxed);
            }
            if let Some(ms) = first_word_ms {
                self.draft_first_word.observe(ms / 1e3);
            }
        }
    }

    /// A streamed reply started (+1) or ended (-1).
    pub fn stream_delta(&self, delta: i64) {
        self.active_streams.fetch_add(delta, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP veilgate_requests_total Requests answered, by route and HTTP status.\n",
        );
        out.push_str("# TYPE veilgate_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "veilgate_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP veilgate_entities_masked_total Values replaced by placeholders, by type.\n",
        );
        out.push_str("# TYPE veilgate_entities_masked_total counter\n");
        for (kind, n) in EntityType::ALL.iter().zip(&self.entities) {
            let _ = writeln!(
                out,
                "veilgate_entities_masked_total{{type=\"{kind}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        self.mask.render(
            &mut out,
            "veilgate_mask_seconds",
            "Time to mask a request body (all detectors).",
        );
        self.upstream_first_byte.render(
            &mut out,
            "veilgate_upstream_first_byte_seconds",
            "From request received to the upstream's response headers.",
        );
        self.draft_first_word.render(
            &mut out,
            "veilgate_draft_first_token_seconds",
            "From request received to the draft's first word sent to the client.",
        );
        out.push_str(
            "# HELP veilgate_draft_openers_total Drafts by outcome (continued: the opener went \
             out and the cloud continued it; the others drafted nothing).\n# TYPE veilgate_draft_openers_total counter\n",
        );
        for (outcome, n) in DRAFT_OUTCOMES.iter().zip(&self.draft_outcomes) {
            let _ = writeln!(
                out,
                "veilgate_draft_openers_total{{outcome=\"{outcome}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP veilgate_active_streams Streamed replies in flight.\n# TYPE veilgate_active_streams gauge\n");
        let _ = writeln!(
            out,
            "veilgate_active_streams {}",
            self.active_streams.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_entities_and_histograms_render_as_prometheus_text() {
        let m = Metrics::default();
        let entities = BTreeMap::from([(EntityType::Email, 2), (EntityType::Person, 1)]);
        for status in [200, 200, 502] {
            m.observe(&RequestSample {
                route: "chat.completions",
                status,
                entities: &entities,
                mask_ms: Some(0.3),
                upstream_first_byte_ms: Some(40.0),
                draft: (status == 200).then_some(("continued", Some(12.0))),
            });
        }
        m.stream_delta(1);
        let text = m.render();
        assert!(
            text.contains("veilgate_requests_total{route=\"chat.completions\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("veilgate_requests_total{route=\"chat.completions\",status=\"502\"} 1")
        );
        assert!(text.contains("veilgate_entities_masked_total{type=\"EMAIL\"} 6"));
        assert!(text.contains("veilgate_entities_masked_total{type=\"PERSON\"} 3"));
        assert!(text.contains("veilgate_mask_seconds_bucket{le=\"0.0005\"} 3"));
        assert!(text.contains("veilgate_mask_seconds_bucket{le=\"0.00025\"} 0"));
        assert!(text.contains("veilgate_upstream_first_byte_seconds_count 3"));
        assert!(text.contains("veilgate_active_streams 1"));
        assert!(text.contains("veilgate_draft_openers_total{outcome=\"continued\"} 2"));
        assert!(text.contains("veilgate_draft_openers_total{outcome=\"late\"} 0"));
        assert!(text.contains("veilgate_draft_first_token_seconds_bucket{le=\"0.02\"} 2"));
    }
}
