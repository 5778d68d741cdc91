//! A rejected derive gives its own error and no other: each use of the type,
//! in a family, as a field of another label set with a budget, or through the
//! trait's methods, still compiles against the fallback impl.
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, HttpMethod};

#[derive(Clone, Copy, Debug, EncodeLabelValue, ClosedLabelValue)]
#[closed(max_series = 2)]
enum Outcome {
    Paid,
    Declined,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_cardinality = 20)]
struct Labels {
    method: HttpMethod,
    cached: bool,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 100)]
struct Checkout {
    #[prometheus(flatten)]
    labels: Labels,
    outcome: Outcome,
}

fn main() {
    let family = ClosedFamily::<Labels, Counter>::default();
    let labels = Labels {
        method: HttpMethod::Get,
        cached: true,
    };
    family.get_or_create(&labels).inc();
    let _ = labels.index();
    let _ = Outcome::Paid.index();
    let _ = Checkout::from_index(0);
    let _ = ClosedFamily::<Checkout, Counter>::default().max_series();
}
