//! A `Cow<str>` label is a `String` in disguise.
use prometheus_client::encoding::EncodeLabelSet;
use route_labels::{ClosedLabelSet, HttpMethod};
use std::borrow::Cow;

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    method: HttpMethod,
    tenant: Cow<'static, str>,
}

fn main() {}
