//! `/orders`: list, create, show. The same shape as `users`, with the same
//! declared templates (`""`, `"/{id}"`): only the mount tells them apart.

use actix_web::{HttpResponse, get, post, web};
use route_labels::Route;

use super::{Events, Outcome};

const ORDERS: [(u32, &str); 2] = [(7, "open"), (8, "shipped")];

/// Mounts the handlers; the caller's `web::scope` gives the prefix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(create).service(show);
}

#[route_labels::register]
#[get("")]
async fn list(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Listed);
    let orders: Vec<_> = ORDERS
        .iter()
        .map(|(id, state)| serde_json::json!({ "id": id, "state": state }))
        .collect();
    HttpResponse::Ok().json(orders)
}

#[route_labels::register]
#[post("")]
async fn create(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Created);
    HttpResponse::Created().json(serde_json::json!({ "id": 9 }))
}

#[route_labels::register]
#[get("/{id}")]
async fn show(id: web::Path<u32>, route: Route, events: web::Data<Events>) -> HttpResponse {
    let id = id.into_inner();
    let Some((id, state)) = ORDERS.iter().find(|(known, _)| *known == id) else {
        events.record(route, Outcome::Missing);
        return HttpResponse::NotFound().json(serde_json::json!({ "error": "no such order" }));
    };
    events.record(route, Outcome::Found);
    HttpResponse::Ok().json(serde_json::json!({ "id": id, "state": state }))
}
