//! An enum that does not derive `ClosedLabelValue`: nothing bounds it.
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use route_labels::{ClosedLabelSet, Route};

#[derive(Clone, Debug, EncodeLabelValue)]
enum Outcome {
    Paid,
    Declined,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    route: Route,
    outcome: Outcome,
}

fn main() {}
