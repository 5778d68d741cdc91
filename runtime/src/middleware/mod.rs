//! [`HttpMetrics`], the app-level middleware that times every request, and
//! its builder; one concept a file:
//!
//! - [`shared`]: what the middleware on every worker and the collector
//!   share: the rows, the app's mounts, the bound;
//! - [`attributes`]: the optional OpenTelemetry attributes (scheme,
//!   protocol version, error type) and extra methods, their closed sets;
//!   [`outcome`]: what a request ended with, and its `error_type`;
//! - [`service`]: the `Transform`, the per-worker service and the future of a
//!   request; [`in_flight`]: a request's life as a state type;
//!   [`body`]: the response body that counts the request at its last byte;
//!   [`body_sizes`]: the bodies' bytes, counted as they pass;
//!   [`clock`]: the monotonic clock; [`worker`]: what one worker's
//!   middleware holds;
//! - [`error`]: why the builder refuses options.

pub(crate) mod attributes;
pub(crate) mod body;
pub(crate) mod body_sizes;
pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod in_flight;
pub(crate) mod outcome;
pub(crate) mod service;
pub(crate) mod shared;
pub(crate) mod worker;

use std::sync::Arc;

use prometheus_client::registry::Registry;

use crate::cells::active::ActiveRequests;
use crate::cells::native::{Histograms, NativeBuckets};
use crate::cells::{Bounds, Row, Shape};
use crate::export::collector::HttpCollector;
use crate::labels::HttpMethod;
use crate::middleware::attributes::{Attributes, is_method_token};
use crate::middleware::error::BuildError;
use crate::middleware::shared::{Names, Shared};
use crate::routing::inventory::{RouteInfo, registrations, routes};

use crate::middleware::attributes::MAX_EXTRA_METHODS;

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

/// Body size buckets, in bytes, for
/// [`HttpMetricsBuilder::body_sizes`]: powers of 4 from 64 B to 16 MiB.
///
/// ```
/// assert_eq!(route_labels::DEFAULT_BODY_SIZE_BUCKETS[0], 64.0);
/// assert_eq!(route_labels::DEFAULT_BODY_SIZE_BUCKETS[9], 16.0 * 1024.0 * 1024.0);
/// ```
pub const DEFAULT_BODY_SIZE_BUCKETS: [f64; 10] = [
    64.0,
    256.0,
    1_024.0,
    4_096.0,
    16_384.0,
    65_536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
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
/// Cloning is cheap (one `Arc`): wrap each worker's app with
/// [`app`](Self::app) (a clone per worker), which makes the metrics the
/// outermost middleware, so they time everything, and tells them the app's
/// mounts when it is built. `.wrap(metrics)` works too, but then learns
/// mounts at their first request, and the route info and
/// [`max_samples`](Self::max_samples) cover every app of the process.
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
///     metrics.app(App::new().service(web::scope("/v1").service(get_member))),
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
    url_scheme: bool,
    protocol_version: bool,
    error_type: bool,
    methods: Vec<String>,
    excluded: Vec<&'static RouteInfo>,
    excluded_handlers: Vec<&'static str>,
    body_sizes: Option<Vec<f64>>,
    histograms: Histograms,
    native_buckets: NativeBuckets,
}

