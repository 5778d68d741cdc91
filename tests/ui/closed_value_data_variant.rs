//! Variants that carry data make an enum open again; every one is reported.
use route_labels::ClosedLabelValue;

#[derive(Clone, Debug, ClosedLabelValue)]
enum Outcome {
    Paid,
    Declined(String),
    Refunded { amount_cents: u64 },
}

fn main() {}
