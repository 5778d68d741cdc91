//! `http_server_active_requests`: the requests in flight, counted by each
//! worker in a shard of its own and summed at scrape time.
//!
//! One counter that every worker increments at each request's start and
//! decrements at its end is a cache line the workers' cores pass back and
//! forth, twice a request, with two locked read-modify-writes. A shard is
//! written by one thread only: the worker whose middleware made it (an
//! [`ActiveShard`] is neither `Send` nor `Sync`, and neither are the request
//! states that hold it). A count then moves with a plain load and store, and
//! no two shards share a cache line.
//!
//! The collector reads the shards with relaxed loads. A shard's count of a
//! gauge never goes below 0 (its thread adds before it subtracts, and a
//! reader sees the writes to one location in the order they were made), so
//! neither does the sum. A shard nobody can write any more (its worker and
//! every request of it are gone) and that reads 0 everywhere is dropped at a
//! scrape: apps built again and again (tests) do not pile up shards.

use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Counts per cache line.
const PER_LINE: usize = 8;

/// Set in a shard's count once a request was counted in it: a gauge no
/// request was ever counted in is not exported (no series for a method or
/// scheme the app never saw), and the bit costs its writer one `or`.
const SEEN: i64 = 1 << 62;

/// [`PER_LINE`] counts on a cache line of their own.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Line([AtomicI64; PER_LINE]);

/// One worker's counts, by gauge index
/// ([`Attributes::active_index`](crate::middleware::attributes::Attributes::active_index)).
type Shard = [Line];

/// A shard of `gauges` counts, every one 0.
fn new_shard(gauges: usize) -> Arc<Shard> {
    (0..gauges.div_ceil(PER_LINE))
        .map(|_| Line::default())
        .collect()
}

/// The count of gauge `gauge` in `shard`.
#[inline]
fn count(shard: &Shard, gauge: usize) -> &AtomicI64 {
    &shard[gauge / PER_LINE].0[gauge % PER_LINE]
}

/// The requests in flight counted in gauge `gauge` of `shard`.
fn value(shard: &Shard, gauge: usize) -> i64 {
    count(shard, gauge).load(Ordering::Relaxed) & !SEEN
}

/// Every worker's shard, and how many gauges each holds.
#[derive(Debug)]
pub(crate) struct ActiveRequests {
    gauges: usize,
    shards: Mutex<Vec<Arc<Shard>>>,
    /// By gauge: a request was counted in it, in a shard now dropped or not.
    seen: Box<[AtomicBool]>,
}

impl ActiveRequests {
    pub(crate) fn new(gauges: usize) -> Self {
        Self {
            gauges,
            shards: Mutex::default(),
            seen: (0..gauges).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// The number of gauges.
    pub(crate) fn gauges(&self) -> usize {
        self.gauges
    }

    /// A new shard, for the worker that calls this.
    pub(crate) fn shard(&self) -> ActiveShard {
        let shard = new_shard(self.gauges);
        self.lock().push(Arc::clone(&shard));
        ActiveShard {
            shard,
            single_thread: PhantomData,
        }
    }

    /// Each gauge's count, summed over the shards; `None` for a gauge no
    /// request was ever counted in.
    pub(crate) fn totals(&self) -> Vec<Option<i64>> {
        let mut shards = self.lock();
        for shard in shards.iter() {
            for (gauge, seen) in self.seen.iter().enumerate() {
                if count(shard, gauge).load(Ordering::Relaxed) & SEEN != 0 {
                    seen.store(true, Ordering::Relaxed);
                }
            }
        }
        // Only this list holds it: no worker or request can write it again.
        shards.retain(|shard| {
            Arc::strong_count(shard) > 1 || (0..self.gauges).any(|gauge| value(shard, gauge) != 0)
        });
        (0..self.gauges)
            .map(|gauge| {
                self.seen[gauge]
                    .load(Ordering::Relaxed)
                    .then(|| shards.iter().map(|shard| value(shard, gauge)).sum())
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Shard>>> {
        // The list is changed in single steps (a push, a retain of whole
        // shards): a panic elsewhere leaves it consistent.
        self.shards.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A worker's own shard, written only from the thread that made it.
#[derive(Debug)]
pub(crate) struct ActiveShard {
    shard: Arc<Shard>,
    /// Neither `Send` nor `Sync`: the single writer is what lets a count
    /// move without a read-modify-write.
    single_thread: PhantomData<Rc<()>>,
}

impl ActiveShard {
    /// A request counted in gauge `gauge` started.
    #[inline]
    pub(crate) fn started(&self, gauge: usize) {
        let count = count(&self.shard, gauge);
        count.store(
            (count.load(Ordering::Relaxed) | SEEN) + 1,
            Ordering::Relaxed,
        );
    }

    /// A request counted in gauge `gauge` ended.
    #[inline]
    pub(crate) fn ended(&self, gauge: usize) {
        let count = count(&self.shard, gauge);
        count.store(count.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::ActiveRequests;

    #[test]
    fn totals_sum_the_shards_and_drop_the_idle_orphans() {
        let active = ActiveRequests::new(10);
        let (first, second) = (active.shard(), active.shard());
        first.started(9);
        first.started(9);
        second.started(9);
        second.started(0);
        let totals = active.totals();
        assert_eq!(totals.len(), 10);
        assert_eq!((totals[0], totals[9]), (Some(1), Some(3)));
        assert_eq!(totals[1], None, "no request was counted in it");
        second.ended(0);
        drop(second);
        // A shard nobody holds that still reads a request is kept.
        assert_eq!(active.totals()[9], Some(3));
        assert_eq!(active.lock().len(), 2);
        first.ended(9);
        first.ended(9);
        assert_eq!(active.totals()[9], Some(1));
        drop(first);
        assert_eq!(active.lock().len(), 2);
    }

    #[test]
    fn orphans_reading_zero_everywhere_are_dropped() {
        let active = ActiveRequests::new(3);
        let shard = active.shard();
        shard.started(2);
        shard.ended(2);
        drop(shard);
        assert_eq!(active.totals(), [None, None, Some(0)]);
        assert!(active.lock().is_empty());
        // Once seen, a gauge stays exported after its shard is gone.
        assert_eq!(active.totals(), [None, None, Some(0)]);
    }

    #[test]
    fn shards_do_not_share_cache_lines() {
        assert_eq!(std::mem::align_of::<super::Line>(), 64);
        assert_eq!(std::mem::size_of::<super::Line>(), 64);
    }
}
