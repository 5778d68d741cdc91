//! One derive, several unbounded fields and a budget: each field is reported
//! once, by name, and the budget adds no error of its own.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 10)]
struct Labels {
    method: HttpMethod,
    user_id: u64,
    referrer: String,
}

fn main() {}
