//! A small shop that counts business outcomes in its own metric families,
//! whose label sets are closed: a route and an enum, never a string from the
//! request.
//!
//! ```text
//! cargo run --example custom_metrics
//! ```
//!
//! then try the `curl` commands it prints. Whatever items, amounts and
//! payment strings you send, `shop_outcomes` has at most one series per
//! (route, outcome) pair, and the program says how many that is at start-up.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, post, web};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use route_labels::{
    ClosedFamily, ClosedLabelSet, ClosedLabelValue, HttpMetrics, MetricsEndpoint, Route,
};

/// What happened to a shopper's request. An enum deriving
/// `ClosedLabelValue`: its variants are the only values of the label.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Outcome {
    Added,
    OutOfStock,
    Paid,
    Declined,
    Rejected,
}

/// The labels of `shop_outcomes`. A `String` field here (the item name, the
/// user id) would not compile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct OutcomeLabels {
    route: Route,
    outcome: Outcome,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Payment {
    Card,
    Transfer,
}

/// Every field's cardinality is known at compile time, so the series count
/// is capped at compile time too: adding a third payment method and a `bool`
/// field (6 series) would not compile without raising the budget.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
#[closed(max_series = 4)]
struct BasketLabels {
    payment: Payment,
}

/// The shop's own metrics, shared by the handlers.
struct Shop {
    outcomes: ClosedFamily<OutcomeLabels, Counter>,
    basket_sizes: ClosedFamily<BasketLabels, Histogram>,
}

impl Shop {
    fn new(registry: &mut Registry) -> Self {
        let outcomes = ClosedFamily::default();
        registry.register(
            "shop_outcomes",
            "Shop requests by outcome",
            outcomes.clone(),
        );
        // Custom buckets, as with prometheus-client's `Family`.
        let basket_sizes: ClosedFamily<BasketLabels, Histogram> =
            ClosedFamily::new_with_constructor(|| Histogram::new([1.0, 2.0, 5.0, 10.0]));
        registry.register(
            "shop_basket_items",
            "Items per paid basket",
            basket_sizes.clone(),
        );
        Self {
            outcomes,
            basket_sizes,
        }
    }

    fn count(&self, route: Route, outcome: Outcome) {
        self.outcomes
            .get_or_create(&OutcomeLabels { route, outcome })
            .inc();
    }
}

const IN_STOCK: [&str; 2] = ["socks", "hat"];

#[route_labels::register]
#[post("/cart/{item}")]
async fn add_to_cart(route: Route, item: web::Path<String>, shop: web::Data<Shop>) -> HttpResponse {
    // `item` is request data: it decides the outcome, it is never a label.
    if IN_STOCK.contains(&item.as_str()) {
        shop.count(route, Outcome::Added);
        HttpResponse::Ok().body(format!("added {item}\n"))
    } else {
        shop.count(route, Outcome::OutOfStock);
        HttpResponse::NotFound().body(format!("no {item} left\n"))
    }
}

#[route_labels::register]
#[post("/checkout/{items}")]
async fn checkout(
    here: Route,
    items: web::Path<u32>,
    payment: String,
    shop: web::Data<Shop>,
) -> HttpResponse {
    let payment = match payment.trim() {
        "card" => Payment::Card,
        "transfer" => Payment::Transfer,
        "declined-card" => {
            shop.count(here, Outcome::Declined);
            return HttpResponse::PaymentRequired().body("card declined\n");
        }
        other => {
            shop.count(here, Outcome::Rejected);
            return HttpResponse::BadRequest().body(format!("unknown payment {other:?}\n"));
        }
    };
    shop.count(here, Outcome::Paid);
    shop.basket_sizes
        .get_or_create(&BasketLabels { payment })
        .observe(f64::from(items.into_inner()));
    HttpResponse::Ok().body("paid\n")
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry)?;
    let shop = web::Data::new(Shop::new(&mut registry));
    let outcomes = shop.outcomes.clone();
    let basket_sizes = shop.basket_sizes.clone();
    let registry = Arc::new(registry);

    let app = move || {
        metrics.app(
            App::new()
                .app_data(shop.clone())
                .service(add_to_cart)
                .service(checkout)
                .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry))),
        )
    };
    // A `Route` label counts the mounts of the app, known once the app is
    // built: build it once here, as each worker will.
    drop(actix_web::test::init_service(app()).await);
    println!(
        "shop_outcomes holds at most {} series, shop_basket_items at most {}",
        outcomes.max_series(),
        basket_sizes.max_series(),
    );
    let server = HttpServer::new(app).bind(("127.0.0.1", 8081))?;

    println!("listening on http://127.0.0.1:8081; try:");
    println!("  curl -s -X POST localhost:8081/cart/socks");
    println!("  curl -s -X POST localhost:8081/cart/umbrella");
    println!("  curl -s -X POST localhost:8081/checkout/3 -d card");
    println!("  curl -s -X POST localhost:8081/checkout/12 -d transfer");
    println!("  curl -s -X POST localhost:8081/checkout/1 -d declined-card");
    println!("  curl -s -X POST localhost:8081/checkout/2 -d bitcoin");
    println!("then:");
    println!("  curl -s localhost:8081/metrics | grep shop_");
    server.run().await?;
    Ok(())
}
