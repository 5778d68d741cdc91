//! Mistakes in `#[closed(..)]`.
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use route_labels::{ClosedLabelSet, ClosedLabelValue};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 4, max_series = 8)]
struct Twice {
    cached: bool,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_cardinality = 4)]
struct Unknown {
    cached: bool,
}

#[derive(Clone, Copy, Debug, EncodeLabelValue, ClosedLabelValue)]
#[closed(max_series = 2)]
enum Outcome {
    Paid,
    Declined,
}

fn main() {}
