//! Preallocated histogram cells, updated with relaxed atomics.
//!
//! A [`Row`] holds the requests of one (route, method) pair: per variant
//! (the scheme and protocol version, when those labels are on; one
//! otherwise), a fixed number of status slots, each claimed by the first
//! request with its outcome (status code, and why it failed when
//! `error_type` is on; a compare-exchange from 0), and the overflow slots.
//! Each slot is a duration histogram, and two body size histograms when
//! those are on. Finding a slot is a scan of a few `u16`s; an observation
//! is two `fetch_add`s per histogram. Nothing allocates, locks or hashes.
//!
//! Every access is `Relaxed`. The histograms are allocated with the row,
//! before any other thread can reach it, and a slot's key goes from 0 to its
//! key once and never changes again: a claim publishes no data, so it needs
//! no ordering, and a scrape that reads a count a moment stale reads a value
//! a scrape a moment earlier could have read.

pub(crate) mod active;
pub(crate) mod chunked;
pub(crate) mod native;

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};

use crate::cells::native::{
    DURATION_TOP, Histograms, Layout, NativeBuckets, SIZE_TOP, SIZE_ZERO_THRESHOLD,
};
use crate::middleware::outcome::{ErrorType, Failure, Outcome};

/// The bucket bounds of a histogram: request durations, or body sizes.
#[derive(Debug)]
pub(crate) struct Bounds {
    /// Upper bounds in the exported unit (seconds, bytes), as in `le`.
    exported: Box<[f64]>,
    /// The same bounds in the recorded unit (nanoseconds, bytes):
    /// observations compare integers.
    recorded: Box<[u64]>,
    /// Recorded units per exported unit.
    scale: f64,
    /// The native buckets, when native histograms are on.
    pub(crate) native: Option<Layout>,
}

/// Recorded units (nanoseconds) per second.
const NANOS: f64 = 1e9;

impl Bounds {
    /// Bounds in seconds, for durations recorded in nanoseconds. They must be
    /// finite, positive and strictly increasing (checked by the builder).
    #[cfg(test)]
    pub(crate) fn seconds(seconds: &[f64]) -> Self {
        Self::new(seconds, NANOS, None)
    }

    /// Bounds in bytes, for sizes recorded in bytes.
    #[cfg(test)]
    pub(crate) fn bytes(bytes: &[f64]) -> Self {
        Self::new(bytes, 1.0, None)
    }

    /// Duration bounds for `histograms`: the classic `seconds` (none but
    /// `+Inf` without classic buckets), and the native buckets.
    pub(crate) fn durations(
        seconds: &[f64],
        histograms: Histograms,
        native: &NativeBuckets,
    ) -> Self {
        let window = (native.zero_threshold, DURATION_TOP);
        Self::laid_out(seconds, NANOS, histograms, native, window)
    }

    /// Body size bounds for `histograms`, as [`durations`](Self::durations).
    pub(crate) fn sizes(bytes: &[f64], histograms: Histograms, native: &NativeBuckets) -> Self {
        let window = (SIZE_ZERO_THRESHOLD, SIZE_TOP);
        Self::laid_out(bytes, 1.0, histograms, native, window)
    }

    /// Bounds for `histograms`: `classic` in the exported unit, `scale`
    /// recorded units to one, and native buckets from the zero threshold
    /// to the top of `window`.
    fn laid_out(
        classic: &[f64],
        scale: f64,
        histograms: Histograms,
        native: &NativeBuckets,
        (zero_threshold, top): (f64, f64),
    ) -> Self {
        let layout = histograms.native().then(|| {
            Layout::new(
                native.schema,
                zero_threshold,
                top,
                native.max_buckets,
                scale,
            )
        });
        let classic = if histograms.classic() { classic } else { &[] };
        Self::new(classic, scale, layout)
    }

    fn new(exported: &[f64], scale: f64, native: Option<Layout>) -> Self {
        let recorded = exported
            .iter()
            // Bounds are validated positive and finite; a bound above
            // u64::MAX units saturates, which is what `as` does.
            .map(|b| (b * scale).ceil() as u64)
            .collect();
        Self {
            exported: exported.into(),
            recorded,
            scale,
            native,
        }
    }

    /// The number of cumulative buckets, `+Inf` included.
    pub(crate) fn len(&self) -> usize {
        self.exported.len() + 1
    }

    /// The `(upper bound, count)` pairs prometheus-client's encoder takes:
    /// the bounds, `+Inf` last, with every count 0. A scrape lays one out
    /// per family and writes each series' counts into it.
    pub(crate) fn pairs(&self) -> Vec<(f64, u64)> {
        self.exported
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .map(|bound| (bound, 0))
            .collect()
    }

