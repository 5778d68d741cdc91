//! A `Route` field has as many values as the program has routes, known only
//! once it is linked: a compile-time budget cannot be checked.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, Route};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 100)]
struct Labels {
    route: Route,
    cached: bool,
}

fn main() {}
