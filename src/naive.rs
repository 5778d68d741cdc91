//! The usual mistake: HTTP metrics labelled by the raw request.
//!
//! [`NaiveMetrics`] is the middleware many services hand-write, and what
//! several metrics middlewares do by default: it puts the request's path
//! (query string included) and its method token straight into labels of a
//! prometheus-client [`Family`]. Every distinct path, query string and
//! method is a new set of series that the family keeps forever.
//!
//! It exists so that the flood demo has something to compare
//! [`route_labels::HttpMetrics`] against. Do not copy it.
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use prometheus_client::registry::Registry;
//! use route_labels_suite::naive::NaiveMetrics;
//!
//! # actix_web::rt::System::new().block_on(async {
//! let mut registry = Registry::default();
//! let naive = NaiveMetrics::new(&mut registry);
//! let app = test::init_service(
//!     App::new()
//!         .route("/users/{id}", web::get().to(HttpResponse::Ok))
//!         .wrap(naive),
//! )
//! .await;
//! for id in 0..3 {
//!     let req = test::TestRequest::get().uri(&format!("/users/{id}?utm={id}")).to_request();
//!     test::call_service(&app, req).await;
//! }
//!
//! let mut text = String::new();
//! prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
//! // One set of series per request: the path became the label.
//! assert!(text.contains(r#"http_route="/users/2?utm=2""#));
//! # });
//! ```

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Label pairs built from the request: `http_request_method`,
/// `http_response_status_code` and `http_route`, all plain strings.
type Labels = Vec<(String, String)>;

/// Request duration histograms labelled by the raw path and method.
///
/// Same metric name, label names and buckets as
/// [`route_labels::HttpMetrics`], so that the two expositions differ only in
/// what the label values are. Cloning is cheap (the family is an `Arc`).
#[derive(Debug, Clone)]
pub struct NaiveMetrics {
    durations: Family<Labels, Histogram, fn() -> Histogram>,
}

fn new_histogram() -> Histogram {
    Histogram::new(route_labels::DEFAULT_BUCKETS)
}

impl NaiveMetrics {
    /// Registers `http_server_request_duration_seconds` in `registry`.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let naive = route_labels_suite::naive::NaiveMetrics::new(&mut registry);
    /// actix_web::App::new().wrap(naive.clone());
    /// ```
    pub fn new(registry: &mut Registry) -> Self {
        let durations = Family::new_with_constructor(new_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "http_server_request_duration",
            "Duration of HTTP server requests, by method, path and status code",
            Unit::Seconds,
            durations.clone(),
        );
        Self { durations }
    }
}

impl<S, B> Transform<S, ServiceRequest> for NaiveMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = NaiveMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(NaiveMetricsService {
            service,
            durations: self.durations.clone(),
        }))
    }
}

/// The service [`NaiveMetrics`] wraps around an app.
#[derive(Debug)]
pub struct NaiveMetricsService<S> {
    service: S,
    durations: Family<Labels, Histogram, fn() -> Histogram>,
}

impl<S, B> Service<ServiceRequest> for NaiveMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        // The mistake: request bytes become label values.
        let method = req.method().as_str().to_owned();
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_owned(), ToString::to_string);
        let durations = self.durations.clone();
        let response = self.service.call(req);
        Box::pin(async move {
            let response = response.await;
            let status = match &response {
                Ok(res) => res.status(),
                Err(err) => err.as_response_error().status_code(),
            };
            let labels = vec![
                ("http_request_method".to_owned(), method),
                (
                    "http_response_status_code".to_owned(),
                    status.as_str().to_owned(),
                ),
                ("http_route".to_owned(), path),
            ];
            durations
                .get_or_create(&labels)
                .observe(start.elapsed().as_secs_f64());
            response
        })
    }
}
