//! [`HttpMetrics`]: the app-level middleware that times every request.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use prometheus_client::registry::Registry;

use crate::cells::{Bounds, Row};
use crate::claim::{self, Claim};
use crate::collector::HttpCollector;
use crate::error::BuildError;
use crate::inventory::{RouteInfo, routes};
use crate::labels::{CLIENT_CLOSED_REQUEST, HttpMethod};
use crate::mounts::{self, Mount};
use crate::route::Route;

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

/// The status a request that failed without a response of its own is
/// counted with: a panicking handler, a body that yields an error.
const SERVER_ERROR: u16 = 500;

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
            mounts: crate::slots::Slots::default(),
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
    /// let before = metrics.max_series();
    /// // ... any amount of traffic later, the bound holds:
    /// assert!(before > 0);
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    #[must_use]
    pub fn max_series(&self) -> u64 {
        self.shared.max_series()
    }
}

/// Metric names, with the prefix.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) duration: String,
    pub(crate) active: String,
    pub(crate) route: String,
}

/// What every worker's middleware and the collector share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) names: Names,
    pub(crate) bounds: Bounds,
    status_slots: usize,
    pub(crate) active: [AtomicI64; HttpMethod::ALL.len()],
    pub(crate) unmatched: [Row; HttpMethod::ALL.len()],
    pub(crate) unregistered: [Row; HttpMethod::ALL.len()],
    /// Cells of each mount that has served a request, by mount id.
    pub(crate) mounts: crate::slots::Slots<MountCells>,
}

/// The rows of one mount: one per method label its handler accepts.
#[derive(Debug)]
pub(crate) struct MountCells {
    pub(crate) methods: Vec<HttpMethod>,
    rows: Vec<Row>,
}

impl MountCells {
    fn new(mount: Mount, bounds: &Bounds, status_slots: usize) -> Self {
        let methods = accepted_methods(mount.route);
        let rows = methods
            .iter()
            .map(|_| Row::new(bounds, status_slots))
            .collect();
        Self { methods, rows }
    }

    fn row(&self, method: HttpMethod) -> Option<&Row> {
        let index = self.methods.iter().position(|m| *m == method)?;
        Some(&self.rows[index])
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = (HttpMethod, &Row)> {
        self.methods.iter().copied().zip(&self.rows)
    }
}

/// The distinct method labels a route accepts, in label order: every one
/// when its methods are not known at compile time.
fn accepted_methods(route: &RouteInfo) -> Vec<HttpMethod> {
    if route.methods().is_empty() {
        return HttpMethod::ALL.to_vec();
    }
    let mut methods: Vec<HttpMethod> = route
        .methods()
        .iter()
        .map(|m| HttpMethod::from_bytes(m.as_bytes()))
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// Where a request is counted.
#[derive(Debug, Clone, Copy)]
enum Target {
    Mount(u32),
    Unmatched,
    Unregistered,
}

impl Shared {
    fn record(&self, target: Target, method: HttpMethod, code: u16, nanos: u64) {
        let row = match target {
            Target::Mount(id) => {
                let cells = self.mounts.get_or_init(id, || {
                    MountCells::new(mounts::mount(id), &self.bounds, self.status_slots)
                });
                // A method the handler does not declare cannot pass actix-web's
                // method guard; if a custom guard lets one through anyway, it is
                // still counted, as `unregistered`.
                cells
                    .row(method)
                    .unwrap_or(&self.unregistered[method.index()])
            }
            Target::Unmatched => &self.unmatched[method.index()],
            Target::Unregistered => &self.unregistered[method.index()],
        };
        row.observe(&self.bounds, code, nanos);
    }

    fn max_series(&self) -> u64 {
        let per_series = self.bounds.len() as u64 + 2;
        let per_row = (self.status_slots as u64 + 1) * per_series;
        let (route_rows, info_series) = routes().fold((0, 0), |(rows, info), route| {
            let mounted = mounts::times_mounted(route).max(1) as u64;
            (
                rows + mounted * accepted_methods(route).len() as u64,
                info + mounted,
            )
        });
        let bucket_rows = 2 * HttpMethod::ALL.len() as u64;
        (route_rows + bucket_rows) * per_row + HttpMethod::ALL.len() as u64 + info_series
    }
}

impl<S, B> Transform<S, ServiceRequest> for HttpMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MeteredBody<B>>;
    type Error = actix_web::Error;
    type Transform = HttpMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HttpMetricsService {
            service,
            shared: Rc::new(self.shared.clone()),
        }))
    }
}

