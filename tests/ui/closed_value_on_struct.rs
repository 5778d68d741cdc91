//! `ClosedLabelValue` is for enums; a struct of labels derives `ClosedLabelSet`.
use route_labels::{ClosedLabelValue, HttpMethod};

#[derive(Clone, Debug, ClosedLabelValue)]
struct Labels {
    method: HttpMethod,
}

fn main() {}