    /// The bucket an observation falls into: the first bound `>=` the value,
    /// or the `+Inf` bucket. A scan from the smallest bound: most requests
    /// fall in the first buckets, which a scan reaches in a compare or two
    /// where a binary search always takes four.
    #[inline]
    fn bucket_of(&self, value: u64) -> usize {
        self.recorded
            .iter()
            .position(|&bound| value <= bound)
            .unwrap_or(self.recorded.len())
    }
}

/// The counts of one histogram: per bucket (not cumulative) and the sum.
#[derive(Debug)]
pub(crate) struct Histogram {
    /// One counter per bucket, the `+Inf` bucket last; `_count` is their sum,
    /// so it always agrees with the buckets.
    buckets: Box<[AtomicU64]>,
    /// In the recorded unit.
    sum: AtomicU64,
    /// The native buckets, zero bucket first ([`Layout::cells`]); empty
    /// without native histograms.
    native: Box<[AtomicU64]>,
}

/// One series as a scrape reads it: the histograms of one label set added
/// up (one, unless several mounts share a template), in buffers reused from
/// series to series, laid out as prometheus-client's encoder takes them.
#[derive(Debug)]
pub(crate) struct Reading {
    /// `(upper bound, count)` per bucket (not cumulative), laid out by
    /// [`Bounds::pairs`].
    pub(crate) buckets: Vec<(f64, u64)>,
    /// The native buckets' counts, zero bucket first; empty without them.
    pub(crate) native: Vec<u64>,
    /// In the recorded unit.
    sum: u64,
}

impl Reading {
    pub(crate) fn new(bounds: &Bounds) -> Self {
        Self {
            buckets: bounds.pairs(),
            native: vec![0; bounds.native.as_ref().map_or(0, Layout::cell_count)],
            sum: 0,
        }
    }

    /// Starts a series.
    pub(crate) fn clear(&mut self) {
        self.buckets.iter_mut().for_each(|(_, count)| *count = 0);
        self.native.iter_mut().for_each(|count| *count = 0);
        self.sum = 0;
    }

    /// Adds a histogram of the same bounds.
    pub(crate) fn add(&mut self, histogram: &Histogram) {
        for ((_, count), bucket) in self.buckets.iter_mut().zip(&*histogram.buckets) {
            *count += bucket.load(Ordering::Relaxed);
        }
        for (count, bucket) in self.native.iter_mut().zip(&*histogram.native) {
            *count += bucket.load(Ordering::Relaxed);
        }
        self.sum = self
            .sum
            .saturating_add(histogram.sum.load(Ordering::Relaxed));
    }

    /// The sum in the exported unit. Precision: f64 holds integers exactly
    /// up to 2^53 (104 days of summed request time in nanoseconds, 8 PiB of
    /// bytes); beyond that the sum rounds, as any f64 sum does.
    pub(crate) fn sum(&self, bounds: &Bounds) -> f64 {
        self.sum as f64 / bounds.scale
    }

    /// The count: the buckets' total, so the two always agree.
    pub(crate) fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, count)| count).sum()
    }
}

/// What a test reads of one histogram.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// In the exported unit.
    pub(crate) sum: f64,
    pub(crate) count: u64,
    /// Per-bucket (not cumulative) counts, `+Inf` last.
    pub(crate) buckets: Vec<u64>,
    /// The native buckets' counts, zero bucket first; empty without them.
    pub(crate) native: Vec<u64>,
}

impl Histogram {
    fn new(bounds: &Bounds) -> Self {
        Self {
            buckets: (0..bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            native: bounds
                .native
                .as_ref()
                .map_or_else(|| Box::new([]) as Box<[_]>, Layout::cells),
        }
    }

    fn observe(&self, bounds: &Bounds, value: u64) {
        self.buckets[bounds.bucket_of(value)].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        if let Some(layout) = &bounds.native {
            self.native[layout.cell_of(value)].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What a scrape reads of this histogram alone.
    #[cfg(test)]
    fn snapshot(&self, bounds: &Bounds) -> Snapshot {
        let mut reading = Reading::new(bounds);
        reading.add(self);
        Snapshot {
            sum: reading.sum(bounds),
            count: reading.count(),
            buckets: reading.buckets.iter().map(|&(_, count)| count).collect(),
            native: reading.native,
        }
    }
}

/// The status code label of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Code(u16),
    /// The row's capacity was used up: [`crate::OTHER`].
    Other,
}

/// The shape every row of one [`HttpMetrics`](crate::HttpMetrics) shares.
#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) durations: Bounds,
    /// The body size buckets, when body sizes are on.
    pub(crate) sizes: Option<Bounds>,
    /// Distinct outcomes kept apart per variant.
    pub(crate) status_slots: usize,
    /// Blocks of slots: one per (scheme, version) the labels tell apart.
    pub(crate) variants: usize,
    /// With `error_type` on, a full row counts errors and non-errors in two
    /// overflow slots, so that `_OTHER` errors stay errors. The switch is
    /// the attributes' ([`Attributes::error_type`](crate::middleware::attributes::Attributes::error_type)),
    /// copied here to be read with the rest of the shape per request.
    pub(crate) error_type: bool,
}

impl Shape {
    /// The overflow slots after each variant's status slots.
    pub(crate) fn overflows(&self) -> usize {
        1 + usize::from(self.error_type)
    }

