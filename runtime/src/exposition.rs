//! [`MetricsEndpoint`]: serves a registry to Prometheus.

use std::sync::Arc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::registry::Registry;

/// The `Content-Type` of the `OpenMetrics` text format, the default.
///
/// ```
/// assert!(route_labels::OPENMETRICS_CONTENT_TYPE.starts_with("application/openmetrics-text"));
/// ```
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the Prometheus text format 0.0.4, served when the
/// scraper's `Accept` header asks only for `text/plain`.
///
/// ```
/// assert!(route_labels::PROMETHEUS_TEXT_CONTENT_TYPE.starts_with("text/plain"));
/// ```
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A `GET` resource that encodes a [`Registry`] at a path of your choice.
///
/// `OpenMetrics` text by default; Prometheus text 0.0.4 when the `Accept`
/// header names `text/plain` and neither `OpenMetrics` nor a wildcard.
///
/// ```
/// use std::sync::Arc;
/// use actix_web::{test, App};
/// use prometheus_client::registry::Registry;
/// use route_labels::{HttpMetrics, MetricsEndpoint};
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = Registry::default();
/// let metrics = HttpMetrics::new(&mut registry).unwrap();
/// let registry = Arc::new(registry);
/// let app = test::init_service(
///     App::new().service(MetricsEndpoint::new("/metrics", registry)).wrap(metrics),
/// )
/// .await;
///
/// let res = test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
/// assert_eq!(res.headers().get("content-type").unwrap(), route_labels::OPENMETRICS_CONTENT_TYPE);
/// let body = test::read_body(res).await;
/// assert!(body.ends_with(b"# EOF\n"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MetricsEndpoint {
    path: String,
    registry: Arc<Registry>,
}

impl MetricsEndpoint {
    /// Serves `registry` at `path`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let registry = Arc::new(prometheus_client::registry::Registry::default());
    /// actix_web::App::new().service(route_labels::MetricsEndpoint::new("/metrics", registry));
    /// ```
    pub fn new(path: impl Into<String>, registry: Arc<Registry>) -> Self {
        Self {
            path: path.into(),
            registry,
        }
    }
}

impl HttpServiceFactory for MetricsEndpoint {
    fn register(self, config: &mut AppService) {
        let registry = self.registry;
        let handler = move |req: HttpRequest| {
            let registry = Arc::clone(&registry);
            async move { encode(&registry, &req) }
        };
        web::resource(self.path)
            .route(web::get().to(handler))
            .register(config);
    }
}

fn encode(registry: &Registry, req: &HttpRequest) -> HttpResponse {
    let prometheus_text = wants_prometheus_text(req.headers().get(header::ACCEPT));
    let mut body = String::new();
    let (result, content_type) = if prometheus_text {
        (
            prometheus_client::encoding::prometheus_text::encode(&mut body, registry),
            PROMETHEUS_TEXT_CONTENT_TYPE,
        )
    } else {
        (
            prometheus_client::encoding::text::encode(&mut body, registry),
            OPENMETRICS_CONTENT_TYPE,
        )
    };
    if result.is_ok() {
        HttpResponse::Ok().content_type(content_type).body(body)
    } else {
        log::error!("route-labels: a metric failed to encode");
        HttpResponse::InternalServerError().finish()
    }
}

/// Whether an `Accept` header asks only for `text/plain` (Prometheus before
/// 2.5, and scrapers configured for the classic format).
fn wants_prometheus_text(accept: Option<&HeaderValue>) -> bool {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut plain = false;
    for range in accept.split(',') {
        let media = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "text/plain" => plain = true,
            "application/openmetrics-text" | "*/*" | "application/*" => return false,
            _ => {}
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(accept: &str) -> bool {
        wants_prometheus_text(Some(&HeaderValue::from_str(accept).unwrap()))
    }

    #[test]
    fn openmetrics_unless_only_text_plain_is_acceptable() {
        assert!(!wants_prometheus_text(None));
        assert!(!plain("*/*"));
        assert!(!plain(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(plain("text/plain"));
        assert!(plain("text/plain;version=0.0.4;q=1, text/html"));
        assert!(!plain("text/plain, */*;q=0.1"));
        assert!(!plain("application/json"));
    }
}
