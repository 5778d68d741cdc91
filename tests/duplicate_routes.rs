//! Two handlers with the same method and template cannot be told apart in
//! the metrics: building `HttpMetrics` fails and names both.

use actix_web::{HttpResponse, get, route};
use prometheus_client::registry::Registry;
use route_labels::{BuildError, HttpMetrics};

mod first {
    use super::{HttpResponse, get};

    #[route_labels::register]
    #[get("/orders/{id}")]
    pub async fn get_order() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

mod second {
    use super::{HttpResponse, route};

    #[route_labels::register]
    #[route("/orders/{id}", method = "PUT", method = "GET")]
    pub async fn order() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

#[test]
fn duplicate_method_and_template_fail_with_both_locations() {
    let err = HttpMetrics::new(&mut Registry::default()).unwrap_err();
    let BuildError::DuplicateRoute {
        method,
        template,
        first,
        second,
    } = &err
    else {
        panic!("expected a duplicate route error, got {err}");
    };
    assert_eq!((*method, *template), ("GET", "/orders/{id}"));
    let mut handlers = [first.handler(), second.handler()];
    handlers.sort_unstable();
    assert_eq!(
        handlers,
        [
            "duplicate_routes::first::get_order",
            "duplicate_routes::second::order"
        ]
    );

    let message = err.to_string();
    assert!(
        message.starts_with("`GET /orders/{id}` is registered twice"),
        "{message}"
    );
    assert!(
        message.contains("tests/duplicate_routes.rs:11"),
        "{message}"
    );
    assert!(
        message.contains("tests/duplicate_routes.rs:21"),
        "{message}"
    );
    let _ = (first::get_order, second::order);
}
