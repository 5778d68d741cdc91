//! [`HttpMetrics`]: the app-level middleware that times every request, and
//! its internals, one concept a file:
//!
//! - [`shared`]: the cells every worker writes and the collector reads;
//!   [`cells`]: a row of histograms by status code;
//! - [`service`]: the `Transform`, the per-worker service and the future of a
//!   request; [`in_flight`]: a request's life as a state type;
//!   [`body`]: the response body that counts the request at its last byte;
//! - [`mounts`]: the mount table; [`stamp`]: the per-mount stamp;
//!   [`claim`]: how a stamp tells the middleware which mount serves a
//!   request; [`builders`]: the registered route builders (`resource!`,
//!   `get!`, ...);
//! - [`collector`]: the exposition at scrape time.

pub(crate) mod body;
pub(crate) mod builders;
pub(crate) mod cells;
pub(crate) mod claim;
pub(crate) mod clock;
pub(crate) mod collector;
pub(crate) mod in_flight;
pub(crate) mod mounts;
pub(crate) mod service;
pub(crate) mod shared;
pub(crate) mod stamp;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use prometheus_client::registry::Registry;

use crate::error::BuildError;
use crate::http::cells::{Bounds, Row};
use crate::http::collector::HttpCollector;
use crate::http::shared::{Names, Shared};
use crate::inventory::routes;
use crate::labels::HttpMethod;

/// The request duration buckets of the OpenTelemetry HTTP semantic
/// conventions, in seconds.
///
/// ```
/// assert_eq!(route_labels::DEFAULT_BUCKETS.len(), 14);
/// assert_eq!(route_labels::DEFAULT_BUCKETS[0], 0.005);
/// ```
pub const DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The default number of distinct status codes kept per (route, method) pair.
///
/// ```
/// assert_eq!(route_labels::DEFAULT_STATUS_CODES_PER_ROUTE, 8);
/// ```
pub const DEFAULT_STATUS_CODES_PER_ROUTE: usize = 8;

/// HTTP server metrics whose `http_route` label can only take the templates
/// of registered handlers, `unmatched` and `unregistered`.
///
/// Cloning is cheap (one `Arc`); wrap the app with a clone in every worker.
/// Register it last so it is the outermost middleware and times everything.
///
/// ```
/// use actix_web::{get, web, App, HttpResponse};
/// use prometheus_client::registry::Registry;
/// use route_labels::HttpMetrics;
///
/// #[route_labels::register]
/// #[get("/members/{id}")]
/// async fn get_member(id: web::Path<u32>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("member {id}"))
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = Registry::default();
/// let metrics = HttpMetrics::new(&mut registry).unwrap();
/// let app = actix_web::test::init_service(
///     App::new().service(web::scope("/v1").service(get_member)).wrap(metrics.clone()),
/// )
/// .await;
/// let req = actix_web::test::TestRequest::get().uri("/v1/members/7?utm=x").to_request();
/// actix_web::test::call_service(&app, req).await;
///
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"http_route="/v1/members/{id}""#));
/// assert!(!text.contains("/v1/members/7"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    shared: Arc<Shared>,
}

/// Options for [`HttpMetrics`]; from [`HttpMetrics::builder`].
///
/// ```
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::builder()
///     .buckets([0.01, 0.1, 1.0])
///     .prefix("shop")
///     .status_codes_per_route(4)
///     .build(&mut registry)
///     .unwrap();
/// # let _ = metrics;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct HttpMetricsBuilder {
    buckets: Vec<f64>,
    prefix: Option<String>,
    status_codes_per_route: usize,
}

impl Default for HttpMetricsBuilder {
    fn default() -> Self {
        Self {
            buckets: DEFAULT_BUCKETS.to_vec(),
            prefix: None,
            status_codes_per_route: DEFAULT_STATUS_CODES_PER_ROUTE,
        }
    }
}

impl HttpMetricsBuilder {
    /// Upper bounds of the request duration histogram, in seconds (default:
    /// [`DEFAULT_BUCKETS`]). `+Inf` is always added.
    ///
    /// ```
    /// let builder = route_labels::HttpMetrics::builder().buckets([0.1, 1.0]);
    /// # let _ = builder;
    /// ```
    pub fn buckets(mut self, buckets: impl IntoIterator<Item = f64>) -> Self {
        self.buckets = buckets.into_iter().collect();
        self
    }

    /// A prefix for every metric name: `shop` gives
    /// `shop_http_server_request_duration_seconds`.
    ///
    /// ```
    /// let builder = route_labels::HttpMetrics::builder().prefix("shop");
    /// # let _ = builder;
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// How many distinct status codes each (route, method) pair keeps apart
    /// (default: [`DEFAULT_STATUS_CODES_PER_ROUTE`]). Codes seen after that
    /// are counted under [`OTHER_STATUS`](crate::OTHER_STATUS).
    ///
    /// ```
    /// let builder = route_labels::HttpMetrics::builder().status_codes_per_route(3);
    /// # let _ = builder;
    /// ```
    pub fn status_codes_per_route(mut self, capacity: usize) -> Self {
        self.status_codes_per_route = capacity;
        self
    }