impl Default for HttpMetricsBuilder {
    fn default() -> Self {
        Self {
            buckets: DEFAULT_BUCKETS.to_vec(),
            prefix: None,
            status_codes_per_route: DEFAULT_STATUS_CODES_PER_ROUTE,
            url_scheme: false,
            protocol_version: false,
            error_type: false,
            methods: Vec::new(),
            excluded: Vec::new(),
            excluded_handlers: Vec::new(),
            body_sizes: None,
            histograms: Histograms::Classic,
            native_buckets: NativeBuckets::default(),
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
    /// are counted under [`OTHER`](crate::OTHER).
    ///
    /// ```
    /// let builder = route_labels::HttpMetrics::builder().status_codes_per_route(3);
    /// # let _ = builder;
    /// ```
    pub fn status_codes_per_route(mut self, capacity: usize) -> Self {
        self.status_codes_per_route = capacity;
        self
    }

    /// Adds the `url_scheme` label (OpenTelemetry `url.scheme`, required):
    /// `http` or `https`, from the listener the request came in on
    /// (`HttpServer::bind` or a TLS bind), never from `Host`, `Forwarded` or
    /// `X-Forwarded-Proto`, which the client writes. Behind a proxy that
    /// terminates TLS it says how the proxy reached the app. Off by default:
    /// most servers listen on one scheme. It doubles the bound of
    /// [`HttpMetrics::max_samples`] (both schemes are possible), and labels
    /// `http_server_active_requests` too.
    ///
    /// ```
    /// # use actix_web::{test, web, App, HttpResponse};
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder().url_scheme(true).build(&mut registry)?;
    /// let app = test::init_service(App::new().wrap(metrics)).await;
    /// let req = test::TestRequest::get().insert_header(("x-forwarded-proto", "gopher"));
    /// test::call_service(&app, req.to_request()).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains(r#"url_scheme="http""#) && !text.contains("gopher"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn url_scheme(mut self, on: bool) -> Self {
        self.url_scheme = on;
        self
    }

    /// Adds the `network_protocol_version` label (OpenTelemetry
    /// `network.protocol.version`, recommended): `1.0`, `1.1`, `2` or `3`, as
    /// actix-web parsed the request. Off by default; it multiplies the bound
    /// of [`HttpMetrics::max_samples`] by four.
    ///
    /// ```
    /// # use actix_web::{http::Version, test, App};
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics =
    ///     route_labels::HttpMetrics::builder().protocol_version(true).build(&mut registry)?;
    /// let app = test::init_service(App::new().wrap(metrics)).await;
    /// let req = test::TestRequest::get().version(Version::HTTP_10).to_request();
    /// test::call_service(&app, req).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains(r#"network_protocol_version="1.0""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn protocol_version(mut self, on: bool) -> Self {
        self.protocol_version = on;
        self
    }

