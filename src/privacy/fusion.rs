//! Fusion: one set of non-overlapping spans out of every detector's findings.

use super::Span;

/// Resolves overlaps. Between rule findings (and between model findings), spans of one type
/// that overlap are one finding seen twice and merge into their union; between types the
/// higher score wins, then the longer span (rule authors order their rules by score).
/// Between the model and the rules, the rules win whole: their matches passed a checksum or
/// a format check and have exact bounds, so a model span that overlaps one is dropped (a
/// phone number stays one phone number even where the model called "(415)" an address). One
/// exception: a model span of the same type that contains a rule match is the same value
/// read wider ("12 Elm Street" by the rule, "12 Elm Street, Springfield IL 62704" by the
/// model), and the match grows to it, when it overlaps no other match.
/// Returns disjoint spans sorted by start.
pub fn resolve(spans: Vec<Span>) -> Vec<Span> {
    let (model, rules): (Vec<Span>, Vec<Span>) = spans
        .into_iter()
        .filter(|s| !s.is_empty())
        .partition(|s| s.source.starts_with("tagger"));
    let mut kept = by_score(rules);
    let ruled = kept.len();
    for span in by_score(model) {
        let hits: Vec<usize> = (0..ruled).filter(|&i| kept[i].overlaps(&span)).collect();
        match hits[..] {
            [] => kept.push(span),
            [i] if kept[i].kind == span.kind
                && span.start <= kept[i].start
                && kept[i].end <= span.end =>
            {
                (kept[i].start, kept[i].end) = (span.start, span.end);
            }
            _ => {}
        }
    }
    kept.sort_by_key(|s| s.start);
    kept
}

/// One detector family's spans without overlaps: same-type unions, then score, then length.
fn by_score(spans: Vec<Span>) -> Vec<Span> {
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

    fn model(start: usize, end: usize, kind: EntityType, score: f32) -> Span {
        Span {
            start,
            end,
            kind,
            score,
            source: "tagger".into(),
        }
    }

    #[test]
    fn between_rules_the_higher_score_wins() {
        let kept = resolve(vec![
            span(0, 10, EntityType::Url, 0.6),
            span(2, 8, EntityType::Email, 0.9),
        ]);
        assert_eq!(kept, vec![span(2, 8, EntityType::Email, 0.9)]);
    }

    #[test]
    fn rule_matches_win_whole_against_model_spans() {
        // "(415) 555-0178": PHONE by rule; the model calls "(415)" and "555" addresses.
        let kept = resolve(vec![
            span(0, 14, EntityType::Phone, 0.6),
            model(0, 5, EntityType::Address, 0.79),
            model(6, 9, EntityType::Address, 0.7),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].start, kept[0].end, kept[0].kind),
            (0, 14, EntityType::Phone)
        );
        // A model span with a sloppy edge does not stretch an exact rule match.
        let kept = resolve(vec![
            span(0, 10, EntityType::Email, 0.9),
            model(5, 14, EntityType::Person, 0.8),
        ]);
        assert_eq!(kept, vec![span(0, 10, EntityType::Email, 0.9)]);
    }

    #[test]
    fn a_model_span_of_the_same_type_widens_the_rule_match_it_contains() {
        let got = resolve(vec![
            span(0, 13, EntityType::Address, 0.8),
            model(0, 40, EntityType::Address, 0.7),
        ]);
        assert_eq!((got.len(), got[0].start, got[0].end), (1, 0, 40));
        // Another type, or a model span that also reaches a second match: the rules win whole.
        let got = resolve(vec![
            span(0, 13, EntityType::Phone, 0.8),
            model(0, 40, EntityType::Address, 0.7),
        ]);
        assert_eq!((got.len(), got[0].end), (1, 13));
        let got = resolve(vec![
            span(0, 13, EntityType::Address, 0.8),
            span(20, 30, EntityType::Email, 0.9),
            model(0, 40, EntityType::Address, 0.7),
        ]);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].end, got[1].start), (13, 20));
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
