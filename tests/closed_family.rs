//! `ClosedFamily` through the public API: it encodes as prometheus-client's
//! `Family` does, and never holds more than `max_series()` series.

use std::thread;

use actix_web::{HttpResponse, get, post};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, HttpMethod, Route};

#[route_labels::register]
#[post("/checkout")]
async fn checkout() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/cart/{id}")]
async fn cart() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Outcome {
    Paid,
    Declined,
    Abandoned,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct CheckoutLabels {
    route: Route,
    outcome: Outcome,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Payment {
    Card,
    Transfer,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 40)]
struct PaymentLabels {
    method: HttpMethod,
    payment: Payment,
    retried: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct FlatLabels {
    #[prometheus(flatten)]
    payment: PaymentLabels,
    outcome: Outcome,
}

fn paid() -> CheckoutLabels {
    CheckoutLabels {
        route: Route::UNMATCHED,
        outcome: Outcome::Paid,
    }
}

fn declined_cart() -> CheckoutLabels {
    CheckoutLabels {
        route: Route::UNREGISTERED,
        outcome: Outcome::Declined,
    }
}

fn openmetrics(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

fn prometheus_text(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry).unwrap();
    text
}

/// The exposition with the sample lines of each metric family sorted:
/// `Family` yields its series in hash-map order, `ClosedFamily` in index
/// order, and neither order is part of the format.
fn canonical(text: &str) -> String {
    let mut out = Vec::new();
    let mut samples: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            samples.sort_unstable();
            out.append(&mut samples);
            out.push(line);
        } else {
            samples.push(line);
        }
    }
    samples.sort_unstable();
    out.append(&mut samples);
    out.join("\n")
}

fn sample_lines(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .count()
}

#[test]
fn a_counter_family_encodes_exactly_as_prometheus_clients_family() {
    let closed = ClosedFamily::<CheckoutLabels, Counter>::default();
    let open = Family::<CheckoutLabels, Counter>::default();
    let mut closed_registry = Registry::default();
    let mut open_registry = Registry::default();
    closed_registry.register("checkouts", "Checkouts by outcome", closed.clone());
    open_registry.register("checkouts", "Checkouts by outcome", open.clone());

    for labels in [paid(), paid(), declined_cart(), paid()] {
        closed.get_or_create(&labels).inc();
        open.get_or_create(&labels).inc();
    }

    let text = openmetrics(&closed_registry);
    assert_eq!(canonical(&text), canonical(&openmetrics(&open_registry)));
    assert_eq!(
        canonical(&prometheus_text(&closed_registry)),
        canonical(&prometheus_text(&open_registry))
    );
    assert_eq!(
        canonical(&text),
        canonical(concat!(
            "# HELP checkouts Checkouts by outcome.\n",
            "# TYPE checkouts counter\n",
            "checkouts_total{route=\"unmatched\",outcome=\"Paid\"} 3\n",
            "checkouts_total{route=\"unregistered\",outcome=\"Declined\"} 1\n",
            "# EOF\n",
        ))
    );
}

#[test]
fn one_series_encodes_byte_for_byte_as_family() {
    let closed = ClosedFamily::<PaymentLabels, Gauge>::default();
    let open = Family::<PaymentLabels, Gauge>::default();
    let mut closed_registry = Registry::default();
    let mut open_registry = Registry::default();
    closed_registry.register("payments_in_flight", "Payments in flight", closed.clone());
    open_registry.register("payments_in_flight", "Payments in flight", open.clone());

    let labels = PaymentLabels {
        method: HttpMethod::Post,
        payment: Payment::Card,
        retried: true,
    };
    closed.get_or_create(&labels).set(4);
    open.get_or_create(&labels).set(4);

    assert_eq!(openmetrics(&closed_registry), openmetrics(&open_registry));
    assert_eq!(
        prometheus_text(&closed_registry),
        prometheus_text(&open_registry)
    );
}

#[test]
fn histograms_with_custom_buckets_and_flattened_labels_encode_as_family() {
    let buckets = [0.1, 0.5, 2.5];
    let closed = ClosedFamily::<FlatLabels, Histogram, _>::new_with_constructor(move || {
        Histogram::new(buckets)
    });
    let open =
        Family::<FlatLabels, Histogram, _>::new_with_constructor(move || Histogram::new(buckets));
    let mut closed_registry = Registry::default();
    let mut open_registry = Registry::default();
    closed_registry.register("payment_seconds", "Payment latency", closed.clone());
    open_registry.register("payment_seconds", "Payment latency", open.clone());

    let card = PaymentLabels {
        method: HttpMethod::Post,
        payment: Payment::Card,
        retried: false,
    };
    let transfer = PaymentLabels {
        method: HttpMethod::Put,
        payment: Payment::Transfer,
        retried: true,
    };
    for (payment, outcome, seconds) in [
        (&card, Outcome::Paid, 0.2),
        (&card, Outcome::Paid, 3.0),
        (&transfer, Outcome::Abandoned, 0.05),
    ] {
        let labels = FlatLabels {
            payment: payment.clone(),
            outcome,
        };
        closed.get_or_create(&labels).observe(seconds);
        open.get_or_create(&labels).observe(seconds);
    }

    let text = openmetrics(&closed_registry);
    assert_eq!(canonical(&text), canonical(&openmetrics(&open_registry)));
    assert!(text.contains(
        "payment_seconds_bucket{le=\"0.5\",method=\"POST\",payment=\"Card\",retried=\"false\",outcome=\"Paid\"} 1\n"
    ));
}

