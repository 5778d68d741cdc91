//! [`ClosedFamily`]: prometheus-client's `Family` for a closed label set,
//! with one cell per possible label set, addressed by index, allocated in
//! chunks as series are created.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::family::MetricConstructor;
use prometheus_client::metrics::{MetricType, TypedMetric};

use crate::cells::chunked::Chunked;
use crate::closed::ClosedLabelSet;

/// A metric family whose label set is closed: it never holds more than
/// [`max_series`](ClosedFamily::max_series) series.
///
/// It registers and encodes like prometheus-client's
/// [`Family`](prometheus_client::metrics::family::Family): only series that
/// were created are exported, each labelled through the label set's
/// `EncodeLabelSet`. Unlike `Family`, a lookup neither hashes nor locks: the
/// label set's [`index`](ClosedLabelSet::index) picks its cell, and a cell's
/// metric is made on first use. Cells are allocated in chunks that never
/// move, as series are created, so a family made before the app is built
/// (when a [`Route`](crate::Route) field's cardinality is not known yet)
/// takes the series of every route the app mounts later. Clones share the
/// series.
///
/// ```
/// use actix_web::{post, test, web, App, HttpResponse};
/// use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
/// use prometheus_client::metrics::counter::Counter;
/// use prometheus_client::registry::Registry;
/// use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, Route};
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
/// type Checkouts = web::Data<ClosedFamily<CheckoutLabels, Counter>>;
///
/// #[route_labels::register]
/// #[post("/checkout")]
/// async fn checkout(route: Route, checkouts: Checkouts) -> HttpResponse {
///     checkouts.get_or_create(&CheckoutLabels { route, outcome: Outcome::Paid }).inc();
///     HttpResponse::Ok().finish()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = Registry::default();
/// let checkouts = ClosedFamily::<CheckoutLabels, Counter>::default();
/// registry.register("checkouts", "Checkouts by outcome", checkouts.clone());
///
/// let app = test::init_service(
///     App::new().app_data(web::Data::new(checkouts.clone())).service(checkout),
/// )
/// .await;
/// test::call_service(&app, test::TestRequest::post().uri("/checkout").to_request()).await;
///
/// // One mount, `unmatched` and `unregistered`, times two outcomes.
/// assert_eq!(checkouts.max_series(), (1 + 2) * 2);
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains("checkouts_total{route=\"/checkout\",outcome=\"Paid\"} 1\n"));
/// # });
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
    /// The metric of each label set used so far, at the set's index.
    cells: Chunked<M, usize>,
    constructor: C,
}

impl<L: ClosedLabelSet, M: Default> Default for ClosedFamily<L, M> {
    /// A family whose metrics are made by `M::default()`.
    ///
    /// Allocates no cells yet. Creating the series of index `i` allocates,
    /// unless it is there, the chunk of empty cells (each the size of an
    /// `OnceLock<M>`, 16 bytes for prometheus-client's metrics) that holds
    /// `i`. Chunks double in size, so a family whose highest index used is
    /// `i` holds at most `2 * i + 4` cells: about twice
    /// [`max_series`](ClosedFamily::max_series) at worst. A budget,
    /// `#[closed(max_series = N)]`, keeps that in check.
    fn default() -> Self {
        Self::new_with_constructor(M::default)
    }
}

impl<L: ClosedLabelSet, M, C> ClosedFamily<L, M, C> {
    /// A family whose metrics are made by `constructor`, for instance
    /// histograms with custom buckets; a closure or any
    /// [`MetricConstructor`](prometheus_client::metrics::family::MetricConstructor).
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
        Self {
            inner: Arc::new(Inner {
                cells: Chunked::default(),
                constructor,
            }),
            labels: PhantomData,
        }
    }

    /// The number of series the family can hold: the number of possible
    /// label sets, [`ClosedLabelSet::cardinality`], now.
    ///
    /// It is fixed for a label set whose fields' cardinalities are all known
    /// at compile time. With a field known only at run time it may grow
    /// while the program runs, never shrink, and is exact once the app is
    /// built: a [`Route`](crate::Route) field counts the mounts of the built
    /// app.
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
        L::cardinality()
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
        let index = labels.index();
        let metric = self.inner.cells.get(index);
        if metric.is_none() {
            check_in_range::<L>(index);
        }
        metric
    }
}

/// Panics if `index` is not below the cardinality of `L` now. A series that
/// exists passed this check when it was created, and cardinalities never
/// shrink: only a lookup that finds no series needs it.
#[cold]
#[track_caller]
fn check_in_range<L: ClosedLabelSet>(index: usize) {
    let cardinality = L::cardinality();
    assert!(
        index < cardinality,
        "`ClosedLabelSet::index` returned {index}, beyond the cardinality {cardinality} of its label set"
    );
}

impl<L: ClosedLabelSet, M, C: MetricConstructor<M>> ClosedFamily<L, M, C> {
    /// The metric of `labels`, created on first use.
    ///
    /// No lock and no hash: the label set's index selects a cell, and after
    /// the first use of a label set the lookup is a leading-zeros count and
    /// two atomic loads. The reference lives as long as the family: series
    /// are never removed (there are at most
    /// [`max_series`](ClosedFamily::max_series)).
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
    #[inline]
    pub fn get_or_create(&self, labels: &L) -> &M {
        let index = labels.index();
        match self.inner.cells.get(index) {
            Some(metric) => metric,
            None => self.create(index),
        }
    }

    /// The metric at `index`, which no series had a moment ago.
    #[cold]
    fn create(&self, index: usize) -> &M {
        check_in_range::<L>(index);
        self.inner
            .cells
            .get_or_init(index, || self.inner.constructor.new_metric())
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
        let series = self.inner.cells.iter().count();
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
        for (index, metric) in self.inner.cells.iter() {
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
        self.inner.cells.iter().next().is_none()
    }
}
