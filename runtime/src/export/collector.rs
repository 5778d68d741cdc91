//! Encodes the HTTP metrics at scrape time, through prometheus-client's
//! [`Collector`].

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, EncodeLabelValue, LabelSetEncoder,
    LabelValueEncoder, MetricEncoder, NativeHistogram, NativeHistogramBuckets, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::cells::{Bounds, Histogram, Kind, Reading, Row, SlotLabels, Status};
use crate::labels::{OTHER, UNMATCHED, UNREGISTERED};
use crate::middleware::attributes::{ProtocolVersion, Scheme};
use crate::middleware::outcome::ErrorType;
use crate::middleware::shared::Shared;
use crate::routing::inventory::RouteInfo;
use crate::routing::mounts::{self, Mount};

const DURATION_HELP: &str =
    "Duration of HTTP server requests, by method, route template and status code";
const REQUEST_SIZE_HELP: &str = "Size of HTTP server request bodies, as read by the app, by method, route template and status code";
const RESPONSE_SIZE_HELP: &str =
    "Size of HTTP server response bodies, as sent, by method, route template and status code";
const ACTIVE_HELP: &str = "Number of HTTP server requests in flight, by method";
const ROUTE_HELP: &str = "Every mount of a route registered with route-labels, by the full template \
     (http_route) that the request metrics carry; a registered route no request reached yet \
     has no http_route";

#[derive(Debug)]
pub(crate) struct HttpCollector {
    shared: Arc<Shared>,
    /// The series of `http_server_route_info` as of the last scrape.
    route_info: Mutex<RouteInfoSeries>,
}

/// The series of `http_server_route_info`, made again only when a mount was
/// added: they change with the mount table, which only grows.
#[derive(Debug, Default)]
struct RouteInfoSeries {
    /// The length of the mount table they were made from.
    mounts: usize,
    series: Vec<RouteInfoLabels>,
}

/// A row to encode, with the labels its series share.
struct Source<'a> {
    /// Rows with the same key carry the same label sets, and are merged: two
    /// mounts can resolve to one template.
    key: (u32, u8),
    route: &'static str,
    method: u8,
    row: &'a Row,
}

/// The key of the `unmatched` and `unregistered` rows: after every template.
const UNMATCHED_KEY: u32 = u32::MAX - 1;
const UNREGISTERED_KEY: u32 = u32::MAX;