    /// Adds the `error_type` label (OpenTelemetry `error.type`,
    /// conditionally required) to requests that failed: the status code for
    /// a `5xx` response (`"503"`); for a request that failed without a
    /// response of its own, `client_closed` (the client went away: status
    /// [`CLIENT_CLOSED_REQUEST`](crate::CLIENT_CLOSED_REQUEST)), `panic` (the
    /// handler panicked: `500`) or `response_body_error` (the body failed
    /// half way: `500`); [`OTHER`](crate::OTHER) for
    /// errors counted once the pair's status slots are used up. Requests that
    /// did not fail have no `error_type`. Off by default: for responses it
    /// repeats the status code, and failures without a status then take a
    /// status slot of their own (each slot keeps one status and error type).
    ///
    /// ```
    /// # use actix_web::{test, web, App, HttpResponse};
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder().error_type(true).build(&mut registry)?;
    /// let app = App::new()
    ///     .default_service(web::to(HttpResponse::ServiceUnavailable))
    ///     .wrap(metrics);
    /// let app = test::init_service(app).await;
    /// test::call_service(&app, test::TestRequest::get().to_request()).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains(r#"error_type="503""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn error_type(mut self, on: bool) -> Self {
        self.error_type = on;
        self
    }

    /// Methods beyond the nine standard ones that get a label of their own
    /// (`PROPFIND`, the `QUERY` method), as the OpenTelemetry conventions ask
    /// of an app that serves them; any other method stays `_OTHER`. Closed
    /// when the metrics are built: each is a method label, so a row for
    /// every route that accepts it (and for `unmatched` and `unregistered`).
    /// Case-sensitive, as methods are.
    ///
    /// # Errors (at [`build`](Self::build))
    ///
    /// [`BuildError::InvalidMethod`] for a token that is no method, a
    /// standard method, `_OTHER` or a repeat; [`BuildError::TooManyMethods`]
    /// beyond 32.
    ///
    /// ```
    /// # use actix_web::{http::Method, test, App};
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder()
    ///     .extra_methods(["PROPFIND", "QUERY"])
    ///     .build(&mut registry)?;
    /// let app = test::init_service(App::new().wrap(metrics)).await;
    /// let propfind = Method::from_bytes(b"PROPFIND")?;
    /// test::call_service(&app, test::TestRequest::default().method(propfind).to_request()).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains(r#"http_request_method="PROPFIND""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn extra_methods<M: Into<String>>(mut self, methods: impl IntoIterator<Item = M>) -> Self {
        self.methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves a registered route out of the metrics: its requests are not
    /// counted (not even as `unmatched`), and it has no series, in any
    /// scope it is mounted under. Named by [`route_of!`](crate::route_of),
    /// so a typo does not compile, or
    /// [`MetricsEndpoint::REGISTRATION`](crate::MetricsEndpoint::REGISTRATION) for the
    /// metrics endpoint. Its requests still count in
    /// `http_server_active_requests` while in flight (the gauge has no
    /// route).
    ///
    /// # Errors (at [`build`](Self::build))
    ///
    /// [`BuildError::NotRegistered`] for a `RouteInfo` that is not in the
    /// inventory.
    ///
    /// ```
    /// use actix_web::{get, HttpResponse};
    /// use route_labels::{route_of, HttpMetrics, MetricsEndpoint};
    ///
    /// #[route_labels::register]
    /// #[get("/health")]
    /// async fn health() -> HttpResponse {
    ///     HttpResponse::Ok().finish()
    /// }
    ///
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = HttpMetrics::builder()
    ///     .exclude(route_of!(health))
    ///     .exclude(MetricsEndpoint::REGISTRATION)
    ///     .build(&mut registry)?;
    /// # let _ = metrics;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn exclude(mut self, route: &'static RouteInfo) -> Self {
        self.excluded.push(route);
        self
    }

    /// Leaves the routes of a route builder's handler out of the metrics,
    /// as [`exclude`](Self::exclude) does for a `#[register]` handler:
    /// `get!().to(health)` is left out by `.exclude_handler(health)`, named
    /// by the function itself, so a typo does not compile. The handler is
    /// known by its type's name: write it as a function, as a closure is
    /// named after the function it is written in, which every closure
    /// there shares.
    ///
    /// ```
    /// use actix_web::{test, App, HttpResponse};
    ///
    /// async fn health() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder()
    ///     .exclude_handler(health)
    ///     .build(&mut registry)?;
    /// let app = metrics.app(App::new().route("/health", route_labels::get!().to(health)));
    /// let app = test::init_service(app).await;
    /// test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(!text.contains("/health"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn exclude_handler<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
    {
        drop(handler);
        self.excluded_handlers.push(std::any::type_name::<F>());
        self
    }

    /// Adds the request and response body size histograms (OpenTelemetry
    /// `http.server.request.body.size` and `http.server.response.body.size`):
    /// `http_server_request_body_size_bytes` and
    /// `http_server_response_body_size_bytes`, with the same labels as the
    /// duration, and these bucket bounds in bytes (e.g.
    /// [`DEFAULT_BODY_SIZE_BUCKETS`]). Bytes are counted as they pass,
    /// streaming bodies included: the response body as the server sends it
    /// (after any compression inside the app), the request body as the app
    /// reads it; a request body the app does not read to its end counts its
    /// `Content-Length` when the client declared one. Off by default. When
    /// on, each request costs an allocation (its counts), one more when it
    /// has a body (the stream that counts it), and each series three
    /// histograms.
    ///
    /// # Errors (at [`build`](Self::build))
    ///
    /// [`BuildError::InvalidBodySizeBuckets`] for bounds that are empty, not
    /// finite, not positive or not increasing.
    ///
    /// ```
    /// # use actix_web::{test, web, App, HttpResponse};
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder()
    ///     .body_sizes(route_labels::DEFAULT_BODY_SIZE_BUCKETS)
    ///     .build(&mut registry)?;
    /// let echo = |body: web::Bytes| async move { HttpResponse::Ok().body(body) };
    /// let app = test::init_service(App::new().default_service(web::to(echo)).wrap(metrics)).await;
    /// let req = test::TestRequest::post().set_payload("hello").to_request();
    /// test::read_body(test::call_service(&app, req).await).await;
    ///
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains("http_server_request_body_size_bytes_sum{"));
    /// assert!(text.contains("} 5.0\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn body_sizes(mut self, buckets: impl IntoIterator<Item = f64>) -> Self {
        self.body_sizes = Some(buckets.into_iter().collect());
        self
    }

    /// Which histograms the request duration and body size families carry
    /// (default: [`Histograms::Classic`]). Native buckets are carried by
    /// Prometheus' protobuf format only (feature `protobuf`, served by
    /// [`MetricsEndpoint`](crate::MetricsEndpoint) to a Prometheus that asks
    /// for it: one with native histograms on). Recording a native bucket is
    /// an index from the value's bits and an atomic add: no lock, no
    /// allocation.
    ///
    /// ```
    /// use route_labels::{Histograms, HttpMetrics};
    ///
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = HttpMetrics::builder().histograms(Histograms::Native).build(&mut registry)?;
    /// // A text scrape carries each series' count and sum only.
    /// let classic = HttpMetrics::builder().build(&mut prometheus_client::registry::Registry::default())?;
    /// assert!(metrics.max_samples() < classic.max_samples());
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn histograms(mut self, histograms: Histograms) -> Self {
        self.histograms = histograms;
        self
    }

    /// The layout of native buckets (default: [`NativeBuckets::default`]),
    /// used when [`histograms`](Self::histograms) has them.
    ///
    /// ```
    /// use route_labels::{Histograms, HttpMetrics, NativeBuckets};
    ///
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = HttpMetrics::builder()
    ///     .histograms(Histograms::Both)
    ///     .native_buckets(NativeBuckets::default().schema(3).max_buckets(300))
    ///     .build(&mut registry)?;
    /// // A microsecond to 68 minutes at 8 buckets per power of two.
    /// assert_eq!(metrics.max_native_buckets(), 256);
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn native_buckets(mut self, buckets: NativeBuckets) -> Self {
        self.native_buckets = buckets;
        self
    }

    /// Checks the options and the route inventory, and registers the metrics.
    ///
    /// Nothing about the routes can make it fail: templates repeat across
    /// scopes in every real app, and what each handler is reachable under is
    /// known once the app is built through [`HttpMetrics::app`] (a route
    /// builder's, at its first request).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidBuckets`], [`BuildError::InvalidPrefix`],
    /// [`BuildError::NoStatusCodes`], [`BuildError::InvalidMethod`],
    /// [`BuildError::TooManyMethods`], [`BuildError::NotRegistered`],
    /// [`BuildError::InvalidBodySizeBuckets`] and
    /// [`BuildError::InvalidNativeBuckets`] for bad options.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder().build(&mut registry)?;
    /// # let _ = metrics;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn build(self, registry: &mut Registry) -> Result<HttpMetrics, BuildError> {
        if !valid_bounds(&self.buckets) {
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
        if let Some(sizes) = &self.body_sizes
            && !valid_bounds(sizes)
        {
            return Err(BuildError::InvalidBodySizeBuckets(sizes.clone()));
        }
        if let Some(reason) = self.native_buckets.invalid() {
            return Err(BuildError::InvalidNativeBuckets(reason));
        }
        check_methods(&self.methods)?;
        if let Some(route) = self
            .excluded
            .iter()
            .find(|route| !registrations().any(|known| known == **route))
        {
            return Err(BuildError::NotRegistered(route.to_string()));
        }
        warn_if_empty();
        #[cfg(not(feature = "protobuf"))]
        if self.histograms.native() {
            log::warn!(
                "route-labels: native histograms are on without the `protobuf` feature: \
                 no scrape can carry their buckets (text formats carry count and sum only)"
            );
        }

        let attributes = Attributes::new(
            self.url_scheme,
            self.protocol_version,
            self.error_type,
            self.methods.iter().map(|m| m.as_str().into()).collect(),
        );
        let shape = Shape {
            durations: Bounds::durations(&self.buckets, self.histograms, &self.native_buckets),
            sizes: self
                .body_sizes
                .as_deref()
                .map(|sizes| Bounds::sizes(sizes, self.histograms, &self.native_buckets)),
            status_slots: self.status_codes_per_route,
            variants: attributes.variants(),
            error_type: attributes.error_type(),
        };
        let name = |base: &str| match &self.prefix {
            Some(prefix) => format!("{prefix}_{base}"),
            None => base.to_owned(),
        };
        let methods = attributes.method_labels();
        let shared = Arc::new(Shared {
            names: Names {
                duration: name("http_server_request_duration"),
                request_size: name("http_server_request_body_size"),
                response_size: name("http_server_response_body_size"),
                active: name("http_server_active_requests"),
                route: name("http_server_route_info"),
            },
            active: ActiveRequests::new(methods * attributes.active_per_method()),
            unmatched: (0..methods).map(|_| Row::new(&shape)).collect(),
            unregistered: (0..methods).map(|_| Row::new(&shape)).collect(),
            mounts: crate::cells::chunked::Chunked::default(),
            excluded: self.excluded.into(),
            excluded_handlers: self.excluded_handlers.into(),
            app: std::sync::Mutex::default(),
            unregistered_mounts: std::sync::Mutex::default(),
            shape,
            attributes,
        });
        registry.register_collector(Box::new(HttpCollector::new(shared.clone())));
        Ok(HttpMetrics { shared })
    }
}

