//! Encodes the HTTP metrics at scrape time, through prometheus-client's
//! [`Collector`].

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, EncodeLabelValue, LabelSetEncoder,
    LabelValueEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::http::cells::{Row, Snapshot, Status};
use crate::http::mounts;
use crate::http::shared::Shared;
use crate::inventory::RouteInfo;
use crate::labels::{HttpMethod, OTHER_STATUS, UNMATCHED, UNREGISTERED};

const DURATION_HELP: &str =
    "Duration of HTTP server requests, by method, route template and status code";
const ACTIVE_HELP: &str = "Number of HTTP server requests in flight, by method";
const ROUTE_HELP: &str = "Every mount of a route registered with route-labels, by the full template \
     (http_route) that the request metrics carry; a registered route no request reached yet \
     has no http_route";

#[derive(Debug)]
pub(crate) struct HttpCollector {
    shared: Arc<Shared>,
}

impl HttpCollector {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Every histogram series with at least one observation, merged by label
    /// set (two mounts can resolve to one template) and sorted.
    fn duration_series(&self) -> BTreeMap<(&'static str, HttpMethod, Status), Snapshot> {
        let mut series = BTreeMap::new();
        let mut add = |route: &'static str, method: HttpMethod, row: &Row| {
            for (status, snapshot) in row.snapshots() {
                match series.entry((route, method, status)) {
                    Entry::Vacant(entry) => {
                        entry.insert(snapshot);
                    }
                    Entry::Occupied(mut entry) => entry.get_mut().add(&snapshot),
                }
            }
        };
        for (id, mount) in mounts::all_mounts().into_iter().enumerate() {
            let id = u32::try_from(id).expect("mount ids fit in u32");
            if let Some(cells) = self.shared.mounts.get(id) {
                for (method, row) in cells.rows() {
                    add(mounts::template_of(mount.label), method, row);
                }
            }
        }
        for method in HttpMethod::ALL {
            add(UNMATCHED, method, &self.shared.unmatched[method.index()]);
            add(
                UNREGISTERED,
                method,
                &self.shared.unregistered[method.index()],
            );
        }
        series
    }
}

impl Collector for HttpCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let shared = &self.shared;
        {
            let mut family = encoder.encode_descriptor(
                &shared.names.duration,
                DURATION_HELP,
                Some(&Unit::Seconds),
                MetricType::Histogram,
            )?;
            // One buffer for every series' buckets.
            let mut buckets = Vec::with_capacity(shared.bounds.len());
            for ((route, method, status), snapshot) in self.duration_series() {
                let labels = DurationLabels {
                    method,
                    route,
                    status,
                };
                family
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(
                        snapshot.sum_seconds,
                        snapshot.count,
                        snapshot.encoder_buckets(&shared.bounds, &mut buckets),
                        None,
                    )?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                &shared.names.active,
                ACTIVE_HELP,
                None,
                MetricType::Gauge,
            )?;
            for method in HttpMethod::ALL {
                let active = shared.active[method.index()].load(Ordering::Relaxed);
                family
                    .encode_family(&[("http_request_method", method)])?
                    .encode_gauge(&active)?;
            }
        }
        {
            // A gauge of value 1 named `*_info`, Prometheus' convention for
            // info metrics: every parser reads it, where the OpenMetrics
            // `info` type is refused by Prometheus' text parser and promtool.
            let mut family = encoder.encode_descriptor(
                &shared.names.route,
                ROUTE_HELP,
                None,
                MetricType::Gauge,
            )?;
            // Each mount once, by the full template it answers under: the
            // value `http_route` has on the request metrics, so the two join.
            let mut mounted: Vec<(&'static str, &'static str, &'static RouteInfo)> =
                mounts::all_mounts()
                    .into_iter()
                    .map(|m| (mounts::template_of(m.label), m.route.handler(), m.route))
                    .collect();
            mounted.sort_unstable_by_key(|&(template, handler, _)| (template, handler));
            mounted.dedup_by_key(|&mut (template, handler, _)| (template, handler));
            for (template, handler, route) in mounted {
                family
                    .encode_family(&[
                        ("http_route", template),
                        ("http_request_methods", &methods_label(route)),
                        ("handler", handler),
                    ])?
                    .encode_gauge(&1_i64)?;
            }
            // actix-web tells a mount's full template only to a request
            // through it: until then, the registration as declared.
            for route in mounts::unresolved_routes() {
                family
                    .encode_family(&[
                        ("http_request_methods", methods_label(route).as_str()),
                        ("handler", route.handler()),
                        ("template", route.template().unwrap_or_default()),
                    ])?
                    .encode_gauge(&1_i64)?;
            }
        }
        Ok(())
    }
}

/// The methods a registration declares, or `*` when they are not known at
/// compile time.
fn methods_label(route: &RouteInfo) -> String {
    if route.methods().is_empty() {
        "*".to_owned()
    } else {
        route.methods().join(",")
    }
}

/// The labels of one request duration series.
struct DurationLabels {
    method: HttpMethod,
    route: &'static str,
    status: Status,
}

impl EncodeLabelSet for DurationLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        ("http_request_method", self.method).encode(encoder.encode_label())?;
        ("http_response_status_code", self.status).encode(encoder.encode_label())?;
        ("http_route", self.route).encode(encoder.encode_label())
    }
}

impl EncodeLabelValue for Status {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        match self {
            Self::Code(code) => code.encode(encoder),
            Self::Other => OTHER_STATUS.encode(encoder),
        }
    }
}
