//! An integer label: ids, counts and sizes are unbounded.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    user_id: u64,
}

fn main() {}
