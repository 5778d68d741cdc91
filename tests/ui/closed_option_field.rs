//! `Option` of an unbounded type is unbounded.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    referrer: Option<String>,
}

fn main() {}