    /// Histogram series of a row with `slots` status slots per variant:
    /// per variant, the slots and the overflows.
    pub(crate) fn row_series(&self, slots: usize) -> usize {
        self.variants * (slots + self.overflows())
    }

    /// What a request's status slot is claimed with: the failure counts
    /// apart only when `error_type` is on.
    #[inline]
    pub(crate) fn outcome(&self, status: u16, failure: Failure) -> Outcome {
        if self.error_type {
            Outcome::new(status, failure)
        } else {
            Outcome::new(status, Failure::None)
        }
    }
}

/// One request, as a row records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observation {
    pub(crate) variant: u8,
    pub(crate) outcome: Outcome,
    pub(crate) nanos: u64,
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
}

/// What a test reads of one slot.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlotSnapshot {
    pub(crate) duration: Snapshot,
    /// Request and response body sizes, when they are on.
    pub(crate) sizes: Option<[Snapshot; 2]>,
}

/// The labels of one slot besides route and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SlotLabels {
    pub(crate) variant: u8,
    pub(crate) status: Status,
    /// `None` without `error_type`, or for a request that is no error.
    pub(crate) error: Option<ErrorType>,
}

/// The requests of one (route, method) pair, by variant and outcome.
#[derive(Debug)]
pub(crate) struct Row {
    /// The outcome key each slot was claimed for ([`Outcome::key`]); 0 while
    /// free. Keys are never 0. `slots` per variant.
    keys: Box<[AtomicU16]>,
    /// Status slots per variant: the shape's, or fewer for a row that can
    /// only see a few outcomes.
    slots: usize,
    /// Per variant, one histogram per slot in `keys`, then the overflows.
    durations: Box<[Histogram]>,
    /// Request then response body sizes, like `durations`; empty when body
    /// sizes are off.
    sizes: Box<[[Histogram; 2]]>,
    /// An overflow slot has seen a request: until then a scrape skips them.
    overflowed: AtomicBool,
}

impl Row {
    pub(crate) fn new(shape: &Shape) -> Self {
        Self::with_slots(shape, shape.status_slots)
    }

    /// A row with `slots` status slots per variant, instead of the shape's.
    pub(crate) fn with_slots(shape: &Shape, slots: usize) -> Self {
        let series = shape.row_series(slots);
        Self {
            keys: (0..shape.variants * slots)
                .map(|_| AtomicU16::new(0))
                .collect(),
            slots,
            durations: (0..series)
                .map(|_| Histogram::new(&shape.durations))
                .collect(),
            sizes: match &shape.sizes {
                Some(bounds) => (0..series)
                    .map(|_| [Histogram::new(bounds), Histogram::new(bounds)])
                    .collect(),
                None => Box::new([]),
            },
            overflowed: AtomicBool::new(false),
        }
    }

    /// Records one request.
    #[inline]
    pub(crate) fn observe(&self, shape: &Shape, observation: &Observation) {
        let series = self.series_of(shape, observation.variant, observation.outcome);
        self.durations[series].observe(&shape.durations, observation.nanos);
        if let (Some(bounds), Some([request, response])) = (&shape.sizes, self.sizes.get(series)) {
            request.observe(bounds, observation.request_bytes);
            response.observe(bounds, observation.response_bytes);
        }
    }

