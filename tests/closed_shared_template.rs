//! Two handlers with one template (different methods) are one `http_route`
//! label value: a `ClosedFamily` keyed by `Route` counts them in one series,
//! never in two series with the same labels.

use actix_web::{HttpResponse, get, post};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, Route, route_of};

#[route_labels::register]
#[get("/orders")]
async fn list_orders() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[post("/orders")]
async fn create_order() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    route: Route,
}

#[test]
fn routes_sharing_a_template_share_a_series() {
    assert_ne!(route_of!(list_orders), route_of!(create_order));
    let family = ClosedFamily::<Labels, Counter>::default();
    let mut registry = Registry::default();
    registry.register("orders", "Orders", family.clone());

    family
        .get_or_create(&Labels {
            route: route_of!(list_orders),
        })
        .inc();
    family
        .get_or_create(&Labels {
            route: route_of!(create_order),
        })
        .inc();

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("orders_total"))
        .collect();
    assert_eq!(series, [r#"orders_total{route="/orders"} 2"#], "{text}");
    let _ = (list_orders, create_order);
}