/// The service [`HttpMetrics`] wraps around an app; one per worker.
#[derive(Debug)]
pub struct HttpMetricsService<S> {
    service: S,
    /// `Rc` so that a request's future holds the shared state without
    /// touching the `Arc`'s count, which every worker would contend on.
    #[allow(
        clippy::redundant_allocation,
        reason = "the Rc is per worker; cloning it is not atomic"
    )]
    shared: Rc<Arc<Shared>>,
}

impl<S, B> Service<ServiceRequest> for HttpMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MeteredBody<B>>;
    type Error = actix_web::Error;
    type Future = HttpMetricsFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        let method = HttpMethod::from_method(req.method());
        self.shared.active[method.index()].fetch_add(1, Ordering::Relaxed);
        let mut in_flight = InFlight {
            shared: Rc::clone(&self.shared),
            start,
            method,
            claim: Claim::None,
            recorded: false,
            polling: false,
            response: None,
            body_polled: false,
        };
        // actix-web routes synchronously: the stamp claims the request now,
        // unless a middleware in between defers its inner call to a poll.
        let (inner, claim) = claim::watch(Claim::None, || self.service.call(req));
        in_flight.claim = claim;
        HttpMetricsFuture {
            inner,
            in_flight: Some(in_flight),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`HttpMetricsService`]: the response head, with the
    /// body wrapped in a [`MeteredBody`].
    #[derive(Debug)]
    pub struct HttpMetricsFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<InFlight>,
    }
}

pin_project_lite::pin_project! {
    /// The body of a response [`HttpMetrics`] timed: the request is counted
    /// when the last chunk has been sent, so the duration runs to the last
    /// byte; a body the server began to send and dropped unfinished (the
    /// client went away) counts as [`CLIENT_CLOSED_REQUEST`]; a body that
    /// yields an error is a server failure and counts as `500`, whatever
    /// status its head carried. A body nobody polled (a `HEAD` response, a
    /// test that did not read it) counts with its status when dropped. It is the app's body type once wrapped:
    ///
    /// ```
    /// use actix_web::{body::MessageBody, dev::ServiceResponse, test, App, HttpResponse};
    /// use route_labels::{HttpMetrics, MeteredBody};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let metrics = HttpMetrics::new(&mut prometheus_client::registry::Registry::default()).unwrap();
    /// let app = test::init_service(
    ///     App::new().default_service(actix_web::web::to(HttpResponse::NotFound)).wrap(metrics),
    /// )
    /// .await;
    /// let res: ServiceResponse<MeteredBody<_>> =
    ///     test::call_service(&app, test::TestRequest::get().to_request()).await;
    /// assert_eq!(res.status(), 404);
    /// assert!(res.into_body().size().is_eof());
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct MeteredBody<B> {
        #[pin]
        body: B,
        in_flight: InFlight,
    }
}

impl<B: MessageBody> MessageBody for MeteredBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        this.in_flight.body_polled = true;
        let next = this.body.poll_next(cx);
        match &next {
            Poll::Ready(None) => this.in_flight.finish(),
            // The server failed to produce the body it began to send: a
            // server error, whatever status the head carried.
            Poll::Ready(Some(Err(_))) => this.in_flight.fail(),
            _ => {}
        }
        next
    }

    /// A body that is all in memory is complete: the request is counted
    /// now, and whoever takes the bytes (actix-web's `Compress`, `BoxBody`)
    /// does not have to stream or box this wrapper.
    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self {
            body,
            mut in_flight,
        } = self;
        match body.try_into_bytes() {
            Ok(bytes) => {
                in_flight.finish();
                Ok(bytes)
            }
            Err(body) => Err(Self { body, in_flight }),
        }
    }
}

