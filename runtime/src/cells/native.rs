//! Native histograms: Prometheus' exponential buckets, one series per label
//! set where classic buckets need one per bucket.
//!
//! A native histogram's buckets are fixed by one number, the schema `s`:
//! bucket `i` holds the values in `(base^(i-1), base^i]`, `base = 2^(2^-s)`,
//! and a zero bucket holds the values up to a zero threshold. route-labels
//! lays a histogram's buckets out once, when the metrics are built: from the
//! zero threshold up to a top (durations: 2^12 s, 68 minutes; body sizes:
//! 2^36 bytes, 64 GiB), at the highest schema not above the one asked for
//! whose buckets there fit in the maximum bucket count (as Prometheus'
//! clients halve the resolution when a histogram would pass it, once here,
//! not at run time). A value above the top counts in the last bucket.
//!
//! Recording is an index from the value's bits and one relaxed `fetch_add`
//! into a preallocated array: no lock, no allocation, no search but a few
//! compares of the mantissa.

use std::sync::atomic::AtomicU64;

/// Which histograms the request duration and body size families carry.
///
/// ```
/// use route_labels::{Histograms, HttpMetrics};
///
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = HttpMetrics::builder()
///     .histograms(Histograms::Both)
///     .build(&mut registry)?;
/// # let _ = metrics;
/// # Ok::<(), route_labels::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Histograms {
    /// Classic buckets only, in every format: `buckets + 3` samples per
    /// series (the `+Inf` bucket, `_sum` and `_count`).
    #[default]
    Classic,
    /// Native buckets only, which only Prometheus' protobuf format carries
    /// (feature `protobuf`; without it, `build` logs a warning, as no
    /// scrape can carry them): one sample per series in a Prometheus with
    /// native histograms on. A text scrape carries each series' count and
    /// sum, as its `+Inf` bucket, `_count` and `_sum`: the text formats have
    /// no native buckets, and an exposition without buckets is no error.
    Native,
    /// Both, in one series (Prometheus' migration path): text scrapes carry
    /// the classic buckets, the protobuf format both. Prometheus 2.x with
    /// native histograms on then stores only the native ones; 3.x keeps the
    /// classic ones too with `always_scrape_classic_histograms`.
    Both,
}

impl Histograms {
    pub(crate) fn classic(self) -> bool {
        matches!(self, Self::Classic | Self::Both)
    }

    pub(crate) fn native(self) -> bool {
        matches!(self, Self::Native | Self::Both)
    }
}

/// The layout of native histograms: schema (resolution), zero threshold and
/// the most buckets one series carries.
///
/// The defaults: schema 2 (4 buckets per power of two: each spans a factor
/// of 2^(1/4) = 1.19, so a quantile Prometheus interpolates within its
/// bucket is within 19% of the true value), durations' zero threshold
/// 2^-20 s (about a
/// microsecond), at most 160 buckets. 160 is OpenTelemetry's default
/// maximum size; Prometheus' clients default to schema 3 (a bucket factor of
/// 1.1), whose buckets they move as values arrive. Laid out once, from a
/// microsecond to 68 minutes (32 powers of two), schema 3 needs 256 buckets,
/// schema 2 needs 128: the finest that fits 160. Body sizes use the same
/// schema and maximum, from 1 byte to 64 GiB (a `0` is in the zero bucket).
///
/// ```
/// use route_labels::{Histograms, HttpMetrics, NativeBuckets};
///
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = HttpMetrics::builder()
///     .histograms(Histograms::Native)
///     .native_buckets(NativeBuckets::default().schema(3).max_buckets(256))
///     .build(&mut registry)?;
/// assert!(metrics.max_native_buckets() <= 256);
/// # Ok::<(), route_labels::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeBuckets {
    pub(crate) schema: i8,
    pub(crate) zero_threshold: f64,
    pub(crate) max_buckets: u16,
}

impl Default for NativeBuckets {
    fn default() -> Self {
        Self {
            schema: 2,
            zero_threshold: DEFAULT_ZERO_THRESHOLD,
            max_buckets: 160,
        }
    }
}

/// 2^-20 seconds.
const DEFAULT_ZERO_THRESHOLD: f64 = 1.0 / (1 << 20) as f64;

/// The top of a duration histogram's buckets: 2^12 seconds.
pub(crate) const DURATION_TOP: f64 = 4096.0;

/// The top of a body size histogram's buckets: 2^36 bytes.
pub(crate) const SIZE_TOP: f64 = (1_u64 << 36) as f64;

