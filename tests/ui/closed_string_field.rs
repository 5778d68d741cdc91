//! A `String` label takes any value a request brings.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    user_id: String,
}

fn main() {}
