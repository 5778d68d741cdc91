//! `/users`: list, create, show. Mounted under `/users`, `/api/v1/users` and
//! `/api/v2/users`; each mount is its own `http_route` value.

use actix_web::{HttpResponse, get, post, web};
use route_labels::Route;

use super::{Events, Outcome};

const USERS: [(u32, &str); 2] = [(1, "ada"), (2, "grace")];

/// Mounts the handlers; the caller's `web::scope` gives the prefix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(create).service(show);
}

#[route_labels::register]
#[get("")]
async fn list(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Listed);
    let users: Vec<_> = USERS
        .iter()
        .map(|(id, name)| serde_json::json!({ "id": id, "name": name }))
        .collect();
    HttpResponse::Ok().json(users)
}

#[route_labels::register]
#[post("")]
async fn create(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Created);
    HttpResponse::Created().json(serde_json::json!({ "id": 3 }))
}

#[route_labels::register]
#[get("/{id}")]
async fn show(id: web::Path<u32>, route: Route, events: web::Data<Events>) -> HttpResponse {
    let id = id.into_inner();
    let Some((id, name)) = USERS.iter().find(|(known, _)| *known == id) else {
        events.record(route, Outcome::Missing);
        return HttpResponse::NotFound().json(serde_json::json!({ "error": "no such user" }));
    };
    events.record(route, Outcome::Found);
    HttpResponse::Ok().json(serde_json::json!({ "id": id, "name": name }))
}
