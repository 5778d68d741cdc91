//! A float label: every distinct value is a series.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    ratio: f64,
}

fn main() {}