/// A body size histogram's zero threshold: a `0` is in the zero bucket, a
/// byte in the first.
pub(crate) const SIZE_ZERO_THRESHOLD: f64 = 0.5;

/// The schemas Prometheus accepts.
pub(crate) const SCHEMAS: std::ops::RangeInclusive<i8> = -4..=8;

impl NativeBuckets {
    /// The schema asked for, `-4..=8` (Prometheus' range): `2^schema`
    /// buckets per power of two. Lowered when the metrics are built if the
    /// buckets would not fit in [`max_buckets`](Self::max_buckets).
    /// [`BuildError::InvalidNativeBuckets`](crate::BuildError::InvalidNativeBuckets)
    /// outside the range.
    ///
    /// ```
    /// let buckets = route_labels::NativeBuckets::default().schema(3);
    /// # let _ = buckets;
    /// ```
    #[must_use]
    pub fn schema(mut self, schema: i8) -> Self {
        self.schema = schema;
        self
    }

    /// The zero threshold of the duration histogram, in seconds: shorter
    /// requests count in its zero bucket. Finite, positive and below 2^12 s,
    /// or [`BuildError::InvalidNativeBuckets`](crate::BuildError::InvalidNativeBuckets).
    /// A power of two is a bucket bound at every schema.
    ///
    /// ```
    /// let buckets = route_labels::NativeBuckets::default().zero_threshold(1e-4);
    /// # let _ = buckets;
    /// ```
    #[must_use]
    pub fn zero_threshold(mut self, seconds: f64) -> Self {
        self.zero_threshold = seconds;
        self
    }

    /// The most buckets one series carries, the zero bucket aside; at least
    /// 1, or [`BuildError::InvalidNativeBuckets`](crate::BuildError::InvalidNativeBuckets).
    /// When even schema -4 (a bucket per 2^16) needs more, the buckets stop
    /// at the last that fits, and a larger value counts in it.
    ///
    /// ```
    /// let buckets = route_labels::NativeBuckets::default().max_buckets(100);
    /// # let _ = buckets;
    /// ```
    #[must_use]
    pub fn max_buckets(mut self, max: u16) -> Self {
        self.max_buckets = max;
        self
    }

    /// Why these buckets cannot be laid out, if they cannot.
    pub(crate) fn invalid(&self) -> Option<&'static str> {
        if !SCHEMAS.contains(&self.schema) {
            Some("the schema must be in -4..=8")
        } else if !(self.zero_threshold.is_finite()
            && self.zero_threshold > 0.0
            && self.zero_threshold < DURATION_TOP)
        {
            Some("the zero threshold must be finite, positive and below 4096 seconds")
        } else if self.max_buckets == 0 {
            Some("the maximum bucket count must be at least 1")
        } else {
            None
        }
    }
}

/// The native buckets of one histogram kind, laid out.
#[derive(Debug)]
pub(crate) struct Layout {
    /// After lowering to fit.
    pub(crate) schema: i8,
    /// In the exported unit.
    pub(crate) zero_threshold: f64,
    /// In the recorded unit: a value up to this is in the zero bucket.
    zero_recorded: u64,
    /// Recorded units per exported unit.
    scale: f64,
    /// The index of the first bucket above the zero threshold.
    first: i32,
    /// Buckets above the zero bucket.
    pub(crate) buckets: usize,
    /// For a positive schema: the mantissa bits of `2^(j / 2^schema)`, `j`
    /// in `0..2^schema`, the bounds within one power of two.
    mantissas: Box<[u64]>,
}

const MANTISSA: u64 = (1 << 52) - 1;

impl Layout {
    /// The buckets from `zero_threshold` to `top` (exported units), at the
    /// highest schema up to `schema` that fits them in `max` buckets.
    pub(crate) fn new(schema: i8, zero_threshold: f64, top: f64, max: u16, scale: f64) -> Self {
        let max = usize::from(max);
        // The smallest value above the threshold is in the first bucket.
        let above = f64::from_bits(zero_threshold.to_bits() + 1);
        let mut schema = schema;
        let (first, buckets) = loop {
            let first = index_of(schema, above);
            let buckets = usize::try_from(index_of(schema, top) - first + 1).unwrap_or(1);
            if buckets <= max || schema == *SCHEMAS.start() {
                break (first, buckets.min(max));
            }
            schema -= 1;
        };
        Self {
            schema,
            zero_threshold,
            zero_recorded: (zero_threshold * scale) as u64,
            scale,
            first,
            buckets,
            mantissas: mantissas(schema),
        }
    }

