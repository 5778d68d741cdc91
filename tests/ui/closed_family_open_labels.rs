//! A `ClosedFamily` over prometheus-client's open-ended label list.
use prometheus_client::metrics::counter::Counter;
use route_labels::ClosedFamily;

fn main() {
    let family = ClosedFamily::<Vec<(String, String)>, Counter>::default();
    let _ = family;
}