/// Histogram bounds: some, finite, positive and strictly increasing.
fn valid_bounds(bounds: &[f64]) -> bool {
    !bounds.is_empty()
        && bounds.iter().all(|b| b.is_finite() && *b > 0.0)
        && bounds.windows(2).all(|w| w[0] < w[1])
}

fn check_methods(methods: &[String]) -> Result<(), BuildError> {
    if methods.len() > MAX_EXTRA_METHODS {
        return Err(BuildError::TooManyMethods(methods.len()));
    }
    for (i, method) in methods.iter().enumerate() {
        let reason = if !is_method_token(method) {
            "is not an HTTP method token"
        } else if HttpMethod::from_bytes(method.as_bytes()) != HttpMethod::Other {
            "is one of the nine standard methods, which always have a label of their own"
        } else if method == HttpMethod::Other.as_str() {
            "is the label of every method not declared"
        } else if methods[..i].contains(method) {
            "is given twice"
        } else {
            continue;
        };
        return Err(BuildError::InvalidMethod {
            method: method.clone(),
            reason,
        });
    }
    Ok(())
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
    /// let app = move || metrics.app(actix_web::App::new());
    /// // actix_web::HttpServer::new(app).bind(("127.0.0.1", 8080))?.run().await
    /// # let _ = app;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub fn new(registry: &mut Registry) -> Result<Self, BuildError> {
        Self::builder().build(registry)
    }

    /// Wraps `app` in these metrics, as the outermost middleware, and watches
    /// it being built: what `HttpServer::new`'s factory returns, or what
    /// `actix_web::test::init_service` takes.
    ///
    /// actix-web builds the app once per worker (and once per
    /// `init_service`), synchronously, before the app's first request. From
    /// that moment these metrics know the app's registered mounts, each by
    /// its full template: `http_server_route_info` lists them from the first
    /// scrape, [`max_samples`](Self::max_samples) is final, and a request
    /// that a middleware inside the app answers before it reaches a mount
    /// (an auth check on a scope answering `401`, a rate limiter answering
    /// `429`) is still counted under the mount actix-web would route it to.
    /// Several apps in one process, each with its own metrics, never see
    /// each other's mounts.
    ///
    /// ```
    /// use actix_web::{get, test, web, App, HttpResponse};
    ///
    /// #[route_labels::register]
    /// #[get("/{id}")]
    /// async fn show_order() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry)?;
    /// let app = metrics.app(App::new().service(web::scope("/orders").service(show_order)));
    /// let _app = test::init_service(app).await;
    ///
    /// // Built, not yet asked anything: the mount is known, and so is the bound.
    /// let mut text = String::new();
    /// prometheus_client::encoding::text::encode(&mut text, &registry)?;
    /// assert!(text.contains(r#"http_route="/orders/{id}""#));
    /// assert!(metrics.max_samples() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// With `HttpServer`, every worker builds the app when the server starts
    /// (the first poll of the future `HttpServer::run` returns):
    ///
    /// ```no_run
    /// # use actix_web::{App, HttpServer};
    /// # async fn serve() -> std::io::Result<()> {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
    /// HttpServer::new(move || metrics.app(App::new()))
    ///     .bind(("127.0.0.1", 8080))?
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn app<T, B>(
        &self,
        app: actix_web::App<T>,
    ) -> crate::routing::app::MeteredApp<
        impl actix_web::dev::ServiceFactory<
            actix_http::Request,
            Config = actix_web::dev::AppConfig,
            Response = actix_web::dev::ServiceResponse<crate::middleware::body::MeteredBody<B>>,
            Error = actix_web::Error,
            InitError = (),
        > + use<T, B>,
    >
    where
        T: actix_web::dev::ServiceFactory<
                actix_web::dev::ServiceRequest,
                Config = (),
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        B: actix_web::body::MessageBody + 'static,
    {
        use actix_service::IntoServiceFactory as _;
        #[cfg(feature = "introspection")]
        let app = app.service(crate::routing::unregistered::resource(Arc::clone(
            &self.shared,
        )));
        crate::routing::app::MeteredApp::new(
            app.wrap(self.clone()).into_factory(),
            Arc::clone(&self.shared),
        )
    }

    /// The mounts of the app built through [`app`](Self::app) that nothing
    /// of route-labels serves, by full template (what actix-web's
    /// introspection reports), sorted; `None` before the app is built.
    /// Requests to them are counted as `unregistered`. A warning lists them
    /// too, once, when the app is built. With the `introspection` feature.
    ///
    /// ```
    /// use actix_web::{get, test, web, App, HttpResponse};
    ///
    /// #[route_labels::register]
    /// #[get("/orders")]
    /// async fn orders() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// async fn forgotten() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
    /// let app = metrics.app(
    ///     App::new().service(orders).route("/forgotten", web::get().to(forgotten)),
    /// );
    /// let _app = test::init_service(app).await;
    /// assert_eq!(metrics.unregistered_mounts().unwrap(), ["/forgotten"]);
    /// # });
    /// ```
    #[cfg(feature = "introspection")]
    #[must_use]
    pub fn unregistered_mounts(&self) -> Option<Vec<String>> {
        self.shared
            .unregistered_mounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Panics, naming them, if the app built through [`app`](Self::app) has
    /// mounts that nothing of route-labels serves: call it in the app's
    /// test suite, after `init_service`, so that a route forgotten while
    /// converting an app fails a test instead of counting as
    /// `unregistered`. With the `introspection` feature.
    ///
    /// # Panics
    ///
    /// If a mount is not registered, or if the app was not built yet.
    ///
    /// ```
    /// use actix_web::{get, test, App, HttpResponse};
    ///
    /// #[route_labels::register]
    /// #[get("/orders")]
    /// async fn orders() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
    /// let _app = test::init_service(metrics.app(App::new().service(orders))).await;
    /// metrics.assert_all_registered();
    /// # });
    /// ```
    #[cfg(feature = "introspection")]
    #[track_caller]
    pub fn assert_all_registered(&self) {
        match self.unregistered_mounts() {
            None => panic!(
                "route-labels: the app has not been built through `HttpMetrics::app` yet \
                 (`test::init_service(metrics.app(app)).await` first)"
            ),
            Some(mounts) if !mounts.is_empty() => panic!(
                "route-labels: {} mount(s) of the app are not registered, and their requests \
                 count as `unregistered`: {}; add `#[route_labels::register]` to their \
                 handlers, use the builder macros (`get!()`, `resource!`), or wrap services \
                 in `route_labels::service!`",
                mounts.len(),
                mounts.join(", ")
            ),
            Some(_) => {}
        }
    }

    /// The options, each a method of [`HttpMetricsBuilder`]: duration
    /// [`buckets`](HttpMetricsBuilder::buckets), metric name
    /// [`prefix`](HttpMetricsBuilder::prefix),
    /// [`status_codes_per_route`](HttpMetricsBuilder::status_codes_per_route),
    /// the optional labels [`url_scheme`](HttpMetricsBuilder::url_scheme),
    /// [`protocol_version`](HttpMetricsBuilder::protocol_version) and
    /// [`error_type`](HttpMetricsBuilder::error_type), extra
    /// [`extra_methods`](HttpMetricsBuilder::extra_methods), routes left out
    /// ([`exclude`](HttpMetricsBuilder::exclude),
    /// [`exclude_handler`](HttpMetricsBuilder::exclude_handler)),
    /// [`body_sizes`](HttpMetricsBuilder::body_sizes), and native
    /// histograms ([`histograms`](HttpMetricsBuilder::histograms),
    /// [`native_buckets`](HttpMetricsBuilder::native_buckets)).
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
    /// `_count`), and with [body sizes](HttpMetricsBuilder::body_sizes) two
    /// more histograms of `size buckets + 3`; a registered route contributes
    /// one series per method label it accepts (every method label when its
    /// methods are not known at compile time, as for
    /// [`resource!`](crate::resource)), per variant (each
    /// [`url_scheme`](HttpMetricsBuilder::url_scheme) × each
    /// [`network_protocol_version`](HttpMetricsBuilder::protocol_version)
    /// turned on) and per status slot (`status_codes_per_route`, and one
    /// overflow, two with [`error_type`](HttpMetricsBuilder::error_type));
    /// `unmatched` and `unregistered` every method label each; the gauge one
    /// per method label (and scheme); the route info metric one per mount.
    /// [Excluded](HttpMetricsBuilder::exclude) routes count nothing. A
    /// handler mounted under `n` scopes counts `n` times once the server
    /// has built its app (before any request); read it after
    /// `HttpServer::run` or `init_service`.
    ///
    /// With [native histograms](HttpMetricsBuilder::histograms), the bound
    /// holds in every format: a text scrape carries the classic buckets
    /// ([`Histograms::Both`]) or none but `+Inf` ([`Histograms::Native`]),
    /// and Prometheus counts a native histogram series as one sample
    /// against `sample_limit`, fewer than its text form. The protobuf
    /// scrape carries at most [`max_native_buckets`](Self::max_native_buckets)
    /// native buckets per series besides.
    ///
    /// ```
    /// use actix_web::{get, test, App, HttpResponse};
    ///
    /// #[route_labels::register]
    /// #[get("/ping")]
    /// async fn ping() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
    /// let app = test::init_service(metrics.app(App::new().service(ping))).await;
    /// // Final once the app is built: set `sample_limit` from it.
    /// let bound = metrics.max_samples();
    /// for _ in 0..100 {
    ///     test::call_service(&app, test::TestRequest::get().uri("/ping").to_request()).await;
    /// }
    /// assert_eq!(metrics.max_samples(), bound);
    /// # });
    /// ```
    #[must_use]
    pub fn max_samples(&self) -> u64 {
        self.shared.max_samples()
    }

    /// The most native buckets one histogram series carries, its zero bucket
    /// aside: the most of the duration and the body size layouts (see
    /// [`NativeBuckets`]); 0 without native histograms.
    ///
    /// ```
    /// use route_labels::{Histograms, HttpMetrics};
    ///
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = HttpMetrics::builder().histograms(Histograms::Native).build(&mut registry)?;
    /// // A microsecond to 68 minutes, 4 buckets per power of two.
    /// assert_eq!(metrics.max_native_buckets(), 128);
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    #[must_use]
    pub fn max_native_buckets(&self) -> u32 {
        let shape = &self.shared.shape;
        std::iter::once(&shape.durations)
            .chain(&shape.sizes)
            .filter_map(|bounds| bounds.native.as_ref())
            .map(|layout| layout.buckets as u32)
            .max()
            .unwrap_or(0)
    }
}
