//! [`MetricsEndpoint`]: serves a registry to Prometheus, in the text format
//! the scraper's `Accept` header prefers.

use std::fmt;
use std::sync::Arc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{self, Accept, Header as _, HeaderValue, Quality, QualityItem};
use actix_web::mime::{self, Mime};
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::registry::Registry;

use crate::routing::builders::RegisteredResource;
use crate::routing::inventory::{METRICS_ENDPOINT, RouteInfo};

/// The `Content-Type` of the `OpenMetrics` text format 1.0.0, the default.
///
/// ```
/// assert!(route_labels::OPENMETRICS_CONTENT_TYPE.starts_with("application/openmetrics-text"));
/// ```
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the Prometheus text format 0.0.4, served when the
/// scraper's `Accept` header prefers it to `OpenMetrics`.
///
/// ```
/// assert!(route_labels::PROMETHEUS_TEXT_CONTENT_TYPE.starts_with("text/plain"));
/// ```
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The `Content-Type` of Prometheus' protobuf format (feature `protobuf`):
/// length-delimited `io.prometheus.client.MetricFamily` messages, the only
/// format that carries native histograms. Served when the scraper's
/// `Accept` header prefers it, as a Prometheus with native histograms on
/// does.
///
/// ```
/// assert!(route_labels::PROMETHEUS_PROTOBUF_CONTENT_TYPE.starts_with("application/vnd.google.protobuf"));
/// ```
#[cfg(feature = "protobuf")]
pub const PROMETHEUS_PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// A `GET` resource that encodes a [`Registry`](prometheus_client::registry::Registry) at a path of your choice.
///
/// The `Accept` header picks the format, q-values honoured: of `OpenMetrics`
/// text 1.0.0 ([`OPENMETRICS_CONTENT_TYPE`]) and Prometheus text 0.0.4
/// ([`PROMETHEUS_TEXT_CONTENT_TYPE`]), the one with the highest q; on a tie,
/// the one named more specifically (`text/plain` over `text/*` over `*/*`),
/// then `OpenMetrics`.
///
/// - `application/openmetrics-text` names `OpenMetrics` with no `version`
///   or with `version=1.0.0` or `0.0.1` (Prometheus asks for both); with any
///   other version it names neither format.
/// - `text/plain` names Prometheus text with no `version` or with
///   `version=0.0.4`.
/// - With feature `protobuf`, Prometheus' protobuf format
///   (`PROMETHEUS_PROTOBUF_CONTENT_TYPE`) is offered too, named only by
///   `application/vnd.google.protobuf` with
///   `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`:
///   never by a wildcard, as a binary body is served only to a scraper that
///   asked for it by name. On a tie it comes after `OpenMetrics` and before
///   Prometheus text.
/// - Other parameters (`charset`, `escaping`) are ignored.
/// - `q=0` makes a format unacceptable, as RFC 9110 says: of the ranges
///   naming a format, the most specific one sets its q, so
///   `application/openmetrics-text;q=0, */*` gets Prometheus text.
///
/// No `Accept` header, or one with no media range that parses, gets
/// `OpenMetrics`. A header whose every range refuses every format offered
/// gets `406 Not Acceptable`, with a plain-text body that lists them. Every
/// response carries `Vary: Accept`.
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
/// assert_eq!(res.headers().get("vary").unwrap(), "Accept");
/// let body = test::read_body(res).await;
/// assert!(body.ends_with(b"# EOF\n"));
///
/// let req = test::TestRequest::get()
///     .uri("/metrics")
///     .insert_header(("accept", "text/plain;version=0.0.4;q=0.5, application/openmetrics-text;q=0.4"))
///     .to_request();
/// let res = test::call_service(&app, req).await;
/// assert_eq!(res.headers().get("content-type").unwrap(), route_labels::PROMETHEUS_TEXT_CONTENT_TYPE);
///
/// let req = test::TestRequest::get().uri("/metrics").insert_header(("accept", "application/json"));
/// let res = test::call_service(&app, req.to_request()).await;
/// assert_eq!(res.status(), 406);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MetricsEndpoint {
    path: String,
    registry: Arc<Registry>,
}