    /// The histogram index of `outcome` in `variant`'s block: the slot
    /// claimed for it, claiming a free one, or an overflow.
    fn series_of(&self, shape: &Shape, variant: u8, outcome: Outcome) -> usize {
        let variant = usize::from(variant);
        let key = outcome.key();
        let first = variant * self.slots;
        let keys = &self.keys[first..first + self.slots];
        let block = variant * (self.slots + shape.overflows());
        for (slot, claimed) in keys.iter().enumerate() {
            let current = claimed.load(Ordering::Relaxed);
            if current == key {
                return block + slot;
            }
            if current == 0 {
                match claimed.compare_exchange(0, key, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return block + slot,
                    Err(winner) if winner == key => return block + slot,
                    Err(_) => {}
                }
            }
        }
        self.overflowed.store(true, Ordering::Relaxed);
        let error_overflow = shape.error_type && outcome.is_error();
        block + self.slots + usize::from(error_overflow)
    }

    /// Every slot that may have seen a request, with its labels and series
    /// index: the claimed slots and the overflows, in slot order.
    pub(crate) fn series<'a>(
        &'a self,
        shape: &'a Shape,
    ) -> impl Iterator<Item = (SlotLabels, usize)> + 'a {
        (0..shape.variants).flat_map(move |variant| {
            let block = variant * (self.slots + shape.overflows());
            let variant_keys = &self.keys[variant * self.slots..][..self.slots];
            let claimed = variant_keys
                .iter()
                .enumerate()
                .filter_map(|(slot, key)| match key.load(Ordering::Relaxed) {
                    0 => None,
                    key => Some((slot, Outcome::from_key(key))),
                })
                .map(move |(slot, outcome)| {
                    let labels = SlotLabels {
                        variant: variant as u8,
                        status: Status::Code(outcome.status),
                        error: if shape.error_type {
                            ErrorType::of(outcome)
                        } else {
                            None
                        },
                    };
                    (labels, block + slot)
                });
            // A scrape that reads the flag a moment before an overflowing
            // request sets it reads the counts a scrape a moment earlier
            // would have: the overflow series appears at the next one.
            let overflows = if self.overflowed.load(Ordering::Relaxed) {
                0..shape.overflows()
            } else {
                0..0
            };
            let overflows = overflows.map(move |overflow| {
                let labels = SlotLabels {
                    variant: variant as u8,
                    status: Status::Other,
                    error: (overflow == 1).then_some(ErrorType::Other),
                };
                (labels, block + self.slots + overflow)
            });
            claimed.chain(overflows)
        })
    }

    /// The histogram of series `series`: its durations, or a body size when
    /// those are on.
    pub(crate) fn histogram(&self, kind: Kind, series: usize) -> Option<&Histogram> {
        match kind {
            Kind::Duration => self.durations.get(series),
            Kind::RequestSize => self.sizes.get(series).map(|[request, _]| request),
            Kind::ResponseSize => self.sizes.get(series).map(|[_, response]| response),
        }
    }

    /// Every slot that has seen a request, with its labels.
    #[cfg(test)]
    pub(crate) fn snapshots<'a>(
        &'a self,
        shape: &'a Shape,
    ) -> impl Iterator<Item = (SlotLabels, SlotSnapshot)> + 'a {
        self.series(shape)
            .map(move |(labels, series)| (labels, self.snapshot(shape, series)))
            .filter(|(_, snapshot)| snapshot.duration.count > 0)
    }

    #[cfg(test)]
    fn snapshot(&self, shape: &Shape, series: usize) -> SlotSnapshot {
        SlotSnapshot {
            duration: self.durations[series].snapshot(&shape.durations),
            sizes: shape.sizes.as_ref().zip(self.sizes.get(series)).map(
                |(bounds, [request, response])| {
                    [request.snapshot(bounds), response.snapshot(bounds)]
                },
            ),
        }
    }
}

