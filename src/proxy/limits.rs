//! What no client may take more than its share of: open connections and buffered request
//! bodies. Both are counted here, shared by every connection; the timeouts that go with them
//! live where the waiting happens (the listener and `admit`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Open client connections, at most `max`. At the limit a new connection evicts the oldest
/// one that has not yet sent a request (an idle or slow-loris client), so the clients that
/// talk are served; only when every connection is busy is the new one turned away.
pub struct Connections {
    max: usize,
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Slot>>>,
}

/// One open connection: whether it has sent a request, and how to close it from outside.
pub struct Slot {
    id: u64,
    served: AtomicBool,
    evicted: Notify,
}

impl Slot {
    /// The connection has sent a whole request head: it is no longer a candidate for
    /// eviction.
    pub fn served(&self) {
        self.served.store(true, Ordering::Relaxed);
    }

    /// Completes when the connection is to be closed to make room for another.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

/// A connection's place among the open ones; dropping it frees the place.
pub struct SlotGuard {
    connections: Arc<Connections>,
    pub slot: Arc<Slot>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.connections.lock().remove(&self.slot.id);
    }
}

/// What [`Connections::admit`] did to make room.
#[derive(Debug, PartialEq, Eq)]
pub enum Admitted {
    /// There was room.
    Free,
    /// An idle connection was closed for this one.
    Evicted,
}

impl Connections {
    /// At most `max` connections, and never more than three quarters of the process's limit
    /// on open files (the rest is for the upstream, the audit log and the models).
    pub fn new(max: usize) -> Connections {
        Connections {
            max: max.min(fd_budget()).max(1),
            next: AtomicU64::new(0),
            open: Mutex::new(BTreeMap::new()),
        }
    }

    /// The effective limit.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Slot>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection, evicting the oldest idle one at the limit; `None` when
    /// every open connection is busy with a request.
    pub fn admit(self: &Arc<Self>) -> Option<(SlotGuard, Admitted)> {
        let mut open = self.lock();
        let mut how = Admitted::Free;
        if open.len() >= self.max {
            let idle = open
                .values()
                .find(|s| !s.served.load(Ordering::Relaxed))
                .map(|s| s.id)?;
            if let Some(slot) = open.remove(&idle) {
                slot.evicted.notify_one();
            }
            how = Admitted::Evicted;
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            id,
            served: AtomicBool::new(false),
            evicted: Notify::new(),
        });
        open.insert(id, slot.clone());
        Some((
            SlotGuard {
                connections: self.clone(),
                slot,
            },
            how,
        ))
    }
}

/// Three quarters of the soft limit on open files.
fn fd_budget() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct we own.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    if !ok || limit.rlim_cur == libc::RLIM_INFINITY {
        return usize::MAX;
    }
    usize::try_from(limit.rlim_cur / 4 * 3).unwrap_or(usize::MAX)
}

/// Request body bytes buffered across all requests, at most `max`.
pub struct BodyBudget {
    max: usize,
    used: AtomicUsize,
}

/// Bytes one request holds of the [`BodyBudget`]; given back when dropped.
pub struct BodyReservation<'a> {
    budget: &'a BodyBudget,
    held: usize,
}

impl BodyBudget {
    pub fn new(max: usize) -> BodyBudget {
        BodyBudget {
            max,
            used: AtomicUsize::new(0),
        }
    }

    /// Bytes held by all requests now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// An empty reservation, to grow as the body arrives.
    pub fn reserve(&self) -> BodyReservation<'_> {
        BodyReservation {
            budget: self,
            held: 0,
        }
    }
}

impl BodyReservation<'_> {
    /// Takes `n` more bytes; `false` (and nothing taken) when the budget would be exceeded.
    pub fn grow(&mut self, n: usize) -> bool {
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n)
                    .filter(|&total| total <= self.budget.max)
            })
            .is_ok();
        if taken {
            self.held += n;
        }
        taken
    }
}

impl Drop for BodyReservation<'_> {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.held, Ordering::AcqRel);
    }
}

/// A log line at most once per `every`, saying how many times it was due meanwhile.
pub struct Throttled {
    every: Duration,
    start: Instant,
    last_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl Throttled {
    pub fn new(every: Duration) -> Throttled {
        Throttled {
            every,
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line is due now (`n` = the times it was held back since the last
    /// one), `None` while throttled.
    pub fn due(&self) -> Option<u64> {
        let now = self.start.elapsed().as_millis() as u64 + 1;
        let last = self.last_ms.load(Ordering::Relaxed);
        let every = self.every.as_millis() as u64;
        if last != 0 && now < last + every {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if self
            .last_ms
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_limit_the_oldest_idle_connection_makes_room() {
        let c = Arc::new(Connections::new(2));
        let (a, how) = c.admit().unwrap();
        assert_eq!(how, Admitted::Free);
        let (b, _) = c.admit().unwrap();
        a.slot.served();
        // b is the oldest idle one.
        let (_c3, how) = c.admit().unwrap();
        assert_eq!(how, Admitted::Evicted);
        assert_eq!(c.len(), 2);
        // b was told to go; its guard dropping later does not free another's place.
        drop(b);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn when_every_connection_is_busy_the_new_one_is_refused() {
        let c = Arc::new(Connections::new(1));
        let (a, _) = c.admit().unwrap();
        a.slot.served();
        assert!(c.admit().is_none());
        drop(a);
        assert!(c.admit().is_some());
    }

    #[test]
    fn the_body_budget_is_shared_and_given_back() {
        let budget = BodyBudget::new(10);
        let mut a = budget.reserve();
        assert!(a.grow(6));
        let mut b = budget.reserve();
        assert!(!b.grow(5));
        assert!(b.grow(4));
        assert_eq!(budget.used(), 10);
        drop(a);
        assert_eq!(budget.used(), 4);
        assert!(b.grow(6));
    }

    #[test]
    fn throttled_lines_count_what_they_held_back() {
        let t = Throttled::new(Duration::from_secs(3600));
        assert_eq!(t.due(), Some(0));
        assert_eq!(t.due(), None);
        assert_eq!(t.due(), None);
    }
}