    /// The number of cells one histogram needs: the zero bucket, then the
    /// buckets.
    pub(crate) fn cell_count(&self) -> usize {
        self.buckets + 1
    }

    /// The cells one histogram needs, zeroed.
    pub(crate) fn cells(&self) -> Box<[AtomicU64]> {
        (0..self.cell_count()).map(|_| AtomicU64::new(0)).collect()
    }

    /// The cell of `value` (recorded unit): 0 for the zero bucket.
    #[inline]
    pub(crate) fn cell_of(&self, value: u64) -> usize {
        if value <= self.zero_recorded {
            return 0;
        }
        // Through i64: one instruction where u64 takes several; a recorded
        // value is below 2^63 (292 years in nanoseconds).
        #[allow(clippy::cast_possible_wrap, reason = "below 2^63")]
        let index = self.index(value as i64 as f64 / self.scale);
        // Above the zero threshold, so at or above `first`.
        let offset = (index - self.first) as usize;
        offset.min(self.buckets - 1) + 1
    }

    /// The bucket index of `value`, positive and normal.
    #[inline]
    fn index(&self, value: f64) -> i32 {
        let bits = value.to_bits();
        // value = 1.mantissa * 2^exponent
        let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
        let mantissa = bits & MANTISSA;
        if self.schema > 0 {
            // Bounds below the value within its power of two.
            #[allow(clippy::cast_possible_wrap, reason = "at most 256 bounds")]
            let below = self.mantissas.partition_point(|&bound| bound < mantissa) as i32;
            (exponent << self.schema) + below
        } else {
            // At schema 0, 2^e is the top of bucket e.
            let index = exponent + i32::from(mantissa != 0);
            let shift = -i32::from(self.schema);
            // Rounds up: bucket i at schema -n merges 2^n buckets of schema 0.
            (index + (1 << shift) - 1) >> shift
        }
    }

    /// The spans and deltas of `counts` (zero bucket first, as
    /// [`cells`](Self::cells)) into `spans` and `deltas`, cleared first;
    /// returns the zero bucket's count. A gap of one or two empty buckets
    /// is written as zero deltas, as Prometheus' clients do: cheaper than a
    /// new span.
    pub(crate) fn spans(
        &self,
        counts: impl Iterator<Item = u64>,
        spans: &mut Vec<(i32, u32)>,
        deltas: &mut Vec<i64>,
    ) -> u64 {
        spans.clear();
        deltas.clear();
        let mut counts = counts;
        let zero = counts.next().unwrap_or(0);
        let mut previous = 0_i64;
        // The index after the last bucket written.
        let mut next: Option<i32> = None;
        for (offset, count) in counts.enumerate() {
            if count == 0 {
                continue;
            }
            let index = self.first + i32::try_from(offset).expect("at most 65535 buckets");
            match next {
                Some(after) if index - after <= 2 => {
                    for _ in after..index {
                        deltas.push(-previous);
                        previous = 0;
                    }
                    if let Some(span) = spans.last_mut() {
                        span.1 += (index - after) as u32 + 1;
                    }
                }
                Some(after) => spans.push((index - after, 1)),
                None => spans.push((index, 1)),
            }
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            deltas.push(count - previous);
            previous = count;
            next = Some(index + 1);
        }
        zero
    }
}

/// The mantissa bits of the bucket bounds within one power of two, for a
/// positive schema; none otherwise.
fn mantissas(schema: i8) -> Box<[u64]> {
    if schema <= 0 {
        return Box::new([]);
    }
    let per_power = 1_u32 << schema;
    (0..per_power)
        .map(|j| (f64::from(j) / f64::from(per_power)).exp2().to_bits() & MANTISSA)
        .collect()
}

