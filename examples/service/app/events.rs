//! `app_events_total{route, outcome}`: what the handlers did, by the route
//! that served the request. Both labels are closed: `route` is the
//! `route_labels::Route` extractor's value, the same value as `http_route`,
//! and `outcome` an enum.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, Route};

/// What a handler did with a request.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
pub enum Outcome {
    Listed,
    Created,
    Found,
    Missing,
    Liked,
    Healthy,
    /// The default service answered: no route took the request.
    NoRoute,
}

/// The labels of `app_events_total`. A `String` field (the id from the path)
/// would not compile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
pub struct EventLabels {
    pub route: Route,
    pub outcome: Outcome,
}

/// The app's own counters, shared by every worker.
#[derive(Debug)]
pub struct Events {
    family: ClosedFamily<EventLabels, Counter>,
}

impl Events {
    /// Registers `app_events_total` in `registry`.
    pub fn register(registry: &mut Registry) -> actix_web::web::Data<Self> {
        let family = ClosedFamily::default();
        registry.register(
            "app_events",
            "Business events by the route that served them and their outcome",
            family.clone(),
        );
        actix_web::web::Data::new(Self { family })
    }

    /// Counts one event of `route`.
    pub fn record(&self, route: Route, outcome: Outcome) {
        self.family
            .get_or_create(&EventLabels { route, outcome })
            .inc();
    }

    /// The most series `app_events_total` can hold: routes × outcomes.
    pub fn max_series(&self) -> usize {
        self.family.max_series()
    }
}
