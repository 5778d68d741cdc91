//! Preallocated histogram cells, updated with relaxed atomics.
//!
//! A [`Row`] holds the request durations of one (route, method) pair: a fixed
//! number of status code slots, each claimed by the first request with its
//! code (a compare-exchange from 0), and one overflow slot. Finding a slot is
//! a scan of a few `u16`s; an observation is two `fetch_add`s. Nothing
//! allocates, locks or hashes.
//!
//! Every access is `Relaxed`. The histograms are allocated with the row,
//! before any other thread can reach it, and a slot's code goes from 0 to its
//! code once and never changes again: a claim publishes no data, so it needs
//! no ordering, and a scrape that reads a count a moment stale reads a value
//! a scrape a moment earlier could have read.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};

/// The bucket bounds of the request duration histogram.
#[derive(Debug)]
pub(crate) struct Bounds {
    /// Upper bounds in seconds, as exported in `le`.
    seconds: Box<[f64]>,
    /// The same bounds in nanoseconds: observations compare integers.
    nanos: Box<[u64]>,
}

impl Bounds {
    /// `seconds` must be finite, positive and strictly increasing (checked by
    /// the builder).
    pub(crate) fn new(seconds: &[f64]) -> Self {
        let nanos = seconds
            .iter()
            // Bounds are validated positive and finite; a bound above u64::MAX
            // nanoseconds (584 years) saturates, which is what `as` does.
            .map(|s| (s * 1e9).ceil() as u64)
            .collect();
        Self {
            seconds: seconds.into(),
            nanos,
        }
    }

    /// The number of cumulative buckets, `+Inf` included.
    pub(crate) fn len(&self) -> usize {
        self.seconds.len() + 1
    }

    /// The bucket an observation falls into: the first bound `>=` the value,
    /// or the `+Inf` bucket.
    fn bucket_of(&self, nanos: u64) -> usize {
        self.nanos.partition_point(|&bound| bound < nanos)
    }
}

/// The counts of one histogram: per bucket (not cumulative) and the sum.
#[derive(Debug)]
pub(crate) struct Histogram {
    /// One counter per bucket, the `+Inf` bucket last; `_count` is their sum,
    /// so it always agrees with the buckets.
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

/// What a scrape reads of one histogram.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) sum_seconds: f64,
    pub(crate) count: u64,
    /// Per-bucket (not cumulative) counts, `+Inf` last.
    pub(crate) buckets: Vec<u64>,
}

impl Snapshot {
    /// Adds a snapshot of a histogram with the same bounds.
    pub(crate) fn add(&mut self, other: &Snapshot) {
        debug_assert_eq!(self.buckets.len(), other.buckets.len());
        self.sum_seconds += other.sum_seconds;
        self.count += other.count;
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
    }

    /// The `(upper bound, count)` pairs prometheus-client's encoder takes,
    /// written into `out` (cleared first) so a scrape reuses one buffer.
    pub(crate) fn encoder_buckets<'a>(
        &self,
        bounds: &Bounds,
        out: &'a mut Vec<(f64, u64)>,
    ) -> &'a [(f64, u64)] {
        out.clear();
        out.extend(
            bounds
                .seconds
                .iter()
                .copied()
                .chain(std::iter::once(f64::INFINITY))
                .zip(self.buckets.iter().copied()),
        );
        out
    }
}

