//! `/health`, built as a registered `route_labels::resource!`: a request
//! with a method the resource has no route for (`405`) is still counted
//! under `/health`.

use actix_web::{HttpResponse, web};
use route_labels::Route;

use super::{Events, Outcome};

/// The resource, for `App::service`.
pub fn resource() -> route_labels::dev::RegisteredResource {
    route_labels::resource!("/health").route(web::get().to(health))
}

async fn health(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Healthy);
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