impl HttpCollector {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            route_info: Mutex::default(),
        }
    }

    /// Every row, grouped by label set: by template, then method.
    fn sources(&self, mounts: &[Mount]) -> Vec<Source<'_>> {
        let shared = &self.shared;
        let mut sources = Vec::new();
        for (id, mount) in mounts.iter().enumerate() {
            let id = u32::try_from(id).expect("mount ids fit in u32");
            if let Some(cells) = shared.mounts.get(id) {
                for (method, row) in cells.rows() {
                    sources.push(Source {
                        key: (mount.template, method),
                        route: mounts::template_of(mount.template),
                        method,
                        row,
                    });
                }
            }
        }
        for (method, (unmatched, unregistered)) in shared
            .unmatched
            .iter()
            .zip(&shared.unregistered)
            .enumerate()
        {
            let method = method as u8;
            for (key, route, row) in [
                (UNMATCHED_KEY, UNMATCHED, unmatched),
                (UNREGISTERED_KEY, UNREGISTERED, unregistered),
            ] {
                sources.push(Source {
                    key: (key, method),
                    route,
                    method,
                    row,
                });
            }
        }
        sources.sort_by_key(|source| source.key);
        sources
    }

    fn labels(&self, route: &'static str, method: u8, slot: SlotLabels) -> SeriesLabels<'_> {
        let attributes = &self.shared.attributes;
        SeriesLabels {
            method: attributes.method_label(method),
            route,
            status: slot.status,
            error: slot.error,
            version: attributes.version_of(slot.variant),
            scheme: attributes.scheme_of(slot.variant),
        }
    }

    /// One family of request histograms: each series with a request. The
    /// rows of one label set (several mounts can share a template) are read
    /// together, each slot's histograms added up: one read path, whether a
    /// label set has one row or several, and no allocation past the first
    /// series but the encoder's own.
    fn encode_family(
        &self,
        family: &mut MetricEncoder<'_>,
        sources: &[Source<'_>],
        kind: Kind,
        bounds: &Bounds,
    ) -> Result<(), fmt::Error> {
        let shape = &self.shared.shape;
        let mut series = SeriesBuffers {
            reading: Reading::new(bounds),
            spans: Vec::new(),
            deltas: Vec::new(),
        };
        // The slots of one label set, with their histogram.
        let mut slots: Vec<(SlotLabels, &Histogram)> = Vec::new();
        for group in sources.chunk_by(|a, b| a.key == b.key) {
            let (route, method) = (group[0].route, group[0].method);
            slots.clear();
            for source in group {
                slots.extend(
                    source.row.series(shape).filter_map(|(slot, index)| {
                        Some((slot, source.row.histogram(kind, index)?))
                    }),
                );
            }
            slots.sort_by_key(|&(slot, _)| slot);
            for run in slots.chunk_by(|a, b| a.0 == b.0) {
                series.reading.clear();
                for (_, histogram) in run {
                    series.reading.add(histogram);
                }
                if series.reading.count() > 0 {
                    series.encode(
                        family.encode_family(&self.labels(route, method, run[0].0))?,
                        bounds,
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// One series being encoded: its reading, and the native spans and deltas,
/// kept across the series of a family.
struct SeriesBuffers {
    reading: Reading,
    spans: Vec<(i32, u32)>,
    deltas: Vec<i64>,
}

impl SeriesBuffers {
    /// Encodes the series read, with its native buckets when `bounds` has
    /// them. The text formats write the classic buckets (the `+Inf` one
    /// alone without classic histograms); Prometheus' protobuf format
    /// writes both.
    fn encode(&mut self, mut metric: MetricEncoder<'_>, bounds: &Bounds) -> fmt::Result {
        let (sum, count) = (self.reading.sum(bounds), self.reading.count());
        let buckets = &self.reading.buckets;
        let Some(layout) = &bounds.native else {
            return metric.encode_histogram::<NoLabelSet>(sum, count, buckets, None);
        };
        let zero_count = layout.spans(
            self.reading.native.iter().copied(),
            &mut self.spans,
            &mut self.deltas,
        );
        metric.encode_histogram_with_native::<NoLabelSet>(
            sum,
            count,
            buckets,
            None,
            NativeHistogram {
                schema: i32::from(layout.schema),
                zero_threshold: layout.zero_threshold,
                zero_count,
                negative: NativeHistogramBuckets {
                    spans: &[],
                    deltas: &[],
                },
                positive: NativeHistogramBuckets {
                    spans: &self.spans,
                    deltas: &self.deltas,
                },
                created: None,
            },
        )
    }
}

impl Collector for HttpCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        // One copy of the mount table for the whole scrape.
        let mounts = mounts::all_mounts();
        self.encode_requests(&mut encoder, &mounts)?;
        self.encode_active(&mut encoder)?;
        self.encode_routes(&mut encoder, &mounts)
    }
}

impl HttpCollector {
    /// The request duration, and the body sizes when they are on.
    fn encode_requests(
        &self,
        encoder: &mut DescriptorEncoder<'_>,
        mounts: &[Mount],
    ) -> Result<(), fmt::Error> {
        let shared = &self.shared;
        let sources = self.sources(mounts);
        let mut family = encoder.encode_descriptor(
            &shared.names.duration,
            DURATION_HELP,
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        self.encode_family(
            &mut family,
            &sources,
            Kind::Duration,
            &shared.shape.durations,
        )?;
        let Some(bounds) = &shared.shape.sizes else {
            return Ok(());
        };
        for (kind, name, help) in [
            (
                Kind::RequestSize,
                &shared.names.request_size,
                REQUEST_SIZE_HELP,
            ),
            (
                Kind::ResponseSize,
                &shared.names.response_size,
                RESPONSE_SIZE_HELP,
            ),
        ] {
            let mut family =
                encoder.encode_descriptor(name, help, Some(&Unit::Bytes), MetricType::Histogram)?;
            self.encode_family(&mut family, &sources, kind, bounds)?;
        }
        Ok(())
    }

    fn encode_active(&self, encoder: &mut DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let shared = &self.shared;
        let mut family = encoder.encode_descriptor(
            &shared.names.active,
            ACTIVE_HELP,
            None,
            MetricType::Gauge,
        )?;
        let attributes = &shared.attributes;
        for (index, active) in shared.active.totals().into_iter().enumerate() {
            // Only gauges a request was counted in.
            let Some(active) = active else { continue };
            let method = (index / attributes.active_per_method()) as u8;
            let labels = ActiveLabels {
                method: attributes.method_label(method),
                scheme: attributes.active_scheme(index),
            };
            family.encode_family(&labels)?.encode_gauge(&active)?;
        }
        Ok(())
    }

    fn encode_routes(
        &self,
        encoder: &mut DescriptorEncoder<'_>,
        mounts: &[Mount],
    ) -> Result<(), fmt::Error> {
        let shared = &self.shared;
        // A gauge of value 1 named `*_info`, Prometheus' convention for
        // info metrics: every parser reads it, where the OpenMetrics
        // `info` type is refused by Prometheus' text parser and promtool.
        let mut family =
            encoder.encode_descriptor(&shared.names.route, ROUTE_HELP, None, MetricType::Gauge)?;
        // Scrapes take turns here; a poisoned lock holds series that are
        // whole, or a stale count that makes them again.
        let mut route_info = self
            .route_info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if route_info.mounts != mounts.len() || route_info.series.is_empty() {
            *route_info = RouteInfoSeries {
                mounts: mounts.len(),
                series: route_info_series(shared, mounts),
            };
        }
        for labels in &route_info.series {
            family.encode_family(labels)?.encode_gauge(&1_i64)?;
        }
        Ok(())
    }
}

/// The series of `http_server_route_info`: each mount once, by the full
/// template it answers under (the value `http_route` has on the request
/// metrics, so the two join); then, as actix-web tells a mount's full
/// template only to a request through it, the registrations no request
/// reached yet, as declared.
fn route_info_series(shared: &Shared, mounts: &[Mount]) -> Vec<RouteInfoLabels> {
    let app = shared.app();
    let mut mounted: Vec<(&'static str, &'static str, &'static RouteInfo)> = mounts
        .iter()
        .enumerate()
        .filter(|&(id, m)| {
            let id = u32::try_from(id).expect("mount ids fit in u32");
            app.lists(id, shared.mounts.get(id).is_some()) && !shared.is_excluded(m.route)
        })
        .map(|(_, m)| (mounts::template_of(m.template), m.route.handler(), m.route))
        .collect();
    mounted.sort_unstable_by_key(|&(template, handler, _)| (template, handler));
    mounted.dedup_by_key(|&mut (template, handler, _)| (template, handler));
    let unresolved = app.unresolved(|route| mounted.iter().any(|m| std::ptr::eq(m.2, route)));
    drop(app);
    let unresolved = unresolved
        .into_iter()
        .filter(|route| !shared.is_excluded(route))
        .map(|route| RouteInfoLabels { route, mount: None });
    mounted
        .into_iter()
        .map(|(template, _, route)| RouteInfoLabels {
            route,
            mount: Some(template),
        })
        .chain(unresolved)
        .collect()
}

/// The labels of one `http_server_route_info` series: a mount by its full
/// template, or a registration no request reached yet by its declared one.
#[derive(Debug)]
struct RouteInfoLabels {
    route: &'static RouteInfo,
    /// The full template of the mount; `None` for an unresolved registration.
    mount: Option<&'static str>,
}

impl EncodeLabelSet for RouteInfoLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        if let Some(template) = self.mount {
            ("http_route", template).encode(encoder.encode_label())?;
        }
        ("http_request_methods", Methods(self.route)).encode(encoder.encode_label())?;
        ("handler", self.route.handler()).encode(encoder.encode_label())?;
        if self.mount.is_none() {
            let declared = self.route.template().unwrap_or_default();
            ("template", declared).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}

/// The methods a registration declares, joined by `,`, or `*` when they are
/// not known at compile time; written without allocating.
struct Methods(&'static RouteInfo);

impl EncodeLabelValue for Methods {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        let methods = self.0.methods();
        if methods.is_empty() {
            return encoder.write_str("*");
        }
        for (i, method) in methods.iter().enumerate() {
            if i > 0 {
                encoder.write_str(",")?;
            }
            encoder.write_str(method)?;
        }
        Ok(())
    }
}

impl EncodeLabelValue for ErrorType {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        match self {
            Self::Status(code) => code.encode(encoder),
            Self::Failure(failure) => encoder.write_str(failure.as_str()),
            Self::Other => encoder.write_str(OTHER),
        }
    }
}

/// The labels of one request series (duration, body sizes).
struct SeriesLabels<'a> {
    method: &'a str,
    route: &'static str,
    status: Status,
    error: Option<ErrorType>,
    version: Option<ProtocolVersion>,
    scheme: Option<Scheme>,
}

impl EncodeLabelSet for SeriesLabels<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        label(encoder, "http_request_method", &self.method)?;
        label(encoder, "http_response_status_code", &self.status)?;
        label(encoder, "http_route", &self.route)?;
        if let Some(error) = &self.error {
            label(encoder, "error_type", error)?;
        }
        if let Some(version) = self.version {
            label(encoder, "network_protocol_version", &version.as_str())?;
        }
        if let Some(scheme) = self.scheme {
            label(encoder, "url_scheme", &scheme.as_str())?;
        }
        Ok(())
    }
}

/// One label: what `("key", value).encode(..)` does, inlined. A scrape
/// writes the labels of every series once per bucket line.
#[inline]
fn label(
    encoder: &mut LabelSetEncoder<'_>,
    key: &'static str,
    value: &impl EncodeLabelValue,
) -> Result<(), fmt::Error> {
    let mut label = encoder.encode_label();
    let mut key_encoder = label.encode_label_key()?;
    key_encoder.write_str(key)?;
    let mut value_encoder = key_encoder.encode_label_value()?;
    value.encode(&mut value_encoder)?;
    value_encoder.finish()
}

/// The labels of one `http_server_active_requests` series.
struct ActiveLabels<'a> {
    method: &'a str,
    scheme: Option<Scheme>,
}

impl EncodeLabelSet for ActiveLabels<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        ("http_request_method", self.method).encode(encoder.encode_label())?;
        if let Some(scheme) = self.scheme {
            ("url_scheme", scheme.as_str()).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}

impl EncodeLabelValue for Status {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        match self {
            Self::Code(code) => code.encode(encoder),
            Self::Other => OTHER.encode(encoder),
        }
    }
}
