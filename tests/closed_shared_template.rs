//! Two handlers with one full template (different methods) are one
//! `http_route` label value: a `ClosedFamily` keyed by `Route` counts them in
//! one series, never in two series with the same labels.

use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, get, post, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{ClosedFamily, ClosedLabelSet, Route, route_of};

type Orders = web::Data<ClosedFamily<Labels, Counter>>;

#[route_labels::register]
#[get("")]
async fn list_orders(route: Route, orders: Orders) -> HttpResponse {
    orders.get_or_create(&Labels { route }).inc();
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[post("")]
async fn create_order(route: Route, orders: Orders) -> HttpResponse {
    orders.get_or_create(&Labels { route }).inc();
    HttpResponse::Created().finish()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct Labels {
    route: Route,
}

#[actix_web::test]
async fn routes_sharing_a_template_share_a_series() {
    assert_ne!(route_of!(list_orders), route_of!(create_order));
    let family = ClosedFamily::<Labels, Counter>::default();
    let mut registry = Registry::default();
    registry.register("orders", "Orders", family.clone());
    let app = init_service(
        App::new().app_data(web::Data::new(family.clone())).service(
            web::scope("/orders")
                .service(list_orders)
                .service(create_order),
        ),
    )
    .await;
    call_service(&app, TestRequest::get().uri("/orders").to_request()).await;
    call_service(&app, TestRequest::post().uri("/orders").to_request()).await;

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("orders_total"))
        .collect();
    assert_eq!(series, [r#"orders_total{route="/orders"} 2"#], "{text}");
    // Two mounts, one label: the family's bound counts mounts.
    assert_eq!(family.max_series(), 2 + 2);
}