/// One request between its call and its end. Dropping it unrecorded (the
/// client went away, or a handler panicked) still counts the request.
#[derive(Debug)]
struct InFlight {
    #[allow(
        clippy::redundant_allocation,
        reason = "see `HttpMetricsService::shared`"
    )]
    shared: Rc<Arc<Shared>>,
    start: Instant,
    method: HttpMethod,
    /// What the routing said about the request: the mount a stamp claimed
    /// it for, once one has.
    claim: Claim,
    recorded: bool,
    /// True while the inner future is being polled: still true at drop time
    /// means a poll panicked (the runtime caught the panic, then dropped us).
    polling: bool,
    /// Where and with which status the response head was produced.
    response: Option<(Target, u16)>,
    /// Whether the server began sending the body.
    body_polled: bool,
}

impl InFlight {
    fn record(&mut self, target: Target, code: u16) {
        // u64 nanoseconds last 584 years.
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.shared.record(target, self.method, code, nanos);
        self.recorded = true;
    }

    /// The response is complete: count it with its status.
    fn finish(&mut self) {
        if let (false, Some((target, code))) = (self.recorded, self.response) {
            self.record(target, code);
        }
    }

    /// The response body failed: count it as a server error.
    fn fail(&mut self) {
        if let (false, Some((target, _))) = (self.recorded, self.response) {
            self.record(target, SERVER_ERROR);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.recorded {
            let (target, code) = match self.response {
                // A body the server began to send and dropped unfinished: the
                // client went away. A body nobody polled (a `HEAD` response, a
                // test that did not read it) counts with its status.
                Some((target, code)) if !self.body_polled => (target, code),
                Some((target, _)) => (target, CLIENT_CLOSED_REQUEST),
                // No response head: a poll that never returned is a panicking
                // handler, a server error; anything else that drops a request
                // unfinished is the client going away.
                None => (
                    match self.claim {
                        Claim::Mount(id) => Target::Mount(id),
                        Claim::None | Claim::Refused => Target::Unmatched,
                    },
                    if self.polling || std::thread::panicking() {
                        SERVER_ERROR
                    } else {
                        CLIENT_CLOSED_REQUEST
                    },
                ),
            };
            self.record(target, code);
        }
        self.shared.active[self.method.index()].fetch_sub(1, Ordering::Relaxed);
    }
}

impl<F, B> Future for HttpMetricsFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<MeteredBody<B>>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let in_flight = this.in_flight.as_mut().expect("polled after completion");
        in_flight.polling = true;
        let (output, claim) = claim::watch(in_flight.claim, || this.inner.poll(cx));
        in_flight.claim = claim;
        in_flight.polling = false;
        let Poll::Ready(output) = output else {
            return Poll::Pending;
        };
        match output {
            Ok(res) => {
                let target = match claim {
                    Claim::Mount(id) => Target::Mount(id),
                    // A registered route at this path refused the request:
                    // a default service answers it (`404`, unless a custom
                    // one says otherwise), or a resource that is not
                    // registered took it (a route not yet converted).
                    Claim::Refused if res.status() == StatusCode::NOT_FOUND => Target::Unmatched,
                    Claim::Refused | Claim::None => match Route::unclaimed(res.request()) {
                        Route::UNREGISTERED => Target::Unregistered,
                        _ => Target::Unmatched,
                    },
                };
                let mut in_flight = this.in_flight.take().expect("present until ready");
                in_flight.response = Some((target, res.status().as_u16()));
                Poll::Ready(Ok(res.map_body(|_, body| {
                    if matches!(body.size(), BodySize::None | BodySize::Sized(0)) {
                        // The server sends no body: the head completes it.
                        in_flight.finish();
                    }
                    MeteredBody { body, in_flight }
                })))
            }
            Err(err) => {
                let target = match claim {
                    Claim::Mount(id) => Target::Mount(id),
                    Claim::None | Claim::Refused => Target::Unmatched,
                };
                in_flight.record(target, err.as_response_error().status_code().as_u16());
                Poll::Ready(Err(err))
            }
        }
    }
}
