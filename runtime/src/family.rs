//! [`ClosedFamily`]: prometheus-client's `Family` for a closed label set,
//! with one cell per possible label set, addressed by index.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::family::MetricConstructor;
use prometheus_client::metrics::{MetricType, TypedMetric};

use crate::closed::ClosedLabelSet;

/// A metric family whose label set is closed: it can never hold more than
/// [`max_series`](ClosedFamily::max_series) series.
///
/// It registers and encodes like prometheus-client's
/// [`Family`](prometheus_client::metrics::family::Family): only series that
/// were created are exported, each labelled through the label set's
/// `EncodeLabelSet`. Unlike `Family`, a lookup neither hashes nor locks: the
/// label set's [`index`](ClosedLabelSet::index) picks one of the cells
/// allocated with the family, and a cell's metric is made on first use.
/// Clones share the series.
///
/// ```
/// use actix_web::{post, HttpResponse};
/// use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
/// use prometheus_client::metrics::counter::Counter;
/// use prometheus_client::registry::Registry;
/// use route_labels::{route_of, ClosedFamily, ClosedLabelSet, ClosedLabelValue, Route};
///
/// #[route_labels::register]
/// #[post("/checkout")]
/// async fn checkout() -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
/// enum Outcome {
///     Paid,
///     Declined,
/// }
///
/// #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
/// struct CheckoutLabels {
///     route: Route,
///     outcome: Outcome,
/// }
///
/// let mut registry = Registry::default();
/// let checkouts = ClosedFamily::<CheckoutLabels, Counter>::default();
/// registry.register("checkouts", "Checkouts by outcome", checkouts.clone());
///
/// let paid = CheckoutLabels { route: route_of!(checkout), outcome: Outcome::Paid };
/// checkouts.get_or_create(&paid).inc();
///
/// assert_eq!(checkouts.max_series(), route_labels::routes().len() * 2);
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains("checkouts_total{route=\"/checkout\",outcome=\"Paid\"} 1\n"));
/// ```
///
/// A label set that is not closed does not compile:
///
/// ```compile_fail,E0277
/// use prometheus_client::metrics::counter::Counter;
/// let family = route_labels::ClosedFamily::<Vec<(String, String)>, Counter>::default();
/// ```
pub struct ClosedFamily<L: ClosedLabelSet, M, C = fn() -> M> {
    inner: Arc<Inner<M, C>>,
    labels: PhantomData<fn() -> L>,
}

struct Inner<M, C> {
    /// One cell per label set, at the set's index.
    cells: Box<[OnceLock<M>]>,
    constructor: C,
}

impl<L: ClosedLabelSet, M: Default> Default for ClosedFamily<L, M> {
    /// A family whose metrics are made by `M::default()`.
    ///
    /// Allocates one empty cell (the size of `OnceLock<M>`) per possible
    /// label set: a budget, `#[closed(max_series = N)]`, keeps that in check.
    fn default() -> Self {
        Self::new_with_constructor(M::default)
    }
}

impl<L: ClosedLabelSet, M, C> ClosedFamily<L, M, C> {
    /// A family whose metrics are made by `constructor`, for instance
    /// histograms with custom buckets; a closure or any
    /// [`MetricConstructor`].
    ///
    /// ```
    /// use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
    /// use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
    /// use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue};
    ///
    /// #[derive(Clone, Copy, Debug, EncodeLabelValue, ClosedLabelValue)]
    /// enum Job { Resize, Email }
    ///
    /// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    /// struct JobLabels { job: Job }
    ///
    /// let durations = ClosedFamily::<JobLabels, Histogram, _>::new_with_constructor(|| {
    ///     Histogram::new(exponential_buckets(0.01, 2.0, 8))
    /// });
    /// durations.get_or_create(&JobLabels { job: Job::Email }).observe(0.3);
    /// ```
    pub fn new_with_constructor(constructor: C) -> Self {
        let cells = (0..L::cardinality()).map(|_| OnceLock::new()).collect();
        Self {
            inner: Arc::new(Inner { cells, constructor }),
            labels: PhantomData,
        }
    }

    /// The number of series the family can ever hold: the number of
    /// possible label sets, [`ClosedLabelSet::cardinality`].
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use prometheus_client::metrics::counter::Counter;
    /// use route_labels::{ClosedFamily, ClosedLabelSet, HttpMethod};
    ///
    /// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    /// struct Labels { method: HttpMethod, cached: bool }
    ///
    /// assert_eq!(ClosedFamily::<Labels, Counter>::default().max_series(), 20);
    /// ```
    #[must_use]
    pub fn max_series(&self) -> usize {
        self.inner.cells.len()
    }

