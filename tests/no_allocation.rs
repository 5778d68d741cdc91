//! After a mount's first request, `HttpMetrics` and the stamps allocate
//! nothing per request: an app with them performs exactly as many heap
//! allocations per request as the same app without them.

use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, get, web};
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

#[path = "common/allocations.rs"]
mod counting;
use counting::allocations;

#[route_labels::register]
#[get("/users/{id}")]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The same handler without `#[register]`, and so without a stamp.
#[get("/users/{id}")]
async fn bare_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn per_request<S, B>(app: &S, uri: &str) -> u64
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    const ROUNDS: u64 = 200;
    // Warm up: the mount resolves its template, cells are laid out, actix's
    // pools fill.
    for _ in 0..20 {
        call_service(app, TestRequest::get().uri(uri).to_request()).await;
    }
    let before = allocations();
    for _ in 0..ROUNDS {
        call_service(app, TestRequest::get().uri(uri).to_request()).await;
    }
    (allocations() - before) / ROUNDS
}

#[actix_web::test]
async fn the_middleware_adds_no_allocation_per_request() {
    let bare = init_service(App::new().service(web::scope("/v1").service(bare_user))).await;
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let measured = init_service(
        App::new()
            .service(web::scope("/v1").service(get_user))
            .wrap(metrics),
    )
    .await;

    for uri in ["/v1/users/7", "/nowhere"] {
        let without = per_request(&bare, uri).await;
        let with = per_request(&measured, uri).await;
        assert_eq!(
            with, without,
            "allocations per request to {uri}: {with} with route-labels, {without} without"
        );
    }
}
