//! The app's default service: a JSON 404 for a request no route took.

use actix_web::HttpResponse;
use actix_web::web;
use route_labels::Route;

use super::{Events, Outcome};

/// Answers every request that reached no route: `http_route` is
/// `unmatched`, and so is the `Route` it counts its event under. The path is
/// never echoed, in the body or in a label.
pub async fn not_found(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::NoRoute);
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }))
}