impl MetricsEndpoint {
    /// The endpoint's registration: its requests are labelled by the full
    /// path it is mounted at (`http_route="/metrics"`), like a registered
    /// route's, and [`HttpMetricsBuilder::exclude`](crate::HttpMetricsBuilder::exclude)
    /// takes it to leave the scrapes out of the metrics.
    ///
    /// ```
    /// let mut registry = prometheus_client::registry::Registry::default();
    /// let metrics = route_labels::HttpMetrics::builder()
    ///     .exclude(route_labels::MetricsEndpoint::REGISTRATION)
    ///     .build(&mut registry)?;
    /// // Every method: it serves GET and answers `405` to the others, each
    /// // counted under its route.
    /// assert!(route_labels::MetricsEndpoint::REGISTRATION.methods().is_empty());
    /// # let _ = metrics;
    /// # Ok::<(), route_labels::BuildError>(())
    /// ```
    pub const REGISTRATION: &'static RouteInfo = &METRICS_ENDPOINT;

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
            async move { respond(&registry, &req) }
        };
        RegisteredResource::new(&self.path, Self::REGISTRATION)
            .route(web::get().to(handler))
            .register(config);
    }
}

fn respond(registry: &Registry, req: &HttpRequest) -> HttpResponse {
    // `Accept::parse` skips the ranges it cannot read, and fails only on a
    // header that is not visible ASCII; `mime` reads a few strings that are
    // no media range (`text/`, `*/plain`), skipped here. What is left is what
    // the scraper said legibly; with nothing left, it said nothing: see
    // `negotiate`.
    let mut accept = Accept::parse(req).unwrap_or(Accept(Vec::new()));
    accept.retain(|range| is_media_range(&range.item));
    let mut response = if let Some(format) = negotiate(&accept) {
        if let Ok(body) = format.encode(registry) {
            HttpResponse::Ok()
                .content_type(format.content_type())
                .body(body)
        } else {
            log::error!("route-labels: a metric failed to encode");
            HttpResponse::InternalServerError().finish()
        }
    } else {
        let mut body = String::from("406 Not Acceptable: this endpoint serves\n");
        for format in Format::ALL {
            body.push_str(format.content_type());
            body.push('\n');
        }
        HttpResponse::NotAcceptable()
            .content_type(mime::TEXT_PLAIN_UTF_8)
            .body(body)
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// Whether `range` is `*/*`, `type/*` or `type/subtype`, as RFC 9110 spells
/// a media range.
fn is_media_range(range: &Mime) -> bool {
    let (type_, subtype) = (range.type_(), range.subtype());
    !type_.as_str().is_empty()
        && !subtype.as_str().is_empty()
        && (type_ != mime::STAR || subtype == mime::STAR)
}

/// The representations the endpoint offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    OpenMetrics,
    PrometheusText,
    #[cfg(feature = "protobuf")]
    Protobuf,
}

/// How a media range names a [`Format`]; later variants are more specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Naming {
    /// `*/*`.
    AnyType,
    /// `text/*`, `application/*`.
    AnySubtype,
    /// `text/plain`, `application/openmetrics-text`.
    Exact,
    /// `text/plain;version=0.0.4`: among the ranges that name one format,
    /// the one with a version is the most specific (RFC 9110 §12.5.1).
    Versioned,
}

impl Format {
    /// Every format offered.
    const ALL: &[Self] = &[
        Self::OpenMetrics,
        #[cfg(feature = "protobuf")]
        Self::Protobuf,
        Self::PrometheusText,
    ];

    fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Self::PrometheusText => PROMETHEUS_TEXT_CONTENT_TYPE,
            #[cfg(feature = "protobuf")]
            Self::Protobuf => PROMETHEUS_PROTOBUF_CONTENT_TYPE,
        }
    }

    /// Which of several formats as acceptable wins a tie: the first of
    /// [`ALL`](Self::ALL).
    fn preference(self) -> usize {
        Self::ALL.len() - Self::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }

    fn encode(self, registry: &Registry) -> Result<Vec<u8>, ()> {
        let text = |encode: fn(&mut String, &Registry) -> fmt::Result| {
            let mut body = String::new();
            encode(&mut body, registry).map_err(drop)?;
            Ok(body.into_bytes())
        };
        match self {
            Self::OpenMetrics => text(prometheus_client::encoding::text::encode),
            Self::PrometheusText => text(prometheus_client::encoding::prometheus_text::encode),
            #[cfg(feature = "protobuf")]
            Self::Protobuf => {
                prometheus_client::encoding::prometheus_protobuf::encode_to_vec(registry)
                    .map_err(drop)
            }
        }
    }

    /// How `range`, a media range (see [`is_media_range`]), names this
    /// format, or `None` if it does not.
    fn named_by(self, range: &Mime) -> Option<Naming> {
        let (type_, subtype, versions): (_, _, &[&str]) = match self {
            Self::OpenMetrics => (mime::APPLICATION, "openmetrics-text", &["1.0.0", "0.0.1"]),
            Self::PrometheusText => (mime::TEXT, "plain", &["0.0.4"]),
            #[cfg(feature = "protobuf")]
            Self::Protobuf => return protobuf_named_by(range),
        };
        if range.type_() == mime::STAR {
            return Some(Naming::AnyType);
        }
        if range.type_() != type_ {
            return None;
        }
        if range.subtype() == mime::STAR {
            return Some(Naming::AnySubtype);
        }
        if range.subtype() != subtype {
            return None;
        }
        match range.get_param("version") {
            None => Some(Naming::Exact),
            Some(version) => versions
                .contains(&version.as_str().trim_matches('"'))
                .then_some(Naming::Versioned),
        }
    }

    /// This format's q under `accept`: that of the most specific range that
    /// names it, the highest if several are as specific; `None` if no range
    /// names it.
    fn quality(self, accept: &[QualityItem<Mime>]) -> Option<(Quality, Naming)> {
        accept
            .iter()
            .filter_map(|range| Some((self.named_by(&range.item)?, range.quality)))
            .max()
            .map(|(naming, quality)| (quality, naming))
    }
}

/// How `range` names Prometheus' protobuf format: exactly, with its
/// `proto` and `encoding`, or not at all.
#[cfg(feature = "protobuf")]
fn protobuf_named_by(range: &Mime) -> Option<Naming> {
    let param = |name: &str| {
        range
            .get_param(name)
            .map(|value| value.as_str().trim_matches('"').to_owned())
    };
    (range.type_() == mime::APPLICATION
        && range.subtype() == "vnd.google.protobuf"
        && param("proto").as_deref() == Some("io.prometheus.client.MetricFamily")
        && param("encoding").as_deref() == Some("delimited"))
    .then_some(Naming::Exact)
}

/// The format to serve for `accept`, or `None` if it refuses every one.
///
/// An `Accept` with no range at all (no header, an empty one, or none that
/// parses) gets `OpenMetrics`: RFC 9110 lets a server serve anything then,
/// and `OpenMetrics` is what Prometheus asks for first. Treating an illegible
/// header as absent is the lenient choice: a scraper with a broken header
/// still gets metrics rather than an error it may not log.
fn negotiate(accept: &[QualityItem<Mime>]) -> Option<Format> {
    if accept.is_empty() {
        return Some(Format::OpenMetrics);
    }
    Format::ALL
        .iter()
        .copied()
        .filter_map(|format| {
            let (quality, naming) = format.quality(accept)?;
            // Across formats a version does not count as more specific:
            // `application/openmetrics-text, text/plain;version=0.0.4` is a
            // tie between two exact types, which `OpenMetrics` wins.
            let naming = naming.min(Naming::Exact);
            (quality > Quality::ZERO).then_some((quality, naming, format))
        })
        .max_by_key(|&(quality, naming, format)| (quality, naming, format.preference()))
        .map(|(.., format)| format)
}