/// The bucket index of a positive value at `schema`, computed apart from
/// [`Layout::index`] (for laying out, not per request).
fn index_of(schema: i8, value: f64) -> i32 {
    let per_power = f64::from(schema).exp2();
    let mut index = (value.log2() * per_power).ceil() as i32;
    // `log2` rounds: settle on the bucket whose bounds hold the value.
    let upper = |i: i32| (f64::from(i) / per_power).exp2();
    while value > upper(index) {
        index += 1;
    }
    while value <= upper(index - 1) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(schema: i8) -> Layout {
        Layout::new(schema, 1.0 / 1024.0, 1024.0, u16::MAX, 1.0)
    }

    /// The per-request index agrees with the slow one at every schema, on
    /// bounds, next to them, and between. Catches: an off-by-one at a
    /// power of two, a negative schema rounding toward zero.
    #[test]
    fn the_index_from_the_bits_is_the_buckets_index() {
        for schema in SCHEMAS {
            let layout = layout(schema);
            let per_power = f64::from(schema).exp2();
            for i in -200..200 {
                let bound = (f64::from(i) / per_power).exp2();
                if !bound.is_normal() {
                    continue;
                }
                for value in [
                    bound,
                    f64::from_bits(bound.to_bits() + 1),
                    f64::from_bits(bound.to_bits() - 1),
                    bound * 1.0001,
                ] {
                    assert_eq!(
                        layout.index(value),
                        index_of(schema, value),
                        "schema {schema}, value {value:e}"
                    );
                }
            }
        }
    }

    /// Agrees with prometheus-client's own native histogram, written apart,
    /// on the bucket of each value: the offset of its one span.
    #[cfg(feature = "protobuf")]
    #[test]
    fn buckets_agree_with_prometheus_clients_native_histogram() {
        use prometheus_client::encoding::prometheus_protobuf;
        use prometheus_client::metrics::histogram::{Histogram, NativeHistogramConfig};
        use prometheus_client::registry::Registry;
        for schema in SCHEMAS {
            let ours = Layout::new(schema, 1e-9, 1e6, u16::MAX, 1.0);
            for value in [0.001, 0.5, 1.0, 1.5, 2.0, 3.0, 7.25, 100.0, 4096.0, 12345.6] {
                let theirs = Histogram::new_native(NativeHistogramConfig::with_schema(schema));
                theirs.observe(value);
                let mut registry = Registry::default();
                registry.register("h", "h", theirs);
                let families = prometheus_protobuf::encode(&registry).unwrap();
                let histogram = families[0].metric[0].histogram.as_ref().unwrap();
                assert_eq!(histogram.schema, i32::from(schema));
                let span = &histogram.positive_span[0];
                assert_eq!(ours.index(value), span.offset, "schema {schema}, {value}");
            }
        }
    }

    /// Laid out from a microsecond to 68 minutes, schema 3 does not fit in
    /// 160 buckets and schema 2 does. Catches: the maximum ignored, or the
    /// schema lowered more than needed.
    #[test]
    fn the_schema_is_lowered_until_the_buckets_fit() {
        let defaults = NativeBuckets::default();
        let wanted = Layout::new(3, defaults.zero_threshold, DURATION_TOP, 160, 1e9);
        assert_eq!(wanted.schema, 2);
        assert_eq!(wanted.buckets, 128);
        let roomy = Layout::new(3, defaults.zero_threshold, DURATION_TOP, 256, 1e9);
        assert_eq!((roomy.schema, roomy.buckets), (3, 256));
        let tiny = Layout::new(8, defaults.zero_threshold, DURATION_TOP, 4, 1e9);
        assert_eq!(tiny.schema, -4);
        assert_eq!(tiny.buckets, 3);
    }

    /// Zero, the threshold, just above it, and values past the top land
    /// where they must. Catches: the threshold itself counted above zero, a
    /// value past the top indexing out of bounds.
    #[test]
    fn the_zero_bucket_and_the_top() {
        let layout = Layout::new(0, 1.0, 8.0, 160, 1.0);
        assert_eq!(layout.cell_of(0), 0);
        assert_eq!(layout.cell_of(1), 0);
        // (1, 2] is bucket 1, the first above the threshold.
        assert_eq!(layout.first, 1);
        assert_eq!(layout.cell_of(2), 1);
        assert_eq!(layout.cell_of(3), 2);
        assert_eq!(layout.cell_of(8), 3);
        assert_eq!(layout.cell_of(1 << 40), 3);
        assert_eq!(layout.cells().len(), 4);
    }

    /// Spans and deltas as the protobuf format has them: absolute first
    /// offset, gaps after, small gaps as zero deltas. Catches: a relative
    /// first offset, deltas against the wrong neighbour.
    #[test]
    fn spans_and_deltas() {
        let layout = Layout::new(0, 1.0, 1024.0, 160, 1.0);
        let mut counts = vec![0_u64; layout.cell_count()];
        counts[0] = 7;
        // Buckets 1, 2, 4 (one gap), 9 (a gap of four).
        counts[1] = 3;
        counts[2] = 5;
        counts[4] = 1;
        counts[9] = 2;
        let (mut spans, mut deltas) = (Vec::new(), Vec::new());
        let zero = layout.spans(counts.into_iter(), &mut spans, &mut deltas);
        assert_eq!(zero, 7);
        assert_eq!(spans, [(1, 4), (4, 1)]);
        assert_eq!(deltas, [3, 2, -5, 1, 1]);
    }
}