    /// The metric of `labels`, if it was created.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use prometheus_client::metrics::counter::Counter;
    /// use route_labels::{ClosedFamily, ClosedLabelSet};
    ///
    /// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    /// struct Labels { cached: bool }
    ///
    /// let family = ClosedFamily::<Labels, Counter>::default();
    /// assert!(family.get(&Labels { cached: true }).is_none());
    /// family.get_or_create(&Labels { cached: true }).inc();
    /// assert_eq!(family.get(&Labels { cached: true }).map(Counter::get), Some(1));
    /// ```
    ///
    /// # Panics
    ///
    /// If `labels.index()` is not below `max_series()`, which a derived
    /// [`ClosedLabelSet`] never does.
    #[must_use]
    pub fn get(&self, labels: &L) -> Option<&M> {
        self.cell(labels).get()
    }

    fn cell(&self, labels: &L) -> &OnceLock<M> {
        let index = labels.index();
        match self.inner.cells.get(index) {
            Some(cell) => cell,
            None => out_of_range(index, self.inner.cells.len()),
        }
    }
}

#[cold]
#[track_caller]
fn out_of_range(index: usize, cardinality: usize) -> ! {
    panic!(
        "`ClosedLabelSet::index` returned {index}, beyond the cardinality {cardinality} of its label set"
    )
}

impl<L: ClosedLabelSet, M, C: MetricConstructor<M>> ClosedFamily<L, M, C> {
    /// The metric of `labels`, created on first use.
    ///
    /// No lock and no hash: the label set's index selects a preallocated
    /// cell, and after the first use of a label set the lookup is an atomic
    /// load. The reference lives as long as the family: series are never
    /// removed (there are at most [`max_series`](ClosedFamily::max_series)).
    ///
    /// ```
    /// # use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
    /// use prometheus_client::metrics::counter::Counter;
    /// use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue};
    ///
    /// #[derive(Clone, Copy, Debug, EncodeLabelValue, ClosedLabelValue)]
    /// enum Cache { Hit, Miss }
    ///
    /// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    /// struct Labels { cache: Cache }
    ///
    /// let lookups = ClosedFamily::<Labels, Counter>::default();
    /// lookups.get_or_create(&Labels { cache: Cache::Hit }).inc();
    /// lookups.get_or_create(&Labels { cache: Cache::Hit }).inc();
    /// assert_eq!(lookups.get_or_create(&Labels { cache: Cache::Hit }).get(), 2);
    /// ```
    ///
    /// # Panics
    ///
    /// If `labels.index()` is not below `max_series()`, which a derived
    /// [`ClosedLabelSet`] never does.
    pub fn get_or_create(&self, labels: &L) -> &M {
        self.cell(labels)
            .get_or_init(|| self.inner.constructor.new_metric())
    }

    /// A clone of the metric of `labels`, created on first use; as
    /// prometheus-client's `Family::get_or_create_owned`.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use prometheus_client::metrics::counter::Counter;
    /// use route_labels::{ClosedFamily, ClosedLabelSet};
    ///
    /// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    /// struct Labels { cached: bool }
    ///
    /// let family = ClosedFamily::<Labels, Counter>::default();
    /// let hits: Counter = family.get_or_create_owned(&Labels { cached: true });
    /// hits.inc();
    /// assert_eq!(family.get_or_create(&Labels { cached: true }).get(), 1);
    /// ```
    ///
    /// # Panics
    ///
    /// As [`get_or_create`](ClosedFamily::get_or_create).
    pub fn get_or_create_owned(&self, labels: &L) -> M
    where
        M: Clone,
    {
        self.get_or_create(labels).clone()
    }
}

impl<L: ClosedLabelSet, M, C> Clone for ClosedFamily<L, M, C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            labels: PhantomData,
        }
    }
}

impl<L: ClosedLabelSet, M, C> fmt::Debug for ClosedFamily<L, M, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let series = self
            .inner
            .cells
            .iter()
            .filter(|cell| cell.get().is_some())
            .count();
        f.debug_struct("ClosedFamily")
            .field("label_set", &std::any::type_name::<L>())
            .field("series", &series)
            .field("max_series", &self.max_series())
            .finish_non_exhaustive()
    }
}

impl<L: ClosedLabelSet, M: TypedMetric, C> TypedMetric for ClosedFamily<L, M, C> {
    const TYPE: MetricType = M::TYPE;
}

impl<L, M, C> EncodeMetric for ClosedFamily<L, M, C>
where
    L: ClosedLabelSet,
    M: EncodeMetric + TypedMetric,
{
    /// Every created series, in index order, labelled by
    /// [`ClosedLabelSet::from_index`].
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
        for (index, cell) in self.inner.cells.iter().enumerate() {
            let Some(metric) = cell.get() else {
                continue;
            };
            match L::from_index(index) {
                Some(labels) => metric.encode(encoder.encode_family(&labels)?)?,
                // A hand-written `ClosedLabelSet` whose `from_index` does not
                // invert `index`: leave the series out rather than fail the
                // whole scrape.
                None => log::error!(
                    "route-labels: `{}::from_index({index})` returned `None` for a series in use; the series is not exported",
                    std::any::type_name::<L>()
                ),
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    /// Empty until a series is created, as a `Family` is, so that the
    /// registry leaves out its descriptor.
    fn is_empty(&self) -> bool {
        self.inner.cells.iter().all(|cell| cell.get().is_none())
    }
}
