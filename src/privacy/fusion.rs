//! Fusion: one set of non-overlapping spans out of every detector's findings.

use super::Span;

/// Resolves overlaps: the higher score wins, then the longer span, then the earlier one.
/// Returns the kept spans sorted by start.
pub fn resolve(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| !s.is_empty());
    spans.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.len().cmp(&a.len()))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if !kept.iter().any(|k| k.overlaps(&span)) {
            kept.push(span);
        }
    }
    kept.sort_by_key(|s| s.start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::EntityType;

    fn span(start: usize, end: usize, kind: EntityType, score: f32) -> Span {
        Span { start, end, kind, score, source: "test".into() }
    }

    #[test]
    fn higher_score_wins_an_overlap() {
        let kept = resolve(vec![
            span(0, 10, EntityType::Url, 0.6),
            span(2, 8, EntityType::Email, 0.9),
        ]);
        assert_eq!(kept, vec![span(2, 8, EntityType::Email, 0.9)]);
    }

    #[test]
    fn equal_scores_prefer_the_longer_span() {
        let kept = resolve(vec![
            span(0, 4, EntityType::Person, 0.8),
            span(0, 9, EntityType::Person, 0.8),
        ]);
        assert_eq!(kept, vec![span(0, 9, EntityType::Person, 0.8)]);
    }

    #[test]
    fn disjoint_spans_all_stay_in_order() {
        let kept = resolve(vec![
            span(10, 12, EntityType::Id, 0.5),
            span(0, 3, EntityType::Phone, 0.9),
            span(3, 5, EntityType::Id, 0.1),
        ]);
        let starts: Vec<usize> = kept.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![0, 3, 10]);
    }
}
