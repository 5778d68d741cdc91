//! `ClosedLabelSet` needs a non-generic struct with named fields.
use prometheus_client::encoding::EncodeLabelValue;
use route_labels::{ClosedLabelSet, ClosedLabelValue, HttpMethod};

#[derive(ClosedLabelSet)]
struct Tuple(HttpMethod, bool);

#[derive(ClosedLabelSet)]
struct Unit;

#[derive(Clone, Copy, EncodeLabelValue, ClosedLabelValue, ClosedLabelSet)]
enum Outcome {
    Paid,
}

#[derive(ClosedLabelSet)]
struct Generic<T> {
    value: T,
}

fn main() {}