/// The histograms of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Duration,
    RequestSize,
    ResponseSize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(status_slots: usize, error_type: bool) -> Shape {
        Shape {
            durations: Bounds::seconds(&[0.005, 0.01, 0.1]),
            sizes: None,
            status_slots,
            variants: 1,
            error_type,
        }
    }

    fn observe(row: &Row, shape: &Shape, status: u16, nanos: u64) {
        let outcome = Outcome::new(status, Failure::None);
        row.observe(shape, &observation(outcome, nanos));
    }

    fn observation(outcome: Outcome, nanos: u64) -> Observation {
        Observation {
            variant: 0,
            outcome,
            nanos,
            request_bytes: 0,
            response_bytes: 0,
        }
    }

    fn counts(row: &Row, shape: &Shape) -> Vec<(Status, Option<ErrorType>, u64)> {
        row.snapshots(shape)
            .map(|(labels, snap)| (labels.status, labels.error, snap.duration.count))
            .collect()
    }

    #[test]
    fn an_observation_lands_in_the_first_bucket_whose_bound_is_not_below_it() {
        let bounds = Bounds::seconds(&[0.005, 0.01, 0.1]);
        assert_eq!(bounds.bucket_of(0), 0);
        assert_eq!(bounds.bucket_of(5_000_000), 0, "le is inclusive");
        assert_eq!(bounds.bucket_of(5_000_001), 1);
        assert_eq!(bounds.bucket_of(100_000_000), 2);
        assert_eq!(bounds.bucket_of(100_000_001), 3, "+Inf");
        let bytes = Bounds::bytes(&[100.0, 1000.0]);
        assert_eq!(bytes.bucket_of(100), 0);
        assert_eq!(bytes.bucket_of(101), 1);
    }

    #[test]
    fn codes_claim_slots_until_the_row_is_full_then_overflow() {
        let shape = shape(2, false);
        let row = Row::new(&shape);
        for status in [200, 404, 200, 500, 503] {
            observe(&row, &shape, status, 1);
        }
        assert_eq!(
            counts(&row, &shape),
            [
                (Status::Code(200), None, 2),
                (Status::Code(404), None, 1),
                (Status::Other, None, 2)
            ]
        );
    }

    #[test]
    fn with_error_type_failures_keep_apart_and_overflowing_errors_stay_errors() {
        let shape = shape(3, true);
        let row = Row::new(&shape);
        row.observe(&shape, &observation(Outcome::new(500, Failure::None), 1));
        row.observe(&shape, &observation(Outcome::new(500, Failure::Panic), 1));
        observe(&row, &shape, 200, 1);
        observe(&row, &shape, 404, 1);
        observe(&row, &shape, 503, 1);
        assert_eq!(
            counts(&row, &shape),
            [
                (Status::Code(500), Some(ErrorType::Status(500)), 1),
                (
                    Status::Code(500),
                    Some(ErrorType::Failure(Failure::Panic)),
                    1
                ),
                (Status::Code(200), None, 1),
                (Status::Other, None, 1),
                (Status::Other, Some(ErrorType::Other), 1),
            ]
        );
    }

    #[test]
    fn count_is_the_sum_of_buckets_and_sum_is_in_seconds() {
        let shape = shape(1, false);
        let row = Row::new(&shape);
        observe(&row, &shape, 200, 2_000_000);
        observe(&row, &shape, 200, 3_000_000_000);
        let (_, snapshot) = row.snapshots(&shape).next().unwrap();
        assert_eq!(snapshot.duration.count, 2);
        assert_eq!(snapshot.duration.buckets, [1, 0, 0, 1]);
        assert!((snapshot.duration.sum - 3.002).abs() < 1e-12);
        assert_eq!(snapshot.sizes, None);
    }

    #[test]
    fn body_sizes_are_recorded_beside_the_duration() {
        let shape = Shape {
            sizes: Some(Bounds::bytes(&[10.0, 100.0])),
            ..shape(1, false)
        };
        let row = Row::new(&shape);
        let mut observed = observation(Outcome::new(200, Failure::None), 1);
        observed.request_bytes = 7;
        observed.response_bytes = 70;
        row.observe(&shape, &observed);
        row.observe(&shape, &observed);
        let (_, snapshot) = row.snapshots(&shape).next().unwrap();
        let [request, response] = snapshot.sizes.unwrap();
        assert_eq!((request.sum, request.buckets), (14.0, vec![2, 0, 0]));
        assert_eq!((response.sum, response.buckets), (140.0, vec![0, 2, 0]));
    }

    #[test]
    fn concurrent_observations_are_all_counted() {
        const PER_THREAD: u64 = 200_000;
        let shape = shape(2, false);
        let row = Row::new(&shape);
        // 200 holds a slot before the race: 404 and 503 race for the other.
        observe(&row, &shape, 200, 0);
        std::thread::scope(|scope| {
            for code in [200, 404, 200, 503] {
                let (row, shape) = (&row, &shape);
                scope.spawn(move || {
                    for i in 0..PER_THREAD {
                        observe(row, shape, code, i % 3);
                    }
                });
            }
        });
        let seen: Vec<(Status, u64, u64)> = row
            .snapshots(&shape)
            .map(|(labels, snap)| {
                let snap = snap.duration;
                (labels.status, snap.count, snap.buckets.iter().sum())
            })
            .collect();
        let total: u64 = seen.iter().map(|(_, count, _)| count).sum();
        assert_eq!(total, 4 * PER_THREAD + 1, "{seen:?}");
        assert!(seen.iter().all(|(_, count, buckets)| count == buckets));
        assert!(
            seen.contains(&(Status::Code(200), 2 * PER_THREAD + 1, 2 * PER_THREAD + 1)),
            "{seen:?}"
        );
    }
}
