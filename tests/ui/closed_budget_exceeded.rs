//! 10 methods times 2 cache states is 20 series, over a budget of 10.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 10)]
struct Labels {
    method: HttpMethod,
    cached: bool,
}

fn main() {}