#[test]
fn an_unused_family_is_left_out_of_the_exposition_like_an_empty_family() {
    let closed = ClosedFamily::<CheckoutLabels, Counter>::default();
    let open = Family::<CheckoutLabels, Counter>::default();
    let mut closed_registry = Registry::default();
    let mut open_registry = Registry::default();
    closed_registry.register("checkouts", "Checkouts by outcome", closed);
    open_registry.register("checkouts", "Checkouts by outcome", open);

    assert_eq!(openmetrics(&closed_registry), "# EOF\n");
    assert_eq!(openmetrics(&closed_registry), openmetrics(&open_registry));
}

#[test]
fn max_series_is_the_product_of_the_fields_cardinalities() {
    // No app is built in this test: a route is `unmatched` or `unregistered`.
    let checkouts = ClosedFamily::<CheckoutLabels, Counter>::default();
    assert_eq!(Route::cardinality(), 2);
    assert_eq!(checkouts.max_series(), 2 * 3);
    assert_eq!(
        CheckoutLabels::CARDINALITY,
        None,
        "a route count is only known at run time"
    );

    let payments = ClosedFamily::<PaymentLabels, Counter>::default();
    assert_eq!(payments.max_series(), 10 * 2 * 2);
    assert_eq!(PaymentLabels::CARDINALITY, Some(40));

    let flat = ClosedFamily::<FlatLabels, Counter>::default();
    assert_eq!(flat.max_series(), 40 * 3);
}

#[test]
fn every_label_set_has_its_own_series_and_there_are_no_others() {
    let family = ClosedFamily::<CheckoutLabels, Counter>::default();
    let mut registry = Registry::default();
    registry.register("checkouts", "Checkouts by outcome", family.clone());

    let mut every = Vec::new();
    for index in 0..Route::cardinality() {
        let route = Route::from_index(index).unwrap();
        for outcome in [Outcome::Paid, Outcome::Declined, Outcome::Abandoned] {
            every.push(CheckoutLabels { route, outcome });
        }
    }
    // Twice over: the second round finds the series of the first.
    for labels in every.iter().chain(&every) {
        family.get_or_create(labels).inc();
    }

    let text = openmetrics(&registry);
    assert_eq!(sample_lines(&text), family.max_series());
    assert_eq!(sample_lines(&text), every.len());
    for labels in &every {
        assert_eq!(family.get(labels).map(Counter::get), Some(2), "{labels:?}");
        assert!(text.contains(&format!(
            "checkouts_total{{route=\"{}\",outcome=\"{:?}\"}} 2\n",
            labels.route.as_str(),
            labels.outcome
        )));
    }
}

#[test]
fn index_and_from_index_are_inverse_over_the_whole_label_set() {
    for index in 0..PaymentLabels::cardinality() {
        let labels = PaymentLabels::from_index(index).unwrap();
        assert_eq!(labels.index(), index, "{labels:?}");
    }
    assert_eq!(
        PaymentLabels::from_index(PaymentLabels::cardinality()),
        None
    );
    assert_eq!(
        PaymentLabels::from_index(0),
        Some(PaymentLabels {
            method: HttpMethod::Get,
            payment: Payment::Card,
            retried: false
        }),
        "the first field varies slowest"
    );
    assert_eq!(
        PaymentLabels::from_index(1),
        Some(PaymentLabels {
            method: HttpMethod::Get,
            payment: Payment::Card,
            retried: true
        })
    );
    for labels in [paid(), declined_cart()] {
        assert_eq!(CheckoutLabels::from_index(labels.index()), Some(labels));
    }
}

#[test]
fn clones_share_their_series() {
    let family = ClosedFamily::<CheckoutLabels, Counter>::default();
    let clone = family.clone();
    clone.get_or_create(&paid()).inc();
    family.get_or_create(&paid()).inc();
    assert_eq!(family.get(&paid()).map(Counter::get), Some(2));
    assert_eq!(clone.get(&declined_cart()).map(Counter::get), None);
    assert_eq!(
        format!("{family:?}"),
        format!(
            "ClosedFamily {{ label_set: \"{}\", series: 1, max_series: {}, .. }}",
            std::any::type_name::<CheckoutLabels>(),
            family.max_series()
        )
    );
}

#[test]
fn threads_racing_on_a_new_series_share_one_metric() {
    let family = ClosedFamily::<CheckoutLabels, Counter>::default();
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..10_000 {
                    family.get_or_create(&paid()).inc();
                    family.get_or_create(&declined_cart()).inc();
                }
            });
        }
    });
    assert_eq!(family.get(&paid()).map(Counter::get), Some(20_000));
    assert_eq!(family.get(&declined_cart()).map(Counter::get), Some(20_000));
}

#[test]
fn owned_metrics_are_the_family_s_own() {
    let family = ClosedFamily::<PaymentLabels, Counter>::default();
    let labels = PaymentLabels {
        method: HttpMethod::Other,
        payment: Payment::Card,
        retried: false,
    };
    let counter = family.get_or_create_owned(&labels);
    counter.inc_by(5);
    assert_eq!(family.get(&labels).map(Counter::get), Some(5));
}