    /// Checks the options and the route inventory, and registers the metrics.
    ///
    /// Nothing about the routes can make it fail: templates repeat across
    /// scopes in every real app, and what each handler is reachable under is
    /// only known once actix-web routes a request to it.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidBuckets`], [`BuildError::InvalidPrefix`] and
    /// [`BuildError::NoStatusCodes`] for bad options.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder().build(&mut registry)?;
    /// # let _ = metrics;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn build(self, registry: &mut Registry) -> Result<HttpMetrics, BuildError> {
        let valid_buckets = !self.buckets.is_empty()
            && self.buckets.iter().all(|b| b.is_finite() && *b > 0.0)
            && self.buckets.windows(2).all(|w| w[0] < w[1]);
        if !valid_buckets {
            return Err(BuildError::InvalidBuckets(self.buckets));
        }
        if let Some(prefix) = &self.prefix
            && !is_metric_name(prefix)
        {
            return Err(BuildError::InvalidPrefix(prefix.clone()));
        }
        if self.status_codes_per_route == 0 {
            return Err(BuildError::NoStatusCodes);
        }
        warn_if_empty();

        let bounds = Bounds::new(&self.buckets);
        let status_slots = self.status_codes_per_route;
        let name = |base: &str| match &self.prefix {
            Some(prefix) => format!("{prefix}_{base}"),
            None => base.to_owned(),
        };
        let shared = Arc::new(Shared {
            names: Names {
                duration: name("http_server_request_duration"),
                active: name("http_server_active_requests"),
                route: name("http_server_route_info"),
            },
            active: [const { AtomicI64::new(0) }; HttpMethod::ALL.len()],
            unmatched: HttpMethod::ALL.map(|_| Row::new(&bounds, status_slots)),
            unregistered: HttpMethod::ALL.map(|_| Row::new(&bounds, status_slots)),
            mounts: crate::chunked::Chunked::default(),
            bounds,
            status_slots,
        });
        registry.register_collector(Box::new(HttpCollector::new(shared.clone())));
        Ok(HttpMetrics { shared })
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn warn_if_empty() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if routes().len() == 0 {
        WARNED.call_once(|| {
            log::warn!(
                "route-labels: no handler is registered, so every request will be counted as \
                 `unmatched` or `unregistered`; add #[route_labels::register] to handlers, and \
                 if they live in a library crate that the binary never names, reference it: \
                 `use my_handlers as _;`"
            );
        });
    }
}

impl HttpMetrics {
    /// Registers the HTTP metrics in `registry` with the default options.
    ///
    /// # Errors
    ///
    /// None with the default options; see [`HttpMetricsBuilder::build`].
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry)?;
    /// actix_web::App::new().wrap(metrics.clone());
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn new(registry: &mut Registry) -> Result<Self, BuildError> {
        Self::builder().build(registry)
    }

    /// Options: buckets, metric prefix, status codes per route.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder().prefix("api").build(&mut registry)?;
    /// # let _ = metrics;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn builder() -> HttpMetricsBuilder {
        HttpMetricsBuilder::default()
    }

    /// The most samples these metrics can ever expose in one scrape: set
    /// Prometheus' `sample_limit` from it (plus your other metrics).
    ///
    /// Each histogram series is `buckets + 3` samples (`+Inf`, `_sum`,
    /// `_count`); a registered route contributes one histogram series per
    /// method it accepts (every method label when its methods are not known
    /// at compile time, as for [`resource!`](crate::resource)) and status
    /// slot (`status_codes_per_route + 1`, the overflow); `unmatched` and
    /// `unregistered` ten methods each; the gauge ten; the route info metric
    /// one per mount. A handler mounted under `n` scopes counts `n` times
    /// once the server has built its app (before any request); read it
    /// after `HttpServer::run` or `init_service`.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry)?;
    /// let before = metrics.max_samples();
    /// // ... any amount of traffic later, the bound holds:
    /// assert!(before > 0);
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    #[must_use]
    pub fn max_samples(&self) -> u64 {
        self.shared.max_samples()
    }

    /// The old name of [`max_samples`](HttpMetrics::max_samples): it counts
    /// samples (lines of the exposition), where
    /// [`ClosedFamily::max_series`](crate::ClosedFamily::max_series) counts
    /// series (label sets).
    ///
    /// ```
    /// # let mut registry = prometheus_client::registry::Registry::default();
    /// # let metrics = route_labels::HttpMetrics::new(&mut registry)?;
    /// #[allow(deprecated)]
    /// let bound = metrics.max_series();
    /// assert_eq!(bound, metrics.max_samples());
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    #[must_use]
    #[deprecated(note = "renamed `max_samples`: it counts samples, not series")]
    pub fn max_series(&self) -> u64 {
        self.max_samples()
    }
}