impl Histogram {
    fn new(bounds: &Bounds) -> Self {
        Self {
            buckets: (0..bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, bounds: &Bounds, nanos: u64) {
        self.buckets[bounds.bucket_of(nanos)].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Snapshot {
        let buckets: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        Snapshot {
            // Precision: f64 holds integers exactly up to 2^53 ns (104 days of
            // summed request time); beyond that the sum rounds, as any f64 sum does.
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            count: buckets.iter().sum(),
            buckets,
        }
    }
}

/// The status code label of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Code(u16),
    /// The row's capacity was used up: [`crate::OTHER_STATUS`].
    Other,
}

/// The durations of one (route, method) pair, by status code.
#[derive(Debug)]
pub(crate) struct Row {
    /// The code each slot was claimed for; 0 while free. Codes are never 0.
    codes: Box<[AtomicU16]>,
    /// One histogram per slot in `codes`, then the overflow histogram.
    histograms: Box<[Histogram]>,
}

impl Row {
    pub(crate) fn new(bounds: &Bounds, status_slots: usize) -> Self {
        Self {
            codes: (0..status_slots).map(|_| AtomicU16::new(0)).collect(),
            histograms: (0..=status_slots).map(|_| Histogram::new(bounds)).collect(),
        }
    }

    /// Records one request. `code` is a status code, `100..=999`.
    pub(crate) fn observe(&self, bounds: &Bounds, code: u16, nanos: u64) {
        self.histograms[self.slot_of(code)].observe(bounds, nanos);
    }

    fn slot_of(&self, code: u16) -> usize {
        debug_assert_ne!(code, 0);
        for (slot, claimed) in self.codes.iter().enumerate() {
            let current = claimed.load(Ordering::Relaxed);
            if current == code {
                return slot;
            }
            if current == 0 {
                match claimed.compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return slot,
                    Err(winner) if winner == code => return slot,
                    Err(_) => {}
                }
            }
        }
        self.codes.len()
    }

    /// Every slot that has seen a request, with its label.
    pub(crate) fn snapshots(&self) -> impl Iterator<Item = (Status, Snapshot)> + '_ {
        let claimed = self.codes.iter().enumerate().filter_map(|(slot, code)| {
            match code.load(Ordering::Relaxed) {
                0 => None,
                code => Some((Status::Code(code), self.histograms[slot].snapshot())),
            }
        });
        let overflow =
            std::iter::once((Status::Other, self.histograms[self.codes.len()].snapshot()))
                .filter(|(_, snapshot)| snapshot.count > 0);
        claimed.chain(overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Bounds {
        Bounds::new(&[0.005, 0.01, 0.1])
    }

    #[test]
    fn an_observation_lands_in_the_first_bucket_whose_bound_is_not_below_it() {
        let bounds = bounds();
        assert_eq!(bounds.bucket_of(0), 0);
        assert_eq!(bounds.bucket_of(5_000_000), 0, "le is inclusive");
        assert_eq!(bounds.bucket_of(5_000_001), 1);
        assert_eq!(bounds.bucket_of(100_000_000), 2);
        assert_eq!(bounds.bucket_of(100_000_001), 3, "+Inf");
    }

    #[test]
    fn codes_claim_slots_until_the_row_is_full_then_overflow() {
        let bounds = bounds();
        let row = Row::new(&bounds, 2);
        row.observe(&bounds, 200, 1);
        row.observe(&bounds, 404, 1);
        row.observe(&bounds, 200, 1);
        row.observe(&bounds, 500, 1);
        row.observe(&bounds, 503, 1);
        let seen: Vec<(Status, u64)> = row.snapshots().map(|(s, snap)| (s, snap.count)).collect();
        assert_eq!(
            seen,
            [
                (Status::Code(200), 2),
                (Status::Code(404), 1),
                (Status::Other, 2)
            ]
        );
    }

    #[test]
    fn count_is_the_sum_of_buckets_and_sum_is_in_seconds() {
        let bounds = bounds();
        let row = Row::new(&bounds, 1);
        row.observe(&bounds, 200, 2_000_000);
        row.observe(&bounds, 200, 3_000_000_000);
        let (_, snapshot) = row.snapshots().next().unwrap();
        assert_eq!(snapshot.count, 2);
        assert_eq!(snapshot.buckets, [1, 0, 0, 1]);
        assert!((snapshot.sum_seconds - 3.002).abs() < 1e-12);
    }

    #[test]
    fn concurrent_observations_are_all_counted() {
        const PER_THREAD: u64 = 200_000;
        let bounds = bounds();
        let row = Row::new(&bounds, 2);
        std::thread::scope(|scope| {
            for code in [200, 404, 200, 503] {
                let (row, bounds) = (&row, &bounds);
                scope.spawn(move || {
                    for i in 0..PER_THREAD {
                        row.observe(bounds, code, i % 3);
                    }
                });
            }
        });
        let seen: Vec<(Status, u64, u64)> = row
            .snapshots()
            .map(|(status, snap)| (status, snap.count, snap.buckets.iter().sum()))
            .collect();
        let total: u64 = seen.iter().map(|(_, count, _)| count).sum();
        assert_eq!(total, 4 * PER_THREAD, "{seen:?}");
        assert!(seen.iter().all(|(_, count, buckets)| count == buckets));
        assert!(
            seen.contains(&(Status::Code(200), 2 * PER_THREAD, 2 * PER_THREAD)),
            "{seen:?}"
        );
    }
}
