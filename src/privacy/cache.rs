//! What the detectors found in a text, remembered by a keyed hash of the text, so that the
//! cost of a request grows with its new text and not with the conversation: clients resend
//! the whole history every turn, and turn 20 would otherwise run the tagger over the 19
//! earlier turns again.
//!
//! The cache holds spans only (offsets, types, scores, sources), never text: the key is a
//! 128-bit hash of the text under two keys drawn at random when the process starts, so
//! neither the text nor a dictionary-attackable digest of it is kept. Memory is bounded: two
//! generations of at most `capacity / 2` entries each; when the young one is full it becomes
//! the old one and the previous old one is dropped, and a hit in the old generation moves
//! the entry to the young one (an LRU approximation with O(1) work per look-up).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use super::Span;

/// Detection results per text, bounded, shared by all requests.
pub struct DetectCache {
    keys: (RandomState, RandomState),
    half: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<u128, Arc<[Span]>>,
    old: HashMap<u128, Arc<[Span]>>,
}

impl DetectCache {
    /// A cache of at most `capacity` texts' results (at least 2).
    pub fn new(capacity: usize) -> DetectCache {
        DetectCache {
            keys: (RandomState::new(), RandomState::new()),
            half: (capacity / 2).max(1),
            generations: Mutex::default(),
        }
    }

    /// The keyed 128-bit hash a text is remembered by.
    pub fn key(&self, text: &str) -> u128 {
        let half = |state: &RandomState| state.hash_one(text) as u128;
        (half(&self.keys.0) << 64) | half(&self.keys.1)
    }

    /// The spans found in the text with this key, if remembered.
    pub fn get(&self, key: u128) -> Option<Arc<[Span]>> {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(spans) = g.young.get(&key) {
            return Some(spans.clone());
        }
        let spans = g.old.remove(&key)?;
        g.insert(key, spans.clone(), self.half);
        Some(spans)
    }

    /// Remembers the spans found in the text with this key.
    pub fn put(&self, key: u128, spans: Arc<[Span]>) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.insert(key, spans, self.half);
    }

    /// Texts remembered now.
    pub fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.young.len() + g.old.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Generations {
    fn insert(&mut self, key: u128, spans: Arc<[Span]>, half: usize) {
        if self.young.len() >= half {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, spans);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::EntityType;

    fn spans(start: usize) -> Arc<[Span]> {
        Arc::from(vec![Span {
            start,
            end: start + 3,
            kind: EntityType::Person,
            score: 0.9,
            source: "test".into(),
        }])
    }

    #[test]
    fn remembers_by_text_and_tells_texts_apart() {
        let cache = DetectCache::new(8);
        let (a, b) = (cache.key("Ada wrote it"), cache.key("Ada wrote it."));
        assert_ne!(a, b);
        assert_eq!(cache.key("Ada wrote it"), a);
        cache.put(a, spans(0));
        assert_eq!(cache.get(a).unwrap()[0].start, 0);
        assert!(cache.get(b).is_none());
    }

    #[test]
    fn keys_differ_between_caches() {
        // Each cache (each process) has keys of its own: a key says nothing about the text
        // to anyone without them.
        assert_ne!(
            DetectCache::new(2).key("Ada"),
            DetectCache::new(2).key("Ada")
        );
    }

    #[test]
    fn memory_is_bounded_and_recent_entries_survive() {
        let cache = DetectCache::new(4);
        for i in 0..100 {
            cache.put(i, spans(i as usize));
            assert!(cache.len() <= 4, "{} entries", cache.len());
        }
        // The latest entries are there; the first ones are gone.
        assert!(cache.get(99).is_some());
        assert!(cache.get(0).is_none());
        // A hit keeps an entry alive across generations.
        cache.put(1000, spans(0));
        for i in 200..220 {
            assert!(cache.get(1000).is_some(), "lost at {i}");
            cache.put(i, spans(0));
        }
    }
}
