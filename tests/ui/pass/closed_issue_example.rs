//! The example of the issue that introduced closed label sets, and the
//! shapes around it that must keep compiling.
use actix_web::{HttpResponse, post};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, HttpMethod, Route};

#[route_labels::register]
#[post("/checkout")]
async fn checkout() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Outcome {
    Paid,
    Declined,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct CheckoutLabels {
    route: Route,
    outcome: Outcome,
}

/// A field whose name is also a module its type is in.
mod outcome {
    #[derive(
        Clone,
        Copy,
        Debug,
        prometheus_client::encoding::EncodeLabelValue,
        route_labels::ClosedLabelValue,
    )]
    pub enum Kind {
        Card,
        Transfer,
    }
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 40)]
struct Payment {
    method: HttpMethod,
    outcome: outcome::Kind,
    retried: bool,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
struct Nested {
    #[prometheus(flatten)]
    payment: Payment,
    r#type: Outcome,
}

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 1)]
struct NoLabels {}

/// route-labels reached through a re-export, and a budget named by a
/// constant that is also a field's name.
mod reexport {
    pub use route_labels;
}

#[allow(non_upper_case_globals)]
const limit: usize = 2;

#[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
#[closed(crate = reexport::route_labels, max_series = limit)]
struct Reexported {
    limit: bool,
}

fn main() {
    let mut registry = Registry::default();
    let checkouts = ClosedFamily::<CheckoutLabels, Counter>::default();
    registry.register("checkouts", "Checkouts by outcome", checkouts.clone());
    checkouts
        .get_or_create(&CheckoutLabels {
            route: Route::UNMATCHED,
            outcome: Outcome::Paid,
        })
        .inc();

    let latency =
        ClosedFamily::<Nested, Histogram, _>::new_with_constructor(|| Histogram::new([0.1, 1.0]));
    registry.register("latency", "Latency", latency.clone());
    let payment = Payment {
        method: HttpMethod::Post,
        outcome: outcome::Kind::Card,
        retried: false,
    };
    latency
        .get_or_create(&Nested {
            payment,
            r#type: Outcome::Declined,
        })
        .observe(0.5);

    let empty = ClosedFamily::<NoLabels, Counter>::default();
    empty.get_or_create(&NoLabels {}).inc();
    assert_eq!(empty.max_series(), 1);
    assert_eq!(<Reexported as ClosedLabelSet>::CARDINALITY, Some(limit));
}
