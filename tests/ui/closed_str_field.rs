//! A `&str` label: a string literal today, `Box::leak(path)` tomorrow.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    path: &'static str,
}

fn main() {}
