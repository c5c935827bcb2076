//! Fusion: one set of non-overlapping spans out of every detector's findings.

use super::Span;

/// Resolves overlaps. Spans of the same type that overlap are one finding seen twice (a
/// phone number with and without its country code): they merge into their union, keeping
/// the best score. Between types, the higher score wins, then the longer span, then the
/// earlier one. Returns the kept spans sorted by start.
pub fn resolve(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| !s.is_empty());
    let mut spans = merge_same_type(spans);
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

/// Unions overlapping spans of one type; the merged span keeps the source of its best part.
fn merge_same_type(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.start.cmp(&b.start)));
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.kind == span.kind && span.start < last.end => {
                last.end = last.end.max(span.end);
                if span.score > last.score {
                    last.score = span.score;
                    last.source = span.source;
                }
            }
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::EntityType;

    fn span(start: usize, end: usize, kind: EntityType, score: f32) -> Span {
        Span {
            start,
            end,
            kind,
            score,
            source: "test".into(),
        }
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
            span(2, 9, EntityType::Location, 0.8),
        ]);
        assert_eq!(kept, vec![span(2, 9, EntityType::Location, 0.8)]);
    }

    #[test]
    fn overlapping_spans_of_one_type_merge_into_their_union() {
        // "+1 415 555 0199": the whole number at 0.7 and the national part at 0.8.
        let kept = resolve(vec![
            span(3, 18, EntityType::Phone, 0.7),
            span(6, 18, EntityType::Phone, 0.8),
        ]);
        assert_eq!(kept, vec![span(3, 18, EntityType::Phone, 0.8)]);
    }

    #[test]
    fn adjacent_spans_of_one_type_stay_apart() {
        let kept = resolve(vec![
            span(0, 5, EntityType::Email, 0.9),
            span(5, 9, EntityType::Email, 0.9),
        ]);
        assert_eq!(kept.len(), 2);
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
